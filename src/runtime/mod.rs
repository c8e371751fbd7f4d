//! Runtime construction: the one explicitly built, multi-threaded tokio runtime a host (the
//! `haptix` command, later the C ABI context) owns. Nothing in the library creates a runtime
//! implicitly.

use std::io;

/// Builds a multi-threaded runtime with named threads and a small worker count.
pub fn build(worker_threads: usize) -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads.max(1))
        .thread_name("haptix-worker")
        .enable_all()
        .build()
}

#[cfg(test)]
mod tests {
    #[test]
    fn builds_and_runs() {
        let rt = super::build(1).unwrap();
        assert_eq!(rt.block_on(async { 2 + 2 }), 4);
    }
}
