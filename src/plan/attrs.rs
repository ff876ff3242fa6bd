//! Resource attributes as state records them, built from what the cloud describes, and the
//! conversions between state JSON and language values (sets stay sets).

use std::collections::BTreeMap;

use serde_json::Value as J;

use crate::lang::Value;
use crate::provider::api::{EipInfo, EniInfo};
use crate::schema::{AttrType, ResourceSchema};

pub type Attrs = BTreeMap<String, Value>;

/// State JSON → values, typed by the schema (a set comes back as a set).
pub fn from_state(schema: &ResourceSchema, attrs: &BTreeMap<String, J>) -> Attrs {
    attrs
        .iter()
        .map(|(k, v)| {
            let val = Value::from_json(v);
            let val = match (schema.attr(k).map(|a| a.ty), val) {
                (Some(AttrType::StrSet), Value::List(items)) => Value::set(items),
                (_, other) => other,
            };
            (k.clone(), val)
        })
        .collect()
}

pub fn to_state(attrs: &Attrs) -> BTreeMap<String, J> {
    attrs
        .iter()
        .map(|(k, v)| (k.clone(), v.to_json()))
        .collect()
}

fn strs(v: &[String]) -> Value {
    Value::set(v.iter().map(|s| Value::string(s.clone())).collect())
}

/// The user's tags: netform's own (`identity`) never show in state, a plan or a diff.
fn tags(t: &BTreeMap<String, String>) -> Value {
    Value::Map(
        t.iter()
            .filter(|(k, _)| !crate::identity::is_own(k))
            .map(|(k, v)| (k.clone(), Value::string(v.clone())))
            .collect(),
    )
}

fn opt_num(n: Option<u64>) -> Value {
    n.map(Value::from).unwrap_or(Value::Null)
}

fn opt_bool(b: Option<bool>) -> Value {
    b.map(Value::Bool).unwrap_or(Value::Null)
}

/// The ENI resource's attributes from a Describe answer, with its vSwitch's CIDRs.
pub fn eni(info: &EniInfo, cidr: Option<&(String, String)>) -> Attrs {
    let mut a = Attrs::new();
    let ins = |a: &mut Attrs, k: &str, v: Value| {
        a.insert(k.to_string(), v);
    };
    ins(&mut a, "id", Value::string(info.id.clone()));
    ins(&mut a, "vswitch_id", Value::string(info.vswitch_id.clone()));
    ins(&mut a, "security_group_ids", strs(&info.security_group_ids));
    ins(
        &mut a,
        "network_interface_name",
        Value::string(info.name.clone()),
    );
    ins(
        &mut a,
        "description",
        Value::string(info.description.clone()),
    );
    ins(
        &mut a,
        "primary_ip_address",
        Value::string(info.primary_ip.clone()),
    );
    ins(&mut a, "private_ip_addresses", strs(&info.private_ips));
    ins(
        &mut a,
        "secondary_private_ip_address_count",
        Value::from(info.private_ips.len()),
    );
    ins(&mut a, "ipv6_addresses", strs(&info.ipv6));
    ins(&mut a, "ipv6_address_count", Value::from(info.ipv6.len()));
    ins(&mut a, "tags", tags(&info.tags));
    ins(
        &mut a,
        "resource_group_id",
        Value::string(info.resource_group_id.clone()),
    );
    ins(&mut a, "queue_number", opt_num(info.queue_number));
    ins(
        &mut a,
        "source_dest_check",
        opt_bool(info.source_dest_check),
    );
    ins(
        &mut a,
        "delete_on_release",
        opt_bool(info.delete_on_release),
    );
    ins(&mut a, "mac", Value::string(info.mac.clone()));
    ins(&mut a, "status", Value::string(info.status.clone()));
    ins(&mut a, "vpc_id", Value::string(info.vpc_id.clone()));
    ins(&mut a, "zone_id", Value::string(info.zone_id.clone()));
    if let Some((v4, v6)) = cidr {
        ins(&mut a, "vswitch_cidr", Value::string(v4.clone()));
        ins(
            &mut a,
            "vswitch_ipv6_cidr",
            if v6.is_empty() {
                Value::Null
            } else {
                Value::string(v6.clone())
            },
        );
    }
    a
}

/// What a secondary-IPs resource records about the ENI it manages addresses on: the facts
/// guest-config needs (device, MAC, addresses, vSwitch CIDRs).
pub fn eni_facts(info: &EniInfo, cidr: Option<&(String, String)>) -> Attrs {
    let e = eni(info, cidr);
    let mut a = Attrs::new();
    for k in [
        "mac",
        "primary_ip_address",
        "vswitch_cidr",
        "vswitch_ipv6_cidr",
    ] {
        a.insert(k.to_string(), e.get(k).cloned().unwrap_or(Value::Null));
    }
    a.insert(
        "attached_instance_id".into(),
        info.instance_id
            .clone()
            .map(Value::String)
            .unwrap_or(Value::Null),
    );
    a.insert("device_index".into(), opt_num(info.device_index));
    a
}

pub fn eip(info: &EipInfo) -> Attrs {
    let mut a = Attrs::new();
    for (k, v) in [
        ("id", &info.id),
        ("ip_address", &info.ip_address),
        ("status", &info.status),
        ("bandwidth", &info.bandwidth),
        ("internet_charge_type", &info.internet_charge_type),
        ("payment_type", &info.payment_type),
        ("isp", &info.isp),
        ("address_name", &info.name),
        ("description", &info.description),
        ("resource_group_id", &info.resource_group_id),
        ("region", &info.region),
    ] {
        a.insert(k.to_string(), Value::string(v.clone()));
    }
    a.insert("tags".into(), tags(&info.tags));
    a.insert(
        "deletion_protection".into(),
        Value::Bool(info.deletion_protection),
    );
    a
}

/// Attributes that are equal for diffing purposes: an empty string, map or list is the same as
/// leaving the attribute out.
pub fn same(a: &Value, b: &Value) -> bool {
    fn empty(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::List(x) | Value::Set(x) => x.is_empty(),
            Value::Map(m) => m.is_empty(),
            _ => false,
        }
    }
    if empty(a) && empty(b) {
        return true;
    }
    match (a, b) {
        (Value::Set(x), Value::List(y)) | (Value::List(y), Value::Set(x)) => {
            Value::Set(x.clone()) == Value::set(y.clone())
        }
        (Value::Number(x), Value::String(s)) | (Value::String(s), Value::Number(x)) => {
            crate::lang::Number::parse(s).as_ref() == Some(x)
        }
        _ => a == b,
    }
}
