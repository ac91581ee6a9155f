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
    assert_eq!(store.count(Cloud::Commercial).unwrap(), 5);
}

#[test]
fn the_clouds_are_separate() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(dir.path());
    assert_eq!(store.count(Cloud::Commercial).unwrap(), 5);
    assert_eq!(store.count(Cloud::Usgov).unwrap(), 1);
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

#[test]
fn a_conflict_names_the_fields_changed_since() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(dir.path());
    let original = store.get(Cloud::Commercial, "c-1").unwrap().unwrap();
    let mut theirs = original.clone();
    theirs.billing.address.city = "Friedrichshafen".into();
    theirs.billing.first_name = "Ute".into();
    saved(store.commit("a", AuditAction::Update, &theirs).unwrap());
    let mut mine = original;
    mine.billing.last_name = "Berg".into();
    let err = store.commit("b", AuditAction::Update, &mine).unwrap_err();
    let StoreError::Conflict { fields, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(fields, &["billing.address.city", "billing.first_name"]);
    assert!(
        err.to_string().contains("changed since: City, First name"),
        "{err}"
    );
}

#[test]
fn revert_undoes_one_change_as_a_new_audited_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(dir.path());
    let mut c = store.get(Cloud::Commercial, "c-1").unwrap().unwrap();
    c.billing.address.city = "Friedrichshafen".into();
    let c = saved(store.commit("a", AuditAction::Update, &c).unwrap());
    let mut c2 = c.clone();
    c2.permissions.azure_reservations = true;
    saved(store.commit("a", AuditAction::PermissionOn, &c2).unwrap());

    // Reverting version 2 (the city) leaves version 3 (the permission) alone.
    let reverted = saved(store.revert("b", Cloud::Commercial, "c-1", 2).unwrap());
    assert_eq!(reverted.version, 4);
    assert_eq!(reverted.billing.address.city, "Stuttgart");
    assert!(reverted.permissions.azure_reservations);
    let history = store.history(Cloud::Commercial, "c-1").unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.action, AuditAction::Revert);
    assert_eq!(last.reverts, Some(2));
    assert_eq!(last.operator, "b");
    assert_eq!(last.changes[0].old, "Friedrichshafen");
    assert_eq!(last.changes[0].new, "Stuttgart");
}

#[test]
fn revert_is_refused_when_a_later_change_touched_the_same_field() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(dir.path());
    let mut c = store.get(Cloud::Commercial, "c-1").unwrap().unwrap();
    c.billing.address.city = "Ulm".into();
    let mut c = saved(store.commit("a", AuditAction::Update, &c).unwrap());
    c.billing.address.city = "Konstanz".into();
    saved(store.commit("a", AuditAction::Update, &c).unwrap());
    let err = store.revert("b", Cloud::Commercial, "c-1", 2).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot revert version 2: the later version 3 changed City too; revert that first"
    );
    assert_eq!(
        store
            .get(Cloud::Commercial, "c-1")
            .unwrap()
            .unwrap()
            .version,
        3
    );
    assert!(matches!(
        store.revert("b", Cloud::Commercial, "c-1", 9),
        Err(StoreError::NoSuchChange { .. })
    ));
}

#[test]
fn indexes_follow_every_commit_and_find_by_domain_uses_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(dir.path());
    let mut c = store.get(Cloud::Commercial, "c-3").unwrap().unwrap();
    c.company.name = "Pâtisserie Lefèvre SARL".into();
    c.billing.email = "paul@lefevre.fr".into();
    saved(store.commit("a", AuditAction::Update, &c).unwrap());
    assert_eq!(store.verify_indexes().unwrap(), Vec::<String>::new());
    let found = store
        .find_by_domain(Cloud::Commercial, "LEFEVRE.onmicrosoft.com")
        .unwrap()
        .unwrap();
    assert_eq!(found.id, "c-3");
    assert!(
        store
            .find_by_domain(Cloud::Usgov, "lefevre.onmicrosoft.com")
            .unwrap()
            .is_none()
    );
}

/// Writes a store the way konto wrote it before schema versions and indexes.
fn write_schema_1_store(dir: &std::path::Path) {
    let db = sled::open(dir.join("sled")).unwrap();
    let tree = db.open_tree("customers/commercial").unwrap();
    for c in common::customers() {
        tree.insert(c.id.as_bytes(), serde_json::to_vec(&c).unwrap())
            .unwrap();
    }
    db.open_tree("meta").unwrap().insert("seeded", "1").unwrap();
    db.flush().unwrap();
}

#[test]
fn an_older_store_is_migrated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    write_schema_1_store(dir.path());
    let store = open(dir.path());
    assert_eq!(store.count(Cloud::Commercial).unwrap(), 5);
    assert_eq!(store.verify_indexes().unwrap(), Vec::<String>::new());
    assert!(
        store
            .find_by_domain(Cloud::Commercial, "zeppelin.onmicrosoft.com")
            .unwrap()
            .is_some()
    );
}

/// An audit entry as schema 3 stored it: every field, the time as text.
#[derive(serde::Serialize)]
struct AuditV3<'a> {
    time: chrono::DateTime<chrono::Utc>,
    operator: &'a str,
    cloud: Cloud,
    id: &'a str,
    version: u64,
    action: AuditAction,
    changes: Vec<konto::domain::FieldChange>,
    reverts: Option<u64>,
    role: Option<konto::domain::Role>,
}

/// Writes a store the way schema 3 did: postcard values that repeat the
/// id, cloud and version of their keys, times as text.
fn write_schema_3_store(dir: &std::path::Path, customers: &[Customer]) {
    let db = sled::open(dir.join("sled")).unwrap();
    let records = db.open_tree("customers/commercial").unwrap();
    let names = db.open_tree("index/name").unwrap();
    let domains = db.open_tree("index/domain").unwrap();
    let audit = db.open_tree("audit").unwrap();
    for c in customers {
        records
            .insert(c.id.as_bytes(), postcard::to_allocvec(c).unwrap())
            .unwrap();
        let name_key = format!("commercial\0{}\0{}", konto::domain::sort_key(c).0, c.id);
        let row = konto::listing::Row::of(c);
        names
            .insert(name_key, postcard::to_allocvec(&row).unwrap())
            .unwrap();
        let domain_key = format!("commercial\0{}", c.company.domain.to_lowercase());
        domains.insert(domain_key, c.id.as_bytes()).unwrap();
        let entry = AuditV3 {
            time: c.updated,
            operator: "jana",
            cloud: Cloud::Commercial,
            id: &c.id,
            version: c.version,
            action: AuditAction::Update,
            changes: vec![konto::domain::FieldChange {
                field: "company.name".into(),
                old: "Old name".into(),
                new: c.company.name.clone(),
            }],
            reverts: None,
            role: Some(konto::domain::Role::Sales),
        };
        let mut audit_key = format!("commercial\0{}\0", c.id).into_bytes();
        audit_key.extend_from_slice(&c.version.to_be_bytes());
        audit
            .insert(audit_key, postcard::to_allocvec(&entry).unwrap())
            .unwrap();
    }
    let meta = db.open_tree("meta").unwrap();
    meta.insert("schema", &3u64.to_be_bytes()).unwrap();
    meta.insert("seeded", "1").unwrap();
    meta.insert("count\0commercial", &(customers.len() as u64).to_be_bytes())
        .unwrap();
    db.flush().unwrap();
}

#[test]
fn a_schema_3_store_is_rewritten_on_open_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut customers = common::customers();
    // Times with nanoseconds, which the new layout must keep exactly.
    customers[0].updated += chrono::Duration::nanoseconds(123_456_789);
    customers[1].version = 300;
    write_schema_3_store(dir.path(), &customers);
    {
        let store = open(dir.path());
        assert_eq!(store.count(Cloud::Commercial).unwrap(), customers.len());
        assert_eq!(store.verify_indexes().unwrap(), Vec::<String>::new());
        for c in &customers {
            assert_eq!(
                store.get(Cloud::Commercial, &c.id).unwrap().as_ref(),
                Some(c)
            );
            let history = store.history(Cloud::Commercial, &c.id).unwrap();
            assert_eq!(history.len(), 1, "{}", c.id);
            let entry = &history[0];
            assert_eq!(
                (entry.cloud, entry.id.as_str(), entry.version, entry.time),
                (Cloud::Commercial, c.id.as_str(), c.version, c.updated)
            );
            assert_eq!(entry.operator, "jana");
            assert_eq!(entry.role, Some(konto::domain::Role::Sales));
            assert_eq!(entry.changes[0].old, "Old name");
        }
        let mut expected: Vec<_> = customers.iter().map(konto::listing::Row::of).collect();
        expected.sort_by_key(|r| (konto::domain::fold_name(&r.name), r.id.clone()));
        assert_eq!(listed_rows(&store), expected);
        // And it takes new writes in the new layout.
        let mut changed = customers[2].clone();
        changed.company.name = "Renamed GmbH".into();
        let saved = saved(store.commit("jana", AuditAction::Update, &changed).unwrap());
        assert_eq!(
            store.history(Cloud::Commercial, &saved.id).unwrap().len(),
            2
        );
    }
    // The rewrite is done once: the next open finds the new schema.
    let store = open(dir.path());
    assert_eq!(store.count(Cloud::Commercial).unwrap(), customers.len());
    assert!(!dir.path().join("sled.compacting").exists());
}

#[test]
fn a_store_from_a_newer_konto_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = sled::open(dir.path().join("sled")).unwrap();
        let meta = db.open_tree("meta").unwrap();
        meta.insert("schema", &99u64.to_be_bytes()).unwrap();
        db.flush().unwrap();
    }
    let Err(err) = Store::open(dir.path(), DEFAULT_CACHE_BYTES) else {
        panic!("opened a newer store");
    };
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }));
    assert!(
        err.to_string()
            .contains("written by a newer konto (schema 99"),
        "{err}"
    );
}

#[test]
fn a_damaged_store_gets_a_clear_message_pointing_at_the_backup() {
    let dir = tempfile::tempdir().unwrap();
    let backup = {
        let store = seeded(dir.path());
        store.backup_if_due(chrono::Utc::now()).unwrap().unwrap()
    };
    // Garbage where sled keeps its configuration.
    std::fs::write(dir.path().join("sled").join("conf"), b"\x00garbage\xff").unwrap();
    let before = std::fs::read(dir.path().join("sled").join("db")).unwrap();
    let Err(err) = Store::open(dir.path(), DEFAULT_CACHE_BYTES) else {
        panic!("opened a damaged store");
    };
    let message = err.to_string();
    assert!(message.contains("cannot be opened"), "{message}");
    assert!(message.contains(&backup.display().to_string()), "{message}");
    let after = std::fs::read(dir.path().join("sled").join("db")).unwrap();
    assert_eq!(before, after, "the damaged store is not overwritten");
}

#[test]
#[expect(
    clippy::cognitive_complexity,
    reason = "split with the store boundary (issue 16/18)"
)]
fn backups_are_daily_keep_seven_and_restore_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(dir.path());
    let mut c = store.get(Cloud::Commercial, "c-1").unwrap().unwrap();
    c.billing.address.city = "Ulm".into();
    saved(store.commit("a", AuditAction::Update, &c).unwrap());
    // History in both clouds, so the backup must carry both.
    let mut gov = store.customers(Cloud::Usgov).unwrap().remove(0);
    gov.billing.address.city = "Reston".into();
    saved(store.commit("a", AuditAction::Update, &gov).unwrap());
    let day = |d: u32| {
        chrono::DateTime::parse_from_rfc3339(&format!("2026-11-{d:02}T12:00:00Z"))
            .unwrap()
            .to_utc()
    };
    for d in 1..=9 {
        assert!(store.backup_if_due(day(d)).unwrap().is_some());
    }
    assert!(store.backup_if_due(day(9)).unwrap().is_none(), "once a day");
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 7);
    assert_eq!(names[0], "konto-2026-11-03.json");
    let newest = dir.path().join("backups").join("konto-2026-11-09.json");
    // Written record by record, it is everything in the store all the same.
    let written: konto::store::Backup =
        serde_json::from_slice(&std::fs::read(&newest).unwrap()).unwrap();
    let (mut customers, mut audit) = (Vec::new(), Vec::new());
    for cloud in Cloud::ALL {
        customers.extend(store.customers(cloud).unwrap());
        audit.extend(store.all_history(cloud).unwrap());
    }
    assert_eq!(written.schema, konto::store::SCHEMA_VERSION);
    assert_eq!(written.written, day(9));
    assert_eq!(written.customers, customers);
    assert_eq!(written.audit, audit);
    assert_eq!(written.customers.len(), 6);
    assert!(!written.audit.is_empty());

    // Restore into a new store: everything comes back, history included.
    let other = tempfile::tempdir().unwrap();
    let restored = open(other.path());
    assert_eq!(restored.restore(&newest).unwrap(), 6);
    let back = restored.get(Cloud::Commercial, "c-1").unwrap().unwrap();
    assert_eq!(back.billing.address.city, "Ulm");
    assert_eq!(back.version, 2);
    assert_eq!(restored.history(Cloud::Commercial, "c-1").unwrap().len(), 1);
    assert_eq!(restored.count(Cloud::Usgov).unwrap(), 1);
    assert_eq!(restored.verify_indexes().unwrap(), Vec::<String>::new());
    // Not into a store that has customers.
    assert!(matches!(
        restored.restore(&newest),
        Err(StoreError::BadBackup { .. })
    ));

    // A backup with one invalid record restores nothing.
    let mut backup: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&newest).unwrap()).unwrap();
    backup["customers"][3]["billing"]["email"] = "broken".into();
    let bad = other.path().join("bad.json");
    std::fs::write(&bad, serde_json::to_vec(&backup).unwrap()).unwrap();
    let third = tempfile::tempdir().unwrap();
    let empty = open(third.path());
    let err = empty.restore(&bad).unwrap_err();
    assert!(err.to_string().contains("customer 4"), "{err}");
    assert_eq!(empty.count(Cloud::Commercial).unwrap(), 0, "all or nothing");
}

#[cfg(unix)]
#[test]
fn store_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    {
        seeded(dir.path());
    }
    let _store = open(dir.path());
    let db = dir.path().join("sled").join("db");
    assert_eq!(
        std::fs::metadata(&db).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let sled_dir = dir.path().join("sled");
    assert_eq!(
        std::fs::metadata(&sled_dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

#[test]
fn commit_many_writes_each_as_its_own_version_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(dir.path());
    let mut a = store.get(Cloud::Commercial, "c-1").unwrap().unwrap();
    let mut b = store.get(Cloud::Commercial, "c-2").unwrap().unwrap();
    a.billing.address.city = "Ulm".into();
    b.billing.address.city = "Ulm".into();
    let saved = store
        .commit_many("op", AuditAction::Update, &[a.clone(), b.clone()])
        .unwrap();
    assert_eq!(saved.len(), 2);
    assert_eq!(store.history(Cloud::Commercial, "c-2").unwrap().len(), 1);
    // One stale record: nothing is written.
    a.billing.address.city = "Bonn".into();
    let mut fresh = store.get(Cloud::Commercial, "c-2").unwrap().unwrap();
    fresh.billing.address.city = "Bonn".into();
    let err = store
        .commit_many("op", AuditAction::Update, &[fresh, a])
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }));
    assert_eq!(
        store
            .get(Cloud::Commercial, "c-2")
            .unwrap()
            .unwrap()
            .billing
            .address
            .city,
        "Ulm"
    );
}

#[test]
fn a_data_file_sled_reads_as_empty_is_reported_not_reseeded() {
    let dir = tempfile::tempdir().unwrap();
    {
        seeded(dir.path());
    }
    // Damage the start of the data file (sled would open it as empty).
    let db = dir.path().join("sled").join("db");
    let mut bytes = std::fs::read(&db).unwrap();
    for b in bytes.iter_mut().take(64) {
        *b = 0xA5;
    }
    std::fs::write(&db, &bytes).unwrap();
    let Err(err) = Store::open(dir.path(), DEFAULT_CACHE_BYTES) else {
        panic!("a damaged store opened (and would have been re-seeded)");
    };
    assert!(matches!(err, StoreError::Damaged { .. }), "{err:?}");
}

#[test]
fn compaction_keeps_every_record_and_entry_and_gives_space_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(dir.path());
    // Random rewrites leave old page versions behind.
    let mut c = store.customers(Cloud::Commercial).unwrap().remove(0);
    for n in 0..200 {
        c.billing.address.city = format!("Ulm {n}");
        c = saved(store.commit("ops", AuditAction::Update, &c).unwrap());
    }
    let before: Vec<Customer> = store.customers(Cloud::Commercial).unwrap();
    let history = store.history(Cloud::Commercial, &c.id).unwrap();
    let (old_size, new_size) = store.compact().unwrap();
    assert!(new_size < old_size, "{old_size} -> {new_size}");
    let store = open(dir.path());
    assert_eq!(store.customers(Cloud::Commercial).unwrap(), before);
    assert_eq!(store.history(Cloud::Commercial, &c.id).unwrap(), history);
    assert!(store.verify_indexes().unwrap().is_empty());
    assert_eq!(store.count(Cloud::Commercial).unwrap(), before.len());
    let rows = store
        .rows(Cloud::Commercial)
        .fill(
            &mut konto::listing::Listing::new(Cloud::Commercial),
            usize::MAX,
        )
        .unwrap();
    assert_eq!(rows, before.len());
}

#[test]
fn a_compaction_cut_short_leaves_the_old_or_the_new_store() {
    let dir = tempfile::tempdir().unwrap();
    let count = {
        let store = seeded(dir.path());
        store.count(Cloud::Commercial).unwrap()
    };
    // Cut short after setting the old database aside, before the new one
    // was moved in: the old one is put back.
    std::fs::rename(dir.path().join("sled"), dir.path().join("sled.replaced")).unwrap();
    std::fs::create_dir(dir.path().join("sled.compacting")).unwrap();
    let store = open(dir.path());
    assert_eq!(store.count(Cloud::Commercial).unwrap(), count);
    assert!(!dir.path().join("sled.replaced").exists());
    assert!(!dir.path().join("sled.compacting").exists());
}

#[test]
fn a_kept_head_of_the_list_is_forgotten_by_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(dir.path());
    let head = konto::store::Head {
        total: 5,
        rows: store
            .customers(Cloud::Commercial)
            .unwrap()
            .iter()
            .map(konto::listing::Row::of)
            .collect(),
        first: None,
    };
    store.keep_head(Cloud::Commercial, &head).unwrap();
    assert_eq!(
        konto::store::read_head(dir.path(), Cloud::Commercial),
        Some(head)
    );
    let mut c = store.customers(Cloud::Commercial).unwrap().remove(0);
    c.billing.address.city = "Ulm".into();
    store.commit("ops", AuditAction::Update, &c).unwrap();
    assert_eq!(konto::store::read_head(dir.path(), Cloud::Commercial), None);
}

/// The commercial list as the store hands it to the app, in list order.
fn listed_rows(store: &Store) -> Vec<konto::listing::Row> {
    let mut listing = konto::listing::Listing::new(Cloud::Commercial);
    store
        .rows(Cloud::Commercial)
        .fill(&mut listing, usize::MAX)
        .unwrap();
    listing
        .by_name()
        .iter()
        .map(|&i| listing.get(i as usize).unwrap().to_row())
        .collect()
}

fn listed_ids(store: &Store) -> Vec<String> {
    listed_rows(store).into_iter().map(|r| r.id).collect()
}

#[test]
#[expect(
    clippy::cognitive_complexity,
    reason = "split with the store boundary (issue 16/18)"
)]
fn a_large_import_is_written_by_a_rebuild_that_loses_and_breaks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = seeded(dir.path());
    let before = store.customers(Cloud::Commercial).unwrap();
    let templates = konto::demo::demo_customers().unwrap();
    let generated = konto::generate::generate(
        &templates,
        konto::store::BULK_MIN + 500,
        7,
        Cloud::Commercial,
    );
    let plan = store
        .plan_import(konto::exchange::Incoming::numbered(generated), false)
        .unwrap();
    store.apply_import("gen", &plan).unwrap();
    let total = before.len() + plan.new.len();
    let generated_id = plan.new[0].id.clone();
    assert_eq!(store.count(Cloud::Commercial).unwrap(), total);
    assert_eq!(
        store.count(Cloud::Usgov).unwrap(),
        1,
        "the other cloud kept"
    );
    assert_eq!(store.verify_indexes().unwrap(), Vec::<String>::new());
    for c in &before {
        assert_eq!(
            store.get(Cloud::Commercial, &c.id).unwrap().as_ref(),
            Some(c)
        );
    }
    for c in &plan.new {
        assert_eq!(
            store.get(Cloud::Commercial, &c.id).unwrap().as_ref(),
            Some(c)
        );
        let history = store.history(Cloud::Commercial, &c.id).unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].action, AuditAction::Import);
    }
    // The name index lists everyone, in name order.
    let mut expected: Vec<Customer> = store.customers(Cloud::Commercial).unwrap();
    expected.sort_by_key(|c| {
        let (name, id) = konto::domain::sort_key(c);
        (name, id.to_string())
    });
    let expected: Vec<String> = expected.into_iter().map(|c| c.id).collect();
    assert_eq!(listed_ids(&store), expected);

    // Everyone renamed (a domain is fixed, so the rename is what moves in
    // the indexes), in one import that is again large enough to be a
    // rebuild: the old name entries go, the new ones come, each customer
    // gets its second version.
    let mut changed = store.customers(Cloud::Commercial).unwrap();
    for c in &mut changed {
        c.company.name = format!("{} Neu", c.company.name);
    }
    let plan = store
        .plan_import(konto::exchange::Incoming::numbered(changed), false)
        .unwrap();
    assert_eq!(plan.updated.len(), total);
    store.apply_import("jana", &plan).unwrap();
    assert_eq!(store.count(Cloud::Commercial).unwrap(), total);
    assert_eq!(store.verify_indexes().unwrap(), Vec::<String>::new());
    let first = store
        .get(Cloud::Commercial, &before[0].id)
        .unwrap()
        .unwrap();
    assert!(first.company.name.ends_with(" Neu"));
    assert_eq!(
        store
            .history(Cloud::Commercial, &generated_id)
            .unwrap()
            .len(),
        2
    );
    let found = store
        .find_by_domain(Cloud::Commercial, &first.company.domain)
        .unwrap();
    assert_eq!(found.map(|c| c.id), Some(first.id.clone()));
    let listed = listed_rows(&store);
    assert_eq!(listed.len(), total);
    assert!(
        listed.iter().all(|r| r.name.ends_with(" Neu")),
        "no old name row is left"
    );
    drop(store);
    // What the rebuild wrote is what the next open finds.
    let store = open(dir.path());
    assert_eq!(store.count(Cloud::Commercial).unwrap(), total);
    assert!(!dir.path().join("sled.compacting").exists());
    assert!(!dir.path().join("sled.replaced").exists());
}

#[test]
fn import_problems_are_reported_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(dir.path());
    let mut bad_email = sample_customer();
    bad_email.id = "n-1".into();
    bad_email.company.domain = "neu-1.onmicrosoft.com".into();
    bad_email.billing.email = "not an email".into();
    // The same id again: found by an earlier check than the email.
    let mut twice = bad_email.clone();
    twice.billing.email = "ok@example.com".into();
    let Err(konto::store::ImportRefused::Invalid(problems)) = store.plan_import(
        konto::exchange::Incoming::numbered(vec![bad_email, twice]),
        false,
    ) else {
        panic!("import accepted");
    };
    let order: Vec<String> = problems.iter().map(|p| p.location.to_string()).collect();
    assert_eq!(order.len(), 2, "{problems:?}");
    assert!(
        order[0].contains('1') && order[1].contains('2'),
        "{order:?}"
    );
    assert_eq!(problems[0].field.as_deref(), Some("Email"));
    assert_eq!(problems[1].field, None);
}
