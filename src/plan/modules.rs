//! Evaluating what is not a resource inside called modules: a call's instances (its `count` or
//! `for_each`), their input variables (type, default, validation), locals and outputs. Plan walks
//! these nodes in graph order; apply walks them again as objects come to exist, so that a
//! module's expressions see the values the cloud returned.
//!
//! [`Taint`] follows sensitivity through the modules: a module input fed from a sensitive value
//! (or declared `sensitive`) is sensitive inside the module, and so are the locals, resource
//! attributes and outputs derived from it, and what the caller derives from such an output.

use std::collections::{BTreeMap, BTreeSet};

use crate::address::{InstanceKey, ModuleStep, module_prefix};
use crate::config::Config;
use crate::config::eval::{Expansion, ModuleInstance, ResourceValues, Scope};
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::{Node, split};
use crate::lang::Value;
use crate::lang::eval::{EvalError, Evaluator, Ref};

/// Evaluates one value node (anything but a resource) for every instance of its module.
/// Root variables come from the inputs and root outputs are evaluated after the resources, so
/// those are left alone.
pub fn eval_node(cfg: &Config, node: &Node, scope: &mut Scope, diags: &mut Diagnostics) {
    match node {
        Node::Resource(_) => {}
        Node::Local(q) => {
            let (path, name) = split(q);
            let Some(m) = cfg.module(&path) else { return };
            let Some(l) = m.locals.get(name) else { return };
            for inst in scope.instances_of(&path) {
                let v = {
                    let view = scope.view(&inst.path);
                    Evaluator::new(&view, &m.dir).eval(&l.value.expr)
                };
                let v = v.unwrap_or_else(|e| {
                    diags.push(error(e, &l.value));
                    Value::unknown()
                });
                scope
                    .locals
                    .insert(format!("{}{name}", module_prefix(&inst.path)), v);
            }
        }
        Node::Var(q) => {
            let (path, name) = split(q);
            if !path.is_empty() {
                input_variable(cfg, &path, name, scope, diags);
            }
        }
        Node::Output(q) => {
            let (path, name) = split(q);
            if !path.is_empty() {
                module_output(cfg, &path, name, scope, diags);
            }
        }
        Node::Module(q) => {
            let (mut path, _) = split(q);
            if let Some(name) = path.pop() {
                call_instances(cfg, &path, &name, scope, diags);
            }
        }
    }
}

fn error(e: EvalError, at: &crate::config::Expr) -> Diagnostic {
    let mut d = Diagnostic::error(e.message.clone()).at(at.range_of(e.span.clone()));
    if let Some(h) = e.help {
        d = d.with_help(h);
    }
    d
}

/// The instances of `module.NAME` called from each instance of the module at `parent`.
fn call_instances(
    cfg: &Config,
    parent: &[String],
    name: &str,
    scope: &mut Scope,
    diags: &mut Diagnostics,
) {
    let Some(m) = cfg.module(parent) else { return };
    let Some(call) = m.modules.get(name) else {
        return;
    };
    let mut all = Vec::new();
    for inst in scope.instances_of(parent) {
        let expanded = {
            let view = scope.view(&inst.path);
            let mut ev = Evaluator::new(&view, &m.dir);
            super::expand_with(
                call.count.as_ref(),
                call.for_each.as_ref(),
                false,
                &mut ev,
                diags,
            )
        };
        let (expansion, keys) = expanded.unwrap_or((Expansion::Single, Vec::new()));
        let mut outputs = ResourceValues::new(expansion);
        for (key, each) in keys {
            let mut path = inst.path.clone();
            path.push(ModuleStep {
                name: name.to_string(),
                key: key.clone(),
            });
            scope
                .module_dirs
                .insert(module_prefix(&path), call.body.rel_dir.clone());
            all.push(ModuleInstance {
                count_index: match &key {
                    InstanceKey::Int(i) => Some(*i),
                    _ => None,
                },
                each: match (&key, each) {
                    (InstanceKey::Str(k), Some(v)) => Some((Value::string(k.clone()), v)),
                    _ => None,
                },
                path,
            });
            outputs
                .instances
                .insert(key, Value::Map(Default::default()));
        }
        scope.modules.insert(
            format!("{}module.{name}", module_prefix(&inst.path)),
            outputs,
        );
    }
    let mut full = parent.to_vec();
    full.push(name.to_string());
    scope.instances.insert(full.join("."), all);
}

/// A called module's input variable: the call's argument, evaluated where the call is (with
/// the call's `count.index` / `each`), or the default; converted to its type and validated.
fn input_variable(
    cfg: &Config,
    path: &[String],
    name: &str,
    scope: &mut Scope,
    diags: &mut Diagnostics,
) {
    let (Some(parent), Some(child)) = (cfg.module(&path[..path.len() - 1]), cfg.module(path))
    else {
        return;
    };
    let Some(call) = path.last().and_then(|n| parent.modules.get(n)) else {
        return;
    };
    let Some(decl) = child.variables.get(name) else {
        return;
    };
    let arg = call.args.iter().find(|a| a.name == name);
    for inst in scope.instances_of(path) {
        let parent_path = &inst.path[..inst.path.len() - 1];
        let value = match (arg, &decl.default) {
            (Some(a), _) => {
                let view = scope.view(parent_path);
                let mut ev = Evaluator::new(&view, &parent.dir);
                ev.count_index = inst.count_index;
                ev.each = inst.each.clone();
                ev.eval(&a.value.expr)
                    .map_err(|e| Box::new(error(e, &a.value)))
            }
            (None, Some(d)) => Evaluator::new(&scope.view(&[]), &child.dir)
                .eval(&d.expr)
                .map_err(|e| Box::new(error(e, d))),
            // Reported when the configuration was loaded.
            (None, None) => Ok(Value::Null),
        };
        let value = value.and_then(|v| {
            if v.is_unknown() {
                return Ok(v);
            }
            decl.ty.convert(&v).map_err(|m| {
                Box::new(
                    Diagnostic::error(format!(
                        "invalid value for input variable \"{name}\" of {}: {m}",
                        module_prefix(&inst.path).trim_end_matches('.')
                    ))
                    .at(arg.and_then(|a| a.value.range()))
                    .with_help(format!("the variable's type is {}", decl.ty)),
                )
            })
        });
        let v = match value {
            Ok(v) => {
                let one = std::collections::BTreeMap::from([(name.to_string(), v.clone())]);
                let only = crate::config::vars::OnlyVars(&one);
                crate::config::vars::check_validations(decl, &only, &child.dir, diags);
                v
            }
            Err(d) => {
                diags.push(*d);
                Value::unknown()
            }
        };
        scope
            .vars
            .insert(format!("{}{name}", module_prefix(&inst.path)), v);
    }
}

/// A called module's output, set in the calling instance's `module.NAME` value.
fn module_output(
    cfg: &Config,
    path: &[String],
    name: &str,
    scope: &mut Scope,
    diags: &mut Diagnostics,
) {
    let Some(child) = cfg.module(path) else {
        return;
    };
    let Some(o) = child.outputs.get(name) else {
        return;
    };
    for inst in scope.instances_of(path) {
        let v = {
            let view = scope.view(&inst.path);
            super::conditions::evaluate(
                &o.preconditions,
                &mut Evaluator::new(&view, &child.dir),
                "Module output value precondition failed",
                &format!("{}output.{name}", module_prefix(&inst.path)),
                false,
                diags,
            );
            Evaluator::new(&view, &child.dir).eval(&o.value.expr)
        };
        let v = v.unwrap_or_else(|e| {
            diags.push(error(e, &o.value));
            Value::unknown()
        });
        let Some((last, parent_path)) = inst.path.split_last() else {
            continue;
        };
        let key = format!("{}module.{}", module_prefix(parent_path), last.name);
        if let Some(rv) = scope.modules.get_mut(&key)
            && let Some(Value::Map(m)) = rv.instances.get_mut(&last.key)
        {
            m.insert(name.to_string(), v);
        }
    }
}

/// Re-evaluates every called module's variables, locals and outputs in dependency order, with
/// what the scope holds now (apply calls it as objects come to exist). The instances of each call
/// were fixed by the plan and stay. Nothing to do without modules.
pub fn refresh(cfg: &Config, scope: &mut Scope) {
    if cfg.modules.is_empty() {
        return;
    }
    let Ok(g) = crate::graph::build(cfg) else {
        return;
    };
    let mut ignored = Diagnostics::default();
    for idx in &g.order {
        let node = &g.graph[*idx];
        let in_module = match node {
            Node::Var(q) | Node::Local(q) | Node::Output(q) => q.starts_with("module."),
            Node::Resource(_) | Node::Module(_) => false,
        };
        if in_module {
            eval_node(cfg, node, scope, &mut ignored);
        }
    }
}

/// Whether a variable of the scope (`NAME`, or `module.net["a"].NAME` in a called module) is
/// sensitive: declared so, or (in a module) fed from a sensitive value.
pub fn is_sensitive_var(scope: &Scope, cfg: &Config, key: &str) -> bool {
    match crate::address::parse_module_path(key, key) {
        Ok((path, name)) if !path.is_empty() => scope
            .sensitive_modules
            .get(&crate::address::module_config_prefix(&path))
            .is_some_and(|n| n.vars.contains(name)),
        _ => cfg.variables.get(key).is_some_and(|v| v.sensitive),
    }
}

/// Which names derive from sensitive values, per module: what a plan hides and what an output
/// must declare `sensitive`. Followed by name, statically (every instance of a module alike),
/// through variables, locals, module inputs and module outputs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Taint {
    /// This module's sensitive variables and the locals derived from them.
    pub vars: BTreeSet<String>,
    pub locals: BTreeSet<String>,
    /// Outputs of the modules it calls that are sensitive, as `CALL.OUTPUT`.
    outputs: BTreeSet<String>,
    /// The called modules', by call name.
    modules: BTreeMap<String, Taint>,
}

impl Taint {
    /// Walks the graph in order, so that what a name derives from is known before it.
    pub fn new(cfg: &Config, g: &crate::graph::ConfigGraph) -> Taint {
        let mut t = Taint::default();
        for idx in &g.order {
            let (path, name, is) = match &g.graph[*idx] {
                Node::Var(q) => {
                    let (path, name) = split(q);
                    let is = t.var_is_sensitive(cfg, &path, name);
                    (path, name.to_string(), is.then_some(Kind::Var))
                }
                Node::Local(q) => {
                    let (path, name) = split(q);
                    let is = cfg
                        .module(&path)
                        .and_then(|m| m.locals.get(name))
                        .is_some_and(|l| t.for_module(&path).touches(&l.value));
                    (path, name.to_string(), is.then_some(Kind::Local))
                }
                Node::Output(q) => {
                    let (path, name) = split(q);
                    let is = !path.is_empty()
                        && cfg
                            .module(&path)
                            .and_then(|m| m.outputs.get(name))
                            .is_some_and(|o| o.sensitive || t.for_module(&path).touches(&o.value));
                    (path, name.to_string(), is.then_some(Kind::Output))
                }
                Node::Resource(_) | Node::Module(_) => continue,
            };
            match is {
                Some(Kind::Var) => t.module_mut(&path).vars.insert(name),
                Some(Kind::Local) => t.module_mut(&path).locals.insert(name),
                Some(Kind::Output) => match path.split_last() {
                    Some((call, parent)) => t
                        .module_mut(parent)
                        .outputs
                        .insert(format!("{call}.{name}")),
                    None => false,
                },
                None => false,
            };
        }
        t
    }

    /// A variable is sensitive when declared so, or (in a called module) when the call's
    /// argument for it derives from a sensitive value.
    fn var_is_sensitive(&self, cfg: &Config, path: &[String], name: &str) -> bool {
        let Some(decl) = cfg.module(path).and_then(|m| m.variables.get(name)) else {
            return false;
        };
        if decl.sensitive {
            return true;
        }
        let Some((call, parent)) = path.split_last() else {
            return false;
        };
        cfg.module(parent)
            .and_then(|m| m.modules.get(call))
            .and_then(|c| c.args.iter().find(|a| a.name == name))
            .is_some_and(|a| self.for_module(parent).touches(&a.value))
    }

    fn module_mut(&mut self, path: &[String]) -> &mut Taint {
        match path.split_first() {
            None => self,
            Some((first, rest)) => self
                .modules
                .entry(first.clone())
                .or_default()
                .module_mut(rest),
        }
    }

    /// The names of the module at a static call path (the root for an empty one).
    pub fn for_module(&self, path: &[String]) -> &Taint {
        static NONE: std::sync::LazyLock<Taint> = std::sync::LazyLock::new(Taint::default);
        match path.split_first() {
            None => self,
            Some((first, rest)) => self
                .modules
                .get(first)
                .map_or(&*NONE, |m| m.for_module(rest)),
        }
    }

    /// Whether an expression of this module derives from a sensitive value.
    pub fn touches(&self, e: &crate::config::Expr) -> bool {
        if self.vars.is_empty() && self.locals.is_empty() && self.outputs.is_empty() {
            return false;
        }
        e.refs().iter().any(|(r, _)| match r {
            Ref::Var(v) => self.vars.contains(v),
            Ref::Local(l) => self.locals.contains(l),
            Ref::Module(m, Some(o)) => self.outputs.contains(&format!("{m}.{o}")),
            Ref::Module(m, None) => {
                let p = format!("{m}.");
                self.outputs.iter().any(|o| o.starts_with(&p))
            }
            Ref::Resource(..) => false,
        })
    }

    /// Whether output `output` of this module's call `call` is sensitive.
    pub fn output_is_sensitive(&self, call: &str, output: &str) -> bool {
        self.outputs.contains(&format!("{call}.{output}"))
    }

    /// This module's names as the evaluator takes them, to keep them out of error messages.
    pub fn names(&self) -> crate::lang::sensitive::SensitiveNames {
        crate::lang::sensitive::SensitiveNames {
            vars: self.vars.clone(),
            locals: self.locals.clone(),
        }
    }

    /// Every module's names, by the module's static prefix (`module.net.`), for the scope.
    pub fn names_by_module(&self) -> BTreeMap<String, crate::lang::sensitive::SensitiveNames> {
        let mut out = BTreeMap::new();
        self.collect_names("", &mut out);
        out
    }

    fn collect_names(
        &self,
        prefix: &str,
        out: &mut BTreeMap<String, crate::lang::sensitive::SensitiveNames>,
    ) {
        let any = !self.vars.is_empty() || !self.locals.is_empty();
        if !prefix.is_empty() && any {
            out.insert(prefix.to_string(), self.names());
        }
        for (name, m) in &self.modules {
            m.collect_names(&format!("{prefix}module.{name}."), out);
        }
    }
}

enum Kind {
    Var,
    Local,
    Output,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A root calling `a`, which calls `b`; the files are written to a temporary directory.
    fn load(files: &[(&str, &str)]) -> Config {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for (name, text) in files {
            let p = dir.path().join(name);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
            }
            std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
        }
        crate::config::load_dir(dir.path()).unwrap_or_else(|f| panic!("{:?}", f.diags))
    }

    #[test]
    fn sensitivity_goes_into_modules_and_comes_back_through_outputs() {
        let cfg = load(&[
            (
                "main.hcl",
                r#"
variable "token" {
  sensitive = true
}
module "a" {
  source = "./a"
  secret = "x-${var.token}"
  plain  = "y"
}
locals {
  from_a  = module.a.deep
  plain_a = module.a.plain
}
"#,
            ),
            (
                "a/main.hcl",
                r#"
variable "secret" {}
variable "plain" {}
locals {
  s = upper(var.secret)
}
module "b" {
  source = "../b"
  v      = local.s
  w      = var.plain
}
output "deep" {
  value = module.b.echo
}
output "plain" {
  value = module.b.other
}
"#,
            ),
            (
                "b/main.hcl",
                r#"
variable "v" {}
variable "w" {}
variable "declared" {
  default   = "z"
  sensitive = true
}
output "echo" {
  value = var.v
}
output "other" {
  value = var.w
}
"#,
            ),
        ]);
        let g = crate::graph::build(&cfg).unwrap_or_else(|d| panic!("{d:?}"));
        let t = Taint::new(&cfg, &g);
        let set = |v: &[&str]| {
            v.iter()
                .map(|s| s.to_string())
                .collect::<BTreeSet<String>>()
        };
        assert_eq!(t.vars, set(&["token"]));
        assert_eq!(t.locals, set(&["from_a"]));
        let a = t.for_module(&["a".into()]);
        assert_eq!(a.vars, set(&["secret"]));
        assert_eq!(a.locals, set(&["s"]));
        let b = t.for_module(&["a".into(), "b".into()]);
        assert_eq!(b.vars, set(&["declared", "v"]));
        let by = t.names_by_module();
        assert_eq!(
            by.keys().cloned().collect::<Vec<_>>(),
            ["module.a.", "module.a.module.b."]
        );
        // An unknown module has nothing sensitive.
        assert!(t.for_module(&["nope".into()]).vars.is_empty());
    }
}
