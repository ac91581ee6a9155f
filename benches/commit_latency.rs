//! Commit latency with full durability: every `Store::commit` runs one sled
//! transaction, flushes sled and fsyncs its data file before it returns, as a
//! Submit in the app does.
//!
//! ```sh
//! cargo bench --bench commit_latency
//! KONTO_BENCH_COMMITS=5000 cargo bench --bench commit_latency
//! KONTO_BENCH_DIR=/dev/shm cargo bench --bench commit_latency   # store on tmpfs
//! ```
//!
//! `KONTO_BENCH_DIR` chooses where the temporary store is created (default:
//! the system's temp dir). `src/` has no switch to skip the fsync; on tmpfs
//! flush and fsync cost next to nothing, so a run there shows the commit
//! without the disk. The bench also times validation (`check_record`, the
//! first step of every commit) alone over the same records.

use std::time::{Duration, Instant};

use konto::demo::demo_customers;
use konto::domain::{AuditAction, Cloud};
use konto::store::{Committed, DEFAULT_CACHE_BYTES, Store};
use konto::validate::{Policy, check_record};

const WARM_UP: usize = 20;
const DEFAULT_COMMITS: usize = 1000;

fn main() {
    let commits: usize = match std::env::var("KONTO_BENCH_COMMITS") {
        Ok(n) => n
            .parse()
            .expect("KONTO_BENCH_COMMITS must be a positive number"),
        Err(_) => DEFAULT_COMMITS,
    };
    assert!(commits > 0, "KONTO_BENCH_COMMITS must be a positive number");
    let dir = match std::env::var_os("KONTO_BENCH_DIR") {
        Some(parent) => tempfile::tempdir_in(parent).unwrap(),
        None => tempfile::tempdir().unwrap(),
    };
    let store = Store::open(dir.path(), DEFAULT_CACHE_BYTES).unwrap();
    store.seed_if_new(&demo_customers().unwrap()).unwrap();
    let ids: Vec<String> = store
        .customers(Cloud::Commercial)
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();

    let mut commit = |i: usize| -> Duration {
        let id = &ids[i % ids.len()];
        let mut record = store.get(Cloud::Commercial, id).unwrap().unwrap();
        record.billing.address.city = format!("Benchville {i}");
        let started = Instant::now();
        let outcome = store.commit("bench", AuditAction::Update, &record);
        let took = started.elapsed();
        assert!(
            matches!(outcome, Ok(Committed::Saved(_))),
            "commit {i} did not write a new version: {outcome:?}"
        );
        took
    };
    for i in 0..WARM_UP {
        commit(i);
    }
    let started = Instant::now();
    let mut times: Vec<Duration> = (WARM_UP..WARM_UP + commits).map(&mut commit).collect();
    let wall = started.elapsed();
    times.sort_unstable();

    let committing: Duration = times.iter().sum();
    println!(
        "commit_latency: {commits} durable commits (after {WARM_UP} warm-up) in {}",
        dir.path().display()
    );
    println!(
        "{}  mean {:.3} ms",
        summary(&times),
        ms(committing) / commits as f64
    );
    println!(
        "{:.0} commits/s (commit calls only), {:.0} commits/s (wall, with get and edit)",
        commits as f64 / committing.as_secs_f64(),
        commits as f64 / wall.as_secs_f64()
    );
    println!(
        "target p99 <= 10 ms: {}",
        if pct(&times, 99.0) <= Duration::from_millis(10) {
            "met"
        } else {
            "NOT met"
        }
    );

    // The same sequence of records through validation alone (the first step
    // of every commit), to tell CPU from storage in the numbers above.
    let policy = Policy::default();
    let mut checks: Vec<Duration> = (WARM_UP..WARM_UP + commits)
        .map(|i| {
            let mut record = store
                .get(Cloud::Commercial, &ids[i % ids.len()])
                .unwrap()
                .unwrap();
            record.billing.address.city = format!("Checkville {i}");
            let started = Instant::now();
            let checked = check_record(&record, &policy);
            let took = started.elapsed();
            assert!(checked.is_ok(), "record {i} does not validate");
            took
        })
        .collect();
    checks.sort_unstable();
    println!("validation (check_record) alone: {}", summary(&checks));
}

/// Nearest-rank percentile of sorted durations.
fn pct(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(sorted: &[Duration]) -> String {
    format!(
        "p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
        ms(pct(sorted, 50.0)),
        ms(pct(sorted, 90.0)),
        ms(pct(sorted, 99.0)),
        ms(sorted[sorted.len() - 1])
    )
}
