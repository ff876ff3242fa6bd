//! Provider assembly: from the configuration's `provider "alicloud"` blocks (and the command
//! line's `--simulator`) to the [`Clouds`] a command talks to — a region per block, the embedded
//! simulator or one signed HTTP transport per block (endpoint, signature version), and the limits
//! the plan checks against.
//!
//! Nothing here prints: problems come back as diagnostics (with source ranges where a block or
//! attribute is at fault) and the CLI renders them, so `plan`, `apply`, `import` and
//! `sim capture` all assemble their provider the same way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::eval::Scope;
use crate::config::{Attr, Config, Provider, signature_version_problem};
use crate::diag::Diagnostic;
use crate::lang::Value;
use crate::lang::eval::Evaluator;
use crate::limits::{InstanceType, Limits};
use crate::provider::aliyun::{
    Credentials, HttpTransport, SignatureVersion, TransportError, endpoint_from_env,
};
use crate::provider::api::{Client, Timing};
use crate::provider::sim::Sim;
use crate::provider::wire::ecs;
use crate::provider::{Clouds, Product, Transport};

/// Regions by provider block: `None` is the default block, `Some(alias)` the others.
pub type Regions = BTreeMap<Option<String>, String>;

/// A provider that was assembled, with the warnings met on the way (a world file edited since the
/// simulated cloud was seeded, a cloud that would not list its instance types).
pub struct Assembled {
    pub clouds: Clouds,
    pub warnings: Vec<Diagnostic>,
}

/// Why no provider could be assembled.
#[derive(Debug)]
pub enum Failure {
    /// The user's to fix; the diagnostics point into the configuration where they can.
    Config(Vec<Diagnostic>),
    /// A bug (a poisoned lock): the CLI exits 101.
    Internal(String),
}

impl From<Diagnostic> for Failure {
    fn from(d: Diagnostic) -> Self {
        Failure::Config(vec![d])
    }
}

/// The cloud the configuration selects: the simulator (a `simulator` block, or `simulator` from
/// the command line's `--simulator[=WORLD]`, where `""` means the built-in world) or the real
/// API. Never a fallback from one to the other.
pub fn clouds(
    cfg: &Config,
    vars: &BTreeMap<String, Value>,
    simulator: Option<&str>,
    dir: &Path,
) -> Result<Assembled, Failure> {
    let scope = Scope {
        vars: vars.clone(),
        ..Default::default()
    };
    let regions = regions(cfg, &scope, simulator.is_some())?;
    let use_sim = simulator.is_some() || cfg.providers.iter().any(|p| p.simulator.is_some());
    if !use_sim {
        return real_clouds(cfg, &scope, regions);
    }
    let world = world_path(simulator, Some(cfg), &scope)?;
    let sim = Sim::open(dir, world.as_deref()).map_err(|e| {
        Diagnostic::error(e.to_string()).with_help(
            "fix the world file, or run `netform sim reset` to start the simulated cloud over",
        )
    })?;
    let warnings = sim
        .warnings
        .iter()
        .map(|w| Diagnostic::warning(w.clone()))
        .collect();
    let limits = sim
        .with_cloud(|c| c.limits.clone())
        .ok_or_else(|| Failure::Internal("the simulated cloud's lock is poisoned".into()))?;
    let sim = Arc::new(sim);
    Ok(Assembled {
        clouds: Clouds {
            transport: sim.clone() as Arc<dyn Transport>,
            per_alias: Default::default(),
            regions,
            timing: Timing::simulator(),
            sim: Some(sim),
            limits,
        },
        warnings,
    })
}

/// The region of every provider block (its `region`, else `ALIBABA_CLOUD_REGION`), and that all
/// blocks use the same cloud.
fn regions(cfg: &Config, scope: &Scope, simulator_flag: bool) -> Result<Regions, Failure> {
    let mut regions = Regions::new();
    let mut diags = Vec::new();
    for p in &cfg.providers {
        let region = match p.attrs.iter().find(|a| a.name == "region") {
            Some(a) => match Evaluator::new(scope, &cfg.dir).eval(&a.value.expr) {
                Ok(Value::String(s)) => Some(s),
                Ok(other) => {
                    diags.push(
                        Diagnostic::error(format!(
                            "region must be a string, not {}",
                            other.type_name()
                        ))
                        .at(a.value.range()),
                    );
                    None
                }
                Err(e) => {
                    diags.push(Diagnostic::error(e.message).at(a.value.range_of(e.span)));
                    None
                }
            },
            None => std::env::var("ALIBABA_CLOUD_REGION").ok(),
        };
        match region {
            Some(r) => {
                regions.insert(p.alias.clone(), r);
            }
            None if diags.is_empty() => diags.push(Diagnostic::error("the provider has no region").at(Some(p.range.clone())).with_help("set region = \"cn-hangzhou\" (or another region) in the provider block, or ALIBABA_CLOUD_REGION")),
            None => {}
        }
    }
    if cfg.providers.is_empty() {
        match std::env::var("ALIBABA_CLOUD_REGION") {
            Ok(r) => {
                regions.insert(None, r);
            }
            Err(_) if simulator_flag => {
                regions.insert(None, "cn-hangzhou".to_string());
            }
            Err(_) => diags.push(Diagnostic::error("no provider \"alicloud\" block").with_help("add provider \"alicloud\" { region = \"cn-hangzhou\" } and, for the embedded simulator, a simulator {} block inside it")),
        }
    }
    let sims: Vec<bool> = cfg
        .providers
        .iter()
        .map(|p| p.simulator.is_some())
        .collect();
    if sims.iter().any(|s| *s) && sims.iter().any(|s| !*s) && !simulator_flag {
        let p = cfg.providers.iter().find(|p| p.simulator.is_none());
        diags.push(Diagnostic::error("provider blocks mix the simulator and the real cloud").at(p.map(|p| p.range.clone())).with_help("all provider blocks of one configuration use the same cloud: add a simulator {} block to every one, or to none"));
    }
    if diags.is_empty() {
        Ok(regions)
    } else {
        Err(Failure::Config(diags))
    }
}

/// The world file the simulator is seeded from: `--simulator=FILE` (`simulator`), else the
/// provider's `simulator { world = … }` (relative to the configuration), else the built-in world.
pub fn world_path(
    simulator: Option<&str>,
    cfg: Option<&Config>,
    scope: &Scope,
) -> Result<Option<PathBuf>, Failure> {
    if let Some(w) = simulator.filter(|w| !w.is_empty()) {
        return Ok(Some(PathBuf::from(w)));
    }
    let Some(cfg) = cfg else { return Ok(None) };
    let Some(e) = cfg
        .providers
        .iter()
        .find_map(|p| p.simulator.clone().flatten())
    else {
        return Ok(None);
    };
    match Evaluator::new(scope, &cfg.dir).eval(&e.expr) {
        Ok(Value::String(s)) => Ok(Some(cfg.dir.join(s))),
        _ => Err(Diagnostic::error("world must be a file name")
            .at(e.range())
            .with_help("write world = \"world.json\" (relative to the configuration directory)")
            .into()),
    }
}

/// The real cloud over signed HTTP. Missing credentials are an error before any call.
fn real_clouds(cfg: &Config, scope: &Scope, regions: Regions) -> Result<Assembled, Failure> {
    use crate::provider::aliyun::Credentials;
    let creds = Credentials::from_env().map_err(|e| {
        Diagnostic::error(e.to_string()).with_help("export ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or add `simulator {}` to the provider block to use the embedded simulator")
    })?;
    let mut per_alias = BTreeMap::new();
    let mut default = None;
    for (alias, region) in &regions {
        let block = cfg.providers.iter().find(|p| &p.alias == alias);
        let t = transport(cfg, scope, block, &creds, region)?;
        let t: Arc<dyn Transport> = Arc::new(t);
        if alias.is_none() || default.is_none() {
            default = Some(t.clone());
        }
        per_alias.insert(alias.clone(), t);
    }
    let Some(transport) = default else {
        return Err(Diagnostic::error("no provider region")
            .with_help("add a provider \"alicloud\" block with a region")
            .into());
    };
    let probe_region = regions
        .get(&None)
        .or_else(|| regions.values().next())
        .cloned()
        .unwrap_or_default();
    let mut warnings = Vec::new();
    let limits = limits(cfg, scope, transport.as_ref(), probe_region, &mut warnings)?;
    Ok(Assembled {
        clouds: Clouds {
            transport,
            per_alias,
            regions,
            timing: Timing::cloud(),
            sim: None,
            limits,
        },
        warnings,
    })
}

/// The signed HTTP transport of one provider block: its region, signature version and where each
/// product's calls go — the block's `endpoints { ecs/vpc/slb = … }` for that product, else its
/// `endpoint` for all products, else `NETFORM_ALICLOUD_ENDPOINT`, else the region's host.
fn transport(
    cfg: &Config,
    scope: &Scope,
    block: Option<&Provider>,
    creds: &Credentials,
    region: &str,
) -> Result<HttpTransport, Failure> {
    let endpoint = string_attr(cfg, scope, block, "endpoint")?
        .map(|(v, _)| v)
        .or_else(endpoint_from_env);
    let version = match string_attr(cfg, scope, block, "signature_version")? {
        None => SignatureVersion::V3,
        Some((v, a)) => match signature_version_problem(&v) {
            None if v == "v1" => SignatureVersion::V1,
            None => SignatureVersion::V3,
            Some(problem) => {
                return Err(Diagnostic::error(problem)
                    .at(a.value.range())
                    .with_help("write signature_version = \"v3\" (ACS3-HMAC-SHA256, the default) or \"v1\" (HMAC-SHA1)")
                    .into());
            }
        },
    };
    let mut t = HttpTransport::new(creds.clone(), region, endpoint, version)
        .map_err(|e| transport_error(e, None))?;
    for a in block.map(|b| b.endpoints.as_slice()).unwrap_or_default() {
        let Some(product) = Product::ALL.into_iter().find(|p| p.prefix() == a.name) else {
            continue; // config refuses other keys at load
        };
        let url = eval_string(cfg, scope, a)?;
        t = t
            .with_product_endpoint(product, &url)
            .map_err(|e| transport_error(e, Some(a)))?;
    }
    Ok(t)
}

fn transport_error(e: TransportError, at: Option<&Attr>) -> Failure {
    let help = match &e {
        TransportError::Endpoint(_) => "write the endpoint as http://host:port or https://host",
        TransportError::RateLimits(_) => {
            "write NETFORM_ALICLOUD_RATE_LIMITS as ACTION=PER_SECOND pairs, e.g. Describe*=10,*=off"
        }
    };
    Diagnostic::error(e.to_string())
        .at(at.and_then(|a| a.value.range()))
        .with_help(help)
        .into()
}

/// A string attribute of a provider block, evaluated, with the attribute (for diagnostics). A
/// value that does not evaluate to a string is an error, never silently dropped: a dropped
/// `endpoint` would send the calls to the real cloud instead.
fn string_attr<'a>(
    cfg: &Config,
    scope: &Scope,
    block: Option<&'a Provider>,
    name: &str,
) -> Result<Option<(String, &'a Attr)>, Failure> {
    let Some(a) = block.and_then(|b| b.attrs.iter().find(|a| a.name == name)) else {
        return Ok(None);
    };
    Ok(Some((eval_string(cfg, scope, a)?, a)))
}

fn eval_string(cfg: &Config, scope: &Scope, a: &Attr) -> Result<String, Failure> {
    match Evaluator::new(scope, &cfg.dir).eval(&a.value.expr) {
        Ok(v) => v.coerce_string().ok_or_else(|| {
            Diagnostic::error(format!(
                "{} must be a string, not {}",
                a.name,
                v.type_name()
            ))
            .at(a.value.range())
            .into()
        }),
        Err(e) => Err(Diagnostic::error(e.message)
            .at(a.value.range_of(e.span))
            .into()),
    }
}

/// The limits of the real cloud: the provider block's `limits_profile`, the cloud's own
/// DescribeInstanceTypes rows over its instance-type table, and the block's `limits = { … }`
/// overrides over both.
fn limits(
    cfg: &Config,
    scope: &Scope,
    transport: &dyn Transport,
    region: String,
    warnings: &mut Vec<Diagnostic>,
) -> Result<crate::limits::Limits, Failure> {
    let profile = match cfg
        .providers
        .iter()
        .find_map(|p| p.attrs.iter().find(|a| a.name == "limits_profile"))
        .and_then(|a| a.value.expr.as_str().map(str::to_string))
        .as_deref()
    {
        Some("2021") => crate::limits::ProfileName::Y2021,
        _ => crate::limits::ProfileName::Current,
    };
    // `limits = { … }` overrides single values of the profile, as a world file's section does.
    let mut limits = crate::limits::Limits::profile(profile);
    // Per-instance-type numbers come from the cloud itself (DescribeInstanceTypes), over the
    // built-in 2021 table; the provider block's overrides below still win.
    let probe = Client {
        transport,
        region,
        timing: Timing::cloud(),
    };
    match probe.list_all_tokens(&ecs::DescribeInstanceTypes::default()) {
        Ok(rows) => merge_instance_types(&mut limits, &rows),
        Err(e) => warnings.push(Diagnostic::warning(format!(
            "DescribeInstanceTypes failed ({}): using the built-in instance-type table",
            e.code
        ))),
    }
    if let Some(a) = cfg
        .providers
        .iter()
        .find_map(|p| p.attrs.iter().find(|a| a.name == "limits"))
    {
        let help = "write limits = { available_eni_secondary_ipv4 = 30, … } with the keys of a world file's `limits` section";
        let v = Evaluator::new(scope, &cfg.dir)
            .eval(&a.value.expr)
            .map_err(|e| {
                Diagnostic::error(format!("provider block limits: {}", e.message)).with_help(help)
            })?;
        limits = provider_limit_overrides(&v)
            .and_then(|o| limits.with_overrides(&o))
            .map_err(|e| {
                Diagnostic::error(format!("provider block limits: {e}")).with_help(help)
            })?;
    }
    Ok(limits)
}

/// Rows of a DescribeInstanceTypes answer replace the built-in rows of the same id. A type the
/// cloud does not list keeps its built-in row.
pub fn merge_instance_types(limits: &mut Limits, rows: &[ecs::InstanceType]) {
    for r in rows {
        let Some(row) = instance_type_row(r, limits, "DescribeInstanceTypes") else {
            continue;
        };
        match limits.instance_types.iter_mut().find(|t| t.id == row.id) {
            Some(t) => *t = row,
            None => limits.instance_types.push(row),
        }
    }
}

/// A DescribeInstanceTypes row as a limits row, or `None` when it lacks the ENI numbers (an
/// answer without them says nothing about the type). Whether attach needs a stopped instance is
/// not in the API, so that flag is kept from `limits`' own row.
pub fn instance_type_row(
    r: &ecs::InstanceType,
    limits: &Limits,
    source: &str,
) -> Option<InstanceType> {
    let n = |x: u64| u32::try_from(x).unwrap_or(u32::MAX);
    if r.instance_type_id.is_empty()
        || r.eni_quantity == 0
        || r.eni_private_ip_address_quantity == 0
    {
        return None;
    }
    Some(InstanceType {
        id: r.instance_type_id.clone(),
        eni_quantity: n(r.eni_quantity),
        eni_private_ip_address_quantity: n(r.eni_private_ip_address_quantity),
        eni_ipv6_address_quantity: n(r.eni_ipv6_address_quantity),
        stopped_only_attach: limits
            .instance_type(&r.instance_type_id)
            .is_some_and(|t| t.stopped_only_attach),
        verified: true,
        source: source.to_string(),
    })
}

/// The provider block's `limits` object as overrides of the limits profile: the same keys as a
/// world file's `limits` section, an unknown key an error that names it.
pub fn provider_limit_overrides(v: &Value) -> Result<crate::limits::LimitOverrides, String> {
    serde_json::from_value(v.to_json()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::{merge_instance_types, provider_limit_overrides};
    use crate::lang::Value;
    use crate::provider::wire::ecs;

    #[test]
    fn describe_instance_types_rows_replace_the_built_in_table() {
        let mut l = crate::limits::Limits::profile(crate::limits::ProfileName::Current);
        let row = |id: &str, enis: u64, ips: u64, v6: u64| ecs::InstanceType {
            instance_type_id: id.into(),
            eni_quantity: enis,
            eni_private_ip_address_quantity: ips,
            eni_ipv6_address_quantity: v6,
            ..Default::default()
        };
        let rows = vec![
            row("ecs.g6.large", 3, 10, 10),
            row("ecs.g9i.large", 3, 6, 0),
            row("broken", 0, 0, 0),
        ];
        merge_instance_types(&mut l, &rows);
        let g6 = l.instance_type("ecs.g6.large").expect("g6");
        assert_eq!(
            (
                g6.eni_quantity,
                g6.eni_private_ip_address_quantity,
                g6.eni_ipv6_address_quantity
            ),
            (3, 10, 10)
        );
        assert!(l.instance_type("ecs.g9i.large").is_some());
        assert!(l.instance_type("broken").is_none());
        assert!(
            l.instance_type("ecs.t6-c1m2.large")
                .is_some_and(|t| t.stopped_only_attach),
            "untouched rows keep the table's flag"
        );
    }

    #[test]
    fn provider_block_limits_override_the_profile_and_name_unknown_keys() {
        let j = serde_json::json!({"available_eni_secondary_ipv4": 30, "nat_gateway_paybytraffic_eips": null});
        let o = provider_limit_overrides(&Value::from_json(&j)).expect("overrides");
        assert_eq!(o.available_eni_secondary_ipv4, Some(30));
        assert_eq!(o.nat_gateway_paybytraffic_eips, Some(None));
        let l = crate::limits::Limits::profile(crate::limits::ProfileName::Current)
            .with_overrides(&o)
            .expect("limits");
        assert_eq!(l.available_eni_secondary_ipv4.value, 30);
        let bad = serde_json::json!({"available_eni_secondary_ipv5": 30});
        let e = provider_limit_overrides(&Value::from_json(&bad)).expect_err("unknown key");
        assert!(e.contains("available_eni_secondary_ipv5"), "{e}");
    }
}
