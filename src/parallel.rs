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
    fn the_workers_speak_the_callers_language() {
        use crate::i18n::{Lang, lang, set_lang};
        set_lang(Lang::De);
        let mut items = vec![0u8; 64];
        let langs = map_on_cores(&mut items, |_| lang());
        set_lang(Lang::En);
        assert!(langs.iter().all(|l| *l == Lang::De), "{langs:?}");
    }
}
