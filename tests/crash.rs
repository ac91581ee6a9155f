//! Crash test: konto's commit loop (`KONTO_TEST_COMMIT_LOOP`) is killed
//! with SIGKILL at pseudo-random moments; after every kill the store must reopen (or, if sled cannot open
//! it, say so and name the newest backup), no acknowledged change may be lost,
//! every committed version must have exactly one audit entry and the indexes
//! must agree with the records.
//!
//! Timing: the debug binary needs about half a second before its first
//! commit (the phone-number metadata is loaded on first use), so a kill
//! "0–60 ms after spawn" always lands during start-up. A fifth of the kills
//! are timed from the spawn (they land before the first ack, typically while
//! sled opens the store); the others wait for the first ack and then 0–60 ms
//! more (at several ms per durable commit: usually after several acks). Two
//! lanes with their own stores run side by side to use both cores.
//!
//! The loop restarts its `Crashtown {i}` sequence at 0 in every process,
//! so a restarted child first re-walks the changes it already made (they are
//! `Unchanged` and not acked); to keep that walk short each lane moves to a
//! freshly seeded store every `KILLS_PER_STORE` kills.

#![cfg(unix)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use konto::demo::demo_customers;
use konto::domain::Cloud;
use konto::store::{DEFAULT_CACHE_BYTES, Store};

/// Independent stores killed side by side.
const LANES: u64 = 2;
/// Kills per lane (LANES * KILLS_PER_LANE >= 50).
const KILLS_PER_LANE: u64 = 26;
/// After this many kills a lane continues in a fresh store (see above).
const KILLS_PER_STORE: u64 = 9;
/// Kill delays are spread over 0..=MAX_DELAY_MS.
const MAX_DELAY_MS: u64 = 60;
/// How long to wait for a child's first ack before giving up on it.
const FIRST_ACK_TIMEOUT: Duration = Duration::from_secs(30);
const SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// xorshift64*: a tiny deterministic PRNG.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[derive(Clone, Debug)]
struct Ack {
    id: String,
    version: u64,
    city: String,
}

#[derive(Default)]
struct Stats {
    kills: u64,
    early_kills: u64,
    kills_without_ack: u64,
    acks: u64,
    reopen_failures: u64,
    stores: u64,
}

/// Kills the child if the test panics while it runs.
struct KillOnDrop(Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A fresh store: seeded with the demo customers and with a backup, closed.
/// Returns the backup's path.
fn fresh_store(dir: &Path) -> PathBuf {
    let store = Store::open(dir, DEFAULT_CACHE_BYTES).unwrap();
    let demo = demo_customers().unwrap();
    assert_eq!(store.seed_if_new(&demo).unwrap(), demo.len());
    store
        .backup_if_due(chrono::Utc::now())
        .unwrap()
        .expect("a new store has no backup yet, so one is written")
}

fn parse_ack(line: &str) -> Ack {
    let mut parts = line.splitn(4, ' ');
    let (Some("ack"), Some(id), Some(version), Some(city)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        panic!("unexpected line from the commit loop: {line:?}");
    };
    Ack {
        id: id.to_string(),
        version: version.parse().unwrap(),
        city: city.to_string(),
    }
}

/// Runs the commit loop on `dir` once and kills it; returns the complete ack
/// lines it printed, and whether the kill was timed from the spawn.
fn run_and_kill(dir: &Path, rng: &mut Rng) -> (Vec<Ack>, bool) {
    let early = rng.next().is_multiple_of(5);
    let delay = Duration::from_millis(rng.next() % (MAX_DELAY_MS + 1));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_konto"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("KONTO_") {
            cmd.env_remove(key);
        }
    }
    let mut child = KillOnDrop(Some(
        cmd.arg("--data-dir")
            .arg(dir)
            .env("KONTO_STATE_DIR", dir.join("state"))
            .env("KONTO_CONFIG", dir.join("config.toml"))
            // The loop takes the app's place (no subcommand: tests only).
            .env("KONTO_TEST_COMMIT_LOOP", "until-killed")
            .args(["--operator", "crash"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    ));
    let spawned = Instant::now();
    let running = child.0.as_mut().unwrap();
    let stdout = running.stdout.take().unwrap();
    let mut stderr = running.stderr.take().unwrap();
    let (first_ack, first_ack_seen) = mpsc::channel();
    let reader = thread::spawn(move || {
        let mut acks = Vec::new();
        let mut out = BufReader::new(stdout);
        let mut line = String::new();
        loop {
            line.clear();
            // Only complete lines count: a line cut by the kill is dropped.
            match out.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => match line.strip_suffix('\n') {
                    Some(complete) => {
                        acks.push(parse_ack(complete));
                        let _ = first_ack.send(());
                    }
                    None => break,
                },
            }
        }
        acks
    });
    let errors = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    if early {
        thread::sleep(delay.saturating_sub(spawned.elapsed()));
    } else {
        // Err: the child ended without an ack, or took too long; the exit
        // status below tells which.
        if first_ack_seen.recv_timeout(FIRST_ACK_TIMEOUT).is_ok() {
            thread::sleep(delay);
        }
    }
    let mut running = child.0.take().unwrap();
    running.kill().unwrap();
    let status = running.wait().unwrap();
    let acks = reader.join().unwrap();
    let stderr = errors.join().unwrap();
    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "the commit loop ended by itself ({status}) instead of being killed; stderr:\n{stderr}"
    );
    (acks, early)
}

/// Everything that must hold after a kill, on the reopened store.
fn check_store(store: &Store, acked: &[Ack], seed_versions: &HashMap<String, u64>, what: &str) {
    for ack in acked {
        let record = store
            .get(Cloud::Commercial, &ack.id)
            .unwrap()
            .unwrap_or_else(|| panic!("{what}: acked customer {} is gone", ack.id));
        assert!(
            record.version >= ack.version,
            "{what}: acknowledged change lost: {} was acked at version {} ({}), the store has version {} ({})",
            ack.id,
            ack.version,
            ack.city,
            record.version,
            record.billing.address.city
        );
        if record.version == ack.version {
            assert_eq!(
                record.billing.address.city, ack.city,
                "{what}: {} version {} holds another city than was acked",
                ack.id, ack.version
            );
        }
    }
    // A store that sled opened as empty (or partly empty) loses no ack of
    // this store yet, but is just as broken.
    let records = store.customers(Cloud::Commercial).unwrap();
    let mut ids: Vec<&str> = records.iter().map(|c| c.id.as_str()).collect();
    let mut seeded: Vec<&str> = seed_versions.keys().map(String::as_str).collect();
    ids.sort_unstable();
    seeded.sort_unstable();
    assert!(
        ids == seeded,
        "{what}: the commercial customers are not the seeded ones: {} stored, {} seeded",
        ids.len(),
        seeded.len()
    );
    let mut audit: HashMap<String, Vec<konto::domain::AuditEntry>> = HashMap::new();
    for record in records {
        let seed_version = seed_versions[&record.id];
        let history = store.history(Cloud::Commercial, &record.id).unwrap();
        let versions: Vec<u64> = history.iter().map(|e| e.version).collect();
        let expected: Vec<u64> = (seed_version + 1..=record.version).collect();
        assert_eq!(
            versions, expected,
            "{what}: customer {} (seeded at version {seed_version}, stored at version {}) has audit entries for versions {versions:?}",
            record.id, record.version
        );
        audit.insert(record.id, history);
    }
    // The audit entry of every acked version records the acked city.
    for ack in acked {
        let entry = audit[&ack.id]
            .iter()
            .find(|e| e.version == ack.version)
            .unwrap_or_else(|| panic!("{what}: no audit entry for acked {ack:?}"));
        let city = entry
            .changes
            .iter()
            .find(|c| c.field == "billing.address.city")
            .unwrap_or_else(|| panic!("{what}: audit entry of acked {ack:?} has no city change"));
        assert_eq!(city.new, ack.city, "{what}: audit entry of acked {ack:?}");
    }
    let problems = store.verify_indexes().unwrap();
    assert!(problems.is_empty(), "{what}: index problems: {problems:?}");
}

fn lane(lane: u64, seed_versions: &HashMap<String, u64>) -> Stats {
    let mut rng = Rng(SEED ^ (lane + 1).wrapping_mul(0xd6e8_feb8_6659_fd93));
    let mut stats = Stats::default();
    let mut dir = tempfile::tempdir().unwrap();
    let mut backup = fresh_store(dir.path());
    stats.stores += 1;
    let mut kills_here = 0;
    let mut acked: Vec<Ack> = Vec::new();
    for kill in 1..=KILLS_PER_LANE {
        if kills_here == KILLS_PER_STORE {
            dir = tempfile::tempdir().unwrap();
            backup = fresh_store(dir.path());
            stats.stores += 1;
            kills_here = 0;
            acked.clear();
        }
        let (acks, early) = run_and_kill(dir.path(), &mut rng);
        stats.kills += 1;
        kills_here += 1;
        stats.early_kills += u64::from(early);
        stats.kills_without_ack += u64::from(acks.is_empty());
        stats.acks += acks.len() as u64;
        acked.extend(acks);
        let what = format!("lane {lane}, after kill #{kill}");
        match Store::open(dir.path(), DEFAULT_CACHE_BYTES) {
            Ok(store) => check_store(&store, &acked, seed_versions, &what),
            Err(e) => {
                let message = e.to_string();
                eprintln!(
                    "lane {lane}: sled failed to reopen the store after kill #{kill}: {message}"
                );
                assert!(
                    message.contains(&format!("The newest backup is {}", backup.display())),
                    "{what}: the error does not name the newest backup {}: {message}",
                    backup.display()
                );
                stats.reopen_failures += 1;
                // Kept for a post-mortem; the lane goes on in a fresh store.
                let kept = std::mem::replace(&mut dir, tempfile::tempdir().unwrap()).keep();
                eprintln!("the damaged store is kept in {}", kept.display());
                backup = fresh_store(dir.path());
                stats.stores += 1;
                kills_here = 0;
                acked.clear();
            }
        }
    }
    stats
}

#[test]
fn acknowledged_commits_survive_sigkill() {
    let started = Instant::now();
    let seed_versions: HashMap<String, u64> = demo_customers()
        .unwrap()
        .into_iter()
        .filter(|c| c.cloud == Cloud::Commercial)
        .map(|c| (c.id, c.version))
        .collect();
    let seed_versions = &seed_versions;
    let lanes: Vec<Stats> = thread::scope(|s| {
        let handles: Vec<_> = (0..LANES)
            .map(|n| s.spawn(move || lane(n, seed_versions)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut total = Stats::default();
    for s in &lanes {
        total.kills += s.kills;
        total.early_kills += s.early_kills;
        total.kills_without_ack += s.kills_without_ack;
        total.acks += s.acks;
        total.reopen_failures += s.reopen_failures;
        total.stores += s.stores;
    }
    println!(
        "crash test: {} kills ({} timed from spawn, {} before any ack), {} acks seen, {} reopen failures, {} stores, {:.1} s",
        total.kills,
        total.early_kills,
        total.kills_without_ack,
        total.acks,
        total.reopen_failures,
        total.stores,
        started.elapsed().as_secs_f64()
    );
    assert!(
        total.acks >= 1,
        "no ack was seen: the kills never let a commit through"
    );
    assert!(total.kills >= 50, "only {} kills", total.kills);
}
