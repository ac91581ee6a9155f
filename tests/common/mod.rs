//! Shared fixtures for the integration tests.
#![allow(dead_code)]

use konto::app::{self, Command, State};
use konto::demo::sample_customer;
use konto::domain::{Cloud, Customer};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A small, varied set of customers (commercial unless said otherwise).
pub fn customers() -> Vec<Customer> {
    let rows = [
        (
            "c-1",
            "Zeppelin Logistik AG",
            "zeppelin.onmicrosoft.com",
            "ops@zeppelin.de",
            "DE",
        ),
        (
            "c-2",
            "Ärztehaus Nord GmbH",
            "aerztehausnord.onmicrosoft.com",
            "info@aerztehaus-nord.de",
            "DE",
        ),
        (
            "c-3",
            "Boulangerie Lefèvre SARL",
            "lefevre.onmicrosoft.com",
            "marie@lefevre.fr",
            "FR",
        ),
        (
            "c-4",
            "株式会社さくら精機",
            "sakuraseiki.onmicrosoft.com",
            "sato@sakura-seiki.jp",
            "JP",
        ),
        (
            "c-5",
            "Aurora Analytics Inc.",
            "auroraanalytics.onmicrosoft.com",
            "billing@aurora.com",
            "US",
        ),
    ];
    rows.iter()
        .map(|(id, name, domain, email, country)| {
            let mut c = sample_customer();
            c.id = id.to_string();
            c.company.name = name.to_string();
            c.billing.company_name = name.to_string();
            c.company.domain = domain.to_string();
            c.billing.email = email.to_string();
            c.billing.address.country = country.to_string();
            c
        })
        .collect()
}

pub fn state() -> State {
    let mut state = State::new(Cloud::Commercial, "/tmp/konto-test".into(), customers());
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
