//! `moved` and `removed` blocks, applied to the refreshed state before planning: a moved object
//! is planned at its new address (no destroy, no create), and one a `removed` block forgets
//! leaves the state without a delete. Apply writes the state the plan made, so the moves and
//! the forgetting are recorded even when nothing else changes.
//!
//! Terraform also implies moves no block states (`internal/refactoring`'s
//! `ImpliedMoveStatements`): a resource that gains `count` keeps its object as `[0]`, one that
//! loses it keeps `[0]`'s. Without them, adding `count = 1` would destroy and recreate.

use crate::address::{Address, InstanceKey};
use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics};
use crate::state::State;

/// One object that moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    pub from: Address,
    pub to: Address,
}

/// Applies every module's `moved` blocks to `state`, in the order written (so a chain `a → b`,
/// `b → c` ends at `c`). A move onto an address that already holds an object is skipped with a
/// warning, as Terraform does.
pub fn apply_moves(cfg: &Config, state: &mut State, warnings: &mut Diagnostics) -> Vec<Move> {
    let mut moves: Vec<Move> = Vec::new();
    for m in cfg.all_modules() {
        let depth = m.path.len();
        for block in &m.moved {
            let planned: Vec<(Address, Address)> = state
                .resources
                .keys()
                .filter(|a| {
                    a.module.len() >= depth
                        && a.module[..depth].iter().map(|s| &s.name).eq(m.path.iter())
                })
                .filter_map(|a| {
                    let (inst, rest) = a.module.split_at(depth);
                    let relative = Address {
                        module: rest.to_vec(),
                        ..a.clone()
                    };
                    let mut to = block.from.move_to(&block.to, &relative)?;
                    let mut module = inst.to_vec();
                    module.extend(to.module);
                    to.module = module;
                    Some((a.clone(), to))
                })
                .collect();
            for (from, to) in planned {
                if state.resources.contains_key(&to) {
                    warnings.push(
                        Diagnostic::warning(format!(
                            "{from} was not moved to {to}: an object is already there"
                        ))
                        .at(Some(block.range.clone()))
                        .with_help("remove the moved block, or remove one of the two objects from state with netform state rm"),
                    );
                    continue;
                }
                if let Some(inst) = state.resources.remove(&from) {
                    state.resources.insert(to.clone(), inst);
                }
                // A chained move keeps the first origin.
                match moves.iter_mut().find(|mv| mv.to == from) {
                    Some(mv) => mv.to = to,
                    None => moves.push(Move { from, to }),
                }
            }
        }
    }
    implied_moves(cfg, state, &mut moves, warnings);
    moves.retain(|m| m.from != m.to);
    moves
}

/// The moves Terraform implies, after the explicit ones: `a` → `a[0]` for a resource whose
/// block now has `count`, `a[0]` → `a` for one with neither `count` nor `for_each`. A resource
/// any `moved` block names is left to that block (its author may keep another key); a target
/// already taken is skipped with a warning, as for an explicit move. `for_each` implies nothing,
/// and neither do module calls (Terraform implies moves for resources only).
fn implied_moves(
    cfg: &Config,
    state: &mut State,
    moves: &mut Vec<Move>,
    warnings: &mut Diagnostics,
) {
    let planned: Vec<(Address, Address, crate::diag::SourceRange)> = state
        .resources
        .keys()
        .filter_map(|a| {
            let path: Vec<String> = a.module.iter().map(|s| s.name.clone()).collect();
            let r = cfg.module(&path)?.resource(a.mode, &a.ty, &a.name)?;
            let key = match (&a.key, r.count.is_some(), r.for_each.is_some()) {
                (InstanceKey::None, true, _) => InstanceKey::Int(0),
                (InstanceKey::Int(0), false, false) => InstanceKey::None,
                _ => return None,
            };
            if named_by_a_moved_block(cfg, a) {
                return None;
            }
            let at = r
                .count
                .as_ref()
                .and_then(crate::config::Expr::range)
                .unwrap_or_else(|| r.range.clone());
            Some((a.clone(), Address { key, ..a.clone() }, at))
        })
        .collect();
    for (from, to, at) in planned {
        if state.resources.contains_key(&to) {
            warnings.push(
                Diagnostic::warning(format!(
                    "{from} was not moved to {to}: an object is already there"
                ))
                .at(Some(at))
                .with_help("remove one of the two objects from state with netform state rm, or write a moved block naming the one to keep"),
            );
            continue;
        }
        if let Some(inst) = state.resources.remove(&from) {
            state.resources.insert(to.clone(), inst);
        }
        match moves.iter_mut().find(|mv| mv.to == from) {
            Some(mv) => mv.to = to,
            None => moves.push(Move { from, to }),
        }
    }
}

/// Whether a `moved` block of any module names the resource of `a` (any of its instances, or
/// a module holding it) as its origin or its destination.
fn named_by_a_moved_block(cfg: &Config, a: &Address) -> bool {
    cfg.all_modules().iter().any(|m| {
        let depth = m.path.len();
        if a.module.len() < depth || !a.module[..depth].iter().map(|s| &s.name).eq(m.path.iter()) {
            return false;
        }
        let relative = Address {
            module: a.module[depth..].to_vec(),
            ..a.clone()
        };
        m.moved.iter().any(|b| {
            [&b.from, &b.to].into_iter().any(|ep| {
                // Any instance of the resource counts, whatever key the endpoint names.
                let any_key = match &ep.resource {
                    Some((_, _, _, k)) => Address {
                        key: k.clone(),
                        ..relative.clone()
                    },
                    None => relative.clone(),
                };
                ep.selects(&any_key)
            })
        })
    })
}

/// Drops from `state` what `removed { lifecycle { destroy = false } }` blocks name: the objects
/// stay in the cloud and netform stops managing them.
pub fn forget(cfg: &Config, state: &mut State) -> Vec<Address> {
    let mut out = Vec::new();
    for m in cfg.all_modules() {
        let depth = m.path.len();
        for r in m.removed.iter().filter(|r| !r.destroy) {
            let gone: Vec<Address> = state
                .resources
                .keys()
                .filter(|a| {
                    a.module.len() >= depth
                        && a.module[..depth].iter().map(|s| &s.name).eq(m.path.iter())
                        && r.from.selects(&Address {
                            module: a.module[depth..].to_vec(),
                            ..(*a).clone()
                        })
                })
                .cloned()
                .collect();
            for a in gone {
                state.resources.remove(&a);
                out.push(a);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Instance;

    fn cfg(text: &str) -> Config {
        crate::config::load_sources(
            std::path::Path::new("."),
            vec![("main.hcl".into(), text.into())],
        )
        .unwrap_or_else(|f| panic!("{:?}", f.diags))
    }

    fn state(addrs: &[&str]) -> State {
        let mut s = State::new("l".into());
        for a in addrs {
            let addr = Address::parse(a).unwrap_or_else(|e| panic!("{e}"));
            s.resources.insert(
                addr,
                Instance {
                    attributes: [("id".to_string(), serde_json::json!(a))].into(),
                    dependencies: Vec::new(),
                    provider: None,
                },
            );
        }
        s
    }

    fn moved(text: &str, addrs: &[&str]) -> (Vec<String>, Vec<String>, Diagnostics) {
        let mut s = state(addrs);
        let mut w = Diagnostics::default();
        let m = apply_moves(&cfg(text), &mut s, &mut w);
        let shown = m
            .iter()
            .map(|m| format!("{} -> {}", m.from, m.to))
            .collect();
        let keys = s.resources.keys().map(ToString::to_string).collect();
        (shown, keys, w)
    }

    #[test]
    fn gaining_count_moves_to_index_zero_and_losing_it_moves_back() {
        let (m, keys, _) = moved(
            r#"resource "alicloud_eip_address" "a" {
  count = 2
}
resource "alicloud_eip_address" "b" {}
"#,
            &["alicloud_eip_address.a", "alicloud_eip_address.b[0]"],
        );
        assert_eq!(
            m,
            [
                "alicloud_eip_address.a -> alicloud_eip_address.a[0]",
                "alicloud_eip_address.b[0] -> alicloud_eip_address.b",
            ]
        );
        assert_eq!(
            keys,
            ["alicloud_eip_address.a[0]", "alicloud_eip_address.b"]
        );
    }

    #[test]
    fn for_each_an_explicit_block_and_a_taken_target_imply_nothing() {
        let (m, keys, w) = moved(
            r#"resource "alicloud_eip_address" "e" {
  for_each = toset(["x"])
}
resource "alicloud_eip_address" "c" {
  count = 3
}
moved {
  from = alicloud_eip_address.c[1]
  to   = alicloud_eip_address.c[2]
}
resource "alicloud_eip_address" "t" {
  count = 1
}
"#,
            &[
                "alicloud_eip_address.e",
                "alicloud_eip_address.c",
                "alicloud_eip_address.t",
                "alicloud_eip_address.t[0]",
            ],
        );
        assert!(m.is_empty(), "{m:?}");
        assert_eq!(keys.len(), 4, "{keys:?}");
        assert_eq!(w.0.len(), 1, "{w:?}");
        assert!(w.0[0].summary.contains("already there"), "{:?}", w.0[0]);
    }

    #[test]
    fn implied_moves_happen_inside_module_instances() {
        let mut c = cfg("");
        let mut child = cfg(r#"resource "alicloud_eip_address" "a" {
  count = 1
}
"#);
        child.path = vec!["m".into()];
        c.modules.insert(
            "m".into(),
            crate::config::modules::ModuleCall {
                name: "m".into(),
                source: "./m".into(),
                range: child.resources[0].range.clone(),
                args: Vec::new(),
                count: None,
                for_each: None,
                depends_on: Vec::new(),
                body: Box::new(child),
            },
        );
        let mut s = state(&["module.m.alicloud_eip_address.a"]);
        let mut w = Diagnostics::default();
        let m = apply_moves(&c, &mut s, &mut w);
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].to.to_string(), "module.m.alicloud_eip_address.a[0]");
    }
}
