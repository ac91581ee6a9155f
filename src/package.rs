//! What konto's package installs besides the binary, written by the binary
//! itself so they always describe it: shell completion scripts, the man
//! page, and the schema of the export and import files. In English, like
//! clap's `--help`: they are documents, not the CLI's messages.

use clap::{Arg, Command, CommandFactory};
use clap_complete::Shell;
use clap_mangen::roff::{Roff, bold, italic, roman};
use std::io::Write;

use crate::cli::{Cli, exit};
use crate::keymap::{self, KeyMode};

/// `konto schema`: the JSON Schema of an export, or with `columns` the CSV
/// columns, one a line: name, a tab, what it holds.
pub fn schema(columns: bool) -> String {
    if columns {
        return crate::exchange::column_docs()
            .iter()
            .map(|(column, said)| format!("{column}\t{said}\n"))
            .collect();
    }
    let mut text =
        serde_json::to_string_pretty(&crate::exchange::json_schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// clap_complete's script for a shell; fish's with two gaps filled.
pub fn completions(shell: Shell) -> String {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "konto", &mut script);
    let script = String::from_utf8_lossy(&script).into_owned();
    match shell {
        Shell::Fish => fill_fish_gaps(script, &cmd),
        _ => script,
    }
}

/// The fish script clap_complete writes completes no values of a global
/// option before the command (`konto --role <Tab>` offered files: its test
/// for "no command yet" fails while an option waits for its value) and no
/// values of positional arguments (`konto completions <Tab>`). Both are
/// filled from the same clap definition; tests/package.rs asks fish.
fn fill_fish_gaps(script: String, cmd: &Command) -> String {
    let waiting = "-- $cmd 2>/dev/null\n    or return\n";
    let mut script = script.replacen(
        waiting,
        "-- $cmd 2>/dev/null\n    # An option waiting for its value: still no command.\n    or return 0\n",
        1,
    );
    for sub in cmd.get_subcommands() {
        let values: Vec<String> = sub.get_positionals().flat_map(possible_values).collect();
        if !values.is_empty() {
            script.push_str(&format!(
                "complete -c konto -n \"__fish_konto_using_subcommand {}\" -f -a \"{}\"\n",
                sub.get_name(),
                values.join(" ")
            ));
        }
    }
    script
}

/// konto(1): clap's name, synopsis and global options, then what the
/// README says that matters at a shell, drawn from the same tables the
/// program uses (commands, key map, columns, exit codes).
pub fn man_page() -> String {
    let mut cmd = Cli::command();
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut page = Vec::new();
    // The title by hand: clap_mangen writes an empty date as nothing at
    // all, which shifts the source into the date's place.
    let version = cmd.get_version().unwrap_or_default();
    let _ = writeln!(
        page,
        ".TH KONTO 1 \"\" \"konto {version}\" \"User Commands\""
    );
    let _ = man.render_name_section(&mut page);
    let _ = man.render_synopsis_section(&mut page);
    let mut roff = Roff::new();
    description(&mut roff);
    let _ = roff.to_writer(&mut page);
    let _ = man.render_options_section(&mut page);
    let mut roff = Roff::new();
    commands(&mut roff, &cmd);
    keys(&mut roff);
    files(&mut roff);
    environment(&mut roff, &cmd);
    exit_status(&mut roff);
    see_also(&mut roff);
    let _ = roff.to_writer(&mut page);
    // Each piece starts with roff's definition of an apostrophe: once will do.
    let preamble = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";
    let page = String::from_utf8_lossy(&page).replace(preamble, "");
    ascii_only(&format!("{preamble}{page}"))
}

/// groff reads its input as Latin-1 unless told otherwise (`preconv`, which
/// `man` runs but a bare `groff` does not): every other character is
/// written as its `\[uXXXX]` escape, which every formatter understands.
fn ascii_only(page: &str) -> String {
    page.chars()
        .map(|c| match c {
            c if c.is_ascii() => c.to_string(),
            c => format!("\\[u{:04X}]", u32::from(c)),
        })
        .collect()
}

fn section(roff: &mut Roff, title: &str) {
    roff.control("SH", [title]);
}

fn paragraph(roff: &mut Roff, text: &str) {
    roff.control("PP", []);
    roff.text([roman(text)]);
}

/// A tagged paragraph: `tag` on its line, `text` indented below.
fn tagged(roff: &mut Roff, tag: impl Into<String>, text: &str) {
    roff.control("TP", []);
    roff.text([bold(tag)]);
    roff.text([roman(text)]);
}

fn description(roff: &mut Roff) {
    section(roff, "DESCRIPTION");
    roff.text([roman(
        "konto keeps customers' account information up to date: company details, \
         the billing profile (contact, email, phone, address) and whether a customer \
         may buy Azure reservations or savings plans, for the commercial and the US \
         Government cloud. It is the terminal counterpart of Partner Center's \
         Update customer account info page.",
    )]);
    paragraph(
        roff,
        "Without a command konto opens the app on the store, keyboard-driven (see \
         KEYS); the first start on a new store seeds demo customers. The commands \
         below work without a terminal, for scripts: errors go to standard error, \
         data to standard output, and the exit status says what went wrong.",
    );
    paragraph(
        roff,
        "Every change is checked with the same rules on every way in (the form, \
         import, update), is written as one transaction with the record's next \
         version and an audit entry, and is on disk before konto says it is saved.",
    );
}

/// Each subcommand with its own arguments (the global ones are under
/// OPTIONS), nested ones (`config path`) under their full name.
fn commands(roff: &mut Roff, cmd: &Command) {
    section(roff, "COMMANDS");
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        command(roff, sub, "konto");
    }
}

fn command(roff: &mut Roff, cmd: &Command, parent: &str) {
    let name = format!("{parent} {}", cmd.get_name());
    let own: Vec<&Arg> = cmd
        .get_arguments()
        .filter(|a| !a.is_global_set() && !matches!(a.get_id().as_str(), "help" | "version"))
        .collect();
    if cmd.has_subcommands() {
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            command(roff, sub, &name);
        }
        return;
    }
    roff.control("SS", [name.as_str()]);
    let mut usage = vec![bold(name.clone())];
    for arg in &own {
        usage.push(roman(" "));
        usage.extend(synopsis(arg, !arg.is_required_set()));
    }
    roff.text(usage);
    if let Some(about) = cmd.get_long_about().or_else(|| cmd.get_about()) {
        paragraph(roff, &sentence(&about.to_string()));
    }
    for arg in own {
        let mut said: Vec<String> = arg
            .get_long_help()
            .or_else(|| arg.get_help())
            .map(|h| sentence(&h.to_string()))
            .into_iter()
            .collect();
        let values = possible_values(arg);
        if !values.is_empty() {
            said.push(format!("One of: {}.", values.join(", ")));
        }
        let default = arg.get_default_values().first();
        if let Some(default) = default.filter(|_| arg.get_action().takes_values()) {
            said.push(format!("Default: {}.", default.to_string_lossy()));
        }
        // The synopsis line says all there is of a bare argument (`ID`).
        if !said.is_empty() {
            roff.control("TP", []);
            roff.text(synopsis(arg, false));
            roff.text([roman(said.join(" "))]);
        }
    }
}

/// Help texts are clap's, written without a closing full stop.
fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?']) {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

fn possible_values(arg: &Arg) -> Vec<String> {
    arg.get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_string())
        .collect()
}

/// How an argument is written: `--format json|csv`, `ID`, `[--dry-run]`
/// (in brackets when said so).
fn synopsis(arg: &Arg, optional: bool) -> Vec<clap_mangen::roff::Inline> {
    let value = || {
        let values = possible_values(arg);
        if values.is_empty() {
            let names = arg
                .get_value_names()
                .map(|n| n.join(" "))
                .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
            italic(names)
        } else {
            italic(values.join("|"))
        }
    };
    let mut parts = Vec::new();
    if optional {
        parts.push(roman("["));
    }
    match (arg.get_short(), arg.get_long()) {
        (_, Some(long)) => parts.push(bold(format!("--{long}"))),
        (Some(short), None) => parts.push(bold(format!("-{short}"))),
        (None, None) => {}
    }
    let takes_value = arg.get_action().takes_values();
    if takes_value {
        if !arg.is_positional() {
            parts.push(roman(" "));
        }
        parts.push(value());
    }
    if optional {
        parts.push(roman("]"));
    }
    if matches!(arg.get_action(), clap::ArgAction::Append) {
        parts.push(roman("..."));
    }
    parts
}

/// The key map's tables, as the app's help overlay shows them.
fn keys(roff: &mut Roff) {
    section(roff, "KEYS");
    roff.text([roman(
        "The keys of the app, by what is on the screen. The bottom line shows the \
         keys that work at the moment, ? (F1 in text fields) lists them all. \
         The config file can rebind them (see FILES).",
    )]);
    let keymap = keymap::Keymap::default();
    let modes = [
        KeyMode::Browse,
        KeyMode::Filter,
        KeyMode::Form,
        KeyMode::Pick,
        KeyMode::Review,
        KeyMode::Confirm,
        KeyMode::History,
        KeyMode::Conflict,
        KeyMode::Notice,
        KeyMode::Help,
    ];
    for mode in modes {
        roff.control("SS", [mode.title()]);
        for b in keymap.bindings(mode) {
            let keys: Vec<String> = b.keys.iter().map(keymap::key_name).collect();
            tagged(roff, keys.join(" "), b.help());
        }
    }
    roff.control("SS", ["Text fields"]);
    roff.text([roman(
        "Every text field (the filter, the form, the pickers) is a line editor:",
    )]);
    for (keys, what) in keymap::EDITING_KEYS {
        tagged(roff, *keys, crate::i18n::t(what));
    }
}

fn files(roff: &mut Roff) {
    section(roff, "FILES");
    let places: [(&str, &str); 6] = [
        (
            "~/.local/share/konto",
            "The store (an embedded sled database) and everything konto keeps with it: \
             the data directory ($XDG_DATA_HOME/konto; --data-dir or KONTO_DATA_DIR \
             choose another). Created readable by its owner only: customer data is \
             personal data. Only one konto process can have a store open.",
        ),
        (
            "DATA_DIR/backups/konto-YYYY-MM-DD.json",
            "A backup, written on a clean exit from the app at most once a day; the \
             last 7 are kept. konto restore rebuilds a store from one.",
        ),
        (
            "DATA_DIR/draft.json",
            "An unsaved edit, kept when the terminal went away or konto was told to \
             stop; the next start offers to restore it.",
        ),
        (
            "DATA_DIR/list-head.CLOUD",
            "The head of the list at the last clean quit, drawn at once on the next \
             start; removed by any write.",
        ),
        (
            "~/.config/konto/config.toml",
            "The config file (KONTO_CONFIG overrides; konto config path prints it, \
             konto config init writes a commented default): theme, cloud, operator, \
             partner domain, role, language, cache size, mouse, and keys per mode.",
        ),
        (
            "~/.local/state/konto/konto.log",
            "konto's log, and the message and backtrace of a crash \
             (KONTO_STATE_DIR overrides the directory).",
        ),
    ];
    for (path, what) in places {
        tagged(roff, path, what);
    }
    roff.control("SS", ["Export and import files"]);
    roff.text([roman(
        "JSON: an array of customer records as konto export --format json writes \
         them; konto schema prints its JSON Schema. CSV: one customer a line under a \
         header of these columns (konto schema --columns prints them), named as the \
         JSON record's paths. An import may leave out any column but company.name; \
         a record without an id is a new customer.",
    )]);
    for (column, said) in crate::exchange::column_docs() {
        tagged(roff, column, &said);
    }
}

/// Every variable a global option reads, then the ones konto reads itself.
fn environment(roff: &mut Roff, cmd: &Command) {
    section(roff, "ENVIRONMENT");
    for arg in cmd.get_arguments() {
        if let (Some(env), Some(long)) = (arg.get_env(), arg.get_long()) {
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            let text = format!("Sets --{long}. {}", sentence(&help));
            tagged(roff, env.to_string_lossy(), &text);
        }
    }
    let others: [(&str, &str); 6] = [
        (
            "KONTO_CONFIG",
            "The config file to read instead of ~/.config/konto/config.toml.",
        ),
        (
            "KONTO_STATE_DIR",
            "Where konto.log is written instead of ~/.local/state/konto.",
        ),
        (
            "KONTO_LOG",
            "How much the log says: warn, info (the default), debug or trace.",
        ),
        (
            "NO_COLOR",
            "Set and not empty: no colours, whatever the theme.",
        ),
        (
            "LC_ALL, LC_MESSAGES, LANG",
            "The first one set and not empty chooses the language when neither \
             --lang nor the config does: de or de_* is German, anything else English.",
        ),
        (
            "USER",
            "The operator recorded in the audit trail when neither --operator nor \
             the config names one.",
        ),
    ];
    for (name, what) in others {
        tagged(roff, name, what);
    }
}

fn exit_status(roff: &mut Roff) {
    section(roff, "EXIT STATUS");
    let codes = [
        (exit::OK, "Success."),
        (
            exit::USAGE,
            "Usage: a wrong argument, a config file that does not parse, or an action \
             the role (or --read-only) does not allow.",
        ),
        (exit::INVALID, "Invalid data; nothing was written."),
        (
            exit::STORE,
            "The store is in use by another konto, or unreadable.",
        ),
        (
            exit::CONFLICT,
            "Conflict: the record changed since the version the change was based on.",
        ),
    ];
    for (code, what) in codes {
        tagged(roff, code.to_string(), what);
    }
}

fn see_also(roff: &mut Roff) {
    section(roff, "SEE ALSO");
    roff.text([
        roman("The README of konto's source, and "),
        bold("konto schema"),
        roman(" for the export format."),
    ]);
}
