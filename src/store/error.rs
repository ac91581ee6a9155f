//! What can go wrong in the store, worded for the operator.

use std::path::{Path, PathBuf};

use crate::domain::label_for_key;
use crate::t;
use crate::validate::FieldError;

#[derive(Debug)]
pub enum StoreError {
    /// Another konto process holds the lock.
    InUse(PathBuf),
    /// The store could not be opened or read.
    Unreadable {
        path: PathBuf,
        reason: String,
    },
    /// sled refused to open the store: it may be damaged.
    Damaged {
        path: PathBuf,
        reason: String,
        backup: Option<PathBuf>,
    },
    /// The store was written by a newer konto.
    TooNew {
        path: PathBuf,
        found: u64,
    },
    /// A stored item does not decode.
    BadRecord {
        key: String,
        reason: String,
    },
    NotFound(String),
    /// The write was based on an older version than the stored one.
    Conflict {
        id: String,
        based_on: u64,
        stored: u64,
        /// Keys of the fields changed since `based_on`.
        fields: Vec<String>,
    },
    Invalid(Vec<FieldError>),
    NoSuchChange {
        id: String,
        version: u64,
    },
    /// A later change touched the same fields as the one to revert.
    RevertBlocked {
        version: u64,
        later: u64,
        fields: Vec<String>,
    },
    /// A backup file that cannot be restored; nothing was written.
    BadBackup {
        path: PathBuf,
        reason: String,
    },
    /// The database server cannot be reached, or refused the login.
    Unreachable {
        store: String,
        reason: String,
    },
    /// A PostgreSQL database that `konto db init` has not set up.
    NotInitialised(String),
    /// A PostgreSQL database set up by a newer konto.
    TooNewDatabase {
        store: String,
        found: i32,
        known: i32,
    },
    /// What only a local (sled) store does, asked of another.
    LocalOnly {
        what: &'static str,
        store: String,
    },
    /// A write that would make a second record where one must be unique
    /// (a customer id, a primary domain), refused by the database.
    Duplicate(String),
    /// Other transactions kept getting in the way; nothing was written.
    Busy(String),
    /// A database that must be empty (to migrate into) holds customers.
    NotEmpty(String),
    /// Several records of one transaction (a bulk change) were based on
    /// older versions: each `Conflict`; nothing was written.
    Conflicts(Vec<StoreError>),
    /// The database refused the write: the login's konto role does not
    /// allow it (SQLSTATE 42501).
    Denied {
        store: String,
        reason: String,
    },
}

fn labels(keys: &[String]) -> String {
    keys.iter()
        .map(|k| label_for_key(k))
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            StoreError::InUse(path) => t!("store.in_use", path = path.display()),
            StoreError::Unreadable { path, reason } => {
                t!("store.unreadable", path = path.display(), reason = reason)
            }
            StoreError::Damaged {
                path,
                reason,
                backup,
            } => {
                let what = t!("store.damaged", path = path.display(), reason = reason);
                let next = match backup {
                    Some(b) => t!("store.damaged_backup", backup = b.display()),
                    None => t!(
                        "store.damaged_no_backup",
                        dir = path.join("backups").display()
                    ),
                };
                format!("{what}{next}")
            }
            StoreError::TooNew { path, found } => t!(
                "store.too_new",
                path = path.display(),
                found = found,
                known = super::SCHEMA_VERSION
            ),
            StoreError::BadRecord { key, reason } => {
                t!("store.bad_record", key = key, reason = reason)
            }
            StoreError::NotFound(id) => t!("store.not_found", id = id),
            StoreError::Conflict {
                id,
                based_on,
                stored,
                fields,
            } => {
                let mut text = t!(
                    "store.conflict",
                    id = id,
                    based_on = based_on,
                    stored = stored
                );
                if !fields.is_empty() {
                    text.push_str(&t!("store.changed_since", fields = labels(fields)));
                }
                text
            }
            StoreError::Invalid(errors) => {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                t!("store.invalid", errors = list.join("; "))
            }
            StoreError::NoSuchChange { id, version } => {
                t!("store.no_such_change", id = id, version = version)
            }
            StoreError::RevertBlocked {
                version,
                later,
                fields,
            } => t!(
                "store.revert_blocked",
                version = version,
                later = later,
                fields = labels(fields)
            ),
            StoreError::BadBackup { path, reason } => {
                t!("store.bad_backup", path = path.display(), reason = reason)
            }
            StoreError::Unreachable { store, reason } => {
                t!("store.unreachable", store = store, reason = reason)
            }
            StoreError::NotInitialised(store) => t!("store.not_initialised", store = store),
            StoreError::TooNewDatabase {
                store,
                found,
                known,
            } => t!(
                "store.too_new_database",
                store = store,
                found = found,
                known = known
            ),
            StoreError::LocalOnly { what, store } => {
                t!("store.local_only", what = what, store = store)
            }
            StoreError::Duplicate(reason) => t!("store.duplicate", reason = reason),
            StoreError::Busy(store) => t!("store.busy", store = store),
            StoreError::NotEmpty(store) => t!("store.not_empty", store = store),
            StoreError::Denied { store, reason } => {
                t!("store.denied", store = store, reason = reason)
            }
            StoreError::Conflicts(each) => {
                let list: Vec<String> = each.iter().map(ToString::to_string).collect();
                t!(
                    "store.conflicts",
                    count = each.len(),
                    list = list.join("; ")
                )
            }
        };
        f.write_str(&text)
    }
}

impl std::error::Error for StoreError {}

impl StoreError {
    /// What kind of error, without any customer data (for the log).
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::InUse(_) => "in use",
            StoreError::Unreadable { .. } => "unreadable",
            StoreError::Damaged { .. } => "damaged",
            StoreError::TooNew { .. } => "too new",
            StoreError::BadRecord { .. } => "bad record",
            StoreError::NotFound(_) => "not found",
            StoreError::Conflict { .. } => "conflict",
            StoreError::Invalid(_) => "invalid",
            StoreError::NoSuchChange { .. } => "no such change",
            StoreError::RevertBlocked { .. } => "revert blocked",
            StoreError::BadBackup { .. } => "bad backup",
            StoreError::Unreachable { .. } => "unreachable",
            StoreError::NotInitialised(_) => "not initialised",
            StoreError::TooNewDatabase { .. } => "too new",
            StoreError::LocalOnly { .. } => "local only",
            StoreError::Duplicate(_) => "duplicate",
            StoreError::Busy(_) => "busy",
            StoreError::NotEmpty(_) => "not empty",
            StoreError::Denied { .. } => "denied",
            StoreError::Conflicts(_) => "conflicts",
        }
    }
}

pub fn unreadable(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

pub fn damaged_store(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Damaged {
        path: path.to_path_buf(),
        reason: e.to_string(),
        backup: super::newest_backup(path),
    }
}

pub fn damaged(key: &[u8], e: impl std::fmt::Display) -> StoreError {
    StoreError::BadRecord {
        key: String::from_utf8_lossy(key).replace('\0', "/"),
        reason: e.to_string(),
    }
}

pub fn encoding(e: impl std::fmt::Display) -> StoreError {
    StoreError::BadRecord {
        key: String::new(),
        reason: e.to_string(),
    }
}
