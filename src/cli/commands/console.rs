//! `console`: evaluates expressions against the configuration and the state, as Terraform's
//! `terraform console` does. The values come from an offline plan (no refresh, no cloud call):
//! variables, locals, module outputs and every function, with resources as the state has them
//! (and `(known after apply)` for what only apply would know; data sources are not kept in
//! state, so they are unknown here). The state lock is held while the console runs and nothing
//! is written.
//!
//! Each line of stdin is one expression; a line that leaves a bracket, a string template or a
//! heredoc open continues on the next, as Terraform's interactive console does. Results print
//! as `terraform console` prints them (its `internal/repl/format.go`): strings quoted, lists,
//! sets and maps as `tolist([...])`, `toset([...])`, `tomap({...})` where the type is known to
//! be one (a typed variable, a function that returns one, a resource attribute), tuples and
//! objects as `[...]` and `{ "a" = 1 }`, one element per line. Sensitive values print as
//! `(sensitive value)`.
//!
//! Terraform's piped mode prints only the last result and stops at the first error; netform
//! prints every result, shows an error and goes on with the next line, and exits 1 at the end
//! when any line failed (a session at a terminal always exits 0).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, IsTerminal};

use hcl_edit::expr::{Expression, TraversalOperator};

use crate::cli::args::ConsoleArgs;
use crate::cli::context::Ctx;
use crate::cli::error::{CliError, Exit};
use crate::cli::ui;
use crate::config::Config;
use crate::config::Mode;
use crate::config::eval::{Expansion, Scope};
use crate::diag::{Diagnostic, SourceRange, Sources};
use crate::lang::Value;
use crate::lang::eval::{Evaluator, Ref, references};
use crate::lang::types::Type;
use crate::outln;
use crate::plan::modules::Taint;
use crate::plan::{self, PlanOptions};
use crate::schema::{self, AttrType};

pub fn run(ctx: &Ctx, a: &ConsoleArgs) -> Result<Exit, CliError> {
    let pa = a.plan_args();
    let mut cfg = ctx.load()?;
    let vars = ctx.vars(&mut cfg, &pa)?;
    let mut store = ctx.store_for(&cfg)?;
    if a.lock {
        store.lock(a.lock_timeout, "console")?;
    }
    let prior = store.read()?;
    let clouds = ctx.clouds(&cfg, &vars)?;
    let plan = plan::plan(
        plan::Inputs {
            cfg: &cfg,
            vars,
            prior,
            clouds: &clouds,
        },
        PlanOptions {
            offline: true,
            refresh: false,
            ..PlanOptions::default()
        },
    )
    .map_err(|d| CliError::diags(d.0, cfg.sources.clone()))?;
    ui().diags(&plan.warnings.0, &cfg.sources);
    let session = Session::new(&cfg, &plan.scope, sensitive_resources(&plan));
    let interactive = std::io::stdin().is_terminal();
    let failed = session.run(std::io::stdin().lock(), interactive);
    Ok(Exit(if failed && !interactive { 1 } else { 0 }))
}

/// Root resources (`TYPE.NAME`) with attributes derived from a sensitive value, and those
/// attributes.
fn sensitive_resources(p: &plan::Plan) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for c in p.changes.iter().filter(|c| c.address.module.is_empty()) {
        if !c.sensitive.is_empty() {
            out.entry(c.address.local_key())
                .or_default()
                .extend(c.sensitive.iter().cloned());
        }
    }
    out
}

/// What the console evaluates against.
struct Session<'a> {
    cfg: &'a Config,
    scope: &'a Scope,
    sensitive_resources: BTreeMap<String, BTreeSet<String>>,
    taint: Taint,
}

/// What one entry gave: a value to print, or an error.
enum Outcome {
    Shown(String),
    Failed(Box<Diagnostic>),
    Exit,
}

impl<'a> Session<'a> {
    fn new(
        cfg: &'a Config,
        scope: &'a Scope,
        sensitive_resources: BTreeMap<String, BTreeSet<String>>,
    ) -> Self {
        // The plan built the same graph, so it builds here.
        let taint = crate::graph::build(cfg)
            .map(|g| Taint::new(cfg, &g))
            .unwrap_or_default();
        Session {
            cfg,
            scope,
            sensitive_resources,
            taint,
        }
    }

    /// Reads entries until the input ends or `exit`; returns whether any entry failed.
    fn run(&self, input: impl BufRead, interactive: bool) -> bool {
        let mut sources = self.cfg.sources.clone();
        let mut failed = false;
        let mut lines: Vec<String> = Vec::new();
        let prompt = |open: bool| {
            if interactive {
                ui().out(if open { ": " } else { "> " });
            }
        };
        prompt(false);
        let mut input = input.lines();
        loop {
            let line = match input.next() {
                Some(Ok(l)) => Some(l),
                // Unreadable input (not UTF-8) ends the session like its end.
                Some(Err(_)) | None => None,
            };
            let ended = line.is_none();
            if let Some(l) = line {
                lines.push(l);
                if could_continue(&lines) {
                    prompt(true);
                    continue;
                }
            }
            if !lines.is_empty() {
                let text = lines.join("\n");
                lines.clear();
                match self.handle(&text, &mut sources) {
                    Outcome::Shown(s) => outln!(ui(), "{s}"),
                    Outcome::Failed(d) => {
                        failed = true;
                        ui().diags(std::slice::from_ref(&d), &sources);
                    }
                    Outcome::Exit => break,
                }
            }
            if ended {
                break;
            }
            prompt(false);
        }
        failed
    }

    fn handle(&self, text: &str, sources: &mut Sources) -> Outcome {
        match text.trim() {
            "" => return Outcome::Shown(String::new()),
            "exit" => return Outcome::Exit,
            "help" => return Outcome::Shown(HELP.trim().to_string()),
            _ => {}
        }
        let file = sources.add("<console-input>", text.to_string());
        let at = |span: Option<std::ops::Range<usize>>| {
            let r = span.unwrap_or(0..text.len());
            SourceRange {
                file,
                start: r.start.min(text.len()),
                end: r.end.min(text.len()),
            }
        };
        let expr = match hcl_edit::parser::parse_expr(text) {
            Ok(e) => e,
            Err(e) => {
                let start = text.floor_char_boundary(e.location().offset().min(text.len()));
                let msg = e.message().lines().next().unwrap_or("").to_string();
                return Outcome::Failed(Box::new(
                    Diagnostic::error(format!("syntax error: {msg}"))
                        .at(Some(at(Some(start..text.len()))))
                        .with_help("write one expression, such as var.name or upper(\"a\")"),
                ));
            }
        };
        let view = self.scope.view(&[]);
        match Evaluator::new(&view, &self.cfg.dir).eval(&expr) {
            Ok(mut v) => {
                let masked = !calls_sensitive(&expr) && self.mask_whole(&expr, &mut v);
                if !masked && self.is_sensitive(&expr) {
                    return Outcome::Shown(crate::lang::sensitive::SHOWN.to_string());
                }
                Outcome::Shown(format_value(&v, &self.hint(&expr), 0))
            }
            Err(e) => {
                let mut d = Diagnostic::error(e.message.clone()).at(Some(at(e.span)));
                if let Some(h) = e.help {
                    d = d.with_help(h);
                }
                // The evaluator keeps sensitive values out of its messages itself.
                Outcome::Failed(Box::new(d))
            }
        }
    }

    /// Whether the result derives from a sensitive value: a sensitive variable or a local
    /// derived from one, a sensitive module output, an attribute fed from one, or a
    /// `sensitive()` call. `nonsensitive()` and `issensitive()` at the top give a value that
    /// is not sensitive, as in Terraform.
    fn is_sensitive(&self, expr: &Expression) -> bool {
        if let Expression::FuncCall(f) = expr
            && matches!(f.name.name.as_str(), "nonsensitive" | "issensitive")
        {
            return false;
        }
        if calls_sensitive(expr) {
            return true;
        }
        let e = crate::config::Expr {
            file: 0,
            expr: expr.clone(),
        };
        self.taint.touches(&e) || self.reads_sensitive_attribute(expr)
    }

    /// Whether the expression reads a resource attribute derived from a sensitive value, or a
    /// whole resource that has one (`TYPE.NAME`, `TYPE.NAME[*]`).
    fn reads_sensitive_attribute(&self, expr: &Expression) -> bool {
        use hcl_edit::visit::{Visit, visit_traversal};
        struct V<'s>(&'s BTreeMap<String, BTreeSet<String>>, bool);
        impl Visit for V<'_> {
            fn visit_traversal(&mut self, t: &hcl_edit::expr::Traversal) {
                if let Expression::Variable(root) = &t.expr
                    && let Some(TraversalOperator::GetAttr(name)) =
                        t.operators.first().map(|o| &**o)
                    && let Some(hidden) = self.0.get(&format!("{}.{}", root.as_str(), name))
                {
                    // The attribute read: after the name, or after the instance's key.
                    let attr = t.operators[1..].iter().map(|o| &**o).find_map(|o| match o {
                        TraversalOperator::GetAttr(a) => Some(Some(a.as_str())),
                        TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_) => None,
                        _ => Some(None),
                    });
                    if attr.flatten().is_none_or(|a| hidden.contains(a)) {
                        self.1 = true;
                    }
                }
                visit_traversal(self, t);
            }
        }
        if references(expr)
            .iter()
            .all(|(r, _)| !matches!(r, Ref::Resource(false, ..)))
        {
            return false;
        }
        let mut v = V(&self.sensitive_resources, false);
        v.visit_expr(expr);
        v.1
    }

    /// A whole module call (`module.NAME`) or resource (`TYPE.NAME`): its sensitive outputs or
    /// attributes are masked one by one, as Terraform shows such an object. False when the
    /// expression is something else.
    fn mask_whole(&self, expr: &Expression, v: &mut Value) -> bool {
        let Expression::Traversal(t) = expr else {
            return false;
        };
        let (Expression::Variable(root), [op]) = (&t.expr, t.operators.as_slice()) else {
            return false;
        };
        let TraversalOperator::GetAttr(name) = &**op else {
            return false;
        };
        let (root, name) = (root.as_str(), name.as_str());
        match root {
            "var" | "local" | "path" | "data" | "count" | "each" | "self" | "terraform" => false,
            "module" => {
                let Some(call) = self.cfg.modules.get(name) else {
                    return false;
                };
                let repeated = call.count.is_some() || call.for_each.is_some();
                mask_objects(v, repeated, &|k| self.taint.output_is_sensitive(name, k));
                true
            }
            ty => {
                let key = format!("{ty}.{name}");
                let Some(r) = self.scope.resources.get(&key) else {
                    return false;
                };
                let repeated = r.expansion != Expansion::Single;
                let none = BTreeSet::new();
                let hidden = self.sensitive_resources.get(&key).unwrap_or(&none);
                mask_objects(v, repeated, &|k| hidden.contains(k));
                true
            }
        }
    }

    /// The type the result is known to have, as far as the expression says: what decides
    /// between `tolist([...])` and a tuple's `[...]`, `tomap({...})` and an object's `{...}`.
    fn hint(&self, expr: &Expression) -> Hint {
        hint_in(self.cfg, Some(self.scope), expr, 0)
    }
}

/// [`Session::hint`] for an expression of the module `m`; locals and module outputs are
/// followed into their own expressions (`depth` stops a chain that is too long to matter).
fn hint_in(m: &Config, scope: Option<&Scope>, expr: &Expression, depth: usize) -> Hint {
    if depth > 8 {
        return Hint::Any;
    }
    let Expression::Traversal(t) = expr else {
        return match expr {
            Expression::Parenthesis(p) => hint_in(m, scope, p.inner(), depth),
            Expression::FuncCall(f) => func_hint(f.name.name.as_str()),
            _ => Hint::Any,
        };
    };
    let Expression::Variable(root) = &t.expr else {
        return Hint::Any;
    };
    let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| &**o).collect();
    let name = |i: usize| match ops.get(i) {
        Some(TraversalOperator::GetAttr(n)) => Some(n.as_str()),
        _ => None,
    };
    let (base, used) = match (root.as_str(), name(0)) {
        ("var", Some(n)) => (m.variables.get(n).map_or(Hint::Any, |v| Hint::of(&v.ty)), 1),
        ("local", Some(n)) => (
            m.locals
                .get(n)
                .map_or(Hint::Any, |l| hint_in(m, None, &l.value.expr, depth + 1)),
            1,
        ),
        ("module", Some(n)) => (module_hint(m, n, depth), 1),
        ("data", Some(ty)) => match name(1) {
            Some(n) => (resource_hint(scope, true, ty, n), 2),
            None => return Hint::Any,
        },
        ("path" | "count" | "each" | "self" | "terraform", _) => return Hint::Any,
        (ty, Some(n)) => (resource_hint(scope, false, ty, n), 1),
        _ => return Hint::Any,
    };
    ops[used..].iter().fold(base, |h, op| h.step(op))
}

/// `module.NAME`: an object of its outputs (each typed as its expression says), a tuple of them
/// with `count`, an object of them by key with `for_each`.
fn module_hint(m: &Config, name: &str, depth: usize) -> Hint {
    let Some(call) = m.modules.get(name) else {
        return Hint::Any;
    };
    let child = &call.body;
    let obj = Hint::Obj(
        child
            .outputs
            .iter()
            .map(|(k, o)| (k.clone(), hint_in(child, None, &o.value.expr, depth + 1)))
            .collect(),
    );
    match (&call.count, &call.for_each) {
        (Some(_), _) => Hint::Seq(Box::new(obj)),
        (_, Some(_)) => Hint::Fields(Box::new(obj)),
        _ => obj,
    }
}

/// A resource as a whole: an object of its schema's attributes, a tuple of them with
/// `count`, an object of them by key with `for_each`.
fn resource_hint(scope: Option<&Scope>, data: bool, ty: &str, name: &str) -> Hint {
    let mode = if data { Mode::Data } else { Mode::Managed };
    let Some((s, _)) = schema::lookup(mode, ty) else {
        return Hint::Any;
    };
    let obj = Hint::Obj(
        s.attrs
            .iter()
            .map(|a| (a.name.to_string(), Hint::of_attr(a.ty)))
            .collect(),
    );
    let key = if data {
        format!("data.{ty}.{name}")
    } else {
        format!("{ty}.{name}")
    };
    match scope
        .and_then(|s| s.resources.get(&key))
        .map(|r| r.expansion)
    {
        Some(Expansion::Count) => Hint::Seq(Box::new(obj)),
        Some(Expansion::ForEach) => Hint::Fields(Box::new(obj)),
        _ => obj,
    }
}

const HELP: &str = r#"
The netform console evaluates expressions against the configuration and the state: variables
(var.NAME), locals (local.NAME), resources as the state has them (TYPE.NAME.ATTR), module
outputs (module.NAME.OUTPUT), path.module, path.root and every function.

Type an expression and press enter to see its value. An expression may span lines while a
bracket is open. To leave, type "exit" or press Control-D.
"#;

/// What a masked attribute holds until it is printed: no value the language makes has it.
const MASKED: &str = "\u{0}(sensitive value)";

/// Masks the attributes `hidden` names in an object (in each of a tuple's or an object's
/// elements when `repeated`: a resource or module call with `count` or `for_each`).
fn mask_objects(v: &mut Value, repeated: bool, hidden: &dyn Fn(&str) -> bool) {
    match v {
        Value::List(items) if repeated => items
            .iter_mut()
            .for_each(|x| mask_objects(x, false, hidden)),
        Value::Map(m) if repeated => m.values_mut().for_each(|x| mask_objects(x, false, hidden)),
        Value::Map(m) => {
            for (k, x) in m.iter_mut() {
                if hidden(k) {
                    *x = Value::Unknown(Some(MASKED.to_string()));
                }
            }
        }
        _ => {}
    }
}

/// Whether the expression calls `sensitive()` anywhere.
fn calls_sensitive(expr: &Expression) -> bool {
    use hcl_edit::visit::{Visit, visit_func_call};
    struct V(bool);
    impl Visit for V {
        fn visit_func_call(&mut self, f: &hcl_edit::expr::FuncCall) {
            if f.name.name.as_str() == "sensitive" {
                self.0 = true;
            }
            visit_func_call(self, f);
        }
    }
    let mut v = V(false);
    v.visit_expr(expr);
    v.0
}

/// The types of the functions whose result is a list, set or map whatever their arguments.
fn func_hint(name: &str) -> Hint {
    let any = || Box::new(Hint::Any);
    match name {
        "tolist" | "keys" | "sort" | "distinct" | "compact" | "split" | "formatlist"
        | "regexall" | "chunklist" | "range" | "cidrsubnets" | "matchkeys" => Hint::List(any()),
        "toset" | "fileset" | "setunion" | "setintersection" | "setsubtract" | "setproduct" => {
            Hint::Set(any())
        }
        "tomap" | "transpose" => Hint::Map(any()),
        "tostring" | "upper" | "lower" | "format" | "join" | "jsonencode" | "yamlencode"
        | "base64encode" => Hint::Str,
        _ => Hint::Any,
    }
}

/// What is known of a value's type, for printing it.
#[derive(Clone, Debug, PartialEq)]
enum Hint {
    Any,
    Str,
    Num,
    Bool,
    List(Box<Hint>),
    Set(Box<Hint>),
    Map(Box<Hint>),
    /// A tuple whose every element has this type (a counted resource).
    Seq(Box<Hint>),
    /// An object whose every attribute has this type (a resource with `for_each`).
    Fields(Box<Hint>),
    Obj(BTreeMap<String, Hint>),
}

impl Hint {
    fn of(t: &Type) -> Hint {
        match t {
            Type::Any | Type::Tuple(_) => Hint::Any,
            Type::String => Hint::Str,
            Type::Number => Hint::Num,
            Type::Bool => Hint::Bool,
            Type::List(e) => Hint::List(Box::new(Hint::of(e))),
            Type::Set(e) => Hint::Set(Box::new(Hint::of(e))),
            Type::Map(e) => Hint::Map(Box::new(Hint::of(e))),
            Type::Object(attrs) => Hint::Obj(
                attrs
                    .iter()
                    .map(|(k, (t, _, _))| (k.clone(), Hint::of(t)))
                    .collect(),
            ),
        }
    }

    fn of_attr(t: AttrType) -> Hint {
        match t {
            AttrType::Str | AttrType::StrOrNum => Hint::Str,
            AttrType::Num => Hint::Num,
            AttrType::Bool => Hint::Bool,
            AttrType::StrList => Hint::List(Box::new(Hint::Str)),
            AttrType::StrSet => Hint::Set(Box::new(Hint::Str)),
            AttrType::StrMap => Hint::Map(Box::new(Hint::Str)),
        }
    }

    /// The type of an element or attribute of a value of this type.
    fn element(&self, attr: Option<&str>) -> Hint {
        match (self, attr) {
            (Hint::List(e) | Hint::Set(e) | Hint::Map(e) | Hint::Seq(e) | Hint::Fields(e), _) => {
                (**e).clone()
            }
            (Hint::Obj(m), Some(a)) => m.get(a).cloned().unwrap_or(Hint::Any),
            _ => Hint::Any,
        }
    }

    fn step(self, op: &TraversalOperator) -> Hint {
        match op {
            TraversalOperator::GetAttr(a) => self.element(Some(a.as_str())),
            TraversalOperator::Index(Expression::String(s)) => self.element(Some(s.as_str())),
            TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_) => self.element(None),
            // A splat gives a tuple of the elements' attribute.
            TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => Hint::Any,
        }
    }
}

/// A value as `terraform console` prints it; `indent` is the column nested lines start at.
fn format_value(v: &Value, hint: &Hint, indent: usize) -> String {
    match v {
        Value::Unknown(Some(m)) if m == MASKED => crate::lang::sensitive::SHOWN.into(),
        Value::Unknown(_) => "(known after apply)".into(),
        Value::Null => match hint {
            Hint::Str => "tostring(null)".into(),
            Hint::Num => "tonumber(null)".into(),
            Hint::Bool => "tobool(null)".into(),
            _ => "null".into(),
        },
        Value::Bool(_) | Value::Number(_) => v.to_string(),
        Value::String(s) => format_string(s, indent),
        Value::Set(items) => format!("toset({})", format_seq(items, hint, indent)),
        Value::List(items) => match hint {
            Hint::List(_) => format!("tolist({})", format_seq(items, hint, indent)),
            _ => format_seq(items, hint, indent),
        },
        Value::Map(m) => match hint {
            Hint::Map(_) => format!("tomap({})", format_map(m, hint, indent)),
            _ => format_map(m, hint, indent),
        },
    }
}

fn format_seq(items: &[Value], hint: &Hint, indent: usize) -> String {
    let inner = indent + 2;
    let mut out = String::from("[");
    for v in items {
        out.push('\n');
        out.push_str(&" ".repeat(inner));
        out.push_str(&format_value(v, &hint.element(None), inner));
        out.push(',');
    }
    if !items.is_empty() {
        out.push('\n');
        out.push_str(&" ".repeat(indent));
    }
    out.push(']');
    out
}

fn format_map(m: &crate::lang::value::Map, hint: &Hint, indent: usize) -> String {
    let inner = indent + 2;
    let mut out = String::from("{");
    for (k, v) in m {
        out.push('\n');
        out.push_str(&" ".repeat(inner));
        out.push_str(&quote(k));
        out.push_str(" = ");
        out.push_str(&format_value(v, &hint.element(Some(k)), inner));
    }
    if !m.is_empty() {
        out.push('\n');
        out.push_str(&" ".repeat(indent));
    }
    out.push('}');
    out
}

/// A string: quoted, or a heredoc when it has more than one line (`<<-` when nested, its lines
/// indented), with a delimiter no line of it equals.
fn format_string(s: &str, indent: usize) -> String {
    let lines: Vec<&str> = s.split('\n').collect();
    if lines.len() < 2 {
        return quote(s);
    }
    let mut delim = String::from("EOT");
    while lines.iter().any(|l| l.trim() == delim) {
        delim.push('_');
    }
    let pad = " ".repeat(indent);
    let mut out = String::from(if indent > 0 { "<<-" } else { "<<" });
    out.push_str(&delim);
    for l in &lines {
        out.push('\n');
        out.push_str(&pad);
        out.push_str(l);
    }
    out.push('\n');
    out.push_str(&pad);
    out.push_str(&delim);
    out
}

/// Go's `strconv.Quote`, which Terraform's console uses: printable characters as they are,
/// the usual escapes, other control characters as `\xNN` or `\uNNNN`.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Terraform's `ExpressionEntryCouldContinue`: the entry so far leaves a bracket, a string
/// template's `${`/`%{` or a heredoc open, and every closing bracket in it matches. A blank last
/// line ends the entry whatever is open, so a confused heuristic can always be overridden.
fn could_continue(lines: &[String]) -> bool {
    match lines.last() {
        None => return false,
        Some(l) if l.trim().is_empty() => return false,
        Some(_) => {}
    }
    let text = lines.join("\n") + "\n";
    let mut stack: Vec<Open> = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match stack.last() {
            Some(Open::Quote) => match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    stack.pop();
                }
                '$' | '%' if chars.peek().is_some_and(|(_, n)| *n == '{') => {
                    chars.next();
                    stack.push(Open::Interp);
                }
                _ => {}
            },
            Some(Open::Heredoc(id)) => {
                // Heredoc lines are skipped whole; the one equal to the delimiter closes it.
                let line_start = i == 0 || text.as_bytes()[i - 1] == b'\n';
                if line_start {
                    let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                    if text[i..end].trim() == id {
                        stack.pop();
                    }
                    while chars.peek().is_some_and(|(j, _)| *j < end) {
                        chars.next();
                    }
                }
            }
            _ => match c {
                '"' => stack.push(Open::Quote),
                '{' => stack.push(Open::Brace),
                '[' => stack.push(Open::Brack),
                '(' => stack.push(Open::Paren),
                '}' if matches!(stack.pop(), Some(Open::Brace | Open::Interp)) => {}
                ']' if stack.pop() == Some(Open::Brack) => {}
                ')' if stack.pop() == Some(Open::Paren) => {}
                '}' | ']' | ')' => return false,
                '#' => skip_line(&mut chars),
                '/' if chars.peek().is_some_and(|(_, n)| *n == '/') => skip_line(&mut chars),
                '<' if text[i..].starts_with("<<") => {
                    let rest = text[i + 2..].trim_start_matches('-');
                    let id: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !id.is_empty() {
                        skip_line(&mut chars);
                        stack.push(Open::Heredoc(id));
                    }
                }
                _ => {}
            },
        }
    }
    !stack.is_empty()
}

fn skip_line(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) {
    for (_, c) in chars.by_ref() {
        if c == '\n' {
            break;
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Open {
    Brace,
    Brack,
    Paren,
    Quote,
    /// `${` or `%{` inside a quoted string.
    Interp,
    Heredoc(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn entries_continue_while_a_bracket_a_template_or_a_heredoc_is_open() {
        assert!(could_continue(&s(&["{ a = ["])));
        assert!(!could_continue(&s(&["{ a = [", "1 ]}"])));
        assert!(could_continue(&s(&["\"${upper("])));
        assert!(!could_continue(&s(&["\"a { b\""])));
        assert!(could_continue(&s(&["<<EOT", "x"])));
        assert!(!could_continue(&s(&["<<EOT", "x", "EOT"])));
        // A stray closer, a blank line and a comment's bracket end the entry.
        assert!(!could_continue(&s(&["])"])));
        assert!(!could_continue(&s(&["[", ""])));
        assert!(!could_continue(&s(&["1 # ["])));
    }

    #[test]
    fn values_print_as_terraform_console_prints_them() {
        let list = Value::from_json(&serde_json::json!([80, 443]));
        assert_eq!(format_value(&list, &Hint::Any, 0), "[\n  80,\n  443,\n]");
        assert_eq!(
            format_value(&list, &Hint::List(Box::new(Hint::Any)), 0),
            "tolist([\n  80,\n  443,\n])"
        );
        let set = Value::set(vec![Value::string("b"), Value::string("a")]);
        assert_eq!(
            format_value(&set, &Hint::Any, 0),
            "toset([\n  \"a\",\n  \"b\",\n])"
        );
        let obj = Value::Map(crate::lang::value::Map::from([
            ("a".to_string(), list.clone()),
            ("b".to_string(), Value::Map(Default::default())),
        ]));
        assert_eq!(
            format_value(&obj, &Hint::Any, 0),
            "{\n  \"a\" = [\n    80,\n    443,\n  ]\n  \"b\" = {}\n}"
        );
        let m = Value::Map(crate::lang::value::Map::from([(
            "k".to_string(),
            Value::Null,
        )]));
        assert_eq!(
            format_value(&m, &Hint::Map(Box::new(Hint::Str)), 0),
            "tomap({\n  \"k\" = tostring(null)\n})"
        );
        assert_eq!(
            format_value(&Value::unknown(), &Hint::Any, 0),
            "(known after apply)"
        );
        assert_eq!(format_value(&Value::Null, &Hint::Any, 0), "null");
    }

    #[test]
    fn strings_are_quoted_as_go_quotes_them_or_written_as_heredocs() {
        assert_eq!(quote("a\"b\\c\t\u{1}é"), "\"a\\\"b\\\\c\\t\\x01é\"");
        assert_eq!(format_string("x\nEOT", 0), "<<EOT_\nx\nEOT\nEOT_");
        let nested = Value::List(vec![Value::string("a\nb")]);
        assert_eq!(
            format_value(&nested, &Hint::Any, 0),
            "[\n  <<-EOT\n  a\n  b\n  EOT,\n]"
        );
    }

    #[test]
    fn hints_follow_traversals_into_typed_values() {
        let t = Hint::Obj(BTreeMap::from([(
            "tags".to_string(),
            Hint::Map(Box::new(Hint::Str)),
        )]));
        let e = hcl_edit::parser::parse_expr("x.tags").unwrap_or_else(|e| panic!("{e}"));
        let Expression::Traversal(tr) = e else {
            panic!("a traversal")
        };
        assert_eq!(t.step(&tr.operators[0]), Hint::Map(Box::new(Hint::Str)));
        assert_eq!(func_hint("keys"), Hint::List(Box::new(Hint::Any)));
    }
}
