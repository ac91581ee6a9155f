//! Every colour and text style the UI uses, in one place: the built-in
//! themes, and the one in force while a frame is drawn.

use std::cell::Cell;

use crate::app::ThemeName;

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
    /// Characters the filter matched, on any row (selected or not).
    pub matched: Style,
    pub focused_label: Style,
    pub input: Style,
    pub error: Style,
    pub success: Style,
    pub info: Style,
    pub key: Style,
    pub key_label: Style,
    /// A key that cannot be used right now, in the key bar and the help.
    pub disabled: Style,
    pub on: Style,
    pub off: Style,
    pub popup: Style,
    pub popup_key: Style,
}

/// For dark terminals (the default).
pub const DARK: Theme = Theme {
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
    matched: Style::new().add_modifier(Modifier::BOLD.union(Modifier::UNDERLINED)),
    focused_label: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    input: Style::new().add_modifier(Modifier::UNDERLINED),
    error: Style::new().fg(Color::LightRed),
    success: Style::new().fg(Color::LightGreen),
    info: Style::new(),
    key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    key_label: Style::new().fg(Color::Gray),
    disabled: Style::new().fg(Color::DarkGray),
    on: Style::new().fg(Color::LightGreen),
    off: Style::new().fg(Color::DarkGray),
    popup: Style::new().fg(Color::White).bg(Color::Blue),
    popup_key: Style::new()
        .fg(Color::Yellow)
        .bg(Color::Blue)
        .add_modifier(Modifier::BOLD),
};

/// For light terminals.
pub const LIGHT: Theme = Theme {
    header: Style::new().fg(Color::White).bg(Color::Blue),
    header_accent: Style::new()
        .fg(Color::White)
        .bg(Color::Blue)
        .add_modifier(Modifier::BOLD),
    border: Style::new().fg(Color::Gray),
    border_focused: Style::new().fg(Color::Blue),
    title: Style::new().add_modifier(Modifier::BOLD),
    selected: Style::new()
        .fg(Color::White)
        .bg(Color::Blue)
        .add_modifier(Modifier::BOLD),
    dim: Style::new().fg(Color::DarkGray),
    section: Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
    label: Style::new().fg(Color::DarkGray),
    value: Style::new(),
    changed: Style::new().fg(Color::Magenta),
    matched: Style::new().add_modifier(Modifier::BOLD.union(Modifier::UNDERLINED)),
    focused_label: Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
    input: Style::new().add_modifier(Modifier::UNDERLINED),
    error: Style::new().fg(Color::Red),
    success: Style::new().fg(Color::Green),
    info: Style::new(),
    key: Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
    key_label: Style::new().fg(Color::DarkGray),
    disabled: Style::new().fg(Color::Gray),
    on: Style::new().fg(Color::Green),
    off: Style::new().fg(Color::DarkGray),
    popup: Style::new().fg(Color::Black).bg(Color::Gray),
    popup_key: Style::new()
        .fg(Color::Blue)
        .bg(Color::Gray)
        .add_modifier(Modifier::BOLD),
};

/// Black, white and yellow only, everything important in bold.
pub const HIGH_CONTRAST: Theme = Theme {
    header: Style::new().fg(Color::Black).bg(Color::White),
    header_accent: Style::new()
        .fg(Color::Black)
        .bg(Color::White)
        .add_modifier(Modifier::BOLD),
    border: Style::new().fg(Color::White),
    border_focused: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
    title: Style::new().fg(Color::White).add_modifier(Modifier::BOLD),
    selected: Style::new()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD),
    dim: Style::new().fg(Color::White),
    section: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
    label: Style::new().fg(Color::White),
    value: Style::new().fg(Color::White).add_modifier(Modifier::BOLD),
    changed: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
    matched: Style::new().add_modifier(Modifier::BOLD.union(Modifier::UNDERLINED)),
    focused_label: Style::new()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD),
    input: Style::new().add_modifier(Modifier::UNDERLINED),
    error: Style::new()
        .fg(Color::Yellow)
        .add_modifier(Modifier::BOLD.union(Modifier::UNDERLINED)),
    success: Style::new().fg(Color::White).add_modifier(Modifier::BOLD),
    info: Style::new().fg(Color::White),
    key: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
    key_label: Style::new().fg(Color::White),
    disabled: Style::new().add_modifier(Modifier::DIM.union(Modifier::CROSSED_OUT)),
    on: Style::new().fg(Color::White).add_modifier(Modifier::BOLD),
    off: Style::new().fg(Color::White),
    popup: Style::new().fg(Color::White).bg(Color::Black),
    popup_key: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
};

/// NO_COLOR: no colour at all; selection and focus by reverse video, bold
/// and underline.
pub const NO_COLOR: Theme = Theme {
    header: Style::new().add_modifier(Modifier::REVERSED),
    header_accent: Style::new().add_modifier(Modifier::REVERSED.union(Modifier::BOLD)),
    border: Style::new(),
    border_focused: Style::new().add_modifier(Modifier::BOLD),
    title: Style::new().add_modifier(Modifier::BOLD),
    selected: Style::new().add_modifier(Modifier::REVERSED.union(Modifier::BOLD)),
    dim: Style::new().add_modifier(Modifier::DIM),
    section: Style::new().add_modifier(Modifier::BOLD),
    label: Style::new(),
    value: Style::new(),
    changed: Style::new().add_modifier(Modifier::BOLD),
    matched: Style::new().add_modifier(Modifier::BOLD.union(Modifier::UNDERLINED)),
    focused_label: Style::new().add_modifier(Modifier::REVERSED),
    input: Style::new().add_modifier(Modifier::UNDERLINED),
    error: Style::new().add_modifier(Modifier::BOLD),
    success: Style::new().add_modifier(Modifier::BOLD),
    info: Style::new(),
    key: Style::new().add_modifier(Modifier::BOLD),
    key_label: Style::new(),
    disabled: Style::new().add_modifier(Modifier::DIM.union(Modifier::CROSSED_OUT)),
    on: Style::new().add_modifier(Modifier::BOLD),
    off: Style::new(),
    popup: Style::new(),
    popup_key: Style::new().add_modifier(Modifier::BOLD),
};

thread_local! {
    /// The theme of the frame being drawn (set by `draw` from the state).
    static CURRENT: Cell<ThemeName> = const { Cell::new(ThemeName::Dark) };
}

pub fn set_current(name: ThemeName) {
    CURRENT.with(|c| c.set(name));
}

/// The theme in force.
pub fn theme() -> &'static Theme {
    match CURRENT.with(Cell::get) {
        ThemeName::Dark => &DARK,
        ThemeName::Light => &LIGHT,
        ThemeName::HighContrast => &HIGH_CONTRAST,
        ThemeName::NoColor => &NO_COLOR,
    }
}
