//! The headless commands, run as the real binary against temp stores.

mod common;

use common::{stderr, stdout};

use std::path::Path;
use std::process::{Command, Output};

use konto::domain::{AuditAction, Cloud};
use konto::store::{DEFAULT_CACHE_BYTES, Store};

const BIN: &str = env!("CARGO_BIN_EXE_konto");

fn konto(dir: &Path, args: &[&str]) -> Output {
    common::konto_in(dir, "en", args)
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

fn versions(dir: &Path) -> Vec<u64> {
    let out = konto(dir, &["export"]);
    let all: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    all.iter().map(|c| c["version"].as_u64().unwrap()).collect()
}

#[test]
fn csv_and_json_exports_import_back_as_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_change(dir.path());
    let before = versions(dir.path());
    for format in ["csv", "json"] {
        let file = dir.path().join(format!("all.{format}"));
        let out = konto(
            dir.path(),
            &[
                "export",
                "--format",
                format,
                "--out",
                file.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let out = konto(dir.path(), &["import", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out).trim(), "0 new, 0 updated, 5 unchanged");
    }
    assert_eq!(versions(dir.path()), before, "zero new versions");
}

#[test]
fn an_edited_csv_updates_only_what_changed_with_an_audit_entry() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_change(dir.path());
    let csv = stdout(&konto(dir.path(), &["export", "--format", "csv"]));
    let edited = csv.replace("Königstraße 27,,Ulm", "Königstraße 27,Hinterhaus,Ulm");
    assert_ne!(csv, edited);
    let file = dir.path().join("edited.csv");
    std::fs::write(&file, &edited).unwrap();

    let dry = konto(
        dir.path(),
        &["import", file.to_str().unwrap(), "--dry-run", "-v"],
    );
    assert!(dry.status.success(), "{}", stderr(&dry));
    let text = stdout(&dry);
    assert!(
        text.starts_with("0 new, 1 updated, 4 unchanged (dry run"),
        "{text}"
    );
    assert!(
        text.contains("Address line 2: (empty) → Hinterhaus")
            || text.contains("Address line 2:  → Hinterhaus"),
        "{text}"
    );
    assert_eq!(
        versions(dir.path()).iter().sum::<u64>(),
        6,
        "dry run wrote nothing"
    );

    let out = konto(
        dir.path(),
        &["--operator", "importer", "import", file.to_str().unwrap()],
    );
    assert_eq!(stdout(&out).trim(), "0 new, 1 updated, 4 unchanged");
    let history = stdout(&konto(dir.path(), &["history", "c-1", "--json"]));
    let entries: serde_json::Value = serde_json::from_str(&history).unwrap();
    assert_eq!(entries[1]["action"], "import");
    assert_eq!(entries[1]["operator"], "importer");
}

#[test]
fn a_stale_version_in_an_import_is_a_conflict_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_change(dir.path());
    let stale = r#"[{"id":"c-1","version":1,"company":{"name":"Zeppelin Luftschiff AG"}}]"#;
    let file = dir.path().join("stale.json");
    std::fs::write(&file, stale).unwrap();
    // A partial record: the missing fields would be empty, so it is invalid
    // first; give it the full record instead.
    let full = stdout(&konto(dir.path(), &["show", "c-1", "--format", "json"]));
    let mut record: serde_json::Value = serde_json::from_str(&full).unwrap();
    record["version"] = 1.into();
    record["company"]["name"] = "Zeppelin Luftschiff AG".into();
    std::fs::write(&file, serde_json::to_string(&vec![record]).unwrap()).unwrap();
    let out = konto(dir.path(), &["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("record 1 (Zeppelin Luftschiff AG, c-1): is based on version 1, the store has version 2 (changed since: City)"), "{}", stderr(&out));
    let out = konto(dir.path(), &["import", file.to_str().unwrap(), "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 updated"));
}

#[test]
fn a_bad_row_in_the_middle_of_ten_thousand_leaves_the_store_untouched() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_change(dir.path());
    let mut csv = String::from(
        "company.name,company.domain,billing.first_name,billing.last_name,billing.email,billing.culture,billing.language,billing.company_name,billing.address.line1,billing.address.city,billing.address.postal_code,billing.address.country\n",
    );
    for i in 0..10_000 {
        let postal = if i == 4_999 { "1234" } else { "10115" };
        csv.push_str(&format!(
            "Firma Nummer {i} GmbH,firma{i}.onmicrosoft.com,Anna,Schmidt,anna@firma{i}.de,de-DE,de,Firma Nummer {i} GmbH,Hauptstraße {i},Berlin,{postal},DE\n"
        ));
    }
    let file = dir.path().join("many.csv");
    std::fs::write(&file, &csv).unwrap();
    let out = konto(dir.path(), &["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("line 5001 (Firma Nummer 4999 GmbH, "),
        "names the row: {err}"
    );
    assert!(
        err.contains("Postal code for Germany is 5 digits, e.g. 26133; did you mean 01234?"),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(
        !dir.path().join("staging").exists(),
        "the staged runs of the refused import are gone"
    );
    assert_eq!(versions(dir.path()).len(), 5, "nothing was written");

    // Fixed, the same file creates 10,000 customers.
    std::fs::write(&file, csv.replace(",1234,DE", ",10115,DE")).unwrap();
    let out = konto(dir.path(), &["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "10000 new, 0 updated, 0 unchanged");
    assert_eq!(versions(dir.path()).len(), 10_005);
}

#[test]
fn a_json_record_that_is_not_json_is_its_own_problem_and_the_rest_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_change(dir.path());
    let file = dir.path().join("broken.json");
    let records = r#"[
        {"company": {"name": "Eins GmbH", "domain": "eins.onmicrosoft.com"}},
        {"company": {"name": "Zwei GmbH", "domain": tru}},
        {"company": {"name": "Drei GmbH", "domain": "drei.onmicrosoft.com"}, "billing": {"email": "no mail"}}
    ]"#;
    std::fs::write(&file, records).unwrap();
    let out = konto(dir.path(), &["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("record 2: is not valid JSON: expected ident"),
        "{err}"
    );
    assert!(err.contains("record 3 (Drei GmbH, "), "{err}");
    assert!(err.contains("): Email "), "{err}");
    assert_eq!(versions(dir.path()).len(), 5, "nothing was written");
    // A file whose array breaks off says where, after the records before.
    std::fs::write(&file, &records[..records.len() - 60]).unwrap();
    let err = stderr(&konto(dir.path(), &["import", file.to_str().unwrap()]));
    assert!(
        err.contains("record 3: not a JSON array of customers: the file ends inside it"),
        "{err}"
    );
}

#[test]
fn update_sets_fields_with_the_same_validation_and_versions() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_change(dir.path());
    let out = konto(
        dir.path(),
        &[
            "update",
            "c-1",
            "--set",
            "phone=030 1234567",
            "--set",
            "billing.address.line2=Hof",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "Saved Zeppelin Logistik AG (version 3)"
    );
    let shown = stdout(&konto(
        dir.path(),
        &["show", "zeppelin.onmicrosoft.com", "--format", "json"],
    ));
    let c: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(c["billing"]["phone"], "+49301234567", "normalised");
    assert_eq!(c["billing"]["address"]["line2"], "Hof");

    let bad = konto(dir.path(), &["update", "c-1", "--set", "postal_code=1234"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("Postal code for Germany is 5 digits"),
        "{}",
        stderr(&bad)
    );

    let stale = konto(
        dir.path(),
        &["update", "c-1", "--set", "city=Ulm", "--if-version", "2"],
    );
    assert_eq!(stale.status.code(), Some(4));
    assert!(
        stderr(&stale).contains("changed since: Address line 2, Phone"),
        "{}",
        stderr(&stale)
    );

    let unknown = konto(dir.path(), &["update", "c-1", "--set", "colour=red"]);
    assert_eq!(unknown.status.code(), Some(1));
    let fixed = konto(dir.path(), &["update", "c-1", "--set", "country=AT"]);
    assert_eq!(fixed.status.code(), Some(2));
    assert!(stderr(&fixed).contains("cannot be changed"));
}

#[test]
fn permission_turns_on_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_change(dir.path());
    let out = konto(dir.path(), &["permission", "c-2", "savings-plan", "on"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let history = stdout(&konto(dir.path(), &["history", "c-2"]));
    assert!(history.contains("permission on"), "{history}");
    assert!(
        history.contains("Azure savings plan: off → on"),
        "{history}"
    );
}

#[test]
fn list_filters_and_fits_the_width() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_change(dir.path());
    let out = Command::new(BIN)
        .args(["list", "--filter", "ZEPP", "--data-dir"])
        .arg(dir.path())
        .env("COLUMNS", "80")
        .env("KONTO_STATE_DIR", dir.path().join("state"))
        .env("KONTO_CONFIG", dir.path().join("config.toml"))
        .env("KONTO_LANG", "en")
        .output()
        .unwrap();
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[1].starts_with("Zeppelin Logistik AG"));
    for line in &lines {
        assert!(unicode_width::UnicodeWidthStr::width(*line) <= 80, "{line}");
    }
    let csv = stdout(&konto(
        dir.path(),
        &["list", "--filter", "lefevre", "--format", "csv"],
    ));
    assert_eq!(csv.lines().count(), 2);
}

/// A filtered export reads only the matching records (found on the list
/// rows): it must give exactly what filtering the whole export gives, in
/// the same order.
#[test]
fn a_filtered_export_is_the_whole_export_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let out = konto(dir.path(), &["gen", "--count", "2000", "--seed", "5"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let export = |filter: Option<&str>| -> Vec<konto::domain::Customer> {
        let mut args = vec!["export", "--format", "json"];
        args.extend(filter.map(|f| ["--filter", f]).into_iter().flatten());
        let out = konto(dir.path(), &args);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let all = export(None);
    assert_eq!(all.len(), 2000);
    for filter in ["b", "müller", "country:de", "city:mün be", "!e", "zzqqxx"] {
        let query = konto::listing::query::Query::new(filter);
        let expected: Vec<&str> = all
            .iter()
            .filter(|c| query.matches(c))
            .map(|c| c.id.as_str())
            .collect();
        let got = export(Some(filter));
        let got: Vec<&str> = got.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(got, expected, "--filter {filter:?}");
    }
}

#[test]
fn imports_and_updates_refuse_terminal_control_sequences() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_change(dir.path());
    let csv = stdout(&konto(dir.path(), &["export", "--format", "csv"]));
    for evil in [
        "Evil\u{1b}]52;c;aGFja2Vk\u{7}",
        "Evil\u{1b}[2J",
        "Evil\u{202E}Corp",
    ] {
        let edited = csv.replacen("Zeppelin Logistik AG", evil, 1);
        let file = dir.path().join("evil.csv");
        std::fs::write(&file, &edited).unwrap();
        let out = konto(dir.path(), &["import", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{evil:?}");
        let err = stderr(&out);
        assert!(
            err.contains("Company name contains the control character U+"),
            "{err}"
        );
        assert!(
            !err.contains('\u{1b}') && !err.contains('\u{202E}'),
            "the report itself is safe: {err:?}"
        );
        let update = konto(
            dir.path(),
            &["update", "c-1", "--set", &format!("line2={evil}")],
        );
        assert_eq!(update.status.code(), Some(2));
    }
    // Store keys end in the id after a NUL: an id holding one is refused.
    let json = stdout(&konto(dir.path(), &["export", "--format", "json"]));
    let file = dir.path().join("evil.json");
    std::fs::write(&file, json.replacen("\"c-1\"", "\"c-\\u0000\"", 1)).unwrap();
    let out = konto(dir.path(), &["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("a customer id may not hold control characters"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        versions(dir.path()).iter().sum::<u64>(),
        6,
        "nothing written"
    );
}

#[test]
fn roles_and_read_only_guard_the_headless_commands_and_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_change(dir.path());
    let out = konto(
        dir.path(),
        &["--role", "helpdesk", "update", "c-1", "--set", "city=Bonn"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not allowed: the helpdesk role may only read"),
        "{}",
        stderr(&out)
    );
    let out = konto(
        dir.path(),
        &["--role", "sales", "permission", "c-1", "reservations", "on"],
    );
    assert_eq!(out.status.code(), Some(1));
    let out = konto(
        dir.path(),
        &[
            "--role",
            "sales",
            "update",
            "c-1",
            "--set",
            "permissions.azure_reservations=on",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let out = konto(
        dir.path(),
        &["--read-only", "update", "c-1", "--set", "city=Bonn"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        versions(dir.path()).iter().sum::<u64>(),
        6,
        "nothing written"
    );

    let out = konto(
        dir.path(),
        &["--role", "sales", "update", "c-1", "--set", "city=Bonn"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let history = stdout(&konto(dir.path(), &["history", "c-1", "--json"]));
    let entries: serde_json::Value = serde_json::from_str(&history).unwrap();
    assert_eq!(entries[1]["role"], "sales");
}

#[test]
fn a_broken_config_stops_konto_with_the_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_change(dir.path());
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "theme = \"dark\"\nrole = admin\n").unwrap();
    let out = konto(dir.path(), &["list"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&config.display().to_string()) && err.contains("line 2"),
        "{err}"
    );
    std::fs::write(&config, "cache_mb = \"lots\"\n").unwrap();
    let err = stderr(&konto(dir.path(), &["list"]));
    assert!(err.contains("cache_mb") && err.contains("line 1"), "{err}");
    // Unknown keys only warn; values from the file apply.
    std::fs::write(&config, "colour = \"red\"\nrole = \"helpdesk\"\n").unwrap();
    let out = konto(dir.path(), &["update", "c-1", "--set", "city=Bonn"]);
    assert!(
        stderr(&out).contains("unknown key \"colour\" is ignored"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "the config's helpdesk role applies"
    );
    // The command line wins over the file.
    let out = konto(
        dir.path(),
        &["--role", "admin", "update", "c-1", "--set", "city=Bonn"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn config_init_writes_a_commented_default_and_path_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = stdout(&konto(dir.path(), &["config", "path"]));
    assert_eq!(
        path.trim(),
        dir.path().join("config.toml").display().to_string()
    );
    let out = konto(dir.path(), &["config", "init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    assert!(text.contains("# [keys.browse]"));
    assert_eq!(
        konto(dir.path(), &["config", "init"]).status.code(),
        Some(1),
        "not overwritten"
    );
    assert!(
        konto(dir.path(), &["list"]).status.success(),
        "the default config is valid"
    );
}

#[test]
fn gen_adds_deterministic_valid_customers() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_change(dir.path());
    let out = konto(dir.path(), &["gen", "--count", "500", "--seed", "3"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "500 customers added to the commercial cloud"
    );
    let first = stdout(&konto(dir.path(), &["export", "--format", "csv"]));
    assert_eq!(first.lines().count(), 1 + 505);

    let other = tempfile::tempdir().unwrap();
    store_with_a_change(other.path());
    konto(other.path(), &["gen", "--count", "500", "--seed", "3"]);
    let again = stdout(&konto(other.path(), &["export", "--format", "csv"]));
    // Times differ (an import stamps new customers with the clock); the
    // customers themselves, here their names (column 4), do not.
    let names = |csv: &str| -> Vec<String> {
        csv.lines()
            .map(|row| row.split(',').nth(3).unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        names(&first),
        names(&again),
        "the same seed gives the same customers"
    );
    // A second run with another seed adds more without clashing.
    let out = konto(dir.path(), &["gen", "--count", "100", "--seed", "4"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Bulk writes run again under jemalloc, everything else under glibc's
/// malloc (see `konto::alloc`); the log says which one a run used.
#[test]
fn bulk_commands_run_with_the_bulk_allocator_and_others_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| -> String {
        let log = dir.path().join("state").join("konto.log");
        let _ = std::fs::remove_file(&log);
        let out = Command::new(BIN)
            .args(args)
            .arg("--data-dir")
            .arg(dir.path())
            .env_remove("KONTO_DATA_DIR")
            .env_remove(konto::alloc::BULK_ALLOCATOR)
            .env("KONTO_STATE_DIR", dir.path().join("state"))
            .env("KONTO_CONFIG", dir.path().join("config.toml"))
            .env("KONTO_LOG", "debug")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        std::fs::read_to_string(log).unwrap()
    };
    let gen_log = run(&["gen", "--count", "20"]);
    assert!(gen_log.contains("allocator=\"jemalloc\""), "{gen_log}");
    let list_log = run(&["list"]);
    assert!(list_log.contains("allocator=\"system\""), "{list_log}");
}

/// `konto list | head`: a reader that stops early ends the table quietly,
/// as a pipe does for any line tool (the table is written as it is read).
#[test]
fn list_stops_quietly_when_its_reader_does() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let out = konto(dir.path(), &["gen", "--count", "3000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut child = Command::new(BIN)
        .args(["list", "--data-dir"])
        .arg(dir.path())
        .env_remove("KONTO_DATA_DIR")
        .env("KONTO_STATE_DIR", dir.path().join("state"))
        .env("KONTO_CONFIG", dir.path().join("config.toml"))
        .env("COLUMNS", "100")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("COMPANY"), "{first}");
    // The reader is gone; 3,000 rows do not fit in the pipe.
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

#[test]
fn the_commands_messages_follow_the_language_and_the_exit_codes_do_not() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_change(dir.path());
    let refused = ["--role", "helpdesk", "update", "c-1", "--set", "city=Bonn"];
    let en = konto(dir.path(), &refused);
    let de = konto(dir.path(), &[&["--lang", "de"][..], &refused].concat());
    assert_eq!(de.status.code(), en.status.code());
    assert_eq!(de.status.code(), Some(1));
    assert!(
        stderr(&de).contains("konto: nicht erlaubt: die Rolle Helpdesk darf nur lesen"),
        "{}",
        stderr(&de)
    );
    // Import problems: where (Zeile), what, and the summary line.
    let file = dir.path().join("bad.csv");
    std::fs::write(&file, "id,company.name,billing.citty\nc-1,Contoso,Ulm\n").unwrap();
    let import = ["--lang", "de", "import", file.to_str().unwrap()];
    let out = konto(dir.path(), &import);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("Zeile 2 (Contoso, c-1): unbekannte Spalte „billing.citty“"),
        "{err}"
    );
    assert!(err.contains("1 Problem in "), "{err}");
    assert!(err.contains("nichts wurde importiert"), "{err}");
    // The config is read before its `language` is known: its messages
    // follow the locale (here LANG, with neither --lang nor KONTO_LANG).
    std::fs::write(dir.path().join("config.toml"), "role = admin\n").unwrap();
    let out = Command::new(BIN)
        .args(["list", "--data-dir"])
        .arg(dir.path())
        .env_remove("KONTO_DATA_DIR")
        .env_remove("KONTO_LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "de_DE.UTF-8")
        .env("KONTO_STATE_DIR", dir.path().join("state"))
        .env("KONTO_CONFIG", dir.path().join("config.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("konto: Konfiguration "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn every_command_says_what_it_does_in_the_help() {
    let dir = tempfile::tempdir().unwrap();
    let help = stdout(&konto(dir.path(), &["--help"]));
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert!(commands.len() >= 10, "{help}");
    for line in commands {
        let mut words = line.split_whitespace();
        let name = words.next().unwrap_or("");
        assert!(words.next().is_some(), "`{name}` has no help text:\n{help}");
    }
    let gen_line = help.lines().find(|l| l.trim_start().starts_with("gen "));
    assert!(
        gen_line.is_some_and(|l| l.contains("Add N generated")),
        "{help}"
    );
}

/// `konto show c-1 | head -0`: the reader is gone before konto prints; konto
/// ends quietly (exit 0, nothing on stderr, as `list` does), not with a panic.
#[cfg(unix)]
#[test]
fn a_reader_that_goes_away_ends_a_printing_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    store_with_a_change(dir.path());
    for args in [&["show", "c-1"][..], &["history", "c-1"]] {
        let mut child = common::konto_command(dir.path(), "en", args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert!(
            !stderr(&out).contains("panicked"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(
            out.status.success() || out.status.signal() == Some(libc::SIGPIPE),
            "{args:?}: {:?}",
            out.status
        );
    }
}
