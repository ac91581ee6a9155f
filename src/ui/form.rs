//! The Update form.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme;
use crate::app::{Form, FormField, FormKind, FormLine};
use crate::t;
use crate::text::{fit, safe, skip_columns};

use crate::layout::{self, FORM_LABEL_COLUMNS as LABEL_COLUMNS};

pub fn form(frame: &mut Frame, area: Rect, form: &Form) {
    // Someone else changed the customer meanwhile: said over the form.
    let area = match &form.changed_elsewhere {
        Some(text) if area.height > 3 => {
            let [banner, rest] = ratatui::layout::Layout::vertical([
                ratatui::layout::Constraint::Length(1),
                ratatui::layout::Constraint::Min(0),
            ])
            .areas(area);
            let line = fit(text, usize::from(banner.width));
            frame.render_widget(Paragraph::new(line).style(theme().error), banner);
            rest
        }
        _ => area,
    };
    let title = match &form.kind {
        FormKind::Bulk { ids, .. } => t!("form.bulk_title", count = ids.len()),
        FormKind::Single { .. } => t!(
            "form.title",
            company = safe(&form.original.company.name),
            version = form.original.version
        ),
    };
    let block = Block::bordered()
        .border_style(theme().border_focused)
        .title(Span::styled(format!(" {title} "), theme().title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let plan = form.lines(inner.width);
    let (lines, cursor) = body_lines(form, &plan, inner.width);
    let scroll = form.scroll(&plan, inner.height);
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), inner);
    if let Some((x, y)) = cursor {
        let x = inner.x + (x.min(usize::from(inner.width).saturating_sub(1))) as u16;
        let bottom = usize::from(inner.height).saturating_sub(1);
        let y = inner.y + y.saturating_sub(scroll).min(bottom) as u16;
        frame.set_cursor_position((x, y));
    }
}

/// The lines of `plan` in a body `width` columns wide, and where the
/// focused field's cursor is among them (column, line).
fn body_lines(
    form: &Form,
    plan: &[FormLine],
    width: u16,
) -> (Vec<Line<'static>>, Option<(usize, usize)>) {
    let mut lines = Vec::new();
    let mut cursor = None;
    for (n, line) in plan.iter().enumerate() {
        match *line {
            FormLine::Section(section) => {
                lines.push(Line::from(Span::styled(section.title(), theme().section)));
            }
            FormLine::Gap => lines.push(Line::from("")),
            FormLine::Message(i) => lines.push(message_line(form, i, width)),
            FormLine::Field(i) => {
                let Some(field) = form.fields.get(i) else {
                    continue;
                };
                // The message stands beside the field, or on the next line.
                let message_below = plan.get(n + 1) == Some(&FormLine::Message(i));
                let focused = i == form.focus;
                let (line, cursor_x) = field_line(form, field, focused, width, message_below);
                if let Some(x) = cursor_x {
                    cursor = Some((x, lines.len()));
                }
                lines.push(line);
            }
        }
    }
    (lines, cursor)
}

/// A field's message on its own line, under the field (too wide beside it).
fn message_line(form: &Form, index: usize, width: u16) -> Line<'static> {
    let message = form
        .fields
        .get(index)
        .and_then(|field| form.errors.get(&field.spec.id));
    let indent = LABEL_COLUMNS + 2;
    let room = usize::from(width).saturating_sub(indent);
    Line::from(vec![
        Span::raw(" ".repeat(indent)),
        Span::styled(fit(message.map_or("", String::as_str), room), theme().error),
    ])
}

/// A field's line: change marker, label, value (and its message, unless
/// it goes `message_below`); for the focused field, the cursor's column too.
fn field_line(
    form: &Form,
    field: &FormField,
    focused: bool,
    width: u16,
    message_below: bool,
) -> (Line<'static>, Option<usize>) {
    // Margin (2) + label + input; what is left holds the field's message.
    let (input_columns, _) = layout::form_columns(width);
    let id = field.spec.id;
    let changed = form.is_changed(id);
    let marker = if changed { "● " } else { "  " };
    let label_style = if !field.spec.editable {
        theme().dim
    } else if focused {
        theme().focused_label
    } else if changed {
        theme().changed
    } else {
        theme().label
    };
    let mut cursor = None;
    let (shown, style) = if field.spec.editable {
        let scroll = if focused {
            field.input.visual_scroll(input_columns)
        } else {
            0
        };
        if focused {
            cursor = Some(LABEL_COLUMNS + 2 + field.input.visual_cursor().saturating_sub(scroll));
        }
        let value = skip_columns(field.input.value(), scroll);
        (fit(value, input_columns), theme().input)
    } else if form.is_bulk() {
        (fit(t!("form.kept"), input_columns), theme().dim)
    } else {
        (fit(field.input.value(), input_columns), theme().dim)
    };
    let label = super::field_label(field.spec, &form.original);
    let mut spans = vec![
        Span::styled(marker, theme().changed),
        Span::styled(fit(&label, LABEL_COLUMNS), label_style),
        Span::styled(shown, style),
    ];
    if let Some(m) = form.errors.get(&id)
        && !message_below
    {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(safe(m).into_owned(), theme().error));
    }
    (Line::from(spans), cursor)
}
