//! The team store's change feed and its writers, against a PostgreSQL
//! database set up by `konto db init` (`--store URL`; it is written to).
//!
//! `latency`: one connection commits a change every 0–300 ms; another,
//! stepped as the app's runtime steps (a tick of `tui::FEED_TICK`, a poll
//! when notified or every `tui::POLL_EVERY`, the poll's action applied to
//! an app state), notes when each acknowledged version is in its list.
//! Printed: change → visible, with notifications and with polling alone
//! (as on CockroachDB / YugabyteDB, which have no LISTEN).
//!
//! `writers`: 4 connections × 1,000 updates of the same 20 customers, a
//! conflict read again and retried; then every acknowledged version must be
//! in the history exactly once with its value, versions gapless.

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use konto::app::{self, State};
use konto::domain::{AuditAction, Cloud, Customer};
use konto::store::{Committed, PgTarget, Store, StoreError};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let Some(url) = value("--store") else {
        eprintln!("team_feed: give the database with --store URL (see BENCHMARKS.md)");
        return;
    };
    let target = PgTarget::parse(&url).expect("a PostgreSQL URL");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = || Store::connect(&target, dir.path()).expect("the database opens");
    let customers = seed(&store());
    let only = value("--only");
    if only.as_deref() != Some("writers") {
        let changes = value("--changes")
            .and_then(|n| n.parse().ok())
            .unwrap_or(200);
        for notified in [true, false] {
            latency(&store(), &store(), &customers, changes, notified);
        }
    }
    if only.as_deref() != Some("latency") {
        writers(&target, dir.path(), &customers[..20.min(customers.len())]);
    }
}

/// The database's commercial customers, 20 generated ones first if it has
/// none.
fn seed(store: &Store) -> Vec<Customer> {
    if store.count(Cloud::Commercial).expect("count") == 0 {
        let demo: Vec<Customer> = (0..20)
            .map(|n| {
                let mut c = konto::demo::sample_customer();
                c.id = format!("bench-{n}");
                c.company.domain = format!("bench{n}.onmicrosoft.com");
                c.company.name = format!("Bench {n} GmbH");
                c
            })
            .collect();
        store.seed_if_new(&demo).expect("seeded");
    }
    store.customers(Cloud::Commercial).expect("customers")
}

/// A small deterministic generator (no crate needed for spacing commits).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted
        .get((sorted.len() * p / 100).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: n {} · p50 {:.1} ms · p90 {:.1} ms · p99 {:.1} ms · max {:.1} ms",
        times.len(),
        ms(percentile(&times, 50)),
        ms(percentile(&times, 90)),
        ms(percentile(&times, 99)),
        ms(times.last().copied().unwrap_or_default()),
    );
}

type Seen = Arc<Mutex<HashMap<(String, u64), Instant>>>;

/// What a writer had acknowledged (id, version, the value it wrote), and
/// how many conflicts it retried.
type Written = (Vec<(String, u64, String)>, usize);

/// `changes` commits by `writer`; the time from each acknowledgement until
/// `reader`'s runtime-like loop shows it.
fn latency(writer: &Store, reader: &Store, customers: &[Customer], changes: usize, notified: bool) {
    let seen: Seen = Arc::default();
    let (stop, stopped) = mpsc::channel::<()>();
    let mut cursor = reader.change_cursor().expect("cursor").expect("a feed");
    let mut state = State::new(Cloud::Commercial, String::new(), customers.to_vec());
    let wake = if notified {
        reader.watch_changes()
    } else {
        None
    };
    let acked: HashMap<(String, u64), Instant> = std::thread::scope(|scope| {
        let seen_by_reader = Arc::clone(&seen);
        scope.spawn(move || {
            let mut polled_at = Instant::now();
            while stopped.try_recv().is_err() {
                std::thread::sleep(konto::tui::FEED_TICK);
                let woken = wake.as_ref().is_some_and(|w| w.try_iter().count() > 0);
                if !woken && polled_at.elapsed() < konto::tui::POLL_EVERY {
                    continue;
                }
                polled_at = Instant::now();
                if let Ok(Some(action)) = konto::tui::poll_changes(reader, &state, &mut cursor) {
                    app::update(&mut state, action);
                    let now = Instant::now();
                    let mut seen = seen_by_reader.lock().expect("lock");
                    for c in state.list.records.values() {
                        seen.entry((c.id.clone(), c.version)).or_insert(now);
                    }
                }
            }
        });
        let mut acked = HashMap::new();
        let mut spacing = Lcg(7);
        for n in 0..changes {
            std::thread::sleep(Duration::from_millis(spacing.below(300)));
            let id = &customers[n % customers.len()].id;
            let mut c = writer
                .get(Cloud::Commercial, id)
                .expect("read")
                .expect("there");
            c.billing.address.line2 = format!("Feed {n}");
            if let Ok(Committed::Saved(saved)) = writer.commit("bench", AuditAction::Update, &c) {
                acked.insert((saved.id, saved.version), Instant::now());
            }
        }
        std::thread::sleep(konto::tui::POLL_EVERY * 2);
        let _ = stop.send(());
        acked
    });
    let seen = seen.lock().expect("lock");
    let times: Vec<Duration> = acked
        .iter()
        .filter_map(|(key, at)| Some(seen.get(key)?.saturating_duration_since(*at)))
        .collect();
    let missed = acked.len() - times.len();
    let how = if notified {
        "with LISTEN/NOTIFY"
    } else {
        "polling only"
    };
    report(&format!("change → visible, {how}"), times);
    if missed > 0 {
        // A version overtaken by the next before a poll is never shown
        // itself (the list shows the newer one): not a loss.
        println!("  ({missed} versions overtaken before a poll)");
    }
}

/// 4 writers × 1,000 updates of the same customers; then the history is
/// checked against what was acknowledged.
fn writers(target: &PgTarget, dir: &std::path::Path, customers: &[Customer]) {
    const WRITERS: usize = 4;
    const UPDATES: usize = 1_000;
    let started = Instant::now();
    let results: Vec<Written> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|w| {
                scope.spawn(move || {
                    let store = Store::connect(target, dir).expect("connects");
                    let mut pick = Lcg(w as u64 + 1);
                    let (mut acked, mut conflicts) = (Vec::new(), 0);
                    for i in 0..UPDATES {
                        let id = &customers[pick.below(customers.len() as u64) as usize].id;
                        let line2 = format!("W{w}-{i}");
                        loop {
                            let mut c = store.get(Cloud::Commercial, id).expect("read").expect("");
                            c.billing.address.line2.clone_from(&line2);
                            match store.commit("bench", AuditAction::Update, &c) {
                                Ok(Committed::Saved(s)) => {
                                    acked.push((s.id, s.version, line2));
                                    break;
                                }
                                Ok(Committed::Unchanged(_)) => break,
                                Err(StoreError::Conflict { .. }) => conflicts += 1,
                                Err(e) => panic!("writer {w}: {e}"),
                            }
                        }
                    }
                    (acked, conflicts)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a writer"))
            .collect()
    });
    let took = started.elapsed();
    let conflicts: usize = results.iter().map(|(_, c)| c).sum();
    let acked: Vec<&(String, u64, String)> = results.iter().flat_map(|(a, _)| a).collect();
    let store = Store::connect(target, dir).expect("connects");
    let (mut lost, mut gaps) = (0, 0);
    for c in customers {
        let history = store.history(Cloud::Commercial, &c.id).expect("history");
        // Consecutive, and ending at the stored version (a seeded customer's
        // first version has no entry: seeding is not an edit).
        let versions: Vec<u64> = history.iter().map(|e| e.version).collect();
        let stored = store
            .get(Cloud::Commercial, &c.id)
            .expect("read")
            .map(|c| c.version);
        if versions.windows(2).any(|w| w[1] != w[0] + 1) || versions.last().copied() != stored {
            gaps += 1;
        }
        for (_, version, line2) in acked.iter().filter(|(id, _, _)| *id == c.id) {
            let matches = history
                .iter()
                .filter(|e| e.version == *version)
                .filter(|e| e.changes.iter().any(|ch| ch.new == *line2))
                .count();
            if matches != 1 {
                lost += 1;
            }
        }
    }
    println!(
        "{WRITERS} writers × {UPDATES} updates of {} customers: {} acknowledged in {:.1} s \
         ({:.0} commits/s), {conflicts} conflicts retried, {lost} lost or doubled, \
         {gaps} customers with a gap in their versions",
        customers.len(),
        acked.len(),
        took.as_secs_f64(),
        acked.len() as f64 / took.as_secs_f64(),
    );
}
