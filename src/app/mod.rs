//! The app state machine: `update(state, action)` steps the state and says what
//! the runtime must do next. No terminal, no store, no clock in here, so every
//! behaviour can be driven and checked by tests.

// Every handler of a layer matches every intent, naming what it ignores,
// so a new `Intent` does not compile until each layer says what it does
// with it. The intents only one layer acts on are named once, here: add a
// new one of the list or the form to its group and handle it in that
// layer; the others then ignore it by the group's name.

/// The intents only the browse list acts on.
macro_rules! list_intents {
    () => {
        Intent::PageUp
            | Intent::PageDown
            | Intent::Top
            | Intent::Bottom
            | Intent::StartFilter
            | Intent::AcceptFilter
            | Intent::ClearFilter
            | Intent::ToggleFocus
            | Intent::OpenForm
            | Intent::ToggleReservations
            | Intent::ToggleSavingsPlan
            | Intent::SwitchCloud
            | Intent::History
            | Intent::Mark
            | Intent::MarkAll
            | Intent::Copy
            | Intent::Sort
    };
}

/// The intents only the form acts on.
macro_rules! form_intents {
    () => {
        Intent::NextField | Intent::PrevField | Intent::Submit | Intent::Pick
    };
}

/// The intents of the conflict's merge view.
macro_rules! conflict_intents {
    () => {
        Intent::Reload | Intent::Reapply | Intent::TakeMine | Intent::TakeTheirs | Intent::EditField
    };
}

/// The intents answered before any layer sees them.
macro_rules! global_intents {
    () => {
        Intent::Help | Intent::Suspend
    };
}

mod available;
mod browse;
mod editing;
mod form;
mod help;
mod history;
mod list;
mod live;
mod picker;
mod results;
mod screen;

pub use available::available;
pub use browse::permission_question;
pub use editing::{BulkSample, Change, bulk_review, changes};
pub use form::{Conflict, Form, FormField, FormKind, FormLine, Merge};
pub use help::{HelpLine, HelpView};
pub use history::HistoryView;
pub use list::{BULK_MAX, FILTER_STEP_ROWS, ListState, Loading, next_step_rows};
pub use picker::{PickOption, Picker};
pub use screen::{BrowseOverlay, FormOverlay, FormScreen, Mode, Pending, Screen};

use ratatui::crossterm::event::{Event, KeyEvent};
use tui_input::backend::crossterm::to_input_request;
use tui_input::{Input, InputRequest};

use crate::domain::{AuditAction, AuditEntry, Cloud, Customer};
use crate::keymap::{self, Intent};
use crate::layout;
use crate::t;
use crate::validate::{Policy, is_forbidden_char};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    List,
    Detail,
}

/// The orders the list can be in; `s` cycles through them. Every order
/// ends in the company name and id, so it is stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortBy {
    #[default]
    Name,
    Country,
    /// Newest first.
    Updated,
    /// Highest first.
    Version,
}

impl SortBy {
    pub fn next(self) -> SortBy {
        match self {
            SortBy::Name => SortBy::Country,
            SortBy::Country => SortBy::Updated,
            SortBy::Updated => SortBy::Version,
            SortBy::Version => SortBy::Name,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            SortBy::Name => crate::t!("sort.name"),
            SortBy::Country => crate::t!("sort.country"),
            SortBy::Updated => crate::t!("sort.updated"),
            SortBy::Version => crate::t!("sort.version"),
        }
    }
}

/// The look: the built-in themes, and none at all (`NO_COLOR`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
    HighContrast,
    NoColor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusKind {
    Info,
    Success,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub kind: StatusKind,
}

/// Everything the app reacts to.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Intent(Intent),
    /// A line-editing request for the filter or the focused form field.
    Edit(InputRequest),
    Paste(String),
    Resize {
        width: u16,
        height: u16,
    },
    /// A mouse click or wheel turn at a cell of the screen.
    Mouse {
        kind: MouseKind,
        column: u16,
        row: u16,
    },
    /// A cloud's list (or its first page, with more rows to come).
    Loaded {
        cloud: Cloud,
        listing: crate::listing::Listing,
        records: Vec<Customer>,
        /// How many customers the cloud has, when rows are still to come.
        loading: Option<usize>,
    },
    /// More rows of the list, in name order; `done` with the last ones.
    RowsLoaded {
        rows: crate::listing::Listing,
        done: bool,
    },
    /// Full records the screen needs (see `State::wanted_records`).
    Records(Vec<Customer>),
    /// Customers (name, id) whose records break a rule added after they
    /// were saved, as the runtime finds them checking every record.
    NeedAttention(Vec<(String, String)>),
    /// No key is waiting: go on with the filter, this many rows more.
    FilterStep {
        rows: usize,
    },
    LoadFailed(String),
    Saved(Customer),
    Unchanged(Customer),
    CommitFailed(String),
    /// A bulk change was committed.
    BulkSaved(Vec<Customer>),
    /// The commit was based on an old version; `theirs` is what is stored.
    Conflict {
        theirs: Box<Customer>,
        fields: Vec<String>,
    },
    /// A customer's audit entries, oldest first (as the store keeps them).
    HistoryLoaded {
        id: String,
        entries: Vec<AuditEntry>,
    },
    /// Customers changed elsewhere, as stored now (the runtime's poll of
    /// the store's change feed); `reload`: more changed than it lists.
    ChangedElsewhere {
        customers: Vec<Customer>,
        /// The audit entries of the open form's customer after the form's
        /// version, when it is among them (for the form's banner).
        history: Vec<AuditEntry>,
        reload: bool,
    },
    /// Whether the store answered the runtime's last poll.
    StoreReachable(bool),
}

impl Action {
    /// A whole cloud's list from full records (small lists, tests).
    pub fn loaded(cloud: Cloud, customers: Vec<Customer>) -> Action {
        Action::Loaded {
            cloud,
            listing: crate::listing::Listing::of_customers(cloud, &customers),
            records: customers,
            loading: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MouseKind {
    Click,
    WheelUp,
    WheelDown,
}

/// What the runtime must do after an update.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    None,
    Quit,
    Load(Cloud),
    /// Commit `record` (whose `version` is the one it was based on).
    Commit {
        action: AuditAction,
        record: Box<Customer>,
    },
    /// Commit several records in one transaction, each its own version.
    CommitMany {
        action: AuditAction,
        records: Vec<Customer>,
    },
    LoadHistory {
        cloud: Cloud,
        id: String,
    },
    /// Suspend the process (Ctrl-Z); the terminal is restored around it.
    Suspend,
    /// Put text on the clipboard (OSC 52, so it works over SSH too).
    Copy(String),
    /// The offered draft was taken or declined: remove it from disk.
    ForgetDraft,
    Revert {
        cloud: Cloud,
        id: String,
        version: u64,
    },
}

#[derive(Clone, Debug)]
pub struct State {
    pub cloud: Cloud,
    /// Where the store lives, for the header.
    pub store_path: String,
    /// The customers of the cloud: rows, orders, filter, on-screen records.
    pub list: ListState,
    /// Index into the visible rows.
    pub selected: usize,
    /// First visible row of the list.
    pub list_offset: usize,
    /// The field selected in the detail pane (index into `FIELDS`), for `y`.
    pub detail_field: usize,
    pub focus: Pane,
    /// The filter's text (typed at the `/` prompt, kept after it closes).
    pub filter: Input,
    /// What is on screen, with the dialog over it.
    pub screen: Screen,
    /// The help, over whatever is on screen.
    pub help: Option<HelpView>,
    /// Ids of the customers marked for a bulk change.
    pub marked: std::collections::BTreeSet<String>,
    pub status: Option<Status>,
    pub viewport: (u16, u16),
    /// Validation settings (the partner's own domain).
    pub policy: Policy,
    pub theme: ThemeName,
    /// What this operator may do.
    pub access: crate::domain::Access,
    /// The key map in force (defaults and the config's overrides).
    pub keymap: keymap::Keymap,
    pub sort: SortBy,
    /// The language and time zone texts and dates are written in.
    pub locale: crate::i18n::Locale,
    /// The shared store cannot be reached: the header says so while the
    /// runtime tries again; what is loaded can still be browsed.
    pub reconnecting: bool,
}

impl State {
    pub fn new(cloud: Cloud, store_path: String, customers: Vec<Customer>) -> State {
        let mut state = State {
            cloud,
            store_path,
            list: ListState::default(),
            selected: 0,
            list_offset: 0,
            detail_field: 0,
            focus: Pane::List,
            filter: Input::default(),
            screen: Screen::default(),
            help: None,
            marked: std::collections::BTreeSet::new(),
            status: None,
            viewport: (80, 24),
            policy: Policy::default(),
            theme: ThemeName::Dark,
            access: crate::domain::Access::default(),
            keymap: keymap::Keymap::default(),
            sort: SortBy::Name,
            locale: crate::i18n::Locale::default(),
            reconnecting: false,
        };
        state.set_list(
            crate::listing::Listing::of_customers(cloud, &customers),
            customers,
        );
        state
    }

    /// The rows shown, in order (indexes into the listing).
    pub fn visible(&self) -> &[u32] {
        self.list.visible()
    }

    fn page_rows(&self) -> usize {
        layout::list_rows(self.viewport.0, self.viewport.1)
    }

    /// Selects a row (clamped to the list) and scrolls it into view.
    fn select(&mut self, row: usize) {
        let last = self.visible().len().saturating_sub(1);
        let row = row.min(last);
        if row != self.selected {
            self.detail_field = 0;
        }
        self.selected = row;
        let page = self.page_rows();
        if self.selected < self.list_offset {
            self.list_offset = self.selected;
        } else if self.selected >= self.list_offset + page {
            self.list_offset = self.selected + 1 - page;
        }
        self.list_offset = self
            .list_offset
            .min(self.visible().len().saturating_sub(page));
    }

    /// The open form's changes as a draft to keep on disk, if there are any.
    pub fn unsaved_draft(&self) -> Option<crate::draft::Draft> {
        self.form().and_then(Form::draft)
    }

    fn move_by(&mut self, delta: isize) {
        let row = self.selected.saturating_add_signed(delta);
        self.select(row);
    }

    fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            kind: StatusKind::Info,
        });
    }

    fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            kind: StatusKind::Error,
        });
    }

    fn success(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            kind: StatusKind::Success,
        });
    }
}

/// Turns a key press into an action of the layer in front and applies it.
pub fn handle_key(state: &mut State, key: KeyEvent) -> Command {
    let mode = state.key_mode();
    if let Some(intent) = state.keymap.resolve(mode, &key) {
        return update(state, Action::Intent(intent));
    }
    if mode.edits_text()
        && let Some(request) = to_input_request(&Event::Key(key))
    {
        return update(state, Action::Edit(request));
    }
    Command::None
}

/// Steps the state machine: what the operator did goes to the layer in
/// front, what the runtime reports to `results`.
pub fn update(state: &mut State, action: Action) -> Command {
    // Messages are written in the state's language.
    crate::i18n::set_locale(state.locale);
    match action {
        Action::Intent(intent) => return on_intent(state, intent),
        Action::Edit(request) => on_edit(state, TextEdit::Request(request)),
        Action::Paste(text) => on_paste(state, &text),
        Action::Mouse { kind, column, row } => browse::on_mouse(state, kind, column, row),
        Action::Resize { width, height } => {
            state.viewport = (width, height);
            state.select(state.selected);
        }
        Action::Loaded {
            cloud,
            listing,
            records,
            loading,
        } => results::loaded(state, cloud, listing, records, loading),
        Action::RowsLoaded { rows, done } => state.add_rows(rows, done),
        Action::Records(records) => return results::records(state, records),
        Action::NeedAttention(found) => state.mark_attention(&found),
        Action::FilterStep { rows } => state.filter_step(rows),
        Action::LoadFailed(message) => {
            // Rows that stopped streaming will not come.
            state.list.loading = None;
            state.error(message);
        }
        Action::Saved(customer) => return results::saved(state, customer),
        Action::BulkSaved(saved) => results::bulk_saved(state, saved),
        Action::Conflict { theirs, fields } => results::conflict(state, *theirs, fields),
        Action::HistoryLoaded { id, entries } => results::history_loaded(state, id, entries),
        Action::Unchanged(customer) => results::unchanged(state, customer),
        Action::CommitFailed(message) => results::commit_failed(state, &message),
        Action::ChangedElsewhere {
            customers,
            history,
            reload,
        } => return live::changed_elsewhere(state, customers, &history, reload),
        Action::StoreReachable(reachable) => live::reachable(state, reachable),
    }
    Command::None
}

/// An intent goes to the help when it is open, else (if it is `available`)
/// to the screen and the dialog over it. Each layer's handler takes its screen by value and
/// returns the next one, so it cannot be left half changed.
fn on_intent(state: &mut State, intent: Intent) -> Command {
    if intent == Intent::Suspend {
        return Command::Suspend;
    }
    if let Some(help) = state.help.as_mut() {
        let (open, command) = help::on_intent(help, intent);
        if !open {
            state.help = None;
        }
        return command;
    }
    if intent == Intent::Help {
        state.help = Some(HelpView::default());
        return Command::None;
    }
    if let Err(refusal) = available(intent, state) {
        state.status = Some(refusal);
        return Command::None;
    }
    let (screen, command) = match std::mem::take(&mut state.screen) {
        Screen::Browse(overlay) => browse::on_intent(state, overlay, intent),
        Screen::Form(screen) => editing::on_intent(state, *screen, intent),
        Screen::History(view) => history::on_intent(state, view, intent),
    };
    state.screen = screen;
    command
}

/// Where an intent leaves the app: the next screen, and what the runtime
/// must do.
type Step = (Screen, Command);

/// What a question makes of an intent: its keys answer yes or no; any
/// other leaves the question open, with what the runtime must do (quit, on
/// Ctrl-C, or nothing).
#[derive(Clone, Debug, PartialEq)]
enum Reply {
    Yes,
    No,
    Unanswered(Command),
}

fn reply(intent: Intent) -> Reply {
    match intent {
        Intent::Yes => Reply::Yes,
        Intent::No => Reply::No,
        Intent::Quit => Reply::Unanswered(Command::Quit),
        // Not bound in a question (Help and Suspend are answered before).
        Intent::Up
        | Intent::Down
        | Intent::Cancel
        | list_intents!()
        | form_intents!()
        | Intent::Revert
        | conflict_intents!()
        | global_intents!() => Reply::Unanswered(Command::None),
    }
}

/// Pasted text is one line of typing: newlines and control characters are
/// dropped, never inserted.
fn on_paste(state: &mut State, text: &str) {
    let clean: String = text.chars().filter(|c| !is_forbidden_char(*c)).collect();
    if !clean.is_empty() {
        on_edit(state, TextEdit::Paste(clean));
    }
}

/// A change to a line of text: a key's request, or pasted text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextEdit {
    Request(InputRequest),
    Paste(String),
}

impl TextEdit {
    /// Applies the edit; returns whether the value changed. A paste is
    /// spliced in at the cursor in one step (inserting it a character at a
    /// time costs O(n²) and hangs on a large paste).
    pub fn apply(&self, input: &mut Input) -> bool {
        match self {
            TextEdit::Request(request) => input.handle(*request).is_some_and(|c| c.value),
            TextEdit::Paste(text) => {
                let value = input.value();
                let at = value
                    .char_indices()
                    .nth(input.cursor())
                    .map_or(value.len(), |(i, _)| i);
                let spliced = format!("{}{text}{}", &value[..at], &value[at..]);
                let cursor = input.cursor() + text.chars().count();
                *input = Input::new(spliced).with_cursor(cursor);
                true
            }
        }
    }
}

/// Typing goes to the line in front: the help's query, the filter, the
/// focused form field or the picker's query.
fn on_edit(state: &mut State, edit: TextEdit) {
    if let Some(help) = state.help.as_mut() {
        if edit.apply(&mut help.query) {
            help.scroll = 0;
        }
        return;
    }
    match &mut state.screen {
        Screen::Browse(Some(BrowseOverlay::Filter)) => {
            let keep = state.selected_index();
            if edit.apply(&mut state.filter) {
                state.apply_filter(keep);
            }
        }
        Screen::Form(screen) => match &mut screen.overlay {
            None => screen.form.edit(&edit),
            Some(FormOverlay::Pick(picker)) => picker.edit(&edit),
            // Questions and notices take no text.
            Some(
                FormOverlay::ConfirmDiscard { .. }
                | FormOverlay::ConfirmWarnings(_)
                | FormOverlay::Review(_)
                | FormOverlay::Conflict(_)
                | FormOverlay::BulkFailed(_),
            ) => {}
        },
        // No line of text there.
        Screen::Browse(
            None | Some(BrowseOverlay::ConfirmPermission { .. } | BrowseOverlay::RestoreDraft(_)),
        )
        | Screen::History(_) => {}
    }
}

/// Says in the status line why an action is not allowed.
fn refuse(state: &mut State, verdict: Result<(), String>) {
    if let Err(why) = verdict {
        state.error(t!("status.not_allowed", reason = why));
    }
}

/// Offers back a draft saved when konto last had to stop with a form open.
pub fn offer_draft(state: &mut State, draft: crate::draft::Draft) {
    state.screen = Screen::Browse(Some(BrowseOverlay::RestoreDraft(draft)));
}
