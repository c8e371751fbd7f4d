//! The trend of each sampled series: a least-squares slope over the second half of the run
//! (the first half is warm-up: caches, pools and allocator arenas filling), and the medians of
//! an early and a late window.

use crate::sample::Sample;

/// One series' summary.
pub struct Trend {
    /// Series name.
    pub name: &'static str,
    /// Unit of the figures.
    pub unit: &'static str,
    /// Median of the early window.
    pub early: f64,
    /// Median of the late window.
    pub late: f64,
    /// Least-squares slope over the second half, units per hour.
    pub slope_per_hour: f64,
    /// Smallest and largest sample.
    pub min: f64,
    pub max: f64,
    /// What counts as growth for this series (noise below it is ignored), in its unit.
    pub tolerance: f64,
}

impl Trend {
    /// Upward: the late median is above the early one by more than the tolerance and the
    /// second half still climbs by more than the tolerance per hour.
    pub fn upward(&self) -> bool {
        self.late - self.early > self.tolerance && self.slope_per_hour > self.tolerance
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Least-squares slope of `y` against `t` (seconds), per hour.
fn slope_per_hour(points: &[(f64, f64)]) -> f64 {
    let points: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(t, y)| t.is_finite() && y.is_finite())
        .collect();
    let n = points.len() as f64;
    if points.len() < 2 {
        return f64::NAN;
    }
    let mt = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|(t, y)| (t - mt) * (y - my)).sum();
    let sxx: f64 = points.iter().map(|(t, _)| (t - mt) * (t - mt)).sum();
    if sxx == 0.0 {
        return f64::NAN;
    }
    sxy / sxx * 3600.0
}

/// The window the early and late medians cover: ten minutes, or a quarter of a shorter run.
pub fn window_seconds(run_seconds: f64) -> f64 {
    (run_seconds / 4.0).min(600.0)
}

/// A series: name, unit, tolerance, and how to read it from a sample.
type Series = (&'static str, &'static str, f64, fn(&Sample) -> f64);

/// Summaries of every series.
pub fn trends(samples: &[Sample]) -> Vec<Trend> {
    let end = samples.last().map_or(0.0, |s| s.t);
    let window = window_seconds(end);
    let series: [Series; 6] = [
        ("resident memory", "MiB", 2.0, |s| s.rss_kib / 1024.0),
        ("resident anon", "MiB", 2.0, |s| s.anon_kib / 1024.0),
        ("heap in use", "MiB", 0.5, |s| {
            s.heap_bytes / (1024.0 * 1024.0)
        }),
        ("heap blocks", "blocks", 500.0, |s| s.heap_blocks),
        ("open fds", "fds", 1.0, |s| s.fds),
        ("threads", "threads", 1.0, |s| s.threads),
    ];
    series
        .iter()
        .map(|&(name, unit, tolerance, get)| {
            let all: Vec<f64> = samples.iter().map(get).collect();
            let early = median(samples.iter().filter(|s| s.t <= window).map(get).collect());
            let late = median(
                samples
                    .iter()
                    .filter(|s| s.t >= end - window)
                    .map(get)
                    .collect(),
            );
            let second_half: Vec<(f64, f64)> = samples
                .iter()
                .filter(|s| s.t >= end / 2.0)
                .map(|s| (s.t, get(s)))
                .collect();
            Trend {
                name,
                unit,
                early,
                late,
                slope_per_hour: slope_per_hour(&second_half),
                min: all.iter().copied().fold(f64::INFINITY, f64::min),
                max: all.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                tolerance,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_of_a_line() {
        let pts: Vec<(f64, f64)> = (0..100).map(|i| (i as f64, 2.0 * i as f64 + 1.0)).collect();
        assert!((slope_per_hour(&pts) - 7200.0).abs() < 1e-6);
    }

    #[test]
    fn medians() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(Vec::new()).is_nan());
    }
}
