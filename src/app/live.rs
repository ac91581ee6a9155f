//! Others' work arriving while the app runs: the runtime polls the store's
//! change feed and reports what changed; the list and the detail pane
//! follow it, and an open form of a changed customer says who changed
//! what (its Submit then meets the conflict and its merge view).

use super::{Command, FormKind, Screen, State};
use crate::domain::{AuditEntry, Customer, label_for_key};
use crate::t;

/// Customers changed elsewhere: the list takes the newer ones (see
/// `State::take_changes`); more than the feed lists reloads the list.
pub(super) fn changed_elsewhere(
    state: &mut State,
    customers: Vec<Customer>,
    history: &[AuditEntry],
    reload: bool,
) -> Command {
    if reload {
        state.list.reselect = state.selected_id();
        return Command::Load(state.cloud);
    }
    let taken = state.take_changes(customers);
    if let Screen::Form(screen) = &mut state.screen
        && matches!(screen.form.kind, FormKind::Single { .. })
    {
        let form = &mut screen.form;
        let base = &form.original;
        if let Some(now) = taken
            .iter()
            .find(|c| c.id == base.id && c.version > base.version)
        {
            form.changed_elsewhere = Some(banner(base, now, history));
        }
    }
    Command::None
}

/// The store stopped or started answering: the header says
/// `reconnecting…` meanwhile, the status line when it is back.
pub(super) fn reachable(state: &mut State, reachable: bool) {
    if reachable && state.reconnecting {
        state.info(t!("status.reconnected"));
    }
    state.reconnecting = !reachable;
}

/// `changed by maria 14:03, v7 → v8: City, Phone`: who wrote the versions
/// after the form's, when the last was written, and the fields they changed.
pub fn banner(base: &Customer, now: &Customer, history: &[AuditEntry]) -> String {
    let newer: Vec<&AuditEntry> = history
        .iter()
        .filter(|e| e.id == base.id && e.version > base.version)
        .collect();
    let mut who: Vec<&str> = Vec::new();
    for e in &newer {
        if !who.contains(&e.operator.as_str()) {
            who.push(&e.operator);
        }
    }
    let mut fields: Vec<&str> = Vec::new();
    for change in newer.iter().flat_map(|e| &e.changes) {
        let label = label_for_key(&change.field);
        if !fields.contains(&label) {
            fields.push(label);
        }
    }
    t!(
        "form.changed_elsewhere",
        who = who.join(", "),
        time = newer
            .last()
            .map(|e| crate::i18n::clock(e.time))
            .unwrap_or_default(),
        from = base.version,
        to = now.version,
        fields = fields.join(", ")
    )
}
