//! Whether an intent can be used right now. One answer feeds the key bar
//! and the help (which dim what cannot be used, as gitui's
//! `CommandInfo { enabled }`) and the message a refused key shows, so what
//! looks usable is what works.

use super::{BULK_MAX, Picker, Screen, State, Status, StatusKind};
use crate::domain::{FieldId, spec};
use crate::keymap::Intent;
use crate::t;

/// `Ok` when `intent` would do what it says on the screen in front (the
/// help aside); else why not, as the status line says it.
pub fn available(intent: Intent, state: &State) -> Result<(), Status> {
    match intent {
        Intent::OpenForm => {
            allowed(state.access.may_edit())?;
            if state.marked.is_empty() {
                has_customer(state)?;
            }
            Ok(())
        }
        Intent::Mark => allowed(state.access.may_edit()),
        Intent::MarkAll => {
            allowed(state.access.may_edit())?;
            if state.visible().len() > BULK_MAX {
                return Err(error(t!("status.bulk_too_many", max = BULK_MAX)));
            }
            Ok(())
        }
        Intent::ToggleReservations | Intent::ToggleSavingsPlan => {
            allowed(state.access.may_change_permissions())?;
            has_customer(state)
        }
        Intent::Copy | Intent::History => has_customer(state),
        Intent::TakeMine | Intent::TakeTheirs | Intent::EditField => both_changed(state),
        Intent::Revert => revertable(state),
        Intent::Pick => pickable(state),
        // Always usable where they are bound.
        Intent::Up
        | Intent::Down
        | Intent::PageUp
        | Intent::PageDown
        | Intent::Top
        | Intent::Bottom
        | Intent::StartFilter
        | Intent::AcceptFilter
        | Intent::ClearFilter
        | Intent::ToggleFocus
        | Intent::SwitchCloud
        | Intent::Quit
        | Intent::Yes
        | Intent::No
        | Intent::NextField
        | Intent::PrevField
        | Intent::Submit
        | Intent::Cancel
        | Intent::Reload
        | Intent::Reapply
        | Intent::Help
        | Intent::Suspend
        | Intent::Sort => Ok(()),
    }
}

/// The merge view has a field both sides changed, to choose for.
fn both_changed(state: &State) -> Result<(), Status> {
    match &state.screen {
        Screen::Form(screen) => match &screen.overlay {
            Some(super::FormOverlay::Conflict(c)) if !c.choices.is_empty() => Ok(()),
            _ => Err(info(t!("status.nothing_to_choose"))),
        },
        _ => Err(info(t!("status.nothing_to_choose"))),
    }
}

fn error(text: String) -> Status {
    Status {
        text,
        kind: StatusKind::Error,
    }
}

fn info(text: impl Into<String>) -> Status {
    Status {
        text: text.into(),
        kind: StatusKind::Info,
    }
}

/// The operator's role allows it.
fn allowed(verdict: Result<(), String>) -> Result<(), Status> {
    verdict.map_err(|why| error(t!("status.not_allowed", reason = why)))
}

/// A customer is selected (and its record read).
fn has_customer(state: &State) -> Result<(), Status> {
    match state.selected_customer() {
        Some(_) => Ok(()),
        None => Err(info(t!("status.no_customer"))),
    }
}

/// In the history: a change is selected, and the operator may undo it.
fn revertable(state: &State) -> Result<(), Status> {
    let Screen::History(view) = &state.screen else {
        return Ok(());
    };
    let Some(entry) = view.entries.get(view.selected) else {
        return Err(info(t!("status.no_change")));
    };
    let keys: Vec<&str> = entry.changes.iter().map(|c| c.field.as_str()).collect();
    allowed(state.access.may_change(&keys))
}

/// In the form: the focused field has a list of values.
fn pickable(state: &State) -> Result<(), Status> {
    let Some(id) = state.form().and_then(|form| form.focused_id()) else {
        return Ok(());
    };
    let country = state.form().map_or("", |form| form.value(FieldId::Country));
    if Picker::has_list(id, country) {
        Ok(())
    } else {
        Err(info(t!("status.no_list", field = spec(id).title())))
    }
}
