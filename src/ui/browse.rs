//! The browse screen: header, customer list and account detail.

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme;
use crate::app::{Pane, State};
use crate::countries::countries;
use crate::domain::{Customer, FIELDS, FieldId, Permission, Section};
use crate::listing::RowRef;
use crate::t;
use crate::text::{fit, safe, width, wrap};
use crate::validate::{FieldError, phone_for_display};

pub fn header(frame: &mut Frame, area: Rect, state: &State) {
    let marked = if state.marked.is_empty() {
        String::new()
    } else {
        format!("· {} ", t!("screen.marked", count = state.marked.len()))
    };
    let access = if state.access.read_only {
        format!("· {} ", t!("screen.read_only"))
    } else if state.access.role != crate::domain::Role::Admin {
        format!("· {} ", state.access.role.title())
    } else {
        String::new()
    };
    // While rows stream in or a filter runs, the counts say so.
    let progress = match (&state.list.loading, &state.list.matching) {
        (Some(_), _) => format!(
            "· {} ",
            t!(
                "screen.loading",
                percent = state.list.listing.len() * 100 / state.list.total().max(1)
            )
        ),
        (None, Some(job)) => {
            let (done, all) = job.progress();
            format!(
                "· {} ",
                t!("screen.matching", percent = done * 100 / all.max(1))
            )
        }
        (None, None) => String::new(),
    };
    let offline = if state.reconnecting {
        format!("· {} ", t!("screen.reconnecting"))
    } else {
        String::new()
    };
    let counts = format!(
        " {} {progress}{marked}{access}{offline}",
        t!(
            "screen.customers",
            shown = state.visible().len(),
            total = state.list.total()
        )
    );
    let left = vec![
        Span::styled(" konto ", theme().header_accent),
        Span::styled("│ ", theme().header),
        Span::styled(state.cloud.title(), theme().header_accent),
        Span::styled(" │", theme().header),
        Span::styled(counts, theme().header),
        Span::styled("│ ", theme().header),
    ];
    let used: usize = left.iter().map(|s| width(&s.content)).sum();
    let room = usize::from(area.width).saturating_sub(used);
    let mut spans = left;
    spans.push(Span::styled(fit(&state.store_path, room), theme().header));
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(theme().header),
        area,
    );
}

fn pane_block(title: String, focused: bool) -> Block<'static> {
    let border = if focused {
        theme().border_focused
    } else {
        theme().border
    };
    Block::bordered()
        .border_style(border)
        .title(Span::styled(title, theme().title))
}

pub fn list(frame: &mut Frame, area: Rect, state: &State) {
    let filter = state.filter.value();
    let sorted = match state.sort {
        crate::app::SortBy::Name => String::new(),
        other => format!(" · {}", t!("list.sorted", order = other.title())),
    };
    // Records stored before a rule they break: how many, and the word
    // that lists them.
    let attention = state.list.listing.attention_count();
    let sorted = if attention == 0 {
        sorted
    } else {
        let word = crate::listing::query::ATTENTION_WORD;
        format!(
            "{sorted} · {}",
            t!("list.attention", count = attention, word = word)
        )
    };
    let customers = t!("list.title");
    let title = if filter.is_empty() {
        format!(" {customers}{sorted} ")
    } else {
        let filter = t!("list.filter", filter = safe(filter));
        format!(" {customers}{sorted} · {filter} ")
    };
    let block = pane_block(title, state.focus == Pane::List);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if state.visible().is_empty() {
        let text = if state.list.total() == 0 {
            t!("list.empty_cloud")
        } else {
            t!("list.no_match")
        };
        frame.render_widget(Paragraph::new(Span::styled(text, theme().dim)), inner);
        return;
    }
    // A mark column appears while customers are marked for a bulk change,
    // an attention column while records need attention.
    let mark_columns = if state.marked.is_empty() { 0 } else { 2 };
    let attention_columns = if attention == 0 { 0 } else { 2 };
    let columns = usize::from(inner.width).saturating_sub(mark_columns + attention_columns);
    // Only the rows on screen are built, however long the list is.
    let page: Vec<(usize, RowRef)> = (state.list_offset..)
        .take(usize::from(inner.height))
        .map_while(|position| Some((position, state.list.row(position)?)))
        .collect();
    // Names come first: domains get what the names on this page leave, and
    // at least 2/5 of the row where both do not fit.
    let longest_name = page.iter().map(|(_, r)| width(r.name())).max().unwrap_or(0);
    let longest_domain = page
        .iter()
        .map(|(_, r)| width(&r.domain()))
        .max()
        .unwrap_or(0);
    let domain_columns =
        longest_domain.min((columns * 2 / 5).max(columns.saturating_sub(longest_name + 1)));
    let name_columns = columns.saturating_sub(domain_columns + 1).max(1);
    let query = state.list.shown_query();
    let mut matcher = crate::listing::query::new_matcher();
    let lines: Vec<Line> = page
        .into_iter()
        .map(|(position, row)| {
            let selected = position == state.selected;
            let (name_style, domain_style) = if selected {
                (theme().selected, theme().selected)
            } else {
                (theme().value, theme().dim)
            };
            let mark = match (mark_columns, state.marked.contains(row.id().as_ref())) {
                (0, _) => "",
                (_, true) => "● ",
                (_, false) => "  ",
            };
            let flag = match (attention_columns, row.needs_attention()) {
                (0, _) => "",
                (_, true) => "▲ ",
                (_, false) => "  ",
            };
            let mut spans = vec![
                Span::styled(mark, theme().changed),
                Span::styled(flag, theme().error),
            ];
            let marked = |text: &str, columns: usize, hits: &[u32], style: Style| {
                fit_marked(text, columns, hits, style, style.patch(theme().matched))
            };
            let (name_hits, mut domain_hits) = query.row_highlights(&row, &mut matcher);
            let mut second = row.domain();
            if name_hits.is_empty() && domain_hits.is_empty() {
                // Listed for a field the list does not show: that field, as
                // the query would name it, takes the domain's place.
                if let Some((prefix, text, hits)) = query.hidden_match(&row, &mut matcher) {
                    let shift = prefix.chars().count() as u32 + 1;
                    second = Cow::Owned(format!("{prefix}:{text}"));
                    domain_hits = hits.into_iter().map(|i| i + shift).collect();
                }
            }
            spans.extend(marked(row.name(), name_columns, &name_hits, name_style));
            spans.push(Span::styled(" ", name_style));
            spans.extend(marked(&second, domain_columns, &domain_hits, domain_style));
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// `text` fitted to `columns`, the characters at `hits` (char indices, as
/// the filter reports them) drawn in `hit` style.
fn fit_marked(
    text: &str,
    columns: usize,
    hits: &[u32],
    base: Style,
    hit: Style,
) -> Vec<Span<'static>> {
    let fitted = fit(text, columns);
    if hits.is_empty() {
        return vec![Span::styled(fitted, base)];
    }
    // `fit` keeps characters one for one up to the `…` it adds when it cuts.
    let shown = if width(&safe(text)) > columns {
        fitted
            .rfind('…')
            .map_or(0, |at| fitted[..at].chars().count())
    } else {
        text.chars().count()
    };
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut run = String::new();
    let mut run_is_hit = false;
    for (n, c) in fitted.chars().enumerate() {
        let is_hit = n < shown && hits.binary_search(&(n as u32)).is_ok();
        if is_hit != run_is_hit && !run.is_empty() {
            let style = if run_is_hit { hit } else { base };
            spans.push(Span::styled(std::mem::take(&mut run), style));
        }
        run_is_hit = is_hit;
        run.push(c);
    }
    let style = if run_is_hit { hit } else { base };
    spans.push(Span::styled(run, style));
    spans
}

const LABEL_COLUMNS: usize = 22;

/// A field's value as operators read it: phones in the country's national
/// format, state and country codes with their names.
fn display_value(customer: &Customer, id: FieldId) -> String {
    let value = customer.field(id);
    let country_code = &customer.billing.address.country;
    let country = countries().get(country_code);
    match id {
        FieldId::Phone if !value.is_empty() => phone_for_display(value, country_code),
        FieldId::State => match country.and_then(|c| c.find_state(value)) {
            Some(state) if !value.is_empty() => format!("{} · {}", state.code, state.label()),
            _ => value.to_string(),
        },
        FieldId::Country => match country {
            Some(c) => format!("{} · {}", c.code, c.title()),
            None => value.to_string(),
        },
        _ => value.to_string(),
    }
}

/// A label and its value, the value cut with `…` where the pane is too narrow.
fn field_line(label: &str, value: &str, style: Style, columns: usize) -> Line<'static> {
    let value_columns = columns.saturating_sub(LABEL_COLUMNS);
    let value = if width(value) > value_columns {
        fit(value, value_columns)
    } else {
        safe(value).into_owned()
    };
    Line::from(vec![
        Span::styled(fit(label, LABEL_COLUMNS), theme().label),
        Span::styled(value, style),
    ])
}

fn section_lines(
    lines: &mut Vec<Line<'static>>,
    customer: &Customer,
    section: Section,
    columns: usize,
    selected: Option<FieldId>,
    problems: &[FieldError],
    selected_line: &mut usize,
) {
    lines.push(Line::from(Span::styled(section.title(), theme().section)));
    for f in FIELDS.iter().filter(|f| f.section == section) {
        if Some(f.id) == selected {
            *selected_line = lines.len();
        }
        let style = if Some(f.id) == selected {
            theme().selected
        } else if problems.iter().any(|p| p.field == f.id) {
            theme().error
        } else if f.editable {
            theme().value
        } else {
            theme().dim
        };
        let label = super::field_label(f, customer);
        lines.push(field_line(
            &label,
            &display_value(customer, f.id),
            style,
            columns,
        ));
    }
}

fn updated(customer: &Customer) -> String {
    crate::i18n::time(customer.updated)
}

/// Lines the detail needs with blank lines between sections.
const ROOMY_DETAIL_LINES: u16 = 31;

/// The account detail, grouped as on Partner Center's account page. When
/// `roomy` is false (a short terminal) the sections go without blank lines
/// between them and version and update time move to the border, so everything
/// fits in 25 lines (a 100x30 terminal). Also returns the line of the
/// selected field (0 when none), to keep it in view.
///
/// A record stored before a rule it breaks (`State::needs_attention`)
/// starts with what is wrong, and its fields at fault are drawn as errors.
pub fn detail_lines(
    customer: &Customer,
    roomy: bool,
    columns: usize,
    selected: Option<FieldId>,
    problems: &[FieldError],
) -> (Vec<Line<'static>>, usize) {
    let mut lines = Vec::new();
    let mut selected_line = 0;
    let gap = |lines: &mut Vec<Line<'static>>| {
        if roomy {
            lines.push(Line::from(""));
        }
    };
    if !problems.is_empty() {
        lines.push(Line::from(Span::styled(
            t!("detail.attention"),
            theme().error,
        )));
        // Wrapped, not cut: the message is what the operator acts on.
        for p in problems {
            for part in wrap(&safe(&p.to_string()), columns.saturating_sub(2).max(1)) {
                lines.push(Line::from(Span::styled(format!("  {part}"), theme().error)));
            }
        }
        gap(&mut lines);
    }
    for section in [Section::Company, Section::BillingContact, Section::Address] {
        section_lines(
            &mut lines,
            customer,
            section,
            columns,
            selected,
            problems,
            &mut selected_line,
        );
        gap(&mut lines);
    }
    lines.push(Line::from(Span::styled(
        t!("section.permissions"),
        theme().section,
    )));
    for p in Permission::ALL {
        let (text, style) = if customer.permissions.get(p) {
            (t!("permission.allowed"), theme().on)
        } else {
            (t!("permission.not_allowed"), theme().off)
        };
        lines.push(field_line(p.title(), text, style, columns));
    }
    gap(&mut lines);
    section_lines(
        &mut lines,
        customer,
        Section::Record,
        columns,
        selected,
        problems,
        &mut selected_line,
    );
    // In a short terminal version and update time are in the pane's bottom
    // border (see `detail`).
    if roomy {
        let version = customer.version.to_string();
        lines.push(field_line(
            t!("detail.version"),
            &version,
            theme().value,
            columns,
        ));
        lines.push(field_line(
            t!("detail.updated"),
            &updated(customer),
            theme().value,
            columns,
        ));
    }
    (lines, selected_line)
}

pub fn detail(frame: &mut Frame, area: Rect, state: &State) {
    let block = pane_block(
        format!(" {} ", t!("detail.title")),
        state.focus == Pane::Detail,
    );
    let Some(customer) = state.selected_customer() else {
        frame.render_widget(block, area);
        return;
    };
    let inner = block.inner(area);
    let roomy = inner.height >= ROOMY_DETAIL_LINES;
    // With the focus here, one field is selected (for `y`) and kept in view.
    let selected = (state.focus == Pane::Detail)
        .then(|| FIELDS.get(state.detail_field).map(|f| f.id))
        .flatten();
    let block = if roomy {
        block
    } else {
        block.title_bottom(Span::styled(
            format!(
                " {} ",
                t!(
                    "detail.border",
                    version = customer.version,
                    time = updated(customer)
                )
            ),
            theme().label,
        ))
    };
    let problems = state.needs_attention(customer);
    let columns = usize::from(inner.width);
    let (lines, selected_line) = detail_lines(customer, roomy, columns, selected, &problems);
    let scroll = (selected_line + 2).saturating_sub(usize::from(inner.height));
    let paragraph = Paragraph::new(lines)
        .block(block)
        .scroll((scroll as u16, 0));
    frame.render_widget(paragraph, area);
}
