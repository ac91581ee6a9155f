//! The form screen: keys in the form, submitting it (one customer, or a
//! bulk change), and the dialogs over it: picker, discard, warnings,
//! review, conflict and a bulk change's failures.

use std::collections::HashMap;

use super::form::filled;
use super::{
    Command, Conflict, Form, FormKind, FormOverlay, FormScreen, Pending, Picker, Reply, Screen,
    State, Step, reply,
};
use crate::domain::{AuditAction, Customer, FIELDS, FieldId};
use crate::keymap::Intent;
use crate::t;
use crate::validate::{Policy, check_record};

pub(super) fn on_intent(state: &mut State, screen: FormScreen, intent: Intent) -> Step {
    let FormScreen { form, overlay } = screen;
    match overlay {
        None => on_form(state, form, intent),
        Some(FormOverlay::Pick(picker)) => on_pick(form, picker, intent),
        Some(FormOverlay::ConfirmDiscard { then_quit }) => {
            on_discard(state, form, intent, then_quit)
        }
        Some(FormOverlay::ConfirmWarnings(record)) => on_warnings(form, intent, record),
        Some(FormOverlay::Review(pending)) => on_review(state, form, intent, pending),
        Some(FormOverlay::Conflict(conflict)) => on_conflict(state, form, intent, *conflict),
        Some(FormOverlay::BulkFailed(failures)) => on_bulk_failed(form, intent, failures),
    }
}

fn on_form(state: &mut State, mut form: Form, intent: Intent) -> Step {
    match intent {
        Intent::NextField => form.move_focus(1),
        Intent::PrevField => form.move_focus(-1),
        Intent::Submit => return submit(state, form),
        Intent::Pick => return pick(form),
        Intent::Cancel => return close(form, false),
        Intent::Quit => return close(form, true),
        // Not bound in the form (Help and Suspend are answered before any
        // screen).
        Intent::Up
        | Intent::Down
        | list_intents!()
        | Intent::Yes
        | Intent::No
        | Intent::Revert
        | conflict_intents!()
        | global_intents!() => {}
    }
    (Screen::form(form), Command::None)
}

/// Esc (or Ctrl-C, `then_quit`): a changed form asks first.
fn close(form: Form, then_quit: bool) -> Step {
    if form.is_dirty() {
        return (
            Screen::form_with(form, FormOverlay::ConfirmDiscard { then_quit }),
            Command::None,
        );
    }
    let command = if then_quit {
        Command::Quit
    } else {
        Command::None
    };
    (Screen::Browse(None), command)
}

/// Ctrl-P: the focused field's list of values (`available` where it has
/// one).
fn pick(form: Form) -> Step {
    let record = form.proposed();
    let picker = form
        .focused_id()
        .and_then(|id| Picker::for_field(id, &record, record.field(id)));
    match picker {
        Some(picker) => (
            Screen::form_with(form, FormOverlay::Pick(picker)),
            Command::None,
        ),
        None => (Screen::form(form), Command::None),
    }
}

/// Ctrl-S: check everything; then warnings (once), then the review. A bulk
/// form applies its filled fields to every marked customer and checks each
/// result; any invalid one stops the change with a list.
pub(super) fn submit(state: &mut State, mut form: Form) -> Step {
    match &mut form.kind {
        FormKind::Single { warnings_confirmed } => {
            let confirmed = *warnings_confirmed;
            submit_one(state, form, confirmed)
        }
        FormKind::Bulk { ids, reading } => {
            let filled = filled(&form.fields);
            if filled.is_empty() {
                state.info(t!("status.bulk_empty"));
                return (Screen::form(form), Command::None);
            }
            if !*reading && ids.iter().any(|id| !state.list.records.contains_key(id)) {
                // The runtime reads them before the next frame, then hands
                // them over (`Action::Records`), which submits again.
                *reading = true;
                return (Screen::form(form), Command::None);
            }
            *reading = false;
            let (proposals, failures) =
                check_bulk(&state.list.records, ids, &filled, &state.policy);
            if !failures.is_empty() {
                state.error(t!("status.bulk_invalid", count = failures.len()));
                let overlay = FormOverlay::BulkFailed(failures);
                return (Screen::form_with(form, overlay), Command::None);
            }
            if proposals.is_empty() {
                state.info(t!("status.bulk_nothing"));
                return (Screen::Browse(None), Command::None);
            }
            state.status = None;
            let overlay = FormOverlay::Review(Pending::Many(proposals));
            (Screen::form_with(form, overlay), Command::None)
        }
    }
}

fn submit_one(state: &mut State, mut form: Form, warnings_confirmed: bool) -> Step {
    let Some(record) = form.validate() else {
        let count = form.errors.len();
        state.error(if count == 1 {
            t!("status.invalid_one").to_string()
        } else {
            t!("status.invalid_many", count = count)
        });
        return (Screen::form(form), Command::None);
    };
    if record == form.original {
        state.info(t!("status.nothing_to_save"));
        return (Screen::Browse(None), Command::None);
    }
    let has_warnings = !form.warnings(&record).is_empty();
    state.status = None;
    let record = Box::new(record);
    let overlay = if has_warnings && !warnings_confirmed {
        FormOverlay::ConfirmWarnings(record)
    } else {
        FormOverlay::Review(Pending::One(record))
    };
    (Screen::form_with(form, overlay), Command::None)
}

/// Each of `ids` with the `filled` fields applied and checked: the records
/// that change, and why the others would be invalid.
fn check_bulk(
    records: &HashMap<String, Customer>,
    ids: &[String],
    filled: &[(FieldId, String)],
    policy: &Policy,
) -> (Vec<Customer>, Vec<String>) {
    let mut proposals = Vec::new();
    let mut failures = Vec::new();
    for id in ids {
        let Some(customer) = records.get(id) else {
            failures.push(t!("status.record_unreadable", id = id));
            continue;
        };
        let mut record = customer.clone();
        for (field, value) in filled {
            record.set_field(*field, value.clone());
        }
        match check_record(&record, policy) {
            Ok(normalised) if normalised != *customer => proposals.push(normalised),
            Ok(_) => {}
            Err(errors) => {
                let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
                failures.push(format!(
                    "{} ({}): {}",
                    customer.company.name,
                    customer.billing.address.country,
                    reasons.join("; ")
                ));
            }
        }
    }
    (proposals, failures)
}

/// A changed field: (label, old value, new value).
pub type Change = (&'static str, String, String);

/// The fields `new` changes from `old`, in the catalogue's order.
pub fn changes(old: &Customer, new: &Customer) -> Vec<Change> {
    FIELDS
        .iter()
        .filter(|f| old.field(f.id) != new.field(f.id))
        .map(|f| {
            (
                f.title(),
                old.field(f.id).to_string(),
                new.field(f.id).to_string(),
            )
        })
        .collect()
}

/// For a bulk review: the changes of the first few records, as (company,
/// changes).
pub type BulkSample = Vec<(String, Vec<Change>)>;

/// The changes of the first `sample` of a bulk change's `records`, each
/// against the stored record.
pub fn bulk_review(state: &State, records: &[Customer], sample: usize) -> BulkSample {
    records
        .iter()
        .take(sample)
        .filter_map(|new| {
            let old = state.record(&new.id)?;
            Some((new.company.name.clone(), changes(old, new)))
        })
        .collect()
}

fn on_pick(mut form: Form, mut picker: Picker, intent: Intent) -> Step {
    match intent {
        Intent::Up => picker.move_by(-1),
        Intent::Down => picker.move_by(1),
        Intent::Yes => {
            if let Some(option) = picker.chosen() {
                form.set_focused(&option.value);
            }
            return (Screen::form(form), Command::None);
        }
        Intent::No => return (Screen::form(form), Command::None),
        Intent::Quit => {
            return (
                Screen::form_with(form, FormOverlay::Pick(picker)),
                Command::Quit,
            );
        }
        // Not bound in the picker (Help and Suspend are answered before
        // any screen).
        Intent::Cancel
        | list_intents!()
        | form_intents!()
        | Intent::Revert
        | conflict_intents!()
        | global_intents!() => {}
    }
    (
        Screen::form_with(form, FormOverlay::Pick(picker)),
        Command::None,
    )
}

fn on_discard(state: &mut State, form: Form, intent: Intent, then_quit: bool) -> Step {
    let asking = |form| Screen::form_with(form, FormOverlay::ConfirmDiscard { then_quit });
    match reply(intent) {
        Reply::Yes => {
            state.info(t!("status.discarded"));
            let command = if then_quit {
                Command::Quit
            } else {
                Command::None
            };
            (Screen::Browse(None), command)
        }
        Reply::No => (Screen::form(form), Command::None),
        // Ctrl-C at the question means: yes, really leave.
        Reply::Unanswered(command) => (asking(form), command),
    }
}

fn on_warnings(mut form: Form, intent: Intent, record: Box<Customer>) -> Step {
    match reply(intent) {
        Reply::Yes => {
            if let FormKind::Single { warnings_confirmed } = &mut form.kind {
                *warnings_confirmed = true;
            }
            let overlay = FormOverlay::Review(Pending::One(record));
            (Screen::form_with(form, overlay), Command::None)
        }
        Reply::No => (Screen::form(form), Command::None),
        Reply::Unanswered(command) => (
            Screen::form_with(form, FormOverlay::ConfirmWarnings(record)),
            command,
        ),
    }
}

/// Yes writes what the review shows; the form stays until the store says
/// how it went.
fn on_review(state: &mut State, form: Form, intent: Intent, pending: Pending) -> Step {
    match reply(intent) {
        Reply::Yes => {
            let command = match pending {
                Pending::One(record) => {
                    state.info(t!("status.saving"));
                    Command::Commit {
                        action: AuditAction::Update,
                        record,
                    }
                }
                Pending::Many(records) => {
                    state.info(t!("status.saving_many", count = records.len()));
                    Command::CommitMany {
                        action: AuditAction::Update,
                        records,
                    }
                }
            };
            (Screen::form(form), command)
        }
        Reply::No => (Screen::form(form), Command::None),
        Reply::Unanswered(command) => (
            Screen::form_with(form, FormOverlay::Review(pending)),
            command,
        ),
    }
}

/// The merge view: ↑↓ pick a field both changed, `m`/`t` take mine or
/// theirs for it; Enter puts the merge on a form of the stored version
/// (`e`: and focuses the field, to edit it); `r` takes the stored record
/// and drops the edit. Either way the list shows what is stored.
fn on_conflict(state: &mut State, form: Form, intent: Intent, mut conflict: Conflict) -> Step {
    match intent {
        Intent::Up => conflict.move_by(-1),
        Intent::Down => conflict.move_by(1),
        Intent::TakeMine | Intent::TakeTheirs => conflict.choose(intent == Intent::TakeTheirs),
        Intent::Reapply | Intent::EditField | Intent::Reload => {
            let mut next = if intent == Intent::Reload {
                form.rebased(&conflict.theirs, false)
            } else {
                form.merged(&conflict)
            };
            if let Some(id) = conflict
                .selected_field()
                .filter(|_| intent == Intent::EditField)
            {
                next.focus_field(id);
            }
            let version = conflict.theirs.version;
            state.replace_customer(conflict.theirs);
            state.info(if intent == Intent::Reload {
                t!("status.reloaded", version = version)
            } else {
                t!("status.reapplied", version = version)
            });
            return (Screen::form(next), Command::None);
        }
        Intent::Cancel => return (Screen::form(form), Command::None),
        Intent::Quit => {
            let overlay = FormOverlay::Conflict(Box::new(conflict));
            return (Screen::form_with(form, overlay), Command::Quit);
        }
        // Not bound in the conflict (Help and Suspend are answered before
        // any screen).
        Intent::Yes
        | Intent::No
        | list_intents!()
        | form_intents!()
        | Intent::Revert
        | global_intents!() => {}
    }
    let overlay = FormOverlay::Conflict(Box::new(conflict));
    (Screen::form_with(form, overlay), Command::None)
}

/// The list of who a bulk change would make invalid: read, then back to
/// the form.
fn on_bulk_failed(form: Form, intent: Intent, failures: Vec<String>) -> Step {
    match reply(intent) {
        Reply::Yes | Reply::No => (Screen::form(form), Command::None),
        Reply::Unanswered(command) => (
            Screen::form_with(form, FormOverlay::BulkFailed(failures)),
            command,
        ),
    }
}
