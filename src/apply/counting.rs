//! The API calls an apply makes: at most `--parallelism` at once, and counted by action for the
//! summary it logs at its end (debug level).
//!
//! The limit is on calls rather than on operations so that an operation waiting for the cloud
//! to finish an asynchronous change (attaching, binding), or backing off a throttle, leaves its
//! place to one that has a call to make: with latency, apply then takes about
//! calls × latency / parallelism, not the sum of every operation's waits.
//!
//! Reads go first: in an apply, a Describe is a round of the batched reader that operations
//! waiting for the cloud sleep on (or the read that settles an answer). Each holds an
//! operation's place while it waits, so a read queued behind a crowd of changing calls keeps
//! those places idle; a read let through first frees them.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex};

use crate::provider::{ApiError, Params, Product, Transport};

#[derive(Debug)]
pub(super) struct Calls {
    by_action: Mutex<BTreeMap<String, u64>>,
    /// Calls that may start now, and the condition a caller waits on for one to end.
    free: Mutex<Places>,
    freed: Condvar,
}

#[derive(Debug)]
struct Places {
    free: usize,
    /// Reads waiting for a place: changing calls let them through first.
    reads_waiting: usize,
    /// Calls of either sort waiting for a place.
    waiting: usize,
}

impl Calls {
    /// At most `limit` (≥ 1) calls at once.
    pub(super) fn new(limit: usize) -> Calls {
        Calls {
            by_action: Mutex::default(),
            free: Mutex::new(Places {
                free: limit.max(1),
                reads_waiting: 0,
                waiting: 0,
            }),
            freed: Condvar::new(),
        }
    }

    fn acquire(&self, read: bool) {
        let Ok(mut p) = self.free.lock() else {
            return;
        };
        if read {
            p.reads_waiting += 1;
        }
        p.waiting += 1;
        while p.free == 0 || (!read && p.reads_waiting > 0) {
            match self.freed.wait(p) {
                Ok(f) => p = f,
                Err(_) => return,
            }
        }
        p.free -= 1;
        p.waiting -= 1;
        if read {
            p.reads_waiting -= 1;
        }
    }

    fn release(&self) {
        if let Ok(mut p) = self.free.lock() {
            p.free += 1;
            // Every waiter looks: the one let through depends on whether a read waits.
            self.freed.notify_all();
        }
    }

    /// A transport that counts each call (every attempt of a retried one) before passing it on.
    pub(super) fn wrap<'a>(&'a self, inner: &'a dyn Transport) -> Counted<'a> {
        Counted { inner, calls: self }
    }

    /// `total=N Action=n …`, actions in name order.
    pub(super) fn summary(&self) -> String {
        let counts = self.by_action.lock().map(|m| m.clone()).unwrap_or_default();
        let total: u64 = counts.values().sum();
        let mut out = format!("total={total}");
        for (action, n) in counts {
            out.push_str(&format!(" {action}={n}"));
        }
        out
    }
}

pub(super) struct Counted<'a> {
    inner: &'a dyn Transport,
    calls: &'a Calls,
}

impl Transport for Counted<'_> {
    fn call(
        &self,
        product: Product,
        action: &str,
        params: &Params,
    ) -> Result<serde_json::Value, ApiError> {
        if let Ok(mut m) = self.calls.by_action.lock() {
            *m.entry(action.to_string()).or_default() += 1;
        }
        self.calls.acquire(action.starts_with("Describe"));
        let answer = self.inner.call(product, action, params);
        self.calls.release();
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo;

    impl Transport for Echo {
        fn call(
            &self,
            _: Product,
            action: &str,
            _: &Params,
        ) -> Result<serde_json::Value, ApiError> {
            Ok(serde_json::json!({ "action": action }))
        }
    }

    #[test]
    fn every_call_is_counted_under_its_action_and_passed_on() {
        let calls = Calls::new(2);
        let t = calls.wrap(&Echo);
        for a in [
            "DescribeNetworkInterfaces",
            "CreateNetworkInterface",
            "DescribeNetworkInterfaces",
        ] {
            let answer = t.call(Product::Ecs, a, &Params::new()).ok();
            assert_eq!(answer, Some(serde_json::json!({ "action": a })));
        }
        assert_eq!(
            calls.summary(),
            "total=3 CreateNetworkInterface=1 DescribeNetworkInterfaces=2"
        );
    }

    /// A transport that counts how many calls are inside it at once.
    struct Gauge {
        now: Mutex<usize>,
        most: Mutex<usize>,
    }

    impl Transport for Gauge {
        fn call(&self, _: Product, _: &str, _: &Params) -> Result<serde_json::Value, ApiError> {
            if let (Ok(mut now), Ok(mut most)) = (self.now.lock(), self.most.lock()) {
                *now += 1;
                *most = (*most).max(*now);
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
            if let Ok(mut now) = self.now.lock() {
                *now -= 1;
            }
            Ok(serde_json::Value::Null)
        }
    }

    #[test]
    fn no_more_calls_than_the_limit_are_in_flight_at_once() {
        let calls = Calls::new(3);
        let gauge = Gauge {
            now: Mutex::new(0),
            most: Mutex::new(0),
        };
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    let t = calls.wrap(&gauge);
                    for _ in 0..5 {
                        let _ = t.call(Product::Ecs, "DescribeRegions", &Params::new());
                    }
                });
            }
        });
        let most = gauge.most.lock().map(|m| *m).unwrap_or(0);
        assert!((1..=3).contains(&most), "{most} calls at once");
        assert_eq!(calls.summary(), "total=40 DescribeRegions=40");
    }

    #[test]
    fn a_read_waiting_for_a_place_goes_before_changing_calls_that_waited_longer() {
        let calls = Calls::new(1);
        let order = Mutex::new(Vec::new());
        let waiting = || calls.free.lock().map(|p| p.waiting).unwrap_or(0);
        calls.acquire(false);
        std::thread::scope(|s| {
            for (n, action) in [
                "CreateNetworkInterface",
                "AllocateEipAddress",
                "AssignPrivateIpAddresses",
                "AssociateEipAddress",
                "DescribeEipAddresses",
            ]
            .into_iter()
            .enumerate()
            {
                // Each queues only once the one before it waits.
                while waiting() < n {
                    std::thread::yield_now();
                }
                let (calls, order) = (&calls, &order);
                s.spawn(move || {
                    calls.acquire(action.starts_with("Describe"));
                    if let Ok(mut o) = order.lock() {
                        o.push(action);
                    }
                    calls.release();
                });
            }
            // Four changing calls queued before the read: without its priority, the read
            // would seldom be first.
            while waiting() < 5 {
                std::thread::yield_now();
            }
            calls.release();
        });
        let order = order.lock().map(|o| o.clone()).unwrap_or_default();
        assert_eq!(order.first(), Some(&"DescribeEipAddresses"), "{order:?}");
        assert_eq!(order.len(), 5);
    }
}
