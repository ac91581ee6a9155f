//! The Update form.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme;
use crate::app::{Form, FormKind, FormLine};
use crate::t;
use crate::text::{fit, safe, skip_columns};

use crate::layout::{self, FORM_LABEL_COLUMNS as LABEL_COLUMNS};

pub fn form(frame: &mut Frame, area: Rect, form: &Form) {
    let title = match &form.kind {
        FormKind::Bulk { ids, .. } => t!("form.bulk_title", count = ids.len()),
        FormKind::Single { .. } => t!(
            "form.title",
            company = safe(&form.original.company.name),
            version = form.original.version
        ),
    };
    let title = format!(" {title} ");
    let block = Block::bordered()
        .border_style(theme().border_focused)
        .title(Span::styled(title, theme().title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }

    // Margin (2) + label + input; what is left holds the field's message.
    let (input_columns, _) = layout::form_columns(inner.width);
    let plan = form.lines(inner.width);
    let mut lines: Vec<Line> = Vec::new();
    let mut cursor: Option<(usize, usize)> = None;
    for (n, line) in plan.iter().enumerate() {
        let i = match *line {
            FormLine::Section(section) => {
                lines.push(Line::from(Span::styled(section.title(), theme().section)));
                continue;
            }
            FormLine::Gap => {
                lines.push(Line::from(""));
                continue;
            }
            FormLine::Message(i) => {
                let message = form.errors.get(&form.fields[i].spec.id);
                let indent = LABEL_COLUMNS + 2;
                let room = usize::from(inner.width).saturating_sub(indent);
                lines.push(Line::from(vec![
                    Span::raw(" ".repeat(indent)),
                    Span::styled(fit(message.map_or("", String::as_str), room), theme().error),
                ]));
                continue;
            }
            FormLine::Field(i) => i,
        };
        let Some(field) = form.fields.get(i) else {
            continue;
        };
        let id = field.spec.id;
        let focused = i == form.focus;
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
        let value = field.input.value();
        let (shown, style) = if field.spec.editable {
            let scroll = if focused {
                field.input.visual_scroll(input_columns)
            } else {
                0
            };
            if focused {
                let x = LABEL_COLUMNS + 2 + field.input.visual_cursor().saturating_sub(scroll);
                cursor = Some((x, lines.len()));
            }
            (
                fit(skip_columns(value, scroll), input_columns),
                theme().input,
            )
        } else if form.is_bulk() {
            (fit(t!("form.kept"), input_columns), theme().dim)
        } else {
            (fit(value, input_columns), theme().dim)
        };
        let mut spans = vec![
            Span::styled(marker, theme().changed),
            Span::styled(
                fit(
                    &super::field_label(field.spec, &form.original),
                    LABEL_COLUMNS,
                ),
                label_style,
            ),
            Span::styled(shown, style),
        ];
        // The message stands beside the field, or on the next line (above).
        if let Some(m) = form.errors.get(&id)
            && plan.get(n + 1) != Some(&FormLine::Message(i))
        {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(safe(m).into_owned(), theme().error));
        }
        lines.push(Line::from(spans));
    }

    let height = usize::from(inner.height);
    let scroll = form.scroll(&plan, inner.height);
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), inner);
    if let Some((x, y)) = cursor {
        let x = inner.x + (x.min(usize::from(inner.width).saturating_sub(1))) as u16;
        let y = inner.y + y.saturating_sub(scroll).min(height.saturating_sub(1)) as u16;
        frame.set_cursor_position((x, y));
    }
}
