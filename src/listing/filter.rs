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

#[derive(Clone, Copy, Debug)]
struct Hit {
    score: u32,
    row: u32,
    /// Where the last word matched.
    fields: u8,
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
            hits.push(Hit { score, row, fields });
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
        fields.extend(self.hits.iter().map(|hit| hit.fields));
        match self.candidates.fields.get(self.next..) {
            Some(rest_fields) if !self.candidates.fields.is_empty() => {
                fields.extend_from_slice(rest_fields);
            }
            _ => fields.resize(rows.len(), ALL_FIELDS),
        }
        Candidates { rows, fields }
    }

    /// The matching rows, best first; equal scores in list order (`rank`
    /// is each row's position in it, for every row of the listing).
    pub fn finish(self, rank: &[u32]) -> Vec<u32> {
        self.finish_with_fields(rank).rows
    }

    /// `finish`, with where each row's last word matched.
    pub fn finish_with_fields(self, rank: &[u32]) -> Candidates {
        by_score_then_rank(self.hits, rank)
    }
}

/// Highest score a hit may have for the counting sort; nucleo's scores
/// stay far below it (a higher one takes the comparison sort).
const COUNTING_MAX: u32 = 1 << 16;

/// The rows of `hits` (and where each matched) sorted best first, ties in
/// `rank` order. Scores are small numbers and ranks a permutation, so both
/// sorts are counting ones: at a million hits that is a few milliseconds,
/// a comparison sort tens. The rows are placed straight into the result,
/// not into a sorted copy of the hits (12 MB more at a million).
fn by_score_then_rank(mut hits: Vec<Hit>, rank: &[u32]) -> Candidates {
    let rank_of = |row: u32| rank.get(row as usize).copied();
    let max_score = hits.iter().map(|hit| hit.score).max().unwrap_or(0);
    let countable = max_score < COUNTING_MAX
        && hits
            .iter()
            .all(|hit| rank_of(hit.row).is_some_and(|r| (r as usize) < rank.len()));
    if !countable {
        hits.sort_unstable_by_key(|hit| {
            (
                std::cmp::Reverse(hit.score),
                rank_of(hit.row).unwrap_or(u32::MAX),
            )
        });
        return Candidates {
            rows: hits.iter().map(|hit| hit.row).collect(),
            fields: hits.iter().map(|hit| hit.fields).collect(),
        };
    }
    // List order: each hit into its row's place (none shares one).
    let mut in_place = vec![u32::MAX; rank.len()];
    for (n, hit) in hits.iter().enumerate() {
        if let Some(place) = rank_of(hit.row).and_then(|r| in_place.get_mut(r as usize)) {
            *place = n as u32;
        }
    }
    // Then stably by score, best first: count, then place.
    let mut starts = vec![0usize; max_score as usize + 2];
    for hit in &hits {
        starts[(max_score - hit.score) as usize + 1] += 1;
    }
    for n in 1..starts.len() {
        starts[n] += starts[n - 1];
    }
    let mut sorted = Candidates {
        rows: vec![0; hits.len()],
        fields: vec![0; hits.len()],
    };
    for n in in_place.into_iter().filter(|&n| n != u32::MAX) {
        let hit = hits[n as usize];
        let at = &mut starts[(max_score - hit.score) as usize];
        sorted.rows[*at] = hit.row;
        sorted.fields[*at] = hit.fields;
        *at += 1;
    }
    sorted
}
