//! The commands that print what an installed konto brings besides itself
//! (`crate::package` writes them, in English, outside the CLI's catalogue
//! of messages).

use std::process::ExitCode;

use clap::Subcommand;
use clap_complete::Shell;

use super::exit;
use crate::i18n::{Lang, Locale, Zone};

#[derive(Subcommand, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageCmd {
    /// Print a completion script for a shell.
    ///
    /// For bash, e.g. `konto completions bash >
    /// ~/.local/share/bash-completion/completions/konto`; the Debian
    /// package installs them for bash, zsh and fish.
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print konto's manual page (roff).
    ///
    /// Read it with `konto man | man -l -`; the Debian package installs it
    /// as konto(1).
    Man,
    /// Print the JSON Schema of the export and import files.
    ///
    /// What `export --format json` writes and `import` reads; with
    /// --columns the CSV columns instead, with what they hold.
    Schema {
        /// The CSV columns, one a line: name, a tab, what it holds.
        #[arg(long)]
        columns: bool,
    },
}

/// Runs a packaging command. They need neither the store nor the config
/// and speak English: the documents are the same for everyone.
pub fn run(cmd: PackageCmd) -> ExitCode {
    crate::i18n::set_locale(Locale {
        lang: Lang::En,
        zone: Zone::Utc,
    });
    let text = match cmd {
        PackageCmd::Completions { shell } => crate::package::completions(shell),
        PackageCmd::Man => crate::package::man_page(),
        PackageCmd::Schema { columns } => crate::package::schema(columns),
    };
    super::print_out(text.as_bytes()).map_or_else(|code| code, |()| ExitCode::from(exit::OK))
}
