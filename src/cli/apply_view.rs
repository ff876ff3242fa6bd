//! What plan and apply show while they run, in Terraform's words so that people, log greps and
//! CI timeouts read netform as they read Terraform:
//!
//! - human lines: `ADDR: Creating...`, `ADDR: Creation complete after 1s [id=…]`,
//!   `ADDR: Modifying... [id=…]`, `ADDR: Destroying... [id=…]`, `ADDR: Destruction complete
//!   after 0s`, and `ADDR: Still creating... [10s elapsed]` every 10 s of a long operation (a
//!   heartbeat thread). Where one resource takes several API operations, each line names its
//!   operation after Terraform's text: `ADDR: Modifying... [AssignPrivateIpAddresses]`;
//! - `--json`: Terraform's machine-readable UI events (`version`, `planned_change`,
//!   `change_summary`, `apply_start`, `apply_progress`, `apply_complete`, `apply_errored`,
//!   `outputs`) with Terraform's field names, plus netform's `operation` in each hook.
//!
//! `NETFORM_HEARTBEAT_MS` shortens the heartbeat's period (tests); `NETFORM_CLOCK` (a pinned
//! clock) reports every completed operation as taking 0s, so that output is reproducible.

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value as J, json};

use super::printer::Printer;
use crate::address::{Address, InstanceKey};
use crate::apply::Event;
use crate::lang::Value;
use crate::plan::ops::{OpAction, Phase};
use crate::plan::{Action, Change, Plan};
use crate::state::State;

/// Terraform's words for one operation: what it does to the resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verb {
    Create,
    Update,
    Delete,
}

impl Verb {
    fn of(action: Action, phase: Phase) -> Verb {
        match (phase, action) {
            (Phase::Destroy, _) | (Phase::Apply, Action::Delete) => Verb::Delete,
            (Phase::Apply, Action::Update | Action::NoOp) => Verb::Update,
            (Phase::Apply, Action::Create | Action::Replace) => Verb::Create,
        }
    }

    fn ing(self) -> &'static str {
        match self {
            Verb::Create => "Creating",
            Verb::Update => "Modifying",
            Verb::Delete => "Destroying",
        }
    }

    fn done(self) -> &'static str {
        match self {
            Verb::Create => "Creation",
            Verb::Update => "Modifications",
            Verb::Delete => "Destruction",
        }
    }

    fn json(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Delete => "delete",
        }
    }
}

/// Go's `Duration.String()` of whole seconds, as Terraform prints elapsed times: `0s`, `1m5s`.
pub fn go_duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
    }
}

/// Terraform's `resource` object of a hook or planned change.
pub fn resource_json(a: &Address) -> J {
    let key = match &a.key {
        InstanceKey::None => J::Null,
        InstanceKey::Int(i) => json!(i),
        InstanceKey::Str(s) => json!(s),
    };
    json!({
        "addr": a.to_string(),
        "module": a.module_address().unwrap_or_default(),
        "resource": format!("{}{}", a.local_key(), a.key),
        "implied_provider": "alicloud",
        "resource_type": a.ty,
        "resource_name": a.name,
        "resource_key": key,
    })
}

fn attr_id(c: &Change) -> Option<String> {
    c.before
        .as_ref()
        .and_then(|b| b.get("id"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// One operation in flight, for the heartbeat.
struct InFlight {
    address: Address,
    verb: Verb,
    /// `Some(action)` when the resource takes several operations.
    named: Option<OpAction>,
    start: Instant,
    beats: u64,
}

/// Shared between the apply loop (events) and the heartbeat thread.
struct Shared {
    printer: Printer,
    json: bool,
    in_flight: Mutex<HashMap<String, InFlight>>,
}

/// Turns apply's events into lines or JSON events, with a heartbeat while operations run.
pub struct ApplyView {
    shared: Arc<Shared>,
    /// Per resource: change action, object id before, and how many operations it takes.
    changes: HashMap<Address, (Action, Option<String>, usize)>,
    pinned_clock: bool,
    stop: Option<mpsc::Sender<()>>,
    ticker: Option<std::thread::JoinHandle<()>>,
    /// The live line on a terminal: operations done of all, and how many are in flight.
    bar: Option<indicatif::ProgressBar>,
}

impl ApplyView {
    pub fn new(printer: &Printer, plan: &Plan, json: bool) -> ApplyView {
        let mut changes: HashMap<Address, (Action, Option<String>, usize)> = HashMap::new();
        for c in &plan.changes {
            changes.insert(c.address.clone(), (c.action, attr_id(c), 0));
        }
        for o in &plan.ops {
            if let Some(e) = changes.get_mut(&o.address) {
                e.2 += 1;
            }
        }
        let shared = Arc::new(Shared {
            printer: printer.clone(),
            json,
            in_flight: Mutex::new(HashMap::new()),
        });
        let (stop, rx) = mpsc::channel::<()>();
        let s = shared.clone();
        let period = heartbeat_period();
        let ticker = std::thread::spawn(move || {
            // Wakes often enough to be on time for each operation's own 10 s marks.
            let tick = (period / 10).max(Duration::from_millis(10));
            while let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(tick) {
                s.beat(period);
            }
        });
        let bar = if json {
            None
        } else {
            printer.progress(plan.ops.len() as u64)
        };
        ApplyView {
            shared,
            changes,
            pinned_clock: std::env::var_os("NETFORM_CLOCK").is_some(),
            stop: Some(stop),
            ticker: Some(ticker),
            bar,
        }
    }

    fn words(&self, address: &Address, phase: Phase, action: OpAction) -> (Verb, Option<OpAction>) {
        let (change, n) = self
            .changes
            .get(address)
            .map_or((Action::Update, 1), |(a, _, n)| (*a, *n));
        (Verb::of(change, phase), (n > 1).then_some(action))
    }

    fn id_before(&self, address: &Address) -> Option<String> {
        self.changes.get(address).and_then(|c| c.1.clone())
    }

    pub fn on_event(&mut self, e: &Event) {
        self.show(e);
        if let Some(b) = &self.bar {
            if !matches!(e, Event::Start { .. }) {
                b.inc(1);
            }
            let n = self.shared.in_flight.lock().map_or(0, |m| m.len());
            b.set_message(format!("{n} in flight"));
        }
    }

    fn show(&mut self, e: &Event) {
        match e {
            Event::Start {
                op,
                address,
                action,
                phase,
            } => self.start(op, address, *phase, *action),
            Event::Done {
                op,
                address,
                action,
                phase,
                elapsed,
                id,
            } => self.done(op, address, *phase, *action, *elapsed, id.clone()),
            Event::Failed {
                op,
                address,
                action,
                phase,
                elapsed,
                ..
            } => self.failed(op, address, *phase, *action, *elapsed),
            Event::Skipped { op } => {
                if !self.shared.json {
                    self.shared
                        .printer
                        .human(&format!("{op}: skipped (a dependency failed)\n"));
                }
            }
        }
    }

    fn start(&self, op: &str, address: &Address, phase: Phase, action: OpAction) {
        let (verb, named) = self.words(address, phase, action);
        let id = (verb != Verb::Create)
            .then(|| self.id_before(address))
            .flatten();
        let mut msg = format!("{address}: {}...", verb.ing());
        let mut hook = json!({"resource": resource_json(address), "action": verb.json(), "operation": action.name(), "op": op});
        if let Some(id) = &id {
            msg.push_str(&format!(" [id={id}]"));
            hook["id_key"] = json!("id");
            hook["id_value"] = json!(id);
        }
        if let Some(a) = named {
            msg.push_str(&format!(" [{}]", a.name()));
        }
        self.shared.emit("info", &msg, "apply_start", hook);
        if let Ok(mut m) = self.shared.in_flight.lock() {
            m.insert(
                op.to_string(),
                InFlight {
                    address: address.clone(),
                    verb,
                    named,
                    start: Instant::now(),
                    beats: 0,
                },
            );
        }
    }

    fn secs(&self, elapsed: Duration) -> u64 {
        if self.pinned_clock {
            0
        } else {
            elapsed.as_secs()
        }
    }

    fn done(
        &self,
        op: &str,
        address: &Address,
        phase: Phase,
        action: OpAction,
        elapsed: Duration,
        id: Option<String>,
    ) {
        self.landed(op);
        let (verb, named) = self.words(address, phase, action);
        let secs = self.secs(elapsed);
        let mut msg = format!(
            "{address}: {} complete after {}",
            verb.done(),
            go_duration(secs)
        );
        let mut hook = json!({"resource": resource_json(address), "action": verb.json(), "operation": action.name(), "op": op, "elapsed_seconds": secs});
        // Terraform names the object it made or changed; a destroyed one is gone.
        let id = if verb == Verb::Delete {
            None
        } else {
            id.or_else(|| self.id_before(address))
        };
        if let Some(id) = id {
            msg.push_str(&format!(" [id={id}]"));
            hook["id_key"] = json!("id");
            hook["id_value"] = json!(id);
        }
        if let Some(a) = named {
            msg.push_str(&format!(" [{}]", a.name()));
        }
        self.shared.emit("info", &msg, "apply_complete", hook);
    }

    fn failed(
        &self,
        op: &str,
        address: &Address,
        phase: Phase,
        action: OpAction,
        elapsed: Duration,
    ) {
        self.landed(op);
        let (verb, named) = self.words(address, phase, action);
        let secs = self.secs(elapsed);
        let mut msg = format!(
            "{address}: {} errored after {}",
            verb.done(),
            go_duration(secs)
        );
        if let Some(a) = named {
            msg.push_str(&format!(" [{}]", a.name()));
        }
        let hook = json!({"resource": resource_json(address), "action": verb.json(), "operation": action.name(), "op": op, "elapsed_seconds": secs});
        self.shared.emit("error", &msg, "apply_errored", hook);
    }

    fn landed(&self, op: &str) {
        if let Ok(mut m) = self.shared.in_flight.lock() {
            m.remove(op);
        }
    }
}

impl Drop for ApplyView {
    fn drop(&mut self) {
        if self.bar.take().is_some() {
            self.shared.printer.end_progress();
        }
        drop(self.stop.take());
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
    }
}

impl Shared {
    fn emit(&self, level: &str, msg: &str, ty: &str, hook: J) {
        if self.json {
            self.printer.event(level, msg, ty, json!({ "hook": hook }));
        } else {
            self.printer.human(&format!("{msg}\n"));
        }
    }

    /// `Still creating... [10s elapsed]` for each operation that passed another period.
    fn beat(&self, period: Duration) {
        let mut due = Vec::new();
        if let Ok(mut m) = self.in_flight.lock() {
            for f in m.values_mut() {
                let e = f.start.elapsed();
                let next = period.saturating_mul(u32::try_from(f.beats + 1).unwrap_or(u32::MAX));
                if e < next {
                    continue;
                }
                f.beats += 1;
                let mut msg = format!(
                    "{}: Still {}... [{} elapsed]",
                    f.address,
                    f.verb.ing().to_lowercase(),
                    go_duration(e.as_secs())
                );
                if let Some(a) = f.named {
                    msg.push_str(&format!(" [{}]", a.name()));
                }
                let hook = json!({"resource": resource_json(&f.address), "action": f.verb.json(), "elapsed_seconds": e.as_secs()});
                due.push((msg, hook));
            }
        }
        // Printed after the lock is released: the apply loop must never wait on the terminal.
        for (msg, hook) in due {
            self.emit("info", &msg, "apply_progress", hook);
        }
    }
}

/// The heartbeat's period: 10 s as Terraform's, or `NETFORM_HEARTBEAT_MS` (tests).
fn heartbeat_period() -> Duration {
    std::env::var("NETFORM_HEARTBEAT_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map_or(Duration::from_secs(10), Duration::from_millis)
}

/// The `version` event that opens a `--json` stream.
pub fn version_event(p: &Printer) {
    let v = env!("CARGO_PKG_VERSION");
    p.event(
        "info",
        &format!("netform {v}"),
        "version",
        json!({"netform": v, "ui": "1.2"}),
    );
}

/// `planned_change` per change, the plan's `change_summary`, then the planned `outputs`.
pub fn plan_events(p: &Plan, printer: &Printer) {
    for c in p.changes.iter().filter(|c| c.is_change()) {
        let action = match c.action {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::NoOp => "noop",
        };
        let mut change = json!({"resource": resource_json(&c.address), "action": action});
        if c.action == Action::Replace {
            let requested = p.options.replace.iter().any(|a| a.matches(&c.address));
            change["reason"] = json!(if requested {
                "requested"
            } else {
                "cannot_update"
            });
        }
        let verb = match c.action {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            _ => "delete",
        };
        printer.event(
            "info",
            &format!("{}: Plan to {verb}", c.address),
            "planned_change",
            json!({ "change": change }),
        );
    }
    let (add, change, remove) = p.counts();
    printer.event(
        "info",
        &format!("Plan: {add} to add, {change} to change, {remove} to destroy."),
        "change_summary",
        json!({"changes": {"add": add, "change": change, "import": 0, "remove": remove, "operation": "plan"}}),
    );
    // After the summary, as Terraform's plan view sends them.
    planned_outputs(p, printer);
}

/// Terraform's plan-time `outputs` event: each output's planned action.
fn planned_outputs(p: &Plan, printer: &Printer) {
    if p.outputs.is_empty() {
        return;
    }
    let outs: serde_json::Map<String, J> = p
        .outputs
        .iter()
        .map(|o| {
            let action = match &o.before {
                None => "create",
                Some(b) if *b != o.value.to_json() => "update",
                Some(_) => "noop",
            };
            (
                o.name.clone(),
                json!({"sensitive": o.sensitive, "action": action}),
            )
        })
        .collect();
    printer.event(
        "info",
        &format!("Outputs: {}", outs.len()),
        "outputs",
        json!({ "outputs": outs }),
    );
}

/// The end of an apply: Terraform's `change_summary` (apply or destroy) and `outputs` events,
/// or the human summary line and outputs.
pub fn summary(
    printer: &Printer,
    json: bool,
    destroy: bool,
    (added, changed, destroyed): (usize, usize, usize),
    state: Option<&State>,
) {
    let msg = if destroy {
        format!("Destroy complete! Resources: {destroyed} destroyed.")
    } else {
        format!(
            "Apply complete! Resources: {added} added, {changed} changed, {destroyed} destroyed."
        )
    };
    if json {
        printer.event(
            "info",
            &msg,
            "change_summary",
            json!({"changes": {"add": added, "change": changed, "import": 0, "remove": destroyed, "operation": if destroy {"destroy"} else {"apply"}}}),
        );
        if let Some(s) = state {
            let outs = outputs_json(s);
            printer.event(
                "info",
                &format!("Outputs: {}", outs.len()),
                "outputs",
                json!({ "outputs": outs }),
            );
        }
        return;
    }
    let st = printer.style();
    printer.human(&format!("\n{}\n", st.bold(&st.green(&msg))));
    if let Some(s) = state
        && !s.outputs.is_empty()
    {
        printer.human("\nOutputs:\n\n");
        for (k, o) in &s.outputs {
            let v = if o.sensitive {
                "<sensitive>".to_string()
            } else {
                Value::from_json(&o.value).to_string()
            };
            printer.human(&format!("{k} = {v}\n"));
        }
    }
}

/// Outputs as Terraform's `outputs` event and `output -json` give them: `sensitive`, a
/// cty-style `type`, and the value (left out when sensitive, as in the event).
pub fn outputs_json(s: &State) -> serde_json::Map<String, J> {
    s.outputs
        .iter()
        .map(|(k, o)| {
            let mut j = json!({"sensitive": o.sensitive, "type": cty_type(&o.value)});
            if !o.sensitive {
                j["value"] = o.value.clone();
            }
            (k.clone(), j)
        })
        .collect()
}

/// The cty type of a JSON value, as Terraform writes it in `output -json`: `"string"`,
/// `"number"`, `"bool"`, `["tuple",[…]]`, `["object",{…}]`, `"dynamic"` for null.
pub fn cty_type(v: &J) -> J {
    match v {
        J::Null => json!("dynamic"),
        J::Bool(_) => json!("bool"),
        J::Number(_) => json!("number"),
        J::String(_) => json!("string"),
        J::Array(a) => json!(["tuple", a.iter().map(cty_type).collect::<Vec<_>>()]),
        J::Object(m) => {
            let fields: serde_json::Map<String, J> =
                m.iter().map(|(k, v)| (k.clone(), cty_type(v))).collect();
            json!(["object", fields])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_go_prints_them() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(10), "10s");
        assert_eq!(go_duration(65), "1m5s");
        assert_eq!(go_duration(3600), "1h0m0s");
    }

    #[test]
    fn cty_types_of_json_values() {
        assert_eq!(cty_type(&json!("a")), json!("string"));
        assert_eq!(
            cty_type(&json!(["a", 1])),
            json!(["tuple", ["string", "number"]])
        );
        assert_eq!(
            cty_type(&json!({"a": true})),
            json!(["object", {"a": "bool"}])
        );
    }

    #[test]
    fn verbs_follow_the_change_and_the_phase() {
        assert_eq!(Verb::of(Action::Replace, Phase::Destroy), Verb::Delete);
        assert_eq!(Verb::of(Action::Replace, Phase::Apply), Verb::Create);
        assert_eq!(Verb::of(Action::Update, Phase::Apply).ing(), "Modifying");
        assert_eq!(
            Verb::of(Action::Delete, Phase::Destroy).done(),
            "Destruction"
        );
    }
}
