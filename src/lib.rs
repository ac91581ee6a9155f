//! konto: keep customers' account information up to date from the terminal.
//!
//! The pure core (`domain`, `validate`, `keymap`, `app`) knows neither the
//! terminal nor the database; `store` alone touches sled; `ui` only draws;
//! `tui` is the thin runtime that ties them together.

pub mod app;
pub mod cli;
pub mod countries;
pub mod demo;
pub mod domain;
pub mod exchange;
pub mod keymap;
pub mod layout;
pub mod query;
pub mod store;
pub mod text;
pub mod tui;
pub mod ui;
pub mod validate;
