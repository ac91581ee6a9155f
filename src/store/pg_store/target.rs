//! Which PostgreSQL database to use: a URL (`postgres://…`,
//! `postgresql://…`) or libpq's `host=… dbname=…`, and how it is named on
//! screen (never with its password).

use std::str::FromStr;

use postgres::config::Host;
use postgres::error::SqlState;
use postgres::{Client, Config, NoTls};

use crate::store::StoreError;
use crate::t;

/// A PostgreSQL database to connect to.
#[derive(Clone)]
pub struct PgTarget {
    config: Config,
    label: String,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The config holds the password: only the label is shown.
        f.debug_tuple("PgTarget").field(&self.label).finish()
    }
}

impl PgTarget {
    /// Whether `text` names a PostgreSQL database (rather than a directory).
    pub fn is_postgres(text: &str) -> bool {
        let text = text.trim();
        text.starts_with("postgres://")
            || text.starts_with("postgresql://")
            || text.split_whitespace().any(|part| {
                ["host=", "dbname=", "user=", "port="]
                    .iter()
                    .any(|key| part.starts_with(key))
            })
    }

    /// Reads a URL or a libpq connection string.
    pub fn parse(text: &str) -> Result<PgTarget, String> {
        let mut config = Config::from_str(text.trim()).map_err(|e| e.to_string())?;
        if config.get_application_name().is_none() {
            config.application_name("konto");
        }
        let label = label_of(&config);
        Ok(PgTarget { config, label })
    }

    /// `postgres://user@host:port/database`: what the header shows.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// A new connection, or a message naming the store and what to do.
    pub fn connect(&self) -> Result<Client, StoreError> {
        self.config
            .connect(NoTls)
            .map_err(|e| StoreError::Unreachable {
                store: self.label.clone(),
                reason: reason(&e),
            })
    }
}

fn label_of(config: &Config) -> String {
    let user = config.get_user().unwrap_or("");
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config
        .get_ports()
        .first()
        .filter(|p| **p != 5432)
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    let db = config.get_dbname().unwrap_or(user);
    let at = if user.is_empty() { "" } else { "@" };
    format!("postgres://{user}{at}{host}{port}/{db}")
}

/// What went wrong, in the operator's words, with what to do where konto
/// knows (a refused login, a missing database, a server that is not there).
pub fn reason(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let hint = match db.code() {
            c if *c == SqlState::INVALID_PASSWORD
                || *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION =>
            {
                Some(t!("pg.hint_login"))
            }
            c if *c == SqlState::INVALID_CATALOG_NAME => Some(t!("pg.hint_database")),
            _ => None,
        };
        return match hint {
            Some(hint) => format!("{} ({hint})", db.message()),
            None => db.message().to_string(),
        };
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    if e.is_closed() || text.contains("connect") {
        format!("{text} ({})", t!("pg.hint_server"))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_libpq_strings_are_postgres_and_paths_are_not() {
        assert!(PgTarget::is_postgres("postgres://anna@db/konto"));
        assert!(PgTarget::is_postgres("postgresql://db/konto"));
        assert!(PgTarget::is_postgres("host=/tmp dbname=konto"));
        assert!(!PgTarget::is_postgres("/home/anna/konto"));
        assert!(!PgTarget::is_postgres("konto-data"));
    }

    #[test]
    fn the_label_never_holds_the_password() {
        let t = PgTarget::parse("postgres://anna:geheim@db.example:6543/kunden").unwrap();
        assert_eq!(t.label(), "postgres://anna@db.example:6543/kunden");
        assert!(!format!("{t:?}").contains("geheim"));
        let t = PgTarget::parse("host=/run/pg user=ops password=x dbname=k").unwrap();
        assert_eq!(t.label(), "postgres://ops@/run/pg/k");
    }
}
