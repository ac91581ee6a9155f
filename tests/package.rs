//! What an installed konto offers at a shell: nothing meant only for tests
//! is visible to users.

mod common;

use common::{stderr, stdout};

use clap::CommandFactory;
use konto::cli::Cli;

fn konto(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    common::konto_in(dir, "en", args)
}

/// Every subcommand and argument, at any depth, as `path` strings.
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
        let out = konto(dir.path(), &[typo]);
        assert_eq!(out.status.code(), Some(1), "{typo}");
        let err = stderr(&out);
        assert!(err.contains("unrecognized subcommand"), "{typo}: {err}");
        let tips: Vec<&str> = err.lines().filter(|l| l.contains("tip:")).collect();
        assert!(tips.iter().all(|t| !t.contains("commit")), "{typo}: {err}");
    }
    let help = stdout(&konto(dir.path(), &["--help"]));
    assert!(!help.to_lowercase().contains("test"), "{help}");
}
