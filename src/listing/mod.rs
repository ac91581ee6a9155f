//! The customer list at any size: compact rows in one text arena, the name
//! order, and the fuzzy filter that runs over them a slice at a time.
//!
//! A million customers as `Customer` values would take gigabytes; here a row
//! is its searchable text in one shared `String` plus 56 bytes, so a million
//! fit in about 200 MB, and full records are read only for what is on screen.

mod filter;
pub mod query;
mod row;
mod snapshot;

pub use filter::{Candidates, Matching};
pub use row::{Row, RowText};

use std::borrow::Cow;

use crate::domain::{Cloud, Customer, fold_name};
use query::{Fields, Folded, SEPARATOR};

/// Longest text a list field keeps (validation allows far less; this only
/// guards the arena's 16-bit offsets against a hand-edited store).
const FIELD_MAX: usize = 4096;

/// Where a row's text lives in the arena. Its fields, in order: name,
/// contact, email, city, domain, id, country, separated by `SEPARATOR`. The
/// first five are what plain filter words look at.
///
/// Two fields are kept shorter than they are (at a million rows, 36 MB
/// less): the domain without the `.onmicrosoft.com` nearly every domain
/// ends in (`flags` says which ending it had), which plain filter words
/// leave out anyway (letters every row has would only make every row a
/// candidate for the costly fuzzy match); and an id that is a UUID in its
/// usual form as its 16 bytes (`Listing::uuids`), its text left empty.
///
/// A row whose searched text is not ASCII also keeps it folded (ü → u, as
/// nucleo normalises it) after its fields, when that makes it ASCII: the
/// filter then takes nucleo's fast path for it without folding each time.
///
/// A slot is 40 bytes (a million rows: 40 MB), so nothing in it is kept
/// twice: the flags share a word with the letters, and the country's end
/// is where the folded copy starts (or the row ends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    updated: i64,
    /// `query::letters` of the searched text (the low 36 bits), and from
    /// `FLAGS_SHIFT` on the domain's common ending (`ENDING_BITS`) and
    /// whether the id is kept as a UUID (`UUID_ID`).
    letters_and_flags: u64,
    /// Where the row's text starts in the arena. (An arena past 4 GiB,
    /// some 30 million rows, would show the rows beyond it empty.)
    start: u32,
    /// (Saturated: no customer reaches four billion versions.)
    version: u32,
    /// End of each field but the last (the country), relative to `start`.
    ends: [u16; 6],
    /// Start of the folded searched text, relative to `start`, or `ASCII`
    /// or `NOT_FOLDED`.
    folded_at: u16,
    /// End of the row's text (the folded copy included), relative to `start`.
    end: u16,
}

// What the layout is for (a field added must pay its way).
const _: () = assert!(std::mem::size_of::<Slot>() == 40);

/// Where `Slot::letters_and_flags` keeps the flags.
const FLAGS_SHIFT: u32 = 48;

impl Slot {
    fn letters(&self) -> u64 {
        self.letters_and_flags & ((1 << FLAGS_SHIFT) - 1)
    }
    fn flags(&self) -> u16 {
        (self.letters_and_flags >> FLAGS_SHIFT) as u16
    }
    fn start(&self) -> usize {
        self.start as usize
    }
    /// End of field `n` (name 0 … country 6), relative to `start`.
    fn field_end(&self, n: usize) -> u16 {
        match self.ends.get(n) {
            Some(&end) => end,
            // The country: one separator before the folded copy, if any.
            None if self.folded_at > NOT_FOLDED => self.folded_at - 1,
            None => self.end,
        }
    }
}

/// `Slot::folded_at` of a row whose searched text is ASCII.
const ASCII: u16 = 0;
/// `Slot::folded_at` of a row whose searched text does not fold to ASCII
/// (or holds the separator, which would blur where fields end).
const NOT_FOLDED: u16 = 1;

/// Domain endings every customer of a cloud shares.
const COMMON_DOMAIN_ENDINGS: [&str; 2] = [".onmicrosoft.com", ".onmicrosoft.us"];

/// `Slot::flags`: which of `COMMON_DOMAIN_ENDINGS` (its index + 1) the
/// domain ends in, 0 for none.
const ENDING_BITS: u16 = 0b11;
/// `Slot::flags`: the id is kept as a UUID in `Listing::uuids`.
const UUID_ID: u16 = 0b100;

/// An id as its 16 bytes when it is a UUID written as `Uuid` writes one
/// (lower case, with hyphens), so that it reads back the same.
fn uuid_of(id: &str) -> Option<u128> {
    let uuid = uuid::Uuid::try_parse(id).ok()?;
    let mut written = [0u8; uuid::fmt::Hyphenated::LENGTH];
    (uuid.hyphenated().encode_lower(&mut written).as_bytes() == id.as_bytes())
        .then_some(uuid.as_u128())
}

/// `uuid` written out (`uuid_of`'s inverse), in a buffer of the caller's.
fn write_uuid(uuid: u128, into: &mut [u8; uuid::fmt::Hyphenated::LENGTH]) -> &str {
    uuid::Uuid::from_u128(uuid).hyphenated().encode_lower(into)
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    cloud: Cloud,
    text: String,
    slots: Vec<Slot>,
    /// Row indexes in list order: folded company name, then id.
    by_name: Vec<u32>,
    /// Per row, its id when `Slot::flags` has `UUID_ID` (else 0).
    uuids: Vec<u128>,
    /// Bytes of `text` no row points at any more.
    garbage: usize,
    /// Rows whose record breaks a rule added after it was saved, a bit a
    /// row by index (`set_attention`): a row costs an eighth of a byte, and
    /// the filter's `is:attention` one bit test.
    attention: Vec<u64>,
}

/// One row of the list, borrowed from it.
#[derive(Clone, Copy, Debug)]
pub struct RowRef<'a> {
    text: &'a str,
    slot: Slot,
    uuid: u128,
    cloud: Cloud,
    attention: bool,
}

impl<'a> RowRef<'a> {
    fn field(&self, n: usize) -> &'a str {
        let start = if n == 0 {
            0
        } else {
            usize::from(self.slot.field_end(n - 1)) + 1
        };
        self.text
            .get(start..usize::from(self.slot.field_end(n)))
            .unwrap_or("")
    }

    pub fn name(&self) -> &'a str {
        self.field(0)
    }
    pub fn contact(&self) -> &'a str {
        self.field(1)
    }
    pub fn email(&self) -> &'a str {
        self.field(2)
    }
    pub fn city(&self) -> &'a str {
        self.field(3)
    }
    /// The domain, its common ending put back (an allocation then: for
    /// what is drawn or written, not for every row a filter looks at).
    pub fn domain(&self) -> Cow<'a, str> {
        match self.domain_ending() {
            "" => Cow::Borrowed(self.field(4)),
            ending => Cow::Owned([self.field(4), ending].concat()),
        }
    }
    /// The domain without its common ending (`.onmicrosoft.com`), and that
    /// ending ("" for a domain without one).
    pub fn domain_parts(&self) -> (&'a str, &'static str) {
        (self.field(4), self.domain_ending())
    }
    /// The domain whole, borrowed or (its ending put back) written into
    /// `buffer`: no allocation, for a filter looking at every row.
    pub fn domain_in<'s>(&self, buffer: &'s mut String) -> &'s str
    where
        'a: 's,
    {
        match self.domain_parts() {
            (stem, "") => stem,
            (stem, ending) => {
                buffer.clear();
                buffer.push_str(stem);
                buffer.push_str(ending);
                buffer
            }
        }
    }
    fn domain_ending(&self) -> &'static str {
        let ending = usize::from(self.slot.flags() & ENDING_BITS);
        ending
            .checked_sub(1)
            .and_then(|n| COMMON_DOMAIN_ENDINGS.get(n))
            .copied()
            .unwrap_or("")
    }
    /// The id (an allocation when it is kept as a UUID: `has_id` and
    /// `id_starts_with` compare without one).
    pub fn id(&self) -> Cow<'a, str> {
        match self.id_text() {
            Some(id) => Cow::Borrowed(id),
            None => Cow::Owned(self.with_id(str::to_owned)),
        }
    }
    /// The id, borrowed or (kept as a UUID) written into `buffer`.
    pub fn id_in<'s>(&self, buffer: &'s mut String) -> &'s str
    where
        'a: 's,
    {
        match self.id_text() {
            Some(id) => id,
            None => {
                buffer.clear();
                self.with_id(|id| buffer.push_str(id));
                buffer
            }
        }
    }
    /// The id when it is kept as text.
    fn id_text(&self) -> Option<&'a str> {
        (self.slot.flags() & UUID_ID == 0).then(|| self.field(5))
    }
    /// Whether this is customer `id`'s row.
    pub fn has_id(&self, id: &str) -> bool {
        self.with_id(|own| own == id)
    }
    /// Whether the id starts with `prefix`, in any case.
    pub fn id_starts_with(&self, prefix: &str) -> bool {
        self.with_id(|id| {
            id.get(..prefix.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
        })
    }
    fn with_id<T>(&self, f: impl FnOnce(&str) -> T) -> T {
        if let Some(id) = self.id_text() {
            return f(id);
        }
        let mut written = [0u8; uuid::fmt::Hyphenated::LENGTH];
        f(write_uuid(self.uuid, &mut written))
    }
    pub fn country(&self) -> &'a str {
        self.field(6)
    }
    pub fn updated(&self) -> i64 {
        self.slot.updated
    }
    pub fn version(&self) -> u64 {
        u64::from(self.slot.version)
    }
    /// Whether its record breaks a rule added after it was saved (as far
    /// as the records were checked: `Listing::set_attention`).
    pub fn needs_attention(&self) -> bool {
        self.attention
    }

    /// What the filter looks at.
    pub fn fields(&self) -> Fields<'a> {
        let folded = match self.slot.folded_at {
            ASCII => Folded::Ascii,
            NOT_FOLDED => Folded::No,
            at => Folded::Kept(self.text.get(usize::from(at)..).unwrap_or("")),
        };
        Fields {
            searched: [
                self.name(),
                self.contact(),
                self.email(),
                self.city(),
                // Without the ending every domain shares.
                self.field(4),
            ],
            folded,
            row: *self,
            cloud: self.cloud,
            letters: self.slot.letters(),
        }
    }

    pub fn to_row(&self) -> Row {
        Row {
            id: self.id().into_owned(),
            name: self.name().into(),
            domain: self.domain().into_owned(),
            contact: self.contact().into(),
            email: self.email().into(),
            city: self.city().into(),
            country: self.country().into(),
            updated: self.updated(),
            version: self.version(),
        }
    }
}

/// Cuts a field to `FIELD_MAX` bytes at a character boundary.
fn clip(s: &str) -> &str {
    if s.len() <= FIELD_MAX {
        return s;
    }
    let mut end = FIELD_MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl Listing {
    pub fn new(cloud: Cloud) -> Listing {
        Listing {
            cloud,
            ..Listing::default()
        }
    }

    /// A list of these customers, in any order.
    pub fn of_customers(cloud: Cloud, customers: &[Customer]) -> Listing {
        let rows: Vec<Row> = customers.iter().map(Row::of).collect();
        Listing::of_rows(cloud, &rows)
    }

    /// A list of these rows, in any order.
    pub fn of_rows(cloud: Cloud, rows: &[Row]) -> Listing {
        let mut listing = Listing::new(cloud);
        let mut sorted: Vec<&Row> = rows.iter().collect();
        sorted.sort_by_cached_key(|r| (fold_name(&r.name), r.id.clone()));
        for row in sorted {
            listing.push_sorted(&row.as_text());
        }
        listing
    }

    pub fn cloud(&self) -> Cloud {
        self.cloud
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<RowRef<'_>> {
        let slot = *self.slots.get(index)?;
        let end = slot.start() + usize::from(slot.end);
        Some(RowRef {
            text: self.text.get(slot.start()..end).unwrap_or(""),
            slot,
            uuid: self.uuids.get(index).copied().unwrap_or(0),
            cloud: self.cloud,
            attention: self.flagged(index),
        })
    }

    /// The listed name and version of each of `ids` that is listed, by id:
    /// one pass over the rows (for changes made elsewhere, whose old name
    /// the list alone knows).
    pub fn names_and_versions(
        &self,
        ids: &std::collections::HashSet<&str>,
    ) -> std::collections::HashMap<String, (String, u64)> {
        (0..self.len())
            .filter_map(|index| self.get(index))
            .filter_map(|row| {
                let id = row.with_id(|id| ids.contains(id).then(|| id.to_string()))?;
                Some((id, (row.name().to_string(), row.version())))
            })
            .collect()
    }

    fn flagged(&self, index: usize) -> bool {
        self.attention
            .get(index / 64)
            .is_some_and(|bits| bits & (1 << (index % 64)) != 0)
    }

    /// Marks row `index` as needing attention (its record breaks a rule
    /// added after it was saved) or not.
    pub fn set_attention(&mut self, index: usize, on: bool) {
        let word = index / 64;
        if on && self.attention.len() <= word {
            self.attention.resize(word + 1, 0);
        }
        if let Some(bits) = self.attention.get_mut(word) {
            if on {
                *bits |= 1 << (index % 64);
            } else {
                *bits &= !(1 << (index % 64));
            }
        }
    }

    /// How many rows need attention.
    pub fn attention_count(&self) -> usize {
        self.attention.iter().map(|b| b.count_ones() as usize).sum()
    }

    /// Row indexes in name order.
    pub fn by_name(&self) -> &[u32] {
        &self.by_name
    }

    /// Puts a row's text in the arena; returns its slot and its id as a
    /// UUID (0 when kept as text).
    fn store_text(&mut self, row: &RowText) -> (Slot, u128) {
        // Rewritten rows leave their old text behind; past half garbage the
        // arena is rebuilt, so it stays within twice its live size.
        if self.text.len() > 1 << 20 && self.garbage > self.text.len() / 2 {
            self.compact();
        }
        let start = self.text.len();
        // (Compared in place: this runs for every row loaded.)
        let whole_domain = clip(row.domain);
        let ending = COMMON_DOMAIN_ENDINGS
            .iter()
            .position(|e| whole_domain.len() > e.len() && whole_domain.ends_with(e));
        let domain = ending.map_or(whole_domain, |n| {
            &whole_domain[..whole_domain.len() - COMMON_DOMAIN_ENDINGS[n].len()]
        });
        let uuid = uuid_of(row.id);
        let mut flags = ending.map_or(0, |n| n as u16 + 1);
        if uuid.is_some() {
            flags |= UUID_ID;
        }
        let mut ends = [0u16; 6];
        let fields = [
            clip(row.name),
            clip(row.contact),
            clip(row.email),
            clip(row.city),
            domain,
            if uuid.is_some() { "" } else { clip(row.id) },
            clip(row.country),
        ];
        for (n, field) in fields.into_iter().enumerate() {
            if n > 0 {
                self.text.push(SEPARATOR);
            }
            self.text.push_str(field);
            if let Some(end) = ends.get_mut(n) {
                *end = u16::try_from(self.text.len() - start).unwrap_or(u16::MAX);
            }
        }
        let searched = self
            .text
            .get(start..start + usize::from(ends[4]))
            .unwrap_or_default();
        let letters = query::letters(searched);
        let folded_at = if searched.is_ascii() {
            ASCII
        } else {
            self.push_folded(start, fields.into_iter().take(5))
        };
        let slot = Slot {
            updated: row.updated,
            start: u32::try_from(start).unwrap_or(u32::MAX),
            letters_and_flags: letters | u64::from(flags) << FLAGS_SHIFT,
            version: u32::try_from(row.version).unwrap_or(u32::MAX),
            ends,
            folded_at,
            end: u16::try_from(self.text.len() - start).unwrap_or(u16::MAX),
        };
        (slot, uuid.unwrap_or(0))
    }

    /// Appends the searched fields of the row stored from `start` folded
    /// (`query::fold_ascii`), if each folds to ASCII without the separator;
    /// returns `Slot::folded_at`. A field that is ASCII already is kept
    /// once, not twice: its folded part is left empty (`Fields::source`
    /// reads such a part as the field itself), which at a million rows
    /// saves tens of MB (emails and domains are nearly always ASCII).
    fn push_folded<'f>(&mut self, start: usize, fields: impl Iterator<Item = &'f str>) -> u16 {
        let end = self.text.len();
        let Some(at) = u16::try_from(end + 1 - start)
            .ok()
            .filter(|&at| at > NOT_FOLDED)
        else {
            return NOT_FOLDED;
        };
        for field in fields {
            self.text.push(SEPARATOR);
            if field.is_ascii() {
                continue;
            }
            let field_start = self.text.len();
            // (A field that folds to nothing would read as "ASCII as it is".)
            if !query::fold_ascii(field, &mut self.text)
                || self.text.len() == field_start
                || self.text[field_start..].contains(SEPARATOR)
            {
                self.text.truncate(end);
                return NOT_FOLDED;
            }
        }
        at
    }

    fn compact(&mut self) {
        let mut text = String::with_capacity(self.text.len() / 2);
        for slot in &mut self.slots {
            let end = slot.start() + usize::from(slot.end);
            let start = text.len();
            text.push_str(self.text.get(slot.start()..end).unwrap_or(""));
            slot.start = u32::try_from(start).unwrap_or(u32::MAX);
        }
        self.text = text;
        self.garbage = 0;
    }

    /// A row rewritten by a commit: what was saved passed today's rules.
    fn replace_slot(&mut self, index: usize, row: &Row) {
        self.set_attention(index, false);
        let (slot, uuid) = self.store_text(&row.as_text());
        if let Some(old) = self.slots.get_mut(index) {
            self.garbage += usize::from(old.end);
            *old = slot;
        }
        if let Some(old) = self.uuids.get_mut(index) {
            *old = uuid;
        }
    }

    /// Appends a row's slot and id; returns its index.
    fn push_slot(&mut self, row: &RowText) -> u32 {
        let (slot, uuid) = self.store_text(row);
        let index = self.slots.len() as u32;
        self.slots.push(slot);
        self.uuids.push(uuid);
        index
    }

    /// Appends a row that sorts after every row already listed (the store
    /// hands rows over in name order).
    pub fn push_sorted(&mut self, row: &RowText) {
        let index = self.push_slot(row);
        self.by_name.push(index);
    }

    /// Makes room for `rows` rows in all, their text estimated from the
    /// rows already here, so a streamed list does not grow by doubling
    /// (which leaves up to half of a large arena unused).
    pub fn reserve_for(&mut self, rows: usize) {
        let more = rows.saturating_sub(self.slots.len());
        let average = self.text.len() / self.slots.len().max(1) + 1;
        self.slots.reserve_exact(more);
        self.uuids.reserve_exact(more);
        self.by_name.reserve_exact(more);
        self.text
            .reserve_exact(more * average + more / 10 * average);
    }

    /// Gives back what `reserve_for` over-estimated.
    pub fn shrink_to_fit(&mut self) {
        self.slots.shrink_to_fit();
        self.uuids.shrink_to_fit();
        self.by_name.shrink_to_fit();
        self.text.shrink_to_fit();
    }

    /// Appends rows that all sort after the ones listed (the next chunk of
    /// a list streamed in name order).
    pub fn append(&mut self, mut more: Listing) {
        let offset = self.text.len();
        let base = self.slots.len() as u32;
        self.text.push_str(&more.text);
        self.garbage += more.garbage;
        for slot in &mut more.slots {
            slot.start = u32::try_from(slot.start() + offset).unwrap_or(u32::MAX);
        }
        self.slots.append(&mut more.slots);
        self.uuids.append(&mut more.uuids);
        for index in (0..more.attention.len() * 64).filter(|&i| more.flagged(i)) {
            self.set_attention(base as usize + index, true);
        }
        self.by_name
            .extend(more.by_name.into_iter().map(|index| index + base));
    }

    fn name_key(&self, index: u32) -> (String, Cow<'_, str>) {
        match self.get(index as usize) {
            Some(r) => (fold_name(r.name()), r.id()),
            None => (String::new(), Cow::Borrowed("")),
        }
    }

    /// Where (name, id) is or would be in the name order.
    fn name_position(&self, name: &str, id: &str) -> usize {
        let key = (fold_name(name), id);
        self.by_name.partition_point(|&i| {
            let (n, i) = self.name_key(i);
            (n.as_str(), i.as_ref()) < (key.0.as_str(), key.1)
        })
    }

    /// The position in the name order and the index of customer `id`,
    /// listed under `name`.
    fn locate(&self, name: &str, id: &str) -> Option<(usize, usize)> {
        let position = self.name_position(name, id);
        let index = *self.by_name.get(position)? as usize;
        self.get(index)?.has_id(id).then_some((position, index))
    }

    /// The row of customer `id` named `name`, found through the name order
    /// (so without looking at every row).
    pub fn find(&self, name: &str, id: &str) -> Option<usize> {
        self.locate(name, id).map(|(_, index)| index)
    }

    /// Puts a changed or new row in place, keeping the name order; `old_name`
    /// is the name the row was listed under, if it was. Returns its index.
    pub fn upsert(&mut self, old_name: Option<&str>, row: &Row) -> usize {
        let existing = old_name.and_then(|name| Some((name, self.locate(name, &row.id)?)));
        match existing {
            Some((old, (position, index))) => {
                let moved = fold_name(old) != fold_name(&row.name);
                if moved {
                    self.by_name.remove(position);
                }
                self.replace_slot(index, row);
                if moved {
                    let to = self.name_position(&row.name, &row.id);
                    self.by_name.insert(to, index as u32);
                }
                index
            }
            None => {
                let index = self.push_slot(&row.as_text());
                let to = self.name_position(&row.name, &row.id);
                self.by_name.insert(to, index);
                index as usize
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, name: &str) -> Row {
        Row {
            id: id.into(),
            name: name.into(),
            domain: format!("{id}.example"),
            country: "DE".into(),
            ..Row::default()
        }
    }

    fn names(l: &Listing) -> Vec<&str> {
        l.by_name()
            .iter()
            .filter_map(|&i| l.get(i as usize).map(|r| r.name()))
            .collect()
    }

    #[test]
    fn rows_keep_their_fields() {
        let r = Row {
            id: "42".into(),
            name: "Müller|GmbH".into(),
            domain: "m.example".into(),
            contact: "Anna Schäfer".into(),
            email: "a@m.example".into(),
            city: "Köln".into(),
            country: "DE".into(),
            updated: 7,
            version: 3,
        };
        let l = Listing::of_rows(Cloud::Commercial, std::slice::from_ref(&r));
        assert_eq!(l.get(0).unwrap().to_row(), r);
        assert!(l.get(1).is_none());
    }

    #[test]
    fn uuid_ids_and_common_domain_endings_are_kept_short_and_read_back_whole() {
        let uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";
        let rows = [
            Row {
                id: uuid.into(),
                domain: "contoso.onmicrosoft.com".into(),
                ..row("x", "Contoso")
            },
            Row {
                // Not as `Uuid` writes it: kept as text, as it is.
                id: uuid.to_uppercase(),
                domain: "fabrikam.onmicrosoft.us".into(),
                ..row("x", "Fabrikam")
            },
            Row {
                id: "{0f8fad5b-d9cb-469f-a165-70867728950e}".into(),
                domain: ".onmicrosoft.com".into(),
                ..row("x", "Litware")
            },
        ];
        let l = Listing::of_rows(Cloud::Commercial, &rows);
        for (n, r) in rows.iter().enumerate() {
            let got = l.get(l.find(&r.name, &r.id).unwrap()).unwrap();
            assert_eq!(got.to_row(), *r, "row {n}");
            assert!(got.has_id(&r.id));
            assert!(got.id_starts_with(&r.id[..9].to_lowercase()), "row {n}");
        }
        let contoso = l.get(l.find("Contoso", uuid).unwrap()).unwrap();
        assert_eq!(contoso.domain_parts(), ("contoso", ".onmicrosoft.com"));
        assert_eq!(contoso.id(), uuid);
        assert!(!contoso.has_id(&uuid.to_uppercase()));
        // Its text holds neither the ending nor the id.
        assert!(!contoso.text.contains("onmicrosoft") && !contoso.text.contains("0f8fad5b"));
        // Field words see them whole (written into the filter's buffer).
        let mut matcher = query::new_matcher();
        let mut scratch = query::Scratch::default();
        let mut matching = |words: &str| -> Vec<String> {
            let q = query::Query::new(words);
            (0..l.len())
                .filter_map(|i| l.get(i))
                .filter(|r| q.score(&r.fields(), &mut matcher, &mut scratch).is_some())
                .map(|r| r.name().to_string())
                .collect()
        };
        assert_eq!(
            matching("id:0f8fad5b-d9cb-469f"),
            ["Contoso", "Fabrikam", "Litware"]
        );
        assert_eq!(matching("domain:fabrikam.onmicrosoft.us"), ["Fabrikam"]);
        let mut bytes = Vec::new();
        l.write_snapshot(&mut bytes).unwrap();
        assert_eq!(
            Listing::read_snapshot(Cloud::Commercial, &mut bytes.as_slice()).unwrap(),
            l
        );
    }

    #[test]
    fn names_are_ordered_without_case_or_accents() {
        let l = Listing::of_rows(
            Cloud::Commercial,
            &[row("1", "Zeta"), row("2", "ärzte"), row("3", "Beta")],
        );
        assert_eq!(names(&l), ["ärzte", "Beta", "Zeta"]);
    }

    #[test]
    fn renaming_moves_a_row_and_keeps_its_index() {
        let mut l = Listing::of_rows(
            Cloud::Commercial,
            &[row("1", "Alpha"), row("2", "Beta"), row("3", "Gamma")],
        );
        let index = l.find("Alpha", "1").unwrap();
        assert_eq!(l.upsert(Some("Alpha"), &row("1", "Omega")), index);
        assert_eq!(names(&l), ["Beta", "Gamma", "Omega"]);
        assert_eq!(l.find("Omega", "1"), Some(index));
        assert_eq!(l.find("Alpha", "1"), None);
        let new = l.upsert(None, &row("4", "Delta"));
        assert_eq!(names(&l), ["Beta", "Delta", "Gamma", "Omega"]);
        assert_eq!(l.len(), 4);
        assert_eq!(l.get(new).unwrap().id(), "4");
    }

    #[test]
    fn chunks_streamed_in_name_order_append_to_one_list() {
        let mut first = Listing::of_rows(Cloud::Commercial, &[row("1", "Alpha"), row("2", "Beta")]);
        first.reserve_for(4);
        let more = Listing::of_rows(Cloud::Commercial, &[row("3", "Gamma"), row("4", "Delta")]);
        first.append(more);
        first.shrink_to_fit();
        assert_eq!(names(&first), ["Alpha", "Beta", "Delta", "Gamma"]);
        assert_eq!(
            first
                .find("Gamma", "3")
                .and_then(|i| first.get(i))
                .unwrap()
                .domain(),
            "3.example"
        );
    }

    #[test]
    fn rewritten_text_is_compacted() {
        let mut l = Listing::of_rows(Cloud::Commercial, &[row("1", "Alpha")]);
        let long = "x".repeat(3000);
        for n in 0..2000 {
            let name = format!("{long}{n}");
            let old = l.get(0).unwrap().name().to_string();
            l.upsert(Some(&old), &row("1", &name));
        }
        assert!(l.text.len() < 3 * 3100 * 2 + (1 << 20));
        assert!(l.get(0).unwrap().name().ends_with("1999"));
    }
}
