//! The simulator against Alibaba's documented behaviour, through `Transport::call` as any client
//! reaches it: each test names the defect of the hand-built simulator it guards against.

use serde_json::Value as J;

use super::Sim;
use super::world::{self, World};
use crate::provider::{ApiError, Params, Product, Transport};

const HZ: &str = "cn-hangzhou";
const BJ: &str = "cn-beijing";
const WEB: &str = "vsw-bp1web0000000000000";
const APP: &str = "vsw-bp1app0000000000000";
const TINY: &str = "vsw-bp1tiny000000000000";
const SG: &str = "sg-bp1basic000000000000";
const WEB1: &str = "i-bp1web1000000000000";
const WEB1_ENI: &str = "eni-bp1web1000000000000";

fn sim() -> Sim {
    Sim::in_memory(World::builtin()).expect("built-in world")
}

fn params(region: &str, kv: &[(&str, &str)]) -> Params {
    let mut p: Params = kv
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if !region.is_empty() {
        p.insert("RegionId".into(), region.into());
    }
    p
}

fn ecs(s: &Sim, action: &str, kv: &[(&str, &str)]) -> Result<J, ApiError> {
    s.call(Product::Ecs, action, &params(HZ, kv))
}

fn vpc_in(s: &Sim, region: &str, action: &str, kv: &[(&str, &str)]) -> Result<J, ApiError> {
    s.call(Product::Vpc, action, &params(region, kv))
}

fn vpc(s: &Sim, action: &str, kv: &[(&str, &str)]) -> Result<J, ApiError> {
    vpc_in(s, HZ, action, kv)
}

fn code(r: Result<J, ApiError>) -> String {
    match r {
        Ok(j) => panic!("expected an error, got {j}"),
        Err(e) => e.code,
    }
}

fn ok(r: Result<J, ApiError>) -> J {
    r.unwrap_or_else(|e| panic!("{}: {}", e.code, e.message))
}

fn create_eni(s: &Sim, token: &str, extra: &[(&str, &str)]) -> Result<J, ApiError> {
    let mut kv = vec![
        ("VSwitchId", WEB),
        ("SecurityGroupIds.1", SG),
        ("ClientToken", token),
    ];
    kv.extend_from_slice(extra);
    ecs(s, "CreateNetworkInterface", &kv)
}

fn id(j: &J, key: &str) -> String {
    j[key].as_str().unwrap_or_default().to_string()
}

fn allocate(s: &Sim, region: &str, token: &str) -> String {
    let j = ok(vpc_in(
        s,
        region,
        "AllocateEipAddress",
        &[("ClientToken", token)],
    ));
    id(&j, "AllocationId")
}

fn eni_of(s: &Sim, eni: &str) -> J {
    let j = ok(ecs(
        s,
        "DescribeNetworkInterfaces",
        &[("NetworkInterfaceId.1", eni)],
    ));
    j["NetworkInterfaceSets"]["NetworkInterfaceSet"][0].clone()
}

fn items<'a>(j: &'a J, outer: &str, inner: &str) -> &'a [J] {
    j[outer][inner].as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn ids_of(list: &[J], key: &str) -> Vec<String> {
    list.iter().map(|x| id(x, key)).collect()
}

/// Defect: booleans were compared with `"true"`, so the SDKs' `True` read as false.
#[test]
fn booleans_are_read_case_blind() {
    let s = sim();
    let j = ok(create_eni(
        &s,
        "b1",
        &[("SourceDestCheck", "True"), ("DeleteOnRelease", "FALSE")],
    ));
    let e = eni_of(&s, &id(&j, "NetworkInterfaceId"));
    assert_eq!(e["SourceDestCheck"], true, "{e}");
    assert_eq!(e["DeleteOnRelease"], false, "{e}");
    assert_eq!(
        code(create_eni(&s, "b2", &[("SourceDestCheck", "yes")])),
        "InvalidParameter"
    );
}

fn secondary(e: &J) -> Vec<String> {
    items(e, "PrivateIpSets", "PrivateIpSet")
        .iter()
        .filter(|x| x["Primary"] == false)
        .map(|x| id(x, "PrivateIpAddress"))
        .collect()
}

/// Defect: CreateNetworkInterface ignored `PrivateIpAddress.N`, `SecondaryPrivateIpAddressCount`,
/// `Ipv6Address.N` and `Ipv6AddressCount`.
#[test]
fn create_eni_takes_secondary_addresses() {
    let s = sim();
    let given = [
        ("PrivateIpAddress.1", "192.168.1.60"),
        ("PrivateIpAddress.2", "192.168.1.61"),
    ];
    let j = ok(create_eni(&s, "c1", &given));
    assert_eq!(secondary(&j), ["192.168.1.60", "192.168.1.61"], "{j}");
    let e = eni_of(&s, &id(&j, "NetworkInterfaceId"));
    assert_eq!(secondary(&e), ["192.168.1.60", "192.168.1.61"]);

    let j = ok(create_eni(
        &s,
        "c2",
        &[
            ("SecondaryPrivateIpAddressCount", "3"),
            ("Ipv6AddressCount", "2"),
        ],
    ));
    let e = eni_of(&s, &id(&j, "NetworkInterfaceId"));
    let ips = secondary(&e);
    assert_eq!(ips.len(), 3, "{e}");
    assert!(ips.iter().all(|ip| ip.starts_with("192.168.1.")), "{ips:?}");
    assert!(!ips.contains(&id(&e, "PrivateIpAddress")));
    let v6 = items(&e, "Ipv6Sets", "Ipv6Set");
    assert_eq!(v6.len(), 2, "{e}");
    assert!(id(&v6[0], "Ipv6Address").starts_with("2408:4005:3ff:8501:"));

    let j = ok(create_eni(
        &s,
        "c3",
        &[("Ipv6Address.1", "2408:4005:3ff:8501::77")],
    ));
    let e = eni_of(&s, &id(&j, "NetworkInterfaceId"));
    assert_eq!(
        items(&e, "Ipv6Sets", "Ipv6Set")[0]["Ipv6Address"],
        "2408:4005:3ff:8501::77"
    );
}

/// The rules of assigning to an Available ENI hold for the addresses a create asks for, and a
/// refused create leaves nothing behind.
#[test]
fn create_eni_addresses_follow_the_available_eni_rules() {
    let s = sim();
    let refused = |token: &str, kv: &[(&str, &str)]| code(create_eni(&s, token, kv));
    assert_eq!(
        refused("r1", &[("PrivateIpAddress.1", "10.0.0.5")]),
        "InvalidVSwitchId.IpInvalid"
    );
    assert_eq!(
        refused("r2", &[("PrivateIpAddress.1", "192.168.1.254")]),
        "InvalidVSwitchId.IpInvalid"
    );
    assert_eq!(
        refused("r3", &[("PrivateIpAddress.1", "192.168.1.10")]),
        "InvalidPrivateIpAddress.Duplicated"
    );
    assert_eq!(
        refused(
            "r4",
            &[
                ("PrimaryIpAddress", "192.168.1.70"),
                ("PrivateIpAddress.1", "192.168.1.70")
            ]
        ),
        "InvalidIp.IpRepeated"
    );
    let eleven: Vec<String> = (100..111).map(|i| format!("192.168.1.{i}")).collect();
    let keys: Vec<String> = (1..=11).map(|i| format!("PrivateIpAddress.{i}")).collect();
    let listed: Vec<(&str, &str)> = keys
        .iter()
        .zip(&eleven)
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(refused("r5", &listed), "InvalidParameter.Count");
    assert_eq!(
        code(ecs(
            &s,
            "CreateNetworkInterface",
            &[
                ("VSwitchId", TINY),
                ("SecurityGroupIds.1", SG),
                ("SecondaryPrivateIpAddressCount", "5"),
            ],
        )),
        "InvalidVSwitchId.IpNotEnough"
    );
    assert_eq!(
        code(ecs(
            &s,
            "CreateNetworkInterface",
            &[
                ("VSwitchId", APP),
                ("SecurityGroupIds.1", SG),
                ("Ipv6AddressCount", "1"),
            ],
        )),
        "InvalidVSwitch.Ipv6NotTurnOn"
    );
    let listed = ok(ecs(
        &s,
        "DescribeNetworkInterfaces",
        &[("Type", "Secondary")],
    ));
    assert_eq!(listed["TotalCount"], 0, "{listed}");
    // The addresses of the refused creates are still free.
    ok(create_eni(
        &s,
        "r6",
        &[("PrimaryIpAddress", "192.168.1.70")],
    ));

    // The Available cap of the profile, lowered by the world.
    let mut w = World::builtin();
    w.limits.available_eni_secondary_ipv4 = Some(5);
    let s = Sim::in_memory(w).expect("world");
    let r = create_eni(&s, "cap", &[("SecondaryPrivateIpAddressCount", "6")]);
    assert_eq!(code(r), "MaxEniPrivateIpsCountExceeded");
    ok(create_eni(
        &s,
        "cap2",
        &[("SecondaryPrivateIpAddressCount", "5")],
    ));
    // A count is not held to the per-call 10 of the Assign calls: up to the Available cap (49).
    let s = sim();
    let j = ok(create_eni(
        &s,
        "many",
        &[("SecondaryPrivateIpAddressCount", "49")],
    ));
    assert_eq!(secondary(&j).len(), 49);
    let r = create_eni(&s, "too-many", &[("SecondaryPrivateIpAddressCount", "50")]);
    assert_eq!(code(r), "MaxEniPrivateIpsCountExceeded");
}

/// Defect: a create or an assign that gave both the addresses and their number was served
/// (the number ignored); the API reference says the two cannot be given together.
#[test]
fn addresses_and_their_number_together_are_refused() {
    let s = sim();
    let both = [
        ("PrivateIpAddress.1", "192.168.1.80"),
        ("SecondaryPrivateIpAddressCount", "1"),
    ];
    assert_eq!(
        code(create_eni(&s, "both", &both)),
        "InvalidParameter.Conflict"
    );
    let both6 = [
        ("Ipv6Address.1", "2408:4005:3ff:8501::80"),
        ("Ipv6AddressCount", "1"),
    ];
    assert_eq!(
        code(create_eni(&s, "both6", &both6)),
        "InvalidParameter.Conflict"
    );
    let listed = ok(ecs(
        &s,
        "DescribeNetworkInterfaces",
        &[("Type", "Secondary")],
    ));
    assert_eq!(listed["TotalCount"], 0, "{listed}");
    let eni = id(&ok(create_eni(&s, "one", &[])), "NetworkInterfaceId");
    let mut kv = vec![("NetworkInterfaceId", eni.as_str())];
    kv.extend_from_slice(&both);
    assert_eq!(
        code(ecs(&s, "AssignPrivateIpAddresses", &kv)),
        "InvalidParameter.Conflict"
    );
    // Each alone is served, and the address given is still free.
    let j = ok(create_eni(&s, "named", &both[..1]));
    assert_eq!(secondary(&j), ["192.168.1.80"]);
}

/// Defect: a create that named its secondary addresses and left the primary to the cloud could
/// get one of those addresses as its primary, and was then refused as naming it twice.
#[test]
fn an_automatic_primary_avoids_the_secondaries_the_create_names() {
    // A vSwitch of four usable addresses (.1 to .4 of a /29; .0 and the last three reserved):
    // with three named, the primary can only be the fourth, whatever the token.
    let mut w = World::builtin();
    let mut tiny = w
        .vswitches
        .iter()
        .find(|v| v.id == WEB)
        .cloned()
        .expect("the web vSwitch");
    tiny.id = "vsw-bp1named00000000000".into();
    tiny.cidr_block = "10.9.0.0/29".into();
    tiny.ipv6_cidr_block = None;
    w.vswitches.push(tiny);
    let s = Sim::in_memory(w).expect("world");
    for token in ["t1", "t2", "t3", "t4", "t5", "t6"] {
        let j = ok(ecs(
            &s,
            "CreateNetworkInterface",
            &[
                ("VSwitchId", "vsw-bp1named00000000000"),
                ("SecurityGroupIds.1", SG),
                ("ClientToken", token),
                ("PrivateIpAddress.1", "10.9.0.1"),
                ("PrivateIpAddress.2", "10.9.0.2"),
                ("PrivateIpAddress.3", "10.9.0.3"),
            ],
        ));
        assert_eq!(id(&j, "PrivateIpAddress"), "10.9.0.4", "{j}");
        let eni = id(&j, "NetworkInterfaceId");
        ok(ecs(
            &s,
            "DeleteNetworkInterface",
            &[("NetworkInterfaceId", &eni)],
        ));
    }
}

/// Defect: DescribeNetworkInterfaces never said which EIP an ENI or an address carries.
#[test]
fn associated_public_ip_on_the_eni_and_on_each_address() {
    let s = sim();
    let j = ok(create_eni(
        &s,
        "a1",
        &[("PrivateIpAddress.1", "192.168.1.80")],
    ));
    let eni = id(&j, "NetworkInterfaceId");
    let primary = id(&j, "PrivateIpAddress");
    let (e1, e2) = (allocate(&s, HZ, "a-e1"), allocate(&s, HZ, "a-e2"));
    for (eip, ip) in [(&e1, "192.168.1.80"), (&e2, primary.as_str())] {
        ok(vpc(
            &s,
            "AssociateEipAddress",
            &[
                ("AllocationId", eip),
                ("InstanceId", &eni),
                ("InstanceType", "NetworkInterface"),
                ("PrivateIpAddress", ip),
            ],
        ));
    }
    let e = eni_of(&s, &eni);
    let sets = items(&e, "PrivateIpSets", "PrivateIpSet");
    assert_eq!(sets[1]["AssociatedPublicIp"]["AllocationId"], e1.as_str());
    assert_eq!(sets[0]["AssociatedPublicIp"]["AllocationId"], e2.as_str());
    assert_eq!(e["AssociatedPublicIp"]["AllocationId"], e2.as_str(), "{e}");
    assert!(e["AssociatedPublicIp"]["PublicIpAddress"].is_string());

    // An EIP bound to an instance shows on its primary ENI.
    let e3 = allocate(&s, HZ, "a-e3");
    ok(vpc(
        &s,
        "AssociateEipAddress",
        &[("AllocationId", &e3), ("InstanceId", WEB1)],
    ));
    let p = eni_of(&s, WEB1_ENI);
    assert_eq!(p["AssociatedPublicIp"]["AllocationId"], e3.as_str(), "{p}");
    // Nothing on an ENI without one.
    let web2 = eni_of(&s, "eni-bp1web2000000000000");
    assert!(web2.get("AssociatedPublicIp").is_none(), "{web2}");
}

/// Defect: DescribeEipAddresses (and other lists) ignored `RegionId`.
#[test]
fn describes_are_scoped_to_the_request_region() {
    let s = sim();
    let bj = allocate(&s, BJ, "r-bj");
    let count =
        |region: &str| ok(vpc_in(&s, region, "DescribeEipAddresses", &[]))["TotalCount"].clone();
    assert_eq!(count(HZ), 0);
    assert_eq!(count(BJ), 1);
    let j = ok(vpc_in(
        &s,
        BJ,
        "DescribeEipAddresses",
        &[("AllocationId", &bj)],
    ));
    assert_eq!(items(&j, "EipAddresses", "EipAddress")[0]["RegionId"], BJ);
    let listed = |p: Product, action: &str, outer: &str, inner: &str, key: &str| {
        let j = ok(s.call(p, action, &params(HZ, &[("PageSize", "50")])));
        ids_of(items(&j, outer, inner), key)
    };
    let vsw = listed(
        Product::Vpc,
        "DescribeVSwitches",
        "VSwitches",
        "VSwitch",
        "VSwitchId",
    );
    assert!(
        !vsw.is_empty() && vsw.iter().all(|v| v.starts_with("vsw-bp1")),
        "{vsw:?}"
    );
    let nat = listed(
        Product::Vpc,
        "DescribeNatGateways",
        "NatGateways",
        "NatGateway",
        "NatGatewayId",
    );
    assert_eq!(nat, ["ngw-bp1main000000000000"]);
    let j = ok(ecs(&s, "DescribeInstances", &[("MaxResults", "100")]));
    let inst = ids_of(items(&j, "Instances", "Instance"), "InstanceId");
    assert!(inst.contains(&WEB1.to_string()) && !inst.iter().any(|i| i.starts_with("i-2ze")));
    let j = ok(ecs(&s, "DescribeSecurityGroups", &[]));
    let sgs = ids_of(
        items(&j, "SecurityGroups", "SecurityGroup"),
        "SecurityGroupId",
    );
    assert!(sgs.iter().all(|g| g.starts_with("sg-bp1")), "{sgs:?}");
    assert_eq!(
        code(s.call(
            Product::Ecs,
            "DescribeInstances",
            &params("cn-nowhere", &[])
        )),
        "InvalidRegionId.NotFound"
    );
}

/// Defect: ECS tags took `NetworkInterface`, and VPC's `UntagResources` was served under ECS's
/// spelling.
#[test]
fn tags_take_each_products_resource_type() {
    let s = sim();
    let eni = id(&ok(create_eni(&s, "t1", &[])), "NetworkInterfaceId");
    let tag = |ty: &str| {
        ecs(
            &s,
            "TagResources",
            &[
                ("ResourceType", ty),
                ("ResourceId.1", &eni),
                ("Tag.1.Key", "team"),
                ("Tag.1.Value", "net"),
                ("Tag.2.Key", "env"),
                ("Tag.2.Value", "prod"),
            ],
        )
    };
    assert_eq!(
        code(tag("NetworkInterface")),
        "InvalidResourceType.NotFound"
    );
    ok(tag("eni"));
    let e = eni_of(&s, &eni);
    assert_eq!(items(&e, "Tags", "Tag").len(), 2, "{e}");
    let untag = |action: &str| {
        ecs(
            &s,
            action,
            &[
                ("ResourceType", "eni"),
                ("ResourceId.1", &eni),
                ("TagKey.1", "env"),
            ],
        )
    };
    assert_eq!(code(untag("UnTagResources")), "InvalidAction.NotFound");
    ok(untag("UntagResources"));
    let e = eni_of(&s, &eni);
    assert_eq!(items(&e, "Tags", "Tag")[0]["TagKey"], "team", "{e}");

    let eip = allocate(&s, HZ, "t-eip");
    let kv = [
        ("ResourceType", "EIP"),
        ("ResourceId.1", eip.as_str()),
        ("Tag.1.Key", "team"),
        ("Tag.1.Value", "net"),
    ];
    assert_eq!(
        code(ecs(&s, "TagResources", &kv)),
        "InvalidResourceType.NotFound"
    );
    ok(vpc(&s, "TagResources", &kv));
    let untag = [
        ("ResourceType", "EIP"),
        ("ResourceId.1", eip.as_str()),
        ("TagKey.1", "team"),
    ];
    assert_eq!(
        code(vpc(&s, "UntagResources", &untag)),
        "InvalidAction.NotFound"
    );
    let j = ok(vpc(&s, "DescribeEipAddresses", &[("AllocationId", &eip)]));
    assert_eq!(
        items(&j, "EipAddresses", "EipAddress")[0]["Tags"]["Tag"][0]["Key"],
        "team"
    );
    ok(vpc(&s, "UnTagResources", &untag));
    let j = ok(vpc(&s, "DescribeEipAddresses", &[("AllocationId", &eip)]));
    assert_eq!(
        items(&j, "EipAddresses", "EipAddress")[0]["Tags"]["Tag"],
        J::Array(vec![])
    );
    assert_eq!(
        code(vpc(
            &s,
            "UnTagResources",
            &[
                ("ResourceType", "EIP"),
                ("ResourceId.1", "eip-nope"),
                ("All", "true")
            ]
        )),
        "InvalidResourceId.NotFound"
    );
}

/// Defect: deletion protection was a parameter of AllocateEipAddress and
/// ModifyEipAddressAttribute; it is VPC's own DeletionProtection action.
#[test]
fn deletion_protection_is_its_own_action_and_blocks_release() {
    let s = sim();
    assert_eq!(
        code(vpc(
            &s,
            "AllocateEipAddress",
            &[("DeletionProtection", "true")]
        )),
        "InvalidParameter"
    );
    let eip = allocate(&s, HZ, "dp");
    assert_eq!(
        code(vpc(
            &s,
            "ModifyEipAddressAttribute",
            &[("AllocationId", &eip), ("DeletionProtection", "true")]
        )),
        "InvalidParameter"
    );
    let protect = |on: &str, ty: &str| {
        vpc(
            &s,
            "DeletionProtection",
            &[("InstanceId", &eip), ("Type", ty), ("ProtectionEnable", on)],
        )
    };
    assert_eq!(
        code(protect("true", "NATGW")),
        "DeletionProtection.TypeNotSupport"
    );
    ok(protect("True", "EIP"));
    let j = ok(vpc(&s, "DescribeEipAddresses", &[("AllocationId", &eip)]));
    assert_eq!(
        items(&j, "EipAddresses", "EipAddress")[0]["DeletionProtection"],
        true
    );
    let release = || vpc(&s, "ReleaseEipAddress", &[("AllocationId", &eip)]);
    assert_eq!(code(release()), "InvalidOperation.DeletionProtection");
    ok(protect("false", "EIP"));
    ok(release());
    assert_eq!(
        code(protect("true", "EIP")),
        "DeletionProtection.ResourceNotExist"
    );
}

/// Defect: DescribeInstances answered a `PrimaryNetworkInterfaceId` it does not have.
#[test]
fn describe_instances_lists_enis_by_type() {
    let s = sim();
    let eni = id(&ok(create_eni(&s, "i1", &[])), "NetworkInterfaceId");
    ok(ecs(
        &s,
        "AttachNetworkInterface",
        &[("NetworkInterfaceId", &eni), ("InstanceId", WEB1)],
    ));
    let j = ok(ecs(
        &s,
        "DescribeInstances",
        &[("InstanceIds", &format!("[\"{WEB1}\"]"))],
    ));
    let inst = &items(&j, "Instances", "Instance")[0];
    assert!(inst.get("PrimaryNetworkInterfaceId").is_none(), "{inst}");
    let enis = items(inst, "NetworkInterfaces", "NetworkInterface");
    let typed: Vec<(String, String)> = enis
        .iter()
        .map(|e| (id(e, "NetworkInterfaceId"), id(e, "Type")))
        .collect();
    assert_eq!(
        typed,
        [
            (WEB1_ENI.to_string(), "Primary".to_string()),
            (eni, "Secondary".to_string())
        ]
    );
    assert_eq!(
        inst["VpcAttributes"]["PrivateIpAddress"]["IpAddress"][0],
        "192.168.1.10"
    );
    // A classic instance has no VPC attributes; its address is an inner one, and no ENI.
    let j = ok(ecs(
        &s,
        "DescribeInstances",
        &[("InstanceIds", "[\"i-bp1classic00000000\"]")],
    ));
    let classic = &items(&j, "Instances", "Instance")[0];
    assert_eq!(
        classic["InnerIpAddress"]["IpAddress"][0], "10.80.1.5",
        "{classic}"
    );
    assert_eq!(
        classic["VpcAttributes"]["PrivateIpAddress"]["IpAddress"],
        J::Array(vec![])
    );
    assert_eq!(
        items(classic, "NetworkInterfaces", "NetworkInterface").len(),
        0
    );
}

/// Defect: DescribeNatGateways answered a `DnatIps` list it does not have; DNAT entries are
/// DescribeForwardTableEntries of the gateway's forward tables.
#[test]
fn nat_gateways_name_forward_tables_whose_entries_hold_the_dnat_targets() {
    let s = sim();
    let j = ok(vpc(&s, "DescribeNatGateways", &[]));
    let nat = &items(&j, "NatGateways", "NatGateway")[0];
    assert!(nat.get("DnatIps").is_none(), "{nat}");
    let ftb = nat["ForwardTableIds"]["ForwardTableId"][0]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(ftb, "ftb-bp1main000000000000");
    let entries = |s: &Sim| {
        let j = ok(vpc(
            s,
            "DescribeForwardTableEntries",
            &[("ForwardTableId", &ftb)],
        ));
        items(&j, "ForwardTableEntries", "ForwardTableEntry").to_vec()
    };
    let e = entries(&s);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0]["InternalIp"], "192.168.2.11");
    assert_eq!(e[0]["NatGatewayId"], "ngw-bp1main000000000000");
    for k in ["ExternalPort", "InternalPort", "IpProtocol"] {
        assert_eq!(e[0][k], "Any", "{k}");
    }
    assert_eq!(entries(&s)[0]["ExternalIp"], e[0]["ExternalIp"], "stable");
    // With an EIP on the gateway, the entry maps that EIP.
    let eip = allocate(&s, HZ, "nat");
    ok(vpc(
        &s,
        "AssociateEipAddress",
        &[
            ("AllocationId", &eip),
            ("InstanceId", "ngw-bp1main000000000000"),
            ("InstanceType", "Nat"),
        ],
    ));
    let j = ok(vpc(&s, "DescribeEipAddresses", &[("AllocationId", &eip)]));
    let ip = &items(&j, "EipAddresses", "EipAddress")[0]["IpAddress"];
    assert_eq!(&entries(&s)[0]["ExternalIp"], ip);
    assert_eq!(
        code(vpc(&s, "DescribeForwardTableEntries", &[])),
        "MissingParameter"
    );
}

/// A world with a dozen of each listed kind in cn-hangzhou, past the default page of 10.
fn big_world() -> World {
    let mut w = World::builtin();
    let vpc = "vpc-bp1main000000000000".to_string();
    for n in 0..12 {
        let vsw = format!("vsw-bp1many{n:013}");
        w.vswitches.push(world::VSwitch {
            id: vsw.clone(),
            vpc_id: vpc.clone(),
            zone_id: "cn-hangzhou-i".into(),
            cidr_block: format!("192.168.{}.0/24", 100 + n),
            ipv6_cidr_block: None,
        });
        w.security_groups.push(world::SecurityGroup {
            id: format!("sg-bp1many{n:014}"),
            vpc_id: vpc.clone(),
            security_group_type: "normal".into(),
        });
        w.instances.push(world::Instance {
            id: format!("i-bp1many{n:012}"),
            name: format!("many-{n}"),
            region: HZ.into(),
            zone_id: "cn-hangzhou-i".into(),
            instance_type: "ecs.g7.large".into(),
            status: "Running".into(),
            network_type: "vpc".into(),
            vpc_id: Some(vpc.clone()),
            vswitch_id: Some(vsw.clone()),
            private_ip: Some(format!("192.168.{}.10", 100 + n)),
            public_ip: None,
            primary_network_interface_id: None,
            security_group_ids: vec![SG.into()],
        });
        w.nat_gateways.push(world::NatGateway {
            id: format!("ngw-bp1many{n:013}"),
            region: HZ.into(),
            vpc_id: vpc.clone(),
            dnat_ips: Vec::new(),
        });
        w.havips.push(world::HaVip {
            id: format!("havip-bp1many{n:012}"),
            vswitch_id: vsw.clone(),
            ip_address: format!("192.168.{}.100", 100 + n),
            status: "Available".into(),
        });
        w.slbs.push(world::Slb {
            id: format!("lb-bp1many{n:014}"),
            region: HZ.into(),
            address_type: "intranet".into(),
            vswitch_id: Some(vsw),
            address: format!("192.168.{}.200", 100 + n),
        });
    }
    w
}

/// Every item of a `NextToken` list, and how many calls it took.
fn by_token(s: &Sim, action: &str, outer: &str, inner: &str, key: &str) -> (Vec<String>, usize) {
    let (mut out, mut calls, mut token) = (Vec::new(), 0, String::new());
    loop {
        let mut kv = vec![];
        if !token.is_empty() {
            kv.push(("NextToken", token.as_str()));
        }
        let j = ok(ecs(s, action, &kv));
        calls += 1;
        out.extend(ids_of(items(&j, outer, inner), key));
        token = id(&j, "NextToken");
        if token.is_empty() {
            return (out, calls);
        }
    }
}

/// Defect: no list was paged; an account with 11 instances showed them all in one answer
/// (and a client that did not page could not notice it lost the 11th on the real cloud).
#[test]
fn lists_page_by_token_and_by_number_ten_by_default() {
    let w = big_world();
    let (instances, sgs) = (w.instances.len(), w.security_groups.len());
    let s = Sim::in_memory(w).expect("world");
    let first = ok(ecs(&s, "DescribeInstances", &[]));
    assert_eq!(items(&first, "Instances", "Instance").len(), 10);
    assert!(!id(&first, "NextToken").is_empty());
    let hz = instances - 2; // two are in cn-beijing
    assert_eq!(first["TotalCount"], hz);
    let (all, calls) = by_token(
        &s,
        "DescribeInstances",
        "Instances",
        "Instance",
        "InstanceId",
    );
    assert_eq!((all.len(), calls), (hz, hz.div_ceil(10)));
    let (all, _) = by_token(
        &s,
        "DescribeSecurityGroups",
        "SecurityGroups",
        "SecurityGroup",
        "SecurityGroupId",
    );
    assert_eq!(all.len(), sgs - 2);
    let (enis, _) = by_token(
        &s,
        "DescribeNetworkInterfaces",
        "NetworkInterfaceSets",
        "NetworkInterfaceSet",
        "NetworkInterfaceId",
    );
    assert!(enis.len() > 10, "{enis:?}");
    let mut sorted = enis.clone();
    sorted.sort();
    assert_eq!(enis, sorted, "stable order");
    // The older paging of the same actions.
    let j = ok(ecs(
        &s,
        "DescribeInstances",
        &[("PageSize", "5"), ("PageNumber", "2")],
    ));
    assert_eq!(
        items(&j, "Instances", "Instance")[0]["InstanceId"],
        all_instances(&s)[5]
    );
    assert_eq!(
        (j["PageNumber"].clone(), j["PageSize"].clone()),
        (J::from(2), J::from(5))
    );
    // ECS documents that a MaxResults above the maximum means the maximum (100 here).
    let j = ok(ecs(&s, "DescribeInstances", &[("MaxResults", "101")]));
    assert_eq!(
        items(&j, "Instances", "Instance").len(),
        all_instances(&s).len().min(100)
    );
    assert_eq!(
        code(ecs(&s, "DescribeInstances", &[("NextToken", "bogus")])),
        "InvalidNextToken"
    );
}

/// The VPC and SLB lists page by number, 10 by default, with `TotalCount`.
#[test]
fn vpc_and_slb_lists_page_by_number() {
    let s = Sim::in_memory(big_world()).expect("world");
    for (p, action, outer, inner) in [
        (Product::Vpc, "DescribeVSwitches", "VSwitches", "VSwitch"),
        (
            Product::Vpc,
            "DescribeNatGateways",
            "NatGateways",
            "NatGateway",
        ),
        (Product::Vpc, "DescribeHaVips", "HaVips", "HaVip"),
        (
            Product::Slb,
            "DescribeLoadBalancers",
            "LoadBalancers",
            "LoadBalancer",
        ),
    ] {
        let j = ok(s.call(p, action, &params(HZ, &[])));
        let total = j["TotalCount"].as_u64().unwrap_or_default();
        assert!(total > 10, "{action}: {j}");
        assert_eq!(items(&j, outer, inner).len(), 10, "{action}");
        assert_eq!(
            (j["PageNumber"].clone(), j["PageSize"].clone()),
            (J::from(1), J::from(10))
        );
        let last = total.div_ceil(10).to_string();
        let j = ok(s.call(p, action, &params(HZ, &[("PageNumber", &last)])));
        assert_eq!(
            items(&j, outer, inner).len() as u64,
            total - (total - 1) / 10 * 10,
            "{action}"
        );
    }
    for n in 0..12 {
        allocate(&s, HZ, &format!("page-{n}"));
    }
    let j = ok(vpc(
        &s,
        "DescribeEipAddresses",
        &[("PageSize", "5"), ("PageNumber", "3")],
    ));
    assert_eq!(
        (
            j["TotalCount"].clone(),
            items(&j, "EipAddresses", "EipAddress").len()
        ),
        (J::from(12), 2)
    );
    assert_eq!(
        code(vpc(&s, "DescribeEipAddresses", &[("PageSize", "101")])),
        "InvalidParameter"
    );
}

fn all_instances(s: &Sim) -> Vec<String> {
    let j = ok(ecs(s, "DescribeInstances", &[("MaxResults", "100")]));
    ids_of(items(&j, "Instances", "Instance"), "InstanceId")
}

/// Defect: most filters were ignored (Type, Status, VpcId, ZoneId, Tag…).
#[test]
fn filters_of_the_wire_requests_apply() {
    let s = sim();
    let eni = id(
        &ok(create_eni(
            &s,
            "f1",
            &[("Tag.1.Key", "team"), ("Tag.1.Value", "net")],
        )),
        "NetworkInterfaceId",
    );
    let enis = |kv: &[(&str, &str)]| {
        let j = ok(ecs(&s, "DescribeNetworkInterfaces", kv));
        ids_of(
            items(&j, "NetworkInterfaceSets", "NetworkInterfaceSet"),
            "NetworkInterfaceId",
        )
    };
    assert_eq!(
        enis(&[("InstanceId", WEB1), ("Type", "Primary")]),
        [WEB1_ENI]
    );
    assert_eq!(enis(&[("Type", "Secondary")]), [eni.as_str()]);
    assert_eq!(enis(&[("Status", "Available")]), [eni.as_str()]);
    assert_eq!(enis(&[("Tag.1.Key", "team")]), [eni.as_str()]);
    assert!(enis(&[("Tag.1.Key", "team"), ("Tag.1.Value", "other")]).is_empty());
    assert!(enis(&[("VpcId", "vpc-2zemain000000000000")]).is_empty());

    let inst = |kv: &[(&str, &str)]| {
        let j = ok(ecs(&s, "DescribeInstances", kv));
        ids_of(items(&j, "Instances", "Instance"), "InstanceId")
    };
    assert_eq!(
        inst(&[("Status", "Stopped"), ("ZoneId", "cn-hangzhou-i")]),
        ["i-bp1appstop00000000"]
    );
    assert_eq!(inst(&[("InstanceName", "web-1")]), [WEB1]);

    let eip = allocate(&s, HZ, "f-eip");
    allocate(&s, HZ, "f-eip2");
    ok(vpc(
        &s,
        "AssociateEipAddress",
        &[("AllocationId", &eip), ("InstanceId", WEB1)],
    ));
    let eips = |kv: &[(&str, &str)]| {
        let j = ok(vpc(&s, "DescribeEipAddresses", kv));
        ids_of(items(&j, "EipAddresses", "EipAddress"), "AllocationId")
    };
    assert_eq!(eips(&[("Status", "InUse")]), [eip.as_str()]);
    assert_eq!(eips(&[("AssociatedInstanceId", WEB1)]), [eip.as_str()]);
    assert_eq!(
        eips(&[("AssociatedInstanceType", "EcsInstance")]),
        [eip.as_str()]
    );

    let j = ok(vpc(&s, "DescribeVSwitches", &[("ZoneId", "cn-hangzhou-i")]));
    assert_eq!(
        ids_of(items(&j, "VSwitches", "VSwitch"), "VSwitchId"),
        [APP]
    );
    let j = ok(s.call(
        Product::Slb,
        "DescribeLoadBalancers",
        &params(HZ, &[("AddressType", "intranet")]),
    ));
    assert_eq!(
        ids_of(items(&j, "LoadBalancers", "LoadBalancer"), "LoadBalancerId"),
        ["lb-bp1intranet0000000000"]
    );
    let j = ok(ecs(
        &s,
        "DescribeSecurityGroups",
        &[("SecurityGroupIds", "[\"sg-bp1enterprise0000000\"]")],
    ));
    assert_eq!(
        items(&j, "SecurityGroups", "SecurityGroup")[0]["SecurityGroupType"],
        "enterprise"
    );
}

/// Defect: there were no DescribeVpcs, DescribeRegions or DescribeZones to capture a world with.
#[test]
fn vpcs_regions_and_zones_are_described_from_the_world() {
    let s = sim();
    let j = ok(vpc(&s, "DescribeVpcs", &[]));
    let v = &items(&j, "Vpcs", "Vpc")[0];
    assert_eq!(
        (v["VpcId"].clone(), v["CidrBlock"].clone()),
        (
            J::from("vpc-bp1main000000000000"),
            J::from("192.168.0.0/16")
        )
    );
    assert_eq!(j["TotalCount"], 1);
    // Global: the classic SDKs send a RegionId anyway, and it is not refused.
    for region in ["", HZ] {
        let j = ok(s.call(Product::Ecs, "DescribeRegions", &params(region, &[])));
        assert_eq!(ids_of(items(&j, "Regions", "Region"), "RegionId"), [HZ, BJ]);
    }
    let j = ok(s.call(Product::Ecs, "DescribeZones", &params(BJ, &[])));
    assert_eq!(
        ids_of(items(&j, "Zones", "Zone"), "ZoneId"),
        ["cn-beijing-h", "cn-beijing-g"]
    );
}

/// Defect: Attach/Detach honoured a ClientToken they do not take, so a retried attach
/// "succeeded" in the simulator and failed on the cloud.
#[test]
fn client_token_only_where_the_action_takes_one() {
    let s = sim();
    let eni = id(&ok(create_eni(&s, "k1", &[])), "NetworkInterfaceId");
    let e = ecs(
        &s,
        "AttachNetworkInterface",
        &[
            ("NetworkInterfaceId", &eni),
            ("InstanceId", WEB1),
            ("ClientToken", "k2"),
        ],
    )
    .expect_err("refused");
    assert_eq!(e.code, "InvalidParameter");
    assert!(e.message.contains("ClientToken"), "{}", e.message);
    // Where it is taken, a repeat gets the first answer, and another request under the same
    // token is refused.
    let again = ok(create_eni(&s, "k1", &[]));
    assert_eq!(id(&again, "NetworkInterfaceId"), eni);
    assert_eq!(
        code(create_eni(&s, "k1", &[("Description", "other")])),
        "IdempotentParameterMismatch"
    );
    assert_eq!(allocate(&s, HZ, "k3"), allocate(&s, HZ, "k3"));
}

/// Defect: the product was ignored, so a VPC action sent to the ECS endpoint succeeded.
#[test]
fn an_action_of_another_product_is_not_found() {
    let s = sim();
    assert_eq!(
        code(ecs(&s, "DescribeEipAddresses", &[])),
        "InvalidAction.NotFound"
    );
    assert_eq!(
        code(vpc(
            &s,
            "CreateNetworkInterface",
            &[("VSwitchId", WEB), ("SecurityGroupIds.1", SG)]
        )),
        "InvalidAction.NotFound"
    );
    assert_eq!(
        code(s.call(Product::Slb, "DescribeInstances", &params(HZ, &[]))),
        "InvalidAction.NotFound"
    );
}

fn keys(j: &J) -> Vec<String> {
    j.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Defect: answers carried fields the SDK models lack (a `RequestId` in every ENI entry, the
/// whole ENI in CreateNetworkInterface's answer, a top-level `NetworkInterfaceId` in
/// AssignPrivateIpAddresses').
#[test]
fn answers_carry_only_fields_of_the_sdk_models() {
    let s = sim();
    let created = ok(create_eni(
        &s,
        "m1",
        &[("QueueNumber", "2"), ("DeleteOnRelease", "true")],
    ));
    for k in [
        "InstanceId",
        "Attachment",
        "QueueNumber",
        "DeleteOnRelease",
        "AssociatedPublicIp",
    ] {
        assert!(created.get(k).is_none(), "{k} in {created}");
    }
    let eni = id(&created, "NetworkInterfaceId");
    let listed = ok(ecs(&s, "DescribeNetworkInterfaces", &[]));
    assert_eq!(
        keys(&listed),
        [
            "NetworkInterfaceSets",
            "NextToken",
            "RequestId",
            "TotalCount"
        ]
    );
    for e in items(&listed, "NetworkInterfaceSets", "NetworkInterfaceSet") {
        assert!(e.get("RequestId").is_none(), "{e}");
    }
    let a = ok(ecs(
        &s,
        "AssignPrivateIpAddresses",
        &[
            ("NetworkInterfaceId", &eni),
            ("SecondaryPrivateIpAddressCount", "1"),
        ],
    ));
    assert_eq!(keys(&a), ["AssignedPrivateIpAddressesSet", "RequestId"]);
    let a = ok(ecs(
        &s,
        "AttachNetworkInterface",
        &[("NetworkInterfaceId", &eni), ("InstanceId", WEB1)],
    ));
    assert_eq!(keys(&a), ["RequestId"]);
}

/// The journal names each call's product, so a replay tells ECS's TagResources from VPC's.
#[test]
fn the_journal_replays_each_call_under_its_product() {
    let dir = std::env::temp_dir().join(format!("netform-sim-journal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    {
        let s = Sim::open(&dir, None).expect("open");
        let eip = allocate(&s, HZ, "j1");
        ok(vpc(
            &s,
            "TagResources",
            &[
                ("ResourceType", "EIP"),
                ("ResourceId.1", &eip),
                ("Tag.1.Key", "k"),
            ],
        ));
    }
    let s = Sim::open(&dir, None).expect("reopen");
    let j = ok(vpc(&s, "DescribeEipAddresses", &[]));
    let e = &items(&j, "EipAddresses", "EipAddress")[0];
    assert_eq!(e["Tags"]["Tag"][0]["Key"], "k", "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn temp_sim_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("netform-sim-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn eip_count(s: &Sim) -> usize {
    items(
        &ok(vpc(s, "DescribeEipAddresses", &[])),
        "EipAddresses",
        "EipAddress",
    )
    .len()
}

/// Defect: ids derived from the ClientToken alone, so two creates without a token made one
/// object (the second overwrote the first) and a duplicate could never be seen.
#[test]
fn creates_without_a_token_make_new_objects_with_new_ids() {
    let s = sim();
    let a = id(&ok(vpc(&s, "AllocateEipAddress", &[])), "AllocationId");
    let b = id(&ok(vpc(&s, "AllocateEipAddress", &[])), "AllocationId");
    assert_ne!(a, b);
    assert_eq!(eip_count(&s), 2);
    let e1 = id(
        &ok(ecs(
            &s,
            "CreateNetworkInterface",
            &[("VSwitchId", WEB), ("SecurityGroupIds.1", SG)],
        )),
        "NetworkInterfaceId",
    );
    let e2 = id(
        &ok(ecs(
            &s,
            "CreateNetworkInterface",
            &[("VSwitchId", WEB), ("SecurityGroupIds.1", SG)],
        )),
        "NetworkInterfaceId",
    );
    assert_ne!(e1, e2);
    assert_ne!(eni_of(&s, &e1)["MacAddress"], eni_of(&s, &e2)["MacAddress"]);
}

/// A repeated token with the same parameters is the first answer, even from the next process
/// (the token memory is in the snapshot); a new token is a new object.
#[test]
fn a_repeated_token_is_answered_from_memory_across_processes() {
    let dir = temp_sim_dir("tokens");
    let first = {
        let s = Sim::open(&dir, None).expect("open");
        let id = allocate(&s, HZ, "tok-1");
        s.persist().expect("persist");
        id
    };
    let s = Sim::open(&dir, None).expect("reopen");
    assert_eq!(allocate(&s, HZ, "tok-1"), first);
    assert_eq!(eip_count(&s), 1);
    assert_ne!(allocate(&s, HZ, "tok-2"), first);
    assert_eq!(eip_count(&s), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Defect: a create whose token the simulator had forgotten derived the id of an object that
/// still existed (or had existed) and silently replaced it.
#[test]
fn an_id_once_handed_out_is_never_handed_out_again() {
    let mut live = super::cloud::Live::default();
    let (a, _) = super::cloud::fresh_id(&live, "1", "eip", HZ, Some("t"), "AllocateEipAddress");
    live.issued.insert(a.clone());
    let (b, _) = super::cloud::fresh_id(&live, "1", "eip", HZ, Some("t"), "AllocateEipAddress");
    assert_ne!(a, b, "the same forgotten token makes a new id");
    live.issued.insert(b.clone());
    let (c, _) = super::cloud::fresh_id(&live, "1", "eip", HZ, None, "AllocateEipAddress");
    assert!(c != a && c != b);
}

/// Defect: a process killed after writing the snapshot and before removing the journal left
/// lines that the next open replayed on top of the snapshot that already held them.
#[test]
fn journal_lines_already_in_the_snapshot_are_not_replayed() {
    let dir = temp_sim_dir("seq");
    {
        let s = Sim::open(&dir, None).expect("open");
        ok(vpc(&s, "AllocateEipAddress", &[]));
        let journal = std::fs::read(super::sim_dir(&dir).join("journal.ndjson")).expect("journal");
        s.persist().expect("persist");
        // What a kill between the snapshot's rename and the journal's removal leaves.
        std::fs::write(super::sim_dir(&dir).join("journal.ndjson"), journal).expect("write");
    }
    let s = Sim::open(&dir, None).expect("reopen");
    assert_eq!(eip_count(&s), 1);
    ok(vpc(&s, "AllocateEipAddress", &[]));
    drop(s);
    let s = Sim::open(&dir, None).expect("reopen after a second call");
    assert_eq!(
        eip_count(&s),
        2,
        "lines written after the snapshot are replayed"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `lost_answer`: the call changes the cloud and its caller hears nothing (`netform.NoAnswer`,
/// which clients retry); a repeat with the same ClientToken gets the first answer, so the work
/// is done once. A rate outside 0..=1 is refused like the others.
#[test]
fn a_lost_answer_is_lost_after_the_cloud_acted() {
    let mut w = World::builtin();
    w.faults.rates.insert(
        "AllocateEipAddress".into(),
        world::FaultRates {
            lost_answer: 1.0,
            ..Default::default()
        },
    );
    let s = Sim::in_memory(w).expect("world");
    let e = vpc(&s, "AllocateEipAddress", &[("ClientToken", "x")]).map_err(|e| e.code);
    assert_eq!(e, Err(crate::provider::NO_ANSWER.to_string()));
    assert_eq!(eip_count(&s), 1);
    let _ = vpc(&s, "AllocateEipAddress", &[("ClientToken", "x")]);
    assert_eq!(eip_count(&s), 1, "the repeat did not allocate again");
    let bad = world::Faults::from_json(r#"{"rates": {"*": {"lost_answer": 1.5}}}"#, "env");
    assert!(bad.is_err());
}
