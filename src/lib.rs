//! konto: keep customers' account information up to date from the terminal.
//!
//! The pure core (`domain`, `validate`, `keymap`, `app`) knows neither the
//! terminal nor the database; `store` alone touches sled; `ui` only draws;
//! `tui` is the thin runtime that ties them together.

// Nothing that came from a user, a file or the disk may panic konto: the
// library code has no unwrap/expect/panic (tests may).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod alloc;
pub mod app;
pub mod cli;
pub mod config;
pub mod countries;
pub mod demo;
pub mod domain;
pub mod draft;
pub mod exchange;
pub mod generate;
pub mod i18n;
pub mod json_array;
pub mod keymap;
pub mod layout;
pub mod listing;
pub mod logging;
pub mod package;
pub mod parallel;
pub mod positional;
/// The filter's words, where the CLI's `--filter` has always found them; it
/// lives with the list it filters.
pub use listing::query;
pub mod store;
pub mod text;
pub mod tui;
pub mod ui;
pub mod validate;
