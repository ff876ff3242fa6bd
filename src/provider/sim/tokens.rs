//! What the simulator remembers of ClientTokens: the first answer given to each, so that a
//! repeated request (a retry after a lost answer, a run resumed after a crash) gets that answer
//! instead of doing the work again, as Alibaba's idempotency promises.
//!
//! Alibaba documents no fixed idempotency window; it only promises that a repeat "within a
//! period" is answered once. The simulator keeps the most recent [`CAPACITY`] tokens, in the
//! snapshot as well as in memory, so a repeat from a later process (the next `apply`) is still
//! recognised, while the memory stays bounded however long the simulated account lives. A token
//! older than that is forgotten: a create that repeats it makes a new object, as the real cloud
//! would once the window has passed.

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::Value as J;

/// Tokens remembered. Many runs' worth: an apply of a few hundred resources uses a few hundred.
pub const CAPACITY: usize = 4096;

/// The first answer to one ClientToken.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Remembered {
    pub token: String,
    pub action: String,
    /// A digest of the request's other parameters: a repeat with different ones is refused.
    pub digest: String,
    pub answer: J,
}

/// The remembered tokens, oldest first. Serialized as that list; the index is rebuilt on load.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "Vec<Remembered>", into = "Vec<Remembered>")]
pub struct TokenMemory {
    order: VecDeque<Remembered>,
    /// Token → how many entries had been evicted before it was remembered, so that its position
    /// is `pos - evicted` without rebuilding the map on every eviction.
    index: HashMap<String, u64>,
    evicted: u64,
}

impl From<Vec<Remembered>> for TokenMemory {
    fn from(list: Vec<Remembered>) -> TokenMemory {
        let mut m = TokenMemory::default();
        for r in list {
            m.remember(r);
        }
        m
    }
}

impl From<TokenMemory> for Vec<Remembered> {
    fn from(m: TokenMemory) -> Vec<Remembered> {
        m.order.into_iter().collect()
    }
}

impl TokenMemory {
    pub fn get(&self, token: &str) -> Option<&Remembered> {
        let at = self.index.get(token)?.checked_sub(self.evicted)?;
        self.order
            .get(usize::try_from(at).ok()?)
            .filter(|r| r.token == token)
    }

    /// Remembers a first answer, forgetting the oldest beyond [`CAPACITY`].
    pub fn remember(&mut self, r: Remembered) {
        if self.index.contains_key(&r.token) {
            return;
        }
        let pos = self.evicted + self.order.len() as u64;
        self.index.insert(r.token.clone(), pos);
        self.order.push_back(r);
        while self.order.len() > CAPACITY {
            if let Some(old) = self.order.pop_front() {
                self.index.remove(&old.token);
                self.evicted += 1;
            }
        }
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(t: &str) -> Remembered {
        Remembered {
            token: t.into(),
            action: "A".into(),
            digest: "d".into(),
            answer: J::String(t.into()),
        }
    }

    #[test]
    fn the_oldest_tokens_are_forgotten_beyond_capacity_and_the_rest_survive_a_round_trip() {
        let mut m = TokenMemory::default();
        for i in 0..CAPACITY + 10 {
            m.remember(entry(&format!("t{i}")));
        }
        assert_eq!(m.len(), CAPACITY);
        assert!(m.get("t0").is_none() && m.get("t9").is_none());
        assert_eq!(m.get("t10").map(|r| r.answer.clone()), Some(J::from("t10")));
        let last = format!("t{}", CAPACITY + 9);
        assert!(m.get(&last).is_some());
        let text = serde_json::to_string(&m).unwrap_or_default();
        let back: TokenMemory = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(back.len(), CAPACITY);
        assert!(back.get("t10").is_some() && back.get(&last).is_some());
        assert!(back.get("t9").is_none());
    }

    #[test]
    fn a_token_keeps_its_first_answer() {
        let mut m = TokenMemory::default();
        m.remember(entry("a"));
        let mut again = entry("a");
        again.answer = J::from("second");
        m.remember(again);
        assert_eq!(m.len(), 1);
        assert_eq!(m.get("a").map(|r| r.answer.clone()), Some(J::from("a")));
    }
}
