//! The largest use of each evaluation budget across a corpus, the check
//! that the default [`Limits`] leave ample headroom over it, and the
//! process's peak memory.
#![allow(dead_code)]

use azrelo_template::limits::{Limits, Usage};

/// Per budget: the largest use seen and the template that used it.
#[derive(Default)]
pub struct Peak {
    /// steps, evaluated bytes, largest value, nesting.
    most: [(u64, String); 4],
}

impl Peak {
    pub fn record(&mut self, u: Usage, template: &str) {
        let used = [
            u.steps,
            u.evaluated_bytes,
            u.largest_value_bytes,
            u.deepest_nesting as u64,
        ];
        for (slot, n) in self.most.iter_mut().zip(used) {
            if n > slot.0 {
                *slot = (n, template.to_string());
            }
        }
    }

    /// No corpus template comes within a factor of 8 of a default limit.
    pub fn assert_headroom(&self, corpus: &str) {
        let l = Limits::default();
        let limits = [
            ("max_steps", l.max_steps),
            ("max_evaluated_bytes", l.max_evaluated_bytes),
            ("max_value_bytes", l.max_value_bytes),
            ("max_nesting", l.max_nesting as u64),
        ];
        for ((name, limit), (used, template)) in limits.iter().zip(&self.most) {
            println!("{corpus}: peak {name} use {used} (of {limit}) by {template}");
            assert!(
                used * 8 <= *limit,
                "{corpus}: {template} uses {used} of {name} {limit}"
            );
        }
    }
}

/// Peak resident set of this process (`VmHWM`), in KiB; Linux only.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
