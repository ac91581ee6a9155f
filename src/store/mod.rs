//! The rules every store keeps, over one backend boundary (`backend`):
//! validation on commit, versions as ETags with conflicts that name the
//! fields changed since, an audit entry in the same transaction as its
//! record, the revert rule, import planning and backups. Two backends:
//! sled in a local data directory (`sled_store`, the default) and
//! PostgreSQL, a team's shared store (`pg_store`). Nothing outside this
//! module knows which one is open.

mod backend;
mod backup;
mod error;
mod feed;
mod import;
mod pg_store;
mod sled_store;

use std::path::{Path, PathBuf};

use chrono::Utc;

pub use backup::{Backup, newest_backup};
pub use error::StoreError;
pub use feed::ChangedSince;
pub use import::{ImportOptions, ImportPhase, ImportPlan, ImportRefused, ImportReport, Planned};
pub use pg_store::{PgTarget, grant, init_database};
pub use sled_store::{
    BULK_MIN, DEFAULT_CACHE_BYTES, HEAD_ROWS, Head, SCHEMA_VERSION, SledStore, StoreLock,
    keep_attention, kept_list_mark, read_attention, read_head, read_list,
};

use crate::domain::{AuditAction, AuditEntry, Cloud, Customer, CustomerView, Role};
use crate::listing::RowText;
use crate::validate::{Policy, normalise_record, take_fixed_fields};
use backend::{TxError, TxResult, Txn};

/// The result of a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Committed {
    /// A new version was written and is durable.
    Saved(Customer),
    /// The proposal equals the stored record: nothing was written.
    Unchanged(Customer),
}

/// What `Store::copy_into` copied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Copied {
    pub customers: usize,
    pub entries: usize,
}

/// Which database holds the customers.
enum Backend {
    Sled(SledStore),
    // Boxed: a connection's state is several times a sled handle's.
    Postgres(Box<pg_store::PgStore>),
}

pub struct Store {
    backend: Backend,
    /// The local data directory: backups, drafts and the log live here,
    /// whichever backend holds the customers.
    dir: PathBuf,
    /// The rules every commit is checked against.
    policy: Policy,
    /// Recorded in every audit entry.
    role: Role,
}

impl From<SledStore> for Store {
    fn from(sled: SledStore) -> Store {
        Store {
            dir: sled.dir().to_path_buf(),
            backend: Backend::Sled(sled),
            policy: Policy::default(),
            role: Role::Admin,
        }
    }
}

impl Store {
    /// Opens (creating if needed) the sled store in `dir`, refusing if another
    /// konto process has it open, migrating an older layout, refusing a newer.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        SledStore::open(dir, cache_bytes).map(Store::from)
    }

    /// Takes the sled store's lock (quick); `StoreLock::open` then opens
    /// sled (slow for a large store).
    pub fn lock(dir: &Path) -> Result<StoreLock, StoreError> {
        SledStore::lock(dir)
    }

    /// Connects to the PostgreSQL database `target`, which `konto db init`
    /// has set up; `dir` is the local data directory (backups, drafts).
    /// The operator's role is the login's, as the database enforces it.
    pub fn connect(target: &PgTarget, dir: &Path) -> Result<Store, StoreError> {
        let pg = pg_store::PgStore::connect(target)?;
        Ok(Store {
            role: pg.role(),
            backend: Backend::Postgres(Box::new(pg)),
            dir: dir.to_path_buf(),
            policy: Policy::default(),
        })
    }

    /// Sets the validation policy (e.g. the partner's own domain) that every
    /// commit must pass.
    pub fn with_policy(mut self, policy: Policy) -> Store {
        self.policy = policy;
        self
    }

    /// The operator's role, recorded in the audit entries this store
    /// writes. A local store takes the one it is given; on PostgreSQL the
    /// database says which it is (see `database_role`), and this is ignored.
    pub fn with_role(mut self, role: Role) -> Store {
        if self.local().is_some() {
            self.role = role;
        }
        self
    }

    /// The login's role as the database enforces it (None: a local store,
    /// where the operator's `--role` is a guard-rail only).
    pub fn database_role(&self) -> Option<Role> {
        match &self.backend {
            Backend::Sled(_) => None,
            Backend::Postgres(p) => Some(p.role()),
        }
    }

    /// Who the audit records as the author of a change: on PostgreSQL the
    /// session's login (nobody writes as someone else), on a local store
    /// the operator named.
    fn author<'a>(&'a self, operator: &'a str) -> &'a str {
        match &self.backend {
            Backend::Sled(_) => operator,
            Backend::Postgres(p) => p.login(),
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The local data directory (backups, drafts).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the customers are, as the header shows it: the sled store's
    /// directory, or `postgres://user@host/database` (never a password).
    pub fn label(&self) -> String {
        match &self.backend {
            Backend::Sled(s) => s.dir().display().to_string(),
            Backend::Postgres(p) => p.label().to_string(),
        }
    }

    /// The sled store, when that is what is open (for what only a local
    /// store has: compaction, its page cache, the kept head of the list).
    pub fn local(&self) -> Option<&SledStore> {
        match &self.backend {
            Backend::Sled(s) => Some(s),
            Backend::Postgres(_) => None,
        }
    }

    /// How many transactions ran through this store (the kept head of a
    /// local store is stale after any).
    pub fn writes(&self) -> u64 {
        self.local().map_or(0, SledStore::writes)
    }

    /// Runs `f` as one transaction: all of it is written, or nothing.
    fn transact<R>(&self, f: &dyn Fn(&dyn Txn) -> TxResult<R>) -> Result<R, StoreError> {
        match &self.backend {
            Backend::Sled(s) => s.transact(f),
            Backend::Postgres(p) => p.transact(f),
        }
    }

    /// What was committed is on disk (PostgreSQL's commit is durable by
    /// itself; sled's needs a flush and an fsync).
    fn make_durable(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sled(s) => s.make_durable(),
            Backend::Postgres(_) => Ok(()),
        }
    }

    fn is_seeded(&self) -> Result<bool, StoreError> {
        match &self.backend {
            Backend::Sled(s) => s.is_seeded(),
            Backend::Postgres(p) => p.is_seeded(),
        }
    }

    /// On the very first start (never seeded, no customers) writes the demo
    /// customers in one transaction. Returns how many were written.
    pub fn seed_if_new(&self, demo: &[Customer]) -> Result<usize, StoreError> {
        if self.is_seeded()? {
            return Ok(0);
        }
        let empty = self.count(Cloud::Commercial)? + self.count(Cloud::Usgov)? == 0;
        let records: &[Customer] = if empty { demo } else { &[] };
        self.transact(&|tx| {
            for c in records {
                tx.put(None, c)?;
            }
            tx.mark_seeded()
        })?;
        self.make_durable()?;
        Ok(records.len())
    }

    /// How many customers a cloud has.
    pub fn count(&self, cloud: Cloud) -> Result<usize, StoreError> {
        match &self.backend {
            Backend::Sled(s) => s.count(cloud),
            Backend::Postgres(p) => p.count(cloud),
        }
    }

    /// Every customer of a cloud, in id order.
    pub fn customers(&self, cloud: Cloud) -> Result<Vec<Customer>, StoreError> {
        self.each_customer(cloud).collect()
    }

    /// A cloud's customers one by one, in id order (for what must not hold
    /// a million of them at once).
    pub fn each_customer(
        &self,
        cloud: Cloud,
    ) -> Box<dyn Iterator<Item = Result<Customer, StoreError>> + '_> {
        match &self.backend {
            Backend::Sled(s) => Box::new(s.each_customer(cloud)),
            Backend::Postgres(p) => Box::new(p.each_customer(cloud)),
        }
    }

    /// Hands every customer of a cloud to `each` in name order (the list's,
    /// `sort_key`), one at a time: on sled in memory that does not grow
    /// with the records.
    pub fn each_by_name(
        &self,
        cloud: Cloud,
        each: &mut dyn FnMut(Customer) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let owned =
            |views: &[CustomerView]| Ok(views.iter().map(CustomerView::to_customer).collect());
        self.by_name_on_cores(cloud, &owned, &mut |customers: Vec<Customer>| {
            customers.into_iter().try_for_each(&mut *each)
        })
    }

    /// Every customer of a cloud in name order, handed to `work` a part at
    /// a time (on sled on two threads, in memory that does not grow with
    /// the records); `take` gets `work`'s results in name order. What `konto
    /// export` turns into bytes on both cores while it writes.
    pub fn by_name_on_cores<R: Send>(
        &self,
        cloud: Cloud,
        work: &(dyn Fn(&[CustomerView]) -> Result<R, StoreError> + Sync),
        take: &mut dyn FnMut(R) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sled(s) => s.by_name_on_cores(cloud, work, take),
            Backend::Postgres(_) => {
                let mut customers = self.customers(cloud)?;
                customers.sort_by_cached_key(|c| {
                    let (name, id) = crate::domain::sort_key(c);
                    (name, id.to_string())
                });
                // In parts, so that `work`'s results are not all held at once.
                for part in customers.chunks(4_096) {
                    let views: Vec<CustomerView> = part.iter().map(CustomerView::of).collect();
                    take(work(&views)?)?;
                }
                Ok(())
            }
        }
    }

    /// The list rows of a cloud in name order, without the records; lazily,
    /// so the first page is quick.
    pub fn rows(&self, cloud: Cloud) -> Rows {
        match &self.backend {
            Backend::Sled(s) => Rows::Sled(Box::new(s.rows(cloud))),
            Backend::Postgres(p) => Rows::Postgres(p.rows(cloud)),
        }
    }

    pub fn get(&self, cloud: Cloud, id: &str) -> Result<Option<Customer>, StoreError> {
        match &self.backend {
            Backend::Sled(s) => s.get(cloud, id),
            Backend::Postgres(p) => p.get(cloud, id),
        }
    }

    /// The id of the customer whose primary domain is `domain` (any case).
    fn domain_owner(&self, cloud: Cloud, domain: &str) -> Result<Option<String>, StoreError> {
        match &self.backend {
            Backend::Sled(s) => s.domain_owner(cloud, domain),
            Backend::Postgres(p) => p.domain_owner(cloud, domain),
        }
    }

    /// The stored records of `ids` (those that exist), by id: in batches on
    /// PostgreSQL, where a read per id would be a round trip each.
    fn get_many(
        &self,
        cloud: Cloud,
        ids: &[&str],
    ) -> Result<std::collections::HashMap<String, Customer>, StoreError> {
        match &self.backend {
            Backend::Sled(s) => {
                let mut found = std::collections::HashMap::new();
                for id in ids {
                    if let Some(c) = s.get(cloud, id)? {
                        found.insert(c.id.clone(), c);
                    }
                }
                Ok(found)
            }
            Backend::Postgres(p) => p.get_many(cloud, ids),
        }
    }

    /// Which customer holds each of `domains` (lower case, as stored), where
    /// one does: domain → id.
    fn domain_owners(
        &self,
        cloud: Cloud,
        domains: &[&str],
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        match &self.backend {
            Backend::Sled(s) => {
                let mut found = std::collections::HashMap::new();
                for domain in domains {
                    if let Some(id) = s.domain_owner(cloud, domain)? {
                        found.insert(domain.to_string(), id);
                    }
                }
                Ok(found)
            }
            Backend::Postgres(p) => p.domain_owners(cloud, domains),
        }
    }

    /// The customer with this primary domain (any case), through the index.
    pub fn find_by_domain(
        &self,
        cloud: Cloud,
        domain: &str,
    ) -> Result<Option<Customer>, StoreError> {
        match self.domain_owner(cloud, domain)? {
            Some(id) => self.get(cloud, &id),
            None => Ok(None),
        }
    }

    /// Writes `proposed` as the next version of its customer.
    ///
    /// `proposed.version` is the version the edit was based on; if the store
    /// holds another one the commit is refused as a conflict naming the fields
    /// changed since. The record is validated here too, so no caller can store
    /// what the form would refuse.
    pub fn commit(
        &self,
        operator: &str,
        action: AuditAction,
        proposed: &Customer,
    ) -> Result<Committed, StoreError> {
        self.commit_with(operator, action, proposed, None)
    }

    fn commit_with(
        &self,
        operator: &str,
        action: AuditAction,
        proposed: &Customer,
        reverts: Option<u64>,
    ) -> Result<Committed, StoreError> {
        let now = Utc::now();
        let started = std::time::Instant::now();
        let operator = self.author(operator);
        let outcome = self.transact(&|tx| {
            self.write_next_version(tx, proposed, operator, action, reverts, now)
        })?;
        let written = started.elapsed();
        if matches!(outcome, Committed::Saved(_)) {
            self.make_durable()?;
        }
        // For a slow save in the log: the transaction, or making it durable.
        tracing::debug!(
            transaction_us = written.as_micros() as u64,
            durable_us = (started.elapsed() - written).as_micros() as u64,
            "commit"
        );
        Ok(outcome)
    }

    /// Commits several proposals in one transaction, each as its own audited
    /// version: all of them are written, or (on any conflict, invalid record
    /// or storage error) none. Unchanged proposals are skipped.
    pub fn commit_many(
        &self,
        operator: &str,
        action: AuditAction,
        proposals: &[Customer],
    ) -> Result<Vec<Customer>, StoreError> {
        let now = Utc::now();
        let operator = self.author(operator);
        let saved = self.transact(&|tx| {
            let mut saved = Vec::new();
            // Every stale record is named, not just the first (the
            // transaction is rolled back all the same).
            let mut stale = Vec::new();
            for proposed in proposals {
                match self.write_next_version(tx, proposed, operator, action, None, now) {
                    Ok(Committed::Saved(next)) => saved.push(next),
                    Ok(Committed::Unchanged(_)) => {}
                    Err(TxError::Abort(e @ StoreError::Conflict { .. })) => stale.push(e),
                    Err(e) => return Err(e),
                }
            }
            match stale.len() {
                0 => Ok(saved),
                1 => Err(stale.remove(0).into()),
                _ => Err(StoreError::Conflicts(stale).into()),
            }
        })?;
        if !saved.is_empty() {
            self.make_durable()?;
        }
        Ok(saved)
    }

    /// Inside a transaction: writes a proposal as the next version of its
    /// customer with its audit entry. Refused: a change of a fixed field
    /// (country, domain, tenant id), a record the validators refuse (both
    /// judged on the record as it will be stored), and a stale base version,
    /// as a conflict that names the fields changed since.
    fn write_next_version(
        &self,
        tx: &dyn Txn,
        proposed: &Customer,
        operator: &str,
        action: AuditAction,
        reverts: Option<u64>,
        now: chrono::DateTime<Utc>,
    ) -> TxResult<Committed> {
        let Some(stored) = tx.get(proposed.cloud, &proposed.id)? else {
            return Err(StoreError::NotFound(proposed.id.clone()).into());
        };
        // The country and the identity are the stored customer's for life,
        // whichever way a change comes in.
        let mut proposed = proposed.clone();
        take_fixed_fields(&stored, &mut proposed).map_err(StoreError::Invalid)?;
        normalise_record(&mut proposed, &self.policy).map_err(StoreError::Invalid)?;
        if stored.version != proposed.version {
            let mut fields = Vec::new();
            for v in proposed.version + 1..=stored.version {
                if let Some(entry) = tx.audit_entry(stored.cloud, &stored.id, v)? {
                    fields.extend(entry.changes.into_iter().map(|c| c.field));
                }
            }
            fields.sort();
            fields.dedup();
            return Err(StoreError::Conflict {
                id: proposed.id.clone(),
                based_on: proposed.version,
                stored: stored.version,
                fields,
            }
            .into());
        }
        let changes = stored.diff(&proposed);
        if changes.is_empty() {
            return Ok(Committed::Unchanged(stored));
        }
        let mut next = proposed;
        next.version = stored.version + 1;
        next.updated = now;
        next.created = stored.created;
        tx.put(Some(&stored), &next)?;
        tx.put_audit(&AuditEntry {
            time: now,
            operator: operator.to_string(),
            cloud: next.cloud,
            id: next.id.clone(),
            version: next.version,
            action,
            changes,
            reverts,
            role: Some(self.role),
        })?;
        Ok(Committed::Saved(next))
    }

    /// Writes a record as it is, unchecked and unaudited, as another tool
    /// writing the store could: only for tests of what konto does with data
    /// its own validators would refuse.
    #[cfg(feature = "testing")]
    pub fn put_unchecked(&self, c: &Customer) -> Result<(), StoreError> {
        self.transact(&|tx| {
            let old = tx.get(c.cloud, &c.id)?;
            tx.put(old.as_ref(), c)
        })?;
        self.make_durable()
    }

    /// Undoes the change that produced `version`, as a new audited commit on
    /// top of the current one. Refused when a later change touched any of the
    /// same fields (undoing it would silently drop that later change).
    pub fn revert(
        &self,
        operator: &str,
        cloud: Cloud,
        id: &str,
        version: u64,
    ) -> Result<Committed, StoreError> {
        let history = self.history(cloud, id)?;
        let Some(entry) = history.iter().find(|e| e.version == version) else {
            return Err(StoreError::NoSuchChange {
                id: id.to_string(),
                version,
            });
        };
        let fields: Vec<&str> = entry.changes.iter().map(|c| c.field.as_str()).collect();
        for later in history.iter().filter(|e| e.version > version) {
            let touched: Vec<String> = later
                .changes
                .iter()
                .filter(|c| fields.contains(&c.field.as_str()))
                .map(|c| c.field.clone())
                .collect();
            if !touched.is_empty() {
                return Err(StoreError::RevertBlocked {
                    version,
                    later: later.version,
                    fields: touched,
                });
            }
        }
        let Some(mut record) = self.get(cloud, id)? else {
            return Err(StoreError::NotFound(id.to_string()));
        };
        for change in &entry.changes {
            record.set_by_key(&change.field, &change.old);
        }
        self.commit_with(operator, AuditAction::Revert, &record, Some(version))
    }

    /// The audit entries of one customer, oldest first.
    pub fn history(&self, cloud: Cloud, id: &str) -> Result<Vec<AuditEntry>, StoreError> {
        match &self.backend {
            Backend::Sled(s) => s.history(cloud, id),
            Backend::Postgres(p) => p.history(cloud, id),
        }
    }

    /// Every audit entry of every customer of a cloud.
    pub fn all_history(&self, cloud: Cloud) -> Result<Vec<AuditEntry>, StoreError> {
        self.each_history_entry(cloud).collect()
    }

    /// `all_history`, one entry at a time.
    pub fn each_history_entry(
        &self,
        cloud: Cloud,
    ) -> Box<dyn Iterator<Item = Result<AuditEntry, StoreError>> + '_> {
        match &self.backend {
            Backend::Sled(s) => Box::new(s.each_history_entry(cloud)),
            Backend::Postgres(p) => Box::new(p.each_history_entry(cloud)),
        }
    }

    /// Checks what the store keeps beside the records against them; returns
    /// what disagrees (empty when sound). On sled: every index entry points
    /// at a record with that key and every record is indexed. On PostgreSQL
    /// (which keeps its own indexes): each cloud's kept count is its number
    /// of rows. Only tests ask (the `testing` feature).
    #[cfg(feature = "testing")]
    pub fn verify_indexes(&self) -> Result<Vec<String>, StoreError> {
        match &self.backend {
            Backend::Sled(s) => s.verify_indexes(),
            Backend::Postgres(p) => p.verify_counts(),
        }
    }

    /// Rewrites a local store to give back the space sled keeps after large
    /// writes. Returns the sizes in bytes before and after; a PostgreSQL
    /// store has nothing to compact here (its server's VACUUM does that).
    pub fn compact(self) -> Result<(u64, u64), StoreError> {
        match self.backend {
            Backend::Sled(s) => s.compact(),
            Backend::Postgres(p) => Err(StoreError::LocalOnly {
                what: "compact",
                store: p.label().to_string(),
            }),
        }
    }

    /// Makes a local store ready for the operator's first save (see
    /// `SledStore::prepare_for_writes`); nothing to do on PostgreSQL.
    pub fn prepare_for_writes(&self) {
        if let Some(sled) = self.local() {
            sled.prepare_for_writes();
        }
    }

    /// Keeps `cloud`'s list head for the next start of a local store; a
    /// shared store changes under its readers, so it keeps none.
    pub fn keep_current_head(&self, cloud: Cloud) {
        if let Some(sled) = self.local() {
            sled.keep_current_head(cloud);
        }
    }

    /// After this (local) store was written to: keeps every cloud's head.
    pub fn renew_heads(&self) {
        if let Some(sled) = self.local() {
            sled.renew_heads();
        }
    }

    /// Whether `writes` records are better written in bulk.
    fn prefers_bulk(&self, writes: usize) -> Result<bool, StoreError> {
        match &self.backend {
            Backend::Sled(s) => s.prefers_bulk(writes),
            Backend::Postgres(_) => Ok(writes >= BULK_MIN),
        }
    }

    /// Writes every record of `writes` (each with its audit entry), all or
    /// nothing, faster than transactions of a few: sled rebuilds its
    /// database, PostgreSQL copies them in.
    fn write_bulk(&mut self, writes: &[backend::Write]) -> Result<(), StoreError> {
        match &mut self.backend {
            Backend::Sled(s) => s.write_bulk(writes),
            Backend::Postgres(p) => p.write_bulk(writes),
        }
    }

    /// Copies this store (both clouds, every version, the whole history)
    /// into `target`, an empty PostgreSQL database, all or nothing; then
    /// checks that the target holds as many customers of each cloud as this
    /// store and every history entry copied.
    pub fn copy_into(&self, target: &mut Store) -> Result<Copied, StoreError> {
        let label = target.label();
        for cloud in Cloud::ALL {
            if target.count(cloud)? > 0 || target.each_history_entry(cloud).next().is_some() {
                return Err(StoreError::NotEmpty(label));
            }
        }
        let Backend::Postgres(pg) = &mut target.backend else {
            return Err(StoreError::LocalOnly {
                what: "db migrate-from",
                store: label,
            });
        };
        let customers = Cloud::ALL.into_iter().flat_map(|c| self.each_customer(c));
        let entries = Cloud::ALL
            .into_iter()
            .flat_map(|c| self.each_history_entry(c));
        let (customers, entries) = pg.copy_all(customers, entries)?;
        let mismatch = |what: &str, theirs: usize, mine: usize| {
            self.fail(format!(
                "{label} holds {theirs} {what} after the copy, not {mine}"
            ))
        };
        for cloud in Cloud::ALL {
            let (mine, theirs) = (self.count(cloud)?, pg.count(cloud)?);
            if mine != theirs {
                let what = format!("customers of the {} cloud", cloud.key());
                return Err(mismatch(&what, theirs, mine));
            }
        }
        // The history is counted as it was copied, not read a second time.
        let theirs = pg.count_entries()?;
        if theirs != entries {
            return Err(mismatch("history entries", theirs, entries));
        }
        Ok(Copied { customers, entries })
    }

    fn fail(&self, e: impl std::fmt::Display) -> StoreError {
        error::unreadable(&self.dir, e)
    }
}

/// The list rows of a cloud, in name order; Send, so a thread can stream
/// them while the first page is already on screen.
pub enum Rows {
    // Boxed: sled's iterator is several times the size of a channel.
    Sled(Box<sled_store::Rows>),
    Postgres(pg_store::Rows),
}

impl Rows {
    /// Hands up to `max` more rows to `each`, in name order; returns how
    /// many (fewer than `max`: the list is complete). The store yields rows;
    /// what holds them (the app's list) is not its business.
    pub fn read(
        &mut self,
        max: usize,
        each: &mut dyn FnMut(&RowText),
    ) -> Result<usize, StoreError> {
        match self {
            Rows::Sled(rows) => rows.read(max, each),
            Rows::Postgres(rows) => rows.read(max, each),
        }
    }
}
