//! The expression evaluator, through what `validate` does (`config::validate_text`: load,
//! resolve variables, plan offline): generated expressions — every built-in function with
//! random arguments, operators, conditionals, `for` expressions, splats, indexing, templates and
//! heredocs over troublesome literals — placed into real configurations (as a local, in place
//! of an attribute's value, as a `count` or `for_each`), then mutated as text.

use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::Index;

use crate::engine::{Case, Fuzz, Target};
use crate::mutate::{Edit, NUMBERS, Pool, apply_edit, edit};

pub static TARGET: Target = Target {
    name: "expressions",
    ci_cases: 1500,
    build,
};

const REFS: &[&str] = &[
    "var.secondary_ip_count",
    "var.x",
    "local.app_ips",
    "local.web",
    "local.cidr",
    "local.fz",
    "local.fz0",
    "each.key",
    "each.value",
    "count.index",
    "self",
    "data.alicloud_instances.web.instances",
    "data.alicloud_instances.web.instances[0].vswitch_id",
    "data.alicloud_vswitches.web.vswitches[0].cidr_block",
    "alicloud_ecs_network_interface.app.id",
    "alicloud_ecs_network_interface.app.private_ip_addresses",
    "alicloud_eip_address.app.ip_address",
    "path.module",
    "terraform.workspace",
];

const STRINGS: &[&str] = &[
    "",
    "a",
    "192.168.1.0/24",
    "10.0.0.0/8",
    "0.0.0.0/0",
    "::/0",
    "2001:db8::/32",
    "192.168.1.10",
    "255.255.255.255/33",
    "1.2.3.4/-1",
    "%s",
    "%d",
    "%v",
    "%#v",
    "%09999999d",
    "%.99999f",
    "%[2]s",
    "%[0]d",
    "%[-1]d",
    "%*d",
    "%",
    "%%",
    "%-5s|",
    "%q",
    "%t",
    "%x",
    "%e",
    "%b",
    "[1,2]",
    "{\"a\":1}",
    "[[[[[[[[",
    "1e999",
    "-0",
    "NaN",
    "true",
    "null",
    "hello.txt",
    "missing.txt",
    "/dev/null",
    "/dev/zero",
    "é🦀\u{202e}",
    "\\n",
    "${",
    "a,b,,c",
    "^web-",
    "(?i)x",
];

const OPS: &[&str] = &[
    "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||",
];

/// A string as an HCL literal (quotes, escapes, and `${`/`%{` kept literal).
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.replace("${", "$${").replace("%{", "%%{") + "\""
}

/// The literals of [`NUMBERS`] that HCL's grammar takes as numbers.
fn hcl_numbers() -> Vec<&'static str> {
    NUMBERS
        .iter()
        .copied()
        .filter(|n| {
            let body = n.strip_prefix('-').unwrap_or(n);
            body.starts_with(|c: char| c.is_ascii_digit())
                && !body.ends_with(['.', 'e', '+'])
                && body
                    .chars()
                    .all(|c| c.is_ascii_digit() || ".e-+".contains(c))
        })
        .collect()
}

fn leaf() -> BoxedStrategy<String> {
    let numbers = hcl_numbers();
    prop_oneof![
        3 => any::<Index>().prop_map(move |i| numbers[i.index(numbers.len())].to_string()),
        3 => any::<Index>().prop_map(|i| quote(STRINGS[i.index(STRINGS.len())])),
        3 => any::<Index>().prop_map(|i| REFS[i.index(REFS.len())].to_string()),
        1 => Just("true".to_string()),
        1 => Just("null".to_string()),
        1 => Just("[]".to_string()),
        1 => Just("{}".to_string()),
        1 => (0u32..2000).prop_map(|n| n.to_string()),
    ]
    .boxed()
}

/// Expressions of HCL's grammar, up to a few levels deep.
pub fn expr() -> BoxedStrategy<String> {
    let names: &'static [&'static str] =
        netform::lang::functions::names().collect::<Vec<_>>().leak();
    leaf()
        .prop_recursive(5, 64, 4, move |inner| {
            let i = inner.clone();
            prop_oneof![
                4 => (any::<Index>(), prop::collection::vec(inner.clone(), 0..4), any::<bool>())
                    .prop_map(move |(f, args, spread)| {
                        let dots = if spread && !args.is_empty() { "..." } else { "" };
                        format!("{}({}{dots})", names[f.index(names.len())], args.join(", "))
                    }),
                2 => (inner.clone(), any::<Index>(), inner.clone())
                    .prop_map(|(a, op, b)| format!("({a} {} {b})", OPS[op.index(OPS.len())])),
                1 => inner.clone().prop_map(|a| format!("!{a}")),
                1 => inner.clone().prop_map(|a| format!("-{a}")),
                1 => (inner.clone(), inner.clone(), inner.clone())
                    .prop_map(|(c, a, b)| format!("({c} ? {a} : {b})")),
                2 => prop::collection::vec(inner.clone(), 0..5).prop_map(|v| format!("[{}]", v.join(", "))),
                1 => prop::collection::vec((any::<Index>(), inner.clone()), 0..4).prop_map(|v| {
                    let items: Vec<String> = v
                        .into_iter()
                        .map(|(k, x)| format!("{} = {x}", quote(STRINGS[k.index(STRINGS.len())])))
                        .collect();
                    format!("{{ {} }}", items.join(", "))
                }),
                2 => (inner.clone(), inner.clone(), prop::option::of(inner.clone())).prop_map(|(c, e, f)| {
                    let cond = f.map(|f| format!(" if {f}")).unwrap_or_default();
                    format!("[for k, v in {c} : {e}{cond}]")
                }),
                1 => (inner.clone(), inner.clone(), any::<bool>()).prop_map(|(c, e, group)| {
                    format!("{{ for k, v in {c} : tostring(k) => {e}{} }}", if group { "..." } else { "" })
                }),
                2 => (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}[{b}]")),
                1 => inner.clone().prop_map(|a| format!("{a}.name")),
                1 => inner.clone().prop_map(|a| format!("{a}[*].id")),
                1 => inner.clone().prop_map(|a| format!("{a}.*.id")),
                1 => (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("\"x-${{{a}}}-%{{ if {b} }}y%{{ else }}z%{{ endif }}\"")),
                1 => (inner.clone(), inner.clone()).prop_map(|(c, e)| format!("\"%{{ for x in {c} }}${{{e}}},%{{ endfor }}\"")),
                1 => i.prop_map(|a| format!("<<-EOT\n  a ${{{a}}}\n    b\n  EOT\n")),
            ]
        })
        .boxed()
}

/// Where an expression goes in a seed configuration.
#[derive(Clone, Debug)]
enum Place {
    /// A new `locals { fzN = … }` block.
    Local,
    /// The value of the nth `name = …` line.
    Attribute(u16),
    /// `count = …` in the nth resource block.
    Count(u16),
    /// `for_each = …` in the nth resource block.
    ForEach(u16),
    /// A variable's default.
    Default,
}

fn place() -> impl Strategy<Value = Place> {
    prop_oneof![
        3 => Just(Place::Local),
        4 => any::<u16>().prop_map(Place::Attribute),
        1 => any::<u16>().prop_map(Place::Count),
        1 => any::<u16>().prop_map(Place::ForEach),
        1 => Just(Place::Default),
    ]
}

fn put(text: &mut String, n: usize, p: &Place, e: &str) {
    match p {
        Place::Local => text.push_str(&format!("\nlocals {{\n  fz{n} = {e}\n}}\n")),
        Place::Default => text.push_str(&format!(
            "\nvariable \"fz{n}\" {{\n  default = {e}\n}}\nlocals {{\n  fzv{n} = var.fz{n}\n}}\n"
        )),
        Place::Attribute(k) => {
            let lines: Vec<(usize, usize)> = attribute_values(text);
            if lines.is_empty() {
                return;
            }
            let (a, b) = lines[*k as usize % lines.len()];
            text.replace_range(a..b, e);
        }
        Place::Count(k) | Place::ForEach(k) => {
            let heads: Vec<usize> = text
                .match_indices("resource \"")
                .filter_map(|(i, _)| text[i..].find('{').map(|j| i + j + 1))
                .collect();
            if heads.is_empty() {
                return;
            }
            let at = heads[*k as usize % heads.len()];
            let what = if matches!(p, Place::Count(_)) {
                "count"
            } else {
                "for_each"
            };
            text.insert_str(at, &format!("\n  {what} = {e}\n"));
        }
    }
}

/// Byte ranges of the values of one-line attributes (`  name = value`).
fn attribute_values(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        if let Some(eq) = body.find(" = ") {
            let name = body[..eq].trim();
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                let v = start + eq + 3;
                let end = start + body.len();
                let value = body[eq + 3..].trim_end();
                // Not a value that opens a multi-line construct (its rest would dangle).
                let opens = value.ends_with(['{', '[', '(']) || value.contains("<<");
                if v <= end && !opens {
                    out.push((v, end));
                }
            }
        }
        start += line.len();
    }
    out
}

struct Exprs {
    pool: Pool,
    dir: tempfile::TempDir,
}

fn build(_: &Path) -> Box<dyn Fuzz> {
    let dir = crate::engine::scratch();
    std::fs::write(dir.path().join("hello.txt"), "Hello World").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("bin"), [0xff, 0xfe]).unwrap_or_else(|e| panic!("{e}"));
    Box::new(Exprs {
        pool: Pool::new(crate::corpus::hcl_seeds(), crate::hcl::TOKENS),
        dir,
    })
}

impl Fuzz for Exprs {
    fn cases(&self) -> BoxedStrategy<Case> {
        let pool = self.pool.clone();
        let seeds = Arc::clone(&pool.seeds);
        (
            any::<Index>(),
            prop::collection::vec((place(), expr()), 1..4),
            prop_oneof![
                3 => Just(Vec::new()),
                1 => prop::collection::vec(edit(), 1..3),
            ],
        )
            .prop_map(
                move |(seed, placed, edits): (Index, Vec<(Place, String)>, Vec<Edit>)| {
                    let mut text =
                        String::from_utf8_lossy(&seeds[seed.index(seeds.len())]).into_owned();
                    for (n, (p, e)) in placed.iter().enumerate() {
                        put(&mut text, n, p, e);
                    }
                    let mut bytes = text.into_bytes();
                    for e in &edits {
                        apply_edit(&mut bytes, e, &pool);
                    }
                    vec![("main.hcl".to_string(), bytes)]
                },
            )
            .boxed()
    }

    fn run(&mut self, case: &Case) -> &'static str {
        let files: Vec<(String, String)> = case
            .iter()
            .map(|(n, b)| (n.clone(), crate::hcl::text(b)))
            .collect();
        let (diags, sources) =
            netform::config::validate_text(self.dir.path(), files, &Default::default());
        crate::hcl::show(&diags, &sources);
        crate::hcl::outcome(&diags)
    }
}
