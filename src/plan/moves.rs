//! `moved` and `removed` blocks, applied to the refreshed state before planning: a moved object
//! is planned at its new address (no destroy, no create), and one a `removed` block forgets
//! leaves the state without a delete. Apply writes the state the plan made, so the moves and
//! the forgetting are recorded even when nothing else changes.

use crate::address::Address;
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
    moves.retain(|m| m.from != m.to);
    moves
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
