//! konto's roles in PostgreSQL: the group roles `konto_admin`,
//! `konto_sales` and `konto_helpdesk`, their grants on konto's tables, and
//! which one a login is. The database enforces them (a helpdesk login's
//! `UPDATE` in psql is refused as konto's is); the app and the CLI only
//! read the session's role to dim what it cannot do.
//!
//! Roles are the cluster's, grants the database's: `konto db init` makes
//! the roles that are missing and grants again on every run (so a table a
//! later migration adds is granted too).

use postgres::Client;
use postgres::error::SqlState;

use super::target::PgTarget;
use crate::domain::Role;
use crate::store::StoreError;

/// The group role of each konto role.
pub fn group(role: Role) -> &'static str {
    match role {
        Role::Admin => "konto_admin",
        Role::Sales => "konto_sales",
        Role::Helpdesk => "konto_helpdesk",
    }
}

const ALL: [Role; 3] = [Role::Admin, Role::Sales, Role::Helpdesk];

/// What each role may do. Helpdesk reads; sales also writes customers
/// (not their purchase permissions: a trigger of migration 2 refuses that)
/// and appends to the audit (never changes or deletes it); admin may do
/// everything. Sequences: every writer draws from them. No role deletes a
/// customer but admin: konto deletes only to undo a batch import of
/// several transactions, which on PostgreSQL is one transaction (or a
/// COPY) and never needs undoing.
const GRANTS: &str = "
GRANT USAGE ON SCHEMA konto TO konto_admin, konto_sales, konto_helpdesk;
GRANT ALL ON SCHEMA konto TO konto_admin;
GRANT SELECT ON ALL TABLES IN SCHEMA konto TO konto_sales, konto_helpdesk;
GRANT ALL ON ALL TABLES IN SCHEMA konto TO konto_admin;
GRANT INSERT, UPDATE ON konto.customers TO konto_sales;
GRANT INSERT ON konto.audit TO konto_sales;
GRANT ALL ON ALL SEQUENCES IN SCHEMA konto TO konto_admin;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA konto TO konto_sales;
";

/// Makes the group roles that do not exist yet, then grants each its
/// rights on konto's tables.
pub fn set_up(client: &mut Client, target: &PgTarget) -> Result<(), StoreError> {
    for role in ALL {
        let name = group(role);
        let exists = client
            .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&name])
            .map_err(|e| super::failed(target, &e))?
            .is_some();
        if exists {
            continue;
        }
        match client.batch_execute(&format!("CREATE ROLE {name} NOLOGIN")) {
            Ok(()) => {}
            // Another `db init` (of another database on this server) made
            // it meanwhile.
            Err(e)
                if e.code() == Some(&SqlState::DUPLICATE_OBJECT)
                    || e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {}
            Err(e) => return Err(super::failed(target, &e)),
        }
    }
    let mut tx = client
        .transaction()
        .map_err(|e| super::failed(target, &e))?;
    tx.batch_execute(GRANTS)
        .map_err(|e| super::failed(target, &e))?;
    tx.commit().map_err(|e| super::failed(target, &e))
}

/// Makes `user` (a login) a member of `role`'s group and of no other
/// konto group.
pub fn grant(target: &PgTarget, user: &str, role: Role) -> Result<(), StoreError> {
    let mut client = target.connect()?;
    let login = quoted(user);
    let others: Vec<&str> = ALL.into_iter().filter(|r| *r != role).map(group).collect();
    let sql = format!(
        "REVOKE {} FROM {login}; GRANT {} TO {login};",
        others.join(", "),
        group(role)
    );
    let mut tx = client
        .transaction()
        .map_err(|e| super::failed(target, &e))?;
    tx.batch_execute(&sql).map_err(|e| {
        if e.code() == Some(&SqlState::UNDEFINED_OBJECT) {
            StoreError::Unreachable {
                store: target.label().to_string(),
                reason: crate::t!("pg.no_such_login", user = crate::text::safe(user)),
            }
        } else {
            super::failed(target, &e)
        }
    })?;
    tx.commit().map_err(|e| super::failed(target, &e))
}

/// A name as an SQL identifier, whatever it holds.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Who this session's login is, and its konto role.
pub fn session(client: &mut Client, target: &PgTarget) -> Result<(String, Role), StoreError> {
    let row = client
        .query_one("SELECT session_user::text, konto.session_role()", &[])
        .map_err(|e| super::failed(target, &e))?;
    let role = match row.get::<_, String>(1).as_str() {
        "admin" => Role::Admin,
        "sales" => Role::Sales,
        _ => Role::Helpdesk,
    };
    Ok((row.get(0), role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_name_cannot_end_the_identifier() {
        assert_eq!(quoted("maria"), "\"maria\"");
        assert_eq!(quoted("a\"; DROP"), "\"a\"\"; DROP\"");
    }
}
