//! The attachment's schema, and the attributes an imported attachment starts from.

use super::super::{Seed, pair};
use crate::lang::Value;
use crate::plan::import::ImportError;
use crate::schema::AttrType::*;
use crate::schema::{AttrSchema, a};

pub(crate) const SCHEMA: &[AttrSchema] = &[
    a("network_interface_id", Str).req().force_new(),
    a("instance_id", Str).req().force_new(),
    a("network_card_index", Num).force_new().count(),
    a("trunk_network_instance_id", Str).force_new(),
    a("wait_for_network_configuration_ready", Bool),
    a("id", Str).out().identifying(),
    a("device_index", Num).out(),
];

/// An attachment is imported as `ENI_ID:INSTANCE_ID`: refresh finds it gone unless the ENI is
/// attached to that instance.
pub(crate) fn import(id: &str) -> Result<Seed, ImportError> {
    let (eni, inst) = pair(id, "an attachment", "ENI_ID:INSTANCE_ID")?;
    Ok(Seed::new(
        "attachment",
        [
            ("network_interface_id", Value::string(eni)),
            ("instance_id", Value::string(inst)),
            ("id", Value::string(id)),
        ],
    ))
}
