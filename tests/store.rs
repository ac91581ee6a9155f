//! The sled store: commits, versions, clouds, locking.

mod common;

use konto::domain::{AuditAction, Cloud, Customer};
use konto::store::{DEFAULT_CACHE_BYTES, Store, StoreError};

fn open(dir: &std::path::Path) -> Store {
    Store::open(dir, DEFAULT_CACHE_BYTES).expect("store opens")
}

fn seeded(dir: &std::path::Path) -> Store {
    let store = open(dir);
    assert_eq!(
        store
            .seed_if_new(&common::customers_of_both_clouds())
            .unwrap(),
        6
    );
    store
}

use common::saved;

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
        assert_eq!(common::listed_rows(&store), expected);
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
        .read(usize::MAX, &mut |_| {})
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
    let local = store.local().expect("a sled store");
    local.keep_head(Cloud::Commercial, &head).unwrap();
    assert_eq!(
        konto::store::read_head(dir.path(), Cloud::Commercial),
        Some(head)
    );
    // The whole list too, read back as kept, with the mark of this copy.
    let listing = konto::listing::Listing::of_customers(
        Cloud::Commercial,
        &store.customers(Cloud::Commercial).unwrap(),
    );
    local.keep_list(Cloud::Commercial, &listing);
    let (mark, kept) = konto::store::read_list(dir.path(), Cloud::Commercial).unwrap();
    assert_eq!(kept, listing);
    assert_eq!(
        konto::store::kept_list_mark(dir.path(), Cloud::Commercial),
        Some(mark)
    );
    local.keep_list(Cloud::Commercial, &listing);
    assert_ne!(
        konto::store::kept_list_mark(dir.path(), Cloud::Commercial),
        Some(mark),
        "another copy, another mark"
    );
    let mut c = store.customers(Cloud::Commercial).unwrap().remove(0);
    c.billing.address.city = "Ulm".into();
    store.commit("ops", AuditAction::Update, &c).unwrap();
    assert_eq!(konto::store::read_head(dir.path(), Cloud::Commercial), None);
    assert!(konto::store::read_list(dir.path(), Cloud::Commercial).is_none());
    assert_eq!(
        konto::store::kept_list_mark(dir.path(), Cloud::Commercial),
        None
    );
}

#[test]
fn records_stored_under_older_rules_open_list_and_ask_for_the_fix_at_the_next_save() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(dir.path());
    let old = common::saved_before_provinces();
    assert!(konto::validate::check_record(&old, &Default::default()).is_err());
    store.put_unchecked(&old).unwrap();
    drop(store);

    let store = open(dir.path());
    let read = store.get(Cloud::Commercial, "c-old").unwrap().unwrap();
    assert_eq!(read, old, "read as stored");
    assert!(
        store
            .customers(Cloud::Commercial)
            .unwrap()
            .iter()
            .any(|c| c.id == "c-old")
    );
    assert!(
        common::listed_ids(&store).contains(&"c-old".to_string()),
        "listed"
    );

    let mut edit = read.clone();
    edit.billing.address.line1 = "Calle de Alcalá 1".into();
    let Err(StoreError::Invalid(errors)) = store.commit("anna", AuditAction::Update, &edit) else {
        panic!("saved without its province");
    };
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, konto::domain::FieldId::State);
    assert!(
        errors[0]
            .message
            .contains("postal code 28020 is in Madrid: M"),
        "{errors:?}"
    );
    edit.billing.address.state = "madrid".into();
    let saved = saved(store.commit("anna", AuditAction::Update, &edit).unwrap());
    assert_eq!(saved.billing.address.state, "M");
}

/// A store written by konto with schema 4 (30 + 5 generated customers, three
/// of them changed afterwards), checked in with what that konto exported and
/// showed: this konto opens it, says and shows the same, and marks it
/// schema 5.
#[test]
fn a_checked_in_schema_4_store_opens_with_everything_as_it_was() {
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema-4-store");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sled")).unwrap();
    for file in std::fs::read_dir(fixture.join("sled")).unwrap() {
        let file = file.unwrap();
        if file.file_type().unwrap().is_dir() {
            continue; // blobs/, empty, which git does not keep
        }
        std::fs::copy(file.path(), dir.path().join("sled").join(file.file_name())).unwrap();
    }
    let read = |name: &str| std::fs::read_to_string(fixture.join(name)).unwrap();
    let export = |cloud: &str| {
        let out = common::konto_in(
            dir.path(),
            "en",
            &["--cloud", cloud, "export", "--format", "json"],
        );
        assert!(out.status.success(), "{}", common::stderr(&out));
        common::stdout(&out)
    };
    assert_eq!(export("commercial"), read("commercial.json"));
    assert_eq!(export("usgov"), read("usgov.json"));
    let exported: Vec<serde_json::Value> = serde_json::from_str(&read("commercial.json")).unwrap();
    // The first three in the export's (name) order, as the fixture was made.
    let ids: Vec<&str> = exported.iter().filter_map(|c| c["id"].as_str()).collect();
    let mut histories = String::new();
    for id in &ids[..3] {
        let out = common::konto_in(dir.path(), "en", &["history", "--json", id]);
        assert!(out.status.success(), "{}", common::stderr(&out));
        histories.push_str(&common::stdout(&out));
    }
    assert_eq!(histories, read("history-commercial.jsonl"));
    // The domain index, repacked, finds every customer by domain.
    for c in &exported {
        let (id, domain) = (
            c["id"].as_str().unwrap(),
            c["company"]["domain"].as_str().unwrap(),
        );
        let out = common::konto_in(dir.path(), "en", &["show", &domain.to_uppercase()]);
        assert!(
            common::stdout(&out).contains(id),
            "{domain}: {}",
            common::stderr(&out)
        );
    }
    let db = sled::open(dir.path().join("sled")).unwrap();
    let schema = db
        .open_tree("meta")
        .unwrap()
        .get("schema")
        .unwrap()
        .unwrap();
    assert_eq!(schema.as_ref(), 5u64.to_be_bytes());
}
