//! The built-in functions, with Terraform's semantics and, as far as practical, its error wording.
//!
//! Users arrive with Terraform habits and Terraform documentation, so a function that answers
//! differently from Terraform's is a trap: results here are checked against Terraform's documented
//! examples and the vectors of `tests/vectors/`, including its quirks such as `element` wrapping
//! around and `cidrsubnets` packing subnets in order.
//!
//! Every function is one row of one table ([`Func`]): its parameters and whether each takes null
//! or unknown values, its variadic tail, how it treats sensitive values, and its implementation.
//! The generic checks (arity, null, unknown) are done once here from that row, so an
//! implementation only ever sees arguments it declared it can handle.
//!
//! Errors are returned as a lowercase fragment without a final period, the way cty words them, so
//! the evaluator can wrap them as Terraform does (`Call to function "index" failed: item not
//! found.`) and point at the offending argument via [`FuncError::arg`].
//!
//! `try` and `can` need their arguments unevaluated, so the evaluator handles them itself; their
//! rows are marked [`Func::lazy`] so that the name is known and misspellings get a suggestion.

mod collection;
mod conversion;
mod crypto;
mod datetime;
mod encoding;
mod filesystem;
mod ipnet;
mod numeric;
mod string;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::LazyLock;

use super::value::{Number, Value};

pub(crate) use filesystem::template_vars;

pub struct FuncCtx<'a> {
    /// Directory `file()` paths are relative to: the configuration's directory.
    pub base_dir: &'a Path,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FuncError {
    pub message: String,
    /// Index of the argument at fault, so the error can point at it; `None` when the call as a
    /// whole is wrong (e.g. arity).
    pub arg: Option<usize>,
}

impl FuncError {
    pub(crate) fn call(message: impl Into<String>) -> FuncError {
        FuncError {
            message: message.into(),
            arg: None,
        }
    }

    pub(crate) fn arg(i: usize, message: impl Into<String>) -> FuncError {
        FuncError {
            message: message.into(),
            arg: Some(i),
        }
    }
}

impl fmt::Display for FuncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FuncError {}

pub(crate) type FnResult = Result<Value, FuncError>;

/// One parameter of a function.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    /// Null is an acceptable value; otherwise the call fails with "argument must not be null".
    pub allow_null: bool,
    /// The implementation copes with unknown values (or unknown parts) here; otherwise an
    /// argument that is not wholly known makes the result unknown without calling it.
    pub allow_unknown: bool,
}

impl Param {
    pub const fn new(name: &'static str) -> Param {
        Param {
            name,
            allow_null: false,
            allow_unknown: false,
        }
    }

    pub const fn null(mut self) -> Param {
        self.allow_null = true;
        self
    }

    pub const fn unknown(mut self) -> Param {
        self.allow_unknown = true;
        self
    }
}

/// How a function treats sensitive arguments. Values carry no marks in this evaluator (the
/// planner tracks sensitivity by reference), so this documents the contract the planner relies
/// on: `Propagate` results are as sensitive as their arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sensitivity {
    Propagate,
    /// `sensitive()`: the result is sensitive.
    Mark,
    /// `nonsensitive()`: the result is not.
    Unmark,
    /// `issensitive()`: inspects the mark; the result (a bool) is never sensitive.
    Inspect,
}

pub(crate) type Impl = fn(&[Value], &FuncCtx) -> FnResult;

/// One built-in function.
pub struct Func {
    pub name: &'static str,
    pub params: &'static [Param],
    /// The parameter every argument past `params` is checked against.
    pub variadic: Option<Param>,
    /// A cap on the total number of arguments of a variadic function (`lookup`, `range`).
    pub max_args: Option<usize>,
    pub sensitivity: Sensitivity,
    /// Evaluated by the evaluator with its arguments unevaluated (`try`, `can`).
    pub lazy: bool,
    pub imp: Impl,
}

impl Func {
    /// A function of fixed parameters.
    pub(crate) const fn new(name: &'static str, params: &'static [Param], imp: Impl) -> Func {
        Func {
            name,
            params,
            variadic: None,
            max_args: None,
            sensitivity: Sensitivity::Propagate,
            lazy: false,
            imp,
        }
    }

    pub(crate) const fn variadic(mut self, p: Param) -> Func {
        self.variadic = Some(p);
        self
    }

    pub(crate) const fn at_most(mut self, n: usize) -> Func {
        self.max_args = Some(n);
        self
    }

    pub(crate) const fn sensitivity(mut self, s: Sensitivity) -> Func {
        self.sensitivity = s;
        self
    }

    pub(crate) const fn lazy(mut self) -> Func {
        self.lazy = true;
        self
    }

    /// Minimum and maximum (`None` = unbounded) argument counts.
    pub fn arity(&self) -> (usize, Option<usize>) {
        let min = self.params.len();
        match self.variadic {
            None => (min, Some(min)),
            Some(_) => (min, self.max_args),
        }
    }

    fn param(&self, i: usize) -> Option<&Param> {
        self.params.get(i).or(self.variadic.as_ref())
    }
}

/// Every function, by name.
static TABLE: LazyLock<BTreeMap<&'static str, &'static Func>> = LazyLock::new(|| {
    [
        collection::FUNCS,
        conversion::FUNCS,
        crypto::FUNCS,
        datetime::FUNCS,
        encoding::FUNCS,
        filesystem::FUNCS,
        ipnet::FUNCS,
        numeric::FUNCS,
        string::FUNCS,
    ]
    .into_iter()
    .flatten()
    .map(|f| (f.name, f))
    .collect()
});

/// The function called `name`, if there is one.
pub fn get(name: &str) -> Option<&'static Func> {
    TABLE.get(name).copied()
}

/// Every function name the language knows, sorted.
pub fn names() -> impl Iterator<Item = &'static str> {
    TABLE.keys().copied()
}

fn check_arity(f: &Func, n: usize) -> Result<(), FuncError> {
    let (min, max) = f.arity();
    let too_many = max.is_some_and(|m| n > m);
    if n >= min && !too_many {
        return Ok(());
    }
    let noun = |k: usize| if k == 1 { "argument" } else { "arguments" };
    let expects = match max {
        Some(m) if m == min => format!("exactly {min} {}", noun(min)),
        Some(m) if m == min + 1 => format!("{min} or {m} arguments"),
        Some(m) => format!("{min} to {m} arguments"),
        None => format!("at least {min} {}", noun(min)),
    };
    let given = if n == 1 {
        "1 was given".to_string()
    } else {
        format!("{n} were given")
    };
    Err(FuncError {
        message: format!("function \"{}\" expects {expects}, but {given}", f.name),
        arg: if too_many { max } else { None },
    })
}

fn no_such_function(name: &str) -> FuncError {
    let suggestion = names()
        .map(|k| (strsim::jaro_winkler(name, k), k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    FuncError::call(match suggestion {
        Some((_, k)) => format!("there is no function named \"{name}\"; did you mean \"{k}\"?"),
        None => format!("there is no function named \"{name}\""),
    })
}

/// Calls the built-in function `name`.
pub fn call(name: &str, args: Vec<Value>, ctx: &FuncCtx) -> FnResult {
    let Some(f) = get(name) else {
        return Err(no_such_function(name));
    };
    check_arity(f, args.len())?;
    if f.lazy {
        // Only reachable if the evaluator forgets to intercept them.
        return Err(FuncError::call(format!(
            "\"{name}\" must be evaluated by the expression evaluator, not called as a plain function"
        )));
    }
    for (i, a) in args.iter().enumerate() {
        let p = f.param(i).copied().unwrap_or(Param::new("arg"));
        if a.is_null() && !p.allow_null {
            return Err(FuncError::arg(i, "argument must not be null"));
        }
    }
    for (i, a) in args.iter().enumerate() {
        let p = f.param(i).copied().unwrap_or(Param::new("arg"));
        if !p.allow_unknown && !a.is_wholly_known() {
            return Ok(Value::unknown());
        }
    }
    (f.imp)(&args, ctx)
}

// ---- argument helpers ------------------------------------------------------------------------

pub(crate) fn string(args: &[Value], i: usize) -> Result<String, FuncError> {
    args[i]
        .coerce_string()
        .ok_or_else(|| FuncError::arg(i, "string required"))
}

pub(crate) fn num(args: &[Value], i: usize) -> Result<Number, FuncError> {
    args[i]
        .to_number()
        .ok_or_else(|| FuncError::arg(i, "number required"))
}

/// The argument as the nearest `f64`, for the functions whose arguments are small (widths,
/// prefix lengths, durations) or that cty computes in float64.
pub(crate) fn number(args: &[Value], i: usize) -> Result<f64, FuncError> {
    num(args, i).map(|n| n.to_f64())
}

pub(crate) fn whole(args: &[Value], i: usize) -> Result<f64, FuncError> {
    let n = num(args, i)?;
    if !n.is_integer() {
        return Err(FuncError::arg(i, "value must be a whole number"));
    }
    Ok(n.to_f64())
}

/// Quotes like Go's `%q` for the strings that matter (keys, paths) in messages.
pub(crate) fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

pub(crate) fn unknown() -> FnResult {
    Ok(Value::unknown())
}
