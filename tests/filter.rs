//! The list's filter and sort against plain reference implementations, on
//! random data and random queries.

mod common;

use common::*;
use konto::app::{SortBy, State};
use konto::domain::Cloud;
use konto::listing::query::{Query, Scratch, new_matcher};
use konto::listing::{Candidates, Listing, Matching, Row};
use proptest::prelude::*;

/// The plain way the filter's results are checked against: every row
/// scored on its own, stably sorted by score.
fn reference(listing: &Listing, order: &[u32], query: &Query) -> Vec<u32> {
    let mut matcher = new_matcher();
    let mut scratch = Scratch::default();
    let mut scored: Vec<(u32, u32)> = order
        .iter()
        .filter_map(|&row| {
            let r = listing.get(row as usize)?;
            Some((query.score(&r.fields(), &mut matcher, &mut scratch)?, row))
        })
        .collect();
    scored.sort_by_key(|&(score, _)| std::cmp::Reverse(score));
    scored.into_iter().map(|(_, row)| row).collect()
}

#[test]
fn slices_give_the_same_result_as_one_pass() {
    let rows: Vec<Row> = ["Fabrikam", "Contoso", "Fourth Coffee", "Fab Lab", "Adatum"]
        .iter()
        .enumerate()
        .map(|(n, name)| Row {
            id: n.to_string(),
            name: name.to_string(),
            ..Row::default()
        })
        .collect();
    let l = Listing::of_rows(Cloud::Commercial, &rows);
    let query = Query::new("fa");
    let rows = run(&l, query.clone(), l.by_name().to_vec(), 2);
    assert_eq!(rows, reference(&l, l.by_name(), &query));
    let names: Vec<&str> = rows
        .iter()
        .map(|&r| l.get(r as usize).unwrap().name())
        .collect();
    assert_eq!(names[..2].to_vec(), ["Fab Lab", "Fabrikam"]);
    assert!(!names.contains(&"Contoso"));
}

/// Short words from few letters, so queries match often and scores tie.
fn word() -> impl Strategy<Value = String> {
    "[abcdeü ]{1,8}"
}

fn row_strategy() -> impl Strategy<Value = Row> {
    (
        word(),
        word(),
        word(),
        prop::sample::select(vec!["DE", "FR", "US"]),
        0i64..4,
        1u64..4,
    )
        .prop_map(|(name, city, contact, country, updated, version)| Row {
            name,
            city,
            contact,
            country: country.to_string(),
            updated,
            version,
            ..Row::default()
        })
}

fn rows_strategy() -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec(row_strategy(), 0..60).prop_map(|mut rows| {
        for (n, row) in rows.iter_mut().enumerate() {
            row.id = format!("id-{n:03}");
            row.domain = format!("c{n}.example");
        }
        rows
    })
}

fn query_strategy() -> impl Strategy<Value = String> {
    "[abcdeu ]{1,4}|country:[dfu]{1,2}|[abc]{1,2} city:[a-e]{1,2}"
}

/// Runs a job to its end in slices of `slice` rows.
fn run(
    listing: &Listing,
    query: Query,
    candidates: impl Into<Candidates>,
    slice: usize,
) -> Vec<u32> {
    run_with_fields(listing, query, candidates, slice).rows
}

/// `run`, with where each row's last word matched.
fn run_with_fields(
    listing: &Listing,
    query: Query,
    candidates: impl Into<Candidates>,
    slice: usize,
) -> Candidates {
    let mut job = Matching::new(query, candidates);
    while !job.is_done() {
        job.step(listing, slice);
    }
    job.finish_with_fields(listing.by_name())
}

/// Text with the characters nucleo folds in ways worth checking.
fn text() -> impl Strategy<Value = String> {
    "[a-eA-EüÜłŁßøØæİı0-9 .-]{0,12}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(128)
    ))]

    #[test]
    fn sliced_and_narrowed_matching_equals_the_reference(
        rows in rows_strategy(),
        first in query_strategy(),
        more in "[abcde]{0,3}",
        slice in 1usize..20,
    ) {
        let listing = Listing::of_rows(Cloud::Commercial, &rows);
        let order = listing.by_name().to_vec();
        let q1 = Query::new(&first);
        let found = run_with_fields(&listing, q1.clone(), order.clone(), slice);
        prop_assert_eq!(&found.rows, &reference(&listing, &order, &q1));
        // Typing on: the app looks only at what the shorter query found,
        // and where its last word grew, only in the fields it matched in.
        let q2 = Query::new(&format!("{first}{more}"));
        let candidates = match (q2.narrows(&q1), q2.keeps_fields_of(&q1)) {
            (true, true) => found,
            (true, false) => found.rows.into(),
            (false, _) => order.clone().into(),
        };
        prop_assert_eq!(
            run(&listing, q2.clone(), candidates, slice),
            reference(&listing, &order, &q2)
        );
    }

    #[test]
    fn narrowing_a_running_job_equals_the_reference(
        rows in rows_strategy(),
        first in "[abcde]{1,3}",
        more in "[abcde]{1,3}",
        done in 0usize..60,
    ) {
        let listing = Listing::of_rows(Cloud::Commercial, &rows);
        let order = listing.by_name().to_vec();
        let mut job = Matching::new(Query::new(&first), order.clone());
        job.step(&listing, done);
        let q2 = Query::new(&format!("{first}{more}"));
        prop_assert!(q2.narrows(job.query()));
        let found = run(&listing, q2.clone(), job.into_candidates(), 3);
        prop_assert_eq!(found, reference(&listing, &order, &q2));
    }

    #[test]
    fn typing_a_query_lists_exactly_the_matches_best_first(
        rows in rows_strategy(),
        text in "[abcdeu]{1,5}",
        down in 0usize..5,
    ) {
        let customers: Vec<_> = rows.iter().map(|r| {
            let mut c = konto::demo::sample_customer();
            c.id = r.id.clone();
            c.company.name = r.name.clone();
            c.company.domain = r.domain.clone();
            c.billing.first_name = r.contact.clone();
            c.billing.last_name = String::new();
            c.billing.email = format!("x@{}", r.domain);
            c.billing.address.city = r.city.clone();
            c
        }).collect();
        let mut s = state_with(customers);
        keys(&mut s, &"<Down>".repeat(down));
        keys(&mut s, "/");
        type_text(&mut s, &text);
        while s.filter_pending() {
            s.filter_step(7);
        }
        let expected = reference(&s.list.listing, s.list.listing.by_name(), &Query::new(&text));
        prop_assert_eq!(s.visible(), &expected[..]);
        if s.visible().is_empty() {
            prop_assert_eq!(s.selected, 0);
        } else {
            prop_assert!(s.selected < s.visible().len());
        }
    }

    #[test]
    fn sorting_is_stable_and_keeps_the_selection(
        rows in rows_strategy(),
        down in 0usize..60,
    ) {
        prop_assume!(!rows.is_empty());
        let customers: Vec<_> = rows.iter().map(|r| {
            let mut c = konto::demo::sample_customer();
            c.id = r.id.clone();
            c.company.name = r.name.clone();
            c.company.domain = r.domain.clone();
            c.version = r.version;
            c.updated = chrono::DateTime::from_timestamp(1_700_000_000 + r.updated, 0).unwrap();
            c.billing.address.country = r.country.clone();
            c
        }).collect();
        let mut s: State = state_with(customers);
        keys(&mut s, &"<Down>".repeat(down));
        let selected = s.selected_id();
        let by_name = s.list.listing.by_name().to_vec();
        for sort in [SortBy::Country, SortBy::Updated, SortBy::Version, SortBy::Name] {
            s.set_sort(sort);
            prop_assert_eq!(s.selected_id(), selected.clone());
            // The reference: a stable sort of the name order.
            let l = &s.list.listing;
            let mut expected = by_name.clone();
            match sort {
                SortBy::Name => {}
                SortBy::Country => expected.sort_by_key(|&i| l.get(i as usize).unwrap().country().to_string()),
                SortBy::Updated => expected.sort_by_key(|&i| std::cmp::Reverse(l.get(i as usize).unwrap().updated())),
                SortBy::Version => expected.sort_by_key(|&i| std::cmp::Reverse(l.get(i as usize).unwrap().version())),
            }
            prop_assert_eq!(s.visible(), &expected[..]);
        }
    }
}

proptest! {
    #[test]
    fn the_letter_check_never_rules_out_a_match(
        hay in text(),
        picks in prop::collection::vec((any::<bool>(), any::<bool>()), 12),
    ) {
        use konto::listing::query::{Fields, Scratch, letters, new_matcher};
        // A word made of the haystack's own letters (so it matches often),
        // some as their plain ASCII letter, as a user would type them.
        let plain = |c: char| match c {
            'ü' => 'u', 'Ü' => 'U', 'ł' | 'Ł' => 'l', 'ß' => 's', 'ø' | 'Ø' => 'o',
            'æ' => 'a', 'İ' | 'ı' => 'i', c => c,
        };
        let word: String = hay
            .chars()
            .zip(&picks)
            .filter(|(_, (take, _))| *take)
            .map(|(c, (_, ascii))| if *ascii { plain(c) } else { c })
            .collect();
        let listing = Listing::of_rows(Cloud::Commercial, &[Row { name: hay.clone(), ..Row::default() }]);
        let row = listing.get(0).unwrap().fields();
        let fields = |mask: u64| Fields {
            searched: [&hay, "", "", "", ""], folded: konto::listing::query::Folded::No, letters: mask, ..row
        };
        let q = Query::new(&word);
        let mut m = new_matcher();
        let with = q.score(&fields(letters(&hay)), &mut m, &mut Scratch::default());
        let without = q.score(&fields(u64::MAX), &mut m, &mut Scratch::default());
        prop_assert_eq!(with, without);
    }
}

proptest! {
    /// Rows with accents keep their searched text folded in the list; a
    /// score read from that copy is the score of folding as it matches.
    #[test]
    fn the_kept_folded_text_scores_as_folding_on_the_fly(
        rows in rows_strategy(),
        query in "[abcdeuü ]{1,5}|!u|ub\\$|\\^ü",
    ) {
        use konto::listing::query::{Scratch, new_matcher};
        let listing = Listing::of_rows(Cloud::Commercial, &rows);
        let q = Query::new(&query);
        let mut m = new_matcher();
        for index in 0..listing.len() {
            let fields = listing.get(index).unwrap().fields();
            let kept = q.score(&fields, &mut m, &mut Scratch::default());
            let on_the_fly = q.score(&konto::listing::query::Fields { folded: konto::listing::query::Folded::No, ..fields }, &mut m, &mut Scratch::default());
            prop_assert_eq!(kept, on_the_fly, "row {:?}", fields.searched);
        }
    }
}

/// Steps large enough to be split over the cores (and a narrowed query
/// whose field bits are split with its rows) give the reference's result:
/// the random lists above are too short to take that path.
#[test]
fn steps_split_over_the_cores_equal_the_reference() {
    let demo = konto::demo::demo_customers().unwrap();
    let rows: Vec<Row> = konto::generate::generate(&demo, 12_000, 7, Cloud::Commercial)
        .iter()
        .map(Row::of)
        .collect();
    let listing = Listing::of_rows(Cloud::Commercial, &rows);
    let all = listing.by_name().to_vec();
    for (short, long) in [("b", "be"), ("mü", "mül"), ("ber", "berl")] {
        let first = run_with_fields(&listing, Query::new(short), all.clone(), 10_000);
        assert_eq!(
            first.rows,
            reference(&listing, &all, &Query::new(short)),
            "{short}"
        );
        assert!(!first.rows.is_empty(), "{short} matches");
        // Narrowed: only the rows and fields the shorter query matched.
        let query = Query::new(long);
        assert!(query.keeps_fields_of(&Query::new(short)));
        let narrowed = run(&listing, query.clone(), first, 10_000);
        assert_eq!(narrowed, reference(&listing, &all, &query), "{long}");
    }
}
