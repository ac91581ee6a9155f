//! The team store's server going away: the app says `reconnecting…`, keeps
//! the form and what was typed when a Submit cannot reach the store, and
//! reconnects by itself; a server killed with SIGKILL in the middle of
//! commits loses none that was acknowledged. Each test has a server of its
//! own (`pg::start_private`), since it stops it.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::pg::{konto_on as konto, ok, start_private};

const BIN: &str = env!("CARGO_BIN_EXE_konto");

/// A server of its own named `name`, a database on it set up with
/// `count` customers; the local data directory and the database's URL.
fn private_team(name: &str, count: &str) -> (common::pg::Server, tempfile::TempDir, String) {
    let server = start_private(name).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = server.fresh_database();
    ok(&konto(dir.path(), &url, &["db", "init"]));
    ok(&konto(dir.path(), &url, &["gen", "--count", count]));
    (server, dir, url)
}

fn a_submit_while_the_server_is_down_keeps_the_form_and_konto_reconnects() {
    let (server, dir, url) = private_team("outage", "10");
    let args = ["--store", url.as_str()];
    let mut app = common::pty::Session::start_on(dir.path(), 110, 30, &[], &args);
    app.wait_for("10/10 customers");
    app.send("u");
    app.wait_for("Update account");
    app.send("\x15"); // Ctrl-U: clear the field
    app.send("Ausfall Probe GmbH");
    server.stop();
    app.wait_for("reconnecting…");
    app.send("\x13"); // Ctrl-S
    app.wait_for("Review changes");
    app.send("\r");
    app.wait_for("Not saved: cannot use the store");
    assert!(app.contents().contains("Update account"), "the form stays");
    assert!(
        app.contents().contains("Ausfall Probe GmbH"),
        "the typing stays"
    );
    server.start_again();
    app.wait_for("Connected to the store again");
    assert!(!app.contents().contains("reconnecting…"));
    app.save_company_name("Ausfall Probe GmbH");
    app.send("q");
    assert_eq!(app.wait_exit(), 0);
}

/// One `ack <id> <version> <city>` line of the commit loop.
fn acknowledged(line: &str) -> Option<(String, u64, String)> {
    let mut parts = line.strip_prefix("ack ")?.splitn(3, ' ');
    let id = parts.next()?.to_string();
    let version = parts.next()?.parse().ok()?;
    Some((id, version, parts.next()?.to_string()))
}

fn no_acknowledged_commit_is_lost_when_the_server_is_killed_20_times() {
    let (server, dir, url) = private_team("kill", "20");
    let mut acks = Vec::new();
    let mut loops = 0;
    for round in 0..20 {
        let mut child = Command::new(BIN)
            .args(["--store", &url, "--data-dir"])
            .arg(dir.path())
            .env("KONTO_TEST_COMMIT_LOOP", "until-killed")
            .env("KONTO_STATE_DIR", dir.path().join("state"))
            .env("KONTO_CONFIG", dir.path().join("config.toml"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        loops += 1;
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // A different moment each round: after 3 to 22 acknowledged commits.
        for _ in 0..3 + round {
            let line = lines.next().expect("the loop commits").unwrap();
            acks.extend(acknowledged(&line));
        }
        server.kill();
        acks.extend(lines.map_while(Result::ok).filter_map(|l| acknowledged(&l)));
        assert!(
            !child.wait().unwrap().success(),
            "the loop saw the server go"
        );
        server.start_again();
    }
    // Every acknowledged version is in the history with its city; each
    // customer's versions have no gap and end at the stored record.
    let export: Vec<serde_json::Value> =
        serde_json::from_str(&ok(&konto(dir.path(), &url, &["export"]))).unwrap();
    let mut stored_crash_changes = 0;
    for customer in &export {
        let id = customer["id"].as_str().unwrap();
        let history: Vec<serde_json::Value> =
            serde_json::from_str(&ok(&konto(dir.path(), &url, &["history", id, "--json"])))
                .unwrap();
        let versions: Vec<u64> = history
            .iter()
            .map(|e| e["version"].as_u64().unwrap())
            .collect();
        let expected: Vec<u64> = (1..=versions.len() as u64).collect();
        assert_eq!(versions, expected, "{id}: versions gapless");
        assert_eq!(customer["version"].as_u64(), versions.last().copied());
        stored_crash_changes += versions.len() - 1;
        for (_, version, city) in acks.iter().filter(|(a, _, _)| a == id) {
            let entry = &history[*version as usize - 1];
            let new_city = entry["changes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["field"] == "billing.address.city")
                .map(|c| c["new"].as_str().unwrap());
            assert_eq!(new_city, Some(city.as_str()), "{id} v{version}");
        }
    }
    // Unacknowledged but stored: at most the one in flight per loop killed.
    assert!(stored_crash_changes >= acks.len());
    assert!(
        stored_crash_changes - acks.len() <= loops,
        "{stored_crash_changes} stored, {} acknowledged",
        acks.len()
    );
}

fn main() {
    common::pg::run_all(
        "team_outage",
        &[
            (
                "a_submit_while_the_server_is_down_keeps_the_form_and_konto_reconnects",
                a_submit_while_the_server_is_down_keeps_the_form_and_konto_reconnects,
            ),
            (
                "no_acknowledged_commit_is_lost_when_the_server_is_killed_20_times",
                no_acknowledged_commit_is_lost_when_the_server_is_killed_20_times,
            ),
        ],
    )
}
