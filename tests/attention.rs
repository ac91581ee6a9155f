//! Records stored before a rule they break (here: Spain's provinces, which
//! the generated country rules require): they list and open, the detail
//! says what is wrong, and the form asks for the fix at the next save.

mod common;

use common::{form, keys, render_text, state_with};

use konto::app::{Mode, State};
use konto::domain::{Cloud, FieldId};
use konto::store::{DEFAULT_CACHE_BYTES, Store};

/// The app over a store holding the fixtures and a Spanish customer saved
/// without a province, as konto saved them before the rule came.
fn app_with_an_old_record() -> State {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), DEFAULT_CACHE_BYTES).unwrap();
    store.seed_if_new(&common::customers()).unwrap();
    store
        .put_unchecked(&common::saved_before_provinces())
        .unwrap();
    state_with(store.customers(Cloud::Commercial).unwrap())
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
