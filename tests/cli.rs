//! The headless commands, run as the real binary against temp stores.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use konto::domain::{AuditAction, Cloud};
use konto::store::{DEFAULT_CACHE_BYTES, Store};

const BIN: &str = env!("CARGO_BIN_EXE_konto");

fn konto(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("KONTO_DATA_DIR")
        .output()
        .unwrap()
}

/// A store with the fixtures and one change to c-1 (version 2).
fn store_with_a_change(dir: &Path) {
    let store = Store::open(dir, DEFAULT_CACHE_BYTES).unwrap();
    store.seed_if_new(&common::customers()).unwrap();
    let mut c = store.get(Cloud::Commercial, "c-1").unwrap().unwrap();
    c.billing.address.city = "Ulm".into();
    store.commit("anna", AuditAction::Update, &c).unwrap();
}

#[test]
fn history_prints_entries_as_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_change(dir.path());
    let out = konto(dir.path(), &["history", "c-1", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entries: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(entries[0]["version"], 2);
    assert_eq!(entries[0]["operator"], "anna");
    assert_eq!(entries[0]["action"], "update");
    assert_eq!(entries[0]["changes"][0]["field"], "billing.address.city");
    assert_eq!(entries[0]["changes"][0]["new"], "Ulm");

    let out = konto(dir.path(), &["history", "c-1"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("v2  "), "{text}");
    assert!(text.contains("anna  update"), "{text}");
    assert!(text.contains("    City: Stuttgart → Ulm"), "{text}");
}

#[test]
fn history_of_an_unknown_customer_is_an_error_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_change(dir.path());
    let out = konto(dir.path(), &["history", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "konto: no customer with id nope"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn restore_rebuilds_a_store_from_a_backup_and_refuses_a_full_one() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_change(dir.path());
    let backup = {
        let store = Store::open(dir.path(), DEFAULT_CACHE_BYTES).unwrap();
        store.backup_if_due(chrono::Utc::now()).unwrap().unwrap()
    };
    let fresh = tempfile::tempdir().unwrap();
    let out = konto(fresh.path(), &["restore", backup.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("restored 5 customers"));
    let before = konto(dir.path(), &["export"]).stdout;
    let after = konto(fresh.path(), &["export"]).stdout;
    assert_eq!(
        before, after,
        "the export of the restored store is identical"
    );

    let again = konto(fresh.path(), &["restore", backup.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds customers"));
}

#[test]
fn usage_errors_exit_with_1_and_help_with_0() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(konto(dir.path(), &["frobnicate"]).status.code(), Some(1));
    assert_eq!(
        konto(dir.path(), &["--cloud", "mars", "export"])
            .status
            .code(),
        Some(1)
    );
    let help = konto(dir.path(), &["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("export"));
}

#[test]
fn export_honours_the_cloud() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_change(dir.path());
    let out = konto(dir.path(), &["export", "--cloud", "usgov"]);
    let customers: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(customers.is_empty(), "the fixtures are all commercial");
    let out = konto(dir.path(), &["export"]);
    let customers: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = customers
        .iter()
        .map(|c| c["company"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "Ärztehaus Nord GmbH", "sorted by company name");
    assert_eq!(names.len(), 5);
}
