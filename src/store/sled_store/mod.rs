//! The embedded store: sled in a local data directory. The only module
//! that knows sled.
//!
//! Layout of a data directory:
//! - `konto.lock`: held exclusively while a konto process has the store open;
//! - `sled/`: the database, with one tree of customers per cloud, an `audit`
//!   tree (one entry per committed version, a bulk write's creations one
//!   entry), secondary indexes (company name with each customer's list row;
//!   domain, packed in buckets) and a `meta` tree (schema
//!   version, seeded flag, customer counts);
//! - `list-head.<cloud>` and `list.<cloud>`: the head of the list and the
//!   whole list, kept for a quick next start (`head.rs`), local to this
//!   store, deleted by every write;
//! - `staging/` (a bulk write's sorted runs, `staging.rs`) and `by-name.tmp`
//!   (an export's scratch file, `by_name.rs`): only while one runs;
//! - `backups/`: daily JSON exports (see `../backup.rs`).
//!
//! Every change is one multi-tree transaction (record + audit entry +
//! indexes) and made durable (flushed and fsynced) before a commit returns.

mod bulk;
mod by_name;
mod domains;
mod head;
mod history;
mod keys;
mod staging;
mod upgrade;

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use chrono::Utc;
use sled::Transactional;
use sled::transaction::{
    ConflictableTransactionError, TransactionalTree, UnabortableTransactionError,
};

pub use bulk::BULK_MIN;
pub use head::{
    HEAD_ROWS, Head, keep_attention, kept_list_mark, read_attention, read_head, read_list,
};
pub(super) use staging::Staging;

use super::backend::{TxError, TxResult, Txn};
use super::{StoreError, error};
use crate::domain::{AuditEntry, Cloud, Customer};
use crate::listing::RowText;
#[cfg(feature = "testing")]
use keys::INDEXES;
use keys::{Index, TreeKind, audit_key, decode, encode, index_key, index_value};

/// Bounded page cache: sled's default (1 GiB) is far more than a laptop
/// should give. sled uses about three times what it is given (at a million
/// customers, with the list loaded: 16 MiB of cache cost ~40 MB resident,
/// 4 MiB ~12 MB, 64 MiB ~160 MB); the list keeps its own copy of what it
/// shows, so little is read twice, and a save reads a handful of pages.
pub const DEFAULT_CACHE_BYTES: u64 = 4 * 1024 * 1024;

/// The cache of a database being rebuilt (`write_fresh`): it is written in
/// key order, so a larger cache buys nothing, and it is gone afterwards.
const REBUILD_CACHE_BYTES: u64 = 16 * 1024 * 1024;

/// The layout this konto writes. 1: customers and audit only (no schema key);
/// 2: adds the name, domain and email indexes and the schema key; 3: values
/// in postcard instead of JSON, list rows in the name index, customer counts
/// in `meta`, no email index (nothing read it); 4: values no longer repeat
/// what their key says (id, cloud, version) and hold times as numbers, not
/// text (a fifth smaller); 5: fewer sled keys a customer, as sled's cost
/// (an insert, memory on every start) is per key: the domain index packed
/// into 65,536 buckets per cloud (`domains.rs`), and the customers one bulk
/// write creates share one creation entry in the audit tree
/// (`keys::batch_key`, read by `history.rs`).
pub const SCHEMA_VERSION: u64 = 5;

pub(super) const META_SEEDED: &[u8] = b"seeded";
const META_SCHEMA: &[u8] = b"schema";
/// When the app last opened the store (seconds since 1970, big-endian).
const META_OPENED: &[u8] = b"opened";

/// A sled store, opened and locked.
pub struct SledStore {
    db: sled::Db,
    dir: PathBuf,
    trees: Trees,
    /// sled's page cache, as opened (a rebuilt database is opened alike).
    cache_bytes: u64,
    /// Held for the store's lifetime; dropping it releases the lock.
    _lock: File,
    /// Transactions run through this store (each deleted the kept heads).
    writes: std::sync::atomic::AtomicU64,
}

/// Every tree a write may touch, opened once.
struct Trees {
    commercial: sled::Tree,
    usgov: sled::Tree,
    audit: sled::Tree,
    name: sled::Tree,
    domain: sled::Tree,
    meta: sled::Tree,
}

/// The same trees inside a transaction.
pub(crate) struct Tx<'a> {
    commercial: &'a TransactionalTree,
    usgov: &'a TransactionalTree,
    audit: &'a TransactionalTree,
    name: &'a TransactionalTree,
    domain: &'a TransactionalTree,
    meta: &'a TransactionalTree,
}

/// sled's transaction errors as the rules see them: a conflict is retried
/// by sled, a storage error aborts.
pub(super) fn sled_error(e: UnabortableTransactionError) -> TxError {
    match e {
        UnabortableTransactionError::Conflict => TxError::Retry,
        UnabortableTransactionError::Storage(e) => TxError::Abort(StoreError::Unreadable {
            path: PathBuf::from("sled"),
            reason: e.to_string(),
        }),
    }
}

impl Tx<'_> {
    fn customers(&self, cloud: Cloud) -> &TransactionalTree {
        match cloud {
            Cloud::Commercial => self.commercial,
            Cloud::Usgov => self.usgov,
        }
    }

    /// Keeps the cloud's customer count, so the list can say how many there
    /// are without counting them.
    fn add_to_count(&self, cloud: Cloud, delta: i64) -> TxResult<()> {
        let key = keys::count_key(cloud);
        let count = read_count(self.meta.get(&key).map_err(sled_error)?.as_deref());
        let next = count.saturating_add_signed(delta);
        self.meta
            .insert(key, &next.to_be_bytes())
            .map_err(sled_error)?;
        Ok(())
    }
}

impl Txn for Tx<'_> {
    fn get(&self, cloud: Cloud, id: &str) -> TxResult<Option<Customer>> {
        match self
            .customers(cloud)
            .get(id.as_bytes())
            .map_err(sled_error)?
        {
            Some(bytes) => Ok(Some(decode(cloud, id.as_bytes(), &bytes)?)),
            None => Ok(None),
        }
    }

    /// Writes a record and moves its index entries from `old` to `new`.
    fn put(&self, old: Option<&Customer>, new: &Customer) -> TxResult<()> {
        self.customers(new.cloud)
            .insert(new.id.as_bytes(), encode(new)?)
            .map_err(sled_error)?;
        let new_key = index_key(Index::Name, new);
        if let Some(old) = old {
            let old_key = index_key(Index::Name, old);
            if old_key != new_key {
                self.name.remove(old_key).map_err(sled_error)?;
            }
            if old.company.domain != new.company.domain {
                domains::set(self.domain, old.cloud, &old.company.domain, None)?;
            }
        }
        self.name
            .insert(new_key, index_value(Index::Name, new)?)
            .map_err(sled_error)?;
        domains::set(self.domain, new.cloud, &new.company.domain, Some(&new.id))?;
        if old.is_none() {
            self.add_to_count(new.cloud, 1)?;
        }
        Ok(())
    }

    /// Removes a record and its index entries.
    fn remove(&self, c: &Customer) -> TxResult<()> {
        self.customers(c.cloud)
            .remove(c.id.as_bytes())
            .map_err(sled_error)?;
        self.name
            .remove(index_key(Index::Name, c))
            .map_err(sled_error)?;
        domains::set(self.domain, c.cloud, &c.company.domain, None)?;
        self.add_to_count(c.cloud, -1)
    }

    fn put_audit(&self, entry: &AuditEntry) -> TxResult<()> {
        let bytes = keys::encode_audit(entry)?;
        self.audit
            .insert(audit_key(entry.cloud, &entry.id, entry.version), bytes)
            .map_err(sled_error)?;
        Ok(())
    }

    fn remove_audit(&self, cloud: Cloud, id: &str, version: u64) -> TxResult<()> {
        self.audit
            .remove(audit_key(cloud, id, version))
            .map_err(sled_error)?;
        Ok(())
    }

    fn audit_entry(&self, cloud: Cloud, id: &str, version: u64) -> TxResult<Option<AuditEntry>> {
        let key = audit_key(cloud, id, version);
        match self.audit.get(&key).map_err(sled_error)? {
            Some(bytes) => Ok(Some(keys::decode_audit(&key, &bytes)?)),
            // A customer a bulk write created has its batch's entry.
            None if version == 1 => match self.get(cloud, id)? {
                Some(c) => {
                    history::batch_creation(&c, |key| self.audit.get(key).map_err(sled_error))
                }
                None => Ok(None),
            },
            None => Ok(None),
        }
    }

    fn mark_seeded(&self) -> TxResult<()> {
        self.meta
            .insert(META_SEEDED, &b"1"[..])
            .map_err(sled_error)?;
        Ok(())
    }
}

impl SledStore {
    /// Opens (creating if needed) the store in `dir`, refusing if another konto
    /// process has it open, migrating an older layout, refusing a newer one.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<SledStore, StoreError> {
        SledStore::lock(dir)?.open(cache_bytes)
    }

    /// Takes the store's lock (quick); `StoreLock::open` then opens sled
    /// (slow for a large store).
    pub fn lock(dir: &Path) -> Result<StoreLock, StoreError> {
        create_private_dir(dir).map_err(|e| error::unreadable(dir, e))?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("konto.lock"))
            .map_err(|e| error::unreadable(dir, e))?;
        // A lock can outlive its konto for a moment (a process forked just
        // then still holds a copy until it execs), so a busy lock is tried a
        // few times before the store is called in use.
        let mut tries = 0;
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(fs::TryLockError::WouldBlock) if tries < 10 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(30));
                }
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(StoreError::InUse(dir.to_path_buf()));
                }
                Err(fs::TryLockError::Error(e)) => return Err(error::unreadable(dir, e)),
            }
        }
        Ok(StoreLock {
            dir: dir.to_path_buf(),
            lock,
        })
    }
}

/// A store's lock, held: no other konto process has the store open.
pub struct StoreLock {
    dir: PathBuf,
    lock: File,
}

impl StoreLock {
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Opens the locked store, migrating an older layout, refusing a newer.
    pub fn open(self, cache_bytes: u64) -> Result<SledStore, StoreError> {
        let StoreLock { dir, lock } = self;
        let dir = dir.as_path();
        finish_compaction(dir).map_err(|e| error::unreadable(dir, e))?;
        // Runs of a bulk write a crash interrupted: never written, not needed.
        let _ = fs::remove_dir_all(staging::staging_dir(dir));
        let _ = fs::remove_file(dir.join(by_name::SCRATCH));
        // sled opens a store whose data file is damaged at the start as an
        // empty one, silently; remember whether there was data to tell.
        let had_data = fs::metadata(dir.join("sled").join("db")).is_ok_and(|m| m.len() > 0);
        let (db, trees) = open_db(dir, cache_bytes)?;
        let store = SledStore {
            db,
            dir: dir.to_path_buf(),
            trees,
            cache_bytes,
            _lock: lock,
            writes: Default::default(),
        };
        if had_data && store.looks_empty()? {
            return Err(error::damaged_store(
                dir,
                "its data file is not empty, but sled finds nothing in it",
            ));
        }
        match store.schema()? {
            // Rewritten into a fresh database, then opened as that (a
            // schema-3 store becomes a schema-4 one, then a schema-5 one).
            Some(3) => return store.rebuild(&upgrade::from_v3)?.open(cache_bytes),
            Some(4) => return store.rebuild(&upgrade::from_v4)?.open(cache_bytes),
            _ => {}
        }
        store.upgrade_schema()?;
        make_private(dir).map_err(|e| error::unreadable(dir, e))?;
        Ok(store)
    }
}

/// Opens sled in `dir/sled` and every tree konto keeps.
fn open_db(dir: &Path, cache_bytes: u64) -> Result<(sled::Db, Trees), StoreError> {
    let config = sled::Config::new()
        .path(dir.join("sled"))
        .cache_capacity(cache_bytes);
    // With konto.lock held, sled's own file lock can only be held by a
    // store of this process that is still shutting down: wait for it.
    let mut tries = 0;
    let db = loop {
        match config.open() {
            Ok(db) => break db,
            Err(e) if tries < 50 && e.to_string().contains("could not acquire lock") => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(error::damaged_store(dir, e)),
        }
    };
    let open = |tree: TreeKind| {
        db.open_tree(tree.name())
            .map_err(|e| error::damaged_store(dir, e))
    };
    let trees = Trees {
        commercial: open(TreeKind::Customers(Cloud::Commercial))?,
        usgov: open(TreeKind::Customers(Cloud::Usgov))?,
        audit: open(TreeKind::Audit)?,
        name: open(TreeKind::Index(Index::Name))?,
        domain: open(TreeKind::Index(Index::Domain))?,
        meta: open(TreeKind::Meta)?,
    };
    Ok((db, trees))
}

impl SledStore {
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How many transactions ran through this store.
    pub fn writes(&self) -> u64 {
        self.writes.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn customers_tree(&self, cloud: Cloud) -> &sled::Tree {
        match cloud {
            Cloud::Commercial => &self.trees.commercial,
            Cloud::Usgov => &self.trees.usgov,
        }
    }

    fn fail(&self, e: impl std::fmt::Display) -> StoreError {
        error::unreadable(&self.dir, e)
    }

    /// Before anything changes: a kept head of the list would be stale, and
    /// whoever keeps heads counts the writes.
    fn begin_write(&self) {
        head::forget_heads(&self.dir);
        self.writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Runs `f` as one transaction over every tree (sled runs it again
    /// when another write got in the way).
    pub(super) fn transact<R>(&self, f: &dyn Fn(&dyn Txn) -> TxResult<R>) -> Result<R, StoreError> {
        self.transact_trees(|tx| f(tx))
    }

    /// `transact`, with the trees themselves at hand (for the schema's
    /// upgrade, which writes the meta tree).
    fn transact_trees<R>(&self, f: impl Fn(&Tx) -> TxResult<R>) -> Result<R, StoreError> {
        self.begin_write();
        let t = &self.trees;
        (
            &t.commercial,
            &t.usgov,
            &t.audit,
            &t.name,
            &t.domain,
            &t.meta,
        )
            .transaction(|(commercial, usgov, audit, name, domain, meta)| {
                let tx = Tx {
                    commercial,
                    usgov,
                    audit,
                    name,
                    domain,
                    meta,
                };
                f(&tx).map_err(|e| match e {
                    TxError::Abort(e) => ConflictableTransactionError::Abort(e),
                    TxError::Retry => ConflictableTransactionError::Conflict,
                })
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Abort(inner) => inner,
                sled::transaction::TransactionError::Storage(e) => self.fail(e),
            })
    }

    fn schema(&self) -> Result<Option<u64>, StoreError> {
        let Some(bytes) = self.trees.meta.get(META_SCHEMA).map_err(|e| self.fail(e))? else {
            return Ok(None);
        };
        let raw: [u8; 8] = bytes
            .as_ref()
            .try_into()
            .map_err(|_| error::damaged(META_SCHEMA, "schema version is not 8 bytes"))?;
        Ok(Some(u64::from_be_bytes(raw)))
    }

    /// No schema, never seeded, no customers: what a new store looks like,
    /// and what sled makes of a data file it cannot read.
    fn looks_empty(&self) -> Result<bool, StoreError> {
        let meta_empty = self.schema()?.is_none()
            && !self
                .trees
                .meta
                .contains_key(META_SEEDED)
                .map_err(|e| self.fail(e))?;
        Ok(meta_empty && self.trees.commercial.is_empty() && self.trees.usgov.is_empty())
    }

    /// Whether the store has had its first start.
    pub fn is_seeded(&self) -> Result<bool, StoreError> {
        self.trees
            .meta
            .contains_key(META_SEEDED)
            .map_err(|e| self.fail(e))
    }

    /// How many customers a cloud has, from the count kept with every write.
    pub fn count(&self, cloud: Cloud) -> Result<usize, StoreError> {
        let bytes = self
            .trees
            .meta
            .get(keys::count_key(cloud))
            .map_err(|e| self.fail(e))?;
        Ok(usize::try_from(read_count(bytes.as_deref())).unwrap_or(usize::MAX))
    }

    /// A cloud's customers one by one, in id order (for what must not hold
    /// a million of them at once).
    pub fn each_customer(
        &self,
        cloud: Cloud,
    ) -> impl Iterator<Item = Result<Customer, StoreError>> + '_ {
        self.customers_tree(cloud).iter().map(move |item| {
            let (key, value) = item.map_err(|e| self.fail(e))?;
            decode(cloud, &key, &value)
        })
    }

    /// The list rows of a cloud in name order, read from the name index
    /// without touching the records; lazily, so the first page is quick.
    pub fn rows(&self, cloud: Cloud) -> Rows {
        Rows {
            iter: self.trees.name.scan_prefix(keys::cloud_prefix(cloud)),
            dir: self.dir.clone(),
        }
    }

    pub fn get(&self, cloud: Cloud, id: &str) -> Result<Option<Customer>, StoreError> {
        match self
            .customers_tree(cloud)
            .get(id.as_bytes())
            .map_err(|e| self.fail(e))?
        {
            Some(bytes) => Ok(Some(decode(cloud, id.as_bytes(), &bytes)?)),
            None => Ok(None),
        }
    }

    /// The id of the customer whose primary domain is `domain` (any case).
    pub(super) fn domain_owner(
        &self,
        cloud: Cloud,
        domain: &str,
    ) -> Result<Option<String>, StoreError> {
        domains::owner(&self.trees.domain, &self.dir, cloud, domain)
    }

    /// Checks that every index entry points at a record that has that key and
    /// that every record is indexed; returns what disagrees (empty when sound).
    #[cfg(feature = "testing")]
    pub fn verify_indexes(&self) -> Result<Vec<String>, StoreError> {
        let mut problems = Vec::new();
        let t = &self.trees;
        for (tree, index) in [&t.name, &t.domain].into_iter().zip(INDEXES) {
            let mut expected = std::collections::BTreeSet::new();
            for cloud in Cloud::ALL {
                for c in self.each_customer(cloud) {
                    let c = c?;
                    expected.insert(index_key(index, &c));
                }
            }
            let found: std::collections::BTreeSet<Vec<u8>> = match index {
                Index::Domain => domains::entry_keys(tree, &self.dir)?.into_iter().collect(),
                Index::Name => tree
                    .iter()
                    .map(|item| Ok(item.map_err(|e| self.fail(e))?.0.to_vec()))
                    .collect::<Result<_, StoreError>>()?,
            };
            for missing in expected.difference(&found) {
                problems.push(format!(
                    "{index:?} index lacks {}",
                    String::from_utf8_lossy(missing)
                ));
            }
            for stale in found.difference(&expected) {
                problems.push(format!(
                    "{index:?} index has stale {}",
                    String::from_utf8_lossy(stale)
                ));
            }
        }
        Ok(problems)
    }

    /// Rewrites the database into a fresh one and swaps it in: sled's files
    /// grow well beyond their data under random writes (a large import),
    /// and a rewrite in key order gives most of it back. Returns the sizes
    /// in bytes before and after.
    pub fn compact(self) -> Result<(u64, u64), StoreError> {
        let before = dir_size(&self.dir.join("sled"));
        let lock = self.rebuild(&|dir, old, fresh| {
            bulk::per_tree(dir, old, |name| {
                bulk::copy_in_full_leaves(dir, old, fresh, name)
            })
        })?;
        Ok((before, dir_size(&lock.dir.join("sled"))))
    }

    /// Writes a fresh database with `fill(dir, old, fresh)` and swaps it in
    /// for this one. The lock is held throughout (and handed back); a crash
    /// at any point leaves the old or the new database, complete.
    fn rebuild(self, fill: Fill) -> Result<StoreLock, StoreError> {
        write_fresh(&self.dir, &self.db, fill)?;
        let SledStore {
            db,
            dir,
            trees,
            _lock,
            ..
        } = self;
        drop(trees);
        drop(db);
        swap_in_fresh(&dir)?;
        Ok(StoreLock { dir, lock: _lock })
    }

    /// `rebuild`, keeping this store open: on the fresh database once it is
    /// swapped in.
    fn rebuild_in_place(&mut self, fill: Fill) -> Result<(), StoreError> {
        write_fresh(&self.dir, &self.db, fill)?;
        swap_in_fresh(&self.dir)?;
        let (db, trees) = open_db(&self.dir, self.cache_bytes)?;
        self.trees = trees;
        self.db = db;
        Ok(())
    }

    /// sled's first write after opening takes 5-70 ms to make durable, the
    /// later ones about 1 ms: done beforehand (the app records when it
    /// opened the store), the operator's first save does not pay it. On a
    /// thread of its own, so that no key waits for its fsync either. Only a
    /// speed-up: a failure is logged, not reported.
    pub fn prepare_for_writes(&self) {
        let meta = self.trees.meta.clone();
        let db = self.db.clone();
        let file = self.dir.join("sled").join("db");
        std::thread::spawn(move || {
            let now = Utc::now().timestamp().to_be_bytes();
            let prepared = meta
                .insert(META_OPENED, &now)
                .and_then(|_| db.flush())
                .map_err(std::io::Error::other)
                .and_then(|_| File::open(&file)?.sync_all());
            if let Err(e) = prepared {
                tracing::warn!(error = %e, "the store was not prepared for writes");
            }
        });
    }

    /// sled's `flush` ends in `sync_file_range`, which does not reach the disk's
    /// own cache; an fsync of the data file afterwards does.
    pub(super) fn make_durable(&self) -> Result<(), StoreError> {
        self.db.flush().map_err(|e| self.fail(e))?;
        File::open(self.dir.join("sled").join("db"))
            .and_then(|f| f.sync_all())
            .map_err(|e| self.fail(e))
    }
}

/// What writes a rebuilt database: `fill(dir, old, fresh)`.
type Fill<'a> = &'a dyn Fn(&Path, &sled::Db, &sled::Db) -> Result<(), StoreError>;

/// Writes the fresh database beside the live one, durably.
fn write_fresh(dir: &Path, old: &sled::Db, fill: Fill) -> Result<(), StoreError> {
    let fail = |e: &dyn std::fmt::Display| error::unreadable(dir, e);
    let fresh_dir = dir.join(COMPACTING);
    if fresh_dir.exists() {
        fs::remove_dir_all(&fresh_dir).map_err(|e| fail(&e))?;
    }
    let fresh = sled::Config::new()
        .path(&fresh_dir)
        .cache_capacity(REBUILD_CACHE_BYTES)
        .open()
        .map_err(|e| fail(&e))?;
    fill(dir, old, &fresh)?;
    fresh.flush().map_err(|e| fail(&e))?;
    File::open(fresh_dir.join("db"))
        .and_then(|f| f.sync_all())
        .map_err(|e| fail(&e))
}

/// The swap: old aside, new in place, old gone. `open` finishes a swap a
/// crash interrupted (`finish_compaction`).
fn swap_in_fresh(dir: &Path) -> Result<(), StoreError> {
    let fail = |e: std::io::Error| error::unreadable(dir, e);
    let live = dir.join("sled");
    fs::rename(&live, dir.join(REPLACED)).map_err(fail)?;
    fs::rename(dir.join(COMPACTING), &live).map_err(fail)?;
    File::open(dir).and_then(|d| d.sync_all()).map_err(fail)?;
    fs::remove_dir_all(dir.join(REPLACED)).map_err(fail)?;
    make_private(dir).map_err(fail)
}

/// Where `compact` writes the fresh database, and where it puts the old one
/// during the swap.
const COMPACTING: &str = "sled.compacting";
const REPLACED: &str = "sled.replaced";

/// Completes or undoes a compaction a crash interrupted: a fresh copy not
/// yet swapped in is dropped; an old database set aside before the new one
/// was in place is put back, or removed once the new one is.
fn finish_compaction(dir: &Path) -> std::io::Result<()> {
    let live = dir.join("sled");
    let replaced = dir.join(REPLACED);
    if replaced.exists() {
        if live.exists() {
            fs::remove_dir_all(&replaced)?;
        } else {
            fs::rename(&replaced, &live)?;
        }
    }
    let fresh = dir.join(COMPACTING);
    if fresh.exists() {
        fs::remove_dir_all(fresh)?;
    }
    Ok(())
}

fn dir_size(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(t) if t.is_dir() => dir_size(&entry.path()),
            _ => entry.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}

/// A count as `meta` keeps it (absent: none yet).
fn read_count(bytes: Option<&[u8]>) -> u64 {
    bytes
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, u64::from_be_bytes)
}

/// The list rows of a cloud, in name order; Send, so a thread can stream
/// them while the first page is already on screen.
pub struct Rows {
    iter: sled::Iter,
    dir: PathBuf,
}

impl Rows {
    /// Hands up to `max` more rows to `each`; returns how many (fewer
    /// than `max`: the list is complete).
    pub fn read(
        &mut self,
        max: usize,
        each: &mut dyn FnMut(&RowText),
    ) -> Result<usize, StoreError> {
        for read in 0..max {
            let Some(item) = self.iter.next() else {
                return Ok(read);
            };
            let (key, value) = item.map_err(|e| error::unreadable(&self.dir, e))?;
            each(&keys::decode_row(&key, &value)?);
        }
        Ok(max)
    }
}

/// Customer data is personal data: the directory is its owner's only.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Directories `0700` and files `0600` below `dir` (files sled created with
/// the default umask, or a store copied in from elsewhere).
fn make_private(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o700))?;
                make_private(&entry.path())?;
            } else if kind.is_file() {
                fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    Ok(())
}
