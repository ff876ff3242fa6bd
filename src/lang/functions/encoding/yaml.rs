//! `yamlencode` and `yamldecode` as Terraform's go-cty-yaml does them.
//!
//! Encoding follows libyaml's block emitter with cty-yaml's choices: strings double-quoted (a
//! literal block when they hold a newline), numbers in full decimal, empty collections in flow
//! style, and the `...` document end after a bare scalar. Decoding resolves plain scalars with
//! YAML 1.1's rules, as cty-yaml does (`yes` and `on` are true), which no Rust YAML library
//! offers, so the tree is built here from the events of yaml-rust2's parser.

use std::collections::BTreeMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::lang::value::Value;

pub(super) fn encode(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::List(items) | Value::Set(items) if !items.is_empty() => seq(items, 0, &mut out),
        Value::Map(m) if !m.is_empty() => map(m, 0, &mut out),
        other => {
            scalar(other, 0, &mut out);
            out.push('\n');
            if !matches!(
                other,
                Value::String(_) | Value::List(_) | Value::Set(_) | Value::Map(_)
            ) {
                // A bare plain scalar leaves the document open-ended, so libyaml closes it.
                out.push_str("...\n");
            }
        }
    }
    out
}

/// Whether the value is written on its own lines (a non-empty collection).
fn is_block(v: &Value) -> bool {
    match v {
        Value::List(items) | Value::Set(items) => !items.is_empty(),
        Value::Map(m) => !m.is_empty(),
        _ => false,
    }
}

fn seq(items: &[Value], indent: usize, out: &mut String) {
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str("- ");
        match x {
            Value::List(inner) | Value::Set(inner) if !inner.is_empty() => {
                seq(inner, indent + 2, out)
            }
            Value::Map(m) if !m.is_empty() => map(m, indent + 2, out),
            other => {
                scalar(other, indent + 2, out);
                out.push('\n');
            }
        }
    }
}

fn map(m: &crate::lang::value::Map, indent: usize, out: &mut String) {
    for (i, (k, x)) in m.iter().enumerate() {
        if i > 0 {
            out.push_str(&" ".repeat(indent));
        }
        // Keys are simple keys, which libyaml never folds.
        write_double_quoted(k, None, out);
        out.push(':');
        if is_block(x) {
            out.push('\n');
            match x {
                // libyaml does not indent a sequence under a mapping key.
                Value::List(inner) | Value::Set(inner) => {
                    out.push_str(&" ".repeat(indent));
                    seq(inner, indent, out);
                }
                Value::Map(inner) => {
                    out.push_str(&" ".repeat(indent + 2));
                    map(inner, indent + 2, out);
                }
                _ => {}
            }
        } else {
            out.push(' ');
            scalar(x, indent + 2, out);
            out.push('\n');
        }
    }
}

/// A scalar or empty collection, without its final newline; `indent` is where a literal block's
/// lines start.
fn scalar(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Null | Value::Unknown(_) => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_text()),
        Value::String(s) if s.contains('\n') => literal(s, indent, out),
        Value::String(s) => write_double_quoted(s, Some(indent.max(2)), out),
        Value::List(_) | Value::Set(_) => out.push_str("[]"),
        Value::Map(_) => out.push_str("{}"),
    }
}

fn literal(s: &str, indent: usize, out: &mut String) {
    out.push('|');
    if s.starts_with([' ', '\n']) {
        out.push('2');
    }
    let trailing = s.len() - s.trim_end_matches('\n').len();
    match trailing {
        0 => out.push('-'),
        1 if s.len() > 1 => {}
        _ => out.push('+'),
    }
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&" ".repeat(indent.max(2)));
            out.push_str(line);
        }
    }
}

/// libyaml's double-quoted style with Unicode allowed: only non-printable characters (and those
/// outside the Basic Multilingual Plane, which libyaml treats as such) are escaped. A value is
/// folded at a space once its line passes 80 columns (`fold` is the continuation's indent),
/// as libyaml's emitter does; a space that starts a continuation is escaped.
fn write_double_quoted(s: &str, fold: Option<usize>, out: &mut String) {
    const BEST_WIDTH: usize = 80;
    let mut col = out.rsplit('\n').next().map_or(0, |l| l.chars().count());
    out.push('"');
    col += 1;
    let chars: Vec<char> = s.chars().collect();
    let mut spaces = false;
    for (i, &c) in chars.iter().enumerate() {
        let printable = matches!(c as u32,
            0x0A | 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD)
            && c != '\u{FEFF}';
        if c == ' ' {
            if let Some(indent) = fold
                && !spaces
                && col > BEST_WIDTH
                && i > 0
                && i + 1 < chars.len()
            {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                col = indent;
                if chars[i + 1] == ' ' {
                    out.push('\\');
                    col += 1;
                }
            } else {
                out.push(' ');
                col += 1;
            }
            spaces = true;
            continue;
        }
        spaces = false;
        if printable && !matches!(c, '"' | '\\' | '\n') {
            out.push(c);
            col += 1;
            continue;
        }
        let escaped = match c as u32 {
            0x00 => "\\0".to_string(),
            0x07 => "\\a".to_string(),
            0x08 => "\\b".to_string(),
            0x09 => "\\t".to_string(),
            0x0A => "\\n".to_string(),
            0x0B => "\\v".to_string(),
            0x0C => "\\f".to_string(),
            0x0D => "\\r".to_string(),
            0x1B => "\\e".to_string(),
            0x22 => "\\\"".to_string(),
            0x5C => "\\\\".to_string(),
            0x85 => "\\N".to_string(),
            0x2028 => "\\L".to_string(),
            0x2029 => "\\P".to_string(),
            v if v <= 0xFF => format!("\\x{v:02X}"),
            v if v <= 0xFFFF => format!("\\u{v:04X}"),
            v => format!("\\U{v:08X}"),
        };
        col += escaped.chars().count();
        out.push_str(&escaped);
    }
    out.push('"');
}

// ---- decoding --------------------------------------------------------------------------------

/// As deep as `yamldecode` nests, like serde_json's limit for `jsondecode`.
const MAX_DEPTH: usize = 128;

/// Builds values from parser events; anchors are remembered so aliases can be resolved.
#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: BTreeMap<usize, Value>,
    docs: Vec<Value>,
    error: Option<String>,
}

enum Frame {
    Seq(usize, Vec<Value>),
    Map(usize, BTreeMap<String, Value>, Option<String>),
}

impl Builder {
    fn push(&mut self, v: Value) {
        match self.stack.last_mut() {
            None => self.docs.push(v),
            Some(Frame::Seq(_, items)) => items.push(v),
            Some(Frame::Map(_, m, key)) => match key.take() {
                Some(k) => {
                    m.insert(k, v);
                }
                None => match v.coerce_string() {
                    Some(k) => *key = Some(k),
                    None if v.is_null() => *key = Some("null".into()),
                    None => {
                        self.error
                            .get_or_insert_with(|| "mapping keys must be strings".into());
                        *key = Some(String::new());
                    }
                },
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, _mark: Marker) {
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let v = match resolve(&text, style, tag.as_ref()) {
                    Ok(v) => v,
                    Err(e) => {
                        self.error.get_or_insert(e);
                        Value::Null
                    }
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                self.push(v);
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if self.stack.len() >= MAX_DEPTH => {
                // Dropping a value nested a hundred thousand deep overflows the stack.
                self.error
                    .get_or_insert_with(|| format!("nesting deeper than {MAX_DEPTH} levels"));
                self.stack.push(Frame::Seq(0, Vec::new()));
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq(anchor, Vec::new())),
            Event::MappingStart(anchor, _) => {
                self.stack.push(Frame::Map(anchor, BTreeMap::new(), None))
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (anchor, v) = match self.stack.pop() {
                    Some(Frame::Seq(a, items)) => (a, Value::List(items)),
                    Some(Frame::Map(a, m, _)) => (a, Value::Map(m.into())),
                    None => return,
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                self.push(v);
            }
            Event::Alias(id) => {
                let v = self.anchors.get(&id).cloned().unwrap_or(Value::Null);
                self.push(v);
            }
            _ => {}
        }
    }
}

/// The value of a scalar: quoted and block scalars are strings; plain ones resolve by YAML 1.1's
/// rules; an explicit tag wins.
fn resolve(text: &str, style: TScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    if let Some(t) = tag {
        let v = Value::string(text);
        return match (t.handle.as_str(), t.suffix.as_str()) {
            ("!!", "str") | ("tag:yaml.org,2002:", "str") => Ok(v),
            ("!!", "int" | "float") | ("tag:yaml.org,2002:", "int" | "float") => plain(text)
                .filter(|x| matches!(x, Value::Number(_)))
                .ok_or_else(|| format!("cannot decode {text:?} as !!{}", t.suffix)),
            ("!!", "bool") | ("tag:yaml.org,2002:", "bool") => plain(text)
                .filter(|x| matches!(x, Value::Bool(_)))
                .ok_or_else(|| format!("cannot decode {text:?} as !!bool")),
            ("!!", "null") | ("tag:yaml.org,2002:", "null") => Ok(Value::Null),
            _ => Err(format!("unsupported tag {}{}", t.handle, t.suffix)),
        };
    }
    if style != TScalarStyle::Plain {
        return Ok(Value::string(text));
    }
    Ok(plain(text).unwrap_or_else(|| Value::string(text)))
}

fn plain(text: &str) -> Option<Value> {
    Some(match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Value::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Value::Bool(false)
        }
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Value::from_f64(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Value::from_f64(f64::NEG_INFINITY),
        _ => return number(text).map(Value::from_f64),
    })
}

/// YAML 1.1 numbers: decimal, `0x` hex, `0o`/leading-zero octal, `0b` binary, `_` separators.
fn number(text: &str) -> Option<f64> {
    let t = text.replace('_', "");
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t.as_str()),
    };
    let first = body.chars().next()?;
    if !(first.is_ascii_digit() || first == '.') {
        return None;
    }
    let radix = |digits: &str, r: u32| u64::from_str_radix(digits, r).ok().map(|n| n as f64);
    let n = if let Some(h) = body.strip_prefix("0x") {
        radix(h, 16)?
    } else if let Some(b) = body.strip_prefix("0b") {
        radix(b, 2)?
    } else if let Some(o) = body.strip_prefix("0o") {
        radix(o, 8)?
    } else if body.len() > 1 && body.starts_with('0') && body.bytes().all(|b| b.is_ascii_digit()) {
        radix(&body[1..], 8)?
    } else {
        body.parse::<f64>().ok().filter(|n| n.is_finite())?
    };
    Some(if neg { -n } else { n })
}

pub(super) fn decode(src: &str) -> Result<Value, String> {
    let mut b = Builder::default();
    Parser::new_from_str(src).load(&mut b, true).map_err(|e| {
        format!(
            "on line {}, column {}: {}",
            e.marker().line(),
            e.marker().col() + 1,
            e.info()
        )
    })?;
    if let Some(e) = b.error {
        return Err(e);
    }
    match b.docs.len() {
        0 => Ok(Value::Null),
        1 => Ok(b.docs.remove(0)),
        _ => Err("unexpected extra content after value".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn sequences_under_keys_are_not_indented_and_maps_in_sequences_are() {
        let v = m(&[(
            "a",
            m(&[(
                "b",
                Value::List(vec![Value::from(1u64), m(&[("c", Value::string("d"))])]),
            )]),
        )]);
        assert_eq!(encode(&v), "\"a\":\n  \"b\":\n  - 1\n  - \"c\": \"d\"\n");
    }

    #[test]
    fn long_values_fold_at_a_space_past_80_columns() {
        // libyaml breaks at the first space after column 80 and indents the rest by 2.
        let s = "x ".repeat(50);
        let want = format!("\"{}x\n  {}\"\n", "x ".repeat(40), "x ".repeat(9));
        assert_eq!(encode(&Value::string(s)), want);
        // Keys never fold.
        let key = "k ".repeat(60);
        assert!(!encode(&m(&[(&key, Value::Null)])).contains("\n  "));
    }

    #[test]
    fn decoding_resolves_yaml_1_1_scalars_and_refuses_two_documents() {
        assert_eq!(
            decode("[on, No, 0o17, 017, 1_000, '1']"),
            Ok(Value::List(vec![
                Value::Bool(true),
                Value::Bool(false),
                Value::from(15u64),
                Value::from(15u64),
                Value::from(1000u64),
                Value::string("1"),
            ]))
        );
        assert_eq!(decode(""), Ok(Value::Null));
        assert_eq!(
            decode("a: 1\n---\nb: 2\n"),
            Err("unexpected extra content after value".into())
        );
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(decode(&deep), Err("nesting deeper than 128 levels".into()));
    }
}
