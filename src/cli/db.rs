//! `konto db`: setting up a team's PostgreSQL database, and moving a local
//! store into it.

use std::path::Path;
use std::process::ExitCode;

use super::{StoreChoice, exit, fail, store_error_code};
use crate::domain::Role;
use crate::store::{Store, grant, init_database};
use crate::t;

use super::DbAction;

pub fn run(
    action: &DbAction,
    choice: &StoreChoice,
    dir: &Path,
    cache_bytes: u64,
) -> Result<(), ExitCode> {
    let StoreChoice::Team(target) = choice else {
        return Err(fail(exit::USAGE, t!("cli.db_needs_url")));
    };
    let store_failed = |e: crate::store::StoreError| fail(store_error_code(&e), e);
    match action {
        DbAction::Init => {
            let done = init_database(target).map_err(store_failed)?;
            let text = match done.before {
                Some(n) if n == done.now => t!("cli.db_current", store = target.label(), n = n),
                _ => t!("cli.db_initialised", store = target.label(), n = done.now),
            };
            println!("{text}");
            println!("{}", t!("cli.db_roles", store = target.label()));
            Ok(())
        }
        DbAction::Grant { user, role } => {
            let role = Role::from(*role);
            grant(target, user, role).map_err(store_failed)?;
            let (store, user) = (target.label(), crate::text::safe(user));
            println!(
                "{}",
                t!(
                    "cli.db_granted",
                    store = store,
                    user = user,
                    role = role.key()
                )
            );
            Ok(())
        }
        DbAction::MigrateFrom { dir: from } => {
            let local = Store::open(from, cache_bytes).map_err(store_failed)?;
            let mut team = Store::connect(target, dir).map_err(store_failed)?;
            let counts = local.copy_into(&mut team).map_err(store_failed)?;
            println!(
                "{}",
                t!(
                    "cli.db_migrated",
                    customers = counts.customers,
                    entries = counts.entries,
                    from = from.display(),
                    store = target.label()
                )
            );
            Ok(())
        }
    }
}
