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

fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("konto: {message}");
    ExitCode::from(code)
}

fn store_error_code(e: &StoreError) -> u8 {
    match e {
        StoreError::Conflict { .. } => exit::CONFLICT,
        StoreError::Invalid(_) => exit::INVALID,
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
    let store = match Store::open(&dir, DEFAULT_CACHE_BYTES) {
        Ok(store) => store.with_policy(policy),
        Err(e) => return fail(store_error_code(&e), e),
    };
    let cloud = Cloud::from(cli.cloud);
    let result = match cli.command {
        None => run_app(&store, cloud, &operator(&cli)),
        Some(Cmd::Export) => export(&store, cloud),
    };
    match result {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) => e,
    }
}

fn run_app(store: &Store, cloud: Cloud, operator: &str) -> Result<(), ExitCode> {
    let demo = demo_customers().map_err(|e| fail(exit::STORE, format!("demo data: {e}")))?;
    store
        .seed_if_new(&demo)
        .map_err(|e| fail(store_error_code(&e), e))?;
    crate::tui::run(store, cloud, operator).map_err(|e| fail(exit::STORE, e))
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
