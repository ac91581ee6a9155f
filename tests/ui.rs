//! Renders into ratatui's TestBackend and checks what is on screen.

mod common;

use common::*;
use konto::app::State;
use konto::domain::{AuditAction, AuditEntry, FieldId};
use konto::ui;
use ratatui::style::Modifier;

#[test]
fn browse_screen_shows_header_list_detail_and_keys() {
    let s = sized(120, 35);
    let lines = render(&s, 120, 35);
    let text = lines.join("\n");
    assert!(
        lines[0].starts_with(" konto │ Commercial │ 5/5 customers │ /tmp/konto-test"),
        "{}",
        lines[0]
    );
    // The list: sorted, with domains, the first one selected.
    assert!(lines[2].contains("Ärztehaus Nord GmbH"), "{}", lines[2]);
    assert!(
        lines[2].contains("aerztehausnord.onmicrosoft.com"),
        "{}",
        lines[2]
    );
    assert!(lines[6].contains("株式会社さくら精機"), "{}", lines[6]);
    // The detail, grouped.
    for heading in [
        "Company",
        "Billing contact",
        "Address",
        "Purchase permissions",
        "Record",
    ] {
        assert!(text.contains(heading), "missing section {heading}");
    }
    assert!(text.contains("info@aerztehaus-nord.de"));
    assert!(text.contains("Königstraße 27"));
    assert!(text.contains("Azure reservations"));
    assert!(text.contains("✗ not allowed"));
    assert!(text.contains("version 1 · updated 14 Nov 2023, 22:13"));
    // The key bar comes from the key map.
    let keys = &lines[34];
    for hint in [
        "/ filter",
        "u update",
        "p/P allow purchase",
        "h history",
        "c cloud",
        "q quit",
    ] {
        assert!(keys.contains(hint), "key bar lacks {hint}: {keys}");
    }
}

#[test]
fn the_selected_row_is_highlighted() {
    let mut s = sized(120, 35);
    keys(&mut s, "<Down>");
    let buffer = buffer(&s, 120, 35);
    let selected_bg = buffer[(1, 3)].bg;
    let other_bg = buffer[(1, 2)].bg;
    assert_ne!(selected_bg, other_bg, "row 2 (Aurora) is highlighted");
    assert_eq!(buffer[(1, 3)].symbol(), "A");
}

#[test]
fn cjk_names_line_up_with_the_domain_column() {
    let s = sized(120, 35);
    let lines = render(&s, 120, 35);
    let column = |line: &str, needle: &str| {
        let at = line.find(needle).unwrap();
        unicode_width::UnicodeWidthStr::width(&line[..at])
    };
    assert_eq!(
        column(&lines[2], "aerztehausnord"),
        column(&lines[6], "sakuraseiki"),
        "domains start in the same display column"
    );
}

#[test]
fn form_shows_every_field_marks_changes_and_places_the_cursor() {
    let mut s = sized(120, 35);
    keys(&mut s, "u!");
    let lines = render(&s, 120, 35);
    let text = lines.join("\n");
    assert!(text.contains("Update account · Ärztehaus Nord GmbH · version 1"));
    for label in [
        "Company name",
        "Primary domain",
        "First name",
        "Email",
        "Address line 1",
        "Postal code",
        "Country",
        "Customer id",
        "Tenant id",
    ] {
        assert!(text.contains(label), "form lacks {label}");
    }
    let name_line = lines.iter().find(|l| l.contains("Company name")).unwrap();
    assert!(
        name_line.contains("● Company name"),
        "changed mark: {name_line}"
    );
    assert!(name_line.contains("Ärztehaus Nord GmbH!"));
    let email_line = lines.iter().find(|l| l.contains("Email")).unwrap();
    assert!(!email_line.contains('●'));
    // The cursor sits right after the typed text.
    let y = lines
        .iter()
        .position(|l| l.contains("Company name"))
        .unwrap() as u16;
    let (x, cursor_y) = drawn_cursor(&s, 120, 35);
    assert_eq!(cursor_y, y);
    let before_cursor = 1 + 2 + 22 + unicode_width::UnicodeWidthStr::width("Ärztehaus Nord GmbH!");
    assert_eq!(usize::from(x), before_cursor);
    assert!(lines[34].contains("Ctrl-S submit"), "{}", lines[34]);
}

#[test]
fn refused_submit_shows_the_message_beside_the_field() {
    let mut s = sized(120, 35);
    keys(&mut s, "u<C-u><C-s>");
    let lines = render(&s, 120, 35);
    let name_line = lines.iter().find(|l| l.contains("Company name")).unwrap();
    assert!(name_line.contains("is required"), "{name_line}");
    assert!(
        lines[33].contains("Company name is required"),
        "{}",
        lines[33]
    );
}

#[test]
fn permission_question_is_shown_over_the_screen() {
    let mut s = sized(120, 35);
    keys(&mut s, "p");
    let text = render_text(&s, 120, 35);
    assert!(text.contains("Allow Ärztehaus Nord GmbH to purchase Azure reservations?"));
    assert!(text.contains("y yes"));
}

#[test]
fn filter_prompt_and_title_show_the_query() {
    let mut s = sized(120, 35);
    keys(&mut s, "/lefèvre");
    let lines = render(&s, 120, 35);
    assert!(lines[0].contains("1/5 customers"), "{}", lines[0]);
    assert!(lines[1].contains("filter: lefèvre"), "{}", lines[1]);
    assert!(lines[33].starts_with("Filter: lefèvre"), "{}", lines[33]);
}

#[test]
fn the_characters_the_filter_matched_are_marked() {
    let mut s = sized(120, 35);
    keys(&mut s, "/blf");
    let buffer = buffer(&s, 120, 35);
    // Row 1 of the list: "Boulangerie Lefèvre SARL", best match first.
    let row: String = (1..25).map(|x| buffer[(x, 2)].symbol()).collect();
    assert!(row.starts_with("Boulangerie Lefèvre"), "{row}");
    let underlined = |x: u16| buffer[(x, 2)].modifier.contains(Modifier::UNDERLINED);
    let marked: String = (1..25)
        .filter(|&x| underlined(x))
        .map(|x| buffer[(x, 2)].symbol())
        .collect();
    // One cell per query letter, in order: b…l…f.
    assert_eq!(marked.to_lowercase(), "blf", "{row}");
}

#[test]
fn a_row_listed_for_a_field_the_list_does_not_show_shows_that_field() {
    for query in ["stuttg", "city:stuttg"] {
        let mut s = sized(120, 35);
        keys(&mut s, "/");
        type_text(&mut s, query);
        let buffer = buffer(&s, 120, 35);
        let row: String = (1..60).map(|x| buffer[(x, 2)].symbol()).collect();
        assert!(row.contains("city:Stuttgart"), "{query}: {row}");
        let marked: String = (1..60)
            .filter(|&x| buffer[(x, 2)].modifier.contains(Modifier::UNDERLINED))
            .map(|x| buffer[(x, 2)].symbol())
            .collect();
        assert_eq!(marked.to_lowercase(), "stuttg", "{query}: {row}");
    }
    // Matched in the name: the domain stays.
    let mut s = sized(120, 35);
    keys(&mut s, "/zeppelin");
    let lines = render(&s, 120, 35);
    assert!(
        lines[2].contains("zeppelin.onmicrosoft.com"),
        "{}",
        lines[2]
    );
}

#[test]
fn data_with_control_characters_is_drawn_harmlessly() {
    let mut customers = customers();
    customers[0].company.name = "Evil\u{1b}]52;c;aGk=\u{7}\u{202E}Corp".into();
    let s = State::new(konto::domain::Cloud::Commercial, "/x".into(), customers);
    let text = render_text(&s, 120, 35);
    assert!(text.contains("Evil␛]52;c;aGk=␇\u{FFFD}Corp"), "{text}");
    assert!(!text.contains('\u{1b}'));
    assert!(!text.contains('\u{202E}'));
}

#[test]
fn tiny_terminals_do_not_panic() {
    for (w, h) in [(20, 5), (1, 1), (0, 0), (3, 3), (200, 2)] {
        let mut s = sized(w.max(1), h.max(1));
        render(&s, w, h);
        keys(&mut s, "u");
        render(&s, w, h);
        keys(&mut s, "<C-u><C-s><Esc>");
        render(&s, w, h);
    }
}

#[test]
fn the_whole_detail_fits_a_100_by_30_terminal() {
    let s = sized(100, 30);
    let text = render_text(&s, 100, 30);
    for needle in [
        "Company name",
        "Postal code",
        "Azure savings plan",
        "Tenant id",
        "version 1 · updated 14 Nov 2023, 22:13",
    ] {
        assert!(text.contains(needle), "{needle} not visible:\n{text}");
    }
}

#[test]
fn a_tall_terminal_gets_blank_lines_between_sections() {
    let s = sized(120, 50);
    let lines = render(&s, 120, 50);
    let at = |needle: &str| lines.iter().position(|l| l.contains(needle)).unwrap();
    assert_eq!(at("Billing contact"), at("Registration number") + 2);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Last updated          14 Nov 2023, 22:13"))
    );
}

#[test]
fn review_popup_lists_each_change_old_to_new() {
    let mut s = sized(120, 35);
    keys(&mut s, "u");
    focus(&mut s, FieldId::Phone);
    keys(&mut s, "<C-u>030 1234567<C-s>");
    let text = render_text(&s, 120, 35);
    assert!(text.contains("Review changes"), "{text}");
    assert!(
        text.contains("Phone  +4971112345678 → +49301234567"),
        "{text}"
    );
    assert!(text.contains("Enter save"));
    assert!(text.contains("1 change"));
}

#[test]
fn picker_popup_shows_the_matching_states_and_the_label_follows_the_country() {
    let mut s = us_state();
    let text = render_text(&s, 120, 35);
    assert!(
        text.contains("State                 WA · Washington"),
        "{text}"
    );
    assert!(
        text.contains("Phone                 (425) 882-8080"),
        "national format"
    );
    keys(&mut s, "u");
    focus(&mut s, FieldId::State);
    keys(&mut s, "<C-p>caro");
    let text = render_text(&s, 120, 35);
    assert!(text.contains("State of United States"), "{text}");
    assert!(text.contains("NC   North Carolina"));
    assert!(text.contains("SC   South Carolina"));
    assert!(!text.contains("WA   Washington"));
}

#[test]
fn history_pane_lists_changes_newest_first() {
    let mut s = sized(120, 35);
    keys(&mut s, "h");
    let entries = vec![
        audit_entry(2, "billing.address.city", "Stuttgart", "Ulm"),
        AuditEntry {
            operator: "ben".into(),
            action: AuditAction::PermissionOn,
            ..audit_entry(3, "permissions.azure_reservations", "off", "on")
        },
    ];
    history_loaded(&mut s, entries);
    let lines = render(&s, 120, 35);
    let text = lines.join("\n");
    assert!(text.contains("History · Ärztehaus Nord GmbH"), "{text}");
    let v3 = lines.iter().position(|l| l.contains("v3 ")).unwrap();
    let v2 = lines.iter().position(|l| l.contains("v2 ")).unwrap();
    assert!(v3 < v2, "newest first");
    assert!(lines[v3].contains("ben  permission on"));
    assert!(text.contains("Azure reservations: off → on"));
    assert!(text.contains("City: Stuttgart → Ulm"));
    assert!(lines[34].contains("r revert this change"), "{}", lines[34]);
    keys(&mut s, "jr");
    let text = render_text(&s, 120, 35);
    assert!(
        text.contains("Revert version 2 of Ärztehaus Nord GmbH?"),
        "{text}"
    );
    assert!(text.contains("v1–v1: before konto kept"), "{text}");
}

#[test]
fn a_narrow_key_bar_drops_entries_but_keeps_quit() {
    let s = sized(40, 20);
    let lines = render(&s, 40, 20);
    let bar = lines[19].trim_end();
    assert!(bar.ends_with("q quit"), "{bar}");
    assert!(bar.starts_with("↑↓/jk move"), "{bar}");
}

#[test]
fn the_conflict_popup_shows_theirs_and_yours() {
    let mut s = sized(120, 35);
    keys(&mut s, "u");
    focus(&mut s, FieldId::LastName);
    keys(&mut s, "<C-u>Berg");
    someone_else_saved_a_new_city(&mut s);
    let text = render_text(&s, 120, 35);
    assert!(text.contains("you started from"), "{text}");
    assert!(
        text.contains("version 1, the store has version 2."),
        "{text}"
    );
    // Base, theirs, yours and the result of each field either side changed.
    let row = |label: &str| {
        text.lines()
            .find(|l| l.contains(label))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    assert!(
        row("Last name  W").contains("Weiß Weiß Berg yours · auto"),
        "{text}"
    );
    assert!(
        row("City  ").contains("Stuttgart Ulm Stuttgart theirs · auto"),
        "{text}"
    );
    assert!(text.contains("Enter merge"), "{text}");
}

#[test]
fn help_lists_every_key_of_the_mode_from_the_key_map_and_filters() {
    let mut s = sized(120, 40);
    keys(&mut s, "?");
    let text = render_text(&s, 120, 40);
    assert!(text.contains("Keys · Customer list"), "{text}");
    // Every binding of the browse key map is there, bar or not.
    for binding in konto::keymap::bindings(konto::keymap::KeyMode::Browse) {
        let help = konto::i18n::t(binding.help);
        assert!(text.contains(help), "help lacks {help}");
    }
    assert!(text.contains("PgUp"));
    assert!(text.contains("Ctrl-C"));
    keys(&mut s, "savings");
    let text = render_text(&s, 120, 40);
    assert!(
        text.contains("P  ") && text.contains("savings plan"),
        "{text}"
    );
    assert!(!text.contains("page up"), "filtered out");
    keys(&mut s, "<Esc>");
    assert_eq!(s.mode(), konto::app::Mode::Browse);
}

#[test]
fn help_in_the_form_includes_the_line_editing_keys() {
    let mut s = sized(120, 40);
    keys(&mut s, "u<F1>");
    let text = render_text(&s, 120, 40);
    assert!(text.contains("Keys · Update form"), "{text}");
    assert!(text.contains("Ctrl-S"));
    assert!(text.contains("delete the word before"));
    keys(&mut s, "<Esc>");
    assert_eq!(s.mode(), konto::app::Mode::Form, "back where it was opened");
}

#[test]
fn a_narrow_terminal_puts_the_detail_below_the_list() {
    let s = sized(60, 40);
    let lines = render(&s, 60, 40);
    let list = lines.iter().position(|l| l.contains("Customers")).unwrap();
    let detail = lines.iter().position(|l| l.contains("Account")).unwrap();
    assert!(
        detail > list + 3,
        "detail below the list:\n{}",
        lines.join("\n")
    );
    assert!(lines[list + 1].contains("Ärztehaus Nord GmbH"));
}

#[test]
fn a_too_small_terminal_says_how_large_it_needs_to_be() {
    let s = sized(30, 8);
    let text = render_text(&s, 30, 8);
    assert!(text.contains("konto needs a terminal of"), "{text}");
    assert!(text.contains("least 40x12; this one is 30x8."), "{text}");
}

#[test]
fn no_color_renders_without_any_colour_and_the_selection_still_shows() {
    let mut s = sized(120, 35);
    s.theme = konto::app::ThemeName::NoColor;
    keys(&mut s, "p");
    let buffer = buffer(&s, 120, 35);
    for cell in buffer.content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset, "{cell:?}");
        assert_eq!(cell.bg, ratatui::style::Color::Reset, "{cell:?}");
    }
    let row = &buffer[(1, 2)];
    assert!(
        row.modifier.contains(ratatui::style::Modifier::REVERSED),
        "selection by reverse video"
    );
}

#[test]
fn every_theme_renders_every_screen() {
    use konto::app::ThemeName::*;
    for theme in [Dark, Light, HighContrast, NoColor] {
        let mut s = sized(100, 30);
        s.theme = theme;
        render(&s, 100, 30);
        keys(&mut s, "u");
        render(&s, 100, 30);
    }
}

#[test]
fn the_selected_detail_field_is_scrolled_into_view() {
    let mut s = sized(100, 20);
    let text = render_text(&s, 100, 20);
    assert!(!text.contains("Tenant id"), "not in view at first");
    keys(&mut s, "<Tab>");
    keys(&mut s, &"<Down>".repeat(17));
    let text = render_text(&s, 100, 20);
    assert!(text.contains("Tenant id"), "{text}");
}

/// The screen row where the form draws `field`'s label (after the border
/// and the change marker).
fn form_row(state: &State, field: konto::domain::FieldId, width: u16, height: u16) -> u16 {
    let label = konto::domain::spec(field).title();
    let lines = render(state, width, height);
    let row = lines
        .iter()
        .position(|l| l.chars().skip(3).collect::<String>().starts_with(label))
        .unwrap_or_else(|| panic!("{label} is not on screen:\n{}", lines.join("\n")));
    row as u16
}

#[test]
fn a_click_on_a_form_field_focuses_it_where_it_is_drawn() {
    use konto::domain::FieldId;
    // Side by side, and a short narrow terminal where the form scrolls and
    // messages go under their fields.
    for (width, height) in [(120, 35), (80, 24)] {
        let mut s = sized(width, height);
        keys(&mut s, "u");
        focus(&mut s, FieldId::Email);
        keys(&mut s, "<C-u>not an address");
        focus(&mut s, FieldId::PostalCode);
        assert!(form(&s).errors.contains_key(&FieldId::Email));
        // Upwards: each field is on screen while the one below is focused.
        for target in [
            FieldId::PostalCode,
            FieldId::City,
            FieldId::Line2,
            FieldId::Phone,
            FieldId::Email,
            FieldId::FirstName,
            FieldId::CompanyName,
        ] {
            let row = form_row(&s, target, width, height);
            // On the label: the field gets the focus.
            click(&mut s, 5, row);
            assert_eq!(form(&s).focused_id(), Some(target), "{width}x{height}");
            // On the value's third character: the cursor goes there, and
            // is drawn where the click was.
            let row = form_row(&s, target, width, height);
            let column = 1 + 2 + 22 + 2;
            click(&mut s, column, row);
            let input = &form(&s).focused().unwrap().input;
            assert_eq!(input.cursor(), 2.min(input.value().chars().count()));
            if input.value().chars().count() >= 2 {
                assert_eq!(drawn_cursor(&s, width, height), (column, row));
            }
        }
        // A read-only field, a section title and the border change nothing.
        let before = form(&s).focused_id();
        let domain = form_row(&s, FieldId::Domain, width, height);
        click(&mut s, 5, domain);
        click(&mut s, 0, domain + 1);
        let lines = render(&s, width, height);
        let section = lines
            .iter()
            .position(|l| l.contains("│Billing contact "))
            .unwrap();
        click(&mut s, 5, section as u16);
        assert_eq!(form(&s).focused_id(), before);
    }
}

#[test]
fn a_click_beside_a_long_value_puts_the_cursor_at_its_end() {
    use konto::domain::FieldId;
    let mut s = sized(120, 35);
    keys(&mut s, "u");
    let row = form_row(&s, FieldId::City, 120, 35);
    click(&mut s, 1 + 2 + 22 + 40, row);
    let form = form(&s);
    assert_eq!(form.focused_id(), Some(FieldId::City));
    let input = &form.focused().unwrap().input;
    assert_eq!(input.cursor(), input.value().chars().count());
}

/// Whether the text at `needle` on row `y` is drawn in the style of keys
/// that cannot be used now (after a draw, `theme()` is the one drawn with).
fn is_dimmed(buffer: &ratatui::buffer::Buffer, y: u16, needle: &str) -> bool {
    let width = buffer.area.width;
    let row: Vec<&str> = (0..width).map(|x| buffer[(x, y)].symbol()).collect();
    let text: String = row.concat();
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} is not on row {y}: {text}"));
    let x = text[..at].chars().count() as u16;
    let dimmed = ui::theme().disabled;
    (x..x + needle.chars().count() as u16).all(|x| buffer[(x, y)].fg == dimmed.fg.unwrap())
}

/// Keys that cannot be used now are dimmed in the key bar and in the help,
/// like gitui's disabled commands; the others are not.
#[test]
fn keys_that_cannot_be_used_are_dimmed_in_the_bar_and_the_help() {
    use konto::domain::Role;
    // A helpdesk operator may only read.
    let mut s = with_role(Role::Helpdesk, false);
    let bar = buffer(&s, 120, 35);
    for key in ["u update", "p/P allow purchase", "Space mark"] {
        assert!(is_dimmed(&bar, 34, key), "{key} is not dimmed");
    }
    for key in ["/ filter", "h history", "q quit"] {
        assert!(!is_dimmed(&bar, 34, key), "{key} is dimmed");
    }
    keys(&mut s, "?");
    let help = buffer(&s, 120, 40);
    let lines = render(&s, 120, 40);
    let row = |text: &str| lines.iter().position(|l| l.contains(text)).unwrap() as u16;
    assert!(is_dimmed(
        &help,
        row("u Enter   update"),
        "u Enter   update"
    ));
    assert!(is_dimmed(&help, row("Space     mark"), "Space     mark"));
    assert!(!is_dimmed(
        &help,
        row("/         filter"),
        "/         filter"
    ));

    // A history without changes has nothing to revert; one with a change has.
    let mut s = sized(120, 35);
    keys(&mut s, "h");
    history_loaded(&mut s, Vec::new());
    assert!(is_dimmed(&buffer(&s, 120, 35), 34, "r revert"));
    history_loaded(
        &mut s,
        vec![audit_entry(2, "billing.address.city", "Stuttgart", "Ulm")],
    );
    assert!(!is_dimmed(&buffer(&s, 120, 35), 34, "r revert"));

    // In the form, Ctrl-P works on a field with a list of values only.
    let mut s = us_state();
    keys(&mut s, "u");
    focus(&mut s, FieldId::City);
    assert!(is_dimmed(&buffer(&s, 120, 35), 34, "Ctrl-P"));
    focus(&mut s, FieldId::State);
    assert!(!is_dimmed(&buffer(&s, 120, 35), 34, "Ctrl-P"));
}
