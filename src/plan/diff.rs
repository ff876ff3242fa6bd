//! The diff of one resource instance: its desired attributes against its refreshed prior ones,
//! giving the planned attributes (unknown where the cloud will decide) and the action.

use super::attrs::{self, Attrs};
use super::{Action, Change, unknown_at};
use crate::address::Address;
use crate::config::Lifecycle;
use crate::lang::Value;
use crate::provider::Clouds;
use crate::resources::{self, Shaping};
use crate::schema::{self, AttrType, Kind};

pub struct DiffInput<'a> {
    pub address: Address,
    pub kind: Kind,
    pub desired: Attrs,
    pub prior: Option<Attrs>,
    pub lifecycle: &'a Lifecycle,
    pub forced_replace: bool,
    pub dependencies: Vec<String>,
    pub provider: Option<String>,
    pub clouds: &'a Clouds,
    pub offline: bool,
    /// Addresses of this ENI that EIPs in state are bound to: lowering a count keeps them.
    pub pinned: &'a std::collections::BTreeSet<String>,
}

pub use crate::provider::api::eip_target_kind as infer_kind;

pub fn diff(inp: DiffInput) -> Change {
    let schema = schema::by_kind(inp.kind);
    let addr = &inp.address;
    let clouds = (!inp.offline).then_some(inp.clouds);
    let mut after = planned(&inp, schema);
    let shaping = |prior| Shaping {
        address: addr,
        desired: &inp.desired,
        prior,
        clouds,
        pinned: inp.pinned,
    };
    resources::shape(inp.kind, &shaping(inp.prior.as_ref()), &mut after);
    let change = |action, before, after, replace_paths| Change {
        address: addr.clone(),
        kind: inp.kind,
        action,
        before,
        after: Some(after),
        replace_paths,
        create_before_destroy: inp.lifecycle.create_before_destroy,
        dependencies: inp.dependencies.clone(),
        provider: inp.provider.clone(),
        each: None,
        sensitive: Default::default(),
    };
    let Some(prior) = inp.prior.clone() else {
        return change(Action::Create, None, after, Vec::new());
    };
    let replace_paths = forcing(schema, &inp.desired, &after, &prior);
    let action = if inp.forced_replace || !replace_paths.is_empty() {
        Action::Replace
    } else if updates(schema, &inp.desired, &after, &prior) {
        Action::Update
    } else {
        Action::NoOp
    };
    if action == Action::Replace {
        // A new object: what the cloud assigns is unknown again.
        let at = addr.to_string();
        for a in schema
            .attrs
            .iter()
            .filter(|a| a.computed && a.alias_of.is_none())
        {
            if !inp.desired.contains_key(a.name) && a.default.is_none() {
                after.insert(a.name.to_string(), unknown_at(&at, a.name));
            }
        }
        resources::shape(inp.kind, &shaping(None), &mut after);
    } else {
        // The existing object's facts carry over; a live one only where the plan did not learn it.
        for a in schema.attrs.iter().filter(|a| !a.settable) {
            let Some(p) = prior.get(a.name) else { continue };
            if !a.live || after.get(a.name).is_some_and(Value::is_unknown) {
                after.insert(a.name.to_string(), p.clone());
            }
        }
    }
    // A no-op's planned object is most often its prior one: one map for both then.
    let after = if action == Action::NoOp && after == prior {
        prior.clone()
    } else {
        after
    };
    change(action, Some(prior), after, replace_paths)
}

/// The settable attributes as planned: from the configuration, or the prior value when
/// `ignore_changes` says so or the cloud decides, or the cloud's default.
fn planned(inp: &DiffInput, schema: &schema::ResourceSchema) -> Attrs {
    let prior = inp.prior.as_ref();
    // One allocation for the object: every attribute of the schema has an entry.
    let mut after = Attrs::with_capacity(schema.attrs.len());
    // Written out once, and only for an object with unknowns.
    let at = std::cell::OnceCell::new();
    for a in schema
        .attrs
        .iter()
        .filter(|a| a.alias_of.is_none() && !a.unsupported)
    {
        let name = a.name;
        let ignored = inp.lifecycle.ignore_changes.iter().any(|i| i == name);
        let prior_v = prior.and_then(|p| p.get(name)).cloned();
        let v = match inp.desired.get(name) {
            Some(v) if !(ignored && prior_v.is_some()) => v.clone(),
            _ if a.computed || matches!(a.ty, AttrType::Num | AttrType::Bool) => match prior_v {
                Some(p) => p,
                None => match a.default {
                    Some(d) => Value::string(d),
                    None if a.computed => {
                        unknown_at(at.get_or_init(|| inp.address.to_string()), name)
                    }
                    None => Value::Null,
                },
            },
            _ if ignored => prior_v.unwrap_or(Value::Null),
            _ => Value::Null,
        };
        after.insert(name.to_string(), v);
    }
    after
}

/// The attributes whose change forces a new object.
fn forcing(
    schema: &schema::ResourceSchema,
    desired: &Attrs,
    after: &Attrs,
    prior: &Attrs,
) -> Vec<String> {
    let mut out = Vec::new();
    for a in schema
        .attrs
        .iter()
        .filter(|a| a.force_new && a.alias_of.is_none())
    {
        let (Some(new), Some(old)) = (after.get(a.name), prior.get(a.name)) else {
            continue;
        };
        let set_by_config = desired.contains_key(a.name);
        let changed = match new {
            Value::Unknown(_) => set_by_config && !old.is_null(),
            n => !attrs::same(n, old) && (set_by_config || !a.computed),
        };
        if changed {
            out.push(a.name.to_string());
        }
    }
    out
}

/// Whether a settable attribute changes in place.
fn updates(schema: &schema::ResourceSchema, desired: &Attrs, after: &Attrs, prior: &Attrs) -> bool {
    schema
        .attrs
        .iter()
        .filter(|a| a.settable && a.alias_of.is_none() && !a.unsupported)
        .any(|a| match (after.get(a.name), prior.get(a.name)) {
            (Some(Value::Unknown(_)), _) => {
                desired.contains_key(a.name) || !prior.contains_key(a.name)
            }
            (Some(n), Some(o)) => !attrs::same(n, o),
            (Some(n), None) => !attrs::same(n, &Value::Null),
            _ => false,
        })
}
