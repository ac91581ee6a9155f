//! konto's roles on the team store, enforced by PostgreSQL: logins made
//! helpdesk or sales agents with `konto db grant` are refused by the
//! database itself (in psql as in konto), whatever `--role` claims; the
//! audit records the login, whatever `--operator` claims; the app shows
//! the login's role and dims what it may not do.

mod common;

use std::path::Path;

use common::pg::konto_on as konto;
use common::pg::{ok, server};
use common::stderr;

/// A database with three customers, `login` made a `role` agent; the
/// owner's connection string, the login's, and the first customer's id.
fn team_with(dir: &Path, login: &str, role: &str) -> (String, String, String) {
    let url = server().unwrap().initialised_database();
    ok(&konto(dir, &url, &["gen", "--count", "3", "--seed", "5"]));
    let as_login = server().unwrap().login(&url, login);
    let out = ok(&konto(dir, &url, &["db", "grant", login, role]));
    assert!(out.contains(&format!("{login} is now {role}")), "{out}");
    let export: Vec<serde_json::Value> =
        serde_json::from_str(&ok(&konto(dir, &url, &["export"]))).unwrap();
    let id = export[0]["id"].as_str().unwrap().to_string();
    (url, as_login, id)
}

fn a_helpdesk_login_is_refused_by_postgresql_itself() {
    let dir = tempfile::tempdir().unwrap();
    let (_, helga, id) = team_with(dir.path(), "helga", "helpdesk");
    let pg = server().unwrap();
    // Reading is what helpdesk does.
    let read = pg.psql(&helga, "SELECT count(*) FROM konto.customers");
    assert!(read.status.success(), "{}", stderr(&read));
    for sql in [
        format!("UPDATE konto.customers SET billing_address_city = 'Ulm' WHERE id = '{id}'"),
        format!("DELETE FROM konto.audit WHERE id = '{id}'"),
    ] {
        let out = pg.psql(&helga, &sql);
        assert!(!out.status.success(), "{sql}");
        assert!(
            stderr(&out).contains("permission denied"),
            "{}",
            stderr(&out)
        );
    }
    // konto asks the database, not `--role`: the update is refused before
    // it is tried, naming the role.
    let out = konto(
        dir.path(),
        &helga,
        &["--role", "admin", "update", &id, "--set", "city=Ulm"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the helpdesk role may only read"),
        "{}",
        stderr(&out)
    );
}

fn granting_a_login_that_does_not_exist_says_to_create_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = server().unwrap().initialised_database();
    let out = konto(dir.path(), &url, &["db", "grant", "nosuchlogin", "sales"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("there is no login nosuchlogin: create it first"),
        "{}",
        stderr(&out)
    );
}

fn a_sales_login_changes_an_address_but_not_a_purchase_permission() {
    let dir = tempfile::tempdir().unwrap();
    let (url, sam, id) = team_with(dir.path(), "sam", "sales");
    let out = ok(&konto(
        dir.path(),
        &sam,
        &["--role", "admin", "update", &id, "--set", "city=Ulm"],
    ));
    assert!(out.contains("version 2"), "{out}");
    for args in [
        &["--role", "admin", "permission", &id, "reservations", "on"][..],
        &[
            "--role",
            "admin",
            "update",
            &id,
            "--set",
            "permissions.azure_reservations=on",
        ],
    ] {
        let out = konto(dir.path(), &sam, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("purchase permissions"),
            "{}",
            stderr(&out)
        );
    }
    // Past konto, PostgreSQL refuses it too, and the audit is append-only.
    let pg = server().unwrap();
    for sql in [
        format!(
            "UPDATE konto.customers \
             SET permissions_azure_reservations = NOT permissions_azure_reservations \
             WHERE id = '{id}'"
        ),
        format!("UPDATE konto.audit SET operator = 'x' WHERE id = '{id}'"),
        format!("DELETE FROM konto.customers WHERE id = '{id}'"),
    ] {
        let out = pg.psql(&sam, &sql);
        assert!(!out.status.success(), "{sql}");
        assert!(
            stderr(&out).contains("permission denied")
                || stderr(&out).contains("only konto_admin may change purchase permissions"),
            "{sql}: {}",
            stderr(&out)
        );
    }
    // The owner (an admin) may.
    ok(&konto(
        dir.path(),
        &url,
        &["permission", &id, "reservations", "on"],
    ));
}

fn the_audit_records_the_login_whatever_the_operator_flag_says() {
    let dir = tempfile::tempdir().unwrap();
    let (url, sara, id) = team_with(dir.path(), "sara", "sales");
    ok(&konto(
        dir.path(),
        &sara,
        &["--operator", "maria", "update", &id, "--set", "city=Ulm"],
    ));
    // Even written past konto, in psql, with someone else's name.
    let out = server().unwrap().psql(
        &sara,
        &format!(
            "INSERT INTO konto.audit (cloud, id, version, time, operator, action, changes, role) \
             VALUES ('commercial', '{id}', 99, now(), 'maria', 'update', '[]', 'admin')"
        ),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let history: Vec<serde_json::Value> =
        serde_json::from_str(&ok(&konto(dir.path(), &url, &["history", &id, "--json"]))).unwrap();
    // After version 1, written by the owner's `gen`.
    let authors: Vec<(&str, &str)> = history[1..]
        .iter()
        .map(|e| (e["operator"].as_str().unwrap(), e["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        authors,
        [("sara", "sales"), ("sara", "sales")],
        "{history:?}"
    );
}

fn the_app_shows_the_logins_role_and_dims_what_it_may_not_do() {
    let dir = tempfile::tempdir().unwrap();
    let (_, hanna, _) = team_with(dir.path(), "hanna", "helpdesk");
    let args = ["--store", hanna.as_str(), "--role", "admin"];
    let mut app = common::pty::Session::start_on(dir.path(), 100, 30, &[], &args);
    app.wait_for("3/3 customers");
    app.wait_for("· helpdesk");
    app.send("u");
    app.wait_for("Not allowed: the helpdesk role may only read");
    app.send("q");
    assert_eq!(app.wait_exit(), 0);
}

fn main() {
    let tests: [(&str, fn()); 5] = [
        (
            "a_helpdesk_login_is_refused_by_postgresql_itself",
            a_helpdesk_login_is_refused_by_postgresql_itself,
        ),
        (
            "granting_a_login_that_does_not_exist_says_to_create_it",
            granting_a_login_that_does_not_exist_says_to_create_it,
        ),
        (
            "a_sales_login_changes_an_address_but_not_a_purchase_permission",
            a_sales_login_changes_an_address_but_not_a_purchase_permission,
        ),
        (
            "the_audit_records_the_login_whatever_the_operator_flag_says",
            the_audit_records_the_login_whatever_the_operator_flag_says,
        ),
        (
            "the_app_shows_the_logins_role_and_dims_what_it_may_not_do",
            the_app_shows_the_logins_role_and_dims_what_it_may_not_do,
        ),
    ];
    common::pg::run_all("team_roles", &tests)
}
