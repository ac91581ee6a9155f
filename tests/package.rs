//! What an installed konto offers at a shell, run as the real binary: the
//! completion scripts parse (and complete) in their shells, the man page
//! renders without a warning, exports validate against `konto schema`, the
//! README lists the CSV columns konto reads, and nothing meant only for
//! tests is visible to users.
//!
//! A shell or groff that is not installed is skipped, and said so on
//! stderr (`cargo test --test package -- --nocapture` shows it); `.ci/run`
//! installs them.

mod common;

use common::{stderr, stdout};

use std::path::Path;
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

use clap::CommandFactory;
use konto::cli::Cli;
use konto::domain::Cloud;
use konto::store::{DEFAULT_CACHE_BYTES, Store};

fn konto(dir: &Path, args: &[&str]) -> Output {
    let out = common::konto_in(dir, "en", args);
    assert!(out.status.success(), "konto {args:?}: {}", stderr(&out));
    out
}

/// Whether a program can be run; says loudly when it cannot.
fn installed(program: &str, what: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        eprintln!("SKIPPED: {program} is not installed, so {what} is not checked");
    }
    found
}

/// Runs `program args…` and returns its stdout, failing on any stderr.
fn run_clean(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{program} {args:?}: {}\n{}",
        out.status,
        stderr(&out)
    );
    stdout(&out)
}

/// Every subcommand and argument, at any depth, that is hidden.
fn hidden_parts(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
    for arg in cmd.get_arguments() {
        if arg.is_hide_set() {
            out.push(format!("{path} --{}", arg.get_id()));
        }
    }
    for sub in cmd.get_subcommands() {
        let sub_path = format!("{path} {}", sub.get_name());
        if sub.is_hide_set() {
            out.push(sub_path.clone());
        }
        hidden_parts(sub, &sub_path, out);
    }
}

#[test]
fn nothing_is_hidden_so_nothing_test_only_is_suggested() {
    // clap offers hidden subcommands in its "similar subcommand" tip, so
    // konto has none: the crash test's loop is an environment variable.
    let mut hidden = Vec::new();
    hidden_parts(&Cli::command(), "konto", &mut hidden);
    assert!(hidden.is_empty(), "hidden: {hidden:?}");

    let dir = tempfile::tempdir().unwrap();
    for typo in ["commit", "commit-loop", "loop"] {
        let out = common::konto_in(dir.path(), "en", &[typo]);
        assert_eq!(out.status.code(), Some(1), "{typo}");
        let err = stderr(&out);
        assert!(err.contains("unrecognized subcommand"), "{typo}: {err}");
        let tips: Vec<&str> = err.lines().filter(|l| l.contains("tip:")).collect();
        assert!(tips.iter().all(|t| !t.contains("commit")), "{typo}: {err}");
    }
    let help = stdout(&konto(dir.path(), &["--help"]));
    assert!(!help.to_lowercase().contains("test"), "{help}");
}

/// Writes `konto completions SHELL` to a file in `dir`.
fn completion_script(dir: &Path, shell: &str) -> String {
    let script = stdout(&konto(dir, &["completions", shell]));
    assert!(script.contains("konto"), "{shell}: {script}");
    let path = dir.join(format!("konto.{shell}"));
    std::fs::write(&path, script).unwrap();
    path.to_str().unwrap().to_string()
}

/// The shell's completion script, checked by `program check_flag script`
/// (a syntax check); None, said loudly, where the program is missing.
fn parsed_script(shell: &str, program: &str, check_flag: &str) -> Option<(TempDir, String)> {
    if !installed(program, &format!("the {shell} completion")) {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = completion_script(dir.path(), shell);
    run_clean(program, &[check_flag, &script]);
    Some((dir, script))
}

/// What bash's completion offers for a command line (the word under the
/// cursor last), as `konto <Tab>` in an interactive bash would.
fn bash_offers(script: &str, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let previous = words[cword - 1];
    let current = words[cword];
    let program = format!(
        "source '{script}'; COMP_WORDS=({}); COMP_CWORD={cword}; \
         _konto konto '{current}' '{previous}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        quoted.join(" ")
    );
    run_clean("bash", &["-c", &program])
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn assert_offers(offered: &[String], expected: &[&str], line: &str) {
    for e in expected {
        assert!(offered.iter().any(|o| o == e), "{line}: {e} in {offered:?}");
    }
}

/// Each value-taking option the issue names, with its values.
const ENUMERATED: [(&str, &[&str]); 4] = [
    ("--cloud", &["commercial", "usgov"]),
    ("--role", &["admin", "sales", "helpdesk"]),
    ("--theme", &["dark", "light", "high-contrast"]),
    ("--lang", &["en", "de"]),
];

#[test]
fn bash_completion_parses_and_completes_commands_flags_and_values() {
    let Some((_dir, script)) = parsed_script("bash", "bash", "-n") else {
        return;
    };
    let offers = |words: &[&str]| bash_offers(&script, words);
    assert_eq!(offers(&["konto", "ex"]), ["export"]);
    assert_offers(
        &offers(&["konto", ""]),
        &[
            "export",
            "import",
            "completions",
            "man",
            "schema",
            "--data-dir",
        ],
        "konto",
    );
    assert_offers(
        &offers(&["konto", "import", "--"]),
        &["--dry-run"],
        "import",
    );
    assert_offers(
        &offers(&["konto", "export", "--format", ""]),
        &["json", "csv"],
        "--format",
    );
    for (option, values) in ENUMERATED {
        assert_offers(&offers(&["konto", option, ""]), values, option);
        assert_offers(&offers(&["konto", "list", option, ""]), values, option);
    }
    assert_offers(
        &offers(&["konto", "completions", ""]),
        &["bash", "zsh", "fish", "powershell"],
        "completions",
    );
    let commit = offers(&["konto", "comm"]);
    assert!(commit.is_empty(), "{commit:?}");
}

#[test]
fn fish_completion_parses_and_completes_commands_and_values() {
    let Some((_dir, script)) = parsed_script("fish", "fish", "--no-execute") else {
        return;
    };
    let offers = |line: &str| -> Vec<String> {
        let program = format!("source '{script}'; complete -C '{line}'");
        run_clean("fish", &["--no-config", "-c", &program])
            .lines()
            .map(|l| l.split('\t').next().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(offers("konto ex"), ["export"]);
    assert_offers(
        &offers("konto export --format "),
        &["json", "csv"],
        "--format",
    );
    for (option, values) in ENUMERATED {
        // Before the command too: clap_complete's script left this to files.
        assert_offers(&offers(&format!("konto {option} ")), values, option);
        assert_offers(&offers(&format!("konto show {option} ")), values, option);
    }
    assert_offers(
        &offers("konto completions "),
        &["bash", "zsh", "fish", "powershell"],
        "completions",
    );
    assert_offers(
        &offers("konto permission c-1 "),
        &["reservations", "savings-plan", "on", "off"],
        "permission",
    );
}

#[test]
fn zsh_and_powershell_completions_parse() {
    if let Some((_dir, script)) = parsed_script("zsh", "zsh", "-n") {
        let text = std::fs::read_to_string(&script).unwrap();
        assert!(text.starts_with("#compdef konto"), "{text}");
        for (_, values) in ENUMERATED {
            assert!(
                text.contains(&format!("({})", values.join(" "))),
                "{values:?}"
            );
        }
    }
    if installed("pwsh", "the PowerShell completion") {
        let dir = tempfile::tempdir().unwrap();
        let script = completion_script(dir.path(), "powershell");
        let parse = format!(
            "$e = $null; [void][System.Management.Automation.Language.Parser]::ParseFile('{script}', [ref]$null, [ref]$e); if ($e.Count) {{ $e; exit 1 }}"
        );
        run_clean("pwsh", &["-NoProfile", "-Command", &parse]);
    }
}

#[test]
fn the_man_page_renders_without_warnings_and_says_what_matters_at_a_shell() {
    let dir = tempfile::tempdir().unwrap();
    let page = stdout(&konto(dir.path(), &["man"]));
    assert!(page.is_ascii(), "non-ASCII input makes a bare groff warn");
    let preamble = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n.TH KONTO 1 ";
    assert!(page.starts_with(preamble), "{page}");
    assert_eq!(page.matches(".ds Aq").count(), 2, "{page}");
    if !installed("groff", "the man page's rendering") {
        return;
    }
    let path = dir.path().join("konto.1");
    std::fs::write(&path, &page).unwrap();
    // -ww: every warning; run_clean fails on any output to stderr.
    let text = run_clean(
        "groff",
        &["-man", "-Tutf8", "-ww", "-P-cbou", path.to_str().unwrap()],
    );
    for section in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "COMMANDS",
        "KEYS",
        "FILES",
        "ENVIRONMENT",
        "EXIT STATUS",
    ] {
        assert!(
            text.contains(&format!("\n{section}\n")),
            "{section}\n{text}"
        );
    }
    let cmd = Cli::command();
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "config") {
        let name = format!("konto {}", sub.get_name());
        assert!(text.contains(&name), "{name}");
    }
    for expected in [
        "konto config init",
        "Ctrl-S",
        "KONTO_DATA_DIR",
        "KONTO_CONFIG",
        "NO_COLOR",
        "billing.address.postal_code",
        "permissions.azure_savings_plan",
        "Conflict",
        "\u{2191}",
    ] {
        assert!(text.contains(expected), "{expected}\n{text}");
    }
    if installed("man", "man -l") {
        run_clean("man", &["--warnings", "-l", path.to_str().unwrap()]);
    }
}

/// The schema `konto schema` prints, checked against the draft's own
/// meta-schema, as a validator.
fn schema_validator(dir: &Path) -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_slice(&konto(dir, &["schema"]).stdout).unwrap();
    jsonschema::meta::validate(&schema).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn assert_valid(validator: &jsonschema::Validator, export: &serde_json::Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(export)
        .take(5)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

fn export(dir: &Path, cloud: &str) -> serde_json::Value {
    let out = konto(dir, &["--cloud", cloud, "export", "--format", "json"]);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_demo_store_and_generated_customers_export_valid_json() {
    let dir = tempfile::tempdir().unwrap();
    let validator = schema_validator(dir.path());
    {
        let store = Store::open(dir.path(), DEFAULT_CACHE_BYTES).unwrap();
        store
            .seed_if_new(&konto::demo::demo_customers().unwrap())
            .unwrap();
        assert!(!store.customers(Cloud::Usgov).unwrap().is_empty());
    }
    for cloud in ["commercial", "usgov"] {
        let demo = export(dir.path(), cloud);
        assert!(demo.as_array().unwrap().len() >= 40, "{cloud}");
        assert_valid(&validator, &demo, &format!("demo, {cloud}"));
    }

    let generated = tempfile::tempdir().unwrap();
    konto(generated.path(), &["gen", "--count", "200", "--seed", "7"]);
    konto(
        generated.path(),
        &["--cloud", "usgov", "gen", "--count", "50"],
    );
    for (cloud, count) in [("commercial", 200), ("usgov", 50)] {
        let records = export(generated.path(), cloud);
        assert_eq!(records.as_array().unwrap().len(), count, "{cloud}");
        assert_valid(&validator, &records, &format!("generated, {cloud}"));
    }

    // The schema says no to what konto would not write.
    let good = &export(generated.path(), "commercial")[0];
    type Mutation = fn(&mut serde_json::Value);
    let mutations: [(&str, Mutation); 6] = [
        ("cloud", |r| r["cloud"] = "azure".into()),
        ("extra", |r| r["company"]["owner"] = "x".into()),
        ("missing", |r| {
            r["billing"].as_object_mut().unwrap().remove("email");
        }),
        ("too long", |r| {
            r["billing"]["address"]["country"] = "DEU".into()
        }),
        ("bool", |r| {
            r["permissions"]["azure_reservations"] = "yes".into()
        }),
        ("time", |r| r["updated"] = "yesterday".into()),
    ];
    for (what, mutate) in mutations {
        let mut bad = good.clone();
        mutate(&mut bad);
        let file = serde_json::Value::Array(vec![bad]);
        assert!(!validator.is_valid(&file), "{what}");
    }
}

#[test]
fn the_readme_lists_the_csv_columns_konto_reads() {
    let dir = tempfile::tempdir().unwrap();
    let listed = stdout(&konto(dir.path(), &["schema", "--columns"]));
    let expected: Vec<String> = listed
        .lines()
        .map(|line| {
            let (column, said) = line.split_once('\t').unwrap();
            format!("| `{column}` | {said} |")
        })
        .collect();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("| column |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert_eq!(
        table,
        expected,
        "README's column table differs from `konto schema --columns`; it should read:\n{}",
        expected.join("\n")
    );
    // And those are the columns of a CSV export, in order.
    let csv = stdout(&konto(dir.path(), &["export", "--format", "csv"]));
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let columns: Vec<&str> = listed
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(header, columns);
}
