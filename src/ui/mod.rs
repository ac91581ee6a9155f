//! Drawing: functions from `&State` to a frame. No I/O and no mutation here.
//! Each layer of the state is drawn by its own function: the screen
//! (`browse`, `form`, `history`), the dialog over it and the help
//! (`dialog`), then the status line and the key bar.

mod browse;
mod dialog;
mod form;
mod history;
mod theme;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{Mode, Screen, State, Status, StatusKind, available};
use crate::countries::countries;
use crate::domain::{Customer, FieldId, FieldSpec};
use crate::layout::{self, MIN_HEIGHT, MIN_WIDTH, too_small};
use crate::t;
use crate::text::{safe, skip_columns, width, wrap};
pub use theme::theme;

pub fn draw(frame: &mut Frame, state: &State) {
    theme::set_current(state.theme);
    crate::i18n::set_locale(state.locale);
    let area = frame.area();
    if too_small(area) {
        too_small_notice(frame, area);
        return;
    }
    let regions = layout::screen(area);
    browse::header(frame, regions.header, state);
    screen(frame, &regions, state);
    status_line(frame, regions.status, state);
    key_bar(frame, regions.keys, state);
    dialog::overlay(frame, area, state);
    if let Some(help) = &state.help {
        dialog::help(frame, area, state, help);
    }
}

/// The screen under the header: the list beside the detail or the
/// history, or the form in place of both.
fn screen(frame: &mut Frame, regions: &layout::Screen, state: &State) {
    match &state.screen {
        Screen::Browse(_) => {
            browse::list(frame, regions.list, state);
            browse::detail(frame, regions.detail, state);
        }
        Screen::Form(screen) => {
            form::form(frame, regions.list.union(regions.detail), &screen.form);
        }
        Screen::History(view) => {
            browse::list(frame, regions.list, state);
            history::history(frame, regions.detail, view);
        }
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
    if state.mode() == Mode::Filter {
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
        .form()
        .filter(|_| state.mode() == Mode::Form)
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
    let mut entries = bar_keys(state);
    let total = |entries: &[BarKey]| -> usize {
        entries
            .iter()
            .map(|key| width(key.keys) + 1 + width(key.label) + 2)
            .sum::<usize>()
            .saturating_sub(2)
    };
    while entries.len() > 1 && total(&entries) > usize::from(area.width) {
        entries.remove(entries.len() - 2);
    }
    let mut spans = Vec::new();
    for key in entries {
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
        }
        let (keys_style, label_style) = if key.enabled {
            (theme().key, theme().key_label)
        } else {
            (theme().disabled, theme().disabled)
        };
        spans.push(Span::styled(key.keys, keys_style));
        spans.push(Span::styled(format!(" {}", key.label), label_style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A key of the bar (or of a dialog's line of keys).
struct BarKey<'a> {
    keys: &'a str,
    label: &'static str,
    /// Whether it can be used now (`app::available`); drawn dimmed if not.
    enabled: bool,
}

/// The bar's keys of the layer in front, from the key map in force (so a
/// key rebound in the config file is the one the bar names).
fn bar_keys(state: &State) -> Vec<BarKey<'_>> {
    state
        .keymap
        .bindings(state.key_mode())
        .iter()
        .filter(|b| b.in_bar)
        .map(|b| BarKey {
            keys: &b.keys_text,
            label: b.label(),
            enabled: available(b.intent, state).is_ok(),
        })
        .collect()
}
