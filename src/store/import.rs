//! Imports, one record at a time: records are read, checked and planned
//! in chunks (the stored records a chunk names are read together, its
//! checks run on every core), and what they change is staged as it is
//! planned, so memory does not grow with the file. Nothing is written
//! until every record has passed: then the staged writes go in as one
//! rebuild (`sled_store::staging`, a large import) or as batches of
//! transactions, of which a failed one rolls back those before it, so from
//! the operator's view an import is all or nothing.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};

use chrono::Utc;

use super::backend::Write;
use super::sled_store::Staging;
use super::{Backend, Store, StoreError};
use crate::domain::spec;
use crate::domain::{AuditAction, AuditEntry, Cloud, Customer, FieldChange, label_for_key};
use crate::exchange::{ImportProblem, Incoming, Location, ReadRecord};
use crate::t;
use crate::validate::{FieldError, normalise_identity, normalise_record, take_fixed_fields};

/// Records per transaction: large enough to be fast, small enough that
/// sled's transaction buffers stay modest.
const BATCH: usize = 2_000;

/// Records read and planned together.
const CHUNK: usize = 4_096;

/// What one record of an import comes to: a new customer, or a stored
/// one's next version.
#[derive(Debug)]
pub struct Planned {
    pub old: Option<Customer>,
    pub new: Customer,
}

impl Planned {
    /// Whether it sets or changes a purchase permission (which a sales
    /// agent may not).
    fn touches_permissions(&self) -> bool {
        match &self.old {
            Some(old) => old
                .diff(&self.new)
                .iter()
                .any(|c| c.field.starts_with("permissions.")),
            None => {
                let p = &self.new.permissions;
                p.azure_reservations || p.azure_savings_plan
            }
        }
    }
}

/// What an import will do (or did), with every record it writes: for
/// imports that are small or built by code (tests); `Store::import` keeps
/// counts instead.
#[derive(Debug, Default)]
pub struct ImportPlan {
    pub new: Vec<Customer>,
    /// (stored, incoming) pairs.
    pub updated: Vec<(Customer, Customer)>,
    pub unchanged: usize,
    /// Records whose stated version is older than the stored one, taken
    /// anyway because of `--force`.
    pub forced: usize,
}

impl ImportPlan {
    pub fn summary(&self) -> String {
        t!(
            "import.summary",
            new = self.new.len(),
            updated = self.updated.len(),
            unchanged = self.unchanged
        )
    }
}

/// How an import is run.
#[derive(Clone, Copy, Debug)]
pub struct ImportOptions<'a> {
    /// Recorded in the audit entries.
    pub operator: &'a str,
    /// Take records based on older versions than stored.
    pub force: bool,
    /// Check and count, write nothing.
    pub dry_run: bool,
    /// Whether the operator may set purchase permissions.
    pub permissions_allowed: bool,
    /// Keep every change for the report (`--verbose`; grows with the file).
    pub keep_changes: bool,
}

/// What an import did (or, dry, would do).
#[derive(Debug, Default)]
pub struct ImportReport {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub forced: usize,
    /// With `keep_changes`: the updated records' changes, by customer.
    pub changes: Vec<(String, Vec<FieldChange>)>,
    /// With `keep_changes`: the new customers' names and ids.
    pub new_customers: Vec<(String, String)>,
}

impl ImportReport {
    pub fn summary(&self) -> String {
        t!(
            "import.summary",
            new = self.new,
            updated = self.updated,
            unchanged = self.unchanged
        )
    }

    fn note(&mut self, planned: &Planned, keep: bool) {
        match &planned.old {
            Some(old) => {
                self.updated += 1;
                if keep {
                    let who = format!("{} ({})", planned.new.company.name, planned.new.id);
                    self.changes.push((who, old.diff(&planned.new)));
                }
            }
            None => {
                self.new += 1;
                if keep {
                    let c = &planned.new;
                    self.new_customers
                        .push((c.company.name.clone(), c.id.clone()));
                }
            }
        }
    }
}

/// Where an import is: checking records (so many read), or writing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportPhase {
    Checking,
    Writing,
}

/// Why an import was refused; nothing was written.
#[derive(Debug)]
pub enum ImportRefused {
    Invalid(Vec<ImportProblem>),
    /// Records based on older versions than stored (without `--force`).
    Conflicts(Vec<ImportProblem>),
    /// It sets purchase permissions, which the operator may not.
    Permissions,
    Store(StoreError),
}

impl From<StoreError> for ImportRefused {
    fn from(e: StoreError) -> ImportRefused {
        ImportRefused::Store(e)
    }
}

fn who(c: &Customer) -> String {
    format!("{}, {}", c.company.name, c.id)
}

/// The writes of an import, gathered until every record has passed.
enum Staged {
    /// Few enough to keep: written as transactions (or copied in, on
    /// PostgreSQL).
    Kept(Vec<Planned>),
    /// Staged in sorted runs on disk, for a rebuild.
    Sled(Stager),
}

/// A chunk of writes for the stager: each planned record with its audit
/// entry.
type ToStage = Vec<(Planned, AuditEntry)>;

/// Stages a large import's writes on a thread of its own (encoding each
/// record and its index keys, sorting and writing the runs is a third of
/// the planning's work), so that the next chunk is read and checked
/// meanwhile.
struct Stager {
    /// Taken when the stager closes: its thread ends with the channel.
    chunks: Option<std::sync::mpsc::SyncSender<ToStage>>,
    /// The chunk being gathered.
    chunk: ToStage,
    /// Joined when the stager closes: by `finish`, or when it is dropped
    /// (an import refused), so its runs are gone before the import returns.
    thread: Option<std::thread::JoinHandle<Result<Staging, StoreError>>>,
}

impl Stager {
    fn start(mut staging: Staging) -> Stager {
        // Two chunks in flight at most: memory stays a few chunks' worth.
        let (chunks, incoming) = std::sync::mpsc::sync_channel::<ToStage>(2);
        let thread = std::thread::spawn(move || {
            for chunk in incoming {
                for (planned, entry) in chunk {
                    let write = Write {
                        old: planned.old.as_ref(),
                        new: &planned.new,
                        entry,
                    };
                    staging.add(&write)?;
                }
            }
            Ok(staging)
        });
        Stager {
            chunks: Some(chunks),
            chunk: Vec::with_capacity(CHUNK),
            thread: Some(thread),
        }
    }

    fn add(&mut self, planned: Planned, entry: AuditEntry) {
        self.chunk.push((planned, entry));
        if self.chunk.len() == CHUNK {
            let full = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
            self.send(full);
        }
    }

    fn send(&self, chunk: ToStage) {
        if let Some(chunks) = &self.chunks {
            // A stager that stopped has an error, which `finish` returns.
            let _ = chunks.send(chunk);
        }
    }

    /// Closes the channel and waits for the thread: what it staged, the
    /// first time.
    fn close(&mut self) -> Option<std::thread::Result<Result<Staging, StoreError>>> {
        self.chunks = None;
        self.thread.take().map(std::thread::JoinHandle::join)
    }

    /// Everything staged (or why staging failed).
    fn finish(mut self, store: &Store) -> Result<Staging, StoreError> {
        let last = std::mem::take(&mut self.chunk);
        self.send(last);
        match self.close() {
            Some(Ok(staged)) => staged,
            _ => Err(store.fail("the staging thread failed")),
        }
    }
}

impl Drop for Stager {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

impl Store {
    /// Imports `records` (from any reader: an iterator of numbered records
    /// or their problems), one chunk at a time, all or nothing: every
    /// problem of the file is reported (in file order) and nothing written,
    /// or every record is. `progress` hears how far it got.
    pub fn import(
        &mut self,
        records: impl Iterator<Item = ReadRecord>,
        options: &ImportOptions,
        progress: &mut dyn FnMut(ImportPhase, usize),
    ) -> Result<ImportReport, ImportRefused> {
        let mut planning = Planning::new(options.force, self.populated()?);
        let mut report = ImportReport::default();
        let mut staged = Staged::Kept(Vec::new());
        let mut permissions = false;
        let mut records = records.peekable();
        while records.peek().is_some() {
            let chunk: Vec<ReadRecord> = records.by_ref().take(CHUNK).collect();
            for planned in self.plan_chunk(&mut planning, chunk)? {
                report.note(&planned, options.keep_changes);
                permissions |= planned.touches_permissions();
                // Once a record is refused nothing will be written: the
                // rest is only checked.
                if !options.dry_run && planning.is_clean() {
                    staged = self.stage(options.operator, staged, planned)?;
                }
            }
            progress(ImportPhase::Checking, planning.read);
        }
        report.unchanged = planning.unchanged;
        report.forced = planning.forced;
        planning.finish()?;
        if permissions && !options.permissions_allowed {
            return Err(ImportRefused::Permissions);
        }
        let read = planning.read;
        // What it remembered of every record (~130 MB at a million) is
        // not needed for the writing.
        drop(planning);
        if !options.dry_run {
            progress(ImportPhase::Writing, read);
            self.write_staged(options.operator, staged)?;
        }
        Ok(report)
    }

    /// Checks every record and works out what the import would change
    /// (`import`'s checks, keeping every record planned).
    pub fn plan_import(
        &self,
        incoming: Vec<Incoming>,
        force: bool,
    ) -> Result<ImportPlan, ImportRefused> {
        let mut planning = Planning::new(force, self.populated()?);
        let mut plan = ImportPlan::default();
        let mut incoming = incoming.into_iter().map(Ok).peekable();
        while incoming.peek().is_some() {
            let chunk: Vec<ReadRecord> = incoming.by_ref().take(CHUNK).collect();
            for planned in self.plan_chunk(&mut planning, chunk)? {
                match planned.old {
                    Some(old) => plan.updated.push((old, planned.new)),
                    None => plan.new.push(planned.new),
                }
            }
        }
        plan.unchanged = planning.unchanged;
        plan.forced = planning.forced;
        planning.finish()?;
        Ok(plan)
    }

    /// Writes a plan, as `import` writes what it planned.
    pub fn apply_import(&mut self, operator: &str, plan: &ImportPlan) -> Result<(), StoreError> {
        let planned = plan
            .new
            .iter()
            .map(|c| (None, c))
            .chain(plan.updated.iter().map(|(old, new)| (Some(old), new)));
        let mut staged = Staged::Kept(Vec::new());
        for (old, new) in planned {
            let planned = Planned {
                old: old.cloned(),
                new: new.clone(),
            };
            staged = self.stage(operator, staged, planned)?;
        }
        self.write_staged(operator, staged)
    }

    /// The audit entry of an import's write.
    fn import_entry(&self, operator: &str, planned: &Planned) -> AuditEntry {
        let c = &planned.new;
        AuditEntry {
            time: c.updated,
            // On PostgreSQL the login, whatever `--operator` says.
            operator: self.author(operator).to_string(),
            cloud: c.cloud,
            id: c.id.clone(),
            version: c.version,
            action: AuditAction::Import,
            // A created customer's entry does not repeat the record (its
            // first version is the record as created); that halves what a
            // large import writes.
            changes: planned
                .old
                .as_ref()
                .map(|old| old.diff(c))
                .unwrap_or_default(),
            reverts: None,
            role: Some(self.role),
        }
    }

    /// Adds one write to what is staged: kept while few, in sorted runs on
    /// disk (sled) once there are enough for a rebuild.
    fn stage(
        &self,
        operator: &str,
        staged: Staged,
        planned: Planned,
    ) -> Result<Staged, StoreError> {
        match staged {
            Staged::Kept(mut kept) => {
                kept.push(planned);
                let Some(sled) = self.local() else {
                    return Ok(Staged::Kept(kept));
                };
                if kept.len() < sled.bulk_from()? {
                    return Ok(Staged::Kept(kept));
                }
                let mut stager = Stager::start(sled.staging()?);
                for planned in kept {
                    let entry = self.import_entry(operator, &planned);
                    stager.add(planned, entry);
                }
                Ok(Staged::Sled(stager))
            }
            Staged::Sled(mut stager) => {
                let entry = self.import_entry(operator, &planned);
                stager.add(planned, entry);
                Ok(Staged::Sled(stager))
            }
        }
    }

    fn write_of<'p>(&self, operator: &str, planned: &'p Planned) -> Write<'p> {
        Write {
            old: planned.old.as_ref(),
            new: &planned.new,
            entry: self.import_entry(operator, planned),
        }
    }

    /// Writes what an import staged: a rebuild, a bulk copy (PostgreSQL)
    /// or batches of transactions. If a batch fails, the batches already
    /// written are rolled back and the error returned.
    fn write_staged(&mut self, operator: &str, staged: Staged) -> Result<(), StoreError> {
        let kept = match staged {
            Staged::Sled(stager) => {
                let staging = stager.finish(self)?;
                return match &mut self.backend {
                    Backend::Sled(sled) => sled.write_staged(staging),
                    Backend::Postgres(_) => Err(self.fail("staged for sled, but not on sled")),
                };
            }
            Staged::Kept(kept) => kept,
        };
        let writes: Vec<Write> = kept.iter().map(|p| self.write_of(operator, p)).collect();
        if self.prefers_bulk(writes.len())? {
            return self.write_bulk(&writes);
        }
        let mut done = 0;
        for batch in writes.chunks(BATCH) {
            let result = self.transact(&|tx| {
                for w in batch {
                    tx.put(w.old, w.new)?;
                    tx.put_audit(&w.entry)?;
                }
                Ok(())
            });
            if let Err(e) = result {
                self.roll_back(&writes[..done])?;
                return Err(e);
            }
            done += batch.len();
        }
        self.make_durable()
    }

    /// Undoes written import batches: old records back, new ones and the
    /// import's audit entries gone.
    fn roll_back(&self, written: &[Write]) -> Result<(), StoreError> {
        for batch in written.chunks(BATCH) {
            self.transact(&|tx| {
                for w in batch {
                    tx.remove_audit(w.new.cloud, &w.new.id, w.new.version)?;
                    match w.old {
                        Some(old) => tx.put(Some(w.new), old)?,
                        None => tx.remove(w.new)?,
                    }
                }
                Ok(())
            })?;
        }
        self.make_durable()
    }

    /// Plans one chunk of records: who each is (stored or new, unique in
    /// the file), the field checks (on every core), then domains, versions
    /// and what changes.
    fn plan_chunk(
        &self,
        planning: &mut Planning,
        chunk: Vec<ReadRecord>,
    ) -> Result<Vec<Planned>, ImportRefused> {
        let mut incoming = Vec::with_capacity(chunk.len());
        for record in chunk {
            planning.read += 1;
            match record {
                Ok(record) => incoming.push((planning.read, record)),
                Err(problem) => planning.problems.push((planning.read, problem)),
            }
        }
        // The stored records the chunk names, in both clouds (an id of the
        // other cloud is refused), read together rather than one read per
        // record (a round trip each on PostgreSQL).
        let mut stored_by_cloud = self.stored_records(&incoming, planning.populated)?;
        let mut identified = Vec::with_capacity(incoming.len());
        for (n, record) in incoming {
            identified.extend(planning.identify(n, record, &mut stored_by_cloud));
        }
        let checked = self.check_all(&mut identified);
        let owners = self.owners_of_new_domains(&identified, &checked, planning.populated)?;
        Ok(identified
            .into_iter()
            .zip(checked)
            .filter_map(|(record, checked)| planning.decide(self, record, checked, &owners))
            .collect())
    }

    /// Labels of the fields changed after `version`, from the audit trail.
    fn changed_since(&self, stored: &Customer, version: u64) -> String {
        let mut fields: Vec<String> = self
            .history(stored.cloud, &stored.id)
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.version > version)
            .flat_map(|e| {
                e.changes
                    .into_iter()
                    .map(|c| label_for_key(&c.field).to_string())
            })
            .collect();
        fields.sort();
        fields.dedup();
        if fields.is_empty() {
            t!("import.unknown_fields").to_string()
        } else {
            fields.join(", ")
        }
    }
}

/// What planning an import has found so far. What it keeps per record is
/// a fingerprint of its id and of a new customer's domain (for duplicates
/// in the file), not the record.
struct Planning {
    /// Records read so far.
    read: usize,
    /// (record number, problem): sorted by record at the end, as the
    /// checks run in passes.
    problems: Vec<(usize, ImportProblem)>,
    conflicts: Vec<ImportProblem>,
    unchanged: usize,
    forced: usize,
    seen_ids: HashSet<u128>,
    /// The domains of the file's new customers so far, and whose they are.
    new_domains: HashMap<u128, Box<str>>,
    /// Two independent hashers make a 128-bit fingerprint: two different
    /// ids or domains share one with a chance of about 10^-26 at a million.
    hashers: [RandomState; 2],
    now: chrono::DateTime<Utc>,
    force: bool,
    /// Whether each cloud (`Cloud::ALL`'s order) had customers when the
    /// import began: an empty one has no records or domains to look up
    /// (a million look-ups saved when a store is filled).
    populated: [bool; 2],
}

fn problem(
    location: &Location,
    field: Option<&str>,
    reason: String,
    c: &Customer,
) -> ImportProblem {
    ImportProblem {
        location: location.clone(),
        customer: who(c),
        field: field.map(|k| label_for_key(k).to_string()),
        reason,
    }
}

impl Planning {
    fn new(force: bool, populated: [bool; 2]) -> Planning {
        Planning {
            read: 0,
            problems: Vec::new(),
            conflicts: Vec::new(),
            unchanged: 0,
            forced: 0,
            seen_ids: HashSet::new(),
            new_domains: HashMap::new(),
            hashers: [RandomState::new(), RandomState::new()],
            now: Utc::now(),
            force,
            populated,
        }
    }

    fn fingerprint(&self, parts: &[&[u8]]) -> u128 {
        let [a, b] = &self.hashers;
        let (a, b) = (a.hash_one(parts), b.hash_one(parts));
        (u128::from(a) << 64) | u128::from(b)
    }

    /// Whether no record has been refused so far.
    fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.conflicts.is_empty()
    }

    /// The first pass: whether record `n` is a stored customer (then with
    /// the stored country and identity, which it may leave out but not
    /// change) or a new one (given its identity), and unique in the file.
    fn identify(
        &mut self,
        n: usize,
        record: Incoming,
        stored_by_cloud: &mut [HashMap<String, Customer>; 2],
    ) -> Option<Identified> {
        let Incoming {
            location,
            mut customer,
            version_given,
        } = record;
        let [commercial, usgov] = stored_by_cloud;
        let (mine, theirs) = match customer.cloud {
            Cloud::Commercial => (commercial, usgov),
            Cloud::Usgov => (usgov, commercial),
        };
        let stored = mine.remove(customer.id.trim());
        let elsewhere = match &stored {
            Some(stored) => {
                if let Err(fixed) = take_fixed_fields(stored, &mut customer) {
                    for e in fixed {
                        let field = Some(spec(e.field).key);
                        let found = problem(&location, field, e.message, &customer);
                        self.problems.push((n, found));
                    }
                    return None;
                }
                None
            }
            None => {
                // A new customer: konto gives it its identity.
                if customer.company.tenant_id.trim().is_empty() {
                    customer.company.tenant_id = uuid::Uuid::new_v4().to_string();
                }
                if customer.id.trim().is_empty() {
                    customer.id = uuid::Uuid::new_v4().to_string();
                    None
                } else {
                    // The cloud is part of a customer's key: an id known in
                    // the other cloud is that customer, not a new one.
                    theirs
                        .contains_key(customer.id.trim())
                        .then(|| customer.cloud.other())
                }
            }
        };
        // Keys end in the id after a `\0`: a control character in it would
        // make one customer's keys look like another's.
        let reason = if customer.id.chars().any(char::is_control) {
            Some(t!("import.bad_id").to_string())
        } else if let Some(cloud) = elsewhere {
            Some(t!("import.other_cloud", cloud = cloud.title()))
        } else if !self
            .seen_ids
            .insert(self.fingerprint(&[customer.cloud.key().as_bytes(), customer.id.as_bytes()]))
        {
            Some(t!("import.duplicate_id").to_string())
        } else {
            None
        };
        if let Some(reason) = reason {
            let field = elsewhere.map(|_| "cloud");
            self.problems
                .push((n, problem(&location, field, reason, &customer)));
            return None;
        }
        Some(Identified {
            n,
            location,
            customer,
            version_given,
            stored: stored.map(Box::new),
        })
    }

    /// The third pass, for one checked record: its field errors, a domain
    /// another customer holds, a stale version, or what it adds or changes.
    fn decide(
        &mut self,
        store: &Store,
        record: Identified,
        checked: Checked,
        owners: &HashMap<(Cloud, String), String>,
    ) -> Option<Planned> {
        let Identified {
            n,
            location,
            customer,
            version_given,
            stored,
        } = record;
        if let Err(errors) = checked {
            for e in errors {
                self.problems.push((
                    n,
                    ImportProblem {
                        location: location.clone(),
                        customer: who(&customer),
                        field: Some(spec(e.field).title().to_string()),
                        reason: e.message,
                    },
                ));
            }
            return None;
        }
        match stored {
            None => self.add(n, &location, customer, owners),
            Some(stored) => self.change(store, &location, *stored, customer, version_given),
        }
    }

    /// A new customer, unless its domain is taken (in the store or by an
    /// earlier record of the file).
    fn add(
        &mut self,
        n: usize,
        location: &Location,
        mut new: Customer,
        owners: &HashMap<(Cloud, String), String>,
    ) -> Option<Planned> {
        let domain = new.company.domain.clone();
        let print = self.fingerprint(&[domain.as_bytes()]);
        let taken = match owners.get(&(new.cloud, domain.clone())) {
            Some(owner) => Some(owner.as_str()),
            None => self.new_domains.get(&print).map(|id| &**id),
        };
        if let Some(other) = taken {
            let reason = t!("import.domain_taken", domain = domain, other = other);
            let found = problem(location, Some("company.domain"), reason, &new);
            self.problems.push((n, found));
            return None;
        }
        self.new_domains.insert(print, new.id.as_str().into());
        new.version = 1;
        new.created = self.now;
        new.updated = self.now;
        Some(Planned { old: None, new })
    }

    /// A stored customer's next version, if the record changes it; a
    /// record based on an older version than stored is a conflict (the
    /// reason and the record), unless forced.
    fn change(
        &mut self,
        store: &Store,
        location: &Location,
        stored: Customer,
        mut next: Customer,
        version_given: bool,
    ) -> Option<Planned> {
        // History is the store's, not the file's.
        next.created = stored.created;
        if version_given && next.version < stored.version {
            if !self.force {
                let reason = t!(
                    "import.based_on",
                    based_on = next.version,
                    stored = stored.version,
                    fields = store.changed_since(&stored, next.version)
                );
                let conflict = problem(location, None, reason, &next);
                self.conflicts.push(conflict);
                return None;
            }
            self.forced += 1;
        }
        if stored.diff(&next).is_empty() {
            self.unchanged += 1;
            return None;
        }
        next.version = stored.version + 1;
        next.updated = self.now;
        Some(Planned {
            old: Some(stored),
            new: next,
        })
    }

    /// Every problem in file order (or the conflicts), if there are any.
    fn finish(&mut self) -> Result<(), ImportRefused> {
        if !self.problems.is_empty() {
            self.problems.sort_by_key(|(n, _)| *n);
            let problems = std::mem::take(&mut self.problems);
            return Err(ImportRefused::Invalid(
                problems.into_iter().map(|(_, p)| p).collect(),
            ));
        }
        if !self.conflicts.is_empty() {
            return Err(ImportRefused::Conflicts(std::mem::take(
                &mut self.conflicts,
            )));
        }
        Ok(())
    }
}

/// A record of an import, known to be stored or new and unique in it.
struct Identified {
    /// Its place among the import's records.
    n: usize,
    location: Location,
    customer: Customer,
    version_given: bool,
    /// The stored version (boxed: most imports are mostly new records).
    stored: Option<Box<Customer>>,
}

/// A record's checks: whether it is valid (its fields are normalised in
/// place).
type Checked = Result<(), Vec<FieldError>>;

impl Store {
    /// The second pass of `plan_import`: every record's checks, on as many
    /// threads as there are cores (validation, phone numbers above all, is
    /// most of an import's planning).
    fn check_all(&self, records: &mut [Identified]) -> Vec<Checked> {
        let check = |record: &mut Identified| -> Checked {
            let c = &mut record.customer;
            let valid = normalise_record(c, &self.policy);
            match (valid, record.stored.is_none()) {
                (valid, false) => valid,
                (Ok(()), true) => normalise_identity(c),
                (Err(errors), true) => Err(match normalise_identity(c) {
                    Ok(()) => errors,
                    Err(more) => errors.into_iter().chain(more).collect(),
                }),
            }
        };
        crate::parallel::map_on_cores(records, check)
    }

    /// The stored records of the ids an import names, per cloud (commercial,
    /// US government).
    fn stored_records(
        &self,
        incoming: &[(usize, Incoming)],
        populated: [bool; 2],
    ) -> Result<[HashMap<String, Customer>; 2], ImportRefused> {
        let ids: Vec<&str> = incoming
            .iter()
            .map(|(_, i)| i.customer.id.trim())
            .filter(|id| !id.is_empty())
            .collect();
        let read = |cloud, populated| match populated {
            true => self.get_many(cloud, &ids).map_err(ImportRefused::Store),
            false => Ok(HashMap::new()),
        };
        let [commercial, usgov] = populated;
        Ok([
            read(Cloud::Commercial, commercial)?,
            read(Cloud::Usgov, usgov)?,
        ])
    }

    /// Whether each cloud has customers (`Planning::populated`).
    fn populated(&self) -> Result<[bool; 2], StoreError> {
        let [commercial, usgov] = Cloud::ALL.map(|cloud| self.count(cloud).map(|n| n > 0));
        Ok([commercial?, usgov?])
    }

    /// Who holds the domain of each valid new customer already, by (cloud,
    /// domain), read in batches.
    fn owners_of_new_domains(
        &self,
        records: &[Identified],
        checked: &[Checked],
        populated: [bool; 2],
    ) -> Result<HashMap<(Cloud, String), String>, ImportRefused> {
        let mut owners = HashMap::new();
        for (cloud, _) in Cloud::ALL.into_iter().zip(populated).filter(|(_, p)| *p) {
            let domains: Vec<&str> = records
                .iter()
                .zip(checked)
                .filter(|(r, ok)| ok.is_ok() && r.stored.is_none() && r.customer.cloud == cloud)
                .map(|(r, _)| r.customer.company.domain.as_str())
                .collect();
            let found = self
                .domain_owners(cloud, &domains)
                .map_err(ImportRefused::Store)?;
            owners.extend(found.into_iter().map(|(d, id)| ((cloud, d), id)));
        }
        Ok(owners)
    }
}
