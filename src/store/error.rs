//! What can go wrong in the store, worded for the operator.

use std::path::{Path, PathBuf};

use crate::domain::label_for_key;
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
}

fn labels(keys: &[String]) -> String {
    keys.iter()
        .map(|k| label_for_key(k))
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::InUse(path) => write!(
                f,
                "the store at {} is in use by another konto process",
                path.display()
            ),
            StoreError::Unreadable { path, reason } => write!(
                f,
                "the store at {} cannot be read ({reason}); check the path and its permissions",
                path.display()
            ),
            StoreError::Damaged {
                path,
                reason,
                backup,
            } => {
                write!(
                    f,
                    "the store at {} cannot be opened ({reason}); konto has not changed it. ",
                    path.display()
                )?;
                match backup {
                    Some(b) => write!(
                        f,
                        "The newest backup is {}: `konto restore {} --data-dir NEW_DIR` rebuilds a store from it",
                        b.display(),
                        b.display()
                    ),
                    None => write!(
                        f,
                        "There is no backup in {}",
                        path.join("backups").display()
                    ),
                }
            }
            StoreError::TooNew { path, found } => write!(
                f,
                "the store at {} was written by a newer konto (schema {found}; this one knows up to {}); use that konto",
                path.display(),
                super::SCHEMA_VERSION
            ),
            StoreError::BadRecord { key, reason } => {
                write!(f, "stored item {key} cannot be read: {reason}")
            }
            StoreError::NotFound(id) => write!(f, "no customer with id {id}"),
            StoreError::Conflict {
                id,
                based_on,
                stored,
                fields,
            } => {
                write!(
                    f,
                    "customer {id} changed meanwhile: your edit is based on version {based_on}, the store has version {stored}"
                )?;
                if !fields.is_empty() {
                    write!(f, " (changed since: {})", labels(fields))?;
                }
                Ok(())
            }
            StoreError::Invalid(errors) => {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                write!(f, "invalid record: {}", list.join("; "))
            }
            StoreError::NoSuchChange { id, version } => {
                write!(
                    f,
                    "customer {id} has no recorded change for version {version}"
                )
            }
            StoreError::RevertBlocked {
                version,
                later,
                fields,
            } => write!(
                f,
                "cannot revert version {version}: the later version {later} changed {} too; revert that first",
                labels(fields)
            ),
            StoreError::BadBackup { path, reason } => write!(
                f,
                "cannot restore {}: {reason}; nothing was written",
                path.display()
            ),
        }
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
