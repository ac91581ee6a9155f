//! End to end: the real binary in a pseudo-terminal, as an operator uses it.

mod common;

use common::pty::Session;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_konto");

fn export(data_dir: &Path) -> Vec<serde_json::Value> {
    let out = Command::new(BIN)
        .args(["export", "--data-dir"])
        .arg(data_dir)
        .env("KONTO_STATE_DIR", data_dir.join("state"))
        .env("KONTO_CONFIG", data_dir.join("config.toml"))
        .env("KONTO_LANG", "en")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn edit_a_customer_quit_and_find_it_in_the_export() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = Session::start(dir.path(), 100, 30);
    app.wait_for("konto │ Commercial │");
    app.wait_for("q quit");
    let before = export_while_running_is_refused(dir.path());
    assert!(
        before.contains("is in use by another konto process"),
        "{before}"
    );

    // Open the form on the first customer, replace the company name, submit.
    app.send("u");
    app.wait_for("Update account");
    app.send("\x15"); // Ctrl-U: clear the field
    app.send("Konto Prüffirma GmbH");
    app.wait_for("● Company name");
    app.send("\x13"); // Ctrl-S
    app.wait_for("Review changes");
    app.wait_for("→ Konto Prüffirma GmbH");
    app.send("\r");
    app.wait_for("Saved Konto Prüffirma GmbH (version");
    app.send("q");
    assert_eq!(app.wait_exit(), 0);
    let bytes = app.bytes.lock().unwrap().clone();
    let output = String::from_utf8_lossy(&bytes).to_string();
    let left = output
        .rfind("\x1b[?1049l")
        .expect("left the alternate screen");
    // After it, in the shell, only the cursor shown again and the note
    // about the daily backup.
    let after = output[left + "\x1b[?1049l".len()..].replace("\x1b[?25h", "");
    assert!(
        !after.contains('\x1b') && after.contains("writing today's backup"),
        "after the app: {after:?}"
    );

    let customers = export(dir.path());
    let edited = customers
        .iter()
        .find(|c| c["company"]["name"] == "Konto Prüffirma GmbH")
        .expect("the edit is in the export");
    assert!(edited["version"].as_u64().unwrap() >= 2);
    assert!(edited["billing"]["address"]["line1"].is_string());
    assert!(edited["permissions"]["azure_reservations"].is_boolean());
}

/// A second konto on the same store gets one clear line and exit code 3.
fn export_while_running_is_refused(data_dir: &Path) -> String {
    let out = Command::new(BIN)
        .args(["export", "--data-dir"])
        .arg(data_dir)
        .env("KONTO_STATE_DIR", data_dir.join("state"))
        .env("KONTO_CONFIG", data_dir.join("config.toml"))
        .env("KONTO_LANG", "en")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn permission_toggle_and_cloud_switch_in_a_real_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = Session::start(dir.path(), 120, 35);
    app.wait_for("q quit");
    app.send("P");
    app.wait_for("to purchase Azure savings plan?");
    app.send("y");
    app.wait_for("(version");
    app.send("c");
    app.wait_for("konto │ US Government │");
    app.send("q");
    assert_eq!(app.wait_exit(), 0);

    // The first customer of the list had its savings-plan permission flipped.
    let mut demo = konto::demo::demo_customers().unwrap();
    demo.retain(|c| c.cloud == konto::domain::Cloud::Commercial);
    demo.sort_by(|a, b| konto::domain::sort_key(a).cmp(&konto::domain::sort_key(b)));
    let was = demo[0].permissions.azure_savings_plan;
    let first = &export(dir.path())[0];
    assert_eq!(first["id"], demo[0].id.as_str());
    assert_eq!(first["permissions"]["azure_savings_plan"], !was);
}

/// Seeds the demo data and then, behind the validation's back (as an older
/// konto or another tool might have), gives the first commercial customer
/// (by list order) a name full of terminal control sequences.
fn store_with_a_hostile_name(dir: &Path) -> String {
    let demo = konto::demo::demo_customers().unwrap();
    let store = konto::store::Store::open(dir, konto::store::DEFAULT_CACHE_BYTES).unwrap();
    store.seed_if_new(&demo).unwrap();
    let mut first = demo
        .into_iter()
        .filter(|c| c.cloud == konto::domain::Cloud::Commercial)
        .min_by(|a, b| konto::domain::sort_key(a).cmp(&konto::domain::sort_key(b)))
        .unwrap();
    first.company.name = "AAA Evil\u{1b}]52;c;aGFja2Vk\u{7}\u{1b}[2J\u{202E}Corp".into();
    // As another tool could write it: past konto's validators.
    store.put_unchecked(&first).unwrap();
    first.id
}

#[test]
fn hostile_data_never_reaches_the_terminal_as_control_sequences() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_hostile_name(dir.path());
    let mut app = Session::start(dir.path(), 120, 35);
    app.wait_for("q quit");
    app.wait_for("AAA Evil␛]52;c;aGFja2Vk␇␛[2J");
    // Still findable by what can be typed (exact words: fuzzy ones would
    // also find weaker matches).
    app.send("/'aaa 'evil");
    app.wait_for("1/200 customers");
    app.send("\r");
    app.send("q");
    assert_eq!(app.wait_exit(), 0);
    let bytes = app.bytes.lock().unwrap().clone();
    let find = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(
        !find(b"\x1b]52"),
        "an OSC 52 clipboard write reached the terminal"
    );
    assert!(
        !find(b"\x1b[2J\x1b]"),
        "a clear-screen from the data reached the terminal"
    );
    assert!(
        !find(b"aGFja2Vk\x07"),
        "a BEL from the data reached the terminal"
    );
    assert!(
        !find("\u{202E}".as_bytes()),
        "a bidi override reached the terminal"
    );
}

#[test]
fn a_form_open_when_konto_is_told_to_stop_is_offered_back() {
    stop_with_a_form_open(libc::SIGTERM);
}

#[test]
fn a_form_open_when_the_terminal_hangs_up_is_offered_back() {
    stop_with_a_form_open(libc::SIGHUP);
}

fn stop_with_a_form_open(signal: i32) {
    let dir = tempfile::tempdir().unwrap();
    let mut app = Session::start(dir.path(), 120, 35);
    app.wait_for("q quit");
    app.send("u");
    app.wait_for("Update account");
    app.send("\x05 Nachtrag"); // Ctrl-E: end of line, then type
    app.wait_for("GmbH Nachtrag");
    let pid = app.child.process_id().unwrap() as i32;
    let before = app.bytes.lock().unwrap().len();
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(pid, signal);
    }
    assert_eq!(app.wait_exit(), 0);
    // The reader may not have read konto's last bytes when it exits.
    let restored = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes.get(before..).unwrap_or_default()).contains("\x1b[?1049l")
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !restored(&app.bytes.lock().unwrap()) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let bytes = app.bytes.lock().unwrap().clone();
    let tail = String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(64)..]).to_string();
    assert!(restored(&bytes), "terminal restored: {tail:?}");
    assert!(dir.path().join("draft.json").exists());

    let mut again = Session::start(dir.path(), 120, 35);
    again.wait_for("Restore your unsaved edit of");
    again.send("y");
    again.wait_for("Nachtrag");
    again.wait_for("● Company name");
    again.send("\x1b");
    again.wait_for("Discard your changes");
    again.send("y");
    again.wait_for("q quit");
    again.send("q");
    assert_eq!(again.wait_exit(), 0);
    assert!(
        !dir.path().join("draft.json").exists(),
        "taken back, so removed"
    );
}

#[test]
fn filter_refused_submit_help_and_quit_in_a_real_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = Session::start(dir.path(), 120, 35);
    app.wait_for("q quit");
    app.send("/zzzz-no-such");
    app.wait_for("0/200 customers");
    app.wait_for("No customer matches the filter");
    app.send("\x1b");
    app.wait_for("200/200 customers");
    app.send("?");
    app.wait_for("Keys · Customer list");
    app.close_with_esc("Keys · Customer list");
    app.wait_for("q quit");
    app.send("u");
    app.wait_for("Update account");
    app.send("\x15"); // Ctrl-U clears the company name
    app.send("\x13"); // Ctrl-S
    // The status line shows the focused field's message in full.
    app.wait_for("Company name is required");
    app.send("\x1b");
    app.wait_for("Discard your changes");
    app.send("y");
    app.wait_for("Changes discarded");
    app.send("q");
    assert_eq!(app.wait_exit(), 0);
}

#[test]
fn a_panic_restores_the_terminal_and_writes_the_report_to_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = Session::start_with(dir.path(), 100, 30, &[("KONTO_TEST_PANIC", "1")]);
    let code = app.wait_exit();
    assert_ne!(code, 0);
    let bytes = app.bytes.lock().unwrap().clone();
    let text = String::from_utf8_lossy(&bytes).to_string();
    let left = text.find("\x1b[?1049l").expect("left the alternate screen");
    let said = text
        .find("konto stopped because of a bug")
        .expect("said what happened");
    assert!(left < said, "the terminal is restored before the message");
    let log = dir.path().join("state").join("konto.log");
    assert!(
        text.contains(&log.display().to_string()),
        "names the log: {text}"
    );
    let report = std::fs::read_to_string(&log).unwrap();
    assert!(report.contains("PANIC"), "{report}");
    assert!(report.contains("KONTO_TEST_PANIC is set"));
    assert!(
        report.contains("app started"),
        "tracing events go to the same file"
    );
    assert!(
        !report.contains("Aare Consulting"),
        "no customer data at the default level"
    );
}

#[test]
fn no_color_sends_no_colour_sequences() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = Session::start_with(dir.path(), 100, 30, &[("NO_COLOR", "1")]);
    app.wait_for("q quit");
    app.send("u");
    app.wait_for("Update account");
    app.close_with_esc("Update account");
    app.wait_for("q quit");
    app.send("q");
    assert_eq!(app.wait_exit(), 0);
    let bytes = String::from_utf8_lossy(&app.bytes.lock().unwrap()).to_string();
    // SGR parameters 30-37/90-97 (foreground), 40-47/100-107 (background),
    // 38/48 (extended colours).
    let mut colours = Vec::new();
    for sgr in bytes.split("\x1b[").skip(1) {
        let Some(end) = sgr.find('m') else { continue };
        let params = &sgr[..end];
        if !params.chars().all(|c| c.is_ascii_digit() || c == ';') {
            continue;
        }
        for p in params.split(';').filter_map(|p| p.parse::<u32>().ok()) {
            if matches!(p, 30..=38 | 40..=48 | 90..=97 | 100..=107) {
                colours.push(params.to_string());
            }
        }
    }
    assert!(
        colours.is_empty(),
        "colour sequences with NO_COLOR: {colours:?}"
    );
}

#[test]
fn y_puts_the_customer_id_on_the_clipboard_with_osc_52() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = Session::start(dir.path(), 100, 30);
    app.wait_for("q quit");
    app.send("y");
    app.wait_for("Copied Customer id to the clipboard");
    app.send("q");
    assert_eq!(app.wait_exit(), 0);
    let mut demo = konto::demo::demo_customers().unwrap();
    demo.retain(|c| c.cloud == konto::domain::Cloud::Commercial);
    demo.sort_by(|a, b| konto::domain::sort_key(a).cmp(&konto::domain::sort_key(b)));
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&demo[0].id);
    let bytes = String::from_utf8_lossy(&app.bytes.lock().unwrap()).to_string();
    assert!(
        bytes.contains(&format!("\x1b]52;c;{encoded}\x07")),
        "no OSC 52 for the id"
    );
}

#[test]
fn a_key_bound_in_the_config_file_works_and_the_keys_shown_follow() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[keys.browse]\nupdate = [\"e\"]\nhelp = [\"F2\"]\n",
    )
    .unwrap();
    let mut app = Session::start(dir.path(), 120, 35);
    app.wait_for("e update");
    app.send("u");
    // F2. Its three bytes can reach konto in two reads on a busy machine
    // (then it reads as Esc and letters): ask again if no help came.
    for _ in 0..3 {
        app.send("\x1bOQ");
        if app.shows_within("Keys · Customer list", Duration::from_secs(5)) {
            break;
        }
    }
    app.wait_for("Keys · Customer list");
    // (The rest of the help may arrive after its title.)
    app.wait_for_any(&["e         update", "e  update"]);
    assert!(
        !app.contents().contains("Update account"),
        "u no longer opens the form"
    );
    app.close_with_esc("Keys · Customer list");
    app.wait_for("e update");
    app.send("e");
    app.wait_for("Update account");
    app.close_with_esc("Update account");
    app.wait_for("q quit");
    app.send("q");
    assert_eq!(app.wait_exit(), 0);
}

#[test]
fn the_next_start_draws_from_the_kept_head_renewed_after_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let head = dir.path().join("list-head.commercial");
    let mut app = Session::start(dir.path(), 100, 30);
    app.wait_for("q quit");
    // Kept as soon as the list is whole and the app idle, so a start after
    // a crash or a signal is quick too.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !head.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(head.exists(), "the running app keeps the head of the list");
    app.send("q");
    assert_eq!(app.wait_exit(), 0);
    assert!(head.exists(), "a clean quit keeps the head of the list");
    // Started again, it shows the same first screen (from the head, then
    // from the store).
    let mut again = Session::start(dir.path(), 100, 30);
    again.wait_for("q quit");
    again.wait_for("Aare Consulting GmbH");
    again.send("q");
    assert_eq!(again.wait_exit(), 0);
    // A start that wrote nothing (the first one seeded the demo customers)
    // keeps the whole list as loaded, for the next start to read in one go.
    let whole = konto::store::read_list(dir.path(), konto::domain::Cloud::Commercial)
        .expect("the whole list is kept once loaded");
    let store = konto::store::Store::open(dir.path(), konto::store::DEFAULT_CACHE_BYTES).unwrap();
    let count = store.count(konto::domain::Cloud::Commercial).unwrap();
    drop(store);
    assert_eq!(whole.1.len(), count);
    // A change from the command line forgets it.
    let out = Command::new(BIN)
        .args(["--data-dir", dir.path().to_str().unwrap()])
        .args(["list", "--format", "csv"])
        .env("KONTO_CONFIG", dir.path().join("none.toml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut lines = text.lines();
    let column = lines
        .next()
        .and_then(|h| h.split(',').position(|c| c == "id"))
        .expect("an id column");
    let first_id = lines
        .next()
        .and_then(|l| l.split(',').nth(column).map(str::to_string))
        .unwrap();
    let status = Command::new(BIN)
        .args(["--data-dir", dir.path().to_str().unwrap()])
        .args(["update", &first_id, "--set", "city=Ulm"])
        .env("KONTO_CONFIG", dir.path().join("none.toml"))
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        !dir.path().join("list.commercial").exists(),
        "a change forgets the whole list kept"
    );
    // …and keeps it anew from the store, with the change.
    let kept = konto::store::read_head(dir.path(), konto::domain::Cloud::Commercial)
        .expect("the command line keeps the head after a change");
    let first = kept.first.expect("the first customer's record");
    assert_eq!(first.id, first_id);
    assert_eq!(first.billing.address.city, "Ulm");
    let mut third = Session::start(dir.path(), 100, 30);
    third.wait_for("Ulm");
    third.send("q");
    assert_eq!(third.wait_exit(), 0);
}
