//! Encoding functions: JSON, YAML, CSV, base64 and URL encoding.

use base64::Engine;

use super::{FnResult, Func, FuncError, Param, quote, string};

mod codepages;
mod yaml;
use crate::lang::value::Value;

const STR: Param = Param::new("str");

pub(super) const FUNCS: &[Func] = &[
    Func::new("jsondecode", &[STR], |a, _| jsondecode(a)),
    Func::new("jsonencode", &[Param::new("val").null()], |a, _| {
        Ok(Value::String(json_encode(&a[0])))
    }),
    Func::new("base64encode", &[STR], |a, _| {
        Ok(Value::String(B64.encode(string(a, 0)?)))
    }),
    Func::new("base64decode", &[STR], |a, _| base64decode(a)),
    Func::new("base64gzip", &[STR], |a, _| base64gzip(a)),
    Func::new(
        "textencodebase64",
        &[Param::new("string"), Param::new("encoding")],
        |a, _| textencodebase64(a),
    ),
    Func::new(
        "textdecodebase64",
        &[Param::new("source"), Param::new("encoding")],
        |a, _| textdecodebase64(a),
    ),
    Func::new("urlencode", &[STR], |a, _| {
        Ok(Value::String(urlencode(&string(a, 0)?)))
    }),
    Func::new("csvdecode", &[STR], |a, _| csvdecode(a)),
    Func::new("yamlencode", &[Param::new("value").null()], |a, _| {
        Ok(Value::String(yaml::encode(&a[0])))
    }),
    Func::new("yamldecode", &[Param::new("src")], |a, _| {
        yaml::decode(&string(a, 0)?).map_err(|e| FuncError::arg(0, e))
    }),
];

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn base64decode(a: &[Value]) -> FnResult {
    let s = string(a, 0)?;
    let bytes = B64
        .decode(&s)
        .map_err(|_| FuncError::arg(0, format!("failed to decode base64 data {}", quote(&s))))?;
    String::from_utf8(bytes).map(Value::String).map_err(|_| {
        FuncError::arg(
            0,
            "the result of decoding the provided string is not valid UTF-8",
        )
    })
}

/// Gzip, then base64. The bytes differ from Terraform's (Go's deflate makes other, equally valid
/// choices) but decompress to the same text.
fn base64gzip(a: &[Value]) -> FnResult {
    use std::io::Write;
    let s = string(a, 0)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(s.as_bytes())
        .and_then(|()| gz.finish())
        .map(|bytes| Value::String(B64.encode(bytes)))
        .map_err(|e| FuncError::call(format!("failed to write gzip raw data: {e}")))
}

/// The encodings `textencodebase64` knows: Unicode's and ASCII's here, the legacy ones (GBK,
/// windows-1250, Shift_JIS…) through encoding_rs's tables, IBM's code pages through ours.
#[derive(Clone, Copy)]
enum TextEncoding {
    Utf8,
    /// IANA's `UTF-16`: big-endian with a byte order mark written, and read when there is one.
    Utf16Bom,
    Utf16Le,
    Utf16Be,
    Latin1,
    Ascii,
    Legacy(&'static encoding_rs::Encoding),
    Page(&'static codepages::CodePage),
}

/// Labels WHATWG gives an encoding that IANA's registry (Terraform's index) does not know.
fn whatwg_only(label: &str) -> bool {
    label.starts_with("x-") || matches!(label, "iso-8859-11" | "tis-620" | "dos-874")
}

fn text_encoding(a: &[Value], i: usize) -> Result<(TextEncoding, String), FuncError> {
    let name = string(a, i)?;
    let unsupported = || {
        FuncError::arg(
            i,
            format!(
                "{} is not a supported IANA encoding name or alias in this Terraform version",
                quote(&name)
            ),
        )
    };
    let enc = match name.to_ascii_lowercase().replace('_', "-").as_str() {
        "utf-8" | "utf8" | "unicode-1-1-utf-8" => TextEncoding::Utf8,
        "utf-16" => TextEncoding::Utf16Bom,
        "utf-16le" => TextEncoding::Utf16Le,
        "utf-16be" => TextEncoding::Utf16Be,
        "iso-8859-1" | "latin1" | "l1" | "iso8859-1" | "iso-ir-100" | "cp819" => {
            TextEncoding::Latin1
        }
        "us-ascii" | "ascii" => TextEncoding::Ascii,
        // IANA's Microsoft code page names for what WHATWG calls GBK.
        "cp936" | "ms936" | "windows-936" => TextEncoding::Legacy(encoding_rs::GBK),
        _ if let Some(page) = codepages::find(&name) => TextEncoding::Page(page),
        label if whatwg_only(label) => return Err(unsupported()),
        _ if encoding_rs::Encoding::for_label(name.to_ascii_lowercase().as_bytes()).is_some() => {
            match encoding_rs::Encoding::for_label(name.to_ascii_lowercase().as_bytes()) {
                Some(e) => TextEncoding::Legacy(e),
                None => TextEncoding::Ascii,
            }
        }
        _ => return Err(unsupported()),
    };
    let shown = match enc {
        TextEncoding::Legacy(e) => e.name().to_string(),
        TextEncoding::Page(p) => p.name.to_string(),
        _ => name,
    };
    Ok((enc, shown))
}

fn textencodebase64(a: &[Value]) -> FnResult {
    let s = string(a, 0)?;
    let (enc, name) = text_encoding(a, 1)?;
    let unrepresentable = || {
        FuncError::arg(
            0,
            format!("the given string contains characters that cannot be represented in {name}"),
        )
    };
    let bytes: Vec<u8> = match enc {
        TextEncoding::Legacy(e) => {
            let (bytes, _, unmappable) = e.encode(&s);
            if unmappable {
                return Err(unrepresentable());
            }
            bytes.into_owned()
        }
        TextEncoding::Utf8 => s.into_bytes(),
        TextEncoding::Page(p) => s
            .chars()
            .map(|c| p.encode(c))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(unrepresentable)?,
        TextEncoding::Utf16Bom => [0xfe, 0xff]
            .into_iter()
            .chain(s.encode_utf16().flat_map(u16::to_be_bytes))
            .collect(),
        TextEncoding::Utf16Le => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        TextEncoding::Utf16Be => s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        TextEncoding::Latin1 | TextEncoding::Ascii => {
            let top = if matches!(enc, TextEncoding::Ascii) {
                0x7f
            } else {
                0xff
            };
            s.chars()
                .map(|c| u8::try_from(c as u32).ok().filter(|b| *b <= top))
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(unrepresentable)?
        }
    };
    Ok(Value::String(B64.encode(bytes)))
}

fn textdecodebase64(a: &[Value]) -> FnResult {
    let src = string(a, 0)?;
    let (enc, name) = text_encoding(a, 1)?;
    let bytes = B64.decode(&src).map_err(|e| match e {
        base64::DecodeError::InvalidByte(at, _) => FuncError::arg(
            0,
            format!("the given value has an invalid base64 symbol at offset {at}"),
        ),
        other => FuncError::arg(0, format!("invalid source string: {other}")),
    })?;
    let undefined = || {
        FuncError::arg(
            0,
            format!("the given string contains symbols that are not defined for {name}"),
        )
    };
    let text = match enc {
        TextEncoding::Legacy(e) => {
            let text = e
                .decode_without_bom_handling_and_without_replacement(&bytes)
                .ok_or_else(undefined)?
                .into_owned();
            // WHATWG decodes a single-byte code page's unassigned bytes as C1 controls; Go's
            // tables, like the code pages themselves, leave them undefined.
            if e.is_single_byte() && text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)) {
                return Err(undefined());
            }
            text
        }
        TextEncoding::Utf8 => String::from_utf8(bytes).map_err(|_| undefined())?,
        TextEncoding::Page(p) => bytes.iter().map(|b| p.decode(*b)).collect(),
        TextEncoding::Utf16Le | TextEncoding::Utf16Be | TextEncoding::Utf16Bom => {
            if bytes.len() % 2 != 0 {
                return Err(undefined());
            }
            // A byte order mark decides, and is not part of the text.
            let (little, body) = match (enc, bytes.get(..2)) {
                (TextEncoding::Utf16Bom, Some([0xff, 0xfe])) => (true, &bytes[2..]),
                (TextEncoding::Utf16Bom, Some([0xfe, 0xff])) => (false, &bytes[2..]),
                (e, _) => (matches!(e, TextEncoding::Utf16Le), &bytes[..]),
            };
            let units: Vec<u16> = body
                .chunks(2)
                .map(|p| {
                    if little {
                        u16::from_le_bytes([p[0], p[1]])
                    } else {
                        u16::from_be_bytes([p[0], p[1]])
                    }
                })
                .collect();
            String::from_utf16(&units).map_err(|_| undefined())?
        }
        TextEncoding::Latin1 => bytes.iter().map(|b| *b as char).collect(),
        TextEncoding::Ascii => {
            if bytes.iter().any(|b| *b > 0x7f) {
                return Err(undefined());
            }
            bytes.iter().map(|b| *b as char).collect()
        }
    };
    Ok(Value::String(text))
}

/// Go's `url.QueryEscape`: unreserved characters stay, a space is `+`, the rest is `%XX`.
fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// Go's CSV reader refuses quotes that the csv crate lets through: a `"` inside a field that
/// did not start with one, and text after a quoted field's closing quote.
fn check_quotes(s: &str) -> Result<(), String> {
    let (mut line, mut field_start, mut quoted, mut closed) = (1, true, false, false);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                }
                '"' => {
                    quoted = false;
                    closed = true;
                }
                '\n' => line += 1,
                _ => {}
            }
            continue;
        }
        match c {
            ',' | '\n' => {
                if c == '\n' {
                    line += 1;
                }
                field_start = true;
                closed = false;
                continue;
            }
            '\r' if chars.peek() == Some(&'\n') => continue,
            '"' if field_start => quoted = true,
            '"' => {
                return Err(format!(
                    "CSV parse error on line {line}: bare \" in non-quoted-field"
                ));
            }
            _ if closed => {
                return Err(format!(
                    "CSV parse error on line {line}: extraneous or missing \" in quoted-field"
                ));
            }
            _ => {}
        }
        field_start = false;
    }
    if quoted {
        return Err(format!(
            "CSV parse error on line {line}: extraneous or missing \" in quoted-field"
        ));
    }
    Ok(())
}

/// `csvdecode`: RFC 4180 with a header line; a list of objects whose values are all strings.
fn csvdecode(a: &[Value]) -> FnResult {
    let Value::String(s) = &a[0] else {
        return Err(FuncError::arg(
            0,
            format!("string required, but received {}", a[0].type_name()),
        ));
    };
    check_quotes(s).map_err(|e| FuncError::arg(0, e))?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(s.as_bytes());
    let mut records = r.records();
    let parse_error = |e: csv::Error| {
        let line = e.position().map_or(1, |p| p.line());
        let why = match e.kind() {
            csv::ErrorKind::UnequalLengths { .. } => "wrong number of fields".to_string(),
            _ => e.to_string(),
        };
        FuncError::arg(0, format!("CSV parse error on line {line}: {why}"))
    };
    let header = match records.next() {
        None => return Err(FuncError::arg(0, "missing header line")),
        Some(h) => h.map_err(parse_error)?,
    };
    let names: Vec<String> = header.iter().map(str::to_string).collect();
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            return Err(FuncError::arg(
                0,
                format!("duplicate column name {}", quote(n)),
            ));
        }
    }
    let mut out = Vec::new();
    for rec in records {
        let rec = rec.map_err(parse_error)?;
        out.push(Value::Map(
            names
                .iter()
                .cloned()
                .zip(rec.iter().map(Value::string))
                .collect(),
        ));
    }
    Ok(Value::List(out))
}

/// JSON as Terraform's `jsonencode` writes it: compact, keys sorted, and `<`, `>`, `&`, U+2028 and
/// U+2029 escaped (Go's encoder does this so the output is safe to embed in HTML and JavaScript).
pub(crate) fn json_encode(v: &Value) -> String {
    let mut raw = String::new();
    write_json(v, &mut raw);
    let mut out = String::with_capacity(raw.len());
    // These characters can only occur inside JSON strings, so escaping them everywhere is safe.
    for c in raw.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Compact JSON; unlike `serde_json`, whole numbers are written out in full (`1e20` as
/// `100000000000000000000`), as Terraform does.
fn write_json(v: &Value, out: &mut String) {
    match v {
        // cty writes every digit (`Text('f', -1)`), which serde_json's f64 cannot.
        Value::Number(n) if !n.is_infinite() => out.push_str(&n.to_text()),
        Value::List(items) | Value::Set(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(x, out);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&quote(k));
                out.push(':');
                write_json(x, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_json().to_string()),
    }
}

fn jsondecode(a: &[Value]) -> Result<Value, FuncError> {
    let s = string(a, 0)?;
    let j = serde_json::from_str::<serde_json::Value>(&s)
        .map_err(|e| FuncError::arg(0, e.to_string()))?;
    // serde_json keeps numbers as f64; cty reads their digits at 512 bits.
    let mut at = 0;
    Ok(exact_json(s.as_bytes(), &mut at).unwrap_or_else(|| Value::from_json(&j)))
}

/// Reads the JSON value at `at` (already known valid) with numbers from their own digits.
fn exact_json(src: &[u8], at: &mut usize) -> Option<Value> {
    let skip_ws = |at: &mut usize| {
        while src.get(*at).is_some_and(u8::is_ascii_whitespace) {
            *at += 1;
        }
    };
    skip_ws(at);
    let start = *at;
    let v = match *src.get(start)? {
        b'{' => {
            *at += 1;
            let mut m = std::collections::BTreeMap::new();
            loop {
                skip_ws(at);
                match src.get(*at)? {
                    b'}' => break,
                    b',' => *at += 1,
                    _ => {
                        let Value::String(k) = exact_json(src, at)? else {
                            return None;
                        };
                        skip_ws(at);
                        *at += 1; // the colon
                        m.insert(k, exact_json(src, at)?);
                    }
                }
            }
            *at += 1;
            Value::Map(m.into())
        }
        b'[' => {
            *at += 1;
            let mut items = Vec::new();
            loop {
                skip_ws(at);
                match src.get(*at)? {
                    b']' => break,
                    b',' => *at += 1,
                    _ => items.push(exact_json(src, at)?),
                }
            }
            *at += 1;
            Value::List(items)
        }
        b'"' => {
            *at += 1;
            while *src.get(*at)? != b'"' {
                *at += if src[*at] == b'\\' { 2 } else { 1 };
            }
            *at += 1;
            let text = std::str::from_utf8(&src[start..*at]).ok()?;
            Value::String(serde_json::from_str(text).ok()?)
        }
        b't' | b'f' | b'n' => {
            let word = src[start..]
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .count();
            *at += word;
            match &src[start..*at] {
                b"true" => Value::Bool(true),
                b"false" => Value::Bool(false),
                _ => Value::Null,
            }
        }
        _ => {
            let len = src[start..]
                .iter()
                .take_while(|c| c.is_ascii_digit() || b"+-.eE".contains(c))
                .count();
            *at += len;
            Value::Number(crate::lang::Number::parse(
                std::str::from_utf8(&src[start..*at]).ok()?,
            )?)
        }
    };
    Some(v)
}
