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
use super::{META_SCHEMA, SCHEMA_VERSION, SledStore, StoreError, sled_error};
use crate::store::backend::Txn;
use crate::store::error::{self, damaged};

/// How many entries go into one batch of the schema-3 rewrite.
const BATCH: usize = 10_000;

impl SledStore {
    /// Brings a schema-1, -2 or -4 store up to `SCHEMA_VERSION`, each in one
    /// transaction; refuses a store written by a newer konto. A schema-3
    /// store is left to `from_v3` (see `StoreLock::open`).
    pub(super) fn upgrade_schema(&self) -> Result<(), StoreError> {
        let found = match self.schema()? {
            Some(v) if v == SCHEMA_VERSION => return Ok(()),
            Some(v) if v > SCHEMA_VERSION => {
                return Err(StoreError::TooNew {
                    path: self.dir.clone(),
                    found: v,
                });
            }
            // Schema 5 only adds a kind of key (a bulk write's batch
            // entry): a schema-4 store is one already.
            Some(4) => {
                self.trees
                    .meta
                    .insert(META_SCHEMA, &SCHEMA_VERSION.to_be_bytes())
                    .map_err(|e| self.fail(e))?;
                return self.make_durable();
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
        Some(TreeKind::Meta) if key == META_SCHEMA => Ok(SCHEMA_VERSION.to_be_bytes().to_vec()),
        _ => Ok(value.to_vec()),
    }
}

/// Copies every tree of a schema-3 database into `fresh`, re-encoded.
pub(super) fn from_v3(dir: &Path, old: &sled::Db, fresh: &sled::Db) -> Result<(), StoreError> {
    let fail = |e: sled::Error| error::unreadable(dir, e);
    for name in old.tree_names() {
        let from = old.open_tree(&name).map_err(fail)?;
        let to = fresh.open_tree(&name).map_err(fail)?;
        let mut batch = sled::Batch::default();
        let mut pending = 0;
        for item in from.iter() {
            let (key, value) = item.map_err(fail)?;
            batch.insert(key.as_ref(), convert_v3(&name, &key, &value)?);
            pending += 1;
            if pending == BATCH {
                to.apply_batch(std::mem::take(&mut batch)).map_err(fail)?;
                pending = 0;
            }
        }
        to.apply_batch(batch).map_err(fail)?;
    }
    Ok(())
}
