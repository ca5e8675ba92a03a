//! Seeded, reproducible fault injection, so clients and the orchestrator can
//! be tested against a flaky cloud. The same seed and request order give the
//! same faults.
//!
//! Spec syntax (`--faults`): comma-separated `KEY=VALUE`, any subset, any
//! order:
//!
//! | key | meaning |
//! |---|---|
//! | `429=R` | share R of requests answered 429 `TooManyRequests` with `Retry-After` |
//! | `500=R` | share R answered 500 `InternalServerError` |
//! | `503=R` | share R answered 503 `ServiceUnavailable` |
//! | `drop=R` | share R whose connection is closed without any response |
//! | `slow=R` | share R answered only after `delay` (then normally, or with another fault) |
//! | `delay=D` | the delay of slow responses: `2s`, `500ms` or seconds (default 2s) |
//! | `lro-fail=R` | share R of accepted PUTs whose long-running operation ends `Failed` |
//! | `seed=N` | the generator's seed (default 1) |
//!
//! `429`, `500`, `503` and `drop` exclude each other (their rates add up to at
//! most 1); `slow` and `lro-fail` are drawn independently.

use std::time::Duration;

/// Fault rates (each in `0.0..=1.0`), the slow-response delay and the seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultSpec {
    pub throttled: f64,
    pub internal_error: f64,
    pub unavailable: f64,
    /// Connections closed without a response.
    pub dropped: f64,
    /// Responses delayed by `delay`.
    pub slow: f64,
    pub delay: Duration,
    /// Accepted PUTs whose operation ends `Failed`.
    pub failed_operation: f64,
    pub seed: u64,
}

impl Default for FaultSpec {
    fn default() -> FaultSpec {
        FaultSpec {
            throttled: 0.0,
            internal_error: 0.0,
            unavailable: 0.0,
            dropped: 0.0,
            slow: 0.0,
            delay: Duration::from_secs(2),
            failed_operation: 0.0,
            seed: 1,
        }
    }
}

const KEYS: &str = "429, 500, 503, drop, slow, delay, lro-fail, seed";

fn parse_delay(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Some(ms) = v.strip_suffix("ms") {
        return ms.trim().parse::<u64>().ok().map(Duration::from_millis);
    }
    let secs = v.strip_suffix('s').unwrap_or(v).trim();
    secs.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 3600.0)
        .map(Duration::from_secs_f64)
}

impl FaultSpec {
    /// Parse e.g. `429=0.05,500=0.02,drop=0.01,slow=0.1,delay=2s,lro-fail=0.05,seed=7`.
    pub fn parse(s: &str) -> Result<FaultSpec, String> {
        let mut f = FaultSpec::default();
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("'{part}' is not KEY=VALUE (keys: {KEYS})"))?;
            let k = k.trim().to_ascii_lowercase();
            match k.as_str() {
                "seed" => {
                    f.seed = v
                        .trim()
                        .parse()
                        .map_err(|_| format!("seed '{v}' is not an integer"))?;
                    continue;
                }
                "delay" => {
                    f.delay = parse_delay(v).ok_or_else(|| {
                        format!("delay '{v}' is not a duration (e.g. 2s, 500ms; at most 3600s)")
                    })?;
                    continue;
                }
                _ => {}
            }
            let rate: f64 = v
                .trim()
                .parse()
                .ok()
                .filter(|r: &f64| (0.0..=1.0).contains(r))
                .ok_or_else(|| format!("rate '{v}' for {k} must be between 0 and 1"))?;
            match k.as_str() {
                "429" => f.throttled = rate,
                "500" => f.internal_error = rate,
                "503" => f.unavailable = rate,
                "drop" => f.dropped = rate,
                "slow" => f.slow = rate,
                "lro-fail" => f.failed_operation = rate,
                _ => return Err(format!("unknown fault '{k}' (keys: {KEYS})")),
            }
        }
        if f.throttled + f.internal_error + f.unavailable + f.dropped > 1.0 {
            return Err("the rates of 429, 500, 503 and drop add up to more than 1".into());
        }
        Ok(f)
    }
}

/// What to do with one request instead of answering it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    Throttled,
    InternalError,
    Unavailable,
    /// Close the connection without a response.
    Dropped,
}

/// Everything decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Draw {
    pub fault: Fault,
    /// Answer only after this delay.
    pub delay: Option<Duration>,
    /// If the request starts a long-running operation, it ends `Failed`.
    pub fail_operation: bool,
}

/// The generator (xorshift64*, deterministic).
#[derive(Debug, Clone)]
pub struct Faults {
    spec: FaultSpec,
    state: u64,
}

impl Faults {
    pub fn new(spec: FaultSpec) -> Faults {
        Faults {
            spec,
            state: spec.seed.max(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        }
    }

    fn next_unit(&mut self) -> f64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The fault for the next request (one draw).
    pub fn draw(&mut self) -> Fault {
        let u = self.next_unit();
        let s = self.spec;
        let mut edge = s.throttled;
        if u < edge {
            return Fault::Throttled;
        }
        edge += s.internal_error;
        if u < edge {
            return Fault::InternalError;
        }
        edge += s.unavailable;
        if u < edge {
            return Fault::Unavailable;
        }
        edge += s.dropped;
        if u < edge {
            return Fault::Dropped;
        }
        Fault::None
    }

    /// Everything for the next request: always three draws, so the sequence
    /// depends only on the seed and the number of requests.
    pub fn draw_all(&mut self) -> Draw {
        let fault = self.draw();
        let slow = self.next_unit() < self.spec.slow;
        let fail_operation = self.next_unit() < self.spec.failed_operation;
        Draw {
            fault,
            delay: slow.then_some(self.spec.delay),
            fail_operation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_honoured_and_reproducible() {
        let spec =
            FaultSpec::parse("429=0.1,500=0.05,drop=0.02,slow=0.2,lro-fail=0.3,seed=42").unwrap();
        let run = || {
            let mut f = Faults::new(spec);
            (0..20_000).map(|_| f.draw_all()).collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run(), "same seed, same faults");
        let share =
            |p: &dyn Fn(&Draw) -> bool| a.iter().filter(|x| p(x)).count() as f64 / a.len() as f64;
        assert!((share(&|d| d.fault == Fault::Throttled) - 0.10).abs() < 0.01);
        assert!((share(&|d| d.fault == Fault::InternalError) - 0.05).abs() < 0.01);
        assert!((share(&|d| d.fault == Fault::Dropped) - 0.02).abs() < 0.01);
        assert_eq!(share(&|d| d.fault == Fault::Unavailable), 0.0);
        assert!((share(&|d| d.delay.is_some()) - 0.2).abs() < 0.015);
        assert!((share(&|d| d.fail_operation) - 0.3).abs() < 0.015);
        let other =
            FaultSpec::parse("429=0.1,500=0.05,drop=0.02,slow=0.2,lro-fail=0.3,seed=43").unwrap();
        let mut g = Faults::new(other);
        let b: Vec<Draw> = (0..20_000).map(|_| g.draw_all()).collect();
        assert_ne!(a, b, "another seed, other faults");
    }

    #[test]
    fn spec_syntax() {
        let s = FaultSpec::parse("slow=1,delay=250ms").unwrap();
        assert_eq!(s.delay, Duration::from_millis(250));
        assert_eq!(
            FaultSpec::parse("delay=3s").unwrap().delay,
            Duration::from_secs(3)
        );
        assert_eq!(
            FaultSpec::parse("delay=1.5").unwrap().delay,
            Duration::from_millis(1500)
        );
        assert!(FaultSpec::parse("429=2").is_err());
        assert!(FaultSpec::parse("404=0.1").is_err());
        assert!(FaultSpec::parse("429=0.7,500=0.5").is_err());
        assert!(FaultSpec::parse("429=0.5,drop=0.6").is_err());
        assert!(FaultSpec::parse("delay=forever").is_err());
        assert!(FaultSpec::parse("slow").is_err());
    }
}
