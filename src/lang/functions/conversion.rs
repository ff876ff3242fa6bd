//! Type conversion functions.

use super::{FnResult, Func, FuncError, Param, Sensitivity, quote, unknown};
use crate::lang::types::{parse_decimal, unify};
use crate::lang::value::Value;

const V: Param = Param::new("v").null();

pub(super) const FUNCS: &[Func] = &[
    Func::new("can", &[Param::new("expression")], |_, _| unknown()).lazy(),
    Func::new("try", &[], |_, _| unknown())
        .lazy()
        .variadic(Param::new("expressions")),
    // Whether a value is sensitive depends on where it came from, which only the evaluator
    // knows: values carry no marks.
    Func::new("issensitive", &[V.unknown()], |_, _| unknown())
        .lazy()
        .sensitivity(Sensitivity::Inspect),
    Func::new("sensitive", &[V.unknown()], |a, _| Ok(a[0].clone())).sensitivity(Sensitivity::Mark),
    Func::new("nonsensitive", &[V.unknown()], |a, _| Ok(a[0].clone()))
        .sensitivity(Sensitivity::Unmark),
    // The type argument is a type constraint, not a value: the evaluator reads it.
    Func::new("convert", &[V.unknown(), Param::new("type")], |_, _| {
        unknown()
    })
    .lazy(),
    // No value is ephemeral here (netform has no ephemeral resources or variables), so
    // there is nothing to replace with null.
    Func::new("ephemeralasnull", &[V.unknown()], |a, _| Ok(a[0].clone())),
    Func::new("tobool", &[V], |a, _| tobool(a)),
    Func::new("tolist", &[V.unknown()], |a, _| tolist(a)),
    Func::new("tomap", &[V.unknown()], |a, _| tomap(a)),
    Func::new("tonumber", &[V], |a, _| tonumber(a)),
    Func::new("toset", &[V], |a, _| toset(a)),
    Func::new("tostring", &[V], |a, _| tostring(a)),
    Func::new("type", &[V.unknown()], |a, _| {
        Ok(Value::String(type_of(&a[0])))
    }),
];

fn tobool(a: &[Value]) -> FnResult {
    match &a[0] {
        Value::Null => Ok(Value::Null),
        v => v.coerce_bool().map(Value::Bool).ok_or_else(|| {
            let what = match v {
                Value::String(s) => quote(s),
                other => other.type_name().to_string(),
            };
            FuncError::arg(
                0,
                match v {
                    Value::String(_) => format!(
                        "cannot convert {what} to bool; only the strings \"true\" or \"false\" are allowed"
                    ),
                    _ => format!("cannot convert {what} to bool"),
                },
            )
        }),
    }
}

/// The type of a value, written as a type constraint (`type()` in `terraform console`).
fn type_of(v: &Value) -> String {
    match v {
        Value::Null | Value::Unknown(_) => "dynamic".into(),
        Value::Bool(_) => "bool".into(),
        Value::Number(_) => "number".into(),
        Value::String(_) => "string".into(),
        Value::List(items) => {
            let ts: Vec<String> = items.iter().map(type_of).collect();
            format!("tuple([{}])", ts.join(", "))
        }
        Value::Set(items) => {
            let t = items.first().map_or_else(|| "dynamic".into(), type_of);
            format!("set({t})")
        }
        Value::Map(m) => {
            let attrs: Vec<String> = m
                .iter()
                .map(|(k, x)| format!("{k}={}", type_of(x)))
                .collect();
            format!("object({{{}}})", attrs.join(", "))
        }
    }
}

fn single_type_error(v: &Value, target: &str) -> FuncError {
    FuncError::arg(
        0,
        format!(
            "cannot convert {} to {target} of any single type",
            v.type_name()
        ),
    )
}

fn toset(a: &[Value]) -> Result<Value, FuncError> {
    match &a[0] {
        Value::Null => Ok(Value::Null),
        v @ (Value::List(items) | Value::Set(items)) => unify(items)
            .map(Value::set)
            .ok_or_else(|| single_type_error(v, "set")),
        v => Err(single_type_error(v, "set")),
    }
}

fn tolist(a: &[Value]) -> Result<Value, FuncError> {
    match &a[0] {
        Value::Null => Ok(Value::Null),
        Value::Unknown(_) => unknown(),
        v @ (Value::List(items) | Value::Set(items)) => unify(items)
            .map(Value::List)
            .ok_or_else(|| single_type_error(v, "list")),
        v => Err(single_type_error(v, "list")),
    }
}

fn tomap(a: &[Value]) -> Result<Value, FuncError> {
    match &a[0] {
        Value::Null => Ok(Value::Null),
        Value::Unknown(_) => unknown(),
        v @ Value::Map(m) => {
            let values: Vec<Value> = m.values().cloned().collect();
            let unified = unify(&values).ok_or_else(|| single_type_error(v, "map"))?;
            Ok(Value::Map(m.keys().cloned().zip(unified).collect()))
        }
        v => Err(single_type_error(v, "map")),
    }
}

fn tostring(a: &[Value]) -> Result<Value, FuncError> {
    match &a[0] {
        Value::Null => Ok(Value::Null),
        v => v.coerce_string().map(Value::String).ok_or_else(|| {
            FuncError::arg(0, format!("cannot convert {} to string", v.type_name()))
        }),
    }
}

fn tonumber(a: &[Value]) -> Result<Value, FuncError> {
    match &a[0] {
        Value::Null => Ok(Value::Null),
        Value::Number(n) => Ok(Value::Number(n.clone())),
        Value::String(s) => parse_decimal(s).map(Value::Number).ok_or_else(|| {
            FuncError::arg(
                0,
                format!(
                    "cannot convert {} to number; given string must be a decimal \
                     representation of a number",
                    quote(s)
                ),
            )
        }),
        v => Err(FuncError::arg(
            0,
            format!("cannot convert {} to number", v.type_name()),
        )),
    }
}
