//! Collection functions: lists, sets, maps and the structural types that convert to them.

use std::collections::BTreeMap;

use unicode_segmentation::UnicodeSegmentation;

use super::{FnResult, Func, FuncError, Param, quote, string, unknown, whole};
use crate::lang::types::unify;
use crate::lang::value::Value;

const ANY: Param = Param::new("list");

pub(super) const FUNCS: &[Func] = &[
    Func::new("length", &[Param::new("value").unknown()], |a, _| length(a)),
    Func::new("concat", &[], |a, _| concat(a)).variadic(Param::new("seqs").unknown()),
    Func::new("merge", &[], |a, _| merge(a)).variadic(Param::new("maps").null().unknown()),
    Func::new(
        "lookup",
        &[
            Param::new("inputMap").unknown(),
            Param::new("key").unknown(),
        ],
        |a, _| lookup(a),
    )
    .variadic(Param::new("default").null().unknown())
    .at_most(3),
    Func::new(
        "element",
        &[Param::new("list").unknown(), Param::new("index").unknown()],
        |a, _| element(a),
    ),
    Func::new("index", &[ANY, Param::new("value").null()], |a, _| index(a)),
    Func::new("contains", &[ANY, Param::new("value").null()], |a, _| {
        contains(a)
    }),
    Func::new("distinct", &[ANY], |a, _| distinct(a)),
    Func::new("flatten", &[ANY], |a, _| flatten(a)),
    Func::new("keys", &[Param::new("inputMap").unknown()], |a, _| {
        keys_values(a, true)
    }),
    Func::new("values", &[Param::new("mapping").unknown()], |a, _| {
        keys_values(a, false)
    }),
    Func::new(
        "zipmap",
        &[Param::new("keys").unknown(), Param::new("values").unknown()],
        |a, _| zipmap(a),
    ),
    Func::new("coalesce", &[], |a, _| coalesce(a)).variadic(Param::new("vals").null().unknown()),
    Func::new("coalescelist", &[], |a, _| coalescelist(a)).variadic(Param::new("vals").null()),
    Func::new("alltrue", &[ANY], |a, _| all_any(a, true)),
    Func::new("anytrue", &[ANY], |a, _| all_any(a, false)),
    Func::new("chunklist", &[ANY, Param::new("size")], |a, _| chunklist(a)),
    Func::new("compact", &[ANY], |a, _| compact(a)),
    Func::new(
        "matchkeys",
        &[
            Param::new("values"),
            Param::new("keys"),
            Param::new("searchset"),
        ],
        |a, _| matchkeys(a),
    ),
    Func::new("one", &[ANY.unknown()], |a, _| one(a)),
    Func::new("reverse", &[ANY], |a, _| reverse(a)),
    Func::new(
        "slice",
        &[ANY, Param::new("start_index"), Param::new("end_index")],
        |a, _| slice(a),
    ),
    Func::new("sort", &[ANY], |a, _| sort(a)),
    Func::new("sum", &[ANY], |a, _| sum(a)),
    Func::new("transpose", &[Param::new("values")], |a, _| transpose(a)),
    Func::new("setintersection", &[Param::new("first_set")], |a, _| {
        set_op(a, SetOp::Intersection)
    })
    .variadic(Param::new("other_sets")),
    Func::new(
        "setsubtract",
        &[Param::new("a"), Param::new("b")],
        |a, _| set_op(a, SetOp::Subtract),
    ),
    Func::new("setunion", &[Param::new("first_set")], |a, _| {
        set_op(a, SetOp::Union)
    })
    .variadic(Param::new("other_sets")),
    Func::new("setproduct", &[], |a, _| setproduct(a)).variadic(Param::new("sets")),
    // Removed in Terraform 0.12; kept so that old configurations get Terraform's advice.
    Func::new("list", &[], |_, _| {
        Err(FuncError::call(
            "the \"list\" function was deprecated in Terraform v0.12 and is no longer \
             available; use tolist([ ... ]) syntax to write a literal list",
        ))
    })
    .variadic(Param::new("vals").null().unknown()),
    Func::new("map", &[], |_, _| {
        Err(FuncError::call(
            "the \"map\" function was deprecated in Terraform v0.12 and is no longer \
             available; use tomap({ ... }) syntax to write a literal map",
        ))
    })
    .variadic(Param::new("vals").null().unknown()),
];

/// The elements of a list, tuple or set argument, or the error naming what was given.
fn seq(a: &[Value], i: usize, what: &str) -> Result<Vec<Value>, FuncError> {
    a[i].as_seq()
        .map(<[Value]>::to_vec)
        .ok_or_else(|| FuncError::arg(i, format!("{what}, not {}", a[i].type_name())))
}

fn all_any(a: &[Value], all: bool) -> FnResult {
    let items = seq(a, 0, "list of bool required")?;
    for x in &items {
        // Null counts as false, as in Terraform.
        let b = match x {
            Value::Null => false,
            other => other
                .coerce_bool()
                .ok_or_else(|| FuncError::arg(0, "list of bool required"))?,
        };
        if b != all {
            return Ok(Value::Bool(!all));
        }
    }
    Ok(Value::Bool(all))
}

fn chunklist(a: &[Value]) -> FnResult {
    let items = seq(a, 0, "a list is required")?;
    let size = whole(a, 1)?;
    if size < 0.0 {
        return Err(FuncError::arg(1, "the size argument must be positive"));
    }
    if items.is_empty() {
        return Ok(Value::List(vec![]));
    }
    if size == 0.0 {
        return Ok(Value::List(vec![Value::List(items)]));
    }
    let size = size.min(items.len() as f64) as usize;
    Ok(Value::List(
        items
            .chunks(size)
            .map(|c| Value::List(c.to_vec()))
            .collect(),
    ))
}

fn compact(a: &[Value]) -> FnResult {
    let items = seq(a, 0, "list of string required")?;
    let mut out = Vec::new();
    for x in items {
        match x {
            Value::Null => {}
            Value::String(ref s) if s.is_empty() => {}
            other => out.push(Value::String(
                other
                    .coerce_string()
                    .ok_or_else(|| FuncError::arg(0, "list of string required"))?,
            )),
        }
    }
    Ok(Value::List(out))
}

fn matchkeys(a: &[Value]) -> FnResult {
    let values = seq(a, 0, "a list is required")?;
    let keys = seq(a, 1, "a list is required")?;
    let search = seq(a, 2, "a list is required")?;
    if values.len() != keys.len() {
        return Err(FuncError::call("length of keys and values should be equal"));
    }
    // Keys and the search set are compared in their common type: 1 and "1" match.
    let n = keys.len();
    let both: Vec<Value> = keys.iter().chain(&search).cloned().collect();
    let both = unify(&both)
        .ok_or_else(|| FuncError::call("keys and searchset must be of the same type"))?;
    let (keys, search) = both.split_at(n);
    let (keys, search) = (keys.to_vec(), search.to_vec());
    Ok(Value::List(
        values
            .into_iter()
            .zip(keys)
            .filter(|(_, k)| search.contains(k))
            .map(|(v, _)| v)
            .collect(),
    ))
}

fn one(a: &[Value]) -> FnResult {
    let Some(items) = a[0].as_seq() else {
        if a[0].is_unknown() {
            return unknown();
        }
        return Err(FuncError::arg(
            0,
            "must be a list, set, or tuple value with either zero or one elements",
        ));
    };
    match items {
        [] => Ok(Value::Null),
        [x] => Ok(x.clone()),
        _ => Err(FuncError::arg(
            0,
            "must be a list, set, or tuple value with either zero or one elements",
        )),
    }
}

fn reverse(a: &[Value]) -> FnResult {
    match &a[0] {
        Value::List(items) => Ok(Value::List(items.iter().rev().cloned().collect())),
        other => Err(FuncError::arg(
            0,
            format!(
                "can only reverse list or tuple values, not {}",
                other.type_name()
            ),
        )),
    }
}

fn slice(a: &[Value]) -> FnResult {
    let items = match &a[0] {
        Value::List(items) => items,
        Value::Set(_) => {
            return Err(FuncError::arg(
                0,
                "cannot slice a set, because its elements do not have indices; explicitly convert \
                 to a list if the ordering of the result is not important",
            ));
        }
        _ => return Err(FuncError::arg(0, "must be a list or tuple value")),
    };
    let (start, end) = (whole(a, 1)?, whole(a, 2)?);
    let len = items.len() as f64;
    if start < 0.0 {
        return Err(FuncError::arg(1, "start index must not be less than zero"));
    }
    if start > len {
        return Err(FuncError::arg(
            1,
            "start index must not be greater than the length of the list",
        ));
    }
    if end < 0.0 {
        return Err(FuncError::arg(2, "end index must not be less than zero"));
    }
    if end > len {
        return Err(FuncError::arg(
            2,
            "end index must not be greater than the length of the list",
        ));
    }
    if start > end {
        return Err(FuncError::arg(
            1,
            "start index must not be greater than end index",
        ));
    }
    Ok(Value::List(items[start as usize..end as usize].to_vec()))
}

fn sort(a: &[Value]) -> FnResult {
    let items = seq(a, 0, "list of string required")?;
    let mut out = Vec::with_capacity(items.len());
    for (i, x) in items.iter().enumerate() {
        if x.is_null() {
            return Err(FuncError::call(format!(
                "given list element {i} is null; a null string cannot be sorted"
            )));
        }
        out.push(
            x.coerce_string()
                .ok_or_else(|| FuncError::arg(0, "list of string required"))?,
        );
    }
    // Lexical by bytes, as Go's sort.Strings.
    out.sort_unstable();
    Ok(Value::List(out.into_iter().map(Value::String).collect()))
}

fn sum(a: &[Value]) -> FnResult {
    let items = match &a[0] {
        Value::List(v) | Value::Set(v) => v,
        Value::Map(_) => {
            return Err(FuncError::arg(
                0,
                "argument must be list, set, or tuple. Received object",
            ));
        }
        _ => return Err(FuncError::arg(0, "cannot sum noniterable")),
    };
    if items.is_empty() {
        return Err(FuncError::arg(0, "cannot sum an empty list"));
    }
    let mut total: Option<crate::lang::Number> = None;
    for x in items {
        let n = match x {
            Value::Null => None,
            other => other.to_number(),
        }
        .ok_or_else(|| {
            FuncError::arg(0, "argument must be list, set, or tuple of number values")
        })?;
        total = Some(match total {
            None => n,
            Some(t) => t.add(&n).map_err(|e| FuncError::call(e.to_string()))?,
        });
    }
    Ok(total.map_or(Value::Null, Value::Number))
}

fn transpose(a: &[Value]) -> FnResult {
    let Value::Map(m) = &a[0] else {
        return Err(FuncError::arg(0, "input must be a map of lists of strings"));
    };
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in m {
        let items = match v {
            Value::Null => return Err(FuncError::call("input must not contain null list")),
            Value::List(items) | Value::Set(items) => items,
            _ => return Err(FuncError::call("input must be a map of lists of strings")),
        };
        for x in items {
            let s = match x {
                Value::Null => {
                    return Err(FuncError::call("input list must not contain null string"));
                }
                Value::String(s) => s.clone(),
                _ => return Err(FuncError::call("input must be a map of lists of strings")),
            };
            out.entry(s).or_default().push(k.clone());
        }
    }
    Ok(Value::Map(
        out.into_iter()
            .map(|(k, mut v)| {
                v.sort_unstable();
                (k, Value::List(v.into_iter().map(Value::String).collect()))
            })
            .collect(),
    ))
}

fn coalescelist(a: &[Value]) -> FnResult {
    if a.is_empty() {
        return Err(FuncError::call("at least one argument is required"));
    }
    for (i, v) in a.iter().enumerate() {
        match v {
            Value::Null => {}
            Value::List(items) if items.is_empty() => {}
            Value::List(_) => return Ok(v.clone()),
            _ => {
                return Err(FuncError::arg(
                    i,
                    "coalescelist arguments must be lists or tuples",
                ));
            }
        }
    }
    Err(FuncError::call("no non-null arguments"))
}

#[derive(Clone, Copy)]
enum SetOp {
    Union,
    Intersection,
    Subtract,
}

/// The set functions take lists too; the result is a set, its elements of one type.
fn set_op(a: &[Value], op: SetOp) -> FnResult {
    let mut sets = Vec::with_capacity(a.len());
    for (i, v) in a.iter().enumerate() {
        let items = v.as_seq().ok_or_else(|| {
            FuncError::arg(
                i,
                format!("a set or a list is required, not {}", v.type_name()),
            )
        })?;
        sets.push(items.to_vec());
    }
    let all: Vec<Value> = sets.iter().flatten().cloned().collect();
    if unify(&all).is_none() {
        return Err(FuncError::call(
            "given sets must all have compatible element types",
        ));
    }
    let mut acc = sets[0].clone();
    for other in &sets[1..] {
        acc = match op {
            SetOp::Union => acc.into_iter().chain(other.iter().cloned()).collect(),
            SetOp::Intersection => acc.into_iter().filter(|x| other.contains(x)).collect(),
            SetOp::Subtract => acc.into_iter().filter(|x| !other.contains(x)).collect(),
        };
    }
    let unified = unify(&acc).unwrap_or(acc);
    Ok(Value::set(unified))
}

fn setproduct(a: &[Value]) -> FnResult {
    if a.len() < 2 {
        return Err(FuncError::call("at least two arguments are required"));
    }
    let mut all_lists = true;
    let mut seqs = Vec::with_capacity(a.len());
    for (i, v) in a.iter().enumerate() {
        match v {
            Value::List(items) => seqs.push(
                unify(items)
                    .ok_or_else(|| FuncError::arg(i, "all elements must be of the same type"))?,
            ),
            Value::Set(items) => {
                all_lists = false;
                seqs.push(items.clone());
            }
            _ => return Err(FuncError::arg(i, "a set or a list is required")),
        }
    }
    let total: usize = seqs.iter().map(Vec::len).product();
    if total > 1 << 20 {
        return Err(FuncError::call(format!(
            "the product would have {total} elements; at most {} are supported",
            1 << 20
        )));
    }
    let mut out: Vec<Vec<Value>> = vec![vec![]];
    for s in &seqs {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                s.iter().map(move |x| {
                    let mut p = prefix.clone();
                    p.push(x.clone());
                    p
                })
            })
            .collect();
    }
    if total == 0 {
        out.clear();
    }
    let tuples: Vec<Value> = out.into_iter().map(Value::List).collect();
    Ok(if all_lists {
        Value::List(tuples)
    } else {
        Value::set(tuples)
    })
}

fn length(a: &[Value]) -> Result<Value, FuncError> {
    let n = match &a[0] {
        Value::Unknown(_) => return unknown(),
        // Terraform counts grapheme clusters: "e\u{301}" is one character.
        Value::String(s) => s.graphemes(true).count(),
        Value::List(v) | Value::Set(v) => v.len(),
        Value::Map(m) => m.len(),
        _ => {
            return Err(FuncError::arg(
                0,
                "argument must be a string, a collection type, or a structural type",
            ));
        }
    };
    Ok(Value::from(n))
}

fn concat(a: &[Value]) -> Result<Value, FuncError> {
    if a.is_empty() {
        return Err(FuncError::call("at least one argument is required"));
    }
    let mut out = Vec::new();
    for (i, v) in a.iter().enumerate() {
        match v {
            Value::List(items) => out.extend(items.iter().cloned()),
            Value::Unknown(_) => {}
            other => {
                return Err(FuncError::arg(
                    i,
                    format!(
                        "all arguments must be lists or tuples; got {}",
                        other.type_name()
                    ),
                ));
            }
        }
    }
    if a.iter().any(Value::is_unknown) {
        return unknown();
    }
    Ok(Value::List(out))
}

fn merge(a: &[Value]) -> Result<Value, FuncError> {
    let mut out = BTreeMap::new();
    let mut any_unknown = false;
    for (i, v) in a.iter().enumerate() {
        match v {
            Value::Null => {}
            Value::Unknown(_) => any_unknown = true,
            Value::Map(m) => out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone()))),
            other => {
                return Err(FuncError::arg(
                    i,
                    format!(
                        "arguments must be maps or objects, got {}",
                        quote(other.type_name())
                    ),
                ));
            }
        }
    }
    if any_unknown {
        return unknown();
    }
    Ok(Value::Map(out.into()))
}

fn lookup(a: &[Value]) -> Result<Value, FuncError> {
    if a[1].is_unknown() {
        return unknown();
    }
    let key = string(a, 1)?;
    match &a[0] {
        Value::Unknown(_) => unknown(),
        Value::Map(m) => match (m.get(&key), a.get(2)) {
            (Some(v), _) => Ok(v.clone()),
            (None, Some(default)) => Ok(default.clone()),
            (None, None) => Err(FuncError::arg(
                1,
                format!("the given object has no attribute {}", quote(&key)),
            )),
        },
        _ => Err(FuncError::arg(
            0,
            "the first argument must be a map or object",
        )),
    }
}

fn element(a: &[Value]) -> Result<Value, FuncError> {
    if a[1].is_unknown() {
        return unknown();
    }
    // Terraform converts the index to a Go int.
    let idx = super::num(a, 1)?.to_i64().ok_or_else(|| {
        FuncError::arg(
            1,
            "invalid index: value must be a whole number, between -9223372036854775808 and \
             9223372036854775807",
        )
    })?;
    match &a[0] {
        Value::Unknown(_) => unknown(),
        Value::List(items) => {
            if items.is_empty() {
                return Err(FuncError::arg(
                    0,
                    "cannot use element function with an empty list",
                ));
            }
            if idx < 0 {
                return Err(FuncError::arg(
                    1,
                    "cannot use element function with a negative index",
                ));
            }
            // Wrapping around is Terraform's documented behaviour, used for round-robin picks.
            let i = (idx as u128 % items.len() as u128) as usize;
            Ok(items[i].clone())
        }
        other => Err(FuncError::arg(
            0,
            format!("cannot read elements from {}", other.type_name()),
        )),
    }
}

fn index(a: &[Value]) -> Result<Value, FuncError> {
    let Value::List(items) = &a[0] else {
        return Err(FuncError::arg(0, "argument must be a list or tuple"));
    };
    if items.is_empty() {
        return Err(FuncError::arg(0, "cannot search an empty list"));
    }
    items
        .iter()
        .position(|x| *x == a[1])
        .map(Value::from)
        .ok_or_else(|| FuncError::arg(1, "item not found"))
}

fn contains(a: &[Value]) -> Result<Value, FuncError> {
    let Some(items) = a[0].as_seq() else {
        return Err(FuncError::arg(0, "argument must be list, tuple, or set"));
    };
    Ok(Value::Bool(items.contains(&a[1])))
}

fn distinct(a: &[Value]) -> Result<Value, FuncError> {
    let Some(items) = a[0].as_seq() else {
        return Err(FuncError::arg(0, "list of any required"));
    };
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for x in items {
        if !out.contains(x) {
            out.push(x.clone());
        }
    }
    Ok(Value::List(out))
}

fn flatten(a: &[Value]) -> Result<Value, FuncError> {
    fn walk(items: &[Value], out: &mut Vec<Value>) {
        for x in items {
            match x {
                Value::List(inner) | Value::Set(inner) => walk(inner, out),
                other => out.push(other.clone()),
            }
        }
    }
    let Some(items) = a[0].as_seq() else {
        return Err(FuncError::arg(0, "can only flatten lists, sets and tuples"));
    };
    let mut out = Vec::new();
    walk(items, &mut out);
    Ok(Value::List(out))
}

fn keys_values(a: &[Value], keys: bool) -> Result<Value, FuncError> {
    match &a[0] {
        Value::Unknown(_) => unknown(),
        // BTreeMap iteration is already the lexical key order Terraform returns.
        Value::Map(m) if keys => Ok(Value::List(m.keys().cloned().map(Value::String).collect())),
        Value::Map(m) => Ok(Value::List(m.values().cloned().collect())),
        _ => Err(FuncError::arg(0, "must have map or object type")),
    }
}

fn zipmap(a: &[Value]) -> Result<Value, FuncError> {
    if !a[0].is_wholly_known() || a[1].is_unknown() {
        return unknown();
    }
    let Some(keys) = a[0].as_seq() else {
        return Err(FuncError::arg(0, "list of string required"));
    };
    let Some(values) = a[1].as_seq() else {
        return Err(FuncError::arg(1, "list or tuple required"));
    };
    if keys.len() != values.len() {
        return Err(FuncError::call(format!(
            "number of keys ({}) does not match number of values ({})",
            keys.len(),
            values.len()
        )));
    }
    let mut out = BTreeMap::new();
    for (i, (k, v)) in keys.iter().zip(values).enumerate() {
        let k = k
            .coerce_string()
            .ok_or_else(|| FuncError::arg(0, format!("element {i}: keys must be strings")))?;
        out.insert(k, v.clone());
    }
    Ok(Value::Map(out.into()))
}

fn coalesce(a: &[Value]) -> Result<Value, FuncError> {
    // Like Terraform, all arguments are first converted to one common type, which is why
    // coalesce(1, "b") is the string "1".
    let unified =
        unify(a).ok_or_else(|| FuncError::call("all arguments must have the same type"))?;
    for v in unified {
        match v {
            Value::Unknown(_) => return unknown(),
            Value::Null => {}
            Value::String(ref s) if s.is_empty() => {}
            v => return Ok(v),
        }
    }
    Err(FuncError::call("no non-null, non-empty-string arguments"))
}
