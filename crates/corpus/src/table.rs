//! The corpus figure: per-service and per-failure-class tables, and the
//! failures as (key, reason) pairs for the expectations file.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::{Relocation, TargetKind, Verdict};

/// Relocated / counted per target kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub relocated: usize,
    /// Quickstarts that deploy on the emulator (the denominator).
    pub counted: usize,
}

impl Tally {
    pub fn rate(&self) -> f64 {
        if self.counted == 0 {
            100.0
        } else {
            self.relocated as f64 * 100.0 / self.counted as f64
        }
    }
}

/// The tally of each target kind.
pub fn tally(results: &[Relocation]) -> BTreeMap<TargetKind, Tally> {
    let mut out: BTreeMap<TargetKind, Tally> = BTreeMap::new();
    for r in results {
        let t = out.entry(r.kind).or_default();
        match r.verdict {
            Verdict::NotDeployable => {}
            Verdict::Relocated => {
                t.relocated += 1;
                t.counted += 1;
            }
            Verdict::Failed(_) => t.counted += 1,
        }
    }
    out
}

/// Failures as `(key, reason)` pairs, in result order.
pub fn failures(results: &[Relocation]) -> Vec<(String, String)> {
    results
        .iter()
        .filter_map(|r| match &r.verdict {
            Verdict::Failed(f) => Some((r.key(), f.reason())),
            _ => None,
        })
        .collect()
}

/// The report: totals per target kind, the per-service table, the
/// per-failure-class table and the run's duration.
pub fn render(results: &[Relocation], wall: Duration) -> String {
    let mut s = String::new();
    let kinds = tally(results);
    let _ = writeln!(
        s,
        "relocation corpus: {} case(s) in {:.1}s",
        results.len(),
        wall.as_secs_f64()
    );
    for (k, t) in &kinds {
        let _ = writeln!(
            s,
            "  {:<16} {:>4}/{:<4} relocated end to end ({:.1}%), target {}",
            k.label(),
            t.relocated,
            t.counted,
            t.rate(),
            k.region()
        );
    }
    let skipped = results
        .iter()
        .filter(|r| r.verdict == Verdict::NotDeployable)
        .count();
    let _ = writeln!(
        s,
        "  {skipped} case(s) skipped: the quickstart does not deploy on the emulator (crates/emulator/tests/expectations/quickstarts.txt)"
    );
    // Per service.
    let mut services: BTreeMap<&str, BTreeMap<TargetKind, Tally>> = BTreeMap::new();
    for r in results {
        if r.verdict == Verdict::NotDeployable {
            continue;
        }
        let t = services
            .entry(r.service())
            .or_default()
            .entry(r.kind)
            .or_default();
        t.counted += 1;
        if r.verdict == Verdict::Relocated {
            t.relocated += 1;
        }
    }
    let _ = writeln!(s, "\nper service (relocated/counted):");
    let _ = writeln!(
        s,
        "  {:<40} {:>15} {:>15}",
        "service", "same-geography", "cross-geography"
    );
    for (svc, by) in &services {
        let cell = |k: TargetKind| {
            by.get(&k)
                .map(|t| format!("{}/{}", t.relocated, t.counted))
                .unwrap_or_else(|| "-".into())
        };
        let _ = writeln!(
            s,
            "  {:<40} {:>15} {:>15}",
            svc,
            cell(TargetKind::SameGeography),
            cell(TargetKind::CrossGeography)
        );
    }
    // Per failure class.
    let mut classes: BTreeMap<String, BTreeMap<TargetKind, usize>> = BTreeMap::new();
    for r in results {
        if let Verdict::Failed(f) = &r.verdict {
            *classes
                .entry(format!("{}/{}", f.stage.as_str(), f.class))
                .or_default()
                .entry(r.kind)
                .or_default() += 1;
        }
    }
    let _ = writeln!(s, "\nper failure class (stage/class):");
    let mut rows: Vec<(&String, &BTreeMap<TargetKind, usize>)> = classes.iter().collect();
    rows.sort_by_key(|(c, by)| (std::cmp::Reverse(by.values().sum::<usize>()), (*c).clone()));
    for (c, by) in rows {
        let n = |k: TargetKind| by.get(&k).copied().unwrap_or(0);
        let _ = writeln!(
            s,
            "  {:<60} {:>6} {:>6}",
            c,
            n(TargetKind::SameGeography),
            n(TargetKind::CrossGeography)
        );
    }
    s
}
