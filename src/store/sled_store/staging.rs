//! A bulk write's entries gathered in sorted runs on disk, so that a
//! million records are written in key order (what sled is fast at) in
//! memory that does not grow with their number: entries are encoded as
//! they arrive, a buffer of `RUN_BYTES` is sorted per tree and written out
//! as a run, and the rebuild merges each tree's runs with the tree's
//! stored entries (`bulk.rs`).
//!
//! The runs live in `staging/` inside the store's directory and are
//! removed when the staging is dropped (written or abandoned); `open`
//! removes any a crash left behind.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Write as _};
use std::path::{Path, PathBuf};

use super::keys::{self, INDEXES, TreeKind};
use super::{StoreError, error};
use crate::domain::Cloud;
use crate::store::backend::Write;

/// Buffered entries (with their bookkeeping) before a run is written: a
/// run of 32 MiB sorts in ~0.05 s, and a million customers make ~25 runs
/// (each read through a 64 KiB buffer when merged).
const RUN_BYTES: usize = 32 << 20;

/// What an entry costs in memory beyond its bytes (two boxes and their
/// allocations).
const ENTRY_OVERHEAD: usize = 64;

/// A key and what it gets: a value, or removed (`None`, an index entry of
/// a changed name or domain).
pub type Entry = (Box<[u8]>, Option<Box<[u8]>>);

/// An entry as read back from a run.
pub type ReadEntry = (Vec<u8>, Option<Vec<u8>>);

/// The staged entries of a bulk write.
pub struct Staging {
    dir: PathBuf,
    /// Per tree (`TreeKind::ALL`'s order) the entries not yet in a run.
    buffers: Vec<Vec<Entry>>,
    buffered: usize,
    runs: usize,
    /// New customers per cloud (`Cloud::ALL`'s order), for the counts.
    pub added: [usize; 2],
    /// The batch entries staged (`keys::batch_key`): one a cloud and write.
    batches: HashSet<Vec<u8>>,
}

/// Where a store's staged runs are kept.
pub fn staging_dir(store_dir: &Path) -> PathBuf {
    store_dir.join("staging")
}

fn tree_index(kind: TreeKind) -> usize {
    TreeKind::ALL.iter().position(|k| *k == kind).unwrap_or(0)
}

fn run_path(dir: &Path, run: usize, tree: usize) -> PathBuf {
    dir.join(format!("run-{run}-{tree}"))
}

impl Staging {
    pub fn new(store_dir: &Path) -> Result<Staging, StoreError> {
        let dir = staging_dir(store_dir);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).map_err(|e| error::unreadable(&dir, e))?;
        Ok(Staging {
            dir,
            buffers: TreeKind::ALL.iter().map(|_| Vec::new()).collect(),
            buffered: 0,
            runs: 0,
            added: [0; 2],
            batches: HashSet::new(),
        })
    }

    fn push(&mut self, kind: TreeKind, key: Vec<u8>, value: Option<Vec<u8>>) {
        self.buffered += key.len() + value.as_ref().map_or(0, Vec::len) + ENTRY_OVERHEAD;
        self.buffers[tree_index(kind)].push((key.into(), value.map(Into::into)));
    }

    /// Stages one record with its audit entry and index entries.
    pub fn add(&mut self, w: &Write) -> Result<(), StoreError> {
        let new = w.new;
        if w.old.is_none() {
            self.added[usize::from(new.cloud == Cloud::Usgov)] += 1;
        }
        self.push(
            TreeKind::Customers(new.cloud),
            new.id.as_bytes().to_vec(),
            Some(keys::encode(new)?),
        );
        if keys::is_batch_creation(new, w.old, &w.entry) {
            // One entry for all the customers this write creates at once.
            let key = keys::batch_key(new.cloud, &new.created);
            if self.batches.insert(key.clone()) {
                self.push(TreeKind::Audit, key, Some(keys::encode_batch(&w.entry)?));
            }
        } else {
            self.push(
                TreeKind::Audit,
                keys::audit_key(new.cloud, &new.id, new.version),
                Some(keys::encode_audit(&w.entry)?),
            );
        }
        for index in INDEXES {
            let key = keys::index_key(index, new);
            if let Some(old) = w.old {
                let old_key = keys::index_key(index, old);
                if old_key != key {
                    self.push(TreeKind::Index(index), old_key, None);
                }
            }
            self.push(
                TreeKind::Index(index),
                key,
                Some(keys::index_value(index, new)?),
            );
        }
        if self.buffered >= RUN_BYTES {
            self.spill()?;
        }
        Ok(())
    }

    /// Stages one entry of tree `kind` as it is (for the schema's upgrade).
    pub fn add_entry(
        &mut self,
        kind: TreeKind,
        key: Vec<u8>,
        value: Vec<u8>,
    ) -> Result<(), StoreError> {
        self.push(kind, key, Some(value));
        if self.buffered >= RUN_BYTES {
            self.spill()?;
        }
        Ok(())
    }

    /// Writes the buffered entries out as one run per tree, sorted.
    pub fn spill(&mut self) -> Result<(), StoreError> {
        if self.buffered == 0 {
            return Ok(());
        }
        for (tree, buffer) in self.buffers.iter_mut().enumerate() {
            // A removal sorts before an addition of the same key.
            buffer.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.is_some().cmp(&b.1.is_some())));
            let path = run_path(&self.dir, self.runs, tree);
            let fail = |e: std::io::Error| error::unreadable(&path, e);
            let mut out = BufWriter::with_capacity(1 << 16, File::create(&path).map_err(fail)?);
            for (key, value) in buffer.drain(..) {
                write_entry(&mut out, &key, value.as_deref()).map_err(fail)?;
            }
            out.flush().map_err(fail)?;
            // Given back: the last spill's buffers would otherwise stay
            // through the whole rebuild.
            buffer.shrink_to_fit();
        }
        self.runs += 1;
        self.buffered = 0;
        Ok(())
    }

    /// A tree's staged entries in key order, each key once (an addition
    /// wins over a removal of the same key). Call `spill` first.
    pub fn merged(&self, kind: TreeKind) -> Result<Merged, StoreError> {
        let tree = tree_index(kind);
        let mut runs = Vec::with_capacity(self.runs);
        for run in 0..self.runs {
            let path = run_path(&self.dir, run, tree);
            let file = File::open(&path).map_err(|e| error::unreadable(&path, e))?;
            let mut reader = RunReader {
                input: BufReader::with_capacity(1 << 16, file),
                current: None,
                path,
            };
            reader.advance()?;
            runs.push(reader);
        }
        Ok(Merged { runs })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Removal: the value's length is this.
const REMOVED: u32 = u32::MAX;

fn write_entry(
    out: &mut impl std::io::Write,
    key: &[u8],
    value: Option<&[u8]>,
) -> std::io::Result<()> {
    let len = |b: &[u8]| u32::try_from(b.len()).map_err(std::io::Error::other);
    out.write_all(&len(key)?.to_le_bytes())?;
    out.write_all(key)?;
    match value {
        Some(value) => {
            out.write_all(&len(value)?.to_le_bytes())?;
            out.write_all(value)
        }
        None => out.write_all(&REMOVED.to_le_bytes()),
    }
}

struct RunReader {
    input: BufReader<File>,
    current: Option<ReadEntry>,
    path: PathBuf,
}

impl RunReader {
    fn advance(&mut self) -> Result<(), StoreError> {
        let fail = |e: std::io::Error| error::unreadable(&self.path, e);
        let mut len = [0u8; 4];
        match self.input.read_exact(&mut len) {
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                self.current = None;
                return Ok(());
            }
            other => other.map_err(fail)?,
        }
        let mut key = vec![0; u32::from_le_bytes(len) as usize];
        self.input.read_exact(&mut key).map_err(fail)?;
        self.input.read_exact(&mut len).map_err(fail)?;
        let value = match u32::from_le_bytes(len) {
            REMOVED => None,
            n => {
                let mut value = vec![0; n as usize];
                self.input.read_exact(&mut value).map_err(fail)?;
                Some(value)
            }
        };
        self.current = Some((key, value));
        Ok(())
    }
}

/// A tree's runs merged, in key order.
pub struct Merged {
    runs: Vec<RunReader>,
}

impl Merged {
    /// The next key and what it gets.
    pub fn next_entry(&mut self) -> Result<Option<ReadEntry>, StoreError> {
        let least = self
            .runs
            .iter()
            .filter_map(|r| r.current.as_ref().map(|(k, _)| k))
            .min()
            .cloned();
        let Some(key) = least else {
            return Ok(None);
        };
        let mut value = None;
        for run in &mut self.runs {
            while run.current.as_ref().is_some_and(|(k, _)| *k == key) {
                if let Some((_, Some(v))) = run.current.take() {
                    value = Some(v);
                }
                run.advance()?;
            }
        }
        Ok(Some((key, value)))
    }
}
