//! Reading the change feed (`konto.changes`, migration 3): which customers
//! changed after a number, and a thread that LISTENs for `konto_changes`
//! to wake a poller early. Correctness rests on the numbers alone (gapless,
//! visible in order); a notification lost with a connection costs only
//! latency until the next poll.

use std::sync::mpsc::{self, Receiver};

use postgres::fallible_iterator::FallibleIterator;
use std::time::Duration;

use super::{PgStore, target::PgTarget};
use crate::domain::Cloud;
use crate::store::StoreError;

/// Numbers read per poll at most: a poller far behind catches up over a
/// few polls instead of one large answer.
const NUMBERS_PER_POLL: i64 = 500;

/// One changed customer, or (no id) more than a statement lists: reload.
pub struct Changed {
    pub cloud: Option<Cloud>,
    pub id: Option<String>,
}

impl PgStore {
    /// The newest number of the feed now.
    pub(in crate::store) fn change_cursor(&self) -> Result<u64, StoreError> {
        let row = self
            .client()?
            .query_one("SELECT seq FROM konto.change_counter", &[])
            .map_err(|e| self.fail(&e))?;
        Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or(0))
    }

    /// What changed after number `after`: the numbers up to which it is
    /// complete, and the changes.
    pub(in crate::store) fn changes_since(
        &self,
        after: u64,
    ) -> Result<(u64, Vec<Changed>), StoreError> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        if self.pruned_after(after)? {
            // Numbers this reader has not seen are gone: reload.
            let newest = i64::try_from(self.change_cursor()?).unwrap_or(after);
            let reload = Changed {
                cloud: None,
                id: None,
            };
            return Ok((u64::try_from(newest).unwrap_or(0), vec![reload]));
        }
        let rows = self
            .client()?
            .query(
                "SELECT seq, cloud, id FROM konto.changes \
                 WHERE seq > $1 AND seq <= $1 + $2 ORDER BY seq",
                &[&after, &NUMBERS_PER_POLL],
            )
            .map_err(|e| self.fail(&e))?;
        let upto = rows.last().map_or(after, |r| r.get::<_, i64>(0));
        let changed = rows
            .iter()
            .map(|r| Changed {
                cloud: r
                    .get::<_, Option<String>>(1)
                    .and_then(|key| Cloud::ALL.into_iter().find(|c| c.key() == key)),
                id: r.get(2),
            })
            .collect();
        Ok((u64::try_from(upto).unwrap_or(0), changed))
    }

    /// Whether numbers after `after` were written and then pruned before
    /// this reader saw them (the oldest kept one is further on).
    fn pruned_after(&self, after: i64) -> Result<bool, StoreError> {
        let row = self
            .client()?
            .query_one(
                "SELECT (SELECT seq FROM konto.change_counter), \
                        (SELECT min(seq) FROM konto.changes)",
                &[],
            )
            .map_err(|e| self.fail(&e))?;
        let (newest, oldest): (i64, Option<i64>) = (row.get(0), row.get(1));
        Ok(newest > after && oldest.is_none_or(|oldest| oldest > after + 1))
    }

    /// A thread with a connection of its own that LISTENs for
    /// `konto_changes` and sends () on each; it connects again (every
    /// second) when its connection is lost, and ends when the receiver is
    /// dropped.
    pub(in crate::store) fn watch(&self) -> Receiver<()> {
        let (sender, receiver) = mpsc::channel();
        let target = self.target.clone();
        std::thread::spawn(move || {
            while listen(&target, &sender) {
                std::thread::sleep(Duration::from_secs(1));
            }
        });
        receiver
    }
}

/// Listens until the connection fails (true: try again) or nobody
/// receives any more (false).
fn listen(target: &PgTarget, sender: &mpsc::Sender<()>) -> bool {
    let Ok(mut client) = target.connect() else {
        return true;
    };
    if client.batch_execute("LISTEN konto_changes").is_err() {
        return true;
    }
    // A wake-up now: changes made while this connection was down.
    if sender.send(()).is_err() {
        return false;
    }
    loop {
        let next = client
            .notifications()
            .timeout_iter(Duration::from_secs(5))
            .next();
        match next {
            Ok(Some(_)) => {}
            // Quiet for a while: is the connection still there?
            Ok(None) if client.is_closed() => return true,
            Ok(None) => {}
            Err(_) => return true,
        }
        // Also after a quiet while: is anyone still receiving?
        if sender.send(()).is_err() {
            return false;
        }
    }
}
