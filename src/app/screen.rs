//! What is on screen: a screen that owns its data, the dialog over it, and
//! the help over everything (helix's compositor layers, gitui's popups).
//! Each dialog sits on the one screen it belongs to and holds what it asks
//! about, so a picker without a form or a review without a checked record
//! cannot be built, and no handler has to fall back when one is missing.

use super::{Conflict, Form, HistoryView, Picker, State};
use crate::domain::{Customer, Permission};
use crate::draft::Draft;
use crate::keymap::KeyMode;

/// What fills the screen under the header.
#[derive(Clone, Debug)]
pub enum Screen {
    /// The list and the selected customer's detail.
    Browse(Option<BrowseOverlay>),
    /// The Update form in place of the list and the detail.
    Form(Box<FormScreen>),
    /// The list and the selected customer's change history.
    History(HistoryView),
}

impl Default for Screen {
    fn default() -> Screen {
        Screen::Browse(None)
    }
}

/// What sits on the browse screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BrowseOverlay {
    /// The `/` prompt takes the typing.
    Filter,
    /// Asking "Allow … to purchase …?" about the selected customer.
    ConfirmPermission { permission: Permission, allow: bool },
    /// Offering back an edit saved when konto last had to stop.
    RestoreDraft(Draft),
}

/// The form, and the dialog over it.
#[derive(Clone, Debug)]
pub struct FormScreen {
    pub form: Form,
    pub overlay: Option<FormOverlay>,
}

/// What sits on the form.
#[derive(Clone, Debug)]
pub enum FormOverlay {
    /// Choosing the focused field's value from a list.
    Pick(Picker),
    /// Asking whether to throw away the form's changes (and then quit).
    ConfirmDiscard { then_quit: bool },
    /// The checked record has warnings: asking once whether to go on.
    ConfirmWarnings(Box<Customer>),
    /// Each changed field as old → new, before it is written.
    Review(Pending),
    /// The record changed while the form was open: reload or re-apply.
    Conflict(Box<Conflict>),
    /// A bulk change would make these customers invalid, each with why.
    BulkFailed(Vec<String>),
}

/// What a submit checked, waiting in the review.
#[derive(Clone, Debug)]
pub enum Pending {
    /// The form's record, normalised.
    One(Box<Customer>),
    /// A bulk change's records, each normalised.
    Many(Vec<Customer>),
}

/// The layer in front, by name: what the keys go to (`key_mode`) and what
/// tests ask about. Worked out from the layers, never stored beside them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Browse,
    Filter,
    Form,
    ConfirmPermission { permission: Permission, allow: bool },
    ConfirmDiscard { then_quit: bool },
    Pick,
    ConfirmWarnings,
    Review,
    History,
    ConfirmRevert { version: u64 },
    Conflict,
    BulkFailed,
    Help,
    ConfirmRestoreDraft,
}

impl Mode {
    /// The table of the key map in force.
    pub fn key_mode(self) -> KeyMode {
        match self {
            Mode::Browse => KeyMode::Browse,
            Mode::Filter => KeyMode::Filter,
            Mode::Form => KeyMode::Form,
            Mode::ConfirmPermission { .. }
            | Mode::ConfirmDiscard { .. }
            | Mode::ConfirmWarnings
            | Mode::ConfirmRevert { .. }
            | Mode::ConfirmRestoreDraft => KeyMode::Confirm,
            Mode::History => KeyMode::History,
            Mode::Conflict => KeyMode::Conflict,
            Mode::BulkFailed => KeyMode::Notice,
            Mode::Help => KeyMode::Help,
            Mode::Pick => KeyMode::Pick,
            Mode::Review => KeyMode::Review,
        }
    }
}

impl Screen {
    /// A form with nothing over it.
    pub fn form(form: Form) -> Screen {
        Screen::Form(Box::new(FormScreen {
            form,
            overlay: None,
        }))
    }

    /// A form with `overlay` over it.
    pub fn form_with(form: Form, overlay: FormOverlay) -> Screen {
        Screen::Form(Box::new(FormScreen {
            form,
            overlay: Some(overlay),
        }))
    }

    /// The front layer of the screen (the help aside).
    pub fn mode(&self) -> Mode {
        match self {
            Screen::Browse(None) => Mode::Browse,
            Screen::Browse(Some(BrowseOverlay::Filter)) => Mode::Filter,
            Screen::Browse(Some(BrowseOverlay::ConfirmPermission { permission, allow })) => {
                Mode::ConfirmPermission {
                    permission: *permission,
                    allow: *allow,
                }
            }
            Screen::Browse(Some(BrowseOverlay::RestoreDraft(_))) => Mode::ConfirmRestoreDraft,
            Screen::Form(screen) => match &screen.overlay {
                None => Mode::Form,
                Some(FormOverlay::Pick(_)) => Mode::Pick,
                Some(FormOverlay::ConfirmDiscard { then_quit }) => Mode::ConfirmDiscard {
                    then_quit: *then_quit,
                },
                Some(FormOverlay::ConfirmWarnings(_)) => Mode::ConfirmWarnings,
                Some(FormOverlay::Review(_)) => Mode::Review,
                Some(FormOverlay::Conflict(_)) => Mode::Conflict,
                Some(FormOverlay::BulkFailed(_)) => Mode::BulkFailed,
            },
            Screen::History(view) => match view.confirm_revert {
                None => Mode::History,
                Some(version) => Mode::ConfirmRevert { version },
            },
        }
    }
}

impl State {
    /// The layer in front.
    pub fn mode(&self) -> Mode {
        match self.help {
            Some(_) => Mode::Help,
            None => self.screen.mode(),
        }
    }

    /// The table of the key map the keys go to.
    pub fn key_mode(&self) -> KeyMode {
        self.mode().key_mode()
    }

    /// The open form, whatever is over it.
    pub fn form(&self) -> Option<&Form> {
        self.form_screen().map(|screen| &screen.form)
    }

    /// The open form and the dialog over it.
    pub fn form_screen(&self) -> Option<&FormScreen> {
        match &self.screen {
            Screen::Form(screen) => Some(screen),
            Screen::Browse(_) | Screen::History(_) => None,
        }
    }

    /// The form's picker, while one is open.
    pub fn picker(&self) -> Option<&Picker> {
        match self.form_screen()?.overlay.as_ref()? {
            FormOverlay::Pick(picker) => Some(picker),
            FormOverlay::ConfirmDiscard { .. }
            | FormOverlay::ConfirmWarnings(_)
            | FormOverlay::Review(_)
            | FormOverlay::Conflict(_)
            | FormOverlay::BulkFailed(_) => None,
        }
    }

    /// The change history, while it is shown.
    pub fn history(&self) -> Option<&HistoryView> {
        match &self.screen {
            Screen::History(view) => Some(view),
            Screen::Browse(_) | Screen::Form(_) => None,
        }
    }
}
