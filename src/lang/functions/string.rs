//! String functions, `format` among them.

use super::encoding::json_encode;
use unicode_segmentation::UnicodeSegmentation;

use super::{FnResult, Func, FuncError, Param, number, quote, string};
use crate::lang::value::Value;

const STR: Param = Param::new("str");

pub(super) const FUNCS: &[Func] = &[
    Func::new("format", &[Param::new("format")], |a, _| format_fn(a))
        .variadic(Param::new("args").null()),
    Func::new("join", &[Param::new("separator")], |a, _| join(a)).variadic(Param::new("lists")),
    Func::new("split", &[Param::new("separator"), STR], |a, _| split(a)),
    Func::new(
        "replace",
        &[STR, Param::new("substr"), Param::new("replace")],
        |a, _| replace(a),
    ),
    Func::new("lower", &[STR], |a, _| {
        Ok(Value::String(per_rune(&string(a, 0)?, char::to_lowercase)))
    }),
    Func::new("upper", &[STR], |a, _| {
        Ok(Value::String(per_rune(&string(a, 0)?, char::to_uppercase)))
    }),
    Func::new("title", &[STR], |a, _| {
        Ok(Value::String(title(&string(a, 0)?)))
    }),
    Func::new("trimspace", &[STR], |a, _| {
        Ok(Value::string(string(a, 0)?.trim()))
    }),
    Func::new("trim", &[STR, Param::new("cutset")], |a, _| {
        let cut = string(a, 1)?;
        Ok(Value::string(
            string(a, 0)?.trim_matches(|c| cut.contains(c)),
        ))
    }),
    Func::new("trimprefix", &[STR, Param::new("prefix")], |a, _| {
        let (s, p) = (string(a, 0)?, string(a, 1)?);
        Ok(Value::string(s.strip_prefix(p.as_str()).unwrap_or(&s)))
    }),
    Func::new("trimsuffix", &[STR, Param::new("suffix")], |a, _| {
        let (s, p) = (string(a, 0)?, string(a, 1)?);
        Ok(Value::string(s.strip_suffix(p.as_str()).unwrap_or(&s)))
    }),
    Func::new("chomp", &[STR], |a, _| {
        Ok(Value::string(string(a, 0)?.trim_end_matches(['\r', '\n'])))
    }),
    Func::new("indent", &[Param::new("spaces"), STR], |a, _| indent(a)),
    Func::new("startswith", &[STR, Param::new("prefix")], |a, _| {
        Ok(Value::Bool(string(a, 0)?.starts_with(&string(a, 1)?)))
    }),
    Func::new("endswith", &[STR, Param::new("suffix")], |a, _| {
        Ok(Value::Bool(string(a, 0)?.ends_with(&string(a, 1)?)))
    }),
    Func::new("strcontains", &[STR, Param::new("substr")], |a, _| {
        Ok(Value::Bool(string(a, 0)?.contains(&string(a, 1)?)))
    }),
    Func::new("strrev", &[STR], |a, _| {
        Ok(Value::String(string(a, 0)?.graphemes(true).rev().collect()))
    }),
    Func::new(
        "substr",
        &[STR, Param::new("offset"), Param::new("length")],
        |a, _| substr(a),
    ),
    Func::new("formatlist", &[Param::new("format")], |a, _| formatlist(a))
        .variadic(Param::new("args").null()),
    Func::new(
        "regex",
        &[Param::new("pattern"), Param::new("string")],
        |a, _| regex_fn(a, false),
    ),
    Func::new(
        "regexall",
        &[Param::new("pattern"), Param::new("string")],
        |a, _| regex_fn(a, true),
    ),
];

/// Go's `strings.ToUpper`/`ToLower`: each rune maps to one rune. Where Unicode's full mapping
/// is several characters (`ﬄ` to `FFL`), Go keeps the rune, and so does Terraform.
fn per_rune<I: Iterator<Item = char> + ExactSizeIterator>(s: &str, map: fn(char) -> I) -> String {
    s.chars()
        .map(|c| {
            let m = map(c);
            if m.len() == 1 {
                m.into_iter().next().unwrap_or(c)
            } else if c == '\u{130}' {
                // Go lowers the dotted capital I to a plain i.
                'i'
            } else {
                c
            }
        })
        .collect()
}

/// Go's `strings.Title`: the first letter of each word upper-cased, where a word starts after
/// anything but a letter, digit or underscore.
fn title(s: &str) -> String {
    let separator = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else if c.is_alphanumeric() {
            false
        } else {
            c.is_whitespace()
        }
    };
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let out = if separator(prev) {
                per_rune(c.encode_utf8(&mut [0; 4]), char::to_uppercase)
            } else {
                c.to_string()
            };
            prev = c;
            out
        })
        .collect()
}

/// The most padding `indent` adds in all: 16 MiB.
const INDENT_LIMIT: usize = 16 << 20;

fn indent(a: &[Value]) -> FnResult {
    let n = number(a, 0)?;
    if n.fract() != 0.0 || !(0.0..=MAX_FORMAT_WIDTH as f64).contains(&n) {
        return Err(FuncError::arg(
            0,
            "value must be a whole number between 0 and 1000000",
        ));
    }
    let text = string(a, 1)?;
    // A million spaces after each of a million lines is a terabyte: refuse what cannot be held.
    let added = (n as usize).saturating_mul(text.matches('\n').count());
    if added > INDENT_LIMIT {
        return Err(FuncError::arg(
            0,
            format!("the result would add {added} spaces; at most {INDENT_LIMIT} are supported"),
        ));
    }
    let pad = " ".repeat(n as usize);
    Ok(Value::String(text.replace('\n', &format!("\n{pad}"))))
}

/// `substr`: offsets and lengths count grapheme clusters; a negative offset counts from the end
/// and a negative length takes the rest.
fn substr(a: &[Value]) -> FnResult {
    let s = string(a, 0)?;
    let int = |i: usize| -> Result<i64, FuncError> {
        let n = number(a, i)?;
        if n.fract() != 0.0 {
            return Err(FuncError::arg(i, "value must be a whole number"));
        }
        Ok(n.clamp(i64::MIN as f64, i64::MAX as f64) as i64)
    };
    let (mut offset, length) = (int(1)?, int(2)?);
    let g: Vec<&str> = s.graphemes(true).collect();
    if offset < 0 {
        offset = offset.saturating_add(g.len() as i64);
    } else if length == 0 {
        return Ok(Value::string(""));
    }
    let start = offset.clamp(0, g.len() as i64) as usize;
    let rest = &g[start..];
    let take = if length < 0 {
        rest.len()
    } else {
        (length as usize).min(rest.len())
    };
    Ok(Value::String(rest[..take].concat()))
}

/// `formatlist`: `format` once per element; list arguments are iterated in step, others repeat.
fn formatlist(a: &[Value]) -> FnResult {
    let mut len: Option<(usize, usize)> = None;
    for (i, v) in a.iter().enumerate().skip(1) {
        if let Value::List(items) = v {
            match len {
                None => len = Some((items.len(), i)),
                Some((n, first)) if n != items.len() => {
                    return Err(FuncError::arg(
                        i,
                        format!(
                            "argument {i} has length {}, which is inconsistent with argument {first} of length {n}",
                            items.len()
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
    }
    let Some((n, _)) = len else {
        // No lists: a single formatted string, in a list.
        return format_fn(a).map(|v| Value::List(vec![v]));
    };
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let args: Vec<Value> = a
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::List(items) if i > 0 => items[k].clone(),
                other => other.clone(),
            })
            .collect();
        out.push(format_fn(&args).map_err(|e| {
            FuncError::call(format!("error on format iteration {k}: {}", e.message))
        })?);
    }
    Ok(Value::List(out))
}

/// `regex` and `regexall`: the match, its unnamed groups as a list, or its named groups as an
/// object; a group that took no part in the match is null.
fn regex_fn(a: &[Value], all: bool) -> FnResult {
    let pattern = string(a, 0)?;
    let s = string(a, 1)?;
    let re = regex::Regex::new(&pattern).map_err(|e| {
        let why = match e {
            regex::Error::Syntax(m) => m
                .lines()
                .last()
                .unwrap_or("")
                .trim_start_matches("error: ")
                .to_string(),
            other => other.to_string(),
        };
        FuncError::arg(0, format!("invalid regexp pattern: {why} in {pattern}"))
    })?;
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    let named = names.iter().filter(|n| n.is_some()).count();
    if named > 0 && named < names.len() {
        return Err(FuncError::arg(
            0,
            "invalid regexp pattern: cannot mix both named and unnamed capture groups",
        ));
    }
    let shape = |c: regex::Captures| -> Value {
        let group = |i: usize| c.get(i).map_or(Value::Null, |m| Value::string(m.as_str()));
        if names.is_empty() {
            group(0)
        } else if named == 0 {
            Value::List((1..=names.len()).map(group).collect())
        } else {
            Value::Map(
                names
                    .iter()
                    .enumerate()
                    .filter_map(|(i, n)| n.map(|n| (n.to_string(), group(i + 1))))
                    .collect(),
            )
        }
    };
    if all {
        return Ok(Value::List(re.captures_iter(&s).map(shape).collect()));
    }
    re.captures(&s)
        .map(shape)
        .ok_or_else(|| FuncError::call("pattern did not match any part of the given string"))
}

fn join(a: &[Value]) -> Result<Value, FuncError> {
    let sep = string(a, 0)?;
    if a.len() < 2 {
        return Err(FuncError::call("at least one list is required"));
    }
    let mut parts = Vec::new();
    for (i, list) in a.iter().enumerate().skip(1) {
        let Some(items) = list.as_seq() else {
            return Err(FuncError::arg(i, "list of string required"));
        };
        for (j, x) in items.iter().enumerate() {
            if x.is_null() {
                return Err(FuncError::arg(
                    i,
                    format!("element {j} is null; cannot concatenate null values"),
                ));
            }
            let s = x
                .coerce_string()
                .ok_or_else(|| FuncError::arg(i, format!("element {j}: string required")))?;
            parts.push(s);
        }
    }
    Ok(Value::String(parts.join(&sep)))
}

fn split(a: &[Value]) -> Result<Value, FuncError> {
    let sep = string(a, 0)?;
    let s = string(a, 1)?;
    // Go's strings.Split with an empty separator splits into characters, with no empty ends.
    let parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        s.split(sep.as_str()).map(Value::string).collect()
    };
    Ok(Value::List(parts))
}

fn replace(a: &[Value]) -> Result<Value, FuncError> {
    let s = string(a, 0)?;
    let substr = string(a, 1)?;
    let repl = string(a, 2)?;
    if substr.len() >= 2 && substr.starts_with('/') && substr.ends_with('/') {
        // RE2 syntax, as Terraform's Go regexp; `$1` / `${name}` expand in the replacement.
        let re = regex_lite::Regex::new(&substr[1..substr.len() - 1]).map_err(|e| {
            FuncError::arg(
                1,
                format!("invalid regular expression {}: {e}", quote(&substr)),
            )
        })?;
        return Ok(Value::String(
            re.replace_all(&s, repl.as_str()).into_owned(),
        ));
    }
    Ok(Value::String(s.replace(&substr, &repl)))
}

#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    space: bool,
    zero: bool,
    sharp: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// The largest width or precision `format` takes, as Go's fmt.
const MAX_FORMAT_WIDTH: usize = 1_000_000;

/// Terraform's `format`: Go's fmt verbs applied to HCL values, with cty's conversions (a number
/// is accepted for `%s`, a numeric string for `%d`).
fn format_fn(a: &[Value]) -> Result<Value, FuncError> {
    let fmt_str = string(a, 0)?;
    let vals = &a[1..];
    let chars: Vec<(usize, char)> = fmt_str.char_indices().collect();
    let mut out = String::new();
    let mut pos = 0;
    let mut next_arg = 0usize;
    let mut used = 0usize;
    let mut explicit_index = false;
    while pos < chars.len() {
        let (start, c) = chars[pos];
        pos += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&(_, f)) = chars.get(pos) {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            pos += 1;
        }
        let mut read_index = |pos: &mut usize| -> Result<(), FuncError> {
            if chars.get(*pos).map(|p| p.1) != Some('[') {
                return Ok(());
            }
            let digits: String = chars[*pos + 1..]
                .iter()
                .map(|p| p.1)
                .take_while(char::is_ascii_digit)
                .collect();
            let close = *pos + 1 + digits.chars().count();
            match (digits.parse::<usize>(), chars.get(close).map(|p| p.1)) {
                (Ok(n), Some(']')) if n >= 1 => {
                    next_arg = n - 1;
                    explicit_index = true;
                    *pos = close + 1;
                    Ok(())
                }
                // cty's scanner wants a digit from 1 to 9 first, then digits, then `]`.
                _ => {
                    let bad = if digits.starts_with('0') {
                        *pos + 1
                    } else {
                        close
                    };
                    Err(unrecognized(&chars, bad))
                }
            }
        };
        read_index(&mut pos)?;
        // Go's fmt takes widths and precisions up to a million; past that (or past what a
        // number holds) they were ignored, or asked for gigabytes of padding, or panicked.
        let read_num = |pos: &mut usize, what: &str| -> Result<Option<usize>, FuncError> {
            let digits: String = chars[*pos..]
                .iter()
                .map(|p| p.1)
                .take_while(char::is_ascii_digit)
                .collect();
            *pos += digits.len();
            if digits.is_empty() {
                return Ok(None);
            }
            match digits.parse::<usize>() {
                Ok(n) if n <= MAX_FORMAT_WIDTH => Ok(Some(n)),
                _ => Err(FuncError::arg(
                    0,
                    format!(
                        "{what} {digits} at offset {start} is too large: at most {MAX_FORMAT_WIDTH}"
                    ),
                )),
            }
        };
        spec.width = read_num(&mut pos, "width")?;
        if chars.get(pos).map(|p| p.1) == Some('.') {
            pos += 1;
            spec.precision = Some(read_num(&mut pos, "precision")?.unwrap_or(0));
        }
        read_index(&mut pos)?;
        let Some(&(verb_at, verb)) = chars.get(pos) else {
            return Err(FuncError::arg(
                0,
                format!("unterminated format verb at offset {start}"),
            ));
        };
        pos += 1;
        let end = verb_at + verb.len_utf8();
        let spec_text = &fmt_str[start..end];
        if verb == '%' {
            out.push('%');
            continue;
        }
        if !verb.is_ascii_alphabetic() {
            return Err(unrecognized(&chars, pos - 1));
        }
        if !"vstqdboxXeEfFgG".contains(verb) {
            return Err(FuncError::arg(
                0,
                format!(
                    "unsupported format verb '{verb}' in {} at offset {start}",
                    quote(spec_text)
                ),
            ));
        }
        let i = next_arg;
        next_arg += 1;
        let Some(v) = vals.get(i) else {
            return Err(FuncError::call(format!(
                "not enough arguments for {} at {start}: need index {} but have {} total",
                quote(spec_text),
                i + 1,
                vals.len()
            )));
        };
        used = used.max(i + 1);
        let body = format_value(verb, &spec, v).map_err(|m| {
            FuncError::arg(
                i + 1,
                format!("unsupported value for {} at {start}: {m}", quote(spec_text)),
            )
        })?;
        out.push_str(&pad(body, &spec, !"vstq".contains(verb)));
    }
    if !explicit_index && used < vals.len() {
        return Err(FuncError::arg(
            used + 1,
            if used == 0 {
                "too many arguments; no verbs in format string".to_string()
            } else {
                format!("too many arguments; only {used} used by format string")
            },
        ));
    }
    Ok(Value::String(out))
}

fn pad(body: String, spec: &Spec, numeric: bool) -> String {
    let Some(width) = spec.width else {
        return body;
    };
    // Widths count grapheme clusters, as cty's format does ("e\u{301}" is one).
    let len = body.graphemes(true).count();
    if len >= width {
        return body;
    }
    let fill = width - len;
    if !numeric {
        // cty pads %v, %s and %q itself, with zeros when asked, on either side.
        let pads = (if spec.zero { "0" } else { " " }).repeat(fill);
        return if spec.minus {
            body + &pads
        } else {
            pads + &body
        };
    }
    if spec.minus {
        format!("{body}{}", " ".repeat(fill))
    } else if spec.zero && numeric {
        // Zeros go between the sign and the digits: %05.1f of -2.345 is "-02.3".
        let sign_len = usize::from(body.starts_with(['-', '+', ' ']));
        format!(
            "{}{}{}",
            &body[..sign_len],
            "0".repeat(fill),
            &body[sign_len..]
        )
    } else {
        format!("{}{body}", " ".repeat(fill))
    }
}

fn format_value(verb: char, spec: &Spec, v: &Value) -> Result<String, String> {
    if v.is_null() {
        return if verb == 'v' {
            Ok("null".into())
        } else {
            Err("null value cannot be formatted".into())
        };
    }
    match verb {
        'v' => Ok(match v {
            Value::String(s) if !spec.sharp => s.clone(),
            Value::Number(n) if !spec.sharp => {
                let mut t = String::new();
                n.format_into(&mut t, 'g', None);
                t
            }
            Value::Bool(b) if !spec.sharp => b.to_string(),
            other => json_encode(other),
        }),
        's' | 'q' => {
            let s = v.coerce_string().ok_or_else(|| required("string", v))?;
            let s = match spec.precision {
                // cty truncates only for a positive precision: %.0s is the whole string.
                Some(p) if p > 0 => s.graphemes(true).take(p).collect(),
                _ => s,
            };
            Ok(if verb == 'q' { quote(&s) } else { s })
        }
        't' => Ok(v
            .coerce_bool()
            .ok_or_else(|| required("bool", v))?
            .to_string()),
        'd' | 'b' | 'o' | 'x' | 'X' => {
            let n = v.to_number().ok_or_else(|| required("number", v))?;
            let int = n.to_bigint().ok_or("an integer is required")?;
            let mag = int.magnitude();
            let mut digits = match verb {
                'd' => mag.to_str_radix(10),
                'b' => mag.to_str_radix(2),
                'o' => mag.to_str_radix(8),
                'x' => mag.to_str_radix(16),
                _ => mag.to_str_radix(16).to_uppercase(),
            };
            if let Some(p) = spec.precision
                && digits.len() < p
            {
                digits = format!("{}{digits}", "0".repeat(p - digits.len()));
            }
            if spec.sharp {
                let prefix = match verb {
                    'b' => "0b",
                    'o' => "0",
                    'x' => "0x",
                    'X' => "0X",
                    _ => "",
                };
                digits = format!("{prefix}{digits}");
            }
            Ok(format!("{}{digits}", sign(n.is_negative(), spec)))
        }
        _ => {
            // Go's big.Float formatting: %e and %f default to 6 decimals, %g to the shortest.
            let n = v.to_number().ok_or_else(|| required("number", v))?;
            let lower = verb.to_ascii_lowercase();
            let precision = match lower {
                'g' => spec.precision,
                _ => Some(spec.precision.unwrap_or(6)),
            };
            let mut body = String::new();
            n.abs().format_into(&mut body, lower, precision);
            let sign = if n.is_infinite() {
                // Go writes the sign of an infinity always: a space flag replaces a plus.
                body.remove(0);
                match (n.is_negative(), spec.space) {
                    (true, _) => "-",
                    (false, true) => " ",
                    (false, false) => "+",
                }
            } else {
                sign(n.is_negative(), spec)
            };
            if verb.is_ascii_uppercase() && !n.is_infinite() {
                body = body.to_uppercase();
            }
            Ok(format!("{sign}{body}"))
        }
    }
}

/// cty's conversion error, as `format` reports it: the type it has is named only when it is a
/// primitive one.
fn required(what: &str, v: &Value) -> String {
    match v {
        // A conversion from a string exists but this string does not fit it.
        Value::String(_) if what != "string" => format!("a {what} is required"),
        Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            format!("{what} required, but have {}", v.type_name())
        }
        _ => format!("{what} required"),
    }
}

/// cty's scanner error for a character it does not expect at character index `i`.
fn unrecognized(chars: &[(usize, char)], i: usize) -> FuncError {
    match chars.get(i) {
        Some(&(at, c)) => FuncError::arg(
            0,
            format!("unrecognized format character '{c}' at offset {at}"),
        ),
        None => FuncError::arg(
            0,
            "unterminated format verb at the end of the format string",
        ),
    }
}

fn sign(negative: bool, spec: &Spec) -> &'static str {
    if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    }
}
