//! The team store from the command line, as the real binary against a
//! throwaway PostgreSQL server (see `common/pg.rs`): setting a database up,
//! moving a local store into it, two operators racing on one customer, and
//! the messages when the database is not there or not set up.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::pg::konto_on as konto;
use common::pg::team_with;
use common::pg::{ok, server};
use common::stderr;

const BIN: &str = env!("CARGO_BIN_EXE_konto");

fn db_init_sets_up_once_and_refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let url = server().unwrap().fresh_database();
    let out = konto(dir.path(), &url, &["list"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("konto db init"), "{}", stderr(&out));
    assert!(ok(&konto(dir.path(), &url, &["db", "init"])).contains("set up (migration 4)"));
    assert!(ok(&konto(dir.path(), &url, &["db", "init"])).contains("up to date already"));
    assert_eq!(
        ok(&konto(dir.path(), &url, &["list", "--format", "json"])).trim(),
        "[]"
    );
    // A database a newer konto set up.
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .execute("INSERT INTO konto.migrations (version) VALUES (99)", &[])
        .unwrap();
    for args in [&["list"][..], &["db", "init"]] {
        let out = konto(dir.path(), &url, args);
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        assert!(
            stderr(&out).contains("set up by a newer konto (migration 99"),
            "{}",
            stderr(&out)
        );
    }
}

fn a_local_store_with_history_moves_in_whole() {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("local");
    let sled = |args: &[&str]| common::konto_in(&local, "en", args);
    ok(&sled(&["gen", "--count", "40", "--seed", "3"]));
    ok(&sled(&[
        "--cloud", "usgov", "gen", "--count", "5", "--seed", "4",
    ]));
    let export: Vec<serde_json::Value> = serde_json::from_str(&ok(&sled(&["export"]))).unwrap();
    let id = export[0]["id"].as_str().unwrap().to_string();
    ok(&sled(&["update", &id, "--set", "line2=Hinterhaus"]));
    ok(&sled(&["permission", &id, "reservations", "on"]));
    let url = server().unwrap().initialised_database();
    let team = dir.path().join("team");
    let out = ok(&konto(
        &team,
        &url,
        &["db", "migrate-from", local.to_str().unwrap()],
    ));
    assert!(
        out.contains("copied 45 customers and 47 history entries"),
        "{out}"
    );
    // The same document from both, both clouds; the same history.
    for cloud in ["commercial", "usgov"] {
        let from_sled = ok(&sled(&["--cloud", cloud, "export"]));
        let from_pg = ok(&konto(&team, &url, &["--cloud", cloud, "export"]));
        assert_eq!(from_sled, from_pg, "{cloud}");
    }
    let history = ["history", id.as_str(), "--json"];
    assert_eq!(ok(&sled(&history)), ok(&konto(&team, &url, &history)));
    // Once only: the database is not empty any more.
    let out = konto(
        &team,
        &url,
        &["db", "migrate-from", local.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("already holds customers"),
        "{}",
        stderr(&out)
    );
}

fn two_updates_racing_on_one_customer_one_wins_the_other_is_a_conflict() {
    let (dir, url) = team_with(3, 5);
    let export: Vec<serde_json::Value> =
        serde_json::from_str(&ok(&konto(dir.path(), &url, &["export"]))).unwrap();
    let id = export[0]["id"].as_str().unwrap().to_string();
    let mut acknowledged = Vec::new();
    for round in 1..=5u64 {
        let version = round.to_string();
        let spawn = |city: &str| {
            Command::new(BIN)
                .args([
                    "update",
                    &id,
                    "--set",
                    &format!("city={city}"),
                    "--if-version",
                    &version,
                ])
                .args(["--store", &url, "--data-dir"])
                .arg(dir.path())
                .env("KONTO_STATE_DIR", dir.path().join("state"))
                .env("KONTO_LANG", "en")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let children = [
            spawn(&format!("Ulm {round}")),
            spawn(&format!("Bonn {round}")),
        ];
        let outcomes: Vec<Output> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let codes: Vec<Option<i32>> = outcomes.iter().map(|o| o.status.code()).collect();
        assert!(
            codes == [Some(0), Some(4)] || codes == [Some(4), Some(0)],
            "round {round}: {codes:?}"
        );
        acknowledged.push(round + 1);
    }
    let history: Vec<serde_json::Value> =
        serde_json::from_str(&ok(&konto(dir.path(), &url, &["history", &id, "--json"]))).unwrap();
    let versions: Vec<u64> = history
        .iter()
        .filter(|e| e["action"] == "update")
        .map(|e| e["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, acknowledged, "each acknowledged version once");
}

fn the_loser_of_a_race_is_told_which_field_changed() {
    let (dir, url) = team_with(2, 6);
    let export: Vec<serde_json::Value> =
        serde_json::from_str(&ok(&konto(dir.path(), &url, &["export"]))).unwrap();
    let id = export[0]["id"].as_str().unwrap();
    ok(&konto(
        dir.path(),
        &url,
        &["update", id, "--set", "city=Ulm", "--if-version", "1"],
    ));
    let out = konto(
        dir.path(),
        &url,
        &["update", id, "--set", "line2=Hof", "--if-version", "1"],
    );
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("changed since: City"),
        "{}",
        stderr(&out)
    );
}

fn the_headless_commands_work_on_the_team_store() {
    let dir = tempfile::tempdir().unwrap();
    let url = server().unwrap().initialised_database();
    // Large enough for the bulk path (COPY in one transaction).
    let out = ok(&konto(
        dir.path(),
        &url,
        &["gen", "--count", "1200", "--seed", "2"],
    ));
    assert!(out.contains("1200 customers added"), "{out}");
    let table = ok(&konto(dir.path(), &url, &["list"]));
    assert_eq!(table.lines().count(), 1201);
    let file = dir.path().join("all.csv");
    ok(&konto(
        dir.path(),
        &url,
        &["export", "--format", "csv", "--out", file.to_str().unwrap()],
    ));
    let out = ok(&konto(
        dir.path(),
        &url,
        &["import", file.to_str().unwrap()],
    ));
    assert_eq!(out.trim(), "0 new, 0 updated, 1200 unchanged");
    let json: Vec<serde_json::Value> = serde_json::from_str(&ok(&konto(
        dir.path(),
        &url,
        &["list", "--format", "json", "--filter", "berlin"],
    )))
    .unwrap();
    let id = json[0]["id"].as_str().unwrap();
    let shown = ok(&konto(dir.path(), &url, &["show", id]));
    assert!(
        shown.contains(json[0]["company"]["name"].as_str().unwrap()),
        "{shown}"
    );
    ok(&konto(
        dir.path(),
        &url,
        &["permission", id, "savings-plan", "on"],
    ));
    let history = ok(&konto(dir.path(), &url, &["history", id]));
    assert!(history.contains("permission"), "{history}");
    let out = konto(dir.path(), &url, &["compact"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("local (sled) store only"),
        "{}",
        stderr(&out)
    );
}

fn a_missing_server_or_database_is_one_clear_line_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let server = server().unwrap();
    let cases = [
        (
            "postgres://konto:geheim@127.0.0.1:1/kunden".to_string(),
            "postgres://konto@127.0.0.1:1/kunden",
            "PostgreSQL server is running",
        ),
        (
            server.url("no_such_database"),
            "no_such_database",
            "createdb",
        ),
    ];
    for (url, names, hint) in cases {
        let out = konto(dir.path(), &url, &["list"]);
        assert_eq!(out.status.code(), Some(3), "{url}");
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(names) && err.contains(hint), "{err}");
        assert!(!err.contains("geheim"), "{err}");
    }
}

fn an_operator_edits_a_customer_of_the_team_store_in_a_real_terminal() {
    let (dir, url) = team_with(30, 9);
    let mut app = common::pty::Session::start_on(dir.path(), 100, 30, &[], &["--store", &url]);
    app.wait_for("customers │ postgres://konto@");
    app.wait_for("30/30 customers");
    app.wait_for("q quit");
    app.save_company_name("Teamwork Prüffirma GmbH");
    app.send("q");
    assert_eq!(app.wait_exit(), 0);
    let export: Vec<serde_json::Value> =
        serde_json::from_str(&ok(&konto(dir.path(), &url, &["export"]))).unwrap();
    let saved = export
        .iter()
        .find(|c| c["company"]["name"] == "Teamwork Prüffirma GmbH")
        .expect("the saved name is in the database");
    assert_eq!(saved["version"], 2);
}

/// A test CA and a server certificate for localhost and 127.0.0.1 signed
/// by it (openssl's command line); the paths of (CA, certificate, key).
fn test_certificates(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "openssl {args:?}: {}", stderr(&out));
    };
    let days = ["-days", "2"];
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=konto test CA",
        days[0],
        days[1],
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-extfile",
        "ext.cnf",
        days[0],
        days[1],
    ]);
    (
        dir.join("ca.pem"),
        dir.join("server.crt"),
        dir.join("server.key"),
    )
}

fn sslmode_require_verifies_the_server_and_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = test_certificates(dir.path());
    let server = common::pg::start_tls(&cert, &key).unwrap();
    let port = server.port();
    let ca = ca.display();
    let url = |host: &str, rest: &str| {
        format!("postgres://konto@{host}:{port}/postgres?sslmode=require{rest}")
    };
    // Trusted through sslrootcert, by IP address and by name.
    for host in ["127.0.0.1", "localhost"] {
        let trusted = url(host, &format!("&sslrootcert={ca}"));
        let out = ok(&konto(dir.path(), &trusted, &["db", "init"]));
        assert!(out.contains("konto's tables"), "{out}");
        assert_eq!(
            ok(&konto(dir.path(), &trusted, &["list", "--format", "json"])).trim(),
            "[]"
        );
    }
    // Not trusted: the server's certificate is nobody's the system knows.
    let out = konto(dir.path(), &url("127.0.0.1", ""), &["list"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("certificate"), "{}", stderr(&out));
    // A name the certificate does not carry.
    let wrong =
        format!("postgres://konto@127.0.0.2:{port}/postgres?sslmode=require&sslrootcert={ca}");
    let out = konto(dir.path(), &wrong, &["list"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("certificate"), "{}", stderr(&out));
}

fn main() {
    let tests: [(&str, fn()); 8] = [
        (
            "sslmode_require_verifies_the_server_and_its_name",
            sslmode_require_verifies_the_server_and_its_name,
        ),
        (
            "an_operator_edits_a_customer_of_the_team_store_in_a_real_terminal",
            an_operator_edits_a_customer_of_the_team_store_in_a_real_terminal,
        ),
        (
            "db_init_sets_up_once_and_refuses_a_newer_schema",
            db_init_sets_up_once_and_refuses_a_newer_schema,
        ),
        (
            "a_local_store_with_history_moves_in_whole",
            a_local_store_with_history_moves_in_whole,
        ),
        (
            "two_updates_racing_on_one_customer_one_wins_the_other_is_a_conflict",
            two_updates_racing_on_one_customer_one_wins_the_other_is_a_conflict,
        ),
        (
            "the_loser_of_a_race_is_told_which_field_changed",
            the_loser_of_a_race_is_told_which_field_changed,
        ),
        (
            "the_headless_commands_work_on_the_team_store",
            the_headless_commands_work_on_the_team_store,
        ),
        (
            "a_missing_server_or_database_is_one_clear_line_without_the_password",
            a_missing_server_or_database_is_one_clear_line_without_the_password,
        ),
    ];
    common::pg::run_all("team", &tests)
}
