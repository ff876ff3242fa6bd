//! `alicloud_havips`: high-availability virtual IPs (DescribeHaVips).

use super::{Filters, obj, s};
use crate::lang::Value;
use crate::provider::ApiError;
use crate::provider::api::Client;
use crate::provider::wire::vpc;
use crate::schema::AttrType::*;
use crate::schema::{AttrSchema, a};

/// The result list's attribute.
pub(super) const LIST: &str = "havips";

/// Filter arguments, and the result list as an output.
pub(crate) const SCHEMA: &[AttrSchema] = &[
    a("ids", StrList),
    a("status", Str),
    a("vswitch_id", Str),
    a("havips", StrList).out(),
];

pub(super) fn read(f: &Filters, c: &Client) -> Result<Vec<Value>, ApiError> {
    let list = c.list_all(&vpc::DescribeHaVips::default())?;
    Ok(list
        .into_iter()
        .filter(|x| {
            f.ids_ok(&x.ha_vip_id)
                && f.eq("status", &x.status)
                && f.eq("vswitch_id", &x.v_switch_id)
        })
        .map(|x| {
            obj(vec![
                ("id", s(x.ha_vip_id)),
                ("vswitch_id", s(x.v_switch_id)),
                ("ip_address", s(x.ip_address)),
                ("status", s(x.status)),
            ])
        })
        .collect())
}
