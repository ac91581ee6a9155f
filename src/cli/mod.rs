//! Command-line arguments and the headless commands.

mod data;
mod db;
mod edit;
mod package;
mod progress;
mod test_hooks;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::app::ThemeName;
use crate::demo::demo_customers;
use crate::domain::{Access, Cloud, Role};
use crate::i18n::{Lang, Locale, Zone};
use crate::store::{DEFAULT_CACHE_BYTES, PgTarget, Store, StoreError};
use crate::t;
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

    /// Name recorded in the audit trail (default: $USER); on a PostgreSQL
    /// store the database login is recorded instead.
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

    /// What you may do: admin (everything), sales (account info, not
    /// purchase permissions), helpdesk (read only). Recorded in the audit.
    /// On a PostgreSQL store the database's role of your login is used
    /// instead (see `konto db grant`).
    #[arg(long, global = true, env = "KONTO_ROLE", value_enum, default_value_t = RoleArg::Admin)]
    pub role: RoleArg,

    /// Leave the mouse to the terminal (no clicking or wheel in konto).
    #[arg(long, global = true, env = "KONTO_NO_MOUSE")]
    pub no_mouse: bool,

    /// Change nothing, whatever the role.
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Colours: dark, light or high-contrast. NO_COLOR (set to anything)
    /// turns colour off entirely.
    #[arg(long, global = true, env = "KONTO_THEME", value_enum, default_value_t = ThemeArg::Dark)]
    pub theme: ThemeArg,

    /// Language of the app's texts: en or de (default: the config's
    /// `language`, else LC_ALL, LC_MESSAGES or LANG: de_* is German).
    #[arg(long, global = true, env = "KONTO_LANG", value_enum)]
    pub lang: Option<LangArg>,

    /// Where the customers are: a PostgreSQL database shared by a team
    /// (`postgres://user@host/db`, or libpq's `host=… dbname=…`) or a
    /// directory with the embedded store (default: the data directory).
    #[arg(long, global = true, env = "KONTO_STORE", value_name = "STORE")]
    pub store: Option<String>,

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

#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum DbAction {
    /// Create konto's tables in the database (or bring them up to date):
    /// every migration it has not had, each recorded; then the group roles
    /// konto_admin, konto_sales and konto_helpdesk (where missing) and
    /// their grants.
    Init,
    /// Make a login (a PostgreSQL user) an admin, sales or helpdesk agent
    /// of konto, and none of the others.
    Grant {
        /// The login, as PostgreSQL names it.
        user: String,
        role: RoleArg,
    },
    /// Copy a local (sled) store into the empty database: both clouds,
    /// every version and the whole history, all or nothing; the counts are
    /// printed and checked.
    MigrateFrom {
        /// The local store's directory (a --data-dir).
        dir: PathBuf,
    },
}

#[derive(Subcommand, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigAction {
    /// Print the config file's path.
    Path,
    /// Write a commented default config (an existing file is left alone).
    Init,
}

fn config_command(action: ConfigAction) -> ExitCode {
    let Some(path) = crate::config::path() else {
        return fail(exit::USAGE, t!("cli.no_config_dir"));
    };
    match action {
        ConfigAction::Path => {
            println!("{}", path.display());
            ExitCode::from(exit::OK)
        }
        ConfigAction::Init if path.exists() => {
            fail(exit::USAGE, t!("cli.config_exists", path = path.display()))
        }
        ConfigAction::Init => {
            let written = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&path, crate::config::DEFAULT_TEXT));
            match written {
                Ok(()) => {
                    println!("{}", t!("cli.wrote", path = path.display()));
                    ExitCode::from(exit::OK)
                }
                Err(e) => fail(exit::USAGE, format!("{}: {e}", path.display())),
            }
        }
    }
}

/// Fills what the command line left at its default from the config file.
fn apply_config(cli: &mut Cli, matches: &clap::ArgMatches, config: &crate::config::Config) {
    use clap::parser::ValueSource;
    let defaulted = |id: &str| {
        matches!(
            matches.value_source(id),
            None | Some(ValueSource::DefaultValue)
        )
    };
    if defaulted("cloud") && config.cloud.as_deref() == Some("usgov") {
        cli.cloud = CloudArg::Usgov;
    }
    if defaulted("theme") {
        match config.theme.as_deref() {
            Some("light") => cli.theme = ThemeArg::Light,
            Some("high-contrast") => cli.theme = ThemeArg::HighContrast,
            _ => {}
        }
    }
    if defaulted("role") {
        match config.role.as_deref() {
            Some("sales") => cli.role = RoleArg::Sales,
            Some("helpdesk") => cli.role = RoleArg::Helpdesk,
            _ => {}
        }
    }
    if defaulted("cache_mb")
        && let Some(mb) = config.cache_mb
    {
        cli.cache_mb = mb;
    }
    if cli.operator.is_none() {
        cli.operator.clone_from(&config.operator);
    }
    if cli.store.is_none() {
        cli.store.clone_from(&config.store);
    }
    if cli.partner_domain.is_none() {
        cli.partner_domain.clone_from(&config.partner_domain);
    }
    if config.mouse == Some(false) {
        cli.no_mouse = true;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    En,
    De,
}

/// The language konto speaks: `--lang`, the config, then the locale. Before
/// the config is read, `language(cli, None)`: the flag, then the locale.
fn language(cli: &Cli, config: Option<&crate::config::Config>) -> Lang {
    let flag = cli.lang.map(|l| match l {
        LangArg::En => Lang::En,
        LangArg::De => Lang::De,
    });
    let env = |name: &str| std::env::var(name).ok();
    crate::i18n::resolve(
        flag,
        config.and_then(|c| c.language.as_deref()),
        env("LC_ALL").as_deref(),
        env("LC_MESSAGES").as_deref(),
        env("LANG").as_deref(),
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Admin,
    Sales,
    Helpdesk,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Role {
        match role {
            RoleArg::Admin => Role::Admin,
            RoleArg::Sales => Role::Sales,
            RoleArg::Helpdesk => Role::Helpdesk,
        }
    }
}

impl Cli {
    /// What `--role` and `--read-only` ask for (on a PostgreSQL store the
    /// database's role replaces the first: see `access_on`).
    pub fn access(&self) -> Access {
        Access {
            role: self.role.into(),
            read_only: self.read_only,
        }
    }

    /// What this run may do on `store`: the role the database enforces
    /// where it has one, else `--role`.
    pub fn access_on(&self, store: &Store) -> Access {
        Access {
            role: store.database_role().unwrap_or(self.role.into()),
            ..self.access()
        }
    }
}

/// Refuses a command the operator's role (or --read-only) does not allow.
pub(crate) fn allowed(verdict: Result<(), String>) -> Result<(), ExitCode> {
    verdict.map_err(|why| fail(exit::USAGE, t!("cli.not_allowed", reason = why)))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ThemeArg {
    Dark,
    Light,
    HighContrast,
}

/// The theme in force: NO_COLOR (https://no-color.org: present and not
/// empty) wins over any choice.
fn theme_name(arg: ThemeArg) -> ThemeName {
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return ThemeName::NoColor;
    }
    match arg {
        ThemeArg::Dark => ThemeName::Dark,
        ThemeArg::Light => ThemeName::Light,
        ThemeArg::HighContrast => ThemeName::HighContrast,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DataFormat {
    Json,
    Csv,
    /// An Excel workbook (import also reads OpenDocument `.ods`).
    Xlsx,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EncodingArg {
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    #[value(name = "windows-1252", alias = "cp1252")]
    Windows1252,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ViewFormat {
    Table,
    Json,
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PermissionArg {
    Reservations,
    SavingsPlan,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Write every customer of the cloud (matching --filter), sorted by
    /// company name, with one column per field.
    Export {
        #[arg(long, value_enum, default_value_t = DataFormat::Json)]
        format: DataFormat,
        /// Only customers matching this query, written as in the app's `/`
        /// filter: fuzzy words (name, contact, email, city, domain), `'exact`,
        /// and field words such as `country:de` or `city:ulm`.
        #[arg(long, value_name = "QUERY")]
        filter: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// CSV: the character between fields (`;` for a German Excel, `tab`).
        #[arg(long, value_name = "CHAR", value_parser = crate::exchange::sniff::parse_delimiter)]
        delimiter: Option<u8>,
        /// CSV: start with a byte order mark, so Excel reads the text as UTF-8.
        #[arg(long)]
        bom: bool,
    },
    /// Create and update customers from a CSV, JSON, xlsx or ods file, all
    /// or nothing: every record is checked first; any error writes nothing.
    Import {
        file: PathBuf,
        /// Default: from the file's extension.
        #[arg(long, value_enum)]
        format: Option<DataFormat>,
        /// CSV: the character between fields (default: detected).
        #[arg(long, value_name = "CHAR", value_parser = crate::exchange::sniff::parse_delimiter)]
        delimiter: Option<u8>,
        /// CSV: the text's encoding (default: detected).
        #[arg(long, value_enum)]
        encoding: Option<EncodingArg>,
        /// Show what would change and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Take records based on older versions than stored.
        #[arg(long)]
        force: bool,
        /// With --dry-run: every changed field as old → new.
        #[arg(short, long)]
        verbose: bool,
    },
    /// List customers (matching --filter).
    List {
        /// Only customers matching this query (as in the app's `/` filter).
        #[arg(long, value_name = "QUERY")]
        filter: Option<String>,
        #[arg(long, value_enum, default_value_t = ViewFormat::Table)]
        format: ViewFormat,
    },
    /// Show one customer, by id or primary domain.
    Show {
        id_or_domain: String,
        #[arg(long, value_enum, default_value_t = ViewFormat::Table)]
        format: ViewFormat,
    },
    /// Change fields of one customer as one audited commit.
    Update {
        id: String,
        /// FIELD=VALUE, with FIELD a column name (billing.address.city) or its
        /// last part (city); repeatable.
        #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
        sets: Vec<String>,
        /// Refuse (exit 4) unless the stored version is this one.
        #[arg(long, value_name = "N")]
        if_version: Option<u64>,
    },
    /// Allow or stop allowing a customer to purchase Azure reservations or
    /// savings plans.
    Permission {
        id: String,
        #[arg(value_enum)]
        permission: PermissionArg,
        #[arg(value_enum)]
        state: OnOff,
    },
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
    /// The config file: where it is, or write a commented default there.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Rewrite the store to give back the space sled keeps after large
    /// imports (a rewrite in key order; the store is locked meanwhile).
    Compact,
    /// Add N generated, realistic customers to the cloud (deterministic:
    /// the same seed gives the same customers), for trying konto out and
    /// for benchmarks.
    Gen {
        /// How many customers to add.
        #[arg(long, default_value_t = 1000)]
        count: usize,
        /// Seed of the generator: the same seed gives the same customers.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Set up or fill a PostgreSQL database for a team (--store URL).
    Db {
        #[command(subcommand)]
        action: DbAction,
    },
    #[command(flatten)]
    Package(package::PackageCmd),
}

impl Cmd {
    /// Whether the command may write (or, `export`, read) many records at
    /// once (see `alloc`).
    fn writes_in_bulk(&self) -> bool {
        matches!(
            self,
            Cmd::Import { .. }
                | Cmd::Restore { .. }
                | Cmd::Compact
                | Cmd::Gen { .. }
                | Cmd::Export { .. }
        )
    }
}

/// Exit codes (documented in the README).
pub mod exit {
    pub const OK: u8 = 0;
    pub const USAGE: u8 = 1;
    pub const INVALID: u8 = 2;
    pub const STORE: u8 = 3;
    pub const CONFLICT: u8 = 4;
}

/// Where the customers are.
#[derive(Debug)]
pub enum StoreChoice {
    /// The embedded sled store in this directory.
    Local(PathBuf),
    /// A team's PostgreSQL database (boxed: its settings are large).
    Team(Box<PgTarget>),
}

/// `--store` (or `KONTO_STORE`, or the config's `store`): a PostgreSQL URL or
/// libpq string, or a directory; without it, the sled store in `data_dir`.
pub fn store_choice(cli: &Cli, data_dir: &std::path::Path) -> Result<StoreChoice, String> {
    match cli.store.as_deref().map(str::trim) {
        Some(text) if PgTarget::is_postgres(text) => PgTarget::parse(text)
            .map(|target| StoreChoice::Team(Box::new(target)))
            .map_err(|e| t!("cli.bad_store_url", reason = e)),
        Some(dir) if !dir.is_empty() => Ok(StoreChoice::Local(PathBuf::from(dir))),
        _ => Ok(StoreChoice::Local(data_dir.to_path_buf())),
    }
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

/// Replaces this process with konto run again with the same arguments and
/// `alloc::BULK_ALLOCATOR` set, unless it is set already: the allocator is
/// chosen at a process's first allocation, long before the command is
/// known. Returns only if that cannot be done; the command then runs as it
/// is, only slower.
fn run_again_with_bulk_allocator() {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        if std::env::var_os(crate::alloc::BULK_ALLOCATOR).is_some() {
            return;
        }
        let mut args = std::env::args_os();
        let (Some(name), Ok(exe)) = (args.next(), std::env::current_exe()) else {
            return;
        };
        // exec returns only on failure.
        let _ = std::process::Command::new(exe)
            .arg0(name)
            .args(args)
            .env(crate::alloc::BULK_ALLOCATOR, "1")
            .exec();
    }
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

pub(crate) fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("konto: {message}");
    ExitCode::from(code)
}

pub(crate) fn store_error_code(e: &StoreError) -> u8 {
    match e {
        StoreError::Conflict { .. } | StoreError::Conflicts(_) => exit::CONFLICT,
        StoreError::LocalOnly { .. } | StoreError::Denied { .. } => exit::USAGE,
        StoreError::Invalid(_)
        | StoreError::Duplicate(_)
        | StoreError::NotFound(_)
        | StoreError::NoSuchChange { .. }
        | StoreError::RevertBlocked { .. }
        | StoreError::BadBackup { .. } => exit::INVALID,
        _ => exit::STORE,
    }
}

pub fn main() -> ExitCode {
    match read_settings().and_then(dispatch) {
        Ok(()) => ExitCode::from(exit::OK),
        Err(code) => code,
    }
}

/// What the command line, the environment and the config file decide
/// before anything is opened.
struct Settings {
    cli: Cli,
    keymap: crate::keymap::Keymap,
    locale: Locale,
    /// The local directory: the sled store's, or (beside a PostgreSQL
    /// database) the data directory, for backups, drafts and the log.
    dir: PathBuf,
    choice: StoreChoice,
    policy: Policy,
}

/// A clap error as konto exits with it (`--help` and `--version` are not
/// failures).
fn usage(e: &clap::Error) -> ExitCode {
    let _ = e.print();
    ExitCode::from(if e.use_stderr() {
        exit::USAGE
    } else {
        exit::OK
    })
}

/// Reads the command line and the config file. Commands that need neither
/// the config nor a store (`config`, `completions`, `man`, `schema`) run
/// here: their exit code comes back as the error.
fn read_settings() -> Result<Settings, ExitCode> {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().try_get_matches().map_err(|e| usage(&e))?;
    let mut cli = Cli::from_arg_matches(&matches).map_err(|e| usage(&e))?;
    if cli.command.as_ref().is_some_and(Cmd::writes_in_bulk) {
        run_again_with_bulk_allocator();
    }
    // The config's own messages can only follow the flag and the locale.
    crate::i18n::set_locale(Locale {
        lang: language(&cli, None),
        zone: Zone::Local,
    });
    if let Some(Cmd::Config { action }) = cli.command {
        return Err(config_command(action));
    }
    if let Some(Cmd::Package(cmd)) = cli.command {
        return Err(package::run(cmd));
    }
    // The config file, all or nothing: konto does not start on half of it.
    let (config, warnings) = match crate::config::path().as_deref().map(crate::config::load) {
        Some(Ok(loaded)) => loaded,
        Some(Err(message)) => return Err(fail(exit::USAGE, message)),
        None => Default::default(),
    };
    for warning in warnings {
        eprintln!("konto: {}", t!("cli.warning", message = warning));
    }
    apply_config(&mut cli, &matches, &config);
    // Texts (validation messages, store errors) in the operator's language,
    // dates in local time.
    let locale = Locale {
        lang: language(&cli, Some(&config)),
        zone: Zone::Local,
    };
    crate::i18n::set_locale(locale);
    let keymap = crate::config::keymap(&config).map_err(|m| fail(exit::USAGE, m))?;
    let data_dir = data_dir(&cli).ok_or_else(|| fail(exit::USAGE, t!("cli.no_home")))?;
    let choice = store_choice(&cli, &data_dir).map_err(|m| fail(exit::USAGE, m))?;
    let dir = match &choice {
        StoreChoice::Local(dir) => dir.clone(),
        StoreChoice::Team(_) => data_dir,
    };
    let policy = Policy {
        partner_domain: cli.partner_domain.clone(),
    };
    Ok(Settings {
        cli,
        keymap,
        locale,
        dir,
        choice,
        policy,
    })
}

fn cache_bytes(cli: &Cli) -> u64 {
    cli.cache_mb.saturating_mul(1024 * 1024)
}

/// Runs what the settings ask for: the app, `db`, or a headless command.
fn dispatch(settings: Settings) -> Result<(), ExitCode> {
    set_private_umask();
    // The crash test's loop takes the app's place (see `test_hooks`).
    let commit_loop = match settings.cli.command {
        None => test_hooks::commit_loop_requested(),
        Some(_) => None,
    };
    let app = settings.cli.command.is_none() && commit_loop.is_none();
    if app {
        crate::alloc::return_large_blocks();
        // The app's first frame shows a phone: load its rules meanwhile.
        crate::validate::warm_up_phones();
    }
    crate::logging::init(&crate::logging::log_dir(&settings.dir));
    tracing::debug!(allocator = crate::alloc::name(), "started");
    if let Some(Cmd::Db { action }) = &settings.cli.command {
        let cache = cache_bytes(&settings.cli);
        return db::run(action, &settings.choice, &settings.dir, cache);
    }
    if app {
        return start_app(settings);
    }
    let opened = match &settings.choice {
        StoreChoice::Local(dir) => Store::open(dir, cache_bytes(&settings.cli)),
        StoreChoice::Team(target) => Store::connect(target, &settings.dir),
    };
    let store = opened
        .map(|s| {
            s.with_policy(settings.policy)
                .with_role(settings.cli.access().role)
        })
        .map_err(|e| fail(store_error_code(&e), e))?;
    run_command(store, &settings.cli, commit_loop)
}

/// The interactive app on the chosen store.
fn start_app(settings: Settings) -> Result<(), ExitCode> {
    let Settings {
        cli,
        keymap,
        locale,
        dir,
        choice,
        policy,
    } = settings;
    let tui_settings = crate::tui::Settings {
        theme: theme_name(cli.theme),
        access: cli.access(),
        mouse: !cli.no_mouse,
        keymap,
        locale,
        kept_head: matches!(choice, StoreChoice::Local(_)),
    };
    let role = cli.access().role;
    let open: Box<dyn FnOnce() -> Result<Store, StoreError>> = match choice {
        StoreChoice::Local(ref local) => {
            // The lock first, so a store in use is refused before anything
            // is drawn; sled opens once the first frame is up.
            let lock = Store::lock(local).map_err(|e| fail(store_error_code(&e), e))?;
            let cache = cache_bytes(&cli);
            Box::new(move || {
                let store = Store::from(lock.open(cache)?)
                    .with_policy(policy)
                    .with_role(role);
                let demo = demo_customers().map_err(|e| StoreError::BadRecord {
                    key: "demo".into(),
                    reason: e.to_string(),
                })?;
                store.seed_if_new(&demo)?;
                Ok(store)
            })
        }
        // A team's database starts empty: no demo customers in it.
        StoreChoice::Team(ref target) => {
            let (target, local) = (target.clone(), dir.clone());
            Box::new(move || {
                Ok(Store::connect(&target, &local)?
                    .with_policy(policy)
                    .with_role(role))
            })
        }
    };
    run_app(
        open,
        &dir,
        Cloud::from(cli.cloud),
        &operator(&cli),
        tui_settings,
    )
}

/// A headless command on an open store; afterwards the list's head is kept
/// for the app's next start.
/// Whether a write failed because whoever reads konto's output stopped
/// (`konto show ID | head`): the command ends quietly with exit 0 then, as a
/// line tool does, not with an error or a panic.
pub(super) fn reader_gone(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

/// Prints a command's whole output (see `reader_gone`).
pub(super) fn print_out(text: &[u8]) -> Result<(), ExitCode> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text).and_then(|()| out.flush()) {
        Err(e) if !reader_gone(&e) => Err(fail(exit::STORE, e)),
        _ => Ok(()),
    }
}

fn run_command(mut store: Store, cli: &Cli, commit_loop: Option<u64>) -> Result<(), ExitCode> {
    let cloud = Cloud::from(cli.cloud);
    let operator = operator(cli);
    let access = cli.access_on(&store);
    let result = match &cli.command {
        // It takes the store: rewritten and reopened.
        Some(Cmd::Compact) => {
            return allowed(access.may_edit()).and_then(|()| data::compact(store));
        }
        None => commit_loop.map_or(Ok(()), |count| {
            test_hooks::commit_loop(&store, &operator, count)
        }),
        Some(Cmd::Export {
            format,
            filter,
            out,
            delimiter,
            bom,
        }) => {
            let told = [("--delimiter", delimiter.is_some()), ("--bom", *bom)];
            let csv = data::CsvOut {
                delimiter: delimiter.unwrap_or(b','),
                bom: *bom,
            };
            data::csv_only(*format, data::format_name(*format), &told).and_then(|()| {
                data::export(
                    &store,
                    cloud,
                    *format,
                    filter.as_deref(),
                    out.as_deref(),
                    csv,
                )
            })
        }
        Some(Cmd::Import {
            file,
            format,
            delimiter,
            encoding,
            dry_run,
            force,
            verbose,
        }) => allowed(access.may_edit()).and_then(|()| {
            let told = crate::exchange::sniff::Told {
                delimiter: *delimiter,
                encoding: encoding.map(|e| match e {
                    EncodingArg::Utf8 => crate::exchange::sniff::Encoding::Utf8,
                    EncodingArg::Windows1252 => crate::exchange::sniff::Encoding::Windows1252,
                }),
            };
            let format = data::ImportFormat {
                format: *format,
                told,
            };
            data::import(
                &mut store, cloud, &operator, file, format, *dry_run, *force, *verbose, access,
            )
        }),
        Some(Cmd::List { filter, format }) => data::list(&store, cloud, filter.as_deref(), *format),
        Some(Cmd::Show {
            id_or_domain,
            format,
        }) => data::show(&store, cloud, id_or_domain, *format),
        Some(Cmd::Update {
            id,
            sets,
            if_version,
        }) => edit::update(&store, cloud, &operator, id, sets, *if_version, access),
        Some(Cmd::Permission {
            id,
            permission,
            state,
        }) => allowed(access.may_change_permissions())
            .and_then(|()| edit::permission(&store, cloud, &operator, id, *permission, *state)),
        Some(Cmd::History { id, json }) => edit::history(&store, cloud, id, *json),
        Some(Cmd::Restore { file }) => {
            allowed(access.may_change_permissions()).and_then(|()| edit::restore(&store, file))
        }
        Some(Cmd::Gen { count, seed }) => allowed(access.may_change_permissions())
            .and_then(|()| data::gen_customers(&mut store, cloud, &operator, *count, *seed)),
        // Handled before a store is opened.
        Some(Cmd::Config { .. } | Cmd::Package(_) | Cmd::Db { .. }) => Ok(()),
    };
    // After a change, the app's next start draws at once from this.
    store.renew_heads();
    result
}

fn run_app(
    open: Box<dyn FnOnce() -> Result<Store, StoreError>>,
    dir: &std::path::Path,
    cloud: Cloud,
    operator: &str,
    settings: crate::tui::Settings,
) -> Result<(), ExitCode> {
    let store = crate::tui::run(open, dir, cloud, operator, settings).map_err(|e| match e {
        crate::tui::RunError::Store(e) => fail(store_error_code(&e), e),
        crate::tui::RunError::Terminal(e) => fail(exit::STORE, e),
    })?;
    // A clean exit: today's backup, if there is none yet. Said first: at a
    // million customers it takes several seconds.
    let now = chrono::Utc::now();
    if let Some(path) = store.due_backup(now) {
        eprintln!("konto: {}", t!("cli.writing_backup", path = path.display()));
    }
    if let Err(e) = store.backup_if_due(now) {
        eprintln!("konto: {}", t!("cli.backup_failed", reason = e));
    }
    Ok(())
}
