//! Bringing a store written by an older konto up to `SCHEMA_VERSION`.
//!
//! Schemas 1 and 2 kept JSON values: they are read whole and written back
//! in one transaction (they predate large stores). Schema 3 kept postcard
//! values that repeated the id, the cloud and times as text; a store of that
//! layout can hold a million customers, so it is rewritten tree by tree into
//! a fresh database that is swapped in, as a compaction is (`rebuild`).

use std::path::Path;

use serde::Deserialize;

use crate::domain::{AuditAction, AuditEntry, Cloud, Customer, FieldChange, Role};
use crate::listing::Row;

use super::keys::{self, Index, TreeKind};
use super::staging::Staging;
use super::{META_SCHEMA, SCHEMA_VERSION, SledStore, StoreError, domains, sled_error};
use crate::store::backend::Txn;
use crate::store::error::{self, damaged};

impl SledStore {
    /// Brings a schema-1 or -2 store up to `SCHEMA_VERSION` in one
    /// transaction; refuses a store written by a newer konto. Schema-3 and
    /// -4 stores are left to `from_v3` and `from_v4` (see `StoreLock::open`).
    pub(super) fn upgrade_schema(&self) -> Result<(), StoreError> {
        let found = match self.schema()? {
            Some(v) if v == SCHEMA_VERSION => return Ok(()),
            Some(v) if v > SCHEMA_VERSION => {
                return Err(StoreError::TooNew {
                    path: self.dir.clone(),
                    found: v,
                });
            }
            Some(v) => v,
            // No schema key: a new store, or one from before it existed (1).
            None => 1,
        };
        // Every older layout kept JSON values: read them all, write them
        // back with the indexes, list rows and counts rebuilt.
        let mut records = Vec::new();
        for tree in [&self.trees.commercial, &self.trees.usgov] {
            for item in tree.iter() {
                let (key, value) = item.map_err(|e| self.fail(e))?;
                records.push(
                    serde_json::from_slice::<Customer>(&value).map_err(|e| damaged(&key, e))?,
                );
            }
        }
        let mut entries = Vec::new();
        for item in self.trees.audit.iter() {
            let (key, value) = item.map_err(|e| self.fail(e))?;
            let entry: AuditEntry = serde_json::from_slice(&value).map_err(|e| damaged(&key, e))?;
            entries.push(entry);
        }
        self.trees.name.clear().map_err(|e| self.fail(e))?;
        self.trees.domain.clear().map_err(|e| self.fail(e))?;
        self.transact_trees(|tx| {
            for cloud in Cloud::ALL {
                tx.meta.remove(keys::count_key(cloud)).map_err(sled_error)?;
            }
            for c in &records {
                tx.put(None, c)?;
            }
            for e in &entries {
                tx.put_audit(e)?;
            }
            tx.meta
                .insert(META_SCHEMA, &SCHEMA_VERSION.to_be_bytes())
                .map_err(sled_error)?;
            Ok(())
        })?;
        if found >= 2 {
            self.db.drop_tree("index/email").map_err(|e| self.fail(e))?;
        }
        self.make_durable()
    }
}

/// An audit entry as schema 3 stored it.
#[derive(Deserialize)]
struct AuditV3 {
    time: chrono::DateTime<chrono::Utc>,
    operator: String,
    cloud: Cloud,
    id: String,
    version: u64,
    action: AuditAction,
    changes: Vec<FieldChange>,
    reverts: Option<u64>,
    role: Option<Role>,
}

/// Re-encodes one schema-3 value of `tree` in the current layout; values of
/// trees whose layout did not change come back as they are.
fn convert_v3(tree: &[u8], key: &[u8], value: &[u8]) -> Result<Vec<u8>, StoreError> {
    match TreeKind::of_name(tree) {
        Some(TreeKind::Customers(_)) => {
            let c: Customer = postcard::from_bytes(value).map_err(|e| damaged(key, e))?;
            keys::encode(&c)
        }
        Some(TreeKind::Audit) => {
            let a: AuditV3 = postcard::from_bytes(value).map_err(|e| damaged(key, e))?;
            keys::encode_audit(&AuditEntry {
                time: a.time,
                operator: a.operator,
                cloud: a.cloud,
                id: a.id,
                version: a.version,
                action: a.action,
                changes: a.changes,
                reverts: a.reverts,
                role: a.role,
            })
        }
        Some(TreeKind::Index(Index::Name)) => {
            let row: Row = postcard::from_bytes(value).map_err(|e| damaged(key, e))?;
            keys::encode_row(&row)
        }
        // A schema-4 store, which `from_v4` then brings up to date.
        Some(TreeKind::Meta) if key == META_SCHEMA => Ok(4u64.to_be_bytes().to_vec()),
        _ => Ok(value.to_vec()),
    }
}

/// Copies every tree of a schema-3 database into `fresh`, re-encoded.
pub(super) fn from_v3(dir: &Path, old: &sled::Db, fresh: &sled::Db) -> Result<(), StoreError> {
    let fail = |e: sled::Error| error::unreadable(dir, e);
    for name in old.tree_names() {
        let from = old.open_tree(&name).map_err(fail)?;
        let to = fresh.open_tree(&name).map_err(fail)?;
        copy_converted(dir, &from, &to, |key, value| convert_v3(&name, key, value))?;
    }
    Ok(())
}

/// Copies `from` into `to` in key order and batches, each value as
/// `convert` makes it. Measured on a 1M schema-4 store, a thread per tree:
/// batches of 1,000 took 59 s and left 1.41 GB; single inserts 48 s but
/// 1.73 GB (one thread with batches of 10,000: 70 s, 1.32 GB).
fn copy_converted(
    dir: &Path,
    from: &sled::Tree,
    to: &sled::Tree,
    convert: impl Fn(&[u8], &[u8]) -> Result<Vec<u8>, StoreError>,
) -> Result<(), StoreError> {
    let fail = |e: sled::Error| error::unreadable(dir, e);
    let mut batch = sled::Batch::default();
    let mut pending = 0;
    for item in from.iter() {
        let (key, value) = item.map_err(fail)?;
        batch.insert(key.as_ref(), convert(&key, &value)?);
        pending += 1;
        if pending == BATCH {
            to.apply_batch(std::mem::take(&mut batch)).map_err(fail)?;
            pending = 0;
        }
    }
    to.apply_batch(batch).map_err(fail)
}

/// How many entries an upgrade applies at a time.
const BATCH: usize = 1_000;

/// Copies every tree of a schema-4 database into `fresh`: the domain index
/// packed into buckets (`domains.rs`; its entries staged in sorted runs, as
/// a bulk write's are, since a million of them are not held in memory), the
/// schema marked 5, the rest as it is. The batch entries schema 5 adds are
/// only written by later bulk writes.
pub(super) fn from_v4(dir: &Path, old: &sled::Db, fresh: &sled::Db) -> Result<(), StoreError> {
    super::bulk::per_tree(dir, old, |name| tree_from_v4(dir, old, fresh, name))
}

/// `from_v4` for one tree.
fn tree_from_v4(
    dir: &Path,
    old: &sled::Db,
    fresh: &sled::Db,
    name: &[u8],
) -> Result<(), StoreError> {
    let fail = |e: sled::Error| error::unreadable(dir, e);
    let domain = TreeKind::Index(Index::Domain);
    let (from, to) = super::bulk::tree_pair(dir, old, fresh, name)?;
    if TreeKind::of_name(name) == Some(domain) {
        let mut staging = Staging::new(dir)?;
        for item in from.iter() {
            let (key, id) = item.map_err(fail)?;
            let (cloud, domain_name) = v4_domain_key(&key)?;
            let entry = domains::entry_key(cloud, domain_name);
            staging.add_entry(domain, entry, id.to_vec())?;
        }
        staging.spill()?;
        let none = std::iter::empty();
        return domains::copy(none, &mut staging.merged(domain)?, &to, dir);
    }
    let is_meta = TreeKind::of_name(name) == Some(TreeKind::Meta);
    copy_converted(dir, &from, &to, |key, value| {
        Ok(if is_meta && key == META_SCHEMA {
            SCHEMA_VERSION.to_be_bytes().to_vec()
        } else {
            value.to_vec()
        })
    })
}

/// Cloud and domain of a schema-4 domain index key (`cloud \0 domain`).
fn v4_domain_key(key: &[u8]) -> Result<(Cloud, &str), StoreError> {
    let (cloud, rest) =
        keys::cloud_and_rest(key).ok_or_else(|| damaged(key, "not a domain index key"))?;
    let domain = std::str::from_utf8(rest).map_err(|e| damaged(key, e))?;
    Ok((cloud, domain))
}
