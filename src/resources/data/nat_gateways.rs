//! `alicloud_nat_gateways`: NAT gateways (DescribeNatGateways) and the private addresses their DNAT
//! entries forward to.

use super::{Filters, obj, s, strs};
use crate::lang::Value;
use crate::provider::ApiError;
use crate::provider::api::Client;
use crate::provider::wire::vpc;
use crate::schema::AttrType::*;
use crate::schema::{AttrSchema, a};

/// The result list's attribute.
pub(super) const LIST: &str = "gateways";

/// Filter arguments, and the result list as an output.
pub(crate) const SCHEMA: &[AttrSchema] = &[
    a("ids", StrList),
    a("name_regex", Str),
    a("vpc_id", Str),
    a("gateways", StrList).out(),
];

/// NAT gateways with the private addresses their DNAT entries forward to (one
/// DescribeForwardTableEntries run per gateway that passes the filters).
pub(super) fn read(f: &Filters, c: &Client) -> Result<Vec<Value>, ApiError> {
    let list = c.list_all(&vpc::DescribeNatGateways::default())?;
    let mut out = Vec::new();
    for x in list {
        if !(f.ids_ok(&x.nat_gateway_id) && f.eq("vpc_id", &x.vpc_id) && x.region_id == c.region) {
            continue;
        }
        let dnat = c.dnat_ips(&x)?;
        out.push(obj(vec![
            ("id", s(x.nat_gateway_id)),
            ("vpc_id", s(x.vpc_id)),
            ("dnat_ips", strs(dnat)),
        ]));
    }
    Ok(out)
}
