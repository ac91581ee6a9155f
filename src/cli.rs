//! Command-line arguments and the headless commands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::demo::demo_customers;
use crate::domain::{Cloud, sort_key};
use crate::store::{DEFAULT_CACHE_BYTES, Store, StoreError};
use crate::validate::Policy;

#[derive(Parser, Debug)]
#[command(
    name = "konto",
    version,
    about = "Keep customers' account information up to date, from the terminal."
)]
pub struct Cli {
    /// Where the store lives (default: the user's data directory).
    #[arg(long, global = true, env = "KONTO_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Which cloud's customers to work on.
    #[arg(long, global = true, value_enum, default_value_t = CloudArg::Commercial)]
    pub cloud: CloudArg,

    /// Name recorded in the audit trail (default: $USER).
    #[arg(long, global = true, env = "KONTO_OPERATOR")]
    pub operator: Option<String>,

    /// Your own (the partner's) email domain: customers' billing emails may
    /// not use it.
    #[arg(
        long,
        global = true,
        env = "KONTO_PARTNER_DOMAIN",
        value_name = "DOMAIN"
    )]
    pub partner_domain: Option<String>,

    /// sled's page cache in MiB (memory the store may use for caching).
    #[arg(long, global = true, env = "KONTO_CACHE_MB", value_name = "MIB", default_value_t = DEFAULT_CACHE_BYTES / (1024 * 1024))]
    pub cache_mb: u64,

    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CloudArg {
    Commercial,
    Usgov,
}

impl From<CloudArg> for Cloud {
    fn from(c: CloudArg) -> Cloud {
        match c {
            CloudArg::Commercial => Cloud::Commercial,
            CloudArg::Usgov => Cloud::Usgov,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Print every customer of the cloud as a JSON array, sorted by company name.
    Export,
    /// Print a customer's change history, oldest first.
    History {
        /// The customer's id.
        id: String,
        /// As a JSON array instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Rebuild an empty store (--data-dir) from a backup file, all or nothing.
    Restore {
        /// A backup written by konto (DATA_DIR/backups/konto-YYYY-MM-DD.json).
        file: PathBuf,
    },
    /// For the crash test: commit changes in a loop, printing each
    /// acknowledged (durable) version as `ack ID VERSION CITY`.
    #[command(hide = true)]
    CommitLoop {
        #[arg(long, default_value_t = u64::MAX)]
        count: u64,
    },
}

/// Exit codes (documented in the README).
pub mod exit {
    pub const OK: u8 = 0;
    pub const USAGE: u8 = 1;
    pub const INVALID: u8 = 2;
    pub const STORE: u8 = 3;
    pub const CONFLICT: u8 = 4;
}

/// The data directory: `--data-dir`/`KONTO_DATA_DIR`, else the platform's
/// per-user data directory.
pub fn data_dir(cli: &Cli) -> Option<PathBuf> {
    cli.data_dir.clone().or_else(|| {
        directories::ProjectDirs::from("", "", "konto").map(|d| d.data_dir().to_path_buf())
    })
}

fn operator(cli: &Cli) -> String {
    cli.operator
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Everything konto creates (store files, backups) is its owner's only:
/// customer data is personal data.
fn set_private_umask() {
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("konto: {message}");
    ExitCode::from(code)
}

fn store_error_code(e: &StoreError) -> u8 {
    match e {
        StoreError::Conflict { .. } => exit::CONFLICT,
        StoreError::Invalid(_)
        | StoreError::NotFound(_)
        | StoreError::NoSuchChange { .. }
        | StoreError::RevertBlocked { .. }
        | StoreError::BadBackup { .. } => exit::INVALID,
        _ => exit::STORE,
    }
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    let Some(dir) = data_dir(&cli) else {
        return fail(
            exit::USAGE,
            "no home directory to keep the store in; pass --data-dir DIR",
        );
    };
    let policy = Policy {
        partner_domain: cli.partner_domain.clone(),
    };
    set_private_umask();
    let store = match Store::open(&dir, cli.cache_mb.saturating_mul(1024 * 1024)) {
        Ok(store) => store.with_policy(policy),
        Err(e) => return fail(store_error_code(&e), e),
    };
    let cloud = Cloud::from(cli.cloud);
    let operator = operator(&cli);
    let result = match cli.command {
        None => run_app(&store, cloud, &operator),
        Some(Cmd::Export) => export(&store, cloud),
        Some(Cmd::History { id, json }) => history(&store, cloud, &id, json),
        Some(Cmd::Restore { file }) => restore(&store, &file),
        Some(Cmd::CommitLoop { count }) => commit_loop(&store, &operator, count),
    };
    match result {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) => e,
    }
}

fn seed(store: &Store) -> Result<(), ExitCode> {
    let demo = demo_customers().map_err(|e| fail(exit::STORE, format!("demo data: {e}")))?;
    store
        .seed_if_new(&demo)
        .map_err(|e| fail(store_error_code(&e), e))?;
    Ok(())
}

fn run_app(store: &Store, cloud: Cloud, operator: &str) -> Result<(), ExitCode> {
    seed(store)?;
    crate::tui::run(store, cloud, operator).map_err(|e| fail(exit::STORE, e))?;
    // A clean exit: today's backup, if there is none yet.
    if let Err(e) = store.backup_if_due(chrono::Utc::now()) {
        eprintln!("konto: the daily backup was not written: {e}");
    }
    Ok(())
}

fn history(store: &Store, cloud: Cloud, id: &str, json: bool) -> Result<(), ExitCode> {
    if store
        .get(cloud, id)
        .map_err(|e| fail(store_error_code(&e), e))?
        .is_none()
    {
        return Err(fail(exit::INVALID, StoreError::NotFound(id.to_string())));
    }
    let entries = store
        .history(cloud, id)
        .map_err(|e| fail(store_error_code(&e), e))?;
    if json {
        let text = serde_json::to_string_pretty(&entries).map_err(|e| fail(exit::STORE, e))?;
        println!("{text}");
        return Ok(());
    }
    for entry in &entries {
        let local = entry.time.with_timezone(&chrono::Local);
        println!(
            "v{}  {}  {}  {}",
            entry.version,
            local.format("%Y-%m-%d %H:%M:%S %Z"),
            crate::text::safe(&entry.operator),
            entry.action.title()
        );
        for c in &entry.changes {
            println!(
                "    {}: {} → {}",
                crate::domain::label_for_key(&c.field),
                crate::text::safe(&c.old),
                crate::text::safe(&c.new)
            );
        }
    }
    if entries.is_empty() {
        println!("no changes recorded since the customer was created");
    }
    Ok(())
}

fn restore(store: &Store, file: &std::path::Path) -> Result<(), ExitCode> {
    let n = store
        .restore(file)
        .map_err(|e| fail(store_error_code(&e), e))?;
    println!("restored {n} customers into {}", store.dir().display());
    Ok(())
}

/// Commits a change after another and reports each one once it is durable;
/// the crash test kills this process at random moments.
fn commit_loop(store: &Store, operator: &str, count: u64) -> Result<(), ExitCode> {
    use std::io::Write;
    seed(store)?;
    let customers = store
        .customers(Cloud::Commercial)
        .map_err(|e| fail(store_error_code(&e), e))?;
    if customers.is_empty() {
        return Err(fail(exit::INVALID, "no customers to change"));
    }
    let mut out = std::io::stdout().lock();
    for i in 0..count {
        let index = (i % customers.len() as u64) as usize;
        let Some(mut record) = store
            .get(Cloud::Commercial, &customers[index].id)
            .map_err(|e| fail(store_error_code(&e), e))?
        else {
            continue;
        };
        record.billing.address.city = format!("Crashtown {i}");
        let action = crate::domain::AuditAction::Update;
        match store.commit(operator, action, &record) {
            Ok(crate::store::Committed::Saved(saved)) => {
                let line = format!(
                    "ack {} {} {}\n",
                    saved.id, saved.version, saved.billing.address.city
                );
                if out
                    .write_all(line.as_bytes())
                    .and_then(|()| out.flush())
                    .is_err()
                {
                    return Ok(());
                }
            }
            Ok(crate::store::Committed::Unchanged(_)) => {}
            Err(e) => return Err(fail(store_error_code(&e), e)),
        }
    }
    Ok(())
}

fn export(store: &Store, cloud: Cloud) -> Result<(), ExitCode> {
    let mut customers = store
        .customers(cloud)
        .map_err(|e| fail(store_error_code(&e), e))?;
    customers.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    let json = serde_json::to_string_pretty(&customers).map_err(|e| fail(exit::STORE, e))?;
    println!("{json}");
    Ok(())
}
