//! Every colour and text style the UI uses, in one place.

use ratatui::style::{Color, Modifier, Style};

pub struct Theme {
    pub header: Style,
    pub header_accent: Style,
    pub border: Style,
    pub border_focused: Style,
    pub title: Style,
    pub selected: Style,
    pub dim: Style,
    pub section: Style,
    pub label: Style,
    pub value: Style,
    pub changed: Style,
    pub focused_label: Style,
    pub input: Style,
    pub error: Style,
    pub success: Style,
    pub info: Style,
    pub key: Style,
    pub key_label: Style,
    pub on: Style,
    pub off: Style,
    pub popup: Style,
    pub popup_key: Style,
}

pub const THEME: Theme = Theme {
    header: Style::new().fg(Color::Black).bg(Color::Cyan),
    header_accent: Style::new()
        .fg(Color::Black)
        .bg(Color::Cyan)
        .add_modifier(Modifier::BOLD),
    border: Style::new().fg(Color::DarkGray),
    border_focused: Style::new().fg(Color::Cyan),
    title: Style::new().add_modifier(Modifier::BOLD),
    selected: Style::new()
        .fg(Color::Black)
        .bg(Color::Cyan)
        .add_modifier(Modifier::BOLD),
    dim: Style::new().fg(Color::DarkGray),
    section: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    label: Style::new().fg(Color::Gray),
    value: Style::new(),
    changed: Style::new().fg(Color::Yellow),
    focused_label: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    input: Style::new().add_modifier(Modifier::UNDERLINED),
    error: Style::new().fg(Color::LightRed),
    success: Style::new().fg(Color::LightGreen),
    info: Style::new(),
    key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    key_label: Style::new().fg(Color::Gray),
    on: Style::new().fg(Color::LightGreen),
    off: Style::new().fg(Color::DarkGray),
    popup: Style::new().fg(Color::White).bg(Color::Blue),
    popup_key: Style::new()
        .fg(Color::Yellow)
        .bg(Color::Blue)
        .add_modifier(Modifier::BOLD),
};
