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

/// Tree `name` in `old` and in `fresh`.
pub(super) fn tree_pair(
    dir: &Path,
    old: &sled::Db,
    fresh: &sled::Db,
    name: &[u8],
) -> Result<(sled::Tree, sled::Tree), StoreError> {
    let open = |db: &sled::Db| db.open_tree(name).map_err(|e| error::unreadable(dir, e));
    Ok((open(old)?, open(fresh)?))
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
    let (from, to) = tree_pair(dir, old, fresh, name)?;
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
    if kind == TreeKind::Index(Index::Domain) {
        let mut adding = staging.merged(kind)?;
        let stored = from.iter().map(|item| {
            let (key, value) = item.map_err(fail)?;
            Ok((key.to_vec(), value.to_vec()))
        });
        return domains::copy(stored, &mut adding, &to, dir);
    }
    insert_in_full_leaves(&to, dir, |insert| {
        let mut adding = staging.merged(kind)?;
        let mut next = adding.next_entry()?;
        for item in from.iter() {
            let (key, stored) = item.map_err(fail)?;
            let mut replaced = false;
            while let Some((new_key, value)) = next.take_if(|(k, _)| k.as_slice() <= &key[..]) {
                // A removal of a stored key replaces it with nothing.
                replaced |= new_key.as_slice() == &key[..];
                if let Some(value) = value {
                    insert(&new_key, &value)?;
                }
                next = adding.next_entry()?;
            }
            if !replaced {
                insert(&key, &stored)?;
            }
        }
        while let Some((new_key, value)) = next {
            if let Some(value) = value {
                insert(&new_key, &value)?;
            }
            next = adding.next_entry()?;
        }
        Ok(())
    })
}

/// Copies tree `name` of `old` into `fresh` as it is, in full leaves.
pub(super) fn copy_in_full_leaves(
    dir: &Path,
    old: &sled::Db,
    fresh: &sled::Db,
    name: &[u8],
) -> Result<(), StoreError> {
    let fail = |e: sled::Error| error::unreadable(dir, e);
    let (from, to) = tree_pair(dir, old, fresh, name)?;
    insert_in_full_leaves(&to, dir, |insert| {
        for item in from.iter() {
            let (key, value) = item.map_err(fail)?;
            insert(&key, &value)?;
        }
        Ok(())
    })
}

/// Entries a leaf of sled 0.34 holds before it splits: a leaf with more
/// than this splits into 9 and 8 (`Node::should_split`, `split`).
const LEAF_MAX: usize = 16;

/// Changes sled 0.34 chains onto a page before it writes the page whole
/// again (`PAGE_CONSOLIDATION_THRESHOLD`): until then every change costs
/// the page one more pointer, in memory and in each snapshot.
const CHANGES_BEFORE_REWRITE: usize = 10;

/// Where, among its leaf's 16, the entry at `position` (in key order) is
/// written by `insert_in_full_leaves`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pass {
    /// In the first pass.
    First,
    /// In the second.
    Second,
    /// In the first pass as a placeholder (an empty value), and with its
    /// value in the second.
    Both,
}

fn pass_of(position: usize) -> Pass {
    // Of every 16: the even ones and the last in the first pass (9), of
    // which the first three as placeholders, so that the second pass
    // makes 7 + 3 changes to each leaf.
    const PLACEHOLDERS: usize = CHANGES_BEFORE_REWRITE - (LEAF_MAX - 9);
    match position % LEAF_MAX {
        at if at % 2 == 0 && at < 2 * PLACEHOLDERS => Pass::Both,
        at if at % 2 == 0 || at == LEAF_MAX - 1 => Pass::First,
        _ => Pass::Second,
    }
}

/// Fills the empty tree `to` with the entries `each` gives in ascending key
/// order, so that its leaves end up holding 16 entries instead of 9, each
/// written whole.
///
/// Inserted in key order, a sled leaf fills to 17, splits into 9 and 8, and
/// the left half is never written again: a tree of 9-entry leaves, and sled
/// keeps ~270 bytes of page table per leaf for as long as the store is
/// open (at a million customers, two trees of 111,000 leaves each). Here
/// 9 of every 16 entries are written as they come, which leaves one leaf
/// per 16 (its first and last entry among them, so no leaf's key range
/// ends inside another's 16). The 7 between them are written into that
/// leaf a little later (`LeafFiller`), which then holds 16 and does not
/// split, with the values of 3 placeholders: with those 10 changes sled
/// writes the leaf whole again instead of keeping a chain of 7 changes to
/// it (each one more pointer for as long as the store is open).
fn insert_in_full_leaves(
    to: &sled::Tree,
    dir: &Path,
    each: impl FnOnce(&mut dyn FnMut(&[u8], &[u8]) -> Result<(), StoreError>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut filler = LeafFiller {
        to,
        dir,
        position: 0,
        later: Vec::new(),
    };
    each(&mut |key, value| filler.add(key, value))?;
    filler.write_later(0)
}

/// Entries a `LeafFiller` takes before it writes the ones it held back:
/// their leaves were made a moment ago and are still in sled's cache.
const WINDOW: usize = 256 * LEAF_MAX;

/// A key and value written a little later.
type HeldBack = (Box<[u8]>, Box<[u8]>);

/// The two passes of `insert_in_full_leaves`, a window at a time.
struct LeafFiller<'a> {
    to: &'a sled::Tree,
    dir: &'a Path,
    /// Entries taken so far.
    position: usize,
    /// What the second pass writes, in key order.
    later: Vec<HeldBack>,
}

impl LeafFiller<'_> {
    fn insert(&self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.to
            .insert(key, value)
            .map(drop)
            .map_err(|e| error::unreadable(self.dir, e))
    }

    fn add(&mut self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let pass = pass_of(self.position);
        self.position += 1;
        match pass {
            Pass::First => self.insert(key, value)?,
            Pass::Both => self.insert(key, &[])?,
            Pass::Second => {}
        }
        if pass != Pass::First {
            self.later.push((key.into(), value.into()));
        }
        if self.position.is_multiple_of(WINDOW) {
            // The last 16's leaf is still the open end of the tree: it is
            // split off (as 9 entries) only when the next 16 come. Its
            // held-back entries (10, one for each change) wait till then.
            self.write_later(CHANGES_BEFORE_REWRITE)?;
        }
        Ok(())
    }

    /// Writes what was held back but the last `keep` entries.
    fn write_later(&mut self, keep: usize) -> Result<(), StoreError> {
        let upto = self.later.len().saturating_sub(keep);
        for (key, value) in self.later.drain(..upto) {
            self.to
                .insert(key, value)
                .map_err(|e| error::unreadable(self.dir, e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(n: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        (0..n)
            .map(|i| {
                (
                    format!("key-{i:06}").into_bytes(),
                    format!("value {i}").into_bytes(),
                )
            })
            .collect()
    }

    #[test]
    fn of_every_sixteen_nine_come_first_the_leaf_ends_among_them_and_ten_change_after() {
        let passes: Vec<Pass> = (0..LEAF_MAX).map(pass_of).collect();
        let first = passes.iter().filter(|p| **p != Pass::Second).count();
        let changes_after = passes.iter().filter(|p| **p != Pass::First).count();
        assert_eq!(first, 9, "{passes:?}");
        assert_eq!(changes_after, CHANGES_BEFORE_REWRITE, "{passes:?}");
        assert_ne!(passes[0], Pass::Second);
        assert_ne!(passes[LEAF_MAX - 1], Pass::Second);
        assert_eq!(pass_of(LEAF_MAX + 3), passes[3]);
    }

    #[test]
    fn a_tree_filled_in_full_leaves_holds_every_entry_with_its_value() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree("t").unwrap();
        // Windows, and a last 16 cut short.
        let all = entries(2 * WINDOW + 16 * 40 + 7);
        insert_in_full_leaves(&tree, dir.path(), |insert| {
            all.iter().try_for_each(|(k, v)| insert(k, v))
        })
        .unwrap();
        let back: Vec<(Vec<u8>, Vec<u8>)> = tree
            .iter()
            .map(|item| item.map(|(k, v)| (k.to_vec(), v.to_vec())).unwrap())
            .collect();
        assert_eq!(back, all);
    }
}
