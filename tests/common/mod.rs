//! Shared fixtures for the integration tests.
#![allow(dead_code)]

pub mod pg;
pub mod pty;

use konto::app::{self, Command, State};
use konto::demo::sample_customer;
use konto::domain::{Cloud, Customer};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The real binary run on the store in `dir`, in `lang`, with its state
/// and config files kept in `dir` too.
pub fn konto_in(dir: &std::path::Path, lang: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_konto"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("KONTO_DATA_DIR")
        .env("KONTO_STATE_DIR", dir.join("state"))
        .env("KONTO_CONFIG", dir.join("config.toml"))
        .env("KONTO_LANG", lang)
        .output()
        .unwrap()
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
    app::update(
        &mut state,
        app::Action::Resize {
            width: 120,
            height: 35,
        },
    );
    state
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

/// Moves the form's focus to `field`.
pub fn focus(state: &mut State, field: konto::domain::FieldId) {
    for _ in 0..40 {
        if state.form.as_ref().and_then(|f| f.focused_id()) == Some(field) {
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

/// Draws the state into a TestBackend; the screen as lines of text.
pub fn render(state: &State, width: u16, height: u16) -> Vec<String> {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| konto::ui::draw(f, state)).unwrap();
    let buffer = terminal.backend().buffer().clone();
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
        .fill(&mut listing, usize::MAX)
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
