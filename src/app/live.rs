//! Others' work arriving while the app runs: the runtime polls the store's
//! change feed and reports what changed; the list and the detail pane
//! follow it.

use super::{Command, State};
use crate::domain::Customer;

/// Customers changed elsewhere: the list takes the newer ones (see
/// `State::take_changes`); more than the feed lists reloads the list.
pub(super) fn changed_elsewhere(
    state: &mut State,
    customers: Vec<Customer>,
    reload: bool,
) -> Command {
    if reload {
        return Command::Load(state.cloud);
    }
    state.take_changes(customers);
    Command::None
}
