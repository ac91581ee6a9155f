//! A throwaway PostgreSQL server for the tests of the team store: one
//! cluster per test binary, made with `initdb` in a temporary directory and
//! listening only on a Unix socket there; a database per test. The cluster
//! is stopped and removed when the test binary ends (a watchdog process
//! waits for it to exit).
//!
//! Where no server binaries are found, `server()` is None and the tests say
//! so; under CI (`CI` set) that is a failure instead, so CI always runs them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Server {
    /// The cluster's directory; its socket is in it too.
    dir: PathBuf,
    /// The port (also in the socket's name).
    port: u16,
    /// The server's binaries, and the options it was started with (to
    /// start it again after a test stopped or killed it).
    bin: PathBuf,
    options: String,
}

/// How to install a server, for the message of a machine without one.
pub const INSTALL_HINT: &str =
    "install PostgreSQL's server (Debian/Ubuntu: apt-get install postgresql) to run them";

/// The directory with `initdb` and `pg_ctl`: on the PATH, else Debian's
/// newest `/usr/lib/postgresql/N/bin`.
fn bin_dir() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
                return Some(dir);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let n = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((n, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A command run as the `postgres` user when this is root (initdb and
/// pg_ctl refuse to run as root).
fn command(bin: &Path, tool: &str) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(tool));
        c
    } else {
        Command::new(bin.join(tool))
    }
}

fn start() -> Result<Server, String> {
    start_cluster("plain", 5432, "", |_| Ok(()))
}

/// Starts the cluster in `base` with `options`, waiting until it answers.
fn pg_ctl_start(bin: &Path, base: &Path, options: &str) -> Result<(), String> {
    let started = command(bin, "pg_ctl")
        .args(["-w", "-l"])
        .arg(base.join("log"))
        .arg("-D")
        .arg(base.join("data"))
        .args(["-o", options, "start"])
        .stdout(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if !started.status.success() {
        let log = std::fs::read_to_string(base.join("log")).unwrap_or_default();
        return Err(format!("pg_ctl start failed: {log}"));
    }
    Ok(())
}

/// A port nobody listens on now.
fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// A second cluster that also listens on 127.0.0.1 with TLS, its
/// certificate and key (PEM) copied in from `cert` and `key`.
pub fn start_tls(cert: &Path, key: &Path) -> Result<Server, String> {
    let port = free_port()?;
    // Two loopback addresses: the certificate names only the first.
    let options = format!("-c ssl=on -c listen_addresses=127.0.0.1,127.0.0.2 -c port={port}");
    start_cluster("tls", port, &options, |data| {
        for (from, name) in [(cert, "server.crt"), (key, "server.key")] {
            let to = data.join(name);
            std::fs::copy(from, &to).map_err(|e| e.to_string())?;
            set_owner_only(&to)?;
        }
        Ok(())
    })
}

/// A file readable by the server's user alone (PostgreSQL refuses a key
/// others can read).
fn set_owner_only(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| e.to_string())?;
    if is_root() {
        let chown = Command::new("chown")
            .arg("postgres:postgres")
            .arg(path)
            .status();
        if !chown.is_ok_and(|s| s.success()) {
            return Err(format!(
                "cannot hand {} to the postgres user",
                path.display()
            ));
        }
    }
    Ok(())
}

/// A cluster in a temporary directory, listening on its Unix socket (and
/// where `options` say so, more), with `prepare` run on its data directory
/// before it starts.
fn start_cluster(
    name: &str,
    port: u16,
    options: &str,
    prepare: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<Server, String> {
    let bin = bin_dir().ok_or("no initdb found")?;
    let base = std::env::temp_dir().join(format!("konto-pg-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).map_err(|e| e.to_string())?;
    if is_root() {
        let chown = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&base)
            .status()
            .map_err(|e| e.to_string())?;
        if !chown.success() {
            return Err("cannot hand the cluster's directory to the postgres user".into());
        }
    }
    let data = base.join("data");
    let init = command(&bin, "initdb")
        .args([
            "-A",
            "trust",
            "-U",
            "konto",
            "-E",
            "UTF8",
            "--no-sync",
            "-D",
        ])
        .arg(&data)
        .stdout(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if !init.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&init.stderr)
        ));
    }
    prepare(&data)?;
    let options = format!(
        "-k {} -c listen_addresses='' -c port={port} -c fsync=off -c full_page_writes=off \
         -c max_connections=200 {options}",
        base.display()
    );
    pg_ctl_start(&bin, &base, &options)?;
    // Stopped and removed once this test binary has ended.
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
         {runuser}{pg_ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {base}",
        pid = std::process::id(),
        runuser = if is_root() {
            "runuser -u postgres -- "
        } else {
            ""
        },
        pg_ctl = bin.join("pg_ctl").display(),
        data = data.display(),
        base = base.display(),
    );
    Command::new("sh")
        .args(["-c", &stop])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    Ok(Server {
        dir: base,
        port,
        bin,
        options,
    })
}

/// A cluster of its own, for a test that stops or kills its server (the
/// binary's shared one must stay up for the others).
pub fn start_private(name: &str) -> Result<Server, String> {
    start_cluster(name, 5432, "", |_| Ok(()))
}

/// The server of this test binary, started on first use; None where this
/// machine has none (and not under CI, where that panics).
pub fn server() -> Option<&'static Server> {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    match SERVER.get_or_init(start) {
        Ok(server) => Some(server),
        Err(why) if std::env::var_os("CI").is_some() => {
            panic!("CI must run the PostgreSQL tests, but no server could be started: {why}")
        }
        Err(_) => None,
    }
}

/// Why there is no server (for the message that says which tests did not run).
pub fn unavailable() -> Option<String> {
    match bin_dir() {
        None => Some(format!(
            "no PostgreSQL server binaries on this machine: {INSTALL_HINT}"
        )),
        Some(_) => None,
    }
}

impl Server {
    /// The connection string of `database`.
    pub fn url(&self, database: &str) -> String {
        format!(
            "host={} port={} user=konto dbname={database}",
            self.dir.display(),
            self.port
        )
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server's postmaster with SIGKILL (as the kernel's OOM
    /// killer or a power cut would end it), and waits until its processes
    /// are gone.
    pub fn kill(&self) {
        let pid_file = self.dir.join("data").join("postmaster.pid");
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|text| text.lines().next()?.trim().parse().ok())
            .expect("a running server has a postmaster.pid");
        // SAFETY: kill only sends a signal to that process.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
        // Its backends notice and exit; the next start recovers from the WAL.
        // SAFETY: signal 0 only asks whether the process exists.
        let gone = |pid: i32| unsafe { libc::kill(pid, 0) } != 0;
        while !gone(pid) {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Starts the server again (after `kill` or `stop`), retrying while the
    /// last one's backends still hold its shared memory.
    pub fn start_again(&self) {
        let mut last = String::new();
        for _ in 0..100 {
            match pg_ctl_start(&self.bin, &self.dir, &self.options) {
                Ok(()) => return,
                Err(e) => last = e,
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the server does not start again: {last}");
    }

    /// Stops the server at once (no checkpoint: the next start recovers).
    pub fn stop(&self) {
        let stopped = command(&self.bin, "pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .status()
            .expect("pg_ctl runs");
        assert!(stopped.success(), "pg_ctl stop failed");
    }

    /// A new, empty database; its connection string.
    pub fn fresh_database(&self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("konto_test_{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .unwrap_or_else(|e| panic!("the test server does not answer: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        self.url(&name)
    }

    /// A login `name` (no password: the test server trusts its socket),
    /// made once per cluster; the connection string of `url` as that login.
    pub fn login(&self, url: &str, name: &str) -> String {
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .unwrap_or_else(|e| panic!("the test server does not answer: {e}"));
        let exists = admin
            .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&name])
            .unwrap()
            .is_some();
        if !exists {
            admin
                .batch_execute(&format!("CREATE ROLE {name} LOGIN"))
                .unwrap_or_else(|e| panic!("CREATE ROLE {name}: {e}"));
        }
        url.replace("user=konto", &format!("user={name}"))
    }

    /// `psql` on `url` running `sql` (stop at the first error).
    pub fn psql(&self, url: &str, sql: &str) -> std::process::Output {
        // Debian keeps psql on the PATH, not beside the server's binaries.
        let psql = bin_dir()
            .map(|dir| dir.join("psql"))
            .filter(|p| p.is_file())
            .unwrap_or_else(|| PathBuf::from("psql"));
        Command::new(psql)
            .args(["-X", "-v", "ON_ERROR_STOP=1", "-c", sql, url])
            .output()
            .unwrap_or_else(|e| panic!("psql: {e}"))
    }

    /// A fresh database with konto's schema; its connection string.
    pub fn initialised_database(&self) -> String {
        let url = self.fresh_database();
        let target = konto::store::PgTarget::parse(&url).unwrap();
        konto::store::init_database(&target).unwrap();
        url
    }
}

/// A test of a custom-harness binary: its name, whether it needs the
/// PostgreSQL server, and what it does.
pub struct Test {
    pub name: String,
    pub needs_server: bool,
    pub run: Box<dyn FnOnce() + Send>,
}

/// Runs every test of a binary whose tests all need the server.
pub fn run_all(binary: &str, tests: &[(&str, fn())]) -> ! {
    let tests = tests
        .iter()
        .map(|&(name, run)| Test {
            name: name.to_string(),
            needs_server: true,
            run: Box::new(run),
        })
        .collect();
    run(binary, tests)
}

/// A fresh local directory and a new database on the shared server with
/// `count` generated customers (`seed`): where most team tests start.
pub fn team_with(count: u32, seed: u64) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = server().unwrap().initialised_database();
    let (count, seed) = (count.to_string(), seed.to_string());
    ok(&konto_on(
        dir.path(),
        &url,
        &["gen", "--count", &count, "--seed", &seed],
    ));
    (dir, url)
}

/// konto on the database `url`, with `dir` as its local data directory.
pub fn konto_on(dir: &Path, url: &str, args: &[&str]) -> std::process::Output {
    let with_store: Vec<&str> = args.iter().copied().chain(["--store", url]).collect();
    super::konto_in(dir, "en", &with_store)
}

/// A command's standard output, after checking it succeeded.
pub fn ok(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{}", super::stderr(out));
    super::stdout(out)
}

/// Runs `tests` as libtest does (filters, `--list`, the closing summary),
/// the ones that need a server reported as ignored, loudly and with why,
/// where this machine has none; under CI that is a failure instead.
pub fn run(binary: &str, tests: Vec<Test>) -> ! {
    let args = libtest_mimic::Arguments::from_args();
    let missing = unavailable();
    let needing = tests.iter().filter(|t| t.needs_server).count();
    if let Some(why) = &missing {
        if std::env::var_os("CI").is_some() {
            eprintln!("{binary}: CI must run the PostgreSQL tests, but {why}");
            std::process::exit(1);
        }
        eprintln!("\n{binary}: {needing} PostgreSQL tests DID NOT RUN: {why}\n");
    }
    let trials = tests
        .into_iter()
        .map(|test| {
            let ignored = test.needs_server && missing.is_some();
            let run = test.run;
            libtest_mimic::Trial::test(test.name, move || {
                run();
                Ok(())
            })
            .with_ignored_flag(ignored)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit()
}
