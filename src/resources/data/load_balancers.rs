//! `alicloud_slb_load_balancers`: classic load balancers (DescribeLoadBalancers).

use super::{Filters, obj, s};
use crate::lang::Value;
use crate::provider::ApiError;
use crate::provider::api::Client;
use crate::provider::wire::slb;
use crate::schema::AttrType::*;
use crate::schema::{AttrSchema, a};

/// The result list's attribute.
pub(super) const LIST: &str = "balancers";

/// Filter arguments, and the result list as an output.
pub(crate) const SCHEMA: &[AttrSchema] = &[
    a("ids", StrList),
    a("name_regex", Str),
    a("address_type", Str).values(&["intranet", "internet"]),
    a("balancers", StrList).out(),
];

pub(super) fn read(f: &Filters, c: &Client) -> Result<Vec<Value>, ApiError> {
    let list = c.list_all(&slb::DescribeLoadBalancers::default())?;
    Ok(list
        .into_iter()
        .filter(|x| {
            f.ids_ok(&x.load_balancer_id)
                && f.eq("address_type", &x.address_type)
                && x.region_id == c.region
        })
        .map(|x| {
            obj(vec![
                ("id", s(x.load_balancer_id)),
                ("address_type", s(x.address_type)),
                ("vswitch_id", s(x.v_switch_id)),
                ("address", s(x.address)),
            ])
        })
        .collect())
}
