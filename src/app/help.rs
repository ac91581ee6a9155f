//! The help over everything: every key of the screen below it.

use tui_input::Input;

use super::Command;
use crate::keymap::{self, Intent, KeyMode};

/// The help overlay; what it lists is the key map of the screen under it.
#[derive(Clone, Debug, Default)]
pub struct HelpView {
    /// Typing narrows the list.
    pub query: Input,
    pub scroll: u16,
}

impl HelpView {
    /// The (keys, what they do) lines of `mode`, narrowed by the query;
    /// straight from the key map, so the help always tells what the keys
    /// really do.
    pub fn lines(&self, keymap: &keymap::Keymap, mode: KeyMode) -> Vec<(String, String)> {
        let mut lines: Vec<(String, String)> = keymap
            .bindings(mode)
            .iter()
            .map(|b| {
                let keys: Vec<String> = b.keys.iter().map(keymap::key_name).collect();
                (keys.join(" "), b.help().to_string())
            })
            .collect();
        if mode.edits_text() {
            lines.extend(
                keymap::EDITING_KEYS
                    .iter()
                    .map(|(k, l)| (k.to_string(), crate::i18n::t(l).to_string())),
            );
        }
        let query = self.query.value().trim().to_lowercase();
        lines.retain(|(k, l)| {
            query.is_empty()
                || k.to_lowercase().contains(&query)
                || l.to_lowercase().contains(&query)
        });
        lines
    }
}

/// Keys while the help is open: whether it stays open, and the command.
pub(super) fn on_intent(help: &mut HelpView, intent: Intent) -> (bool, Command) {
    match intent {
        Intent::Up => help.scroll = help.scroll.saturating_sub(1),
        Intent::Down => help.scroll = help.scroll.saturating_add(1),
        Intent::Cancel => return (false, Command::None),
        Intent::Quit => return (true, Command::Quit),
        // Not bound in the help (Suspend is answered before any layer).
        list_intents!()
        | form_intents!()
        | Intent::Yes
        | Intent::No
        | Intent::Revert
        | Intent::Reload
        | Intent::Reapply
        | global_intents!() => {}
    }
    (true, Command::None)
}
