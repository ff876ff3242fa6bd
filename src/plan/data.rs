//! Reading a data source during a plan: the plan decides when (all arguments known, online); what
//! each data source reads and answers lives in `resources::data`.

use std::collections::BTreeMap;

use crate::lang::Value;
use crate::provider::ApiError;
use crate::provider::api::Client;
use crate::schema::Kind;

/// Reads a data source; returns its full value (arguments echoed, plus the result list).
pub fn read(kind: Kind, args: &BTreeMap<String, Value>, c: &Client) -> Result<Value, ApiError> {
    crate::resources::data::read(kind, args, c)
}
