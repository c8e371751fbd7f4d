//! Start-up of haptix in a fresh process, for the comparison benchmark: `haptix_context_new`
//! with default options (the built-in full device database) + `haptix_client_new` on the
//! embedded server + its first `Connected` event; then resident memory. This binary contains
//! only haptix, so its memory figure is not inflated by the reference implementation. Run by
//! `haptix-bench-compare`; prints one result line.

#[path = "../abi.rs"]
#[allow(dead_code)] // shared with the benchmark, which uses more of it
mod abi;
#[path = "../startup.rs"]
mod startup;

use std::time::Instant;

fn main() {
    startup::run(|| {
        let start = Instant::now();
        let session = abi::Session::open(None)?;
        Ok((start.elapsed(), session))
    });
}
