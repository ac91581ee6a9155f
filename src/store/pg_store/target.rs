//! Which PostgreSQL database to use: a URL (`postgres://…`,
//! `postgresql://…`) or libpq's `host=… dbname=…`, and how it is named on
//! screen (never with its password).

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use postgres::config::{Host, SslMode};
use postgres::error::SqlState;
use postgres::{Client, Config, NoTls};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::store::StoreError;
use crate::t;

/// A PostgreSQL database to connect to.
#[derive(Clone)]
pub struct PgTarget {
    config: Config,
    label: String,
    /// `sslrootcert`: CA certificates (PEM) to trust besides the system's,
    /// for a server whose certificate a company's own CA signed.
    root_cert: Option<PathBuf>,
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
        let (text, root_cert) = take_root_cert(text.trim());
        let mut config = Config::from_str(&text).map_err(|e| e.to_string())?;
        // A dead server or network is noticed in seconds, not at TCP's
        // own pace (minutes), unless the URL says otherwise.
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(5));
        }
        // A dropped network fails a query after 10 s of unacknowledged
        // data (the app polls on its own thread: it would wait that long)
        // and an idle connection after 10 + 2 × 5 s of silence.
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(std::time::Duration::from_secs(10));
        }
        config.keepalives_idle(std::time::Duration::from_secs(10));
        config.keepalives_interval(std::time::Duration::from_secs(5));
        config.keepalives_retries(2);
        if config.get_application_name().is_none() {
            config.application_name("konto");
        }
        let label = label_of(&config);
        Ok(PgTarget {
            config,
            label,
            root_cert: root_cert.map(PathBuf::from),
        })
    }

    /// `postgres://user@host:port/database`: what the header shows.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// A new connection, or a message naming the store and what to do.
    /// `sslmode=require` connects with TLS and verifies the server's
    /// certificate and host name (rustls: the system's CA certificates and
    /// `sslrootcert`); `disable` and `prefer` connect without TLS.
    pub fn connect(&self) -> Result<Client, StoreError> {
        let unreachable = |reason: String| StoreError::Unreachable {
            store: self.label.clone(),
            reason,
        };
        let connected = match self.config.get_ssl_mode() {
            SslMode::Require => self.config.connect(self.tls().map_err(unreachable)?),
            _ => self.config.connect(NoTls),
        };
        connected.map_err(|e| unreachable(reason(&e)))
    }

    /// The TLS set-up of `sslmode=require`.
    fn tls(&self) -> Result<MakeRustlsConnect, String> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        if let Some(path) = &self.root_cert {
            let bad = |e: &dyn std::fmt::Display| {
                t!("pg.bad_root_cert", path = path.display(), reason = e)
            };
            let certs: Vec<CertificateDer> = CertificateDer::pem_file_iter(path)
                .map_err(|e| bad(&e))?
                .collect::<Result<_, _>>()
                .map_err(|e| bad(&e))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(bad(&"no certificate in it"));
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(MakeRustlsConnect::new(config))
    }
}

/// `sslrootcert` taken out of a URL's query or a libpq string (the
/// PostgreSQL client konto uses does not know it): the rest, and its value.
fn take_root_cert(text: &str) -> (String, Option<String>) {
    const KEY: &str = "sslrootcert=";
    if let Some((base, query)) = text.split_once('?') {
        let mut value = None;
        let rest: Vec<&str> = query
            .split('&')
            .filter(|part| match part.strip_prefix(KEY) {
                Some(v) => {
                    value = Some(v.replace("%2F", "/").replace("%2f", "/"));
                    false
                }
                None => true,
            })
            .collect();
        let text = if rest.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", rest.join("&"))
        };
        return (text, value);
    }
    let mut value = None;
    let rest: Vec<&str> = text
        .split_whitespace()
        .filter(|part| match part.strip_prefix(KEY) {
            Some(v) => {
                value = Some(v.trim_matches('\'').to_string());
                false
            }
            None => true,
        })
        .collect();
    (rest.join(" "), value)
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
    if text.contains("certificate") {
        format!("{text} ({})", t!("pg.hint_certificate"))
    } else if e.is_closed() || text.contains("connect") {
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
    fn sslrootcert_is_taken_out_of_urls_and_libpq_strings() {
        assert_eq!(
            take_root_cert("postgres://a@db/k?sslmode=require&sslrootcert=%2Fetc%2Fca.pem"),
            (
                "postgres://a@db/k?sslmode=require".to_string(),
                Some("/etc/ca.pem".to_string())
            )
        );
        assert_eq!(
            take_root_cert("host=db sslrootcert=/etc/ca.pem dbname=k"),
            (
                "host=db dbname=k".to_string(),
                Some("/etc/ca.pem".to_string())
            )
        );
        assert_eq!(
            take_root_cert("postgres://db/k"),
            ("postgres://db/k".to_string(), None)
        );
        let t = PgTarget::parse("postgres://db/k?sslrootcert=/x.pem&sslmode=require").unwrap();
        assert_eq!(t.root_cert, Some(PathBuf::from("/x.pem")));
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
