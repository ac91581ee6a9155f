//! The only module that knows sled.
//!
//! Layout of a data directory:
//! - `konto.lock`: held exclusively while a konto process has the store open;
//! - `sled/`: the database, with one tree of customers per cloud, an `audit`
//!   tree (one entry per committed version) and a `meta` tree.
//!
//! Every change is one multi-tree transaction (record + audit entry), checked
//! against the version it was based on, and made durable before `commit` returns.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use crate::domain::{AuditAction, Cloud, Customer, FieldChange};
use crate::validate::{FieldError, Policy, check_record};

/// Bounded page cache: sled's default (1 GiB) is far more than a laptop should give.
pub const DEFAULT_CACHE_BYTES: u64 = 64 * 1024 * 1024;

const META_SEEDED: &[u8] = b"seeded";

#[derive(Debug)]
pub enum StoreError {
    /// Another konto process holds the lock.
    InUse(PathBuf),
    /// The store could not be opened or read.
    Unreadable {
        path: PathBuf,
        reason: String,
    },
    /// A stored record does not decode.
    Damaged {
        key: String,
        reason: String,
    },
    NotFound(String),
    /// The write was based on an older version than the stored one.
    Conflict {
        id: String,
        based_on: u64,
        stored: u64,
    },
    Invalid(Vec<FieldError>),
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
                "the store at {} cannot be opened ({reason}); check the path and its permissions",
                path.display()
            ),
            StoreError::Damaged { key, reason } => {
                write!(f, "stored record {key} cannot be read: {reason}")
            }
            StoreError::NotFound(id) => write!(f, "no customer with id {id}"),
            StoreError::Conflict {
                id,
                based_on,
                stored,
            } => write!(
                f,
                "customer {id} changed meanwhile: your edit is based on version {based_on}, the store has version {stored}"
            ),
            StoreError::Invalid(errors) => {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                write!(f, "invalid record: {}", list.join("; "))
            }
        }
    }
}

impl std::error::Error for StoreError {}

/// One audit entry: who changed what, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub time: DateTime<Utc>,
    pub operator: String,
    pub cloud: Cloud,
    pub id: String,
    pub version: u64,
    pub action: AuditAction,
    pub changes: Vec<FieldChange>,
}

/// The result of a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Committed {
    /// A new version was written and is durable.
    Saved(Customer),
    /// The proposal equals the stored record: nothing was written.
    Unchanged(Customer),
}

pub struct Store {
    db: sled::Db,
    dir: PathBuf,
    /// The rules every commit is checked against.
    policy: Policy,
    /// Held for the store's lifetime; dropping it releases the lock.
    _lock: File,
}

fn unreadable(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn tree_name(cloud: Cloud) -> String {
    format!("customers/{}", cloud.key())
}

fn audit_key(cloud: Cloud, id: &str, version: u64) -> Vec<u8> {
    let mut key = format!("{}\0{id}\0", cloud.key()).into_bytes();
    key.extend_from_slice(&version.to_be_bytes());
    key
}

impl Store {
    /// Opens (creating if needed) the store in `dir`, refusing if another konto
    /// process has it open.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        create_private_dir(dir).map_err(|e| unreadable(dir, e))?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("konto.lock"))
            .map_err(|e| unreadable(dir, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(StoreError::InUse(dir.to_path_buf())),
            Err(fs::TryLockError::Error(e)) => return Err(unreadable(dir, e)),
        }
        let db = sled::Config::new()
            .path(dir.join("sled"))
            .cache_capacity(cache_bytes)
            .open()
            .map_err(|e| unreadable(dir, e))?;
        Ok(Store {
            db,
            dir: dir.to_path_buf(),
            policy: Policy::default(),
            _lock: lock,
        })
    }

    /// Sets the validation policy (e.g. the partner's own domain) that every
    /// commit must pass.
    pub fn with_policy(mut self, policy: Policy) -> Store {
        self.policy = policy;
        self
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn customers_tree(&self, cloud: Cloud) -> Result<sled::Tree, StoreError> {
        self.db
            .open_tree(tree_name(cloud))
            .map_err(|e| unreadable(&self.dir, e))
    }

    fn tree(&self, name: &str) -> Result<sled::Tree, StoreError> {
        self.db
            .open_tree(name)
            .map_err(|e| unreadable(&self.dir, e))
    }

    /// On the very first start (never seeded, no customers) writes the demo
    /// customers in one transaction. Returns how many were written.
    pub fn seed_if_new(&self, demo: &[Customer]) -> Result<usize, StoreError> {
        let meta = self.tree("meta")?;
        if meta
            .contains_key(META_SEEDED)
            .map_err(|e| unreadable(&self.dir, e))?
        {
            return Ok(0);
        }
        let commercial = self.customers_tree(Cloud::Commercial)?;
        let usgov = self.customers_tree(Cloud::Usgov)?;
        let already = commercial.len() + usgov.len();
        let encoded: Vec<(Cloud, String, Vec<u8>)> = if already == 0 {
            demo.iter()
                .map(|c| Ok((c.cloud, c.id.clone(), encode(c)?)))
                .collect::<Result<_, StoreError>>()?
        } else {
            Vec::new()
        };
        (&commercial, &usgov, &meta)
            .transaction(|(commercial, usgov, meta)| {
                for (cloud, id, bytes) in &encoded {
                    let tree = match cloud {
                        Cloud::Commercial => commercial,
                        Cloud::Usgov => usgov,
                    };
                    tree.insert(id.as_bytes(), bytes.as_slice())?;
                }
                meta.insert(META_SEEDED, &b"1"[..])?;
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })
            .map_err(|e| self.transaction_error(e))?;
        self.make_durable()?;
        Ok(encoded.len())
    }

    pub fn count(&self, cloud: Cloud) -> Result<usize, StoreError> {
        Ok(self.customers_tree(cloud)?.len())
    }

    /// Every customer of a cloud, in storage (id) order.
    pub fn customers(&self, cloud: Cloud) -> Result<Vec<Customer>, StoreError> {
        let tree = self.customers_tree(cloud)?;
        let mut out = Vec::with_capacity(tree.len());
        for item in tree.iter() {
            let (key, value) = item.map_err(|e| unreadable(&self.dir, e))?;
            out.push(decode(&key, &value)?);
        }
        Ok(out)
    }

    pub fn get(&self, cloud: Cloud, id: &str) -> Result<Option<Customer>, StoreError> {
        let tree = self.customers_tree(cloud)?;
        match tree
            .get(id.as_bytes())
            .map_err(|e| unreadable(&self.dir, e))?
        {
            Some(bytes) => Ok(Some(decode(id.as_bytes(), &bytes)?)),
            None => Ok(None),
        }
    }

    /// Writes `proposed` as the next version of its customer.
    ///
    /// `proposed.version` is the version the edit was based on; if the store
    /// holds another one the commit is refused as a conflict. The record is
    /// validated here too, so no caller can store what the form would refuse.
    pub fn commit(
        &self,
        operator: &str,
        action: AuditAction,
        proposed: &Customer,
    ) -> Result<Committed, StoreError> {
        let proposed = check_record(proposed, &self.policy).map_err(StoreError::Invalid)?;
        let customers = self.customers_tree(proposed.cloud)?;
        let audit = self.tree("audit")?;
        let outcome = (&customers, &audit)
            .transaction(|(customers, audit)| {
                let abort = ConflictableTransactionError::Abort;
                let key = proposed.id.as_bytes();
                let stored = match customers.get(key)? {
                    Some(bytes) => decode(key, &bytes).map_err(abort)?,
                    None => return Err(abort(StoreError::NotFound(proposed.id.clone()))),
                };
                if stored.version != proposed.version {
                    return Err(abort(StoreError::Conflict {
                        id: proposed.id.clone(),
                        based_on: proposed.version,
                        stored: stored.version,
                    }));
                }
                let changes = stored.diff(&proposed);
                if changes.is_empty() {
                    return Ok(Committed::Unchanged(stored));
                }
                let mut next = proposed.clone();
                next.version = stored.version + 1;
                next.updated = Utc::now();
                next.created = stored.created;
                let entry = AuditEntry {
                    time: next.updated,
                    operator: operator.to_string(),
                    cloud: next.cloud,
                    id: next.id.clone(),
                    version: next.version,
                    action,
                    changes,
                };
                customers.insert(key, encode(&next).map_err(abort)?)?;
                audit.insert(
                    audit_key(next.cloud, &next.id, next.version),
                    serde_json::to_vec(&entry).map_err(|e| abort(encoding_error(e)))?,
                )?;
                Ok(Committed::Saved(next))
            })
            .map_err(|e| self.transaction_error(e))?;
        if matches!(outcome, Committed::Saved(_)) {
            self.make_durable()?;
        }
        Ok(outcome)
    }

    /// The audit entries of one customer, oldest first.
    pub fn history(&self, cloud: Cloud, id: &str) -> Result<Vec<AuditEntry>, StoreError> {
        let audit = self.tree("audit")?;
        let prefix = format!("{}\0{id}\0", cloud.key());
        audit
            .scan_prefix(prefix.as_bytes())
            .map(|item| {
                let (key, value) = item.map_err(|e| unreadable(&self.dir, e))?;
                serde_json::from_slice(&value).map_err(|e| damaged(&key, e))
            })
            .collect()
    }

    /// sled's `flush` ends in `sync_file_range`, which does not reach the disk's
    /// own cache; an fsync of the data file afterwards does.
    fn make_durable(&self) -> Result<(), StoreError> {
        self.db.flush().map_err(|e| unreadable(&self.dir, e))?;
        File::open(self.dir.join("sled").join("db"))
            .and_then(|f| f.sync_all())
            .map_err(|e| unreadable(&self.dir, e))
    }

    fn transaction_error(&self, e: TransactionError<StoreError>) -> StoreError {
        match e {
            TransactionError::Abort(inner) => inner,
            TransactionError::Storage(e) => unreadable(&self.dir, e),
        }
    }
}

fn encoding_error(e: serde_json::Error) -> StoreError {
    StoreError::Damaged {
        key: String::new(),
        reason: e.to_string(),
    }
}

fn encode(c: &Customer) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(c).map_err(encoding_error)
}

fn damaged(key: &[u8], e: impl std::fmt::Display) -> StoreError {
    StoreError::Damaged {
        key: String::from_utf8_lossy(key).replace('\0', "/"),
        reason: e.to_string(),
    }
}

fn decode(key: &[u8], bytes: &[u8]) -> Result<Customer, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| damaged(key, e))
}

/// Customer data is personal data: the directory is readable by its owner only.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}
