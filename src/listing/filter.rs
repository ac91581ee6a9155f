//! Filtering a list a slice at a time, so a keystroke never waits for a
//! million matches: the runtime draws between slices and reads keys; a new
//! keystroke replaces the job. Slices are counted in rows, not timed, so
//! results never depend on how fast the machine is.

use nucleo_matcher::Matcher;

use super::Listing;
use crate::query::{Query, Scratch, new_matcher};

pub struct Matching {
    query: Query,
    /// The rows to look at, in list order.
    candidates: Vec<u32>,
    next: usize,
    /// (score, row) of every match so far.
    hits: Vec<(u32, u32)>,
    /// One matcher (and buffer) per thread a step uses.
    matchers: Vec<(Matcher, Scratch)>,
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
    (matcher, scratch): &mut (Matcher, Scratch),
) -> Vec<(u32, u32)> {
    let mut hits = Vec::new();
    for &row in rows {
        if let Some(r) = listing.get(row as usize)
            && let Some(score) = query.score(&r.fields(), matcher, scratch)
        {
            hits.push((score, row));
        }
    }
    hits
}

impl std::fmt::Debug for Matching {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matching")
            .field("query", &self.query.text())
            .field("next", &self.next)
            .field("candidates", &self.candidates.len())
            .finish()
    }
}

impl Matching {
    /// Matches `query` against `candidates` (row indexes, in the order ties
    /// are to keep).
    pub fn new(query: Query, candidates: Vec<u32>) -> Matching {
        Matching {
            query,
            candidates,
            next: 0,
            hits: Vec::new(),
            matchers: (0..threads())
                .map(|_| (new_matcher(), Scratch::default()))
                .collect(),
        }
    }

    pub fn query(&self) -> &Query {
        &self.query
    }

    pub fn is_done(&self) -> bool {
        self.next >= self.candidates.len()
    }

    /// (rows looked at, rows to look at).
    pub fn progress(&self) -> (usize, usize) {
        (self.next, self.candidates.len())
    }

    /// Looks at up to `rows` more rows, on every core when there are many.
    pub fn step(&mut self, listing: &Listing, rows: usize) {
        let end = self.next.saturating_add(rows).min(self.candidates.len());
        let slice = self.candidates.get(self.next..end).unwrap_or_default();
        let query = &self.query;
        if slice.len() < PARALLEL_MIN || self.matchers.len() < 2 {
            if let Some(matcher) = self.matchers.first_mut() {
                self.hits.extend(score_rows(query, listing, slice, matcher));
            }
        } else {
            let part = slice.len().div_ceil(self.matchers.len());
            let found: Vec<Vec<(u32, u32)>> = std::thread::scope(|scope| {
                let handles: Vec<_> = slice
                    .chunks(part)
                    .zip(self.matchers.iter_mut())
                    .map(|(rows, matcher)| {
                        scope.spawn(move || score_rows(query, listing, rows, matcher))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_default())
                    .collect()
            });
            for hits in found {
                self.hits.extend(hits);
            }
        }
        self.next = end;
    }

    /// For a query that narrows this one: the rows it still has to look
    /// at (what matched so far, and what was not looked at yet).
    pub fn into_candidates(self) -> Vec<u32> {
        let rest = self.candidates.get(self.next..).unwrap_or_default();
        let mut rows: Vec<u32> = Vec::with_capacity(self.hits.len() + rest.len());
        rows.extend(self.hits.iter().map(|&(_, row)| row));
        rows.extend_from_slice(rest);
        rows
    }

    /// The matching rows, best first; equal scores in list order (`rank`
    /// is each row's position in it, for every row of the listing).
    pub fn finish(self, rank: &[u32]) -> Vec<u32> {
        by_score_then_rank(self.hits, rank)
    }
}

/// Highest score a hit may have for the counting sort; nucleo's scores
/// stay far below it (a higher one takes the comparison sort).
const COUNTING_MAX: u32 = 1 << 16;

/// (score, row) pairs sorted best first, ties in `rank` order. Scores are
/// small numbers and ranks a permutation, so both sorts are counting ones:
/// at a million hits that is a few milliseconds, a comparison sort tens.
fn by_score_then_rank(mut hits: Vec<(u32, u32)>, rank: &[u32]) -> Vec<u32> {
    let rank_of = |row: u32| rank.get(row as usize).copied();
    let max_score = hits.iter().map(|&(score, _)| score).max().unwrap_or(0);
    let countable = max_score < COUNTING_MAX
        && hits
            .iter()
            .all(|&(_, row)| rank_of(row).is_some_and(|r| (r as usize) < rank.len()));
    if !countable {
        hits.sort_unstable_by_key(|&(score, row)| {
            (std::cmp::Reverse(score), rank_of(row).unwrap_or(u32::MAX))
        });
        return hits.into_iter().map(|(_, row)| row).collect();
    }
    // List order: each hit into its row's place (none shares one).
    let mut in_place = vec![u32::MAX; rank.len()];
    for (n, &(_, row)) in hits.iter().enumerate() {
        if let Some(place) = rank_of(row).and_then(|r| in_place.get_mut(r as usize)) {
            *place = n as u32;
        }
    }
    // Then stably by score, best first: count, then place.
    let mut starts = vec![0usize; max_score as usize + 2];
    for &(score, _) in &hits {
        starts[(max_score - score) as usize + 1] += 1;
    }
    for n in 1..starts.len() {
        starts[n] += starts[n - 1];
    }
    let mut sorted = vec![0u32; hits.len()];
    for n in in_place.into_iter().filter(|&n| n != u32::MAX) {
        let (score, row) = hits[n as usize];
        let at = &mut starts[(max_score - score) as usize];
        sorted[*at] = row;
        *at += 1;
    }
    sorted
}

/// The plain way, for tests to compare with: every row scored, stably sorted
/// by score.
pub fn reference(listing: &Listing, order: &[u32], query: &Query) -> Vec<u32> {
    let mut matcher = new_matcher();
    let mut scratch = Scratch::default();
    let mut scored: Vec<(u32, u32)> = order
        .iter()
        .filter_map(|&row| {
            let r = listing.get(row as usize)?;
            Some((query.score(&r.fields(), &mut matcher, &mut scratch)?, row))
        })
        .collect();
    scored.sort_by_key(|&(score, _)| std::cmp::Reverse(score));
    scored.into_iter().map(|(_, row)| row).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Cloud;
    use crate::listing::Row;

    fn listing() -> Listing {
        let rows: Vec<Row> = ["Fabrikam", "Contoso", "Fourth Coffee", "Fab Lab", "Adatum"]
            .iter()
            .enumerate()
            .map(|(n, name)| Row {
                id: n.to_string(),
                name: name.to_string(),
                ..Row::default()
            })
            .collect();
        Listing::of_rows(Cloud::Commercial, &rows)
    }

    #[test]
    fn slices_give_the_same_result_as_one_pass() {
        let l = listing();
        let query = Query::new("fa");
        let mut job = Matching::new(query.clone(), l.by_name().to_vec());
        while !job.is_done() {
            job.step(&l, 2);
        }
        let rank: Vec<u32> = {
            let mut rank = vec![0; l.len()];
            for (position, &row) in l.by_name().iter().enumerate() {
                rank[row as usize] = position as u32;
            }
            rank
        };
        let rows = job.finish(&rank);
        assert_eq!(rows, reference(&l, l.by_name(), &query));
        let names: Vec<&str> = rows
            .iter()
            .map(|&r| l.get(r as usize).unwrap().name())
            .collect();
        assert_eq!(names[..2].to_vec(), ["Fab Lab", "Fabrikam"]);
        assert!(!names.contains(&"Contoso"));
    }
}
