//! Checking records against the generated country rules.
//!
//! ```sh
//! cargo bench --bench address_rules
//! ```
//!
//! `address_fields`: the checks the rules drive (country, state with its
//! postal prefix, postal code, city) for one record, going round the demo
//! customers (15 countries). `check_record`: the whole record, phones
//! memoised as in the app. `parse`: reading the asset (once per process).
//! `first_use`: that and working out every country's patterns and
//! spellings, which konto does for a country on its first check.

use std::hint::black_box;

use konto::countries::Countries;
use konto::demo::demo_customers;
use konto::domain::{Customer, FieldId};
use konto::validate::{Policy, check_field, check_record};

fn main() {
    divan::main();
}

fn records() -> Vec<Customer> {
    let records = demo_customers().unwrap();
    // Every record is valid, and every country's rules are worked out and
    // phones memoised before timing.
    for r in &records {
        assert!(check_record(r, &Policy::default()).is_ok());
    }
    records
}

#[divan::bench(sample_count = 2000)]
fn address_fields(bencher: divan::Bencher) {
    let records = records();
    let policy = Policy::default();
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % records.len();
        let r = black_box(&records[i]);
        for field in [
            FieldId::Country,
            FieldId::State,
            FieldId::PostalCode,
            FieldId::City,
        ] {
            black_box(check_field(field, r.field(field), r, &policy).is_ok());
        }
    });
}

#[divan::bench(sample_count = 2000)]
fn check_whole_record(bencher: divan::Bencher) {
    let records = records();
    let policy = Policy::default();
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % records.len();
        black_box(check_record(black_box(&records[i]), &policy).is_ok())
    });
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn parse() -> usize {
    Countries::parse(include_str!("../assets/countries.json"))
        .unwrap()
        .len()
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn first_use() -> usize {
    let all = Countries::parse(include_str!("../assets/countries.json")).unwrap();
    all.iter()
        .filter(|c| c.normalise_postal(c.postal_example()).is_some() && c.find_state("x").is_none())
        .count()
}
