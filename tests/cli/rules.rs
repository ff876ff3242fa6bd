//! Alibaba's rules end to end (rules.md): every rule has a violating fixture whose plan exits 1
//! naming the rule (its diagnostic snapshot-tested) and writing no plan file, and a near-miss
//! fixture, valid and exactly at the limit, that applies. A rule broken between plan and apply by
//! another client is refused by the simulator with the rule's code.

use std::path::PathBuf;

use crate::harness::{Env, redact, repo};

/// `(rule id, variant dir)` for every fixture under fixtures/rules.
fn fixtures(prefix: &str) -> Vec<(String, String)> {
    let root = repo().join("fixtures/rules");
    let mut out = Vec::new();
    for rule in std::fs::read_dir(&root).expect("fixtures/rules") {
        let rule = rule.expect("entry").path();
        for v in std::fs::read_dir(&rule).expect("rule dir") {
            let v: PathBuf = v.expect("entry").path();
            let name = v
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with(prefix) {
                let id = rule
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                out.push((id, name));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_rule_has_a_violating_and_a_near_miss_fixture() {
    for r in netform::rules::RULES {
        for kind in ["violate", "near-miss"] {
            let p = repo()
                .join("fixtures/rules")
                .join(r.id)
                .join(kind)
                .join("main.hcl");
            assert!(p.exists(), "missing {}", p.display());
        }
    }
    let ids: Vec<String> = fixtures("violate").into_iter().map(|x| x.0).collect();
    for id in &ids {
        assert!(
            netform::rules::rule(id).is_some(),
            "fixture for unknown rule {id}"
        );
    }
}

#[test]
fn violating_fixtures_exit_1_naming_the_rule_and_write_no_plan() {
    let mut failures = Vec::new();
    for (rule, variant) in fixtures("violate") {
        let env = Env::copy_of(&format!("fixtures/rules/{rule}/{variant}"));
        let r = env.run(&["plan", "--out", "p.tfplan"]);
        if r.code != 1 || !r.stderr.contains(&format!("error[{rule}]")) {
            failures.push(format!("{rule}/{variant}: exit {}\n{}", r.code, r.stderr));
            continue;
        }
        assert!(
            !env.exists("p.tfplan"),
            "{rule}/{variant} wrote a plan file"
        );
        assert!(
            !env.exists("netform.tfstate"),
            "{rule}/{variant} wrote state"
        );
        insta::assert_snapshot!(format!("rule_{rule}_{variant}"), redact(&r.stderr));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn near_miss_fixtures_apply() {
    let mut failures = Vec::new();
    for (rule, variant) in fixtures("near-miss") {
        let env = Env::copy_of(&format!("fixtures/rules/{rule}/{variant}"));
        let r = env.run(&["apply", "--auto-approve"]);
        if r.code != 0 {
            failures.push(format!(
                "{rule}/{variant}: exit {}\n{}{}",
                r.code, r.stdout, r.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_violation_made_outside_netform_between_plan_and_apply_is_refused() {
    // At the limit: nat-target (ecs.g6.large) takes 2 ENIs and the plan attaches the second.
    let env = Env::copy_of("fixtures/rules/eni-per-instance/near-miss");
    let r = env.run(&["plan", "--out", "p.tfplan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Another client attaches an ENI to the same instance first.
    let r = env.run(&[
        "sim",
        "call",
        "CreateNetworkInterface",
        "VSwitchId=vsw-bp1app0000000000000",
        "SecurityGroupId=sg-bp1basic000000000000",
        "ClientToken=outside-1",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let id = regex_lite::Regex::new(r"eni-bp1[a-z0-9]{17}")
        .expect("regex")
        .find(&r.stdout)
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| panic!("no ENI id in {}", r.stdout));
    let r = env.run(&[
        "sim",
        "call",
        "AttachNetworkInterface",
        &format!("NetworkInterfaceId={id}"),
        "InstanceId=i-bp1nattarget000000",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Loading the saved plan re-evaluates it against the cloud, and the plan-time check sees
    // the instance's new ENI: the apply stops before any call, with exit 1.
    let r = env.run(&["apply", "p.tfplan"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("ecs.g6.large takes 2"), "{all}");
    assert!(
        !env.exists("netform.tfstate")
            || !env
                .read("netform.tfstate")
                .unwrap_or_default()
                .contains("network_interface_attachment"),
        "{all}"
    );
    // The simulator enforces the same rule on the same call, with its code, whoever makes it.
    let r = env.run(&[
        "sim",
        "call",
        "CreateNetworkInterface",
        "VSwitchId=vsw-bp1app0000000000000",
        "SecurityGroupId=sg-bp1basic000000000000",
        "ClientToken=outside-2",
    ]);
    let id2 = regex_lite::Regex::new(r"eni-bp1[a-z0-9]{17}")
        .expect("regex")
        .find(&r.stdout)
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| panic!("no ENI id in {}", r.stdout));
    let r = env.run(&[
        "sim",
        "call",
        "AttachNetworkInterface",
        &format!("NetworkInterfaceId={id2}"),
        "InstanceId=i-bp1nattarget000000",
    ]);
    assert_ne!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("EniPerInstanceLimitExceeded"), "{all}");
    assert!(all.contains("eni-per-instance"), "{all}");
}

/// One generated case: ENIs with secondary IPs attached to one instance of the built-in world.
#[derive(Debug, Clone)]
struct Case {
    instance: (&'static str, &'static str, &'static str),
    enis: usize,
    ips: usize,
}

fn case_hcl(c: &Case) -> String {
    let mut s =
        String::from("provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n  simulator {}\n}\n");
    for i in 0..c.enis {
        s.push_str(&format!(
            "\nresource \"alicloud_ecs_network_interface\" \"e{i}\" {{\n  vswitch_id = \"{}\"\n  security_group_ids = [\"sg-bp1basic000000000000\"]\n  secondary_private_ip_address_count = {}\n}}\n\nresource \"alicloud_ecs_network_interface_attachment\" \"e{i}\" {{\n  network_interface_id = alicloud_ecs_network_interface.e{i}.id\n  instance_id = \"{}\"\n}}\n",
            c.instance.2, c.ips, c.instance.0
        ));
    }
    s
}

fn rule_ids(stderr: &str) -> std::collections::BTreeSet<String> {
    regex_lite::Regex::new(r"error\[([a-z0-9-]+)\]")
        .expect("regex")
        .captures_iter(stderr)
        .filter_map(|c| c.get(1).map(|m| m.as_str().to_string()))
        .collect()
}

/// The same operations the plan would make, straight to an in-memory simulator with no check:
/// the first rule the simulator refuses on.
fn simulator_refusal(c: &Case) -> Option<String> {
    use netform::provider::Transport;
    use netform::provider::sim::{Sim, world::World};
    let sim = Sim::in_memory(World::builtin()).expect("built-in world");
    let call = |action: &str, kv: &[(&str, String)]| {
        let mut p: netform::provider::Params =
            kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        // Every regional action needs its region, as on the real API.
        p.entry("RegionId".into())
            .or_insert_with(|| "cn-hangzhou".into());
        sim.call(
            netform::provider::Product::of_action(action, &p),
            action,
            &p,
        )
    };
    let mut ids = Vec::new();
    for i in 0..c.enis {
        let j = call(
            "CreateNetworkInterface",
            &[
                ("RegionId", "cn-hangzhou".into()),
                ("VSwitchId", c.instance.2.into()),
                ("SecurityGroupId", "sg-bp1basic000000000000".into()),
                ("ClientToken", format!("prop-{i}")),
            ],
        );
        match j {
            Ok(j) => ids.push(
                j["NetworkInterfaceId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ),
            Err(e) => return e.rule().map(str::to_string),
        }
    }
    for id in &ids {
        if let Err(e) = call(
            "AttachNetworkInterface",
            &[
                ("NetworkInterfaceId", id.clone()),
                ("InstanceId", c.instance.0.into()),
            ],
        ) {
            return e.rule().map(str::to_string);
        }
    }
    for (n, id) in ids.iter().enumerate() {
        let mut left = c.ips;
        let mut k = 0;
        while left > 0 {
            let b = left.min(10);
            if let Err(e) = call(
                "AssignPrivateIpAddresses",
                &[
                    ("NetworkInterfaceId", id.clone()),
                    ("SecondaryPrivateIpAddressCount", b.to_string()),
                    ("ClientToken", format!("prop-a{n}-{k}")),
                ],
            ) {
                return e.rule().map(str::to_string);
            }
            left -= b;
            k += 1;
        }
    }
    None
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 32, ..Default::default() })]

    /// Both directions: a plan the check passes applies without a rule error; a case that breaks
    /// exactly one rule is named by the check, and the simulator, given the same operations
    /// unchecked, refuses with that rule.
    #[test]
    fn check_and_simulator_agree(
        inst in proptest::sample::select(vec![
            ("i-bp1web1000000000000", "ecs.g7.xlarge", "vsw-bp1web0000000000000"),
            ("i-bp1web2000000000000", "ecs.g6.xlarge", "vsw-bp1web0000000000000"),
            ("i-bp1nattarget000000", "ecs.g6.large", "vsw-bp1app0000000000000"),
            ("i-bp1appstop00000000", "ecs.g7.large", "vsw-bp1app0000000000000"),
        ]),
        enis in 1usize..=4,
        ips in 0usize..=16,
    ) {
        let c = Case { instance: inst, enis, ips };
        let env = Env::empty();
        env.write("main.hcl", &case_hcl(&c));
        let r = env.run(&["plan"]);
        let found = rule_ids(&r.stderr);
        if r.code == 0 {
            let a = env.run(&["apply", "--auto-approve"]);
            proptest::prop_assert_eq!(a.code, 0, "{:?}: check passed, apply failed:\n{}{}", c, a.stdout, a.stderr);
            proptest::prop_assert_eq!(simulator_refusal(&c), None);
        } else {
            proptest::prop_assert_eq!(r.code, 1, "{}", r.stderr);
            proptest::prop_assert!(!found.is_empty(), "{}", r.stderr);
            if found.len() == 1 {
                let rule = found.iter().next().cloned();
                proptest::prop_assert_eq!(simulator_refusal(&c), rule, "{:?}\n{}", c, r.stderr);
            } else {
                proptest::prop_assert!(simulator_refusal(&c).is_some_and(|x| found.contains(&x)), "{:?}\n{}", c, r.stderr);
            }
        }
    }
}

/// One generated case across more rules: a configuration, the world it runs against (the
/// built-in one, in either profile), the API calls that configuration makes, and the one rule it
/// breaks, if any, worked out here from rules.md's numbers independently of netform.
#[derive(Debug, Clone)]
enum Wide {
    /// An unattached ENI with `n` secondary IPv4 (ip-available-cap: 49, 10 in `2021`).
    AvailableCap { y2021: bool, n: usize },
    /// An unattached ENI with `n` IPv6 addresses, in a vSwitch with or without IPv6 (ipv6-cap).
    Ipv6Cap { v6_vswitch: bool, n: usize },
    /// `n` EIPs on the NAT gateway, PayByTraffic or not (eip-nat-quota: 20; ≤ 10 PayByTraffic in
    /// `2021`).
    NatQuota { y2021: bool, pbt: bool, n: usize },
    /// One EIP bound to the intranet SLB, and also to the HAVIP when `twice` (eip-one-target).
    OneTarget { twice: bool },
    /// Two ENIs asking for 192.168.1.50 and 192.168.1.`b` (ip-unique).
    Unique { b: u8 },
    /// An ENI whose primary address is 192.168.1.`x` in 192.168.1.0/24 (ip-reserved).
    Reserved { x: u8 },
    /// An ENI in vsw-bp1web (192.168.1.0/24) asking for 192.168.`third`.77 (ip-in-vswitch).
    InVSwitch { third: u8 },
}

/// One API call of a case; `Eni(i)` / `Eip(i)` stand for the id the i-th create returned.
#[derive(Debug, Clone)]
enum Arg {
    S(String),
    Eni(usize),
    Eip(usize),
}

const ENI: &str = "alicloud_ecs_network_interface";
const SG: &str = "sg-bp1basic000000000000";
const WEB: &str = "vsw-bp1web0000000000000";

impl Wide {
    fn y2021(&self) -> bool {
        matches!(
            self,
            Wide::AvailableCap { y2021: true, .. } | Wide::NatQuota { y2021: true, .. }
        )
    }

    /// The rule the case breaks, from rules.md's numbers.
    fn expected(&self) -> Option<&'static str> {
        let broken = match *self {
            Wide::AvailableCap { y2021, n } => n > if y2021 { 10 } else { 49 },
            Wide::Ipv6Cap { v6_vswitch, n } => n > 0 && (!v6_vswitch || n > 10),
            Wide::NatQuota { y2021, pbt, n } => n > if y2021 && pbt { 10 } else { 20 },
            Wide::OneTarget { twice } => twice,
            Wide::Unique { b } => b == 50,
            Wide::Reserved { x } => x == 0 || x > 252,
            Wide::InVSwitch { third } => third != 1,
        };
        let id = match self {
            Wide::AvailableCap { .. } => "ip-available-cap",
            Wide::Ipv6Cap { .. } => "ipv6-cap",
            Wide::NatQuota { .. } => "eip-nat-quota",
            Wide::OneTarget { .. } => "eip-one-target",
            Wide::Unique { .. } => "ip-unique",
            Wide::Reserved { .. } => "ip-reserved",
            Wide::InVSwitch { .. } => "ip-in-vswitch",
        };
        broken.then_some(id)
    }

    fn hcl(&self) -> String {
        let sim = if self.y2021() {
            "simulator { world = \"world.json\" }"
        } else {
            "simulator {}"
        };
        let mut s = format!("provider \"alicloud\" {{\n  region = \"cn-hangzhou\"\n  {sim}\n}}\n");
        let eni = |name: &str, vsw: &str, extra: &str| {
            format!(
                "\nresource \"{ENI}\" \"{name}\" {{\n  vswitch_id = \"{vsw}\"\n  security_group_ids = [\"{SG}\"]\n{extra}}}\n"
            )
        };
        match *self {
            Wide::AvailableCap { n, .. } => s.push_str(&eni(
                "e",
                WEB,
                &format!("  secondary_private_ip_address_count = {n}\n"),
            )),
            Wide::Ipv6Cap { v6_vswitch, n } => s.push_str(&eni(
                "e",
                if v6_vswitch { WEB } else { "vsw-bp1app0000000000000" },
                &format!("  ipv6_address_count = {n}\n"),
            )),
            Wide::NatQuota { pbt, n, .. } => s.push_str(&format!(
                "\nresource \"alicloud_eip_address\" \"nat\" {{\n  count = {n}\n  internet_charge_type = \"{}\"\n}}\n\nresource \"alicloud_eip_association\" \"nat\" {{\n  count = {n}\n  allocation_id = alicloud_eip_address.nat[count.index].id\n  instance_id = \"ngw-bp1main000000000000\"\n}}\n",
                if pbt { "PayByTraffic" } else { "PayByBandwidth" }
            )),
            Wide::OneTarget { twice } => {
                s.push_str("\nresource \"alicloud_eip_address\" \"e\" {}\n\nresource \"alicloud_eip_association\" \"slb\" {\n  allocation_id = alicloud_eip_address.e.id\n  instance_id = \"lb-bp1intranet0000000000\"\n}\n");
                if twice {
                    s.push_str("\nresource \"alicloud_eip_association\" \"havip\" {\n  allocation_id = alicloud_eip_address.e.id\n  instance_id = \"havip-bp1main000000000000\"\n}\n");
                }
            }
            Wide::Unique { b } => {
                s.push_str(&eni(
                    "a",
                    WEB,
                    "  primary_ip_address = \"192.168.1.60\"\n  private_ip_addresses = [\"192.168.1.50\"]\n",
                ));
                s.push_str(&eni(
                    "b",
                    WEB,
                    &format!("  primary_ip_address = \"192.168.1.61\"\n  private_ip_addresses = [\"192.168.1.{b}\"]\n"),
                ));
            }
            Wide::Reserved { x } => s.push_str(&eni(
                "e",
                WEB,
                &format!("  primary_ip_address = \"192.168.1.{x}\"\n"),
            )),
            Wide::InVSwitch { third } => s.push_str(&eni(
                "e",
                WEB,
                &format!("  primary_ip_address = \"192.168.{third}.77\"\n"),
            )),
        }
        s
    }

    /// The calls the configuration makes, in the order the plan makes them.
    fn calls(&self) -> Vec<(&'static str, Vec<(&'static str, Arg)>)> {
        let s = |v: &str| Arg::S(v.to_string());
        let create = |vsw: &str, primary: Option<String>, token: &str| {
            let mut p = vec![
                ("RegionId", s("cn-hangzhou")),
                ("VSwitchId", s(vsw)),
                ("SecurityGroupId", s(SG)),
                ("ClientToken", s(token)),
            ];
            if let Some(ip) = primary {
                p.push(("PrimaryIpAddress", Arg::S(ip)));
            }
            ("CreateNetworkInterface", p)
        };
        // Assign calls take at most 10 addresses each (ips_per_assign_call).
        let batches = |n: usize, action: &'static str, key: &'static str| {
            (0..n.div_ceil(10))
                .map(|k| {
                    (
                        action,
                        vec![
                            ("NetworkInterfaceId", Arg::Eni(0)),
                            (key, Arg::S((n - k * 10).min(10).to_string())),
                            ("ClientToken", Arg::S(format!("wide-{action}-{k}"))),
                        ],
                    )
                })
                .collect::<Vec<_>>()
        };
        let mut out = Vec::new();
        match *self {
            Wide::AvailableCap { n, .. } => {
                out.push(create(WEB, None, "wide-eni"));
                out.extend(batches(
                    n,
                    "AssignPrivateIpAddresses",
                    "SecondaryPrivateIpAddressCount",
                ));
            }
            Wide::Ipv6Cap { v6_vswitch, n } => {
                let vsw = if v6_vswitch {
                    WEB
                } else {
                    "vsw-bp1app0000000000000"
                };
                out.push(create(vsw, None, "wide-eni"));
                out.extend(batches(n, "AssignIpv6Addresses", "Ipv6AddressCount"));
            }
            Wide::NatQuota { pbt, n, .. } => {
                for i in 0..n {
                    out.push((
                        "AllocateEipAddress",
                        vec![
                            ("RegionId", s("cn-hangzhou")),
                            (
                                "InternetChargeType",
                                s(if pbt {
                                    "PayByTraffic"
                                } else {
                                    "PayByBandwidth"
                                }),
                            ),
                            ("ClientToken", Arg::S(format!("wide-eip-{i}"))),
                        ],
                    ));
                }
                for i in 0..n {
                    out.push((
                        "AssociateEipAddress",
                        vec![
                            ("AllocationId", Arg::Eip(i)),
                            ("InstanceId", s("ngw-bp1main000000000000")),
                            ("InstanceType", s("Nat")),
                        ],
                    ));
                }
            }
            Wide::OneTarget { twice } => {
                out.push((
                    "AllocateEipAddress",
                    vec![
                        ("RegionId", s("cn-hangzhou")),
                        ("ClientToken", s("wide-eip")),
                    ],
                ));
                let mut targets = vec![("lb-bp1intranet0000000000", "SlbInstance")];
                if twice {
                    targets.push(("havip-bp1main000000000000", "HaVip"));
                }
                for (t, kind) in targets {
                    out.push((
                        "AssociateEipAddress",
                        vec![
                            ("AllocationId", Arg::Eip(0)),
                            ("InstanceId", s(t)),
                            ("InstanceType", s(kind)),
                        ],
                    ));
                }
            }
            Wide::Unique { b } => {
                out.push(create(WEB, Some("192.168.1.60".into()), "wide-a"));
                out.push(create(WEB, Some("192.168.1.61".into()), "wide-b"));
                for (i, ip) in [
                    (0, "192.168.1.50".to_string()),
                    (1, format!("192.168.1.{b}")),
                ] {
                    out.push((
                        "AssignPrivateIpAddresses",
                        vec![
                            ("NetworkInterfaceId", Arg::Eni(i)),
                            ("PrivateIpAddress.1", Arg::S(ip)),
                        ],
                    ));
                }
            }
            Wide::Reserved { x } => {
                out.push(create(WEB, Some(format!("192.168.1.{x}")), "wide-eni"))
            }
            Wide::InVSwitch { third } => {
                out.push(create(WEB, Some(format!("192.168.{third}.77")), "wide-eni"))
            }
        }
        out
    }

    fn world(&self) -> netform::provider::sim::world::World {
        let mut w = netform::provider::sim::world::World::builtin();
        if self.y2021() {
            w.profile = netform::limits::ProfileName::Y2021;
        }
        w
    }
}

/// Makes a case's calls straight against an in-memory simulator, with no plan-time check: the
/// first refusal's (rule, code), if any.
fn wide_refusal(c: &Wide) -> Option<(String, String)> {
    use netform::provider::Transport;
    use netform::provider::sim::Sim;
    let sim = Sim::in_memory(c.world()).expect("world");
    let (mut enis, mut eips) = (Vec::new(), Vec::new());
    for (action, args) in c.calls() {
        let p: netform::provider::Params = args
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Arg::S(s) => s.clone(),
                    Arg::Eni(i) => enis.get(*i).cloned().unwrap_or_default(),
                    Arg::Eip(i) => eips.get(*i).cloned().unwrap_or_default(),
                };
                (k.to_string(), v)
            })
            .collect();
        let mut p = p;
        p.entry("RegionId".into())
            .or_insert_with(|| "cn-hangzhou".into());
        match sim.call(
            netform::provider::Product::of_action(action, &p),
            action,
            &p,
        ) {
            Ok(j) => {
                if let Some(id) = j["NetworkInterfaceId"].as_str() {
                    enis.push(id.to_string());
                }
                if let Some(id) = j["AllocationId"].as_str() {
                    eips.push(id.to_string());
                }
            }
            Err(e) => {
                return Some((e.rule().unwrap_or("(none)").to_string(), e.code.clone()));
            }
        }
    }
    None
}

fn wide_case() -> impl proptest::strategy::Strategy<Value = Wide> {
    use proptest::prelude::*;
    // Counts cluster at each profile's limit (one under, at, one past), where a checker and a
    // simulator that disagreed would show it.
    prop_oneof![
        (
            any::<bool>(),
            prop_oneof![9usize..=11, 48usize..=50, 0usize..=60]
        )
            .prop_map(|(y2021, n)| Wide::AvailableCap { y2021, n }),
        (any::<bool>(), prop_oneof![0usize..=2, 9usize..=11])
            .prop_map(|(v6_vswitch, n)| Wide::Ipv6Cap { v6_vswitch, n }),
        (
            any::<bool>(),
            any::<bool>(),
            prop_oneof![9usize..=11, 19usize..=21]
        )
            .prop_map(|(y2021, pbt, n)| Wide::NatQuota { y2021, pbt, n }),
        any::<bool>().prop_map(|twice| Wide::OneTarget { twice }),
        (50u8..=53).prop_map(|b| Wide::Unique { b }),
        prop_oneof![Just(0u8), Just(1u8), 251u8..=255].prop_map(|x| Wide::Reserved { x }),
        (0u8..=3).prop_map(|third| Wide::InVSwitch { third }),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

    /// Both directions over seven rules in both profiles: a case that breaks no rule plans, applies
    /// and goes through the simulator unchecked; a case that breaks one rule is named by the
    /// check alone, and the same calls made unchecked are refused with one of that rule's codes.
    #[test]
    fn check_and_simulator_agree_across_rules(c in wide_case()) {
        let env = Env::empty();
        env.write("main.hcl", &c.hcl());
        if c.y2021() {
            let w = serde_json::to_string_pretty(&c.world()).expect("world json");
            env.write("world.json", &w);
        }
        let r = env.run(&["plan"]);
        let found = rule_ids(&r.stderr);
        let refusal = wide_refusal(&c);
        match c.expected() {
            None => {
                proptest::prop_assert_eq!(r.code, 0, "{:?}: check refused\n{}", c, r.stderr);
                let a = env.run(&["apply", "--auto-approve"]);
                proptest::prop_assert_eq!(a.code, 0, "{:?}: check passed, apply failed:\n{}{}", c, a.stdout, a.stderr);
                proptest::prop_assert_eq!(refusal, None, "{:?}", c);
            }
            Some(rule) => {
                proptest::prop_assert_eq!(r.code, 1, "{:?}\n{}", c, r.stderr);
                proptest::prop_assert_eq!(found.iter().map(String::as_str).collect::<Vec<_>>(), vec![rule], "{:?}\n{}", c, r.stderr);
                let (got, code) = refusal.unwrap_or_default();
                proptest::prop_assert_eq!(got.as_str(), rule, "{:?}: simulator refused with {}", c, code);
                let codes = netform::rules::rule(rule).map(|r| r.codes).unwrap_or(&[]);
                proptest::prop_assert!(codes.contains(&code.as_str()), "{:?}: {} is not one of {}'s codes", c, code, rule);
            }
        }
    }
}
