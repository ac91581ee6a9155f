//! Drawing: functions from `&State` to a frame. No I/O and no mutation here.

mod browse;
mod form;
mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::app::{Mode, State, Status, StatusKind, permission_question};
use crate::keymap::bindings;
use crate::layout::screen;
use crate::text::{safe, skip_columns, width};
pub use theme::THEME;

pub fn draw(frame: &mut Frame, state: &State) {
    let area = frame.area();
    if area.width < 2 || area.height < 2 {
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
            browse::detail(frame, screen.detail, state);
        }
    }
    status_line(frame, screen.status, state);
    key_bar(frame, screen.keys, state);
    match state.mode {
        Mode::ConfirmPermission { permission, allow } => {
            if let Some(customer) = state.selected_customer() {
                let question = permission_question(&customer.company.name, permission, allow);
                confirm(frame, area, "Purchase permission", &question);
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
                "Unsaved changes",
                &format!("Discard your changes to {company}?"),
            );
        }
        _ => {}
    }
}

/// The line above the key bar: the filter being typed, or the last message.
fn status_line(frame: &mut Frame, area: Rect, state: &State) {
    if state.mode == Mode::Filter {
        let prompt = "Filter: ";
        let room = usize::from(area.width).saturating_sub(prompt.len() + 1);
        let scroll = state.filter.visual_scroll(room);
        let shown = safe(skip_columns(state.filter.value(), scroll)).into_owned();
        let line = Line::from(vec![Span::styled(prompt, THEME.key), Span::raw(shown)]);
        frame.render_widget(Paragraph::new(line), area);
        let x = area.x + (prompt.len() + state.filter.visual_cursor() - scroll) as u16;
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
                text: format!("{}: {message}", field.spec.label),
                kind: StatusKind::Error,
            })
        });
    let Some(status) = field_message.as_ref().or(state.status.as_ref()) else {
        return;
    };
    let style = match status.kind {
        StatusKind::Info => THEME.info,
        StatusKind::Success => THEME.success,
        StatusKind::Error => THEME.error,
    };
    frame.render_widget(
        Paragraph::new(Span::styled(safe(&status.text).into_owned(), style)),
        area,
    );
}

/// The keys that work right now, straight from the key map.
fn key_bar(frame: &mut Frame, area: Rect, state: &State) {
    let mut spans = Vec::new();
    for binding in bindings(state.mode.key_mode()).iter().filter(|b| b.in_bar) {
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(binding.keys_text, THEME.key));
        spans.push(Span::styled(format!(" {}", binding.label), THEME.key_label));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A centred yes/no question over the screen.
fn confirm(frame: &mut Frame, area: Rect, title: &str, question: &str) {
    let question = safe(question);
    let inner_width = (width(&question) + 4)
        .max(20)
        .min(usize::from(area.width).saturating_sub(4));
    let lines = (width(&question) / inner_width.max(1)) as u16 + 1;
    let [popup] = Layout::horizontal([Constraint::Length(inner_width as u16 + 2)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::vertical([Constraint::Length(lines + 4)])
        .flex(Flex::Center)
        .areas(popup);
    let block = Block::bordered()
        .title(format!(" {title} "))
        .style(THEME.popup);
    let text = vec![
        Line::from(question.into_owned()),
        Line::from(""),
        Line::from(vec![
            Span::styled("y", THEME.key),
            Span::raw(" yes   "),
            Span::styled("n", THEME.key),
            Span::raw(" no"),
        ]),
    ];
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: true }).block(block),
        popup,
    );
}
