//! `alicloud_vswitches`: vSwitches (DescribeVSwitches): CIDRs, zone, free addresses.

use super::{Filters, num, obj, s};
use crate::lang::Value;
use crate::provider::ApiError;
use crate::provider::api::Client;
use crate::provider::wire::vpc;
use crate::schema::AttrType::*;
use crate::schema::{AttrSchema, a};

/// The result list's attribute.
pub(super) const LIST: &str = "vswitches";

/// Filter arguments, and the result list as an output.
pub(crate) const SCHEMA: &[AttrSchema] = &[
    a("ids", StrList),
    a("name_regex", Str),
    a("vpc_id", Str),
    a("zone_id", Str),
    a("vswitches", StrList).out(),
];

pub(super) fn read(f: &Filters, c: &Client) -> Result<Vec<Value>, ApiError> {
    let list = c.list_all(&vpc::DescribeVSwitches::default())?;
    Ok(list
        .into_iter()
        .filter(|x| {
            f.ids_ok(&x.v_switch_id) && f.eq("vpc_id", &x.vpc_id) && f.eq("zone_id", &x.zone_id)
        })
        .map(|x| {
            obj(vec![
                ("id", s(x.v_switch_id)),
                ("cidr_block", s(x.cidr_block)),
                ("ipv6_cidr_block", s(x.ipv6_cidr_block)),
                ("zone_id", s(x.zone_id)),
                ("vpc_id", s(x.vpc_id)),
                (
                    "available_ip_address_count",
                    num(x.available_ip_address_count),
                ),
            ])
        })
        .collect())
}
