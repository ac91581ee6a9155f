//! The head of the list, kept beside the store when the app exits: the first
//! page of rows, the count and the first customer's record. The next start
//! draws its first frame from it while sled opens (at a million customers
//! opening takes longer than a frame should), then replaces it with the
//! store's own. Every write to the store deletes it first, so it only
//! exists while nothing has changed since: the app keeps it anew when idle
//! after loading and after its writes, the command line after a change.
//!
//! Beside it the app keeps the whole list (`list.<cloud>`, see `read_list`)
//! once it has loaded it from the store with nothing written: the next
//! start reads a million rows from it in one go instead of streaming them
//! from sled, and it is deleted with the head by every write.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{SledStore, StoreError, error};
use crate::domain::{Cloud, Customer};
use crate::listing::{Listing, Row};

/// Rows a head keeps: a page of the tallest terminals.
pub const HEAD_ROWS: usize = 300;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Head {
    /// How many customers the cloud has.
    pub total: usize,
    /// The first rows in name order.
    pub rows: Vec<Row>,
    /// The first row's full record, for the detail pane.
    pub first: Option<Customer>,
}

fn path(dir: &Path, cloud: Cloud) -> PathBuf {
    dir.join(format!("list-head.{}", cloud.key()))
}

/// The head kept for `cloud`, if there is a readable one.
pub fn read_head(dir: &Path, cloud: Cloud) -> Option<Head> {
    let bytes = fs::read(path(dir, cloud)).ok()?;
    postcard::from_bytes(&bytes).ok()
}

/// Deletes every kept head and list: the store is about to change.
pub(super) fn forget_heads(dir: &Path) {
    for cloud in Cloud::ALL {
        let _ = fs::remove_file(path(dir, cloud));
        let _ = fs::remove_file(list_path(dir, cloud));
        let _ = fs::remove_file(attention_path(dir, cloud));
    }
}

/// The attention check's verdicts (the customers whose records break a
/// rule added after they were saved, as (name, id)) kept beside the whole
/// list they were made for: a start that reads that list takes them
/// instead of reading and checking every record again (at a million ~30 s
/// of CPU, and the records read leave ~55 MB in sled's cache). They count
/// for the list with `mark` only, checked by the same program under the
/// same policy (`key`, see the runtime): anything else is checked again.
fn attention_path(dir: &Path, cloud: Cloud) -> PathBuf {
    dir.join(format!("attention.{}", cloud.key()))
}

/// Keeps the verdicts on the list with `mark` (written whole, then
/// renamed in; only a speed-up: a failure is logged).
pub fn keep_attention(dir: &Path, cloud: Cloud, mark: u128, key: u64, found: &[(String, String)]) {
    let target = attention_path(dir, cloud);
    let part = target.with_extension(format!("{}.part", cloud.key()));
    let written = postcard::to_allocvec(&(mark, key, found))
        .map_err(std::io::Error::other)
        .and_then(|bytes| fs::write(&part, bytes))
        .and_then(|()| fs::rename(&part, &target));
    if let Err(e) = written {
        let _ = fs::remove_file(&part);
        tracing::warn!(error = %e, "the attention check was not kept");
    }
}

/// The verdicts kept for the list with `mark` under `key`, if any.
pub fn read_attention(
    dir: &Path,
    cloud: Cloud,
    mark: u128,
    key: u64,
) -> Option<Vec<(String, String)>> {
    let bytes = fs::read(attention_path(dir, cloud)).ok()?;
    let (kept_mark, kept_key, found): (u128, u64, Vec<(String, String)>) =
        postcard::from_bytes(&bytes).ok()?;
    (kept_mark == mark && kept_key == key).then_some(found)
}

/// The whole list kept beside the head (`Listing::write_snapshot`), after
/// a mark that tells this copy from any other: a start reads the list
/// before it has the store's lock, and checks once it has it that the
/// same copy is still there (any write in between deletes it).
fn list_path(dir: &Path, cloud: Cloud) -> PathBuf {
    dir.join(format!("list.{}", cloud.key()))
}

/// The whole list kept for `cloud` and its mark, if there is a sound one.
pub fn read_list(dir: &Path, cloud: Cloud) -> Option<(u128, Listing)> {
    let mut input = std::io::BufReader::new(fs::File::open(list_path(dir, cloud)).ok()?);
    let mut mark = [0u8; 16];
    input.read_exact(&mut mark).ok()?;
    let listing = Listing::read_snapshot(cloud, &mut input).ok()?;
    Some((u128::from_le_bytes(mark), listing))
}

/// The mark of the list kept for `cloud`, if one is.
pub fn kept_list_mark(dir: &Path, cloud: Cloud) -> Option<u128> {
    let mut mark = [0u8; 16];
    fs::File::open(list_path(dir, cloud))
        .and_then(|mut f| f.read_exact(&mut mark))
        .ok()?;
    Some(u128::from_le_bytes(mark))
}

impl SledStore {
    /// After this store was written to: keeps every cloud's head, so the
    /// next start of the app need not wait for sled.
    pub fn renew_heads(&self) {
        if self.writes() > 0 {
            for cloud in Cloud::ALL {
                self.keep_current_head(cloud);
            }
        }
    }

    /// Keeps `cloud`'s head as the store holds it now. (Only a speed-up: a
    /// failure is logged, not reported.)
    pub fn keep_current_head(&self, cloud: Cloud) {
        if let Err(e) = self
            .current_head(cloud)
            .and_then(|head| self.keep_head(cloud, &head))
        {
            tracing::warn!(kind = e.kind(), "the list's head was not kept");
        }
    }

    fn current_head(&self, cloud: Cloud) -> Result<Head, StoreError> {
        let mut rows = Vec::with_capacity(HEAD_ROWS);
        for item in self
            .trees
            .name
            .scan_prefix(super::keys::cloud_prefix(cloud))
            .take(HEAD_ROWS)
        {
            let (key, value) = item.map_err(|e| self.fail(e))?;
            rows.push(super::keys::decode_row(&key, &value)?.to_row());
        }
        let first = match rows.first() {
            Some(row) => self.get(cloud, &row.id)?,
            None => None,
        };
        Ok(Head {
            total: self.count(cloud)?,
            rows,
            first,
        })
    }

    /// Keeps `listing`, which must be the cloud's whole list as stored now,
    /// for the next start. (Only a speed-up: a failure is logged.)
    pub fn keep_list(&self, cloud: Cloud, listing: &Listing) {
        let target = list_path(&self.dir, cloud);
        let part = target.with_extension(format!("{}.part", cloud.key()));
        let written = fs::File::create(&part).and_then(|file| {
            let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
            out.write_all(&uuid::Uuid::new_v4().as_u128().to_le_bytes())?;
            listing.write_snapshot(&mut out)?;
            out.into_inner()
                .map_err(std::io::IntoInnerError::into_error)?;
            fs::rename(&part, &target)
        });
        if let Err(e) = written {
            let _ = fs::remove_file(&part);
            tracing::warn!(error = %e, "the list was not kept");
        }
    }

    /// Keeps `head` for the next start (written whole, then renamed in).
    pub fn keep_head(&self, cloud: Cloud, head: &Head) -> Result<(), StoreError> {
        let bytes = postcard::to_allocvec(head).map_err(error::encoding)?;
        let target = path(&self.dir, cloud);
        let part = target.with_extension(format!("{}.part", cloud.key()));
        fs::write(&part, bytes)
            .and_then(|()| fs::rename(&part, &target))
            .map_err(|e| self.fail(e))
    }
}
