//! Machine output parses, for every command that has one, and carries nothing else; the JSON
//! shapes are Terraform's (`output -json`, `show -json`); sensitive values stay hidden where
//! people read them (`state show`, `show`).

use crate::harness::Env;

const CONFIG: &str = r#"
provider "alicloud" {
  region = "cn-hangzhou"
  simulator {}
}

variable "secret" {
  type      = string
  sensitive = true
  default   = "hunter2-in-state"
}

resource "alicloud_eip_address" "x" {
  bandwidth   = 5
  description = var.secret
}

output "ip" {
  value = alicloud_eip_address.x.ip_address
}

output "pair" {
  value = [2, "a"]
}

output "hidden" {
  value     = var.secret
  sensitive = true
}
"#;

fn json(what: &str, text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: not JSON ({e}):\n{text}"))
}

fn ndjson(what: &str, text: &str) -> Vec<serde_json::Value> {
    assert!(!text.is_empty(), "{what}: no events");
    text.lines()
        .map(|l| json(what, l))
        .inspect(|e| assert!(e["type"].is_string(), "{what}: {e}"))
        .collect()
}

fn run_ok(env: &Env, args: &[&str]) -> String {
    let r = env.run(args);
    assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
    r.stdout
}

#[test]
fn every_machine_output_parses() {
    let env = Env::empty();
    env.write("main.hcl", CONFIG);
    json("validate --json", &run_ok(&env, &["validate", "--json"]));
    json(
        "plan --format json",
        &run_ok(&env, &["plan", "--format", "json"]),
    );
    json(
        "plan --format json --out",
        &run_ok(&env, &["plan", "--format", "json", "--out", "p.tfplan"]),
    );
    ndjson("plan --json", &run_ok(&env, &["plan", "--json"]));
    ndjson(
        "plan --json --out",
        &run_ok(&env, &["plan", "--json", "--out", "p.tfplan"]),
    );
    let md = run_ok(&env, &["plan", "--format", "markdown", "--out", "p.tfplan"]);
    assert!(
        md.starts_with('#') || md.starts_with('|') || md.starts_with("**"),
        "{md}"
    );
    assert!(!md.contains("netform apply p.tfplan"), "{md}");
    json(
        "show --json PLAN",
        &run_ok(&env, &["show", "--json", "p.tfplan"]),
    );
    json("show --json (no state)", &run_ok(&env, &["show", "--json"]));
    ndjson(
        "apply PLAN --json",
        &run_ok(&env, &["apply", "p.tfplan", "--json"]),
    );
    json("show --json", &run_ok(&env, &["show", "--json"]));
    json("output --json", &run_ok(&env, &["output", "--json"]));
    json(
        "output --json NAME",
        &run_ok(&env, &["output", "--json", "pair"]),
    );
    json("sim show", &run_ok(&env, &["sim", "show"]));
    json("version -json", &run_ok(&env, &["version", "-json"]));
    json("state pull", &run_ok(&env, &["state", "pull"]));
    json(
        "state history --json",
        &run_ok(&env, &["state", "history", "--json"]),
    );
    let list = run_ok(&env, &["state", "list"]);
    assert_eq!(list, "alicloud_eip_address.x\n");
    assert!(run_ok(&env, &["graph"]).starts_with("digraph"));
    assert!(run_ok(&env, &["graph", "--format", "mermaid"]).starts_with("flowchart"));
    ndjson(
        "apply --json (nothing to do)",
        &run_ok(&env, &["apply", "--auto-approve", "--json"]),
    );
    let ev = ndjson(
        "destroy --json",
        &run_ok(&env, &["destroy", "--auto-approve", "--json"]),
    );
    assert_eq!(ev[0]["type"], "version");
}

#[test]
fn output_and_show_json_have_terraforms_shapes_and_state_show_hides_secrets() {
    let env = Env::empty();
    env.write("main.hcl", CONFIG);
    run_ok(&env, &["apply", "--auto-approve"]);
    let o = json("output -json", &run_ok(&env, &["output", "-json"]));
    assert_eq!(o["ip"]["type"], "string");
    assert_eq!(o["ip"]["sensitive"], false);
    assert_eq!(
        o["pair"]["type"],
        serde_json::json!(["tuple", ["number", "string"]])
    );
    assert_eq!(o["hidden"]["sensitive"], true);
    let s = json("show -json", &run_ok(&env, &["show", "-json"]));
    assert_eq!(s["format_version"], "1.0");
    let r = &s["values"]["root_module"]["resources"][0];
    assert_eq!(r["address"], "alicloud_eip_address.x");
    assert_eq!(r["mode"], "managed");
    assert_eq!(r["type"], "alicloud_eip_address");
    assert_eq!(r["name"], "x");
    assert!(
        r["values"]["id"]
            .as_str()
            .is_some_and(|i| i.starts_with("eip-"))
    );
    assert_eq!(r["sensitive_values"]["description"], true);
    assert_eq!(s["values"]["outputs"]["ip"]["type"], "string");
    for args in [
        &["state", "show", "alicloud_eip_address.x"][..],
        &["show"][..],
    ] {
        let out = run_ok(&env, args);
        assert!(!out.contains("hunter2"), "{args:?}:\n{out}");
        assert!(out.contains("(sensitive value)"), "{args:?}:\n{out}");
    }
}
