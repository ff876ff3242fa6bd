//! The state as commands show it: `show` and `state show` in Terraform's HCL-like layout with
//! sensitive values hidden, `show -json` in Terraform's `values.root_module` form, and
//! `output -json` with `sensitive` and a cty-style `type`.
//!
//! Which attributes are sensitive is not recorded in state: it is what the configuration
//! derives from `sensitive` variables (`plan::sensitive_attributes`), read when the command
//! runs beside its configuration.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value as J, json};

use super::apply_view::cty_type;
use crate::address::InstanceKey;
use crate::config::Mode;
use crate::lang::Value;
use crate::state::State;

/// Per `TYPE.NAME`, the attributes to hide.
pub type Sensitive = BTreeMap<String, BTreeSet<String>>;

/// Terraform's `# ADDR:` / `resource "T" "N" { … }` blocks, then the outputs.
pub fn render(s: &State, sensitive: &Sensitive) -> String {
    let none = BTreeSet::new();
    let mut out = String::new();
    for (a, i) in &s.resources {
        let hidden = sensitive.get(&a.resource_key()).unwrap_or(&none);
        let block = if a.mode == Mode::Data {
            "data"
        } else {
            "resource"
        };
        out.push_str(&format!("# {a}:\n{block} \"{}\" \"{}\" {{\n", a.ty, a.name));
        let w = i.attributes.keys().map(String::len).max().unwrap_or(0);
        for (k, v) in &i.attributes {
            if v.is_null() {
                continue;
            }
            let shown = if hidden.contains(k) {
                "(sensitive value)".to_string()
            } else {
                Value::from_json(v).to_string()
            };
            out.push_str(&format!("    {k:w$} = {shown}\n"));
        }
        out.push_str("}\n\n");
    }
    if !s.outputs.is_empty() {
        out.push_str("Outputs:\n\n");
        for (k, o) in &s.outputs {
            let v = if o.sensitive {
                "(sensitive value)".into()
            } else {
                Value::from_json(&o.value).to_string()
            };
            out.push_str(&format!("{k} = {v}\n"));
        }
    }
    out
}

/// `show -json` of the state, as `terraform show -json` writes it: `format_version`, and
/// under `values` the outputs and `root_module.resources` (address, mode, type, name, index,
/// provider_name, schema_version, values, sensitive_values, depends_on). Sensitive values are
/// present, as in Terraform, and marked in `sensitive_values`.
pub fn json(s: &State, sensitive: &Sensitive) -> J {
    let mut j = json!({
        "format_version": "1.0",
        "netform_version": env!("CARGO_PKG_VERSION"),
    });
    if s.resources.is_empty() && s.outputs.is_empty() {
        return j;
    }
    let none = BTreeSet::new();
    let resources: Vec<J> = s
        .resources
        .iter()
        .map(|(a, i)| {
            let hidden = sensitive.get(&a.resource_key()).unwrap_or(&none);
            let marks: serde_json::Map<String, J> =
                hidden.iter().map(|k| (k.clone(), J::Bool(true))).collect();
            let mut r = json!({
                "address": a.to_string(),
                "mode": if a.mode == Mode::Data { "data" } else { "managed" },
                "type": a.ty,
                "name": a.name,
                "provider_name": "registry.terraform.io/aliyun/alicloud",
                "schema_version": 0,
                "values": i.attributes,
                "sensitive_values": marks,
            });
            match &a.key {
                InstanceKey::None => {}
                InstanceKey::Int(n) => r["index"] = json!(n),
                InstanceKey::Str(k) => r["index"] = json!(k),
            }
            if !i.dependencies.is_empty() {
                r["depends_on"] = json!(i.dependencies);
            }
            r
        })
        .collect();
    let outputs: serde_json::Map<String, J> = s
        .outputs
        .iter()
        .map(|(k, o)| {
            (
                k.clone(),
                json!({"sensitive": o.sensitive, "value": o.value, "type": cty_type(&o.value)}),
            )
        })
        .collect();
    j["values"] = json!({"outputs": outputs, "root_module": {"resources": resources}});
    j
}

/// `output -json`: every output as `{sensitive, type, value}`. Like Terraform, the value of a
/// sensitive output is given here: asking for JSON is asking for the data.
pub fn outputs(s: &State) -> J {
    let m: serde_json::Map<String, J> = s
        .outputs
        .iter()
        .map(|(k, o)| {
            (
                k.clone(),
                json!({"sensitive": o.sensitive, "type": cty_type(&o.value), "value": o.value}),
            )
        })
        .collect();
    J::Object(m)
}
