//! What the runtime reports back: a cloud's list, records read, and how a
//! commit or a history read went.

use super::{Command, Conflict, FormOverlay, HistoryView, Loading, Screen, State, editing};
use crate::domain::{AuditEntry, Cloud, Customer};
use crate::listing::Listing;
use crate::t;

/// A cloud's list (or its first page, with `loading` rows to come).
pub(super) fn loaded(
    state: &mut State,
    cloud: Cloud,
    listing: Listing,
    records: Vec<Customer>,
    loading: Option<usize>,
) {
    // Marks are of a cloud's customers: a reload of the same cloud (for
    // changes elsewhere) keeps them.
    if cloud != state.cloud || state.list.reselect.is_none() {
        state.marked.clear();
    }
    state.cloud = cloud;
    state.list.loading = loading.map(|total| Loading {
        total,
        ..Loading::default()
    });
    state.set_list(listing, records);
    state.select(0);
    state.select_kept();
    state.info(t!(
        "status.loaded",
        cloud = cloud.title(),
        count = state.list.total()
    ));
}

/// Records the screen needed. A bulk submit that waited for its customers'
/// goes on with them (one that could not be read is reported as such).
pub(super) fn records(state: &mut State, records: Vec<Customer>) -> Command {
    state.put_records(records);
    let (screen, command) = match std::mem::take(&mut state.screen) {
        Screen::Form(screen) if screen.overlay.is_none() && screen.form.is_reading() => {
            editing::submit(state, screen.form)
        }
        // Nothing else waits for records.
        screen @ (Screen::Form(_) | Screen::Browse(_) | Screen::History(_)) => {
            (screen, Command::None)
        }
    };
    state.screen = screen;
    command
}

/// A commit went through: the form closes. A revert from the history view
/// shows the history again, with the new entry.
pub(super) fn saved(state: &mut State, customer: Customer) -> Command {
    let text = t!(
        "status.saved",
        company = customer.company.name,
        version = customer.version
    );
    let id = customer.id.clone();
    state.replace_customer(customer);
    state.success(text);
    match std::mem::take(&mut state.screen) {
        Screen::History(view) => {
            state.screen = Screen::History(HistoryView {
                confirm_revert: None,
                ..view
            });
            Command::LoadHistory {
                cloud: state.cloud,
                id,
            }
        }
        Screen::Form(_) | Screen::Browse(_) => Command::None,
    }
}

pub(super) fn bulk_saved(state: &mut State, saved: Vec<Customer>) {
    let count = saved.len();
    for customer in saved {
        state.replace_customer(customer);
    }
    state.marked.clear();
    state.screen = Screen::Browse(None);
    state.success(t!("status.bulk_saved", count = count));
}

/// The commit was based on an old version. The form shows theirs against
/// yours; a permission toggle or revert on a stale list shows what is
/// stored now.
pub(super) fn conflict(state: &mut State, theirs: Customer, fields: Vec<String>) {
    match &mut state.screen {
        Screen::Form(screen) => {
            let conflict = Conflict::new(&screen.form, theirs, fields);
            screen.overlay = Some(FormOverlay::Conflict(Box::new(conflict)));
            state.error(t!("status.changed_while_editing"));
        }
        Screen::Browse(_) | Screen::History(_) => {
            let company = theirs.company.name.clone();
            state.replace_customer(theirs);
            state.error(t!("status.changed_meanwhile", company = company));
        }
    }
}

/// A customer's audit entries, oldest first: shown newest first.
pub(super) fn history_loaded(state: &mut State, id: String, mut entries: Vec<AuditEntry>) {
    let company = state
        .record(&id)
        .map(|c| c.company.name.clone())
        .unwrap_or_default();
    entries.reverse();
    state.screen = Screen::History(HistoryView {
        id,
        company,
        entries,
        selected: 0,
        confirm_revert: None,
    });
}

/// The store had nothing to change: a form closes, the history stays.
pub(super) fn unchanged(state: &mut State, customer: Customer) {
    state.screen = match std::mem::take(&mut state.screen) {
        Screen::History(view) => Screen::History(view),
        Screen::Form(_) | Screen::Browse(_) => Screen::Browse(None),
    };
    state.replace_customer(customer);
    state.info(t!("status.nothing_to_save"));
}

/// A commit was refused: back to where it was asked for, the form's
/// typing kept.
pub(super) fn commit_failed(state: &mut State, message: &str) {
    state.screen = match std::mem::take(&mut state.screen) {
        Screen::Form(screen) => Screen::form(screen.form),
        Screen::History(view) => Screen::History(HistoryView {
            confirm_revert: None,
            ..view
        }),
        Screen::Browse(_) => Screen::Browse(None),
    };
    state.error(t!("status.not_saved", reason = message));
}
