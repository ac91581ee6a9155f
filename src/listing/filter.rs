//! Filtering a list a slice at a time, so a keystroke never waits for a
//! million matches: the runtime draws between slices and reads keys; a new
//! keystroke replaces the job. Slices are counted in rows (the runtime sizes
//! them from how long the last one took, `app::next_step_rows`); where they
//! end changes when a result is shown, never what it is.

use nucleo_matcher::Matcher;

use super::Listing;
use super::query::{ALL_FIELDS, Query, Scratch, new_matcher};

pub struct Matching {
    query: Query,
    /// The rows to look at, in list order.
    candidates: Candidates,
    next: usize,
    /// Every match so far.
    hits: Vec<Hit>,
    /// One matcher (and buffer) per thread a step uses.
    matchers: Vec<(Matcher, Scratch)>,
}

/// Rows for a filter to look at, and for each the fields its last word may
/// still match in (`query::ALL_FIELDS` bits; none given: all). A query
/// whose last word grew looks only where the shorter one matched.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Candidates {
    pub rows: Vec<u32>,
    /// Empty, or one entry per row.
    pub fields: Vec<u8>,
}

impl From<Vec<u32>> for Candidates {
    fn from(rows: Vec<u32>) -> Candidates {
        Candidates {
            rows,
            fields: Vec::new(),
        }
    }
}

/// A matching row: 8 bytes, as a million of them are held at once.
#[derive(Clone, Copy, Debug)]
struct Hit {
    row: u32,
    /// The score (saturated at `SCORE_MAX`) above the fields the last word
    /// matched in (the low 8 bits).
    score_and_fields: u32,
}

const SCORE_MAX: u32 = (1 << 24) - 1;

impl Hit {
    fn new(row: u32, score: u32, fields: u8) -> Hit {
        Hit {
            row,
            score_and_fields: score.min(SCORE_MAX) << 8 | u32::from(fields),
        }
    }
    fn score(&self) -> u32 {
        self.score_and_fields >> 8
    }
    fn fields(&self) -> u8 {
        self.score_and_fields as u8
    }
}

/// Below this many rows a step stays on the calling thread: starting threads
/// costs more than it saves.
const PARALLEL_MIN: usize = 4_000;

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

fn score_rows(
    query: &Query,
    listing: &Listing,
    rows: &[u32],
    fields: &[u8],
    (matcher, scratch): &mut (Matcher, Scratch),
) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (n, &row) in rows.iter().enumerate() {
        let allowed = fields.get(n).copied().unwrap_or(ALL_FIELDS);
        if let Some(r) = listing.get(row as usize)
            && let Some((score, fields)) = query.score_in(&r.fields(), matcher, scratch, allowed)
        {
            hits.push(Hit::new(row, score, fields));
        }
    }
    hits
}

impl std::fmt::Debug for Matching {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matching")
            .field("query", &self.query.text())
            .field("next", &self.next)
            .field("candidates", &self.candidates.rows.len())
            .finish()
    }
}

impl Matching {
    /// Matches `query` against `candidates` (row indexes, in the order ties
    /// are to keep).
    pub fn new(query: Query, candidates: impl Into<Candidates>) -> Matching {
        let mut candidates = candidates.into();
        if candidates.fields.len() != candidates.rows.len() {
            candidates.fields.clear();
        }
        let rows = candidates.rows.len();
        Matching {
            query,
            candidates,
            next: 0,
            // Room for every candidate at once: a million hits grown by
            // doubling would copy themselves and leave up to half unused
            // (pages never written take no memory).
            hits: Vec::with_capacity(rows),
            matchers: (0..threads())
                .map(|_| (new_matcher(), Scratch::default()))
                .collect(),
        }
    }

    pub fn query(&self) -> &Query {
        &self.query
    }

    pub fn is_done(&self) -> bool {
        self.next >= self.candidates.rows.len()
    }

    /// (rows looked at, rows to look at).
    pub fn progress(&self) -> (usize, usize) {
        (self.next, self.candidates.rows.len())
    }

    /// Looks at up to `rows` more rows, on every core when there are many.
    pub fn step(&mut self, listing: &Listing, rows: usize) {
        let all = &self.candidates;
        let end = self.next.saturating_add(rows).min(all.rows.len());
        let slice = all.rows.get(self.next..end).unwrap_or_default();
        let fields = all.fields.get(self.next..end).unwrap_or_default();
        let query = &self.query;
        if slice.len() < PARALLEL_MIN || self.matchers.len() < 2 {
            if let Some(matcher) = self.matchers.first_mut() {
                self.hits
                    .extend(score_rows(query, listing, slice, fields, matcher));
            }
        } else {
            // A part of the slice (and its field bits) for each matcher.
            let part = slice.len().div_ceil(self.matchers.len());
            let mut parts: Vec<_> = slice
                .chunks(part)
                .enumerate()
                .map(|(n, rows)| (rows, fields.get(n * part..).unwrap_or_default()))
                .zip(self.matchers.iter_mut())
                .collect();
            let found = crate::parallel::map_on_cores(&mut parts, |((rows, fields), matcher)| {
                score_rows(query, listing, rows, fields, matcher)
            });
            for hits in found {
                self.hits.extend(hits);
            }
        }
        self.next = end;
    }

    /// For a query that narrows this one: the rows it still has to look
    /// at (what matched so far, and what was not looked at yet), with the
    /// fields the last word matched in.
    pub fn into_candidates(self) -> Candidates {
        let rest = self.candidates.rows.get(self.next..).unwrap_or_default();
        let mut rows: Vec<u32> = Vec::with_capacity(self.hits.len() + rest.len());
        rows.extend(self.hits.iter().map(|hit| hit.row));
        rows.extend_from_slice(rest);
        let mut fields: Vec<u8> = Vec::with_capacity(rows.len());
        fields.extend(self.hits.iter().map(Hit::fields));
        match self.candidates.fields.get(self.next..) {
            Some(rest_fields) if !self.candidates.fields.is_empty() => {
                fields.extend_from_slice(rest_fields);
            }
            _ => fields.resize(rows.len(), ALL_FIELDS),
        }
        Candidates { rows, fields }
    }

    /// The matching rows, best first; equal scores in list order (`order`:
    /// every row of the listing, in the order the list shows them).
    pub fn finish(self, order: &[u32]) -> Vec<u32> {
        self.finish_with_fields(order).rows
    }

    /// `finish`, with where each row's last word matched.
    pub fn finish_with_fields(self, order: &[u32]) -> Candidates {
        // The candidates (4 MB at a million) go before the result is made.
        let Matching {
            hits, candidates, ..
        } = self;
        drop(candidates);
        by_score_then_rank(hits, &Ranks::of(order))
    }
}

/// Where each row stands in the list's order. A list as loaded is in its
/// rows' own order, and then a row's index is its rank: no table of 4 MB
/// (at a million rows) is made for every filter result.
enum Ranks {
    /// The order is the rows' own, of this many rows.
    Own(usize),
    /// Each row's position, by row.
    Table(Vec<u32>),
}

impl Ranks {
    fn of(order: &[u32]) -> Ranks {
        if order.iter().enumerate().all(|(n, &row)| row as usize == n) {
            return Ranks::Own(order.len());
        }
        let mut table = vec![u32::MAX; order.len()];
        for (position, &row) in order.iter().enumerate() {
            if let Some(rank) = table.get_mut(row as usize) {
                *rank = position as u32;
            }
        }
        Ranks::Table(table)
    }

    fn len(&self) -> usize {
        match self {
            Ranks::Own(len) => *len,
            Ranks::Table(table) => table.len(),
        }
    }

    /// The row's position, if it is one of the order's.
    fn of_row(&self, row: u32) -> Option<u32> {
        match self {
            Ranks::Own(len) => Some(row).filter(|&row| (row as usize) < *len),
            // (`u32::MAX`: a row the order does not have.)
            Ranks::Table(table) => table.get(row as usize).copied().filter(|&r| r != u32::MAX),
        }
    }
}

/// Highest score a hit may have for the counting sort; nucleo's scores
/// stay far below it (a higher one takes the comparison sort).
const COUNTING_MAX: u32 = 1 << 16;

/// The rows of `hits` (and where each matched) sorted best first, ties in
/// list order. Scores are small numbers and ranks a permutation, so both
/// sorts are counting ones: at a million hits that is a few milliseconds,
/// a comparison sort tens. Hits found in list order (a filter over the
/// whole list) are in rank order already and skip the first. The rows are
/// placed straight into the result, not into a sorted copy of the hits.
fn by_score_then_rank(mut hits: Vec<Hit>, ranks: &Ranks) -> Candidates {
    let max_score = hits.iter().map(Hit::score).max().unwrap_or(0);
    let countable =
        max_score < COUNTING_MAX && hits.iter().all(|hit| ranks.of_row(hit.row).is_some());
    if !countable {
        hits.sort_unstable_by_key(|hit| {
            (
                std::cmp::Reverse(hit.score()),
                ranks.of_row(hit.row).unwrap_or(u32::MAX),
            )
        });
        return Candidates {
            rows: hits.iter().map(|hit| hit.row).collect(),
            fields: hits.iter().map(Hit::fields).collect(),
        };
    }
    let in_rank_order = hits
        .windows(2)
        .all(|pair| ranks.of_row(pair[0].row) < ranks.of_row(pair[1].row));
    // Stably by score, best first: count, then place.
    let mut starts = vec![0usize; max_score as usize + 2];
    for hit in &hits {
        starts[(max_score - hit.score()) as usize + 1] += 1;
    }
    for n in 1..starts.len() {
        starts[n] += starts[n - 1];
    }
    let mut sorted = Candidates {
        rows: vec![0; hits.len()],
        fields: vec![0; hits.len()],
    };
    let mut place = |hit: Hit| {
        let at = &mut starts[(max_score - hit.score()) as usize];
        sorted.rows[*at] = hit.row;
        sorted.fields[*at] = hit.fields();
        *at += 1;
    };
    if in_rank_order {
        hits.iter().copied().for_each(&mut place);
    } else {
        // List order first: each hit into its row's place (none shares one).
        let mut in_place = vec![u32::MAX; ranks.len()];
        for (n, hit) in hits.iter().enumerate() {
            if let Some(slot) = ranks
                .of_row(hit.row)
                .and_then(|r| in_place.get_mut(r as usize))
            {
                *slot = n as u32;
            }
        }
        for n in in_place.into_iter().filter(|&n| n != u32::MAX) {
            place(hits[n as usize]);
        }
    }
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Best first, ties in list order: what the counting sorts must give.
    fn reference(hits: &[Hit], order: &[u32]) -> Vec<u32> {
        let rank = |row: u32| order.iter().position(|&r| r == row);
        let mut sorted = hits.to_vec();
        sorted.sort_by_key(|hit| (std::cmp::Reverse(hit.score()), rank(hit.row)));
        sorted.iter().map(|hit| hit.row).collect()
    }

    #[test]
    fn hits_sort_best_first_with_ties_in_list_order_whatever_order_they_came_in() {
        let rows = 40u32;
        let own: Vec<u32> = (0..rows).collect();
        // Another order (as after sorting by a column): reversed halves.
        let other: Vec<u32> = (rows / 2..rows).rev().chain((0..rows / 2).rev()).collect();
        let hit = |row: u32| Hit::new(row, (row * 7) % 5, (row % 3) as u8);
        let in_own_order: Vec<Hit> = (0..rows).filter(|r| r % 4 != 1).map(hit).collect();
        let shuffled: Vec<Hit> = (0..rows).map(|r| (r * 13) % rows).map(hit).collect();
        let in_other_order: Vec<Hit> = other.iter().copied().map(hit).collect();
        for order in [&own, &other] {
            for hits in [&in_own_order, &shuffled, &in_other_order] {
                let sorted = by_score_then_rank(hits.clone(), &Ranks::of(order));
                assert_eq!(sorted.rows, reference(hits, order));
                let fields: Vec<u8> = sorted.rows.iter().map(|&r| (r % 3) as u8).collect();
                assert_eq!(sorted.fields, fields);
            }
        }
        // A score past the counting sort's range takes the comparison sort.
        let high = vec![hit(3), Hit::new(5, COUNTING_MAX + 1, 0), hit(8)];
        let sorted = by_score_then_rank(high.clone(), &Ranks::of(&own));
        assert_eq!(sorted.rows, reference(&high, &own));
        assert_eq!(sorted.rows[0], 5);
    }
}
