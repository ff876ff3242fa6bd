//! The EIP binding's schema, and the attributes an imported binding starts from.

use super::super::{Seed, pair};
use crate::lang::Value;
use crate::plan::import::ImportError;
use crate::schema::AttrType::*;
use crate::schema::{AttrSchema, a};

pub(crate) const SCHEMA: &[AttrSchema] = &[
    a("allocation_id", Str).req().force_new(),
    a("instance_id", Str).req().force_new(),
    a("instance_type", Str).computed().force_new().values(&[
        "EcsInstance",
        "NetworkInterface",
        "Nat",
        "HaVip",
        "SlbInstance",
        "IpAddress",
    ]),
    a("private_ip_address", Str).computed().force_new().ipv4(),
    a("vpc_id", Str).force_new(),
    a("mode", Str)
        .computed()
        .values(&["NAT", "BINDED", "MULTI_BINDED"]),
    a("force", Bool),
    a("id", Str).out().identifying(),
];

/// A binding is imported as `ALLOCATION_ID:INSTANCE_ID`: refresh finds it gone unless the EIP is
/// bound to that target.
pub(crate) fn import(id: &str) -> Result<Seed, ImportError> {
    let (alloc, target) = pair(id, "an association", "ALLOCATION_ID:INSTANCE_ID")?;
    Ok(Seed::new(
        "EIP binding",
        [
            ("allocation_id", Value::string(alloc)),
            ("instance_id", Value::string(target)),
            ("id", Value::string(id)),
        ],
    ))
}
