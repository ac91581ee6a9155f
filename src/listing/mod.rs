//! The customer list at any size: compact rows in one text arena, the name
//! order, and the fuzzy filter that runs over them a slice at a time.
//!
//! A million customers as `Customer` values would take gigabytes; here a row
//! is its searchable text in one shared `String` plus 48 bytes, so a million
//! fit in about 200 MB, and full records are read only for what is on screen.

mod filter;
pub mod query;
mod row;
mod snapshot;

pub use filter::{Candidates, Matching};
pub use row::{Row, RowText};

use crate::domain::{Cloud, Customer, fold_name};
use query::{Fields, Folded, SEPARATOR};

/// Longest text a list field keeps (validation allows far less; this only
/// guards the arena's 16-bit offsets against a hand-edited store).
const FIELD_MAX: usize = 4096;

/// Where a row's text lives in the arena. Its fields, in order: name,
/// contact, email, city, domain, id, country, separated by `SEPARATOR`. The
/// first five are what plain filter words look at (`hay_end`), without the
/// `.onmicrosoft.com` every domain ends in: letters every row has would
/// only make every row a candidate for the (costly) fuzzy match.
///
/// A row whose searched text is not ASCII also keeps it folded (ü → u, as
/// nucleo normalises it) after its fields, when that makes it ASCII: the
/// filter then takes nucleo's fast path for it without folding each time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    updated: i64,
    start: usize,
    /// `query::letters` of the searched text.
    letters: u64,
    /// (Saturated: no customer reaches four billion versions.)
    version: u32,
    /// End of each field, relative to `start`.
    ends: [u16; 7],
    /// End of the searched text (the first five fields, the domain
    /// without its common ending), relative to `start`.
    hay_end: u16,
    /// Start of the folded searched text, relative to `start`, or `ASCII`
    /// or `NOT_FOLDED`.
    folded_at: u16,
    /// End of the row's text (the folded copy included), relative to `start`.
    end: u16,
}

/// `Slot::folded_at` of a row whose searched text is ASCII.
const ASCII: u16 = 0;
/// `Slot::folded_at` of a row whose searched text does not fold to ASCII
/// (or holds the separator, which would blur where fields end).
const NOT_FOLDED: u16 = 1;

/// Domain endings every customer of a cloud shares.
const COMMON_DOMAIN_ENDINGS: [&str; 2] = [".onmicrosoft.com", ".onmicrosoft.us"];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    cloud: Cloud,
    text: String,
    slots: Vec<Slot>,
    /// Row indexes in list order: folded company name, then id.
    by_name: Vec<u32>,
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
    cloud: Cloud,
    attention: bool,
}

impl<'a> RowRef<'a> {
    fn field(&self, n: usize) -> &'a str {
        let start = if n == 0 {
            0
        } else {
            usize::from(self.slot.ends[n - 1]) + 1
        };
        self.text
            .get(start..usize::from(self.slot.ends[n]))
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
    pub fn domain(&self) -> &'a str {
        self.field(4)
    }
    pub fn id(&self) -> &'a str {
        self.field(5)
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

    /// The row's text, borrowed.
    pub fn text(&self) -> RowText<'a> {
        RowText {
            id: self.id(),
            name: self.name(),
            domain: self.domain(),
            contact: self.contact(),
            email: self.email(),
            city: self.city(),
            country: self.country(),
            updated: self.updated(),
            version: self.version(),
        }
    }

    /// What the filter looks at.
    pub fn fields(&self) -> Fields<'a> {
        // The domain without the ending every domain shares.
        let domain_start = usize::from(self.slot.ends[3]) + 1;
        let domain = self
            .text
            .get(domain_start..usize::from(self.slot.hay_end).max(domain_start))
            .unwrap_or("");
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
                domain,
            ],
            folded,
            row: *self,
            cloud: self.cloud,
            letters: self.slot.letters,
        }
    }

    pub fn to_row(&self) -> Row {
        self.text().to_row()
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
        let end = slot.start + usize::from(slot.end);
        Some(RowRef {
            text: self.text.get(slot.start..end).unwrap_or(""),
            slot,
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
            .filter(|row| ids.contains(row.id()))
            .map(|row| {
                (
                    row.id().to_string(),
                    (row.name().to_string(), row.version()),
                )
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

    fn store_text(&mut self, row: &RowText) -> Slot {
        // Rewritten rows leave their old text behind; past half garbage the
        // arena is rebuilt, so it stays within twice its live size.
        if self.text.len() > 1 << 20 && self.garbage > self.text.len() / 2 {
            self.compact();
        }
        let start = self.text.len();
        let mut ends = [0u16; 7];
        let fields = [
            row.name,
            row.contact,
            row.email,
            row.city,
            row.domain,
            row.id,
            row.country,
        ];
        for (n, field) in fields.into_iter().enumerate() {
            if n > 0 {
                self.text.push(SEPARATOR);
            }
            self.text.push_str(clip(field));
            ends[n] = u16::try_from(self.text.len() - start).unwrap_or(u16::MAX);
        }
        // (Compared in place: this runs for every row loaded.)
        let domain = clip(row.domain).as_bytes();
        let common = COMMON_DOMAIN_ENDINGS
            .iter()
            .find(|e| {
                domain.len() >= e.len()
                    && domain[domain.len() - e.len()..].eq_ignore_ascii_case(e.as_bytes())
            })
            .map_or(0, |e| e.len() as u16);
        let hay_end = ends[4].saturating_sub(common);
        let searched = self
            .text
            .get(start..start + usize::from(hay_end))
            .unwrap_or_default();
        let letters = query::letters(searched);
        let folded_at = if searched.is_ascii() {
            ASCII
        } else {
            let domain = clip(row.domain);
            let domain = domain
                .get(..domain.len() - usize::from(common))
                .unwrap_or(domain);
            let fields = [row.name, row.contact, row.email, row.city].map(clip);
            self.push_folded(start, fields.into_iter().chain([domain]))
        };
        Slot {
            updated: row.updated,
            start,
            letters,
            version: u32::try_from(row.version).unwrap_or(u32::MAX),
            ends,
            hay_end,
            folded_at,
            end: u16::try_from(self.text.len() - start).unwrap_or(u16::MAX),
        }
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
            let end = slot.start + usize::from(slot.end);
            let start = text.len();
            text.push_str(self.text.get(slot.start..end).unwrap_or(""));
            slot.start = start;
        }
        self.text = text;
        self.garbage = 0;
    }

    /// A row rewritten by a commit: what was saved passed today's rules.
    fn replace_slot(&mut self, index: usize, row: &Row) {
        self.set_attention(index, false);
        let slot = self.store_text(&row.as_text());
        if let Some(old) = self.slots.get_mut(index) {
            self.garbage += usize::from(old.end);
            *old = slot;
        }
    }

    /// Appends a row that sorts after every row already listed (the store
    /// hands rows over in name order).
    pub fn push_sorted(&mut self, row: &RowText) {
        let slot = self.store_text(row);
        let index = self.slots.len() as u32;
        self.slots.push(slot);
        self.by_name.push(index);
    }

    /// Makes room for `rows` rows in all, their text estimated from the
    /// rows already here, so a streamed list does not grow by doubling
    /// (which leaves up to half of a large arena unused).
    pub fn reserve_for(&mut self, rows: usize) {
        let more = rows.saturating_sub(self.slots.len());
        let average = self.text.len() / self.slots.len().max(1) + 1;
        self.slots.reserve_exact(more);
        self.by_name.reserve_exact(more);
        self.text
            .reserve_exact(more * average + more / 10 * average);
    }

    /// Gives back what `reserve_for` over-estimated.
    pub fn shrink_to_fit(&mut self) {
        self.slots.shrink_to_fit();
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
            slot.start += offset;
        }
        self.slots.append(&mut more.slots);
        for index in (0..more.attention.len() * 64).filter(|&i| more.flagged(i)) {
            self.set_attention(base as usize + index, true);
        }
        self.by_name
            .extend(more.by_name.into_iter().map(|index| index + base));
    }

    fn name_key(&self, index: u32) -> (String, &str) {
        match self.get(index as usize) {
            Some(r) => (fold_name(r.name()), r.id()),
            None => (String::new(), ""),
        }
    }

    /// Where (name, id) is or would be in the name order.
    fn name_position(&self, name: &str, id: &str) -> usize {
        let key = (fold_name(name), id);
        self.by_name.partition_point(|&i| {
            let (n, i) = self.name_key(i);
            (n.as_str(), i) < (key.0.as_str(), key.1)
        })
    }

    /// The position in the name order and the index of customer `id`,
    /// listed under `name`.
    fn locate(&self, name: &str, id: &str) -> Option<(usize, usize)> {
        let position = self.name_position(name, id);
        let index = *self.by_name.get(position)? as usize;
        (self.get(index)?.id() == id).then_some((position, index))
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
                let slot = self.store_text(&row.as_text());
                let index = self.slots.len();
                self.slots.push(slot);
                let to = self.name_position(&row.name, &row.id);
                self.by_name.insert(to, index as u32);
                index
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
