//! The team store: PostgreSQL, shared by every operator of a partner. The
//! only module that knows PostgreSQL.
//!
//! Tables live in the schema `konto` (`schema.rs` has every migration):
//! `customers` (a column per field of the catalogue, the list's sort key,
//! the version), `audit` (one row per committed version), `meta` (the
//! seeded flag) and `migrations` (which migrations ran). A commit is one
//! transaction: the stored row is read `FOR UPDATE` (another operator's
//! commit of the same customer waits), updated `WHERE version = …`, and its
//! audit row inserted beside it; PostgreSQL's commit is durable by itself
//! (`synchronous_commit` on). The list is loaded with one binary `COPY`.

mod columns;
mod copy;
mod feed;
mod roles;
mod schema;
mod target;

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use postgres::Client;
use postgres::error::SqlState;

pub use copy::Rows;
pub use roles::grant;
pub use schema::init_database;
pub use target::PgTarget;

use super::StoreError;
use super::backend::{TxError, TxResult, Txn, Write};
use crate::domain::{AuditEntry, Cloud, Customer, Role};
use columns::{AUDIT_COLUMNS, CUSTOMER_COLUMNS, audit_of, customer_of};

/// Rows read per query when walking a whole table (export, backup).
const PAGE: i64 = 5_000;

/// Times a transaction is tried when others keep getting in its way.
const TRIES: usize = 20;

pub struct PgStore {
    client: Mutex<Client>,
    target: PgTarget,
    /// The session's login (what the audit records) and its konto role.
    login: String,
    role: Role,
}

/// A failure of the server or the connection, named with the store.
pub(crate) fn failed(target: &PgTarget, e: &postgres::Error) -> StoreError {
    if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) {
        return StoreError::Denied {
            store: target.label().to_string(),
            reason: target::reason(e),
        };
    }
    if e.is_closed() || e.as_db_error().is_none() {
        return StoreError::Unreachable {
            store: target.label().to_string(),
            reason: target::reason(e),
        };
    }
    StoreError::Unreadable {
        path: target.label().into(),
        reason: target::reason(e),
    }
}

/// A failure reading a COPY's output: the connection broke.
pub(crate) fn failed_io(target: &PgTarget, e: &std::io::Error) -> StoreError {
    StoreError::Unreachable {
        store: target.label().to_string(),
        reason: e.to_string(),
    }
}

/// Whether a statement failed only because another transaction got in the
/// way (a serialization failure or a deadlock): then it is tried again.
fn must_retry(e: &postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
    )
}

impl PgStore {
    /// Connects and checks the schema: one `konto db init` made, not older
    /// or newer than this konto knows.
    pub fn connect(target: &PgTarget) -> Result<PgStore, StoreError> {
        let mut client = target.connect()?;
        schema::check(&mut client, target)?;
        let (login, role) = roles::session(&mut client, target)?;
        Ok(PgStore {
            client: Mutex::new(client),
            target: target.clone(),
            login,
            role,
        })
    }

    /// The session's login, as the database knows it.
    pub fn login(&self) -> &str {
        &self.login
    }

    /// The login's konto role, as the database enforces it.
    pub fn role(&self) -> Role {
        self.role
    }

    /// `postgres://user@host/database`, never a password.
    pub fn label(&self) -> &str {
        self.target.label()
    }

    /// The connection; a new one when the last was lost (the server
    /// restarted, the network dropped), so konto reconnects by itself on
    /// its next use.
    fn client(&self) -> Result<MutexGuard<'_, Client>, StoreError> {
        let mut client = self.client.lock().map_err(|_| StoreError::Unreachable {
            store: self.label().to_string(),
            reason: "a thread using the connection failed".into(),
        })?;
        if client.is_closed() {
            *client = self.target.connect()?;
        }
        Ok(client)
    }

    fn fail(&self, e: &postgres::Error) -> StoreError {
        failed(&self.target, e)
    }

    pub(super) fn is_seeded(&self) -> Result<bool, StoreError> {
        let row = self
            .client()?
            .query_opt("SELECT 1 FROM konto.meta WHERE key = 'seeded'", &[])
            .map_err(|e| self.fail(&e))?;
        Ok(row.is_some())
    }

    pub(super) fn count(&self, cloud: Cloud) -> Result<usize, StoreError> {
        let row = self
            .client()?
            .query_opt(
                "SELECT customers FROM konto.counts WHERE cloud = $1",
                &[&cloud.key()],
            )
            .map_err(|e| self.fail(&e))?;
        Ok(row.map_or(0, |r| usize::try_from(r.get::<_, i64>(0)).unwrap_or(0)))
    }

    pub(super) fn get(&self, cloud: Cloud, id: &str) -> Result<Option<Customer>, StoreError> {
        let sql =
            format!("SELECT {CUSTOMER_COLUMNS} FROM konto.customers WHERE cloud = $1 AND id = $2");
        let row = self
            .client()?
            .query_opt(&sql, &[&cloud.key(), &id])
            .map_err(|e| self.fail(&e))?;
        row.map(|r| customer_of(&r)).transpose()
    }

    pub(super) fn domain_owner(
        &self,
        cloud: Cloud,
        domain: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = self
            .client()?
            .query_opt(
                "SELECT id FROM konto.customers WHERE cloud = $1 AND lower(company_domain) = $2",
                &[&cloud.key(), &domain.trim().to_lowercase()],
            )
            .map_err(|e| self.fail(&e))?;
        Ok(row.map(|r| r.get(0)))
    }

    /// The stored records of `ids`, by id, a batch per query.
    pub(super) fn get_many(
        &self,
        cloud: Cloud,
        ids: &[&str],
    ) -> Result<HashMap<String, Customer>, StoreError> {
        let sql = format!(
            "SELECT {CUSTOMER_COLUMNS} FROM konto.customers WHERE cloud = $1 AND id = ANY($2)"
        );
        let mut found = HashMap::new();
        for batch in ids.chunks(PAGE as usize) {
            let rows = self
                .client()?
                .query(&sql, &[&cloud.key(), &batch])
                .map_err(|e| self.fail(&e))?;
            for row in &rows {
                let c = customer_of(row)?;
                found.insert(c.id.clone(), c);
            }
        }
        Ok(found)
    }

    /// Which customer holds each of `domains` (lower case), a batch per query.
    pub(super) fn domain_owners(
        &self,
        cloud: Cloud,
        domains: &[&str],
    ) -> Result<HashMap<String, String>, StoreError> {
        let sql = "SELECT lower(company_domain), id FROM konto.customers \
                   WHERE cloud = $1 AND lower(company_domain) = ANY($2)";
        let mut found = HashMap::new();
        for batch in domains.chunks(PAGE as usize) {
            let rows = self
                .client()?
                .query(sql, &[&cloud.key(), &batch])
                .map_err(|e| self.fail(&e))?;
            found.extend(rows.iter().map(|r| (r.get(0), r.get(1))));
        }
        Ok(found)
    }

    /// A cloud's customers in id order, a page at a time.
    pub(super) fn each_customer(
        &self,
        cloud: Cloud,
    ) -> impl Iterator<Item = Result<Customer, StoreError>> + '_ {
        let sql = format!(
            "SELECT {CUSTOMER_COLUMNS} FROM konto.customers \
             WHERE cloud = $1 AND id > $2 ORDER BY id LIMIT $3"
        );
        Pages::new(move |after: Option<&Customer>| {
            let after = after.map_or("", |c| c.id.as_str());
            let rows = self
                .client()?
                .query(&sql, &[&cloud.key(), &after, &PAGE])
                .map_err(|e| self.fail(&e))?;
            rows.iter().map(customer_of).collect()
        })
    }

    pub(super) fn history(&self, cloud: Cloud, id: &str) -> Result<Vec<AuditEntry>, StoreError> {
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM konto.audit WHERE cloud = $1 AND id = $2 ORDER BY version"
        );
        let rows = self
            .client()?
            .query(&sql, &[&cloud.key(), &id])
            .map_err(|e| self.fail(&e))?;
        rows.iter().map(audit_of).collect()
    }

    /// Every audit entry of a cloud, by customer id and version, a page at
    /// a time.
    pub(super) fn each_history_entry(
        &self,
        cloud: Cloud,
    ) -> impl Iterator<Item = Result<AuditEntry, StoreError>> + '_ {
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM konto.audit \
             WHERE cloud = $1 AND (id, version) > ($2, $3) ORDER BY id, version LIMIT $4"
        );
        Pages::new(move |after: Option<&AuditEntry>| {
            let (id, version) = after.map_or(("", 0), |e| (e.id.as_str(), e.version as i64));
            let rows = self
                .client()?
                .query(&sql, &[&cloud.key(), &id, &version, &PAGE])
                .map_err(|e| self.fail(&e))?;
            rows.iter().map(audit_of).collect()
        })
    }

    /// The list rows in name order, streamed by a thread of their own
    /// (with a connection of its own) through one binary `COPY`.
    pub(super) fn rows(&self, cloud: Cloud) -> Rows {
        Rows::start(self.target.clone(), cloud)
    }

    /// Runs `f` in one transaction, again (up to `TRIES` times) when
    /// another transaction got in its way.
    pub(super) fn transact<R>(&self, f: &dyn Fn(&dyn Txn) -> TxResult<R>) -> Result<R, StoreError> {
        let mut client = self.client()?;
        for _ in 0..TRIES {
            let tx = client.transaction().map_err(|e| self.fail(&e))?;
            let pg = PgTx {
                tx: RefCell::new(tx),
                target: &self.target,
            };
            match f(&pg) {
                Ok(result) => match pg.tx.into_inner().commit() {
                    Ok(()) => return Ok(result),
                    Err(e) if must_retry(&e) => continue,
                    Err(e) => return Err(self.fail(&e)),
                },
                // Dropped: rolled back.
                Err(TxError::Retry) => continue,
                Err(TxError::Abort(e)) => return Err(e),
            }
        }
        Err(StoreError::Busy(self.label().to_string()))
    }

    /// A bulk write: one transaction, new records and audit entries copied
    /// in, changed records updated where their version is still the one
    /// planned on.
    pub(super) fn write_bulk(&mut self, writes: &[Write]) -> Result<(), StoreError> {
        let mut client = self.client()?;
        let target = self.target.clone();
        let fail = |e: postgres::Error| failed(&target, &e);
        let mut tx = client.transaction().map_err(fail)?;
        // In the order of the list's index, and the audit in its key's
        // order: PostgreSQL then appends to its indexes instead of
        // splitting pages all over them (1M customers: 35 s -> 21 s).
        let mut new: Vec<(String, &Customer)> = writes
            .iter()
            .filter(|w| w.old.is_none())
            .map(|w| (crate::domain::sort_key(w.new).0, w.new))
            .collect();
        new.sort_unstable_by(|(a, x), (b, y)| {
            (x.cloud.key(), a, &x.id).cmp(&(y.cloud.key(), b, &y.id))
        });
        copy::copy_in_customers(&mut tx, &target, new.into_iter().map(|(_, c)| Ok(c)))?;
        let update = tx.prepare(&columns::update_sql()).map_err(fail)?;
        for w in writes {
            if let Some(old) = w.old {
                let mut params = columns::params(columns::customer_values(w.new));
                params.push(Box::new(old.version as i64));
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    params.iter().map(|p| p.as_ref()).collect();
                if tx.execute(&update, &refs).map_err(fail)? != 1 {
                    return Err(StoreError::Conflict {
                        id: w.new.id.clone(),
                        based_on: old.version,
                        stored: old.version + 1,
                        fields: Vec::new(),
                    });
                }
            }
        }
        let mut entries: Vec<&AuditEntry> = writes.iter().map(|w| &w.entry).collect();
        entries.sort_unstable_by(|a, b| {
            (a.cloud.key(), &a.id, a.version).cmp(&(b.cloud.key(), &b.id, b.version))
        });
        copy::copy_in_audit(&mut tx, &target, entries.into_iter().map(Ok))?;
        tx.commit().map_err(fail)
    }

    /// Each cloud whose kept count (`konto.counts`) is not its number of
    /// rows, as a line saying both.
    #[cfg(feature = "testing")]
    pub(super) fn verify_counts(&self) -> Result<Vec<String>, StoreError> {
        let rows = self
            .client()?
            .query(
                "SELECT c.cloud, c.customers, \
                   (SELECT count(*) FROM konto.customers k WHERE k.cloud = c.cloud) \
                 FROM konto.counts c ORDER BY c.cloud",
                &[],
            )
            .map_err(|e| self.fail(&e))?;
        Ok(rows
            .iter()
            .filter(|r| r.get::<_, i64>(1) != r.get::<_, i64>(2))
            .map(|r| {
                let (cloud, kept, rows) = (
                    r.get::<_, String>(0),
                    r.get::<_, i64>(1),
                    r.get::<_, i64>(2),
                );
                format!("the count of {cloud} is {kept}, the table holds {rows}")
            })
            .collect())
    }

    /// How many audit entries the database holds.
    pub(super) fn count_entries(&self) -> Result<usize, StoreError> {
        let row = self
            .client()?
            .query_one("SELECT count(*) FROM konto.audit", &[])
            .map_err(|e| self.fail(&e))?;
        Ok(usize::try_from(row.get::<_, i64>(0)).unwrap_or(0))
    }

    /// Copies customers and audit entries in as they are (another store's,
    /// versions and times kept), in one transaction that also marks the
    /// database as seeded. Returns how many of each were copied.
    pub(super) fn copy_all(
        &mut self,
        customers: impl Iterator<Item = Result<Customer, StoreError>>,
        entries: impl Iterator<Item = Result<AuditEntry, StoreError>>,
    ) -> Result<(usize, usize), StoreError> {
        let mut client = self.client()?;
        let target = self.target.clone();
        let fail = |e: postgres::Error| failed(&target, &e);
        let mut tx = client.transaction().map_err(fail)?;
        let customers = copy::copy_in_customers(&mut tx, &target, customers)?;
        let entries = copy::copy_in_audit(&mut tx, &target, entries)?;
        tx.execute(
            "INSERT INTO konto.meta (key, value) VALUES ('seeded', '1') ON CONFLICT DO NOTHING",
            &[],
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)?;
        Ok((customers, entries))
    }
}

/// A transaction of the PostgreSQL store.
struct PgTx<'a> {
    tx: RefCell<postgres::Transaction<'a>>,
    target: &'a PgTarget,
}

impl PgTx<'_> {
    fn fail(&self, e: &postgres::Error) -> TxError {
        if must_retry(e) {
            TxError::Retry
        } else if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
            TxError::Abort(StoreError::Duplicate(target::reason(e)))
        } else {
            TxError::Abort(failed(self.target, e))
        }
    }

    fn execute(&self, sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]) -> TxResult<u64> {
        self.tx
            .borrow_mut()
            .execute(sql, params)
            .map_err(|e| self.fail(&e))
    }

    fn query_opt(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> TxResult<Option<postgres::Row>> {
        self.tx
            .borrow_mut()
            .query_opt(sql, params)
            .map_err(|e| self.fail(&e))
    }
}

impl Txn for PgTx<'_> {
    fn get(&self, cloud: Cloud, id: &str) -> TxResult<Option<Customer>> {
        // Locked until the transaction ends: a commit of the same customer
        // by another operator waits, then sees this one's version.
        let sql = format!(
            "SELECT {CUSTOMER_COLUMNS} FROM konto.customers \
             WHERE cloud = $1 AND id = $2 FOR UPDATE"
        );
        match self.query_opt(&sql, &[&cloud.key(), &id])? {
            Some(row) => Ok(Some(customer_of(&row)?)),
            None => Ok(None),
        }
    }

    fn put(&self, old: Option<&Customer>, new: &Customer) -> TxResult<()> {
        let mut params = columns::params(columns::customer_values(new));
        let sql = match old {
            None => columns::insert_sql(),
            Some(old) => {
                params.push(Box::new(old.version as i64));
                columns::update_sql()
            }
        };
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            params.iter().map(|p| p.as_ref()).collect();
        if self.execute(&sql, &refs)? == 1 {
            Ok(())
        } else {
            // The row changed since it was read (it cannot while locked,
            // so this is another writer that did not lock): read again.
            Err(TxError::Retry)
        }
    }

    fn remove(&self, c: &Customer) -> TxResult<()> {
        self.execute(
            "DELETE FROM konto.customers WHERE cloud = $1 AND id = $2",
            &[&c.cloud.key(), &c.id],
        )?;
        Ok(())
    }

    fn put_audit(&self, entry: &AuditEntry) -> TxResult<()> {
        let params = columns::params(columns::audit_values(entry)?);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            params.iter().map(|p| p.as_ref()).collect();
        self.execute(&columns::insert_audit_sql(), &refs)?;
        Ok(())
    }

    fn remove_audit(&self, cloud: Cloud, id: &str, version: u64) -> TxResult<()> {
        self.execute(
            "DELETE FROM konto.audit WHERE cloud = $1 AND id = $2 AND version = $3",
            &[&cloud.key(), &id, &(version as i64)],
        )?;
        Ok(())
    }

    fn audit_entry(&self, cloud: Cloud, id: &str, version: u64) -> TxResult<Option<AuditEntry>> {
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM konto.audit WHERE cloud = $1 AND id = $2 AND version = $3"
        );
        match self.query_opt(&sql, &[&cloud.key(), &id, &(version as i64)])? {
            Some(row) => Ok(Some(audit_of(&row)?)),
            None => Ok(None),
        }
    }

    fn mark_seeded(&self) -> TxResult<()> {
        self.execute(
            "INSERT INTO konto.meta (key, value) VALUES ('seeded', '1') ON CONFLICT DO NOTHING",
            &[],
        )?;
        Ok(())
    }
}

/// A walk over a table a page at a time: `next_page(last item)` gives the
/// page after it (an empty one at the end).
struct Pages<T, F> {
    next_page: F,
    page: VecDeque<T>,
    /// The last item of the page read last (a copy per page, not per item).
    last: Option<T>,
    done: bool,
}

impl<T: Clone, F: FnMut(Option<&T>) -> Result<Vec<T>, StoreError>> Pages<T, F> {
    fn new(next_page: F) -> Self {
        Pages {
            next_page,
            page: VecDeque::new(),
            last: None,
            done: false,
        }
    }
}

impl<T: Clone, F: FnMut(Option<&T>) -> Result<Vec<T>, StoreError>> Iterator for Pages<T, F> {
    type Item = Result<T, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.page.is_empty() && !self.done {
            match (self.next_page)(self.last.as_ref()) {
                Ok(page) => {
                    self.done = page.len() < PAGE as usize;
                    self.last = page.last().cloned();
                    self.page = page.into();
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        self.page.pop_front().map(Ok)
    }
}
