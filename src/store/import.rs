//! Imports: plan everything first (validation, versions, duplicates), then
//! write in batches of transactions; a failed batch rolls back the ones
//! before it, so from the operator's view an import is all or nothing. A
//! large import (and `konto gen`) is written by a rebuild instead (`bulk`).

use std::collections::{HashMap, HashSet};

use chrono::Utc;

use super::backend::Write;
use super::{Store, StoreError};
use crate::domain::spec;
use crate::domain::{AuditAction, AuditEntry, Cloud, Customer, FieldChange, label_for_key};
use crate::exchange::{ImportProblem, Incoming, Location};
use crate::t;
use crate::validate::{FieldError, normalise_identity, normalise_record, take_fixed_fields};

/// Records per transaction: large enough to be fast, small enough that
/// sled's transaction buffers stay modest.
const BATCH: usize = 2_000;

/// What an import will do (or did).
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

    /// Per-field changes of the updated records.
    pub fn diffs(&self) -> Vec<(String, Vec<FieldChange>)> {
        self.updated
            .iter()
            .map(|(old, new)| (format!("{} ({})", new.company.name, new.id), old.diff(new)))
            .collect()
    }
}

/// Why an import was refused; nothing was written.
#[derive(Debug)]
pub enum ImportRefused {
    Invalid(Vec<ImportProblem>),
    /// Records based on older versions than stored (without `--force`).
    Conflicts(Vec<ImportProblem>),
    Store(StoreError),
}

fn who(c: &Customer) -> String {
    format!("{}, {}", c.company.name, c.id)
}

impl Store {
    /// Checks every record and works out what the import would change, in
    /// three passes: who each record is (stored or new, unique in the
    /// file), the field checks (on every core), then domains, versions and
    /// what changes.
    pub fn plan_import(
        &self,
        incoming: Vec<Incoming>,
        force: bool,
    ) -> Result<ImportPlan, ImportRefused> {
        let mut planning = Planning::new(incoming.len(), force);
        // The stored records the file names, in both clouds (an id of the
        // other cloud is refused), read in a few batches rather than one
        // read per record (a round trip each on PostgreSQL).
        let mut stored_by_cloud = self.stored_records(&incoming)?;
        let mut identified = Vec::with_capacity(incoming.len());
        for (n, record) in incoming.into_iter().enumerate() {
            identified.extend(planning.identify(n, record, &mut stored_by_cloud));
        }
        let checked = self.check_all(&mut identified);
        let owners = self.owners_of_new_domains(&identified, &checked)?;
        for (record, checked) in identified.into_iter().zip(checked) {
            planning.decide(self, record, checked, &owners);
        }
        planning.finish()
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

    /// Writes a plan. Batches are transactions; if one fails, the batches
    /// already written are rolled back and the error returned.
    /// A large one (`bulk::BULK_MIN` records and a fifth of the store or
    /// more) is written by rebuilding the database instead: all or nothing
    /// by itself, and several times faster.
    pub fn apply_import(&mut self, operator: &str, plan: &ImportPlan) -> Result<(), StoreError> {
        let operator = self.author(operator).to_string();
        let entry = |c: &Customer, changes: Vec<FieldChange>| AuditEntry {
            time: c.updated,
            operator: operator.clone(),
            cloud: c.cloud,
            id: c.id.clone(),
            version: c.version,
            action: AuditAction::Import,
            changes,
            reverts: None,
            role: Some(self.role),
        };
        let writes: Vec<(Option<&Customer>, &Customer)> = plan
            .new
            .iter()
            .map(|c| (None, c))
            .chain(plan.updated.iter().map(|(old, new)| (Some(old), new)))
            .collect();
        // A created customer's entry does not repeat the record (its first
        // version is the record as created); that halves what a large
        // import writes.
        let changes = |old: Option<&Customer>, new: &Customer| {
            old.map(|old| old.diff(new)).unwrap_or_default()
        };
        if self.prefers_bulk(writes.len())? {
            let bulk: Vec<Write> = writes
                .iter()
                .map(|&(old, new)| Write {
                    old,
                    new,
                    entry: entry(new, changes(old, new)),
                })
                .collect();
            return self.write_bulk(&bulk);
        }
        let mut done = 0;
        for batch in writes.chunks(BATCH) {
            let result = self.transact(&|tx| {
                for &(old, new) in batch {
                    tx.put(old, new)?;
                    tx.put_audit(&entry(new, changes(old, new)))?;
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
    fn roll_back(&self, written: &[(Option<&Customer>, &Customer)]) -> Result<(), StoreError> {
        for batch in written.chunks(BATCH) {
            self.transact(&|tx| {
                for (old, new) in batch {
                    tx.remove_audit(new.cloud, &new.id, new.version)?;
                    match old {
                        Some(old) => tx.put(Some(new), old)?,
                        None => tx.remove(new)?,
                    }
                }
                Ok(())
            })?;
        }
        self.make_durable()
    }
}

/// What planning an import has found so far.
struct Planning {
    /// (record number, problem): sorted by record at the end, as the
    /// checks run in passes.
    problems: Vec<(usize, ImportProblem)>,
    conflicts: Vec<ImportProblem>,
    plan: ImportPlan,
    seen_ids: HashSet<(Cloud, String)>,
    /// The domains of the file's new customers so far, and whose they are.
    new_domains: HashMap<String, String>,
    now: chrono::DateTime<Utc>,
    force: bool,
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
    fn new(records: usize, force: bool) -> Planning {
        Planning {
            problems: Vec::new(),
            conflicts: Vec::new(),
            // Sized for an import of new customers, the common large one.
            plan: ImportPlan {
                new: Vec::with_capacity(records),
                ..ImportPlan::default()
            },
            seen_ids: HashSet::with_capacity(records),
            new_domains: HashMap::with_capacity(records),
            now: Utc::now(),
            force,
        }
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
        } else if !self.seen_ids.insert((customer.cloud, customer.id.clone())) {
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
    ) {
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
            return;
        }
        match stored {
            None => self.add(n, &location, customer, owners),
            Some(stored) => {
                let found = self.change(store, *stored, customer, version_given);
                if let Some(reason) = found {
                    let conflict = problem(&location, None, reason.0, &reason.1);
                    self.conflicts.push(conflict);
                }
            }
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
    ) {
        let domain = new.company.domain.clone();
        let taken = owners
            .get(&(new.cloud, domain.clone()))
            .or_else(|| self.new_domains.get(&domain))
            .cloned();
        if let Some(other) = taken {
            let reason = t!("import.domain_taken", domain = domain, other = other);
            let found = problem(location, Some("company.domain"), reason, &new);
            self.problems.push((n, found));
            return;
        }
        self.new_domains.insert(domain, new.id.clone());
        new.version = 1;
        new.created = self.now;
        new.updated = self.now;
        self.plan.new.push(new);
    }

    /// A stored customer's next version, if the record changes it; a
    /// record based on an older version than stored is a conflict (the
    /// reason and the record), unless forced.
    fn change(
        &mut self,
        store: &Store,
        stored: Customer,
        mut next: Customer,
        version_given: bool,
    ) -> Option<(String, Customer)> {
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
                return Some((reason, next));
            }
            self.plan.forced += 1;
        }
        if stored.diff(&next).is_empty() {
            self.plan.unchanged += 1;
            return None;
        }
        next.version = stored.version + 1;
        next.updated = self.now;
        self.plan.updated.push((stored, next));
        None
    }

    /// The plan, or every problem in file order (or the conflicts).
    fn finish(mut self) -> Result<ImportPlan, ImportRefused> {
        if !self.problems.is_empty() {
            self.problems.sort_by_key(|(n, _)| *n);
            return Err(ImportRefused::Invalid(
                self.problems.into_iter().map(|(_, p)| p).collect(),
            ));
        }
        if !self.conflicts.is_empty() {
            return Err(ImportRefused::Conflicts(self.conflicts));
        }
        Ok(self.plan)
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
        incoming: &[Incoming],
    ) -> Result<[HashMap<String, Customer>; 2], ImportRefused> {
        let ids: Vec<&str> = incoming
            .iter()
            .map(|i| i.customer.id.trim())
            .filter(|id| !id.is_empty())
            .collect();
        let read = |cloud| self.get_many(cloud, &ids).map_err(ImportRefused::Store);
        Ok([read(Cloud::Commercial)?, read(Cloud::Usgov)?])
    }

    /// Who holds the domain of each valid new customer already, by (cloud,
    /// domain), read in batches.
    fn owners_of_new_domains(
        &self,
        records: &[Identified],
        checked: &[Checked],
    ) -> Result<HashMap<(Cloud, String), String>, ImportRefused> {
        let mut owners = HashMap::new();
        for cloud in Cloud::ALL {
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
