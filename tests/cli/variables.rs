//! Terraform's variables and flags: TF_VAR_, terraform.tfvars(.json), *.auto.tfvars.json,
//! --var-file of either syntax, command-line order, -lock=false, --replace that matches nothing.

use crate::harness::Env;

const CONFIG: &str = r#"
provider "alicloud" {
  region = "cn-hangzhou"
  simulator {}
}

variable "bw" {
  type    = number
  default = 1
}

resource "alicloud_eip_address" "x" {
  bandwidth = var.bw
}
"#;

fn bandwidth(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> String {
    let mut all = vec!["plan"];
    all.extend_from_slice(args);
    let r = env.run_env(&all, vars);
    assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
    let line = r
        .stdout
        .lines()
        .find(|l| l.contains("bandwidth"))
        .unwrap_or_else(|| panic!("no bandwidth in:\n{}", r.stdout));
    line.rsplit('=')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches('"')
        .to_string()
}

#[test]
fn variables_come_from_every_terraform_source_in_terraforms_order() {
    let env = Env::empty();
    env.write("main.hcl", CONFIG);
    assert_eq!(bandwidth(&env, &[], &[]), "1", "the default");
    assert_eq!(bandwidth(&env, &[], &[("TF_VAR_bw", "2")]), "2", "TF_VAR_");
    assert_eq!(
        bandwidth(&env, &[], &[("TF_VAR_bw", "2"), ("NETFORM_VAR_bw", "3")]),
        "3",
        "NETFORM_VAR_ over TF_VAR_"
    );
    env.write("terraform.tfvars", "bw = 4\n");
    assert_eq!(bandwidth(&env, &[], &[("NETFORM_VAR_bw", "3")]), "4");
    env.write("terraform.tfvars.json", r#"{"bw": 5}"#);
    assert_eq!(bandwidth(&env, &[], &[]), "5", "the .json twin after");
    env.write("b.auto.tfvars.json", r#"{"bw": 6}"#);
    assert_eq!(bandwidth(&env, &[], &[]), "6", "*.auto.tfvars.json");
    env.write("seven.tfvars.json", r#"{"bw": 7}"#);
    env.write("eight.tfvars", "bw = 8\n");
    assert_eq!(
        bandwidth(&env, &["--var-file", "seven.tfvars.json"], &[]),
        "7"
    );
    // --var and --var-file apply in command-line order: the later wins.
    assert_eq!(
        bandwidth(&env, &["--var", "bw=9", "--var-file", "eight.tfvars"], &[]),
        "8"
    );
    assert_eq!(
        bandwidth(&env, &["--var-file", "eight.tfvars", "--var", "bw=9"], &[]),
        "9"
    );
    assert_eq!(
        bandwidth(
            &env,
            &[
                "-var-file=eight.tfvars",
                "-var=bw=9",
                "-var-file=seven.tfvars.json"
            ],
            &[]
        ),
        "7"
    );
    // An explicit JSON file that is not JSON, or sets an undeclared name, is an error.
    env.write("bad.tfvars.json", "{\"bw\": ");
    let r = env.run(&["plan", "--var-file", "bad.tfvars.json"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("syntax error in bad.tfvars.json"),
        "{}",
        r.stderr
    );
    env.write("other.tfvars.json", r#"{"nope": 1}"#);
    let r = env.run(&["plan", "--var-file", "other.tfvars.json"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("\"nope\", which is not declared"),
        "{}",
        r.stderr
    );
}

#[test]
fn lock_false_warns_and_replace_of_nothing_warns() {
    let env = Env::empty();
    env.write("main.hcl", CONFIG);
    let r = env.run(&["plan", "-lock=false"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("without the state lock"), "{}", r.stderr);
    assert!(!env.exists("netform.tfstate.lock"));
    let r = env.run(&["plan", "--replace", "alicloud_eip_address.typo"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("--replace alicloud_eip_address.typo matches no resource instance"),
        "{}",
        r.stderr
    );
}

/// TF_CLI_ARGS_plan (and TF_CLI_ARGS) add flags after the command's name, so the command
/// line's own flags come later and win; TF_IN_AUTOMATION drops the "run this next" hint.
#[test]
fn tf_cli_args_and_tf_in_automation() {
    let env = Env::empty();
    env.write("main.hcl", CONFIG);
    assert_eq!(
        bandwidth(&env, &[], &[("TF_CLI_ARGS_plan", "-var=bw=3")]),
        "3"
    );
    assert_eq!(
        bandwidth(&env, &["-var=bw=4"], &[("TF_CLI_ARGS", "-var=bw=3")]),
        "4",
        "the command line wins"
    );
    let r = env.run_env(
        &["-C", ".", "plan"],
        &[("TF_CLI_ARGS_plan", "--format json")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(j["format_version"], "1.2");
    let r = env.run_env(&["plan", "--out", "p"], &[("TF_IN_AUTOMATION", "1")]);
    assert!(r.stdout.contains("Saved the plan to: p"), "{}", r.stdout);
    assert!(!r.stdout.contains("To perform exactly"), "{}", r.stdout);
}
