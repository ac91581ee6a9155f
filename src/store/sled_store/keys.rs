//! How records, audit entries and index entries are keyed and encoded.
//!
//! Values are postcard (a compact binary serde format): a record takes about
//! a third of its JSON size, which is what keeps a million customers' store
//! small and an import fast. JSON stays the exchange format (export/import).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{
    AuditAction, AuditEntry, BillingProfile, BillingView, Cloud, CompanyProfile, CompanyView,
    Customer, CustomerView, FieldChange, PurchasePermissions, Role, sort_key,
};
use crate::listing::{Row, RowText};

use crate::store::StoreError;
use crate::store::error::{damaged, encoding};

/// A point in time as stored: seconds and nanoseconds since 1970 (two
/// varints, 9 bytes), where chrono's serde form is 30 bytes of text.
type Stamp = (i64, u32);

fn stamp(time: &DateTime<Utc>) -> Stamp {
    (time.timestamp(), time.timestamp_subsec_nanos())
}

fn time_of(key: &[u8], (secs, nanos): Stamp) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp(secs, nanos).ok_or_else(|| damaged(key, "time out of range"))
}

fn text_of<'a>(key: &[u8], bytes: &'a [u8]) -> Result<&'a str, StoreError> {
    std::str::from_utf8(bytes).map_err(|e| damaged(key, e))
}

/// A record as stored: its id is its key and its cloud its tree, so
/// neither is repeated in the value (schema 4).
#[derive(Serialize)]
struct StoredCustomerRef<'a> {
    version: u64,
    created: Stamp,
    updated: Stamp,
    company: &'a CompanyProfile,
    billing: &'a BillingProfile,
    permissions: &'a PurchasePermissions,
}

pub fn encode(c: &Customer) -> Result<Vec<u8>, StoreError> {
    postcard::to_allocvec(&StoredCustomerRef {
        version: c.version,
        created: stamp(&c.created),
        updated: stamp(&c.updated),
        company: &c.company,
        billing: &c.billing,
        permissions: &c.permissions,
    })
    .map_err(encoding)
}

/// The record stored under `key` (its id) in `cloud`'s tree.
pub fn decode(cloud: Cloud, key: &[u8], bytes: &[u8]) -> Result<Customer, StoreError> {
    decode_view(cloud, key, bytes).map(|view| view.to_customer())
}

/// A record as stored, its texts borrowed from the stored bytes.
#[derive(Deserialize)]
struct StoredView<'a> {
    version: u64,
    created: Stamp,
    updated: Stamp,
    #[serde(borrow)]
    company: CompanyView<'a>,
    #[serde(borrow)]
    billing: BillingView<'a>,
    permissions: PurchasePermissions,
}

/// The record stored under `key` in `cloud`'s tree, borrowed from `bytes`
/// (what an export writes, without allocating).
pub fn decode_view<'a>(
    cloud: Cloud,
    key: &'a [u8],
    bytes: &'a [u8],
) -> Result<CustomerView<'a>, StoreError> {
    let s: StoredView = postcard::from_bytes(bytes).map_err(|e| damaged(key, e))?;
    Ok(CustomerView {
        id: text_of(key, key)?,
        cloud,
        version: s.version,
        created: time_of(key, s.created)?,
        updated: time_of(key, s.updated)?,
        company: s.company,
        billing: s.billing,
        permissions: s.permissions,
    })
}

/// A list row as the name index stores it: without the id, which ends the
/// key. Fields in `Row`'s order.
#[derive(Serialize, Deserialize)]
struct StoredRow<'a> {
    name: &'a str,
    domain: &'a str,
    contact: &'a str,
    email: &'a str,
    city: &'a str,
    country: &'a str,
    updated: i64,
    version: u64,
}

pub fn encode_row(row: &Row) -> Result<Vec<u8>, StoreError> {
    postcard::to_allocvec(&StoredRow {
        name: &row.name,
        domain: &row.domain,
        contact: &row.contact,
        email: &row.email,
        city: &row.city,
        country: &row.country,
        updated: row.updated,
        version: row.version,
    })
    .map_err(encoding)
}

/// The id a name index key ends in (after the last `\0`: ids hold no
/// control characters).
pub fn id_of_row_key(key: &[u8]) -> Result<&[u8], StoreError> {
    match key.iter().rposition(|&b| b == 0) {
        Some(at) => Ok(&key[at + 1..]),
        None => Err(damaged(key, "no id in the key")),
    }
}

/// A row of the name index, borrowed from its key (the id follows the last
/// `\0`: ids hold no control characters) and value.
pub fn decode_row<'a>(key: &'a [u8], bytes: &'a [u8]) -> Result<RowText<'a>, StoreError> {
    let s: StoredRow = postcard::from_bytes(bytes).map_err(|e| damaged(key, e))?;
    let id = text_of(key, id_of_row_key(key)?)?;
    Ok(RowText {
        id,
        name: s.name,
        domain: s.domain,
        contact: s.contact,
        email: s.email,
        city: s.city,
        country: s.country,
        updated: s.updated,
        version: s.version,
    })
}

/// An audit entry as stored: cloud, id and version are its key; every
/// field always present, which postcard needs (`AuditEntry` leaves empty
/// options out of its JSON).
#[derive(Serialize)]
struct StoredAuditRef<'a> {
    time: Stamp,
    operator: &'a str,
    action: AuditAction,
    changes: &'a [FieldChange],
    reverts: Option<u64>,
    role: Option<Role>,
}

#[derive(Deserialize)]
struct StoredAudit {
    time: Stamp,
    operator: String,
    action: AuditAction,
    changes: Vec<FieldChange>,
    reverts: Option<u64>,
    role: Option<Role>,
}

pub fn encode_audit(e: &AuditEntry) -> Result<Vec<u8>, StoreError> {
    postcard::to_allocvec(&StoredAuditRef {
        time: stamp(&e.time),
        operator: &e.operator,
        action: e.action,
        changes: &e.changes,
        reverts: e.reverts,
        role: e.role,
    })
    .map_err(encoding)
}

/// The cloud a key starts with (`cloud \0 …`) and the rest of the key.
pub fn cloud_and_rest(key: &[u8]) -> Option<(Cloud, &[u8])> {
    let cloud_end = key.iter().position(|&b| b == 0)?;
    let cloud = Cloud::ALL
        .into_iter()
        .find(|c| c.key().as_bytes() == &key[..cloud_end])?;
    Some((cloud, &key[cloud_end + 1..]))
}

/// Cloud, id and version of an audit key (`cloud \0 id \0 version`).
fn audit_key_parts(key: &[u8]) -> Result<(Cloud, &str, u64), StoreError> {
    let bad = || damaged(key, "not an audit key");
    let (cloud, rest) = cloud_and_rest(key).ok_or_else(bad)?;
    let split = rest.len().checked_sub(9).ok_or_else(bad)?;
    let (id, version) = rest.split_at(split);
    if version[0] != 0 {
        return Err(bad());
    }
    let version = <[u8; 8]>::try_from(&version[1..]).map_err(|_| bad())?;
    Ok((cloud, text_of(key, id)?, u64::from_be_bytes(version)))
}

pub fn decode_audit(key: &[u8], bytes: &[u8]) -> Result<AuditEntry, StoreError> {
    let (cloud, id, version) = audit_key_parts(key)?;
    let s: StoredAudit = postcard::from_bytes(bytes).map_err(|e| damaged(key, e))?;
    Ok(AuditEntry {
        time: time_of(key, s.time)?,
        operator: s.operator,
        cloud,
        id: id.to_string(),
        version,
        action: s.action,
        changes: s.changes,
        reverts: s.reverts,
        role: s.role,
    })
}

/// The creation entry shared by every customer one bulk write created
/// (schema 5): such an entry says only who created the customer, when
/// (the record's `created`) and how, so a million of them are one entry,
/// not a million keys (a quarter of what an import inserted into sled).
/// Kept in the audit tree under `batch_key`; a customer created so has no
/// entry of its own for version 1, and reading its history puts one
/// together from this (`creation_entry`).
#[derive(Serialize, Deserialize)]
struct StoredBatch<'a> {
    #[serde(borrow)]
    operator: std::borrow::Cow<'a, str>,
    action: AuditAction,
    role: Option<Role>,
}

/// Whether `entry`, the audit entry of a bulk write's record, is a plain
/// creation that its batch's entry can stand for.
pub fn is_batch_creation(new: &Customer, old: Option<&Customer>, entry: &AuditEntry) -> bool {
    old.is_none()
        && entry.version == 1
        && new.version == 1
        && entry.changes.is_empty()
        && entry.reverts.is_none()
        && entry.time == new.created
}

/// The key of the batch that created customers of `cloud` at `created`:
/// `batch \0 cloud \0 seconds nanoseconds` (no cloud is called "batch").
pub fn batch_key(cloud: Cloud, created: &DateTime<Utc>) -> Vec<u8> {
    let (secs, nanos) = stamp(created);
    let mut key = batch_prefix(cloud);
    key.extend_from_slice(&secs.to_be_bytes());
    key.extend_from_slice(&nanos.to_be_bytes());
    key
}

/// What every batch key of `cloud` starts with.
pub fn batch_prefix(cloud: Cloud) -> Vec<u8> {
    format!("batch\0{}\0", cloud.key()).into_bytes()
}

pub fn encode_batch(entry: &AuditEntry) -> Result<Vec<u8>, StoreError> {
    postcard::to_allocvec(&StoredBatch {
        operator: std::borrow::Cow::Borrowed(&entry.operator),
        action: entry.action,
        role: entry.role,
    })
    .map_err(encoding)
}

/// The version-1 entry of `c`, created by the batch stored as `bytes`.
pub fn creation_entry(c: &Customer, key: &[u8], bytes: &[u8]) -> Result<AuditEntry, StoreError> {
    let s: StoredBatch = postcard::from_bytes(bytes).map_err(|e| damaged(key, e))?;
    Ok(AuditEntry {
        time: c.created,
        operator: s.operator.into_owned(),
        cloud: c.cloud,
        id: c.id.clone(),
        version: 1,
        action: s.action,
        changes: Vec::new(),
        reverts: None,
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

/// The trees of konto's database (sled also has a default one, unused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeKind {
    /// A cloud's records by id.
    Customers(Cloud),
    Audit,
    Index(Index),
    /// Schema version, seeded flag, customer counts.
    Meta,
}

impl TreeKind {
    pub const ALL: [TreeKind; 6] = [
        TreeKind::Customers(Cloud::Commercial),
        TreeKind::Customers(Cloud::Usgov),
        TreeKind::Audit,
        TreeKind::Index(Index::Name),
        TreeKind::Index(Index::Domain),
        TreeKind::Meta,
    ];

    /// The tree's name in sled.
    pub fn name(self) -> &'static str {
        match self {
            TreeKind::Customers(Cloud::Commercial) => "customers/commercial",
            TreeKind::Customers(Cloud::Usgov) => "customers/usgov",
            TreeKind::Audit => "audit",
            TreeKind::Index(Index::Name) => "index/name",
            TreeKind::Index(Index::Domain) => "index/domain",
            TreeKind::Meta => "meta",
        }
    }

    /// The tree sled names `name`, if it is one of konto's.
    pub fn of_name(name: &[u8]) -> Option<TreeKind> {
        TreeKind::ALL
            .into_iter()
            .find(|t| t.name().as_bytes() == name)
    }
}

/// The key of a record in an index: `cloud \0 folded-name \0 id` (names need
/// not be unique, so the id makes the key unique), or the entry key of its
/// domain in its bucket (`domains.rs`).
pub fn index_key(index: Index, c: &Customer) -> Vec<u8> {
    match index {
        Index::Name => {
            let mut key = cloud_prefix(c.cloud);
            key.extend_from_slice(sort_key(c).0.as_bytes());
            key.push(0);
            key.extend_from_slice(c.id.as_bytes());
            key
        }
        Index::Domain => super::domains::entry_key(c.cloud, &c.company.domain),
    }
}

/// What an index entry holds for a record.
pub fn index_value(index: Index, c: &Customer) -> Result<Vec<u8>, StoreError> {
    match index {
        Index::Name => encode_row(&Row::of(c)),
        Index::Domain => Ok(c.id.as_bytes().to_vec()),
    }
}

/// Today's stored layout (schema 5), checked in as bytes under
/// `tests/fixtures/schema-5/`: postcard is positional, so a field added to
/// a stored struct makes every existing store undecodable, and tests that
/// make fresh stores never notice. These do: a layout change fails them
/// until it comes with a schema bump and an upgrade step (and new
/// fixtures, written with `KONTO_WRITE_FIXTURES=1`).
#[cfg(test)]
mod stored_layout {
    use super::*;
    use crate::domain::{AuditAction, FieldChange, Role};

    const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/schema-5");

    fn customer() -> Customer {
        let mut c = crate::demo::sample_customer();
        c.version = 3;
        c.updated = DateTime::from_timestamp(1_764_000_000, 123_456_789).unwrap_or_default();
        c.permissions.azure_savings_plan = true;
        c.billing.address.line2 = "Hinterhaus".into();
        c
    }

    fn entry() -> AuditEntry {
        let c = customer();
        AuditEntry {
            time: c.updated,
            operator: "anna".into(),
            cloud: c.cloud,
            id: c.id.clone(),
            version: c.version,
            action: AuditAction::Revert,
            changes: vec![FieldChange {
                field: "billing.address.line2".into(),
                old: String::new(),
                new: "Hinterhaus".into(),
            }],
            reverts: Some(2),
            role: Some(Role::Sales),
        }
    }

    /// The checked-in bytes of `name` (written anew when asked to).
    fn fixture(name: &str, today: &[u8]) -> Vec<u8> {
        let path = format!("{DIR}/{name}");
        if std::env::var_os("KONTO_WRITE_FIXTURES").is_some() {
            std::fs::create_dir_all(DIR).unwrap();
            std::fs::write(&path, today).unwrap();
        }
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn records_rows_audit_and_batch_entries_of_schema_5_read_and_write_alike() {
        assert_eq!(SCHEMA_VERSION_OF_FIXTURES, crate::store::SCHEMA_VERSION);
        let c = customer();
        let record = fixture("record.postcard", &encode(&c).unwrap());
        assert_eq!(decode(c.cloud, c.id.as_bytes(), &record).unwrap(), c);
        assert_eq!(encode(&c).unwrap(), record, "the record's layout changed");

        let row = Row::of(&c);
        let stored_row = fixture("row.postcard", &encode_row(&row).unwrap());
        let key = index_key(Index::Name, &c);
        assert_eq!(decode_row(&key, &stored_row).unwrap().to_row(), row);
        assert_eq!(
            encode_row(&row).unwrap(),
            stored_row,
            "the row's layout changed"
        );

        let e = entry();
        let stored_entry = fixture("audit.postcard", &encode_audit(&e).unwrap());
        let key = audit_key(e.cloud, &e.id, e.version);
        assert_eq!(decode_audit(&key, &stored_entry).unwrap(), e);
        assert_eq!(
            encode_audit(&e).unwrap(),
            stored_entry,
            "the audit layout changed"
        );

        let mut created = e.clone();
        (
            created.time,
            created.version,
            created.changes,
            created.reverts,
        ) = (c.created, 1, Vec::new(), None);
        let first = Customer {
            version: 1,
            ..c.clone()
        };
        assert!(is_batch_creation(&first, None, &created));
        let batch = fixture("batch.postcard", &encode_batch(&created).unwrap());
        let key = batch_key(c.cloud, &c.created);
        assert_eq!(creation_entry(&first, &key, &batch).unwrap(), created);
        assert_eq!(
            encode_batch(&created).unwrap(),
            batch,
            "the batch layout changed"
        );
    }

    #[test]
    fn only_a_plain_creation_is_left_to_its_batch() {
        let c = Customer {
            version: 1,
            ..customer()
        };
        let mut created = entry();
        (
            created.time,
            created.version,
            created.changes,
            created.reverts,
        ) = (c.created, 1, Vec::new(), None);
        assert!(is_batch_creation(&c, None, &created));
        assert!(!is_batch_creation(&c, Some(&c), &created), "an update");
        let later = AuditEntry {
            time: c.updated,
            ..created.clone()
        };
        assert!(!is_batch_creation(&c, None, &later), "not at its creation");
        let with_changes = AuditEntry {
            changes: entry().changes,
            ..created.clone()
        };
        assert!(!is_batch_creation(&c, None, &with_changes), "says more");
    }

    /// The schema the fixtures were written with: bump it with them.
    const SCHEMA_VERSION_OF_FIXTURES: u64 = 5;
}
