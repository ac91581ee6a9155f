//! The boundary between konto's rules (the `store` module) and a database.
//!
//! A backend offers reads and one kind of write: a transaction in which
//! the rules read what is stored, decide, and write records and audit
//! entries. Everything a rule decides (validation, versions, audit
//! entries, the revert rule, import planning) is written once, above this
//! boundary, and holds on every backend.

use crate::domain::{AuditEntry, Cloud, Customer};

use super::StoreError;

/// Why a transaction stopped.
#[derive(Debug)]
pub(crate) enum TxError {
    /// Refused (a conflict, an invalid record, a storage error): nothing of
    /// the transaction is written, and the error is the caller's.
    Abort(StoreError),
    /// Another transaction got in the way: the backend runs this one again
    /// from the start (the rules read what is stored anew).
    Retry,
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> TxError {
        TxError::Abort(e)
    }
}

pub(crate) type TxResult<T> = Result<T, TxError>;

/// What a transaction may do. Reads see the transaction's own writes; a
/// record read with `get` stays as read until the transaction ends (sled
/// retries on a conflicting write, PostgreSQL locks the row).
pub(crate) trait Txn {
    fn get(&self, cloud: Cloud, id: &str) -> TxResult<Option<Customer>>;
    /// Writes `new`, replacing `old` (None: a new customer).
    fn put(&self, old: Option<&Customer>, new: &Customer) -> TxResult<()>;
    fn remove(&self, c: &Customer) -> TxResult<()>;
    fn put_audit(&self, entry: &AuditEntry) -> TxResult<()>;
    fn remove_audit(&self, cloud: Cloud, id: &str, version: u64) -> TxResult<()>;
    fn audit_entry(&self, cloud: Cloud, id: &str, version: u64) -> TxResult<Option<AuditEntry>>;
    /// Records that the store has had its first start (demo data or not).
    fn mark_seeded(&self) -> TxResult<()>;
}

/// One record of a bulk write: the stored version it replaces (if any),
/// the new one, and its audit entry.
pub struct Write<'a> {
    pub old: Option<&'a Customer>,
    pub new: &'a Customer,
    pub entry: AuditEntry,
}
