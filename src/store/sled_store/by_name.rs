//! A cloud's customers in name order, one at a time, in memory that does
//! not grow with their records: for `konto export` of a million.
//!
//! Reading each record by id in the name index's order is a random read
//! each (30-50 µs at a million: most of a minute). Instead both trees are
//! read in their own order: the name index gives each id its place, the
//! records (in id order, merged with the ids sorted) go to a scratch file
//! as stored, and are read back from it by place. Memory: the ids and
//! places (~70 MB at a million), not the records.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
#[cfg(not(unix))]
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use super::keys::{self, decode};
use super::{SledStore, StoreError, error};
use crate::domain::{Cloud, Customer};

/// The scratch file, removed when done (and by `open`, after a crash).
pub const SCRATCH: &str = "by-name.tmp";

/// Reads `bytes.len()` bytes at `offset`: one system call on Unix.
#[cfg(unix)]
fn read_at(file: &mut File, offset: u64, bytes: &mut [u8]) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, bytes, offset)
}

#[cfg(not(unix))]
fn read_at(file: &mut File, offset: u64, bytes: &mut [u8]) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(bytes)
}

/// An id and its place in name order.
type Placed = (Box<[u8]>, u32);

/// Removes the scratch file however the reading ends.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

impl SledStore {
    /// Hands every customer of `cloud` to `each`, in name order (as the
    /// list and `konto export` order them).
    pub fn each_by_name(
        &self,
        cloud: Cloud,
        each: &mut dyn FnMut(Customer) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut ids = self.ids_by_name(cloud)?;
        let count = ids.len();
        ids.sort_unstable();
        let scratch = Scratch(self.dir.join(SCRATCH));
        let fail = |e: std::io::Error| error::unreadable(&scratch.0, e);
        // Where each place's record is in the scratch file (offset, length).
        let mut places = vec![(0u64, 0u32); count];
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&scratch.0)
            .map_err(fail)?;
        let mut out = BufWriter::with_capacity(1 << 16, file);
        let mut offset = 0u64;
        let mut ids = ids.into_iter().peekable();
        for item in self.customers_tree(cloud).iter() {
            let (key, value) = item.map_err(|e| self.fail(e))?;
            while ids.next_if(|(id, _)| **id < *key).is_some() {}
            let Some((_, place)) = ids.next_if(|(id, _)| **id == *key) else {
                continue;
            };
            let len = u32::try_from(key.len() + value.len() + 2).map_err(|e| self.fail(e))?;
            let key_len = u16::try_from(key.len()).map_err(|e| self.fail(e))?;
            out.write_all(&key_len.to_le_bytes()).map_err(fail)?;
            out.write_all(&key).map_err(fail)?;
            out.write_all(&value).map_err(fail)?;
            places[place as usize] = (offset, len);
            offset += u64::from(len);
        }
        drop(ids);
        let mut input = out.into_inner().map_err(|e| fail(e.into_error()))?;
        let mut bytes = Vec::new();
        for (offset, len) in places {
            if len == 0 {
                // Listed, but no record (a damaged index): the records decide.
                continue;
            }
            bytes.resize(len as usize, 0);
            read_at(&mut input, offset, &mut bytes).map_err(fail)?;
            let key_len = usize::from(u16::from_le_bytes([bytes[0], bytes[1]]));
            let (key, value) = bytes[2..].split_at(key_len);
            each(decode(cloud, key, value)?)?;
        }
        Ok(())
    }

    /// Every id of the cloud's name index with its place in name order.
    fn ids_by_name(&self, cloud: Cloud) -> Result<Vec<Placed>, StoreError> {
        let mut ids = Vec::with_capacity(self.count(cloud)?);
        for (place, item) in self
            .trees
            .name
            .scan_prefix(keys::cloud_prefix(cloud))
            .enumerate()
        {
            let (key, _) = item.map_err(|e| self.fail(e))?;
            let id = keys::id_of_row_key(&key)?;
            let place = u32::try_from(place).map_err(|e| self.fail(e))?;
            ids.push((id.into(), place));
        }
        Ok(ids)
    }
}
