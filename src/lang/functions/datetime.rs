//! Date and time functions over RFC 3339 timestamps.
//!
//! `timestamp()` and `plantimestamp()` read the project's clock ([`crate::clock`]), which tests
//! pin with `NETFORM_CLOCK`. A timestamp keeps the offset it was written with: `timeadd` and
//! `formatdate` answer in that offset, as Go's `time.Time` does.

use jiff::Timestamp;
use jiff::tz::Offset;

use super::{FnResult, Func, FuncError, Param, quote, string};
use crate::lang::value::Value;

pub(super) const FUNCS: &[Func] = &[
    Func::new("timestamp", &[], |_, _| {
        Ok(Value::String(crate::clock::now_rfc3339()))
    }),
    Func::new("plantimestamp", &[], |_, _| {
        Ok(Value::String(crate::clock::now_rfc3339()))
    }),
    Func::new(
        "formatdate",
        &[Param::new("format"), Param::new("time")],
        |a, _| formatdate(a),
    ),
    Func::new(
        "timeadd",
        &[Param::new("timestamp"), Param::new("duration")],
        |a, _| timeadd(a),
    ),
    Func::new(
        "timecmp",
        &[Param::new("timestamp_a"), Param::new("timestamp_b")],
        |a, _| {
            let x = parse_timestamp(a, 0)?;
            let y = parse_timestamp(a, 1)?;
            Ok(Value::from(match x.0.cmp(&y.0) {
                std::cmp::Ordering::Less => -1,
                std::cmp::Ordering::Equal => 0,
                std::cmp::Ordering::Greater => 1,
            }))
        },
    ),
];

/// An instant and the offset it was written in.
type Stamp = (Timestamp, Offset);

/// Strict RFC 3339: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
fn parse_timestamp(a: &[Value], i: usize) -> Result<Stamp, FuncError> {
    let s = string(a, i)?;
    parse_rfc3339(&s)
        .map_err(|why| FuncError::arg(i, format!("not a valid RFC3339 timestamp: {why}")))
}

fn parse_rfc3339(s: &str) -> Result<Stamp, String> {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize, what: &str| -> Result<i32, String> {
        let part = s
            .get(from..from + n)
            .ok_or_else(|| format!("end of string before {what}"))?;
        // Go names the rest of the text from where it stopped making sense.
        let rest = s.get(from..).unwrap_or_default();
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return Err(format!("cannot use {} as {what}", quote(rest)));
        }
        part.parse::<i32>()
            .map_err(|_| format!("cannot use {} as {what}", quote(rest)))
    };
    let expect = |at: usize, c: u8| -> Result<(), String> {
        match b.get(at) {
            Some(x) if *x == c => Ok(()),
            Some(_) if c == b'T' => Err("missing required time introducer 'T'".into()),
            Some(_) => Err(format!(
                "found {} where {} is expected",
                quote(&s[at..]),
                quote(&(c as char).to_string())
            )),
            None => Err(format!(
                "end of string where {} is expected",
                quote(&(c as char).to_string())
            )),
        }
    };
    let year = digits(0, 4, "year")?;
    expect(4, b'-')?;
    let month = digits(5, 2, "month")?;
    expect(7, b'-')?;
    let day = digits(8, 2, "day")?;
    expect(10, b'T')?;
    let hour = digits(11, 2, "hour")?;
    expect(13, b':')?;
    let minute = digits(14, 2, "minute")?;
    expect(16, b':')?;
    let second = digits(17, 2, "second")?;
    let mut at = 19;
    let mut nanos = 0i32;
    if b.get(at) == Some(&b'.') {
        let frac: String = s[at + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if frac.is_empty() {
            return Err("cannot use \".\" as second".into());
        }
        let padded = format!("{:0<9}", &frac[..frac.len().min(9)]);
        nanos = padded.parse().unwrap_or(0);
        at += 1 + frac.len();
    }
    let offset_secs = match b.get(at) {
        Some(b'Z') => {
            at += 1;
            0
        }
        Some(b'+' | b'-') => {
            let sign = if b[at] == b'-' { -1 } else { 1 };
            let h = digits(at + 1, 2, "UTC offset")?;
            expect(at + 3, b':')?;
            let m = digits(at + 4, 2, "UTC offset")?;
            at += 6;
            sign * (h * 3600 + m * 60)
        }
        None => return Err("end of string before UTC offset".into()),
        Some(_) => return Err(format!("cannot use {} as UTC offset", quote(&s[at..]))),
    };
    if at != s.len() {
        return Err(format!("extra text {} after timestamp", quote(&s[at..])));
    }
    let offset = Offset::from_seconds(offset_secs).map_err(|e| e.to_string())?;
    let dt = jiff::civil::DateTime::new(
        year as i16,
        month as i8,
        day as i8,
        hour as i8,
        minute as i8,
        second as i8,
        nanos,
    )
    .map_err(|e| e.to_string())?;
    let ts = offset.to_timestamp(dt).map_err(|e| e.to_string())?;
    Ok((ts, offset))
}

/// Go's `time.RFC3339` layout: whole seconds, `Z` for UTC.
fn format_rfc3339((ts, offset): Stamp) -> String {
    let z = offset.to_datetime(ts);
    let off = offset.seconds();
    let zone = if off == 0 {
        "Z".to_string()
    } else {
        let sign = if off < 0 { '-' } else { '+' };
        format!("{sign}{:02}:{:02}", off.abs() / 3600, off.abs() % 3600 / 60)
    };
    format!("{}{zone}", z.strftime("%Y-%m-%dT%H:%M:%S"))
}

fn timeadd(a: &[Value]) -> FnResult {
    let (ts, offset) = parse_timestamp(a, 0)?;
    let d = string(a, 1)?;
    let nanos = parse_duration(&d).map_err(|e| FuncError::arg(1, e))?;
    let span = jiff::SignedDuration::from_nanos(nanos);
    let t = ts
        .checked_add(span)
        .map_err(|e| FuncError::arg(1, format!("the result is out of range: {e}")))?;
    Ok(Value::String(format_rfc3339((t, offset))))
}

/// Go's `time.ParseDuration`: a sequence of decimal numbers with units (ns, us, µs, ms, s, m, h).
fn parse_duration(s: &str) -> Result<i64, String> {
    let bad = || format!("time: invalid duration {}", quote(s));
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." {
            return Err(bad());
        }
        let n: f64 = num.parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let scale = match unit {
            "" => return Err(format!("time: missing unit in duration {}", quote(s))),
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            other => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    quote(other),
                    quote(s)
                ));
            }
        };
        total += n * scale;
    }
    if total > i64::MAX as f64 {
        return Err(bad());
    }
    let t = total.round() as i64;
    Ok(if neg { -t } else { t })
}

/// `formatdate`: letters repeat to form verbs (`YYYY`, `MMM`, `hh`…); text in single quotes is
/// literal, and `''` is a quote.
fn formatdate(a: &[Value]) -> FnResult {
    let spec = string(a, 0)?;
    let stamp = parse_timestamp(a, 1)?;
    let z = stamp.1.to_datetime(stamp.0);
    let mut out = String::new();
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            let mut j = i + 1;
            let mut lit = String::new();
            loop {
                match chars.get(j) {
                    None => return Err(FuncError::arg(0, "unterminated literal '")),
                    Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                        lit.push('\'');
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(x) => {
                        lit.push(*x);
                        j += 1;
                    }
                }
            }
            out.push_str(&lit);
            i = j + 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let n = chars[i..].iter().take_while(|x| **x == c).count();
        let tok: String = chars[i..i + n].iter().collect();
        i += n;
        out.push_str(&date_verb(&tok, c, n, &z, stamp.1)?);
    }
    Ok(Value::String(out))
}

fn date_verb(
    tok: &str,
    c: char,
    n: usize,
    z: &jiff::civil::DateTime,
    offset: Offset,
) -> Result<String, FuncError> {
    let bad = |why: &str| {
        let q = quote(tok);
        FuncError::arg(
            0,
            if why.is_empty() {
                format!("invalid date format verb {q}")
            } else {
                format!("invalid date format verb {q}: {why}")
            },
        )
    };
    let num = |v: i64, why: &str| match n {
        1 => Ok(v.to_string()),
        2 => Ok(format!("{v:02}")),
        _ => Err(bad(why)),
    };
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const DAYS: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    let off = offset.seconds();
    let hhmm = |colon: bool| {
        let sign = if off < 0 { '-' } else { '+' };
        let sep = if colon { ":" } else { "" };
        format!(
            "{sign}{:02}{sep}{:02}",
            off.abs() / 3600,
            off.abs() % 3600 / 60
        )
    };
    match c {
        'Y' => match n {
            2 => Ok(format!("{:02}", z.year().rem_euclid(100))),
            4 => Ok(format!("{:04}", z.year())),
            _ => Err(bad("year must either be \"YY\" or \"YYYY\"")),
        },
        'M' => {
            let m = z.month() as usize;
            match n {
                1 | 2 => num(m as i64, ""),
                3 => Ok(MONTHS[m - 1][..3].to_string()),
                4 => Ok(MONTHS[m - 1].to_string()),
                _ => Err(bad("month must be \"M\", \"MM\", \"MMM\", or \"MMMM\"")),
            }
        }
        'D' => num(
            z.day() as i64,
            "day of month must either be \"D\" or \"DD\"",
        ),
        'E' => {
            let d = DAYS[z.weekday().to_sunday_zero_offset() as usize];
            match n {
                3 => Ok(d[..3].to_string()),
                4 => Ok(d.to_string()),
                _ => Err(bad("day of week must either be \"EEE\" or \"EEEE\"")),
            }
        }
        'h' => num(z.hour() as i64, "24-hour must either be \"h\" or \"hh\""),
        'H' => {
            let h = match z.hour() % 12 {
                0 => 12,
                h => h,
            };
            num(h as i64, "12-hour must either be \"H\" or \"HH\"")
        }
        'A' | 'a' => {
            if n != 2 {
                return Err(bad(&format!("must be \"{c}{c}\"")));
            }
            let pm = z.hour() >= 12;
            Ok(match (c, pm) {
                ('A', false) => "AM",
                ('A', true) => "PM",
                (_, false) => "am",
                (_, true) => "pm",
            }
            .to_string())
        }
        'm' => num(z.minute() as i64, "minute must either be \"m\" or \"mm\""),
        's' => num(z.second() as i64, "second must either be \"s\" or \"ss\""),
        'Z' => match n {
            1 if off == 0 => Ok("Z".into()),
            1 | 5 => Ok(hhmm(true)),
            3 if off == 0 => Ok("UTC".into()),
            3 | 4 => Ok(hhmm(false)),
            _ => Err(bad("timezone must be Z, ZZZZ, or ZZZZZ")),
        },
        _ => Err(bad("")),
    }
}
