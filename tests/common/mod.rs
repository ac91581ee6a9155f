//! Shared fixtures for the integration tests.
#![allow(dead_code)]

pub mod pg;
pub mod pty;

use konto::app::{self, Change, Command, Form, FormOverlay, MouseKind, Pending, State};
use konto::demo::sample_customer;
use konto::domain::{Access, AuditAction, AuditEntry, Cloud, Customer, FieldChange, Role};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The real binary run on the store in `dir`, in `lang`, with its state
/// and config files kept in `dir` too.
pub fn konto_in(dir: &std::path::Path, lang: &str, args: &[&str]) -> std::process::Output {
    konto_command(dir, lang, args).output().unwrap()
}

/// `konto_in`'s command, to run as the caller needs.
pub fn konto_command(dir: &std::path::Path, lang: &str, args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_konto"));
    command
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("KONTO_DATA_DIR")
        .env_remove("KONTO_STORE")
        .env("KONTO_STATE_DIR", dir.join("state"))
        .env("KONTO_CONFIG", dir.join("config.toml"))
        .env("KONTO_LANG", lang);
    command
}

pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A small, varied set of customers (commercial unless said otherwise).
#[rustfmt::skip]
pub fn customers() -> Vec<Customer> {
    let rows = [
        ("c-1", "Zeppelin Logistik AG", "zeppelin.onmicrosoft.com", "ops@zeppelin.de"),
        ("c-2", "Ärztehaus Nord GmbH", "aerztehausnord.onmicrosoft.com", "info@aerztehaus-nord.de"),
        ("c-3", "Boulangerie Lefèvre SARL", "lefevre.onmicrosoft.com", "marie@lefevre.fr"),
        ("c-4", "株式会社さくら精機", "sakuraseiki.onmicrosoft.com", "sato@sakura-seiki.jp"),
        ("c-5", "Aurora Analytics Inc.", "auroraanalytics.onmicrosoft.com", "billing@aurora.com"),
    ];
    // All at the sample's German address, so every fixture is valid.
    rows.iter()
        .map(|(id, name, domain, email)| {
            let mut c = sample_customer();
            c.id = id.to_string();
            c.company.name = name.to_string();
            c.billing.company_name = name.to_string();
            c.company.domain = domain.to_string();
            c.billing.email = email.to_string();
            c
        })
        .collect()
}

/// A Spanish customer as konto saved it before Spain's provinces were
/// required (the generated country rules): valid then, refused now.
pub fn saved_before_provinces() -> Customer {
    let mut old = sample_customer();
    old.id = "c-old".into();
    old.company.name = "Olivares Logística SL".into();
    old.company.domain = "olivares.onmicrosoft.com".into();
    let a = &mut old.billing.address;
    (a.country, a.state, a.postal_code, a.city) =
        ("ES".into(), String::new(), "28020".into(), "Madrid".into());
    old.billing.culture = "es-ES".into();
    old.billing.language = "es".into();
    old.billing.phone = String::new();
    old
}

/// The property tests' settings: 48 cases (`PROPTEST_CASES=2000` for a
/// longer hunt), no files of failures left behind.
pub fn proptest_config() -> proptest::prelude::ProptestConfig {
    proptest::prelude::ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(48),
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    }
}

/// The fixtures and one customer of the US government cloud (`g-1`).
pub fn customers_of_both_clouds() -> Vec<Customer> {
    let mut all = customers();
    let mut gov = sample_customer();
    gov.id = "g-1".into();
    gov.cloud = Cloud::Usgov;
    gov.company.name = "City of Tacoma".into();
    all.push(gov);
    all
}

/// The record a commit saved (a test fails on anything else).
pub fn saved(outcome: konto::store::Committed) -> Customer {
    match outcome {
        konto::store::Committed::Saved(c) => c,
        other => panic!("expected a saved record, got {other:?}"),
    }
}

/// The app at 120x35 on the fixtures.
pub fn state() -> State {
    state_with(customers())
}

/// The app at 120x35 on one US customer.
pub fn us_state() -> State {
    state_with(vec![us_customer()])
}

pub fn state_with(customers: Vec<Customer>) -> State {
    let mut state = State::new(Cloud::Commercial, "/tmp/konto-test".into(), customers);
    resize(&mut state, 120, 35);
    state
}

/// The app on a list loaded as the runtime loads it: rows only, the full
/// records read when the screen needs them (`loading`: the cloud's count,
/// when more rows are still to come).
pub fn loaded_as_rows(rows: &[konto::listing::Row], loading: Option<usize>) -> State {
    let mut state = State::new(Cloud::Commercial, "t".into(), Vec::new());
    app::update(
        &mut state,
        app::Action::Loaded {
            cloud: Cloud::Commercial,
            listing: konto::listing::Listing::of_rows(Cloud::Commercial, rows),
            records: Vec::new(),
            loading,
        },
    );
    state
}

/// The app on the fixtures in a terminal of this size.
pub fn sized(width: u16, height: u16) -> State {
    let mut state = state();
    resize(&mut state, width, height);
    state
}

pub fn resize(state: &mut State, width: u16, height: u16) {
    app::update(state, app::Action::Resize { width, height });
}

/// The app on the fixtures for an operator of `role`.
pub fn with_role(role: Role, read_only: bool) -> State {
    let mut state = state();
    state.access = Access { role, read_only };
    state
}

/// A mouse event at a cell of the screen.
pub fn mouse(state: &mut State, kind: MouseKind, column: u16, row: u16) -> Command {
    app::update(state, app::Action::Mouse { kind, column, row })
}

pub fn click(state: &mut State, column: u16, row: u16) -> Command {
    mouse(state, MouseKind::Click, column, row)
}

/// An update of one field by anna, as the store records it (version `n`
/// at n minutes past a fixed time), of customer c-2 (the first listed).
pub fn audit_entry(version: u64, field: &str, old: &str, new: &str) -> AuditEntry {
    AuditEntry {
        time: chrono::DateTime::from_timestamp(1_790_000_000 + version as i64 * 60, 0).unwrap(),
        operator: "anna".into(),
        cloud: Cloud::Commercial,
        id: "c-2".into(),
        version,
        action: AuditAction::Update,
        changes: vec![FieldChange {
            field: field.into(),
            old: old.into(),
            new: new.into(),
        }],
        reverts: None,
        role: None,
    }
}

/// The runtime's answer to the open form's commit: someone else saved
/// version 2 of its customer meanwhile, with a new city (Ulm).
pub fn someone_else_saved_a_new_city(state: &mut State) -> Command {
    let mut theirs = form(state).original.clone();
    theirs.version = 2;
    theirs.billing.address.city = "Ulm".into();
    app::update(
        state,
        app::Action::Conflict {
            theirs: Box::new(theirs),
            fields: vec!["billing.address.city".into()],
        },
    )
}

/// The runtime's answer to `h` on the selected customer: its history.
pub fn history_loaded(state: &mut State, entries: Vec<AuditEntry>) -> Command {
    let id = state.selected_id().unwrap();
    app::update(state, app::Action::HistoryLoaded { id, entries })
}

pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

pub fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// Presses keys one after another; returns the last command.
pub fn press(state: &mut State, keys: &[KeyEvent]) -> Command {
    let mut last = Command::None;
    for k in keys {
        last = app::handle_key(state, *k);
    }
    last
}

/// Presses the keys written in Vim's notation, as an operator types them:
/// `keys(&mut s, "/berl<Enter>u")`. A character is its key (`u`, `G`, `/`,
/// a space); `<Enter>` `<Esc>` `<Tab>` `<S-Tab>` `<BS>` `<Del>` `<Up>`
/// `<Down>` `<Left>` `<Right>` `<Home>` `<End>` `<PgUp>` `<PgDn>` `<F1>`
/// `<Space>` and `<lt>` (a `<`) name the others, `<C-s>` is Ctrl-S.
/// Returns the last command.
pub fn keys(state: &mut State, keys: &str) -> Command {
    press(state, &parse_keys(keys))
}

/// The key events `keys` presses.
pub fn parse_keys(text: &str) -> Vec<KeyEvent> {
    let mut events = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let (event, len) = match rest.strip_prefix('<').and_then(|r| r.split_once('>')) {
            Some((name, _)) if c == '<' => (named_key(name), name.len() + 2),
            _ => (key(KeyCode::Char(c)), c.len_utf8()),
        };
        events.push(event);
        rest = &rest[len..];
    }
    events
}

fn named_key(name: &str) -> KeyEvent {
    if let Some(c) = name.strip_prefix("C-") {
        let mut chars = c.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return ctrl(c);
        }
    }
    let code = match name {
        "Enter" | "CR" => KeyCode::Enter,
        "Esc" => KeyCode::Esc,
        "Tab" => KeyCode::Tab,
        "S-Tab" => KeyCode::BackTab,
        "BS" => KeyCode::Backspace,
        "Del" => KeyCode::Delete,
        "Up" => KeyCode::Up,
        "Down" => KeyCode::Down,
        "Left" => KeyCode::Left,
        "Right" => KeyCode::Right,
        "Home" => KeyCode::Home,
        "End" => KeyCode::End,
        "PgUp" => KeyCode::PageUp,
        "PgDn" => KeyCode::PageDown,
        "Space" => KeyCode::Char(' '),
        "lt" => KeyCode::Char('<'),
        f if f.starts_with('F') && f[1..].parse::<u8>().is_ok() => {
            KeyCode::F(f[1..].parse().unwrap())
        }
        other => panic!("no key <{other}>"),
    };
    key(code)
}

/// A customer of the US (address in Redmond, WA).
pub fn us_customer() -> Customer {
    let mut c = sample_customer();
    c.id = "us-1".into();
    c.company.name = "Aurora Analytics Inc.".into();
    c.billing.culture = "en-US".into();
    c.billing.language = "en".into();
    c.billing.phone = "+14258828080".into();
    let a = &mut c.billing.address;
    a.line1 = "1 Microsoft Way".into();
    a.city = "Redmond".into();
    a.state = "WA".into();
    a.postal_code = "98052".into();
    a.country = "US".into();
    c
}

/// The open form; the test fails if there is none.
pub fn form(state: &State) -> &Form {
    state.form().expect("a form is open")
}

/// What waits in the review; the test fails if no review is open.
pub fn pending(state: &State) -> &Pending {
    match state.form_screen().and_then(|f| f.overlay.as_ref()) {
        Some(FormOverlay::Review(pending)) => pending,
        other => panic!("no review is open: {other:?}"),
    }
}

/// The changes the review of a single form shows.
pub fn review(state: &State) -> Vec<Change> {
    match pending(state) {
        Pending::One(record) => app::changes(&form(state).original, record),
        Pending::Many(records) => panic!("a bulk review of {} records", records.len()),
    }
}

/// Who a bulk change would make invalid; the test fails if it is not shown.
pub fn bulk_failures(state: &State) -> &[String] {
    match state.form_screen().and_then(|f| f.overlay.as_ref()) {
        Some(FormOverlay::BulkFailed(failures)) => failures,
        other => panic!("no bulk failures shown: {other:?}"),
    }
}

/// Moves the form's focus to `field`.
pub fn focus(state: &mut State, field: konto::domain::FieldId) {
    for _ in 0..40 {
        if state.form().and_then(|f| f.focused_id()) == Some(field) {
            return;
        }
        press(state, &[key(KeyCode::Tab)]);
    }
    panic!("cannot focus {field:?}");
}

/// Types text character by character.
pub fn type_text(state: &mut State, text: &str) -> Command {
    let keys: Vec<KeyEvent> = text.chars().map(|c| key(KeyCode::Char(c))).collect();
    press(state, &keys)
}

pub fn selected_name(state: &State) -> String {
    state
        .selected_customer()
        .map(|c| c.company.name.clone())
        .unwrap_or_default()
}

/// The state drawn into a test terminal of this size.
pub fn drawn(state: &State, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| konto::ui::draw(f, state)).unwrap();
    terminal
}

/// The cells the state draws at this size.
pub fn buffer(state: &State, width: u16, height: u16) -> ratatui::buffer::Buffer {
    drawn(state, width, height).backend().buffer().clone()
}

/// Where the drawn state puts the terminal's cursor, as (column, row).
pub fn drawn_cursor(state: &State, width: u16, height: u16) -> (u16, u16) {
    let at = drawn(state, width, height).get_cursor_position().unwrap();
    (at.x, at.y)
}

/// Draws the state into a TestBackend; the screen as lines of text.
pub fn render(state: &State, width: u16, height: u16) -> Vec<String> {
    let buffer = buffer(state, width, height);
    (0..height)
        .map(|y| {
            let mut line = String::new();
            let mut x = 0;
            while x < width {
                let cell = &buffer[(x, y)];
                line.push_str(cell.symbol());
                // A wide character covers the next cell too.
                x += unicode_width::UnicodeWidthStr::width(cell.symbol()).max(1) as u16;
            }
            line
        })
        .collect()
}

/// The commercial list as the store hands it to the app, in list order.
pub fn listed_rows(store: &konto::store::Store) -> Vec<konto::listing::Row> {
    let mut listing = konto::listing::Listing::new(Cloud::Commercial);
    store
        .rows(Cloud::Commercial)
        .read(usize::MAX, &mut |row| listing.push_sorted(row))
        .unwrap();
    listing
        .by_name()
        .iter()
        .map(|&i| listing.get(i as usize).unwrap().to_row())
        .collect()
}

pub fn listed_ids(store: &konto::store::Store) -> Vec<String> {
    listed_rows(store).into_iter().map(|r| r.id).collect()
}

/// The screen as one text, its lines joined.
pub fn render_text(state: &State, width: u16, height: u16) -> String {
    render(state, width, height).join("\n")
}
