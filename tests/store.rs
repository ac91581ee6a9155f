//! The sled store: commits, versions, clouds, locking.

mod common;

use konto::demo::sample_customer;
use konto::domain::{AuditAction, Cloud, Customer};
use konto::store::{Committed, DEFAULT_CACHE_BYTES, Store, StoreError};

fn open(dir: &std::path::Path) -> Store {
    Store::open(dir, DEFAULT_CACHE_BYTES).expect("store opens")
}

fn seeded(dir: &std::path::Path) -> Store {
    let store = open(dir);
    let mut all = common::customers();
    let mut gov = sample_customer();
    gov.id = "g-1".into();
    gov.cloud = Cloud::Usgov;
    gov.company.name = "City of Tacoma".into();
    all.push(gov);
    assert_eq!(store.seed_if_new(&all).unwrap(), 6);
    store
}

fn saved(outcome: Committed) -> Customer {
    match outcome {
        Committed::Saved(c) => c,
        other => panic!("expected a saved record, got {other:?}"),
    }
}

#[test]
fn commit_raises_the_version_by_one_and_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let before = {
        let store = seeded(dir.path());
        let mut c = store.get(Cloud::Commercial, "c-1").unwrap().unwrap();
        let before = c.clone();
        c.billing.address.city = "Friedrichshafen".into();
        let after = saved(store.commit("anna", AuditAction::Update, &c).unwrap());
        assert_eq!(after.version, before.version + 1);
        assert!(after.updated > before.updated);
        assert_eq!(after.created, before.created);
        before
    };
    let store = open(dir.path());
    let c = store.get(Cloud::Commercial, "c-1").unwrap().unwrap();
    assert_eq!(c.billing.address.city, "Friedrichshafen");
    assert_eq!(c.version, before.version + 1);
    let history = store.history(Cloud::Commercial, "c-1").unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].operator, "anna");
    assert_eq!(history[0].version, 2);
    assert_eq!(history[0].changes[0].field, "billing.address.city");
    assert_eq!(history[0].changes[0].new, "Friedrichshafen");
}

#[test]
fn seeding_happens_once() {
    let dir = tempfile::tempdir().unwrap();
    {
        seeded(dir.path());
    }
    let store = open(dir.path());
    assert_eq!(store.seed_if_new(&common::customers()).unwrap(), 0);
    assert_eq!(store.count(Cloud::Commercial), 5);
}

#[test]
fn the_clouds_are_separate() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(dir.path());
    assert_eq!(store.count(Cloud::Commercial), 5);
    assert_eq!(store.count(Cloud::Usgov), 1);
    assert!(store.get(Cloud::Commercial, "g-1").unwrap().is_none());
    let mut gov = store.get(Cloud::Usgov, "g-1").unwrap().unwrap();
    gov.permissions.azure_reservations = true;
    saved(store.commit("op", AuditAction::PermissionOn, &gov).unwrap());
    let names: Vec<String> = store
        .customers(Cloud::Commercial)
        .unwrap()
        .into_iter()
        .map(|c| c.company.name)
        .collect();
    assert!(!names.contains(&"City of Tacoma".to_string()));
    assert!(
        store
            .get(Cloud::Usgov, "g-1")
            .unwrap()
            .unwrap()
            .permissions
            .azure_reservations
    );
}

#[test]
fn a_write_based_on_an_old_version_is_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(dir.path());
    let original = store.get(Cloud::Commercial, "c-3").unwrap().unwrap();
    let mut first = original.clone();
    first.billing.first_name = "Marie".into();
    saved(store.commit("a", AuditAction::Update, &first).unwrap());
    let mut stale = original.clone();
    stale.billing.first_name = "Luc".into();
    let err = store.commit("b", AuditAction::Update, &stale).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                based_on: 1,
                stored: 2,
                ..
            }
        ),
        "{err:?}"
    );
    let c = store.get(Cloud::Commercial, "c-3").unwrap().unwrap();
    assert_eq!(c.billing.first_name, "Marie");
}

#[test]
fn the_store_refuses_an_invalid_record_even_without_the_form() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(dir.path());
    let mut c = store.get(Cloud::Commercial, "c-1").unwrap().unwrap();
    c.company.name = "Evil\u{1b}]52;c;aGk=\u{7}".into();
    let err = store.commit("x", AuditAction::Update, &c).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let stored = store.get(Cloud::Commercial, "c-1").unwrap().unwrap();
    assert_eq!(stored.company.name, "Zeppelin Logistik AG");
    assert_eq!(stored.version, 1);
}

#[test]
fn an_unchanged_record_writes_no_new_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(dir.path());
    let c = store.get(Cloud::Commercial, "c-1").unwrap().unwrap();
    let outcome = store.commit("x", AuditAction::Update, &c).unwrap();
    assert!(matches!(outcome, Committed::Unchanged(_)));
    assert_eq!(
        store
            .get(Cloud::Commercial, "c-1")
            .unwrap()
            .unwrap()
            .version,
        1
    );
    assert!(store.history(Cloud::Commercial, "c-1").unwrap().is_empty());
}

#[test]
fn committing_an_unknown_customer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(dir.path());
    let mut c = sample_customer();
    c.id = "nope".into();
    let err = store.commit("x", AuditAction::Update, &c).unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)));
}

#[test]
fn a_second_open_of_the_same_store_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let _first = seeded(dir.path());
    let Err(err) = Store::open(dir.path(), DEFAULT_CACHE_BYTES) else {
        panic!("second open succeeded");
    };
    assert!(matches!(err, StoreError::InUse(_)));
    assert_eq!(
        err.to_string(),
        format!(
            "the store at {} is in use by another konto process",
            dir.path().display()
        )
    );
}

#[cfg(unix)]
#[test]
fn the_data_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("konto");
    let _store = open(&data);
    let mode = std::fs::metadata(&data).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}
