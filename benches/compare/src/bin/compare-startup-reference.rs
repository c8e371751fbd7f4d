//! Start-up of the reference implementation in a fresh process, for the comparison benchmark:
//! multi-thread tokio runtime + full built-in device configuration + server (with the recording
//! comm manager registered, finding nothing) + in-process client connected; then resident
//! memory. This binary contains only the reference implementation. Run by
//! `haptix-bench-compare`; prints one result line.

#[path = "../common.rs"]
#[allow(dead_code)] // shared with the benchmark, which uses more of it
mod common;
#[path = "../recording.rs"]
mod recording;
#[path = "../startup.rs"]
mod startup;

use std::time::Instant;

fn main() {
    startup::run(|| {
        let start = Instant::now();
        let rt = recording::runtime();
        let client = rt.block_on(recording::connect(None))?;
        Ok((start.elapsed(), (client, rt)))
    });
}
