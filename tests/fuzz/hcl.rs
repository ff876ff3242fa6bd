//! The HCL loader: `config::load_sources` on mutated configurations (one file, sometimes a
//! second beside it), the diagnostics rendered as `validate` shows them (text and JSON), and
//! `fmt` on each file (which must also be idempotent: formatting formatted text changes nothing).

use std::path::Path;

use proptest::prelude::*;

use crate::engine::{Case, Fuzz, Target};
use crate::mutate::{Format, Pool, make, recipe};

pub static TARGET: Target = Target {
    name: "hcl_loader",
    ci_cases: 2500,
    build,
};

/// HCL's syntax, for insertions and replacements.
pub const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "=",
    ",",
    ".",
    ":",
    "?",
    "=>",
    "...",
    "*",
    "[*]",
    ".*",
    "\"",
    "\\",
    "\\\"",
    "\\u",
    "\\u{",
    "${",
    "%{",
    "}",
    "$${",
    "%%{",
    "~",
    "<<EOF\n",
    "<<-EOF\n",
    "\nEOF\n",
    "EOF",
    "\n",
    "\r\n",
    "\t",
    " ",
    "#",
    "//",
    "/*",
    "*/",
    "\u{0}",
    "\u{feff}",
    "\u{202e}",
    "é",
    "🦀",
    "null",
    "true",
    "false",
    "for",
    "in",
    "if",
    "endif",
    "else",
    "endfor",
    "count",
    "for_each",
    "each.key",
    "each.value",
    "count.index",
    "var.",
    "local.",
    "data.",
    "self",
    "resource",
    "data",
    "variable",
    "locals",
    "output",
    "provider",
    "terraform",
    "module",
    "dynamic",
    "lifecycle",
    "depends_on",
    "validation",
    "simulator",
    "alias",
    "sensitive",
    "default",
    "type",
    "condition",
    "error_message",
    "string",
    "number",
    "bool",
    "list(string)",
    "map(any)",
    "object({a=string})",
    "set(number)",
    "tuple([string])",
    "optional(string)",
    "any",
    "alicloud_ecs_network_interface",
    "alicloud_eip_address",
    "alicloud_eip_association",
    "alicloud_network_interface_attachment",
    "alicloud_ecs_network_interface_attachment",
    "alicloud_instances",
    "alicloud_vswitches",
    "create_before_destroy",
    "prevent_destroy",
    "ignore_changes",
    "replace_triggered_by",
    "!",
    "-",
    "+",
    "/",
    "%",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "&&",
    "||",
];

struct Loader {
    pool: Pool,
    dir: tempfile::TempDir,
}

fn build(_: &Path) -> Box<dyn Fuzz> {
    Box::new(Loader {
        pool: Pool::new(crate::corpus::hcl_seeds(), TOKENS),
        dir: crate::engine::scratch(),
    })
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// What `validate` shows for a result: every diagnostic rendered, and as JSON.
pub fn show(diags: &netform::diag::Diagnostics, sources: &netform::diag::Sources) {
    let _ = netform::render::diag::render_all(&diags.0, sources, netform::render::Style::PLAIN);
    let _ = netform::render::diag::render_all(
        &diags.0,
        sources,
        netform::render::Style { color: true },
    );
    for d in &diags.0 {
        let _ = sources.diagnostic_json(d);
    }
}

/// How far a configuration got: refused by the parser, or later.
pub fn outcome(d: &netform::diag::Diagnostics) -> &'static str {
    if d.0.iter().any(|x| x.summary.starts_with("syntax error")) {
        "syntax error"
    } else if d.has_errors() {
        "parsed, refused"
    } else {
        "valid"
    }
}

impl Fuzz for Loader {
    fn cases(&self) -> BoxedStrategy<Case> {
        let p = self.pool.clone();
        (
            recipe(&self.pool, Format::Text, 1.0),
            recipe(&self.pool, Format::Text, 0.2),
        )
            .prop_map(move |(a, b)| {
                let mut case = Vec::new();
                if let Some(a) = make(&p, Format::Text, &a) {
                    case.push(("main.hcl".to_string(), a));
                }
                if let Some(b) = make(&p, Format::Text, &b) {
                    case.push(("other.hcl".to_string(), b));
                }
                case
            })
            .boxed()
    }

    fn run(&mut self, case: &Case) -> &'static str {
        let files: Vec<(String, String)> = case.iter().map(|(n, b)| (n.clone(), text(b))).collect();
        for (_, t) in &files {
            if let Ok(once) = netform::fmt::format_source(t) {
                match netform::fmt::format_source(&once) {
                    Ok(twice) => assert!(twice == once, "invariant: fmt is not idempotent"),
                    Err(e) => panic!("invariant: fmt output does not parse: {e}"),
                }
            }
        }
        match netform::config::load_sources(self.dir.path(), files) {
            Ok(cfg) => {
                show(&cfg.warnings, &cfg.sources);
                "loaded"
            }
            Err(f) => {
                show(&f.diags, &f.sources);
                outcome(&f.diags)
            }
        }
    }
}
