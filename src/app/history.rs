//! The history screen: a customer's changes, newest first, and reverting
//! one after asking.

use super::{Command, Reply, Screen, State, Step, reply};
use crate::domain::AuditEntry;
use crate::keymap::Intent;
use crate::t;

/// The change history of one customer, newest first.
#[derive(Clone, Debug)]
pub struct HistoryView {
    pub id: String,
    pub company: String,
    pub entries: Vec<AuditEntry>,
    /// Index into `entries`.
    pub selected: usize,
    /// Asking before the change of this version is reverted.
    pub confirm_revert: Option<u64>,
}

pub(super) fn on_intent(state: &mut State, view: HistoryView, intent: Intent) -> Step {
    match view.confirm_revert {
        Some(version) => on_confirm_revert(state, view, intent, version),
        None => on_history(view, intent),
    }
}

fn on_history(mut view: HistoryView, intent: Intent) -> Step {
    match intent {
        Intent::Up => view.selected = view.selected.saturating_sub(1),
        Intent::Down => {
            view.selected = (view.selected + 1).min(view.entries.len().saturating_sub(1))
        }
        Intent::Revert => {
            view.confirm_revert = view.entries.get(view.selected).map(|e| e.version);
        }
        Intent::Cancel => return (Screen::Browse(None), Command::None),
        Intent::Quit => return (Screen::History(view), Command::Quit),
        // Not bound in the history (Help and Suspend are answered before
        // any screen).
        Intent::Yes
        | Intent::No
        | list_intents!()
        | form_intents!()
        | conflict_intents!()
        | global_intents!() => {}
    }
    (Screen::History(view), Command::None)
}

/// Yes asks the store to revert; any other key closes the question.
fn on_confirm_revert(
    state: &mut State,
    mut view: HistoryView,
    intent: Intent,
    version: u64,
) -> Step {
    view.confirm_revert = None;
    let command = match reply(intent) {
        Reply::Yes => {
            state.info(t!("status.reverting"));
            Command::Revert {
                cloud: state.cloud,
                id: view.id.clone(),
                version,
            }
        }
        Reply::No => Command::None,
        Reply::Unanswered(command) => command,
    };
    (Screen::History(view), command)
}
