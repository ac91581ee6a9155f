//! Random event sequences through the state machine and the renderer: no
//! panic at any terminal size, and the invariants hold.

mod common;

use std::collections::BTreeMap;

use common::*;
use konto::app::{Action, Command, State, update};
use konto::domain::Customer;
use konto::validate::{Policy, check_record};
use proptest::prelude::*;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Clone, Debug)]
enum Event {
    Key(KeyEvent),
    Paste(String),
    Resize(u16, u16),
    Mouse(konto::app::MouseKind, u16, u16),
}

fn key_strategy() -> impl Strategy<Value = KeyEvent> {
    let codes = prop_oneof![
        Just(KeyCode::Up),
        Just(KeyCode::Down),
        Just(KeyCode::Left),
        Just(KeyCode::Right),
        Just(KeyCode::PageUp),
        Just(KeyCode::PageDown),
        Just(KeyCode::Home),
        Just(KeyCode::End),
        Just(KeyCode::Tab),
        Just(KeyCode::BackTab),
        Just(KeyCode::Enter),
        Just(KeyCode::Esc),
        Just(KeyCode::Backspace),
        Just(KeyCode::Delete),
        // The letters the key maps use, and some text.
        prop::sample::select(vec![
            'j', 'k', 'g', 'G', '/', 'u', 'p', 'P', 'h', 'r', 'a', 'y', 'n', ' ', '*', 'c', '?',
            'x', '1', 'ü', '株'
        ])
        .prop_map(KeyCode::Char),
    ];
    let modifiers = prop_oneof![
        6 => Just(KeyModifiers::NONE),
        1 => Just(KeyModifiers::CONTROL),
        1 => Just(KeyModifiers::SHIFT),
    ];
    (codes, modifiers).prop_filter_map("no quitting mid-sequence", |(code, modifiers)| {
        let quits = matches!(code, KeyCode::Char('q') | KeyCode::Char('c'))
            && modifiers == KeyModifiers::CONTROL;
        (!quits).then(|| KeyEvent::new(code, modifiers))
    })
}

fn event_strategy() -> impl Strategy<Value = Event> {
    prop_oneof![
        20 => key_strategy().prop_map(Event::Key),
        1 => any::<String>().prop_map(Event::Paste),
        1 => (1u16..=300, 1u16..=100).prop_map(|(w, h)| Event::Resize(w, h)),
        2 => (
            prop::sample::select(vec![
                konto::app::MouseKind::Click,
                konto::app::MouseKind::WheelUp,
                konto::app::MouseKind::WheelDown,
            ]),
            0u16..300,
            0u16..100,
        )
            .prop_map(|(k, c, r)| Event::Mouse(k, c, r)),
    ]
}

/// The records the state holds (in these tests: every customer).
fn records(state: &State) -> BTreeMap<String, Customer> {
    state
        .list
        .records
        .iter()
        .map(|(id, c)| (id.clone(), c.clone()))
        .collect()
}

/// Plays the runtime's part: commits are checked (the form must never send
/// an invalid record) and answered as the store would.
fn run(state: &mut State, command: Command, shadow: &mut BTreeMap<String, Customer>) {
    let policy = Policy::default();
    let reply = match command {
        Command::None | Command::Quit => return,
        Command::Commit { record, .. } => {
            let valid = check_record(&record, &policy);
            assert!(
                valid.is_ok(),
                "the app committed an invalid record: {valid:?}"
            );
            let mut saved = *record;
            saved.version += 1;
            shadow.insert(saved.id.clone(), saved.clone());
            Action::Saved(saved)
        }
        Command::CommitMany { records, .. } => {
            let saved: Vec<Customer> = records
                .into_iter()
                .map(|mut r| {
                    assert!(check_record(&r, &policy).is_ok(), "invalid bulk record");
                    r.version += 1;
                    shadow.insert(r.id.clone(), r.clone());
                    r
                })
                .collect();
            Action::BulkSaved(saved)
        }
        // The other cloud holds the same customers, as that cloud's.
        Command::Load(cloud) => {
            for c in shadow.values_mut() {
                c.cloud = cloud;
            }
            Action::loaded(cloud, shadow.values().cloned().collect())
        }
        Command::LoadHistory { id, .. } => Action::HistoryLoaded {
            id,
            entries: Vec::new(),
        },
        Command::Revert { .. } => Action::CommitFailed("revert refused in the test".into()),
        Command::Suspend | Command::ForgetDraft | Command::Copy(_) => return,
    };
    let next = update(state, reply);
    run(state, next, shadow);
}

fn render(state: &State) {
    let (w, h) = state.viewport;
    drawn(state, w, h);
}

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn random_events_never_panic_and_keep_the_invariants(
        events in prop::collection::vec(event_strategy(), 1..160),
    ) {
        let mut state = state();
        let mut shadow = records(&state);
        for (i, event) in events.into_iter().enumerate() {
            let command = match event {
                Event::Key(k) => konto::app::handle_key(&mut state, k),
                Event::Paste(text) => update(&mut state, Action::Paste(text)),
                Event::Resize(width, height) => update(&mut state, Action::Resize { width, height }),
                Event::Mouse(kind, column, row) => update(&mut state, Action::Mouse { kind, column, row }),
            };
            run(&mut state, command, &mut shadow);

            // The selection is inside the list, and on screen.
            if state.visible().is_empty() {
                prop_assert_eq!(state.selected, 0);
            } else {
                prop_assert!(state.selected < state.visible().len());
                prop_assert!(state.list_offset <= state.selected);
            }
            // Nothing changes but through a commit: a cancelled form, a
            // refused submit or a discarded edit leaves the records alone.
            prop_assert_eq!(&records(&state), &shadow);
            if i % 8 == 0 {
                render(&state);
            }
        }
        render(&state);
    }
}

#[test]
fn a_hundred_thousand_character_field_is_refused_without_trouble() {
    let mut s = state();
    keys(&mut s, "u<C-u>");
    update(&mut s, Action::Paste("ä".repeat(100_000)));
    render(&s);
    assert_eq!(keys(&mut s, "<C-s>"), Command::None);
    let message = &form(&s).errors[&konto::domain::FieldId::CompanyName];
    assert!(message.contains("100000 characters long"), "{message}");
    render(&s);
}

#[test]
fn a_ten_thousand_line_paste_becomes_one_line() {
    let mut s = state();
    keys(&mut s, "/");
    let text: String = (0..10_000).map(|i| format!("line {i}\r\n")).collect();
    update(&mut s, Action::Paste(text));
    let value = s.filter.value();
    assert!(!value.contains('\n') && !value.contains('\r'));
    assert!(value.starts_with("line 0line 1"));
    render(&s);
}

#[test]
fn names_made_of_combining_marks_render() {
    let mut customers = customers();
    customers[0].company.name = format!("Z{}", "\u{0301}\u{0308}\u{0323}".repeat(500));
    let mut s = konto::app::State::new(konto::domain::Cloud::Commercial, "/x".into(), customers);
    for (w, h) in [(120, 35), (20, 5), (3, 3)] {
        update(
            &mut s,
            Action::Resize {
                width: w,
                height: h,
            },
        );
        render(&s);
    }
}

#[test]
fn a_thousand_resizes_in_a_row_stay_consistent() {
    let mut s = state();
    keys(&mut s, "<End>");
    for i in 0..1_000u16 {
        let (w, h) = (1 + (i * 37) % 300, 1 + (i * 13) % 100);
        update(
            &mut s,
            Action::Resize {
                width: w,
                height: h,
            },
        );
        assert!(s.list_offset <= s.selected);
        if i % 50 == 0 {
            render(&s);
        }
    }
}
