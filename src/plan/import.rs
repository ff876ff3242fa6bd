//! `import ADDR ID`: adopt an existing cloud object. The id is turned into the few attributes
//! that identify the object (each kind says which, in `resources/<kind>/cloud.rs`), and refresh —
//! the same code that re-reads every object in state — fills in the rest, so an imported object
//! looks exactly like one netform created.

use crate::address::Address;
use crate::lang::Value;
use crate::plan::attrs;
use crate::provider::{ApiError, Clouds};
use crate::resources;
use crate::schema::{self, Kind};
use crate::state::{Instance, State};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("invalid id \"{id}\" for {what}")]
    BadId {
        id: String,
        what: &'static str,
        form: &'static str,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{} cannot be imported", .0)]
    NotImportable(String),
    #[error("{}: {}", .0.code, .0.message)]
    Api(ApiError),
}

impl ImportError {
    pub fn help(&self) -> String {
        match self {
            ImportError::BadId { form, .. } => format!("write the id as {form}"),
            ImportError::NotFound(_) => {
                "check the id (netform sim show lists the simulated cloud)".into()
            }
            ImportError::NotImportable(_) => "only managed resource types can be imported".into(),
            ImportError::Api(_) => "check the provider settings and credentials".into(),
        }
    }
}

/// Reads the object `id` of kind `kind` and returns the state instance for `addr`.
pub fn import(
    addr: &Address,
    kind: Kind,
    id: &str,
    provider: Option<String>,
    dependencies: Vec<String>,
    clouds: &Clouds,
) -> Result<Instance, ImportError> {
    let Some(seed) = resources::import_seed(kind, id, clouds, provider.as_deref())? else {
        return Err(ImportError::NotImportable(addr.ty.clone()));
    };
    let what = seed.what;
    let mut one = State::new(String::new());
    one.resources.insert(
        addr.clone(),
        Instance {
            attributes: attrs::to_state(&seed.attrs),
            dependencies: dependencies.clone(),
            provider: provider.clone(),
        },
    );
    let (read, _) = super::refresh::refresh(&one, clouds).map_err(ImportError::Api)?;
    read.resources.get(addr).cloned().ok_or_else(|| {
        ImportError::NotFound(format!(
            "{what} {id} does not exist in the cloud (or is not attached/bound as the id says)"
        ))
    })
}

/// Why `import ADDR ID` refused to adopt an object.
#[derive(Debug, thiserror::Error)]
pub enum AdoptError {
    #[error("{0} is not declared in the configuration")]
    NotDeclared(Address),
    #[error("{0} is already in state")]
    AlreadyInState(Address),
    #[error(transparent)]
    Import(#[from] ImportError),
}

impl AdoptError {
    pub fn help(&self) -> String {
        match self {
            AdoptError::NotDeclared(a) => format!(
                "add a resource \"{}\" \"{}\" {{ … }} block first, then import into it",
                a.ty, a.name
            ),
            AdoptError::AlreadyInState(a) => {
                format!("netform state rm {a} first to import another object there")
            }
            AdoptError::Import(e) => e.help(),
        }
    }
}

/// The managed resource block `addr` belongs to: import adopts objects only into declared
/// resources, so that the next plan has a configuration to compare them with.
pub fn declared<'c>(
    cfg: &'c crate::config::Config,
    addr: &Address,
) -> Result<&'c crate::config::Resource, AdoptError> {
    cfg.resource_at(addr)
        .ok_or_else(|| AdoptError::NotDeclared(addr.clone()))
}

/// `import ADDR ID`: reads object `id` from the cloud and records it in `state` under `addr`
/// (declared in `cfg`, not yet in state), with the dependencies the configuration gives it.
/// Returns the resource type imported; `state` is unchanged on error.
pub fn adopt(
    cfg: &crate::config::Config,
    state: &mut State,
    addr: &Address,
    id: &str,
    clouds: &Clouds,
) -> Result<String, AdoptError> {
    let r = declared(cfg, addr)?;
    if state.resources.contains_key(addr) {
        return Err(AdoptError::AlreadyInState(addr.clone()));
    }
    let deps = crate::graph::build(cfg)
        .map(|g| g.resource_deps(&crate::graph::Node::Resource(addr.resource_key())))
        .unwrap_or_default();
    let inst = import(addr, r.kind.kind, id, r.provider.clone(), deps, clouds)?;
    state.resources.insert(addr.clone(), inst);
    Ok(r.ty.clone())
}

/// One instance of an `import` block: where the object goes and its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub address: Address,
    pub id: String,
}

/// Evaluates the configuration's `import` blocks (their `for_each`, `id` and `to` key) with the
/// root module's variables.
pub fn targets(
    cfg: &crate::config::Config,
    scope: &crate::config::eval::Scope,
    diags: &mut crate::diag::Diagnostics,
) -> Vec<(Target, crate::diag::SourceRange)> {
    use crate::diag::Diagnostic;
    use crate::lang::eval::Evaluator;
    let mut out = Vec::new();
    for b in &cfg.imports {
        let Some((mode, ty, name, key)) = b.to.resource.clone() else {
            continue;
        };
        let each: Vec<Option<(Value, Value)>> = match &b.for_each {
            None => vec![None],
            Some(fe) => match Evaluator::new(scope, &cfg.dir).eval(&fe.expr) {
                Ok(Value::Map(m)) => m
                    .into_iter()
                    .map(|(k, v)| Some((Value::string(k), v)))
                    .collect(),
                Ok(Value::Set(v) | Value::List(v)) => v
                    .into_iter()
                    .enumerate()
                    .map(|(i, x)| Some((Value::from(i), x)))
                    .collect(),
                Ok(other) => {
                    diags.push(
                        Diagnostic::error(format!(
                            "an import block's for_each takes a map, set or list, not {}",
                            other.type_name()
                        ))
                        .at(fe.range()),
                    );
                    continue;
                }
                Err(e) => {
                    diags.push(Diagnostic::error(e.message).at(fe.range_of(e.span)));
                    continue;
                }
            },
        };
        for e in each {
            let mut ev = Evaluator::new(scope, &cfg.dir);
            ev.each = e;
            let id = match ev.eval(&b.id.expr) {
                Ok(Value::String(s)) if !s.is_empty() => s,
                Ok(other) => {
                    diags.push(
                        Diagnostic::error(format!(
                            "an import id must be a non-empty string known at plan time, not {other}"
                        ))
                        .at(b.id.range()),
                    );
                    continue;
                }
                Err(e) => {
                    diags.push(Diagnostic::error(e.message).at(b.id.range_of(e.span)));
                    continue;
                }
            };
            let key = match &b.to_key {
                None => key.clone(),
                Some(k) => match ev
                    .eval(&k.expr)
                    .ok()
                    .and_then(|v| crate::address::InstanceKey::from_value(&v))
                {
                    Some(k) => k,
                    None => {
                        diags.push(
                            Diagnostic::error(
                                "the import target's key must be a string or a whole number",
                            )
                            .at(k.range()),
                        );
                        continue;
                    }
                },
            };
            out.push((
                Target {
                    address: Address {
                        module: b.to.module.clone(),
                        mode,
                        ty: ty.clone(),
                        name: name.clone(),
                        key,
                    },
                    id,
                },
                b.range.clone(),
            ));
        }
    }
    out
}

/// Plan-time import: each import block's object not yet in `state` is read from the cloud into
/// it, so the plan diffs it like any other (and apply records it). Returns what was imported.
pub fn plan_imports(
    cfg: &crate::config::Config,
    scope: &crate::config::eval::Scope,
    g: &crate::graph::ConfigGraph,
    state: &mut State,
    clouds: &Clouds,
    diags: &mut crate::diag::Diagnostics,
) -> Vec<Target> {
    use crate::diag::Diagnostic;
    let mut done = Vec::new();
    for (t, at) in targets(cfg, scope, diags) {
        if state.resources.contains_key(&t.address) {
            continue;
        }
        let Some(r) = cfg.resource_at(&t.address) else {
            diags.push(
                Diagnostic::error(format!(
                    "import target {} is not declared in the configuration",
                    t.address
                ))
                .at(Some(at))
                .with_help("add its resource block, or run netform plan --generate-config-out=FILE to write one from the cloud's object"),
            );
            continue;
        };
        if let Some(other) = state
            .resources
            .iter()
            .find(|(a, i)| {
                a.ty == t.address.ty
                    && i.attributes.get(schema::ID).and_then(|v| v.as_str()) == Some(&t.id)
            })
            .map(|(a, _)| a.clone())
        {
            diags.push(
                Diagnostic::error(format!("{} is already managed as {other}", t.id))
                    .at(Some(at))
                    .with_help("an object is managed at one address; use a moved block to change its address"),
            );
            continue;
        }
        let deps = g.resource_deps(&crate::graph::Node::Resource(t.address.resource_key()));
        match import(
            &t.address,
            r.kind.kind,
            &t.id,
            r.provider.clone(),
            deps,
            clouds,
        ) {
            Ok(inst) => {
                state.resources.insert(t.address.clone(), inst);
                done.push(t);
            }
            Err(e) => diags.push(
                Diagnostic::error(format!("importing {} into {}: {e}", t.id, t.address))
                    .at(Some(at))
                    .with_help(e.help()),
            ),
        }
    }
    done
}

/// `plan --generate-config-out=FILE`: writes a resource block, from the cloud's attributes, for
/// each import target the configuration does not declare. Returns how many it wrote; the file
/// must not exist (as in Terraform, so nothing written by hand is overwritten).
pub fn generate_config(
    cfg: &crate::config::Config,
    scope: &crate::config::eval::Scope,
    clouds: &Clouds,
    out: &std::path::Path,
) -> Result<usize, String> {
    use std::fmt::Write as _;
    if out.exists() {
        return Err(format!(
            "{} already exists; --generate-config-out writes a new file",
            out.display()
        ));
    }
    let mut diags = crate::diag::Diagnostics::default();
    let targets = targets(cfg, scope, &mut diags);
    if let Some(d) = diags.0.first() {
        return Err(d.summary.clone());
    }
    let mut text = String::new();
    let mut n = 0;
    for (t, _) in targets {
        if cfg.resource_at(&t.address).is_some() {
            continue;
        }
        if !t.address.module.is_empty() || !t.address.key.is_none() {
            return Err(format!(
                "cannot write configuration for {}: only a single resource of the root module can be generated",
                t.address
            ));
        }
        let Some((schema, _)) = crate::schema::lookup(t.address.mode, &t.address.ty) else {
            return Err(format!(
                "{} is not a resource type netform knows",
                t.address.ty
            ));
        };
        let inst = import(&t.address, schema.kind, &t.id, None, Vec::new(), clouds)
            .map_err(|e| format!("importing {} into {}: {e}", t.id, t.address))?;
        let values = attrs::from_state(schema, &inst.attributes);
        let _ = writeln!(
            text,
            "# __generated__ by netform from \"{}\"\nresource \"{}\" \"{}\" {{",
            t.id, t.address.ty, t.address.name
        );
        let mut written: Vec<&str> = Vec::new();
        for a in schema.attrs {
            if !a.settable || a.alias_of.is_some() || a.unsupported {
                continue;
            }
            // Conflicts may be declared on either side of a pair.
            let clashes = a.conflicts.iter().any(|c| written.contains(c))
                || written.iter().any(|w| {
                    schema
                        .attr(w)
                        .is_some_and(|x| x.conflicts.contains(&a.name))
                });
            if clashes {
                continue;
            }
            let Some(v) = values.get(a.name).filter(|v| !matches!(v, Value::Null)) else {
                continue;
            };
            let _ = writeln!(text, "  {} = {}", a.name, hcl_value(v));
            written.push(a.name);
        }
        text.push_str("}\n\n");
        n += 1;
    }
    if n > 0 {
        crate::state::write_atomic(out, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    }
    Ok(n)
}

/// A value as HCL, map keys quoted (tag keys may hold characters an identifier cannot).
fn hcl_value(v: &Value) -> String {
    match v {
        Value::Map(m) if m.is_empty() => "{}".into(),
        Value::Map(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, x)| {
                    format!(
                        "{} = {}",
                        serde_json::Value::String(k.clone()),
                        hcl_value(x)
                    )
                })
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
        Value::List(xs) | Value::Set(xs) => {
            format!(
                "[{}]",
                xs.iter().map(hcl_value).collect::<Vec<_>>().join(", ")
            )
        }
        other => other.to_string(),
    }
}
