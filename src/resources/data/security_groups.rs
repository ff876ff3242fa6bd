//! `alicloud_security_groups`: security groups (DescribeSecurityGroups).

use super::{Filters, obj, s};
use crate::lang::Value;
use crate::provider::ApiError;
use crate::provider::api::Client;
use crate::provider::wire::ecs;
use crate::schema::AttrType::*;
use crate::schema::{AttrSchema, a};

/// The result list's attribute.
pub(super) const LIST: &str = "groups";

/// Filter arguments, and the result list as an output.
pub(crate) const SCHEMA: &[AttrSchema] = &[
    a("ids", StrList),
    a("name_regex", Str),
    a("vpc_id", Str),
    a("groups", StrList).out(),
];

pub(super) fn read(f: &Filters, c: &Client) -> Result<Vec<Value>, ApiError> {
    let list = c.list_all_tokens(&ecs::DescribeSecurityGroups::default())?;
    Ok(list
        .into_iter()
        .filter(|x| f.ids_ok(&x.security_group_id) && f.eq("vpc_id", &x.vpc_id))
        .map(|x| {
            obj(vec![
                ("id", s(x.security_group_id)),
                ("vpc_id", s(x.vpc_id)),
                ("security_group_type", s(x.security_group_type)),
            ])
        })
        .collect())
}
