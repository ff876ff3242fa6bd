//! The secondary-IPs resource's schema, and what it records from the cloud's answer about the ENI
//! it manages addresses on; import adopts all the secondary addresses an ENI has.

use super::super::{Seed, opt_num};
use crate::lang::Value;
use crate::plan::attrs::Attrs;
use crate::plan::import::ImportError;
use crate::provider::api::{Client, EniInfo};
use crate::schema::AttrType::*;
use crate::schema::{AttrSchema, a};

pub(crate) const SCHEMA: &[AttrSchema] = &[
    a("network_interface_id", Str).computed().force_new(),
    a("instance_id", Str).force_new(),
    a("private_ip_addresses", StrSet)
        .computed()
        .ipv4()
        .conflicts(&["private_ip_address_count"]),
    a("private_ip_address_count", Num).computed().count(),
    a("ipv6_addresses", StrSet)
        .computed()
        .ipv6()
        .conflicts(&["ipv6_address_count"]),
    a("ipv6_address_count", Num).computed().count(),
    a("id", Str).out().identifying(),
    // Facts about the ENI guest-config needs, recorded at apply.
    a("attached_instance_id", Str).out().live(),
    a("device_index", Num).out(),
    a("mac", Str).out(),
    a("primary_ip_address", Str).out().live(),
    a("vswitch_cidr", Str).out(),
    a("vswitch_ipv6_cidr", Str).out(),
];
/// Groups of which exactly one attribute must be set: the ENI, or the instance whose primary ENI
/// it is.
pub(crate) const EXACTLY_ONE_OF: &[&[&str]] = &[&["network_interface_id", "instance_id"]];

/// What a secondary-IPs resource records about the ENI it manages addresses on: the facts
/// guest-config needs (device, MAC, addresses, vSwitch CIDRs).
pub(crate) fn facts(info: &EniInfo, cidr: Option<&(String, String)>) -> Attrs {
    let e = super::super::eni::from_cloud(info, cidr);
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

/// Adopting an ENI's secondary addresses means all of those it has now; on an instance's primary
/// ENI the instance is recorded too, as a configuration naming it would.
pub(crate) fn import(id: &str, client: &Client) -> Result<Seed, ImportError> {
    let info = client
        .describe_eni(id)
        .map_err(ImportError::Api)?
        .ok_or_else(|| ImportError::NotFound(format!("ENI {id} does not exist in the cloud")))?;
    let set = |v: &[String]| Value::set(v.iter().map(|x| Value::string(x.clone())).collect());
    let mut seed = Seed::new(
        "ENI",
        [
            ("id", Value::string(id)),
            ("network_interface_id", Value::string(id)),
            ("private_ip_addresses", set(&info.private_ips)),
            ("ipv6_addresses", set(&info.ipv6)),
        ],
    );
    if info.primary {
        let inst = info.instance_id.clone().map(Value::String);
        seed.attrs
            .insert("instance_id".into(), inst.unwrap_or(Value::Null));
    }
    Ok(seed)
}
