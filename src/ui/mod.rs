//! Drawing: functions from `&State` to a frame. No I/O and no mutation here.

mod browse;
mod form;
mod history;
mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::app::{
    Form, HelpView, Mode, Picker, State, Status, StatusKind, bulk_review, permission_question,
    review_changes,
};
use crate::countries::countries;
use crate::domain::{Customer, FieldId, FieldSpec, spec};
use crate::layout::{MIN_HEIGHT, MIN_WIDTH, screen, too_small};
use crate::t;
use crate::text::{fit, safe, skip_columns, width, wrap};
pub use theme::theme;

pub fn draw(frame: &mut Frame, state: &State) {
    theme::set_current(state.theme);
    crate::i18n::set_locale(state.locale);
    let area = frame.area();
    if too_small(area) {
        too_small_notice(frame, area);
        return;
    }
    let screen = screen(area);
    browse::header(frame, screen.header, state);
    match &state.form {
        Some(form) => {
            let body = screen.list.union(screen.detail);
            form::form(frame, body, form);
        }
        None => {
            browse::list(frame, screen.list, state);
            match &state.history {
                Some(view) => history::history(frame, screen.detail, view),
                None => browse::detail(frame, screen.detail, state),
            }
        }
    }
    status_line(frame, screen.status, state);
    key_bar(frame, screen.keys, state);
    match state.mode {
        Mode::ConfirmPermission { permission, allow } => {
            if let Some(customer) = state.selected_customer() {
                let question = permission_question(&customer.company.name, permission, allow);
                confirm(
                    frame,
                    area,
                    t!("dialog.permission_title"),
                    &question,
                    dialog_keys(state),
                );
            }
        }
        Mode::ConfirmRevert { version } => {
            if let Some(view) = &state.history {
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
        }
        Mode::Conflict => {
            if let Some(form) = &state.form {
                conflict_popup(frame, area, form, dialog_keys(state));
            }
        }
        Mode::ConfirmWarnings => {
            if let Some(form) = &state.form {
                warnings_popup(frame, area, form, dialog_keys(state));
            }
        }
        Mode::Review => match &state.form {
            Some(form) if form.is_bulk() => {
                bulk_review_popup(frame, area, state, dialog_keys(state))
            }
            Some(form) => review_popup(frame, area, form, dialog_keys(state)),
            None => {}
        },
        Mode::ConfirmRestoreDraft => {
            if let Some(draft) = &state.draft {
                let question = t!("dialog.draft", company = draft.company);
                let title = t!("dialog.draft_title");
                confirm(frame, area, title, &question, dialog_keys(state));
            }
        }
        Mode::Help => {
            if let Some(help) = &state.help {
                help_popup(frame, area, help, &state.keymap);
            }
        }
        Mode::BulkFailed => {
            if let Some(form) = &state.form {
                bulk_failed_popup(frame, area, form, dialog_keys(state));
            }
        }
        Mode::Pick => {
            if let Some(picker) = &state.picker {
                picker_popup(frame, area, picker);
            }
        }
        Mode::ConfirmDiscard { .. } => {
            let company = state
                .form
                .as_ref()
                .map_or("", |f| f.original.company.name.as_str());
            confirm(
                frame,
                area,
                t!("dialog.discard_title"),
                &t!("dialog.discard", company = company),
                dialog_keys(state),
            );
        }
        _ => {}
    }
}

/// A field's label for a record: the state field is called what the
/// record's country calls it (State, Province, …).
fn field_label(spec: &FieldSpec, record: &Customer) -> String {
    match countries().get(&record.billing.address.country) {
        Some(country) if spec.id == FieldId::State => country.state_title().to_string(),
        _ => spec.title().to_string(),
    }
}

/// Instead of a broken layout: how large the terminal needs to be.
fn too_small_notice(frame: &mut Frame, area: Rect) {
    let text = t!(
        "screen.too_small",
        min_width = MIN_WIDTH,
        min_height = MIN_HEIGHT,
        width = area.width,
        height = area.height
    );
    let lines: Vec<Line> = wrap(&text, usize::from(area.width))
        .into_iter()
        .map(Line::from)
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// The line above the key bar: the filter being typed, or the last message.
fn status_line(frame: &mut Frame, area: Rect, state: &State) {
    if state.mode == Mode::Filter {
        let prompt = t!("screen.filter_prompt");
        let room = usize::from(area.width).saturating_sub(width(prompt) + 1);
        let scroll = state.filter.visual_scroll(room);
        let shown = safe(skip_columns(state.filter.value(), scroll)).into_owned();
        let line = Line::from(vec![Span::styled(prompt, theme().key), Span::raw(shown)]);
        frame.render_widget(Paragraph::new(line), area);
        let x =
            area.x + (width(prompt) + state.filter.visual_cursor().saturating_sub(scroll)) as u16;
        frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
        return;
    }
    // In the form, the focused field's message is shown in full here (beside
    // the field it may be cut short).
    let field_message = state
        .form
        .as_ref()
        .filter(|_| state.mode == Mode::Form)
        .and_then(|form| {
            let field = form.focused()?;
            let message = form.errors.get(&field.spec.id)?;
            Some(Status {
                text: t!(
                    "form.field_message",
                    field = field_label(field.spec, &form.original),
                    message = message
                ),
                kind: StatusKind::Error,
            })
        });
    let Some(status) = field_message.as_ref().or(state.status.as_ref()) else {
        return;
    };
    let style = match status.kind {
        StatusKind::Info => theme().info,
        StatusKind::Success => theme().success,
        StatusKind::Error => theme().error,
    };
    frame.render_widget(
        Paragraph::new(Span::styled(safe(&status.text).into_owned(), style)),
        area,
    );
}

/// The keys that work right now, straight from the key map. Where the line
/// is too narrow, entries are dropped from the end, but the last one (quit or
/// close) stays.
fn key_bar(frame: &mut Frame, area: Rect, state: &State) {
    let mut entries: Vec<(&str, &str)> = state
        .keymap
        .bindings(state.mode.key_mode())
        .iter()
        .filter(|b| b.in_bar)
        .map(|b| (b.keys_text.as_str(), b.label()))
        .collect();
    let total = |entries: &[(&str, &str)]| -> usize {
        entries
            .iter()
            .map(|(k, l)| width(k) + 1 + width(l) + 2)
            .sum::<usize>()
            .saturating_sub(2)
    };
    while entries.len() > 1 && total(&entries) > usize::from(area.width) {
        entries.remove(entries.len() - 2);
    }
    let mut spans = Vec::new();
    for (keys, label) in entries {
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(keys, theme().key));
        spans.push(Span::styled(format!(" {label}"), theme().key_label));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
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
    for b in state
        .keymap
        .bindings(state.mode.key_mode())
        .iter()
        .filter(|b| b.in_bar)
    {
        if !spans.is_empty() {
            spans.push(Span::raw("   "));
        }
        spans.push(Span::styled(b.keys_text.clone(), theme().popup_key));
        spans.push(Span::raw(format!(" {}", b.label())));
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

fn warnings_popup(frame: &mut Frame, area: Rect, form: &Form, keys: Line<'static>) {
    let Some(pending) = &form.pending else {
        return;
    };
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

fn review_popup(frame: &mut Frame, area: Rect, form: &Form, keys: Line<'static>) {
    let changes = review_changes(form);
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
fn or_empty(value: &str) -> &str {
    if value.is_empty() {
        t!("common.empty")
    } else {
        value
    }
}

/// Theirs vs yours for every field either side changed.
fn conflict_popup(frame: &mut Frame, area: Rect, form: &Form, keys: Line<'static>) {
    let Some(conflict) = &form.conflict else {
        return;
    };
    let theirs = &conflict.theirs;
    let intro = t!(
        "dialog.conflict",
        company = theirs.company.name,
        mine = form.original.version,
        theirs = theirs.version
    );
    let mut lines: Vec<Line> = wrap(&intro, 72).into_iter().map(Line::from).collect();
    lines.push(Line::from(""));
    let changed: Vec<&FieldSpec> = crate::domain::FIELDS
        .iter()
        .filter(|f| conflict.fields.iter().any(|k| k == f.key) || form.is_changed(f.id))
        .collect();
    let label_columns = changed.iter().map(|f| width(f.title())).max().unwrap_or(0) + 2;
    let value_columns = (usize::from(area.width).saturating_sub(label_columns + 10) / 2).min(30);
    lines.push(Line::from(vec![
        Span::raw(fit("", label_columns)),
        Span::styled(fit(t!("dialog.theirs"), value_columns), theme().popup_key),
        Span::raw("  "),
        Span::styled(t!("dialog.yours"), theme().popup_key),
    ]));
    for f in changed {
        lines.push(Line::from(vec![
            Span::styled(fit(f.title(), label_columns), theme().popup_key),
            Span::raw(fit(theirs.field(f.id), value_columns)),
            Span::raw("  "),
            Span::raw(fit(form.value(f.id), value_columns)),
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
fn bulk_review_popup(frame: &mut Frame, area: Rect, state: &State, keys: Line<'static>) {
    const SAMPLE: usize = 5;
    let (count, sample) = bulk_review(state, SAMPLE);
    let marked = state.form.as_ref().map_or(0, |f| f.bulk.len());
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
fn bulk_failed_popup(frame: &mut Frame, area: Rect, form: &Form, keys: Line<'static>) {
    let columns = usize::from(area.width).saturating_sub(8).min(100);
    let room = usize::from(area.height).saturating_sub(8).max(1);
    let mut lines = vec![
        Line::from(t!("dialog.bulk_failed", count = form.bulk_failures.len())),
        Line::from(""),
    ];
    for failure in form.bulk_failures.iter().take(room) {
        lines.push(Line::from(fit(failure, columns)));
    }
    if form.bulk_failures.len() > room {
        lines.push(Line::from(t!(
            "common.more",
            count = form.bulk_failures.len() - room
        )));
    }
    lines.push(Line::from(""));
    lines.push(keys);
    popup(frame, area, t!("dialog.bulk_failed_title"), lines);
}

/// Every key of the mode the help was opened from; typing narrows it.
fn help_popup(frame: &mut Frame, area: Rect, help: &HelpView, keymap: &crate::keymap::Keymap) {
    let entries = help.lines(keymap);
    let key_columns = entries.iter().map(|(k, _)| width(k)).max().unwrap_or(0) + 2;
    let room = usize::from(area.height).saturating_sub(8).max(1);
    let scroll = usize::from(help.scroll).min(entries.len().saturating_sub(room));
    let mut lines = vec![
        Line::from(vec![
            Span::styled("> ", theme().popup_key),
            Span::raw(safe(help.query.value()).into_owned()),
        ]),
        Line::from(""),
    ];
    for (keys, label) in entries.iter().skip(scroll).take(room) {
        lines.push(Line::from(vec![
            Span::styled(fit(keys, key_columns), theme().popup_key),
            Span::raw(label.clone()),
        ]));
    }
    if entries.is_empty() {
        lines.push(Line::from(t!("dialog.help_none")));
    }
    let title = t!("dialog.help_title", mode = help.previous.key_mode().title());
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
