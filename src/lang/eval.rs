//! The expression evaluator: hcl-edit's syntax tree to [`Value`], with Terraform's semantics.
//!
//! hcl-rs ships an evaluator, but it has no notion of values that are unknown until apply and its
//! errors carry no spans, and netform needs both: the plan shows `(known after apply)` and every
//! error points at its source. Names are resolved through [`Lookup`], so the same evaluator serves
//! plan time (planned values) and apply time (values the cloud has returned).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use hcl_edit::Span;
use hcl_edit::expr::{
    BinaryOperator, Expression, ForExpr, ObjectKey, TraversalOperator, UnaryOperator,
};
use hcl_edit::template::{Directive, Element, Strip, Template};
use hcl_edit::visit::{Visit, visit_expr};

use super::functions::{self, FuncCtx};
use super::value::Value;

#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    pub message: String,
    pub span: Option<Range<usize>>,
    pub help: Option<String>,
}

impl EvalError {
    fn new(message: impl Into<String>, span: Option<Range<usize>>) -> EvalError {
        EvalError {
            message: message.into(),
            span,
            help: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> EvalError {
        self.help = Some(help.into());
        self
    }
}

type Result<T> = std::result::Result<T, EvalError>;

/// What a name can refer to, for did-you-mean suggestions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    Variable,
    Local,
    Resource,
    Data,
}

/// The selected workspace, for `terraform.workspace`. One process works in one workspace, chosen
/// by the command line before anything is evaluated, so it is set once rather than threaded
/// through every scope.
static WORKSPACE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Sets the workspace `terraform.workspace` names (the first call wins).
pub fn set_workspace(name: &str) {
    let _ = WORKSPACE.set(name.to_string());
}

/// `terraform.workspace`: the selected workspace, `default` when none was set.
pub fn workspace() -> &'static str {
    WORKSPACE.get().map_or("default", String::as_str)
}

/// Resolves the names an expression refers to.
pub trait Lookup {
    fn var(&self, name: &str) -> Option<Value>;
    fn local(&self, name: &str) -> Option<Value>;
    /// The whole value of `TYPE.NAME` (`data` for data sources): an object for a single
    /// instance, a list under `count`, a map under `for_each`.
    fn resource(&self, data: bool, ty: &str, name: &str) -> Option<Value>;
    /// One instance of `TYPE.NAME[key]`, so that the common indexed reference does not build the
    /// whole collection. `None` when the resource is not declared; `Some(None)` when the key is
    /// not one of its instances.
    fn resource_instance(
        &self,
        data: bool,
        ty: &str,
        name: &str,
        key: &Value,
    ) -> Option<Option<Value>> {
        let whole = self.resource(data, ty, name)?;
        Some(index_value(&whole, key).ok())
    }
    /// `TYPE.NAME.ATTR` of a single-instance resource whose value is an object holding `attr`,
    /// without copying the whole object; `None` sends the evaluator the general way (which also
    /// words every error).
    fn resource_attr(&self, data: bool, ty: &str, name: &str, attr: &str) -> Option<Value> {
        let _ = (data, ty, name, attr);
        None
    }
    /// The declared names of a kind, for suggestions.
    fn names(&self, kind: NameKind) -> Vec<String>;
    /// Whether what `r` refers to is sensitive (a `sensitive = true` variable), for
    /// `issensitive()`.
    fn sensitive(&self, r: &Ref) -> bool {
        let _ = r;
        false
    }
    /// `module.NAME`: the called module's outputs (an object; a list or map of them under
    /// `count`/`for_each`). `None` when no such module is called.
    fn module(&self, _name: &str) -> Option<Value> {
        None
    }
    /// `path.module` / `path.root` / `path.cwd`; "." when the scope does not say.
    fn path(&self, _which: &str) -> Option<String> {
        None
    }
    /// Which variables and locals are sensitive, so that errors do not quote their values.
    fn sensitive_names(&self) -> Option<&super::sensitive::SensitiveNames> {
        None
    }
}

/// The per-evaluation context: where names resolve and what `count`/`each` are.
pub struct Evaluator<'a> {
    pub lookup: &'a dyn Lookup,
    pub count_index: Option<i64>,
    pub each: Option<(Value, Value)>,
    pub base_dir: &'a Path,
    /// Variables bound by `for` expressions and template directives, innermost last.
    scopes: Vec<(String, Value)>,
    /// Rendering a quoted template, whose backslash escapes apply.
    quoted: bool,
    /// How many template directives deep the rendering is.
    in_directive: usize,
}

impl<'a> Evaluator<'a> {
    pub fn new(lookup: &'a dyn Lookup, base_dir: &'a Path) -> Evaluator<'a> {
        Evaluator {
            lookup,
            count_index: None,
            each: None,
            base_dir,
            scopes: Vec::new(),
            quoted: false,
            in_directive: 0,
        }
    }

    /// Binds a name for what is evaluated next (`self` in a postcondition).
    pub fn bind_name(&mut self, name: &str, v: Value) {
        self.scopes.push((name.to_string(), v));
    }

    pub fn eval(&mut self, expr: &Expression) -> Result<Value> {
        let span = expr.span();
        match expr {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => Ok(Value::Number(literal_number(n))),
            Expression::String(s) => Ok(Value::String(nfc(s.value().clone()))),
            Expression::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for e in a.iter() {
                    out.push(self.eval(e)?);
                }
                Ok(Value::List(out))
            }
            Expression::Object(o) => {
                let mut out = BTreeMap::new();
                let mut unknown_key = false;
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(id) => Value::string(id.as_str()),
                        // A bare keyword is a name, as any identifier is: {null = 1} has the
                        // key "null"; (null) would be the value.
                        ObjectKey::Expression(Expression::Null(_)) => Value::string("null"),
                        ObjectKey::Expression(Expression::Bool(b)) => {
                            Value::string(b.value().to_string())
                        }
                        ObjectKey::Expression(e) => self.eval(e)?,
                    };
                    let val = self.eval(v.expr())?;
                    match key {
                        Value::Unknown(_) => unknown_key = true,
                        k => {
                            let ks = k.coerce_string().ok_or_else(|| {
                                EvalError::new(
                                    format!("Object key must be a string, not {}", k.type_name()),
                                    span.clone(),
                                )
                            })?;
                            out.insert(ks, val);
                        }
                    }
                }
                if unknown_key {
                    return Ok(Value::unknown());
                }
                Ok(Value::Map(out.into()))
            }
            Expression::StringTemplate(t) => {
                // hcl-edit decodes the escapes of a quoted template's top-level text but not
                // of the text inside its directives, which is done while rendering.
                self.nested_template(t, span, true)
            }
            Expression::HeredocTemplate(h) => match h.indent() {
                // The parser dedents `<<-` heredocs, but only their top-level text: the lines
                // inside `%{for}` and `%{if}` bodies keep their indentation, which HCL strips.
                Some(n) if n > 0 => {
                    let mut t = h.template.clone();
                    dedent_bodies(&mut t, n);
                    self.nested_template(&t, span, false)
                }
                _ => self.nested_template(&h.template, span, false),
            },
            Expression::Parenthesis(p) => self.eval(p.inner()),
            Expression::Variable(v) => self.variable(v.as_str(), span),
            Expression::Conditional(c) => self.conditional(c),
            Expression::FuncCall(f) => self.func_call(f, span),
            Expression::Traversal(t) => self.traversal(t),
            Expression::UnaryOp(u) => {
                let v = self.eval(&u.expr)?;
                if v.is_unknown() {
                    return Ok(Value::unknown());
                }
                match u.operator.value() {
                    UnaryOperator::Neg => {
                        v.to_number()
                            .map(|n| Value::Number(n.neg()))
                            .ok_or_else(|| {
                                EvalError::new(
                                    "Unsuitable value for unary operand: a number is required",
                                    u.expr.span(),
                                )
                            })
                    }
                    UnaryOperator::Not => {
                        v.coerce_bool().map(|b| Value::Bool(!b)).ok_or_else(|| {
                            EvalError::new(
                                "Unsuitable value for unary operand: a bool is required",
                                u.expr.span(),
                            )
                        })
                    }
                }
            }
            Expression::BinaryOp(b) => self.binary(b),
            Expression::ForExpr(f) => self.for_expr(f, span),
        }
    }

    /// `c ? a : b`. As in HCL, both results are evaluated and must have a common type (`1` and
    /// `"a"` become strings, `1` and `true` are an error); only the chosen one's errors count.
    fn conditional(&mut self, c: &hcl_edit::expr::Conditional) -> Result<Value> {
        let cond = self.eval(&c.cond_expr)?;
        let t = self.eval(&c.true_expr);
        let f = self.eval(&c.false_expr);
        let both = match (&t, &f) {
            (Ok(tv), Ok(fv)) => Some(unify_results(tv, fv).map_err(|why| {
                let span = match (c.true_expr.span(), c.false_expr.span()) {
                    (Some(a), Some(b)) => Some(a.start..b.end),
                    _ => None,
                };
                EvalError::new(
                    format!(
                        "Inconsistent conditional result types: The true and false result \
                         expressions must have consistent types. {why}."
                    ),
                    span,
                )
            })?),
            _ => None,
        };
        let pick = |first: bool| -> Result<Value> {
            match (&both, first) {
                (Some((tv, _)), true) => Ok(tv.clone()),
                (Some((_, fv)), false) => Ok(fv.clone()),
                (None, true) => t.clone(),
                (None, false) => f.clone(),
            }
        };
        match cond {
            Value::Null => Err(EvalError::new(
                "Null condition: The condition value is null. Conditions must either be true or false.",
                c.cond_expr.span(),
            )),
            Value::Unknown(_) => {
                // Both branches are still checked for errors.
                t?;
                f?;
                Ok(Value::unknown())
            }
            other => match other.coerce_bool() {
                Some(b) => pick(b),
                None => Err(EvalError::new(
                    format!(
                        "Incorrect condition type: The condition expression must be of type bool, not {}",
                        other.type_name()
                    ),
                    c.cond_expr.span(),
                )),
            },
        }
    }

    fn variable(&self, name: &str, span: Option<Range<usize>>) -> Result<Value> {
        if let Some((_, v)) = self.scopes.iter().rev().find(|(n, _)| n == name) {
            return Ok(v.clone());
        }
        let hint = match name {
            "var" | "local" | "data" | "count" | "each" | "path" | "terraform" => {
                format!("\"{name}\" must be followed by an attribute, e.g. {name}.NAME")
            }
            _ => format!("there is no variable named \"{name}\" in this scope"),
        };
        Err(EvalError::new(format!("Invalid reference: {hint}"), span))
    }

    /// A template expression, which may sit inside another template's interpolation: its own
    /// quoting and directive depth apply while it renders.
    fn nested_template(
        &mut self,
        t: &Template,
        span: Option<Range<usize>>,
        quoted: bool,
    ) -> Result<Value> {
        let saved = (self.quoted, self.in_directive);
        self.quoted = quoted;
        self.in_directive = 0;
        let r = self.template(t, span);
        (self.quoted, self.in_directive) = saved;
        r
    }

    fn template(&mut self, t: &Template, span: Option<Range<usize>>) -> Result<Value> {
        // A template that is a single interpolation yields the value itself, unconverted, as in
        // Terraform ("${var.list}" is a list).
        if let Some(Element::Interpolation(i)) = t.as_single_element() {
            return self.eval(&i.expr);
        }
        let mut parts: Vec<Piece> = Vec::new();
        let mut unknown = false;
        self.render_template(t, &mut parts, &mut unknown, span)?;
        if unknown {
            return Ok(Value::unknown());
        }
        Ok(Value::String(nfc(join_stripped(parts))))
    }

    /// Renders a template into pieces: literal text, interpolated values, and the strip markers
    /// of directives. A `~` trims whitespace from the literal text beside it in the source, so a
    /// directive's markers are repeated around every iteration of its body, where that literal
    /// text is.
    fn render_template(
        &mut self,
        t: &Template,
        out: &mut Vec<Piece>,
        unknown: &mut bool,
        span: Option<Range<usize>>,
    ) -> Result<()> {
        for el in t.iter() {
            match el {
                Element::Literal(s) if self.quoted && self.in_directive > 0 => {
                    out.push(Piece::literal(&unescape(s.value())))
                }
                Element::Literal(s) => out.push(Piece::literal(s.value())),
                Element::Interpolation(i) => {
                    let v = self.eval(&i.expr)?;
                    let s = match &v {
                        Value::Unknown(_) => {
                            *unknown = true;
                            String::new()
                        }
                        Value::Null => {
                            return Err(EvalError::new(
                                "Invalid template interpolation value: the expression result is null",
                                i.expr.span(),
                            ));
                        }
                        other => other.coerce_string().ok_or_else(|| {
                            EvalError::new(
                                format!(
                                    "Invalid template interpolation value: cannot include a {} in a string template",
                                    other.type_name()
                                ),
                                i.expr.span(),
                            )
                        })?,
                    };
                    out.push(Piece {
                        text: s,
                        strip: i.strip,
                        literal: false,
                    });
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(ifd) => self.render_if(ifd, out, unknown, span.clone())?,
                    Directive::For(fd) => self.render_for(fd, out, unknown, span.clone())?,
                },
            }
        }
        Ok(())
    }

    fn render_if(
        &mut self,
        ifd: &hcl_edit::template::IfDirective,
        out: &mut Vec<Piece>,
        unknown: &mut bool,
        span: Option<Range<usize>>,
    ) -> Result<()> {
        let c = self.eval(&ifd.if_expr.cond_expr)?;
        out.push(Piece::marker(before(ifd.if_expr.strip)));
        let endif = ifd.endif_expr.strip;
        match c {
            Value::Unknown(_) => *unknown = true,
            other => match other.coerce_bool() {
                Some(true) => {
                    out.push(Piece::marker(after(ifd.if_expr.strip)));
                    self.in_directive += 1;
                    let r = self.render_template(&ifd.if_expr.template, out, unknown, span);
                    self.in_directive -= 1;
                    r?;
                    let close = ifd.else_expr.as_ref().map_or(endif, |e| e.strip);
                    out.push(Piece::marker(before(close)));
                }
                Some(false) => {
                    if let Some(e) = &ifd.else_expr {
                        out.push(Piece::marker(after(e.strip)));
                        self.in_directive += 1;
                        let r = self.render_template(&e.template, out, unknown, span);
                        self.in_directive -= 1;
                        r?;
                        out.push(Piece::marker(before(endif)));
                    }
                }
                None => {
                    return Err(EvalError::new(
                        "The %{if} condition must be a bool",
                        ifd.if_expr.cond_expr.span(),
                    ));
                }
            },
        }
        out.push(Piece::marker(after(endif)));
        Ok(())
    }

    fn render_for(
        &mut self,
        fd: &hcl_edit::template::ForDirective,
        out: &mut Vec<Piece>,
        unknown: &mut bool,
        span: Option<Range<usize>>,
    ) -> Result<()> {
        let fe = &fd.for_expr;
        let coll = self.eval(&fe.collection_expr)?;
        out.push(Piece::marker(before(fe.strip)));
        if coll.is_unknown() {
            *unknown = true;
        } else {
            let items = iter_collection(&coll, fe.collection_expr.span())?;
            for (k, v) in items {
                let pushed = self.bind(
                    fe.key_var.as_ref().map(|x| x.as_str()),
                    fe.value_var.as_str(),
                    k,
                    v,
                );
                out.push(Piece::marker(after(fe.strip)));
                self.in_directive += 1;
                let r = self.render_template(&fe.template, out, unknown, span.clone());
                self.in_directive -= 1;
                out.push(Piece::marker(before(fd.endfor_expr.strip)));
                self.scopes.truncate(self.scopes.len() - pushed);
                r?;
            }
        }
        out.push(Piece::marker(after(fd.endfor_expr.strip)));
        Ok(())
    }

    fn bind(&mut self, key_var: Option<&str>, value_var: &str, k: Value, v: Value) -> usize {
        let mut n = 0;
        if let Some(kv) = key_var {
            self.scopes.push((kv.to_string(), k));
            n += 1;
        }
        self.scopes.push((value_var.to_string(), v));
        n + 1
    }

    fn func_call(
        &mut self,
        f: &hcl_edit::expr::FuncCall,
        span: Option<Range<usize>>,
    ) -> Result<Value> {
        let name = f.name.name.as_str();
        let arg_exprs: Vec<&Expression> = f.args.iter().collect();
        if let Some(r) = self.special_call(name, &arg_exprs, span.clone()) {
            return r;
        }
        if functions::get(name).is_none() {
            let mut e = EvalError::new(
                format!("Call to unknown function: there is no function named \"{name}\""),
                f.name.name.span().or(span.clone()),
            );
            if let Some(s) = suggest(name, functions::names()) {
                e = e.help(format!("did you mean \"{s}\"?"));
            }
            return Err(e);
        }
        let mut args = Vec::with_capacity(arg_exprs.len());
        for e in &arg_exprs {
            args.push(self.eval(e)?);
        }
        // A function's error quotes its arguments: not those derived from sensitive values.
        let mut secrets = super::sensitive::Secrets::new();
        if let Some(names) = self.lookup.sensitive_names() {
            for (e, v) in arg_exprs.iter().zip(&args) {
                if names.touches(e) {
                    secrets.add(v);
                }
            }
        }
        // `...` expands the final argument, a list, into separate arguments.
        if f.args.expand_final()
            && let Some(last) = args.pop()
        {
            {
                match last {
                    Value::List(v) | Value::Set(v) => args.extend(v),
                    Value::Unknown(_) => return Ok(Value::unknown()),
                    other => {
                        return Err(EvalError::new(
                            format!(
                                "Invalid expanding argument value: a list is required, not {}",
                                other.type_name()
                            ),
                            arg_exprs.last().and_then(|e| e.span()),
                        ));
                    }
                }
            }
        }
        let ctx = FuncCtx {
            base_dir: self.base_dir,
        };
        functions::call(name, args, &ctx)
            .map(nfc_value)
            .map_err(|fe| {
                let at = fe
                    .arg
                    .and_then(|i| arg_exprs.get(i).and_then(|e| e.span()))
                    .or(span.clone());
                EvalError::new(
                    format!(
                        "Call to function \"{name}\" failed: {}",
                        secrets.redact(&fe.message)
                    ),
                    at,
                )
            })
    }

    /// The functions the evaluator runs itself, since they see their arguments' expressions
    /// (`try`, `can`, `issensitive`) or the language (`templatestring`, `convert`); `None` for
    /// every other function.
    fn special_call(
        &mut self,
        name: &str,
        arg_exprs: &[&Expression],
        span: Option<Range<usize>>,
    ) -> Option<Result<Value>> {
        matches!(
            name,
            "try" | "templatestring" | "convert" | "issensitive" | "can"
        )
        .then(|| self.special(name, arg_exprs, span))
    }

    fn special(
        &mut self,
        name: &str,
        arg_exprs: &[&Expression],
        span: Option<Range<usize>>,
    ) -> Result<Value> {
        match name {
            "try" => {
                if arg_exprs.is_empty() {
                    return Err(EvalError::new(
                        "Function \"try\" requires at least one argument",
                        span,
                    ));
                }
                let mut last_err = None;
                for e in arg_exprs {
                    match self.eval(e) {
                        Ok(v) => return Ok(v),
                        Err(err) => last_err = Some(err),
                    }
                }
                let err = last_err.map(|e| e.message).unwrap_or_default();
                Err(EvalError::new(
                    format!("Call to function \"try\" failed: no expression succeeded: {err}"),
                    span,
                ))
            }
            "templatestring" => {
                let [tmpl, vars] = arg_exprs else {
                    return Err(EvalError::new(
                        "Function \"templatestring\" expects exactly two arguments: a template and its variables",
                        span,
                    ));
                };
                let (t, v) = (self.eval(tmpl)?, self.eval(vars)?);
                if !t.is_wholly_known() || !v.is_wholly_known() {
                    return Ok(Value::unknown());
                }
                let failed = |m: String, at: Option<Range<usize>>| {
                    EvalError::new(
                        format!("Call to function \"templatestring\" failed: {m}"),
                        at,
                    )
                };
                let Value::String(src) = t else {
                    return Err(failed(
                        format!("the template must be a string, not {}", t.type_name()),
                        tmpl.span(),
                    ));
                };
                let vars = functions::template_vars(&[Value::Null, v], 1)
                    .map_err(|e| failed(e.message, vars.span()))?;
                render_template(&src, vars, self.base_dir)
                    .map_err(|e| failed(format!("template:{e}"), tmpl.span()))
            }
            "convert" => {
                let [value, ty] = arg_exprs else {
                    return Err(EvalError::new(
                        "Function \"convert\" expects exactly two arguments: a value and a type",
                        span,
                    ));
                };
                let v = self.eval(value)?;
                let t = super::types::Type::parse(ty).map_err(|e| {
                    EvalError::new(format!("Invalid type specification: {e}"), ty.span())
                })?;
                t.convert(&v).map_err(|e| {
                    EvalError::new(
                        format!("Call to function \"convert\" failed: {e}"),
                        value.span(),
                    )
                })
            }
            "issensitive" => {
                if arg_exprs.len() != 1 {
                    return Err(EvalError::new(
                        "Function \"issensitive\" expects exactly one argument",
                        span,
                    ));
                }
                self.eval(arg_exprs[0])?;
                Ok(Value::Bool(self.is_sensitive(arg_exprs[0])))
            }
            "can" => {
                if arg_exprs.len() != 1 {
                    return Err(EvalError::new(
                        "Function \"can\" expects exactly one argument",
                        span,
                    ));
                }
                Ok(match self.eval(arg_exprs[0]) {
                    Ok(v) if !v.is_wholly_known() => Value::unknown(),
                    Ok(_) => Value::Bool(true),
                    Err(_) => Value::Bool(false),
                })
            }
            other => Err(EvalError::new(
                format!("\"{other}\" is not run by the evaluator"),
                span,
            )),
        }
    }

    /// Whether an expression's value is sensitive: it calls `sensitive()` or refers to something
    /// the lookup says is sensitive, and is not wrapped in `nonsensitive()` as a whole. Values
    /// carry no marks, so this is read from the expression.
    fn is_sensitive(&self, expr: &Expression) -> bool {
        struct S(bool);
        impl Visit for S {
            fn visit_func_call(&mut self, f: &hcl_edit::expr::FuncCall) {
                if f.name.name.as_str() == "sensitive" {
                    self.0 = true;
                }
                hcl_edit::visit::visit_func_call(self, f);
            }
        }
        if let Expression::FuncCall(f) = expr
            && f.name.name.as_str() == "nonsensitive"
        {
            return false;
        }
        let mut v = S(false);
        visit_expr(&mut v, expr);
        v.0 || references(expr)
            .iter()
            .any(|(r, _)| self.lookup.sensitive(r))
    }

    fn traversal(&mut self, t: &hcl_edit::expr::Traversal) -> Result<Value> {
        let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
        let (value, consumed) = match &t.expr {
            Expression::Variable(v) => self.resolve_root(v.as_str(), &ops, t)?,
            other => (self.eval(other)?, 0),
        };
        let ops: Vec<(&TraversalOperator, Option<Range<usize>>)> = ops
            .iter()
            .zip(t.operators.iter())
            .map(|(op, d)| (*op, d.span()))
            .skip(consumed)
            .collect();
        self.chain(value, &ops)
    }

    /// Applies traversal operators in turn. A splat applies the rest of its chain to each
    /// element: a full splat (`[*]`) everything after it, an attribute splat (`.*`) only the
    /// attribute and legacy index (`.0`) steps that follow it. Splats nest: `[*][*].name`.
    fn chain(
        &mut self,
        mut value: Value,
        ops: &[(&TraversalOperator, Option<Range<usize>>)],
    ) -> Result<Value> {
        let mut i = 0;
        while i < ops.len() {
            let (op, op_span) = &ops[i];
            match op {
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let full = matches!(op, TraversalOperator::FullSplat(_));
                    let mut j = i + 1;
                    while j < ops.len() {
                        let attr_like = matches!(
                            ops[j].0,
                            TraversalOperator::GetAttr(_) | TraversalOperator::LegacyIndex(_)
                        );
                        if !full && !attr_like {
                            break;
                        }
                        j += 1;
                    }
                    let items = match value {
                        Value::Unknown(_) => return Ok(Value::unknown()),
                        Value::Null => Vec::new(),
                        Value::List(v) | Value::Set(v) => v,
                        other => vec![other],
                    };
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        out.push(self.chain(item, &ops[i + 1..j])?);
                    }
                    value = Value::List(out);
                    i = j;
                    continue;
                }
                _ => value = self.apply_op(value, op, op_span.clone())?,
            }
            i += 1;
        }
        Ok(value)
    }

    fn apply_op(
        &mut self,
        value: Value,
        op: &TraversalOperator,
        span: Option<Range<usize>>,
    ) -> Result<Value> {
        match op {
            TraversalOperator::GetAttr(name) => get_attr(&value, name.as_str(), span),
            TraversalOperator::Index(e) => {
                let key = self.eval(e)?;
                if key.is_unknown() || value.is_unknown() {
                    return Ok(Value::unknown());
                }
                index_value(&value, &key).map_err(|m| EvalError::new(m, e.span().or(span)))
            }
            TraversalOperator::LegacyIndex(n) => {
                index_value(&value, &Value::from(*n.value())).map_err(|m| EvalError::new(m, span))
            }
            TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => Ok(value),
        }
    }

    /// Resolves the root of a traversal (`var.x`, `aws_thing.name[0]`, …); returns the value and
    /// how many operators it consumed.
    fn resolve_root(
        &mut self,
        root: &str,
        ops: &[&TraversalOperator],
        t: &hcl_edit::expr::Traversal,
    ) -> Result<(Value, usize)> {
        if self.scopes.iter().any(|(n, _)| n == root) {
            return Ok((self.variable(root, t.expr.span())?, 0));
        }
        let attr = |i: usize| -> Option<&str> {
            match ops.get(i) {
                Some(TraversalOperator::GetAttr(a)) => Some(a.as_str()),
                _ => None,
            }
        };
        let span_to = |i: usize| -> Option<Range<usize>> {
            let start = t.expr.span()?.start;
            let end = t.operators.get(i).and_then(|o| o.span()).map(|s| s.end)?;
            Some(start..end)
        };
        match root {
            "var" | "local" => {
                let Some(name) = attr(0) else {
                    return Err(EvalError::new(
                        format!("Invalid reference: \"{root}\" must be followed by an attribute name"),
                        t.expr.span(),
                    ));
                };
                let (v, kind, what) = if root == "var" {
                    (self.lookup.var(name), NameKind::Variable, "input variable")
                } else {
                    (self.lookup.local(name), NameKind::Local, "local value")
                };
                match v {
                    Some(v) => Ok((v, 1)),
                    None => {
                        let mut e = EvalError::new(
                            format!("Reference to undeclared {what}: no {what} named \"{name}\" has been declared"),
                            span_to(0),
                        );
                        if let Some(s) = suggest(name, self.lookup.names(kind).iter().map(String::as_str)) {
                            e = e.help(format!("did you mean \"{root}.{s}\"?"));
                        } else if root == "var" {
                            e = e.help(format!("declare it with a `variable \"{name}\" {{}}` block"));
                        }
                        Err(e)
                    }
                }
            }
            "count" => match (attr(0), self.count_index) {
                (Some("index"), Some(i)) => Ok((Value::from(i), 1)),
                (Some("index"), None) => Err(EvalError::new(
                    "Reference to \"count\" in non-counted context: count.index is only available in blocks that set count",
                    span_to(0),
                )),
                _ => Err(EvalError::new("Invalid reference: the only attribute of count is \"index\"", span_to(0))),
            },
            "each" => match (attr(0), &self.each) {
                (Some("key"), Some((k, _))) => Ok((k.clone(), 1)),
                (Some("value"), Some((_, v))) => Ok((v.clone(), 1)),
                (Some("key" | "value"), None) => Err(EvalError::new(
                    "Reference to \"each\" in context without for_each: each.key and each.value are only available in blocks that set for_each",
                    span_to(0),
                )),
                _ => Err(EvalError::new("Invalid reference: each has only \"key\" and \"value\"", span_to(0))),
            },
            "terraform" => match attr(0) {
                Some("workspace") => Ok((Value::string(workspace()), 1)),
                _ => Err(EvalError::new("Invalid reference: the only attribute of terraform is \"workspace\"", span_to(0))),
            },
            "path" => match attr(0) {
                Some(w @ ("module" | "root" | "cwd")) => {
                    Ok((Value::string(self.lookup.path(w).unwrap_or_else(|| ".".into())), 1))
                }
                _ => Err(EvalError::new("Invalid reference: path has \"module\", \"root\" and \"cwd\"", span_to(0))),
            },
            "data" => {
                let (Some(ty), Some(name)) = (attr(0), attr(1)) else {
                    return Err(EvalError::new(
                        "Invalid reference: a data source is referred to as data.TYPE.NAME",
                        t.expr.span(),
                    ));
                };
                self.resource_ref(true, ty, name, ops, 2, span_to(1))
            }
            "module" => match attr(0).map(|n| (n, self.lookup.module(n))) {
                Some((_, Some(v))) => Ok((v, 1)),
                Some((n, None)) => Err(EvalError::new(
                    format!("Reference to undeclared module: no module call named \"{n}\" is declared in this module"),
                    span_to(0),
                )),
                None => Err(EvalError::new("Invalid reference: a module is referred to as module.NAME", t.expr.span())),
            },
            ty if ty.contains('_') => {
                let Some(name) = attr(0) else {
                    return Err(EvalError::new(
                        format!("Invalid reference: a resource is referred to as {ty}.NAME"),
                        t.expr.span(),
                    ));
                };
                self.resource_ref(false, ty, name, ops, 1, span_to(0))
            }
            other => Err(EvalError::new(
                format!("Invalid reference: unknown name \"{other}\""),
                t.expr.span(),
            )
            .help("references start with var., local., data., count., each., path. or a resource type")),
        }
    }

    fn resource_ref(
        &mut self,
        data: bool,
        ty: &str,
        name: &str,
        ops: &[&TraversalOperator],
        consumed: usize,
        span: Option<Range<usize>>,
    ) -> Result<(Value, usize)> {
        let undeclared = |this: &Self| {
            let full = if data {
                format!("data.{ty}.{name}")
            } else {
                format!("{ty}.{name}")
            };
            let kind = if data {
                NameKind::Data
            } else {
                NameKind::Resource
            };
            let mut e = EvalError::new(
                format!(
                    "Reference to undeclared resource: a {} \"{ty}\" \"{name}\" has not been declared",
                    if data { "data" } else { "resource" }
                ),
                span.clone(),
            );
            let prefix = format!("{ty}.");
            let candidates: Vec<String> = this.lookup.names(kind);
            if let Some(s) = suggest(
                &format!("{ty}.{name}"),
                candidates.iter().map(String::as_str),
            ) {
                e = e.help(format!(
                    "did you mean \"{}{s}\"?",
                    if data { "data." } else { "" }
                ));
            } else {
                let _ = (&full, &prefix);
            }
            e
        };
        // Fast path for TYPE.NAME[key]: look the instance up directly.
        if let Some(TraversalOperator::Index(ix)) = ops.get(consumed) {
            let key = self.eval(ix)?;
            if !key.is_unknown() {
                return match self.lookup.resource_instance(data, ty, name, &key) {
                    None => Err(undeclared(self)),
                    Some(Some(v)) => Ok((v, consumed + 1)),
                    Some(None) => Err(EvalError::new(
                        format!("Invalid index: {ty}.{name} has no instance with key {key}"),
                        ix.span(),
                    )),
                };
            }
        }
        // Fast path for TYPE.NAME.ATTR: the attribute alone, not a copy of the whole object.
        if let Some(TraversalOperator::GetAttr(a)) = ops.get(consumed)
            && let Some(v) = self.lookup.resource_attr(data, ty, name, a.as_str())
        {
            return Ok((v, consumed + 1));
        }
        match self.lookup.resource(data, ty, name) {
            Some(v) => Ok((v, consumed)),
            None => Err(undeclared(self)),
        }
    }

    fn binary(&mut self, b: &hcl_edit::expr::BinaryOp) -> Result<Value> {
        use BinaryOperator as Op;
        let op = *b.operator.value();
        let lhs = self.eval(&b.lhs_expr)?;
        // && and || short-circuit only on a known deciding value, like Terraform 1.x.
        let rhs = self.eval(&b.rhs_expr)?;
        if lhs.is_unknown() || rhs.is_unknown() {
            return Ok(Value::unknown());
        }
        let num = |v: &Value, e: &Expression| {
            v.to_number().ok_or_else(|| {
                EvalError::new(
                    format!(
                        "Unsuitable value for operand: a number is required, not {}",
                        v.type_name()
                    ),
                    e.span(),
                )
            })
        };
        let boolean = |v: &Value, e: &Expression| {
            v.coerce_bool().ok_or_else(|| {
                EvalError::new(
                    format!(
                        "Unsuitable value for operand: a bool is required, not {}",
                        v.type_name()
                    ),
                    e.span(),
                )
            })
        };
        Ok(match op {
            Op::Eq => Value::Bool(lhs == rhs),
            Op::NotEq => Value::Bool(lhs != rhs),
            Op::And => Value::Bool(boolean(&lhs, &b.lhs_expr)? && boolean(&rhs, &b.rhs_expr)?),
            Op::Or => Value::Bool(boolean(&lhs, &b.lhs_expr)? || boolean(&rhs, &b.rhs_expr)?),
            _ => {
                let (x, y) = (num(&lhs, &b.lhs_expr)?, num(&rhs, &b.rhs_expr)?);
                let arith = match op {
                    Op::Plus => x.add(&y),
                    Op::Minus => x.sub(&y),
                    Op::Mul => x.mul(&y),
                    Op::Div => x.div(&y),
                    Op::Mod => x.rem(&y),
                    Op::Less => return Ok(Value::Bool(x < y)),
                    Op::LessEq => return Ok(Value::Bool(x <= y)),
                    Op::Greater => return Ok(Value::Bool(x > y)),
                    Op::GreaterEq => return Ok(Value::Bool(x >= y)),
                    _ => return Ok(Value::Null),
                };
                // hcl's wording for a failed operator function.
                Value::Number(arith.map_err(|e| {
                    EvalError::new(format!("Error during operation: {e}."), b.rhs_expr.span())
                })?)
            }
        })
    }

    fn for_expr(&mut self, f: &ForExpr, span: Option<Range<usize>>) -> Result<Value> {
        let coll = self.eval(&f.intro.collection_expr)?;
        if coll.is_unknown() {
            return Ok(Value::unknown());
        }
        let items = iter_collection(&coll, f.intro.collection_expr.span())?;
        let key_var = f.intro.key_var.as_ref().map(|k| k.as_str().to_string());
        let value_var = f.intro.value_var.as_str().to_string();
        let mut list = Vec::new();
        let mut map: BTreeMap<String, Value> = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut unknown = false;
        for (k, v) in items {
            let pushed = self.bind(key_var.as_deref(), &value_var, k, v);
            let r = (|| -> Result<()> {
                if let Some(c) = &f.cond {
                    match self.eval(&c.expr)? {
                        Value::Unknown(_) => {
                            unknown = true;
                            return Ok(());
                        }
                        cv => match cv.coerce_bool() {
                            Some(true) => {}
                            Some(false) => return Ok(()),
                            None => {
                                return Err(EvalError::new(
                                    "The \"if\" clause of a for expression must be a bool",
                                    c.expr.span(),
                                ));
                            }
                        },
                    }
                }
                let val = self.eval(&f.value_expr)?;
                match &f.key_expr {
                    None => list.push(val),
                    Some(ke) => {
                        let key = self.eval(ke)?;
                        if key.is_unknown() {
                            unknown = true;
                            return Ok(());
                        }
                        let ks = key.coerce_string().ok_or_else(|| {
                            EvalError::new("Invalid object key: a string is required", ke.span())
                        })?;
                        if f.grouping {
                            groups.entry(ks).or_default().push(val);
                        } else {
                            match map.entry(ks) {
                                std::collections::btree_map::Entry::Occupied(o) => {
                                    return Err(EvalError::new(
                                        format!(
                                            "Duplicate object key \"{}\": use \"...\" after the value to group values by key",
                                            o.key()
                                        ),
                                        ke.span(),
                                    ));
                                }
                                std::collections::btree_map::Entry::Vacant(e) => {
                                    e.insert(val);
                                }
                            }
                        }
                    }
                }
                Ok(())
            })();
            self.scopes.truncate(self.scopes.len() - pushed);
            r?;
        }
        let _ = span;
        if unknown {
            return Ok(Value::unknown());
        }
        Ok(match &f.key_expr {
            None => Value::List(list),
            Some(_) if f.grouping => Value::Map(
                groups
                    .into_iter()
                    .map(|(k, v)| (k, Value::List(v)))
                    .collect(),
            ),
            Some(_) => Value::Map(map.into()),
        })
    }
}

/// A lookup with no names: templates rendered by `templatefile` see only their variables, and
/// tfvars values are literals.
pub(crate) struct NoNames;

impl Lookup for NoNames {
    fn var(&self, _: &str) -> Option<Value> {
        None
    }
    fn local(&self, _: &str) -> Option<Value> {
        None
    }
    fn resource(&self, _: bool, _: &str, _: &str) -> Option<Value> {
        None
    }
    fn names(&self, _: NameKind) -> Vec<String> {
        Vec::new()
    }
}

/// The value of an expression that refers to nothing (a default in a type constraint).
pub fn eval_constant(expr: &Expression) -> std::result::Result<Value, String> {
    Evaluator::new(&NoNames, Path::new("."))
        .eval(expr)
        .map_err(|e| e.message)
}

thread_local! {
    /// Set while a `templatefile` template renders: a template calling `templatefile` again
    /// could recurse without end.
    static IN_TEMPLATE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Renders template source `src` (the text of a `templatefile` file) with only `vars` in scope.
/// The error is `LINE,COLUMN: message`.
pub fn render_template(
    src: &str,
    vars: BTreeMap<String, Value>,
    base_dir: &Path,
) -> std::result::Result<Value, String> {
    if IN_TEMPLATE.with(std::cell::Cell::get) {
        return Err(
            "1,1: cannot recursively call templatefile from inside templatefile call".into(),
        );
    }
    let at = |span: Option<Range<usize>>| {
        let start = span.map_or(0, |r| r.start).min(src.len());
        let before = &src[..start];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("{line},{col}")
    };
    let t = hcl_edit::parser::parse_template(src).map_err(|e| {
        format!(
            "{},{}: {}",
            e.location().line(),
            e.location().column(),
            e.message()
        )
    })?;
    let mut ev = Evaluator::new(&NoNames, base_dir);
    ev.scopes.extend(vars);
    IN_TEMPLATE.with(|f| f.set(true));
    let r = ev.template(&t, None);
    IN_TEMPLATE.with(|f| f.set(false));
    r.map_err(|e| format!("{}: {}", at(e.span.clone()), e.message))
}

/// Strips up to `n` columns of leading whitespace from the lines inside the directive bodies of
/// a heredoc template, as the parser has already done for its top-level lines.
fn dedent_bodies(t: &mut Template, n: usize) {
    for el in t.iter_mut() {
        dedent_bodies_of(el, n);
    }
}

/// A directive body starts mid-line (after its `%{…}`), so only text after a newline is at the
/// start of a line.
fn dedent_lines(t: &mut Template, n: usize) {
    let mut at_line_start = false;
    for el in t.iter_mut() {
        match el {
            Element::Literal(lit) => {
                let mut out = String::with_capacity(lit.len());
                let mut budget = if at_line_start { n } else { 0 };
                for c in lit.chars() {
                    if budget > 0 && (c == ' ' || c == '\t') {
                        budget -= 1;
                        continue;
                    }
                    budget = 0;
                    out.push(c);
                    if c == '\n' {
                        budget = n;
                    }
                }
                at_line_start = lit.ends_with('\n');
                *lit.as_mut() = out;
            }
            Element::Directive(_) => {
                at_line_start = false;
                dedent_bodies_of(el, n);
            }
            Element::Interpolation(_) => at_line_start = false,
        }
    }
}

fn dedent_bodies_of(el: &mut Element, n: usize) {
    if let Element::Directive(d) = el {
        match d.as_mut() {
            Directive::If(i) => {
                dedent_lines(&mut i.if_expr.template, n);
                if let Some(e) = i.else_expr.as_mut() {
                    dedent_lines(&mut e.template, n);
                }
            }
            Directive::For(f) => dedent_lines(&mut f.for_expr.template, n),
        }
    }
}

/// The type name HCL uses in a conditional's mismatch message.
fn hcl_type_name(v: &Value) -> &'static str {
    match v {
        Value::List(_) => "tuple",
        Value::Map(_) => "object",
        other => other.type_name(),
    }
}

/// The two results of a conditional converted to their common type, or why they have none.
///
/// Values do not record whether they are maps or objects, so two objects with different
/// attributes are accepted when their values share a type (`var.tags` against `{}` is a map in
/// Terraform), where Terraform refuses two object literals.
fn unify_results(t: &Value, f: &Value) -> std::result::Result<(Value, Value), String> {
    let mismatch = || {
        format!(
            "The 'true' value is {}, but the 'false' value is {}",
            hcl_type_name(t),
            hcl_type_name(f)
        )
    };
    match (t, f) {
        (Value::Null | Value::Unknown(_), _) | (_, Value::Null | Value::Unknown(_)) => {
            Ok((t.clone(), f.clone()))
        }
        (Value::List(a), Value::List(b)) if a.len() == b.len() => {
            let mut x = Vec::with_capacity(a.len());
            let mut y = Vec::with_capacity(b.len());
            for (p, q) in a.iter().zip(b) {
                let (p, q) = unify_results(p, q).or_else(|_| {
                    deep_common(a, b)
                        .then(|| (p.clone(), q.clone()))
                        .ok_or_else(mismatch)
                })?;
                x.push(p);
                y.push(q);
            }
            Ok((Value::List(x), Value::List(y)))
        }
        (Value::List(a) | Value::Set(a), Value::List(b) | Value::Set(b)) => {
            if deep_common(a, b) {
                Ok((t.clone(), f.clone()))
            } else {
                Err(mismatch())
            }
        }
        (Value::Map(a), Value::Map(b)) => {
            if a.keys().eq(b.keys()) {
                let mut x = BTreeMap::new();
                let mut y = BTreeMap::new();
                for ((k, p), q) in a.iter().zip(b.values()) {
                    let (p, q) = unify_results(p, q).map_err(|why| {
                        format!("Type mismatch for object attribute \"{k}\": {why}")
                    })?;
                    x.insert(k.clone(), p);
                    y.insert(k.clone(), q);
                }
                return Ok((Value::Map(x.into()), Value::Map(y.into())));
            }
            let all: Vec<Value> = a.values().chain(b.values()).cloned().collect();
            if super::types::unify(&all).is_some() {
                Ok((t.clone(), f.clone()))
            } else if let Some(k) = a.keys().find(|k| !b.contains_key(*k)) {
                Err(format!(
                    "The 'true' value includes object attribute \"{k}\", which is absent in the 'false' value"
                ))
            } else {
                let k = b
                    .keys()
                    .find(|k| !a.contains_key(*k))
                    .cloned()
                    .unwrap_or_default();
                Err(format!(
                    "The 'false' value includes object attribute \"{k}\", which is absent in the 'true' value"
                ))
            }
        }
        (Value::List(_) | Value::Set(_) | Value::Map(_), _)
        | (_, Value::List(_) | Value::Set(_) | Value::Map(_)) => Err(mismatch()),
        _ => match super::types::unify(&[t.clone(), f.clone()]) {
            Some(v) if v.len() == 2 => Ok((v[0].clone(), v[1].clone())),
            _ => Err(mismatch()),
        },
    }
}

/// Whether the elements of two sequences can all be one element type (a list's).
fn deep_common(a: &[Value], b: &[Value]) -> bool {
    let all: Vec<Value> = a.iter().chain(b).cloned().collect();
    if all
        .iter()
        .all(|v| !matches!(v, Value::List(_) | Value::Set(_) | Value::Map(_)))
    {
        return super::types::unify(&all).is_some();
    }
    // Nested collections: every pair must unify with the first.
    all.iter().all(|v| unify_results(&all[0], v).is_ok())
}

/// HCL's quoted-string escapes: `\n`, `\r`, `\t`, `\"`, `\\`, `\uNNNN` and `\UNNNNNNNN`.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some(u @ ('u' | 'U')) => {
                let n = if u == 'u' { 4 } else { 8 };
                let hex: String = chars.by_ref().take(n).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => {
                        out.push('\\');
                        out.push(u);
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// One piece of a rendered template.
struct Piece {
    text: String,
    strip: Strip,
    /// Literal source text, which strip markers trim; interpolated values are never trimmed.
    literal: bool,
}

impl Piece {
    fn literal(s: &str) -> Piece {
        Piece {
            text: s.to_string(),
            strip: Strip::None,
            literal: true,
        }
    }

    fn marker(strip: Strip) -> Piece {
        Piece {
            text: String::new(),
            strip,
            literal: false,
        }
    }
}

/// The half of a directive's markers that trims the text before it (`%{~`).
fn before(s: Strip) -> Strip {
    if s.strip_start() {
        Strip::Start
    } else {
        Strip::None
    }
}

/// The half that trims the text after it (`~}`).
fn after(s: Strip) -> Strip {
    if s.strip_end() {
        Strip::End
    } else {
        Strip::None
    }
}

/// Joins template pieces, honouring `~` strip markers on the literal text beside them.
fn join_stripped(mut parts: Vec<Piece>) -> String {
    // The parser may split one run of literal text into several pieces (at escapes), so
    // trimming goes on through pieces it empties.
    for i in 0..parts.len() {
        let strip = parts[i].strip;
        if strip.strip_start() {
            let mut j = i;
            while j > 0 && parts[j - 1].literal {
                j -= 1;
                let t = parts[j].text.trim_end().len();
                parts[j].text.truncate(t);
                if !parts[j].text.is_empty() {
                    break;
                }
            }
        }
        if strip.strip_end() {
            let mut j = i + 1;
            while j < parts.len() && parts[j].literal {
                parts[j].text = parts[j].text.trim_start().to_string();
                if !parts[j].text.is_empty() {
                    break;
                }
                j += 1;
            }
        }
    }
    parts.into_iter().map(|p| p.text).collect()
}

/// Every string in a value in normal form C (function results, like literals, are normalised).
fn nfc_value(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(nfc(s)),
        Value::List(items) => Value::List(items.into_iter().map(nfc_value).collect()),
        Value::Set(items) => Value::set(items.into_iter().map(nfc_value).collect()),
        Value::Map(m) => Value::Map(m.into_iter().map(|(k, x)| (nfc(k), nfc_value(x))).collect()),
        other => other,
    }
}

/// Strings are kept in Unicode normal form C, as cty keeps them: "noe\u0308l" is "noël".
pub(crate) fn nfc(s: String) -> String {
    use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};
    if is_nfc_quick(s.chars()) == IsNormalized::Yes {
        return s;
    }
    s.nfc().collect()
}

/// A number literal at cty's 512 bits, from its text: hcl-edit's own value is an f64.
fn literal_number(n: &hcl_edit::Formatted<hcl_edit::Number>) -> super::Number {
    // Integers written as digits are exact in hcl-edit's value: the common case parses nothing.
    let digits = n.as_repr().is_some_and(|r| {
        r.bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b.is_ascii_whitespace())
    });
    if digits && let Some(i) = n.value().as_i64() {
        return super::Number::literal(i);
    }
    let text: String = n
        .as_repr()
        .map(|r| r.chars().filter(|c| !c.is_whitespace()).collect())
        .unwrap_or_default();
    super::Number::parse(&text)
        .or_else(|| n.value().as_f64().and_then(super::Number::from_f64))
        .unwrap_or_else(super::Number::zero)
}

/// The (key, value) pairs a `for` iterates: index/element for lists, key/value for maps,
/// element/element for sets (as in Terraform).
fn iter_collection(coll: &Value, span: Option<Range<usize>>) -> Result<Vec<(Value, Value)>> {
    match coll {
        Value::List(v) => Ok(v
            .iter()
            .enumerate()
            .map(|(i, x)| (Value::from(i), x.clone()))
            .collect()),
        Value::Set(v) => Ok(v.iter().map(|x| (x.clone(), x.clone())).collect()),
        Value::Map(m) => Ok(m
            .iter()
            .map(|(k, x)| (Value::string(k.clone()), x.clone()))
            .collect()),
        other => Err(EvalError::new(
            format!(
                "Iteration over non-iterable value: a {} cannot be iterated",
                other.type_name()
            ),
            span,
        )),
    }
}

pub fn get_attr(value: &Value, name: &str, span: Option<Range<usize>>) -> Result<Value> {
    match value {
        Value::Unknown(_) => Ok(Value::unknown()),
        Value::Map(m) => m.get(name).cloned().ok_or_else(|| {
            let mut e = EvalError::new(
                format!(
                    "Unsupported attribute: this object does not have an attribute named \"{name}\""
                ),
                span,
            );
            if let Some(s) = suggest(name, m.keys().map(String::as_str)) {
                e = e.help(format!("did you mean \"{s}\"?"));
            }
            e
        }),
        Value::Null => Err(EvalError::new(
            format!("Attempt to get attribute \"{name}\" from a null value"),
            span,
        )),
        Value::List(_) | Value::Set(_) => Err(EvalError::new(
            format!(
                "Unsupported attribute: can't access attribute \"{name}\" on a list; use [*].{name} or an index"
            ),
            span,
        )),
        other => Err(EvalError::new(
            format!(
                "Unsupported attribute: can't access attribute \"{name}\" on a {}",
                other.type_name()
            ),
            span,
        )),
    }
}

/// `value[key]` with Terraform's rules; the error is a message without a span.
pub fn index_value(value: &Value, key: &Value) -> std::result::Result<Value, String> {
    match value {
        Value::Unknown(_) => Ok(Value::unknown()),
        Value::List(v) => {
            let n = key
                .to_number()
                .ok_or_else(|| "Invalid index: a number is required".to_string())?;
            match n.to_u64().and_then(|i| usize::try_from(i).ok()) {
                Some(i) if i < v.len() => Ok(v[i].clone()),
                _ if !n.is_integer() && !n.is_infinite() => Err("Invalid index: the given key does not identify an element in this collection value: indexing a sequence requires a whole number, but the given index has a fractional part.".into()),
                _ => Err(format!(
                    "Invalid index: the given key does not identify an element in this collection value (index {n}, length {})",
                    v.len()
                )),
            }
        }
        Value::Map(m) => {
            let k = key
                .coerce_string()
                .ok_or_else(|| "Invalid index: a string key is required".to_string())?;
            m.get(&k)
                .cloned()
                .ok_or_else(|| format!("Invalid index: the given key \"{k}\" does not identify an element in this collection value"))
        }
        Value::Set(_) => Err("Invalid index: elements of a set are identified only by their value and don't have any separate index or key to select with; convert it with tolist(…) first".to_string()),
        Value::Null => Err("Invalid index: cannot index a null value".to_string()),
        other => Err(format!("Invalid index: a {} cannot be indexed", other.type_name())),
    }
}

/// The closest candidate by edit distance, when it is close enough to be a plausible typo.
pub fn suggest<'s>(name: &str, candidates: impl Iterator<Item = &'s str>) -> Option<String> {
    // Both measures cost the product of the two lengths: a name or candidate longer than any
    // identifier anyone types (a mangled file can make a label of 100,000 characters) is not a
    // typo of anything, and comparing it with every candidate took seconds.
    const LONGEST: usize = 256;
    let n = name.chars().count();
    if n > LONGEST {
        return None;
    }
    // Damerau-Levenshtein catches short transpositions ("BPG"), Jaro-Winkler longer typos.
    let limit = (n / 3).max(1);
    candidates
        .filter(|c| c.len() <= LONGEST)
        .filter_map(|c| {
            let d = strsim::damerau_levenshtein(name, c);
            let jw = strsim::jaro_winkler(name, c);
            (d <= limit || jw > 0.88).then_some((d, std::cmp::Reverse((jw * 1e6) as u64), c))
        })
        .min()
        .map(|(_, _, c)| c.to_string())
}

/// A reference from an expression to something declared elsewhere.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ref {
    Var(String),
    Local(String),
    /// `(is_data, type, name)`
    Resource(bool, String, String),
    /// `module.NAME.OUTPUT`; the output is `None` when the reference takes the whole module
    /// (`module.NAME`, `module.NAME[0].OUTPUT`).
    Module(String, Option<String>),
}

/// Every reference an expression makes, with the span of each, for the dependency graph.
pub fn references(expr: &Expression) -> Vec<(Ref, Option<Range<usize>>)> {
    struct V(Vec<(Ref, Option<Range<usize>>)>);
    impl Visit for V {
        fn visit_traversal(&mut self, t: &hcl_edit::expr::Traversal) {
            if let Expression::Variable(root) = &t.expr {
                let attr = |i: usize| match t.operators.get(i).map(|o| o.value()) {
                    Some(TraversalOperator::GetAttr(a)) => Some(a.as_str().to_string()),
                    _ => None,
                };
                let span_to = |i: usize| -> Option<Range<usize>> {
                    Some(t.expr.span()?.start..t.operators.get(i)?.span()?.end)
                };
                let r = match root.as_str() {
                    "var" => attr(0).map(|n| (Ref::Var(n), span_to(0))),
                    "local" => attr(0).map(|n| (Ref::Local(n), span_to(0))),
                    "data" => match (attr(0), attr(1)) {
                        (Some(t), Some(n)) => Some((Ref::Resource(true, t, n), span_to(1))),
                        _ => None,
                    },
                    "module" => attr(0).map(|n| match attr(1) {
                        Some(o) => (Ref::Module(n, Some(o)), span_to(1)),
                        None => (Ref::Module(n, None), span_to(0)),
                    }),
                    "count" | "each" | "path" | "self" | "terraform" => None,
                    ty if ty.contains('_') => {
                        attr(0).map(|n| (Ref::Resource(false, ty.to_string(), n), span_to(0)))
                    }
                    _ => None,
                };
                if let Some(r) = r {
                    self.0.push(r);
                }
            }
            // Index expressions and the root may hold references of their own.
            hcl_edit::visit::visit_traversal(self, t);
        }
    }
    let mut v = V(Vec::new());
    visit_expr(&mut v, expr);
    v.0
}

#[cfg(test)]
mod tests {
    use super::*;

    struct L;
    impl Lookup for L {
        fn var(&self, name: &str) -> Option<Value> {
            match name {
                "n" => Some(Value::from(3u64)),
                "names" => Some(Value::List(vec![Value::string("a"), Value::string("b")])),
                _ => None,
            }
        }
        fn local(&self, _: &str) -> Option<Value> {
            None
        }
        fn resource(&self, _: bool, ty: &str, name: &str) -> Option<Value> {
            (ty == "alicloud_eip_address" && name == "e").then(|| {
                Value::List(vec![Value::Map(crate::lang::value::Map::from([(
                    "id".to_string(),
                    Value::Unknown(Some("alicloud_eip_address.e[0].id".into())),
                )]))])
            })
        }
        fn names(&self, kind: NameKind) -> Vec<String> {
            match kind {
                NameKind::Variable => vec!["n".into(), "names".into()],
                _ => vec![],
            }
        }
    }

    /// `var.secret` is sensitive.
    struct Secret(crate::lang::sensitive::SensitiveNames);
    impl Lookup for Secret {
        fn var(&self, name: &str) -> Option<Value> {
            (name == "secret" || name == "plain").then(|| Value::string("hunter2"))
        }
        fn local(&self, _: &str) -> Option<Value> {
            None
        }
        fn resource(&self, _: bool, _: &str, _: &str) -> Option<Value> {
            None
        }
        fn names(&self, _: NameKind) -> Vec<String> {
            vec![]
        }
        fn sensitive_names(&self) -> Option<&crate::lang::sensitive::SensitiveNames> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_function_error_does_not_quote_a_sensitive_argument() {
        let names = crate::lang::sensitive::SensitiveNames {
            vars: ["secret".to_string()].into(),
            locals: Default::default(),
        };
        let l = Secret(names);
        let run = |src: &str| {
            let e = hcl_edit::parser::parse_expr(src).unwrap_or_else(|e| panic!("{e}"));
            Evaluator::new(&l, Path::new("."))
                .eval(&e)
                .map_err(|e| e.message)
        };
        let hidden = run("tonumber(upper(var.secret))").expect_err("not a number");
        assert!(
            hidden.contains("(sensitive value)") && !hidden.contains("HUNTER2"),
            "{hidden}"
        );
        let shown = run("tonumber(upper(var.plain))").expect_err("not a number");
        assert!(shown.contains("HUNTER2"), "{shown}");
    }

    fn ev(src: &str) -> Result<Value> {
        let e =
            hcl_edit::parser::parse_expr(src).map_err(|e| EvalError::new(e.to_string(), None))?;
        Evaluator::new(&L, Path::new(".")).eval(&e)
    }

    #[test]
    fn arithmetic_and_comparison() {
        assert_eq!(ev("var.n * 2 + 1"), Ok(Value::from(7u64)));
        assert_eq!(ev("var.n > 2 && true"), Ok(Value::Bool(true)));
        assert_eq!(ev("\"1\" == 1"), Ok(Value::Bool(false)));
    }

    #[test]
    fn templates_and_directives() {
        assert_eq!(ev("\"web-${var.n}\""), Ok(Value::string("web-3")));
        assert_eq!(
            ev("\"%{ for x in var.names }${x},%{ endfor }\""),
            Ok(Value::string("a,b,"))
        );
        assert_eq!(
            ev("\"a %{~ if true ~} b %{~ endif ~} c\""),
            Ok(Value::string("abc"))
        );
    }

    #[test]
    fn heredocs_are_templates_and_dedent_with_a_dash() {
        let v = ev("<<-EOT\n    a=${var.n}\n    %{ for x in var.names }${x}%{ endfor }\n  EOT");
        assert_eq!(v, Ok(Value::string("a=3\nab\n")));
        assert_eq!(
            ev("<<EOT\nplain ${1 + 1}\nEOT"),
            Ok(Value::string("plain 2\n"))
        );
    }

    #[test]
    fn conditionals_grouping_and_splat_on_a_single_value() {
        assert_eq!(
            ev("var.n > 2 ? \"big\" : \"small\""),
            Ok(Value::string("big"))
        );
        assert_eq!(
            ev("{for x in [\"a\", \"b\", \"a\"] : x => x...}").map(|v| v.to_json()),
            Ok(serde_json::json!({"a": ["a", "a"], "b": ["b"]}))
        );
        assert_eq!(ev("var.n[*]"), Ok(Value::List(vec![Value::from(3u64)])));
    }

    #[test]
    fn for_expressions_and_splat() {
        assert_eq!(
            ev("[for i, x in var.names : \"${i}${x}\" if x != \"b\"]"),
            Ok(Value::List(vec![Value::string("0a")]))
        );
        assert_eq!(
            ev("{for x in var.names : x => upper(x)}").map(|v| v.to_json()),
            Ok(serde_json::json!({"a": "A", "b": "B"}))
        );
    }

    #[test]
    fn unknown_origin_survives_a_direct_reference() {
        assert_eq!(
            ev("alicloud_eip_address.e[0].id"),
            Ok(Value::Unknown(Some("alicloud_eip_address.e[0].id".into())))
        );
        assert_eq!(
            ev("alicloud_eip_address.e[*].id").map(|v| v.is_wholly_known()),
            Ok(false)
        );
        assert_eq!(
            ev("\"x-${alicloud_eip_address.e[0].id}\""),
            Ok(Value::unknown())
        );
    }

    #[test]
    fn undeclared_variable_suggests_a_near_name() {
        let e = ev("var.nmes").unwrap_err();
        assert!(
            e.message.contains("undeclared input variable"),
            "{}",
            e.message
        );
        assert_eq!(e.help.as_deref(), Some("did you mean \"var.names\"?"));
        assert_eq!(e.span, Some(0..8));
    }

    #[test]
    fn names_longer_than_any_identifier_are_not_compared() {
        // Found by the fuzz campaign: a 100,000-character resource type, compared with every
        // known type by two quadratic measures, held the loader for seconds.
        let long = "alicloud_eip_address".repeat(5000);
        let many: Vec<String> = (0..200).map(|i| format!("alicloud_type_{i}")).collect();
        let t0 = std::time::Instant::now();
        assert_eq!(suggest(&long, many.iter().map(String::as_str)), None);
        assert_eq!(
            suggest("alicloud_type_7", std::iter::once(long.as_str())),
            None
        );
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(1),
            "{:?}",
            t0.elapsed()
        );
        assert_eq!(
            suggest("alicloud_typ_7", many.iter().map(String::as_str)).as_deref(),
            Some("alicloud_type_7")
        );
    }

    #[test]
    fn try_and_can_are_lazy() {
        assert_eq!(ev("try(var.missing, 5)"), Ok(Value::from(5u64)));
        assert_eq!(ev("can(var.missing)"), Ok(Value::Bool(false)));
        assert_eq!(ev("can(var.n)"), Ok(Value::Bool(true)));
    }

    #[test]
    fn references_are_collected_with_spans() {
        let e = hcl_edit::parser::parse_expr(
            "concat(var.a, [local.b], data.t_x.y.z, alicloud_x.w[count.index].id)",
        )
        .unwrap();
        let refs: Vec<Ref> = references(&e).into_iter().map(|r| r.0).collect();
        assert_eq!(
            refs,
            vec![
                Ref::Var("a".into()),
                Ref::Local("b".into()),
                Ref::Resource(true, "t_x".into(), "y".into()),
                Ref::Resource(false, "alicloud_x".into(), "w".into()),
            ]
        );
    }
}
