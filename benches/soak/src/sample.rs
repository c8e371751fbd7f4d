//! Once a second: resident memory, open file descriptors, threads (from `/proc/self`) and the
//! heap in use (from the counting allocator), with a line per minute.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::abi::Tally;

/// The system allocator, counting the bytes and blocks in use. The library is linked into
/// this program, so its allocations are counted too: an exact figure next to the resident
/// set, which the allocator's caching makes coarse.
pub struct Counting;

static HEAP_BYTES: AtomicI64 = AtomicI64::new(0);
static HEAP_BLOCKS: AtomicI64 = AtomicI64::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            HEAP_BYTES.fetch_add(layout.size() as i64, Ordering::Relaxed);
            HEAP_BLOCKS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            HEAP_BYTES.fetch_add(layout.size() as i64, Ordering::Relaxed);
            HEAP_BLOCKS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded: `ptr` came from this allocator with this layout.
        unsafe { System.dealloc(ptr, layout) };
        HEAP_BYTES.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        HEAP_BLOCKS.fetch_sub(1, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded: `ptr` came from this allocator with this layout.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            HEAP_BYTES.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        }
        p
    }
}

/// One second's figures.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Seconds since the start.
    pub t: f64,
    /// Resident set, KiB (`VmRSS`).
    pub rss_kib: f64,
    /// Its anonymous part, KiB (`RssAnon`: heap, stacks; without the mapped program and
    /// libraries, whose pages come in as more code runs).
    pub anon_kib: f64,
    /// Entries of `/proc/self/fd`.
    pub fds: f64,
    /// `Threads` of `/proc/self/status`.
    pub threads: f64,
    /// Heap bytes in use.
    pub heap_bytes: f64,
    /// Heap blocks in use.
    pub heap_blocks: f64,
}

fn status_field(status: &str, key: &str) -> f64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Takes one sample now.
pub fn sample(start: Instant) -> Sample {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let fds = std::fs::read_dir("/proc/self/fd")
        // the directory handle used for reading is one of the entries; not counted
        .map(|d| d.count().saturating_sub(1) as f64)
        .unwrap_or(f64::NAN);
    Sample {
        t: start.elapsed().as_secs_f64(),
        rss_kib: status_field(&status, "VmRSS:"),
        anon_kib: status_field(&status, "RssAnon:"),
        fds,
        threads: status_field(&status, "Threads:"),
        heap_bytes: HEAP_BYTES.load(Ordering::Relaxed) as f64,
        heap_blocks: HEAP_BLOCKS.load(Ordering::Relaxed) as f64,
    }
}

/// The sampling thread: a sample a second, a line a minute, until stopped.
pub struct Sampler {
    samples: Arc<Mutex<Vec<Sample>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    /// Starts sampling, with room for `capacity` samples; `tally` is quoted in the minute
    /// lines.
    pub fn start(start: Instant, tally: Arc<Tally>, capacity: usize) -> Sampler {
        // allocated up front, so that the samples do not show up as heap growth
        let samples = Arc::new(Mutex::new(Vec::with_capacity(capacity)));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (Arc::clone(&samples), Arc::clone(&stop));
        let thread = std::thread::Builder::new()
            .name("soak-sampler".into())
            .spawn(move || {
                let mut next = start;
                let mut second = 0u64;
                while !st.load(Ordering::Relaxed) {
                    let now = Instant::now();
                    if now < next {
                        std::thread::sleep((next - now).min(Duration::from_millis(200)));
                        continue;
                    }
                    next += Duration::from_secs(1);
                    let x = sample(start);
                    if let Ok(mut v) = s.lock() {
                        v.push(x);
                    }
                    second += 1;
                    if second.is_multiple_of(60) {
                        minute_line(second / 60, &x, &tally);
                    }
                }
            })
            .ok();
        Sampler {
            samples,
            stop,
            thread,
        }
    }

    /// Stops the thread and returns the samples.
    pub fn finish(mut self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.samples.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

fn minute_line(minute: u64, x: &Sample, tally: &Tally) {
    println!(
        "soak: min {minute:>3}  rss {:>5.1} MiB (anon {:>5.1})  fds {:>3}  threads {:>3}  heap {:>7.2} MiB \
         ({:>6} blocks)  | rounds {:>5}  sent {:>7}  answered {:>7}  failed {}  unanswered {}",
        x.rss_kib / 1024.0,
        x.anon_kib / 1024.0,
        x.fds,
        x.threads,
        x.heap_bytes / (1024.0 * 1024.0),
        x.heap_blocks,
        Tally::get(&tally.rounds),
        Tally::get(&tally.sent),
        Tally::get(&tally.answered),
        Tally::get(&tally.failed),
        Tally::get(&tally.unanswered),
    );
}
