//! A customer's change history, newest first, in place of the detail pane.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme;
use crate::app::HistoryView;
use crate::domain::{AuditEntry, label_for_key};
use crate::t;
use crate::text::{fit, safe, wrap};

/// The header line of an entry: version, local time, operator, action.
fn entry_title(entry: &AuditEntry) -> String {
    let mut title = format!(
        "v{}  {}  {}  {}",
        entry.version,
        crate::i18n::time(entry.time),
        safe(&entry.operator),
        entry.action.title()
    );
    if let Some(v) = entry.reverts {
        title.push(' ');
        title.push_str(&t!("history.reverts", version = v));
    }
    title
}

/// A recorded value as the operator reads it: a permission's stored
/// on/off in the operator's language.
fn shown<'a>(field: &str, value: &'a str) -> &'a str {
    match (field.starts_with("permissions."), value) {
        (true, "on") => t!("common.on"),
        (true, "off") => t!("common.off"),
        _ => value,
    }
}

/// A note in the pane, wrapped at its width (German runs long).
fn dim_lines(text: &str, columns: usize) -> Vec<Line<'static>> {
    wrap(text, columns)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, theme().dim)))
        .collect()
}

pub fn history(frame: &mut Frame, area: Rect, view: &HistoryView) {
    let block = Block::bordered()
        .border_style(theme().border_focused)
        .title(Span::styled(
            format!(" {} ", t!("history.title", company = safe(&view.company))),
            theme().title,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let columns = usize::from(inner.width);
    if view.entries.is_empty() {
        frame.render_widget(
            Paragraph::new(dim_lines(t!("history.empty"), columns)),
            inner,
        );
        return;
    }
    let mut lines = Vec::new();
    let mut selected_line = 0;
    for (i, entry) in view.entries.iter().enumerate() {
        let style = if i == view.selected {
            selected_line = lines.len();
            theme().selected
        } else {
            theme().section
        };
        lines.push(Line::from(Span::styled(
            fit(&entry_title(entry), columns),
            style,
        )));
        for change in &entry.changes {
            let text = format!(
                "  {}: {} → {}",
                label_for_key(&change.field),
                super::dialog::or_empty(shown(&change.field, &change.old)),
                super::dialog::or_empty(shown(&change.field, &change.new)),
            );
            lines.push(Line::from(Span::styled(fit(&text, columns), theme().value)));
        }
    }
    if let Some(first) = view.entries.last().filter(|e| e.version > 1) {
        lines.extend(dim_lines(
            &t!("history.before", version = first.version - 1),
            columns,
        ));
    }
    // Keep the selected entry's title on screen, with some of what follows.
    let height = usize::from(inner.height);
    let scroll = (selected_line + 4)
        .saturating_sub(height)
        .min(selected_line);
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), inner);
}
