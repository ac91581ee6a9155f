//! Whole-process latency, as an operator sees it: the real release binary in
//! a pseudo-terminal (100x30 by default), its output parsed continuously by
//! vt100, and the time from a key (or from the process start) until the
//! screen shows the result.
//!
//! ```sh
//! cargo bench --bench pty_latency                              # 10,000 customers, temp store
//! cargo bench --bench pty_latency -- --customers 100000 --data-dir /tmp/konto-100k
//! KONTO_BIN=/path/to/konto cargo bench --bench pty_latency -- --only start,filter
//! ```
//!
//! Options (after `--`): `--customers N` (default 10000), `--data-dir DIR`
//! (a store to use; created with `konto gen --count N --seed 1` when it does
//! not exist, and kept, so the next run skips the generation), `--bin PATH`
//! (else `KONTO_BIN`, else the `konto` that cargo built for this bench),
//! `--store URL` (a PostgreSQL database holding the customers, instead
//! of the sled store), `--starts 10`, `--nav 200`, `--nav-key j|down`, `--query berlin`,
//! `--sort-rounds 5`, `--filter-rounds 5`, `--submits 30`,
//! `--only start,early,nav,sort,filter,submit` (`early`: `/QUERY` typed
//! right after the start, until its complete result),
//! `--cols 100 --rows 30`, `--timeout SECONDS` (per awaited screen, default
//! 300).
//!
//! What counts as "drawn" (keep these in step with the UI):
//! - full first frame: the header (row 0) shows `X/M customers` with M the
//!   number of rows `konto list --format csv` prints (the rest of the list
//!   may still be streaming in); the screen shows the first customer's
//!   company name (first 20 characters, the list's first row) and the first
//!   23 characters of its id (the detail pane's Customer id).
//! - whole list loaded: `M/M customers` and no busy marker.
//! - navigation: the first 23 characters of the next customer's id (in
//!   `konto list` order) are on screen.
//! - sort: `s` four times a round (country, last updated, version, company
//!   name); drawn when the status line says `Sorted by ORDER`.
//! - filter echo: the screen (lower-cased) shows `filter: QUERY-SO-FAR`.
//! - filter complete: the echo, and the header shows `X/M customers` with
//!   X the number of rows `konto list --filter QUERY-SO-FAR --format csv`
//!   prints, and no busy marker. A busy marker is `…` or the words
//!   matching/loading/searching in the header left of its last `│` (the
//!   store path, which may itself be cut with `…`, is after it).
//! - form: `Update account`; changed: `● Company name`; review: `Review
//!   changes`; saved: a line with `Saved` and `(version V+1)`, V read from
//!   the form's title (`· version V`).
//!
//! The submit phase changes the store: it appends " B" to the first
//! customer's company name and takes it off again, one version each.
//! konto is stopped with SIGTERM (which skips the daily backup a `q` would
//! write), then SIGKILL if it does not go.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};

type Check = Box<dyn Fn(&vt100::Screen) -> bool + Send>;

/// A screen condition waited for, and when the output that met it arrived.
struct Armed {
    name: String,
    check: Check,
    met_at: Option<Instant>,
}

struct Shared {
    parser: vt100::Parser,
    first_output: Option<Instant>,
    armed: Vec<Armed>,
    /// The reader saw the end of the output (konto exited).
    closed: bool,
}

/// konto in a pseudo-terminal. A reader thread feeds every chunk of output
/// to the vt100 parser and, right after, checks the armed conditions, so a
/// condition's time is the arrival of the chunk that met it.
struct Session {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    shared: Arc<(Mutex<Shared>, Condvar)>,
    started: Instant,
}

type Result<T> = std::result::Result<T, String>;

impl Session {
    /// Starts konto with `armed` conditions already waiting, so the first
    /// frame is caught however soon it comes.
    fn start(cfg: &Config, armed: Vec<(String, Check)>) -> Result<Session> {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: cfg.rows,
                cols: cfg.cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| format!("openpty: {e}"))?;
        let mut cmd = CommandBuilder::new(&cfg.bin);
        cmd.arg("--data-dir");
        cmd.arg(&cfg.data_dir);
        if let Some(store) = &cfg.store {
            cmd.args(["--store", store]);
        }
        for (k, v) in cfg.env() {
            cmd.env(k, v);
        }
        for k in UNSET_ENV {
            cmd.env_remove(k);
        }
        let parser = vt100::Parser::new(nonzero(cfg.rows)?, nonzero(cfg.cols)?, 0);
        let shared = Arc::new((
            Mutex::new(Shared {
                parser,
                first_output: None,
                armed: armed
                    .into_iter()
                    .map(|(name, check)| Armed {
                        name,
                        check,
                        met_at: None,
                    })
                    .collect(),
                closed: false,
            }),
            Condvar::new(),
        ));
        let started = Instant::now();
        let child = pty
            .slave
            .spawn_command(cmd)
            .map_err(|e| format!("spawning {}: {e}", cfg.bin.display()))?;
        drop(pty.slave);
        let mut reader = pty
            .master
            .try_clone_reader()
            .map_err(|e| format!("pty reader: {e}"))?;
        let writer = pty
            .master
            .take_writer()
            .map_err(|e| format!("pty writer: {e}"))?;
        let shared_in = Arc::clone(&shared);
        std::thread::spawn(move || {
            let _keep_master_open = pty.master;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = reader.read(&mut buf).unwrap_or(0);
                let now = Instant::now();
                let (lock, cvar) = &*shared_in;
                let Ok(mut s) = lock.lock() else { return };
                if n == 0 {
                    s.closed = true;
                    cvar.notify_all();
                    return;
                }
                s.first_output.get_or_insert(now);
                s.parser.process(&buf[..n]);
                let Shared { parser, armed, .. } = &mut *s;
                let mut met = false;
                for a in armed.iter_mut().filter(|a| a.met_at.is_none()) {
                    if (a.check)(parser.screen()) {
                        a.met_at = Some(now);
                        met = true;
                    }
                }
                if met {
                    cvar.notify_all();
                }
            }
        });
        Ok(Session {
            child,
            writer,
            shared,
            started,
        })
    }

    fn screen_text(&self) -> String {
        match self.shared.0.lock() {
            Ok(s) => s.parser.screen().contents(),
            Err(_) => String::new(),
        }
    }

    /// Arms conditions that must not hold yet (else the measurement would
    /// be meaningless).
    fn arm(&self, conditions: Vec<(String, Check)>) -> Result<()> {
        let mut s = self.shared.0.lock().map_err(|e| e.to_string())?;
        for (name, check) in conditions {
            if check(s.parser.screen()) {
                return Err(format!(
                    "{name:?} holds before the key was sent; screen:\n{}",
                    s.parser.screen().contents()
                ));
            }
            s.armed.push(Armed {
                name,
                check,
                met_at: None,
            });
        }
        Ok(())
    }

    /// Sends keys and returns when they were written.
    fn send(&mut self, keys: &str) -> Result<Instant> {
        let at = Instant::now();
        self.writer
            .write_all(keys.as_bytes())
            .and_then(|()| self.writer.flush())
            .map_err(|e| format!("writing keys to konto: {e}"))?;
        Ok(at)
    }

    /// Arms `conditions`, sends `keys`, and returns the latency of each
    /// condition from the send.
    fn press(
        &mut self,
        keys: &str,
        conditions: Vec<(String, Check)>,
        timeout: Duration,
    ) -> Result<Vec<Duration>> {
        self.arm(conditions)?;
        let sent = self.send(keys)?;
        let met = self.wait_armed(timeout)?;
        Ok(met
            .into_iter()
            .map(|t| t.saturating_duration_since(sent))
            .collect())
    }

    /// Sends `keys` and returns how long until the screen shows `text`.
    fn press_until(&mut self, keys: &str, text: &str, timeout: Duration) -> Result<Duration> {
        let took = self.press(keys, vec![(text.to_string(), shows(text))], timeout)?;
        Ok(took[0])
    }

    /// Waits until every armed condition held once; returns their times in
    /// the order they were armed and disarms them.
    fn wait_armed(&self, timeout: Duration) -> Result<Vec<Instant>> {
        let deadline = Instant::now() + timeout;
        let (lock, cvar) = &*self.shared;
        let mut s = lock.lock().map_err(|e| e.to_string())?;
        loop {
            if s.armed.iter().all(|a| a.met_at.is_some()) {
                let met = s.armed.drain(..).filter_map(|a| a.met_at).collect();
                return Ok(met);
            }
            let pending: Vec<&str> = s
                .armed
                .iter()
                .filter(|a| a.met_at.is_none())
                .map(|a| a.name.as_str())
                .collect();
            let now = Instant::now();
            if s.closed || now >= deadline {
                let why = if s.closed {
                    "konto exited"
                } else {
                    "timed out"
                };
                return Err(format!(
                    "{why} after {:.1} s waiting for {pending:?}; screen:\n{}",
                    timeout.as_secs_f64(),
                    s.parser.screen().contents()
                ));
            }
            s = cvar
                .wait_timeout(s, deadline - now)
                .map_err(|e| e.to_string())?
                .0;
        }
    }

    /// The peak resident set (VmHWM) of konto so far, in MiB (Linux).
    fn peak_rss_mib(&self) -> Option<u64> {
        let pid = self.child.process_id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024)
    }

    fn first_output(&self) -> Option<Instant> {
        self.shared.0.lock().ok().and_then(|s| s.first_output)
    }

    /// SIGTERM (konto restores the terminal and exits without the backup a
    /// `q` writes), then SIGKILL after 30 s.
    fn stop(&mut self) -> Result<()> {
        if let Some(pid) = self.child.process_id() {
            // SAFETY: a signal to our own child process.
            unsafe {
                libc::kill(pid as i32, libc::SIGTERM);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        Err("konto did not stop within 30 s of SIGTERM; killed".into())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn nonzero(n: u16) -> Result<std::num::NonZeroU16> {
    std::num::NonZeroU16::new(n).ok_or_else(|| "terminal size must not be 0".to_string())
}

/// Settings konto would otherwise take from the bench's own environment.
const UNSET_ENV: [&str; 8] = [
    "NO_COLOR",
    "KONTO_DATA_DIR",
    "KONTO_ROLE",
    "KONTO_THEME",
    "KONTO_CACHE_MB",
    "KONTO_NO_MOUSE",
    "KONTO_PARTNER_DOMAIN",
    "KONTO_LOG",
];

// ---------------------------------------------------------------- screens

/// The header's `X/Y customers`, read leniently (digit group separators are
/// dropped), and whether the header shows a busy marker.
fn header_counts(screen: &vt100::Screen) -> Option<(u64, u64, bool)> {
    let (_, cols) = screen.size();
    let row = screen.rows(0, cols.get()).next()?;
    let at = row.find("customers")?;
    let before = &row[..at];
    let start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_digit() || "/,._' \u{a0}\u{202f}".contains(c)))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let digits: String = before[start..]
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '/')
        .collect();
    let (x, y) = digits.split_once('/')?;
    let left = row.rfind('│').map_or(row.as_str(), |i| &row[..i]);
    let lower = left.to_lowercase();
    let busy = ["…", "matching", "loading", "searching"]
        .iter()
        .any(|m| lower.contains(m));
    Some((x.parse().ok()?, y.parse().ok()?, busy))
}

fn counts_are(screen: &vt100::Screen, visible: u64, total: u64) -> bool {
    header_counts(screen) == Some((visible, total, false))
}

fn prefix(s: &str, chars: usize) -> String {
    s.chars().take(chars).collect()
}

fn echo_check(query: &str) -> Check {
    let needle = format!("filter: {}", query.to_lowercase());
    Box::new(move |s| s.contents().to_lowercase().contains(&needle))
}

fn shows(text: &str) -> Check {
    let text = text.to_string();
    Box::new(move |s| s.contents().contains(&text))
}

fn saved_check(version: u64) -> Check {
    let version = format!("(version {version})");
    Box::new(move |s| {
        let (_, cols) = s.size();
        s.rows(0, cols.get())
            .any(|r| r.contains("Saved") && r.contains(&version))
    })
}

/// The first page and the first customer's detail, with the header naming
/// how many customers there are (the rest of the list may still stream in).
fn first_frame_check(total: u64, first: &Customer) -> Check {
    let name = prefix(&first.name, 20);
    let id = prefix(&first.id, 23);
    Box::new(move |s| {
        if header_counts(s).is_none_or(|(_, y, _)| y != total) {
            return false;
        }
        let text = s.contents();
        text.contains(&name) && text.contains(&id)
    })
}

/// Every customer listed: `M/M customers`, nothing loading.
fn all_loaded_check(total: u64) -> Check {
    Box::new(move |s| counts_are(s, total, total))
}

// ---------------------------------------------------------------- setup

struct Config {
    bin: PathBuf,
    data_dir: PathBuf,
    /// A PostgreSQL database to use instead of the sled store (it must hold
    /// the customers already, e.g. from `konto --store URL gen`).
    store: Option<String>,
    /// Holds the temp dirs (config, state, a generated store) until the end.
    _temp: tempfile::TempDir,
    temp_path: PathBuf,
    customers: u64,
    starts: usize,
    nav: usize,
    nav_key: String,
    query: String,
    sort_rounds: usize,
    filter_rounds: usize,
    submits: usize,
    only: Vec<String>,
    cols: u16,
    rows: u16,
    timeout: Duration,
}

impl Config {
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TERM", "xterm-256color".into()),
            ("USER", "bench".into()),
            (
                "KONTO_CONFIG",
                self.temp_path
                    .join("no-such-config.toml")
                    .display()
                    .to_string(),
            ),
            (
                "KONTO_STATE_DIR",
                self.temp_path.join("state").display().to_string(),
            ),
        ]
    }

    fn konto(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("--data-dir").arg(&self.data_dir);
        if let Some(store) = &self.store {
            cmd.args(["--store", store]);
        }
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        for k in UNSET_ENV {
            cmd.env_remove(k);
        }
        cmd
    }

    fn runs(&self, phase: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|p| p == phase)
    }
}

fn usage() -> String {
    "usage: pty_latency [--customers N] [--data-dir DIR] [--store URL] [--bin PATH] [--starts N] [--nav N] \
     [--nav-key j|down] [--query TEXT] [--sort-rounds N] [--filter-rounds N] [--submits N] \
     [--only start,nav,sort,filter,submit] [--cols N] [--rows N] [--timeout SECONDS]"
        .to_string()
}

fn parse_args() -> Result<Config> {
    let mut args = std::env::args().skip(1);
    let mut bin = std::env::var_os("KONTO_BIN").map(PathBuf::from);
    let mut data_dir = None;
    let mut store = None;
    let mut customers = 10_000u64;
    let (mut starts, mut nav, mut sort_rounds, mut filter_rounds, mut submits) =
        (10usize, 200usize, 5usize, 5usize, 30usize);
    let mut nav_key = "j".to_string();
    let mut query = "berlin".to_string();
    let mut only = Vec::new();
    let (mut cols, mut rows) = (100u16, 30u16);
    let mut timeout = 300u64;
    fn num<T: std::str::FromStr>(flag: &str, v: Option<String>) -> Result<T> {
        v.as_deref()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{flag} needs a number\n{}", usage()))
    }
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // `cargo bench` passes --bench to every harness = false target.
            "--bench" => {}
            "--customers" => customers = num(&arg, args.next())?,
            "--data-dir" => data_dir = args.next().map(PathBuf::from),
            "--store" => store = args.next(),
            "--bin" => bin = args.next().map(PathBuf::from),
            "--starts" => starts = num(&arg, args.next())?,
            "--nav" => nav = num(&arg, args.next())?,
            "--nav-key" => nav_key = args.next().unwrap_or_default(),
            "--query" => query = args.next().unwrap_or_default(),
            "--sort-rounds" => sort_rounds = num(&arg, args.next())?,
            "--filter-rounds" => filter_rounds = num(&arg, args.next())?,
            "--submits" => submits = num(&arg, args.next())?,
            "--only" => {
                only = args
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(str::to_string)
                    .collect()
            }
            "--cols" => cols = num(&arg, args.next())?,
            "--rows" => rows = num(&arg, args.next())?,
            "--timeout" => timeout = num(&arg, args.next())?,
            "-h" | "--help" => return Err(usage()),
            other => return Err(format!("unknown argument {other:?}\n{}", usage())),
        }
    }
    if !matches!(nav_key.as_str(), "j" | "down") {
        return Err("--nav-key is j or down".into());
    }
    if query.is_empty() {
        return Err("--query must not be empty".into());
    }
    let bin = match bin.or_else(|| option_env!("CARGO_BIN_EXE_konto").map(PathBuf::from)) {
        Some(bin) => bin,
        None => return Err("set KONTO_BIN or pass --bin".into()),
    };
    if !bin.exists() {
        return Err(format!(
            "{} does not exist: `cargo build --release` first, or set KONTO_BIN",
            bin.display()
        ));
    }
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let temp_path = temp.path().to_path_buf();
    let data_dir = data_dir.unwrap_or_else(|| temp_path.join("store"));
    Ok(Config {
        bin,
        data_dir,
        store,
        _temp: temp,
        temp_path,
        customers,
        starts,
        nav,
        nav_key,
        query,
        sort_rounds,
        filter_rounds,
        submits,
        only,
        cols,
        rows,
        timeout: Duration::from_secs(timeout),
    })
}

/// Generates the store unless it is there already.
fn prepare_store(cfg: &Config) -> Result<()> {
    if let Some(store) = &cfg.store {
        eprintln!("using the database {store}");
        return Ok(());
    }
    if cfg.data_dir.join("sled").exists() {
        eprintln!("using the store at {}", cfg.data_dir.display());
        return Ok(());
    }
    eprintln!(
        "generating {} customers into {} …",
        cfg.customers,
        cfg.data_dir.display()
    );
    let started = Instant::now();
    let out = cfg
        .konto()
        .args(["gen", "--seed", "1", "--count"])
        .arg(cfg.customers.to_string())
        .output()
        .map_err(|e| format!("konto gen: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "konto gen failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    eprintln!("  gen took {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

#[derive(Clone, Debug)]
struct Customer {
    id: String,
    name: String,
}

/// `konto list --format csv [--filter QUERY]`: the number of rows and the
/// first `keep` customers, in list order.
fn list(cfg: &Config, filter: Option<&str>, keep: usize) -> Result<(u64, Vec<Customer>)> {
    let mut cmd = cfg.konto();
    cmd.args(["list", "--format", "csv"]);
    if let Some(q) = filter {
        cmd.args(["--filter", q]);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("konto list: {e}"))?;
    let stdout = child.stdout.take().ok_or("konto list: no stdout")?;
    let parsed = read_list(stdout, keep);
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("konto list failed ({status}): {}", err.trim()));
    }
    parsed
}

fn read_list(stdout: impl Read, keep: usize) -> Result<(u64, Vec<Customer>)> {
    let mut reader = csv::Reader::from_reader(std::io::BufReader::with_capacity(1 << 20, stdout));
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("konto list has no {name} column"))
    };
    let (id_at, name_at) = (column("id")?, column("company.name")?);
    let mut count = 0u64;
    let mut first = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("konto list's CSV: {e}"))?;
        if first.len() < keep {
            first.push(Customer {
                id: record.get(id_at).unwrap_or_default().to_string(),
                name: record.get(name_at).unwrap_or_default().to_string(),
            });
        }
        count += 1;
    }
    Ok((count, first))
}

// ---------------------------------------------------------------- stats

struct Stats {
    name: String,
    samples: Vec<Duration>,
}

impl Stats {
    fn new(name: &str) -> Stats {
        Stats {
            name: name.into(),
            samples: Vec::new(),
        }
    }

    /// Nearest-rank percentile.
    fn pct(&self, p: f64) -> Duration {
        let mut s = self.samples.clone();
        s.sort();
        if s.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
        s[rank.clamp(1, s.len()) - 1]
    }

    fn row(&self) -> String {
        let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1000.0);
        format!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            self.name,
            self.samples.len(),
            ms(self.pct(0.0)),
            ms(self.pct(50.0)),
            ms(self.pct(90.0)),
            ms(self.pct(99.0)),
            ms(self.pct(100.0)),
        )
    }
}

// ---------------------------------------------------------------- phases

fn measure_starts(cfg: &Config, total: u64, first: &Customer) -> Result<(Stats, Stats, Stats)> {
    let mut output = Stats::new("start → first output");
    let mut full = Stats::new("start → full first frame");
    let mut loaded = Stats::new("start → whole list loaded");
    for i in 0..cfg.starts {
        let mut app = Session::start(
            cfg,
            vec![
                ("full first frame".into(), first_frame_check(total, first)),
                ("whole list loaded".into(), all_loaded_check(total)),
            ],
        )?;
        let met = app.wait_armed(cfg.timeout)?;
        let started = app.started;
        full.samples.push(met[0].saturating_duration_since(started));
        loaded
            .samples
            .push(met[1].saturating_duration_since(started));
        if let Some(t) = app.first_output() {
            output.samples.push(t.saturating_duration_since(started));
        }
        if let Some(mib) = app.peak_rss_mib() {
            eprintln!("  konto VmHWM after the first frame: {mib} MiB");
        }
        app.stop()?;
        eprintln!(
            "  start {}: {:.1} ms",
            i + 1,
            full.samples[i].as_secs_f64() * 1000.0
        );
    }
    Ok((output, full, loaded))
}

/// The operator starts konto and types `/QUERY` at once, while the list
/// may still be loading: from the start until the header counts the whole
/// list's matches (what `konto list --filter QUERY` prints).
fn measure_early_query(cfg: &Config, total: u64, expected: &[(String, u64)]) -> Result<Stats> {
    let mut done = Stats::new("start, query typed at once → result complete");
    let Some((query, count)) = expected.last().cloned() else {
        return Ok(done);
    };
    for i in 0..cfg.starts {
        let echoed = echo_check(&query);
        let complete: Check = Box::new(move |s| echoed(s) && counts_are(s, count, total));
        let what = format!("{count}/{total} customers for {query:?} typed at the start");
        let mut app = Session::start(cfg, vec![(what, complete)])?;
        app.send(&format!("/{query}"))?;
        let met = app.wait_armed(cfg.timeout)?;
        done.samples
            .push(met[0].saturating_duration_since(app.started));
        app.stop()?;
        eprintln!(
            "  start {}: {:.1} ms",
            i + 1,
            done.samples[i].as_secs_f64() * 1000.0
        );
    }
    Ok(done)
}

/// Starts the session the key phases share and waits for its first frame.
fn ready_session(cfg: &Config, total: u64, first: &Customer) -> Result<Session> {
    let app = Session::start(
        cfg,
        vec![
            ("full first frame".into(), first_frame_check(total, first)),
            ("whole list loaded".into(), all_loaded_check(total)),
        ],
    )?;
    app.wait_armed(cfg.timeout)?;
    Ok(app)
}

fn measure_nav(cfg: &Config, app: &mut Session, order: &[Customer]) -> Result<Stats> {
    let key = if cfg.nav_key == "down" { "\x1b[B" } else { "j" };
    let mut stats = Stats::new(&format!("`{}` → next customer drawn", cfg.nav_key));
    for next in order.iter().skip(1).take(cfg.nav) {
        let id = prefix(&next.id, 23);
        let took = app.press(key, vec![(format!("id {id}"), shows(&id))], cfg.timeout)?;
        stats.samples.push(took[0]);
    }
    // Back to the top for the phases after.
    app.press(
        "g",
        vec![("first customer".into(), shows(&prefix(&order[0].id, 23)))],
        cfg.timeout,
    )?;
    Ok(stats)
}

/// `s` through every order, back to the company name.
fn measure_sort(cfg: &Config, app: &mut Session) -> Result<Stats> {
    let mut stats = Stats::new("`s` → next order drawn");
    let orders = ["country", "last updated", "version", "company name"];
    for _ in 0..cfg.sort_rounds {
        for order in orders {
            let status = format!("Sorted by {order}");
            let took = app.press("s", vec![(status.clone(), shows(&status))], cfg.timeout)?;
            eprintln!("  {status}: {:.1} ms", took[0].as_secs_f64() * 1000.0);
            stats.samples.push(took[0]);
        }
    }
    Ok(stats)
}

/// What `konto list --filter` says for each prefix of the query (asked
/// before konto is started: the store has one user at a time).
fn expected_filter_counts(cfg: &Config) -> Result<Vec<(String, u64)>> {
    let mut expected = Vec::new();
    let chars: Vec<char> = cfg.query.chars().collect();
    for n in 1..=chars.len() {
        let q: String = chars[..n].iter().collect();
        let (count, _) = list(cfg, Some(&q), 0)?;
        eprintln!("  konto list --filter {q:?}: {count}");
        expected.push((q, count));
    }
    Ok(expected)
}

fn measure_filter(
    cfg: &Config,
    app: &mut Session,
    total: u64,
    expected: &[(String, u64)],
) -> Result<(Stats, Stats)> {
    let chars: Vec<char> = cfg.query.chars().collect();
    let mut echo = Stats::new("filter key → query echoed");
    let mut done = Stats::new("filter key → result complete");
    for _ in 0..cfg.filter_rounds {
        app.press(
            "/",
            vec![(
                "filter mode".into(),
                Box::new(|s: &vt100::Screen| {
                    let t = s.contents();
                    t.contains("Filter:") || t.contains("keep filter")
                }),
            )],
            cfg.timeout,
        )?;
        for (i, (q, count)) in expected.iter().enumerate() {
            let echoed = echo_check(q);
            let count = *count;
            let complete_echo = echo_check(q);
            let complete: Check =
                Box::new(move |s| complete_echo(s) && counts_are(s, count, total));
            let key = chars[i].to_string();
            let took = app
                .press(
                    &key,
                    vec![
                        (format!("echo of {q:?}"), echoed),
                        (format!("{count}/{total} customers for {q:?}"), complete),
                    ],
                    cfg.timeout,
                )
                .map_err(|e| {
                    format!(
                        "{e}\n(the header's count is compared with `konto list --filter {q:?}`)"
                    )
                })?;
            echo.samples.push(took[0]);
            done.samples.push(took[1]);
        }
        app.press(
            "\x1b",
            vec![(
                "filter cleared".into(),
                Box::new(move |s: &vt100::Screen| {
                    counts_are(s, total, total) && !s.contents().to_lowercase().contains("filter: ")
                }),
            )],
            cfg.timeout,
        )?;
    }
    Ok((echo, done))
}

/// The number after `· version ` in the form's title.
fn form_version(screen: &str) -> Option<u64> {
    let at = screen.find("· version ")? + "· version ".len();
    screen[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

fn measure_submits(cfg: &Config, app: &mut Session) -> Result<(Stats, Stats, Stats)> {
    let mut open = Stats::new("`u` → form drawn");
    let mut review = Stats::new("Ctrl-S → review drawn");
    let mut saved = Stats::new("Enter (save) → `Saved` drawn");
    for i in 0..cfg.submits {
        open.samples
            .push(app.press_until("u", "Update account", cfg.timeout)?);
        let text = app.screen_text();
        let version = form_version(&text)
            .ok_or_else(|| format!("no `· version N` in the form's title; screen:\n{text}"))?;
        // Ctrl-E then " B" on even rounds; two backspaces on odd ones.
        let edit = if i % 2 == 0 { "\x05 B" } else { "\x7f\x7f" };
        app.press_until(edit, "● Company name", cfg.timeout)?;
        review
            .samples
            .push(app.press_until("\x13", "Review changes", cfg.timeout)?);
        let took = app.press(
            "\r",
            vec![(
                format!("Saved … (version {})", version + 1),
                saved_check(version + 1),
            )],
            cfg.timeout,
        )?;
        if took[0] > Duration::from_millis(10) {
            eprintln!("  save {}: {:.1} ms", i + 1, took[0].as_secs_f64() * 1000.0);
        }
        saved.samples.push(took[0]);
    }
    Ok((open, review, saved))
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "?".into());
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{} cores, {}, {cpu}, load average before the run {load}",
        cores,
        std::env::consts::ARCH
    )
}

fn run() -> Result<()> {
    let cfg = parse_args()?;
    let load_before = machine();
    prepare_store(&cfg)?;
    let keep = cfg.nav + 1;
    eprintln!("reading the list order (konto list --format csv) …");
    let (total, order) = list(&cfg, None, keep)?;
    let first = order.first().cloned().ok_or("the store has no customers")?;
    if total != cfg.customers {
        eprintln!(
            "note: the store holds {total} commercial customers (--customers {})",
            cfg.customers
        );
    }
    let mut rows: Vec<Stats> = Vec::new();
    if cfg.runs("start") {
        eprintln!("starts …");
        let (output, full, loaded) = measure_starts(&cfg, total, &first)?;
        rows.push(output);
        rows.push(full);
        rows.push(loaded);
    }
    if cfg.runs("early") {
        eprintln!("a query typed at the start …");
        let expected = expected_filter_counts(&cfg)?;
        rows.push(measure_early_query(&cfg, total, &expected)?);
    }
    let mut peak_rss = None;
    let keys = ["nav", "sort", "filter", "submit"];
    if keys.iter().any(|k| cfg.runs(k)) {
        let expected = if cfg.runs("filter") {
            expected_filter_counts(&cfg)?
        } else {
            Vec::new()
        };
        let mut app = ready_session(&cfg, total, &first)?;
        if cfg.runs("nav") {
            eprintln!("navigation …");
            if order.len() < 2 {
                return Err("navigation needs 2 customers or more".into());
            }
            rows.push(measure_nav(&cfg, &mut app, &order)?);
        }
        if cfg.runs("sort") {
            eprintln!("sort …");
            rows.push(measure_sort(&cfg, &mut app)?);
        }
        if cfg.runs("filter") {
            eprintln!("filter …");
            let (echo, done) = measure_filter(&cfg, &mut app, total, &expected)?;
            rows.push(echo);
            rows.push(done);
        }
        if cfg.runs("submit") {
            eprintln!("submits …");
            let (open, review, saved) = measure_submits(&cfg, &mut app)?;
            rows.push(open);
            rows.push(review);
            rows.push(saved);
        }
        peak_rss = app.peak_rss_mib();
        app.stop()?;
    }
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    println!();
    println!(
        "konto whole-process latency: {total} customers, {}x{} pty, {} ({})",
        cfg.cols,
        cfg.rows,
        cfg.bin.display(),
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    println!("machine: {load_before}");
    println!("args: {}", args.join(" "));
    println!();
    println!("| what | n | min ms | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|---|");
    for r in &rows {
        println!("{}", r.row());
    }
    if let Some(mib) = peak_rss {
        println!();
        println!("konto's VmHWM at the end of the key phases: {mib} MiB");
    }
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("pty_latency: {e}");
        std::process::exit(1);
    }
}
