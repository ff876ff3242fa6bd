//! The state and journal readers: `State::from_json` on a mutated state, and `Store::read` on a
//! mutated state beside a mutated journal (a header line, then one JSON entry per line). Whatever
//! they accept must survive being written and read again: a state netform writes and then refuses
//! to read would strand everything it manages.

use std::path::Path;

use proptest::prelude::*;

use crate::engine::{Case, Fuzz, Target};
use crate::mutate::{Format, Pool, make, recipe};
use netform::state::{State, Store};

pub static TARGET: Target = Target {
    name: "state",
    ci_cases: 3000,
    build,
};

pub const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "\\",
    "\\\"",
    "\\u0000",
    "\\ud800",
    "\\udc00",
    "\\uD83E\\uDD80",
    "null",
    "true",
    "false",
    "\"\"",
    "{}",
    "[]",
    "\n",
    " ",
    "\t",
    "\u{feff}",
    "\u{0}",
    "é",
    "🦀",
];

const STATE_TOKENS: &[&str] = &[
    "\"version\"",
    "\"serial\"",
    "\"lineage\"",
    "\"resources\"",
    "\"instances\"",
    "\"attributes\"",
    "\"index_key\"",
    "\"dependencies\"",
    "\"mode\"",
    "\"managed\"",
    "\"data\"",
    "\"outputs\"",
    "\"sensitive\"",
    "\"journal\"",
    "\"op\"",
    "\"set\"",
    "\"remove\"",
    "\"address\"",
    "\"provider\"",
    "alicloud_eip_address.e[0]",
    "alicloud_eip_address.e[\\\"k\\\"]",
    "data.alicloud_instances.web",
    "aws_instance.x",
    "[99999999999999999999]",
    "[-1]",
    "[1.5]",
    "[\\\"",
];

struct States {
    state: Pool,
    journal: Pool,
    dir: tempfile::TempDir,
}

fn build(corpus: &Path) -> Box<dyn Fuzz> {
    let tokens: Vec<&str> = JSON_TOKENS.iter().chain(STATE_TOKENS).copied().collect();
    let states = crate::corpus::read_all(&crate::corpus::files(&corpus.join("states"), ".tfstate"));
    let journals =
        crate::corpus::read_all(&crate::corpus::files(&corpus.join("journals"), ".journal"));
    Box::new(States {
        state: Pool::new(states, &tokens),
        journal: Pool::new(journals, &tokens),
        dir: crate::engine::scratch(),
    })
}

/// Written and read back, a state is the same state.
fn round_trips(s: &State, what: &str) {
    let text = serde_json::to_string_pretty(&s.to_json())
        .unwrap_or_else(|e| panic!("invariant: {what} does not serialize: {e}"));
    match State::from_json(&text, "again") {
        Ok(again) => assert!(
            again == *s,
            "invariant: {what} reads back different after writing"
        ),
        Err(e) => panic!("invariant: {what}, once written, is refused: {e}"),
    }
}

impl Fuzz for States {
    fn cases(&self) -> BoxedStrategy<Case> {
        let (sp, jp) = (self.state.clone(), self.journal.clone());
        (
            recipe(&self.state, Format::Json, 0.9),
            recipe(&self.journal, Format::JsonLines, 0.6),
        )
            .prop_map(move |(s, j)| {
                let mut case = Vec::new();
                if let Some(s) = make(&sp, Format::Json, &s) {
                    case.push(("netform.tfstate".to_string(), s));
                }
                if let Some(j) = make(&jp, Format::JsonLines, &j) {
                    case.push(("netform.tfstate.journal".to_string(), j));
                }
                case
            })
            .boxed()
    }

    fn run(&mut self, case: &Case) -> &'static str {
        let path = self.dir.path().join("netform.tfstate");
        let journal = self.dir.path().join("netform.tfstate.journal");
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(&journal);
        for (name, bytes) in case {
            if name == "netform.tfstate" {
                if let Ok(s) = State::from_json(&String::from_utf8_lossy(bytes), "fuzz") {
                    round_trips(&s, "a state from_json accepted");
                }
                std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
            } else {
                std::fs::write(&journal, bytes).unwrap_or_else(|e| panic!("{e}"));
            }
        }
        match Store::new(path).read() {
            Ok(Some(s)) => {
                round_trips(&s, "a state Store::read accepted (journal folded in)");
                "read"
            }
            Ok(None) => "no state",
            Err(_) => "refused",
        }
    }
}
