//! Type constraints for `variable { type = ... }` and the conversions they imply.
//!
//! Terraform checks a variable's value against its declared type by *converting* it: a number
//! given where a string is wanted becomes that number's text, `"5"` becomes `5`, a tuple becomes a
//! list. Only when no conversion exists is it an error. The evaluator works with the looser
//! [`Value`], so a conversion here both validates and normalises (an optional object attribute
//! that was left out becomes `null`, attributes the type does not declare are dropped), and
//! everything downstream can rely on the declared shape.

use std::collections::BTreeMap;
use std::fmt;

use hcl_edit::expr::{Expression, ObjectKey};

use super::value::{Value, format_number};

#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    Any,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Tuple(Vec<Type>),
    /// Attribute name → (type, optional, default). The default, converted to the type, stands
    /// in for an absent or null value of an optional attribute.
    Object(BTreeMap<String, (Type, bool, Option<Value>)>),
}

/// Every keyword a type constraint may start with, for "did you mean" suggestions.
const KEYWORDS: &[&str] = &[
    "string", "number", "bool", "any", "list", "set", "map", "tuple", "object",
];

impl Type {
    /// Parses a type constraint expression such as `list(string)` or
    /// `object({ name = string, port = optional(number) })`.
    pub fn parse(expr: &Expression) -> Result<Type, String> {
        parse_type(expr, false).map(|(t, _)| t)
    }

    /// Converts `v` to this type using Terraform's conversion rules. `null` converts to every
    /// type (whether null is acceptable is the caller's business, as `nullable` is), and an
    /// unknown value stays unknown because its eventual type cannot be checked yet.
    pub fn convert(&self, v: &Value) -> Result<Value, String> {
        convert(self, v)
    }

    /// The noun phrase Terraform uses in conversion errors: "list of string", "object".
    fn friendly_name(&self) -> String {
        match self {
            Type::Any => "any".into(),
            Type::String => "string".into(),
            Type::Number => "number".into(),
            Type::Bool => "bool".into(),
            Type::List(t) => format!("list of {}", t.friendly_name()),
            Type::Set(t) => format!("set of {}", t.friendly_name()),
            Type::Map(t) => format!("map of {}", t.friendly_name()),
            Type::Tuple(_) => "tuple".into(),
            Type::Object(_) => "object".into(),
        }
    }
}

/// Renders the type the way it is written in configuration, e.g. `list(string)`.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Any => write!(f, "any"),
            Type::String => write!(f, "string"),
            Type::Number => write!(f, "number"),
            Type::Bool => write!(f, "bool"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Tuple(ts) => {
                write!(f, "tuple([")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{t}")?;
                }
                write!(f, "])")
            }
            Type::Object(attrs) => {
                write!(f, "object({{")?;
                for (i, (name, (t, optional, default))) in attrs.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    if let Some(d) = default {
                        write!(f, "{name}=optional({t}, {d})")?;
                    } else if *optional {
                        write!(f, "{name}=optional({t})")?;
                    } else {
                        write!(f, "{name}={t}")?;
                    }
                }
                write!(f, "}})")
            }
        }
    }
}

fn did_you_mean(word: &str) -> String {
    let best = KEYWORDS
        .iter()
        .map(|k| (strsim::jaro_winkler(word, k), *k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, k)) => format!("Unknown type constraint \"{word}\"; did you mean \"{k}\"?"),
        None => format!(
            "Unknown type constraint \"{word}\"; expected one of string, number, bool, any, \
             list(...), set(...), map(...), tuple([...]) or object({{...}})"
        ),
    }
}

/// Parses one type expression. `in_object` allows the `optional(...)` modifier, which Terraform
/// accepts only directly on an object attribute; the returned flag says whether it was used.
fn parse_type(expr: &Expression, in_object: bool) -> Result<(Type, bool), String> {
    match expr {
        Expression::Parenthesis(p) => parse_type(p.inner(), in_object),
        Expression::Variable(ident) => {
            let name = ident.as_str();
            let t = match name {
                "string" => Type::String,
                "number" => Type::Number,
                "bool" => Type::Bool,
                "any" => Type::Any,
                // Terraform 0.11 allowed bare `list`/`map`; current Terraform insists on an
                // element type, and so do we.
                "list" | "set" | "map" => {
                    return Err(format!(
                        "The {name} type constructor requires one argument specifying the \
                         element type, e.g. {name}(string)"
                    ));
                }
                "tuple" | "object" | "optional" => {
                    return Err(format!(
                        "The {name} type constructor requires an argument, e.g. {}",
                        constructor_example(name)
                    ));
                }
                other => return Err(did_you_mean(other)),
            };
            Ok((t, false))
        }
        Expression::FuncCall(call) => {
            let name = call.name.name.as_str();
            if call.name.is_namespaced() {
                return Err(format!("Unknown type constraint \"{name}\""));
            }
            let args: Vec<&Expression> = call.args.iter().collect();
            let single = |what: &str| -> Result<&Expression, String> {
                match args.as_slice() {
                    [one] => Ok(*one),
                    _ => Err(format!(
                        "The {name} type constructor requires exactly one argument, e.g. {what}"
                    )),
                }
            };
            match name {
                "list" | "set" | "map" => {
                    let arg = single(&format!("{name}(string)"))?;
                    let (elem, _) = parse_type(arg, false)?;
                    let elem = Box::new(elem);
                    Ok((
                        match name {
                            "list" => Type::List(elem),
                            "set" => Type::Set(elem),
                            _ => Type::Map(elem),
                        },
                        false,
                    ))
                }
                "tuple" => {
                    let arg = single("tuple([string, number])")?;
                    let Expression::Array(items) = arg else {
                        return Err(
                            "The tuple type constructor requires a list of element types, e.g. \
                             tuple([string, number])"
                                .into(),
                        );
                    };
                    let ts = items
                        .iter()
                        .map(|e| parse_type(e, false).map(|(t, _)| t))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok((Type::Tuple(ts), false))
                }
                "object" => {
                    let arg = single("object({ name = string })")?;
                    let Expression::Object(obj) = arg else {
                        return Err(
                            "The object type constructor requires an object of attribute types, \
                             e.g. object({ name = string })"
                                .into(),
                        );
                    };
                    let mut attrs = BTreeMap::new();
                    for (key, value) in obj.iter() {
                        let attr = object_key_name(key)?;
                        let (t, optional) = parse_type(value.expr(), true)?;
                        let default = match value.expr() {
                            Expression::FuncCall(c) if optional && c.args.len() == 2 => {
                                let d = c.args.iter().nth(1).ok_or("optional default")?;
                                let v = crate::lang::eval::eval_constant(d)?;
                                let v = convert(&t, &v).map_err(|e| {
                                    format!(
                                        "Invalid default value for optional attribute \"{attr}\": {e}"
                                    )
                                })?;
                                Some(v)
                            }
                            _ => None,
                        };
                        attrs.insert(attr, (t, optional, default));
                    }
                    Ok((Type::Object(attrs), false))
                }
                "optional" => {
                    if !in_object {
                        return Err("The optional modifier may only be used on an object \
                                    attribute, e.g. object({ port = optional(number) })"
                            .into());
                    }
                    match args.as_slice() {
                        // A default is read by the object constructor, which keeps it.
                        [one] | [one, _] => Ok((parse_type(one, false)?.0, true)),
                        _ => Err(
                            "The optional modifier takes the attribute type and, optionally, \
                             a default value, e.g. optional(number, 80)"
                                .into(),
                        ),
                    }
                }
                other => Err(did_you_mean(other)),
            }
        }
        Expression::String(s) => Err(format!(
            "Quoted type constraints are not supported; write {} without the quotes",
            s.as_str()
        )),
        _ => Err(
            "A type constraint must be a type keyword such as string, or a type \
                  constructor such as list(string)"
                .into(),
        ),
    }
}

fn constructor_example(name: &str) -> &'static str {
    match name {
        "tuple" => "tuple([string, number])",
        "object" => "object({ name = string })",
        _ => "optional(number)",
    }
}

fn object_key_name(key: &ObjectKey) -> Result<String, String> {
    match key {
        ObjectKey::Ident(ident) => Ok(ident.as_str().to_string()),
        ObjectKey::Expression(Expression::String(s)) => Ok(s.as_str().to_string()),
        ObjectKey::Expression(Expression::Variable(v)) => Ok(v.as_str().to_string()),
        ObjectKey::Expression(_) => {
            Err("Object type attribute names must be identifiers or plain strings".into())
        }
    }
}

/// Prefixes an error from inside a collection with where it happened, as cty's path-carrying
/// errors read: `element 0: a number is required`, `attribute "port": ...`.
fn at(prefix: String) -> impl FnOnce(String) -> String {
    move |e| format!("{prefix}: {e}")
}

fn convert(t: &Type, v: &Value) -> Result<Value, String> {
    if matches!(v, Value::Null | Value::Unknown(_)) {
        return Ok(v.clone());
    }
    match t {
        Type::Any => Ok(v.clone()),
        Type::String => v
            .coerce_string()
            .map(Value::String)
            .ok_or_else(|| "string required".into()),
        Type::Number => match v {
            Value::Number(_) => Ok(v.clone()),
            Value::String(s) => parse_decimal(s)
                .map(Value::Number)
                .ok_or_else(|| "a number is required".into()),
            _ => Err("a number is required".into()),
        },
        Type::Bool => match v {
            Value::Bool(_) => Ok(v.clone()),
            // cty accepts "1" and "0" too, as shells and env vars commonly spell booleans.
            Value::String(s) if s == "true" || s == "1" => Ok(Value::Bool(true)),
            Value::String(s) if s == "false" || s == "0" => Ok(Value::Bool(false)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => {
                Err("a bool is required; to convert from string, use lowercase \"true\"".into())
            }
            Value::String(s) if s.eq_ignore_ascii_case("false") => {
                Err("a bool is required; to convert from string, use lowercase \"false\"".into())
            }
            _ => Err("a bool is required".into()),
        },
        Type::List(elem) | Type::Set(elem) => {
            let Some(items) = v.as_seq() else {
                return Err(format!("{} required", t.friendly_name()));
            };
            let converted = items
                .iter()
                .enumerate()
                .map(|(i, x)| convert(elem, x).map_err(at(format!("element {i}"))))
                .collect::<Result<Vec<_>, _>>()?;
            let converted = if **elem == Type::Any {
                unify(&converted).ok_or_else(|| {
                    format!(
                        "all elements of a {} must have the same type",
                        t.friendly_name()
                    )
                })?
            } else {
                converted
            };
            Ok(if matches!(t, Type::Set(_)) {
                Value::set(converted)
            } else {
                Value::List(converted)
            })
        }
        Type::Map(elem) => {
            let Some(m) = v.as_map() else {
                return Err(format!("{} required", t.friendly_name()));
            };
            let mut out = BTreeMap::new();
            for (k, x) in m {
                let c = convert(elem, x).map_err(at(format!("element {k:?}")))?;
                out.insert(k.clone(), c);
            }
            if **elem == Type::Any {
                let keys: Vec<String> = out.keys().cloned().collect();
                let vals: Vec<Value> = out.into_values().collect();
                let vals = unify(&vals)
                    .ok_or_else(|| "all map elements must have the same type".to_string())?;
                out = keys.into_iter().zip(vals).collect();
            }
            Ok(Value::Map(out.into()))
        }
        Type::Tuple(ts) => {
            let Some(items) = v.as_seq() else {
                return Err("tuple required".into());
            };
            if items.len() != ts.len() {
                return Err(format!(
                    "tuple required with exactly {} element{}",
                    ts.len(),
                    if ts.len() == 1 { "" } else { "s" }
                ));
            }
            ts.iter()
                .zip(items)
                .enumerate()
                .map(|(i, (t, x))| convert(t, x).map_err(at(format!("element {i}"))))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::List)
        }
        Type::Object(attrs) => {
            let Some(m) = v.as_map() else {
                return Err("object required".into());
            };
            let mut out = BTreeMap::new();
            for (name, (t, optional, default)) in attrs {
                match (m.get(name), default) {
                    (None | Some(Value::Null), Some(d)) => {
                        out.insert(name.clone(), d.clone());
                    }
                    (Some(x), _) => {
                        let c = convert(t, x).map_err(at(format!("attribute {name:?}")))?;
                        out.insert(name.clone(), c);
                    }
                    (None, _) if *optional => {
                        out.insert(name.clone(), Value::Null);
                    }
                    (None, _) => return Err(format!("attribute {name:?} is required")),
                }
            }
            Ok(Value::Map(out.into()))
        }
    }
}

/// Parses a number the way cty does from a string: a plain decimal (with optional sign, fraction
/// and exponent), no surrounding space, no hex, no `inf`/`nan`.
pub(crate) fn parse_decimal(s: &str) -> Option<super::Number> {
    let ok = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'))
        && s.chars().any(|c| c.is_ascii_digit());
    if !ok {
        return None;
    }
    super::Number::parse(s).filter(|n| !n.is_infinite())
}

/// Terraform's "single type" unification, applied when a tuple or object becomes a list, set or
/// map of `any`: elements that are all of one kind are kept as they are; a mix of strings with
/// numbers or bools becomes all strings (the only lossless common type); any other mix has no
/// common type and yields `None`. Nulls and unknowns fit every type.
pub(crate) fn unify(items: &[Value]) -> Option<Vec<Value>> {
    let mut kinds: Vec<&'static str> = items
        .iter()
        .filter(|v| !matches!(v, Value::Null | Value::Unknown(_)))
        .map(|v| v.type_name())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    match kinds.as_slice() {
        [] | [_] => Some(items.to_vec()),
        ks if ks.contains(&"string")
            && ks
                .iter()
                .all(|k| matches!(*k, "string" | "number" | "bool")) =>
        {
            Some(
                items
                    .iter()
                    .map(|v| match v {
                        Value::Number(n) => Value::String(format_number(n)),
                        Value::Bool(b) => Value::String(b.to_string()),
                        other => other.clone(),
                    })
                    .collect(),
            )
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(src: &str) -> Type {
        let expr = hcl_edit::parser::parse_expr(src).expect("test source parses");
        Type::parse(&expr).expect("type parses")
    }

    fn ty_err(src: &str) -> String {
        let expr = hcl_edit::parser::parse_expr(src).expect("test source parses");
        Type::parse(&expr).expect_err("type should not parse")
    }

    fn s(x: &str) -> Value {
        Value::string(x)
    }

    fn n(x: f64) -> Value {
        Value::from_f64(x)
    }

    fn map(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn parses_primitive_keywords() {
        assert_eq!(ty("string"), Type::String);
        assert_eq!(ty("number"), Type::Number);
        assert_eq!(ty("bool"), Type::Bool);
        assert_eq!(ty("any"), Type::Any);
    }

    #[test]
    fn parses_collection_constructors() {
        assert_eq!(ty("list(string)"), Type::List(Box::new(Type::String)));
        assert_eq!(ty("set(any)"), Type::Set(Box::new(Type::Any)));
        assert_eq!(
            ty("map(list(number))"),
            Type::Map(Box::new(Type::List(Box::new(Type::Number))))
        );
    }

    #[test]
    fn parses_tuple_and_object() {
        assert_eq!(
            ty("tuple([string, number])"),
            Type::Tuple(vec![Type::String, Type::Number])
        );
        let t = ty("object({a = string, b = optional(number)})");
        assert_eq!(
            t,
            Type::Object(BTreeMap::from([
                ("a".to_string(), (Type::String, false, None)),
                ("b".to_string(), (Type::Number, true, None)),
            ]))
        );
    }

    #[test]
    fn display_round_trips_the_source_form() {
        for src in [
            "list(string)",
            "map(set(number))",
            "tuple([string, bool])",
            "object({a=string, b=optional(list(any))})",
        ] {
            assert_eq!(ty(src).to_string(), src);
            assert_eq!(ty(&ty(src).to_string()), ty(src));
        }
    }

    #[test]
    fn misspelled_keyword_suggests_the_right_one() {
        assert_eq!(
            ty_err("strng"),
            "Unknown type constraint \"strng\"; did you mean \"string\"?"
        );
        assert_eq!(
            ty_err("lst(string)"),
            "Unknown type constraint \"lst\"; did you mean \"list\"?"
        );
        assert!(ty_err("xyzzy").starts_with("Unknown type constraint \"xyzzy\"; expected"));
    }

    #[test]
    fn rejects_malformed_constructors() {
        assert!(ty_err("list").contains("requires one argument"));
        assert!(ty_err("list(string, number)").contains("exactly one argument"));
        assert!(ty_err("tuple(string)").contains("list of element types"));
        assert!(ty_err("object(string)").contains("object of attribute types"));
        assert!(ty_err("optional(string)").contains("only be used on an object attribute"));
        assert!(ty_err("list(optional(string))").contains("only be used on an object"));
        assert!(
            ty_err("object({a = optional(number, \"x\")})")
                .contains("Invalid default value for optional attribute \"a\"")
        );
        assert!(ty_err("\"string\"").contains("Quoted type constraints"));
        assert!(ty_err("1").contains("must be a type keyword"));
    }

    #[test]
    fn primitives_convert_like_terraform() {
        assert_eq!(Type::String.convert(&n(5.0)), Ok(s("5")));
        assert_eq!(Type::String.convert(&n(2.5)), Ok(s("2.5")));
        assert_eq!(Type::String.convert(&Value::Bool(true)), Ok(s("true")));
        assert_eq!(Type::Number.convert(&s("5")), Ok(n(5.0)));
        assert_eq!(Type::Number.convert(&s("-1.5e2")), Ok(n(-150.0)));
        assert_eq!(Type::Bool.convert(&s("true")), Ok(Value::Bool(true)));
        assert_eq!(Type::Bool.convert(&s("0")), Ok(Value::Bool(false)));
    }

    #[test]
    fn primitive_conversion_errors_read_like_terraform() {
        assert_eq!(
            Type::Number.convert(&s("five")),
            Err("a number is required".into())
        );
        assert_eq!(
            Type::Number.convert(&s(" 5")),
            Err("a number is required".into())
        );
        assert_eq!(
            Type::Number.convert(&Value::Bool(true)),
            Err("a number is required".into())
        );
        assert_eq!(
            Type::Bool.convert(&s("yes")),
            Err("a bool is required".into())
        );
        assert!(
            Type::Bool
                .convert(&s("True"))
                .unwrap_err()
                .contains("lowercase \"true\"")
        );
        assert_eq!(
            Type::String.convert(&Value::List(vec![])),
            Err("string required".into())
        );
    }

    #[test]
    fn null_and_unknown_pass_through_every_type() {
        for t in [ty("string"), ty("list(number)"), ty("object({a=string})")] {
            assert_eq!(t.convert(&Value::Null), Ok(Value::Null));
            assert_eq!(t.convert(&Value::unknown()), Ok(Value::unknown()));
        }
    }

    #[test]
    fn list_converts_elements_and_names_the_failing_one() {
        let t = ty("list(number)");
        assert_eq!(
            t.convert(&Value::List(vec![s("1"), n(2.0)])),
            Ok(Value::List(vec![n(1.0), n(2.0)]))
        );
        assert_eq!(
            t.convert(&Value::List(vec![n(1.0), s("x")])),
            Err("element 1: a number is required".into())
        );
        assert_eq!(
            ty("list(string)").convert(&s("a")),
            Err("list of string required".into())
        );
    }

    #[test]
    fn list_becomes_a_sorted_deduplicated_set() {
        let t = ty("set(string)");
        assert_eq!(
            t.convert(&Value::List(vec![s("b"), s("a"), s("b")])),
            Ok(Value::Set(vec![s("a"), s("b")]))
        );
    }

    #[test]
    fn set_converts_to_list() {
        assert_eq!(
            ty("list(string)").convert(&Value::set(vec![s("x")])),
            Ok(Value::List(vec![s("x")]))
        );
    }

    #[test]
    fn collection_of_any_unifies_mixed_primitives_to_string() {
        assert_eq!(
            ty("list(any)").convert(&Value::List(vec![s("a"), n(1.0)])),
            Ok(Value::List(vec![s("a"), s("1")]))
        );
        assert!(
            ty("list(any)")
                .convert(&Value::List(vec![n(1.0), Value::Bool(true)]))
                .is_err()
        );
        assert_eq!(
            ty("map(any)").convert(&map(&[("a", n(1.0)), ("b", s("x"))])),
            Ok(map(&[("a", s("1")), ("b", s("x"))]))
        );
    }

    #[test]
    fn map_converts_elements_and_names_the_failing_key() {
        let t = ty("map(number)");
        assert_eq!(t.convert(&map(&[("a", s("1"))])), Ok(map(&[("a", n(1.0))])));
        assert_eq!(
            t.convert(&map(&[("a", s("x"))])),
            Err("element \"a\": a number is required".into())
        );
        assert_eq!(t.convert(&n(1.0)), Err("map of number required".into()));
    }

    #[test]
    fn object_fills_optional_drops_extra_and_requires_the_rest() {
        let t = ty("object({a = string, b = optional(number)})");
        assert_eq!(
            t.convert(&map(&[("a", n(1.0)), ("extra", Value::Bool(true))])),
            Ok(map(&[("a", s("1")), ("b", Value::Null)]))
        );
        assert_eq!(
            t.convert(&map(&[("b", n(1.0))])),
            Err("attribute \"a\" is required".into())
        );
        assert_eq!(
            t.convert(&map(&[("a", s("x")), ("b", s("y"))])),
            Err("attribute \"b\": a number is required".into())
        );
        assert_eq!(t.convert(&s("x")), Err("object required".into()));
    }

    #[test]
    fn nested_errors_carry_the_full_path() {
        let t = ty("list(object({port = number}))");
        let v = Value::List(vec![map(&[("port", n(1.0))]), map(&[("port", s("p"))])]);
        assert_eq!(
            t.convert(&v),
            Err("element 1: attribute \"port\": a number is required".into())
        );
    }

    #[test]
    fn tuple_converts_positionally_and_checks_length() {
        let t = ty("tuple([string, number])");
        assert_eq!(
            t.convert(&Value::List(vec![n(1.0), s("2")])),
            Ok(Value::List(vec![s("1"), n(2.0)]))
        );
        assert!(
            t.convert(&Value::List(vec![s("a")]))
                .unwrap_err()
                .contains("exactly 2 elements")
        );
    }

    #[test]
    fn any_accepts_everything_unchanged() {
        let v = map(&[("a", Value::List(vec![n(1.0)]))]);
        assert_eq!(Type::Any.convert(&v), Ok(v.clone()));
    }
}
