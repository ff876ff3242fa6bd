//! Client-side rate limits per API action, so that a large refresh (hundreds of batched
//! Describe calls) stays under Alibaba's per-API flow control instead of tripping `Throttling`
//! and paying for it in backoff.
//!
//! Each action name gets its own token bucket (Alibaba counts flow control per API), written as
//! GCRA over integer nanoseconds so that the arithmetic is exact and a test with an injected
//! clock can assert precise waits. Limits come from patterns (`DescribeNetworkInterfaces`,
//! `Describe*`, `*`); the default is 20 requests a second for each `Describe*` action and no
//! limit for the rest, whose volume is bounded by the plan. `NETFORM_ALICLOUD_RATE_LIMITS`
//! (`Describe*=10,AssociateEipAddress=5,*=off`) adjusts them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const ENV_RATE_LIMITS: &str = "NETFORM_ALICLOUD_RATE_LIMITS";

/// Requests per second for each action matching `pattern`; `None` means unlimited.
#[derive(Clone, Debug, PartialEq)]
struct Rule {
    pattern: String,
    per_second: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RateLimits {
    rules: Vec<Rule>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{ENV_RATE_LIMITS} is not valid: {why}. Write ACTION=RATE pairs separated by commas, where \
     ACTION is an API action, a prefix ending in * or *, and RATE is requests per second or \
     \"off\", e.g. Describe*=10,AssociateEipAddress=5"
)]
pub struct RateLimitsError {
    why: String,
}

impl Default for RateLimits {
    fn default() -> RateLimits {
        RateLimits {
            rules: vec![Rule {
                pattern: "Describe*".into(),
                per_second: Some(20.0),
            }],
        }
    }
}

impl RateLimits {
    /// No limits at all.
    pub fn none() -> RateLimits {
        RateLimits { rules: Vec::new() }
    }

    /// The defaults adjusted by `NETFORM_ALICLOUD_RATE_LIMITS`, if set.
    pub fn from_env() -> Result<RateLimits, RateLimitsError> {
        match std::env::var(ENV_RATE_LIMITS) {
            Ok(s) if !s.trim().is_empty() => RateLimits::default().with(&s),
            _ => Ok(RateLimits::default()),
        }
    }

    /// These limits with the pairs in `spec` added, replacing a rule for the same pattern.
    pub fn with(mut self, spec: &str) -> Result<RateLimits, RateLimitsError> {
        for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let err = |why: String| RateLimitsError { why };
            let Some((pattern, rate)) = pair.split_once('=') else {
                return Err(err(format!("{pair:?} has no \"=\"")));
            };
            let (pattern, rate) = (pattern.trim(), rate.trim());
            let body = pattern.strip_suffix('*').unwrap_or(pattern);
            if (pattern != "*" && body.is_empty())
                || !body.chars().all(|c| c.is_ascii_alphanumeric())
            {
                return Err(err(format!("{pattern:?} is not an action name or prefix*")));
            }
            let per_second = match rate {
                "off" | "none" | "unlimited" => None,
                r => match r.parse::<f64>() {
                    Ok(x) if x.is_finite() && x > 0.0 => Some(x),
                    _ => {
                        return Err(err(format!(
                            "the rate {r:?} for {pattern} is not a positive number or \"off\""
                        )));
                    }
                },
            };
            self.rules.retain(|r| r.pattern != pattern);
            self.rules.push(Rule {
                pattern: pattern.to_string(),
                per_second,
            });
        }
        Ok(self)
    }

    /// The rate for `action`: an exact rule wins, then the longest matching prefix.
    pub fn rate_for(&self, action: &str) -> Option<f64> {
        self.rules
            .iter()
            .filter_map(|r| match r.pattern.strip_suffix('*') {
                None if r.pattern == action => Some((usize::MAX, r)),
                Some(prefix) if action.starts_with(prefix) => Some((prefix.len(), r)),
                _ => None,
            })
            .max_by_key(|(specificity, _)| *specificity)
            .and_then(|(_, r)| r.per_second)
    }
}

/// Time as the limiter sees it; injected so tests need no wall clock.
pub trait Clock: Send + Sync {
    /// Monotonic time since an arbitrary origin.
    fn now(&self) -> Duration;
    fn sleep(&self, d: Duration);
}

pub struct SystemClock {
    origin: Instant,
}

impl Default for SystemClock {
    fn default() -> SystemClock {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

pub struct RateLimiter {
    limits: RateLimits,
    clock: Arc<dyn Clock>,
    /// Action → the time at which its bucket is empty again (GCRA's "theoretical arrival time").
    next_free: Mutex<HashMap<String, Duration>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    pub fn new(limits: RateLimits, clock: Arc<dyn Clock>) -> RateLimiter {
        RateLimiter {
            limits,
            clock,
            next_free: Mutex::new(HashMap::new()),
        }
    }

    /// Blocks until `action` may be sent; returns how long it waited. A bucket holds one
    /// second's worth of requests (at least one), so short bursts go out at once.
    pub fn acquire(&self, action: &str) -> Duration {
        let Some(rate) = self.limits.rate_for(action) else {
            return Duration::ZERO;
        };
        let interval = Duration::from_secs_f64(1.0 / rate);
        let burst = (rate.ceil() as u32).max(1);
        // How far ahead of now the bucket may be booked before a request has to wait.
        let slack = interval * (burst - 1);
        let mut waited = Duration::ZERO;
        loop {
            let wait = {
                // A panic elsewhere while holding the lock leaves valid times behind.
                let mut map = self.next_free.lock().unwrap_or_else(|p| p.into_inner());
                let now = self.clock.now();
                let tat = map.get(action).copied().unwrap_or(now).max(now);
                let allowed_at = tat.saturating_sub(slack);
                if now >= allowed_at {
                    map.insert(action.to_string(), tat + interval);
                    return waited;
                }
                allowed_at - now
            };
            self.clock.sleep(wait);
            waited += wait;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock that only moves when someone sleeps on it or the test advances it.
    #[derive(Default)]
    struct FakeClock {
        now: Mutex<Duration>,
        sleeps: Mutex<Vec<Duration>>,
    }

    impl FakeClock {
        fn advance(&self, d: Duration) {
            *self.now.lock().expect("clock") += d;
        }
    }

    impl Clock for FakeClock {
        fn now(&self) -> Duration {
            *self.now.lock().expect("clock")
        }
        fn sleep(&self, d: Duration) {
            self.sleeps.lock().expect("sleeps").push(d);
            self.advance(d);
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_burst_goes_out_then_requests_are_spaced_at_the_rate() {
        let clock = Arc::new(FakeClock::default());
        let l = RateLimiter::new(RateLimits::default(), clock.clone());
        // 20/s: a full bucket of 20 at once, then one every 50 ms.
        for _ in 0..20 {
            assert_eq!(l.acquire("DescribeNetworkInterfaces"), Duration::ZERO);
        }
        assert_eq!(l.acquire("DescribeNetworkInterfaces"), ms(50));
        assert_eq!(l.acquire("DescribeNetworkInterfaces"), ms(50));
        assert_eq!(clock.now(), ms(100));
        // Buckets are per action: another Describe is not held up by the first one's queue.
        assert_eq!(l.acquire("DescribeEipAddresses"), Duration::ZERO);
        // Unlimited actions never wait.
        for _ in 0..1000 {
            assert_eq!(l.acquire("AssociateEipAddress"), Duration::ZERO);
        }
        // An idle second refills the bucket, but not beyond its size.
        clock.advance(Duration::from_secs(5));
        for _ in 0..20 {
            assert_eq!(l.acquire("DescribeNetworkInterfaces"), Duration::ZERO);
        }
        assert_eq!(l.acquire("DescribeNetworkInterfaces"), ms(50));
    }

    #[test]
    fn a_large_refresh_is_paced_not_refused() {
        // 250 batched Describe calls (25,000 ENIs) at 20/s: the first 20 at once, then the
        // remaining 230 spread over 11.5 s of (injected) time.
        let clock = Arc::new(FakeClock::default());
        let l = RateLimiter::new(RateLimits::default(), clock.clone());
        let total: Duration = (0..250)
            .map(|_| l.acquire("DescribeNetworkInterfaces"))
            .sum();
        assert_eq!(total, ms(230 * 50));
        assert_eq!(clock.now(), ms(11_500));
        let sleeps = clock.sleeps.lock().expect("sleeps");
        assert_eq!(sleeps.len(), 230);
        assert!(sleeps.iter().all(|d| *d == ms(50)));
    }

    #[test]
    fn rates_below_one_per_second_still_let_one_through() {
        let clock = Arc::new(FakeClock::default());
        let limits = RateLimits::none()
            .with("CreateNetworkInterface=0.5")
            .expect("ok");
        let l = RateLimiter::new(limits, clock.clone());
        assert_eq!(l.acquire("CreateNetworkInterface"), Duration::ZERO);
        assert_eq!(l.acquire("CreateNetworkInterface"), ms(2000));
    }

    #[test]
    fn patterns_exact_beats_prefix_beats_star() {
        let limits = RateLimits::default()
            .with("*=100, DescribeEipAddresses=5, DescribeNat*=off")
            .expect("valid");
        assert_eq!(limits.rate_for("DescribeEipAddresses"), Some(5.0));
        assert_eq!(limits.rate_for("DescribeNetworkInterfaces"), Some(20.0));
        assert_eq!(limits.rate_for("DescribeNatGateways"), None);
        assert_eq!(limits.rate_for("AttachNetworkInterface"), Some(100.0));
        assert_eq!(
            RateLimits::default().rate_for("AttachNetworkInterface"),
            None
        );
        // A later pair for the same pattern replaces the earlier one.
        let l = RateLimits::default().with("Describe*=2").expect("valid");
        assert_eq!(l.rate_for("DescribeVSwitches"), Some(2.0));

        for bad in [
            "Describe*",
            "Describe*=0",
            "Describe*=-1",
            "Desc ribe=1",
            "=1",
            "**=1",
            "X=NaN",
        ] {
            let e = RateLimits::default().with(bad).expect_err(bad);
            assert!(e.to_string().contains(ENV_RATE_LIMITS), "{e}");
        }
    }
}
