//! The help over everything: every key of the screen below it.

use tui_input::Input;

use super::{Command, State, available};
use crate::keymap::{self, Intent};

/// The help overlay; what it lists is the key map of the screen under it.
#[derive(Clone, Debug, Default)]
pub struct HelpView {
    /// Typing narrows the list.
    pub query: Input,
    pub scroll: u16,
}

/// A line of the help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelpLine {
    pub keys: String,
    /// What they do.
    pub text: String,
    /// Whether they can be used now (`available`); drawn dimmed if not.
    pub enabled: bool,
}

impl HelpView {
    /// The lines of the screen under the help, narrowed by the query;
    /// straight from the key map, so the help always tells what the keys
    /// really do, and whether they can be used now.
    pub fn lines(&self, state: &State) -> Vec<HelpLine> {
        let mode = state.screen.mode().key_mode();
        let mut lines: Vec<HelpLine> = state
            .keymap
            .bindings(mode)
            .iter()
            .map(|b| {
                let keys: Vec<String> = b.keys.iter().map(keymap::key_name).collect();
                HelpLine {
                    keys: keys.join(" "),
                    text: b.help().to_string(),
                    enabled: available(b.intent, state).is_ok(),
                }
            })
            .collect();
        if mode.edits_text() {
            lines.extend(keymap::EDITING_KEYS.iter().map(|(keys, text)| HelpLine {
                keys: keys.to_string(),
                text: crate::i18n::t(text).to_string(),
                enabled: true,
            }));
        }
        let query = self.query.value().trim().to_lowercase();
        lines.retain(|line| {
            query.is_empty()
                || line.keys.to_lowercase().contains(&query)
                || line.text.to_lowercase().contains(&query)
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
        | conflict_intents!()
        | global_intents!() => {}
    }
    (true, Command::None)
}
