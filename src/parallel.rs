//! Work split over every core: a thread per part of a slice, the results
//! in the slice's order.

/// `f` applied to every item of `items`, split into one part per core, each
/// part on a thread of its own; the results in `items`' order. A panic in
/// `f` is a bug and is raised again here, not swallowed.
pub fn map_on_cores<T: Send, R: Send>(items: &mut [T], f: impl Fn(&mut T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let len = items.len();
    let part = len.div_ceil(threads).max(1);
    let f = &f;
    // Messages made on the workers (an import's validation errors) are in
    // the caller's language: the locale is per thread.
    let locale = crate::i18n::locale();
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks_mut(part)
            .map(|part| {
                scope.spawn(move || {
                    crate::i18n::set_locale(locale);
                    part.iter_mut().map(f).collect::<Vec<R>>()
                })
            })
            .collect();
        let mut results = Vec::with_capacity(len);
        for worker in workers {
            match worker.join() {
                Ok(part) => results.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        results
    })
}

/// Items sent from `make_ahead`'s thread at a time.
const AHEAD_BATCH: usize = 1_024;

/// The items of `items`, made on a thread of their own a few batches ahead
/// of the caller (an import's file is parsed while the records before are
/// checked). A panic there is raised again here, at the end, so a reader's
/// bug cannot pass for the end of the file.
pub fn read_ahead<T: Send + 'static>(
    items: impl Iterator<Item = T> + Send + 'static,
) -> impl Iterator<Item = T> {
    make_ahead(move |give| {
        for item in items {
            if !give(item) {
                return;
            }
        }
    })
}

/// The items `make` hands to the callback it is given, made on a thread of
/// their own a few batches ahead of the caller, as `read_ahead`'s: for a
/// reader that borrows what it reads (calamine's cell reader borrows its
/// workbook) and so cannot be an iterator sent to a thread. The callback
/// answers false once the caller has stopped taking items: `make` should
/// then return.
pub fn make_ahead<T: Send + 'static>(
    make: impl FnOnce(&mut dyn FnMut(T) -> bool) + Send + 'static,
) -> impl Iterator<Item = T> {
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<T>>(4);
    let locale = crate::i18n::locale();
    let maker = std::thread::spawn(move || {
        crate::i18n::set_locale(locale);
        let mut batch = Vec::with_capacity(AHEAD_BATCH);
        let mut listening = true;
        make(&mut |item| {
            batch.push(item);
            if batch.len() == AHEAD_BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(AHEAD_BATCH));
                listening = sender.send(full).is_ok();
            }
            listening
        });
        if listening && !batch.is_empty() {
            // The caller may be gone; then nobody waits for these.
            let _ = sender.send(batch);
        }
    });
    let mut maker = Some(maker);
    let mut batch = Vec::new().into_iter();
    std::iter::from_fn(move || {
        loop {
            if let Some(item) = batch.next() {
                return Some(item);
            }
            match receiver.recv() {
                Ok(next) => batch = next.into_iter(),
                Err(_) => {
                    if let Some(Err(panic)) = maker.take().map(std::thread::JoinHandle::join) {
                        std::panic::resume_unwind(panic);
                    }
                    return None;
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_order_and_items_can_be_changed() {
        let mut items: Vec<u64> = (0..10_001).collect();
        let doubled = map_on_cores(&mut items, |n| {
            *n += 1;
            *n * 2
        });
        assert_eq!(doubled, (1..=10_001).map(|n| n * 2).collect::<Vec<u64>>());
        assert_eq!(items, (1..=10_001).collect::<Vec<u64>>());
        assert!(map_on_cores(&mut Vec::<u8>::new(), |n| *n).is_empty());
    }

    #[test]
    fn read_ahead_hands_on_every_item_in_order_and_a_panic_at_the_end() {
        let items: Vec<u32> = read_ahead(0..5_000).collect();
        assert_eq!(items, (0..5_000).collect::<Vec<u32>>());
        let failing = (0..3_000).map(|n| if n == 2_500 { panic!("bad input") } else { n });
        let mut ahead = read_ahead(failing);
        assert_eq!(ahead.by_ref().take(2_048).count(), 2_048);
        let rest = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ahead.count()));
        assert!(rest.is_err(), "the end of the items, not the panic");
    }

    #[test]
    fn make_ahead_stops_making_once_the_caller_is_gone() {
        let (done, finished) = std::sync::mpsc::channel();
        let ahead = make_ahead(move |give| {
            let mut made = 0u64;
            while give(made) {
                made += 1;
            }
            let _ = done.send(made);
        });
        let first: Vec<u64> = ahead.take(10).collect();
        assert_eq!(first, (0..10).collect::<Vec<u64>>());
        let made = finished
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the maker returned");
        assert!(made <= 6 * AHEAD_BATCH as u64, "{made} made");
    }

    #[test]
    fn the_workers_speak_the_callers_language() {
        use crate::i18n::{Lang, lang, set_lang};
        set_lang(Lang::De);
        let mut items = vec![0u8; 64];
        let langs = map_on_cores(&mut items, |_| lang());
        set_lang(Lang::En);
        assert!(langs.iter().all(|l| *l == Lang::De), "{langs:?}");
    }
}
