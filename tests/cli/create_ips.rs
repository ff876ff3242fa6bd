//! A new ENI's secondary addresses travel in its CreateNetworkInterface call, as
//! terraform-provider-alicloud sends them: no Assign operation in the graph and no Assign call for
//! a set that fits one call, named or counted, IPv4 or IPv6, in process and over `sim serve`; a
//! set too large for one call keeps its own Assign; a world whose per-call batch is smaller gets
//! the rest in the same operation; an address another ENI of the plan gives up is taken after it
//! is freed.

use serde_json::Value as J;

use crate::harness::Env;
use crate::http::{KEY_ID, SECRET, Server, client_vars};

const PROVIDER: &str = "provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n  simulator {}\n}\n";
const WEB: &str = "vsw-bp1web0000000000000";
const SG: &str = "sg-bp1basic000000000000";

fn eni(name: &str, extra: &str) -> String {
    format!(
        "\nresource \"alicloud_ecs_network_interface\" \"{name}\" {{\n  vswitch_id         = \"{WEB}\"\n  security_group_ids = [\"{SG}\"]\n{extra}}}\n"
    )
}

fn env_with(body: &str) -> Env {
    let env = Env::empty();
    env.write("main.hcl", &format!("{PROVIDER}{body}"));
    env
}

/// The `api calls:` summary an apply logs at debug level, as action → count.
fn calls(stderr: &str) -> std::collections::BTreeMap<String, u64> {
    let line = stderr
        .lines()
        .find_map(|l| l.split_once("api calls: ").map(|(_, s)| s.to_string()))
        .unwrap_or_else(|| panic!("no api calls summary in:\n{stderr}"));
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .filter_map(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
        .collect()
}

/// The first ENI of the state, by resource name.
fn state_eni(env: &Env, name: &str) -> J {
    let state: J =
        serde_json::from_str(&env.read("netform.tfstate").unwrap_or_default()).expect("state");
    state["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["name"] == name))
        .map(|r| r["instances"][0]["attributes"].clone())
        .unwrap_or_else(|| panic!("no {name} in {state}"))
}

fn strs(v: &J) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn apply(env: &Env, vars: &[(&str, &str)]) -> (String, String) {
    let mut all = vec![("NETFORM_LOG", "debug")];
    all.extend_from_slice(vars);
    let r = env.run_env(&["apply", "--auto-approve"], &all);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let plan = env.run_env(&["plan", "--detailed-exitcode"], vars);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    (r.stdout, r.stderr)
}

fn ops_graph(env: &Env) -> String {
    let r = env.run(&["graph", "--ops"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    r.stdout
}

#[test]
fn a_new_eni_with_two_secondaries_is_one_create_and_no_assign() {
    let env = env_with(&eni(
        "e",
        "  secondary_private_ip_address_count = 2\n  ipv6_address_count = 1\n",
    ));
    let graph = ops_graph(&env);
    assert!(graph.contains("CreateNetworkInterface"), "{graph}");
    assert!(!graph.contains("Assign"), "{graph}");
    let (_, stderr) = apply(&env, &[]);
    let c = calls(&stderr);
    assert_eq!(c.get("CreateNetworkInterface"), Some(&1), "{c:?}");
    assert!(!c.keys().any(|k| k.starts_with("Assign")), "{c:?}");
    let e = state_eni(&env, "e");
    assert_eq!(strs(&e["private_ip_addresses"]).len(), 2, "{e}");
    assert_eq!(e["secondary_private_ip_address_count"], 2, "{e}");
    let v6 = strs(&e["ipv6_addresses"]);
    assert_eq!(v6.len(), 1, "{e}");
    assert!(v6[0].starts_with("2408:4005:3ff:8501:"), "{v6:?}");
}

#[test]
fn named_secondaries_come_with_the_create_and_a_large_set_keeps_its_assign() {
    let twelve: Vec<String> = (160..172).map(|i| format!("\"192.168.1.{i}\"")).collect();
    let env = env_with(&format!(
        "{}{}",
        eni(
            "named",
            "  private_ip_addresses = [\"192.168.1.140\", \"192.168.1.141\"]\n  ipv6_addresses = [\"2408:4005:3ff:8501::140\"]\n",
        ),
        eni(
            "large",
            &format!(
                "  primary_ip_address = \"192.168.1.159\"\n  private_ip_addresses = [{}]\n",
                twelve.join(", ")
            ),
        ),
    ));
    let graph = ops_graph(&env);
    assert!(
        !graph.contains("alicloud_ecs_network_interface.named#Assign"),
        "{graph}"
    );
    assert!(
        graph.contains("alicloud_ecs_network_interface.large#AssignPrivateIpAddresses"),
        "{graph}"
    );
    let (_, stderr) = apply(&env, &[]);
    let c = calls(&stderr);
    assert_eq!(c.get("CreateNetworkInterface"), Some(&2), "{c:?}");
    // Twelve addresses: two calls of ten at most, both for the large ENI.
    assert_eq!(c.get("AssignPrivateIpAddresses"), Some(&2), "{c:?}");
    assert_eq!(c.get("AssignIpv6Addresses"), None, "{c:?}");
    let named = state_eni(&env, "named");
    assert_eq!(
        strs(&named["private_ip_addresses"]),
        ["192.168.1.140", "192.168.1.141"]
    );
    assert_eq!(strs(&named["ipv6_addresses"]), ["2408:4005:3ff:8501::140"]);
    assert_eq!(
        strs(&state_eni(&env, "large")["private_ip_addresses"]).len(),
        12
    );
}

#[test]
fn a_smaller_per_call_batch_gets_the_rest_in_the_same_operation() {
    let env = small_batch_env(&eni(
        "e",
        "  private_ip_addresses = [\"192.168.1.140\", \"192.168.1.141\", \"192.168.1.142\"]\n",
    ));
    assert!(!ops_graph(&env).contains("Assign"));
    let (_, stderr) = apply(&env, &[]);
    let c = calls(&stderr);
    assert_eq!(c.get("CreateNetworkInterface"), Some(&1), "{c:?}");
    assert_eq!(c.get("AssignPrivateIpAddresses"), Some(&1), "{c:?}");
    assert_eq!(
        strs(&state_eni(&env, "e")["private_ip_addresses"]),
        ["192.168.1.140", "192.168.1.141", "192.168.1.142"]
    );
}

#[test]
fn an_address_another_eni_gives_up_is_taken_by_the_create_after_it() {
    let env = env_with(&eni(
        "old",
        "  private_ip_addresses = [\"192.168.1.150\"]\n",
    ));
    apply(&env, &[]);
    env.write(
        "main.hcl",
        &format!(
            "{PROVIDER}{}",
            eni("new", "  private_ip_addresses = [\"192.168.1.150\"]\n")
        ),
    );
    let graph = ops_graph(&env);
    assert!(
        !graph.contains("alicloud_ecs_network_interface.new#Assign"),
        "{graph}"
    );
    apply(&env, &[]);
    assert_eq!(
        strs(&state_eni(&env, "new")["private_ip_addresses"]),
        ["192.168.1.150"]
    );
}

#[test]
fn over_sim_serve_the_create_carries_the_addresses() {
    let mut server = Server::start(&[(KEY_ID, SECRET)], &[]);
    let env = Env::empty();
    env.write(
        "main.hcl",
        &format!(
            "provider \"alicloud\" {{\n  region = \"cn-hangzhou\"\n  endpoint = \"{}\"\n}}\n{}{}",
            server.endpoint,
            // The counted ENI leaves its primary to the cloud: its create is then an automatic
            // claim alone, which comes after every named address (with a named primary its
            // count would wait for an Assign of its own).
            eni(
                "named",
                "  primary_ip_address = \"192.168.1.138\"\n  private_ip_addresses = [\"192.168.1.140\", \"192.168.1.141\"]\n"
            ),
            eni(
                "counted",
                "  secondary_private_ip_address_count = 2\n  ipv6_address_count = 2\n"
            ),
        ),
    );
    let vars = client_vars(KEY_ID, SECRET);
    let (_, stderr) = apply(&env, &vars);
    let c = calls(&stderr);
    assert_eq!(c.get("CreateNetworkInterface"), Some(&2), "{c:?}");
    assert!(!c.keys().any(|k| k.starts_with("Assign")), "{c:?}");
    let cloud = server.cloud();
    let enis = cloud["network_interfaces"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let named = state_eni(&env, "named");
    let id = named["id"].as_str().unwrap_or_default();
    let on_cloud = enis.get(id).cloned().unwrap_or_default();
    let secondary: Vec<&str> = on_cloud["PrivateIpSets"]["PrivateIpSet"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|x| x["Primary"] == false)
        .filter_map(|x| x["PrivateIpAddress"].as_str())
        .collect();
    assert_eq!(secondary, ["192.168.1.140", "192.168.1.141"], "{on_cloud}");
    let counted = state_eni(&env, "counted");
    assert_eq!(strs(&counted["private_ip_addresses"]).len(), 2, "{counted}");
    assert_eq!(strs(&counted["ipv6_addresses"]).len(), 2, "{counted}");
}

/// A world whose per-call batch is 2, with `body` as its configuration.
fn small_batch_env(body: &str) -> Env {
    let mut w = netform::provider::sim::world::World::builtin();
    w.limits.ips_per_assign_call = Some(2);
    let env = Env::empty();
    env.write(
        "world.json",
        &serde_json::to_string_pretty(&w).expect("world json"),
    );
    env.write(
        "main.hcl",
        &format!(
            "provider \"alicloud\" {{\n  region = \"cn-hangzhou\"\n  simulator {{ world = \"world.json\" }}\n}}\n{body}"
        ),
    );
    env
}

#[test]
fn a_lost_create_answer_is_settled_with_every_address() {
    let env = small_batch_env(&eni(
        "e",
        "  private_ip_addresses = [\"192.168.1.140\", \"192.168.1.141\", \"192.168.1.142\"]\n",
    ));
    // The cloud makes the ENI (with the two addresses one call carries) and every answer to
    // the create is lost: the run ends with the operation unknown.
    let r = env.run_env(
        &["apply", "--auto-approve"],
        &[(
            "NETFORM_SIM_FAULTS",
            r#"{"rates": {"CreateNetworkInterface": {"lost_answer": 1.0}}}"#,
        )],
    );
    assert_ne!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // The next run finds it by its identity and completes its addresses: nothing is left to
    // change afterwards.
    let (out, _) = apply(&env, &[]);
    assert!(out.contains("0 added, 0 changed, 0 destroyed"), "{out}");
    let show: J =
        serde_json::from_str(&env.run(&["sim", "show"]).stdout).expect("sim show is JSON");
    let enis: Vec<&String> = show["network_interfaces"]
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    assert_eq!(enis.len(), 1, "one ENI, not two: {enis:?}");
    assert_eq!(
        strs(&state_eni(&env, "e")["private_ip_addresses"]),
        ["192.168.1.140", "192.168.1.141", "192.168.1.142"]
    );
}
