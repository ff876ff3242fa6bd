//! Unit tests of the rule families on hand-built pictures: each family reports a broken rule
//! under the id the table gives it, and lets the case just inside the limit pass.

use super::bindings::Bind;
use super::gather::{Havip, Instance, Nat, Sg, Slb, VSwitch};
use super::out::{Finding, Out};
use super::picture::{AttachedTo, Attachment, Eni, IpSet, Picture, Ref};
use super::{addresses, eips, enis};
use crate::address::Address;
use crate::lang::Value;
use crate::limits::{Limits, ProfileName};
use crate::plan::{Action, Change};
use crate::provider::api::{EipInfo, EniInfo};
use crate::rules;

fn addr(s: &str) -> Address {
    Address::parse(s).expect("address")
}

fn current() -> Limits {
    Limits::profile(ProfileName::Current)
}

/// The findings of one family run over a picture.
fn run(p: &Picture, limits: &Limits, family: impl Fn(&Picture, &mut Out)) -> Vec<Finding> {
    let mut out = Out::new(limits);
    family(p, &mut out);
    out.findings
}

fn rules_of(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.rule).collect()
}

fn eni_info(id: &str, vsw: &str, primary_ip: &str) -> EniInfo {
    EniInfo {
        id: id.into(),
        status: "Available".into(),
        primary: false,
        vswitch_id: vsw.into(),
        vpc_id: "vpc-1".into(),
        zone_id: "cn-hangzhou-h".into(),
        security_group_ids: vec!["sg-1".into()],
        name: String::new(),
        description: String::new(),
        primary_ip: primary_ip.into(),
        private_ips: Vec::new(),
        ipv6: Vec::new(),
        mac: String::new(),
        instance_id: None,
        device_index: None,
        tags: Default::default(),
        resource_group_id: String::new(),
        queue_number: None,
        source_dest_check: None,
        delete_on_release: None,
    }
}

fn vswitch(cidr: &str, available: usize) -> VSwitch {
    VSwitch {
        region: "cn-hangzhou".into(),
        zone: "cn-hangzhou-h".into(),
        vpc: "vpc-1".into(),
        cidr: cidr.parse().ok(),
        ipv6: None,
        available: Some(available),
    }
}

fn instance(id: &str, ty: &str, status: &str) -> Instance {
    Instance {
        id: id.into(),
        region: "cn-hangzhou".into(),
        zone: "cn-hangzhou-h".into(),
        vpc: "vpc-1".into(),
        ty: ty.into(),
        status: status.into(),
        vswitch: "vsw-1".into(),
        enis: vec![format!("eni-{id}-primary")],
        ..Instance::default()
    }
}

/// A new ENI managed by `alicloud_ecs_network_interface.NAME` in vsw-1, asking for `auto`
/// secondary addresses the cloud picks.
fn new_eni(name: &str, auto: usize) -> Eni {
    let a = addr(&format!("alicloud_ecs_network_interface.{name}"));
    Eni {
        addr: Some(a.clone()),
        vswitch: Some("vsw-1".into()),
        primary_ip: Some("10.0.1.10".into()),
        v4: IpSet {
            auto,
            ..IpSet::default()
        },
        ip_owners: vec![a.clone()],
        v6_owners: vec![a],
        ..Eni::default()
    }
}

fn with_eni(mut p: Picture, e: Eni) -> Picture {
    if let Some(a) = &e.addr {
        p.by_addr.insert(a.clone(), p.enis.len());
    }
    p.enis.push(e);
    p
}

/// An ENI (index 0) attached by this plan to `inst`.
fn attached(mut p: Picture, inst: &str) -> Picture {
    p.attached_to.insert(
        0,
        vec![AttachedTo {
            instance: inst.into(),
            by: addr("alicloud_ecs_network_interface_attachment.a"),
            creating: true,
        }],
    );
    p
}

fn counts(p: &Picture, out: &mut Out) {
    for i in 0..p.enis.len() {
        addresses::counts(p, out, i);
    }
}

#[test]
fn an_over_full_available_eni_is_reported_under_ip_available_cap() {
    let l = current();
    let cap = l.available_eni_secondary_ipv4.value as usize;
    let over = with_eni(Picture::default(), new_eni("app", cap + 1));
    let f = run(&over, &l, counts);
    assert_eq!(rules_of(&f), [rules::id::IP_AVAILABLE_CAP]);
    assert_eq!(f[0].addr, addr("alicloud_ecs_network_interface.app"));
    assert_eq!(f[0].attr[0], "private_ip_addresses");
    let at = with_eni(Picture::default(), new_eni("app", cap));
    assert_eq!(run(&at, &l, counts), []);
}

#[test]
fn an_attached_eni_is_held_to_its_instance_types_cap() {
    let l = current();
    // ecs.g6.large takes 6 private IPv4 per ENI, the primary included: 5 secondary fit.
    let picture = |auto| {
        let mut p = attached(with_eni(Picture::default(), new_eni("app", auto)), "i-1");
        p.cloud
            .instances
            .insert("i-1".into(), instance("i-1", "ecs.g6.large", "Running"));
        p
    };
    let f = run(&picture(6), &l, counts);
    assert_eq!(rules_of(&f), [rules::id::IP_INSTANCE_TYPE_CAP]);
    assert!(f[0].summary.contains("7 private IPv4"), "{}", f[0].summary);
    assert_eq!(run(&picture(5), &l, counts), []);
}

#[test]
fn given_addresses_are_judged_against_the_vswitch_and_its_holders() {
    let l = current();
    let given = |ip: &str| {
        let mut e = new_eni("app", 0);
        e.v4.known.insert(ip.to_string());
        let mut p = with_eni(Picture::default(), e);
        p.cloud
            .vswitches
            .insert("vsw-1".into(), vswitch("10.0.1.0/24", 200));
        p.cloud.enis.insert(
            "eni-other".into(),
            (
                eni_info("eni-other", "vsw-1", "10.0.1.40"),
                "cn-hangzhou".into(),
            ),
        );
        run(&p, &l, addresses::given)
    };
    let reserved = given("10.0.1.253");
    assert_eq!(rules_of(&reserved), [rules::id::IP_RESERVED]);
    let outside = given("10.0.2.5");
    assert_eq!(rules_of(&outside), [rules::id::IP_IN_VSWITCH]);
    let taken = given("10.0.1.40");
    assert_eq!(rules_of(&taken), [rules::id::IP_UNIQUE]);
    assert!(
        taken[0].summary.contains("eni-other"),
        "{}",
        taken[0].summary
    );
    // The second-to-last of the four reserved-at-the-end is usable, and so is a free one.
    assert_eq!(given("10.0.1.252"), []);
    assert_eq!(given("10.0.1.41"), []);
}

#[test]
fn automatic_addresses_must_fit_the_vswitchs_free_ones() {
    let l = current();
    let picture = |free| {
        // A new ENI: its primary address and 3 secondary ones are the cloud's to pick.
        let mut e = new_eni("app", 3);
        e.primary_ip = None;
        let mut p = with_eni(Picture::default(), e);
        p.cloud
            .vswitches
            .insert("vsw-1".into(), vswitch("10.0.1.0/24", free));
        p
    };
    let f = run(&picture(3), &l, addresses::vswitch_capacity);
    assert_eq!(rules_of(&f), [rules::id::IP_VSWITCH_CAPACITY]);
    // The statement is the table's, followed by what this plan does.
    let statement = rules::rule(rules::id::IP_VSWITCH_CAPACITY)
        .expect("rule")
        .statement;
    assert_eq!(
        f[0].detail,
        format!("rule: {statement}; vsw-1 has 3 free and this plan takes 4")
    );
    assert_eq!(run(&picture(4), &l, addresses::vswitch_capacity), []);
}

#[test]
fn a_basic_security_group_holds_the_profiles_address_count() {
    let l = current();
    let cap = l.basic_sg_private_ips.value as usize;
    let picture = |auto| {
        let mut e = new_eni("app", auto);
        e.sgs = Some(vec!["sg-1".into()]);
        let mut p = with_eni(Picture::default(), e);
        p.cloud.sgs.insert(
            "sg-1".into(),
            Sg {
                vpc: "vpc-1".into(),
                enterprise: false,
            },
        );
        p
    };
    // The ENI's primary address counts: cap - 1 secondary ones fill the group.
    let f = run(&picture(cap), &l, addresses::security_group_capacity);
    assert_eq!(rules_of(&f), [rules::id::IP_SG_CAPACITY]);
    assert_eq!(
        run(&picture(cap - 1), &l, addresses::security_group_capacity),
        []
    );
}

/// `n` new attachments of ENIs to i-1, an ecs.g6.large (2 ENIs, its primary included).
fn attachments_to_g6(n: usize, status: &str) -> Picture {
    let mut p = Picture::default();
    p.cloud
        .instances
        .insert("i-1".into(), instance("i-1", "ecs.g6.large", status));
    for k in 0..n {
        let at = addr(&format!("alicloud_ecs_network_interface_attachment.a{k}"));
        p = with_eni(p, new_eni(&format!("e{k}"), 0));
        p.attachments.push(Attachment {
            address: at.clone(),
            detaches_from: None,
            eni: Some(k),
            instance: Some("i-1".into()),
            creating: true,
        });
        p.new_on_instance
            .entry("i-1".into())
            .or_default()
            .push(at.clone());
        p.attached_to.entry(k).or_default().push(AttachedTo {
            instance: "i-1".into(),
            by: at,
            creating: true,
        });
    }
    p
}

#[test]
fn an_instance_carries_at_most_its_types_enis() {
    let l = current();
    let f = run(&attachments_to_g6(2, "Running"), &l, enis::per_instance);
    assert_eq!(rules_of(&f), [rules::id::ENI_PER_INSTANCE]);
    assert!(
        f[0].summary.contains("would carry 3 ENIs"),
        "{}",
        f[0].summary
    );
    assert_eq!(
        run(&attachments_to_g6(1, "Running"), &l, enis::per_instance),
        []
    );
}

#[test]
fn attaching_needs_the_instance_running_or_stopped() {
    let l = current();
    let f = run(&attachments_to_g6(1, "Starting"), &l, enis::attachments);
    assert_eq!(rules_of(&f), [rules::id::ENI_INSTANCE_STATE]);
    assert_eq!(
        run(&attachments_to_g6(1, "Stopped"), &l, enis::attachments),
        []
    );
    // A type that attaches only while stopped refuses a running instance.
    let mut p = attachments_to_g6(1, "Running");
    p.cloud.instances.insert(
        "i-1".into(),
        instance("i-1", "ecs.t6-c1m2.large", "Running"),
    );
    let f = run(&p, &l, enis::attachments);
    assert_eq!(rules_of(&f), [rules::id::ENI_INSTANCE_STATE]);
    assert!(
        f[0].detail
            .contains("attaches and detaches ENIs only while stopped")
    );
}

#[test]
fn one_eni_attached_twice_by_the_plan_is_reported_at_the_second_attachment() {
    let l = current();
    let mut p = attachments_to_g6(1, "Running");
    let twice = addr("alicloud_ecs_network_interface_attachment.again");
    p.attached_to.entry(0).or_default().push(AttachedTo {
        instance: "i-2".into(),
        by: twice.clone(),
        creating: true,
    });
    let f = run(&p, &l, enis::attached_twice);
    assert_eq!(rules_of(&f), [rules::id::ENI_SINGLE_ATTACH]);
    assert_eq!(f[0].addr, twice);
    assert_eq!(
        run(&attachments_to_g6(1, "Running"), &l, enis::attached_twice),
        []
    );
}

#[test]
fn a_primary_eni_is_never_deleted() {
    let l = current();
    let removal = |primary| {
        let mut info = eni_info("eni-p", "vsw-1", "10.0.1.5");
        info.primary = primary;
        info.instance_id = Some("i-1".into());
        let mut p = Picture::default();
        p.removals.push(super::picture::Removal {
            address: addr("alicloud_ecs_network_interface.p"),
            replace: false,
            cloud: Some(info),
        });
        run(&p, &l, enis::removals)
    };
    assert_eq!(rules_of(&removal(true)), [rules::id::ENI_PRIMARY]);
    assert_eq!(removal(false), []);
}

fn bind(name: &str, target: &str, kind: &str) -> Bind {
    Bind {
        address: addr(&format!("alicloud_eip_association.{name}")),
        eip: Ref::Id(format!("eip-{name}")),
        target: Ref::Id(target.into()),
        kind: kind.into(),
        mode: "NAT".into(),
        ip: None,
    }
}

fn eip_info(id: &str, on: &str) -> EipInfo {
    EipInfo {
        id: id.into(),
        ip_address: String::new(),
        status: "InUse".into(),
        bandwidth: "5".into(),
        internet_charge_type: "PayByBandwidth".into(),
        payment_type: "PayAsYouGo".into(),
        isp: "BGP".into(),
        name: String::new(),
        description: String::new(),
        instance_id: Some(on.into()),
        instance_type: None,
        private_ip: None,
        mode: None,
        tags: Default::default(),
        resource_group_id: String::new(),
        region: "cn-hangzhou".into(),
        deletion_protection: false,
    }
}

#[test]
fn an_instance_with_an_eip_takes_no_second_one() {
    let l = current();
    let picture = |has_one: bool| {
        let mut p = Picture::default();
        p.cloud
            .instances
            .insert("i-1".into(), instance("i-1", "ecs.g6.large", "Running"));
        if has_one {
            p.bindings
                .staying
                .insert("i-1".into(), vec![eip_info("eip-old", "i-1")]);
        }
        p.bindings.binds.push(bind("new", "i-1", "EcsInstance"));
        p
    };
    let f = run(&picture(true), &l, eips::bindings);
    assert_eq!(rules_of(&f), [rules::id::EIP_ECS_SINGLE]);
    assert!(f[0].summary.contains("already has the EIP eip-old"));
    assert_eq!(run(&picture(false), &l, eips::bindings), []);
}

#[test]
fn an_eip_bound_twice_by_the_plan_is_reported_once_at_the_second_binding() {
    let l = current();
    let mut p = Picture::default();
    p.cloud
        .instances
        .insert("i-1".into(), instance("i-1", "ecs.g6.large", "Running"));
    p.cloud
        .instances
        .insert("i-2".into(), instance("i-2", "ecs.g6.large", "Running"));
    let mut second = bind("b", "i-2", "EcsInstance");
    second.eip = Ref::Id("eip-a".into());
    p.bindings.binds = vec![bind("a", "i-1", "EcsInstance"), second];
    let f = run(&p, &l, eips::bindings);
    assert_eq!(rules_of(&f), [rules::id::EIP_ONE_TARGET]);
    assert_eq!(f[0].addr, addr("alicloud_eip_association.b"));
}

#[test]
fn a_nat_gateway_takes_the_profiles_eip_count() {
    let l = current();
    let cap = l.nat_gateway_eips.value as usize;
    let picture = |bound: usize| {
        let mut p = Picture::default();
        let ids: Vec<String> = (0..bound).map(|k| format!("eip-old{k}")).collect();
        let nat = Nat {
            region: "cn-hangzhou".into(),
            bound: ids,
            dnat: Vec::new(),
        };
        p.cloud.nats.insert("ngw-1".into(), nat);
        p.bindings.nat_extra.insert("ngw-1".into(), bound);
        p.bindings.binds.push(bind("new", "ngw-1", "Nat"));
        p
    };
    let f = run(&picture(cap), &l, eips::bindings);
    assert_eq!(rules_of(&f), [rules::id::EIP_NAT_QUOTA]);
    assert_eq!(run(&picture(cap - 1), &l, eips::bindings), []);
}

#[test]
fn an_eip_and_its_target_share_a_region() {
    let l = current();
    let picture = |region: &str| {
        let mut p = Picture::default();
        p.cloud
            .instances
            .insert("i-1".into(), instance("i-1", "ecs.g6.large", "Running"));
        let mut e = eip_info("eip-new", "");
        e.instance_id = None;
        e.region = region.into();
        p.cloud.eips.insert("eip-new".into(), e);
        p.bindings.binds.push(bind("new", "i-1", "EcsInstance"));
        p
    };
    let f = run(&picture("cn-beijing"), &l, eips::bindings);
    assert_eq!(rules_of(&f), [rules::id::EIP_SAME_REGION]);
    assert_eq!(run(&picture("cn-hangzhou"), &l, eips::bindings), []);
}

/// A secondary ENI eni-s (10.0.1.10, with 10.0.1.11) that the plan binds EIPs to in `mode`,
/// attached to an instance or not.
fn eni_target(mode: &str, ips: &[&str], on_instance: bool) -> Picture {
    let mut info = eni_info("eni-s", "vsw-1", "10.0.1.10");
    info.private_ips = vec!["10.0.1.11".into()];
    if on_instance {
        info.instance_id = Some("i-1".into());
        info.status = "InUse".into();
    }
    let mut p = Picture::default();
    p.cloud
        .enis
        .insert("eni-s".into(), (info, "cn-hangzhou".into()));
    for (k, ip) in ips.iter().enumerate() {
        let mut b = bind(&format!("b{k}"), "eni-s", "NetworkInterface");
        b.mode = mode.into();
        b.ip = Some(ip.to_string()).filter(|s| !s.is_empty());
        p.bindings.binds.push(b);
    }
    p
}

#[test]
fn a_nat_mode_eip_binds_to_one_of_the_enis_addresses_once() {
    let l = current();
    let f = run(
        &eni_target("NAT", &["10.0.1.99"], false),
        &l,
        eips::bindings,
    );
    assert_eq!(rules_of(&f), [rules::id::EIP_ENI_NAT_MODE]);
    assert_eq!(f[0].attr[0], "private_ip_address");
    let twice = run(
        &eni_target("NAT", &["10.0.1.11", "10.0.1.11"], false),
        &l,
        eips::bindings,
    );
    assert_eq!(rules_of(&twice), [rules::id::EIP_ENI_NAT_MODE]);
    assert_eq!(twice[0].addr, addr("alicloud_eip_association.b1"));
    assert_eq!(
        run(
            &eni_target("NAT", &["10.0.1.11", "10.0.1.10"], false),
            &l,
            eips::bindings
        ),
        []
    );
}

#[test]
fn visible_modes_need_an_eni_that_is_not_attached_and_multi_binded_has_a_cap() {
    let l = current();
    let f = run(&eni_target("BINDED", &[""], true), &l, eips::bindings);
    assert_eq!(rules_of(&f), [rules::id::EIP_ENI_BINDED]);
    assert_eq!(f[0].attr[0], "mode");
    assert_eq!(
        run(&eni_target("BINDED", &[""], false), &l, eips::bindings),
        []
    );
    let cap = l.multi_binded_eips_per_eni.value as usize;
    let over = vec![""; cap + 1];
    let f = run(
        &eni_target("MULTI_BINDED", &over, false),
        &l,
        eips::bindings,
    );
    assert_eq!(rules_of(&f), [rules::id::EIP_ENI_MULTI]);
    assert_eq!(f[0].addr, addr(&format!("alicloud_eip_association.b{cap}")));
    let at = vec![""; cap];
    assert_eq!(
        run(&eni_target("MULTI_BINDED", &at, false), &l, eips::bindings),
        []
    );
}

#[test]
fn a_havip_takes_one_eip_while_available_or_allocated() {
    let l = current();
    let picture = |status: &str, binds: usize| {
        let mut p = Picture::default();
        let h = Havip {
            vswitch: "vsw-1".into(),
            address: "10.0.1.7".into(),
            status: status.into(),
        };
        p.cloud.havips.insert("havip-1".into(), h);
        for k in 0..binds {
            p.bindings
                .binds
                .push(bind(&format!("b{k}"), "havip-1", "HaVip"));
        }
        p
    };
    let busy = run(&picture("InUse", 1), &l, eips::bindings);
    assert_eq!(rules_of(&busy), [rules::id::EIP_HAVIP_SINGLE]);
    assert!(busy[0].summary.contains("which is InUse"));
    let two = run(&picture("Available", 2), &l, eips::bindings);
    assert_eq!(rules_of(&two), [rules::id::EIP_HAVIP_SINGLE]);
    assert_eq!(two[0].addr, addr("alicloud_eip_association.b1"));
    assert_eq!(run(&picture("Allocated", 1), &l, eips::bindings), []);
}

#[test]
fn an_eip_binds_to_a_private_slb_only_and_only_one() {
    let l = current();
    let picture = |address_type: &str, binds: usize| {
        let mut p = Picture::default();
        let s = Slb {
            region: "cn-hangzhou".into(),
            address_type: address_type.into(),
            vswitch: "vsw-1".into(),
            address: "10.0.1.8".into(),
        };
        p.cloud.slbs.insert("lb-1".into(), s);
        for k in 0..binds {
            p.bindings
                .binds
                .push(bind(&format!("b{k}"), "lb-1", "SlbInstance"));
        }
        p
    };
    let internet = run(&picture("internet", 1), &l, eips::bindings);
    assert_eq!(rules_of(&internet), [rules::id::EIP_TARGET_KIND]);
    let two = run(&picture("intranet", 2), &l, eips::bindings);
    assert_eq!(rules_of(&two), [rules::id::EIP_SLB_SINGLE]);
    // The statement is the table's.
    let statement = rules::rule(rules::id::EIP_SLB_SINGLE)
        .expect("rule")
        .statement;
    assert_eq!(two[0].detail, format!("rule: {statement}"));
    assert_eq!(run(&picture("intranet", 1), &l, eips::bindings), []);
}

/// The checker names rules only through the table: no family types a rule id, nor copies a
/// rule's statement (the notes that quote one take it from the table), so a reordered, renamed
/// or reworded rule is reported as the table has it.
#[test]
fn the_checker_types_no_rule_id_and_copies_no_statement() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/plan/check");
    let mut read = 0;
    for entry in std::fs::read_dir(&dir).expect("src/plan/check") {
        let path = entry.expect("entry").path();
        if path.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("source");
        read += 1;
        for r in rules::RULES {
            let id = format!("\"{}\"", r.id);
            assert!(!text.contains(&id), "{}: {id}", path.display());
            assert!(
                !text.contains(r.statement),
                "{}: restates the statement of {}",
                path.display(),
                r.id
            );
        }
    }
    assert!(
        read >= 8,
        "the checker's files were not found in {}",
        dir.display()
    );
}

/// A planned change of `kind` at `address` with these attributes after it (fixture attributes
/// are built by name here; the code under test reads them through the kinds' views).
fn change(
    kind: crate::schema::Kind,
    address: &str,
    action: Action,
    after: &[(&str, Value)],
) -> Change {
    let after = after
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    Change::bare(addr(address), kind, action, None, Some(after))
}

fn planned(origin: &str) -> Value {
    Value::Unknown(Some(origin.into()))
}

/// A new ENI with two picked addresses, one more added by a secondary-IPs resource, attached to
/// i-1 and given a planned EIP: the picture links them through their origins.
fn planned_eni_changes() -> Vec<Change> {
    use crate::schema::Kind;
    let eni = "alicloud_ecs_network_interface.app";
    vec![
        change(
            Kind::Eni,
            eni,
            Action::Create,
            &[
                ("id", planned(&format!("{eni}.id"))),
                ("vswitch_id", Value::string("vsw-1")),
                (
                    "security_group_ids",
                    Value::set(vec![Value::string("sg-1")]),
                ),
                ("private_ip_addresses", Value::unknown()),
                ("secondary_private_ip_address_count", Value::from(2i64)),
                ("ipv6_addresses", Value::set(Vec::new())),
            ],
        ),
        change(
            Kind::SecondaryIps,
            "netform_secondary_private_ips.more",
            Action::Create,
            &[
                ("network_interface_id", planned(&format!("{eni}.id"))),
                (
                    "private_ip_addresses",
                    Value::set(vec![Value::string("10.0.1.20")]),
                ),
            ],
        ),
        change(
            Kind::Attachment,
            "alicloud_ecs_network_interface_attachment.a",
            Action::Create,
            &[
                ("network_interface_id", planned(&format!("{eni}.id"))),
                ("instance_id", Value::string("i-1")),
            ],
        ),
        change(
            Kind::Eip,
            "alicloud_eip_address.e",
            Action::Create,
            &[
                ("id", planned("alicloud_eip_address.e.id")),
                ("internet_charge_type", Value::string("PayByTraffic")),
            ],
        ),
        change(
            Kind::Association,
            "alicloud_eip_association.b",
            Action::Create,
            &[
                ("allocation_id", planned("alicloud_eip_address.e.id")),
                ("instance_id", Value::string("eni-9")),
            ],
        ),
    ]
}

#[test]
fn the_picture_links_planned_objects_read_through_the_kinds_views() {
    let changes = planned_eni_changes();
    let p = Picture::build(Default::default(), &changes, &|_| "cn-hangzhou".to_string());
    assert_eq!(p.enis.len(), 1, "the secondary IPs land on the planned ENI");
    let e = &p.enis[0];
    assert_eq!(e.vswitch.as_deref(), Some("vsw-1"));
    assert_eq!(e.sgs, Some(vec!["sg-1".to_string()]));
    assert_eq!((e.v4.auto, e.v4.unknown), (2, false));
    assert!(e.v4.known.contains("10.0.1.20"));
    assert_eq!(e.ip_owners.len(), 2);
    let sip = addr("netform_secondary_private_ips.more");
    assert_eq!(e.v4_field(&sip)[1], "private_ip_address_count");
    assert_eq!(
        e.v4_field(e.addr.as_ref().expect("addr"))[1],
        "secondary_private_ip_address_count"
    );
    assert_eq!(p.sips, [(0, sip)]);
    assert_eq!(p.final_instance(0), Some(("i-1".to_string(), true)));
    let b = &p.bindings.binds[0];
    assert_eq!(
        (b.kind.as_str(), b.mode.as_str()),
        ("NetworkInterface", "NAT")
    );
    assert_eq!(b.target, Ref::Id("eni-9".into()));
    let eip = p.bindings.eip(&p.cloud, &b.eip).expect("planned EIP");
    assert_eq!(eip.charge.as_deref(), Some("PayByTraffic"));
    assert_eq!(eip.region.as_deref(), Some("cn-hangzhou"));
}

#[test]
fn the_plan_wants_the_objects_its_changes_refer_to() {
    let w = super::gather::wanted(&planned_eni_changes());
    let set = |s: &std::collections::BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>();
    assert_eq!(set(&w.instances), ["i-1"]);
    assert_eq!(set(&w.enis), ["eni-9"]);
    assert_eq!(set(&w.targets), ["eni-9"]);
    assert!(w.eips.is_empty(), "a planned EIP has no id yet");
}
