//! konto's tables in PostgreSQL, as numbered migrations: `konto db init`
//! runs the ones a database has not had (each in its own transaction,
//! recorded in `konto.migrations`); a database with a newer migration than
//! this konto knows is refused, as a newer sled store is.

use postgres::Client;
use postgres::error::SqlState;

use super::target::{PgTarget, reason};
use crate::store::StoreError;

/// Every migration, in order: (number, SQL). Never edit one that has
/// shipped; add the next.
pub const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        "CREATE TABLE konto.customers (
    cloud text COLLATE \"C\" NOT NULL,
    id text COLLATE \"C\" NOT NULL,
    company_name text NOT NULL,
    company_domain text NOT NULL,
    company_registration_number text NOT NULL,
    billing_first_name text NOT NULL,
    billing_last_name text NOT NULL,
    billing_email text NOT NULL,
    billing_phone text NOT NULL,
    billing_culture text NOT NULL,
    billing_language text NOT NULL,
    billing_company_name text NOT NULL,
    billing_address_line1 text NOT NULL,
    billing_address_line2 text NOT NULL,
    billing_address_city text NOT NULL,
    billing_address_state text NOT NULL,
    billing_address_postal_code text NOT NULL,
    billing_address_country text NOT NULL,
    company_tenant_id text NOT NULL,
    version bigint NOT NULL CHECK (version > 0),
    created timestamptz NOT NULL,
    created_nanos integer NOT NULL DEFAULT 0,
    updated timestamptz NOT NULL,
    updated_nanos integer NOT NULL DEFAULT 0,
    permissions_azure_reservations boolean NOT NULL DEFAULT false,
    permissions_azure_savings_plan boolean NOT NULL DEFAULT false,
    sort_name text COLLATE \"C\" NOT NULL,
    PRIMARY KEY (cloud, id)
);
CREATE UNIQUE INDEX customers_domain ON konto.customers (cloud, lower(company_domain));
CREATE INDEX customers_name ON konto.customers (cloud, sort_name, id);
CREATE TABLE konto.audit (
    cloud text COLLATE \"C\" NOT NULL,
    id text COLLATE \"C\" NOT NULL,
    version bigint NOT NULL,
    time timestamptz NOT NULL,
    time_nanos integer NOT NULL DEFAULT 0,
    operator text NOT NULL,
    action text NOT NULL,
    changes jsonb NOT NULL,
    reverts bigint,
    role text,
    PRIMARY KEY (cloud, id, version)
);
CREATE TABLE konto.meta (
    key text PRIMARY KEY,
    value text NOT NULL
);
-- Each cloud's number of customers, kept by triggers on every insert and
-- delete (psql's included): an exact count(*) of a million rows takes
-- 300 ms, and the list's first frame needs the number at once.
CREATE TABLE konto.counts (
    cloud text PRIMARY KEY,
    customers bigint NOT NULL DEFAULT 0
);
INSERT INTO konto.counts (cloud) VALUES ('commercial'), ('usgov');
-- One function for the three triggers: each statement's rows are in the
-- transition table `changed` (inserted or deleted ones), TRUNCATE empties.
CREATE FUNCTION konto.count_customers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE konto.counts SET customers = 0;
    ELSE
        UPDATE konto.counts c
        SET customers = c.customers + CASE TG_OP WHEN 'INSERT' THEN n.n ELSE -n.n END
        FROM (SELECT cloud, count(*) AS n FROM changed GROUP BY cloud) n
        WHERE c.cloud = n.cloud;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER customers_inserted AFTER INSERT ON konto.customers
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION konto.count_customers();
CREATE TRIGGER customers_deleted AFTER DELETE ON konto.customers
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION konto.count_customers();
CREATE TRIGGER customers_truncated AFTER TRUNCATE ON konto.customers
    FOR EACH STATEMENT EXECUTE FUNCTION konto.count_customers();",
    ),
    (2, ROLES_MIGRATION),
    (3, CHANGES_MIGRATION),
    (4, PRUNE_CHANGES_MIGRATION),
];

/// The feed's trigger function, for migrations 3 and 4 alike. The feed
/// keeps a week: the trigger prunes older rows every 1,000th number (a
/// reader whose next number was pruned reloads its list). Migration 3
/// reached main before the pruning: a database that ran it then gets the
/// pruning from migration 4 (which writes this function again); a new one
/// has it from migration 3 already, and 4 changes nothing. Both end alike.
macro_rules! record_changes_function {
    () => {
        "
CREATE OR REPLACE FUNCTION konto.record_changes() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = pg_catalog, konto AS $$
DECLARE
    n bigint;
    next bigint;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        n := 1001;
    ELSE
        SELECT count(*) INTO n FROM changed;
    END IF;
    IF n = 0 THEN
        RETURN NULL;
    END IF;
    UPDATE konto.change_counter SET seq = seq + 1 RETURNING seq INTO next;
    IF n > 1000 THEN
        INSERT INTO konto.changes (seq) VALUES (next);
    ELSE
        INSERT INTO konto.changes (seq, cloud, id, version)
            SELECT next, cloud, id, version FROM changed;
    END IF;
    -- Kept for a week, pruned every 1,000th number: an app away longer
    -- finds its next number gone and reloads its list.
    IF next % 1000 = 0 THEN
        DELETE FROM konto.changes WHERE time < now() - interval '7 days';
    END IF;
    PERFORM pg_notify('konto_changes', next::text);
    RETURN NULL;
END $$;
"
    };
}
const PRUNE_CHANGES_MIGRATION: &str = record_changes_function!();

/// The change feed: every statement that writes customers (konto's
/// commits, imports and COPYs, and anyone's psql) records which customers
/// it changed under the next number of a one-row counter, in its own
/// transaction, and notifies `konto_changes` (delivered at commit).
///
/// The number is taken by updating the counter row, which stays locked
/// until the transaction ends: a second writer waits for the first to
/// commit or roll back before it gets the next number, so numbers become
/// visible in order and without gaps (a rolled-back number is rolled back
/// with its counter). A reader that has seen number n has seen every one
/// before it. (A `bigserial` is handed out at insert time and commits in
/// any order; a reader past a gap would lose a change.) The price is that
/// writers of customers commit one at a time, which a team's rate of edits
/// never notices.
///
/// A statement of more than 1,000 customers (a bulk import) is recorded as
/// one row without an id: readers reload the whole list.
const CHANGES_MIGRATION: &str = concat!(
    "
CREATE TABLE konto.change_counter (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    seq bigint NOT NULL
);
INSERT INTO konto.change_counter VALUES (true, 0);
CREATE TABLE konto.changes (
    seq bigint NOT NULL,
    cloud text COLLATE \"C\",
    id text COLLATE \"C\",
    version bigint,
    login text NOT NULL DEFAULT session_user,
    time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX changes_seq ON konto.changes (seq);
",
    record_changes_function!(),
    "
CREATE TRIGGER customers_changes_inserted AFTER INSERT ON konto.customers
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION konto.record_changes();
CREATE TRIGGER customers_changes_updated AFTER UPDATE ON konto.customers
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION konto.record_changes();
CREATE TRIGGER customers_changes_deleted AFTER DELETE ON konto.customers
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION konto.record_changes();
CREATE TRIGGER customers_changes_truncated AFTER TRUNCATE ON konto.customers
    FOR EACH STATEMENT EXECUTE FUNCTION konto.record_changes();
"
);

/// Roles enforced by the database (see `roles.rs` for the grants): who
/// the session's login is to konto, a guard on the purchase-permission
/// columns, and an audit that records the login, not what the client says.
///
/// The permissions are guarded by a trigger rather than column privileges:
/// every write konto makes (a commit's UPDATE, an import's INSERT or COPY)
/// names every column, and PostgreSQL checks a column privilege on a named
/// column even when its value does not change; the trigger judges what a
/// write changes, so konto's statements stay one shape for every role.
/// Its WHEN clause keeps it off rows whose permissions do not change (a
/// bulk import's COPY pays nothing for it).
const ROLES_MIGRATION: &str = "
CREATE FUNCTION konto.is_admin() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false)
        OR pg_has_role(session_user,
               (SELECT nspowner FROM pg_namespace WHERE nspname = 'konto'), 'MEMBER')
        OR EXISTS (SELECT 1 FROM pg_roles
                   WHERE rolname = 'konto_admin' AND pg_has_role(session_user, oid, 'MEMBER'))
$$;
-- The session login's konto role: admin (also the schema's owner and a
-- superuser), sales, or else helpdesk (the least).
CREATE FUNCTION konto.session_role() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN konto.is_admin() THEN 'admin'
        WHEN EXISTS (SELECT 1 FROM pg_roles
                     WHERE rolname = 'konto_sales' AND pg_has_role(session_user, oid, 'MEMBER'))
            THEN 'sales'
        ELSE 'helpdesk'
    END
$$;
CREATE FUNCTION konto.guard_permissions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT konto.is_admin() THEN
        RAISE EXCEPTION 'only konto_admin may change purchase permissions (customer %)', NEW.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER customers_permissions_inserted BEFORE INSERT ON konto.customers FOR EACH ROW
    WHEN (NEW.permissions_azure_reservations OR NEW.permissions_azure_savings_plan)
    EXECUTE FUNCTION konto.guard_permissions();
CREATE TRIGGER customers_permissions_updated BEFORE UPDATE ON konto.customers FOR EACH ROW
    WHEN (NEW.permissions_azure_reservations IS DISTINCT FROM OLD.permissions_azure_reservations
       OR NEW.permissions_azure_savings_plan IS DISTINCT FROM OLD.permissions_azure_savings_plan)
    EXECUTE FUNCTION konto.guard_permissions();
-- Who wrote an entry is the login, whatever the client claims (an admin
-- may write any, as `konto db migrate-from` copies a local history).
CREATE FUNCTION konto.audit_login() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT konto.is_admin() THEN
        NEW.operator := session_user;
        NEW.role := konto.session_role();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_login BEFORE INSERT ON konto.audit FOR EACH ROW
    WHEN (NEW.operator IS DISTINCT FROM session_user OR NEW.role IS DISTINCT FROM 'admin')
    EXECUTE FUNCTION konto.audit_login();
-- A sales login's insert or delete keeps the counts, which it may not
-- write itself: the trigger function runs as its owner.
ALTER FUNCTION konto.count_customers() SECURITY DEFINER SET search_path = pg_catalog, konto;
";

/// The newest migration this konto knows.
pub fn newest() -> i32 {
    MIGRATIONS.last().map_or(0, |(n, _)| *n)
}

/// The newest migration the database has had (None: konto was never set up
/// in it).
fn applied(client: &mut Client, target: &PgTarget) -> Result<Option<i32>, StoreError> {
    match client.query_one("SELECT max(version) FROM konto.migrations", &[]) {
        Ok(row) => Ok(row.get::<_, Option<i32>>(0)),
        Err(e)
            if e.code() == Some(&SqlState::UNDEFINED_TABLE)
                || e.code() == Some(&SqlState::INVALID_SCHEMA_NAME) =>
        {
            Ok(None)
        }
        Err(e) => Err(super::failed(target, &e)),
    }
}

/// Checks that the database has exactly the migrations this konto knows.
pub fn check(client: &mut Client, target: &PgTarget) -> Result<(), StoreError> {
    match applied(client, target)? {
        Some(n) if n == newest() => Ok(()),
        Some(n) if n > newest() => Err(StoreError::TooNewDatabase {
            store: target.label().to_string(),
            found: n,
            known: newest(),
        }),
        _ => Err(StoreError::NotInitialised(target.label().to_string())),
    }
}

/// What `konto db init` did.
#[derive(Debug, PartialEq, Eq)]
pub struct Initialised {
    /// The migration the database had before (None: none).
    pub before: Option<i32>,
    /// The one it has now.
    pub now: i32,
}

/// Creates konto's schema (or brings it up to date): every migration the
/// database has not had, each in one transaction with its record.
pub fn init_database(target: &PgTarget) -> Result<Initialised, StoreError> {
    let mut client = target.connect()?;
    let before = applied(&mut client, target)?;
    if let Some(n) = before.filter(|n| *n > newest()) {
        return Err(StoreError::TooNewDatabase {
            store: target.label().to_string(),
            found: n,
            known: newest(),
        });
    }
    let fail = |e: postgres::Error| super::failed(target, &e);
    if before.is_none() {
        let mut tx = client.transaction().map_err(fail)?;
        tx.batch_execute(
            "CREATE SCHEMA IF NOT EXISTS konto;
             CREATE TABLE IF NOT EXISTS konto.migrations (
                 version integer PRIMARY KEY,
                 applied timestamptz NOT NULL DEFAULT now()
             );",
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
    for (n, sql) in MIGRATIONS.iter().filter(|(n, _)| Some(*n) > before) {
        let mut tx = client.transaction().map_err(fail)?;
        tx.batch_execute(sql).map_err(|e| StoreError::Unreadable {
            path: target.label().into(),
            reason: format!("migration {n}: {}", reason(&e)),
        })?;
        tx.execute("INSERT INTO konto.migrations (version) VALUES ($1)", &[n])
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
    super::roles::set_up(&mut client, target)?;
    Ok(Initialised {
        before,
        now: newest(),
    })
}
