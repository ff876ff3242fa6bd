//! `apply` (from a fresh plan, or exactly a saved one) and `destroy`: plan, confirm, then walk
//! the operations with `apply::apply`, showing each event through the apply view.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::plan::{Planned, make_plan, show_plan};
use crate::apply;
use crate::cli::apply_view;
use crate::cli::args::PlanArgs;
use crate::cli::context::{Ctx, persist_sim};
use crate::cli::error::{CliError, Exit};
use crate::cli::ui;
use crate::diag::Diagnostic;
use crate::plan::{self, Plan};
use crate::{errln, humanln};

/// `apply [PLAN_FILE]`, and `destroy` (`destroy` true).
pub fn run(
    ctx: &Ctx,
    plan_file: Option<&Path>,
    a: &PlanArgs,
    auto: bool,
    destroy: bool,
) -> Result<Exit, CliError> {
    if a.json {
        ui().set_json_events(true);
        apply_view::version_event(ui());
    }
    if let Some(f) = plan_file {
        let planned = load_saved(ctx, f, a)?;
        return run_apply(planned, a);
    }
    let p = make_plan(ctx, a, destroy, if destroy { "destroy" } else { "apply" })?;
    show_plan(&p, a);
    if !p.plan.has_changes() {
        // A crashed run's journal was folded into the state file before planning
        // (`settle_pending`), so the serial has moved on even when there is nothing to do.
        // Terraform ends a run with nothing to do the same way as any other.
        let state = p.plan.stored.clone();
        apply_view::summary(ui(), a.json, destroy, (0, 0, 0), state.as_ref());
        return Ok(Exit(0));
    }
    if !auto && !confirm(if destroy { "destroy" } else { "apply" })? {
        humanln!(ui(), "\nApply cancelled.");
        return Err(CliError::already_said());
    }
    if !a.json {
        humanln!(ui());
    }
    run_apply(p, a)
}

/// A saved plan, checked against the state and the cloud as they are now (`plan::saved`).
fn load_saved(ctx: &Ctx, f: &Path, a: &PlanArgs) -> Result<Planned, CliError> {
    if let Some(flag) = planning_flag(a) {
        return Err(CliError::user(
            format!("{flag} cannot be used when applying a saved plan"),
            "the saved plan already holds what was planned with its variables and options; plan again with the flag (netform plan --out FILE …), then apply that file",
        ));
    }
    // The loader speaks in exit codes; the error behind one is kept here to be printed once.
    let mut failed: Option<CliError> = None;
    let loaded = plan::saved::load_and_replan(&ctx.dir, f, ctx.store()?, &mut |cfg, args| {
        let setup = ctx
            .vars(cfg, args)
            .and_then(|vars| Ok((ctx.clouds(cfg, &vars)?, vars)));
        match setup {
            Ok((clouds, vars)) => Ok((vars, clouds)),
            Err(e) => {
                let code = e.exit_code();
                failed = Some(e);
                Err(Exit(code))
            }
        }
    });
    let p = loaded.map_err(|e| match e {
        plan::saved::LoadError::Exit(code) => failed.take().unwrap_or_else(|| {
            if code == 101 {
                CliError::internal("loading the saved plan failed")
            } else {
                CliError::already_said()
            }
        }),
        plan::saved::LoadError::User(msg, help) => CliError::user(msg, help),
        plan::saved::LoadError::Diagnostics(d, sources) => CliError::diags(d.0, *sources),
    })?;
    for w in &p.warnings {
        ui().warning(w.clone());
    }
    Ok(Planned {
        cfg: p.cfg,
        clouds: p.clouds,
        plan: p.plan,
        store: p.store,
    })
}

/// Asks the person at the terminal; without one, refuses (a pipeline passes --auto-approve).
fn confirm(what: &str) -> Result<bool, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::user(
            format!("{what} needs confirmation, and there is no terminal to ask on"),
            "pass --auto-approve, or apply a saved plan file (netform plan --out FILE; netform apply FILE)",
        ));
    }
    let line = ui().ask(
        "\nDo you want to perform these actions?\n  netform will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ",
    );
    Ok(line.trim() == "yes")
}

/// A flag Ctrl-C sets; apply then finishes what is in flight, records it, and stops.
fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    let _ = ctrlc::set_handler(move || {
        if f.swap(true, Ordering::SeqCst) {
            // A second Ctrl-C: stop now; the journal already holds every completed operation.
            std::process::exit(130);
        }
        errln!(
            ui(),
            "\nInterrupt received: finishing the operations in flight, then stopping. Press Ctrl-C again to stop at once."
        );
    });
    flag
}

fn run_apply(planned: Planned, a: &PlanArgs) -> Result<Exit, CliError> {
    let Planned {
        cfg,
        clouds,
        plan,
        mut store,
    } = planned;
    let res = {
        let mut view = apply_view::ApplyView::new(ui(), &plan, a.json);
        apply::apply(
            &cfg,
            &plan,
            &clouds,
            &mut store,
            &apply::Options {
                parallelism: a.parallelism,
                cancel: Some(interrupt_flag()),
            },
            &mut |e| view.on_event(e),
        )
    };
    persist_sim(&clouds);
    let report = res.map_err(|e| {
        CliError::user(
            e.to_string(),
            "the state journal keeps every completed operation; run netform plan to see where things stand",
        )
    })?;
    ui().diags(&report.warnings, &cfg.sources);
    if !report.ok() {
        return Err(CliError::diags(
            apply_failure(&report, &plan),
            cfg.sources.clone(),
        ));
    }
    apply_view::summary(
        ui(),
        a.json,
        plan.options.destroy,
        (report.added, report.changed, report.destroyed),
        report.state.as_ref(),
    );
    Ok(Exit(0))
}

/// Why an apply stopped short: interrupted, or which operations failed and what was skipped.
fn apply_failure(report: &apply::Report, plan: &Plan) -> Vec<Diagnostic> {
    if report.failed.is_empty() {
        let not_started = plan.ops.len().saturating_sub(report.completed.len());
        return vec![
            Diagnostic::error(format!(
                "apply was interrupted: {} operation(s) done and recorded in state, {not_started} not started",
                report.completed.len()
            ))
            .with_help("run netform apply again to finish; netform plan shows what is left"),
        ];
    }
    let skipped = if report.skipped.is_empty() {
        "none".to_string()
    } else {
        report.skipped.join(", ")
    };
    let mut diags = Vec::new();
    for (op, e) in &report.failed {
        let mut d = Diagnostic::error(format!("{op} failed: {}: {}", e.code, e.message));
        if let Some(r) = e.rule() {
            d = d.with_rule(r);
        }
        let detail = format!(
            "RequestId: {}{}\ndone: {} operation(s); failed: {}; not done (skipped): {skipped}",
            e.request_id,
            e.recommend
                .as_ref()
                .map(|r| format!("\nRecommend: {r}"))
                .unwrap_or_default(),
            report.completed.len(),
            report.failed.len(),
        );
        diags.push(d.with_detail(detail).with_help("state records everything that completed; fix the cause and run netform apply again to finish"));
    }
    diags
}

/// The first planning option set on a command line that applies a saved plan: they shape a
/// plan, so with a saved one they would be silently ignored (Terraform refuses them too).
fn planning_flag(a: &PlanArgs) -> Option<&'static str> {
    [
        (!a.vars.is_empty(), "--var"),
        (!a.var_files.is_empty(), "--var-file"),
        (!a.target.is_empty(), "--target"),
        (!a.exclude.is_empty(), "--exclude"),
        (!a.replace.is_empty(), "--replace"),
        (a.destroy, "--destroy"),
        (a.refresh_only, "--refresh-only"),
        (!a.refresh, "--refresh=false"),
    ]
    .into_iter()
    .find_map(|(set, flag)| set.then_some(flag))
}
