//! `alicloud_instances`: ECS instances (DescribeInstances): addresses, primary ENI, network and
//! security groups.

use super::{Filters, obj, s, strs};
use crate::lang::Value;
use crate::provider::ApiError;
use crate::provider::api::Client;
use crate::provider::wire::ecs;
use crate::schema::AttrType::*;
use crate::schema::{AttrSchema, a};

/// The result list's attribute.
pub(super) const LIST: &str = "instances";

/// Filter arguments, and the result list as an output.
pub(crate) const SCHEMA: &[AttrSchema] = &[
    a("ids", StrList),
    a("name_regex", Str),
    a("status", Str),
    a("vpc_id", Str),
    a("vswitch_id", Str),
    a("availability_zone", Str),
    a("instance_type", Str),
    a("instances", StrList).out(),
];

pub(super) fn read(f: &Filters, c: &Client) -> Result<Vec<Value>, ApiError> {
    let list = c.list_all_tokens(&ecs::DescribeInstances::default())?;
    Ok(list
        .into_iter()
        .filter(|i| f.ids_ok(&i.instance_id) && f.name(&i.instance_name))
        .filter(|i| {
            f.eq("status", &i.status)
                && f.eq("availability_zone", &i.zone_id)
                && f.eq("instance_type", &i.instance_type)
                && f.eq("vpc_id", &i.vpc_attributes.vpc_id)
                && f.eq("vswitch_id", &i.vpc_attributes.v_switch_id)
        })
        .map(|i| {
            let first = |l: &[String]| l.first().cloned().unwrap_or_default();
            let primary_eni = i
                .primary_eni()
                .map(|n| n.network_interface_id.clone())
                .unwrap_or_default();
            obj(vec![
                (
                    "private_ip",
                    s(first(&i.vpc_attributes.private_ip_address.items)),
                ),
                ("public_ip", s(first(&i.public_ip_address.items))),
                ("primary_network_interface_id", s(primary_eni)),
                ("id", s(i.instance_id)),
                ("name", s(i.instance_name)),
                ("instance_type", s(i.instance_type)),
                ("status", s(i.status)),
                ("availability_zone", s(i.zone_id)),
                ("region_id", s(i.region_id)),
                ("vpc_id", s(i.vpc_attributes.vpc_id)),
                ("vswitch_id", s(i.vpc_attributes.v_switch_id)),
                ("eip", s(i.eip_address.ip_address)),
                ("security_groups", strs(i.security_group_ids.items)),
                ("network_type", s(i.instance_network_type)),
            ])
        })
        .collect())
}
