//! `plan`, and the planning that apply, destroy and `graph --ops` share: load, resolve
//! variables, lock and read the state, settle what a crashed run left pending, then
//! `plan::plan`.

use crate::address::Address;
use crate::cli::apply_view;
use crate::cli::args::{PlanArgs, PlanFormat};
use crate::cli::context::Ctx;
use crate::cli::error::{CliError, Exit};
use crate::cli::ui;
use crate::config::Config;
use crate::plan::{self, Plan, PlanOptions};
use crate::provider::Clouds;
use crate::render::{self, Style};
use crate::state::{State, Store};
use crate::{errln, humanln};

pub fn run(ctx: &Ctx, a: &PlanArgs) -> Result<Exit, CliError> {
    if a.json {
        apply_view::version_event(ui());
    }
    let p = make_plan(ctx, a, false, "plan")?;
    show_plan(&p, a);
    if let Some(f) = &a.out {
        let path = ctx.path(f);
        let views = plan::saved::Views {
            json: render::json::plan(&p.plan, &p.cfg.sources),
            rendered: render::plan::render(&p.plan, Style::PLAIN),
        };
        let saved = plan::saved::save(&p.plan, &p.cfg, a.parallelism, views);
        if let Err(e) = crate::state::write_atomic(&path, saved.as_bytes()) {
            return Err(CliError::user(
                format!("cannot write the plan file {}: {e}", path.display()),
                "check the directory exists and is writable",
            ));
        }
        if !a.json {
            humanln!(ui(), "\nSaved the plan to: {}", f.display());
            // Terraform leaves out what to type next when a pipeline, not a person, runs it.
            if std::env::var_os("TF_IN_AUTOMATION").is_none_or(|v| v.is_empty()) {
                humanln!(
                    ui(),
                    "\nTo perform exactly these actions, run:\n  netform apply {}",
                    f.display()
                );
            }
        }
    }
    let code = if a.detailed_exitcode && p.plan.has_changes() {
        2
    } else {
        0
    };
    // The process ends after this command: freeing a plan of 30,000 instances object by object
    // would cost a tenth of the run. The rest (the lock, the providers) is dropped as usual.
    std::mem::forget(p.plan);
    Ok(Exit(code))
}

/// A plan and what was opened to make it; apply goes on from here.
pub struct Planned {
    pub cfg: Config,
    pub clouds: Clouds,
    pub plan: Plan,
    pub store: Store,
}

fn plan_options(a: &PlanArgs, destroy: bool) -> Result<PlanOptions, CliError> {
    let parse = |v: &[String]| -> Result<Vec<Address>, CliError> {
        v.iter()
            .map(|s| {
                Address::parse(s).map_err(|e| {
                    CliError::user(
                        e,
                        "addresses look like TYPE.NAME, TYPE.NAME[0] or TYPE.NAME[\"key\"]",
                    )
                })
            })
            .collect()
    };
    Ok(PlanOptions {
        destroy: destroy || a.destroy,
        refresh: a.refresh,
        refresh_only: a.refresh_only,
        targets: parse(&a.target)?,
        excludes: parse(&a.exclude)?,
        replace: parse(&a.replace)?,
        offline: false,
    })
}

/// Plans under the state lock, taken for `operation`. Everything the plan reads (the state, the
/// journal, the simulator's cloud) is read after the lock is held, never before: a second run
/// waiting on `--lock-timeout` must see what the first one did.
/// `--generate-config-out=FILE`: resource blocks for the import targets not declared, written
/// before planning so that the plan includes them.
fn generate_config(
    ctx: &Ctx,
    cfg: &Config,
    vars: &std::collections::BTreeMap<String, crate::lang::Value>,
    f: &std::path::Path,
) -> Result<(), CliError> {
    let clouds = ctx.clouds(cfg, vars)?;
    let scope = crate::config::eval::Scope {
        vars: vars.clone(),
        ..Default::default()
    };
    let path = ctx.dir.join(f);
    let n = plan::import::generate_config(cfg, &scope, &clouds, &path).map_err(|e| {
        CliError::user(
            e,
            "choose a new file name, and check the import blocks' ids",
        )
    })?;
    humanln!(
        ui(),
        "Wrote configuration for {n} imported resource(s) to {}.\n",
        f.display()
    );
    Ok(())
}

pub fn make_plan(
    ctx: &Ctx,
    a: &PlanArgs,
    destroy: bool,
    operation: &str,
) -> Result<Planned, CliError> {
    ui().set_json_events(a.json);
    ui().set_machine(a.machine_output());
    let start = std::time::Instant::now();
    let mut cfg = ctx.load()?;
    let mut vars = ctx.vars(&mut cfg, a)?;
    if let Some(f) = &a.generate_config_out {
        generate_config(ctx, &cfg, &vars, f)?;
        cfg = ctx.load()?;
        vars = ctx.vars(&mut cfg, a)?;
    }
    let opts = plan_options(a, destroy)?;
    let mut store = ctx.store_for(&cfg)?;
    if a.lock {
        store.lock(a.lock_timeout, operation)?;
    } else {
        ui().warning(
            "running without the state lock (--lock=false): another run changing this state at the same time can lose changes",
        );
    }
    let loaded = start.elapsed();
    let prior = store.read()?;
    let read = start.elapsed();
    let clouds = ctx.clouds(&cfg, &vars)?;
    let writes = matches!(operation, "apply" | "destroy");
    let prior = settle_pending(&mut store, prior, &clouds, writes)?;
    let plan = plan::plan(
        plan::Inputs {
            cfg: &cfg,
            vars,
            prior,
            clouds: &clouds,
        },
        opts,
    )
    .map_err(|d| CliError::diags(d.0, cfg.sources.clone()))?;
    // Timings only, as the logs promise: where a slow plan spends its time.
    log::debug!(
        target: "netform::timing",
        "configuration {:?}, state read {:?}, plan {:?} ({} changes, {} operations)",
        loaded,
        read - loaded,
        start.elapsed() - read,
        plan.changes.len(),
        plan.ops.len()
    );
    ui().diags(&plan.warnings.0, &cfg.sources);
    warn_unmatched_replace(&plan);
    Ok(Planned {
        cfg,
        clouds,
        plan,
        store,
    })
}

/// Settles the operations a crashed or failed run left pending (`apply::reconcile`) before
/// anything is planned. An apply or destroy records what it finds and folds the crashed run's
/// journal into the state file, so the serial moves on and this run's ClientTokens are new;
/// a plan only looks, in memory.
fn settle_pending(
    store: &mut Store,
    prior: Option<State>,
    clouds: &Clouds,
    writes: bool,
) -> Result<Option<State>, CliError> {
    use crate::apply::reconcile::{Mode, reconcile};
    let Some(mut state) = prior else {
        return Ok(None);
    };
    let fail = |e: &dyn std::fmt::Display| {
        CliError::user(
            e.to_string(),
            "the state and its journal are unchanged; run again",
        )
    };
    let done = if writes && !state.pending.is_empty() {
        let mut journal = store.journal(&state.lineage).map_err(|e| fail(&e))?;
        reconcile(&mut state, clouds, Mode::Apply(&mut journal)).map_err(|e| fail(&e))?
    } else {
        reconcile(&mut state, clouds, Mode::Look).map_err(|e| fail(&e))?
    };
    let settled = done.adopted.len() + done.not_done.len();
    if settled > 0 && !ui().json_events() {
        errln!(
            ui(),
            "Settled {settled} operation(s) an interrupted run left pending: {} done by the cloud (now in state), {} not done (planned again).",
            done.adopted.len(),
            done.not_done.len()
        );
    }
    if writes && store.has_journal() {
        let stored = state.clone();
        store.write(&mut state, Some(&stored))?;
    }
    Ok(Some(state))
}

/// `--replace ADDR` that matches no instance in the plan replaces nothing: say so, rather than
/// let a typo pass for a replacement.
fn warn_unmatched_replace(plan: &Plan) {
    for r in &plan.options.replace {
        if !plan.changes.iter().any(|c| r.matches(&c.address)) {
            ui().warning(format!(
                "--replace {r} matches no resource instance: nothing is replaced for it"
            ));
        }
    }
}

/// The plan in the format asked for: `--json` events, or `--format human|json|markdown` on
/// stdout.
pub fn show_plan(p: &Planned, a: &PlanArgs) {
    if a.json {
        apply_view::plan_events(&p.plan, ui());
        return;
    }
    let text = match a.format {
        PlanFormat::Json => {
            serde_json::to_string_pretty(&render::json::plan(&p.plan, &p.cfg.sources))
                .unwrap_or_default()
                + "\n"
        }
        PlanFormat::Markdown => render::markdown::render(&p.plan),
        PlanFormat::Human => {
            let style = ui().style();
            let start = std::time::Instant::now();
            ui().out_with(|w| render::plan::write(&p.plan, style, w));
            log::debug!(target: "netform::timing", "plan shown in {:?}", start.elapsed());
            return;
        }
    };
    ui().out(&text);
}
