//! The head of the list, kept beside the store when the app exits: the first
//! page of rows, the count and the first customer's record. The next start
//! draws its first frame from it while sled opens (at a million customers
//! opening takes longer than a frame should), then replaces it with the
//! store's own. Every durable write to the store deletes it, so it only
//! exists while nothing has changed since the app drew it.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Store, StoreError, error};
use crate::domain::{Cloud, Customer};
use crate::listing::Row;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Head {
    /// How many customers the cloud has.
    pub total: usize,
    /// The first rows in name order.
    pub rows: Vec<Row>,
    /// The first row's full record, for the detail pane.
    pub first: Option<Customer>,
}

fn path(dir: &Path, cloud: Cloud) -> PathBuf {
    dir.join(format!("list-head.{}", cloud.key()))
}

/// The head kept for `cloud`, if there is a readable one.
pub fn read_head(dir: &Path, cloud: Cloud) -> Option<Head> {
    let bytes = fs::read(path(dir, cloud)).ok()?;
    postcard::from_bytes(&bytes).ok()
}

/// Deletes every kept head: the store is about to change.
pub(super) fn forget_heads(dir: &Path) {
    for cloud in Cloud::ALL {
        let _ = fs::remove_file(path(dir, cloud));
    }
}

impl Store {
    /// Keeps `head` for the next start (written whole, then renamed in).
    pub fn keep_head(&self, cloud: Cloud, head: &Head) -> Result<(), StoreError> {
        let bytes = postcard::to_allocvec(head).map_err(error::encoding)?;
        let target = path(&self.dir, cloud);
        let part = target.with_extension("part");
        fs::write(&part, bytes)
            .and_then(|()| fs::rename(&part, &target))
            .map_err(|e| self.fail(e))
    }
}
