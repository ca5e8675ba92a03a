//! Client-side throttling: token buckets per subscription for reads, writes
//! and deletes, shaped like ARM's own (burst + continuous refill) and fed by
//! the `x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}` headers
//! ARM returns, so the client slows down *before* ARM answers 429.
//!
//! Model: each request takes one token up front (the count may go negative
//! when many are queued, which orders them fairly); when the count is below
//! the reserve, the request waits until refill brings it back to the
//! reserve. A reported remaining count lowers the local one (the server also
//! counts other clients of the same principal); a 429 blocks the bucket for
//! the `Retry-After` the server gave. ARM's algorithm:
//! <https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling>.

use crate::config::{BucketShape, ThrottleConfig};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Which bucket a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Class {
    Read,
    Write,
    Delete,
}

impl Class {
    pub(crate) fn of(method: &str) -> Class {
        match method {
            "GET" | "HEAD" => Class::Read,
            "DELETE" => Class::Delete,
            _ => Class::Write,
        }
    }

    pub(crate) const ALL: [Class; 3] = [Class::Read, Class::Write, Class::Delete];

    /// The remaining-requests headers of this class: the principal's
    /// bucket and the subscription's global one (15× the size, shared by
    /// all principals). Whichever is lower bounds what this client can send.
    pub(crate) fn headers(self) -> [&'static str; 2] {
        match self {
            Class::Read => [
                "x-ms-ratelimit-remaining-subscription-reads",
                "x-ms-ratelimit-remaining-subscription-global-reads",
            ],
            Class::Write => [
                "x-ms-ratelimit-remaining-subscription-writes",
                "x-ms-ratelimit-remaining-subscription-global-writes",
            ],
            Class::Delete => [
                "x-ms-ratelimit-remaining-subscription-deletes",
                "x-ms-ratelimit-remaining-subscription-global-deletes",
            ],
        }
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
    blocked_until: Option<Instant>,
}

#[derive(Debug)]
pub(crate) struct Throttle {
    cfg: ThrottleConfig,
    buckets: Mutex<HashMap<(String, Class), Bucket>>,
}

impl Throttle {
    pub(crate) fn new(cfg: ThrottleConfig) -> Throttle {
        Throttle {
            cfg,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn shape(&self, class: Class) -> BucketShape {
        match class {
            Class::Read => self.cfg.reads,
            Class::Write => self.cfg.writes,
            Class::Delete => self.cfg.deletes,
        }
    }

    fn with_bucket<R>(
        &self,
        sub: &str,
        class: Class,
        now: Instant,
        f: impl FnOnce(&mut Bucket, BucketShape) -> R,
    ) -> R {
        let shape = self.shape(class);
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let b = map
            .entry((sub.to_ascii_lowercase(), class))
            .or_insert(Bucket {
                tokens: shape.capacity,
                at: now,
                blocked_until: None,
            });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * shape.refill_per_sec).min(shape.capacity);
        b.at = now;
        f(b, shape)
    }

    /// Take a token for one request; the returned delay is how long to wait
    /// before sending it.
    pub(crate) fn acquire(&self, sub: &str, class: Class, now: Instant) -> Duration {
        if !self.cfg.enabled {
            return Duration::ZERO;
        }
        let reserve = self.reserve(class);
        self.with_bucket(sub, class, now, |b, shape| {
            b.tokens -= 1.0;
            let mut wait = if b.tokens >= reserve || shape.refill_per_sec <= 0.0 {
                Duration::ZERO
            } else {
                Duration::from_secs_f64((reserve - b.tokens) / shape.refill_per_sec)
            };
            if let Some(u) = b.blocked_until {
                wait = wait.max(u.saturating_duration_since(now));
            }
            wait
        })
    }

    fn reserve(&self, class: Class) -> f64 {
        (self.shape(class).capacity * self.cfg.reserve_fraction.clamp(0.0, 0.9)).floor()
    }

    /// A response reported `remaining` requests left in the server's bucket.
    pub(crate) fn observe_remaining(&self, sub: &str, class: Class, remaining: f64, now: Instant) {
        if !self.cfg.enabled {
            return;
        }
        self.with_bucket(sub, class, now, |b, _| {
            if remaining < b.tokens {
                b.tokens = remaining;
            }
        });
    }

    /// ARM answered 429 for this bucket and asked to wait `retry_after`.
    pub(crate) fn observe_throttled(
        &self,
        sub: &str,
        class: Class,
        retry_after: Duration,
        now: Instant,
    ) {
        if !self.cfg.enabled {
            return;
        }
        // The count is left to the remaining-requests header (ARM's real
        // throttling answers 0 with its 429): a 429 from elsewhere — a
        // front door, an injected fault — says nothing about the bucket.
        self.with_bucket(sub, class, now, |b, _| {
            let until = now + retry_after;
            if b.blocked_until.is_none_or(|u| u < until) {
                b.blocked_until = Some(until);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> ThrottleConfig {
        ThrottleConfig::default()
    }

    #[test]
    fn burst_then_paced_at_the_refill_rate_above_the_reserve() {
        let t = Throttle::new(cfg());
        let t0 = Instant::now();
        // 250 reads, reserve 25: the first 225 go at once.
        for _ in 0..225 {
            assert_eq!(t.acquire("s", Class::Read, t0), Duration::ZERO);
        }
        // Then one per 1/25 s, queued in order.
        let d1 = t.acquire("s", Class::Read, t0);
        let d2 = t.acquire("s", Class::Read, t0);
        assert_eq!(d1, Duration::from_millis(40));
        assert_eq!(d2, Duration::from_millis(80));
        // Writes are a separate bucket, and so is another subscription.
        assert_eq!(t.acquire("s", Class::Write, t0), Duration::ZERO);
        assert_eq!(t.acquire("other", Class::Read, t0), Duration::ZERO);
        // Refill brings it back.
        let later = t0 + Duration::from_secs(20);
        assert_eq!(t.acquire("S", Class::Read, later), Duration::ZERO);
    }

    #[test]
    fn reported_remaining_slows_down_before_a_429() {
        let t = Throttle::new(cfg());
        let t0 = Instant::now();
        assert_eq!(t.acquire("s", Class::Write, t0), Duration::ZERO);
        // Another client drained the shared bucket: 5 writes left (< reserve 20).
        t.observe_remaining("s", Class::Write, 5.0, t0);
        let d = t.acquire("s", Class::Write, t0);
        // 4 left after this one; back to 20 needs 16 tokens at 10/s.
        assert_eq!(d, Duration::from_millis(1600));
        // A higher report never raises the local count.
        t.observe_remaining("s", Class::Write, 199.0, t0);
        assert!(t.acquire("s", Class::Write, t0) > d);
    }

    #[test]
    fn a_429_blocks_the_bucket_for_retry_after() {
        let t = Throttle::new(cfg());
        let t0 = Instant::now();
        t.observe_throttled("s", Class::Delete, Duration::from_secs(30), t0);
        assert!(t.acquire("s", Class::Delete, t0) >= Duration::from_secs(30));
        let mut off = cfg();
        off.enabled = false;
        let t = Throttle::new(off);
        t.observe_throttled("s", Class::Delete, Duration::from_secs(30), t0);
        assert_eq!(t.acquire("s", Class::Delete, t0), Duration::ZERO);
    }
}
