//! The app state machine: `update(state, action)` steps the state and says what
//! the runtime must do next. No terminal, no store, no clock in here, so every
//! behaviour can be driven and checked by tests.

mod form;
mod list;
mod picker;

pub use form::{Conflict, Form, FormField, FormLine};
pub use list::{BULK_MAX, FILTER_STEP_ROWS, ListState, Loading, next_step_rows};
pub use picker::{PickOption, Picker};

use ratatui::crossterm::event::{Event, KeyEvent};
use tui_input::backend::crossterm::to_input_request;
use tui_input::{Input, InputRequest};

use crate::domain::{AuditAction, AuditEntry, Cloud, Customer, FIELDS, Permission};
use crate::keymap::{self, Intent, KeyMode};
use crate::layout;
use crate::t;
use crate::validate::{Policy, is_forbidden_char};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    List,
    Detail,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Browse,
    Filter,
    Form,
    /// Asking "Allow … to purchase …?" before a permission changes.
    ConfirmPermission {
        permission: Permission,
        allow: bool,
    },
    /// Asking whether to throw away the form's changes.
    ConfirmDiscard {
        then_quit: bool,
    },
    /// Choosing the focused form field's value from a list.
    Pick,
    /// The checked record has warnings: asking once whether to go on.
    ConfirmWarnings,
    /// Showing each changed field as old → new before writing.
    Review,
    /// Showing the selected customer's change history.
    History,
    /// Asking before a change is reverted.
    ConfirmRevert {
        version: u64,
    },
    /// The record changed while the form was open: reload or re-apply.
    Conflict,
    /// A bulk change would make some customers invalid: the list of them.
    BulkFailed,
    /// The keys of the mode the help was opened from.
    Help,
    /// Offering back an edit saved when konto last had to stop.
    ConfirmRestoreDraft,
}

impl Mode {
    pub fn key_mode(self) -> KeyMode {
        match self {
            Mode::Browse => KeyMode::Browse,
            Mode::Filter => KeyMode::Filter,
            Mode::Form => KeyMode::Form,
            Mode::ConfirmPermission { .. }
            | Mode::ConfirmDiscard { .. }
            | Mode::ConfirmWarnings
            | Mode::ConfirmRevert { .. } => KeyMode::Confirm,
            Mode::History => KeyMode::History,
            Mode::Conflict => KeyMode::Conflict,
            Mode::BulkFailed => KeyMode::Notice,
            Mode::Help => KeyMode::Help,
            Mode::ConfirmRestoreDraft => KeyMode::Confirm,
            Mode::Pick => KeyMode::Pick,
            Mode::Review => KeyMode::Review,
        }
    }
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

/// The help overlay: every key of the mode it was opened from.
#[derive(Clone, Debug)]
pub struct HelpView {
    pub previous: Mode,
    /// Typing narrows the list.
    pub query: Input,
    pub scroll: u16,
}

impl HelpView {
    /// The (keys, what they do) lines, narrowed by the query; straight from
    /// the key map, so the help always tells what the keys really do.
    pub fn lines(&self, keymap: &keymap::Keymap) -> Vec<(String, String)> {
        let mode = self.previous.key_mode();
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

/// The change history of one customer, newest first.
#[derive(Clone, Debug)]
pub struct HistoryView {
    pub id: String,
    pub company: String,
    pub entries: Vec<AuditEntry>,
    /// Index into `entries`.
    pub selected: usize,
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
    pub mode: Mode,
    pub filter: Input,
    pub form: Option<Form>,
    pub picker: Option<Picker>,
    pub history: Option<HistoryView>,
    pub help: Option<HelpView>,
    /// An unsaved edit from the last run, being offered back.
    pub draft: Option<crate::draft::Draft>,
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
            mode: Mode::Browse,
            filter: Input::default(),
            form: None,
            picker: None,
            history: None,
            help: None,
            draft: None,
            marked: std::collections::BTreeSet::new(),
            status: None,
            viewport: (80, 24),
            policy: Policy::default(),
            theme: ThemeName::Dark,
            access: crate::domain::Access::default(),
            keymap: keymap::Keymap::default(),
            sort: SortBy::Name,
            locale: crate::i18n::Locale::default(),
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
        self.form.as_ref().and_then(Form::draft)
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

/// Turns a key press into an action in the current mode and applies it.
pub fn handle_key(state: &mut State, key: KeyEvent) -> Command {
    let mode = state.mode.key_mode();
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

/// Steps the state machine.
pub fn update(state: &mut State, action: Action) -> Command {
    // Messages are written in the state's language.
    crate::i18n::set_locale(state.locale);
    match action {
        Action::Intent(intent) => on_intent(state, intent),
        Action::Edit(request) => {
            on_edit(state, TextEdit::Request(request));
            Command::None
        }
        Action::Paste(text) => {
            // Pasted text is one line of typing: newlines and control
            // characters are dropped, never inserted.
            let clean: String = text.chars().filter(|c| !is_forbidden_char(*c)).collect();
            if !clean.is_empty() {
                on_edit(state, TextEdit::Paste(clean));
            }
            Command::None
        }
        Action::Mouse { kind, column, row } => {
            on_mouse(state, kind, column, row);
            Command::None
        }
        Action::Resize { width, height } => {
            state.viewport = (width, height);
            state.select(state.selected);
            Command::None
        }
        Action::Loaded {
            cloud,
            listing,
            records,
            loading,
        } => {
            state.cloud = cloud;
            state.marked.clear();
            state.list.loading = loading.map(|total| Loading {
                total,
                ..Loading::default()
            });
            state.set_list(listing, records);
            state.select(0);
            state.info(t!(
                "status.loaded",
                cloud = cloud.title(),
                count = state.list.total()
            ));
            Command::None
        }
        Action::RowsLoaded { rows, done } => {
            state.add_rows(rows, done);
            Command::None
        }
        Action::Records(records) => {
            state.put_records(records);
            match state.form.as_mut() {
                // The records a bulk submit waited for: it goes on with
                // them (one that could not be read is reported as such).
                Some(form) if form.bulk_reading => {
                    let command = submit_bulk(state);
                    if let Some(form) = state.form.as_mut() {
                        form.bulk_reading = false;
                    }
                    command
                }
                _ => Command::None,
            }
        }
        Action::FilterStep { rows } => {
            state.filter_step(rows);
            Command::None
        }
        Action::LoadFailed(message) => {
            // Rows that stopped streaming will not come.
            state.list.loading = None;
            state.error(message);
            Command::None
        }
        Action::Saved(customer) => {
            let text = t!(
                "status.saved",
                company = customer.company.name,
                version = customer.version
            );
            state.form = None;
            let id = customer.id.clone();
            state.replace_customer(customer);
            state.success(text);
            // A revert from the history view: show the history with the new entry.
            if state.history.is_some() {
                state.mode = Mode::History;
                return Command::LoadHistory {
                    cloud: state.cloud,
                    id,
                };
            }
            state.mode = Mode::Browse;
            Command::None
        }
        Action::BulkSaved(saved) => {
            let count = saved.len();
            for customer in saved {
                state.replace_customer(customer);
            }
            state.form = None;
            state.marked.clear();
            state.mode = Mode::Browse;
            state.success(t!("status.bulk_saved", count = count));
            Command::None
        }
        Action::Conflict { theirs, fields } => {
            match state.form.as_mut() {
                Some(form) => {
                    form.conflict = Some(Conflict {
                        theirs: *theirs,
                        fields,
                    });
                    state.mode = Mode::Conflict;
                    state.error(t!("status.changed_while_editing"));
                }
                None => {
                    // A permission toggle or revert on a stale list: show
                    // what is stored now.
                    let company = theirs.company.name.clone();
                    state.replace_customer(*theirs);
                    state.error(t!("status.changed_meanwhile", company = company));
                }
            }
            Command::None
        }
        Action::HistoryLoaded { id, mut entries } => {
            let company = state
                .record(&id)
                .map(|c| c.company.name.clone())
                .unwrap_or_default();
            entries.reverse();
            state.history = Some(HistoryView {
                id,
                company,
                entries,
                selected: 0,
            });
            state.mode = Mode::History;
            Command::None
        }
        Action::Unchanged(customer) => {
            state.form = None;
            state.mode = Mode::Browse;
            state.replace_customer(customer);
            state.info(t!("status.nothing_to_save"));
            Command::None
        }
        Action::CommitFailed(message) => {
            state.mode = if state.form.is_some() {
                Mode::Form
            } else if state.history.is_some() {
                Mode::History
            } else {
                Mode::Browse
            };
            state.error(t!("status.not_saved", reason = message));
            Command::None
        }
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

/// Clicks select a list row or focus the pane under them; the wheel moves
/// through the pane under it. In the form a click focuses a field. Not over
/// dialogs.
fn on_mouse(state: &mut State, kind: MouseKind, column: u16, row: u16) {
    let in_form = state.mode == Mode::Form;
    if !(in_form || state.mode == Mode::Browse) || state.history.is_some() {
        return;
    }
    let area = ratatui::layout::Rect::new(0, 0, state.viewport.0, state.viewport.1);
    if layout::too_small(area) {
        return;
    }
    if in_form {
        if let (MouseKind::Click, Some(form)) = (kind, state.form.as_mut()) {
            form.click(layout::form_body(area), column, row);
        }
        return;
    }
    let screen = layout::screen(area);
    let at = ratatui::layout::Position::new(column, row);
    if screen.list.contains(at) {
        match kind {
            MouseKind::Click => {
                state.focus = Pane::List;
                // Inside the border: the first row of the list is list.y + 1.
                if row > screen.list.y && row + 1 < screen.list.bottom() {
                    let clicked = state.list_offset + usize::from(row - screen.list.y - 1);
                    if clicked < state.visible().len() {
                        state.select(clicked);
                    }
                }
            }
            MouseKind::WheelUp => state.move_by(-3),
            MouseKind::WheelDown => state.move_by(3),
        }
    } else if screen.detail.contains(at) {
        match kind {
            MouseKind::Click => state.focus = Pane::Detail,
            MouseKind::WheelUp => state.detail_field = state.detail_field.saturating_sub(1),
            MouseKind::WheelDown => {
                state.detail_field = (state.detail_field + 1).min(FIELDS.len() - 1)
            }
        }
    }
}

fn on_edit(state: &mut State, edit: TextEdit) {
    match state.mode {
        Mode::Filter => {
            let keep = state.selected_index();
            if edit.apply(&mut state.filter) {
                state.apply_filter(keep);
            }
        }
        Mode::Form => {
            if let Some(form) = state.form.as_mut() {
                form.edit(&edit);
            }
        }
        Mode::Pick => {
            if let Some(picker) = state.picker.as_mut() {
                picker.edit(&edit);
            }
        }
        Mode::Help => {
            if let Some(help) = state.help.as_mut()
                && edit.apply(&mut help.query)
            {
                help.scroll = 0;
            }
        }
        _ => {}
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
    state.draft = Some(draft);
    state.mode = Mode::ConfirmRestoreDraft;
}

fn on_restore_draft(state: &mut State, intent: Intent) -> Command {
    match intent {
        Intent::Yes if state.access.may_edit().is_err() => {
            state.mode = Mode::Browse;
            refuse(state, state.access.may_edit());
            Command::None
        }
        Intent::Yes => {
            state.mode = Mode::Browse;
            let Some(draft) = state.draft.take() else {
                return Command::ForgetDraft;
            };
            let Some(customer) = state.record(&draft.id) else {
                state.error(t!("status.draft_gone", company = draft.company));
                return Command::ForgetDraft;
            };
            let mut form = Form::new(customer, &state.policy);
            // Typed on an older version: it is a conflict, as any stale edit.
            form.original.version = draft.version.min(customer.version);
            for (key, value) in &draft.values {
                if let Some(spec) = FIELDS.iter().find(|f| f.key == key) {
                    form.focus_field(spec.id);
                    form.set_focused(value);
                }
            }
            form.focus_field(crate::domain::FieldId::CompanyName);
            form.errors.clear();
            state.form = Some(form);
            state.mode = Mode::Form;
            state.info(t!("status.draft_back", company = draft.company));
            Command::ForgetDraft
        }
        Intent::No => {
            state.draft = None;
            state.mode = Mode::Browse;
            state.info(t!("status.draft_dropped"));
            Command::ForgetDraft
        }
        Intent::Quit => Command::Quit,
        _ => Command::None,
    }
}

fn on_intent(state: &mut State, intent: Intent) -> Command {
    if intent == Intent::Suspend {
        return Command::Suspend;
    }
    if intent == Intent::Help && state.mode != Mode::Help {
        state.help = Some(HelpView {
            previous: state.mode,
            query: Input::default(),
            scroll: 0,
        });
        state.mode = Mode::Help;
        return Command::None;
    }
    match state.mode {
        Mode::ConfirmRestoreDraft => on_restore_draft(state, intent),
        Mode::Help => {
            let Some(help) = state.help.as_mut() else {
                state.mode = Mode::Browse;
                return Command::None;
            };
            match intent {
                Intent::Up => help.scroll = help.scroll.saturating_sub(1),
                Intent::Down => help.scroll = help.scroll.saturating_add(1),
                Intent::Cancel => {
                    state.mode = help.previous;
                    state.help = None;
                }
                Intent::Quit => return Command::Quit,
                _ => {}
            }
            Command::None
        }
        Mode::Browse | Mode::Filter => on_browse(state, intent),
        Mode::Form => on_form(state, intent),
        Mode::ConfirmPermission { permission, allow } => {
            on_confirm_permission(state, intent, permission, allow)
        }
        Mode::ConfirmDiscard { then_quit } => on_confirm_discard(state, intent, then_quit),
        Mode::Pick => on_pick(state, intent),
        Mode::ConfirmWarnings => on_confirm_warnings(state, intent),
        Mode::Review => on_review(state, intent),
        Mode::History => on_history(state, intent),
        Mode::ConfirmRevert { version } => on_confirm_revert(state, intent, version),
        Mode::Conflict => on_conflict(state, intent),
        Mode::BulkFailed => {
            match intent {
                Intent::Quit => return Command::Quit,
                Intent::Yes | Intent::No => state.mode = Mode::Form,
                _ => {}
            }
            Command::None
        }
    }
}

fn on_conflict(state: &mut State, intent: Intent) -> Command {
    let Some(form) = state.form.as_mut() else {
        state.mode = Mode::Browse;
        return Command::None;
    };
    match intent {
        Intent::Reload | Intent::Reapply => {
            if let Some(conflict) = form.conflict.take() {
                let reapply = intent == Intent::Reapply;
                *form = form.rebased(&conflict.theirs, reapply);
                let version = conflict.theirs.version;
                state.replace_customer(conflict.theirs);
                state.info(if reapply {
                    t!("status.reapplied", version = version)
                } else {
                    t!("status.reloaded", version = version)
                });
            }
            state.mode = Mode::Form;
        }
        Intent::Cancel => state.mode = Mode::Form,
        Intent::Quit => return Command::Quit,
        _ => {}
    }
    Command::None
}

fn on_history(state: &mut State, intent: Intent) -> Command {
    let Some(view) = state.history.as_mut() else {
        state.mode = Mode::Browse;
        return Command::None;
    };
    match intent {
        Intent::Up => view.selected = view.selected.saturating_sub(1),
        Intent::Down => {
            view.selected = (view.selected + 1).min(view.entries.len().saturating_sub(1))
        }
        Intent::Revert => match view.entries.get(view.selected) {
            Some(entry) => {
                let keys: Vec<&str> = entry.changes.iter().map(|c| c.field.as_str()).collect();
                match state.access.may_change(&keys) {
                    Ok(()) => {
                        state.mode = Mode::ConfirmRevert {
                            version: entry.version,
                        }
                    }
                    verdict => refuse(state, verdict),
                }
            }
            None => state.info(t!("status.no_change")),
        },
        Intent::Cancel => {
            state.history = None;
            state.mode = Mode::Browse;
        }
        Intent::Quit => return Command::Quit,
        _ => {}
    }
    Command::None
}

fn on_confirm_revert(state: &mut State, intent: Intent, version: u64) -> Command {
    state.mode = Mode::History;
    match intent {
        Intent::Yes => match state.history.as_ref().map(|v| v.id.clone()) {
            Some(id) => {
                state.info(t!("status.reverting"));
                Command::Revert {
                    cloud: state.cloud,
                    id,
                    version,
                }
            }
            None => Command::None,
        },
        Intent::Quit => Command::Quit,
        _ => Command::None,
    }
}

fn on_browse(state: &mut State, intent: Intent) -> Command {
    let page = state.page_rows() as isize;
    let scroll_detail = state.focus == Pane::Detail && state.mode == Mode::Browse;
    match intent {
        Intent::Up if scroll_detail => state.detail_field = state.detail_field.saturating_sub(1),
        Intent::Down if scroll_detail => {
            state.detail_field = (state.detail_field + 1).min(FIELDS.len() - 1)
        }
        Intent::Up => state.move_by(-1),
        Intent::Down => state.move_by(1),
        Intent::PageUp => state.move_by(-page),
        Intent::PageDown => state.move_by(page),
        Intent::Top => state.select(0),
        Intent::Bottom => state.select(usize::MAX),
        Intent::StartFilter => {
            state.mode = Mode::Filter;
            state.focus = Pane::List;
        }
        Intent::AcceptFilter => state.mode = Mode::Browse,
        Intent::ClearFilter => {
            let keep = state.selected_index();
            state.filter.reset();
            state.apply_filter(keep);
            state.mode = Mode::Browse;
        }
        Intent::ToggleFocus => {
            state.focus = match state.focus {
                Pane::List => Pane::Detail,
                Pane::Detail => Pane::List,
            }
        }
        Intent::OpenForm | Intent::Mark | Intent::MarkAll if state.access.may_edit().is_err() => {
            refuse(state, state.access.may_edit());
        }
        Intent::ToggleReservations | Intent::ToggleSavingsPlan
            if state.access.may_change_permissions().is_err() =>
        {
            refuse(state, state.access.may_change_permissions());
        }
        Intent::OpenForm if !state.marked.is_empty() => {
            let ids = state.marked.iter().cloned().collect();
            state.form = Some(Form::bulk(ids, &state.policy));
            state.mode = Mode::Form;
            state.status = None;
        }
        Intent::Mark => {
            if let Some(id) = state.selected_id()
                && !state.marked.remove(&id)
            {
                state.marked.insert(id);
            }
            state.move_by(1);
        }
        Intent::MarkAll => {
            let Some(listed) = state.visible_ids(BULK_MAX) else {
                state.error(t!("status.bulk_too_many", max = BULK_MAX));
                return Command::None;
            };
            if listed.iter().all(|id| state.marked.contains(id)) {
                for id in &listed {
                    state.marked.remove(id);
                }
            } else {
                state.marked.extend(listed);
            }
        }
        Intent::OpenForm => match state.selected_customer() {
            Some(customer) => {
                state.form = Some(Form::new(customer, &state.policy));
                state.mode = Mode::Form;
                state.status = None;
            }
            None => state.info(t!("status.no_customer")),
        },
        Intent::Sort => {
            state.set_sort(state.sort.next());
            state.info(t!("status.sorted", order = state.sort.title()));
        }
        Intent::Copy => {
            let Some(customer) = state.selected_customer() else {
                state.info(t!("status.no_customer"));
                return Command::None;
            };
            let (label, value) = match (state.focus, FIELDS.get(state.detail_field)) {
                (Pane::Detail, Some(field)) => {
                    (field.title(), customer.field(field.id).to_string())
                }
                _ => (
                    crate::domain::spec(crate::domain::FieldId::Id).title(),
                    customer.id.clone(),
                ),
            };
            state.info(t!("status.copied", what = label));
            return Command::Copy(value);
        }
        Intent::History => match state.selected_customer() {
            Some(customer) => {
                return Command::LoadHistory {
                    cloud: state.cloud,
                    id: customer.id.clone(),
                };
            }
            None => state.info(t!("status.no_customer")),
        },
        Intent::ToggleReservations => ask_permission(state, Permission::AzureReservations),
        Intent::ToggleSavingsPlan => ask_permission(state, Permission::AzureSavingsPlan),
        Intent::SwitchCloud => {
            let next = state.cloud.other();
            state.info(t!("status.loading", cloud = next.title()));
            return Command::Load(next);
        }
        Intent::Quit => return Command::Quit,
        _ => {}
    }
    Command::None
}

fn ask_permission(state: &mut State, permission: Permission) {
    match state.selected_customer() {
        Some(customer) => {
            let allow = !customer.permissions.get(permission);
            state.mode = Mode::ConfirmPermission { permission, allow };
        }
        None => state.info(t!("status.no_customer")),
    }
}

/// The question asked before a permission changes.
pub fn permission_question(company: &str, permission: Permission, allow: bool) -> String {
    if allow {
        t!(
            "dialog.allow",
            company = company,
            permission = permission.title()
        )
    } else {
        t!(
            "dialog.stop",
            company = company,
            permission = permission.title()
        )
    }
}

fn on_confirm_permission(
    state: &mut State,
    intent: Intent,
    permission: Permission,
    allow: bool,
) -> Command {
    match intent {
        Intent::Yes => {
            state.mode = Mode::Browse;
            let Some(customer) = state.selected_customer() else {
                return Command::None;
            };
            let mut record = customer.clone();
            record.permissions.set(permission, allow);
            let action = if allow {
                AuditAction::PermissionOn
            } else {
                AuditAction::PermissionOff
            };
            Command::Commit {
                action,
                record: Box::new(record),
            }
        }
        Intent::No => {
            state.mode = Mode::Browse;
            state.info(t!(
                "status.permission_unchanged",
                permission = permission.title()
            ));
            Command::None
        }
        Intent::Quit => Command::Quit,
        _ => Command::None,
    }
}

fn on_form(state: &mut State, intent: Intent) -> Command {
    let Some(form) = state.form.as_mut() else {
        state.mode = Mode::Browse;
        return Command::None;
    };
    match intent {
        Intent::NextField => form.move_focus(1),
        Intent::PrevField => form.move_focus(-1),
        Intent::Submit => return submit(state),
        Intent::Pick => {
            let Some(id) = form.focused_id() else {
                return Command::None;
            };
            let record = form.proposed();
            match Picker::for_field(id, &record, record.field(id)) {
                Some(picker) => {
                    state.picker = Some(picker);
                    state.mode = Mode::Pick;
                }
                None => state.info(t!(
                    "status.no_list",
                    field = crate::domain::spec(id).title()
                )),
            }
        }
        Intent::Cancel | Intent::Quit => {
            let then_quit = intent == Intent::Quit;
            if form.is_dirty() {
                state.mode = Mode::ConfirmDiscard { then_quit };
            } else {
                state.form = None;
                state.mode = Mode::Browse;
                if then_quit {
                    return Command::Quit;
                }
            }
        }
        _ => {}
    }
    Command::None
}

/// Ctrl-S on a bulk form: apply the filled fields to every marked customer
/// and check each result; any invalid one stops the change with a list.
fn submit_bulk(state: &mut State) -> Command {
    let Some(form) = state.form.as_mut() else {
        return Command::None;
    };
    let filled = form.filled();
    if filled.is_empty() {
        state.info(t!("status.bulk_empty"));
        return Command::None;
    }
    if !form.bulk_reading
        && form
            .bulk
            .iter()
            .any(|id| !state.list.records.contains_key(id))
    {
        // The runtime reads them before the next frame, then hands them
        // over (`Action::Records`), which submits again.
        form.bulk_reading = true;
        return Command::None;
    }
    let mut proposals = Vec::new();
    let mut failures = Vec::new();
    for id in &form.bulk {
        let Some(customer) = state.list.records.get(id) else {
            failures.push(t!("status.record_unreadable", id = id));
            continue;
        };
        let mut record = customer.clone();
        for (field, value) in &filled {
            record.set_field(*field, value.clone());
        }
        match crate::validate::check_record(&record, &state.policy) {
            Ok(normalised) if normalised != *customer => proposals.push(normalised),
            Ok(_) => {}
            Err(errors) => {
                let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
                failures.push(format!(
                    "{} ({}): {}",
                    customer.company.name,
                    customer.billing.address.country,
                    reasons.join("; ")
                ));
            }
        }
    }
    if !failures.is_empty() {
        let count = failures.len();
        form.bulk_failures = failures;
        state.mode = Mode::BulkFailed;
        state.error(t!("status.bulk_invalid", count = count));
        return Command::None;
    }
    if proposals.is_empty() {
        state.form = None;
        state.mode = Mode::Browse;
        state.info(t!("status.bulk_nothing"));
        return Command::None;
    }
    form.pending_many = proposals;
    state.status = None;
    state.mode = Mode::Review;
    Command::None
}

/// Ctrl-S: check everything; then warnings (once), then the review.
fn submit(state: &mut State) -> Command {
    let Some(form) = state.form.as_mut() else {
        return Command::None;
    };
    if form.is_bulk() {
        return submit_bulk(state);
    }
    let Some(record) = form.validate() else {
        let count = form.errors.len();
        state.error(if count == 1 {
            t!("status.invalid_one").to_string()
        } else {
            t!("status.invalid_many", count = count)
        });
        return Command::None;
    };
    if record == form.original {
        state.form = None;
        state.mode = Mode::Browse;
        state.info(t!("status.nothing_to_save"));
        return Command::None;
    }
    let has_warnings = !form.warnings(&record).is_empty();
    form.pending = Some(record);
    state.status = None;
    state.mode = if has_warnings && !form.warnings_confirmed {
        Mode::ConfirmWarnings
    } else {
        Mode::Review
    };
    Command::None
}

/// For a bulk review: how many customers change, and the changes of the
/// first few as (company, [(label, old, new)]).
pub type BulkSample = Vec<(String, Vec<(&'static str, String, String)>)>;

pub fn bulk_review(state: &State, sample: usize) -> (usize, BulkSample) {
    let Some(form) = &state.form else {
        return (0, Vec::new());
    };
    let rows = form
        .pending_many
        .iter()
        .take(sample)
        .filter_map(|new| {
            let old = state.record(&new.id)?;
            let changes = FIELDS
                .iter()
                .filter(|f| old.field(f.id) != new.field(f.id))
                .map(|f| {
                    (
                        f.title(),
                        old.field(f.id).to_string(),
                        new.field(f.id).to_string(),
                    )
                })
                .collect();
            Some((new.company.name.clone(), changes))
        })
        .collect();
    (form.pending_many.len(), rows)
}

/// The changed fields of the record waiting in the review, as
/// `(label, old, new)` with the new values normalised.
pub fn review_changes(form: &Form) -> Vec<(&'static str, String, String)> {
    let Some(pending) = &form.pending else {
        return Vec::new();
    };
    FIELDS
        .iter()
        .filter(|f| pending.field(f.id) != form.original.field(f.id))
        .map(|f| {
            (
                f.title(),
                form.original.field(f.id).to_string(),
                pending.field(f.id).to_string(),
            )
        })
        .collect()
}

fn on_confirm_warnings(state: &mut State, intent: Intent) -> Command {
    match intent {
        Intent::Yes => {
            if let Some(form) = state.form.as_mut() {
                form.warnings_confirmed = true;
            }
            state.mode = Mode::Review;
        }
        Intent::No => state.mode = Mode::Form,
        Intent::Quit => return Command::Quit,
        _ => {}
    }
    Command::None
}

fn on_review(state: &mut State, intent: Intent) -> Command {
    let bulk = state.form.as_ref().is_some_and(Form::is_bulk);
    match intent {
        Intent::Yes if bulk => {
            state.mode = Mode::Form;
            let records = state
                .form
                .as_mut()
                .map(|f| std::mem::take(&mut f.pending_many))
                .unwrap_or_default();
            state.info(t!("status.saving_many", count = records.len()));
            Command::CommitMany {
                action: AuditAction::Update,
                records,
            }
        }
        Intent::Yes => {
            state.mode = Mode::Form;
            let Some(record) = state.form.as_mut().and_then(|f| f.pending.take()) else {
                return Command::None;
            };
            state.info(t!("status.saving"));
            Command::Commit {
                action: AuditAction::Update,
                record: Box::new(record),
            }
        }
        Intent::No => {
            state.mode = Mode::Form;
            if let Some(form) = state.form.as_mut() {
                form.pending = None;
            }
            Command::None
        }
        Intent::Quit => Command::Quit,
        _ => Command::None,
    }
}

fn on_pick(state: &mut State, intent: Intent) -> Command {
    let Some(picker) = state.picker.as_mut() else {
        state.mode = Mode::Form;
        return Command::None;
    };
    match intent {
        Intent::Up => picker.move_by(-1),
        Intent::Down => picker.move_by(1),
        Intent::Yes => {
            let chosen = picker.chosen().map(|o| o.value.clone());
            if let (Some(value), Some(form)) = (chosen, state.form.as_mut()) {
                form.set_focused(&value);
            }
            state.picker = None;
            state.mode = Mode::Form;
        }
        Intent::No => {
            state.picker = None;
            state.mode = Mode::Form;
        }
        Intent::Quit => return Command::Quit,
        _ => {}
    }
    Command::None
}

fn on_confirm_discard(state: &mut State, intent: Intent, then_quit: bool) -> Command {
    match intent {
        Intent::Yes => {
            state.form = None;
            state.mode = Mode::Browse;
            state.info(t!("status.discarded"));
            if then_quit {
                return Command::Quit;
            }
        }
        Intent::No => state.mode = Mode::Form,
        // Ctrl-C at the question means: yes, really leave.
        Intent::Quit => return Command::Quit,
        _ => {}
    }
    Command::None
}
