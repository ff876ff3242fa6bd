//! The plan in Terraform's human format: the legend, one block per changed resource with
//! `+ ~ -/+ -` symbols, `(known after apply)`, `# forces replacement`, hidden-attribute counts,
//! identity diffs for address sets, then the summary line. Drift comes first, on its own.

use std::fmt::Write;

use super::Style;
use crate::lang::Value;
use crate::plan::attrs::same;
use crate::plan::{Action, Change, Drift, OutputChange, Plan};

fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// A scalar as Terraform prints it.
fn scalar(v: &Value) -> String {
    match v {
        Value::Unknown(_) => "(known after apply)".into(),
        Value::String(s) => quote(s),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

fn is_collection(v: &Value) -> bool {
    matches!(v, Value::List(_) | Value::Set(_) | Value::Map(_))
}

fn empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::List(x) | Value::Set(x) => x.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// Renders values with the style's colours.
struct W {
    st: Style,
}

impl W {
    fn sym(&self, s: &str) -> String {
        match s {
            "+" => self.st.green("+"),
            "-" => self.st.red("-"),
            "~" => self.st.yellow("~"),
            "-/+" => format!("{}/{}", self.st.red("-"), self.st.green("+")),
            "+/-" => format!("{}/{}", self.st.green("+"), self.st.red("-")),
            other => other.to_string(),
        }
    }

    /// A whole value after a symbol, collections spread over lines like Terraform.
    fn value(&mut self, sym: &str, indent: usize, v: &Value) -> String {
        let pad = " ".repeat(indent);
        match v {
            Value::List(items) | Value::Set(items) if !items.is_empty() => {
                let mut s = "[\n".to_string();
                for i in items {
                    let _ = writeln!(s, "{pad}  {} {},", self.sym(sym), scalar(i));
                }
                let _ = write!(s, "{pad}]");
                s
            }
            Value::Map(m) if !m.is_empty() => {
                let w = m.keys().map(|k| quote(k).len()).max().unwrap_or(0);
                let mut s = "{\n".to_string();
                for (k, x) in m {
                    let _ = writeln!(
                        s,
                        "{pad}  {} {:w$} = {}",
                        self.sym(sym),
                        quote(k),
                        scalar(x)
                    );
                }
                let _ = write!(s, "{pad}}}");
                s
            }
            Value::List(_) | Value::Set(_) => "[]".into(),
            Value::Map(_) => "{}".into(),
            other => scalar(other),
        }
    }
}

/// The indentation of a resource block's attribute lines.
const INDENT: usize = 4;

/// The attribute rows of one resource block, and how many unchanged ones are hidden.
#[derive(Default)]
struct Rows {
    rows: Vec<(String, &'static str, String)>,
    hidden: usize,
}

impl Rows {
    fn push(&mut self, k: &str, sym: &'static str, text: String) {
        self.rows.push((k.to_string(), sym, text));
    }

    fn render(self, w: &W) -> String {
        let width = self.rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let mut s = String::new();
        for (k, sym, v) in self.rows {
            let _ = writeln!(
                s,
                "{}{} {k:width$} = {v}",
                " ".repeat(INDENT + 2),
                w.sym(sym)
            );
        }
        if self.hidden > 0 {
            let _ = writeln!(
                s,
                "{}# ({} unchanged attribute{} hidden)",
                " ".repeat(INDENT + 4),
                self.hidden,
                if self.hidden == 1 { "" } else { "s" }
            );
        }
        s
    }
}

/// Attribute lines of one resource block.
fn attr_lines(w: &mut W, c: &Change) -> String {
    let schema = crate::schema::by_kind(c.kind);
    let before = c.before.clone().unwrap_or_default();
    let after = c.after.clone().unwrap_or_default();
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut rows = Rows::default();
    for k in keys {
        let b = before.get(k.as_str()).cloned().unwrap_or(Value::Null);
        let a = after.get(k.as_str()).cloned().unwrap_or(Value::Null);
        if c.sensitive.contains(k.as_str()) {
            sensitive_row(&mut rows, c.action, k, &b, &a);
            continue;
        }
        let note = if c.replace_paths.iter().any(|p| p == k) {
            format!(" {}", w.st.red("# forces replacement"))
        } else {
            String::new()
        };
        match c.action {
            Action::Create => {
                if !empty(&a) || a.is_unknown() {
                    let v = w.value("+", INDENT + 4, &a);
                    rows.push(k, "+", format!("{v}{note}"));
                }
            }
            Action::Delete => {
                if !empty(&b) {
                    let v = w.value("-", INDENT + 4, &b);
                    rows.push(k, "-", format!("{v} -> null"));
                }
            }
            _ if same(&b, &a) => {
                if schema.identifies(k) && !empty(&a) {
                    rows.push(k, " ", scalar(&a));
                } else if !empty(&a) {
                    rows.hidden += 1;
                }
            }
            _ => changed_row(w, &mut rows, k, (&b, &a), &note),
        }
    }
    rows.render(w)
}

/// A sensitive attribute: shown as changed or not, never its value.
fn sensitive_row(rows: &mut Rows, action: Action, k: &str, b: &Value, a: &Value) {
    let hide = "(sensitive value)".to_string();
    match action {
        Action::Create => rows.push(k, "+", hide),
        Action::Delete => rows.push(k, "-", hide),
        _ if !same(b, a) => rows.push(k, "~", hide),
        _ => rows.hidden += 1,
    }
}

/// An attribute an update or replacement changes.
fn changed_row(w: &mut W, rows: &mut Rows, k: &str, (b, a): (&Value, &Value), note: &str) {
    if a.is_unknown() && !b.is_unknown() && !empty(b) {
        let v = w.value("-", INDENT + 4, b);
        rows.push(k, "~", format!("{v} -> (known after apply){note}"));
        return;
    }
    match (b, a) {
        (Value::Set(_) | Value::List(_), Value::Set(_) | Value::List(_)) => {
            rows.push(k, "~", seq_diff(w, b, a, note));
        }
        (Value::Map(bm), Value::Map(am)) => rows.push(k, "~", map_diff(w, bm, am, note)),
        _ if empty(b) => {
            let v = w.value("+", INDENT + 4, a);
            rows.push(k, "+", format!("{v}{note}"));
        }
        _ if empty(a) && !a.is_unknown() => {
            let v = w.value("-", INDENT + 4, b);
            rows.push(k, "-", format!("{v} -> null{note}"));
        }
        _ => {
            let text = if is_collection(a) {
                w.value("+", INDENT + 4, a)
            } else {
                scalar(a)
            };
            rows.push(k, "~", format!("{} -> {text}{note}", scalar(b)));
        }
    }
}

/// A list or set change as Terraform shows it: elements removed, elements added, the rest counted.
fn seq_diff(w: &W, b: &Value, a: &Value, note: &str) -> String {
    let bs = b.as_seq().unwrap_or(&[]);
    let as_ = a.as_seq().unwrap_or(&[]);
    let pad = " ".repeat(INDENT + 4);
    let mut s = "[\n".to_string();
    for x in bs.iter().filter(|x| !as_.contains(x)) {
        let _ = writeln!(s, "{pad}  {} {},", w.sym("-"), scalar(x));
    }
    for x in as_.iter().filter(|x| !bs.contains(x)) {
        let _ = writeln!(s, "{pad}  {} {},", w.sym("+"), scalar(x));
    }
    let kept = as_.iter().filter(|x| bs.contains(x)).count();
    if kept > 0 {
        let _ = writeln!(
            s,
            "{pad}    # ({kept} unchanged element{} hidden)",
            if kept == 1 { "" } else { "s" }
        );
    }
    let _ = write!(s, "{pad}]{note}");
    s
}

/// A map change, key by key.
fn map_diff(
    w: &W,
    bm: &std::collections::BTreeMap<String, Value>,
    am: &std::collections::BTreeMap<String, Value>,
    note: &str,
) -> String {
    let pad = " ".repeat(INDENT + 4);
    let mut s = "{\n".to_string();
    let mut ks: Vec<&String> = bm.keys().chain(am.keys()).collect();
    ks.sort();
    ks.dedup();
    let wk = ks.iter().map(|k| quote(k).len()).max().unwrap_or(0);
    for mk in ks {
        let (sym, text) = match (bm.get(mk), am.get(mk)) {
            (Some(x), None) => ("-", format!("{} -> null", scalar(x))),
            (None, Some(y)) => ("+", scalar(y)),
            (Some(x), Some(y)) if x != y => ("~", format!("{} -> {}", scalar(x), scalar(y))),
            _ => continue,
        };
        let _ = writeln!(s, "{pad}  {} {:wk$} = {text}", w.sym(sym), quote(mk));
    }
    let _ = write!(s, "{pad}}}{note}");
    s
}

/// `requested`: `--replace` named it, which Terraform says instead of "must be".
fn header(c: &Change, requested: bool) -> (&'static str, String) {
    let a = &c.address;
    match c.action {
        Action::Replace if requested => (
            if c.create_before_destroy {
                "+/-"
            } else {
                "-/+"
            },
            format!("# {a} will be replaced, as requested"),
        ),
        Action::Create => ("+", format!("# {a} will be created")),
        Action::Update => ("~", format!("# {a} will be updated in-place")),
        Action::Replace if c.create_before_destroy => ("+/-", format!("# {a} must be replaced")),
        Action::Replace => ("-/+", format!("# {a} must be replaced")),
        Action::Delete => ("-", format!("# {a} will be destroyed")),
        Action::NoOp => (" ", format!("# {a} is unchanged")),
    }
}

/// A change's block, said as Terraform says a move: an unchanged object that moved is only
/// `# FROM has moved to TO`; a moved object that also changes carries `# (moved from FROM)`.
fn moved_block(
    c: &Change,
    from: Option<&crate::address::Address>,
    st: Style,
    requested: bool,
) -> String {
    let Some(from) = from else {
        return change_block_of(c, st, requested);
    };
    if c.action == Action::NoOp {
        return format!(
            "  {}\n    resource \"{}\" \"{}\" {{\n        id = {}\n    }}\n",
            st.bold(&format!("# {from} has moved to {}", c.address)),
            c.address.ty,
            c.address.name,
            c.after
                .as_ref()
                .and_then(crate::resources::view::id)
                .map(|v| v.to_string())
                .unwrap_or_else(|| "(known after apply)".into())
        );
    }
    let block = change_block_of(c, st, requested);
    match block.split_once('\n') {
        Some((head, rest)) => format!("{head}\n    # (moved from {from})\n{rest}"),
        None => block,
    }
}

/// An object an `import` block adopts: `# X will be imported`, or a change's block with
/// `# (imported from "ID")` when the configuration differs from it.
fn imported_block(c: &Change, id: &str, st: Style, requested: bool) -> String {
    if c.action == Action::NoOp {
        return format!(
            "  {}\n    resource \"{}\" \"{}\" {{\n        id = {}\n    }}\n",
            st.bold(&format!("# {} will be imported", c.address)),
            c.address.ty,
            c.address.name,
            serde_json::Value::String(id.to_string())
        );
    }
    let block = change_block_of(c, st, requested);
    match block.split_once('\n') {
        Some((head, rest)) => format!(
            "{head}\n    # (imported from {})\n{rest}",
            serde_json::Value::String(id.to_string())
        ),
        None => block,
    }
}

pub fn change_block(c: &Change, st: Style) -> String {
    change_block_of(c, st, false)
}

/// A change's block; `requested` when `--replace` asked for its replacement.
fn change_block_of(c: &Change, st: Style, requested: bool) -> String {
    let mut w = W { st };
    let (sym, head) = header(c, requested);
    let mut s = String::new();
    let _ = writeln!(s, "  {}", st.bold(&head));
    let lead = if sym.len() == 3 {
        w.sym(sym)
    } else {
        format!("  {}", w.sym(sym))
    };
    let _ = writeln!(
        s,
        "{lead} resource {} {} {{",
        quote(&c.address.ty),
        quote(&c.address.name)
    );
    s.push_str(&attr_lines(&mut w, c));
    let _ = writeln!(s, "    }}");
    s
}

fn drift_block(d: &Drift, st: Style) -> String {
    let c = Change {
        address: d.address.clone(),
        kind: d.kind,
        action: if d.after.is_some() {
            Action::Update
        } else {
            Action::Delete
        },
        before: Some(d.before.clone()),
        after: d.after.clone(),
        replace_paths: Vec::new(),
        create_before_destroy: false,
        dependencies: Vec::new(),
        provider: None,
        each: None,
        sensitive: Default::default(),
    };
    let head = if d.after.is_some() {
        format!("# {} has changed", d.address)
    } else {
        format!("# {} has been deleted", d.address)
    };
    let mut block = change_block(&c, st);
    if let Some(first) = block.find('\n') {
        block.replace_range(..first, &format!("  {}", st.bold(&head)));
    }
    block
}

pub fn drift(ds: &[Drift], st: Style) -> String {
    if ds.is_empty() {
        return String::new();
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}\n",
        st.bold("Note: Objects have changed outside of netform")
    );
    let _ = writeln!(
        s,
        "netform detected the following changes made outside of netform since the last \"netform apply\":\n"
    );
    for d in ds {
        s.push_str(&drift_block(d, st));
        s.push('\n');
    }
    s.push_str("─────────────────────────────────────────────────────────────────────────────\n\n");
    s
}

fn outputs(os: &[OutputChange], st: Style) -> String {
    let changed: Vec<&OutputChange> = os
        .iter()
        .filter(|o| o.before.as_ref() != Some(&o.value.to_json()) || !o.value.is_wholly_known())
        .collect();
    if changed.is_empty() {
        return String::new();
    }
    let w = changed.iter().map(|o| o.name.len()).max().unwrap_or(0);
    let mut s = "Changes to Outputs:\n".to_string();
    for o in changed {
        let text = if o.sensitive {
            "(sensitive value)".to_string()
        } else if o.value.is_wholly_known() {
            o.value.to_string()
        } else if o.value.is_unknown() {
            "(known after apply)".into()
        } else {
            o.value.to_string()
        };
        let sym = if o.before.is_some() { "~" } else { "+" };
        let sym = if sym == "+" {
            st.green("+")
        } else {
            st.yellow("~")
        };
        let _ = writeln!(s, "  {sym} {:w$} = {text}", o.name);
    }
    s
}

/// The full human plan.
pub fn render(p: &Plan, st: Style) -> String {
    let mut s = drift(&p.drift, st);
    let moved_from = |c: &Change| p.moved.iter().find(|m| m.to == c.address).map(|m| &m.from);
    let imported = |c: &Change| {
        p.imported
            .iter()
            .find(|t| t.address == c.address)
            .map(|t| &t.id)
    };
    let changed: Vec<&Change> = p
        .changes
        .iter()
        .filter(|c| c.is_change() || moved_from(c).is_some() || imported(c).is_some())
        .collect();
    if changed.is_empty() && p.forgotten.is_empty() {
        if p.options.refresh_only && !p.drift.is_empty() {
            s.push_str("This is a refresh-only plan, so netform will not take any actions to undo these. Applying it updates the state to match.\n");
            return s;
        }
        s.push_str(&outputs(&p.outputs, st));
        if !s.is_empty() && !s.ends_with("\n\n") {
            s.push('\n');
        }
        let _ = writeln!(
            s,
            "{}",
            st.bold("No changes. Your infrastructure matches the configuration.")
        );
        s.push_str("\nnetform has compared your real infrastructure against your configuration and found no differences, so no changes are needed.\n");
        return s;
    }
    let mut legend = vec![];
    let has = |a: Action| changed.iter().any(|c| c.action == a);
    if has(Action::Create) {
        legend.push(format!("  {} create", st.green("+")));
    }
    if has(Action::Update) {
        legend.push(format!("  {} update in-place", st.yellow("~")));
    }
    if has(Action::Delete) {
        legend.push(format!("  {} destroy", st.red("-")));
    }
    if changed
        .iter()
        .any(|c| c.action == Action::Replace && !c.create_before_destroy)
    {
        legend.push(format!(
            "{}/{} destroy and then create replacement",
            st.red("-"),
            st.green("+")
        ));
    }
    if changed
        .iter()
        .any(|c| c.action == Action::Replace && c.create_before_destroy)
    {
        legend.push(format!(
            "{}/{} create replacement and then destroy",
            st.green("+"),
            st.red("-")
        ));
    }
    // A plan of moves only has no action symbols to explain.
    if !legend.is_empty() {
        s.push_str("netform used the selected providers to generate the following execution\nplan. Resource actions are indicated with the following symbols:\n");
        for l in legend {
            let _ = writeln!(s, "{l}");
        }
        s.push('\n');
    }
    s.push_str("netform will perform the following actions:\n\n");
    for c in &changed {
        let requested = p.options.replace.iter().any(|r| r.matches(&c.address));
        match imported(c) {
            Some(id) => s.push_str(&imported_block(c, id, st, requested)),
            None => s.push_str(&moved_block(c, moved_from(c), st, requested)),
        }
        s.push('\n');
    }
    for a in &p.forgotten {
        let _ = writeln!(
            s,
            "  {}\n    # (destroy = false: the object stays in the cloud)\n",
            st.bold(&format!("# {a} will no longer be managed by netform"))
        );
    }
    let (add, change, destroy) = p.counts();
    let imports = if p.imported.is_empty() {
        String::new()
    } else {
        format!("{} to import, ", p.imported.len())
    };
    let _ = writeln!(
        s,
        "{} {imports}{add} to add, {change} to change, {destroy} to destroy.",
        st.bold("Plan:")
    );
    let o = outputs(&p.outputs, st);
    if !o.is_empty() {
        s.push('\n');
        s.push_str(&o);
    }
    s
}
