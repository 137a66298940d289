//! Ordered parallel map over the cores, for the stages that work document by document.
//!
//! A render is a few milliseconds of independent pieces (templates, documents), so plain
//! scoped threads pulling indices from a counter are enough; results keep input order, so
//! output stays byte-stable whatever the scheduling.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Worker threads to use: the available cores (read once per process), or 1 inside
/// [`serially`].
pub fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    if SERIAL.with(Cell::get) {
        return 1;
    }
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Below this many items a map stays on the calling thread: a thread costs ~50 us and its
/// own allocator arena (page faults, peak RSS), more than a dozen small documents take.
pub const MIN_ITEMS: usize = 32;

thread_local! {
    static SERIAL: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with every map on this thread kept serial: for callers that are already one of
/// several workers (a batch renders one profile per core).
pub fn serially<R>(f: impl FnOnce() -> R) -> R {
    let before = SERIAL.with(|s| s.replace(true));
    let result = f();
    SERIAL.with(|s| s.set(before));
    result
}

/// `items.iter().map(f).collect()`, on up to [`cores`] threads when there are at least
/// [`MIN_ITEMS`] items. `f` runs on the calling thread too.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.len() < MIN_ITEMS {
        return items.iter().map(f).collect();
    }
    map_each(items, f)
}

/// [`map`] for a few heavy items (a long text's pieces): parallel from two items on.
pub fn map_each<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = cores().min(items.len());
    if workers <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            done.push((i, f(item)));
        }
        done
    };
    let mut parts: Vec<(usize, R)> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..workers).map(|_| scope.spawn(work)).collect();
        let mut all = work();
        for h in helpers {
            all.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        all
    });
    parts.sort_unstable_by_key(|(i, _)| *i);
    parts.into_iter().map(|(_, r)| r).collect()
}

/// `items.into_iter().map(f).collect()` (from [`MIN_ITEMS`] items on, with the items split
/// into one contiguous run per core; each run is consumed (and whatever `f` leaves of its item freed) on its own thread.
pub fn map_owned<T: Send, R: Send>(mut items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    // Length first: reading the core count costs a handful of cgroup file reads.
    if items.len() < MIN_ITEMS || cores() <= 1 {
        return items.into_iter().map(f).collect();
    }
    let workers = cores().min(items.len());
    let per = items.len().div_ceil(workers);
    let mut runs = Vec::with_capacity(workers);
    while items.len() > per {
        let tail = items.split_off(items.len() - per);
        runs.push(tail);
    }
    runs.push(items);
    runs.reverse();
    let f = &f;
    std::thread::scope(|scope| {
        let mut runs = runs.into_iter();
        let first = runs.next().expect("at least one run");
        let helpers: Vec<_> = runs
            .map(|run| scope.spawn(move || run.into_iter().map(f).collect::<Vec<R>>()))
            .collect();
        let mut all: Vec<R> = first.into_iter().map(f).collect();
        for h in helpers {
            all.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        all
    })
}

/// A one-value mailbox between two threads: [`Handoff::put`] a value, [`Handoff::take`] it
/// on the other thread. A taker may first spin for a while: waking a sleeping thread costs
/// tens of microseconds on a virtual machine, more than the wait it saves when the value is
/// due soon (and on one core spinning only delays the putter, so callers spin only with two
/// or more).
pub struct Handoff<T> {
    slot: Mutex<Option<T>>,
    full: AtomicBool,
    changed: Condvar,
}

impl<T> Default for Handoff<T> {
    fn default() -> Self {
        Handoff {
            slot: Mutex::new(None),
            full: AtomicBool::new(false),
            changed: Condvar::new(),
        }
    }
}

impl<T> Handoff<T> {
    /// Leaves `value` for the taker, replacing one not yet taken.
    pub fn put(&self, value: T) {
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        *slot = Some(value);
        self.full.store(true, Ordering::Release);
        self.changed.notify_one();
    }

    /// Waits for a value and takes it, spinning for up to `spin` before sleeping.
    pub fn take(&self, spin: Duration) -> T {
        if !spin.is_zero() && !self.full.load(Ordering::Acquire) {
            let start = Instant::now();
            'spin: while start.elapsed() < spin {
                for _ in 0..64 {
                    if self.full.load(Ordering::Acquire) {
                        break 'spin;
                    }
                    std::hint::spin_loop();
                }
            }
        }
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(value) = slot.take() {
                self.full.store(false, Ordering::Relaxed);
                return value;
            }
            slot = self.changed.wait(slot).unwrap_or_else(|e| e.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order() {
        let items: Vec<u32> = (0..1000).collect();
        assert_eq!(
            super::map(&items, |x| x * 2),
            items.iter().map(|x| x * 2).collect::<Vec<_>>()
        );
        assert!(super::map(&[] as &[u32], |x| *x).is_empty());
        assert_eq!(super::map_each(&[1, 2, 3], |x| x + 1), vec![2, 3, 4]);
        let nested = super::serially(super::cores);
        assert_eq!(nested, 1);
        for n in [0, 1, 2, 3, 7, 1000] {
            let items: Vec<u32> = (0..n).collect();
            let doubled: Vec<u32> = items.iter().map(|x| x * 2).collect();
            assert_eq!(super::map_owned(items, |x| x * 2), doubled);
        }
    }

    /// Values cross both ways, in order, whether the taker spins or sleeps.
    #[test]
    fn handoff_passes_values_in_order() {
        use super::Handoff;
        use std::time::Duration;
        let there: Handoff<Option<u32>> = Handoff::default();
        let back: Handoff<u32> = Handoff::default();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while let Some(v) = there.take(Duration::from_micros(50)) {
                    back.put(v * 10);
                }
            });
            for v in 0..200 {
                there.put(Some(v));
                let spin = if v % 2 == 0 {
                    Duration::ZERO
                } else {
                    Duration::from_millis(1)
                };
                assert_eq!(back.take(spin), v * 10);
            }
            there.put(None);
        });
    }
}
