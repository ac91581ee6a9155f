//! In-process latency of the list at 10k, 100k and 1M customers: a key
//! through `handle_key` and the runtime's steps, then a frame drawn into
//! ratatui's `TestBackend` (100x30), as the runtime would.
//!
//! cargo bench --bench list_latency
//! cargo bench --bench list_latency -- nav        # only the navigation bench
//!
//! The full record of the selected customer (which the runtime reads from
//! the store before drawing) is a clone of a template with the row's id and
//! name: store reads are in the commit and pseudo-terminal benchmarks.

use std::collections::HashMap;

use konto::app::{self, Action, FILTER_STEP_ROWS, State};
use konto::domain::{Cloud, Customer};
use konto::listing::{Listing, Row};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

fn main() {
    divan::main();
}

/// `n` generated customers as list rows (made 50,000 at a time, so a
/// million never exist as full records at once).
fn listing(n: usize) -> Listing {
    let demo = konto::demo::demo_customers().expect("demo customers");
    let mut rows: Vec<Row> = Vec::with_capacity(n);
    let mut seed = 1;
    while rows.len() < n {
        let chunk = (n - rows.len()).min(50_000);
        rows.extend(
            konto::generate::generate(&demo, chunk, seed, Cloud::Commercial)
                .iter()
                .map(Row::of),
        );
        seed += 1;
    }
    Listing::of_rows(Cloud::Commercial, &rows)
}

struct Bench {
    state: State,
    terminal: Terminal<TestBackend>,
    template: Customer,
}

impl Bench {
    fn new(n: usize) -> Bench {
        let mut state = State::new(Cloud::Commercial, "bench".into(), Vec::new());
        app::update(
            &mut state,
            Action::Loaded {
                cloud: Cloud::Commercial,
                listing: listing(n),
                records: Vec::new(),
                loading: None,
            },
        );
        app::update(
            &mut state,
            Action::Resize {
                width: 100,
                height: 30,
            },
        );
        let mut bench = Bench {
            state,
            terminal: Terminal::new(TestBackend::new(100, 30)).expect("test terminal"),
            template: konto::demo::sample_customer(),
        };
        bench.frame();
        bench
    }

    fn key(&mut self, code: KeyCode) {
        let command = app::handle_key(&mut self.state, KeyEvent::new(code, KeyModifiers::NONE));
        assert_eq!(command, app::Command::None);
    }

    /// What the runtime does before drawing: provide the records wanted.
    fn frame(&mut self) {
        let wanted = self.state.wanted_records();
        if !wanted.is_empty() {
            let records = wanted
                .into_iter()
                .map(|id| {
                    let mut c = self.template.clone();
                    if let Some(row) = self.state.selected_row() {
                        c.company.name = row.name().to_string();
                    }
                    c.id = id;
                    c
                })
                .collect();
            app::update(&mut self.state, Action::Records(records));
        }
        self.terminal
            .draw(|f| konto::ui::draw(f, &self.state))
            .expect("draw");
    }
}

thread_local! {
    static BENCHES: std::cell::RefCell<HashMap<usize, Bench>> = Default::default();
}

fn with_bench(n: usize, f: impl FnOnce(&mut Bench)) {
    BENCHES.with(|b| f(b.borrow_mut().entry(n).or_insert_with(|| Bench::new(n))));
}

/// Down (Up at the end of the list) → frame.
#[divan::bench(args = SIZES, sample_count = 200, sample_size = 1)]
fn nav_key_to_frame(bencher: divan::Bencher, n: usize) {
    with_bench(n, |b| {
        b.key(KeyCode::Esc);
        let mut down = true;
        bencher.bench_local(|| {
            if b.state.selected + 1 >= b.state.visible().len() {
                down = false;
            } else if b.state.selected == 0 {
                down = true;
            }
            b.key(if down { KeyCode::Down } else { KeyCode::Up });
            b.frame();
        });
    });
}

/// The filter keys alternate: type "r" after "mulle", then Backspace; each
/// is a keystroke that changes the query. Measured: key → the first frame
/// (with the first slice of matching done; the rest follows between keys).
#[divan::bench(args = SIZES, sample_count = 100, sample_size = 1)]
fn filter_key_to_frame(bencher: divan::Bencher, n: usize) {
    with_bench(n, |b| {
        start_filter(b);
        let mut typed = false;
        bencher.bench_local(|| {
            filter_key(b, &mut typed);
            b.frame();
        });
        finish(b);
    });
}

/// The same keys, measured until the complete result is drawn.
#[divan::bench(args = SIZES, sample_count = 50, sample_size = 1)]
fn filter_key_to_complete_result(bencher: divan::Bencher, n: usize) {
    with_bench(n, |b| {
        start_filter(b);
        let mut typed = false;
        bencher.bench_local(|| {
            filter_key(b, &mut typed);
            finish(b);
            b.frame();
        });
    });
}

/// "r" after "mulle", or Backspace after "muller".
fn filter_key(b: &mut Bench, typed: &mut bool) {
    b.key(if *typed {
        KeyCode::Backspace
    } else {
        KeyCode::Char('r')
    });
    *typed = !*typed;
}

fn start_filter(b: &mut Bench) {
    b.key(KeyCode::Esc);
    b.key(KeyCode::Char('/'));
    for c in "mulle".chars() {
        b.key(KeyCode::Char(c));
    }
    finish(b);
}

fn finish(b: &mut Bench) {
    while b.state.filter_pending() {
        b.state.filter_step(FILTER_STEP_ROWS);
    }
}

/// Matching alone: one full pass of a query over every row.
#[divan::bench(args = SIZES, sample_count = 10, sample_size = 1)]
fn match_all_rows(bencher: divan::Bencher, n: usize) {
    with_bench(n, |b| {
        let listing = &b.state.list.listing;
        bencher.bench_local(|| {
            let mut job = konto::listing::Matching::new(
                konto::listing::query::Query::new("mulle"),
                listing.by_name().to_vec(),
            );
            while !job.is_done() {
                job.step(listing, FILTER_STEP_ROWS);
            }
            job.finish(listing.by_name()).len()
        });
    });
}
