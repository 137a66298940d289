//! Ordered parallel maps for the work that pays for a second core: a batch of profiles, and
//! the documents of one very large profile (a thousand local PersistentVolumes).
//!
//! Built on rayon's pool, which starts on first use: a render of a dozen documents stays on
//! the calling thread and never starts it. Results keep input order, so output stays
//! byte-stable whatever the scheduling.

use std::cell::Cell;

use rayon::prelude::*;

/// Below this many items a map stays on the calling thread: handing work to the pool costs
/// more than a dozen small documents take to process.
pub const MIN_ITEMS: usize = 32;

thread_local! {
    static SERIAL: Cell<bool> = const { Cell::new(false) };
}

/// Threads a map may use: rayon's pool size, or 1 inside [`serially`].
pub fn cores() -> usize {
    if SERIAL.with(Cell::get) {
        1
    } else {
        rayon::current_num_threads()
    }
}

/// Runs `f` with every map on this thread kept serial (tests compare the two).
pub fn serially<R>(f: impl FnOnce() -> R) -> R {
    let before = SERIAL.with(|s| s.replace(true));
    let result = f();
    SERIAL.with(|s| s.set(before));
    result
}

/// `items.iter().map(f).collect()`, in parallel from [`MIN_ITEMS`] items on.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.len() < MIN_ITEMS {
        return items.iter().map(f).collect();
    }
    map_each(items, f)
}

/// [`map`] for a few heavy items (a long text's pieces): parallel from two items on.
pub fn map_each<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.len() < 2 || cores() < 2 {
        return items.iter().map(f).collect();
    }
    items.par_iter().map(&f).collect()
}

/// `items.into_iter().map(f).collect()`, in parallel from [`MIN_ITEMS`] items on; each item
/// (and whatever `f` leaves of it) is freed on the thread that took it.
pub fn map_owned<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    if items.len() < MIN_ITEMS || cores() < 2 {
        return items.into_iter().map(f).collect();
    }
    items.into_par_iter().map(&f).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled: Vec<u32> = items.iter().map(|x| x * 2).collect();
        assert_eq!(super::map(&items, |x| x * 2), doubled);
        assert!(super::map(&[] as &[u32], |x| *x).is_empty());
        assert_eq!(super::map_each(&[1, 2, 3], |x| x + 1), vec![2, 3, 4]);
        assert_eq!(super::serially(super::cores), 1);
        for n in [0, 1, 2, 3, 7, 1000] {
            let items: Vec<u32> = (0..n).collect();
            let doubled: Vec<u32> = items.iter().map(|x| x * 2).collect();
            assert_eq!(super::map_owned(items, |x| x * 2), doubled);
        }
    }
}
