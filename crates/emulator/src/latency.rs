//! Latency profiles: how long the emulator's long-running operations take,
//! per resource type, and the clock they are measured against.
//!
//! The emulator never waits inside a request handler. A PUT or DELETE records
//! when its operation completes (`now + duration`) and every later request
//! compares that with the clock: until then the resource shows its
//! transitional `provisioningState` (`Creating`, `Updating`, `Deleting`) and
//! the operation-status endpoint answers `InProgress`. That is deterministic
//! and cheap, and a [`Clock::manual`] clock lets tests step time forward
//! instead of sleeping.
//!
//! The realistic durations are typical figures for a single resource in one
//! region, kept per type in [`crate::types`] (a virtual machine takes about
//! a minute and a half, a network security group a few seconds, an
//! application gateway or a VPN gateway tens of minutes; types ARM handles
//! synchronously — role assignments, locks, diagnostic settings, tags — no
//! time); they are a model of Azure's behaviour, not a measurement of it. A snapshot's cross-region copy (`createOption: CopyStart`) takes time
//! proportional to the disk size: Azure copies the used data in the
//! background and reports `completionPercent`
//! (learn.microsoft.com/azure/virtual-machines/disks-copy-incremental-snapshot-across-regions).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long operations take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LatencyProfile {
    /// Everything completes immediately (the default).
    #[default]
    Off,
    /// Typical Azure durations per resource type.
    Realistic,
    /// Realistic durations scaled down ×0.05 (tests, demos, benchmarks).
    Fast,
}

/// Seconds per GiB of a cross-region snapshot copy in the realistic profile
/// (about 100 MB/s).
const COPY_SECONDS_PER_GIB: f64 = 10.0;

impl LatencyProfile {
    /// `off`, `realistic` or `fast`.
    pub fn parse(s: &str) -> Result<LatencyProfile, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" | "none" => Ok(LatencyProfile::Off),
            "realistic" => Ok(LatencyProfile::Realistic),
            "fast" => Ok(LatencyProfile::Fast),
            other => Err(format!(
                "unknown latency profile '{other}' (profiles: off, realistic, fast)"
            )),
        }
    }

    /// The factor applied to realistic durations.
    pub fn scale(self) -> f64 {
        match self {
            LatencyProfile::Off => 0.0,
            LatencyProfile::Realistic => 1.0,
            LatencyProfile::Fast => 0.05,
        }
    }

    fn scaled(self, secs: f64) -> Duration {
        Duration::from_secs_f64(secs * self.scale())
    }

    /// How long creating a resource of this type takes.
    pub fn create(self, resource_type: &str) -> Duration {
        self.scaled(crate::types::facts(resource_type).seconds.0)
    }

    /// How long updating (PUT on an existing resource) takes: half a create.
    pub fn update(self, resource_type: &str) -> Duration {
        self.scaled(crate::types::facts(resource_type).seconds.0 / 2.0)
    }

    /// How long deleting a resource of this type takes.
    pub fn delete(self, resource_type: &str) -> Duration {
        self.scaled(crate::types::facts(resource_type).seconds.1)
    }

    /// How long the background copy of `size_gb` GiB takes (CopyStart).
    pub fn copy(self, size_gb: u64) -> Duration {
        self.scaled((size_gb.max(1) as f64 * COPY_SECONDS_PER_GIB).max(10.0))
    }
}

/// The emulator's clock: the system's monotonic clock, or a manual one that
/// tests advance explicitly. Times are durations since the clock's origin.
#[derive(Debug, Clone)]
pub struct Clock {
    origin: Instant,
    manual: Option<Arc<Mutex<Duration>>>,
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

impl Clock {
    /// The system's monotonic clock.
    pub fn system() -> Clock {
        Clock {
            origin: Instant::now(),
            manual: None,
        }
    }

    /// A clock that only moves when [`Clock::advance`] is called (tests).
    pub fn manual() -> Clock {
        Clock {
            origin: Instant::now(),
            manual: Some(Arc::default()),
        }
    }

    /// Time since the origin.
    pub fn now(&self) -> Duration {
        match &self.manual {
            Some(m) => *crate::state::lock(m),
            None => self.origin.elapsed(),
        }
    }

    /// Move a manual clock forward (no effect on the system clock).
    pub fn advance(&self, by: Duration) {
        if let Some(m) = &self.manual {
            *crate::state::lock(m) += by;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_order_types_and_scale() {
        let r = LatencyProfile::parse("realistic").unwrap();
        let f = LatencyProfile::parse("FAST").unwrap();
        let o = LatencyProfile::parse("off").unwrap();
        let vm = "Microsoft.Compute/virtualMachines";
        let nsg = "Microsoft.Network/networkSecurityGroups";
        assert!(
            r.create(vm) > r.create(nsg),
            "a VM takes longer than an NSG"
        );
        assert_eq!(f.create(vm), r.create(vm).mul_f64(0.05));
        assert_eq!(o.create(vm), Duration::ZERO);
        assert!(r.copy(1024) > r.copy(128), "copy time follows the size");
        assert_eq!(
            r.create("Microsoft.Authorization/roleAssignments"),
            Duration::ZERO
        );
        assert!(LatencyProfile::parse("slow").is_err());
    }

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let c = Clock::manual();
        assert_eq!(c.now(), Duration::ZERO);
        c.advance(Duration::from_secs(5));
        assert_eq!(c.now(), Duration::from_secs(5));
    }
}
