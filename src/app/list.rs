//! The list side of the state: which rows show in which order, the filter
//! job that computes them a slice at a time, and the full records kept for
//! what is on screen.

use std::collections::HashMap;

use super::{BrowseOverlay, FormKind, Screen, SortBy, State};
use crate::domain::Customer;
use crate::listing::query::Query;
use crate::listing::{Candidates, Listing, Matching, Row, RowRef};

/// Rows the first step of a filter looks at: 2–4 ms of matching on both
/// cores of this project's 2-core machine at a million customers, so a key
/// typed meanwhile waits at most that long and frames keep coming. Later
/// steps are sized by the runtime from how long the last one took
/// (`next_step_rows`): every step has a cost of its own (threads, joining,
/// the runtime's loop), and a query over a million rows in 12,000-row steps
/// paid it 83 times.
pub const FILTER_STEP_ROWS: usize = 12_000;

/// How long a filter step should take: short enough that a key typed during
/// one is drawn well within a frame.
const FILTER_STEP_TIME: std::time::Duration = std::time::Duration::from_millis(5);

/// The rows for the next step of a filter, from the last one: `rows` looked
/// at in `took`. Halfway to the size that takes `FILTER_STEP_TIME`, so one
/// slow or quick step does not swing it, and never below `FILTER_STEP_ROWS`
/// / 2 or above 4 × `FILTER_STEP_ROWS`.
pub fn next_step_rows(rows: usize, took: std::time::Duration) -> usize {
    let took = took.as_micros().max(1);
    let ideal = rows as u128 * FILTER_STEP_TIME.as_micros() / took;
    let ideal = usize::try_from(ideal).unwrap_or(usize::MAX);
    (rows / 2)
        .saturating_add(ideal / 2)
        .clamp(FILTER_STEP_ROWS / 2, FILTER_STEP_ROWS * 4)
}

/// Most customers a bulk change takes at once: their full records are held
/// in memory for the review.
pub const BULK_MAX: usize = 50_000;

/// The list's rows and what is derived from them.
#[derive(Debug, Default)]
pub struct ListState {
    pub listing: Listing,
    /// Row indexes in the current sort order; `None` is the name order.
    order: Option<Vec<u32>>,
    /// The rows shown, in order, with where the last word of their query
    /// matched (see `Candidates`); `None` is every row in sort order.
    visible: Option<Candidates>,
    /// The query `visible` is the result of.
    shown: Query,
    /// A filter still working out its result (the list shows the last one).
    pub matching: Option<Matching>,
    /// Full records: the ones `needed_records` names (the selected
    /// customer, a draft's, the form's, a submitted bulk form's), and others
    /// read earlier until more than 256 of them pile up (`put_records`).
    /// Before each frame the runtime reads the missing ones from the store
    /// (`wanted_records`, `tui::provide_records`); a list made from full
    /// records (`State::new`, tests) starts with all of them.
    pub records: HashMap<String, Customer>,
    /// While rows still stream in: how many the cloud has, and the ids
    /// changed here meanwhile (their streamed rows are older).
    pub loading: Option<Loading>,
    /// A reload asked for by changes elsewhere: the customer that was
    /// selected, to select again once its row is listed.
    pub reselect: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Loading {
    pub total: usize,
    pub changed: std::collections::HashSet<String>,
}

impl Clone for ListState {
    fn clone(&self) -> ListState {
        ListState {
            listing: self.listing.clone(),
            order: self.order.clone(),
            visible: self.visible.clone(),
            shown: self.shown.clone(),
            // A job in flight is not worth copying: the copy restarts it.
            matching: None,
            records: self.records.clone(),
            loading: self.loading.clone(),
            reselect: self.reselect.clone(),
        }
    }
}

impl ListState {
    pub fn order(&self) -> &[u32] {
        self.order.as_deref().unwrap_or(self.listing.by_name())
    }

    pub fn visible(&self) -> &[u32] {
        self.visible
            .as_ref()
            .map_or(self.order(), |found| &found.rows)
    }

    pub fn row(&self, position: usize) -> Option<RowRef<'_>> {
        let index = *self.visible().get(position)?;
        self.listing.get(index as usize)
    }

    /// The query the shown rows answer.
    pub fn shown_query(&self) -> &Query {
        &self.shown
    }

    /// How many customers the cloud has (also while loading).
    pub fn total(&self) -> usize {
        match &self.loading {
            Some(l) => l.total.max(self.listing.len()),
            None => self.listing.len(),
        }
    }

    /// A stable sort of the name order by `sort` (ties stay by name). Each
    /// row's key is read once and the (key, place in the name order) pairs
    /// sorted as numbers: comparing rows through the arena took half a
    /// second at a million customers, a frozen screen after `s`.
    fn sort(&mut self, sort: SortBy) {
        let l = &self.listing;
        let by_name = l.by_name();
        let rows = || by_name.iter().map(|&index| l.get(index as usize));
        let keys: Vec<u64> = match sort {
            SortBy::Name => {
                self.order = None;
                return;
            }
            SortBy::Country => country_keys(rows().map(|row| row.map(|r| r.country()))),
            // Newest first: the time's order as an unsigned number, reversed.
            SortBy::Updated => rows()
                .map(|row| row.map_or(u64::MAX, |r| !((r.updated() as u64) ^ (1 << 63))))
                .collect(),
            // Highest first.
            SortBy::Version => rows()
                .map(|row| row.map_or(u64::MAX, |r| !r.version()))
                .collect(),
        };
        let mut keyed: Vec<(u64, u32)> = keys
            .into_iter()
            .enumerate()
            .map(|(place, key)| (key, place as u32))
            .collect();
        keyed.sort_unstable();
        self.order = Some(
            keyed
                .into_iter()
                .filter_map(|(_, place)| by_name.get(place as usize).copied())
                .collect(),
        );
    }
}

/// Numbers that order like the country codes they stand for: the code's
/// bytes themselves (big-endian, padded with zeros) when every code fits in
/// eight bytes without a zero byte (ISO codes do), else each code's rank
/// among the distinct ones. A row that could not be read sorts last.
fn country_keys<'a>(countries: impl Iterator<Item = Option<&'a str>> + Clone) -> Vec<u64> {
    let packed = |code: &str| {
        if code.len() > 8 || code.bytes().any(|b| b == 0) {
            return None;
        }
        let mut bytes = [0u8; 8];
        bytes[..code.len()].copy_from_slice(code.as_bytes());
        Some(u64::from_be_bytes(bytes))
    };
    // One pass when every code packs (the common case).
    let keys: Option<Vec<u64>> = countries
        .clone()
        .map(|code| code.map_or(Some(u64::MAX), packed))
        .collect();
    if let Some(keys) = keys {
        return keys;
    }
    let mut rank: HashMap<&str, u64> = HashMap::new();
    for code in countries.clone().flatten() {
        rank.entry(code).or_default();
    }
    let mut codes: Vec<&str> = rank.keys().copied().collect();
    codes.sort_unstable();
    for (n, code) in codes.into_iter().enumerate() {
        rank.insert(code, n as u64);
    }
    countries
        .map(|code| code.and_then(|c| rank.get(c).copied()).unwrap_or(u64::MAX))
        .collect()
}

impl State {
    /// Replaces the list (a new cloud, or the first rows of a large one).
    pub fn set_list(&mut self, listing: Listing, records: Vec<Customer>) {
        self.list.listing = listing;
        if let Some(loading) = &self.list.loading {
            self.list.listing.reserve_for(loading.total);
        }
        self.list.records = records.into_iter().map(|c| (c.id.clone(), c)).collect();
        self.list.sort(self.sort);
        self.apply_filter(None);
    }

    /// Rows streamed in after the first page, in name order. A customer
    /// changed here meanwhile is listed already, newer: its streamed row
    /// is left out.
    pub fn add_rows(&mut self, rows: Listing, done: bool) {
        let keep = self.selected_index();
        let changed = self.list.loading.as_ref().map(|l| &l.changed);
        if changed.is_some_and(|c| !c.is_empty()) {
            for &index in rows.by_name() {
                if let Some(row) = rows.get(index as usize)
                    && !changed.is_some_and(|c| c.contains(row.id().as_ref()))
                {
                    self.list.listing.push_sorted(&row.to_row().as_text());
                }
            }
        } else {
            self.list.listing.append(rows);
        }
        if done {
            self.list.loading = None;
            self.list.listing.shrink_to_fit();
        }
        self.list.sort(self.sort);
        self.refilter(keep);
        self.select_kept();
    }

    /// Marks the rows of customers (name, id) whose records need attention;
    /// a filter asking for them (`is:attention`) runs again to show them.
    pub fn mark_attention(&mut self, found: &[(String, String)]) {
        for (name, id) in found {
            // Read before a save here fixed it (a page of a PostgreSQL
            // store's records is read ahead): the record held is newer.
            if self
                .list
                .records
                .get(id)
                .is_some_and(|c| self.needs_attention(c).is_empty())
            {
                continue;
            }
            if let Some(index) = self.list.listing.find(name, id) {
                self.list.listing.set_attention(index, true);
            }
        }
        if !found.is_empty() && Query::new(self.filter.value()).asks_attention() {
            let keep = self.selected_index();
            self.refilter(keep);
        }
    }

    /// Sorts by `sort`, keeping the selected customer selected.
    pub fn set_sort(&mut self, sort: SortBy) {
        let keep = self.selected_index();
        self.sort = sort;
        self.list.sort(sort);
        self.refilter(keep);
    }

    pub fn selected_row(&self) -> Option<RowRef<'_>> {
        self.list.row(self.selected)
    }

    /// The selected row's index in the listing (stable while it lives).
    pub fn selected_index(&self) -> Option<u32> {
        self.list.visible().get(self.selected).copied()
    }

    pub fn selected_id(&self) -> Option<String> {
        self.selected_row().map(|r| r.id().to_string())
    }

    /// The selected customer's full record, once the runtime has read it.
    pub fn selected_customer(&self) -> Option<&Customer> {
        self.list.records.get(self.selected_row()?.id().as_ref())
    }

    /// What a stored record breaks of today's rules: a rule added after it
    /// was saved (new country data, a stricter check). It still lists and
    /// opens; the detail says what to fix and the form asks for it at the
    /// next save.
    pub fn needs_attention(&self, customer: &Customer) -> Vec<crate::validate::FieldError> {
        // Checking a phone waits for the phone rules, which load while the
        // first frame is drawn (`warm_up_phones`): not known yet then, and
        // the frame drawn once they are loaded says.
        if !crate::validate::phones_ready() {
            return Vec::new();
        }
        crate::validate::check_record(customer, &self.policy)
            .err()
            .unwrap_or_default()
    }

    /// The customer of the open single form and the version it started
    /// from.
    pub fn editing(&self) -> Option<(&str, u64)> {
        match &self.screen {
            Screen::Form(screen) if !screen.form.is_bulk() => {
                let base = &screen.form.original;
                Some((base.id.as_str(), base.version))
            }
            _ => None,
        }
    }

    pub fn record(&self, id: &str) -> Option<&Customer> {
        self.list.records.get(id)
    }

    /// Ids whose full records the state must hold: the selected customer,
    /// a draft's, the one in the form and, once a bulk form is submitted,
    /// its customers. Marked customers are read then, not when they are
    /// marked: `*` on 24,000 listed customers of a million read them all
    /// before its frame (half a second), opening the form would hold its
    /// first frame as long, and marks kept them in memory.
    fn needed_records(&self) -> Vec<String> {
        let mut needed: Vec<String> = self.selected_id().into_iter().collect();
        match &self.screen {
            Screen::Browse(Some(BrowseOverlay::RestoreDraft(draft))) => {
                needed.push(draft.id.clone());
            }
            Screen::Form(screen) => match &screen.form.kind {
                FormKind::Single { .. } => needed.push(screen.form.original.id.clone()),
                FormKind::Bulk { ids, reading: true } => needed.extend(ids.iter().cloned()),
                FormKind::Bulk { reading: false, .. } => {}
            },
            Screen::Browse(
                None | Some(BrowseOverlay::Filter | BrowseOverlay::ConfirmPermission { .. }),
            )
            | Screen::History(_) => {}
        }
        needed
    }

    /// The needed records the state lacks, for the runtime to read.
    pub fn wanted_records(&self) -> Vec<String> {
        let mut wanted = self.needed_records();
        wanted.retain(|id| !self.list.records.contains_key(id));
        wanted
    }

    /// Records read for `wanted_records`; records nothing needs any more
    /// are let go, so memory stays bounded however far one scrolls.
    pub fn put_records(&mut self, records: Vec<Customer>) {
        let needed = self.needed_records();
        if self.list.records.len() > needed.len() + 256 {
            let needed: std::collections::HashSet<String> = needed.into_iter().collect();
            self.list.records.retain(|id, _| needed.contains(id));
        }
        for c in records {
            self.list.records.insert(c.id.clone(), c);
        }
    }

    /// Starts matching the filter's text (or shows every row for none),
    /// keeping `keep` selected if it stays listed.
    pub(super) fn apply_filter(&mut self, keep: Option<u32>) {
        let query = Query::new(self.filter.value());
        if query.is_empty() {
            self.list.matching = None;
            self.list.visible = None;
            self.list.shown = query;
            self.select_index(keep);
            return;
        }
        // A query that only grew looks only at what the last one found
        // (or, typed while it still ran, what it found so far and what it
        // had not looked at yet).
        // Where its last word grew, only the fields the shorter one
        // matched in are looked at.
        let narrowed = match self.list.matching.take() {
            Some(job) if query.narrows(job.query()) => {
                let keeps_fields = query.keeps_fields_of(job.query());
                Some((job.into_candidates(), keeps_fields))
            }
            Some(_) => None,
            None if query.narrows(&self.list.shown) => self
                .list
                .visible
                .clone()
                .map(|found| (found, query.keeps_fields_of(&self.list.shown))),
            None => None,
        };
        let candidates = match narrowed {
            Some((mut candidates, keeps_fields)) => {
                if !keeps_fields {
                    candidates.fields.clear();
                }
                candidates
            }
            None => self.list.order().to_vec().into(),
        };
        // A short list is matched at once; a long one after the frame that
        // shows the typed key, a slice between keys.
        let at_once = candidates.rows.len() <= FILTER_STEP_ROWS;
        self.list.matching = Some(Matching::new(query, candidates));
        if at_once {
            self.filter_step(FILTER_STEP_ROWS);
        }
    }

    /// Runs the same filter again over the current rows (after a sort, a
    /// commit or more rows).
    /// The rows shown so far stay until the new result is ready.
    fn refilter(&mut self, keep: Option<u32>) {
        self.list.shown = Query::default();
        self.list.matching = None;
        self.apply_filter(keep);
    }

    /// Whether a filter is still working; the runtime then calls
    /// `filter_step` whenever no key is waiting.
    pub fn filter_pending(&self) -> bool {
        self.list.matching.is_some()
    }

    /// How many rows the running filter has looked at, if one runs.
    pub fn filter_rows_done(&self) -> Option<usize> {
        self.list.matching.as_ref().map(|job| job.progress().0)
    }

    /// Matches up to `rows` more rows; when the filter is done, shows its
    /// result with the selected customer kept if it is still listed.
    pub fn filter_step(&mut self, rows: usize) {
        let Some(job) = self.list.matching.as_mut() else {
            return;
        };
        job.step(&self.list.listing, rows);
        if !job.is_done() {
            return;
        }
        let Some(job) = self.list.matching.take() else {
            return;
        };
        let keep = self.selected_index();
        let query = job.query().clone();
        self.list.visible = Some(job.finish_with_fields(self.list.order()));
        self.list.shown = query;
        self.select_index(keep);
        self.select_kept();
    }

    /// After a reload for changes elsewhere: selects the customer that was
    /// selected before, once its row is listed (the list may still stream
    /// in or be filtered); given up when it is not listed at all.
    pub(super) fn select_kept(&mut self) {
        let Some(id) = self.list.reselect.as_deref() else {
            return;
        };
        let listing = &self.list.listing;
        let found = self
            .visible()
            .iter()
            .position(|&i| listing.get(i as usize).is_some_and(|r| r.has_id(id)));
        if let Some(position) = found {
            self.select(position);
            self.list.reselect = None;
        } else if self.list.loading.is_none() && self.list.matching.is_none() {
            self.list.reselect = None;
        }
    }

    /// Selects the row with listing index `index` if listed, else the first.
    fn select_index(&mut self, index: Option<u32>) {
        let position = index.and_then(|index| self.list.visible().iter().position(|&i| i == index));
        self.select(position.unwrap_or(0));
    }

    /// Puts a committed record in its place in the list and selects it.
    pub(super) fn replace_customer(&mut self, customer: Customer) {
        if customer.cloud != self.cloud {
            return;
        }
        let id = customer.id.clone();
        let old_name = self.list.records.get(&id).map(|c| c.company.name.clone());
        let row = Row::of(&customer);
        let index = self.list.listing.upsert(old_name.as_deref(), &row);
        if let Some(loading) = self.list.loading.as_mut() {
            loading.changed.insert(id.clone());
        }
        let unmoved = old_name.as_deref() == Some(customer.company.name.as_str())
            && matches!(self.sort, SortBy::Name | SortBy::Country);
        self.list.records.insert(id.clone(), customer);
        if unmoved && self.list.shown.is_empty() && self.list.matching.is_none() {
            // Same place in the same order: nothing to recompute.
            return;
        }
        self.list.sort(self.sort);
        self.refilter(Some(index as u32));
    }

    /// Customers changed elsewhere (another operator, another konto), as
    /// stored now: each replaces its row where it is newer than what the
    /// list has (so one seen twice, or this app's own commit coming back,
    /// changes nothing); the filter matches them again and the selection
    /// stays on the customer it was on. Returns the ones taken.
    pub(super) fn take_changes(&mut self, customers: Vec<Customer>) -> Vec<Customer> {
        let keep = self.selected_index();
        let ids: std::collections::HashSet<&str> = customers
            .iter()
            .filter(|c| c.cloud == self.cloud && !self.list.records.contains_key(&c.id))
            .map(|c| c.id.as_str())
            .collect();
        let listed = self.list.listing.names_and_versions(&ids);
        let mut taken = Vec::new();
        for customer in customers.into_iter().filter(|c| c.cloud == self.cloud) {
            let known = match self.list.records.get(&customer.id) {
                Some(c) => Some((c.company.name.clone(), c.version)),
                None => listed.get(&customer.id).cloned(),
            };
            if known.as_ref().is_some_and(|(_, v)| *v >= customer.version) {
                continue;
            }
            let old_name = known.map(|(name, _)| name);
            self.list
                .listing
                .upsert(old_name.as_deref(), &Row::of(&customer));
            if let Some(loading) = self.list.loading.as_mut() {
                loading.changed.insert(customer.id.clone());
            }
            self.list
                .records
                .insert(customer.id.clone(), customer.clone());
            taken.push(customer);
        }
        if !taken.is_empty() {
            self.list.sort(self.sort);
            self.refilter(keep);
        }
        taken
    }

    /// The ids of every row shown (for `*`, which is not `available` for
    /// more than `BULK_MAX` of them).
    pub(super) fn visible_ids(&self) -> Vec<String> {
        self.list
            .visible()
            .iter()
            .filter_map(|&i| {
                self.list
                    .listing
                    .get(i as usize)
                    .map(|r| r.id().into_owned())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::country_keys;

    /// The keys order rows as their codes do, packed or ranked.
    fn assert_orders_like_the_codes(codes: &[Option<&str>]) {
        let keys = country_keys(codes.iter().copied());
        for (a, b) in codes.iter().zip(&keys) {
            for (c, d) in codes.iter().zip(&keys) {
                let by_code = match (a, c) {
                    (Some(a), Some(c)) => a.cmp(c),
                    (None, None) => std::cmp::Ordering::Equal,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (Some(_), None) => std::cmp::Ordering::Less,
                };
                assert_eq!(b.cmp(d), by_code, "{a:?} against {c:?}");
            }
        }
    }

    #[test]
    fn country_keys_order_like_the_codes() {
        // ISO codes, an empty one and a prefix: packed.
        assert_orders_like_the_codes(&[Some("DE"), Some("AT"), Some(""), Some("D"), None]);
        // Too long to pack, or with a zero byte: ranked.
        assert_orders_like_the_codes(&[
            Some("DE"),
            Some("Deutschland-Nord"),
            Some("AT"),
            Some("D\0E"),
            Some("D"),
            None,
        ]);
    }
}
