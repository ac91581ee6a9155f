//! The store's rules, run as one suite against every backend: the embedded
//! sled store and PostgreSQL (a throwaway server this test binary starts,
//! see `common/pg.rs`). Where no PostgreSQL server can be found the
//! PostgreSQL half is reported as ignored, loudly, with how to install one;
//! under CI that is a failure instead.
//!
//! A custom harness (libtest-mimic): the built-in one can neither skip a
//! test at run time nor say why outside a failure.

mod common;

use std::path::Path;

use konto::demo::sample_customer;
use konto::domain::{AuditAction, Cloud, Customer};
use konto::store::{Committed, DEFAULT_CACHE_BYTES, PgTarget, Store, StoreError};

/// A backend, and a place of its own for one test's store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Sled,
    Postgres,
}

/// Where one test's store lives: a temporary directory (the sled store, or
/// the local data directory beside a PostgreSQL database), and a fresh
/// database with konto's schema for PostgreSQL.
struct Place {
    kind: Kind,
    dir: tempfile::TempDir,
    url: Option<String>,
}

impl Place {
    fn new(kind: Kind) -> Place {
        let url = match kind {
            Kind::Sled => None,
            Kind::Postgres => Some(
                common::pg::server()
                    .expect("the PostgreSQL tests run only with a server")
                    .initialised_database(),
            ),
        };
        Place {
            kind,
            dir: tempfile::tempdir().unwrap(),
            url,
        }
    }

    /// Another, empty store of the same kind.
    fn another(&self) -> Place {
        Place::new(self.kind)
    }

    fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Who the audit names for a commit by `operator`: on PostgreSQL the
    /// database's login (the test server's `konto`), whatever was asked.
    fn author<'a>(&self, operator: &'a str) -> &'a str {
        match self.kind {
            Kind::Sled => operator,
            Kind::Postgres => "konto",
        }
    }

    fn open(&self) -> Store {
        match &self.url {
            None => Store::open(self.dir(), DEFAULT_CACHE_BYTES).expect("store opens"),
            Some(url) => {
                let target = PgTarget::parse(url).unwrap();
                Store::connect(&target, self.dir()).expect("database opens")
            }
        }
    }

    /// The fixtures, five commercial customers and one of the US
    /// government cloud.
    fn seeded(&self) -> Store {
        let store = self.open();
        assert_eq!(
            store
                .seed_if_new(&common::customers_of_both_clouds())
                .unwrap(),
            6
        );
        store
    }
}

use common::saved;

fn commit_raises_the_version_by_one_and_survives_a_reopen(place: &Place) {
    let before = {
        let store = place.seeded();
        let mut c = store.get(Cloud::Commercial, "c-1").unwrap().unwrap();
        let before = c.clone();
        c.billing.address.city = "Friedrichshafen".into();
        let after = saved(store.commit("anna", AuditAction::Update, &c).unwrap());
        assert_eq!(after.version, before.version + 1);
        assert!(after.updated > before.updated);
        assert_eq!(after.created, before.created);
        before
    };
    let store = place.open();
    let c = store.get(Cloud::Commercial, "c-1").unwrap().unwrap();
    assert_eq!(c.billing.address.city, "Friedrichshafen");
    assert_eq!(c.version, before.version + 1);
    let history = store.history(Cloud::Commercial, "c-1").unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].operator, place.author("anna"));
    assert_eq!(history[0].version, 2);
    assert_eq!(history[0].changes[0].field, "billing.address.city");
    assert_eq!(history[0].changes[0].new, "Friedrichshafen");
}

fn seeding_happens_once(place: &Place) {
    {
        place.seeded();
    }
    let store = place.open();
    assert_eq!(store.seed_if_new(&common::customers()).unwrap(), 0);
    assert_eq!(store.count(Cloud::Commercial).unwrap(), 5);
}

fn the_clouds_are_separate(place: &Place) {
    let store = place.seeded();
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

fn a_write_based_on_an_old_version_is_a_conflict(place: &Place) {
    let store = place.seeded();
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

fn the_store_refuses_an_invalid_record_even_without_the_form(place: &Place) {
    let store = place.seeded();
    let mut c = store.get(Cloud::Commercial, "c-1").unwrap().unwrap();
    c.company.name = "Evil\u{1b}]52;c;aGk=\u{7}".into();
    let err = store.commit("x", AuditAction::Update, &c).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let stored = store.get(Cloud::Commercial, "c-1").unwrap().unwrap();
    assert_eq!(stored.company.name, "Zeppelin Logistik AG");
    assert_eq!(stored.version, 1);
}

fn an_unchanged_record_writes_no_new_version(place: &Place) {
    let store = place.seeded();
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

fn committing_an_unknown_customer_is_refused(place: &Place) {
    let store = place.seeded();
    let mut c = sample_customer();
    c.id = "nope".into();
    let err = store.commit("x", AuditAction::Update, &c).unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)));
}

fn a_conflict_names_the_fields_changed_since(place: &Place) {
    let store = place.seeded();
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

fn revert_undoes_one_change_as_a_new_audited_version(place: &Place) {
    let store = place.seeded();
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
    assert_eq!(last.operator, place.author("b"));
    assert_eq!(last.changes[0].old, "Friedrichshafen");
    assert_eq!(last.changes[0].new, "Stuttgart");
}

fn revert_is_refused_when_a_later_change_touched_the_same_field(place: &Place) {
    let store = place.seeded();
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

fn indexes_follow_every_commit_and_find_by_domain_uses_them(place: &Place) {
    let store = place.seeded();
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

#[expect(
    clippy::cognitive_complexity,
    reason = "one scenario, asserted step by step"
)]
fn backups_are_daily_keep_seven_and_restore_all_or_nothing(place: &Place) {
    let store = place.seeded();
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
    let mut names: Vec<String> = std::fs::read_dir(store.dir().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 7);
    assert_eq!(names[0], "konto-2026-11-03.json");
    let newest = store.dir().join("backups").join("konto-2026-11-09.json");
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
    let other = place.another();
    let restored = other.open();
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
    let bad = other.dir().join("bad.json");
    std::fs::write(&bad, serde_json::to_vec(&backup).unwrap()).unwrap();
    let third = place.another();
    let empty = third.open();
    let err = empty.restore(&bad).unwrap_err();
    assert!(err.to_string().contains("customer 4"), "{err}");
    assert_eq!(empty.count(Cloud::Commercial).unwrap(), 0, "all or nothing");
}

fn commit_many_writes_each_as_its_own_version_or_nothing(place: &Place) {
    let store = place.seeded();
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
        .commit_many("op", AuditAction::Update, &[fresh.clone(), a.clone()])
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }));
    // Two stale records: both are named.
    b.billing.address.city = "Bonn".into();
    let err = store
        .commit_many("op", AuditAction::Update, &[a, fresh, b])
        .unwrap_err();
    let StoreError::Conflicts(each) = &err else {
        panic!("expected both conflicts, got {err:?}");
    };
    assert_eq!(each.len(), 2);
    let text = err.to_string();
    assert!(
        text.contains("customer c-1") && text.contains("customer c-2"),
        "{text}"
    );
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

#[expect(
    clippy::cognitive_complexity,
    reason = "one scenario, asserted step by step"
)]
fn a_large_import_is_written_by_a_rebuild_that_loses_and_breaks_nothing(place: &Place) {
    let mut store = place.seeded();
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
    assert_eq!(common::listed_ids(&store), expected);
    // What an export reads, one at a time: the same order, whole records.
    let mut by_name = Vec::new();
    store
        .each_by_name(Cloud::Commercial, &mut |c| {
            by_name.push(c);
            Ok(())
        })
        .unwrap();
    let ids: Vec<String> = by_name.iter().map(|c| c.id.clone()).collect();
    assert_eq!(ids, expected);
    for c in by_name.iter().step_by(97) {
        assert_eq!(
            Some(c),
            store.get(Cloud::Commercial, &c.id).unwrap().as_ref()
        );
    }

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
    every_version_has_one_entry_in_order(&store, &generated_id);
    let listed = common::listed_rows(&store);
    assert_eq!(listed.len(), total);
    assert!(
        listed.iter().all(|r| r.name.ends_with(" Neu")),
        "no old name row is left"
    );
    drop(store);
    // What the rebuild wrote is what the next open finds.
    let store = place.open();
    assert_eq!(store.count(Cloud::Commercial).unwrap(), total);
}

/// The whole audit trail of the commercial cloud, as a backup or a copy
/// reads it, is every customer's history, in id and version order (on
/// sled, the customers a bulk write created share one creation entry,
/// which both readers show as theirs).
fn every_version_has_one_entry_in_order(store: &Store, generated_id: &str) {
    let mut customers = store.customers(Cloud::Commercial).unwrap();
    customers.sort_by(|a, b| a.id.cmp(&b.id));
    let mut expected = Vec::new();
    for c in &customers {
        expected.extend(store.history(Cloud::Commercial, &c.id).unwrap());
    }
    let mut found = store.all_history(Cloud::Commercial).unwrap();
    // By id as bytes (PostgreSQL orders ids by its collation); stable, so
    // each customer's versions keep the order they came in.
    found.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(found.len(), expected.len());
    assert!(found == expected, "the audit trail is not the histories");
    let generated: Vec<(u64, AuditAction)> = found
        .iter()
        .filter(|e| e.id == generated_id)
        .map(|e| (e.version, e.action))
        .collect();
    assert_eq!(
        generated,
        [(1, AuditAction::Import), (2, AuditAction::Import)]
    );
}

fn import_problems_are_reported_in_file_order(place: &Place) {
    let store = place.seeded();
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

fn the_list_rows_are_the_records_as_the_list_shows_them(place: &Place) {
    let store = place.seeded();
    let mut c = store.get(Cloud::Commercial, "c-2").unwrap().unwrap();
    c.billing.address.city = "Zürich".into();
    saved(store.commit("a", AuditAction::Update, &c).unwrap());
    let mut expected: Vec<konto::listing::Row> = store
        .customers(Cloud::Commercial)
        .unwrap()
        .iter()
        .map(konto::listing::Row::of)
        .collect();
    expected.sort_by_key(|r| (konto::domain::fold_name(&r.name), r.id.clone()));
    assert_eq!(common::listed_rows(&store), expected);
}

/// A test of the suite, run on a store of each kind.
type Test = fn(&Place);

/// Every test of the suite, by name.
const SUITE: &[(&str, Test)] = &[
    (
        "the_list_rows_are_the_records_as_the_list_shows_them",
        the_list_rows_are_the_records_as_the_list_shows_them,
    ),
    (
        "commit_raises_the_version_by_one_and_survives_a_reopen",
        commit_raises_the_version_by_one_and_survives_a_reopen,
    ),
    ("seeding_happens_once", seeding_happens_once),
    ("the_clouds_are_separate", the_clouds_are_separate),
    (
        "a_write_based_on_an_old_version_is_a_conflict",
        a_write_based_on_an_old_version_is_a_conflict,
    ),
    (
        "the_store_refuses_an_invalid_record_even_without_the_form",
        the_store_refuses_an_invalid_record_even_without_the_form,
    ),
    (
        "an_unchanged_record_writes_no_new_version",
        an_unchanged_record_writes_no_new_version,
    ),
    (
        "committing_an_unknown_customer_is_refused",
        committing_an_unknown_customer_is_refused,
    ),
    (
        "a_conflict_names_the_fields_changed_since",
        a_conflict_names_the_fields_changed_since,
    ),
    (
        "revert_undoes_one_change_as_a_new_audited_version",
        revert_undoes_one_change_as_a_new_audited_version,
    ),
    (
        "revert_is_refused_when_a_later_change_touched_the_same_field",
        revert_is_refused_when_a_later_change_touched_the_same_field,
    ),
    (
        "indexes_follow_every_commit_and_find_by_domain_uses_them",
        indexes_follow_every_commit_and_find_by_domain_uses_them,
    ),
    (
        "backups_are_daily_keep_seven_and_restore_all_or_nothing",
        backups_are_daily_keep_seven_and_restore_all_or_nothing,
    ),
    (
        "commit_many_writes_each_as_its_own_version_or_nothing",
        commit_many_writes_each_as_its_own_version_or_nothing,
    ),
    (
        "a_large_import_is_written_by_a_rebuild_that_loses_and_breaks_nothing",
        a_large_import_is_written_by_a_rebuild_that_loses_and_breaks_nothing,
    ),
    (
        "import_problems_are_reported_in_file_order",
        import_problems_are_reported_in_file_order,
    ),
];

fn main() {
    let mut tests = Vec::new();
    for kind in [Kind::Sled, Kind::Postgres] {
        for &(name, test) in SUITE {
            let prefix = format!("{kind:?}").to_lowercase();
            tests.push(common::pg::Test {
                name: format!("{prefix}::{name}"),
                needs_server: kind == Kind::Postgres,
                run: Box::new(move || test(&Place::new(kind))),
            });
        }
    }
    common::pg::run("store_suite", tests)
}
