//! Reading the audit trail: a customer's entries are its own
//! (`cloud \0 id \0 version`), except the first version of a customer a bulk
//! write created, which its batch's one entry stands for (`keys::batch_key`,
//! schema 5) and which is put together here, so that every reader sees one
//! entry per version as before.

use std::collections::HashMap;
use std::iter::Peekable;

use super::keys::{self, audit_prefix, batch_key, creation_entry, decode};
use super::{SledStore, StoreError};
use crate::domain::{AuditEntry, Cloud, Customer};

impl SledStore {
    /// The audit entries of one customer, oldest first.
    pub fn history(&self, cloud: Cloud, id: &str) -> Result<Vec<AuditEntry>, StoreError> {
        let mut entries = self
            .trees
            .audit
            .scan_prefix(audit_prefix(cloud, id))
            .map(|item| {
                let (key, value) = item.map_err(|e| self.fail(e))?;
                keys::decode_audit(&key, &value)
            })
            .collect::<Result<Vec<_>, _>>()?;
        if entries.first().is_none_or(|e| e.version != 1)
            && let Some(c) = self.get(cloud, id)?
            && let Some(first) = batch_creation(&c, |key| {
                self.trees.audit.get(key).map_err(|e| self.fail(e))
            })?
        {
            entries.insert(0, first);
        }
        Ok(entries)
    }

    /// Every audit entry of every customer of a cloud, one at a time, in
    /// id and version order.
    pub fn each_history_entry(
        &self,
        cloud: Cloud,
    ) -> impl Iterator<Item = Result<AuditEntry, StoreError>> + '_ {
        let own = self
            .trees
            .audit
            .scan_prefix(keys::cloud_prefix(cloud))
            .map(|item| {
                let (key, value) = item.map_err(|e| self.fail(e))?;
                keys::decode_audit(&key, &value)
            });
        // The batches are few (one per bulk write): held by creation time.
        let batches = self.batches(cloud);
        let created = match &batches {
            Ok(b) if b.is_empty() => None,
            _ => Some(self.batch_creations(cloud, batches)),
        };
        WithCreations {
            own: own.peekable(),
            created: created.map(Iterator::peekable),
        }
    }

    /// A cloud's batch entries by the creation time they stand for.
    fn batches(&self, cloud: Cloud) -> Result<HashMap<Vec<u8>, Vec<u8>>, StoreError> {
        self.trees
            .audit
            .scan_prefix(keys::batch_prefix(cloud))
            .map(|item| {
                let (key, value) = item.map_err(|e| self.fail(e))?;
                Ok((key.to_vec(), value.to_vec()))
            })
            .collect()
    }

    /// The creation entries of the customers (in id order) that a batch
    /// created.
    fn batch_creations(
        &self,
        cloud: Cloud,
        batches: Result<HashMap<Vec<u8>, Vec<u8>>, StoreError>,
    ) -> impl Iterator<Item = Result<AuditEntry, StoreError>> + '_ {
        let (batches, failed) = match batches {
            Ok(b) => (b, None),
            Err(e) => (HashMap::new(), Some(Err(e))),
        };
        let records = self.customers_tree(cloud).iter();
        failed.into_iter().chain(records.filter_map(move |item| {
            let found = item.map_err(|e| self.fail(e)).and_then(|(key, value)| {
                let c = decode(cloud, &key, &value)?;
                let batch = batch_key(cloud, &c.created);
                match batches.get(&batch) {
                    Some(bytes) => creation_entry(&c, &batch, bytes).map(Some),
                    None => Ok(None),
                }
            });
            found.transpose()
        }))
    }
}

/// The first entry of `c` if a bulk write created it, its batch's entry
/// read with `get` (from the audit tree, or within a transaction).
pub(super) fn batch_creation<E: From<StoreError>>(
    c: &Customer,
    get: impl FnOnce(&[u8]) -> Result<Option<sled::IVec>, E>,
) -> Result<Option<AuditEntry>, E> {
    let key = batch_key(c.cloud, &c.created);
    match get(&key)? {
        Some(bytes) => Ok(Some(creation_entry(c, &key, &bytes)?)),
        None => Ok(None),
    }
}

/// A cloud's own entries with the batch creations merged in, by id: a
/// customer's creation comes before its later versions, unless it has an
/// entry of its own for version 1 (then that one is its creation).
struct WithCreations<O: Iterator, C: Iterator> {
    own: Peekable<O>,
    created: Option<Peekable<C>>,
}

impl<O, C> Iterator for WithCreations<O, C>
where
    O: Iterator<Item = Result<AuditEntry, StoreError>>,
    C: Iterator<Item = Result<AuditEntry, StoreError>>,
{
    type Item = Result<AuditEntry, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        let Some(created) = self.created.as_mut() else {
            return self.own.next();
        };
        loop {
            let (Some(Ok(c)), Some(Ok(e))) = (created.peek(), self.own.peek()) else {
                // An error, or one side done: errors first, then what is left.
                return match (created.peek(), self.own.peek()) {
                    (Some(Err(_)), _) | (Some(_), None) => created.next(),
                    _ => self.own.next(),
                };
            };
            match c.id.as_bytes().cmp(e.id.as_bytes()) {
                std::cmp::Ordering::Less => return created.next(),
                std::cmp::Ordering::Greater => return self.own.next(),
                // Its own first entry stands.
                std::cmp::Ordering::Equal if e.version == 1 => {
                    created.next();
                }
                std::cmp::Ordering::Equal => return created.next(),
            }
        }
    }
}
