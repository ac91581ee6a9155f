//! The runtime: sets the terminal up, reads events, steps the app, runs the
//! commands it returns against the store, draws — and restores the terminal on
//! every way out (normal exit, error, panic).

use std::io::{self, stdout};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    Event, KeyEventKind, MouseButton, MouseEventKind,
};
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute};

use crate::app::{self, Action, Command, State, ThemeName};
use crate::domain::{AuditAction, Cloud, Customer};
use crate::draft::Draft;
use crate::listing::Listing;
use crate::store::{Committed, Head, Store, StoreError};
use crate::ui;

/// Leaves raw mode and the alternate screen; safe to call more than once.
pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        stdout(),
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
}

/// Restores the terminal when dropped, so `?` and early returns restore too.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// On a panic: restore the terminal first, then write the report to the log
/// file and say where it is (the default hook would print the backtrace
/// into the operator's terminal).
fn install_panic_hook(log_dir: PathBuf) {
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        match crate::logging::report_panic(&log_dir, info) {
            Some(path) => eprintln!(
                "konto stopped because of a bug: {info}\nThe details are in {}",
                path.display()
            ),
            None => eprintln!("konto stopped because of a bug: {info}"),
        }
    }));
}

fn init_terminal(log_dir: PathBuf, mouse: bool) -> io::Result<(DefaultTerminal, TerminalGuard)> {
    install_panic_hook(log_dir);
    enable_raw_mode()?;
    let guard = TerminalGuard;
    execute!(stdout(), EnterAlternateScreen, EnableBracketedPaste)?;
    if mouse {
        execute!(stdout(), EnableMouseCapture)?;
    }
    let terminal = ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(stdout()))?;
    Ok((terminal, guard))
}

/// Signals that mean "stop now": the terminal went away (SIGHUP) or konto
/// was told to stop (SIGTERM, SIGINT from outside the terminal). They are
/// handled on their own thread, because when the terminal is gone the main
/// thread may never come back from crossterm (it keeps reading an empty
/// terminal). The thread keeps the latest draft, restores what is left of
/// the terminal and ends the process; an unacknowledged commit in flight is
/// lost as in a crash, an acknowledged one is already durable.
fn stop_on_signals(data_dir: PathBuf, draft: Arc<Mutex<Option<Draft>>>) -> io::Result<()> {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let mut signals = signal_hook::iterator::Signals::new([SIGHUP, SIGTERM, SIGINT])?;
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                tracing::info!(signal, "stop requested by a signal");
                if let Some(d) = draft.lock().ok().and_then(|d| d.clone()) {
                    let _ = crate::draft::save(&data_dir, &d);
                }
                restore_terminal();
                std::process::exit(0);
            }
        });
    }
    Ok(())
}

/// Keeps an unsaved edit on disk, for the next start to offer back.
fn keep_draft(state: &State, store: &Store) {
    if let Some(draft) = state.unsaved_draft() {
        let _ = crate::draft::save(store.dir(), &draft);
    }
}

/// How the app looks and behaves for this operator.
pub struct Settings {
    pub theme: ThemeName,
    pub access: crate::domain::Access,
    pub mouse: bool,
    pub keymap: crate::keymap::Keymap,
    pub locale: crate::i18n::Locale,
    /// Whether the store keeps a head of the list (a local one does; a
    /// shared one changes under its readers).
    pub kept_head: bool,
}

/// Why the app stopped with an error: the store (with its exit code), or
/// the terminal.
#[derive(Debug)]
pub enum RunError {
    Store(StoreError),
    Terminal(Box<dyn std::error::Error>),
}

impl<E: Into<Box<dyn std::error::Error>>> From<E> for RunError {
    fn from(e: E) -> RunError {
        RunError::Terminal(e.into())
    }
}

/// Runs the interactive app until the operator quits; returns the store
/// for what comes after (the daily backup).
///
/// With a head of the list kept from the last run (`store::read_head`),
/// the terminal and a first frame come before the store is opened, which at
/// a million customers takes longer than a frame should; the store's own
/// list replaces it as soon as it is open, before any key is read.
pub fn run(
    open: impl FnOnce() -> Result<Store, StoreError>,
    dir: &Path,
    cloud: Cloud,
    operator: &str,
    settings: Settings,
) -> Result<Store, RunError> {
    let Settings {
        theme,
        access,
        mouse,
        keymap,
        locale,
        kept_head,
    } = settings;
    let mut state = State::new(cloud, dir.display().to_string(), Vec::new());
    state.theme = theme;
    state.access = access;
    state.keymap = keymap;
    state.locale = locale;
    // The draft a signal would keep: the open form's changes, if any.
    let draft_slot = Arc::new(Mutex::new(None));
    stop_on_signals(dir.to_path_buf(), Arc::clone(&draft_slot))?;
    let kept = kept_head
        .then(|| crate::store::read_head(dir, cloud))
        .flatten();
    let early = match kept {
        Some(head) => {
            let first = head.first.clone();
            app::update(&mut state, head_action(cloud, head));
            let (mut terminal, guard) = init_terminal(crate::logging::log_dir(dir), mouse)?;
            fit_to(&terminal, &mut state)?;
            terminal.draw(|frame| ui::draw(frame, &state))?;
            // Then the whole list kept with the head, read in one go: it
            // is the list (if the store, once locked, still has this copy:
            // see `run_with`).
            let mark = crate::store::read_list(dir, cloud).map(|(mark, listing)| {
                app::update(&mut state, whole_list_action(cloud, listing, first));
                mark
            });
            Some(Early {
                terminal,
                guard,
                list_mark: mark,
            })
        }
        None => None,
    };
    let store = open().map_err(RunError::Store)?;
    run_with(&store, state, early, draft_slot, operator, mouse)?;
    Ok(store)
}

/// What the attention check's verdicts hold for: these rules (see
/// `validate::rules_fingerprint`) under this partner-domain policy.
fn verdicts_key(policy: &crate::validate::Policy) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    crate::validate::rules_fingerprint().hash(&mut hasher);
    format!("{policy:?}").hash(&mut hasher);
    hasher.finish()
}

/// What a start did before the store was open: the terminal, and the mark
/// of the whole list if it was read from the kept copy.
struct Early {
    terminal: DefaultTerminal,
    guard: TerminalGuard,
    list_mark: Option<u128>,
}

/// Tells the state the terminal's size.
fn fit_to(terminal: &DefaultTerminal, state: &mut State) -> io::Result<()> {
    let size = terminal.size()?;
    app::update(
        state,
        Action::Resize {
            width: size.width,
            height: size.height,
        },
    );
    Ok(())
}

/// The kept head as the list's first page.
fn head_action(cloud: Cloud, head: Head) -> Action {
    let loading = (head.rows.len() < head.total).then_some(head.total);
    Action::Loaded {
        cloud,
        listing: Listing::of_rows(cloud, &head.rows),
        records: head.first.into_iter().collect(),
        loading,
    }
}

/// The kept whole list (with the head's first record).
fn whole_list_action(cloud: Cloud, listing: Listing, first: Option<Customer>) -> Action {
    Action::Loaded {
        cloud,
        listing,
        records: first.into_iter().collect(),
        loading: None,
    }
}

fn run_with(
    store: &Store,
    mut state: State,
    early: Option<Early>,
    draft_slot: Arc<Mutex<Option<Draft>>>,
    operator: &str,
    mouse: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let cloud = state.cloud;
    // A head read at the start is the store's as long as nothing was written.
    let head_was_kept = early.is_some() && store.writes() == 0;
    state.store_path = store.label();
    // Before the list is read: what is committed while it loads comes in
    // through the feed (again, if the list had it: then it changes nothing).
    let feed = Feed::start(store);
    // On a team store the database says what this login may do, whatever
    // `--role` claimed; the key bar and help dim what it may not.
    if let Some(role) = store.database_role() {
        state.access.role = role;
    }
    // The whole list read at the start is the store's if the copy read is
    // still there now that the store is locked (a write deletes it first).
    let list_mark = early.as_ref().and_then(|e| e.list_mark);
    let list_is_current = list_mark.is_some()
        && store.writes() == 0
        && crate::store::kept_list_mark(store.dir(), cloud) == list_mark;
    state.policy = store.policy().clone();
    // The attention check's verdicts on that list, if kept with it.
    let attention_kept = list_mark
        .filter(|_| list_is_current)
        .and_then(|mark| {
            let key = verdicts_key(&state.policy);
            crate::store::read_attention(store.dir(), cloud, mark, key)
        })
        .map(|found| app::update(&mut state, Action::NeedAttention(found)))
        .is_some();
    let loader = if list_is_current {
        None
    } else {
        let (loaded, loader) = open_list(store, cloud)?;
        app::update(&mut state, loaded);
        loader
    };
    if let Some(draft) = crate::draft::load(store.dir()).filter(|d| d.cloud == cloud) {
        app::offer_draft(&mut state, draft);
    }
    let (terminal, guard) = match early {
        Some(early) => (early.terminal, early.guard),
        None => init_terminal(crate::logging::log_dir(store.dir()), mouse)?,
    };
    tracing::info!(
        cloud = cloud.key(),
        customers = state.list.total(),
        "app started"
    );
    let mut runtime = Runtime {
        store,
        operator,
        mouse,
        prepared: state.access.may_edit().is_err(),
        state,
        terminal,
        _guard: guard,
        draft_slot,
        loader,
        phones_shown: crate::validate::phones_ready(),
        drawn_at: Instant::now(),
        step_rows: app::FILTER_STEP_ROWS,
        head_kept_at: head_was_kept.then_some(0),
        feed,
        checking: None,
        checked: attention_kept.then_some(cloud),
        list_kept: list_is_current,
    };
    #[cfg(feature = "testing")]
    if std::env::var_os("KONTO_TEST_PANIC").is_some() {
        // For the panic-report test: a bug after the terminal is set up.
        runtime.draw()?;
        #[allow(clippy::panic)] // the one deliberate panic, for that test
        std::panic::panic_any("KONTO_TEST_PANIC is set");
    }
    fit_to(&runtime.terminal, &mut runtime.state)?;
    runtime.run()
}

/// The running app: its state and terminal, and what goes on between keys
/// (the list streaming in, the filter's steps, keeping the list's head).
struct Runtime<'a> {
    store: &'a Store,
    operator: &'a str,
    mouse: bool,
    state: State,
    terminal: DefaultTerminal,
    /// Restores the terminal however the runtime ends.
    _guard: TerminalGuard,
    /// The draft a signal would keep: the open form's changes, if any.
    draft_slot: Arc<Mutex<Option<Draft>>>,
    /// The thread streaming the rest of the list, while it runs.
    loader: Option<Receiver<Action>>,
    phones_shown: bool,
    drawn_at: Instant,
    /// Rows of the filter's next step (sized by how long the last took).
    step_rows: usize,
    /// The store's write count when the list's head was last kept.
    head_kept_at: Option<u64>,
    /// Whether the store was made ready for the operator's first save.
    prepared: bool,
    /// Others' changes, on a shared store.
    feed: Option<Feed>,
    /// The cloud whose records are checked against today's rules, those
    /// still to check and those found so far (see `attention_step`).
    checking: Option<Checking<'a>>,
    /// The cloud whose list was last checked (or is being): a list loaded
    /// anew is checked again.
    checked: Option<Cloud>,
    /// Whether the whole list is kept for the next start (or need not be).
    list_kept: bool,
}

/// An attention check under way: the cloud's records still to check and
/// the (name, id) of those found so far.
struct Checking<'a> {
    cloud: Cloud,
    records: CustomerIter<'a>,
    found: Vec<(String, String)>,
}

/// The longest a change made elsewhere waits before this app polls for
/// it, without a notification.
pub const POLL_EVERY: Duration = Duration::from_secs(1);

/// How long the runtime waits for a key before it looks at the feed's
/// notifications again (a notified change waits half of it on average).
pub const FEED_TICK: Duration = Duration::from_millis(50);

/// Polling a shared store's change feed: the last number seen, and the
/// notifications that make the next poll due at once.
struct Feed {
    cursor: u64,
    wake: Option<Receiver<()>>,
    polled_at: Instant,
}

impl Feed {
    /// The feed from its newest number now; None on a local store (one
    /// process alone writes it) or when the number cannot be read.
    fn start(store: &Store) -> Option<Feed> {
        let cursor = store.change_cursor().ok()??;
        Some(Feed {
            cursor,
            wake: store.watch_changes(),
            polled_at: Instant::now(),
        })
    }

    /// Whether to poll now: notified, or not polled for `POLL_EVERY`.
    fn due(&self) -> bool {
        let notified = self
            .wake
            .as_ref()
            .is_some_and(|wake| wake.try_iter().count() > 0);
        notified || self.polled_at.elapsed() >= POLL_EVERY
    }
}

/// What changed in the state's cloud after number `cursor`, as the state
/// machine's action (None: nothing), with the history of the open form's
/// customer when it changed; `cursor` moves on only past what was read,
/// so a poll that fails is made again from the same place.
pub fn poll_changes(
    store: &Store,
    state: &State,
    cursor: &mut u64,
) -> Result<Option<Action>, StoreError> {
    let changed = store.changes_since(state.cloud, *cursor)?;
    let history = match state.editing() {
        Some((id, version)) if changed.customers.iter().any(|c| c.id == id) => store
            .history(state.cloud, id)?
            .into_iter()
            .filter(|e| e.version > version)
            .collect(),
        _ => Vec::new(),
    };
    *cursor = changed.upto;
    Ok(
        (changed.reload || !changed.customers.is_empty()).then_some(Action::ChangedElsewhere {
            customers: changed.customers,
            history,
            reload: changed.reload,
        }),
    )
}

type CustomerIter<'a> = Box<dyn Iterator<Item = Result<Customer, StoreError>> + 'a>;

/// How long one step of the attention check may take: a key typed during
/// it waits at most this (plus a page of a PostgreSQL store's records).
const CHECK_STEP_TIME: Duration = Duration::from_millis(4);

impl Runtime<'_> {
    /// Draws, does what is due between keys, reads the next event and
    /// performs what it asks for, until the operator quits.
    fn run(mut self) -> Result<(), Box<dyn std::error::Error>> {
        let mut redraw = true;
        loop {
            if redraw {
                self.draw()?;
            }
            // Keys first; between them, the filter and the list's loading go on.
            if let Some(drawn) = self.idle_work() {
                redraw = drawn;
                continue;
            }
            if let Some(drawn) = self.poll_feed_if_due()? {
                redraw = drawn;
                continue;
            }
            redraw = match self.next_event()? {
                None => false,
                Some(command) => match self.perform(command)? {
                    Flow::Quit => return Ok(()),
                    Flow::Continue | Flow::Suspend => true,
                },
            };
        }
    }

    fn draw(&mut self) -> io::Result<()> {
        // While the store is away, only the poller knocks (a read per
        // frame could wait seconds each on a dead network).
        if !self.state.reconnecting {
            provide_records(&mut self.state, self.store);
        }
        // The draft a signal would keep, before the frame that shows it:
        // what the operator has seen typed is never lost (a hang-up right
        // after the frame found the slot one key behind).
        if let Ok(mut slot) = self.draft_slot.lock() {
            *slot = self.state.unsaved_draft();
        }
        let state = &self.state;
        self.terminal.draw(|frame| ui::draw(frame, state))?;
        self.drawn_at = Instant::now();
        Ok(())
    }

    /// What is due while no key waits: Some(whether to draw) when it did
    /// something and the loop goes round again, None when the next event
    /// is to be read (one waits, or nothing else is left to do).
    fn idle_work(&mut self) -> Option<bool> {
        if event::poll(Duration::ZERO).unwrap_or(true) {
            return None;
        }
        if let Some(rows) = self.loader.as_ref() {
            match rows.try_recv() {
                Ok(action) => {
                    app::update(&mut self.state, action);
                    return Some(true);
                }
                Err(TryRecvError::Disconnected) => {
                    self.loader = None;
                    give_back_freed_memory();
                }
                Err(TryRecvError::Empty) => {}
            }
        }
        if self.state.filter_pending() {
            return Some(self.filter_step());
        }
        if !self.phones_shown && crate::validate::phones_ready() {
            // The phone rules are loaded: draw the phone formatted.
            self.phones_shown = true;
            return Some(true);
        }
        if self.head_kept_at != Some(self.store.writes()) {
            // No head kept since the last write (or none at the start): keep
            // it at the first quiet moment, list whole or not, so that the
            // next start draws at once even if this one ends by a signal or
            // crash (it is read from the store, not from the list still
            // streaming in).
            self.store.keep_current_head(self.state.cloud);
            self.head_kept_at = Some(self.store.writes());
        }
        self.keep_list();
        let busy = self.loader.is_some() || !self.phones_shown;
        if busy && !event::poll(Duration::from_millis(2)).unwrap_or(true) {
            return Some(false);
        }
        if self.loader.is_none() && !self.prepared {
            self.prepared = true;
            self.store.prepare_for_writes();
        }
        if self.loader.is_none() {
            return self.attention_step();
        }
        None
    }

    /// Polls the change feed when it is due: Some(whether to draw) when it
    /// polled.
    fn poll_feed_if_due(&mut self) -> io::Result<Option<bool>> {
        let Some(feed) = self.feed.as_mut().filter(|f| f.due()) else {
            return Ok(None);
        };
        feed.polled_at = Instant::now();
        let polled = poll_changes(self.store, &self.state, &mut feed.cursor);
        // Reachable or not is what the header shows; any answer of the
        // server (even a refusal) means it is there.
        let reachable = !matches!(polled, Err(StoreError::Unreachable { .. }));
        let mut drawn = false;
        if reachable == self.state.reconnecting {
            app::update(&mut self.state, Action::StoreReachable(reachable));
            drawn = true;
        }
        if let Ok(Some(action)) = polled {
            let command = app::update(&mut self.state, action);
            self.perform(command)?;
            drawn = true;
        }
        Ok(Some(drawn))
    }

    /// Checks the next records of the listed cloud against today's rules
    /// and marks the rows of those that break one (a rule added after they
    /// were saved); Some(whether to draw) while there are records to check.
    /// Once per list loaded, in the quiet moments between keys.
    fn attention_step(&mut self) -> Option<bool> {
        let cloud = self.state.cloud;
        if self.checked != Some(cloud) {
            self.checked = Some(cloud);
            self.checking = Some(Checking {
                cloud,
                records: self.store.each_customer(cloud),
                found: Vec::new(),
            });
        }
        let checking = self.checking.as_mut()?;
        if checking.cloud != cloud {
            self.checking = None;
            return None;
        }
        let started = Instant::now();
        let mut found = Vec::new();
        let mut exhausted = true;
        for record in checking.records.by_ref() {
            // A record that cannot be read is reported where it is opened.
            if let Ok(c) = record
                && crate::validate::check_record(&c, &self.state.policy).is_err()
            {
                found.push((c.company.name, c.id));
            }
            if started.elapsed() >= CHECK_STEP_TIME {
                exhausted = false;
                break;
            }
        }
        checking.found.extend(found.iter().cloned());
        if exhausted && let Some(done) = self.checking.take() {
            self.keep_attention(cloud, &done.found);
        }
        let draw = !found.is_empty();
        app::update(&mut self.state, Action::NeedAttention(found));
        Some(draw)
    }

    /// Keeps the verdicts of a finished attention check with the list kept
    /// for the next start, if that is the list checked: nothing written
    /// since it was kept (every write deletes it), and only this process
    /// writes a local store.
    fn keep_attention(&self, cloud: Cloud, found: &[(String, String)]) {
        let dir = self.store.dir();
        if self.store.writes() == 0
            && self.store.local().is_some()
            && let Some(mark) = crate::store::kept_list_mark(dir, cloud)
        {
            let key = verdicts_key(&self.state.policy);
            crate::store::keep_attention(dir, cloud, mark, key, found);
        }
    }

    /// Keeps the whole list for the next start, once: when it is loaded
    /// from the store and nothing was written since (so it is the store's).
    fn keep_list(&mut self) {
        if self.list_kept || self.loader.is_some() {
            return;
        }
        self.list_kept = true;
        if self.store.writes() == 0
            && let Some(sled) = self.store.local()
        {
            sled.keep_list(self.state.cloud, &self.state.list.listing);
        }
    }

    /// One step of a running filter; whether to draw after it.
    fn filter_step(&mut self) -> bool {
        // A new filter starts with the first step's size; a running one goes
        // on with steps sized by how long the last took.
        if self.state.filter_rows_done() == Some(0) {
            self.step_rows = app::FILTER_STEP_ROWS;
        }
        let started = Instant::now();
        let rows = self.step_rows;
        app::update(&mut self.state, Action::FilterStep { rows });
        self.step_rows = app::next_step_rows(rows, started.elapsed());
        // Drawn when done, and now and then for its progress: a frame after
        // every slice would cost as much as matching.
        !self.state.filter_pending() || self.drawn_at.elapsed() >= PROGRESS_EVERY
    }

    /// The next terminal event as the state machine's command; None for an
    /// event konto does not use (nothing to draw then).
    fn next_event(&mut self) -> Result<Option<Command>, Box<dyn std::error::Error>> {
        // With a feed to poll, a key is waited for a tick at a time.
        if self.feed.is_some() && !event::poll(FEED_TICK).unwrap_or(true) {
            return Ok(None);
        }
        let event = match event::read() {
            Ok(event) => event,
            Err(e) => {
                // The terminal is gone: keep what was typed.
                keep_draft(&self.state, self.store);
                return Err(e.into());
            }
        };
        let state = &mut self.state;
        let command = match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => app::handle_key(state, key),
            Event::Paste(text) => app::update(state, Action::Paste(text)),
            Event::Mouse(mouse) => {
                let kind = match mouse.kind {
                    MouseEventKind::Down(MouseButton::Left) => app::MouseKind::Click,
                    MouseEventKind::ScrollUp => app::MouseKind::WheelUp,
                    MouseEventKind::ScrollDown => app::MouseKind::WheelDown,
                    _ => return Ok(None),
                };
                let (column, row) = (mouse.column, mouse.row);
                app::update(state, Action::Mouse { kind, column, row })
            }
            Event::Resize(width, height) => app::update(state, Action::Resize { width, height }),
            _ => return Ok(None),
        };
        Ok(Some(command))
    }

    /// Carries out a command (loading a cloud's list here, the rest in
    /// `run_command`).
    fn perform(&mut self, command: Command) -> io::Result<Flow> {
        if let Command::Load(next) = command {
            match open_list(self.store, next) {
                Ok((loaded, rows)) => {
                    self.loader = rows;
                    app::update(&mut self.state, loaded);
                    // A list loaded anew is checked anew.
                    self.checked = None;
                }
                Err(e) => {
                    app::update(&mut self.state, Action::LoadFailed(e.to_string()));
                }
            }
            return Ok(Flow::Continue);
        }
        let flow = run_command(&mut self.state, command, self.store, self.operator);
        match flow {
            Flow::Continue => {}
            Flow::Quit => {
                // For the next start's first frame (see `run`).
                if self.head_kept_at != Some(self.store.writes()) {
                    self.store.keep_current_head(self.state.cloud);
                }
                self.keep_list();
            }
            Flow::Suspend => {
                suspend(self.mouse)?;
                self.terminal.clear()?;
            }
        }
        Ok(flow)
    }
}

/// OSC 52: the terminal puts the text on the clipboard, also over SSH. The
/// text travels base64-encoded, so nothing in it can end the sequence.
fn copy_to_clipboard(text: &str) {
    use base64::Engine;
    use std::io::Write;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = stdout();
    let _ = write!(out, "\x1b]52;c;{encoded}\x07");
    let _ = out.flush();
}

/// Ctrl-Z: hand the terminal back to the shell and stop; `fg` continues
/// here, and the terminal is set up again and redrawn in full.
fn suspend(mouse: bool) -> io::Result<()> {
    restore_terminal();
    #[cfg(unix)]
    // SAFETY: raise only sends SIGTSTP to this process; the default action
    // stops it until the shell continues it.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen, EnableBracketedPaste)?;
    if mouse {
        execute!(stdout(), EnableMouseCapture)?;
    }
    Ok(())
}

#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    Quit,
    Suspend,
}

/// Carries out what `update` asked for, feeding each result back into it.
fn run_command(state: &mut State, mut command: Command, store: &Store, operator: &str) -> Flow {
    loop {
        let result = match command {
            Command::None => return Flow::Continue,
            Command::Quit => return Flow::Quit,
            Command::Suspend => return Flow::Suspend,
            Command::Copy(text) => {
                copy_to_clipboard(&text);
                return Flow::Continue;
            }
            Command::ForgetDraft => {
                crate::draft::remove(store.dir());
                return Flow::Continue;
            }
            // Performed by the runtime, which owns the loading thread.
            Command::Load(_) => return Flow::Continue,
            Command::Commit { action, record } => commit(store, operator, action, &record),
            Command::CommitMany { action, records } => {
                match store.commit_many(operator, action, &records) {
                    Ok(saved) => Action::BulkSaved(saved),
                    Err(e) => Action::CommitFailed(e.to_string()),
                }
            }
            Command::LoadHistory { cloud, id } => match store.history(cloud, &id) {
                Ok(entries) => Action::HistoryLoaded { id, entries },
                Err(e) => Action::LoadFailed(e.to_string()),
            },
            Command::Revert { cloud, id, version } => {
                committed(store.revert(operator, cloud, &id, version))
            }
        };
        command = app::update(state, result);
    }
}

/// How often a running filter's progress is drawn.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Rows read before the first frame: a page of the tallest terminals.
const FIRST_PAGE: usize = crate::store::HEAD_ROWS;

/// Rows per message from the loading thread.
const ROWS_CHUNK: usize = 50_000;

/// The first page of a cloud's list at once, and a thread that streams the
/// rest while the operator already sees (and can use) the first.
fn open_list(
    store: &Store,
    cloud: Cloud,
) -> Result<(Action, Option<Receiver<Action>>), StoreError> {
    let total = store.count(cloud)?;
    let mut rows = store.rows(cloud);
    let mut listing = Listing::new(cloud);
    let more = rows.read(FIRST_PAGE, &mut |row| listing.push_sorted(row))? == FIRST_PAGE;
    let loaded = Action::Loaded {
        cloud,
        listing,
        records: Vec::new(),
        loading: more.then_some(total),
    };
    if !more {
        return Ok((loaded, None));
    }
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        loop {
            let mut chunk = Listing::new(cloud);
            let action = match rows.read(ROWS_CHUNK, &mut |row| chunk.push_sorted(row)) {
                Ok(n) => Action::RowsLoaded {
                    rows: chunk,
                    done: n < ROWS_CHUNK,
                },
                Err(e) => Action::LoadFailed(e.to_string()),
            };
            let last = !matches!(action, Action::RowsLoaded { done: false, .. });
            if sender.send(action).is_err() || last {
                return;
            }
        }
    });
    Ok((loaded, Some(receiver)))
}

/// The loader's chunks were allocated in its thread's malloc arena and
/// freed here; glibc keeps such memory unless asked (tens of MB at a
/// million rows).
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Reads the full records the screen needs (`State::wanted_records`: the
/// selected customer, a draft's, the form's, a submitted bulk form's) before
/// it is drawn.
fn provide_records(state: &mut State, store: &Store) {
    let wanted = state.wanted_records();
    if wanted.is_empty() {
        return;
    }
    let records: Vec<Customer> = wanted
        .iter()
        .filter_map(|id| store.get(state.cloud, id).ok().flatten())
        .collect();
    app::update(state, Action::Records(records));
}

/// Commits `record` and reports how it went as the state machine's action
/// (a conflict with the record stored now, for the merge view).
pub fn commit(store: &Store, operator: &str, action: AuditAction, record: &Customer) -> Action {
    match store.commit(operator, action, record) {
        Err(StoreError::Conflict { fields, .. }) => match store.get(record.cloud, &record.id) {
            Ok(Some(theirs)) => Action::Conflict {
                theirs: Box::new(theirs),
                fields,
            },
            Ok(None) => Action::CommitFailed(StoreError::NotFound(record.id.clone()).to_string()),
            Err(e) => Action::CommitFailed(e.to_string()),
        },
        other => committed(other),
    }
}

fn committed(result: Result<Committed, StoreError>) -> Action {
    match &result {
        Ok(Committed::Saved(c)) => tracing::info!(id = %c.id, version = c.version, "committed"),
        Ok(Committed::Unchanged(_)) => {}
        // The kind only: the message may quote customer data.
        Err(e) => tracing::warn!(kind = e.kind(), "commit refused"),
    }
    match result {
        Ok(Committed::Saved(customer)) => Action::Saved(customer),
        Ok(Committed::Unchanged(customer)) => Action::Unchanged(customer),
        Err(e) => Action::CommitFailed(e.to_string()),
    }
}
