//! The table of Alibaba Cloud's rules (rules.md): one row per rule with its id, statement, source,
//! error codes, the limits it reads, and the code that evaluates it.
//!
//! A rule is decided in exactly one place: its row's `eval`, a pure function over [`Facts`] (small
//! values describing one situation: an ENI's address count and where it sits, a binding about to be
//! made, …) and the limits profile. The plan-time checker (`plan::check`) gathers facts from its
//! picture of the cloud the whole plan leads to; the simulator (`provider::sim`) gathers them from
//! its live state and the request. Both hand them to [`evaluate`] and get the same [`Violation`]
//! (rule, code, limit, what was asked) back, and only the framing of the message differs: a
//! diagnostic at plan time, an API error with the code at apply time. So the two cannot drift
//! apart, which is what lets the property test hold one against the other.
//!
//! Facts both sides derive alike have one builder here (`eni::instance_state`, the reserved and
//! usable addresses of a vSwitch in `eni`), and every rule id is a constant of [`id`]: a
//! diagnostic names the rule `evaluate` found broken, never an id typed again.

use crate::limits::Limits;

pub mod eip;
pub mod eni;

pub use eip::{EipTarget, EniBind};
pub use eni::{Address, EniOp, Placement};

#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub statement: &'static str,
    pub source: &'static str,
    /// The error codes the cloud (and the simulator) answers with.
    pub codes: &'static [&'static str],
    /// The limits-profile keys (`Limits::entries`) the rule reads, so the README and messages
    /// quote the same numbers the checker and the simulator use.
    pub limits: &'static [&'static str],
    /// Decides the rule for the facts it concerns (`None` for facts about something else, or when
    /// the rule holds).
    pub eval: fn(&Facts, &Limits) -> Option<Violation>,
    /// The instance-type column the rule reads, if any (DescribeInstanceTypes' name).
    pub per_type: Option<&'static str>,
}

/// Every rule's id, spelled once: the table's rows, the evaluators' violations and the
/// checker's wording all name a rule through these, so none is typed twice.
pub mod id {
    pub const IP_AVAILABLE_CAP: &str = "ip-available-cap";
    pub const IP_INSTANCE_TYPE_CAP: &str = "ip-instance-type-cap";
    pub const IP_PRIMARY_ENI_STATE: &str = "ip-primary-eni-state";
    pub const IP_IN_VSWITCH: &str = "ip-in-vswitch";
    pub const IP_RESERVED: &str = "ip-reserved";
    pub const IP_UNIQUE: &str = "ip-unique";
    pub const IP_VSWITCH_CAPACITY: &str = "ip-vswitch-capacity";
    pub const IP_SG_CAPACITY: &str = "ip-sg-capacity";
    pub const IPV6_CAP: &str = "ipv6-cap";
    pub const ENI_PER_INSTANCE: &str = "eni-per-instance";
    pub const ENI_ZONE_VPC: &str = "eni-zone-vpc";
    pub const ENI_INSTANCE_STATE: &str = "eni-instance-state";
    pub const ENI_PRIMARY: &str = "eni-primary";
    pub const ENI_SINGLE_ATTACH: &str = "eni-single-attach";
    pub const EIP_TARGET_KIND: &str = "eip-target-kind";
    pub const EIP_ONE_TARGET: &str = "eip-one-target";
    pub const EIP_SAME_REGION: &str = "eip-same-region";
    pub const EIP_ECS_STATE: &str = "eip-ecs-state";
    pub const EIP_ECS_SINGLE: &str = "eip-ecs-single";
    pub const EIP_ECS_DNAT: &str = "eip-ecs-dnat";
    pub const EIP_NAT_QUOTA: &str = "eip-nat-quota";
    pub const EIP_HAVIP_SINGLE: &str = "eip-havip-single";
    pub const EIP_SLB_SINGLE: &str = "eip-slb-single";
    pub const EIP_ENI_NAT_MODE: &str = "eip-eni-nat-mode";
    pub const EIP_ENI_BINDED: &str = "eip-eni-binded";
    pub const EIP_ENI_MULTI: &str = "eip-eni-multi";
}

/// A broken rule, with the numbers a message quotes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub rule: &'static str,
    /// One of the rule's `codes`: the one Alibaba answers with in this case.
    pub code: &'static str,
    /// The limit passed, for the rules that count.
    pub limit: Option<u64>,
    /// What the request or plan asks for, counted the way the limit is.
    pub asked: Option<u64>,
    /// For facts that list several items (security groups), which one broke the rule.
    pub index: Option<usize>,
    /// The limits-profile key (`Limits::entries`) of the limit passed, when it is a profile
    /// value rather than an instance type's.
    pub key: Option<&'static str>,
}

impl Violation {
    fn new(rule: &'static str, code: &'static str) -> Violation {
        Violation {
            rule,
            code,
            limit: None,
            asked: None,
            index: None,
            key: None,
        }
    }

    fn key(mut self, key: &'static str) -> Violation {
        self.key = Some(key);
        self
    }

    fn counts(mut self, limit: impl TryInto<u64>, asked: impl TryInto<u64>) -> Violation {
        self.limit = limit.try_into().ok();
        self.asked = asked.try_into().ok();
        self
    }

    fn at(mut self, i: usize) -> Violation {
        self.index = Some(i);
        self
    }
}

/// One situation the rules judge. Each variant carries only what the rules about it read; the
/// counts are *after* the change (the request, or the whole plan), so one comparison serves a
/// single API call and a plan that makes many.
#[derive(Clone, Debug)]
pub enum Facts<'a> {
    /// Secondary private IPv4 addresses an ENI holds (ip-available-cap, ip-instance-type-cap).
    Ipv4Count { on: Placement<'a>, secondary: usize },
    /// IPv6 addresses an ENI holds (ipv6-cap).
    Ipv6Count {
        on: Placement<'a>,
        count: usize,
        /// Whether the ENI's vSwitch has an IPv6 CIDR.
        vswitch_ipv6: bool,
    },
    /// Addresses of a primary ENI change while its instance is in `instance_status`
    /// (ip-primary-eni-state).
    PrimaryEniIps { instance_status: &'a str },
    /// One address asked for by value (ip-in-vswitch, ip-reserved, ip-unique).
    Address(Address),
    /// Addresses the cloud picks in a vSwitch (ip-vswitch-capacity).
    FreeAddresses { free: usize, need: usize },
    /// A security group's members once the change is made (ip-sg-capacity).
    SecurityGroup {
        enterprise: bool,
        enis: usize,
        ips: usize,
    },
    /// An instance's ENIs, its primary included, once the change is made (eni-per-instance).
    EnisOnInstance {
        ty: &'a crate::limits::InstanceType,
        total: usize,
    },
    /// Where an ENI and the instance it attaches to are (eni-zone-vpc). `None`: not known.
    AttachPlace {
        eni_zone: &'a str,
        eni_vpc: &'a str,
        instance_zone: Option<&'a str>,
        instance_vpc: Option<&'a str>,
    },
    /// An ENI's security groups: each one's VPC and whether it is advanced (eni-zone-vpc).
    EniSecurityGroups {
        vpc: &'a str,
        groups: Vec<(&'a str, bool)>,
    },
    /// Attaching or detaching with the instance in `status` (eni-instance-state).
    InstanceState { status: &'a str, stopped_only: bool },
    /// An operation on an ENI, primary or not (eni-primary).
    EniOperation { op: EniOp, primary: bool },
    /// Attaching an ENI that is (or, within the plan, will be) attached already or not
    /// (eni-single-attach).
    Attach { attached: bool },
    /// The target kind of a binding (eip-target-kind).
    EipTarget(EipTarget<'a>),
    /// Binding an EIP, bound already or not (eip-one-target).
    Bind { eip_bound: bool },
    /// The regions of an EIP and its target (eip-same-region).
    Regions { eip: &'a str, target: &'a str },
    /// Binding to an ECS instance (eip-ecs-state, eip-ecs-single, eip-ecs-dnat).
    EcsBind {
        status: &'a str,
        public_ip: bool,
        /// EIPs on the instance besides this one, after the change.
        other_eips: usize,
        dnat_target: bool,
    },
    /// EIPs on a NAT gateway after the change; PayByTraffic ones when the new one is such
    /// (eip-nat-quota).
    NatBind {
        eips: usize,
        pay_by_traffic: Option<usize>,
    },
    /// Binding to a HAVIP in `status` that will carry `eips` (eip-havip-single).
    HavipBind { status: &'a str, eips: usize },
    /// Binding to a private SLB that will carry `eips` (eip-slb-single).
    SlbBind { eips: usize },
    /// Binding to an ENI (eip-eni-nat-mode, eip-eni-binded, eip-eni-multi).
    EniBind(EniBind<'a>),
    /// Removing an address of an ENI, with an EIP bound to it or not (eip-eni-nat-mode).
    RemoveAddress { eip_bound: bool },
    /// Unbinding an EIP of `mode`, or switching it to `mode`, on an ENI attached or not
    /// (eip-eni-binded).
    ModeOnEni { mode: &'a str, attached: bool },
}

/// The first rule, in table order, that the facts break.
pub fn evaluate(f: &Facts, limits: &Limits) -> Option<Violation> {
    RULES.iter().find_map(|r| (r.eval)(f, limits))
}

/// Running or Stopped: the states most operations on an instance need.
pub fn running_or_stopped(status: &str) -> bool {
    status == "Running" || status == "Stopped"
}

pub static RULES: &[Rule] = &[
    Rule {
        id: id::IP_AVAILABLE_CAP,
        statement: "an ENI that is not attached (Available) holds at most the profile's secondary IPv4 cap",
        source: "A: 弹性网卡处于可用状态时，最多可以分配10个私网IP地址",
        codes: &["MaxEniPrivateIpsCountExceeded"],
        limits: &["available_eni_secondary_ipv4"],
        eval: eni::ip_available_cap,
        per_type: None,
    },
    Rule {
        id: id::IP_INSTANCE_TYPE_CAP,
        statement: "an attached ENI holds at most its instance type's EniPrivateIpAddressQuantity private IPv4, primary included; an ENI holding more cannot be attached",
        source: "A: 已绑定状态…与实例规格相关",
        codes: &["InvalidOperation.Ipv4CountExceeded"],
        limits: &[],
        eval: eni::ip_instance_type_cap,
        per_type: Some("EniPrivateIpAddressQuantity"),
    },
    Rule {
        id: id::IP_PRIMARY_ENI_STATE,
        statement: "assigning or unassigning IPs on a primary ENI needs its instance Running or Stopped",
        source: "A: 主弹性网卡绑定的实例必须处于运行中或者已停止状态",
        codes: &["InvalidOperation.InvalidEcsState"],
        limits: &[],
        eval: eni::ip_primary_eni_state,
        per_type: None,
    },
    Rule {
        id: id::IP_IN_VSWITCH,
        statement: "a given address lies in the ENI's vSwitch CIDR (IPv6: its IPv6 CIDR)",
        source: "A: 取值在IPv4私网网段和IPv6私网网段中即可",
        codes: &["InvalidVSwitchId.IpInvalid"],
        limits: &[],
        eval: eni::ip_in_vswitch,
        per_type: None,
    },
    Rule {
        id: id::IP_RESERVED,
        statement: "an address is not the first nor one of the last three of its vSwitch CIDR (IPv6: first, last nine)",
        source: "API ref. CreateVSwitch",
        codes: &["InvalidVSwitchId.IpInvalid"],
        limits: &[],
        eval: eni::ip_reserved,
        per_type: None,
    },
    Rule {
        id: id::IP_UNIQUE,
        statement: "an address is not already in use in the vSwitch, not twice in one request or plan, not already on the ENI",
        source: "API ref.",
        codes: &[
            "InvalidPrivateIpAddress.Duplicated",
            "InvalidIp.IpRepeated",
            "InvalidIp.IpAssigned",
        ],
        limits: &[],
        eval: eni::ip_unique,
        per_type: None,
    },
    Rule {
        id: id::IP_VSWITCH_CAPACITY,
        statement: "automatic allocation needs enough free addresses in the vSwitch",
        source: "API ref.",
        codes: &["InvalidVSwitchId.IpNotEnough"],
        limits: &[],
        eval: eni::ip_vswitch_capacity,
        per_type: None,
    },
    Rule {
        id: id::IP_SG_CAPACITY,
        statement: "a basic security group holds at most the profile's private-IP count; an advanced group at most 65,536 ENIs",
        source: "A: 专有网络类型安全组能容纳的私网IP地址数量存在限制",
        codes: &["SecurityGroupInstanceLimitExceed"],
        limits: &["basic_sg_private_ips", "enterprise_sg_enis"],
        eval: eni::ip_sg_capacity,
        per_type: None,
    },
    Rule {
        id: id::IPV6_CAP,
        statement: "IPv6 per ENI: the profile's cap when Available, EniIpv6AddressQuantity when attached; needs an IPv6 vSwitch and a type with IPv6",
        source: "API ref. AssignIpv6Addresses",
        codes: &[
            "MaxEniIpv6IpsCountExceeded",
            "InvalidOperation.Ipv6CountExceeded",
            "InvalidVSwitch.Ipv6NotTurnOn",
            "InvalidOperation.Ipv6NotSupport",
        ],
        limits: &["available_eni_ipv6"],
        eval: eni::ipv6_cap,
        per_type: Some("EniIpv6AddressQuantity"),
    },
    Rule {
        id: id::ENI_PER_INSTANCE,
        statement: "ENIs on an instance ≤ its type's EniQuantity, primary included",
        source: "API ref.",
        codes: &["EniPerInstanceLimitExceeded"],
        limits: &[],
        eval: eni::eni_per_instance,
        per_type: Some("EniQuantity"),
    },
    Rule {
        id: id::ENI_ZONE_VPC,
        statement: "ENI and instance in the same zone and VPC; security groups in that VPC and all of one type",
        source: "API ref.",
        codes: &[
            "InvalidOperation.AvailabilityZoneMismatch",
            "InvalidOperation.VpcMismatch",
            "InvalidParameter.SecurityGroupType",
        ],
        limits: &[],
        eval: eni::eni_zone_vpc,
        per_type: None,
    },
    Rule {
        id: id::ENI_INSTANCE_STATE,
        statement: "attach and detach need the instance Running or Stopped (Stopped for stopped-only types)",
        source: "API ref. AttachNetworkInterface; instance-family docs",
        codes: &["InvalidOperation.InvalidEcsState"],
        limits: &[],
        eval: eni::eni_instance_state,
        per_type: Some("stopped-only attach"),
    },
    Rule {
        id: id::ENI_PRIMARY,
        statement: "an instance's primary ENI is never detached or deleted",
        source: "API ref.",
        codes: &[
            "InvalidOperation.DetachPrimaryEniNotAllowed",
            "InvalidOperation.InvalidEniState",
        ],
        limits: &[],
        eval: eni::eni_primary,
        per_type: None,
    },
    Rule {
        id: id::ENI_SINGLE_ATTACH,
        statement: "an ENI attaches to one instance at a time (attach needs it Available)",
        source: "API ref.",
        codes: &["InvalidOperation.InvalidEniState"],
        limits: &[],
        eval: eni::eni_single_attach,
        per_type: None,
    },
    Rule {
        id: id::EIP_TARGET_KIND,
        statement: "an EIP binds only to a VPC ECS instance, a private SLB, a secondary ENI (primary in NAT mode where allowed), a NAT gateway, a HAVIP or a VPC IP address",
        source: "B: EIP可以绑定到哪些云资源",
        codes: &["OperationDenied", "InvalidInstanceType.ValueNotSupported"],
        limits: &["nat_mode_eip_on_primary_eni", "ip_address_eip_target"],
        eval: eip::eip_target_kind,
        per_type: None,
    },
    Rule {
        id: id::EIP_ONE_TARGET,
        statement: "an EIP is bound to one resource at a time (only an Available EIP binds)",
        source: "B: 一个EIP同时只能绑定一个云资源",
        codes: &["IncorrectEipStatus"],
        limits: &[],
        eval: eip::eip_one_target,
        per_type: None,
    },
    Rule {
        id: id::EIP_SAME_REGION,
        statement: "EIP and target in the same region",
        source: "B: 不支持跨区域绑定",
        codes: &["InvalidParameter.Mismatch"],
        limits: &[],
        eval: eip::eip_same_region,
        per_type: None,
    },
    Rule {
        id: id::EIP_ECS_STATE,
        statement: "an ECS target is Running or Stopped",
        source: "B: 只有运行中或者已停止状态的ECS实例才能绑定EIP",
        codes: &["IncorrectInstanceStatus"],
        limits: &[],
        eval: eip::eip_ecs_state,
        per_type: None,
    },
    Rule {
        id: id::EIP_ECS_SINGLE,
        statement: "an ECS instance with a fixed public IP or another EIP takes no EIP",
        source: "B: 已经分配了公网IP或绑定了其他EIP",
        codes: &["InvalidAssociation.Duplicated"],
        limits: &[],
        eval: eip::eip_ecs_single,
        per_type: None,
    },
    Rule {
        id: id::EIP_ECS_DNAT,
        statement: "an ECS instance that is a NAT gateway DNAT target takes no EIP",
        source: "B: 是否还支持通过NAT网关的DNAT功能",
        codes: &["BIND_INSTANCE_HAVE_PORTMAP_OR_BIND_EIP"],
        limits: &[],
        eval: eip::eip_ecs_dnat,
        per_type: None,
    },
    Rule {
        id: id::EIP_NAT_QUOTA,
        statement: "a NAT gateway takes at most 20 EIPs (2021: at most 10 PayByTraffic)",
        source: "B: 一个NAT网关支持绑定20个EIP",
        codes: &["QuotaExceeded.Eip"],
        limits: &["nat_gateway_eips", "nat_gateway_paybytraffic_eips"],
        eval: eip::eip_nat_quota,
        per_type: None,
    },
    Rule {
        id: id::EIP_HAVIP_SINGLE,
        statement: "a HAVIP takes 1 EIP, only while Available or Allocated",
        source: "B",
        codes: &["InvalidAssociation.Duplicated", "IncorrectHaVipStatus"],
        limits: &[],
        eval: eip::eip_havip_single,
        per_type: None,
    },
    Rule {
        id: id::EIP_SLB_SINGLE,
        statement: "a private SLB takes 1 EIP",
        source: "B",
        codes: &["InvalidAssociation.Duplicated"],
        limits: &[],
        eval: eip::eip_slb_single,
        per_type: None,
    },
    Rule {
        id: id::EIP_ENI_NAT_MODE,
        statement: "NAT mode on an ENI: one EIP per private IP, and private_ip_address must be one of the ENI's IPs",
        source: "B: 普通模式…绑定到一个辅助弹性网卡的辅助私网IP上",
        codes: &["InvalidParameter"],
        limits: &[],
        eval: eip::eip_eni_nat_mode,
        per_type: None,
    },
    Rule {
        id: id::EIP_ENI_BINDED,
        statement: "BINDED mode: one EIP, on a secondary ENI that is not attached at bind time",
        source: "B: EIP网卡可见模式",
        codes: &["InvalidParameter", "InvalidStatus.EniStatusNotSupport"],
        limits: &[],
        eval: eip::eip_eni_binded,
        per_type: None,
    },
    Rule {
        id: id::EIP_ENI_MULTI,
        statement: "MULTI_BINDED: up to 10 EIPs on a secondary ENI that is not attached at bind time",
        source: "B: 多EIP网卡可见模式",
        codes: &[
            "QuotaExceeded.Eip",
            "InvalidStatus.EniStatusNotSupport",
            "InvalidParameter",
        ],
        limits: &["multi_binded_eips_per_eni"],
        eval: eip::eip_eni_multi,
        per_type: None,
    },
];

/// The README section listing every rule, its statement and its limit in each profile, written
/// from this table and the built-in profiles (a unit test keeps README.md equal to it).
pub fn readme_block() -> String {
    use crate::limits::{Limits, ProfileName};
    let cur = Limits::profile(ProfileName::Current).entries();
    let old = Limits::profile(ProfileName::Y2021).entries();
    let show = |v: &serde_json::Value| match v {
        serde_json::Value::Null => "none".to_string(),
        other => other.to_string(),
    };
    let mut out = String::from(
        "<!-- rules:begin -->\n## Rules netform checks\n\nGenerated from `src/rules/mod.rs` and `src/limits.rs`; \
         each rule is checked at plan time and enforced by the simulator with the codes shown. \
         Override a limit in a world file's `limits` section or the provider block.\n\n\
         | id | rule | limit `current` | limit `2021` | codes |\n| --- | --- | --- | --- | --- |\n",
    );
    for r in RULES {
        let mut c = Vec::new();
        let mut o = Vec::new();
        for k in r.limits {
            if let (Some(a), Some(b)) = (
                cur.iter().find(|e| e.key == *k),
                old.iter().find(|e| e.key == *k),
            ) {
                c.push(format!("`{k}` = {}", show(&a.value)));
                o.push(format!("`{k}` = {}", show(&b.value)));
            }
        }
        if let Some(t) = r.per_type {
            c.push(format!("per instance type: {t}"));
            o.push(format!("per instance type: {t}"));
        }
        let dash = |v: Vec<String>| {
            if v.is_empty() {
                "—".to_string()
            } else {
                v.join("; ")
            }
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            r.id,
            r.statement,
            dash(c),
            dash(o),
            r.codes.join(", ")
        ));
    }
    out.push_str("<!-- rules:end -->\n");
    out
}

pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_each_rule_has_a_code() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        assert_eq!(RULES.len(), 26);
        assert!(RULES.iter().all(|r| !r.codes.is_empty()));
    }

    #[test]
    fn every_limit_key_exists_in_the_profiles() {
        let keys: Vec<&str> = crate::limits::Limits::profile(crate::limits::ProfileName::Current)
            .entries()
            .iter()
            .map(|e| e.key)
            .collect();
        for r in RULES {
            for k in r.limits {
                assert!(keys.contains(k), "{}: {k}", r.id);
            }
        }
    }

    type Case<'a> = (&'static str, Facts<'a>, &'a Limits);

    /// One violating situation per ENI and address rule.
    fn eni_cases<'a>(
        old: &'a Limits,
        cur: &'a Limits,
        g6: &'a crate::limits::InstanceType,
        t6: &'a crate::limits::InstanceType,
    ) -> Vec<Case<'a>> {
        let addr = |ip: &str, net: &str| {
            Facts::Address(Address {
                ip: ip.parse().expect("ip"),
                cidr: Some(net.parse().expect("net")),
                repeated: false,
                on_this_eni: false,
                in_use: false,
            })
        };
        vec![
            (
                "ip-available-cap",
                Facts::Ipv4Count {
                    on: Placement::Available,
                    secondary: 11,
                },
                old,
            ),
            (
                "ip-instance-type-cap",
                Facts::Ipv4Count {
                    on: Placement::Attached(Some(g6)),
                    secondary: 6,
                },
                cur,
            ),
            (
                "ip-primary-eni-state",
                Facts::PrimaryEniIps {
                    instance_status: "Starting",
                },
                cur,
            ),
            ("ip-in-vswitch", addr("10.0.2.5", "10.0.1.0/24"), cur),
            ("ip-reserved", addr("10.0.1.253", "10.0.1.0/24"), cur),
            (
                "ip-unique",
                Facts::Address(Address {
                    ip: "10.0.1.5".parse().expect("ip"),
                    cidr: None,
                    repeated: false,
                    on_this_eni: false,
                    in_use: true,
                }),
                cur,
            ),
            (
                "ip-vswitch-capacity",
                Facts::FreeAddresses { free: 2, need: 3 },
                cur,
            ),
            (
                "ip-sg-capacity",
                Facts::SecurityGroup {
                    enterprise: false,
                    enis: 1,
                    ips: 2001,
                },
                old,
            ),
            (
                "ipv6-cap",
                Facts::Ipv6Count {
                    on: Placement::Available,
                    count: 11,
                    vswitch_ipv6: true,
                },
                cur,
            ),
            (
                "eni-per-instance",
                Facts::EnisOnInstance { ty: g6, total: 3 },
                cur,
            ),
            (
                "eni-zone-vpc",
                Facts::AttachPlace {
                    eni_zone: "a",
                    eni_vpc: "v",
                    instance_zone: Some("b"),
                    instance_vpc: None,
                },
                cur,
            ),
            (
                "eni-instance-state",
                Facts::InstanceState {
                    status: "Running",
                    stopped_only: t6.stopped_only_attach,
                },
                cur,
            ),
            (
                "eni-primary",
                Facts::EniOperation {
                    op: EniOp::Detach,
                    primary: true,
                },
                cur,
            ),
            ("eni-single-attach", Facts::Attach { attached: true }, cur),
        ]
    }

    /// One violating situation per EIP rule.
    fn eip_cases<'a>(old: &'a Limits, cur: &'a Limits) -> Vec<Case<'a>> {
        let bind = |mode, f: fn(&mut EniBind)| {
            let mut b = EniBind {
                mode,
                eips: 1,
                ..EniBind::default()
            };
            f(&mut b);
            Facts::EniBind(b)
        };
        vec![
            (
                "eip-target-kind",
                Facts::EipTarget(EipTarget {
                    kind: "IpAddress",
                    ..EipTarget::default()
                }),
                old,
            ),
            ("eip-one-target", Facts::Bind { eip_bound: true }, cur),
            (
                "eip-same-region",
                Facts::Regions {
                    eip: "cn-beijing",
                    target: "cn-hangzhou",
                },
                cur,
            ),
            (
                "eip-ecs-state",
                Facts::EcsBind {
                    status: "Starting",
                    public_ip: false,
                    other_eips: 0,
                    dnat_target: false,
                },
                cur,
            ),
            (
                "eip-ecs-single",
                Facts::EcsBind {
                    status: "Running",
                    public_ip: true,
                    other_eips: 0,
                    dnat_target: false,
                },
                cur,
            ),
            (
                "eip-ecs-dnat",
                Facts::EcsBind {
                    status: "Running",
                    public_ip: false,
                    other_eips: 0,
                    dnat_target: true,
                },
                cur,
            ),
            (
                "eip-nat-quota",
                Facts::NatBind {
                    eips: 11,
                    pay_by_traffic: Some(11),
                },
                old,
            ),
            (
                "eip-havip-single",
                Facts::HavipBind {
                    status: "Available",
                    eips: 2,
                },
                cur,
            ),
            ("eip-slb-single", Facts::SlbBind { eips: 2 }, cur),
            (
                "eip-eni-nat-mode",
                bind("NAT", |b| b.address_on_eni = Some(false)),
                cur,
            ),
            ("eip-eni-binded", bind("BINDED", |b| b.attached = true), cur),
            ("eip-eni-multi", bind("MULTI_BINDED", |b| b.eips = 11), cur),
        ]
    }

    /// One violating situation per rule: each row's `eval` decides its own rule, with one of its
    /// own codes, and `evaluate` finds it (so no rule is unreachable from the table).
    #[test]
    fn every_rule_refuses_a_case_with_one_of_its_codes() {
        use crate::limits::ProfileName;
        let old = Limits::profile(ProfileName::Y2021);
        let cur = Limits::profile(ProfileName::Current);
        let g6 = cur
            .instance_type("ecs.g6.large")
            .expect("ecs.g6.large")
            .clone();
        let t6 = cur
            .instance_type("ecs.t6-c1m2.large")
            .expect("ecs.t6-c1m2.large")
            .clone();
        let mut cases = eni_cases(&old, &cur, &g6, &t6);
        cases.extend(eip_cases(&old, &cur));
        assert_eq!(cases.len(), RULES.len());
        for (id, facts, limits) in &cases {
            let r = rule(id).expect("rule");
            let v = (r.eval)(facts, limits).unwrap_or_else(|| panic!("{id} holds for {facts:?}"));
            assert_eq!(v.rule, *id);
            assert!(
                r.codes.contains(&v.code),
                "{id}: {} not in the table",
                v.code
            );
            assert_eq!(evaluate(facts, limits).map(|v| v.rule), Some(*id));
        }
    }

    /// rules.md: a HAVIP takes an EIP only while Available or Allocated — not while InUse.
    #[test]
    fn a_havip_takes_an_eip_only_while_available_or_allocated() {
        let l = crate::limits::Limits::profile(crate::limits::ProfileName::Current);
        for (status, ok) in [
            ("Available", true),
            ("Allocated", true),
            ("InUse", false),
            ("Creating", false),
        ] {
            let f = Facts::HavipBind { status, eips: 1 };
            assert_eq!(evaluate(&f, &l).is_none(), ok, "{status}");
        }
    }

    #[test]
    fn counts_are_judged_at_the_limit_and_one_past_it() {
        let l = crate::limits::Limits::profile(crate::limits::ProfileName::Current);
        let at = Facts::Ipv4Count {
            on: Placement::Available,
            secondary: 49,
        };
        assert_eq!(evaluate(&at, &l), None);
        let past = Facts::Ipv4Count {
            on: Placement::Available,
            secondary: 50,
        };
        let v = evaluate(&past, &l).expect("past the cap");
        assert_eq!((v.limit, v.asked), (Some(49), Some(50)));
        assert_eq!(v.key, Some("available_eni_secondary_ipv4"));
        // An attached ENI of an unknown type is not judged (no false rejection).
        let unknown = Facts::Ipv4Count {
            on: Placement::Attached(None),
            secondary: 500,
        };
        assert_eq!(evaluate(&unknown, &l), None);
    }

    /// README.md holds exactly the generated block, so it cannot drift from the table.
    /// (Regenerate: `NETFORM_WRITE_README=1 cargo test --lib readme`.)
    #[test]
    fn readme_lists_the_rules_from_the_table() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
        let text = std::fs::read_to_string(&path).expect("README.md");
        let block = readme_block();
        if std::env::var_os("NETFORM_WRITE_README").is_some() {
            let start = text.find("<!-- rules:begin -->");
            let end = text
                .find("<!-- rules:end -->\n")
                .map(|i| i + "<!-- rules:end -->\n".len());
            let new = match (start, end) {
                (Some(s), Some(e)) => format!("{}{}{}", &text[..s], block, &text[e..]),
                _ => format!(
                    "{}\n{}",
                    text.trim_end_matches('\n').to_string() + "\n",
                    block
                ),
            };
            std::fs::write(&path, new).expect("write README.md");
            return;
        }
        assert!(
            text.contains(&block),
            "README.md's rules section is stale; run NETFORM_WRITE_README=1 cargo test --lib readme"
        );
        for r in RULES {
            assert!(block.contains(r.id));
        }
    }
}
