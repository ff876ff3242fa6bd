//! The language end to end: Terraform's built-in functions and `optional(T, default)` in a
//! configuration, as `plan` shows their values.

use crate::harness::Env;

const CONFIG: &str = r#"
provider "alicloud" {
  region = "cn-hangzhou"
  simulator {}
}

variable "eip" {
  type = object({
    name      = string
    bandwidth = optional(number, 5)
    owner     = optional(string, "net-team")
  })
  default = { name = "edge" }
}

locals {
  words = regexall("[a-z]+", "edge, core; mesh")
  note  = templatefile("note.tmpl", { owner = var.eip.owner, words = local.words })
}

resource "alicloud_eip_address" "x" {
  address_name = "${var.eip.name}-${substr(sha256(var.eip.name), 0, 6)}"
  bandwidth    = var.eip.bandwidth
  description  = trimspace(local.note)
}
"#;

const TEMPLATE: &str = "owner ${upper(owner)}:%{ for w in words ~}\n  ${w}\n%{~ endfor ~}\n";

/// The value a plan shows for an attribute: `+ name = value`, aligned or not.
fn shown(out: &str, attr: &str) -> String {
    out.lines()
        .find(|l| {
            l.trim_start()
                .trim_start_matches(['+', '~', ' '])
                .starts_with(&format!("{attr} "))
        })
        .and_then(|l| l.split_once('='))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| panic!("no {attr} in:\n{out}"))
}

#[test]
fn functions_templates_and_optional_defaults_reach_the_plan() {
    let env = Env::empty();
    env.write("main.hcl", CONFIG);
    env.write("note.tmpl", TEMPLATE);
    let r = env.run(&["plan", "-no-color"]);
    assert!(r.code == 0 || r.code == 2, "{}{}", r.stdout, r.stderr);
    let out = r.stdout;
    // sha256("edge") begins a1cb10.
    assert_eq!(shown(&out, "address_name"), r#""edge-a1cb10""#);
    // The provider's bandwidth is a string attribute.
    assert_eq!(
        shown(&out, "bandwidth"),
        r#""5""#,
        "the optional attribute's default"
    );
    assert_eq!(
        shown(&out, "description"),
        r#""owner NET-TEAM:edgecoremesh""#
    );
}

#[test]
fn a_function_error_names_its_argument_and_changes_nothing() {
    let env = Env::empty();
    env.write(
        "main.hcl",
        &CONFIG.replace(r#"regexall("[a-z]+""#, r#"regexall("[a-z""#),
    );
    env.write("note.tmpl", TEMPLATE);
    let r = env.run(&["plan", "-no-color"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("Call to function \"regexall\" failed: invalid regexp pattern"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("main.hcl:"), "{}", r.stderr);
    assert!(!env.exists("terraform.tfstate"));
}
