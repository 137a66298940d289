//! A small-block pool allocator for the `sts-gen` process.
//!
//! Rendering one profile makes about 10,000 allocations totalling 1.5 MB, nearly all of
//! them under 1 KiB (strings, YAML/JSON nodes, map entries), and glibc's `malloc`/`free`
//! were 30% of the instructions of a render. [`Pool`] serves those small blocks from
//! per-thread free lists, one per 16-byte size class, refilled by bumping a pointer through
//! 64 KiB chunks; everything larger or more aligned goes to the system allocator.
//!
//! Trade-offs, chosen for a short-lived command-line process:
//! - Chunks are never returned to the system; a freed block is reused for the same size
//!   class by whichever thread frees it. Memory is bounded by the peak of small blocks live
//!   at once, plus what a thread had on its free lists when it ended.
//! - No headers: the size class comes from the `Layout` that `dealloc` is given.
//! - The per-thread state is a `const`-initialized thread-local without a destructor, so
//!   it never allocates and is usable at any point of a thread's life.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ptr;

/// Size-class step, and the alignment every pooled block has.
const GRAIN: usize = 16;
/// Largest pooled block; larger requests go to the system allocator.
const MAX_POOLED: usize = 1024;
const CLASSES: usize = MAX_POOLED / GRAIN;
/// Bytes taken from the system allocator at a time.
const CHUNK: usize = 64 * 1024;

/// The allocator: register it with `#[global_allocator]`.
pub struct Pool;

struct Heap {
    /// Head of each size class's free list; a free block's first word links to the next.
    free: [*mut u8; CLASSES],
    /// Unused part of the current chunk.
    bump: *mut u8,
    end: *mut u8,
}

thread_local! {
    static HEAP: UnsafeCell<Heap> = const {
        UnsafeCell::new(Heap {
            free: [ptr::null_mut(); CLASSES],
            bump: ptr::null_mut(),
            end: ptr::null_mut(),
        })
    };
}

/// The size class of a pooled layout, `None` for the system allocator.
#[inline]
fn class_of(size: usize, align: usize) -> Option<usize> {
    if size <= MAX_POOLED && align <= GRAIN {
        Some(size.max(1).div_ceil(GRAIN) - 1)
    } else {
        None
    }
}

impl Heap {
    /// A block of `class`; null when the system is out of memory.
    ///
    /// # Safety
    /// `class < CLASSES`; the caller has exclusive access to this heap.
    #[inline]
    unsafe fn take(&mut self, class: usize) -> *mut u8 {
        let head = self.free[class];
        if !head.is_null() {
            // SAFETY: a free block's first word holds the next free block (see `give`).
            self.free[class] = unsafe { head.cast::<*mut u8>().read() };
            return head;
        }
        let size = (class + 1) * GRAIN;
        if (self.end as usize) - (self.bump as usize) < size {
            // SAFETY: CHUNK is non-zero and GRAIN a power of two.
            let chunk = unsafe { System.alloc(Layout::from_size_align_unchecked(CHUNK, GRAIN)) };
            if chunk.is_null() {
                return chunk;
            }
            // The rest of the previous chunk (under 1 KiB) is left unused.
            self.bump = chunk;
            // SAFETY: one past the end of the chunk just allocated.
            self.end = unsafe { chunk.add(CHUNK) };
        }
        let block = self.bump;
        // SAFETY: at least `size` bytes remain in the chunk (checked or refilled above).
        self.bump = unsafe { block.add(size) };
        block
    }

    /// Puts a block of `class` on this thread's free list.
    ///
    /// # Safety
    /// `block` came from [`Heap::take`] of the same class (on any thread) and is no longer
    /// used; the caller has exclusive access to this heap.
    #[inline]
    unsafe fn give(&mut self, block: *mut u8, class: usize) {
        // SAFETY: every block is at least GRAIN (16) bytes and 16-aligned: room for a link.
        unsafe { block.cast::<*mut u8>().write(self.free[class]) };
        self.free[class] = block;
    }
}

// SAFETY: pooled blocks are 16-aligned (chunks are, and sizes are multiples of 16) and at
// least as large as requested; layouts the pool does not take go to `System` unchanged;
// each thread's heap is only touched by that thread, never re-entered (the system
// allocator does not call back into this one).
unsafe impl GlobalAlloc for Pool {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class_of(layout.size(), layout.align()) {
            // SAFETY: class_of returns classes below CLASSES; the heap is this thread's.
            Some(class) => HEAP.with(|heap| unsafe { (*heap.get()).take(class) }),
            // SAFETY: forwarded with the caller's guarantees.
            None => unsafe { System.alloc(layout) },
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match class_of(layout.size(), layout.align()) {
            Some(_) => {
                // SAFETY: as in `alloc`; a reused block holds old bytes, so it is cleared.
                let block = unsafe { self.alloc(layout) };
                if !block.is_null() {
                    unsafe { block.write_bytes(0, layout.size()) };
                }
                block
            }
            // SAFETY: forwarded with the caller's guarantees.
            None => unsafe { System.alloc_zeroed(layout) },
        }
    }

    #[inline]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        match class_of(layout.size(), layout.align()) {
            // SAFETY: the same layout was given to `alloc`, so the block is pooled and of
            // this class.
            Some(class) => HEAP.with(|heap| unsafe { (*heap.get()).give(block, class) }),
            // SAFETY: forwarded with the caller's guarantees.
            None => unsafe { System.dealloc(block, layout) },
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = class_of(layout.size(), layout.align());
        let new = class_of(new_size, layout.align());
        match (old, new) {
            // The block already has room (a class is a 16-byte range).
            (Some(a), Some(b)) if a == b => block,
            // SAFETY: forwarded with the caller's guarantees.
            (None, None) => unsafe { System.realloc(block, layout, new_size) },
            _ => {
                // SAFETY: the caller guarantees new_size is valid for this alignment.
                let new_layout =
                    unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
                // SAFETY: moved by hand between the pool and the system allocator.
                unsafe {
                    let moved = self.alloc(new_layout);
                    if !moved.is_null() {
                        ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                        self.dealloc(block, layout);
                    }
                    moved
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_classes() {
        assert_eq!(class_of(1, 1), Some(0));
        assert_eq!(class_of(16, 8), Some(0));
        assert_eq!(class_of(17, 8), Some(1));
        assert_eq!(class_of(1024, 16), Some(CLASSES - 1));
        assert_eq!(class_of(1025, 8), None);
        assert_eq!(class_of(64, 32), None, "over-aligned goes to the system");
    }

    /// Allocates, writes, grows, shrinks and frees blocks of every size around the pool's
    /// limits on several threads, freeing some on another thread than the one that made
    /// them, and checks every byte survives.
    #[test]
    fn blocks_keep_their_contents_across_threads_and_reallocs() {
        let pool = Pool;
        let sizes: Vec<usize> = (1..=1100)
            .step_by(7)
            .chain([1024, 1025, 4096, 70_000])
            .collect();
        let made: Vec<Vec<(usize, usize, usize)>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|t| {
                    let sizes = &sizes;
                    let pool = &pool;
                    s.spawn(move || {
                        let mut kept = Vec::new();
                        for (i, &size) in sizes.iter().enumerate() {
                            let layout = Layout::from_size_align(size, 8).unwrap();
                            unsafe {
                                let mut p = pool.alloc(layout);
                                assert!(!p.is_null());
                                assert_eq!(p as usize % 8, 0);
                                p.write_bytes((i + t) as u8, size);
                                let grown = size * 2 + 3;
                                p = pool.realloc(p, layout, grown);
                                for k in 0..size {
                                    assert_eq!(*p.add(k), (i + t) as u8);
                                }
                                p.add(size).write_bytes(0xAB, grown - size);
                                let shrunk = (size / 2).max(1);
                                let layout = Layout::from_size_align(grown, 8).unwrap();
                                p = pool.realloc(p, layout, shrunk);
                                for k in 0..shrunk {
                                    assert_eq!(*p.add(k), (i + t) as u8);
                                }
                                if i % 2 == 0 {
                                    pool.dealloc(p, Layout::from_size_align(shrunk, 8).unwrap());
                                } else {
                                    kept.push((p as usize, shrunk, (i + t) % 256));
                                }
                            }
                        }
                        kept
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        // Freed here, on another thread than their own; then reused.
        for (p, size, byte) in made.into_iter().flatten() {
            unsafe {
                let p = p as *mut u8;
                for k in 0..size {
                    assert_eq!(*p.add(k), byte as u8);
                }
                pool.dealloc(p, Layout::from_size_align(size, 8).unwrap());
            }
        }
        unsafe {
            let layout = Layout::from_size_align(40, 16).unwrap();
            let z = pool.alloc_zeroed(layout);
            assert_eq!(z as usize % 16, 0);
            assert!((0..40).all(|k| *z.add(k) == 0));
            pool.dealloc(z, layout);
        }
    }
}
