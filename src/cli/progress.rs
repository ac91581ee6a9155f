//! The progress line of a long import on stderr: rows read, their rate and
//! the phase, shown once it has taken a second and only on a terminal
//! (a log or a pipe gets the result alone).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use crate::store::ImportPhase;
use crate::t;

/// Shown after this long, and redrawn at most this often.
const AFTER: Duration = Duration::from_secs(1);
const EVERY: Duration = Duration::from_millis(200);

pub struct Progress {
    started: Instant,
    drawn: Option<Instant>,
    on_terminal: bool,
    /// When the writing began, and the records read (for the log).
    writing: Option<Instant>,
    records: usize,
}

impl Progress {
    pub fn new() -> Progress {
        Progress {
            started: Instant::now(),
            drawn: None,
            on_terminal: std::io::stderr().is_terminal(),
            writing: None,
            records: 0,
        }
    }

    /// Says how far the import got, if it is time to.
    pub fn show(&mut self, phase: ImportPhase, records: usize) {
        self.records = records;
        if phase == ImportPhase::Writing {
            self.writing.get_or_insert_with(Instant::now);
        }
        let elapsed = self.started.elapsed();
        let due = self.drawn.is_none_or(|at| at.elapsed() >= EVERY);
        let writing = phase == ImportPhase::Writing;
        if !self.on_terminal || elapsed < AFTER || !(due || writing) {
            return;
        }
        let line = match phase {
            ImportPhase::Checking => {
                let rate = (records as f64 / elapsed.as_secs_f64()) as u64;
                t!("cli.import_checking", records = records, rate = rate)
            }
            ImportPhase::Writing => t!("cli.import_writing", records = records),
        };
        // \r and "erase line": the line is redrawn in place.
        eprint!("\r\x1b[K{line}");
        let _ = std::io::stderr().flush();
        self.drawn = Some(Instant::now());
    }

    /// Takes the line away before the result is printed, and logs where
    /// the time went (`KONTO_LOG=debug`).
    pub fn clear(&mut self) {
        let ms = |d: Duration| d.as_millis() as u64;
        let checked = self.writing.unwrap_or_else(Instant::now) - self.started;
        tracing::debug!(
            records = self.records,
            checking_ms = ms(checked),
            writing_ms = self.writing.map_or(0, |w| ms(w.elapsed())),
            "import"
        );
        if self.drawn.take().is_some() {
            eprint!("\r\x1b[K");
        }
    }
}
