//! Headless commands that change or inspect one customer.

use std::process::ExitCode;

use super::{OnOff, PermissionArg, allowed, exit, fail, print_out, store_error_code};
use crate::domain::{Access, AuditAction, Cloud, Customer, Permission};
use crate::exchange::columns;
use crate::store::{Committed, Store, StoreError};
use crate::t;

fn load(store: &Store, cloud: Cloud, id: &str) -> Result<Customer, ExitCode> {
    match store.get(cloud, id) {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(fail(exit::INVALID, StoreError::NotFound(id.to_string()))),
        Err(e) => Err(fail(store_error_code(&e), e)),
    }
}

/// The column a `--set` names: a full column name or its last part.
fn resolve_field(name: &str) -> Result<&'static str, String> {
    let name = name.trim();
    let cols = columns();
    if let Some(col) = cols.iter().find(|c| **c == name) {
        return Ok(col);
    }
    let matches: Vec<&&str> = cols
        .iter()
        .filter(|c| c.rsplit('.').next() == Some(name))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(t!(
            "cli.unknown_field",
            name = name,
            fields = cols.join(", ")
        )),
        many => Err(t!(
            "cli.ambiguous_field",
            name = name,
            fields = many.iter().map(|c| **c).collect::<Vec<_>>().join(", ")
        )),
    }
}

fn report(outcome: Result<Committed, StoreError>) -> Result<(), ExitCode> {
    match outcome {
        Ok(Committed::Saved(c)) => {
            let company = crate::text::safe(&c.company.name);
            println!(
                "{}",
                t!("status.saved", company = company, version = c.version)
            );
            Ok(())
        }
        Ok(Committed::Unchanged(c)) => {
            let company = crate::text::safe(&c.company.name);
            println!(
                "{}",
                t!("cli.unchanged", company = company, version = c.version)
            );
            Ok(())
        }
        Err(e) => Err(fail(store_error_code(&e), e)),
    }
}

pub fn update(
    store: &Store,
    cloud: Cloud,
    operator: &str,
    id: &str,
    sets: &[String],
    if_version: Option<u64>,
    access: Access,
) -> Result<(), ExitCode> {
    let mut record = load(store, cloud, id)?;
    let mut keys = Vec::new();
    if let Some(version) = if_version {
        record.version = version;
    }
    for set in sets {
        let Some((name, value)) = set.split_once('=') else {
            return Err(fail(exit::USAGE, t!("cli.set_syntax", set = set)));
        };
        let key = resolve_field(name).map_err(|e| fail(exit::USAGE, e))?;
        let fixed = [
            "id",
            "cloud",
            "version",
            "created",
            "updated",
            "company.domain",
            "company.tenant_id",
            "billing.address.country",
        ];
        if fixed.contains(&key) {
            return Err(fail(exit::INVALID, t!("cli.fixed_field", key = key)));
        }
        let value = if key.starts_with("permissions.") {
            match value.trim() {
                "on" | "true" | "yes" => "on",
                "off" | "false" | "no" => "off",
                other => {
                    return Err(fail(
                        exit::INVALID,
                        t!("cli.not_on_off", key = key, value = other),
                    ));
                }
            }
        } else {
            value
        };
        record.set_by_key(key, value);
        keys.push(key);
    }
    allowed(access.may_change(&keys))?;
    report(store.commit(operator, AuditAction::Update, &record))
}

pub fn permission(
    store: &Store,
    cloud: Cloud,
    operator: &str,
    id: &str,
    which: PermissionArg,
    state: OnOff,
) -> Result<(), ExitCode> {
    let mut record = load(store, cloud, id)?;
    let permission = match which {
        PermissionArg::Reservations => Permission::AzureReservations,
        PermissionArg::SavingsPlan => Permission::AzureSavingsPlan,
    };
    let allow = state == OnOff::On;
    record.permissions.set(permission, allow);
    let action = if allow {
        AuditAction::PermissionOn
    } else {
        AuditAction::PermissionOff
    };
    report(store.commit(operator, action, &record))
}

pub fn history(store: &Store, cloud: Cloud, id: &str, json: bool) -> Result<(), ExitCode> {
    if store
        .get(cloud, id)
        .map_err(|e| fail(store_error_code(&e), e))?
        .is_none()
    {
        return Err(fail(exit::INVALID, StoreError::NotFound(id.to_string())));
    }
    let entries = store
        .history(cloud, id)
        .map_err(|e| fail(store_error_code(&e), e))?;
    let mut text = String::new();
    if json {
        text = serde_json::to_string_pretty(&entries).map_err(|e| fail(exit::STORE, e))?;
        text.push('\n');
    }
    for entry in entries.iter().filter(|_| !json) {
        let local = entry.time.with_timezone(&chrono::Local);
        text += &format!(
            "v{}  {}  {}  {}\n",
            entry.version,
            local.format("%Y-%m-%d %H:%M:%S %Z"),
            crate::text::safe(&entry.operator),
            entry.action.title()
        );
        for c in &entry.changes {
            text += &format!(
                "    {}: {} → {}\n",
                crate::domain::label_for_key(&c.field),
                crate::text::safe(&c.old),
                crate::text::safe(&c.new)
            );
        }
    }
    if entries.is_empty() && !json {
        text += &format!("{}\n", t!("cli.no_history"));
    }
    print_out(text.as_bytes())
}

pub fn restore(store: &Store, file: &std::path::Path) -> Result<(), ExitCode> {
    let n = store
        .restore(file)
        .map_err(|e| fail(store_error_code(&e), e))?;
    let dir = store.dir().display();
    println!("{}", t!("cli.restored", count = n, dir = dir));
    Ok(())
}
