//! Evaluating what is not a resource inside called modules: a call's instances (its `count` or
//! `for_each`), their input variables (type, default, validation), locals and outputs. Plan walks
//! these nodes in graph order; apply walks them again as objects come to exist, so that a
//! module's expressions see the values the cloud returned.

use crate::address::{InstanceKey, ModuleStep, module_prefix};
use crate::config::Config;
use crate::config::eval::{Expansion, ModuleInstance, ResourceValues, Scope};
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::{Node, split};
use crate::lang::Value;
use crate::lang::eval::{EvalError, Evaluator};

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
