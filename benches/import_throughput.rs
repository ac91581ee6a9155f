//! Import throughput: N generated customers as CSV through the same path as
//! `konto import` (parse, validate, plan, write in transactions, fsync).
//!
//! cargo bench --bench import_throughput            # 100,000 rows
//! KONTO_BENCH_ROWS=1000000 cargo bench --bench import_throughput

use std::time::Instant;

use konto::domain::Cloud;
use konto::exchange::read_csv;
use konto::store::{DEFAULT_CACHE_BYTES, Store};

/// The allocator `konto import` writes with (see `konto::alloc`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Deterministic, valid German customers with distinct names and domains.
fn csv(rows: usize) -> String {
    let streets = [
        "Hauptstraße",
        "Bahnhofstraße",
        "Lindenweg",
        "Königsallee",
        "Am Markt",
    ];
    let cities = [
        ("Berlin", "10115"),
        ("München", "80331"),
        ("Köln", "50667"),
        ("Hamburg", "20095"),
    ];
    let mut out = String::from(
        "company.name,company.domain,billing.first_name,billing.last_name,billing.email,billing.phone,\
         billing.culture,billing.language,billing.company_name,billing.address.line1,\
         billing.address.city,billing.address.postal_code,billing.address.country\n",
    );
    for i in 0..rows {
        let (city, postal) = cities[i % cities.len()];
        out.push_str(&format!(
            "Müller Nummer {i} GmbH,mueller{i}.onmicrosoft.com,Anna,Schäfer,anna.schaefer@mueller{i}.de,\
             +49301234{:04},de-DE,de,Müller Nummer {i} GmbH,{} {},{city},{postal},DE\n",
            i % 10_000,
            streets[i % streets.len()],
            i % 200 + 1
        ));
    }
    out
}

fn main() {
    let rows: usize = std::env::var("KONTO_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let text = csv(rows);
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = std::env::var("KONTO_BENCH_CACHE_MB")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(DEFAULT_CACHE_BYTES, |mb| mb * 1024 * 1024);
    let mut store = Store::open(dir.path(), cache).expect("store");

    let start = Instant::now();
    let incoming = read_csv(text.as_bytes(), Cloud::Commercial).expect("valid csv");
    let parsed = start.elapsed();
    let plan = store.plan_import(incoming, false).expect("valid rows");
    let planned = start.elapsed();
    store.apply_import("bench", &plan).expect("import");
    let total = start.elapsed();

    let rate = |d: std::time::Duration| rows as f64 / d.as_secs_f64();
    println!("import of {rows} rows (CSV, {} MB)", text.len() / 1_000_000);
    println!("  parse            {:>8.2} s", parsed.as_secs_f64());
    println!(
        "  validate + plan  {:>8.2} s",
        (planned - parsed).as_secs_f64()
    );
    println!(
        "  write + fsync    {:>8.2} s",
        (total - planned).as_secs_f64()
    );
    println!(
        "  total            {:>8.2} s  = {:.0} rows/s (target ≥ 50,000)",
        total.as_secs_f64(),
        rate(total)
    );
}
