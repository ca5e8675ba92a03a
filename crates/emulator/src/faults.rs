//! Seeded, reproducible fault injection: a share of requests answered with
//! 429 (with `Retry-After`), 500 or 503 before they reach the ARM logic, so
//! clients and the orchestrator can be tested against a flaky cloud. The
//! same seed and request order give the same faults.

/// Fault rates (each in `0.0..=1.0`) and the seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultSpec {
    pub throttled: f64,
    pub internal_error: f64,
    pub unavailable: f64,
    pub seed: u64,
}

impl FaultSpec {
    /// Parse `429=0.05,500=0.02,503=0.01,seed=7` (any subset, any order).
    pub fn parse(s: &str) -> Result<FaultSpec, String> {
        let mut f = FaultSpec {
            throttled: 0.0,
            internal_error: 0.0,
            unavailable: 0.0,
            seed: 1,
        };
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("'{part}' is not KEY=VALUE (keys: 429, 500, 503, seed)"))?;
            let k = k.trim();
            if k == "seed" {
                f.seed = v
                    .trim()
                    .parse()
                    .map_err(|_| format!("seed '{v}' is not an integer"))?;
                continue;
            }
            let rate: f64 = v
                .trim()
                .parse()
                .ok()
                .filter(|r: &f64| (0.0..=1.0).contains(r))
                .ok_or_else(|| format!("rate '{v}' for {k} must be between 0 and 1"))?;
            match k {
                "429" => f.throttled = rate,
                "500" => f.internal_error = rate,
                "503" => f.unavailable = rate,
                _ => return Err(format!("unknown fault '{k}' (keys: 429, 500, 503, seed)")),
            }
        }
        if f.throttled + f.internal_error + f.unavailable > 1.0 {
            return Err("the fault rates add up to more than 1".into());
        }
        Ok(f)
    }
}

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    Throttled,
    InternalError,
    Unavailable,
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

    /// The fault for the next request.
    pub fn draw(&mut self) -> Fault {
        let u = self.next_unit();
        let s = self.spec;
        if u < s.throttled {
            Fault::Throttled
        } else if u < s.throttled + s.internal_error {
            Fault::InternalError
        } else if u < s.throttled + s.internal_error + s.unavailable {
            Fault::Unavailable
        } else {
            Fault::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_honoured_and_reproducible() {
        let spec = FaultSpec::parse("429=0.1,500=0.05,seed=42").unwrap();
        let run = || {
            let mut f = Faults::new(spec);
            (0..20_000).map(|_| f.draw()).collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run(), "same seed, same faults");
        let share = |k: Fault| a.iter().filter(|x| **x == k).count() as f64 / a.len() as f64;
        assert!((share(Fault::Throttled) - 0.10).abs() < 0.01);
        assert!((share(Fault::InternalError) - 0.05).abs() < 0.01);
        assert_eq!(share(Fault::Unavailable), 0.0);
        assert!(FaultSpec::parse("429=2").is_err());
        assert!(FaultSpec::parse("404=0.1").is_err());
        assert!(FaultSpec::parse("429=0.7,500=0.5").is_err());
    }
}
