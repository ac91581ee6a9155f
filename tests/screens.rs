//! The main screens in English and German, as snapshots
//! (`tests/snapshots/*.txt`; `KONTO_UPDATE_SNAPSHOTS=1 cargo test --test
//! screens` rewrites them, and `git diff` shows what changed), and that no
//! German text overflows its space.

mod common;

use common::*;
use konto::app::State;
use konto::domain::{AuditAction, AuditEntry, FieldId};
use konto::i18n::Lang;
use unicode_width::UnicodeWidthStr;

fn in_lang(lang: Lang, width: u16, height: u16) -> State {
    let mut s = sized(width, height);
    s.locale.lang = lang;
    s
}

fn snapshot(name: &str, lines: &[String]) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    let text: String = lines
        .iter()
        .map(|l| format!("{}\n", l.trim_end()))
        .collect();
    if std::env::var_os("KONTO_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; KONTO_UPDATE_SNAPSHOTS=1 writes it",
            path.display()
        )
    });
    assert!(
        stored == text,
        "{name} differs from {}:\n{text}",
        path.display()
    );
}

fn history_entries() -> Vec<AuditEntry> {
    let at = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    vec![
        AuditEntry {
            time: at("2026-11-26T13:56:00Z"),
            ..audit_entry(2, "billing.address.city", "Stuttgart", "Ulm")
        },
        AuditEntry {
            time: at("2026-11-27T08:05:00Z"),
            operator: "ben".into(),
            action: AuditAction::PermissionOn,
            ..audit_entry(3, "permissions.azure_reservations", "off", "on")
        },
    ]
}

/// The main screens of one language at a size.
fn screens(lang: Lang, width: u16, height: u16) -> Vec<(&'static str, Vec<String>)> {
    let mut out = Vec::new();
    let mut s = in_lang(lang, width, height);
    out.push(("browse", render(&s, width, height)));
    keys(&mut s, "?");
    out.push(("help", render(&s, width, height)));
    keys(&mut s, "<Esc>p");
    out.push(("confirm", render(&s, width, height)));
    keys(&mut s, "<Esc>");
    history_loaded(&mut s, history_entries());
    out.push(("history", render(&s, width, height)));
    keys(&mut s, "<Esc>u");
    focus(&mut s, FieldId::PostalCode);
    keys(&mut s, "<C-u>123<C-s>");
    out.push(("form", render(&s, width, height)));
    out
}

#[test]
fn the_main_screens_in_english_and_german() {
    for lang in Lang::ALL {
        for (width, height) in [(120, 35), (80, 24)] {
            for (name, lines) in screens(lang, width, height) {
                snapshot(&format!("{}-{name}-{width}x{height}", lang.code()), &lines);
            }
        }
    }
}

#[test]
fn german_screens_are_german() {
    let text = |lines: &[String]| lines.join("\n");
    let s = screens(Lang::De, 120, 35);
    let browse = text(&s[0].1);
    for word in [
        "Kunden",
        "Unternehmen",
        "Rechnungskontakt",
        "Postleitzahl",
        "Kaufberechtigungen",
        "✗ nicht erlaubt",
        "Version 1 · geändert 14.11.2023, 22:13",
        "beenden",
    ] {
        assert!(browse.contains(word), "browse lacks {word}:\n{browse}");
    }
    assert!(text(&s[1].1).contains("Tasten · Kundenliste"));
    assert!(
        text(&s[2].1).contains("Ärztehaus Nord GmbH erlauben, Azure-Reservierungen zu kaufen?")
    );
    let history = text(&s[3].1);
    assert!(
        history.contains("v3  27.11.2026, 08:05  ben  Berechtigung an"),
        "{history}"
    );
    assert!(history.contains("Ort: Stuttgart → Ulm"), "{history}");
    let form = text(&s[4].1);
    assert!(
        form.contains("Postleitzahl für Deutschland hat 5 Ziffern, z. B. 26133"),
        "{form}"
    );
    assert!(
        form.contains("Nicht gespeichert: 1 Feld muss korrigiert werden")
            || form.contains("Postleitzahl für Deutschland")
    );
    // And English stays English, side by side in the same process.
    let en = text(&screens(Lang::En, 120, 35)[4].1);
    assert!(
        en.contains("Postal code for Germany is 5 digits, e.g. 26133"),
        "{en}"
    );
}

/// The German key bar of every mode shows whole entries only.
#[test]
fn german_key_bars_are_never_cut_mid_word() {
    use konto::keymap::{KeyMode, Keymap};
    konto::i18n::set_lang(Lang::De);
    let map = Keymap::default();
    for (width, height) in [(120, 35), (80, 24), (40, 12)] {
        for (name, lines) in screens(Lang::De, width, height) {
            let bar = lines.last().unwrap().trim_end().to_string();
            let entries: Vec<String> = KeyMode::ALL
                .iter()
                .flat_map(|m| map.bindings(*m).iter())
                .map(|b| format!("{} {}", b.keys_text, b.label()))
                .collect();
            for part in bar.split("  ").filter(|p| !p.trim().is_empty()) {
                assert!(
                    entries.iter().any(|e| e == part.trim()),
                    "{name} {width}x{height}: {part:?} is not a whole key bar entry:\n{bar}"
                );
            }
        }
    }
}

/// Labels fit their columns (22 in the detail and the form, with a
/// space after them), at every size.
#[test]
fn german_labels_fit_their_columns() {
    konto::i18n::set_lang(Lang::De);
    let mut labels: Vec<String> = konto::domain::FIELDS
        .iter()
        .map(|f| f.title().to_string())
        .collect();
    labels.extend(
        konto::countries::countries()
            .iter()
            .map(|c| c.state_title().to_string()),
    );
    for key in [
        "detail.version",
        "detail.updated",
        "permission.reservations",
        "permission.savings_plan",
    ] {
        labels.push(konto::i18n::lookup(key).unwrap().to_string());
    }
    for label in &labels {
        assert!(
            label.width() < 22,
            "{label:?} is too wide for the label column"
        );
    }
    // (At 80x24 the detail shows its first lines only, by design.)
    for (width, height) in [(120, 35), (100, 30)] {
        let s = screens(Lang::De, width, height);
        let browse = s[0].1.join("\n");
        let form = s[4].1.join("\n");
        for f in konto::domain::FIELDS.iter() {
            let label = f.title();
            // Whole and followed by a space (the form scrolls to the
            // postal code; the detail shows every field at these sizes).
            assert!(
                browse.contains(&format!("{label} ")),
                "{width}x{height}: detail lacks {label}:\n{browse}"
            );
            if f.id == FieldId::PostalCode {
                assert!(
                    form.contains(&format!("{label} ")),
                    "{width}x{height}: form lacks {label}"
                );
            }
        }
    }
}

/// Dialog texts wrap inside their box: every word of the German question is
/// on screen whole, at 80x24 and at the smallest size.
#[test]
fn german_dialogs_wrap_inside_their_box() {
    for (width, height) in [(80, 24), (40, 12)] {
        let mut s = in_lang(Lang::De, width, height);
        keys(&mut s, "p");
        let lines = render(&s, width, height);
        let question = "Ärztehaus Nord GmbH erlauben, Azure-Reservierungen zu kaufen?";
        let on_screen = lines.join("\n");
        for word in question.split(' ') {
            assert!(
                on_screen.contains(word),
                "{width}x{height}: {word:?} is cut:\n{on_screen}"
            );
        }
        // The box's right border is on every row it covers.
        let top = lines
            .iter()
            .position(|l| l.contains("Kaufberechtigung"))
            .unwrap();
        let right = lines[top]
            .rfind('┐')
            .map(|b| lines[top][..b].width())
            .unwrap();
        for line in &lines[top + 1..] {
            if line.contains('┘') {
                break;
            }
            let chars: Vec<char> = line.chars().collect();
            assert_eq!(chars.get(right), Some(&'│'), "{width}x{height}: {line}");
        }
    }
}

/// The history's notes wrap in the narrow pane instead of running out of it.
#[test]
fn german_history_notes_wrap_in_their_pane() {
    let mut s = in_lang(Lang::De, 100, 30);
    history_loaded(&mut s, Vec::new());
    let lines = render(&s, 100, 30);
    let text = lines.join("\n");
    let note = konto::i18n::catalogue(Lang::De)["history.empty"].clone();
    for word in note.split(' ') {
        assert!(text.contains(word), "{word:?} is cut:\n{text}");
    }
}
