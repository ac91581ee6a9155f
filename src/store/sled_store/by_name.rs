//! A cloud's customers in name order, a chunk at a time, in memory that
//! does not grow with their records: for `konto export` of a million.
//!
//! Reading each record by id in the name index's order is a random read
//! each (30-50 µs at a million: most of a minute). Instead both trees are
//! read in their own order: the name index gives each id its place, the
//! records (in id order, merged with the ids sorted) go to a scratch file
//! as stored, and are read back from it in name order. Memory: the ids and
//! places (~60 MB at a million), one bucket of records, not all of them.
//!
//! At a million (2 cores, `KONTO_LOG=debug`) the one-thread version spent
//! 2.4 s on the name index, 3.5 s on the records, 1.7 s on a `pread` a
//! record and 4 s decoding and writing JSON. sled's iterators cost ~2 µs a
//! key, so each tree is read from both ends (names) or both halves (records)
//! on two threads; the scratch file is written in buckets of places, so
//! that a bucket is read back in a few large reads; and the records are
//! decoded and handed to `work` on two threads while the caller writes.

use std::fs::{self, File};
use std::ops::Bound;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering::Relaxed};

use super::keys::{self, decode_view};
use super::{SledStore, StoreError, error};
use crate::domain::{Cloud, CustomerView};
use crate::positional::{read_at, write_at};

/// The scratch file, removed when done (and by `open`, after a crash).
pub const SCRATCH: &str = "by-name.tmp";

// Small in tests, so that the demo customers fill many buckets, blocks,
// parts and strides (and records are longer than a block).
/// Places a bucket holds: ~10 MB of stored records read back at once.
const BUCKET: usize = if cfg!(test) { 30 } else { 1 << 15 };
/// Bytes of a bucket kept in memory by a scanning thread before they are
/// written to the scratch file together.
const BLOCK: usize = if cfg!(test) { 400 } else { 1 << 18 };
/// Records handed to `work` at a time (two such parts a step, one a core).
const PART: usize = if cfg!(test) { 7 } else { 2_048 };
/// Name index entries a thread takes before it looks at the shared count.
const STRIDE: usize = if cfg!(test) { 5 } else { 256 };

/// Removes the scratch file however the reading ends.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// Ids side by side in one buffer (a million small boxes cost a malloc
/// and 16 bytes more each).
#[derive(Default)]
struct Ids {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Ids {
    fn push(&mut self, id: &[u8]) {
        self.bytes.extend_from_slice(id);
        self.ends.push(self.bytes.len());
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    fn append(&mut self, other: Ids) {
        let base = self.bytes.len();
        self.bytes.extend_from_slice(&other.bytes);
        self.ends
            .extend(other.ends.into_iter().map(|end| base + end));
    }

    /// Places (indexes) in the order of their ids.
    fn sorted(&self) -> Vec<u32> {
        // Places fit: `by_name_on_cores` refuses more than u32::MAX ids.
        let mut order: Vec<u32> = (0..self.len() as u32).collect();
        order.sort_unstable_by(|a, b| self.get(*a as usize).cmp(self.get(*b as usize)));
        order
    }
}

/// Two sorted runs of places (the ends' own) merged by id.
fn merge(ids: &Ids, first: Vec<u32>, second: Vec<u32>) -> Vec<u32> {
    let mut merged = Vec::with_capacity(first.len() + second.len());
    let mut second = second.into_iter().peekable();
    for a in first {
        while let Some(b) = second.next_if(|b| ids.get(*b as usize) < ids.get(a as usize)) {
            merged.push(b);
        }
        merged.push(a);
    }
    merged.extend(second);
    merged
}

/// One end's reading of the name index.
struct End {
    ids: Ids,
    /// The last key read (the largest from the front, the smallest from
    /// the back).
    last: Option<sled::IVec>,
}

/// Where each place's record is in the scratch file, written by the
/// threads that read the records (each place by one of them).
struct Places {
    offsets: Vec<AtomicU64>,
    /// 0: listed in the name index, but there is no record.
    lens: Vec<AtomicU32>,
}

/// The scratch file and the end of what is reserved in it.
struct ScratchFile<'a> {
    file: &'a File,
    end: AtomicU64,
}

impl ScratchFile<'_> {
    fn reserve(&self, len: usize) -> u64 {
        self.end.fetch_add(len as u64, Relaxed)
    }
}

/// A bucket's records not yet written: `start` is where they go.
struct Block {
    start: u64,
    /// Bytes reserved for it in the file.
    size: usize,
    bytes: Vec<u8>,
}

/// What one thread wrote of each bucket: (start, length) of its blocks.
type Written = Vec<Vec<(u64, usize)>>;

impl SledStore {
    /// Every customer of `cloud` in name order (as the list and `konto
    /// export` order them), decoded (borrowed) and handed to `work` a part at a time
    /// on two threads; `take` gets `work`'s results in name order, one
    /// part after another, while the next parts are worked on.
    pub fn by_name_on_cores<R: Send>(
        &self,
        cloud: Cloud,
        work: &(dyn Fn(&[CustomerView]) -> Result<R, StoreError> + Sync),
        take: &mut dyn FnMut(R) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let (ids, order) = self.ids_by_name(cloud)?;
        let count = ids.len();
        u32::try_from(count).map_err(|e| self.fail(e))?;
        let named = started.elapsed();
        let scratch = Scratch(self.dir.join(SCRATCH));
        let fail = |e: std::io::Error| error::unreadable(&scratch.0, e);
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&scratch.0)
            .map_err(fail)?;
        let places = Places {
            offsets: (0..count).map(|_| AtomicU64::new(0)).collect(),
            lens: (0..count).map(|_| AtomicU32::new(0)).collect(),
        };
        let out = ScratchFile {
            file: &file,
            end: AtomicU64::new(0),
        };
        let (first, second) = self.records_by_halves(cloud, &ids, &order, &places, &out)?;
        drop((ids, order));
        let scanned = started.elapsed();
        let mut blocks: Written = first;
        for (bucket, theirs) in blocks.iter_mut().zip(second) {
            bucket.extend(theirs);
            bucket.sort_unstable();
        }
        let locale = crate::i18n::locale();
        let mut data = Vec::new();
        let mut pending = None;
        // Time spent in `take`, and waiting for the workers after it.
        let (mut twrite, mut twait) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
        for (bucket, written) in blocks.iter().enumerate() {
            // The bucket's blocks side by side: where each starts in `data`.
            data.clear();
            let mut starts = Vec::with_capacity(written.len());
            for &(start, len) in written {
                starts.push((start, data.len()));
                let at = data.len();
                data.resize(at + len, 0);
                read_at(&file, start, &mut data[at..]).map_err(fail)?;
            }
            let record = |place: usize| {
                record_in(&data, &starts, &places, place, cloud).map_err(|e| match e {
                    Damage::Scratch => fail(short()),
                    Damage::Record(e) => e,
                })
            };
            let part = |places: std::ops::Range<usize>| -> Result<R, StoreError> {
                crate::i18n::set_locale(locale);
                let mut customers = Vec::with_capacity(places.len());
                for place in places {
                    customers.extend(record(place)?);
                }
                work(&customers)
            };
            let end = count.min((bucket + 1) * BUCKET);
            let mut place = bucket * BUCKET;
            while place < end {
                let middle = end.min(place + PART);
                let last = end.min(middle + PART);
                let (one, two) = std::thread::scope(|scope| {
                    let one = scope.spawn(|| part(place..middle));
                    let two = scope.spawn(|| part(middle..last));
                    // The parts before are written while these are worked
                    // on (three threads: writing is mostly the kernel's
                    // copying, which the two workers' cores share).
                    let t = std::time::Instant::now();
                    let taken = pending.take().map_or(Ok(()), |(one, two)| {
                        take(one)?;
                        take(two)
                    });
                    twrite += t.elapsed();
                    let t = std::time::Instant::now();
                    let one = join(one);
                    let two = join(two);
                    twait += t.elapsed();
                    (taken.and(one), two)
                });
                pending = Some((one?, two?));
                place = last;
            }
        }
        if let Some((one, two)) = pending {
            take(one)?;
            take(two)?;
        }
        // Where a slow export spends its time (KONTO_LOG=debug).
        tracing::debug!(
            names_ms = named.as_millis() as u64,
            records_ms = (scanned - named).as_millis() as u64,
            written_ms = (started.elapsed() - scanned).as_millis() as u64,
            scratch_bytes = out.end.load(Relaxed),
            write_ms = twrite.as_millis() as u64,
            wait_ms = twait.as_millis() as u64,
            "by name"
        );
        Ok(())
    }

    /// The records of `ids` (`order`: their places by id) to the scratch
    /// file, the lower and the upper half of the ids on a thread each.
    fn records_by_halves(
        &self,
        cloud: Cloud,
        ids: &Ids,
        order: &[u32],
        places: &Places,
        out: &ScratchFile,
    ) -> Result<(Written, Written), StoreError> {
        let (low, high) = order.split_at(order.len() / 2);
        let pivot = high.first().map(|p| ids.get(*p as usize).to_vec());
        let tree = self.customers_tree(cloud);
        let buckets = ids.len().div_ceil(BUCKET).max(1);
        let locale = crate::i18n::locale();
        let (lower, upper) = std::thread::scope(|scope| {
            let upper = scope.spawn(|| {
                crate::i18n::set_locale(locale);
                match &pivot {
                    Some(pivot) => self.records_to_scratch(
                        tree.range(pivot.as_slice()..),
                        ids,
                        high,
                        places,
                        out,
                        buckets,
                    ),
                    None => Ok(vec![Vec::new(); buckets]),
                }
            });
            let range = match &pivot {
                Some(pivot) => tree.range(..pivot.as_slice()),
                None => tree.iter(),
            };
            let lower = self.records_to_scratch(range, ids, low, places, out, buckets);
            (lower, join(upper))
        });
        Ok((lower?, upper?))
    }

    /// Writes the records of `range` (in id order) whose ids are in
    /// `sorted` (places in id order) to the scratch file, each into its
    /// place's bucket, and notes where. Returns the blocks written.
    fn records_to_scratch(
        &self,
        range: sled::Iter,
        ids: &Ids,
        sorted: &[u32],
        places: &Places,
        out: &ScratchFile,
        buckets: usize,
    ) -> Result<Written, StoreError> {
        let fail = |e: std::io::Error| error::unreadable(&self.dir.join(SCRATCH), e);
        let mut open: Vec<Option<Block>> = (0..buckets).map(|_| None).collect();
        let mut written: Written = vec![Vec::new(); buckets];
        let flush = |block: Block, written: &mut Vec<(u64, usize)>| {
            write_at(out.file, block.start, &block.bytes).map_err(fail)?;
            written.push((block.start, block.bytes.len()));
            Ok::<_, StoreError>(())
        };
        let mut sorted = sorted.iter().peekable();
        for item in range {
            let (key, value) = item.map_err(|e| self.fail(e))?;
            while sorted.next_if(|p| ids.get(**p as usize) < &*key).is_some() {}
            let Some(&place) = sorted.next_if(|p| ids.get(**p as usize) == &*key) else {
                continue;
            };
            let len = key.len() + value.len() + 2;
            let key_len = u16::try_from(key.len()).map_err(|e| self.fail(e))?;
            let len32 = u32::try_from(len).map_err(|e| self.fail(e))?;
            let bucket = place as usize / BUCKET;
            let block = &mut open[bucket];
            if block.as_ref().is_some_and(|b| b.bytes.len() + len > b.size)
                && let Some(full) = block.take()
            {
                flush(full, &mut written[bucket])?;
            }
            // A record longer than a block gets a block of its own size.
            let block = block.get_or_insert_with(|| {
                let size = BLOCK.max(len);
                Block {
                    start: out.reserve(size),
                    size,
                    bytes: Vec::with_capacity(size),
                }
            });
            let offset = block.start + block.bytes.len() as u64;
            block.bytes.extend_from_slice(&key_len.to_le_bytes());
            block.bytes.extend_from_slice(&key);
            block.bytes.extend_from_slice(&value);
            places.offsets[place as usize].store(offset, Relaxed);
            places.lens[place as usize].store(len32, Relaxed);
        }
        for (bucket, block) in open.into_iter().enumerate() {
            if let Some(block) = block {
                flush(block, &mut written[bucket])?;
            }
        }
        Ok(written)
    }

    /// Every id of the cloud's name index in name order, and their places
    /// in id order. The index is read from both ends on two threads, each
    /// taking entries while the two together have taken fewer than the
    /// customers counted; what a wrong count leaves out or reads twice is
    /// read again from one end.
    fn ids_by_name(&self, cloud: Cloud) -> Result<(Ids, Vec<u32>), StoreError> {
        let prefix = keys::cloud_prefix(cloud);
        let expected = self.count(cloud)?;
        let taken = AtomicUsize::new(0);
        let read = |entries: &mut dyn Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>| {
            let mut end = End {
                ids: Ids::default(),
                last: None,
            };
            let mut allowed = 0;
            for item in entries {
                if allowed == 0 {
                    let before = taken.fetch_add(STRIDE, Relaxed);
                    allowed = expected.saturating_sub(before).min(STRIDE);
                    if allowed == 0 {
                        break;
                    }
                }
                allowed -= 1;
                let (key, _) = item.map_err(|e| self.fail(e))?;
                end.ids.push(keys::id_of_row_key(&key)?);
                end.last = Some(key);
            }
            let order = end.ids.sorted();
            Ok::<_, StoreError>((end, order))
        };
        let index = &self.trees.name;
        let locale = crate::i18n::locale();
        let (front, back) = std::thread::scope(|scope| {
            let back = scope.spawn(|| {
                crate::i18n::set_locale(locale);
                read(&mut index.scan_prefix(&prefix).rev())
            });
            let front = read(&mut index.scan_prefix(&prefix));
            (front, join(back))
        });
        let ((mut front, front_order), (back, back_order)) = (front?, back?);
        let crossed = match (&front.last, &back.last) {
            (Some(f), Some(b)) => f >= b,
            _ => false,
        };
        let (back, back_order) = if crossed {
            // Fewer entries than counted: the ends overlap. The back's are
            // dropped and read again after the front's.
            let none = End {
                ids: Ids::default(),
                last: None,
            };
            (none, Vec::new())
        } else {
            (back, back_order)
        };
        // More entries than counted (or the back's dropped): what lies
        // between the ends, read from the front.
        let lower = match &front.last {
            Some(key) => Bound::Excluded(key.to_vec()),
            None => Bound::Included(prefix.clone()),
        };
        let upper = if crossed { None } else { back.last.clone() };
        let mut between = Ids::default();
        for item in index.range((lower, Bound::Unbounded)) {
            let (key, _) = item.map_err(|e| self.fail(e))?;
            if !key.starts_with(&prefix) || upper.as_ref().is_some_and(|u| key >= *u) {
                break;
            }
            between.push(keys::id_of_row_key(&key)?);
        }
        let mut front_order = front_order;
        if !between.is_empty() {
            tracing::warn!(
                expected,
                between = between.len(),
                crossed,
                "the name index holds other than the customers counted"
            );
            let base = front.ids.len() as u32;
            let between_order = between.sorted();
            let offset = |order: Vec<u32>| order.into_iter().map(|p| p + base);
            front.ids.append(between);
            front_order = merge(&front.ids, front_order, offset(between_order).collect());
        }
        // The back's ids were read last to first.
        let base = front.ids.len() as u32;
        let back_len = back.ids.len() as u32;
        let mut ids = front.ids;
        for i in (0..back.ids.len()).rev() {
            ids.push(back.ids.get(i));
        }
        let back_order = back_order
            .into_iter()
            .map(|p| base + back_len - 1 - p)
            .collect();
        let order = merge(&ids, front_order, back_order);
        Ok((ids, order))
    }
}

/// Why a record could not be read back.
enum Damage {
    /// The scratch file does not hold what was written to it.
    Scratch,
    Record(StoreError),
}

/// The record of `place` from its bucket's blocks (`data`, each block's
/// start in the file and in `data`); none if the name index listed an id
/// without a record (a damaged index: the records decide).
fn record_in<'a>(
    data: &'a [u8],
    starts: &[(u64, usize)],
    places: &Places,
    place: usize,
    cloud: Cloud,
) -> Result<Option<CustomerView<'a>>, Damage> {
    let len = places.lens[place].load(Relaxed) as usize;
    if len == 0 {
        return Ok(None);
    }
    let offset = places.offsets[place].load(Relaxed);
    let block = starts.partition_point(|(start, _)| *start <= offset);
    let (start, at) = *block
        .checked_sub(1)
        .and_then(|b| starts.get(b))
        .ok_or(Damage::Scratch)?;
    let at = at + usize::try_from(offset - start).map_err(|_| Damage::Scratch)?;
    let bytes = data.get(at..at + len).ok_or(Damage::Scratch)?;
    let (key_len, rest) = bytes.split_at_checked(2).ok_or(Damage::Scratch)?;
    let key_len = usize::from(u16::from_le_bytes([key_len[0], key_len[1]]));
    let (key, value) = rest.split_at_checked(key_len).ok_or(Damage::Scratch)?;
    decode_view(cloud, key, value)
        .map(Some)
        .map_err(Damage::Record)
}

/// A scoped thread's result; its panic raised again here (a bug).
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    match handle.join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

fn short() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "a record ends early")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Customer;
    use crate::exchange::{DataWriter, Records};
    use crate::store::{Backend, DEFAULT_CACHE_BYTES, Store};

    /// The demo customers, some with what JSON and CSV must escape or
    /// quote, and names that sort by more than their first letter.
    fn odd_customers() -> Vec<Customer> {
        let mut customers = crate::demo::demo_customers().expect("the demo customers parse");
        let odd = [
            "Quote \" and \\ backslash",
            "Line\nbreak\tand tab",
            "Ctrl \u{1} \u{1f}",
            "Émile, Ünal; \"Zoë\"",
            "emile",
            "日本語の会社 🦀",
            "",
            " leading space",
        ];
        for (c, name) in customers.iter_mut().step_by(7).zip(odd.iter().cycle()) {
            c.company.name = name.to_string();
            c.billing.address.line2 = format!("{name}\r\n,\"");
        }
        customers
    }

    /// What the export wrote before it was made in parts: `serde_json`'s
    /// pretty array, and CSV a row at a time.
    fn expected(customers: &[Customer], records: Records) -> Vec<u8> {
        let mut sorted = customers.to_vec();
        sorted.sort_by_cached_key(|c| {
            let (name, id) = crate::domain::sort_key(c);
            (name, id.to_string())
        });
        match records {
            Records::Json => {
                let mut bytes = serde_json::to_vec_pretty(&sorted).expect("JSON");
                bytes.push(b'\n');
                bytes
            }
            Records::Csv(delimiter) => {
                let columns = crate::exchange::columns();
                let mut rows = csv::WriterBuilder::new()
                    .delimiter(delimiter)
                    .from_writer(Vec::new());
                rows.write_record(&columns).expect("CSV");
                for c in &sorted {
                    let values = columns
                        .iter()
                        .map(|col| crate::exchange::column_value(c, col));
                    rows.write_record(values).expect("CSV");
                }
                rows.into_inner().expect("CSV")
            }
        }
    }

    fn exported(store: &Store, records: Records) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut writer = match records {
            Records::Json => DataWriter::json(&mut bytes),
            Records::Csv(delimiter) => {
                DataWriter::csv_delimited(&mut bytes, delimiter).expect("CSV")
            }
        };
        let make = |views: &[CustomerView]| {
            let mut made = Vec::new();
            records.make(views, &mut made).expect("made");
            Ok(made)
        };
        store
            .by_name_on_cores(Cloud::Commercial, &make, &mut |made| {
                writer
                    .write_made_owned(made, &Default::default())
                    .expect("written");
                Ok(())
            })
            .expect("read by name");
        writer.finish().expect("finished");
        bytes
    }

    fn set_count(store: &Store, count: u64) {
        let Backend::Sled(sled) = &store.backend else {
            panic!("a sled store");
        };
        sled.trees
            .meta
            .insert(keys::count_key(Cloud::Commercial), &count.to_be_bytes())
            .expect("count set");
    }

    #[test]
    fn made_in_parts_on_two_threads_the_export_is_what_it_was_at_any_count() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = Store::open(dir.path(), DEFAULT_CACHE_BYTES).expect("store opens");
        let customers = odd_customers();
        store.seed_if_new(&customers).expect("seeded");
        let customers: Vec<Customer> = customers
            .into_iter()
            .filter(|c| c.cloud == Cloud::Commercial)
            .collect();
        assert!(
            customers.len() > 4 * BUCKET,
            "{} customers",
            customers.len()
        );
        let total = customers.len() as u64;
        // The right count, and wrong ones (a damaged store): the name
        // index is read from both ends, and what a wrong count leaves out
        // or reads twice is read again.
        for count in [
            total,
            0,
            1,
            total / 3,
            total - 1,
            total + 1,
            total + 17,
            10 * total,
        ] {
            set_count(&store, count);
            for records in [Records::Json, Records::Csv(b','), Records::Csv(b';')] {
                assert!(
                    exported(&store, records) == expected(&customers, records),
                    "{records:?} with the count at {count} of {total}"
                );
            }
        }
        assert!(
            !dir.path().join(SCRATCH).exists(),
            "the scratch file is removed"
        );
    }

    #[test]
    fn an_empty_cloud_exports_an_empty_array() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = Store::open(dir.path(), DEFAULT_CACHE_BYTES).expect("store opens");
        assert_eq!(exported(&store, Records::Json), b"[]\n");
        set_count(&store, 3);
        assert_eq!(exported(&store, Records::Json), b"[]\n");
    }
}
