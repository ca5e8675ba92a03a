//! ARM's request throttling: token buckets per subscription and principal
//! for reads, writes and deletes, refilled continuously. Figures from ARM's
//! documentation of the token bucket algorithm (learn.microsoft.com, "Understand
//! how Azure Resource Manager throttles requests"): per subscription and
//! principal, reads 250 burst refilled at 25 per second, writes 200 at 10 per
//! second, deletes 200 at 10 per second.

use std::collections::HashMap;
use std::time::Instant;

/// Which bucket a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Read,
    Write,
    Delete,
}

impl Kind {
    /// The `x-ms-ratelimit-remaining-subscription-*` header for this kind.
    pub fn header(self) -> &'static str {
        match self {
            Kind::Read => "x-ms-ratelimit-remaining-subscription-reads",
            Kind::Write => "x-ms-ratelimit-remaining-subscription-writes",
            Kind::Delete => "x-ms-ratelimit-remaining-subscription-deletes",
        }
    }

    fn limits(self) -> (f64, f64) {
        match self {
            Kind::Read => (250.0, 25.0),
            Kind::Write | Kind::Delete => (200.0, 10.0),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// All buckets.
#[derive(Debug, Default)]
pub struct Throttle {
    buckets: HashMap<(String, String, Kind), Bucket>,
}

/// The outcome of taking a token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Take {
    /// Allowed; tokens left.
    Allowed(u32),
    /// Refused; seconds until a token is available.
    Throttled(u64),
}

impl Throttle {
    /// Take one token for (subscription, principal, kind) at `now`.
    pub fn take(&mut self, subscription: &str, principal: &str, kind: Kind, now: Instant) -> Take {
        let (burst, rate) = kind.limits();
        let b = self
            .buckets
            .entry((
                subscription.to_ascii_lowercase(),
                principal.to_string(),
                kind,
            ))
            .or_insert(Bucket {
                tokens: burst,
                at: now,
            });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Take::Allowed(b.tokens.floor() as u32)
        } else {
            Take::Throttled(((1.0 - b.tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_refill() {
        let mut t = Throttle::default();
        let t0 = Instant::now();
        for i in 0..250 {
            assert_eq!(t.take("s", "p", Kind::Read, t0), Take::Allowed(249 - i));
        }
        assert_eq!(t.take("s", "p", Kind::Read, t0), Take::Throttled(1));
        // Another principal has its own bucket; writes are separate too.
        assert!(matches!(t.take("s", "q", Kind::Read, t0), Take::Allowed(_)));
        assert!(matches!(
            t.take("s", "p", Kind::Write, t0),
            Take::Allowed(199)
        ));
        // 25 reads per second come back.
        let t1 = t0 + Duration::from_secs(1);
        for _ in 0..25 {
            assert!(matches!(t.take("s", "p", Kind::Read, t1), Take::Allowed(_)));
        }
        assert!(matches!(
            t.take("s", "p", Kind::Read, t1),
            Take::Throttled(_)
        ));
    }
}
