//! `validate`: the configuration checked offline (no cloud, no state); its findings are the
//! product, on stderr or as Terraform's `validate -json` document on stdout.

use crate::cli::context::Ctx;
use crate::cli::error::{CliError, Exit};
use crate::cli::ui;
use crate::config::{self, vars::VarInputs};
use crate::outln;

pub fn run(ctx: &Ctx, json: bool) -> Result<Exit, CliError> {
    let (diags, sources) = match config::load_dir(&ctx.dir) {
        Err(f) => (f.diags, f.sources),
        Ok(cfg) => {
            let inputs = VarInputs {
                env: VarInputs::from_env(),
                ..Default::default()
            };
            config::validate_config(cfg, &inputs)
        }
    };
    let errors = diags.error_count();
    if json {
        let j = serde_json::json!({
            "format_version": "1.0",
            "valid": errors == 0,
            "error_count": errors,
            "warning_count": diags.warning_count(),
            "diagnostics": diags.0.iter().map(|d| sources.diagnostic_json(d)).collect::<Vec<_>>(),
        });
        outln!(
            ui(),
            "{}",
            serde_json::to_string_pretty(&j).unwrap_or_default()
        );
        return Ok(Exit(if errors == 0 { 0 } else { 1 }));
    }
    if errors > 0 {
        return Err(CliError::diags(diags.0, sources));
    }
    ui().diags(&diags.0, &sources);
    outln!(
        ui(),
        "{}",
        ctx.style.green("Success! The configuration is valid.")
    );
    Ok(Exit(0))
}
