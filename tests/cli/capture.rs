//! `netform sim capture`: an account read over Alibaba's HTTP API into a world file. The round
//! trip seeds `sim serve` from a world, captures it through the real client, and expects the same
//! world back (ids, CIDRs, states, limits) and the same plan against both; the failure paths write
//! nothing and never show the AccessKey secret.

use std::path::Path;
use std::process::Child;

use netform::provider::sim::world::World;

use crate::harness::{Env, Run, repo};

const KEY_ID: &str = "capture-key";
const SECRET: &str = "capture-secret-0123456789";

fn creds() -> Vec<(&'static str, &'static str)> {
    vec![
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET),
        ("NETFORM_ALICLOUD_POLL_MS", "10"),
        ("NETFORM_ALICLOUD_BACKOFF_MS", "5"),
    ]
}

/// `netform sim serve --world WORLD` on a free loopback port, killed on drop.
struct Serve {
    _env: Env,
    child: Child,
    endpoint: String,
}

impl Serve {
    fn start(world: &Path) -> Serve {
        let env = Env::empty();
        let world = world.to_string_lossy().into_owned();
        let access = format!("{KEY_ID}={SECRET}");
        let (child, endpoint) = crate::harness::spawn_sim_serve(
            &env,
            &["--world", &world, "--access-key", &access],
            &[],
        );
        Serve {
            _env: env,
            child,
            endpoint,
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A configuration that reads `regions` (alias, region) from `endpoint`.
fn capture_config(endpoint: &str, regions: &[(Option<&str>, &str)]) -> Env {
    let env = Env::empty();
    let blocks: Vec<String> = regions
        .iter()
        .map(|(alias, region)| {
            let alias = alias.map_or(String::new(), |a| format!("  alias    = \"{a}\"\n"));
            format!(
                "provider \"alicloud\" {{\n{alias}  region   = \"{region}\"\n  endpoint = \"{endpoint}\"\n}}\n"
            )
        })
        .collect();
    env.write("main.hcl", &blocks.join("\n"));
    env
}

const DEFAULT_REGIONS: &[(Option<&str>, &str)] =
    &[(None, "cn-hangzhou"), (Some("beijing"), "cn-beijing")];

fn no_secret(r: &Run, file: Option<&str>) {
    for text in [r.stdout.as_str(), r.stderr.as_str(), file.unwrap_or("")] {
        assert!(!text.contains(SECRET), "the secret leaked: {text}");
    }
}

/// The world as the API can see it: what no API returns at its default, what a world may leave
/// implicit spelt out (an instance's VPC, its primary ENI id), sets in order.
fn observable(mut w: World) -> World {
    w.seed = 0;
    w.faults = Default::default();
    w.limits = Default::default();
    w.origin = String::new();
    for r in &mut w.regions {
        r.zones.sort();
    }
    let vpc_of: Vec<(String, String)> = w
        .vswitches
        .iter()
        .map(|v| (v.id.clone(), v.vpc_id.clone()))
        .collect();
    for i in &mut w.instances {
        i.primary_network_interface_id = i.primary_eni_id();
        if i.vpc_id.is_none() {
            i.vpc_id = vpc_of
                .iter()
                .find(|(v, _)| Some(v) == i.vswitch_id.as_ref())
                .map(|(_, p)| p.clone());
        }
    }
    for n in &mut w.nat_gateways {
        n.dnat_ips.sort();
    }
    w
}

/// The limits a plan sees: every scalar value, and the row of each instance type in use.
fn limits_in_use(w: &World) -> (Vec<String>, Vec<String>) {
    let l = w.limits().expect("limits");
    let scalars = l
        .entries()
        .iter()
        .map(|e| format!("{}={}", e.key, e.value))
        .collect();
    let mut rows: Vec<String> = w
        .instances
        .iter()
        .filter_map(|i| l.instance_type(&i.instance_type))
        .map(|t| {
            format!(
                "{} {} {} {} {}",
                t.id,
                t.eni_quantity,
                t.eni_private_ip_address_quantity,
                t.eni_ipv6_address_quantity,
                t.stopped_only_attach
            )
        })
        .collect();
    rows.sort();
    rows.dedup();
    (scalars, rows)
}

/// The quickstart planned against a world file.
fn plan_against(world: &Path) -> String {
    let env = Env::copy_of("examples/quickstart");
    let flag = format!("--simulator={}", world.display());
    let r = env.run(&["plan", &flag]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    r.stdout
}

/// Seeds `sim serve` from the world at `rel`, captures it over HTTP, and checks the capture
/// equals it as far as the API can tell (ids, CIDRs, states, zones, DNAT targets, limits).
/// Returns the captured world's path.
fn round_trip(rel: &str, regions: &[(Option<&str>, &str)]) -> (Env, std::path::PathBuf) {
    let original_path = repo().join(rel);
    let server = Serve::start(&original_path);
    let env = capture_config(&server.endpoint, regions);
    let r = env.run_env(&["sim", "capture", "--out", "captured.json"], &creds());
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let text = env.read("captured.json").expect("the world file");
    no_secret(&r, Some(&text));
    assert!(!text.contains(KEY_ID), "no key id in the world file");
    let names: Vec<&str> = regions.iter().map(|(_, r)| *r).collect();
    assert!(
        r.stdout
            .contains(&format!("Captured {}:", names.join(", "))),
        "{}",
        r.stdout
    );

    let original = World::load(&original_path).expect("the original world");
    let path = env.path().join("captured.json");
    let captured = World::load(&path).expect("a valid world");
    assert_eq!(limits_in_use(&captured), limits_in_use(&original));
    assert_eq!(observable(captured), observable(original));
    (env, path)
}

#[test]
fn capture_round_trips_the_default_world_and_plans_the_same() {
    let (_env, captured) = round_trip("fixtures/worlds/default.json", DEFAULT_REGIONS);
    assert_eq!(
        plan_against(&captured),
        plan_against(&repo().join("fixtures/worlds/default.json"))
    );
}

#[test]
fn capture_round_trips_the_full_fixture_world_through_its_faults() {
    // Throttling injected by the world's faults is retried through; its own instance-type row
    // (ecs.g8i.xlarge) comes back from DescribeInstanceTypes.
    round_trip("fixtures/worlds/full.json", &[(None, "cn-shanghai")]);
}

#[test]
fn a_failed_capture_writes_nothing_and_shows_no_secret() {
    // No credentials: refused before any call.
    let env = capture_config("http://127.0.0.1:9", DEFAULT_REGIONS);
    let r = env.run(&["sim", "capture", "--out", "w.json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("ALIBABA_CLOUD_ACCESS_KEY_ID"),
        "{}",
        r.stderr
    );
    assert!(!env.exists("w.json"));

    // Nothing listens there: the error names the action, no file appears.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let env = capture_config(&format!("http://127.0.0.1:{port}"), DEFAULT_REGIONS);
    let mut vars = creds();
    vars.push(("NETFORM_ALICLOUD_BACKOFF_MS", "1"));
    let r = env.run_env(&["sim", "capture", "--out", "w.json"], &vars);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("cannot capture the account"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("DescribeRegions"), "{}", r.stderr);
    assert!(!env.exists("w.json"));
    no_secret(&r, None);
}
