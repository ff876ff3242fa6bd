//! The ENI's schema, and its attributes from the cloud's answers: what refresh, apply and import
//! record in state for an ENI the cloud describes.

use super::super::{Seed, opt_bool, opt_num, strs, tags};
use crate::lang::Value;
use crate::plan::attrs::Attrs;
use crate::provider::api::EniInfo;
use crate::schema::AttrType::*;
use crate::schema::{AttrSchema, a};

pub(crate) const SCHEMA: &[AttrSchema] = &[
    a("vswitch_id", Str).req().force_new(),
    // CreateNetworkInterface needs at least one group; the most is an account quota.
    a("security_group_ids", StrSet).computed().min_items(1),
    a("security_groups", StrSet).alias("security_group_ids"),
    a("network_interface_name", Str).identifying(),
    a("name", Str).alias("network_interface_name"),
    a("description", Str),
    a("primary_ip_address", Str).computed().force_new().ipv4(),
    a("private_ip", Str).alias("primary_ip_address"),
    a("private_ip_addresses", StrSet)
        .computed()
        .ipv4()
        .conflicts(&["secondary_private_ip_address_count"]),
    a("private_ips", StrSet).alias("private_ip_addresses"),
    a("secondary_private_ip_address_count", Num)
        .computed()
        .count(),
    a("private_ips_count", Num).alias("secondary_private_ip_address_count"),
    a("ipv6_addresses", StrSet)
        .computed()
        .ipv6()
        .conflicts(&["ipv6_address_count"]),
    a("ipv6_address_count", Num).computed().count(),
    a("tags", StrMap).cloud_tags(),
    a("resource_group_id", Str).computed().force_new(),
    // CreateNetworkInterface/ModifyNetworkInterfaceAttribute: QueueNumber 1 to 2048.
    a("queue_number", Num).range(1, 2048),
    a("source_dest_check", Bool),
    a("delete_on_release", Bool),
    a("ipv4_prefixes", StrSet).unsupported(),
    a("ipv4_prefix_count", Num).unsupported(),
    a("instance_type", Str).unsupported(),
    a("network_interface_traffic_mode", Str).unsupported(),
    a("id", Str).out().identifying(),
    a("mac", Str).out(),
    a("status", Str).out(),
    // Computed facts guest-config and the rules need, recorded in state.
    a("vswitch_cidr", Str).out(),
    a("vswitch_ipv6_cidr", Str).out(),
    a("vpc_id", Str).out(),
    a("zone_id", Str).out(),
];

/// The ENI resource's attributes from a Describe answer, with its vSwitch's CIDRs.
pub(crate) fn from_cloud(info: &EniInfo, cidr: Option<&(String, String)>) -> Attrs {
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

/// An imported ENI is named by its id alone; refresh reads the rest.
pub(crate) fn import(id: &str) -> Seed {
    Seed::new("ENI", [("id", Value::string(id))])
}
