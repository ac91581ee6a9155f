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

use std::collections::HashSet;
use std::path::Path;

use super::keys::{self, TreeKind};
use super::{SledStore, StoreError, error};
use crate::domain::Cloud;
use crate::store::backend::Write;

/// Below this many records an import is written as transactions.
pub const BULK_MIN: usize = 1_000;

/// A bulk write must be at least this fraction (1/n) of the customers
/// already stored, or copying them would cost more than it saves.
const BULK_SHARE: usize = 5;

/// What a tree gets added, by key (sorted), each pointing at its write.
struct Additions {
    keys: Vec<(Vec<u8>, usize)>,
    /// Keys the writes take away (index entries of a changed name or domain).
    removed: HashSet<Vec<u8>>,
}

impl SledStore {
    /// Whether `writes` records are better written by a rebuild.
    pub(in crate::store) fn prefers_bulk(&self, writes: usize) -> Result<bool, StoreError> {
        let stored: usize = Cloud::ALL
            .into_iter()
            .map(|c| self.count(c))
            .sum::<Result<_, _>>()?;
        Ok(writes >= BULK_MIN && writes.saturating_mul(BULK_SHARE) >= stored)
    }

    /// Writes every record of `writes` (each with its audit entry) by
    /// rebuilding the database with them merged in.
    pub(in crate::store) fn write_bulk(&mut self, writes: &[Write]) -> Result<(), StoreError> {
        self.begin_write();
        let mut counts = Vec::new();
        for cloud in Cloud::ALL {
            let added = writes
                .iter()
                .filter(|w| w.old.is_none() && w.new.cloud == cloud)
                .count();
            counts.push((keys::count_key(cloud), (self.count(cloud)? + added) as u64));
        }
        let counts = &counts;
        let fill = |dir: &Path, old: &sled::Db, fresh: &sled::Db| {
            // A thread per tree: sled's inserts are CPU-bound, the trees
            // independent, and a thread that waits for sled's log lets
            // another run.
            std::thread::scope(|scope| {
                let copies: Vec<_> = old
                    .tree_names()
                    .into_iter()
                    .map(|name| {
                        scope.spawn(move || copy_tree(dir, old, fresh, &name, writes, counts))
                    })
                    .collect();
                copies.into_iter().try_for_each(|copy| {
                    copy.join()
                        .unwrap_or_else(|_| Err(error::unreadable(dir, "a copying thread failed")))
                })
            })
        };
        self.rebuild_in_place(&fill)
    }
}

/// Copies tree `name` of `old` into `fresh`, with what `writes` add to it
/// merged in key order.
fn copy_tree(
    dir: &Path,
    old: &sled::Db,
    fresh: &sled::Db,
    name: &[u8],
    writes: &[Write],
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
    let additions = additions(kind, writes);
    let value = |i: usize| -> Result<Vec<u8>, StoreError> {
        let w = &writes[i];
        match kind {
            TreeKind::Index(index) => keys::index_value(index, w.new),
            TreeKind::Audit => keys::encode_audit(&w.entry),
            TreeKind::Customers(_) | TreeKind::Meta => keys::encode(w.new),
        }
    };
    let mut adding = additions.keys.iter().peekable();
    for item in from.iter() {
        let (key, stored) = item.map_err(fail)?;
        let mut replaced = false;
        while let Some((new_key, i)) = adding.next_if(|(k, _)| k.as_slice() <= &key[..]) {
            replaced |= new_key.as_slice() == &key[..];
            to.insert(new_key.as_slice(), value(*i)?).map_err(fail)?;
        }
        if !replaced && !additions.removed.contains(&key[..]) {
            to.insert(key, stored).map_err(fail)?;
        }
    }
    for (new_key, i) in adding {
        to.insert(new_key.as_slice(), value(*i)?).map_err(fail)?;
    }
    Ok(())
}

/// What `writes` add to a tree of `kind` (the meta tree gets its counts in
/// `copy_tree`).
fn additions(kind: TreeKind, writes: &[Write]) -> Additions {
    let mut removed = HashSet::new();
    let mut keys: Vec<(Vec<u8>, usize)> = Vec::new();
    for (i, w) in writes.iter().enumerate() {
        let key = match kind {
            TreeKind::Customers(cloud) if cloud == w.new.cloud => w.new.id.as_bytes().to_vec(),
            TreeKind::Customers(_) | TreeKind::Meta => continue,
            TreeKind::Audit => keys::audit_key(w.new.cloud, &w.new.id, w.new.version),
            TreeKind::Index(index) => {
                let key = keys::index_key(index, w.new);
                if let Some(old) = w.old {
                    let old_key = keys::index_key(index, old);
                    if old_key != key {
                        removed.insert(old_key);
                    }
                }
                key
            }
        };
        keys.push((key, i));
    }
    keys.sort_unstable();
    Additions { keys, removed }
}
