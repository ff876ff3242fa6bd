//! The diff of one resource instance: its desired attributes against its refreshed prior ones,
//! giving the planned attributes (unknown where the cloud will decide) and the action.

use super::attrs::{self, Attrs};
use super::{Action, Change, unknown_for};
use crate::address::Address;
use crate::config::Lifecycle;
use crate::lang::Value;
use crate::provider::Clouds;
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

fn infer_target_type(v: &Value) -> Value {
    let from_id = |id: &str| -> Option<&'static str> {
        (id.starts_with("i-") || id.contains('-')).then(|| infer_kind(id))
    };
    match v {
        Value::String(s) => from_id(s).map(Value::string).unwrap_or(Value::unknown()),
        Value::Unknown(Some(o))
            if o.starts_with("alicloud_ecs_network_interface.")
                || o.starts_with("alicloud_network_interface.") =>
        {
            Value::string("NetworkInterface")
        }
        _ => Value::unknown(),
    }
}

pub fn diff(inp: DiffInput) -> Change {
    let schema = schema::by_kind(inp.kind);
    let addr = &inp.address;
    let clouds = (!inp.offline).then_some(inp.clouds);
    let mut after = planned(&inp, schema);
    shape(
        inp.kind,
        addr,
        &inp.desired,
        inp.prior.as_ref(),
        &mut after,
        clouds,
        inp.pinned,
    );
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
        for a in schema
            .attrs
            .iter()
            .filter(|a| a.computed && a.alias_of.is_none())
        {
            if !inp.desired.contains_key(a.name) && a.default.is_none() {
                after.insert(a.name.to_string(), unknown_for(addr, a.name));
            }
        }
        shape(
            inp.kind,
            addr,
            &inp.desired,
            None,
            &mut after,
            clouds,
            inp.pinned,
        );
    } else {
        // The existing object's facts carry over; a live one only where the plan did not learn it.
        for a in schema.attrs.iter().filter(|a| !a.settable) {
            let Some(p) = prior.get(a.name) else { continue };
            if !a.live || after.get(a.name).is_some_and(Value::is_unknown) {
                after.insert(a.name.to_string(), p.clone());
            }
        }
    }
    change(action, Some(prior), after, replace_paths)
}

/// The settable attributes as planned: from the configuration, or the prior value when
/// `ignore_changes` says so or the cloud decides, or the cloud's default.
fn planned(inp: &DiffInput, schema: &schema::ResourceSchema) -> Attrs {
    let prior = inp.prior.as_ref();
    let mut after = Attrs::new();
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
                    None if a.computed => unknown_for(&inp.address, name),
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

/// Kind-specific shaping of the planned attributes: list/count pairs, inferred values.
fn shape(
    kind: Kind,
    addr: &Address,
    desired: &Attrs,
    prior: Option<&Attrs>,
    after: &mut Attrs,
    clouds: Option<&Clouds>,
    pinned: &std::collections::BTreeSet<String>,
) {
    match kind {
        Kind::Eni => {
            pair(
                addr,
                desired,
                prior,
                after,
                pinned,
                "private_ip_addresses",
                "secondary_private_ip_address_count",
            );
            pair(
                addr,
                desired,
                prior,
                after,
                pinned,
                "ipv6_addresses",
                "ipv6_address_count",
            );
        }
        Kind::SecondaryIps => {
            pair(
                addr,
                desired,
                prior,
                after,
                pinned,
                "private_ip_addresses",
                "private_ip_address_count",
            );
            pair(
                addr,
                desired,
                prior,
                after,
                pinned,
                "ipv6_addresses",
                "ipv6_address_count",
            );
            // `instance_id` means the instance's primary ENI: look it up now, when known.
            if !desired.contains_key("network_interface_id") {
                let eni = match (
                    desired.get("instance_id"),
                    prior.and_then(|p| p.get("network_interface_id")),
                ) {
                    (_, Some(p))
                        if prior.and_then(|p| p.get("instance_id"))
                            == desired.get("instance_id") =>
                    {
                        p.clone()
                    }
                    (Some(Value::String(id)), _) => clouds
                        .and_then(|c| primary_eni_of(id, c))
                        .map(Value::String)
                        .unwrap_or(Value::unknown()),
                    _ => Value::unknown(),
                };
                after.insert("network_interface_id".into(), eni.clone());
            }
            let id = after
                .get("network_interface_id")
                .cloned()
                .unwrap_or(Value::unknown());
            after.insert("id".into(), id);
        }
        Kind::Attachment => {
            let id = match (after.get("network_interface_id"), after.get("instance_id")) {
                (Some(Value::String(e)), Some(Value::String(i))) => {
                    Value::string(format!("{e}:{i}"))
                }
                _ => unknown_for(addr, "id"),
            };
            after.insert("id".into(), id);
        }
        Kind::Association => {
            let target = after.get("instance_id").cloned().unwrap_or(Value::Null);
            if !desired.contains_key("instance_type") {
                let inferred = infer_target_type(&target);
                let keep = prior.and_then(|p| p.get("instance_type")).filter(|p| {
                    attrs::same(p, &inferred) || inferred.is_unknown() && !target.is_unknown()
                });
                after.insert("instance_type".into(), keep.cloned().unwrap_or(inferred));
            }
            let is_eni = after.get("instance_type") == Some(&Value::string("NetworkInterface"));
            if !desired.contains_key("mode") {
                let m = prior
                    .and_then(|p| p.get("mode"))
                    .cloned()
                    .filter(|m| !m.is_null());
                after.insert(
                    "mode".into(),
                    if is_eni {
                        m.unwrap_or(Value::string("NAT"))
                    } else {
                        Value::Null
                    },
                );
            }
            if !desired.contains_key("private_ip_address") {
                let p = prior
                    .and_then(|p| p.get("private_ip_address"))
                    .cloned()
                    .filter(|m| !m.is_null());
                let nat_eni = is_eni && after.get("mode") == Some(&Value::string("NAT"));
                after.insert(
                    "private_ip_address".into(),
                    match p {
                        Some(p) => p,
                        None if nat_eni => unknown_for(addr, "private_ip_address"),
                        None => Value::Null,
                    },
                );
            }
            let id = match (after.get("allocation_id"), &target) {
                (Some(Value::String(e)), Value::String(i)) => Value::string(format!("{e}:{i}")),
                _ => unknown_for(addr, "id"),
            };
            after.insert("id".into(), id);
        }
        _ => {}
    }
}

/// The instance's primary ENI (its DescribeInstances `NetworkInterfaces` entry of type Primary);
/// `None` leaves it unknown until apply, as when the look-up fails.
fn primary_eni_of(instance: &str, clouds: &Clouds) -> Option<String> {
    clouds.client(None).primary_eni_of(instance).ok().flatten()
}

/// A set of addresses and its count: whichever the configuration leaves out follows the other.
/// Lowering the count drops the highest addresses first.
fn pair(
    addr: &Address,
    desired: &Attrs,
    prior: Option<&Attrs>,
    after: &mut Attrs,
    pinned: &std::collections::BTreeSet<String>,
    list: &str,
    count: &str,
) {
    let prior_list: Option<Vec<Value>> = prior
        .and_then(|p| p.get(list))
        .and_then(|v| v.as_seq().map(<[Value]>::to_vec));
    match (desired.get(list), desired.get(count)) {
        (Some(l), _) => {
            let n = l
                .as_seq()
                .map(|s| Value::Number(s.len() as f64))
                .unwrap_or(Value::unknown());
            after.insert(count.into(), n);
        }
        (None, Some(Value::Number(n))) => {
            let n = *n as usize;
            let l = match prior_list {
                Some(p) if p.len() == n => Value::set(p),
                Some(p) if p.len() > n => {
                    // Keep the lowest addresses, and always those an EIP is bound to.
                    let mut sorted = p.clone();
                    sorted.sort_by_key(|v| {
                        (!v.as_str().is_some_and(|s| pinned.contains(s)), ip_order(v))
                    });
                    sorted.truncate(n);
                    Value::set(sorted)
                }
                _ if n == 0 => Value::set(Vec::new()),
                _ => unknown_for(addr, list),
            };
            after.insert(list.into(), l);
        }
        (None, Some(other)) => {
            after.insert(
                list.into(),
                if other.is_unknown() {
                    unknown_for(addr, list)
                } else {
                    Value::unknown()
                },
            );
        }
        (None, None) => {
            // Neither given: nothing is managed; keep what is there (none on a new ENI).
            let l = prior_list
                .map(Value::set)
                .unwrap_or_else(|| Value::set(Vec::new()));
            let n = l.as_seq().map(|s| s.len()).unwrap_or(0);
            after.insert(list.into(), l);
            after.insert(count.into(), Value::Number(n as f64));
        }
    }
}

/// Addresses sort numerically, so "the highest" means what a person expects.
fn ip_order(v: &Value) -> (u8, u128, String) {
    match v.as_str().and_then(|s| s.parse::<std::net::IpAddr>().ok()) {
        Some(std::net::IpAddr::V4(a)) => (0, u32::from(a) as u128, String::new()),
        Some(std::net::IpAddr::V6(a)) => (1, u128::from(a), String::new()),
        None => (2, 0, v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use crate::provider::api::fake::{self, Fake};

    #[test]
    fn secondary_ips_by_instance_use_the_primary_entry_of_network_interfaces() {
        let f = Fake::new(fake::instance_with_primary_listed_second(
            "eni-pri", "eni-sec",
        ));
        let clouds = f.clouds();
        assert_eq!(
            super::primary_eni_of("i-1", &clouds),
            Some("eni-pri".into())
        );
        assert_eq!(super::primary_eni_of("i-2", &clouds), None);
    }
}
