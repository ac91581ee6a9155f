//! How records, audit entries and index entries are keyed and encoded.
//!
//! Values are postcard (a compact binary serde format): a record takes about
//! a third of its JSON size, which is what keeps a million customers' store
//! small and an import fast. JSON stays the exchange format (export/import).

use serde::{Deserialize, Serialize};

use crate::domain::{AuditAction, AuditEntry, Cloud, Customer, FieldChange, Role, sort_key};
use crate::listing::{Row, RowText};

use super::StoreError;
use super::error::{damaged, encoding};

pub fn encode(c: &Customer) -> Result<Vec<u8>, StoreError> {
    postcard::to_allocvec(c).map_err(encoding)
}

pub fn decode(key: &[u8], bytes: &[u8]) -> Result<Customer, StoreError> {
    postcard::from_bytes(bytes).map_err(|e| damaged(key, e))
}

/// A record as schema 2 stored it (JSON); read once, by the upgrade.
pub fn decode_json(key: &[u8], bytes: &[u8]) -> Result<Customer, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| damaged(key, e))
}

pub fn encode_row(row: &Row) -> Result<Vec<u8>, StoreError> {
    postcard::to_allocvec(row).map_err(encoding)
}

pub fn decode_row<'a>(key: &[u8], bytes: &'a [u8]) -> Result<RowText<'a>, StoreError> {
    postcard::from_bytes(bytes).map_err(|e| damaged(key, e))
}

/// An audit entry as stored: every field always present, which postcard
/// needs (`AuditEntry` leaves empty options out of its JSON).
#[derive(Serialize, Deserialize)]
struct StoredAudit {
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

pub fn encode_audit(e: &AuditEntry) -> Result<Vec<u8>, StoreError> {
    let stored = StoredAudit {
        time: e.time,
        operator: e.operator.clone(),
        cloud: e.cloud,
        id: e.id.clone(),
        version: e.version,
        action: e.action,
        changes: e.changes.clone(),
        reverts: e.reverts,
        role: e.role,
    };
    postcard::to_allocvec(&stored).map_err(encoding)
}

pub fn decode_audit(key: &[u8], bytes: &[u8]) -> Result<AuditEntry, StoreError> {
    let s: StoredAudit = postcard::from_bytes(bytes).map_err(|e| damaged(key, e))?;
    Ok(AuditEntry {
        time: s.time,
        operator: s.operator,
        cloud: s.cloud,
        id: s.id,
        version: s.version,
        action: s.action,
        changes: s.changes,
        reverts: s.reverts,
        role: s.role,
    })
}

pub fn cloud_prefix(cloud: Cloud) -> Vec<u8> {
    format!("{}\0", cloud.key()).into_bytes()
}

pub fn audit_prefix(cloud: Cloud, id: &str) -> Vec<u8> {
    format!("{}\0{id}\0", cloud.key()).into_bytes()
}

/// Versions are big-endian so a customer's entries sort oldest first.
pub fn audit_key(cloud: Cloud, id: &str, version: u64) -> Vec<u8> {
    let mut key = audit_prefix(cloud, id);
    key.extend_from_slice(&version.to_be_bytes());
    key
}

/// The key of a cloud's customer count in the meta tree.
pub fn count_key(cloud: Cloud) -> Vec<u8> {
    format!("count\0{}", cloud.key()).into_bytes()
}

/// The secondary indexes, in the order the store keeps their trees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Index {
    /// Company name in list order (accent- and case-folded), then id; the
    /// value is the customer's list `Row`, so the list loads from it alone.
    Name,
    /// Primary domain (unique per cloud); the value is the id.
    Domain,
}

pub const INDEXES: [Index; 2] = [Index::Name, Index::Domain];

pub fn domain_key(cloud: Cloud, domain: &str) -> Vec<u8> {
    let mut key = cloud_prefix(cloud);
    key.extend_from_slice(domain.trim().to_lowercase().as_bytes());
    key
}

/// The key of a record in an index: `cloud \0 folded-name \0 id` (names need
/// not be unique, so the id makes the key unique) or `cloud \0 domain`.
pub fn index_key(index: Index, c: &Customer) -> Vec<u8> {
    match index {
        Index::Name => {
            let mut key = cloud_prefix(c.cloud);
            key.extend_from_slice(sort_key(c).0.as_bytes());
            key.push(0);
            key.extend_from_slice(c.id.as_bytes());
            key
        }
        Index::Domain => domain_key(c.cloud, &c.company.domain),
    }
}

/// What an index entry holds for a record.
pub fn index_value(index: Index, c: &Customer) -> Result<Vec<u8>, StoreError> {
    match index {
        Index::Name => encode_row(&Row::of(c)),
        Index::Domain => Ok(c.id.as_bytes().to_vec()),
    }
}
