//! Records stored before a rule they break (here: Spain's provinces, which
//! the generated country rules require): they list and open, marked (▲)
//! and found by `is:attention`, the detail says what is wrong, and the form
//! asks for the fix at the next save.

mod common;

use common::pty::Session;
use common::{form, keys, render_text, state_with};

use konto::app::{Action, Mode, State, update};
use konto::domain::{Cloud, FieldId};
use konto::listing::Listing;
use konto::query::Query;
use konto::store::{DEFAULT_CACHE_BYTES, Store};

/// A store holding the fixtures and a Spanish customer saved without a
/// province, as konto saved them before the rule came.
fn store_with_an_old_record(dir: &std::path::Path) -> Store {
    let store = Store::open(dir, DEFAULT_CACHE_BYTES).unwrap();
    store.seed_if_new(&common::customers()).unwrap();
    store
        .put_unchecked(&common::saved_before_provinces())
        .unwrap();
    store
}

/// The app over that store, its records checked as the runtime checks
/// them between keys.
fn app_with_an_old_record() -> State {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_an_old_record(dir.path());
    let customers = store.customers(Cloud::Commercial).unwrap();
    let mut s = state_with(customers.clone());
    let found = customers
        .iter()
        .filter(|c| konto::validate::check_record(c, &s.policy).is_err())
        .map(|c| (c.company.name.clone(), c.id.clone()))
        .collect();
    update(&mut s, Action::NeedAttention(found));
    s
}

fn selected_problems(s: &State) -> Vec<FieldId> {
    let customer = s.selected_customer().unwrap();
    s.needs_attention(customer)
        .iter()
        .map(|p| p.field)
        .collect()
}

#[test]
fn the_detail_says_what_a_record_stored_before_a_rule_breaks() {
    let mut s = app_with_an_old_record();
    keys(&mut s, "/olivares<Enter>");
    assert_eq!(s.selected_customer().unwrap().id, "c-old");
    assert_eq!(selected_problems(&s), [FieldId::State]);
    let screen = render_text(&s, 140, 40);
    assert!(
        screen.contains("▲ Needs attention: fix at the next save"),
        "{screen}"
    );
    assert!(
        screen.contains("State/Region is required for Spain"),
        "{screen}"
    );
    assert!(screen.contains("code 28020 is in Madrid: M"), "{screen}");

    keys(&mut s, "/<Esc>/zeppelin<Enter>");
    assert!(selected_problems(&s).is_empty());
    let screen = render_text(&s, 140, 40);
    assert!(!screen.contains("Needs attention"), "{screen}");
}

#[test]
fn the_form_opens_it_and_asks_for_the_fix_at_the_next_save() {
    let mut s = app_with_an_old_record();
    keys(&mut s, "/olivares<Enter>u");
    assert_eq!(s.mode(), Mode::Form);
    assert_eq!(form(&s).value(FieldId::City), "Madrid");
    keys(&mut s, "<C-s>");
    assert_eq!(s.mode(), Mode::Form, "not saved without its province");
    assert!(form(&s).errors.contains_key(&FieldId::State));
}

#[test]
fn the_list_marks_it_and_is_attention_finds_it() {
    let mut s = app_with_an_old_record();
    let screen = render_text(&s, 140, 40);
    assert!(
        screen.contains("▲ 1 need attention (is:attention)"),
        "{screen}"
    );
    assert!(screen.contains("│▲ Olivares Logística SL"), "{screen}");
    assert!(screen.contains("│  Zeppelin Logistik AG"), "{screen}");

    keys(&mut s, "/is:attention<Enter>");
    let ids: Vec<String> = (0..s.visible().len())
        .filter_map(|p| s.list.row(p).map(|r| r.id().into_owned()))
        .collect();
    assert_eq!(ids, ["c-old"]);
    keys(&mut s, "/<Esc>/is:attention lo<Enter>");
    assert_eq!(s.visible().len(), 1, "with other words too");
}

#[test]
fn the_filter_word_matches_marked_rows_only_and_is_not_a_narrowed_fuzzy_word() {
    let customers = common::customers();
    let mut listing = Listing::of_customers(Cloud::Commercial, &customers);
    let c3 = listing.find("Boulangerie Lefèvre SARL", "c-3").unwrap();
    listing.set_attention(c3, true);
    let query = Query::new("is:attention");
    let mut matcher = konto::query::new_matcher();
    let mut scratch = konto::query::Scratch::default();
    let matched: Vec<String> = (0..listing.len())
        .filter_map(|i| listing.get(i))
        .filter(|r| {
            query
                .score(&r.fields(), &mut matcher, &mut scratch)
                .is_some()
        })
        .map(|r| r.id().into_owned())
        .collect();
    assert_eq!(matched, ["c-3"]);
    assert!(!query.narrows(&Query::new("is:attentio")));
    assert!(Query::new("is:attention lef").narrows(&query));
    // Streamed in chunks, the marks stay with their rows.
    let mut whole = Listing::of_customers(Cloud::Commercial, &customers[..2]);
    whole.append(listing);
    assert_eq!(whole.attention_count(), 1);
    assert!((0..whole.len()).any(|i| whole.get(i).unwrap().needs_attention()
        && whole.get(i).unwrap().id() == "c-3"));
}

#[test]
fn a_fixed_record_is_no_longer_marked() {
    let mut s = app_with_an_old_record();
    keys(&mut s, "/olivares<Enter>");
    let mut fixed = s.selected_customer().unwrap().clone();
    fixed.billing.address.state = "M".into();
    fixed.version += 1;
    update(&mut s, Action::Saved(fixed));
    assert_eq!(s.list.listing.attention_count(), 0);
    assert!(!render_text(&s, 140, 40).contains("need attention"));

    // The check's report of the record as it was read before the save
    // does not mark it again.
    let stale = vec![("Olivares Logística SL".to_string(), "c-old".to_string())];
    update(&mut s, Action::NeedAttention(stale));
    assert_eq!(s.list.listing.attention_count(), 0);
}

#[test]
fn the_running_app_checks_the_records_and_marks_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    drop(store_with_an_old_record(dir.path()));
    let mut app = Session::start(dir.path(), 120, 35);
    app.wait_for("▲ 1 need attention (is:attention)");
    app.send("/is:attention\r");
    app.wait_for("1/6 customers");
    app.wait_for("▲ Needs attention: fix at the next save");
    app.send("q");
    assert_eq!(app.wait_exit(), 0);
}

#[test]
fn the_cli_lists_and_exports_what_needs_attention() {
    let dir = tempfile::tempdir().unwrap();
    drop(store_with_an_old_record(dir.path()));
    let out = common::konto_in(dir.path(), "en", &["list", "--filter", "is:attention"]);
    let table = common::stdout(&out);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    assert!(lines[1].starts_with("Olivares Logística SL"), "{table}");

    let args = ["export", "--format", "csv", "--filter", "is:attention"];
    let out = common::konto_in(dir.path(), "en", &args);
    let csv = common::stdout(&out);
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.lines().nth(1).unwrap().starts_with("c-old,"), "{csv}");
}

/// The verdicts the running app kept with the list, as written.
type Kept = (u128, u64, Vec<(String, String)>);

#[test]
fn the_checks_verdicts_are_kept_with_the_list_and_taken_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    drop(store_with_an_old_record(dir.path()));
    let mut app = Session::start(dir.path(), 120, 35);
    app.wait_for("▲ 1 need attention (is:attention)");
    app.send("q");
    assert_eq!(app.wait_exit(), 0);
    let kept_at = dir.path().join("attention.commercial");
    let bytes = std::fs::read(&kept_at).expect("the finished check was kept");
    let (mark, key, found): Kept = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(
        found,
        [("Olivares Logística SL".to_string(), "c-old".to_string())]
    );

    // The next start takes them as kept, without checking again: verdicts
    // made up for another customer are what it shows.
    let made_up = vec![("Zeppelin Logistik AG".to_string(), "c-1".to_string())];
    std::fs::write(
        &kept_at,
        postcard::to_allocvec(&(mark, key, made_up)).unwrap(),
    )
    .unwrap();
    let mut app = Session::start(dir.path(), 120, 35);
    app.wait_for("▲ 1 need attention (is:attention)");
    app.send("/is:attention\r");
    app.wait_for("1/6 customers");
    app.wait_for("Zeppelin Logistik AG");
    app.send("\x1b");
    app.wait_for("6/6 customers");
    app.send("q");
    assert_eq!(app.wait_exit(), 0);

    // Verdicts for another program or policy (another key) are not taken:
    // the records are checked again.
    let other_key = vec![("Zeppelin Logistik AG".to_string(), "c-1".to_string())];
    let bytes = postcard::to_allocvec(&(mark, key.wrapping_add(1), other_key)).unwrap();
    std::fs::write(&kept_at, bytes).unwrap();
    let mut app = Session::start(dir.path(), 120, 35);
    app.wait_for("▲ 1 need attention (is:attention)");
    app.send("/is:attention\r");
    app.wait_for("1/6 customers");
    app.wait_for("Olivares Logística SL");
    app.send("\x1b");
    app.wait_for("6/6 customers");
    app.send("q");
    assert_eq!(app.wait_exit(), 0);

    // A write forgets them with the list.
    let out = common::konto_in(dir.path(), "en", &["update", "c-1", "--set", "city=Ulm"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(!kept_at.exists(), "a write deletes the kept verdicts");
}
