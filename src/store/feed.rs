//! Others' changes, for a running app to show: on PostgreSQL the change
//! feed (`pg_store/feed.rs`), polled by the runtime and woken early by
//! LISTEN/NOTIFY; on sled nothing, since one process alone has the store
//! open and every change is its own.

use std::sync::mpsc::Receiver;

use super::{Backend, Store, StoreError};
use crate::domain::{Cloud, Customer};

/// What changed in a cloud after a number of the feed.
#[derive(Debug, Default)]
pub struct ChangedSince {
    /// The number up to which this is complete: the next poll's start.
    pub upto: u64,
    /// The changed customers of the cloud as stored now.
    pub customers: Vec<Customer>,
    /// More changed than the feed lists (a bulk import): reload the list.
    pub reload: bool,
}

impl Store {
    /// The feed's newest number now (None: a local store, which has no
    /// feed). Taken before the list is read, so nothing committed while it
    /// loads is missed.
    pub fn change_cursor(&self) -> Result<Option<u64>, StoreError> {
        match &self.backend {
            Backend::Sled(_) => Ok(None),
            Backend::Postgres(p) => p.change_cursor().map(Some),
        }
    }

    /// What changed in `cloud` after number `after` (see `ChangedSince`).
    pub fn changes_since(&self, cloud: Cloud, after: u64) -> Result<ChangedSince, StoreError> {
        let Backend::Postgres(p) = &self.backend else {
            return Ok(ChangedSince {
                upto: after,
                ..ChangedSince::default()
            });
        };
        let (upto, changed) = p.changes_since(after)?;
        let mut reload = false;
        let mut ids: Vec<&str> = Vec::new();
        for change in &changed {
            match (change.cloud, change.id.as_deref()) {
                (Some(c), Some(id)) if c == cloud => ids.push(id),
                (Some(_), Some(_)) => {}
                _ => reload = true,
            }
        }
        ids.sort_unstable();
        ids.dedup();
        let customers = if reload || ids.is_empty() {
            Vec::new()
        } else {
            p.get_many(cloud, &ids)?.into_values().collect()
        };
        Ok(ChangedSince {
            upto,
            customers,
            reload,
        })
    }

    /// A channel that receives () soon after another connection's commit
    /// (PostgreSQL's NOTIFY); None on a local store.
    pub fn watch_changes(&self) -> Option<Receiver<()>> {
        match &self.backend {
            Backend::Sled(_) => None,
            Backend::Postgres(p) => Some(p.watch()),
        }
    }
}
