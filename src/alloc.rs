//! The process's allocator, chosen once for the whole run.
//!
//! sled copies a node on every insert, so writing a store in bulk (`konto
//! gen`, `import`, `restore`, `compact`) is bound by malloc and free, and
//! with a thread per tree by glibc's arena locks (a fifth of a bulk write's
//! profile was malloc, free and futex). jemalloc's per-thread caches make
//! `konto gen --count 1000000` 1.3 to 1.4 times faster (back to back). The
//! app keeps glibc's allocator: under jemalloc it peaked at 647 MiB instead
//! of 472 at a million customers, and its filter's complete result came
//! later (p90 185 ms instead of 114; why was not looked into). See
//! BENCHMARKS.md. `konto export` reads in bulk on several threads: under
//! glibc a quarter of its time went to `_int_malloc` and
//! `malloc_consolidate`, so it runs with jemalloc too.
//!
//! A process cannot change allocators once it has allocated, so the choice
//! is read from the environment at the very first allocation, and
//! `cli::main` runs konto again with `BULK_ALLOCATOR` set for the bulk
//! commands.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, Ordering};

use tikv_jemallocator::Jemalloc;

/// Set (to anything) in the environment: this run allocates with jemalloc.
pub const BULK_ALLOCATOR: &str = "KONTO_BULK_ALLOCATOR";
const BULK_ALLOCATOR_C: &std::ffi::CStr = c"KONTO_BULK_ALLOCATOR";

const UNDECIDED: u8 = 0;
const SYSTEM: u8 = 1;
const JEMALLOC: u8 = 2;

static CHOSEN: AtomicU8 = AtomicU8::new(UNDECIDED);

/// glibc's malloc or jemalloc, whichever the environment chose when the
/// process first allocated; every block is freed by the allocator that
/// gave it, as the choice never changes.
pub struct PerRun;

fn chosen() -> u8 {
    match CHOSEN.load(Ordering::Relaxed) {
        UNDECIDED => {
            // The first allocation happens before `main`, on the only
            // thread; getenv allocates nothing, so it may run in here.
            // SAFETY: the name is a NUL-terminated C string, and nothing
            // changes the environment this early.
            let set = unsafe { !libc::getenv(BULK_ALLOCATOR_C.as_ptr()).is_null() };
            let choice = if set { JEMALLOC } else { SYSTEM };
            CHOSEN.store(choice, Ordering::Relaxed);
            choice
        }
        choice => choice,
    }
}

/// The allocator of this run, for the log (in the konto binary, whose
/// global allocator `PerRun` is; elsewhere what it would choose).
pub fn name() -> &'static str {
    match chosen() {
        JEMALLOC => "jemalloc",
        _ => "system",
    }
}

/// Large blocks go back to the system when freed, for the app's whole run.
///
/// glibc serves a block of 128 KiB or more with its own mapping at first,
/// but each such block freed raises that threshold to its size (up to
/// 32 MiB): afterwards the app's per-keystroke buffers at a million
/// customers (hits, candidates, ranks: 4-12 MB each) come from the heap,
/// where freed blocks stay resident and new ones miss the holes. A fixed
/// threshold keeps them mapped and returned: the app's peak after three
/// filter rounds at 1M went from 312 to 298 MiB, and the resident size
/// back to the loaded list's after each filter (BENCHMARKS.md). Nothing
/// to do under jemalloc, which returns memory by itself.
pub fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if chosen() == SYSTEM {
        // SAFETY: mallopt only sets a tunable; 256 KiB is within its range.
        // A refusal (0) leaves glibc's default, which is only slower to
        // give memory back.
        let _ = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 10) };
    }
}

// SAFETY: every call goes to one of two sound allocators, the same one for
// the whole run (see `chosen`).
unsafe impl GlobalAlloc for PerRun {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        unsafe {
            match chosen() {
                JEMALLOC => Jemalloc.alloc(layout),
                _ => System.alloc(layout),
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        unsafe {
            match chosen() {
                JEMALLOC => Jemalloc.alloc_zeroed(layout),
                _ => System.alloc_zeroed(layout),
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from the same allocator (the choice is fixed).
        unsafe {
            match chosen() {
                JEMALLOC => Jemalloc.dealloc(ptr, layout),
                _ => System.dealloc(ptr, layout),
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from the same allocator (the choice is fixed).
        unsafe {
            match chosen() {
                JEMALLOC => Jemalloc.realloc(ptr, layout, new_size),
                _ => System.realloc(ptr, layout, new_size),
            }
        }
    }
}
