//! Planning: evaluate the configuration against the refreshed state, decide an action for every
//! resource instance (create, update, replace, delete, no-op), and derive the operation graph
//! apply will walk. The engine never prints; `render` turns a [`Plan`] into text.

pub mod attrs;
pub mod check;
pub mod conditions;
pub mod diff;
pub mod import;
pub mod modules;
pub mod moves;
pub mod ops;
pub mod refresh;
pub mod saved;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::address::{Address, InstanceKey};
use crate::config::eval::{Expansion, Scope};
use crate::config::{Config, Mode, Resource};
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::{self, Node};
use crate::lang::Value;
use crate::lang::eval::Evaluator;
use crate::provider::Clouds;
use crate::schema::{self, Kind};
use crate::state::State;

use self::attrs::Attrs;
use self::modules::Taint;
pub use self::ops::{Op, OpAction, OpGraph};
pub use self::refresh::Drift;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    /// Delete then create (or create then delete with `create_before_destroy`).
    Replace,
    Delete,
    NoOp,
}

impl Action {
    pub fn json(self, cbd: bool) -> Vec<&'static str> {
        match self {
            Action::Create => vec!["create"],
            Action::Update => vec!["update"],
            Action::Replace if cbd => vec!["create", "delete"],
            Action::Replace => vec!["delete", "create"],
            Action::Delete => vec!["delete"],
            Action::NoOp => vec!["no-op"],
        }
    }
}

/// The planned change of one resource instance.
#[derive(Clone, Debug)]
pub struct Change {
    pub address: Address,
    pub kind: Kind,
    pub action: Action,
    pub before: Option<Attrs>,
    pub after: Option<Attrs>,
    /// Attributes whose change forces the replacement.
    pub replace_paths: Vec<String>,
    pub create_before_destroy: bool,
    /// `TYPE.NAME` keys this instance depends on (recorded in state).
    pub dependencies: Vec<String>,
    pub provider: Option<String>,
    /// `each.value` of a `for_each` instance, to re-evaluate it during apply.
    pub each: Option<Value>,
    /// Attributes whose values derive from sensitive variables: never printed, never saved in a
    /// plan file (apply evaluates them again).
    pub sensitive: BTreeSet<String>,
}

impl Change {
    pub fn is_change(&self) -> bool {
        self.action != Action::NoOp
    }

    /// A change with these attributes and nothing else set (no dependencies, no provider
    /// alias, no `for_each` key, nothing sensitive): a drift shown as a change, and unit tests.
    pub(crate) fn bare(
        address: Address,
        kind: crate::schema::Kind,
        action: Action,
        before: Option<attrs::Attrs>,
        after: Option<attrs::Attrs>,
    ) -> Change {
        Change {
            address,
            kind,
            action,
            before,
            after,
            replace_paths: Vec::new(),
            create_before_destroy: false,
            dependencies: Vec::new(),
            provider: None,
            each: None,
            sensitive: BTreeSet::new(),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    pub destroy: bool,
    pub refresh: bool,
    pub refresh_only: bool,
    pub targets: Vec<Address>,
    pub excludes: Vec<Address>,
    pub replace: Vec<Address>,
    /// `validate`: evaluate and check the schema without any cloud call (data sources unknown).
    pub offline: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OutputChange {
    pub name: String,
    pub value: Value,
    pub sensitive: bool,
    pub before: Option<serde_json::Value>,
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub drift: Vec<Drift>,
    pub ops: OpGraph,
    pub outputs: Vec<OutputChange>,
    pub warnings: Diagnostics,
    /// The refreshed state the plan was made from.
    pub prior: State,
    /// Whether a state file existed (a saved plan records the lineage it applies to).
    pub had_state: bool,
    /// The state as read, before refresh: what apply compares against to bump the serial.
    pub stored: Option<State>,
    pub options: PlanOptions,
    /// The evaluation scope with planned values, which apply updates as objects come to exist.
    pub scope: Scope,
    /// Objects `moved` blocks gave a new address (already moved in `prior`).
    pub moved: Vec<moves::Move>,
    /// Objects `removed` blocks forget (already gone from `prior`; they stay in the cloud).
    pub forgotten: Vec<Address>,
    /// Objects `import` blocks adopt (already read into `prior`).
    pub imported: Vec<import::Target>,
}

#[cfg(test)]
impl Plan {
    /// A plan of just these changes, for the renderers' tests.
    pub(crate) fn of_changes(changes: Vec<Change>) -> Plan {
        Plan {
            changes,
            drift: Vec::new(),
            ops: Default::default(),
            outputs: Vec::new(),
            warnings: Default::default(),
            prior: crate::state::State::new("l".into()),
            had_state: false,
            stored: None,
            options: PlanOptions::default(),
            scope: Default::default(),
            moved: Vec::new(),
            forgotten: Vec::new(),
            imported: Vec::new(),
        }
    }
}

impl Plan {
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut add = 0;
        let mut change = 0;
        let mut destroy = 0;
        for c in &self.changes {
            match c.action {
                Action::Create => add += 1,
                Action::Update => change += 1,
                Action::Replace => {
                    add += 1;
                    destroy += 1
                }
                Action::Delete => destroy += 1,
                Action::NoOp => {}
            }
        }
        (add, change, destroy)
    }

    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(Change::is_change)
            || !self.moved.is_empty()
            || !self.forgotten.is_empty()
            || !self.imported.is_empty()
            || self
                .outputs
                .iter()
                .any(|o| o.before.as_ref() != Some(&o.value.to_json()) && o.value.is_wholly_known())
            || (self.options.refresh_only && !self.drift.is_empty())
    }
}

/// What the planner needs besides the configuration.
pub struct Inputs<'a> {
    pub cfg: &'a Config,
    pub vars: BTreeMap<String, Value>,
    pub prior: Option<State>,
    pub clouds: &'a Clouds,
}

/// An unknown standing for `addr`'s attribute `attr`. A plan holds one per unknown attribute
/// (hundreds of thousands at scale): the text is formatted without regrowing and kept at its
/// length, not at the capacity formatting left.
fn origin(addr: &Address, attr: &str) -> Value {
    use std::fmt::Write;
    let mut s = String::with_capacity(96);
    // Writing to a String cannot fail.
    let _ = write!(s, "{addr}.{attr}");
    s.shrink_to_fit();
    Value::Unknown(Some(s))
}

/// The expansion of a resource: its instance keys, from `count` or `for_each`.
/// The most instances one `count` may ask for: far above any account's ENI or EIP quota, far
/// below what would exhaust memory before a plan is even shown.
const MAX_COUNT: u64 = 100_000;

/// A `count` or `for_each` derived from a sensitive value: its value is never quoted, and a
/// `for_each` is refused, since its keys would be in every address (plan, state, logs), as
/// Terraform refuses it.
fn expand(
    r: &Resource,
    taint: &Taint,
    ev: &mut Evaluator,
    diags: &mut Diagnostics,
) -> Option<(Expansion, Vec<(InstanceKey, Option<Value>)>)> {
    if let Some(f) = r.for_each.as_ref().filter(|f| taint.touches(f)) {
        diags.push(
            Diagnostic::error("invalid for_each: sensitive values, or values derived from them, cannot be used as for_each arguments")
                .at(f.range())
                .with_label(crate::lang::sensitive::SHOWN)
                .with_help("the keys would be shown in every instance's address, in plans, state and logs; derive for_each from non-sensitive values and use the sensitive one inside the resource"),
        );
        return None;
    }
    let secret_count = r.count.as_ref().is_some_and(|c| taint.touches(c));
    expand_with(
        r.count.as_ref(),
        r.for_each.as_ref(),
        secret_count,
        ev,
        diags,
    )
}

/// The expansion `count` or `for_each` (of a resource or a module call) asks for. A
/// `secret_count` is never quoted in an error.
pub(crate) fn expand_with(
    count: Option<&crate::config::Expr>,
    for_each: Option<&crate::config::Expr>,
    secret_count: bool,
    ev: &mut Evaluator,
    diags: &mut Diagnostics,
) -> Option<(Expansion, Vec<(InstanceKey, Option<Value>)>)> {
    if let Some(c) = count {
        let shown = |v: &Value| {
            if secret_count {
                crate::lang::sensitive::SHOWN.to_string()
            } else {
                v.to_string()
            }
        };
        let v = match ev.eval(&c.expr) {
            Ok(v) => v,
            Err(e) => {
                diags.push(
                    Diagnostic::error(format!("invalid count: {}", e.message))
                        .at(c.range_of(e.span)),
                );
                return None;
            }
        };
        return match v {
            Value::Unknown(_) => {
                diags.push(
                    Diagnostic::error("invalid count: the value depends on resource attributes that cannot be determined until apply")
                        .at(c.range())
                        .with_help("count must be known at plan time; derive it from variables or data sources, or apply the dependency first with --target"),
                );
                None
            }
            v => match v.coerce_number() {
                Some(n) if n > MAX_COUNT as f64 && n.fract() == 0.0 => {
                    diags.push(
                        Diagnostic::error(format!(
                            "invalid count: {} instances is more than netform manages in one resource ({MAX_COUNT})",
                            shown(&v)
                        ))
                        .at(c.range())
                        .with_help("no Alibaba Cloud account holds that many ENIs or EIPs; check the expression, or split the resource"),
                    );
                    None
                }
                Some(n) if n >= 0.0 && n.fract() == 0.0 => Some((
                    Expansion::Count,
                    (0..n as i64).map(|i| (InstanceKey::Int(i), None)).collect(),
                )),
                _ => {
                    diags.push(
                        Diagnostic::error(format!(
                            "invalid count: a whole number ≥ 0 is required, not {}",
                            shown(&v)
                        ))
                        .at(c.range()),
                    );
                    None
                }
            },
        };
    }
    if let Some(f) = for_each {
        let v = match ev.eval(&f.expr) {
            Ok(v) => v,
            Err(e) => {
                diags.push(
                    Diagnostic::error(format!("invalid for_each: {}", e.message))
                        .at(f.range_of(e.span)),
                );
                return None;
            }
        };
        let items: Vec<(InstanceKey, Option<Value>)> = match &v {
            Value::Map(m) if m.values().all(|_| true) => m
                .iter()
                .map(|(k, x)| (InstanceKey::Str(k.clone()), Some(x.clone())))
                .collect(),
            Value::Set(items) if items.iter().all(|i| matches!(i, Value::String(_))) => items
                .iter()
                .filter_map(|i| {
                    i.as_str()
                        .map(|s| (InstanceKey::Str(s.to_string()), Some(i.clone())))
                })
                .collect(),
            _ if !v.is_wholly_known() => {
                diags.push(
                    Diagnostic::error("invalid for_each: the keys depend on values that cannot be determined until apply")
                        .at(f.range())
                        .with_help("for_each keys must be known at plan time; use variables or data sources"),
                );
                return None;
            }
            Value::List(_) => {
                diags.push(
                    Diagnostic::error(
                        "invalid for_each: a list is not allowed, its elements have no stable keys",
                    )
                    .at(f.range())
                    .with_help("convert it with toset(...) or use a map"),
                );
                return None;
            }
            other => {
                diags.push(
                    Diagnostic::error(format!(
                        "invalid for_each: a map or a set of strings is required, not {}",
                        other.type_name()
                    ))
                    .at(f.range()),
                );
                return None;
            }
        };
        return Some((Expansion::ForEach, items));
    }
    Some((Expansion::Single, vec![(InstanceKey::None, None)]))
}

/// An evaluator for one instance: `count.index` or `each` set from its key.
fn instance_evaluator<'a>(
    lookup: &'a dyn crate::lang::eval::Lookup,
    dir: &'a std::path::Path,
    r: &Resource,
    key: &InstanceKey,
    each_value: Option<&Value>,
) -> Evaluator<'a> {
    let mut ev = Evaluator::new(lookup, dir);
    match key {
        InstanceKey::Int(i) => ev.count_index = Some(*i),
        InstanceKey::Str(s) if r.for_each.is_some() => {
            ev.each = Some((
                Value::string(s.clone()),
                each_value.cloned().unwrap_or(Value::Null),
            ))
        }
        _ => {}
    }
    ev
}

/// [`eval_instance`], with the values of attributes derived from sensitive variables kept out
/// of its messages (`"…" is not an IPv4 address` would quote them).
fn eval_instance_redacted(
    cfg: &Config,
    r: &Resource,
    taint: &Taint,
    (scope, module): (&Scope, &[crate::address::ModuleStep]),
    (key, each_value): (&InstanceKey, Option<&Value>),
    diags: &mut Diagnostics,
) -> Option<Attrs> {
    let mut ds = Diagnostics::default();
    let out = eval_instance(cfg, r, scope, module, key, each_value, &mut ds);
    if !ds.0.is_empty() {
        let mut secrets = crate::lang::sensitive::Secrets::new();
        let view = scope.view(module);
        let dir = module_dir(cfg, module);
        for a in r.attrs.iter().filter(|a| taint.touches(&a.value)) {
            let mut ev = instance_evaluator(&view, dir, r, key, each_value);
            if let Ok(v) = ev.eval(&a.value.expr) {
                secrets.add(&v);
            }
        }
        secrets.redact_all(&mut ds);
    }
    diags.extend(ds);
    out
}

/// The directory of a module instance's configuration (`path.module`).
fn module_dir<'a>(cfg: &'a Config, module: &[crate::address::ModuleStep]) -> &'a std::path::Path {
    let path: Vec<String> = module.iter().map(|s| s.name.clone()).collect();
    cfg.module(&path).map_or(&cfg.dir, |m| &m.dir)
}

/// Evaluates one instance's attributes and checks them against the schema. `module` is the
/// module instance the resource is in (empty for the root); `cfg` is the root configuration.
pub fn eval_instance(
    cfg: &Config,
    r: &Resource,
    scope: &Scope,
    module: &[crate::address::ModuleStep],
    key: &InstanceKey,
    each_value: Option<&Value>,
    diags: &mut Diagnostics,
) -> Option<Attrs> {
    let view = scope.view(module);
    let mut ev = instance_evaluator(&view, module_dir(cfg, module), r, key, each_value);
    let addr = Address {
        module: module.to_vec(),
        mode: r.mode,
        ty: r.ty.clone(),
        name: r.name.clone(),
        key: key.clone(),
    };
    let mut values = Vec::new();
    let mut ok = true;
    for a in &r.attrs {
        match ev.eval(&a.value.expr) {
            Ok(v) => values.push((
                a.name.clone(),
                v,
                a.key_range.clone(),
                a.value.range().unwrap_or(a.key_range.clone()),
            )),
            Err(e) => {
                ok = false;
                let mut d =
                    Diagnostic::error(e.message.clone()).at(a.value.range_of(e.span.clone()));
                if let Some(h) = e.help {
                    d = d.with_help(h);
                }
                diags.push(d);
            }
        }
    }
    let (out, ds) = schema::check(r.kind, &addr.to_string(), values);
    for mut d in ds {
        if d.range.is_none() {
            d.range = Some(r.range.clone());
        }
        if d.is_error() {
            ok = false;
        }
        diags.push(d);
    }
    ok.then(|| out.into())
}

/// Makes the plan. All configuration errors of the run come back together, and no message
/// quotes a sensitive variable's value.
pub fn plan(inp: Inputs, opts: PlanOptions) -> Result<Plan, Diagnostics> {
    let mut secrets = crate::lang::sensitive::Secrets::new();
    for (name, v) in &inp.vars {
        if inp.cfg.variables.get(name).is_some_and(|d| d.sensitive) {
            secrets.add(v);
        }
    }
    match make(inp, opts) {
        Ok(mut p) => {
            secrets.redact_all(&mut p.warnings);
            Ok(p)
        }
        Err(mut d) => {
            secrets.redact_all(&mut d);
            Err(d)
        }
    }
}

fn make(inp: Inputs, opts: PlanOptions) -> Result<Plan, Diagnostics> {
    let cfg = inp.cfg;
    let g = graph::build(cfg)?;
    let had_state = inp.prior.is_some();
    // Two copies of the state at most: as read (`stored`) and as refreshed.
    let stored = inp.prior;
    let state = stored
        .clone()
        .unwrap_or_else(|| State::new(crate::state::new_lineage()));
    let mut diags = Diagnostics::default();
    let (mut refreshed, drift) = refreshed_prior(state, inp.clouds, &opts)?;

    let mut notes = Diagnostics::default();
    let moved = moves::apply_moves(cfg, &mut refreshed, &mut notes);
    let forgotten = moves::forget(cfg, &mut refreshed);
    let taint = Taint::new(cfg, &g);
    let pinned = pinned_addresses(&refreshed);
    let no_pins = BTreeSet::new();
    let mut scope = Scope {
        vars: inp.vars,
        declared_locals: cfg.locals.keys().cloned().collect(),
        sensitive: taint.names(),
        sensitive_modules: taint.names_by_module(),
        ..Scope::default()
    };
    let imported = if opts.offline || opts.destroy || opts.refresh_only {
        Vec::new()
    } else {
        import::plan_imports(cfg, &scope, &g, &mut refreshed, inp.clouds, &mut diags)
    };
    let mut changes: Vec<Change> = Vec::new();
    let mut seen: BTreeSet<Address> = BTreeSet::new();
    let mut ctx = PlanCtx {
        cfg,
        g: &g,
        refreshed: &refreshed,
        pinned: &pinned,
        no_pins: &no_pins,
        taint: &taint,
        opts: &opts,
        clouds: inp.clouds,
    };
    ctx.walk(&mut scope, &mut changes, &mut seen, &mut diags);
    deletes_of_the_unconfigured(cfg, &refreshed, &seen, &opts, &mut changes, &mut diags);
    for_the_mode(cfg, &opts, &mut changes, &mut diags);
    target_notes(&changes, &opts, &mut notes);
    select_targets(&mut changes, &opts);
    protected_releases(&changes, cfg, &mut diags);
    if !opts.destroy && !opts.refresh_only {
        conditions::run_checks(cfg, &scope, inp.clouds, opts.offline, &mut notes);
    }
    // Outputs, evaluated with the planned values.
    let outputs = if opts.destroy {
        Vec::new()
    } else {
        planned_outputs(cfg, &scope, &taint, &refreshed, &mut diags)
    };
    if !opts.refresh_only && !opts.offline {
        diags.extend(check::check(cfg, &changes, &refreshed, inp.clouds));
    }
    if diags.has_errors() {
        return Err(diags);
    }
    changes.sort_by(|a, b| a.address.cmp(&b.address));
    let ops = ops::build(&changes).map_err(|e| {
        Diagnostics::from(
            Diagnostic::bug(format!("internal error in the operation graph: {e}"))
                .with_help("this is a bug in netform, not in your configuration; nothing was changed. Please report it with this message"),
        )
    })?;
    let mut warnings = cfg.warnings.clone();
    warnings.extend(diags);
    warnings.extend(notes);
    Ok(Plan {
        changes,
        drift,
        ops,
        outputs,
        warnings,
        prior: refreshed,
        had_state,
        stored,
        options: opts,
        scope,
        moved,
        forgotten,
        imported,
    })
}

/// The prior state as the cloud has it now, and the drift found; the state as it is when
/// refresh is off, offline or there is nothing to read.
fn refreshed_prior(
    state: State,
    clouds: &Clouds,
    opts: &PlanOptions,
) -> Result<(State, Vec<Drift>), Diagnostics> {
    if !opts.refresh || opts.offline || state.resources.is_empty() {
        return Ok((state, Vec::new()));
    }
    refresh::refresh_owned(state, clouds).map_err(|e| {
        Diagnostic::error(format!("refresh failed: {} ({})", e.message, e.code))
            .with_help("the cloud could not be read; nothing was changed. Check the provider settings, or plan with --refresh=false")
            .into()
    })
}

/// Addresses that EIPs in state are bound to, by ENI id: lowering a count keeps them.
fn pinned_addresses(state: &State) -> BTreeMap<String, BTreeSet<String>> {
    let mut pinned: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (a, i) in &state.resources {
        if let Some((s, _)) = schema::lookup(a.mode, &a.ty)
            && let Some((eni, ip)) = crate::resources::pinned_address(s.kind, &i.attributes)
        {
            pinned.entry(eni).or_default().insert(ip);
        }
    }
    pinned
}

/// Instances in state that the configuration no longer has: delete them.
fn deletes_of_the_unconfigured(
    cfg: &Config,
    refreshed: &State,
    seen: &BTreeSet<Address>,
    opts: &PlanOptions,
    changes: &mut Vec<Change>,
    diags: &mut Diagnostics,
) {
    for (addr, inst) in &refreshed.resources {
        if addr.mode != Mode::Managed || seen.contains(addr) {
            continue;
        }
        let Some((schema, _)) = schema::lookup(addr.mode, &addr.ty) else {
            continue;
        };
        if let Some(r) = cfg.resource_at(addr)
            && r.lifecycle.prevent_destroy
            && !opts.refresh_only
        {
            diags.push(prevent_destroy(addr, r));
        }
        changes.push(Change {
            address: addr.clone(),
            kind: schema.kind,
            action: Action::Delete,
            before: Some(attrs::from_state(schema, &inst.attributes)),
            after: None,
            replace_paths: Vec::new(),
            create_before_destroy: false,
            dependencies: inst.dependencies.clone(),
            provider: inst.provider.clone(),
            each: None,
            sensitive: Default::default(),
        });
    }
}

/// `-destroy` turns every change into a delete of what exists; `-refresh-only` changes nothing.
fn for_the_mode(
    cfg: &Config,
    opts: &PlanOptions,
    changes: &mut Vec<Change>,
    diags: &mut Diagnostics,
) {
    if opts.destroy {
        changes.retain(|c| c.before.is_some());
        for c in changes.iter_mut() {
            c.action = Action::Delete;
            c.after = None;
            if let Some(r) = cfg.resource_at(&c.address)
                && r.lifecycle.prevent_destroy
            {
                diags.push(prevent_destroy(&c.address, r));
            }
        }
    }
    if opts.refresh_only {
        for c in changes.iter_mut() {
            c.action = Action::NoOp;
        }
    }
}

/// Warnings for `--target`/`--exclude` addresses that match nothing, and for targeting at all.
fn target_notes(changes: &[Change], opts: &PlanOptions, notes: &mut Diagnostics) {
    for t in opts.targets.iter().chain(opts.excludes.iter()) {
        if !changes.iter().any(|c| t.matches(&c.address)) {
            let mut d = Diagnostic::warning(format!(
                "{t} matches no resource in the configuration or state"
            ));
            let known: Vec<String> = changes.iter().map(|c| c.address.resource_key()).collect();
            if let Some(s) =
                crate::lang::eval::suggest(&t.resource_key(), known.iter().map(String::as_str))
            {
                d = d.with_help(format!("did you mean {s}?"));
            }
            notes.push(d);
        }
    }
    if !opts.targets.is_empty() || !opts.excludes.is_empty() {
        notes.push(
            Diagnostic::warning("resource targeting is in effect: this plan may leave the configuration only partly applied")
                .with_help("use --target and --exclude for exceptional cases; run a full plan afterwards"),
        );
    }
}

/// The outputs with the planned values, their preconditions checked; a non-sensitive output may
/// not show a sensitive value.
fn planned_outputs(
    cfg: &Config,
    scope: &Scope,
    taint: &Taint,
    refreshed: &State,
    diags: &mut Diagnostics,
) -> Vec<OutputChange> {
    let mut outputs = Vec::new();
    for (name, o) in &cfg.outputs {
        conditions::evaluate(
            &o.preconditions,
            &mut Evaluator::new(scope, &cfg.dir),
            "Module output value precondition failed",
            &format!("output \"{name}\""),
            false,
            diags,
        );
        let v = match Evaluator::new(scope, &cfg.dir).eval(&o.value.expr) {
            Ok(v) => v,
            Err(e) => {
                diags.push(
                    Diagnostic::error(e.message.clone()).at(o.value.range_of(e.span.clone())),
                );
                Value::unknown()
            }
        };
        if !o.sensitive && taint.touches(&o.value) {
            diags.push(
                Diagnostic::error(format!("output \"{name}\" refers to sensitive values"))
                    .at(o.value.range())
                    .with_help(
                        "mark it sensitive = true, so its value is hidden in plans and on screen",
                    ),
            );
        }
        outputs.push(OutputChange {
            name: name.clone(),
            value: v,
            sensitive: o.sensitive,
            before: refreshed.outputs.get(name).map(|s| s.value.clone()),
        });
    }
    outputs
}

/// Per resource (`TYPE.NAME`, or `module.NAME.TYPE.NAME` in a called module), the attributes
/// whose values derive from sensitive variables (through module inputs and outputs too):
/// what `state show` and `show` hide. Empty when the configuration has no sensitive variable or
/// its graph does not build.
pub fn sensitive_attributes(cfg: &Config) -> BTreeMap<String, BTreeSet<String>> {
    let Ok(g) = graph::build(cfg) else {
        return BTreeMap::new();
    };
    let taint = Taint::new(cfg, &g);
    let mut out = BTreeMap::new();
    for m in cfg.all_modules() {
        let t = taint.for_module(&m.path);
        for r in &m.resources {
            let attrs: BTreeSet<String> = r
                .attrs
                .iter()
                .filter(|a| t.touches(&a.value))
                .map(|a| r.kind.canonical(&a.name).to_string())
                .collect();
            if !attrs.is_empty() {
                out.insert(format!("{}{}", graph::prefix_of(&m.path), r.key()), attrs);
            }
        }
    }
    out
}

/// The cloud id of an instance in state.
fn prior_id(state: &State, addr: &Address) -> Option<String> {
    state
        .resources
        .get(addr)?
        .attributes
        .get(schema::ID)?
        .as_str()
        .map(str::to_string)
}

/// An EIP whose deletion protection is on cannot be released (ReleaseEipAddress is refused with
/// `InvalidOperation.DeletionProtection`): refuse the plan before anything changes, rather than
/// release everything else and fail on it.
fn protected_releases(changes: &[Change], cfg: &Config, diags: &mut Diagnostics) {
    for c in changes {
        if !crate::resources::operations::removal_refused(c) {
            continue;
        }
        let at = cfg.resource_at(&c.address).map(|r| r.range.clone());
        diags.push(
            Diagnostic::error(format!(
                "{} cannot be released: its deletion protection is on",
                c.address
            ))
            .at(at)
            .with_help(
                "set deletion_protection = false and apply that first, then destroy or replace it",
            ),
        );
    }
}

fn prevent_destroy(addr: &Address, r: &Resource) -> Diagnostic {
    Diagnostic::error(format!("instance cannot be destroyed: {addr} has lifecycle.prevent_destroy set"))
        .at(Some(r.range.clone()))
        .with_help("the plan would destroy it; change the plan (e.g. keep the resource or avoid the replacing change), or set prevent_destroy = false")
}

/// `--target` keeps the targeted instances and what they depend on; `--exclude` drops the
/// excluded ones and what depends on them.
fn select_targets(changes: &mut Vec<Change>, opts: &PlanOptions) {
    if opts.targets.is_empty() && opts.excludes.is_empty() {
        return;
    }
    if !opts.targets.is_empty() {
        let mut keep: BTreeSet<usize> = BTreeSet::new();
        let mut stack: Vec<usize> = changes
            .iter()
            .enumerate()
            .filter(|(_, c)| opts.targets.iter().any(|t| t.matches(&c.address)))
            .map(|(i, _)| i)
            .collect();
        // Each resource key is expanded once: linear in the plan.
        let mut index: std::collections::HashMap<String, Vec<usize>> =
            std::collections::HashMap::new();
        for (i, c) in changes.iter().enumerate() {
            index.entry(c.address.resource_key()).or_default().push(i);
        }
        let mut expanded: BTreeSet<(String, String)> = BTreeSet::new();
        while let Some(i) = stack.pop() {
            if !keep.insert(i) {
                continue;
            }
            let me = &changes[i].address;
            let within = crate::address::module_prefix(&me.module);
            for d in &changes[i].dependencies {
                if expanded.insert((d.clone(), within.clone())) {
                    stack.extend(
                        index
                            .get(d)
                            .into_iter()
                            .flatten()
                            .copied()
                            .filter(|j| same_module_instances(me, &changes[*j].address)),
                    );
                }
            }
        }
        let mut i = 0;
        changes.retain(|_| {
            let k = keep.contains(&i);
            i += 1;
            k
        });
    }
    if !opts.excludes.is_empty() {
        let mut drop: BTreeSet<String> = changes
            .iter()
            .filter(|c| opts.excludes.iter().any(|t| t.matches(&c.address)))
            .map(|c| c.address.to_string())
            .collect();
        // Dependencies are recorded per resource, so what depends on any excluded instance goes
        // too (the safe side: nothing runs before what it needs).
        let mut dropped_keys: BTreeSet<String> = changes
            .iter()
            .filter(|c| drop.contains(&c.address.to_string()))
            .map(|c| c.address.resource_key())
            .collect();
        loop {
            let before = drop.len();
            for c in changes.iter() {
                if c.dependencies.iter().any(|d| dropped_keys.contains(d)) {
                    drop.insert(c.address.to_string());
                    dropped_keys.insert(c.address.resource_key());
                }
            }
            if drop.len() == before {
                break;
            }
        }
        changes.retain(|c| !drop.contains(&c.address.to_string()));
    }
}

/// `replace_triggered_by`: whether a resource it names (in the same module instance) is planned
/// to change. A change of any attribute counts: netform does not narrow it to the one named.
fn triggered(r: &Resource, addr: &Address, planned: &[Change]) -> bool {
    r.lifecycle.replace_triggered_by.iter().any(|e| {
        e.refs().iter().any(|(rf, _)| match rf {
            crate::lang::eval::Ref::Resource(false, ty, name) => planned.iter().any(|c| {
                c.address.module == addr.module
                    && &c.address.ty == ty
                    && &c.address.name == name
                    && c.before.is_some()
                    && c.is_change()
            }),
            _ => false,
        })
    })
}

/// Whether two addresses are in the same instances of the modules they share: a resource in
/// `module.tier["api"]` depends on what `module.tier["api"]` holds, not on `module.tier["b"]`.
fn same_module_instances(a: &Address, b: &Address) -> bool {
    a.module
        .iter()
        .zip(&b.module)
        .take_while(|(x, y)| x.name == y.name)
        .all(|(x, y)| x.key == y.key)
}

/// The `TYPE.NAME` keys of managed resources a value's unknowns come from.
pub fn origin_address(v: &Value) -> Option<Address> {
    match v {
        Value::Unknown(Some(o)) => {
            let (addr, _attr) = o.rsplit_once('.')?;
            Address::parse(addr).ok()
        }
        _ => None,
    }
}

pub(crate) fn unknown_for(addr: &Address, attr: &str) -> Value {
    origin(addr, attr)
}

/// [`unknown_for`] with the address already written out (`addr_text`): an object's unknowns
/// share one formatting of its address, and each text is allocated at its length.
pub(crate) fn unknown_at(addr_text: &str, attr: &str) -> Value {
    let mut s = String::with_capacity(addr_text.len() + 1 + attr.len());
    s.push_str(addr_text);
    s.push('.');
    s.push_str(attr);
    Value::Unknown(Some(s))
}

/// What planning one resource needs besides the scope it reads and the lists it adds to.
struct PlanCtx<'a> {
    cfg: &'a Config,
    g: &'a graph::ConfigGraph,
    refreshed: &'a State,
    pinned: &'a BTreeMap<String, BTreeSet<String>>,
    no_pins: &'a BTreeSet<String>,
    taint: &'a Taint,
    opts: &'a PlanOptions,
    clouds: &'a Clouds,
}

impl PlanCtx<'_> {
    /// Evaluates the configuration in dependency order: locals, module values, and each
    /// resource instance (its change against the prior state).
    fn walk(
        &mut self,
        scope: &mut Scope,
        changes: &mut Vec<Change>,
        seen: &mut BTreeSet<Address>,
        diags: &mut Diagnostics,
    ) {
        for idx in &self.g.order {
            match &self.g.graph[*idx] {
                Node::Var(q) | Node::Output(q) if !q.starts_with("module.") => {}
                Node::Local(name) if !name.starts_with("module.") => {
                    let Some(l) = self.cfg.locals.get(name) else {
                        continue;
                    };
                    let v = match Evaluator::new(&*scope, &self.cfg.dir).eval(&l.value.expr) {
                        Ok(v) => v,
                        Err(e) => {
                            let mut d = Diagnostic::error(e.message.clone())
                                .at(l.value.range_of(e.span.clone()));
                            if let Some(h) = e.help {
                                d = d.with_help(h);
                            }
                            diags.push(d);
                            Value::unknown()
                        }
                    };
                    scope.locals.insert(name.clone(), v);
                }
                Node::Resource(q) => {
                    let (path, key) = graph::split(q);
                    for inst in scope.instances_of(&path) {
                        self.resource(&path, key, &inst.path, scope, changes, seen, diags);
                    }
                }
                other => modules::eval_node(self.cfg, other, scope, diags),
            }
        }
    }

    /// Plans every instance of the resource `key` (`TYPE.NAME`) of the module at `path`, in the
    /// module instance `module`: data sources are read, managed resources diffed.
    #[allow(clippy::too_many_arguments)]
    fn resource(
        &mut self,
        path: &[String],
        key: &str,
        module: &[crate::address::ModuleStep],
        scope: &mut Scope,
        changes: &mut Vec<Change>,
        seen: &mut BTreeSet<Address>,
        diags: &mut Diagnostics,
    ) {
        let cfg = self.cfg;
        let Some(r) = cfg
            .module(path)
            .and_then(|m| m.resources.iter().find(|r| r.key() == key))
        else {
            return;
        };
        let deps = self
            .g
            .resource_deps(&Node::Resource(format!("{}{key}", graph::prefix_of(path))));
        let scope_key = format!("{}{key}", crate::address::module_prefix(module));
        let dir = cfg.module(path).map_or(&cfg.dir, |m| &m.dir);
        let taint = self.taint.for_module(path);
        let expanded = {
            let view = scope.view(module);
            let mut ev = Evaluator::new(&view, dir);
            expand(r, taint, &mut ev, diags)
        };
        let Some((expansion, keys)) = expanded else {
            scope.resources.insert(
                scope_key.clone(),
                crate::config::eval::ResourceValues::new(Expansion::Single),
            );
            scope.set_instance(
                &scope_key,
                Expansion::Single,
                InstanceKey::None,
                Value::unknown(),
            );
            return;
        };
        scope.resources.insert(
            scope_key.clone(),
            crate::config::eval::ResourceValues::new(expansion),
        );
        for (ik, each) in keys {
            let addr = Address {
                module: module.to_vec(),
                mode: r.mode,
                ty: r.ty.clone(),
                name: r.name.clone(),
                key: ik.clone(),
            };
            let l = &r.lifecycle;
            let run = |conds: &[crate::config::blocks::Condition],
                       me: Option<Value>,
                       what: &str,
                       diags: &mut Diagnostics| {
                if conds.is_empty() {
                    return;
                }
                let view = scope.view(module);
                let mut ev = Evaluator::new(&view, dir);
                match &ik {
                    InstanceKey::Int(i) => ev.count_index = Some(*i),
                    InstanceKey::Str(k) => {
                        ev.each = Some((
                            Value::string(k.clone()),
                            each.clone().unwrap_or(Value::Null),
                        ))
                    }
                    InstanceKey::None => {}
                }
                if let Some(me) = me {
                    ev.bind_name("self", me);
                }
                conditions::evaluate(conds, &mut ev, what, &addr.to_string(), false, diags);
            };
            run(
                &l.preconditions,
                None,
                "Resource precondition failed",
                diags,
            );
            let desired =
                eval_instance_redacted(cfg, r, taint, (scope, module), (&ik, each.as_ref()), diags);
            let value = match (r.mode, desired) {
                (_, None) => Value::unknown(),
                (Mode::Data, Some(args)) => self.read_data(r, &args, diags),
                (Mode::Managed, Some(desired)) => {
                    // Only what state holds is asked about later: a new instance is not kept.
                    if self.refreshed.resources.contains_key(&addr) {
                        seen.insert(addr.clone());
                    }
                    let ch = self.managed(
                        r,
                        addr.clone(),
                        desired,
                        &deps,
                        each.clone(),
                        changes,
                        diags,
                    );
                    let v = Value::Map(ch.after.clone().unwrap_or_default());
                    changes.push(ch);
                    v
                }
            };
            // `self` is a copy of the whole object: made only when a postcondition reads it.
            run(
                &l.postconditions,
                (!l.postconditions.is_empty()).then(|| value.clone()),
                "Resource postcondition failed",
                diags,
            );
            scope.set_instance(&scope_key, expansion, ik, value);
        }
    }

    fn read_data(&self, r: &Resource, args: &Attrs, diags: &mut Diagnostics) -> Value {
        if !args.values().all(Value::is_wholly_known) || self.opts.offline {
            return Value::unknown();
        }
        match crate::resources::data::read(
            r.kind.kind,
            args,
            &self.clouds.client(r.provider.as_deref()),
        ) {
            Ok(v) => v,
            Err(e) => {
                diags.push(
                    Diagnostic::error(format!(
                        "reading data.{}.{}: {} ({})",
                        r.ty, r.name, e.message, e.code
                    ))
                    .at(Some(r.range.clone())),
                );
                Value::unknown()
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn managed(
        &self,
        r: &Resource,
        addr: Address,
        desired: Attrs,
        deps: &[String],
        each: Option<Value>,
        planned: &[Change],
        diags: &mut Diagnostics,
    ) -> Change {
        let prior = self
            .refreshed
            .resources
            .get(&addr)
            .map(|i| attrs::from_state(r.kind, &i.attributes));
        let forced = self.opts.replace.iter().any(|a| a.matches(&addr))
            || (prior.is_some() && triggered(r, &addr, planned));
        let mut ch = diff::diff(diff::DiffInput {
            address: addr.clone(),
            kind: r.kind.kind,
            desired,
            prior,
            lifecycle: &r.lifecycle,
            forced_replace: forced,
            dependencies: deps.to_vec(),
            provider: r.provider.clone(),
            clouds: self.clouds,
            offline: self.opts.offline,
            pinned: prior_id(self.refreshed, &addr)
                .and_then(|id| self.pinned.get(&id))
                .unwrap_or(self.no_pins),
        });
        ch.each = each;
        let path: Vec<String> = addr.module.iter().map(|s| s.name.clone()).collect();
        ch.sensitive = r
            .attrs
            .iter()
            .filter(|a| self.taint.for_module(&path).touches(&a.value))
            .map(|a| r.kind.canonical(&a.name).to_string())
            .collect();
        // Names only, never values: they may be sensitive.
        log::debug!(
            target: "netform::plan",
            "{addr}: {:?}{}",
            ch.action,
            if ch.replace_paths.is_empty() {
                String::new()
            } else {
                format!(" (forced by {})", ch.replace_paths.join(", "))
            }
        );
        if r.lifecycle.prevent_destroy && matches!(ch.action, Action::Replace) {
            diags.push(prevent_destroy(&addr, r));
        }
        ch
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::api::fake::{Fake, World};

    fn offline_plan(text: &str) -> Plan {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let files = vec![("main.hcl".to_string(), text.to_string())];
        let cfg = crate::config::load_sources(dir.path(), files)
            .unwrap_or_else(|f| panic!("{:?}", f.diags));
        let clouds = Fake::new(World::default()).clouds();
        let opts = PlanOptions {
            offline: true,
            ..Default::default()
        };
        let inputs = Inputs {
            cfg: &cfg,
            vars: BTreeMap::new(),
            prior: None,
            clouds: &clouds,
        };
        plan(inputs, opts).unwrap_or_else(|d| panic!("{d:?}"))
    }

    #[test]
    fn a_planned_object_is_one_map_shared_by_its_change_and_the_scope() {
        let p = offline_plan(
            r#"
resource "alicloud_eip_address" "e" {
  count = 2
}
resource "alicloud_eip_association" "b" {
  count         = 2
  allocation_id = alicloud_eip_address.e[count.index].id
  instance_id   = "eni-1"
}
"#,
        );
        assert_eq!(p.changes.len(), 4);
        for c in &p.changes {
            let key = format!("{}.{}", c.address.ty, c.address.name);
            let held = &p.scope.resources[&key].instances[&c.address.key];
            let (Value::Map(held), Some(after)) = (held, &c.after) else {
                panic!("{} is not planned as an object", c.address);
            };
            assert!(held.shares(after), "{} is held twice", c.address);
        }
        // The binding's unknown still names the attribute it stands for.
        let bind = p
            .changes
            .iter()
            .find(|c| c.address.to_string() == "alicloud_eip_association.b[1]")
            .and_then(|c| c.after.as_ref())
            .and_then(|a| a.get("allocation_id"));
        assert_eq!(
            bind,
            Some(&Value::Unknown(Some(
                "alicloud_eip_address.e[1].id".to_string()
            )))
        );
    }
}
