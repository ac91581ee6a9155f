//! What is drawn over the screen: the dialog of the layer in front, and the
//! help over everything.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::{bar_keys, field_label, theme};
use crate::app::{
    BrowseOverlay, Conflict, Form, FormKind, FormOverlay, FormScreen, HelpView, HistoryView, Merge,
    Pending, Picker, Screen, State, bulk_review, changes, permission_question,
};
use crate::domain::{Customer, FieldSpec, spec};
use crate::t;
use crate::text::{fit, safe, width, wrap};

/// The dialog over the screen, if one is open.
pub(super) fn overlay(frame: &mut Frame, area: Rect, state: &State) {
    match &state.screen {
        Screen::Browse(None | Some(BrowseOverlay::Filter)) => {}
        Screen::Browse(Some(BrowseOverlay::ConfirmPermission { permission, allow })) => {
            if let Some(customer) = state.selected_customer() {
                let question = permission_question(&customer.company.name, *permission, *allow);
                confirm(
                    frame,
                    area,
                    t!("dialog.permission_title"),
                    &question,
                    dialog_keys(state),
                );
            }
        }
        Screen::Browse(Some(BrowseOverlay::RestoreDraft(draft))) => {
            let question = t!("dialog.draft", company = draft.company);
            let title = t!("dialog.draft_title");
            confirm(frame, area, title, &question, dialog_keys(state));
        }
        Screen::Form(screen) => form_overlay(frame, area, state, screen),
        Screen::History(view) => {
            if let Some(version) = view.confirm_revert {
                revert_question(frame, area, state, view, version);
            }
        }
    }
}

fn form_overlay(frame: &mut Frame, area: Rect, state: &State, screen: &FormScreen) {
    let form = &screen.form;
    let keys = dialog_keys(state);
    match &screen.overlay {
        None => {}
        Some(FormOverlay::Pick(picker)) => picker_popup(frame, area, picker),
        Some(FormOverlay::ConfirmDiscard { .. }) => confirm(
            frame,
            area,
            t!("dialog.discard_title"),
            &t!("dialog.discard", company = form.original.company.name),
            keys,
        ),
        Some(FormOverlay::ConfirmWarnings(record)) => {
            warnings_popup(frame, area, form, record, keys)
        }
        Some(FormOverlay::Review(Pending::One(record))) => {
            review_popup(frame, area, form, record, keys)
        }
        Some(FormOverlay::Review(Pending::Many(records))) => {
            bulk_review_popup(frame, area, state, form, records, keys)
        }
        Some(FormOverlay::Conflict(conflict)) => conflict_popup(frame, area, form, conflict, keys),
        Some(FormOverlay::BulkFailed(failures)) => bulk_failed_popup(frame, area, failures, keys),
    }
}

fn revert_question(frame: &mut Frame, area: Rect, state: &State, view: &HistoryView, version: u64) {
    let fields = view
        .entries
        .iter()
        .find(|e| e.version == version)
        .map(|e| {
            e.changes
                .iter()
                .map(|c| crate::domain::label_for_key(&c.field))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let question = t!(
        "dialog.revert",
        version = version,
        company = view.company,
        fields = fields
    );
    let title = t!("dialog.revert_title");
    confirm(frame, area, title, &question, dialog_keys(state));
}

/// A centred box over the screen holding `lines`; returns its inner area.
fn popup(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line<'static>>) -> Rect {
    let content_width = lines.iter().map(Line::width).max().unwrap_or(0);
    let width = (content_width + 4)
        .max(width(title) + 6)
        .max(30)
        .min(usize::from(area.width)) as u16;
    let height = (lines.len() + 2).min(usize::from(area.height)) as u16;
    let [popup] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(popup);
    let block = Block::bordered()
        .title(format!(" {title} "))
        .style(theme().popup)
        .padding(ratatui::widgets::Padding::horizontal(1));
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
    inner
}

/// The keys of the dialog in front, from the key map in force (so a key
/// rebound in the config file is the one the dialog names).
fn dialog_keys(state: &State) -> Line<'static> {
    let mut spans = Vec::new();
    for key in bar_keys(state) {
        if !spans.is_empty() {
            spans.push(Span::raw("   "));
        }
        let label = format!(" {}", key.label);
        if key.enabled {
            spans.push(Span::styled(key.keys.to_string(), theme().popup_key));
            spans.push(Span::raw(label));
        } else {
            spans.push(Span::styled(key.keys.to_string(), theme().disabled));
            spans.push(Span::styled(label, theme().disabled));
        }
    }
    Line::from(spans)
}

/// A centred yes/no question over the screen.
fn confirm(frame: &mut Frame, area: Rect, title: &str, question: &str, keys: Line<'static>) {
    let columns = usize::from(area.width).saturating_sub(8).min(64);
    let mut lines: Vec<Line> = wrap(question, columns)
        .into_iter()
        .map(Line::from)
        .collect();
    lines.push(Line::from(""));
    lines.push(keys);
    popup(frame, area, title, lines);
}

fn warnings_popup(
    frame: &mut Frame,
    area: Rect,
    form: &Form,
    pending: &Customer,
    keys: Line<'static>,
) {
    let mut lines = vec![Line::from(t!("dialog.warnings_intro")), Line::from("")];
    for (id, message) in form.warnings(pending) {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{}: ", field_label(spec(id), &form.original)),
                theme().popup_key,
            ),
            Span::raw(safe(&message).into_owned()),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(t!("dialog.save_anyway")));
    lines.push(keys);
    popup(frame, area, t!("dialog.warnings_title"), lines);
}

fn review_popup(
    frame: &mut Frame,
    area: Rect,
    form: &Form,
    pending: &Customer,
    keys: Line<'static>,
) {
    let changes = changes(&form.original, pending);
    let label_columns = changes.iter().map(|(l, _, _)| width(l)).max().unwrap_or(0) + 2;
    let value_columns = usize::from(area.width).saturating_sub(label_columns + 12) / 2;
    let mut lines = vec![
        Line::from(if changes.len() == 1 {
            t!(
                "dialog.review_one",
                company = safe(&form.original.company.name)
            )
        } else {
            t!(
                "dialog.review_many",
                company = safe(&form.original.company.name),
                count = changes.len()
            )
        }),
        Line::from(""),
    ];
    for (label, old, new) in &changes {
        let (old, new) = (or_empty(old), or_empty(new));
        lines.push(Line::from(vec![
            Span::styled(fit(label, label_columns), theme().popup_key),
            Span::raw(fit(old, value_columns.min(width(old)))),
            Span::raw(" → "),
            Span::styled(fit(new, value_columns.min(width(new))), theme().popup_key),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(keys);
    popup(frame, area, t!("dialog.review_title"), lines);
}

/// A value as the review shows it: "(empty)" for nothing.
pub(super) fn or_empty(value: &str) -> &str {
    if value.is_empty() {
        t!("common.empty")
    } else {
        value
    }
}

/// Theirs vs yours for every field either side changed.
fn conflict_popup(
    frame: &mut Frame,
    area: Rect,
    form: &Form,
    conflict: &Conflict,
    keys: Line<'static>,
) {
    let theirs = &conflict.theirs;
    let intro = t!(
        "dialog.conflict",
        company = theirs.company.name,
        mine = form.original.version,
        theirs = theirs.version
    );
    let mut lines: Vec<Line> = wrap(&intro, 72).into_iter().map(Line::from).collect();
    lines.extend(
        wrap(t!("dialog.merge_help"), 72)
            .into_iter()
            .map(Line::from),
    );
    lines.push(Line::from(""));
    let changed: Vec<(&FieldSpec, Merge)> = crate::domain::FIELDS
        .iter()
        .map(|f| (f, conflict.merge_of(form, f.id)))
        .filter(|(_, merge)| *merge != Merge::Unchanged)
        .collect();
    let label_columns = changed
        .iter()
        .map(|(f, _)| width(f.title()))
        .max()
        .unwrap_or(0)
        + 2;
    let value_columns = (usize::from(area.width).saturating_sub(label_columns + 12) / 4).min(24);
    let heading = |text: &str| Span::styled(fit(text, value_columns + 2), theme().popup_key);
    lines.push(Line::from(vec![
        Span::raw(fit("", label_columns)),
        heading(t!("dialog.base")),
        heading(t!("dialog.theirs")),
        heading(t!("dialog.yours")),
        heading(t!("dialog.merged")),
    ]));
    let selected = conflict.selected_field();
    for (f, merge) in changed {
        let value = |text: &str| Span::raw(fit(text, value_columns + 2));
        let result = match merge {
            Merge::Theirs => t!("dialog.merge_theirs"),
            Merge::Mine => t!("dialog.merge_mine"),
            Merge::Same | Merge::Unchanged => t!("dialog.merge_same"),
            Merge::Chosen(true) => t!("dialog.merge_pick_theirs"),
            Merge::Chosen(false) => t!("dialog.merge_pick_mine"),
        };
        let style = if selected == Some(f.id) {
            theme().selected
        } else if matches!(merge, Merge::Chosen(_)) {
            theme().error
        } else {
            theme().popup
        };
        lines.push(Line::from(vec![
            Span::styled(fit(f.title(), label_columns), theme().popup_key),
            value(form.original.field(f.id)),
            value(theirs.field(f.id)),
            value(form.value(f.id)),
            Span::styled(fit(result, value_columns), style),
        ]));
    }
    for key in conflict
        .fields
        .iter()
        .filter(|k| k.starts_with("permissions."))
    {
        lines.push(Line::from(t!(
            "dialog.changed_by_other",
            field = crate::domain::label_for_key(key)
        )));
    }
    lines.push(Line::from(""));
    lines.push(keys);
    popup(frame, area, t!("dialog.conflict_title"), lines);
}

/// How many customers a bulk change touches, with a sample of the diffs.
fn bulk_review_popup(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    form: &Form,
    records: &[Customer],
    keys: Line<'static>,
) {
    const SAMPLE: usize = 5;
    let sample = bulk_review(state, records, SAMPLE);
    let count = records.len();
    let marked = match &form.kind {
        FormKind::Bulk { ids, .. } => ids.len(),
        FormKind::Single { .. } => 1,
    };
    let columns = usize::from(area.width).saturating_sub(8).min(90);
    let mut lines = vec![
        Line::from(t!("dialog.bulk_review", count = count, marked = marked)),
        Line::from(""),
    ];
    for (company, changes) in &sample {
        lines.push(Line::from(Span::styled(
            fit(company, columns),
            theme().popup_key,
        )));
        for (label, old, new) in changes {
            lines.push(Line::from(fit(
                &format!("  {label}: {old} → {new}"),
                columns,
            )));
        }
    }
    if count > sample.len() {
        lines.push(Line::from(t!("common.more", count = count - sample.len())));
    }
    lines.push(Line::from(""));
    lines.push(keys);
    popup(frame, area, t!("dialog.bulk_review_title"), lines);
}

/// Who a bulk change would make invalid, and why.
fn bulk_failed_popup(frame: &mut Frame, area: Rect, failures: &[String], keys: Line<'static>) {
    let columns = usize::from(area.width).saturating_sub(8).min(100);
    let room = usize::from(area.height).saturating_sub(8).max(1);
    let mut lines = vec![
        Line::from(t!("dialog.bulk_failed", count = failures.len())),
        Line::from(""),
    ];
    for failure in failures.iter().take(room) {
        lines.push(Line::from(fit(failure, columns)));
    }
    if failures.len() > room {
        lines.push(Line::from(t!("common.more", count = failures.len() - room)));
    }
    lines.push(Line::from(""));
    lines.push(keys);
    popup(frame, area, t!("dialog.bulk_failed_title"), lines);
}

/// Every key of the screen under the help; typing narrows it.
pub(super) fn help(frame: &mut Frame, area: Rect, state: &State, help: &HelpView) {
    let mode = state.screen.mode().key_mode();
    let entries = help.lines(state);
    let key_columns = entries.iter().map(|l| width(&l.keys)).max().unwrap_or(0) + 2;
    let room = usize::from(area.height).saturating_sub(8).max(1);
    let scroll = usize::from(help.scroll).min(entries.len().saturating_sub(room));
    let mut lines = vec![
        Line::from(vec![
            Span::styled("> ", theme().popup_key),
            Span::raw(safe(help.query.value()).into_owned()),
        ]),
        Line::from(""),
    ];
    for line in entries.iter().skip(scroll).take(room) {
        let keys = fit(&line.keys, key_columns);
        lines.push(Line::from(if line.enabled {
            vec![
                Span::styled(keys, theme().popup_key),
                Span::raw(line.text.clone()),
            ]
        } else {
            vec![
                Span::styled(keys, theme().disabled),
                Span::styled(line.text.clone(), theme().disabled),
            ]
        }));
    }
    if entries.is_empty() {
        lines.push(Line::from(t!("dialog.help_none")));
    }
    let title = t!("dialog.help_title", mode = mode.title());
    let inner = popup(frame, area, &title, lines);
    let x = inner.x + 2 + help.query.visual_cursor() as u16;
    if inner.height > 0 && x < inner.right() {
        frame.set_cursor_position((x, inner.y));
    }
}

/// The chooser: what is typed narrows the list.
fn picker_popup(frame: &mut Frame, area: Rect, picker: &Picker) {
    // The list shows at most this many options around the selection.
    let rows = usize::from(area.height).saturating_sub(8).clamp(1, 12);
    let start = picker.selected.saturating_sub(rows - 1);
    let mut lines = vec![
        Line::from(vec![
            Span::styled("> ", theme().popup_key),
            Span::raw(safe(picker.query.value()).into_owned()),
        ]),
        Line::from(""),
    ];
    for (row, &index) in picker.matches.iter().enumerate().skip(start).take(rows) {
        let Some(option) = picker.options.get(index) else {
            continue;
        };
        let style = if row == picker.selected {
            theme().selected
        } else {
            theme().popup
        };
        lines.push(Line::from(Span::styled(fit(&option.label, 36), style)));
    }
    if picker.matches.is_empty() {
        lines.push(Line::from(t!("dialog.pick_none")));
    }
    let inner = popup(frame, area, &picker.title, lines);
    let x = inner.x + 2 + picker.query.visual_cursor() as u16;
    if inner.height > 0 && x < inner.right() {
        frame.set_cursor_position((x, inner.y));
    }
}
