//! `alicloud_instance_types`: instance types (DescribeInstanceTypes): how many ENIs and addresses
//! per ENI each takes.

use super::{Filters, num, obj, s};
use crate::lang::Value;
use crate::provider::ApiError;
use crate::provider::api::Client;
use crate::provider::wire::ecs;
use crate::schema::AttrType::*;
use crate::schema::{AttrSchema, a};

/// The result list's attribute.
pub(super) const LIST: &str = "instance_types";

/// Filter arguments, and the result list as an output.
pub(crate) const SCHEMA: &[AttrSchema] = &[
    a("ids", StrList),
    a("instance_type_family", Str),
    a("instance_types", StrList).out(),
];

pub(super) fn read(f: &Filters, c: &Client) -> Result<Vec<Value>, ApiError> {
    let list = c.list_all_tokens(&ecs::DescribeInstanceTypes::default())?;
    Ok(list
        .into_iter()
        .filter(|x| {
            f.ids_ok(&x.instance_type_id) && f.eq("instance_type_family", &x.instance_type_family)
        })
        .map(|x| {
            obj(vec![
                ("id", s(x.instance_type_id)),
                ("family", s(x.instance_type_family)),
                ("eni_quantity", num(x.eni_quantity)),
                (
                    "eni_private_ip_address_quantity",
                    num(x.eni_private_ip_address_quantity),
                ),
                (
                    "eni_ipv6_address_quantity",
                    num(x.eni_ipv6_address_quantity),
                ),
            ])
        })
        .collect())
}
