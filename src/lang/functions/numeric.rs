//! Numeric functions.

use num_bigint::BigInt;

use super::{FnResult, Func, FuncError, Param, num, number};
use crate::lang::value::{Number, Value};

const NUM: Param = Param::new("num");

pub(super) const FUNCS: &[Func] = &[
    Func::new("max", &[], |a, _| min_max(a, false)).variadic(Param::new("numbers")),
    Func::new("min", &[], |a, _| min_max(a, true)).variadic(Param::new("numbers")),
    Func::new("range", &[Param::new("start")], |a, _| range(a))
        .variadic(Param::new("params"))
        .at_most(3),
    Func::new("abs", &[NUM], |a, _| Ok(Value::Number(num(a, 0)?.abs()))),
    Func::new("ceil", &[NUM], |a, _| Ok(Value::Number(num(a, 0)?.ceil()))),
    Func::new("floor", &[NUM], |a, _| {
        Ok(Value::Number(num(a, 0)?.floor()))
    }),
    Func::new("signum", &[NUM], |a, _| {
        let n = num(a, 0)?;
        Ok(Value::from(if n.is_negative() {
            -1
        } else if n.is_zero() {
            0
        } else {
            1
        }))
    }),
    Func::new("log", &[NUM, Param::new("base")], |a, _| {
        not_nan(number(a, 0)?.ln() / number(a, 1)?.ln())
    }),
    Func::new("pow", &[NUM, Param::new("power")], |a, _| {
        not_nan(number(a, 0)?.powf(number(a, 1)?))
    }),
    Func::new(
        "parseint",
        &[Param::new("number"), Param::new("base")],
        |a, _| parseint(a),
    ),
];

fn not_nan(n: f64) -> FnResult {
    if n.is_nan() {
        return Err(FuncError::call("result is not a number"));
    }
    Ok(Value::from_f64(n))
}

/// Go's `big.Int.SetString`: an optional sign, then digits of the base; past base 36 lower-case
/// letters come before upper-case ones.
fn parseint(a: &[Value]) -> FnResult {
    let Value::String(text) = &a[0] else {
        return Err(FuncError::arg(
            0,
            format!("first argument must be a string, not {}", a[0].type_name()),
        ));
    };
    let base = number(a, 1)?;
    if base.fract() != 0.0 || !(2.0..=62.0).contains(&base) {
        return Err(FuncError::arg(
            1,
            "base must be a whole number between 2 and 62 inclusive",
        ));
    }
    let base = base as u32;
    let bad = || {
        FuncError::arg(
            0,
            format!(
                "cannot parse {} as a base {base} integer",
                super::quote(text)
            ),
        )
    };
    let (neg, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text.as_str()),
    };
    if digits.is_empty() {
        return Err(bad());
    }
    let mut n = BigInt::from(0);
    for c in digits.chars() {
        let d = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 10,
            'A'..='Z' if base <= 36 => c as u32 - 'A' as u32 + 10,
            'A'..='Z' => c as u32 - 'A' as u32 + 36,
            _ => return Err(bad()),
        };
        if d >= base {
            return Err(bad());
        }
        n = n * base + d;
    }
    Ok(Value::Number(Number::from_bigint(&if neg {
        -n
    } else {
        n
    })))
}

/// Terraform refuses to build more than this many elements, so a typo in `range` fails fast
/// instead of exhausting memory.
const RANGE_LIMIT: usize = 1024;

fn range(a: &[Value]) -> Result<Value, FuncError> {
    let nums = (0..a.len())
        .map(|i| num(a, i))
        .collect::<Result<Vec<_>, _>>()?;
    let unit = |down: bool| Number::from(if down { -1 } else { 1 });
    let (start, end, step) = match nums.as_slice() {
        [end] => (Number::zero(), end.clone(), unit(end.is_negative())),
        [start, end] => (start.clone(), end.clone(), unit(end < start)),
        [start, end, step] => (start.clone(), end.clone(), step.clone()),
        _ => unreachable!("arity is checked to be 1 to 3"),
    };
    let step_arg = a.len().saturating_sub(1);
    let (up, down) = (!step.is_negative(), step.is_negative());
    if step.is_zero() {
        return Err(FuncError::arg(step_arg, "step must not be zero"));
    }
    if down && end > start {
        return Err(FuncError::arg(
            step_arg,
            "end must be less than start when step is negative",
        ));
    }
    if up && end < start {
        return Err(FuncError::arg(
            step_arg,
            "end must be greater than start when step is positive",
        ));
    }
    let mut out = Vec::new();
    let mut v = start;
    while (up && v < end) || (down && v > end) {
        if out.len() >= RANGE_LIMIT {
            return Err(FuncError::call(
                "more than 1024 values were generated; either decrease the difference between \
                 start and end or use a smaller step",
            ));
        }
        let next = v.add(&step).map_err(|e| FuncError::call(e.to_string()))?;
        out.push(Value::Number(v));
        v = next;
    }
    Ok(Value::List(out))
}

fn min_max(a: &[Value], min: bool) -> Result<Value, FuncError> {
    if a.is_empty() {
        return Err(FuncError::call("must pass at least one number"));
    }
    let mut best = num(a, 0)?;
    for i in 1..a.len() {
        let n = num(a, i)?;
        if (min && n < best) || (!min && n > best) {
            best = n;
        }
    }
    Ok(Value::Number(best))
}
