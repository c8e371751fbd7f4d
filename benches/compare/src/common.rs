//! What the parts of the benchmark share.

use std::time::Instant;

/// BLE name of the benchmark device.
pub const HUSH_NAME: &str = "LVS-Hush";
/// Address of the benchmark device.
pub const HUSH_ADDRESS: &str = "bench-hush";

/// Prefix of the one line a child process prints its result on.
pub const RESULT_PREFIX: &str = "BENCH-RESULT";

/// One write seen by a recording device, stamped inside the write.
pub struct WriteRecord {
    pub at: Instant,
    pub data: Vec<u8>,
}
