//! Custom conditions: `precondition` and `postcondition` blocks (a failure is an error that
//! stops the plan), and `check` blocks, whose failed assertions are warnings only, as in
//! Terraform. A condition that is not known until apply passes at plan time.

use crate::config::blocks::Condition;
use crate::config::eval::{Expansion, Scope};
use crate::config::{Config, Mode};
use crate::diag::{Diagnostic, Diagnostics};
use crate::lang::Value;
use crate::lang::eval::Evaluator;
use crate::provider::Clouds;

/// Evaluates `conds` with `ev`; each failure is reported as `what` ("Resource precondition
/// failed"), an error unless `warn`.
pub fn evaluate(
    conds: &[Condition],
    ev: &mut Evaluator,
    what: &str,
    subject: &str,
    warn: bool,
    diags: &mut Diagnostics,
) {
    let level = |m: String| {
        if warn {
            Diagnostic::warning(m)
        } else {
            Diagnostic::error(m)
        }
    };
    for c in conds {
        match ev.eval(&c.condition.expr) {
            Ok(Value::Bool(true) | Value::Unknown(_)) => {}
            Ok(Value::Bool(false)) => {
                let text = ev
                    .eval(&c.error_message.expr)
                    .ok()
                    .and_then(|m| m.coerce_string())
                    .unwrap_or_else(|| "the condition is false".into());
                diags.push(
                    level(format!("{what}: {subject}"))
                        .at(c.condition.range())
                        .with_label(text.clone())
                        .with_detail(text),
                );
            }
            Ok(other) => diags.push(
                level(format!(
                    "invalid condition for {subject}: a bool is required, not {}",
                    other.type_name()
                ))
                .at(c.condition.range()),
            ),
            Err(e) => diags.push(
                level(format!("invalid condition for {subject}: {}", e.message))
                    .at(c.condition.range_of(e.span)),
            ),
        }
    }
}

/// Every module's `check` blocks, in each instance of the module: scoped data sources are read,
/// then each assertion is evaluated; every failure (or failed read) is a warning. A check in a
/// called module is named by its module instance (`module.net.check.x`).
pub fn run_checks(
    cfg: &Config,
    scope: &Scope,
    clouds: &Clouds,
    offline: bool,
    warnings: &mut Diagnostics,
) {
    for m in cfg.all_modules() {
        if m.checks.is_empty() {
            continue;
        }
        for inst in scope.instances_of(&m.path) {
            for check in &m.checks {
                run_check(
                    cfg,
                    m,
                    check,
                    &inst.path,
                    scope,
                    (clouds, offline),
                    warnings,
                );
            }
        }
    }
}

/// One `check` block in one module instance (`module` is empty for the root).
fn run_check(
    cfg: &Config,
    m: &Config,
    check: &crate::config::blocks::Check,
    module: &[crate::address::ModuleStep],
    scope: &Scope,
    (clouds, offline): (&Clouds, bool),
    warnings: &mut Diagnostics,
) {
    let prefix = crate::address::module_prefix(module);
    let subject = if module.is_empty() {
        format!("check \"{}\"", check.name)
    } else {
        format!("{prefix}check.{}", check.name)
    };
    let mut local = scope.clone();
    for d in &check.data {
        let mut ds = Diagnostics::default();
        let args = super::eval_instance(
            cfg,
            d,
            &local,
            module,
            &crate::address::InstanceKey::None,
            None,
            &mut ds,
        );
        let value = match args {
            Some(args) if !offline && args.values().all(Value::is_wholly_known) => {
                match crate::resources::data::read(
                    d.kind.kind,
                    &args,
                    &clouds.client(d.provider.as_deref()),
                ) {
                    Ok(v) => v,
                    Err(e) => {
                        warnings.push(
                            Diagnostic::warning(format!(
                                "{subject}: reading data.{}.{}: {}",
                                d.ty, d.name, e.message
                            ))
                            .at(Some(d.range.clone())),
                        );
                        Value::unknown()
                    }
                }
            }
            _ => Value::unknown(),
        };
        let key = match d.mode {
            Mode::Data => format!("{prefix}data.{}.{}", d.ty, d.name),
            Mode::Managed => format!("{prefix}{}", d.key()),
        };
        local.set_instance(
            &key,
            Expansion::Single,
            crate::address::InstanceKey::None,
            value,
        );
    }
    let view = local.view(module);
    let mut ev = Evaluator::new(&view, &m.dir);
    evaluate(
        &check.asserts,
        &mut ev,
        "Check block assertion failed",
        &subject,
        true,
        warnings,
    );
}
