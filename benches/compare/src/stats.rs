//! Small statistics helpers: percentiles by sorting, medians, formatting.

use std::time::Duration;

/// Latency percentiles of one scenario, computed from every recorded sample.
#[derive(Clone, Copy, Debug, Default)]
pub struct Percentiles {
    pub samples: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Percentiles {
    /// Sorts the samples and picks the nearest-rank percentiles.
    pub fn from_samples(mut samples: Vec<Duration>) -> Percentiles {
        if samples.is_empty() {
            return Percentiles::default();
        }
        samples.sort_unstable();
        Percentiles {
            samples: samples.len(),
            p50: nearest_rank(&samples, 50.0),
            p99: nearest_rank(&samples, 99.0),
            max: *samples.last().expect("non-empty"),
        }
    }
}

/// Nearest-rank percentile of sorted, non-empty samples.
fn nearest_rank(sorted: &[Duration], pct: f64) -> Duration {
    let rank = ((pct / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Median of a list of numbers (upper median for even counts); `None` when empty.
pub fn median_u64(values: &[u64]) -> Option<u64> {
    let mut v = values.to_vec();
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}

/// Microseconds with one decimal.
pub fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

/// Commands per second, rounded to the nearest hundred for readability.
pub fn rate(per_sec: f64) -> String {
    if per_sec >= 1000.0 {
        format!("{:.1}k cmd/s", per_sec / 1000.0)
    } else {
        format!("{per_sec:.0} cmd/s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_one_to_hundred() {
        let s: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        let p = Percentiles::from_samples(s);
        assert_eq!(p.p50, Duration::from_micros(50));
        assert_eq!(p.p99, Duration::from_micros(99));
        assert_eq!(p.max, Duration::from_micros(100));
    }

    #[test]
    fn median() {
        assert_eq!(median_u64(&[5, 1, 3]), Some(3));
        assert_eq!(median_u64(&[]), None);
    }
}
