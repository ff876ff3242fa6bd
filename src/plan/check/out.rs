//! What the rule families report: findings that carry the id of the rule the table found broken
//! (never one typed by the checker), turned into diagnostics with the configuration range of
//! the offending attribute once every family has run.

use std::collections::BTreeSet;

use crate::address::Address;
use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics, SourceRange};
use crate::limits::{Dated, InstanceType, Limits};
use crate::resources::view::Field;
use crate::rules::{self, Violation};

/// One broken rule at one resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Finding {
    /// The id `rules::evaluate` returned.
    pub(super) rule: &'static str,
    pub(super) addr: Address,
    /// The attribute whose range the diagnostic shows (the first of these the configuration
    /// writes).
    pub(super) attr: Field,
    pub(super) summary: String,
    pub(super) detail: String,
    pub(super) help: String,
}

/// Collects the findings of every family, in the order they are made.
pub(super) struct Out<'a> {
    pub(super) limits: &'a Limits,
    pub(super) findings: Vec<Finding>,
    seen: BTreeSet<(&'static str, String)>,
}

impl<'a> Out<'a> {
    pub(super) fn new(limits: &'a Limits) -> Out<'a> {
        Out {
            limits,
            findings: Vec::new(),
            seen: BTreeSet::new(),
        }
    }

    /// One violation, under the rule the table found broken; the same rule at the same
    /// resource is reported once.
    pub(super) fn push(
        &mut self,
        v: &Violation,
        addr: &Address,
        attr: Field,
        summary: String,
        detail: String,
        help: String,
    ) {
        if !self.seen.insert((v.rule, addr.to_string())) {
            return;
        }
        self.findings.push(Finding {
            rule: v.rule,
            addr: addr.clone(),
            attr,
            summary,
            detail,
            help,
        });
    }

    /// "rule: " and the broken rule's statement from the table, with what this plan does.
    pub(super) fn rule(v: &Violation, this_plan: Option<String>) -> String {
        let statement = rules::rule(v.rule).map_or("", |r| r.statement);
        match this_plan {
            Some(s) => format!("rule: {statement}; {s}"),
            None => format!("rule: {statement}"),
        }
    }

    /// "limit: " and a profile value with its source.
    pub(super) fn limit<T: std::fmt::Display>(&self, what: &str, d: &Dated<T>) -> String {
        format!(
            "limit: {what} is {} in the `{}` profile ({}, {})",
            d.value, self.limits.profile, d.source, d.date
        )
    }

    pub(super) fn into_diagnostics(self, cfg: &Config) -> Diagnostics {
        let mut diags = Diagnostics::default();
        for f in self.findings {
            diags.push(
                Diagnostic::error(format!("{}: {}", f.addr, f.summary))
                    .with_rule(f.rule)
                    .at(range(cfg, &f.addr, f.attr))
                    .with_detail(f.detail)
                    .with_help(f.help),
            );
        }
        diags
    }
}

/// Where an attribute is written: the first of the field's names the resource writes (an
/// address list may be written as its count companion), else the resource itself.
fn range(cfg: &Config, addr: &Address, attr: Field) -> Option<SourceRange> {
    let r = cfg.resource_at(addr)?;
    attr.iter()
        .find_map(|name| {
            r.attrs
                .iter()
                .find(|a| a.name == *name || r.kind.canonical(&a.name) == *name)
        })
        .and_then(|a| a.value.range())
        .or_else(|| Some(r.range.clone()))
}

/// A larger type to suggest, same family first.
pub(super) fn bigger(
    limits: &Limits,
    t: &InstanceType,
    need: u32,
    key: fn(&InstanceType) -> u32,
) -> String {
    let fits = |x: &&InstanceType| key(x) >= need;
    let best = limits
        .instance_types
        .iter()
        .filter(|x| x.family() == t.family())
        .filter(fits)
        .min_by_key(|x| key(x))
        .or_else(|| {
            limits
                .instance_types
                .iter()
                .filter(fits)
                .min_by_key(|x| key(x))
        });
    match best {
        Some(b) => format!("use a type that takes {}, such as {}", key(b), b.id),
        None => "no type in the instance-type table takes that many".to_string(),
    }
}
