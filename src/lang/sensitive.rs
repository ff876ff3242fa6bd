//! Keeping sensitive values out of messages. An error computed from a sensitive value (a type
//! conversion, a failed validation, a bad `count`) would otherwise quote it to the screen, the
//! CI log and the JSON diagnostics; Terraform prints `(sensitive value)` in its place, and so
//! does netform.
//!
//! Where the code knows that a message is about a sensitive value it says so itself; [`Secrets`]
//! is the net under it: it replaces every textual form of the known sensitive values in a
//! message, however the message was built.

use std::collections::BTreeSet;

use hcl_edit::expr::Expression;

use crate::diag::{Diagnostic, Diagnostics};
use crate::lang::Value;
use crate::lang::eval::{Ref, references};
use crate::lang::value::format_number;

/// What a message shows in place of a sensitive value.
pub const SHOWN: &str = "(sensitive value)";

/// Texts shorter than this are not replaced: a sensitive `1` or `true` would otherwise blank out
/// every line number and flag in a message, and says nothing a reader could use.
const MIN_LEN: usize = 3;

/// The sensitive variables, and the locals derived from them: what an evaluator needs to know
/// to keep a function's error about an argument derived from one from quoting it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SensitiveNames {
    pub vars: BTreeSet<String>,
    pub locals: BTreeSet<String>,
}

impl SensitiveNames {
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty() && self.locals.is_empty()
    }

    /// Whether the expression refers to a sensitive variable or local.
    pub fn touches(&self, e: &Expression) -> bool {
        !self.is_empty()
            && references(e).iter().any(|(r, _)| match r {
                Ref::Var(v) => self.vars.contains(v),
                Ref::Local(l) => self.locals.contains(l),
                Ref::Resource(..) | Ref::Module(..) => false,
            })
    }
}

/// The textual forms of sensitive values, longest first so that a quoted form is replaced whole
/// before the bare text inside it.
#[derive(Clone, Debug, Default)]
pub struct Secrets {
    texts: Vec<String>,
}

impl Secrets {
    pub fn new() -> Secrets {
        Secrets::default()
    }

    /// Adds a value: its rendering as a whole and each of its leaves, bare and quoted.
    pub fn add(&mut self, v: &Value) {
        // A bool or null says too little to hide, and hiding it would blank out every "true".
        if !matches!(v, Value::Null | Value::Bool(_) | Value::Unknown(_)) {
            self.push(v.to_string());
        }
        self.add_leaves(v);
        self.texts
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        self.texts.dedup();
    }

    fn add_leaves(&mut self, v: &Value) {
        match v {
            Value::String(s) => {
                self.push(v.to_string());
                self.push(s.clone());
            }
            Value::Number(n) => self.push(format_number(n)),
            Value::List(x) | Value::Set(x) => x.iter().for_each(|x| self.add_leaves(x)),
            Value::Map(m) => {
                for (k, x) in m {
                    // A sensitive map's keys are as secret as its values.
                    self.push(Value::string(k.clone()).to_string());
                    self.push(k.clone());
                    self.add_leaves(x);
                }
            }
            Value::Null | Value::Bool(_) | Value::Unknown(_) => {}
        }
    }

    fn push(&mut self, s: String) {
        if s.chars().count() >= MIN_LEN {
            self.texts.push(s);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// `text` with every sensitive text in it replaced by [`SHOWN`].
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for t in &self.texts {
            if out.contains(t.as_str()) {
                out = out.replace(t.as_str(), SHOWN);
            }
        }
        out
    }

    /// Every text of a diagnostic: summary, detail, label and help.
    pub fn redact_diagnostic(&self, d: &mut Diagnostic) {
        if self.is_empty() {
            return;
        }
        d.summary = self.redact(&d.summary);
        for t in [&mut d.detail, &mut d.label, &mut d.help]
            .into_iter()
            .flatten()
        {
            *t = self.redact(t);
        }
    }

    pub fn redact_all(&self, d: &mut Diagnostics) {
        d.0.iter_mut().for_each(|d| self.redact_diagnostic(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_a_secret_is_replaced() {
        let mut s = Secrets::new();
        s.add(&Value::string("hunter2"));
        assert_eq!(
            s.redact("cannot convert \"hunter2\" to number"),
            "cannot convert (sensitive value) to number"
        );
        assert_eq!(s.redact("svc-hunter2-x"), "svc-(sensitive value)-x");
        assert_eq!(s.redact("nothing here"), "nothing here");
    }

    #[test]
    fn collections_are_replaced_whole_and_by_leaf() {
        let mut s = Secrets::new();
        s.add(&Value::List(vec![
            Value::string("alpha"),
            Value::from(1234u64),
        ]));
        assert_eq!(s.redact("[\"alpha\", 1234]"), SHOWN);
        assert_eq!(s.redact("got 1234"), "got (sensitive value)");
        let mut s = Secrets::new();
        s.add(&Value::Map(
            [("hunter2".to_string(), Value::Null)].into_iter().collect(),
        ));
        assert_eq!(
            s.redact("element \"hunter2\": bad"),
            "element (sensitive value): bad"
        );
    }

    #[test]
    fn short_values_are_left_alone() {
        let mut s = Secrets::new();
        s.add(&Value::from(5u64));
        s.add(&Value::Bool(true));
        assert!(s.is_empty());
        assert_eq!(s.redact("main.hcl:5: true"), "main.hcl:5: true");
    }

    #[test]
    fn diagnostics_are_redacted_in_every_text() {
        let mut s = Secrets::new();
        s.add(&Value::string("hunter2"));
        let mut d = Diagnostic::error("bad hunter2")
            .with_label("hunter2")
            .with_detail("is hunter2")
            .with_help("not hunter2");
        s.redact_diagnostic(&mut d);
        for t in [
            Some(d.summary.clone()),
            d.detail.clone(),
            d.label.clone(),
            d.help.clone(),
        ] {
            let t = t.expect("text");
            assert!(t.contains(SHOWN) && !t.contains("hunter2"), "{t}");
        }
    }
}
