//! Resource attributes as state records them: the generic `Attrs` map, the conversions between
//! state JSON and language values (sets stay sets), and when two values are the same for a diff.
//! What each kind's attributes are, read from the cloud's answers, lives with the kind in
//! `resources/<kind>/cloud.rs`.

use std::collections::BTreeMap;

use serde_json::Value as J;

use crate::lang::Value;
use crate::schema::{AttrType, ResourceSchema};

pub type Attrs = crate::lang::value::Map;

/// State JSON → values, typed by the schema (a set comes back as a set).
pub fn from_state(schema: &ResourceSchema, attrs: &BTreeMap<String, J>) -> Attrs {
    attrs
        .iter()
        .map(|(k, v)| {
            let val = Value::from_json(v);
            let val = match (schema.attr(k).map(|a| a.ty), val) {
                (Some(AttrType::StrSet), Value::List(items)) => Value::set(items),
                (_, other) => other,
            };
            (k.clone(), val)
        })
        .collect()
}

pub fn to_state(attrs: &Attrs) -> BTreeMap<String, J> {
    attrs
        .iter()
        .map(|(k, v)| (k.clone(), v.to_json()))
        .collect()
}

/// Attributes that are equal for diffing purposes: an empty string, map or list is the same as
/// leaving the attribute out.
pub fn same(a: &Value, b: &Value) -> bool {
    fn empty(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::List(x) | Value::Set(x) => x.is_empty(),
            Value::Map(m) => m.is_empty(),
            _ => false,
        }
    }
    if empty(a) && empty(b) {
        return true;
    }
    match (a, b) {
        (Value::Set(x), Value::List(y)) | (Value::List(y), Value::Set(x)) => {
            Value::Set(x.clone()) == Value::set(y.clone())
        }
        (Value::Number(x), Value::String(s)) | (Value::String(s), Value::Number(x)) => {
            crate::lang::Number::parse(s).as_ref() == Some(x)
        }
        _ => a == b,
    }
}
