//! Daily JSON backups in `DIR/backups/` and rebuilding a store from one.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{SCHEMA_VERSION, Store, StoreError};
use crate::domain::{AuditEntry, Cloud, Customer};
use crate::t;
use crate::validate::{normalise_identity, normalise_record};

/// How many daily backups are kept.
pub const KEEP_BACKUPS: usize = 7;

/// Everything in a store, as one JSON document.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    pub schema: u64,
    pub written: DateTime<Utc>,
    pub customers: Vec<Customer>,
    pub audit: Vec<AuditEntry>,
}

fn backup_dir(dir: &Path) -> PathBuf {
    dir.join("backups")
}

fn backup_name(day: NaiveDate) -> String {
    format!("konto-{}.json", day.format("%Y-%m-%d"))
}

/// The backups in `dir`, oldest first (the names sort by date).
fn backups(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(backup_dir(dir))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("konto-") && n.ends_with(".json"))
        })
        .collect();
    found.sort();
    found
}

pub fn newest_backup(dir: &Path) -> Option<PathBuf> {
    backups(dir).pop()
}

impl Store {
    /// Where today's backup goes, if it is not written yet.
    pub fn due_backup(&self, now: DateTime<Utc>) -> Option<PathBuf> {
        let path = backup_dir(&self.dir).join(backup_name(now.date_naive()));
        (!path.exists()).then_some(path)
    }

    /// Writes today's backup unless there is one already, and keeps only the
    /// newest `KEEP_BACKUPS`. Returns the file written, if any.
    pub fn backup_if_due(&self, now: DateTime<Utc>) -> Result<Option<PathBuf>, StoreError> {
        let Some(path) = self.due_backup(now) else {
            return Ok(None);
        };
        let dir = backup_dir(&self.dir);
        fs::create_dir_all(&dir).map_err(|e| self.fail(e))?;
        // Written beside and renamed, so a crash never leaves half a backup.
        let partial = path.with_extension("json.partial");
        let file = fs::File::create(&partial).map_err(|e| self.fail(e))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        self.write_backup(&mut out, now)?;
        out.into_inner()
            .map_err(|e| e.into_error())
            .and_then(|file| file.sync_all())
            .and_then(|()| fs::rename(&partial, &path))
            .map_err(|e| self.fail(e))?;
        let all = backups(&self.dir);
        for old in all.iter().take(all.len().saturating_sub(KEEP_BACKUPS)) {
            let _ = fs::remove_file(old);
        }
        Ok(Some(path))
    }

    /// Everything in the store as a `Backup` document, written record by
    /// record: at a million customers a `Backup` value would take over 2 GB
    /// of memory and most of the time. The fields and their order are
    /// `Backup`'s.
    fn write_backup(&self, out: &mut impl Write, written: DateTime<Utc>) -> Result<(), StoreError> {
        let fail = |e: std::io::Error| self.fail(e);
        write!(out, "{{\"schema\":{SCHEMA_VERSION},\"written\":").map_err(fail)?;
        write_json(out, &written).map_err(fail)?;
        out.write_all(b",\"customers\":").map_err(fail)?;
        let customers = Cloud::ALL.into_iter().flat_map(|c| self.each_customer(c));
        self.write_array(out, customers)?;
        out.write_all(b",\"audit\":").map_err(fail)?;
        let audit = Cloud::ALL
            .into_iter()
            .flat_map(|c| self.each_history_entry(c));
        self.write_array(out, audit)?;
        out.write_all(b"}").map_err(fail)
    }

    /// `items` as a JSON array, one at a time.
    fn write_array<T: Serialize>(
        &self,
        out: &mut impl Write,
        items: impl Iterator<Item = Result<T, StoreError>>,
    ) -> Result<(), StoreError> {
        let fail = |e: std::io::Error| self.fail(e);
        out.write_all(b"[").map_err(fail)?;
        for (n, item) in items.enumerate() {
            if n > 0 {
                out.write_all(b",").map_err(fail)?;
            }
            write_json(out, &item?).map_err(fail)?;
        }
        out.write_all(b"]").map_err(fail)
    }

    /// Rebuilds this (empty) store from a backup file, all or nothing: every
    /// record is validated first, then everything is written in one
    /// transaction. Returns how many customers were restored.
    pub fn restore(&self, file: &Path) -> Result<usize, StoreError> {
        let bad = |reason: String| StoreError::BadBackup {
            path: file.to_path_buf(),
            reason,
        };
        if self.count(Cloud::Commercial)? + self.count(Cloud::Usgov)? > 0 {
            return Err(bad(format!(
                "the store at {} already holds customers; restore into a new --data-dir",
                self.dir.display()
            )));
        }
        let text = fs::read_to_string(file).map_err(|e| bad(e.to_string()))?;
        let backup: Backup = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if backup.schema > SCHEMA_VERSION {
            return Err(bad(format!(
                "it was written by a newer konto (schema {})",
                backup.schema
            )));
        }
        let (customers, problems) = self.check_backup(backup.customers);
        if !problems.is_empty() {
            return Err(bad(problems.join("\n")));
        }
        self.transact(&|tx| {
            for c in &customers {
                tx.put(None, c)?;
            }
            for entry in &backup.audit {
                tx.put_audit(entry)?;
            }
            tx.mark_seeded()
        })?;
        self.make_durable()?;
        Ok(customers.len())
    }

    /// A backup's customers as they will be stored, each checked as an
    /// import checks a new customer (fields, identity, one id and one
    /// domain per customer), or what is wrong, customer by customer.
    fn check_backup(&self, mut customers: Vec<Customer>) -> (Vec<Customer>, Vec<String>) {
        let mut problems = Vec::new();
        let mut ids = HashSet::new();
        let mut domains = HashMap::new();
        for (i, c) in customers.iter_mut().enumerate() {
            let mut errors: Vec<String> = Vec::new();
            for result in [normalise_record(c, &self.policy), normalise_identity(c)] {
                errors.extend(result.err().into_iter().flatten().map(|e| e.to_string()));
            }
            if errors.is_empty() && !ids.insert((c.cloud, c.id.clone())) {
                errors.push(t!("import.duplicate_id").to_string());
            }
            if errors.is_empty()
                && let Some(other) =
                    domains.insert((c.cloud, c.company.domain.clone()), c.id.clone())
            {
                let domain = &c.company.domain;
                errors.push(t!("import.domain_taken", domain = domain, other = other));
            }
            if !errors.is_empty() {
                problems.push(format!(
                    "customer {} ({}): {}",
                    i + 1,
                    c.id,
                    errors.join("; ")
                ));
            }
        }
        (customers, problems)
    }
}

fn write_json(out: &mut impl Write, value: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer(out, value).map_err(std::io::Error::from)
}
