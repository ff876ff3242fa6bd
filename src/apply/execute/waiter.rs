//! Batched reads of ENIs and EIPs for the operations of one apply: every operation that needs
//! to see an object (to wait for an asynchronous state, or to read what a call left) joins the
//! next round, and a round is one DescribeNetworkInterfaces and one DescribeEipAddresses for all
//! the ids that joined it (100 and 50 ids a call). However many operations wait at once, the
//! cloud is polled once per round, not once per operation.
//!
//! The first operation to find no round under way makes the round itself, with its own client;
//! the others sleep until it is done. A round only counts for an id that joined before the round
//! started, so an answer is never older than the call the operation made before asking.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Condvar, Mutex};

use crate::provider::ApiError;
use crate::provider::api::{Client, EipInfo, EniInfo};

#[derive(Debug, Default)]
struct Rounds {
    /// Ids that joined the next round.
    enis: BTreeSet<String>,
    eips: BTreeSet<String>,
    /// A round is under way (its ids are taken out of the sets above).
    polling: bool,
    /// Rounds finished.
    done: u64,
    /// What the last round to include each id saw, and which round that was.
    seen_enis: HashMap<String, (u64, Result<Option<EniInfo>, ApiError>)>,
    seen_eips: HashMap<String, (u64, Result<Option<EipInfo>, ApiError>)>,
}

/// The batched reads of one provider block (one region and transport).
#[derive(Debug, Default)]
pub(in crate::apply) struct Waiter {
    rounds: Mutex<Rounds>,
    finished: Condvar,
}

/// Which sort of cloud object an id names (an ENI or an EIP: the two the cloud describes in batches).
#[derive(Clone, Copy)]
enum Object {
    Eni,
    Eip,
}

impl Waiter {
    /// The ENI as the cloud describes it now (`None`: it does not exist).
    pub(in crate::apply) fn eni(&self, c: &Client, id: &str) -> Result<Option<EniInfo>, ApiError> {
        let round = self.join(c, Object::Eni, id)?;
        let mut r = self.lock()?;
        match r.seen_enis.get(id) {
            Some((n, res)) if *n >= round => {
                let res = res.clone();
                r.seen_enis.remove(id);
                res
            }
            _ => c.describe_eni(id),
        }
    }

    /// The EIP as the cloud describes it now (`None`: it does not exist).
    pub(in crate::apply) fn eip(&self, c: &Client, id: &str) -> Result<Option<EipInfo>, ApiError> {
        let round = self.join(c, Object::Eip, id)?;
        let mut r = self.lock()?;
        match r.seen_eips.get(id) {
            Some((n, res)) if *n >= round => {
                let res = res.clone();
                r.seen_eips.remove(id);
                res
            }
            _ => c.describe_eip(id),
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Rounds>, ApiError> {
        self.rounds
            .lock()
            .map_err(|_| ApiError::new(500, "netform.Internal", "the apply's reader failed"))
    }

    /// Joins the next round for `id` and returns once a round that includes it is done: its
    /// number. Makes the round when none is under way.
    fn join(&self, c: &Client, kind: Object, id: &str) -> Result<u64, ApiError> {
        let mut r = self.lock()?;
        match kind {
            Object::Eni => r.enis.insert(id.to_string()),
            Object::Eip => r.eips.insert(id.to_string()),
        };
        // The round under way started before this id joined: it does not count.
        let wanted = r.done + if r.polling { 2 } else { 1 };
        while r.done < wanted {
            if r.polling {
                r = self.finished.wait(r).map_err(|_| {
                    ApiError::new(500, "netform.Internal", "the apply's reader failed")
                })?;
                continue;
            }
            r.polling = true;
            let enis: Vec<String> = std::mem::take(&mut r.enis).into_iter().collect();
            let eips: Vec<String> = std::mem::take(&mut r.eips).into_iter().collect();
            drop(r);
            let found_enis = (!enis.is_empty()).then(|| c.describe_enis(&enis));
            let found_eips = (!eips.is_empty()).then(|| c.describe_eips(&eips));
            r = self.lock()?;
            r.done += 1;
            let n = r.done;
            record(&mut r.seen_enis, n, &enis, found_enis, |e| &e.id);
            record(&mut r.seen_eips, n, &eips, found_eips, |e| &e.id);
            r.polling = false;
            self.finished.notify_all();
        }
        Ok(wanted)
    }
}

/// Stores what round `n` saw of each of `ids` (absent from the answer: the object is gone).
fn record<T: Clone>(
    seen: &mut HashMap<String, (u64, Result<Option<T>, ApiError>)>,
    n: u64,
    ids: &[String],
    found: Option<Result<Vec<T>, ApiError>>,
    id_of: impl Fn(&T) -> &String,
) {
    let Some(found) = found else {
        return;
    };
    match found {
        Ok(items) => {
            let mut by_id: HashMap<&String, &T> = items.iter().map(|t| (id_of(t), t)).collect();
            for id in ids {
                let item = by_id.remove(id).cloned();
                seen.insert(id.clone(), (n, Ok(item)));
            }
        }
        Err(e) => {
            for id in ids {
                seen.insert(id.clone(), (n, Err(e.clone())));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::api::fake::{self, Fake, World};
    use crate::provider::{Params, Product, Transport};

    /// Holds the first Describe until the other readers have joined the next round, so the
    /// test does not depend on how the threads happen to be scheduled.
    struct Gate<'a> {
        inner: &'a Fake,
        waiter: &'a Waiter,
        others: usize,
        first: Mutex<bool>,
    }

    impl Transport for Gate<'_> {
        fn call(
            &self,
            product: Product,
            action: &str,
            params: &Params,
        ) -> Result<serde_json::Value, ApiError> {
            let first = self
                .first
                .lock()
                .map(|mut f| std::mem::replace(&mut *f, false));
            if first.unwrap_or(false) {
                while self.waiter.rounds.lock().map(|r| r.eips.len()).unwrap_or(0) < self.others {
                    std::thread::yield_now();
                }
            }
            self.inner.call(product, action, params)
        }
    }

    #[test]
    fn operations_reading_at_once_share_one_describe_per_round() {
        let ids = fake::ids("eip-", 30);
        let f = Fake::new(World {
            eips: ids.iter().map(String::as_str).map(fake::eip).collect(),
            ..World::default()
        });
        let w = Waiter::default();
        let gate = Gate {
            inner: &f,
            waiter: &w,
            others: 29,
            first: Mutex::new(true),
        };
        let c = Client {
            transport: &gate,
            region: "cn-hangzhou".into(),
            timing: fake::fast(),
        };
        std::thread::scope(|s| {
            s.spawn(|| {
                let got = w.eip(&c, &ids[0]).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(got.map(|e| e.id), Some(ids[0].clone()));
            });
            // The first reader's round is under way (or about to be): the rest join the next.
            while !w.rounds.lock().map(|r| r.polling).unwrap_or(true) {
                std::thread::yield_now();
            }
            for id in &ids[1..] {
                let (w, c) = (&w, &c);
                s.spawn(move || {
                    let got = w.eip(c, id).unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(got.map(|e| e.id), Some(id.clone()));
                });
            }
        });
        // 30 reads in two rounds: two calls (29 ids fit one page of 50).
        assert_eq!(f.calls_of("DescribeEipAddresses").len(), 2);
        let gone = w.eip(&c, "eip-none").unwrap_or_else(|e| panic!("{e}"));
        assert!(gone.is_none());
    }
}
