//! Large imports (and `konto gen`) written by rebuilding the database with
//! the new records merged in, tree by tree in key order, instead of as
//! thousands of transactions.
//!
//! sled inserts in key order into a fresh tree are several times cheaper
//! than random inserts into a grown one, and leave a compact file (random
//! inserts leave segments up to half garbage). The rebuilt database is
//! swapped in only when complete and durable (`Store::rebuild_in_place`),
//! so a bulk write is all or nothing like a transaction, and a crash at
//! any point leaves the store as it was before or after it.

use std::path::Path;

use super::keys::{Index, TreeKind};
use super::staging::Staging;
use super::{SledStore, StoreError, domains, error, keys};
use crate::domain::Cloud;
use crate::store::backend::Write;

/// Below this many records an import is written as transactions.
pub const BULK_MIN: usize = 1_000;

/// A bulk write must be at least this fraction (1/n) of the customers
/// already stored, or copying them would cost more than it saves.
const BULK_SHARE: usize = 5;

/// The most writes an import keeps in memory (see `bulk_from`).
const KEPT_MAX: usize = 50_000;

impl SledStore {
    /// Whether `writes` records are better written by a rebuild.
    pub(in crate::store) fn prefers_bulk(&self, writes: usize) -> Result<bool, StoreError> {
        let stored: usize = Cloud::ALL
            .into_iter()
            .map(|c| self.count(c))
            .sum::<Result<_, _>>()?;
        Ok(writes >= BULK_MIN && writes.saturating_mul(BULK_SHARE) >= stored)
    }

    /// How many writes are worth a rebuild (`prefers_bulk`), at most
    /// `KEPT_MAX`: beyond that an import stages its writes on disk for a
    /// rebuild whatever the store's size, as memory must not grow with
    /// the file.
    pub(in crate::store) fn bulk_from(&self) -> Result<usize, StoreError> {
        let stored: usize = Cloud::ALL
            .into_iter()
            .map(|c| self.count(c))
            .sum::<Result<_, _>>()?;
        Ok(stored.div_ceil(BULK_SHARE).clamp(BULK_MIN, KEPT_MAX))
    }

    /// A place to stage a bulk write's records one at a time.
    pub(in crate::store) fn staging(&self) -> Result<Staging, StoreError> {
        Staging::new(&self.dir)
    }

    /// Writes every record of `writes` (each with its audit entry) by
    /// rebuilding the database with them merged in.
    pub(in crate::store) fn write_bulk(&mut self, writes: &[Write]) -> Result<(), StoreError> {
        let mut staging = self.staging()?;
        for w in writes {
            staging.add(w)?;
        }
        self.write_staged(staging)
    }

    /// Writes what `staging` holds by rebuilding the database with it
    /// merged in, tree by tree in key order.
    pub(in crate::store) fn write_staged(
        &mut self,
        mut staging: Staging,
    ) -> Result<(), StoreError> {
        staging.spill()?;
        self.begin_write();
        let mut counts = Vec::new();
        for (cloud, added) in Cloud::ALL.into_iter().zip(staging.added) {
            counts.push((keys::count_key(cloud), (self.count(cloud)? + added) as u64));
        }
        let (counts, staging) = (&counts, &staging);
        let fill = |dir: &Path, old: &sled::Db, fresh: &sled::Db| {
            per_tree(dir, old, |name| {
                copy_tree(dir, old, fresh, name, staging, counts)
            })
        };
        self.rebuild_in_place(&fill)
    }
}

/// Runs `copy` for every tree of `old`, a thread per tree: sled's inserts
/// are CPU-bound, the trees independent, and a thread that waits for
/// sled's log lets another run.
pub(super) fn per_tree(
    dir: &Path,
    old: &sled::Db,
    copy: impl Fn(&[u8]) -> Result<(), StoreError> + Sync,
) -> Result<(), StoreError> {
    let copy = &copy;
    std::thread::scope(|scope| {
        let copies: Vec<_> = old
            .tree_names()
            .into_iter()
            .map(|name| scope.spawn(move || copy(&name)))
            .collect();
        copies.into_iter().try_for_each(|copy| {
            copy.join()
                .unwrap_or_else(|_| Err(error::unreadable(dir, "a copying thread failed")))
        })
    })
}

/// Copies tree `name` of `old` into `fresh`, with what `staging` holds for
/// it merged in key order.
fn copy_tree(
    dir: &Path,
    old: &sled::Db,
    fresh: &sled::Db,
    name: &[u8],
    staging: &Staging,
    counts: &[(Vec<u8>, u64)],
) -> Result<(), StoreError> {
    let fail = |e: sled::Error| error::unreadable(dir, e);
    let from = old.open_tree(name).map_err(fail)?;
    let to = fresh.open_tree(name).map_err(fail)?;
    let copy_all = || -> Result<(), StoreError> {
        for item in from.iter() {
            let (key, value) = item.map_err(fail)?;
            to.insert(key, value).map_err(fail)?;
        }
        Ok(())
    };
    let kind = match TreeKind::of_name(name) {
        Some(TreeKind::Meta) => {
            copy_all()?;
            for (key, count) in counts {
                to.insert(key.as_slice(), &count.to_be_bytes())
                    .map_err(fail)?;
            }
            return Ok(());
        }
        Some(kind) => kind,
        // sled's default tree.
        None => return copy_all(),
    };
    let mut adding = staging.merged(kind)?;
    if kind == TreeKind::Index(Index::Domain) {
        let stored = from.iter().map(|item| {
            let (key, value) = item.map_err(fail)?;
            Ok((key.to_vec(), value.to_vec()))
        });
        return domains::copy(stored, &mut adding, &to, dir);
    }
    let mut next = adding.next_entry()?;
    for item in from.iter() {
        let (key, stored) = item.map_err(fail)?;
        let mut replaced = false;
        while let Some((new_key, value)) = next.take_if(|(k, _)| k.as_slice() <= &key[..]) {
            // A removal of a stored key replaces it with nothing.
            replaced |= new_key.as_slice() == &key[..];
            if let Some(value) = value {
                to.insert(new_key, value).map_err(fail)?;
            }
            next = adding.next_entry()?;
        }
        if !replaced {
            to.insert(key, stored).map_err(fail)?;
        }
    }
    while let Some((new_key, value)) = next {
        if let Some(value) = value {
            to.insert(new_key, value).map_err(fail)?;
        }
        next = adding.next_entry()?;
    }
    Ok(())
}
