//! `alicloud_eip_association`: an EIP bound to an ENI, instance, NAT gateway, HAVIP, SLB or address.
//! It is read from its EIP, and is gone when the EIP is bound elsewhere or not at all.

mod cloud;
pub(crate) mod exec;
pub(crate) mod ops;
mod view;

use serde_json::Value as J;
use std::collections::BTreeMap;
pub use view::BindingSpec;

use super::{Seen, Shaping, Source, pair_id, text};
use crate::lang::Value;
use crate::plan::attrs;
use crate::plan::attrs::Attrs;
use crate::plan::unknown_for;
use crate::provider::api::eip_target_kind;

pub(crate) use cloud::{SCHEMA, import};

pub(super) fn source(a: &Attrs) -> Option<Source> {
    text(a, "allocation_id").map(Source::Eip)
}

pub(super) fn refreshed(before: &Attrs, seen: &Seen) -> Option<Attrs> {
    let e = seen.eips.get(&text(before, "allocation_id")?)?;
    let want = text(before, "instance_id");
    if want.is_none() || e.instance_id != want {
        return None;
    }
    let mut n = before.clone();
    for (k, v) in [
        ("mode", &e.mode),
        ("instance_type", &e.instance_type),
        ("private_ip_address", &e.private_ip),
    ] {
        if let Some(v) = v {
            n.insert(k.into(), Value::string(v.clone()));
        }
    }
    Some(n)
}

/// The ENI address a binding in state pins: lowering that ENI's address count keeps it.
pub(super) fn pinned_address(a: &BTreeMap<String, J>) -> Option<(String, String)> {
    match (a.get("instance_id"), a.get("private_ip_address")) {
        (Some(J::String(eni)), Some(J::String(ip))) => Some((eni.clone(), ip.clone())),
        _ => None,
    }
}

pub(super) fn shape(s: &Shaping, after: &mut Attrs) {
    let target = after.get("instance_id").cloned().unwrap_or(Value::Null);
    if !s.desired.contains_key("instance_type") {
        let inferred = target_type(&target);
        let keep = s
            .prior("instance_type")
            .filter(|p| attrs::same(p, &inferred) || inferred.is_unknown() && !target.is_unknown());
        after.insert("instance_type".into(), keep.cloned().unwrap_or(inferred));
    }
    let is_eni = after.get("instance_type") == Some(&Value::string("NetworkInterface"));
    if !s.desired.contains_key("mode") {
        let m = s.prior("mode").filter(|m| !m.is_null()).cloned();
        let mode = match m {
            Some(m) if is_eni => m,
            None if is_eni => Value::string("NAT"),
            _ => Value::Null,
        };
        after.insert("mode".into(), mode);
    }
    if !s.desired.contains_key("private_ip_address") {
        let nat_eni = is_eni && after.get("mode") == Some(&Value::string("NAT"));
        let ip = match s.prior("private_ip_address").filter(|p| !p.is_null()) {
            Some(p) => p.clone(),
            None if nat_eni => unknown_for(s.address, "private_ip_address"),
            None => Value::Null,
        };
        after.insert("private_ip_address".into(), ip);
    }
    let id = pair_id(s, after.get("allocation_id"), Some(&target));
    after.insert("id".into(), id);
}

/// The kind of bind target an id names; an ENI that does not exist yet is known by its origin.
fn target_type(v: &Value) -> Value {
    match v {
        Value::String(s) if s.starts_with("i-") || s.contains('-') => {
            Value::string(eip_target_kind(s))
        }
        Value::Unknown(Some(o))
            if o.starts_with("alicloud_ecs_network_interface.")
                || o.starts_with("alicloud_network_interface.") =>
        {
            Value::string("NetworkInterface")
        }
        _ => Value::unknown(),
    }
}
