//! The domain index, packed (schema 5): a primary domain is looked up only
//! to refuse a taken one and to find a customer by domain, so instead of a
//! sled key per customer (a million keys to insert on an import, and sled's
//! memory per key on every start) the entries live in `BUCKETS` buckets per
//! cloud, each one sled value holding its entries sorted by domain.
//!
//! A bucket's key is `cloud \0` and two bytes of the domain's hash; an entry
//! is named by its *entry key*, the bucket's key followed by the domain, so
//! that entries sort bucket by bucket (what a bulk write stages and merges,
//! `copy`).

use std::path::Path;

use serde::{Deserialize, Serialize};
use sled::transaction::TransactionalTree;

use super::keys::cloud_prefix;
use super::staging::Merged;
use super::{StoreError, error, sled_error};
use crate::domain::Cloud;
use crate::store::backend::TxResult;
use crate::store::error::{damaged, encoding};

/// Buckets per cloud: at a million customers ~15 entries (~1 KB) a bucket.
const BUCKETS: u32 = 1 << 16;

/// A bucket's entries: (domain, id), sorted by domain.
#[derive(Default, Serialize, Deserialize)]
struct Bucket(Vec<(String, String)>);

/// A domain as the index compares it.
fn folded(domain: &str) -> String {
    domain.trim().to_lowercase()
}

/// FNV-1a: stable across builds and platforms (std's hasher is not promised
/// to be), and plenty to spread domains over the buckets.
fn bucket_of(domain: &str) -> u16 {
    let hash = domain.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    ((hash >> 48) as u32 % BUCKETS) as u16
}

fn bucket_key(cloud: Cloud, folded: &str) -> Vec<u8> {
    let mut key = cloud_prefix(cloud);
    key.extend_from_slice(&bucket_of(folded).to_be_bytes());
    key
}

/// The entry key of `domain` in `cloud` (see the module's comment).
pub fn entry_key(cloud: Cloud, domain: &str) -> Vec<u8> {
    let domain = folded(domain);
    let mut key = bucket_key(cloud, &domain);
    key.extend_from_slice(domain.as_bytes());
    key
}

/// An entry key's bucket key and domain.
fn split_entry_key(key: &[u8]) -> Result<(&[u8], &str), StoreError> {
    let cloud_end = key
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| damaged(key, "not a domain entry"))?;
    let at = (cloud_end + 3).min(key.len());
    let domain = std::str::from_utf8(&key[at..]).map_err(|e| damaged(key, e))?;
    Ok((&key[..at], domain))
}

fn decode(key: &[u8], bytes: Option<&[u8]>) -> Result<Bucket, StoreError> {
    match bytes {
        Some(bytes) => postcard::from_bytes(bytes).map_err(|e| damaged(key, e)),
        None => Ok(Bucket::default()),
    }
}

impl Bucket {
    fn owner(&self, domain: &str) -> Option<&str> {
        let at = self.0.binary_search_by(|(d, _)| d.as_str().cmp(domain));
        at.ok().map(|at| self.0[at].1.as_str())
    }

    fn set(&mut self, domain: &str, id: Option<&str>) {
        match (self.0.binary_search_by(|(d, _)| d.as_str().cmp(domain)), id) {
            (Ok(at), Some(id)) => self.0[at].1 = id.to_string(),
            (Ok(at), None) => {
                self.0.remove(at);
            }
            (Err(at), Some(id)) => self.0.insert(at, (domain.to_string(), id.to_string())),
            (Err(_), None) => {}
        }
    }

    /// What the tree keeps for it: nothing once it is empty.
    fn encoded(&self) -> Result<Option<Vec<u8>>, StoreError> {
        if self.0.is_empty() {
            return Ok(None);
        }
        postcard::to_allocvec(self).map(Some).map_err(encoding)
    }
}

/// The id of the customer whose primary domain in `cloud` is `domain`.
pub fn owner(
    tree: &sled::Tree,
    dir: &Path,
    cloud: Cloud,
    domain: &str,
) -> Result<Option<String>, StoreError> {
    let domain = folded(domain);
    let key = bucket_key(cloud, &domain);
    let bytes = tree.get(&key).map_err(|e| error::unreadable(dir, e))?;
    Ok(decode(&key, bytes.as_deref())?
        .owner(&domain)
        .map(str::to_string))
}

/// Points `domain` at `id` (or at nothing) within a transaction.
pub fn set(tree: &TransactionalTree, cloud: Cloud, domain: &str, id: Option<&str>) -> TxResult<()> {
    let domain = folded(domain);
    let key = bucket_key(cloud, &domain);
    let mut bucket = decode(&key, tree.get(&key).map_err(sled_error)?.as_deref())?;
    if bucket.owner(&domain) == id {
        return Ok(());
    }
    bucket.set(&domain, id);
    match bucket.encoded()? {
        Some(bytes) => tree.insert(key, bytes).map(drop),
        None => tree.remove(key).map(drop),
    }
    .map_err(sled_error)?;
    Ok(())
}

/// Every entry of the tree, by entry key (for the index check).
#[cfg(feature = "testing")]
pub fn entry_keys(tree: &sled::Tree, dir: &Path) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut keys = Vec::new();
    for item in tree.iter() {
        let (key, value) = item.map_err(|e| error::unreadable(dir, e))?;
        for (domain, _) in decode(&key, Some(&value))?.0 {
            let mut entry = key.to_vec();
            entry.extend_from_slice(domain.as_bytes());
            keys.push(entry);
        }
    }
    Ok(keys)
}

/// Writes `stored`'s buckets into `to` with the staged entries (entry key →
/// id, or removed) merged in, bucket by bucket in key order.
pub fn copy(
    stored: impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>>,
    staged: &mut Merged,
    to: &sled::Tree,
    dir: &Path,
) -> Result<(), StoreError> {
    let fail = |e: sled::Error| error::unreadable(dir, e);
    let mut stored = stored.peekable();
    let mut next = staged.next_entry()?;
    loop {
        // The least bucket either side has.
        let staged_bucket = match &next {
            Some((key, _)) => Some(split_entry_key(key)?.0.to_vec()),
            None => None,
        };
        let stored_bucket = match stored.peek() {
            Some(Ok((key, _))) => Some(key.clone()),
            Some(Err(_)) => return stored.next().map_or(Ok(()), |e| e.map(drop)),
            None => None,
        };
        let key = match (stored_bucket, staged_bucket) {
            (None, None) => return Ok(()),
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
        };
        let mut bucket = match stored.next_if(|item| item.as_ref().is_ok_and(|(k, _)| *k == key)) {
            Some(item) => {
                let (_, value) = item?;
                decode(&key, Some(&value))?
            }
            None => Bucket::default(),
        };
        while let Some((entry, id)) = next.take() {
            let (in_bucket, domain) = split_entry_key(&entry)?;
            if in_bucket != key.as_slice() {
                next = Some((entry, id));
                break;
            }
            let id = match id.as_deref() {
                Some(id) => Some(std::str::from_utf8(id).map_err(|e| damaged(&entry, e))?),
                None => None,
            };
            bucket.set(domain, id);
            next = staged.next_entry()?;
        }
        if let Some(bytes) = bucket.encoded()? {
            to.insert(key, bytes).map_err(fail)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_key_splits_into_its_bucket_and_domain() {
        let key = entry_key(Cloud::Usgov, " Contoso.ONMICROSOFT.com ");
        let (bucket, domain) = split_entry_key(&key).unwrap();
        assert_eq!(domain, "contoso.onmicrosoft.com");
        assert_eq!(bucket, bucket_key(Cloud::Usgov, domain).as_slice());
        assert!(bucket.starts_with(b"usgov\0"));
    }

    #[test]
    fn domains_spread_over_the_buckets() {
        let mut used = std::collections::HashSet::new();
        for n in 0..10_000 {
            used.insert(bucket_of(&format!("customer-{n}.onmicrosoft.com")));
        }
        // 10,000 domains into 65,536 buckets: ~9,300 distinct expected.
        assert!(used.len() > 9_000, "{}", used.len());
    }

    #[test]
    fn a_bucket_keeps_its_entries_sorted_and_drops_removed_ones() {
        let mut bucket = Bucket::default();
        bucket.set("b.example", Some("2"));
        bucket.set("a.example", Some("1"));
        bucket.set("c.example", Some("3"));
        bucket.set("b.example", None);
        bucket.set("d.example", None);
        assert_eq!(bucket.owner("a.example"), Some("1"));
        assert_eq!(bucket.owner("b.example"), None);
        let domains: Vec<&str> = bucket.0.iter().map(|(d, _)| d.as_str()).collect();
        assert_eq!(domains, ["a.example", "c.example"]);
        bucket.set("a.example", None);
        bucket.set("c.example", None);
        assert_eq!(bucket.encoded().unwrap(), None);
    }
}
