//! The browse screen: moving through the list and the detail, the filter
//! prompt, marks, and the questions asked over the list (a permission, a
//! draft to take back). The mouse works here and in the form.

use super::{
    BrowseOverlay, Command, Form, MouseKind, Pane, Reply, Screen, State, Step, refuse, reply,
};
use crate::domain::{AuditAction, FIELDS, FieldId, Permission, spec};
use crate::draft::Draft;
use crate::keymap::Intent;
use crate::layout;
use crate::t;

pub(super) fn on_intent(state: &mut State, overlay: Option<BrowseOverlay>, intent: Intent) -> Step {
    match overlay {
        None => on_list(state, intent, false),
        Some(BrowseOverlay::Filter) => on_list(state, intent, true),
        Some(BrowseOverlay::ConfirmPermission { permission, allow }) => {
            on_permission(state, intent, permission, allow)
        }
        Some(BrowseOverlay::RestoreDraft(draft)) => on_restore_draft(state, intent, draft),
    }
}

/// Keys over the list, with the filter prompt open (`filtering`) or not.
/// Some open another layer; the others act on the list and stay.
fn on_list(state: &mut State, intent: Intent, filtering: bool) -> Step {
    let stay = || Screen::Browse(filtering.then_some(BrowseOverlay::Filter));
    match intent {
        Intent::StartFilter => {
            state.focus = Pane::List;
            return (Screen::Browse(Some(BrowseOverlay::Filter)), Command::None);
        }
        Intent::AcceptFilter => return (Screen::Browse(None), Command::None),
        Intent::ClearFilter => {
            let keep = state.selected_index();
            state.filter.reset();
            state.apply_filter(keep);
            return (Screen::Browse(None), Command::None);
        }
        Intent::OpenForm => return (open_form(state).unwrap_or_else(stay), Command::None),
        Intent::ToggleReservations | Intent::ToggleSavingsPlan => {
            let permission = if intent == Intent::ToggleReservations {
                Permission::AzureReservations
            } else {
                Permission::AzureSavingsPlan
            };
            let asking = ask_permission(state, permission).unwrap_or_else(stay);
            return (asking, Command::None);
        }
        Intent::Up => step(state, -1, filtering),
        Intent::Down => step(state, 1, filtering),
        Intent::PageUp => state.move_by(-(state.page_rows() as isize)),
        Intent::PageDown => state.move_by(state.page_rows() as isize),
        Intent::Top => state.select(0),
        Intent::Bottom => state.select(usize::MAX),
        Intent::ToggleFocus => {
            state.focus = match state.focus {
                Pane::List => Pane::Detail,
                Pane::Detail => Pane::List,
            };
        }
        Intent::Mark => mark(state),
        Intent::MarkAll => mark_all(state),
        Intent::Sort => {
            state.set_sort(state.sort.next());
            state.info(t!("status.sorted", order = state.sort.title()));
        }
        Intent::Copy => return (stay(), copy(state)),
        Intent::History => return (stay(), load_history(state)),
        Intent::SwitchCloud => {
            let next = state.cloud.other();
            state.info(t!("status.loading", cloud = next.title()));
            return (stay(), Command::Load(next));
        }
        Intent::Quit => return (stay(), Command::Quit),
        // Not bound over the list (Help and Suspend are answered before
        // any screen).
        Intent::Yes
        | Intent::No
        | Intent::Cancel
        | form_intents!()
        | Intent::Revert
        | conflict_intents!()
        | global_intents!() => {}
    }
    (stay(), Command::None)
}

/// An arrow moves through the list, or through the detail's fields while
/// it has the focus (not while the filter is typed).
fn step(state: &mut State, delta: isize, filtering: bool) {
    if state.focus == Pane::Detail && !filtering {
        state.detail_field = state
            .detail_field
            .saturating_add_signed(delta)
            .min(FIELDS.len() - 1);
    } else {
        state.move_by(delta);
    }
}

/// The form of the marked customers (a bulk form), else of the selected one.
fn open_form(state: &mut State) -> Option<Screen> {
    let form = if state.marked.is_empty() {
        Form::new(state.selected_customer()?, &state.policy)
    } else {
        let ids = state.marked.iter().cloned().collect();
        Form::bulk(ids, &state.policy)
    };
    state.status = None;
    Some(Screen::form(form))
}

/// Space: marks or unmarks the selected customer and moves on.
fn mark(state: &mut State) {
    if let Some(id) = state.selected_id()
        && !state.marked.remove(&id)
    {
        state.marked.insert(id);
    }
    state.move_by(1);
}

/// `*`: marks every listed customer, or unmarks them if all are marked.
fn mark_all(state: &mut State) {
    let listed = state.visible_ids();
    if listed.iter().all(|id| state.marked.contains(id)) {
        for id in &listed {
            state.marked.remove(id);
        }
    } else {
        state.marked.extend(listed);
    }
}

/// `y`: the selected field of the detail, or the customer id from the list.
fn copy(state: &mut State) -> Command {
    let Some(customer) = state.selected_customer() else {
        return Command::None;
    };
    let (label, value) = match (state.focus, FIELDS.get(state.detail_field)) {
        (Pane::Detail, Some(field)) => (field.title(), customer.field(field.id).to_string()),
        (Pane::List | Pane::Detail, _) => (spec(FieldId::Id).title(), customer.id.clone()),
    };
    state.info(t!("status.copied", what = label));
    Command::Copy(value)
}

fn load_history(state: &State) -> Command {
    match state.selected_customer() {
        Some(customer) => Command::LoadHistory {
            cloud: state.cloud,
            id: customer.id.clone(),
        },
        None => Command::None,
    }
}

/// Asks before a purchase permission of the selected customer changes.
fn ask_permission(state: &State, permission: Permission) -> Option<Screen> {
    let allow = !state.selected_customer()?.permissions.get(permission);
    Some(Screen::Browse(Some(BrowseOverlay::ConfirmPermission {
        permission,
        allow,
    })))
}

/// The question asked before a permission changes.
pub fn permission_question(company: &str, permission: Permission, allow: bool) -> String {
    if allow {
        t!(
            "dialog.allow",
            company = company,
            permission = permission.title()
        )
    } else {
        t!(
            "dialog.stop",
            company = company,
            permission = permission.title()
        )
    }
}

fn on_permission(state: &mut State, intent: Intent, permission: Permission, allow: bool) -> Step {
    let asking = || Screen::Browse(Some(BrowseOverlay::ConfirmPermission { permission, allow }));
    match reply(intent) {
        Reply::Yes => {
            let Some(customer) = state.selected_customer() else {
                return (Screen::Browse(None), Command::None);
            };
            let mut record = customer.clone();
            record.permissions.set(permission, allow);
            let action = if allow {
                AuditAction::PermissionOn
            } else {
                AuditAction::PermissionOff
            };
            let command = Command::Commit {
                action,
                record: Box::new(record),
            };
            (Screen::Browse(None), command)
        }
        Reply::No => {
            state.info(t!(
                "status.permission_unchanged",
                permission = permission.title()
            ));
            (Screen::Browse(None), Command::None)
        }
        Reply::Unanswered(command) => (asking(), command),
    }
}

/// Yes reopens the form with the draft's values (an operator who may not
/// edit is told so, and the draft stays on disk); no forgets it.
fn on_restore_draft(state: &mut State, intent: Intent, draft: Draft) -> Step {
    match reply(intent) {
        Reply::Yes if state.access.may_edit().is_err() => {
            refuse(state, state.access.may_edit());
            (Screen::Browse(None), Command::None)
        }
        Reply::Yes => {
            let Some(customer) = state.record(&draft.id) else {
                state.error(t!("status.draft_gone", company = draft.company));
                return (Screen::Browse(None), Command::ForgetDraft);
            };
            let form = Form::from_draft(customer, &draft, &state.policy);
            state.info(t!("status.draft_back", company = draft.company));
            (Screen::form(form), Command::ForgetDraft)
        }
        Reply::No => {
            state.info(t!("status.draft_dropped"));
            (Screen::Browse(None), Command::ForgetDraft)
        }
        Reply::Unanswered(command) => (
            Screen::Browse(Some(BrowseOverlay::RestoreDraft(draft))),
            command,
        ),
    }
}

/// Clicks select a list row or focus the pane under them; the wheel moves
/// through the pane under it. In the form a click focuses a field. Not over
/// dialogs or the help.
pub(super) fn on_mouse(state: &mut State, kind: MouseKind, column: u16, row: u16) {
    let area = ratatui::layout::Rect::new(0, 0, state.viewport.0, state.viewport.1);
    if state.help.is_some() || layout::too_small(area) {
        return;
    }
    match &mut state.screen {
        Screen::Browse(None) => {}
        Screen::Form(screen) if screen.overlay.is_none() => {
            if kind == MouseKind::Click {
                screen.form.click(layout::form_body(area), column, row);
            }
            return;
        }
        // A dialog is in front, or the history: the mouse does nothing.
        Screen::Browse(Some(_)) | Screen::Form(_) | Screen::History(_) => return,
    }
    on_list_mouse(state, kind, column, row, area);
}

fn on_list_mouse(
    state: &mut State,
    kind: MouseKind,
    column: u16,
    row: u16,
    area: ratatui::layout::Rect,
) {
    let screen = layout::screen(area);
    let at = ratatui::layout::Position::new(column, row);
    if screen.list.contains(at) {
        match kind {
            MouseKind::Click => {
                state.focus = Pane::List;
                // Inside the border: the first row of the list is list.y + 1.
                if row > screen.list.y && row + 1 < screen.list.bottom() {
                    let clicked = state.list_offset + usize::from(row - screen.list.y - 1);
                    if clicked < state.visible().len() {
                        state.select(clicked);
                    }
                }
            }
            MouseKind::WheelUp => state.move_by(-3),
            MouseKind::WheelDown => state.move_by(3),
        }
    } else if screen.detail.contains(at) {
        match kind {
            MouseKind::Click => state.focus = Pane::Detail,
            MouseKind::WheelUp => state.detail_field = state.detail_field.saturating_sub(1),
            MouseKind::WheelDown => {
                state.detail_field = (state.detail_field + 1).min(FIELDS.len() - 1)
            }
        }
    }
}
