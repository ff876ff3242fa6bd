//! The table of Alibaba Cloud's rules (rules.md): one row per rule, read by the simulator when it
//! refuses a request and by the plan-time checker when it refuses a plan, so a rule's id, wording,
//! source and error codes are written once.

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
    /// The instance-type column the rule reads, if any (DescribeInstanceTypes' name).
    pub per_type: Option<&'static str>,
}

pub static RULES: &[Rule] = &[
    Rule {
        id: "ip-available-cap",
        statement: "an ENI that is not attached (Available) holds at most the profile's secondary IPv4 cap",
        source: "A: 弹性网卡处于可用状态时，最多可以分配10个私网IP地址",
        codes: &["MaxEniPrivateIpsCountExceeded"],
        limits: &["available_eni_secondary_ipv4"],
        per_type: None,
    },
    Rule {
        id: "ip-instance-type-cap",
        statement: "an attached ENI holds at most its instance type's EniPrivateIpAddressQuantity private IPv4, primary included; an ENI holding more cannot be attached",
        source: "A: 已绑定状态…与实例规格相关",
        codes: &["InvalidOperation.Ipv4CountExceeded"],
        limits: &[],
        per_type: Some("EniPrivateIpAddressQuantity"),
    },
    Rule {
        id: "ip-primary-eni-state",
        statement: "assigning or unassigning IPs on a primary ENI needs its instance Running or Stopped",
        source: "A: 主弹性网卡绑定的实例必须处于运行中或者已停止状态",
        codes: &["InvalidOperation.InvalidEcsState"],
        limits: &[],
        per_type: None,
    },
    Rule {
        id: "ip-in-vswitch",
        statement: "a given address lies in the ENI's vSwitch CIDR (IPv6: its IPv6 CIDR)",
        source: "A: 取值在IPv4私网网段和IPv6私网网段中即可",
        codes: &["InvalidVSwitchId.IpInvalid"],
        limits: &[],
        per_type: None,
    },
    Rule {
        id: "ip-reserved",
        statement: "an address is not the first nor one of the last three of its vSwitch CIDR (IPv6: first, last nine)",
        source: "API ref. CreateVSwitch",
        codes: &["InvalidVSwitchId.IpInvalid"],
        limits: &[],
        per_type: None,
    },
    Rule {
        id: "ip-unique",
        statement: "an address is not already in use in the vSwitch, not twice in one request or plan, not already on the ENI",
        source: "API ref.",
        codes: &[
            "InvalidPrivateIpAddress.Duplicated",
            "InvalidIp.IpRepeated",
            "InvalidIp.IpAssigned",
        ],
        limits: &[],
        per_type: None,
    },
    Rule {
        id: "ip-vswitch-capacity",
        statement: "automatic allocation needs enough free addresses in the vSwitch",
        source: "API ref.",
        codes: &["InvalidVSwitchId.IpNotEnough"],
        limits: &[],
        per_type: None,
    },
    Rule {
        id: "ip-sg-capacity",
        statement: "a basic security group holds at most the profile's private-IP count; an advanced group at most 65,536 ENIs",
        source: "A: 专有网络类型安全组能容纳的私网IP地址数量存在限制",
        codes: &["SecurityGroupInstanceLimitExceed"],
        limits: &["basic_sg_private_ips", "enterprise_sg_enis"],
        per_type: None,
    },
    Rule {
        id: "ipv6-cap",
        statement: "IPv6 per ENI: the profile's cap when Available, EniIpv6AddressQuantity when attached; needs an IPv6 vSwitch and a type with IPv6",
        source: "API ref. AssignIpv6Addresses",
        codes: &[
            "MaxEniIpv6IpsCountExceeded",
            "InvalidOperation.Ipv6CountExceeded",
            "InvalidVSwitch.Ipv6NotTurnOn",
            "InvalidOperation.Ipv6NotSupport",
        ],
        limits: &["available_eni_ipv6"],
        per_type: Some("EniIpv6AddressQuantity"),
    },
    Rule {
        id: "eni-per-instance",
        statement: "ENIs on an instance ≤ its type's EniQuantity, primary included",
        source: "API ref.",
        codes: &["EniPerInstanceLimitExceeded"],
        limits: &[],
        per_type: Some("EniQuantity"),
    },
    Rule {
        id: "eni-zone-vpc",
        statement: "ENI and instance in the same zone and VPC; security groups in that VPC and all of one type",
        source: "API ref.",
        codes: &[
            "InvalidOperation.AvailabilityZoneMismatch",
            "InvalidOperation.VpcMismatch",
        ],
        limits: &[],
        per_type: None,
    },
    Rule {
        id: "eni-instance-state",
        statement: "attach and detach need the instance Running or Stopped (Stopped for stopped-only types)",
        source: "API ref. AttachNetworkInterface; instance-family docs",
        codes: &["InvalidOperation.InvalidEcsState"],
        limits: &[],
        per_type: Some("stopped-only attach"),
    },
    Rule {
        id: "eni-primary",
        statement: "an instance's primary ENI is never detached or deleted",
        source: "API ref.",
        codes: &[
            "InvalidOperation.DetachPrimaryEniNotAllowed",
            "InvalidOperation.InvalidEniState",
        ],
        limits: &[],
        per_type: None,
    },
    Rule {
        id: "eni-single-attach",
        statement: "an ENI attaches to one instance at a time (attach needs it Available)",
        source: "API ref.",
        codes: &["InvalidOperation.InvalidEniState"],
        limits: &[],
        per_type: None,
    },
    Rule {
        id: "eip-target-kind",
        statement: "an EIP binds only to a VPC ECS instance, a private SLB, a secondary ENI (primary in NAT mode where allowed), a NAT gateway, a HAVIP or a VPC IP address",
        source: "B: EIP可以绑定到哪些云资源",
        codes: &["OperationDenied", "InvalidInstanceType.ValueNotSupported"],
        limits: &["nat_mode_eip_on_primary_eni", "ip_address_eip_target"],
        per_type: None,
    },
    Rule {
        id: "eip-one-target",
        statement: "an EIP is bound to one resource at a time (only an Available EIP binds)",
        source: "B: 一个EIP同时只能绑定一个云资源",
        codes: &["IncorrectEipStatus"],
        limits: &[],
        per_type: None,
    },
    Rule {
        id: "eip-same-region",
        statement: "EIP and target in the same region",
        source: "B: 不支持跨区域绑定",
        codes: &["InvalidParameter.Mismatch"],
        limits: &[],
        per_type: None,
    },
    Rule {
        id: "eip-ecs-state",
        statement: "an ECS target is Running or Stopped",
        source: "B: 只有运行中或者已停止状态的ECS实例才能绑定EIP",
        codes: &["IncorrectInstanceStatus"],
        limits: &[],
        per_type: None,
    },
    Rule {
        id: "eip-ecs-single",
        statement: "an ECS instance with a fixed public IP or another EIP takes no EIP",
        source: "B: 已经分配了公网IP或绑定了其他EIP",
        codes: &["InvalidAssociation.Duplicated"],
        limits: &[],
        per_type: None,
    },
    Rule {
        id: "eip-ecs-dnat",
        statement: "an ECS instance that is a NAT gateway DNAT target takes no EIP",
        source: "B: 是否还支持通过NAT网关的DNAT功能",
        codes: &["BIND_INSTANCE_HAVE_PORTMAP_OR_BIND_EIP"],
        limits: &[],
        per_type: None,
    },
    Rule {
        id: "eip-nat-quota",
        statement: "a NAT gateway takes at most 20 EIPs (2021: at most 10 PayByTraffic)",
        source: "B: 一个NAT网关支持绑定20个EIP",
        codes: &["QuotaExceeded.Eip"],
        limits: &["nat_gateway_eips", "nat_gateway_paybytraffic_eips"],
        per_type: None,
    },
    Rule {
        id: "eip-havip-single",
        statement: "a HAVIP takes 1 EIP, only while Available or Allocated",
        source: "B",
        codes: &["InvalidAssociation.Duplicated", "IncorrectHaVipStatus"],
        limits: &[],
        per_type: None,
    },
    Rule {
        id: "eip-slb-single",
        statement: "a private SLB takes 1 EIP",
        source: "B",
        codes: &["InvalidAssociation.Duplicated"],
        limits: &[],
        per_type: None,
    },
    Rule {
        id: "eip-eni-nat-mode",
        statement: "NAT mode on an ENI: one EIP per private IP, and private_ip_address must be one of the ENI's IPs",
        source: "B: 普通模式…绑定到一个辅助弹性网卡的辅助私网IP上",
        codes: &["InvalidParameter"],
        limits: &[],
        per_type: None,
    },
    Rule {
        id: "eip-eni-binded",
        statement: "BINDED mode: one EIP, on a secondary ENI that is not attached at bind time",
        source: "B: EIP网卡可见模式",
        codes: &["InvalidParameter", "InvalidStatus.EniStatusNotSupport"],
        limits: &[],
        per_type: None,
    },
    Rule {
        id: "eip-eni-multi",
        statement: "MULTI_BINDED: up to 10 EIPs on a secondary ENI that is not attached at bind time",
        source: "B: 多EIP网卡可见模式",
        codes: &["QuotaExceeded.Eip", "InvalidStatus.EniStatusNotSupport"],
        limits: &["multi_binded_eips_per_eni"],
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
        "<!-- rules:begin -->\n## Rules netform checks\n\nGenerated from `src/rules.rs` and `src/limits.rs`; \
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
