//! The plan in Terraform's human format: the legend, one block per changed resource with
//! `+ ~ -/+ -` symbols, `(known after apply)`, `# forces replacement`, hidden-attribute counts,
//! identity diffs for address sets, then the summary line. Drift comes first, on its own.

use std::fmt::Write;

use std::collections::HashMap;

use super::Style;
use crate::address::Address;
use crate::lang::Value;
use crate::plan::attrs::{Attrs, same};
use crate::plan::{Action, Change, Drift, OutputChange, Plan};

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_quoted(&mut out, s);
    out
}

fn push_quoted(out: &mut String, s: &str) {
    // Writing into a String cannot fail.
    let _ = crate::address::json_quoted(out, s);
}

/// A scalar as Terraform prints it.
fn scalar(v: &Value) -> String {
    let mut s = String::new();
    push_scalar(&mut s, v);
    s
}

fn push_scalar(out: &mut String, v: &Value) {
    match v {
        Value::Unknown(_) => out.push_str("(known after apply)"),
        Value::String(s) => push_quoted(out, s),
        Value::Null => out.push_str("null"),
        other => {
            let _ = write!(out, "{other}");
        }
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

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Renders values with the style's colours.
struct W {
    st: Style,
}

impl W {
    fn sym(&self, s: &str) -> String {
        let mut out = String::new();
        self.push_sym(&mut out, s);
        out
    }

    /// An action symbol, painted straight into `out` (one per attribute line of the plan).
    fn push_sym(&self, out: &mut String, s: &str) {
        let paint = |out: &mut String, c: anstyle::AnsiColor, s: &str| {
            if self.st.color {
                let style = anstyle::Style::new().fg_color(Some(c.into()));
                let _ = write!(out, "{style}{s}{style:#}");
            } else {
                out.push_str(s);
            }
        };
        use anstyle::AnsiColor::{Green, Red, Yellow};
        match s {
            "+" => paint(out, Green, "+"),
            "-" => paint(out, Red, "-"),
            "~" => paint(out, Yellow, "~"),
            "-/+" => {
                paint(out, Red, "-");
                out.push('/');
                paint(out, Green, "+");
            }
            "+/-" => {
                paint(out, Green, "+");
                out.push('/');
                paint(out, Red, "-");
            }
            other => out.push_str(other),
        }
    }

    /// A whole value after a symbol, collections spread over lines like Terraform.
    fn value(&self, sym: &str, indent: usize, v: &Value) -> String {
        let mut s = String::new();
        self.push_value(&mut s, sym, indent, v);
        s
    }

    fn push_value(&self, s: &mut String, sym: &str, indent: usize, v: &Value) {
        match v {
            Value::List(items) | Value::Set(items) if !items.is_empty() => {
                s.push_str("[\n");
                for i in items {
                    pad(s, indent + 2);
                    self.push_sym(s, sym);
                    s.push(' ');
                    push_scalar(s, i);
                    s.push_str(",\n");
                }
                pad(s, indent);
                s.push(']');
            }
            Value::Map(m) if !m.is_empty() => {
                let w = m.keys().map(|k| quote(k).len()).max().unwrap_or(0);
                s.push_str("{\n");
                for (k, x) in m {
                    pad(s, indent + 2);
                    self.push_sym(s, sym);
                    let _ = write!(s, " {:w$} = ", quote(k));
                    push_scalar(s, x);
                    s.push('\n');
                }
                pad(s, indent);
                s.push('}');
            }
            Value::List(_) | Value::Set(_) => s.push_str("[]"),
            Value::Map(_) => s.push_str("{}"),
            other => push_scalar(s, other),
        }
    }
}

/// The indentation of a resource block's attribute lines.
const INDENT: usize = 4;

/// The attribute rows of one resource block, and how many unchanged ones are hidden.
#[derive(Default)]
struct Rows<'a> {
    rows: Vec<(&'a str, &'static str, String)>,
    hidden: usize,
}

impl<'a> Rows<'a> {
    fn push(&mut self, k: &'a str, sym: &'static str, text: String) {
        self.rows.push((k, sym, text));
    }

    fn render(self, w: &W, s: &mut String) {
        let width = self.rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        for (k, sym, v) in self.rows {
            pad(s, INDENT + 2);
            w.push_sym(s, sym);
            let _ = writeln!(s, " {k:width$} = {v}");
        }
        if self.hidden > 0 {
            pad(s, INDENT + 4);
            let _ = writeln!(
                s,
                "# ({} unchanged attribute{} hidden)",
                self.hidden,
                if self.hidden == 1 { "" } else { "s" }
            );
        }
    }
}

/// The attribute names of both sides, sorted and once each (both maps are sorted already).
fn merged_keys<'a>(before: &'a Attrs, after: &'a Attrs) -> Vec<&'a str> {
    let mut keys: Vec<&str> = Vec::with_capacity(before.len().max(after.len()));
    let (mut b, mut a) = (before.keys().peekable(), after.keys().peekable());
    loop {
        let next = match (b.peek(), a.peek()) {
            (Some(x), Some(y)) if x < y => b.next(),
            (Some(x), Some(y)) if x > y => a.next(),
            (Some(_), Some(_)) => {
                b.next();
                a.next()
            }
            (Some(_), None) => b.next(),
            (None, Some(_)) => a.next(),
            (None, None) => break,
        };
        if let Some(k) = next {
            keys.push(k.as_str());
        }
    }
    keys
}

/// Attribute lines of one resource block.
fn attr_lines(w: &W, c: &Change, s: &mut String) {
    let schema = crate::schema::by_kind(c.kind);
    let none = Attrs::new();
    let before = c.before.as_ref().unwrap_or(&none);
    let after = c.after.as_ref().unwrap_or(&none);
    let null = Value::Null;
    let mut rows = Rows::default();
    for k in merged_keys(before, after) {
        let b = before.get(k).unwrap_or(&null);
        let a = after.get(k).unwrap_or(&null);
        if c.sensitive.contains(k) {
            sensitive_row(&mut rows, c.action, k, b, a);
            continue;
        }
        let note = if c.replace_paths.iter().any(|p| p == k) {
            format!(" {}", w.st.red("# forces replacement"))
        } else {
            String::new()
        };
        match c.action {
            Action::Create => {
                if !empty(a) || a.is_unknown() {
                    let mut v = w.value("+", INDENT + 4, a);
                    v.push_str(&note);
                    rows.push(k, "+", v);
                }
            }
            Action::Delete => {
                if !empty(b) {
                    let mut v = w.value("-", INDENT + 4, b);
                    v.push_str(" -> null");
                    rows.push(k, "-", v);
                }
            }
            _ if same(b, a) => {
                if schema.identifies(k) && !empty(a) {
                    rows.push(k, " ", scalar(a));
                } else if !empty(a) {
                    rows.hidden += 1;
                }
            }
            _ => changed_row(w, &mut rows, k, (b, a), &note),
        }
    }
    rows.render(w, s);
}

/// A sensitive attribute: shown as changed or not, never its value.
fn sensitive_row<'a>(rows: &mut Rows<'a>, action: Action, k: &'a str, b: &Value, a: &Value) {
    let hide = "(sensitive value)".to_string();
    match action {
        Action::Create => rows.push(k, "+", hide),
        Action::Delete => rows.push(k, "-", hide),
        _ if !same(b, a) => rows.push(k, "~", hide),
        _ => rows.hidden += 1,
    }
}

/// An attribute an update or replacement changes.
fn changed_row<'a>(w: &W, rows: &mut Rows<'a>, k: &'a str, (b, a): (&Value, &Value), note: &str) {
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
    bm: &crate::lang::value::Map,
    am: &crate::lang::value::Map,
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
    let mut s = String::new();
    push_change_block(&mut s, c, st, requested);
    s
}

/// A change's block, appended to `s`: the plan's hot path, one per changed instance.
fn push_change_block(s: &mut String, c: &Change, st: Style, requested: bool) {
    let w = W { st };
    let (sym, head) = header(c, requested);
    let _ = writeln!(s, "  {}", st.bold(&head));
    if sym.len() != 3 {
        s.push_str("  ");
    }
    w.push_sym(s, sym);
    s.push_str(" resource ");
    push_quoted(s, &c.address.ty);
    s.push(' ');
    push_quoted(s, &c.address.name);
    s.push_str(" {\n");
    attr_lines(&w, c, s);
    s.push_str("    }\n");
}

fn drift_block(d: &Drift, st: Style) -> String {
    let action = if d.after.is_some() {
        Action::Update
    } else {
        Action::Delete
    };
    let before = Some(d.before.clone());
    let c = Change::bare(d.address.clone(), d.kind, action, before, d.after.clone());
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
    let mut out = Vec::new();
    let mut sink = Sink::new(&mut out);
    push_drift(&mut sink, ds, st);
    // Writing into a Vec cannot fail.
    let _ = sink.finish();
    text(out)
}

/// What a sink wrote into a `Vec<u8>`: text, since it was given only text.
fn text(v: Vec<u8>) -> String {
    String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn push_drift(s: &mut Sink, ds: &[Drift], st: Style) {
    if ds.is_empty() {
        return;
    }
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
        s.push_str("\n");
    }
    s.push_str("─────────────────────────────────────────────────────────────────────────────\n\n");
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

/// Text on its way to an `io::Write` in pieces of about [`CHUNK`] bytes: a plan of 30,000
/// resources is tens of megabytes, which is never held whole. The first write error ends the
/// writing and is returned by [`Sink::finish`].
struct Sink<'a> {
    out: &'a mut dyn std::io::Write,
    buf: String,
    /// Whether anything was written, and the last two bytes: the no-changes text depends on
    /// what came before it.
    any: bool,
    last: [u8; 2],
    err: Option<std::io::Error>,
}

const CHUNK: usize = 64 * 1024;

impl<'a> Sink<'a> {
    fn new(out: &'a mut dyn std::io::Write) -> Sink<'a> {
        Sink {
            out,
            buf: String::new(),
            any: false,
            last: [0; 2],
            err: None,
        }
    }

    fn push_str(&mut self, s: &str) {
        let bytes = s.as_bytes();
        match bytes {
            [] => return,
            [one] => self.last = [self.last[1], *one],
            [.., x, y] => self.last = [*x, *y],
        }
        self.any = true;
        self.buf.push_str(s);
        if self.buf.len() >= CHUNK {
            self.drain();
        }
    }

    fn ends_with_blank_line(&self) -> bool {
        self.last == *b"\n\n"
    }

    fn drain(&mut self) {
        if self.err.is_none()
            && let Err(e) = self.out.write_all(self.buf.as_bytes())
        {
            self.err = Some(e);
        }
        self.buf.clear();
    }

    fn finish(mut self) -> std::io::Result<()> {
        self.drain();
        match self.err.take() {
            Some(e) => Err(e),
            None => self.out.flush(),
        }
    }
}

impl Write for Sink<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

/// The full human plan, as one string (a saved plan's rendered view, tests).
pub fn render(p: &Plan, st: Style) -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = write(p, st, &mut out);
    text(out)
}

/// The full human plan, written to `out` as it is rendered rather than built whole first.
pub fn write(p: &Plan, st: Style, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut s = Sink::new(out);
    push_drift(&mut s, &p.drift, st);
    // By address, once: a scan of the moves per change would be quadratic in big moves.
    let moves: HashMap<&Address, &Address> = p.moved.iter().map(|m| (&m.to, &m.from)).collect();
    let imports: HashMap<&Address, &str> = p
        .imported
        .iter()
        .map(|t| (&t.address, t.id.as_str()))
        .collect();
    let shown = |c: &&Change| {
        c.is_change() || moves.contains_key(&c.address) || imports.contains_key(&c.address)
    };
    if !p.changes.iter().any(|c| shown(&c)) && p.forgotten.is_empty() {
        no_changes(&mut s, p, st);
        return s.finish();
    }
    legend(&mut s, p.changes.iter().filter(shown), st);
    s.push_str("netform will perform the following actions:\n\n");
    let mut block = String::new();
    for c in p.changes.iter().filter(shown) {
        let requested = p.options.replace.iter().any(|r| r.matches(&c.address));
        match (imports.get(&c.address), moves.get(&c.address)) {
            (Some(id), _) => s.push_str(&imported_block(c, id, st, requested)),
            (None, Some(from)) => s.push_str(&moved_block(c, Some(*from), st, requested)),
            (None, None) => {
                block.clear();
                push_change_block(&mut block, c, st, requested);
                s.push_str(&block);
            }
        }
        s.push_str("\n");
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
        s.push_str("\n");
        s.push_str(&o);
    }
    s.finish()
}

/// A plan that changes nothing: the outputs that change, if any, and the no-changes text.
fn no_changes(s: &mut Sink, p: &Plan, st: Style) {
    if p.options.refresh_only && !p.drift.is_empty() {
        s.push_str("This is a refresh-only plan, so netform will not take any actions to undo these. Applying it updates the state to match.\n");
        return;
    }
    s.push_str(&outputs(&p.outputs, st));
    if s.any && !s.ends_with_blank_line() {
        s.push_str("\n");
    }
    let _ = writeln!(
        s,
        "{}",
        st.bold("No changes. Your infrastructure matches the configuration.")
    );
    s.push_str("\nnetform has compared your real infrastructure against your configuration and found no differences, so no changes are needed.\n");
}

/// The symbols the shown changes use, explained.
fn legend<'a>(s: &mut Sink, changed: impl Iterator<Item = &'a Change>, st: Style) {
    let (mut create, mut update, mut delete, mut replace, mut cbd) =
        (false, false, false, false, false);
    for c in changed {
        match c.action {
            Action::Create => create = true,
            Action::Update => update = true,
            Action::Delete => delete = true,
            Action::Replace if c.create_before_destroy => cbd = true,
            Action::Replace => replace = true,
            Action::NoOp => {}
        }
    }
    let mut legend = vec![];
    if create {
        legend.push(format!("  {} create", st.green("+")));
    }
    if update {
        legend.push(format!("  {} update in-place", st.yellow("~")));
    }
    if delete {
        legend.push(format!("  {} destroy", st.red("-")));
    }
    if replace {
        legend.push(format!(
            "{}/{} destroy and then create replacement",
            st.red("-"),
            st.green("+")
        ));
    }
    if cbd {
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
        s.push_str("\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::InstanceKey;
    use crate::schema::Kind;

    fn plan_of(n: usize) -> Plan {
        let changes = (0..n)
            .map(|i| Change {
                address: Address::managed("alicloud_eip_address", "e", InstanceKey::Int(i as i64)),
                kind: Kind::Eip,
                action: Action::Create,
                before: None,
                after: Some(
                    [
                        ("address_name".to_string(), Value::string(format!("n-{i}"))),
                        ("id".to_string(), Value::unknown()),
                    ]
                    .into_iter()
                    .collect(),
                ),
                replace_paths: Vec::new(),
                create_before_destroy: false,
                dependencies: Vec::new(),
                provider: None,
                each: None,
                sensitive: Default::default(),
            })
            .collect();
        Plan::of_changes(changes)
    }

    /// Records the size of each write; fails every write once `fail_after` bytes are taken.
    struct Probe {
        writes: Vec<usize>,
        taken: usize,
        fail_after: usize,
    }

    impl std::io::Write for Probe {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.taken >= self.fail_after {
                return Err(std::io::Error::other("disk full"));
            }
            self.writes.push(buf.len());
            self.taken += buf.len();
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_big_plan_is_written_in_pieces_never_whole() {
        let p = plan_of(3000);
        let whole = render(&p, Style::PLAIN);
        assert_eq!(whole.matches(" will be created\n").count(), 3000);
        assert!(whole.ends_with("Plan: 3000 to add, 0 to change, 0 to destroy.\n"));
        let mut probe = Probe {
            writes: Vec::new(),
            taken: 0,
            fail_after: usize::MAX,
        };
        write(&p, Style::PLAIN, &mut probe).expect("no write fails");
        assert_eq!(probe.taken, whole.len());
        assert!(probe.writes.len() > 2, "{} writes", probe.writes.len());
        let biggest = probe.writes.iter().max().copied().unwrap_or(0);
        assert!(biggest < CHUNK + 1024, "a write of {biggest} bytes");
    }

    #[test]
    fn the_first_failed_write_ends_the_writing_and_is_returned() {
        let p = plan_of(3000);
        let mut probe = Probe {
            writes: Vec::new(),
            taken: 0,
            fail_after: CHUNK,
        };
        let e = write(&p, Style::PLAIN, &mut probe).expect_err("the disk is full");
        assert_eq!(e.to_string(), "disk full");
        assert_eq!(
            probe.writes.len(),
            1,
            "nothing is written after the failure"
        );
    }
}
