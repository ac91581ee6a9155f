//! The state machine driven by key events, without a terminal.

mod common;

use common::*;
use konto::app::{Action, Command, Mode, Pane, Pending, StatusKind, update};
use konto::domain::{AuditAction, AuditEntry, FieldId, Permission, Role};
use konto::keymap::Intent;

/// The tests' key notation presses what it names.
#[test]
fn keys_are_written_as_in_vim() {
    use ratatui::crossterm::event::KeyCode;
    assert_eq!(
        parse_keys("/b <Enter><C-s><S-Tab><lt><F1><PgDn>"),
        [
            key(KeyCode::Char('/')),
            key(KeyCode::Char('b')),
            key(KeyCode::Char(' ')),
            key(KeyCode::Enter),
            ctrl('s'),
            key(KeyCode::BackTab),
            key(KeyCode::Char('<')),
            key(KeyCode::F(1)),
            key(KeyCode::PageDown),
        ]
    );
}

#[test]
fn list_is_sorted_by_company_name_ignoring_case_and_accents() {
    let state = state();
    let names: Vec<&str> = (0..state.visible().len())
        .map(|i| state.list.row(i).unwrap().name())
        .collect();
    assert_eq!(
        names,
        [
            "Ärztehaus Nord GmbH",
            "Aurora Analytics Inc.",
            "Boulangerie Lefèvre SARL",
            "Zeppelin Logistik AG",
            "株式会社さくら精機",
        ]
    );
}

#[test]
fn arrows_and_vim_keys_move_and_stop_at_the_ends() {
    let mut s = state();
    keys(&mut s, "<Down>j");
    assert_eq!(s.selected, 2);
    keys(&mut s, "k");
    assert_eq!(s.selected, 1);
    keys(&mut s, "G");
    assert_eq!(s.selected, 4);
    keys(&mut s, "<Down>");
    assert_eq!(s.selected, 4, "stays on the last row");
    keys(&mut s, "<Home>");
    assert_eq!(s.selected, 0);
    keys(&mut s, "<Up>");
    assert_eq!(s.selected, 0, "stays on the first row");
    keys(&mut s, "<PgDn>");
    assert_eq!(s.selected, 4);
    keys(&mut s, "<PgUp>");
    assert_eq!(s.selected, 0);
}

#[test]
fn selection_scrolls_into_view_in_a_short_terminal() {
    let mut s = state();
    // 8 rows: header, status and key bar and 2 borders leave 3 list rows.
    resize(&mut s, 80, 8);
    keys(&mut s, "<End>");
    assert!(s.list_offset <= s.selected);
    assert!(s.selected < s.list_offset + konto::layout::list_rows(80, 8));
    keys(&mut s, "g");
    assert_eq!(s.list_offset, 0);
}

#[test]
fn filter_narrows_while_typing_and_enter_keeps_it() {
    let mut s = state();
    keys(&mut s, "/");
    assert_eq!(s.mode(), Mode::Filter);
    keys(&mut s, "LEF");
    // Fuzzy: the best match first, weaker ones after it.
    let first = s.list.row(0).unwrap().name().to_string();
    assert_eq!(first, "Boulangerie Lefèvre SARL");
    let found = s.visible().len();
    assert!(found < 5, "the filter narrows: {found}");
    keys(&mut s, "èvre");
    assert_eq!(s.visible().len(), 1);
    assert_eq!(selected_name(&s), "Boulangerie Lefèvre SARL");
    keys(&mut s, "<Enter>");
    assert_eq!(s.mode(), Mode::Browse);
    assert_eq!(s.visible().len(), 1, "Enter keeps the filter");
    // In browse mode letters are commands again, not filter text.
    keys(&mut s, "j");
    assert_eq!(s.filter.value(), "LEFèvre");
}

#[test]
fn filter_matches_domain_and_email_and_esc_clears() {
    let mut s = state();
    keys(&mut s, "/sakura-seiki.jp");
    assert_eq!(selected_name(&s), "株式会社さくら精機");
    keys(&mut s, &"<BS>".repeat(15));
    keys(&mut s, "zeppelin.onmicrosoft");
    assert_eq!(s.visible().len(), 1);
    keys(&mut s, "<Esc>");
    assert_eq!(s.mode(), Mode::Browse);
    assert_eq!(s.visible().len(), 5);
    assert_eq!(selected_name(&s), "Zeppelin Logistik AG", "selection kept");
}

#[test]
fn filter_with_no_match_leaves_nothing_selected_and_nothing_to_open() {
    let mut s = state();
    keys(&mut s, "/xyzzy qqq");
    assert!(s.visible().is_empty());
    assert!(s.selected_customer().is_none());
    keys(&mut s, "<Enter>u");
    assert!(s.form().is_none());
}

#[test]
fn tab_moves_focus_and_arrows_then_scroll_the_detail() {
    let mut s = state();
    keys(&mut s, "<Tab>");
    assert_eq!(s.focus, Pane::Detail);
    keys(&mut s, "<Down><Down>");
    assert_eq!(s.selected, 0, "selection unchanged");
    assert_eq!(s.detail_field, 2);
    keys(&mut s, "<Tab><Down>");
    assert_eq!(s.focus, Pane::List);
    assert_eq!(s.selected, 1);
    assert_eq!(
        s.detail_field, 0,
        "a new customer's detail starts at the top"
    );
}

#[test]
fn form_opens_on_the_first_editable_field_and_skips_read_only_ones() {
    let mut s = state();
    keys(&mut s, "u");
    assert_eq!(s.mode(), Mode::Form);
    assert_eq!(form(&s).focused_id(), Some(FieldId::CompanyName));
    keys(&mut s, "<Tab>");
    assert_eq!(
        form(&s).focused_id(),
        Some(FieldId::RegistrationNumber),
        "domain is read-only"
    );
    // Going back from the first field wraps to the last editable one.
    keys(&mut s, "<S-Tab><Up>");
    let id = form(&s).focused().unwrap().spec.id;
    assert_eq!(
        id,
        FieldId::PostalCode,
        "country, id and tenant id are skipped"
    );
}

#[test]
fn typing_edits_the_focused_field_like_a_line_editor() {
    let mut s = state();
    keys(&mut s, "<Enter><C-u>Ärzte Nord<Home>Neue <End><BS>");
    let form = form(&s);
    assert_eq!(form.value(FieldId::CompanyName), "Neue Ärzte Nor");
    assert!(form.is_changed(FieldId::CompanyName));
    assert!(!form.is_changed(FieldId::Email));
}

#[test]
fn cancel_without_changes_closes_at_once() {
    let mut s = state();
    keys(&mut s, "u<Esc>");
    assert_eq!(s.mode(), Mode::Browse);
    assert!(s.form().is_none());
}

#[test]
fn cancel_with_changes_asks_and_no_keeps_the_edit() {
    let mut s = state();
    keys(&mut s, "u X<Esc>");
    assert_eq!(s.mode(), Mode::ConfirmDiscard { then_quit: false });
    keys(&mut s, "n");
    assert_eq!(s.mode(), Mode::Form);
    assert_eq!(
        form(&s).value(FieldId::CompanyName),
        "Ärztehaus Nord GmbH X"
    );
    keys(&mut s, "<Esc>y");
    assert_eq!(s.mode(), Mode::Browse);
    assert!(s.form().is_none());
    assert_eq!(selected_name(&s), "Ärztehaus Nord GmbH", "nothing changed");
}

#[test]
fn ctrl_c_in_a_changed_form_asks_before_quitting() {
    let mut s = state();
    keys(&mut s, "u!");
    assert_eq!(keys(&mut s, "<C-c>"), Command::None);
    assert_eq!(s.mode(), Mode::ConfirmDiscard { then_quit: true });
    assert_eq!(keys(&mut s, "y"), Command::Quit);
}

#[test]
fn refused_submit_keeps_the_form_and_says_why_beside_the_field() {
    let mut s = state();
    keys(&mut s, "u<C-u>");
    // Move to the email field and break it.
    while form(&s).focused().unwrap().spec.id != FieldId::Email {
        keys(&mut s, "<Tab>");
    }
    keys(&mut s, "<C-u>not-an-email");
    let command = keys(&mut s, "<C-s>");
    assert_eq!(command, Command::None, "nothing is written");
    assert_eq!(s.mode(), Mode::Form);
    let form = form(&s);
    assert!(form.errors.contains_key(&FieldId::CompanyName));
    assert!(form.errors.contains_key(&FieldId::Email));
    assert_eq!(
        form.focused().unwrap().spec.id,
        FieldId::CompanyName,
        "cursor on the first bad field"
    );
    assert_eq!(
        form.value(FieldId::Email),
        "not-an-email",
        "typed text kept"
    );
    let status = s.status.as_ref().unwrap();
    assert_eq!(status.kind, StatusKind::Error);
    assert!(status.text.contains("2 fields"), "{}", status.text);
}

#[test]
fn a_field_with_an_error_is_rechecked_on_every_keystroke() {
    let mut s = state();
    keys(&mut s, "u<C-u><C-s>");
    let error = |s: &konto::app::State| form(s).errors.get(&FieldId::CompanyName).cloned();
    assert_eq!(error(&s).as_deref(), Some("is required"));
    keys(&mut s, "A");
    assert!(error(&s).unwrap().contains("single character"));
    keys(&mut s, "cme");
    assert_eq!(error(&s), None, "fixed as soon as it is right");
}

#[test]
fn leaving_a_bad_field_marks_it() {
    let mut s = state();
    keys(&mut s, "u<C-u><Tab>");
    assert!(form(&s).errors.contains_key(&FieldId::CompanyName));
}

#[test]
fn accepted_submit_asks_the_runtime_to_commit_the_trimmed_record() {
    let mut s = state();
    keys(&mut s, "u<End> Praxis  ");
    assert_eq!(keys(&mut s, "<C-s>"), Command::None, "first the review");
    assert_eq!(s.mode(), Mode::Review);
    let changes = review(&s);
    assert_eq!(
        changes,
        [(
            "Company name",
            "Ärztehaus Nord GmbH".to_string(),
            "Ärztehaus Nord GmbH Praxis".to_string()
        )]
    );
    let command = keys(&mut s, "<Enter>");
    let Command::Commit { action, record } = command else {
        panic!("expected a commit, got {command:?}");
    };
    assert_eq!(action, AuditAction::Update);
    assert_eq!(record.company.name, "Ärztehaus Nord GmbH Praxis");
    assert_eq!(record.version, 1, "based on the version the form opened");
    assert_eq!(record.id, "c-2");

    // The runtime reports the commit; the form closes and the list shows it.
    let mut saved = record.clone();
    saved.version = 2;
    update(&mut s, Action::Saved(*saved));
    assert_eq!(s.mode(), Mode::Browse);
    assert!(s.form().is_none());
    assert_eq!(selected_name(&s), "Ärztehaus Nord GmbH Praxis");
    let status = s.status.as_ref().unwrap();
    assert_eq!(status.text, "Saved Ärztehaus Nord GmbH Praxis (version 2)");
}

#[test]
fn submit_without_changes_writes_nothing() {
    let mut s = state();
    let command = keys(&mut s, "u<C-s>");
    assert_eq!(command, Command::None);
    assert_eq!(s.mode(), Mode::Browse);
    assert_eq!(s.status.as_ref().unwrap().text, "Nothing to save");
}

#[test]
fn failed_commit_keeps_the_form_open() {
    let mut s = state();
    keys(&mut s, "u!<C-s>");
    let command = keys(&mut s, "y");
    assert!(matches!(command, Command::Commit { .. }), "{command:?}");
    update(&mut s, Action::CommitFailed("disk full".into()));
    assert_eq!(s.mode(), Mode::Form);
    assert_eq!(form(&s).value(FieldId::CompanyName), "Ärztehaus Nord GmbH!");
    assert_eq!(s.status.as_ref().unwrap().text, "Not saved: disk full");
}

#[test]
fn p_asks_and_yes_commits_the_reservations_permission() {
    let mut s = state();
    keys(&mut s, "p");
    assert_eq!(
        s.mode(),
        Mode::ConfirmPermission {
            permission: Permission::AzureReservations,
            allow: true
        }
    );
    let command = keys(&mut s, "y");
    let Command::Commit { action, record } = command else {
        panic!("expected a commit, got {command:?}");
    };
    assert_eq!(action, AuditAction::PermissionOn);
    assert!(record.permissions.azure_reservations);
    assert!(!record.permissions.azure_savings_plan);
    assert_eq!(s.mode(), Mode::Browse);
}

#[test]
fn shift_p_is_the_savings_plan_and_no_changes_nothing() {
    let mut s = state();
    keys(&mut s, "P");
    assert_eq!(
        s.mode(),
        Mode::ConfirmPermission {
            permission: Permission::AzureSavingsPlan,
            allow: true
        }
    );
    assert_eq!(keys(&mut s, "n"), Command::None);
    assert_eq!(s.mode(), Mode::Browse);
    assert!(
        !s.selected_customer()
            .unwrap()
            .permissions
            .azure_savings_plan
    );
}

#[test]
fn c_asks_for_the_other_cloud_and_loaded_replaces_the_list() {
    let mut s = state();
    let command = keys(&mut s, "c");
    assert_eq!(command, Command::Load(konto::domain::Cloud::Usgov));
    let mut gov = konto::demo::sample_customer();
    gov.cloud = konto::domain::Cloud::Usgov;
    gov.company.name = "City of Tacoma".into();
    update(
        &mut s,
        Action::loaded(konto::domain::Cloud::Usgov, vec![gov]),
    );
    assert_eq!(s.cloud, konto::domain::Cloud::Usgov);
    assert_eq!(s.list.total(), 1);
    assert_eq!(selected_name(&s), "City of Tacoma");
}

#[test]
fn q_and_ctrl_c_quit_from_the_list() {
    let mut s = state();
    assert_eq!(keys(&mut s, "q"), Command::Quit);
    assert_eq!(keys(&mut s, "<C-c>"), Command::Quit);
}

#[test]
fn paste_goes_into_the_field_without_newlines_or_controls() {
    let mut s = state();
    keys(&mut s, "u<C-u>");
    update(&mut s, Action::Paste("Nord\r\nSüd\u{1b}[2J GmbH".into()));
    assert_eq!(form(&s).value(FieldId::CompanyName), "NordSüd[2J GmbH");
}

#[test]
fn review_shows_normalised_values_and_esc_goes_back_to_editing() {
    let mut s = state();
    keys(&mut s, "u");
    focus(&mut s, FieldId::Phone);
    keys(&mut s, "<C-u>030 1234567");
    assert_eq!(keys(&mut s, "<C-s>"), Command::None);
    assert_eq!(s.mode(), Mode::Review);
    let changes = review(&s);
    assert_eq!(changes[0].0, "Phone");
    assert_eq!(changes[0].2, "+49301234567", "E.164 in the review");
    keys(&mut s, "<Esc>");
    assert_eq!(s.mode(), Mode::Form);
    assert_eq!(form(&s).value(FieldId::Phone), "030 1234567", "typing kept");
}

#[test]
fn a_german_postal_code_of_four_digits_cannot_be_saved() {
    let mut s = state();
    keys(&mut s, "u");
    focus(&mut s, FieldId::PostalCode);
    keys(&mut s, "<C-u>1234<Tab>");
    assert_eq!(
        form(&s).errors[&FieldId::PostalCode],
        "for Germany is 5 digits, e.g. 26133; did you mean 01234?",
        "checked on leaving the field"
    );
    assert_eq!(keys(&mut s, "<C-s>"), Command::None);
    assert_eq!(s.mode(), Mode::Form);
    assert_eq!(form(&s).focused_id(), Some(FieldId::PostalCode));
}

/// A customer an older konto stored without the province the generated
/// rules require: it opens in the form, and the save asks for the fix on
/// the state field, naming the province of its postal code.
#[test]
fn a_record_stored_under_older_rules_asks_for_the_fix_at_the_next_save() {
    let mut old = us_customer();
    let a = &mut old.billing.address;
    (a.country, a.state, a.postal_code, a.city) = (
        "ES".into(),
        String::new(),
        "46004".into(),
        "Valencia".into(),
    );
    old.billing.culture = "es-ES".into();
    old.billing.phone = String::new();
    let mut s = state_with(vec![old]);
    keys(&mut s, "u");
    assert_eq!(s.mode(), Mode::Form);
    focus(&mut s, FieldId::City);
    type_text(&mut s, " Centro");
    assert_eq!(keys(&mut s, "<C-s>"), Command::None);
    let open = form(&s);
    assert_eq!(open.focused_id(), Some(FieldId::State));
    assert!(
        open.errors[&FieldId::State].ends_with("postal code 46004 is in Valencia: V"),
        "{}",
        open.errors[&FieldId::State]
    );
    keys(&mut s, "<C-u>València<C-s>");
    assert_eq!(s.mode(), Mode::Review);
    let Command::Commit { record, .. } = keys(&mut s, "y") else {
        panic!("no commit");
    };
    assert_eq!(record.billing.address.state, "V");
}

#[test]
fn a_us_state_typed_as_a_name_is_stored_as_its_code() {
    let mut s = us_state();
    keys(&mut s, "u");
    focus(&mut s, FieldId::State);
    keys(&mut s, "<C-u>oregon<C-s>");
    // 98052 is in Washington: the postal code has to move too.
    assert_eq!(s.mode(), Mode::Form);
    assert_eq!(
        form(&s).errors[&FieldId::PostalCode],
        "98052 belongs to Washington (WA), not to Oregon; set the state to WA or correct the postal code"
    );
    focus(&mut s, FieldId::PostalCode);
    keys(&mut s, "<C-u>97209<C-s>");
    assert_eq!(s.mode(), Mode::Review);
    let Command::Commit { record, .. } = keys(&mut s, "y") else {
        panic!("no commit");
    };
    assert_eq!(record.billing.address.state, "OR");
    assert_eq!(record.billing.address.postal_code, "97209");
}

#[test]
fn warnings_are_asked_once_then_the_review_follows() {
    let mut s = state();
    keys(&mut s, "u<C-u>Zeppelin.com<C-s>");
    assert_eq!(s.mode(), Mode::ConfirmWarnings);
    keys(&mut s, "n");
    assert_eq!(s.mode(), Mode::Form, "no: back to editing");
    keys(&mut s, "<C-s>y");
    assert_eq!(s.mode(), Mode::Review);
    keys(&mut s, "<Esc><C-s>");
    assert_eq!(
        s.mode(),
        Mode::Review,
        "confirmed warnings are not asked again"
    );
}

#[test]
fn ctrl_p_picks_a_state_from_a_filterable_list() {
    let mut s = us_state();
    keys(&mut s, "u");
    focus(&mut s, FieldId::State);
    keys(&mut s, "<C-p>");
    assert_eq!(s.mode(), Mode::Pick);
    let picker = s.picker().unwrap();
    assert_eq!(
        picker.chosen().unwrap().value,
        "WA",
        "starts on the current value"
    );
    keys(&mut s, "new");
    let picker = s.picker().unwrap();
    let labels: Vec<&str> = picker
        .matches
        .iter()
        .map(|&i| picker.options[i].value.as_str())
        .collect();
    assert_eq!(labels, ["NH", "NJ", "NM", "NY"]);
    keys(&mut s, "<Down><Down><Down><Enter>");
    assert_eq!(s.mode(), Mode::Form);
    assert_eq!(form(&s).value(FieldId::State), "NY");
}

#[test]
fn ctrl_p_on_culture_lists_the_countrys_cultures_and_esc_keeps_the_value() {
    let mut s = state();
    keys(&mut s, "u");
    focus(&mut s, FieldId::Culture);
    keys(&mut s, "<C-p>");
    let picker = s.picker().unwrap();
    assert_eq!(picker.options.len(), 1, "Germany has de-DE only");
    keys(&mut s, "<Esc>");
    assert_eq!(s.mode(), Mode::Form);
    assert_eq!(form(&s).value(FieldId::Culture), "de-DE");
    // A field without a list says so.
    focus(&mut s, FieldId::City);
    keys(&mut s, "<C-p>");
    assert_eq!(s.mode(), Mode::Form);
    assert!(s.status.as_ref().unwrap().text.contains("no list"));
}

#[test]
fn h_opens_the_history_newest_first_and_r_reverts_after_asking() {
    let mut s = state();
    let command = keys(&mut s, "h");
    assert_eq!(
        command,
        Command::LoadHistory {
            cloud: konto::domain::Cloud::Commercial,
            id: "c-2".into()
        }
    );
    history_loaded(
        &mut s,
        vec![
            audit_entry(2, "billing.address.city", "Stuttgart", "Ulm"),
            audit_entry(3, "billing.first_name", "Jürgen", "Jörg"),
        ],
    );
    assert_eq!(s.mode(), Mode::History);
    let view = s.history().unwrap();
    assert_eq!(view.company, "Ärztehaus Nord GmbH");
    assert_eq!(view.entries[0].version, 3, "newest first");
    keys(&mut s, "jr");
    assert_eq!(s.mode(), Mode::ConfirmRevert { version: 2 });
    keys(&mut s, "n");
    assert_eq!(s.mode(), Mode::History, "no: nothing happens");
    keys(&mut s, "r");
    let command = keys(&mut s, "y");
    assert_eq!(
        command,
        Command::Revert {
            cloud: konto::domain::Cloud::Commercial,
            id: "c-2".into(),
            version: 2
        }
    );
    // The store reports the new version; the history is reloaded to show it.
    let mut reverted = s.selected_customer().unwrap().clone();
    reverted.version = 4;
    let command = update(&mut s, Action::Saved(reverted));
    assert!(matches!(command, Command::LoadHistory { .. }));
    assert_eq!(s.mode(), Mode::History);
    assert!(s.status.as_ref().unwrap().text.contains("version 4"));
    keys(&mut s, "<Esc>");
    assert_eq!(s.mode(), Mode::Browse);
    assert!(s.history().is_none());
}

#[test]
fn a_refused_revert_says_why_and_stays_in_the_history() {
    let mut s = state();
    keys(&mut s, "h");
    history_loaded(
        &mut s,
        vec![audit_entry(2, "billing.address.city", "Stuttgart", "Ulm")],
    );
    keys(&mut s, "ry");
    update(
        &mut s,
        Action::CommitFailed("cannot revert version 2".into()),
    );
    assert_eq!(s.mode(), Mode::History);
    assert_eq!(s.status.as_ref().unwrap().kind, StatusKind::Error);
}

#[test]
fn a_conflict_offers_reapply_or_reload() {
    let mut s = state();
    keys(&mut s, "u");
    focus(&mut s, FieldId::LastName);
    keys(&mut s, "<C-u>Berg<C-s><Enter>");
    someone_else_saved_a_new_city(&mut s);
    assert_eq!(s.mode(), Mode::Conflict);
    let mut reload = s.clone();

    // Re-apply: my last name on their version 2; the city is theirs.
    keys(&mut s, "a");
    assert_eq!(s.mode(), Mode::Form);
    assert_eq!(form(&s).original.version, 2);
    assert_eq!(form(&s).value(FieldId::LastName), "Berg");
    assert_eq!(form(&s).value(FieldId::City), "Ulm");
    keys(&mut s, "<C-s>");
    let Command::Commit { record, .. } = keys(&mut s, "<Enter>") else {
        panic!("no commit");
    };
    assert_eq!(record.version, 2, "now based on their version");
    assert_eq!(record.billing.last_name, "Berg");
    assert_eq!(record.billing.address.city, "Ulm");

    // Reload: their record, my edit dropped.
    keys(&mut reload, "r");
    let form = form(&reload);
    assert_eq!(form.value(FieldId::LastName), "Weiß");
    assert!(!form.is_dirty());
    assert_eq!(selected_name(&reload), "Ärztehaus Nord GmbH");
    assert_eq!(
        reload.selected_customer().unwrap().version,
        2,
        "the list shows theirs"
    );
}

#[test]
fn a_field_both_changed_is_chosen_in_the_merge_view_and_mine_is_kept_until_then() {
    let mut s = state();
    keys(&mut s, "u");
    focus(&mut s, FieldId::City);
    keys(&mut s, "<C-u>Bonn");
    focus(&mut s, FieldId::LastName);
    keys(&mut s, "<C-u>Berg<C-s><Enter>");
    // They changed the city too (to Ulm): both changed it, differently.
    someone_else_saved_a_new_city(&mut s);
    assert_eq!(s.mode(), Mode::Conflict);
    let merged = |s: &konto::app::State| {
        let f = form(s);
        (
            f.original.version,
            f.value(FieldId::City).to_string(),
            f.value(FieldId::LastName).to_string(),
        )
    };
    // Theirs for the city; my last name merges by itself.
    let mut theirs = s.clone();
    keys(&mut theirs, "t<Enter>");
    assert_eq!(merged(&theirs), (2, "Ulm".into(), "Berg".into()));
    // Unchosen, a field both changed keeps what I typed.
    let mut mine = s.clone();
    keys(&mut mine, "<Enter>");
    assert_eq!(merged(&mine), (2, "Bonn".into(), "Berg".into()));
    // `e`: the merge, and the form on the city to edit it.
    keys(&mut s, "tme");
    assert_eq!(s.mode(), Mode::Form);
    assert_eq!(merged(&s), (2, "Bonn".into(), "Berg".into()));
    assert_eq!(form(&s).focused_id(), Some(FieldId::City));
}

#[test]
fn with_no_field_both_changed_the_merge_keys_are_dimmed() {
    let mut s = state();
    keys(&mut s, "u");
    focus(&mut s, FieldId::LastName);
    keys(&mut s, "<C-u>Berg<C-s><Enter>");
    someone_else_saved_a_new_city(&mut s);
    for intent in [Intent::TakeMine, Intent::TakeTheirs, Intent::EditField] {
        assert!(konto::app::available(intent, &s).is_err(), "{intent:?}");
    }
    assert!(konto::app::available(Intent::Reapply, &s).is_ok());
}

#[test]
fn space_marks_and_u_opens_a_bulk_form_that_applies_only_filled_fields() {
    let mut s = state();
    keys(&mut s, "<Space><Space>");
    assert_eq!(s.marked.len(), 2);
    assert_eq!(s.selected, 2, "space moves on");
    keys(&mut s, "u");
    let form = form(&s);
    assert!(form.is_bulk());
    assert_eq!(
        form.value(FieldId::CompanyName),
        "",
        "bulk fields start empty"
    );
    focus(&mut s, FieldId::City);
    keys(&mut s, "Hamburg");
    focus(&mut s, FieldId::PostalCode);
    keys(&mut s, "20095<C-s>");
    assert_eq!(s.mode(), Mode::Review);
    let Pending::Many(pending) = pending(&s) else {
        panic!("not a bulk review");
    };
    assert_eq!(pending.len(), 2);
    let sample = konto::app::bulk_review(&s, pending, 5);
    assert_eq!(sample[0].1.len(), 2, "city and postal code change");
    let Command::CommitMany { records, .. } = keys(&mut s, "<Enter>") else {
        panic!("no bulk commit");
    };
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r.billing.address.city == "Hamburg"));
    assert!(
        records.iter().all(|r| r.billing.first_name == "Jürgen"),
        "unfilled fields kept"
    );
    let saved: Vec<_> = records
        .into_iter()
        .map(|mut r| {
            r.version += 1;
            r
        })
        .collect();
    update(&mut s, Action::BulkSaved(saved));
    assert_eq!(s.mode(), Mode::Browse);
    assert!(s.marked.is_empty());
    assert_eq!(
        s.status.as_ref().unwrap().text,
        "Saved 2 customers, each as a new version"
    );
}

#[test]
fn a_bulk_change_that_makes_anyone_invalid_is_stopped_with_the_list() {
    let mut s = state();
    keys(&mut s, "*");
    assert_eq!(s.marked.len(), 5, "* marks every listed customer");
    keys(&mut s, "u");
    focus(&mut s, FieldId::PostalCode);
    keys(&mut s, "1234");
    assert_eq!(keys(&mut s, "<C-s>"), Command::None);
    assert_eq!(s.mode(), Mode::BulkFailed);
    let failures = &bulk_failures(&s);
    assert_eq!(failures.len(), 5);
    assert!(
        failures[0].contains("Postal code for Germany is 5 digits"),
        "{}",
        failures[0]
    );
    keys(&mut s, "<Esc>");
    assert_eq!(s.mode(), Mode::Form);
    // * again unmarks all.
    keys(&mut s, "<Esc>y*");
    assert!(s.marked.is_empty());
}

#[test]
fn paste_goes_in_at_the_cursor() {
    let mut s = state();
    keys(&mut s, "u<Home>");
    update(&mut s, Action::Paste("Neues ".into()));
    keys(&mut s, "!");
    assert_eq!(
        form(&s).value(FieldId::CompanyName),
        "Neues !Ärztehaus Nord GmbH"
    );
}

#[test]
fn a_kept_draft_is_offered_back_and_yes_reopens_the_form() {
    let mut s = state();
    keys(&mut s, "u<End> Praxis");
    let draft = form(&s).draft().expect("a changed form has a draft");
    assert_eq!(draft.values["company.name"], "Ärztehaus Nord GmbH Praxis");

    let mut next = state();
    konto::app::offer_draft(&mut next, draft.clone());
    assert_eq!(next.mode(), Mode::ConfirmRestoreDraft);
    assert_eq!(keys(&mut next, "y"), Command::ForgetDraft);
    assert_eq!(next.mode(), Mode::Form);
    let form = form(&next);
    assert_eq!(
        form.value(FieldId::CompanyName),
        "Ärztehaus Nord GmbH Praxis"
    );
    assert!(form.is_changed(FieldId::CompanyName));

    let mut declined = state();
    konto::app::offer_draft(&mut declined, draft);
    assert_eq!(keys(&mut declined, "n"), Command::ForgetDraft);
    assert_eq!(declined.mode(), Mode::Browse);
    assert!(declined.form().is_none());
}

#[test]
fn an_unchanged_form_keeps_no_draft() {
    let mut s = state();
    keys(&mut s, "u");
    assert!(form(&s).draft().is_none());
}

#[test]
fn ctrl_z_asks_the_runtime_to_suspend() {
    let mut s = state();
    assert_eq!(keys(&mut s, "<C-z>"), Command::Suspend);
    keys(&mut s, "u");
    assert_eq!(keys(&mut s, "<C-z>"), Command::Suspend, "in the form too");
    assert_eq!(s.mode(), Mode::Form);
}

#[test]
fn helpdesk_only_reads_and_says_why() {
    let mut s = with_role(Role::Helpdesk, false);
    keys(&mut s, "u");
    assert!(s.form().is_none());
    assert_eq!(
        s.status.as_ref().unwrap().text,
        "Not allowed: the helpdesk role may only read"
    );
    keys(&mut s, "p");
    assert_eq!(s.mode(), Mode::Browse);
    keys(&mut s, "<Space>");
    assert!(s.marked.is_empty());
    // Reading is fine.
    keys(&mut s, "j/");
    assert_eq!(s.mode(), Mode::Filter);
}

#[test]
fn sales_edits_account_info_but_not_purchase_permissions() {
    let mut s = with_role(Role::Sales, false);
    keys(&mut s, "P");
    assert_eq!(s.mode(), Mode::Browse);
    assert!(
        s.status
            .as_ref()
            .unwrap()
            .text
            .contains("may not change purchase permissions")
    );
    keys(&mut s, "u");
    assert_eq!(s.mode(), Mode::Form);
    // Nor revert a permission change.
    let mut s = with_role(Role::Sales, false);
    keys(&mut s, "h");
    let permission = AuditEntry {
        action: AuditAction::PermissionOn,
        ..audit_entry(2, "permissions.azure_reservations", "off", "on")
    };
    history_loaded(&mut s, vec![permission]);
    keys(&mut s, "r");
    assert_eq!(s.mode(), Mode::History, "no confirmation offered");
}

#[test]
fn read_only_refuses_every_change_even_for_an_admin() {
    let mut s = with_role(Role::Admin, true);
    keys(&mut s, "u");
    assert!(s.form().is_none());
    assert!(s.status.as_ref().unwrap().text.contains("--read-only"));
}

#[test]
fn y_copies_the_id_from_the_list_and_the_selected_field_from_the_detail() {
    let mut s = state();
    assert_eq!(keys(&mut s, "y"), Command::Copy("c-2".into()));
    assert_eq!(
        s.status.as_ref().unwrap().text,
        "Copied Customer id to the clipboard"
    );
    keys(&mut s, "<Tab><Down><Down><Down><Down><Down>");
    assert_eq!(
        keys(&mut s, "y"),
        Command::Copy("info@aerztehaus-nord.de".into())
    );
    assert_eq!(
        s.status.as_ref().unwrap().text,
        "Copied Email to the clipboard"
    );
}

#[test]
fn a_click_selects_a_row_and_the_wheel_moves_through_the_pane_under_it() {
    use konto::app::MouseKind;
    let mut s = state();
    // 120x35: the list's first row is screen row 2 (header, border).
    mouse(&mut s, MouseKind::Click, 5, 4);
    assert_eq!(s.selected, 2);
    assert_eq!(selected_name(&s), "Boulangerie Lefèvre SARL");
    // Below the last customer: nothing happens.
    mouse(&mut s, MouseKind::Click, 5, 20);
    assert_eq!(s.selected, 2);
    mouse(&mut s, MouseKind::WheelDown, 5, 10);
    assert_eq!(s.selected, 4);
    // A click in the detail focuses it; its wheel selects fields.
    mouse(&mut s, MouseKind::Click, 80, 10);
    assert_eq!(s.focus, Pane::Detail);
    mouse(&mut s, MouseKind::WheelDown, 80, 10);
    assert_eq!(s.detail_field, 1);
    assert_eq!(s.selected, 4, "the list stays");
}

#[test]
fn s_cycles_the_sort_and_the_selection_stays_on_the_same_customer() {
    let mut customers = customers();
    customers[0].billing.address.country = "AT".into(); // Zeppelin
    customers[0].billing.address.postal_code = "1010".into();
    customers[2].version = 7; // Lefèvre
    customers[4].updated = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap(); // Aurora
    let mut s = state_with(customers);
    keys(&mut s, "G");
    assert_eq!(selected_name(&s), "株式会社さくら精機");
    let names = |s: &konto::app::State| -> Vec<String> {
        (0..s.visible().len())
            .map(|i| s.list.row(i).unwrap().name().to_string())
            .collect()
    };
    keys(&mut s, "s");
    assert_eq!(s.sort, konto::app::SortBy::Country);
    assert_eq!(names(&s)[0], "Zeppelin Logistik AG", "AT before DE");
    assert_eq!(selected_name(&s), "株式会社さくら精機", "selection kept");
    keys(&mut s, "s");
    assert_eq!(names(&s)[0], "Aurora Analytics Inc.", "newest first");
    keys(&mut s, "s");
    assert_eq!(
        names(&s)[0],
        "Boulangerie Lefèvre SARL",
        "highest version first"
    );
    // Ties keep the company-name order: the sort is stable.
    assert_eq!(
        names(&s)[1..],
        [
            "Ärztehaus Nord GmbH",
            "Aurora Analytics Inc.",
            "Zeppelin Logistik AG",
            "株式会社さくら精機"
        ]
    );
    keys(&mut s, "s");
    assert_eq!(s.sort, konto::app::SortBy::Name);
    assert_eq!(selected_name(&s), "株式会社さくら精機");
}

#[test]
fn the_filter_takes_several_words_and_field_prefixes() {
    let mut customers = customers();
    customers[2].billing.address.country = "FR".into(); // Lefèvre
    customers[2].billing.address.postal_code = "75008".into();
    customers[2].billing.culture = "fr-FR".into();
    customers[2].billing.language = "fr".into();
    let mut s = state_with(customers);
    keys(&mut s, "/country:fr");
    assert_eq!(s.visible().len(), 1);
    assert_eq!(selected_name(&s), "Boulangerie Lefèvre SARL");
    keys(&mut s, "<C-u>jürgen gmbh");
    assert_eq!(
        s.visible().len(),
        1,
        "both words: the contact and the legal form"
    );
    assert_eq!(selected_name(&s), "Ärztehaus Nord GmbH");
}

/// Marking reads nothing, and neither does opening the bulk form: the
/// marked customers' records are asked for when it is submitted (at a
/// million customers `*` read them all before its frame), and the submit
/// goes on once they are read; one that could not be read is reported.
#[test]
fn marked_records_are_read_when_the_bulk_change_is_submitted() {
    use konto::listing::Row;
    let all = customers();
    let rows: Vec<Row> = all.iter().map(Row::of).collect();
    let mut s = loaded_as_rows(&rows, None);
    let selected = s.selected_id().unwrap();
    keys(&mut s, "*");
    assert_eq!(s.marked.len(), all.len());
    assert_eq!(s.wanted_records(), vec![selected.clone()]);
    let first = all.iter().find(|c| c.id == selected).unwrap().clone();
    update(&mut s, Action::Records(vec![first]));
    keys(&mut s, "u");
    assert!(s.wanted_records().is_empty(), "the form opens at once");
    focus(&mut s, FieldId::City);
    keys(&mut s, "Hamburg");
    assert_eq!(keys(&mut s, "<C-s>"), Command::None);
    assert_eq!(s.mode(), Mode::Form, "waiting for the records");
    let mut wanted = s.wanted_records();
    wanted.sort();
    let mut others: Vec<String> = all
        .iter()
        .map(|c| c.id.clone())
        .filter(|id| *id != selected)
        .collect();
    others.sort();
    assert_eq!(wanted, others, "the submit asks for every marked customer");
    // All but one arrive (the last was deleted meanwhile, say).
    let (gone, read) = others.split_last().unwrap();
    update(
        &mut s,
        Action::Records(
            all.iter()
                .filter(|c| read.contains(&c.id))
                .cloned()
                .collect(),
        ),
    );
    assert!(s.wanted_records().is_empty(), "asked once, not again");
    assert_eq!(s.mode(), Mode::BulkFailed);
    let failures = &bulk_failures(&s);
    assert_eq!(failures.len(), 1);
    assert!(failures[0].contains(gone.as_str()), "{}", failures[0]);
    // With every record there, the same submit goes to the review.
    keys(&mut s, "<Esc>");
    update(
        &mut s,
        Action::Records(all.iter().filter(|c| c.id == *gone).cloned().collect()),
    );
    keys(&mut s, "<C-s>");
    assert_eq!(s.mode(), Mode::Review);
    let Command::CommitMany { records, .. } = keys(&mut s, "<Enter>") else {
        panic!("no bulk commit");
    };
    assert_eq!(records.len(), all.len());
    assert!(records.iter().all(|r| r.billing.address.city == "Hamburg"));
}

#[test]
fn rows_streamed_in_after_the_first_page_join_the_list_and_the_filter() {
    use konto::listing::{Listing, Row};
    let all = customers();
    let rows: Vec<Row> = all.iter().map(Row::of).collect();
    let sorted = Listing::of_rows(konto::domain::Cloud::Commercial, &rows);
    let in_order: Vec<Row> = sorted
        .by_name()
        .iter()
        .map(|&i| sorted.get(i as usize).unwrap().to_row())
        .collect();
    let (page, rest) = in_order.split_at(2);
    let mut s = loaded_as_rows(page, Some(all.len()));
    assert_eq!(
        s.list.total(),
        all.len(),
        "the count is known before the rows"
    );
    assert_eq!(s.visible().len(), 2);
    // The selected customer's record is asked for, not assumed.
    assert_eq!(s.wanted_records(), vec![page[0].id.clone()]);
    keys(&mut s, "/zeppelin");
    assert!(s.visible().is_empty(), "not streamed in yet");
    update(
        &mut s,
        Action::RowsLoaded {
            rows: Listing::of_rows(konto::domain::Cloud::Commercial, rest),
            done: true,
        },
    );
    assert!(s.list.loading.is_none());
    assert_eq!(s.list.total(), all.len());
    assert_eq!(s.visible().len(), 1, "the filter covers the new rows");
    assert_eq!(s.list.row(0).unwrap().name(), "Zeppelin Logistik AG");
}

#[test]
fn filter_steps_grow_when_quick_and_shrink_when_slow_within_bounds() {
    use konto::app::{FILTER_STEP_ROWS, next_step_rows};
    use std::time::Duration;
    let ms = Duration::from_millis;
    // A quick step (the 5 ms a step aims at would take three times the
    // rows): the next is halfway there.
    let next = next_step_rows(FILTER_STEP_ROWS, Duration::from_micros(1_667));
    assert!((23_000..=25_000).contains(&next), "{next}");
    // Right on time: unchanged.
    assert_eq!(next_step_rows(20_000, ms(5)), 20_000);
    // Slow: smaller, but never below half the first step's size.
    assert_eq!(next_step_rows(20_000, ms(10)), 15_000);
    assert_eq!(
        next_step_rows(FILTER_STEP_ROWS / 2, ms(500)),
        FILTER_STEP_ROWS / 2
    );
    // However quick: at most four times the first step's size.
    assert_eq!(next_step_rows(40_000, Duration::ZERO), FILTER_STEP_ROWS * 4);
    // Many steps in a row settle where a step takes about 5 ms.
    let mut rows = FILTER_STEP_ROWS;
    for _ in 0..20 {
        // 0.2 µs a row.
        rows = next_step_rows(rows, Duration::from_nanos(rows as u64 * 200));
    }
    assert!((24_000..=26_000).contains(&rows), "{rows}");
}

/// A key that cannot be used says why, in the words `available` gives the
/// key bar and the help, and changes nothing.
#[test]
fn a_refused_key_says_what_available_says_and_changes_nothing() {
    use konto::app::available;
    use konto::keymap::Intent;
    let check = |mut s: konto::app::State, pressed: &str, intent: Intent| {
        let why = available(intent, &s).expect_err("refused");
        let mode = s.mode();
        let marked = s.marked.clone();
        assert_eq!(keys(&mut s, pressed), Command::None, "{pressed}");
        assert_eq!(s.status.as_ref(), Some(&why), "{pressed}");
        assert_eq!(s.mode(), mode, "{pressed}");
        assert_eq!(s.marked, marked, "{pressed}");
    };
    let helpdesk = || with_role(Role::Helpdesk, false);
    check(helpdesk(), "u", Intent::OpenForm);
    check(helpdesk(), "<Space>", Intent::Mark);
    check(helpdesk(), "*", Intent::MarkAll);
    check(helpdesk(), "p", Intent::ToggleReservations);
    check(
        with_role(Role::Sales, false),
        "P",
        Intent::ToggleSavingsPlan,
    );
    // Nothing listed: nothing to open, copy or look up.
    let mut nothing = state();
    keys(&mut nothing, "/xyzzy qqq<Enter>");
    check(nothing.clone(), "u", Intent::OpenForm);
    check(nothing.clone(), "y", Intent::Copy);
    check(nothing, "h", Intent::History);
    // A history without changes: nothing to revert.
    let mut history = state();
    keys(&mut history, "h");
    history_loaded(&mut history, Vec::new());
    check(history, "r", Intent::Revert);
    // A field without a list of values.
    let mut form = state();
    keys(&mut form, "u");
    focus(&mut form, FieldId::City);
    check(form, "<C-p>", Intent::Pick);
}
