//! The key map: one table per mode that drives key handling, the key bar at
//! the bottom of the screen and the help, so what is shown is what works
//! (`app::available` says which keys can be used right now; the others are
//! shown dimmed).

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What a key asks for, independent of which key it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Intent {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    StartFilter,
    AcceptFilter,
    ClearFilter,
    ToggleFocus,
    OpenForm,
    ToggleReservations,
    ToggleSavingsPlan,
    SwitchCloud,
    Quit,
    Yes,
    No,
    NextField,
    PrevField,
    Submit,
    Cancel,
    /// Open the chooser of the focused field.
    Pick,
    /// Open the selected customer's change history.
    History,
    /// Undo the selected change of the history.
    Revert,
    /// After a conflict: take the stored record and drop my edits.
    Reload,
    /// After a conflict: the merge as chosen (my edits on top of the
    /// stored record where only I changed a field, or where I chose mine).
    Reapply,
    /// In the merge view: my value for the selected field both changed.
    TakeMine,
    /// In the merge view: their value for the selected field.
    TakeTheirs,
    /// In the merge view: the merge, then the form on the selected field.
    EditField,
    /// Mark or unmark the selected customer for a bulk change.
    Mark,
    /// Mark every listed customer (or unmark them if all are marked).
    MarkAll,
    /// Show every key of the current mode.
    Help,
    /// Put konto in the background (the shell's `fg` brings it back).
    Suspend,
    /// Copy the selected field (or the customer id) to the clipboard.
    Copy,
    /// The next sort order of the list.
    Sort,
}

/// Which table of bindings is in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyMode {
    Browse,
    Filter,
    Form,
    Confirm,
    /// The review of changes before they are written.
    Review,
    /// A filterable chooser (state, culture).
    Pick,
    /// A customer's change history.
    History,
    /// The record changed while it was being edited.
    Conflict,
    /// A message to read before going back.
    Notice,
    /// The help overlay.
    Help,
}

impl KeyMode {
    pub const ALL: [KeyMode; 10] = [
        KeyMode::Help,
        KeyMode::Notice,
        KeyMode::Conflict,
        KeyMode::History,
        KeyMode::Browse,
        KeyMode::Filter,
        KeyMode::Form,
        KeyMode::Confirm,
        KeyMode::Review,
        KeyMode::Pick,
    ];

    /// Modes whose unbound keys edit a line of text.
    pub fn edits_text(self) -> bool {
        matches!(
            self,
            KeyMode::Filter | KeyMode::Form | KeyMode::Pick | KeyMode::Help
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

const fn key(code: KeyCode) -> Key {
    Key {
        code,
        modifiers: KeyModifiers::NONE,
    }
}

const fn ch(c: char) -> Key {
    key(KeyCode::Char(c))
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        modifiers: KeyModifiers::CONTROL,
    }
}

/// One row of the key map.
#[derive(Clone, Copy, Debug)]
pub struct Binding {
    pub keys: &'static [Key],
    pub intent: Intent,
    /// How the keys are written in the key bar and help.
    pub keys_text: &'static str,
    /// The catalogue key of the key bar's label.
    pub label: &'static str,
    /// Shown in the key bar (the others are in the help).
    pub in_bar: bool,
    /// The catalogue key of the longer description in the help, where the
    /// bar's label is short.
    pub help: &'static str,
}

/// A binding whose help says more than its key-bar label.
const fn bind_long(
    keys: &'static [Key],
    intent: Intent,
    keys_text: &'static str,
    label: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        intent,
        keys_text,
        label,
        in_bar: true,
        help,
    }
}

const fn bind(
    keys: &'static [Key],
    intent: Intent,
    keys_text: &'static str,
    label: &'static str,
    in_bar: bool,
) -> Binding {
    Binding {
        keys,
        intent,
        keys_text,
        label,
        in_bar,
        help: label,
    }
}

use KeyCode::{BackTab, Down, End, Enter, Esc, F, Home, PageDown, PageUp, Tab, Up};

#[rustfmt::skip]
const BROWSE: &[Binding] = &[
    bind_long(&[key(Up), ch('k')], Intent::Up, "↑↓/jk", "keys.move", "keys.up"),
    bind(&[key(Down), ch('j')], Intent::Down, "↓/j", "keys.down", false),
    bind(&[key(PageUp)], Intent::PageUp, "PgUp", "keys.page_up", false),
    bind(&[key(PageDown)], Intent::PageDown, "PgDn", "keys.page_down", false),
    bind(&[key(Home), ch('g')], Intent::Top, "g/Home", "keys.first", false),
    bind(&[key(End), ch('G')], Intent::Bottom, "G/End", "keys.last", false),
    bind(&[ch('/')], Intent::StartFilter, "/", "keys.filter", true),
    bind(&[ch('u'), key(Enter)], Intent::OpenForm, "u", "keys.update", true),
    bind_long(&[ch('p')], Intent::ToggleReservations, "p/P", "keys.allow_purchase", "keys.reservations_help"),
    bind(&[ch('P')], Intent::ToggleSavingsPlan, "P", "keys.savings_plan_help", false),
    bind(&[ch('h')], Intent::History, "h", "keys.history", true),
    bind(&[ch('s')], Intent::Sort, "s", "keys.sort", false),
    bind(&[ch('y')], Intent::Copy, "y", "keys.copy", false),
    bind(&[ch(' ')], Intent::Mark, "Space", "keys.mark", true),
    bind(&[ch('*')], Intent::MarkAll, "*", "keys.mark_all", false),
    bind(&[ch('c')], Intent::SwitchCloud, "c", "keys.cloud", true),
    bind(&[key(Tab)], Intent::ToggleFocus, "Tab", "keys.pane", true),
    bind(&[key(Esc)], Intent::ClearFilter, "Esc", "keys.clear_filter", false),
    bind(&[ch('?'), key(F(1))], Intent::Help, "?", "keys.help", true),
    bind(&[ctrl('z')], Intent::Suspend, "Ctrl-Z", "keys.suspend", false),
    bind(&[ch('q'), ctrl('c')], Intent::Quit, "q", "keys.quit", true),
];

#[rustfmt::skip]
const FILTER: &[Binding] = &[
    bind(&[key(F(1))], Intent::Help, "F1", "keys.help", false),
    bind(&[key(Enter)], Intent::AcceptFilter, "Enter", "keys.keep_filter", true),
    bind(&[key(Esc)], Intent::ClearFilter, "Esc", "keys.clear", true),
    bind(&[key(Up)], Intent::Up, "↑↓", "keys.move", true),
    bind(&[key(Down)], Intent::Down, "↓", "keys.down", false),
    bind(&[ctrl('c')], Intent::Quit, "Ctrl-C", "keys.quit", false),
];

#[rustfmt::skip]
const FORM: &[Binding] = &[
    bind(&[key(Tab), key(Down), key(Enter)], Intent::NextField, "Tab/↓", "keys.next_field", true),
    bind(&[key(BackTab), key(Up)], Intent::PrevField, "S-Tab/↑", "keys.previous", true),
    bind(&[ctrl('s')], Intent::Submit, "Ctrl-S", "keys.submit", true),
    bind(&[ctrl('p')], Intent::Pick, "Ctrl-P", "keys.pick_from_list", true),
    bind(&[key(F(1))], Intent::Help, "F1", "keys.help", true),
    bind(&[ctrl('z')], Intent::Suspend, "Ctrl-Z", "keys.suspend", false),
    bind(&[key(Esc)], Intent::Cancel, "Esc", "keys.cancel", true),
    bind(&[ctrl('c')], Intent::Quit, "Ctrl-C", "keys.quit", false),
];

#[rustfmt::skip]
const CONFIRM: &[Binding] = &[
    bind(&[ch('y'), ch('Y')], Intent::Yes, "y", "keys.yes", true),
    bind(&[ch('n'), ch('N'), key(Esc)], Intent::No, "n/Esc", "keys.no", true),
    bind(&[ctrl('c')], Intent::Quit, "Ctrl-C", "keys.quit", false),
];

#[rustfmt::skip]
const REVIEW: &[Binding] = &[
    bind(&[key(Enter), ch('y'), ch('Y'), ctrl('s')], Intent::Yes, "Enter", "keys.save", true),
    bind(&[key(Esc), ch('n'), ch('N')], Intent::No, "Esc/n", "keys.back_to_editing", true),
    bind(&[ctrl('c')], Intent::Quit, "Ctrl-C", "keys.quit", false),
];

#[rustfmt::skip]
const PICK: &[Binding] = &[
    bind(&[key(Enter)], Intent::Yes, "Enter", "keys.pick", true),
    bind(&[key(Up)], Intent::Up, "↑↓", "keys.move", true),
    bind(&[key(Down)], Intent::Down, "↓", "keys.down", false),
    bind(&[key(Esc)], Intent::No, "Esc", "keys.back", true),
    bind(&[ctrl('c')], Intent::Quit, "Ctrl-C", "keys.quit", false),
];

#[rustfmt::skip]
const HISTORY: &[Binding] = &[
    bind(&[key(Up), ch('k')], Intent::Up, "↑↓/jk", "keys.move", true),
    bind(&[key(Down), ch('j')], Intent::Down, "↓/j", "keys.down", false),
    bind(&[ch('r')], Intent::Revert, "r", "keys.revert", true),
    bind(&[ch('?'), key(F(1))], Intent::Help, "?", "keys.help", true),
    bind(&[key(Esc), ch('h'), ch('q')], Intent::Cancel, "Esc", "keys.close", true),
    bind(&[ctrl('c')], Intent::Quit, "Ctrl-C", "keys.quit", false),
];

#[rustfmt::skip]
const CONFLICT: &[Binding] = &[
    bind(&[key(Up), ch('k')], Intent::Up, "↑↓", "keys.move", true),
    bind(&[key(Down), ch('j')], Intent::Down, "↓", "keys.down", false),
    bind(&[ch('m')], Intent::TakeMine, "m", "keys.take_mine", true),
    bind(&[ch('t')], Intent::TakeTheirs, "t", "keys.take_theirs", true),
    bind(&[ch('e')], Intent::EditField, "e", "keys.edit_field", true),
    bind(&[key(Enter), ch('a')], Intent::Reapply, "Enter", "keys.reapply", true),
    bind(&[ch('r')], Intent::Reload, "r", "keys.reload", true),
    bind(&[key(Esc)], Intent::Cancel, "Esc", "keys.back_to_form", true),
    bind(&[ctrl('c')], Intent::Quit, "Ctrl-C", "keys.quit", false),
];

#[rustfmt::skip]
const HELP: &[Binding] = &[
    bind(&[key(Esc), key(F(1))], Intent::Cancel, "Esc", "keys.close_help", true),
    bind(&[key(Up)], Intent::Up, "↑↓", "keys.scroll", true),
    bind(&[key(Down)], Intent::Down, "↓", "keys.scroll_down", false),
    bind(&[ctrl('c')], Intent::Quit, "Ctrl-C", "keys.quit", false),
];

#[rustfmt::skip]
const NOTICE: &[Binding] = &[
    bind(&[key(Esc), key(Enter)], Intent::No, "Esc", "keys.back_to_form", true),
    bind(&[ctrl('c')], Intent::Quit, "Ctrl-C", "keys.quit", false),
];

/// The bindings in force in a mode.
pub fn bindings(mode: KeyMode) -> &'static [Binding] {
    match mode {
        KeyMode::Browse => BROWSE,
        KeyMode::Filter => FILTER,
        KeyMode::Form => FORM,
        KeyMode::Confirm => CONFIRM,
        KeyMode::Review => REVIEW,
        KeyMode::Pick => PICK,
        KeyMode::History => HISTORY,
        KeyMode::Conflict => CONFLICT,
        KeyMode::Notice => NOTICE,
        KeyMode::Help => HELP,
    }
}

impl KeyMode {
    /// What the mode is called in the help.
    pub fn title(self) -> &'static str {
        match self {
            KeyMode::Browse => crate::t!("mode.browse"),
            KeyMode::Filter => crate::t!("mode.filter"),
            KeyMode::Form => crate::t!("mode.form"),
            KeyMode::Confirm => crate::t!("mode.confirm"),
            KeyMode::Review => crate::t!("mode.review"),
            KeyMode::Pick => crate::t!("mode.pick"),
            KeyMode::History => crate::t!("mode.history"),
            KeyMode::Conflict => crate::t!("mode.conflict"),
            KeyMode::Notice => crate::t!("mode.notice"),
            KeyMode::Help => crate::t!("mode.help"),
        }
    }
}

/// How a key is written in the help: `Ctrl-S`, `Esc`, `↑`, `Space`.
pub fn key_name(key: &Key) -> String {
    let name = match key.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "Shift-Tab".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    };
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        format!("Ctrl-{}", name.to_uppercase())
    } else {
        name
    }
}

/// The line-editing keys of every text field (tui-input's own bindings),
/// with the catalogue keys of what they do.
pub const EDITING_KEYS: &[(&str, &str)] = &[
    ("← → / Ctrl-B Ctrl-F", "editing.char"),
    ("Ctrl-← Ctrl-→ / Alt-B Alt-F", "editing.word"),
    ("Home End / Ctrl-A Ctrl-E", "editing.line_ends"),
    ("Backspace Delete", "editing.delete_char"),
    ("Ctrl-W / Alt-Backspace", "editing.delete_word"),
    ("Ctrl-U", "editing.delete_line"),
    ("Ctrl-K", "editing.delete_to_end"),
    ("Ctrl-Y", "editing.yank"),
];

/// Shift is part of the character itself (`G`, `P`) and of BackTab, so it is
/// ignored for those; terminals differ in whether they report it.
fn normalise(event: &KeyEvent) -> Key {
    let mut modifiers = event.modifiers;
    if matches!(event.code, KeyCode::Char(_) | KeyCode::BackTab) {
        modifiers.remove(KeyModifiers::SHIFT);
    }
    Key {
        code: event.code,
        modifiers,
    }
}

/// The key map in force: the defaults above with the config file's
/// overrides applied. One table per mode, used for dispatch, the key bar
/// and the help alike.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keymap {
    modes: Vec<(KeyMode, Vec<ActiveBinding>)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveBinding {
    pub keys: Vec<Key>,
    pub intent: Intent,
    pub keys_text: String,
    /// Catalogue keys (see `Binding`); `label()` and `help()` say them.
    pub label: &'static str,
    pub in_bar: bool,
    pub help: &'static str,
}

impl ActiveBinding {
    /// The key bar's label, in the operator's language.
    pub fn label(&self) -> &'static str {
        crate::i18n::t(self.label)
    }

    /// What the help says the keys do, in the operator's language.
    pub fn help(&self) -> &'static str {
        crate::i18n::t(self.help)
    }
}

impl Default for Keymap {
    fn default() -> Keymap {
        let modes = KeyMode::ALL
            .iter()
            .map(|&mode| {
                let bindings = bindings(mode)
                    .iter()
                    .map(|b| ActiveBinding {
                        keys: b.keys.to_vec(),
                        intent: b.intent,
                        keys_text: b.keys_text.to_string(),
                        label: b.label,
                        in_bar: b.in_bar,
                        help: b.help,
                    })
                    .collect();
                (mode, bindings)
            })
            .collect();
        Keymap { modes }
    }
}

impl Keymap {
    pub fn bindings(&self, mode: KeyMode) -> &[ActiveBinding] {
        self.modes
            .iter()
            .find(|(m, _)| *m == mode)
            .map_or(&[], |(_, b)| b.as_slice())
    }

    /// The intent a key press has in a mode, if it is bound there.
    pub fn resolve(&self, mode: KeyMode, event: &KeyEvent) -> Option<Intent> {
        if event.kind == KeyEventKind::Release {
            return None;
        }
        let pressed = normalise(event);
        self.bindings(mode)
            .iter()
            .find(|b| b.keys.contains(&pressed))
            .map(|b| b.intent)
    }

    /// Binds `keys` to the intent named `action` in `mode`, replacing its
    /// default keys; the keys are taken away from any other action of the
    /// mode. Errors name what is wrong.
    pub fn rebind(&mut self, mode: KeyMode, action: &str, keys: &[String]) -> Result<(), String> {
        let parsed: Vec<Key> = keys
            .iter()
            .map(|k| parse_key(k))
            .collect::<Result<_, _>>()?;
        if parsed.is_empty() {
            return Err(crate::t!("config.no_keys", action = action));
        }
        let Some((_, bindings)) = self.modes.iter_mut().find(|(m, _)| *m == mode) else {
            return Err(format!("no mode {mode:?}"));
        };
        let Some(index) = bindings
            .iter()
            .position(|b| intent_name(b.intent) == action)
        else {
            let known: Vec<&str> = bindings.iter().map(|b| intent_name(b.intent)).collect();
            return Err(crate::t!(
                "config.not_an_action",
                action = action,
                actions = known.join(", ")
            ));
        };
        for b in bindings.iter_mut() {
            b.keys.retain(|k| !parsed.contains(k));
        }
        let binding = &mut bindings[index];
        binding.keys_text = parsed.iter().map(key_name).collect::<Vec<_>>().join("/");
        binding.keys = parsed;
        Ok(())
    }
}

/// The name of an intent in the config file (`update`, `toggle_savings_plan`).
pub fn intent_name(intent: Intent) -> &'static str {
    match intent {
        Intent::Up => "up",
        Intent::Down => "down",
        Intent::PageUp => "page_up",
        Intent::PageDown => "page_down",
        Intent::Top => "top",
        Intent::Bottom => "bottom",
        Intent::StartFilter => "filter",
        Intent::AcceptFilter => "keep_filter",
        Intent::ClearFilter => "clear_filter",
        Intent::ToggleFocus => "switch_pane",
        Intent::OpenForm => "update",
        Intent::ToggleReservations => "toggle_reservations",
        Intent::ToggleSavingsPlan => "toggle_savings_plan",
        Intent::SwitchCloud => "switch_cloud",
        Intent::Quit => "quit",
        Intent::Yes => "yes",
        Intent::No => "no",
        Intent::NextField => "next_field",
        Intent::PrevField => "previous_field",
        Intent::Submit => "submit",
        Intent::Cancel => "cancel",
        Intent::Pick => "pick",
        Intent::History => "history",
        Intent::Revert => "revert",
        Intent::Reload => "reload",
        Intent::Reapply => "reapply",
        Intent::TakeMine => "take_mine",
        Intent::TakeTheirs => "take_theirs",
        Intent::EditField => "edit_field",
        Intent::Mark => "mark",
        Intent::MarkAll => "mark_all",
        Intent::Help => "help",
        Intent::Suspend => "suspend",
        Intent::Copy => "copy",
        Intent::Sort => "sort",
    }
}

impl KeyMode {
    /// The mode's name in the config file (`[keys.browse]`).
    pub fn config_name(self) -> &'static str {
        match self {
            KeyMode::Browse => "browse",
            KeyMode::Filter => "filter",
            KeyMode::Form => "form",
            KeyMode::Confirm => "confirm",
            KeyMode::Review => "review",
            KeyMode::Pick => "pick",
            KeyMode::History => "history",
            KeyMode::Conflict => "conflict",
            KeyMode::Notice => "notice",
            KeyMode::Help => "help",
        }
    }
}

/// Reads a key as written in the config: `u`, `G`, `Enter`, `Ctrl-S`,
/// `Esc`, `Up`, `PgDn`, `F1`, `Space`, `Shift-Tab`.
pub fn parse_key(text: &str) -> Result<Key, String> {
    let text = text.trim();
    let (modifiers, name) = match text
        .strip_prefix("Ctrl-")
        .or_else(|| text.strip_prefix("ctrl-"))
    {
        Some(rest) => (KeyModifiers::CONTROL, rest),
        None => (KeyModifiers::NONE, text),
    };
    let code = match name.to_lowercase().as_str() {
        "enter" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "shift-tab" | "backtab" => KeyCode::BackTab,
        "space" => KeyCode::Char(' '),
        "up" | "↑" => KeyCode::Up,
        "down" | "↓" => KeyCode::Down,
        "left" | "←" => KeyCode::Left,
        "right" | "→" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pgup" | "pageup" => KeyCode::PageUp,
        "pgdn" | "pagedown" => KeyCode::PageDown,
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
            KeyCode::F(f[1..].parse().unwrap_or(1))
        }
        _ => {
            let mut chars = name.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => KeyCode::Char(if modifiers.is_empty() {
                    c
                } else {
                    c.to_ascii_lowercase()
                }),
                _ => {
                    return Err(crate::t!("config.not_a_key", key = text));
                }
            }
        }
    };
    Ok(Key { code, modifiers })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn shifted_letters_resolve_with_or_without_the_shift_flag() {
        let g = Keymap::default().resolve(
            KeyMode::Browse,
            &press(KeyCode::Char('G'), KeyModifiers::SHIFT),
        );
        assert_eq!(g, Some(Intent::Bottom));
        let p = Keymap::default().resolve(
            KeyMode::Browse,
            &press(KeyCode::Char('P'), KeyModifiers::NONE),
        );
        assert_eq!(p, Some(Intent::ToggleSavingsPlan));
    }

    #[test]
    fn control_keys_need_control() {
        let c = press(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(
            Keymap::default().resolve(KeyMode::Browse, &c),
            Some(Intent::SwitchCloud)
        );
        let ctrl_c = press(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(
            Keymap::default().resolve(KeyMode::Browse, &ctrl_c),
            Some(Intent::Quit)
        );
        assert_eq!(
            Keymap::default().resolve(KeyMode::Form, &c),
            None,
            "plain letters are text in the form"
        );
    }

    #[test]
    fn rebinding_moves_keys_and_rewrites_the_text() {
        let mut map = Keymap::default();
        map.rebind(KeyMode::Browse, "update", &["e".into(), "F4".into()])
            .unwrap();
        let e = press(KeyCode::Char('e'), KeyModifiers::NONE);
        assert_eq!(map.resolve(KeyMode::Browse, &e), Some(Intent::OpenForm));
        let u = press(KeyCode::Char('u'), KeyModifiers::NONE);
        assert_eq!(
            map.resolve(KeyMode::Browse, &u),
            None,
            "the old key is free"
        );
        let bar = map
            .bindings(KeyMode::Browse)
            .iter()
            .find(|b| b.intent == Intent::OpenForm)
            .unwrap();
        assert_eq!(bar.keys_text, "e/F4");
        // Taking a key from another action.
        map.rebind(KeyMode::Browse, "history", &["c".into()])
            .unwrap();
        let c = press(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(map.resolve(KeyMode::Browse, &c), Some(Intent::History));
        assert!(
            map.rebind(KeyMode::Browse, "fly", &["x".into()])
                .unwrap_err()
                .contains("not an action here")
        );
        assert!(
            map.rebind(KeyMode::Browse, "quit", &["Hyper-Q".into()])
                .unwrap_err()
                .contains("is not a key")
        );
    }

    #[test]
    fn every_intent_has_its_own_name() {
        let mut intents: Vec<Intent> = KeyMode::ALL
            .iter()
            .flat_map(|m| bindings(*m).iter().map(|b| b.intent))
            .collect();
        intents.sort_by_key(|i| intent_name(*i));
        intents.dedup();
        let mut names: Vec<&str> = intents.iter().map(|i| intent_name(*i)).collect();
        names.dedup();
        assert_eq!(
            names.len(),
            intents.len(),
            "two intents share a config name"
        );
        assert!(names.contains(&"update") && names.contains(&"submit"));
    }

    #[test]
    fn no_key_is_bound_twice_in_a_mode() {
        for mode in [
            KeyMode::Browse,
            KeyMode::Filter,
            KeyMode::Form,
            KeyMode::Confirm,
        ] {
            let keys: Vec<Key> = bindings(mode)
                .iter()
                .flat_map(|b| b.keys.iter().copied())
                .collect();
            for (i, k) in keys.iter().enumerate() {
                assert!(!keys[i + 1..].contains(k), "{mode:?}: {k:?} bound twice");
            }
        }
    }
}
