//! Machine output: the plan in Terraform's JSON plan shape (`format_version` 1.2), and the state.

use serde_json::{Value as J, json};

use crate::diag::Sources;
use crate::plan::attrs::Attrs;
use crate::plan::{Action, Plan};

fn attrs_json(a: &Option<Attrs>, hide: &std::collections::BTreeSet<String>) -> J {
    match a {
        None => J::Null,
        Some(m) => J::Object(
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        if hide.contains(k) {
                            J::Null
                        } else {
                            v.to_json()
                        },
                    )
                })
                .collect(),
        ),
    }
}

fn sensitive_json(hide: &std::collections::BTreeSet<String>) -> J {
    J::Object(hide.iter().map(|k| (k.clone(), J::Bool(true))).collect())
}

fn unknown_json(a: &Option<Attrs>) -> J {
    match a {
        None => json!({}),
        Some(m) => J::Object(
            m.iter()
                .filter(|(_, v)| !v.is_wholly_known())
                .map(|(k, v)| (k.clone(), v.unknown_mask()))
                .collect(),
        ),
    }
}

/// Attributes derived from sensitive values, per resource (`TYPE.NAME`), as the plan's changes
/// mark them: the prior state and drift show them as null, as the changes do.
fn hidden(p: &Plan) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut m: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for c in &p.changes {
        m.entry(c.address.resource_key())
            .or_default()
            .extend(c.sensitive.iter().cloned());
    }
    m
}

/// The prior state with sensitive attributes nulled.
fn prior_state(
    p: &Plan,
    hide: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
) -> J {
    let mut prior = p.prior.clone();
    for (a, i) in prior.resources.iter_mut() {
        for k in hide.get(&a.resource_key()).into_iter().flatten() {
            if let Some(v) = i.attributes.get_mut(k) {
                *v = J::Null;
            }
        }
    }
    prior.to_json()
}

pub fn plan(p: &Plan, sources: &Sources) -> J {
    let hide = hidden(p);
    let none = std::collections::BTreeSet::new();
    let changes: Vec<J> = p
        .changes
        .iter()
        .map(|c| {
            let index = match &c.address.key {
                crate::address::InstanceKey::None => J::Null,
                k => serde_json::to_value(k).unwrap_or(J::Null),
            };
            let mut j = json!({
                "address": c.address.to_string(),
                "mode": "managed",
                "type": c.address.ty,
                "name": c.address.name,
                "index": index,
                "change": {
                    "actions": c.action.json(c.create_before_destroy),
                    "before": attrs_json(&c.before, &c.sensitive),
                    "after": if c.action == Action::Delete { J::Null } else { attrs_json(&c.after, &c.sensitive) },
                    "before_sensitive": sensitive_json(&c.sensitive),
                    "after_sensitive": sensitive_json(&c.sensitive),
                    "after_unknown": unknown_json(&c.after),
                    "replace_paths": c.replace_paths.iter().map(|p| json!([p])).collect::<Vec<_>>(),
                },
            });
            if let Some(m) = c.address.module_address() {
                j["module_address"] = json!(m);
            }
            if let Some(mv) = p.moved.iter().find(|m| m.to == c.address) {
                j["previous_address"] = json!(mv.from.to_string());
            }
            if let Some(t) = p.imported.iter().find(|t| t.address == c.address) {
                j["change"]["importing"] = json!({ "id": t.id });
            }
            j
        })
        .collect();
    let ops: Vec<J> = p
        .ops
        .iter()
        .map(|o| json!({"id": o.id, "action": o.action.name(), "address": o.address.to_string(), "depends_on": o.depends_on}))
        .collect();
    let drift: Vec<J> = p
        .drift
        .iter()
        .map(|d| {
            json!({
                "address": d.address.to_string(),
                "change": {
                    "actions": if d.after.is_some() { vec!["update"] } else { vec!["delete"] },
                    "before": attrs_json(&Some(d.before.clone()), hide.get(&d.address.resource_key()).unwrap_or(&none)),
                    "after": attrs_json(&d.after, hide.get(&d.address.resource_key()).unwrap_or(&none)),
                }
            })
        })
        .collect();
    let outputs: serde_json::Map<String, J> = p
        .outputs
        .iter()
        .map(|o| {
            let after = if o.sensitive || !o.value.is_wholly_known() {
                J::Null
            } else {
                o.value.to_json()
            };
            (
                o.name.clone(),
                json!({
                    "actions": if o.before.is_some() { vec!["update"] } else { vec!["create"] },
                    "after": after,
                    "after_unknown": !o.value.is_wholly_known(),
                    "after_sensitive": o.sensitive,
                }),
            )
        })
        .collect();
    json!({
        "format_version": "1.2",
        "netform_version": env!("CARGO_PKG_VERSION"),
        "resource_changes": changes,
        "resource_drift": drift,
        "output_changes": outputs,
        "operations": ops,
        "prior_state": prior_state(p, &hide),
        "diagnostics": p.warnings.0.iter().map(|d| sources.diagnostic_json(d)).collect::<Vec<_>>(),
        "errored": false,
    })
}
