//! What `netform validate` checks, as a library call: load the files, resolve the variables
//! (unset ones are unknown), and plan offline — evaluation, schema and rules without any cloud
//! call. The fuzz campaign (`tests/fuzz`) drives the expression evaluator through this.

use std::path::Path;
use std::sync::Arc;

use super::vars::VarInputs;
use crate::diag::{Diagnostic, Diagnostics, Sources};
use crate::lang::Value;
use crate::plan::{self, PlanOptions};
use crate::provider::{ApiError, Clouds, Params, Product, Transport, api::Timing};

/// Validation makes no cloud call; one that tries is refused (and shows as an error).
struct Offline;

impl Transport for Offline {
    fn call(&self, _: Product, action: &str, _: &Params) -> Result<serde_json::Value, ApiError> {
        Err(ApiError::new(
            500,
            "netform.Offline",
            format!("validate made a cloud call ({action})"),
        ))
    }
}

/// Validates in-memory configuration files (name, text) as `netform validate` does in `dir`
/// (where `file()`, tfvars files and relative paths resolve). Returns every error and warning,
/// and the sources they point into.
pub fn validate_text(
    dir: &Path,
    files: Vec<(String, String)>,
    inputs: &VarInputs,
) -> (Diagnostics, Sources) {
    match super::load_sources(dir, files) {
        Ok(cfg) => validate_config(cfg, inputs),
        Err(f) => (f.diags, f.sources),
    }
}

/// Validates a loaded configuration: variables (unset ones unknown), then an offline plan.
pub fn validate_config(mut cfg: super::Config, inputs: &VarInputs) -> (Diagnostics, Sources) {
    let mut diags = Diagnostics::default();
    let vars = match super::vars::resolve(&mut cfg, inputs) {
        Ok(v) => v,
        Err(d) => {
            // Validation does not need values: unset variables are unknown.
            let real: Vec<Diagnostic> =
                d.0.into_iter()
                    .filter(|x| !x.summary.starts_with("no value for required variable"))
                    .collect();
            diags.extend(Diagnostics(real));
            cfg.variables
                .keys()
                .map(|k| (k.clone(), Value::unknown()))
                .collect()
        }
    };
    let clouds = Clouds {
        transport: Arc::new(Offline),
        per_alias: Default::default(),
        regions: [(None, "cn-hangzhou".to_string())].into_iter().collect(),
        timing: Timing::simulator(),
        sim: None,
        limits: crate::limits::Limits::profile(crate::limits::ProfileName::Current),
    };
    let opts = PlanOptions {
        offline: true,
        refresh: false,
        ..Default::default()
    };
    match plan::plan(
        plan::Inputs {
            cfg: &cfg,
            vars,
            prior: None,
            clouds: &clouds,
        },
        opts,
    ) {
        Ok(p) => diags.extend(p.warnings),
        Err(d) => diags.extend(d),
    }
    (diags, cfg.sources)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Diagnostics {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let files = vec![("main.hcl".to_string(), text.to_string())];
        validate_text(dir.path(), files, &VarInputs::default()).0
    }

    #[test]
    fn a_valid_configuration_has_no_errors_and_unset_variables_are_unknown() {
        let d = run(r#"
provider "alicloud" {
  region = "cn-hangzhou"
}
variable "name" {
  type = string
}
resource "alicloud_eip_address" "e" {
  address_name = var.name
}
"#);
        assert!(!d.has_errors(), "{d:?}");
    }

    #[test]
    fn load_evaluation_and_schema_errors_are_reported() {
        assert!(run("resource \"x\" {").has_errors(), "syntax");
        let d = run(r#"
provider "alicloud" {
  region = "cn-hangzhou"
}
resource "alicloud_eip_address" "e" {
  bandwidth = upper(1, 2)
}
"#);
        assert!(
            d.0.iter()
                .any(|x| x.is_error() && x.summary.contains("upper")),
            "{d:?}"
        );
    }
}
