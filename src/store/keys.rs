//! How records, audit entries and index entries are keyed and encoded.

use crate::domain::{Cloud, Customer, sort_key};

use super::StoreError;
use super::error::{damaged, encoding};

pub fn encode(c: &Customer) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(c).map_err(encoding)
}

pub fn decode(key: &[u8], bytes: &[u8]) -> Result<Customer, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| damaged(key, e))
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

/// The secondary indexes, in the order the store keeps their trees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Index {
    /// Company name in list order (accent- and case-folded), then id.
    Name,
    Domain,
    Email,
}

pub const INDEXES: [Index; 3] = [Index::Name, Index::Domain, Index::Email];

pub fn domain_key(cloud: Cloud, domain: &str) -> Vec<u8> {
    let mut key = cloud_prefix(cloud);
    key.extend_from_slice(domain.trim().to_lowercase().as_bytes());
    key
}

/// The key of a record in an index: `cloud \0 value [\0 id]`. Name and email
/// need not be unique, so the id makes their keys unique; domains are.
pub fn index_key(index: Index, c: &Customer) -> Vec<u8> {
    let mut key = match index {
        Index::Name => {
            let mut k = cloud_prefix(c.cloud);
            k.extend_from_slice(sort_key(c).0.as_bytes());
            k
        }
        Index::Domain => return domain_key(c.cloud, &c.company.domain),
        Index::Email => {
            let mut k = cloud_prefix(c.cloud);
            k.extend_from_slice(c.billing.email.to_lowercase().as_bytes());
            k
        }
    };
    key.push(0);
    key.extend_from_slice(c.id.as_bytes());
    key
}
