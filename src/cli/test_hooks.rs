//! Hooks that only konto's own tests use, compiled in by the `testing`
//! feature (on for `cargo test`, off in a release build): without it the
//! commit loop is never requested.

use std::process::ExitCode;

use crate::store::Store;
#[cfg(feature = "testing")]
use {
    super::{exit, fail, store_error_code},
    crate::{demo::demo_customers, domain::Cloud, t},
};

/// The crash test's hook (tests/crash.rs): set, konto run without a command
/// commits changes in a loop instead of opening the app, printing each
/// acknowledged (durable) version as `ack ID VERSION CITY`. Its value is how
/// many commits (anything else: until killed). An environment variable and
/// not a subcommand, so neither `--help` nor clap's "similar subcommand" tip
/// offers a command that only tests use.
#[cfg(feature = "testing")]
const COMMIT_LOOP: &str = "KONTO_TEST_COMMIT_LOOP";

/// How many commits the crash test asked for, if it did (`COMMIT_LOOP`).
#[cfg(feature = "testing")]
pub fn commit_loop_requested() -> Option<u64> {
    let value = std::env::var_os(COMMIT_LOOP)?;
    Some(
        value
            .to_str()
            .and_then(|v| v.parse().ok())
            .unwrap_or(u64::MAX),
    )
}

/// The demo customers, so the loop has someone to change.
#[cfg(feature = "testing")]
fn seed(store: &Store) -> Result<(), ExitCode> {
    let demo = demo_customers().map_err(|e| fail(exit::STORE, t!("cli.demo_data", reason = e)))?;
    store
        .seed_if_new(&demo)
        .map_err(|e| fail(store_error_code(&e), e))?;
    Ok(())
}

/// Commits a change after another and reports each one once it is durable;
/// the crash test kills this process at random moments.
#[cfg(feature = "testing")]
pub fn commit_loop(store: &Store, operator: &str, count: u64) -> Result<(), ExitCode> {
    use std::io::Write;
    seed(store)?;
    let customers = store
        .customers(Cloud::Commercial)
        .map_err(|e| fail(store_error_code(&e), e))?;
    if customers.is_empty() {
        return Err(fail(exit::INVALID, t!("cli.no_customers")));
    }
    let mut out = std::io::stdout().lock();
    for i in 0..count {
        let index = (i % customers.len() as u64) as usize;
        let Some(mut record) = store
            .get(Cloud::Commercial, &customers[index].id)
            .map_err(|e| fail(store_error_code(&e), e))?
        else {
            continue;
        };
        // Unique per process, so a restarted loop never re-does a change.
        record.billing.address.city = format!("Crashtown {}-{i}", std::process::id());
        let action = crate::domain::AuditAction::Update;
        match store.commit(operator, action, &record) {
            Ok(crate::store::Committed::Saved(saved)) => {
                let line = format!(
                    "ack {} {} {}\n",
                    saved.id, saved.version, saved.billing.address.city
                );
                if out
                    .write_all(line.as_bytes())
                    .and_then(|()| out.flush())
                    .is_err()
                {
                    return Ok(());
                }
            }
            Ok(crate::store::Committed::Unchanged(_)) => {}
            Err(e) => return Err(fail(store_error_code(&e), e)),
        }
    }
    Ok(())
}

/// Without the `testing` feature no test can ask for the commit loop.
#[cfg(not(feature = "testing"))]
pub fn commit_loop_requested() -> Option<u64> {
    None
}

/// Without the `testing` feature the loop is never requested, so never run.
#[cfg(not(feature = "testing"))]
pub fn commit_loop(_store: &Store, _operator: &str, _count: u64) -> Result<(), ExitCode> {
    Ok(())
}
