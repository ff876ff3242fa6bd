//! Alibaba Cloud's limits as dated data (rules.md "Limits are dated data").
//!
//! Alibaba changes its numbers, so no limit lives in code: each one is a [`Dated`] value carrying
//! where it comes from and when that source said so. A [`Limits`] profile (`current` or `2021`,
//! the seed documents' era) is what the plan-time checker and the simulator both read, so the two
//! can never disagree about a number. A world file or a provider block may override any value
//! through [`LimitOverrides`].

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Which set of dated values to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ProfileName {
    /// Today's documented values; the default for the real cloud and the built-in world.
    #[default]
    Current,
    /// The seed documents' own numbers, and the API reference of that time where they give none.
    #[serde(rename = "2021")]
    Y2021,
}

impl ProfileName {
    /// The name as written in a world file or provider block.
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileName::Current => "current",
            ProfileName::Y2021 => "2021",
        }
    }
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an overridden value's provenance points: the override itself, since netform cannot know
/// what document the user had in mind.
pub const OVERRIDE_SOURCE: &str = "override (world file or provider block)";
/// The date recorded for an overridden value.
pub const OVERRIDE_DATE: &str = "override";

/// A limit value with its source and date, so every message quoting a limit can say where it
/// comes from (and a stale number is visibly stale).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dated<T> {
    pub value: T,
    pub source: &'static str,
    pub date: &'static str,
}

impl<T> Dated<T> {
    fn new(value: T, source: &'static str, date: &'static str) -> Self {
        Dated {
            value,
            source,
            date,
        }
    }

    fn overridden(value: T) -> Self {
        Dated::new(value, OVERRIDE_SOURCE, OVERRIDE_DATE)
    }
}

/// One row of the instance-type table (DescribeInstanceTypes' names, snake_cased).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceType {
    pub id: String,
    /// ENIs per instance, the primary included (`EniQuantity`).
    pub eni_quantity: u32,
    /// Private IPv4 addresses per ENI, its primary included (`EniPrivateIpAddressQuantity`).
    pub eni_private_ip_address_quantity: u32,
    /// IPv6 addresses per ENI; 0 means the type has no IPv6 (`EniIpv6AddressQuantity`).
    pub eni_ipv6_address_quantity: u32,
    /// ENIs attach and detach only while the instance is Stopped.
    pub stopped_only_attach: bool,
    /// Whether every number in the row was checked against a public source.
    #[serde(default)]
    pub verified: bool,
    /// Where the row comes from, and what could not be confirmed.
    #[serde(default)]
    pub source: String,
}

impl InstanceType {
    /// The family part of the id (`ecs.g7` for `ecs.g7.xlarge`), as `instance_type_family`
    /// filters expect.
    pub fn family(&self) -> &str {
        match self.id.rfind('.') {
            Some(i) if i > 0 => &self.id[..i],
            _ => &self.id,
        }
    }

    /// Whether the type supports IPv6 at all.
    pub fn supports_ipv6(&self) -> bool {
        self.eni_ipv6_address_quantity > 0
    }
}

/// A limits profile: every number the rules in rules.md depend on.
#[derive(Clone, Debug)]
pub struct Limits {
    pub profile: ProfileName,
    /// Secondary private IPv4 on an Available (unattached) ENI (rule ip-available-cap).
    pub available_eni_secondary_ipv4: Dated<u32>,
    /// Addresses per Assign call (`PrivateIpAddress.N`, `Ipv6Address.N`).
    pub ips_per_assign_call: Dated<u32>,
    /// IPv6 addresses on an Available ENI (rule ipv6-cap).
    pub available_eni_ipv6: Dated<u32>,
    /// Private IPs (IPv4 and IPv6) in a basic security group (rule ip-sg-capacity).
    pub basic_sg_private_ips: Dated<u32>,
    /// ENIs in an advanced (enterprise) security group (rule ip-sg-capacity).
    pub enterprise_sg_enis: Dated<u32>,
    /// EIPs on one NAT gateway (rule eip-nat-quota).
    pub nat_gateway_eips: Dated<u32>,
    /// Of those, how many may be PayByTraffic; `None` when there is no separate cap.
    pub nat_gateway_paybytraffic_eips: Dated<Option<u32>>,
    /// EIPs on one ENI in MULTI_BINDED mode (rule eip-eni-multi).
    pub multi_binded_eips_per_eni: Dated<u32>,
    /// Whether a NAT-mode EIP may bind to an instance's primary ENI (rule eip-target-kind).
    pub nat_mode_eip_on_primary_eni: Dated<bool>,
    /// Whether `InstanceType = IpAddress` is a valid EIP target (rule eip-target-kind).
    pub ip_address_eip_target: Dated<bool>,
    pub instance_types: Vec<InstanceType>,
}

const CURRENT: &str = "2026-11";
const SEED_ERA: &str = "2021";

/// Sources, quoted from rules.md's source column (A = seeds/assign-secondary-private-ips.md,
/// B = seeds/eip-bind-faq.md).
mod src {
    pub const AVAIL_IPV4_CURRENT: &str =
        "API ref. AssignPrivateIpAddresses (2024-2026: 49 on an Available ENI)";
    pub const AVAIL_IPV4_2021: &str = "A: 弹性网卡处于可用状态时，最多可以分配10个私网IP地址";
    pub const PER_CALL: &str = "API ref. AssignPrivateIpAddresses PrivateIpAddress.N / AssignIpv6Addresses Ipv6Address.N (1-10); Terway batches 10";
    pub const AVAIL_IPV6: &str =
        "API ref. AssignIpv6Addresses: an Available ENI takes at most 10 IPv6 addresses";
    pub const BASIC_SG_CURRENT: &str =
        "ECS security-group limits page (basic group: 6,000 private IPs, IPv6 counted)";
    pub const BASIC_SG_2021: &str = "A: 专有网络类型安全组能容纳的私网IP地址数量存在限制; ECS security-group limits page (2021: 2,000)";
    pub const ENTERPRISE_SG: &str = "ECS security-group limits page (advanced group: 65,536 ENIs)";
    pub const NAT_EIPS: &str = "B: 一个NAT网关支持绑定20个EIP";
    pub const NAT_PBT_CURRENT: &str =
        "EIP limits page (current: 20 EIPs per NAT gateway, no separate PayByTraffic cap)";
    pub const NAT_PBT_2021: &str =
        "B: 一个NAT网关支持绑定20个EIP，其中最多支持绑定10个按使用流量计费的EIP";
    pub const MULTI_BINDED: &str = "B: 多EIP网卡可见模式; EIP limits page (10 EIPs per ENI)";
    pub const NAT_PRIMARY_CURRENT: &str =
        "EIP NAT-mode docs 2025: a NAT-mode EIP may bind to a primary ENI";
    pub const NAT_PRIMARY_2021: &str = "B: 专有网络类型的辅助弹性网卡 (secondary ENIs only)";
    pub const IP_ADDRESS_CURRENT: &str =
        "API ref. AssociateEipAddress InstanceType=IpAddress (an IP address in a VPC)";
    pub const IP_ADDRESS_2021: &str =
        "B: EIP可以绑定到哪些云资源 (no IpAddress target in the seed era)";
}

impl Limits {
    /// The named profile with its built-in instance-type table.
    pub fn profile(name: ProfileName) -> Limits {
        let same = |v: u32, s: &'static str| match name {
            ProfileName::Current => Dated::new(v, s, CURRENT),
            ProfileName::Y2021 => Dated::new(v, s, SEED_ERA),
        };
        match name {
            ProfileName::Current => Limits {
                profile: name,
                available_eni_secondary_ipv4: Dated::new(49, src::AVAIL_IPV4_CURRENT, CURRENT),
                ips_per_assign_call: same(10, src::PER_CALL),
                available_eni_ipv6: same(10, src::AVAIL_IPV6),
                basic_sg_private_ips: Dated::new(6000, src::BASIC_SG_CURRENT, CURRENT),
                enterprise_sg_enis: same(65536, src::ENTERPRISE_SG),
                nat_gateway_eips: same(20, src::NAT_EIPS),
                nat_gateway_paybytraffic_eips: Dated::new(None, src::NAT_PBT_CURRENT, CURRENT),
                multi_binded_eips_per_eni: same(10, src::MULTI_BINDED),
                nat_mode_eip_on_primary_eni: Dated::new(true, src::NAT_PRIMARY_CURRENT, CURRENT),
                ip_address_eip_target: Dated::new(true, src::IP_ADDRESS_CURRENT, CURRENT),
                instance_types: builtin_instance_types(),
            },
            ProfileName::Y2021 => Limits {
                profile: name,
                available_eni_secondary_ipv4: Dated::new(10, src::AVAIL_IPV4_2021, SEED_ERA),
                ips_per_assign_call: same(10, src::PER_CALL),
                available_eni_ipv6: same(10, src::AVAIL_IPV6),
                basic_sg_private_ips: Dated::new(2000, src::BASIC_SG_2021, SEED_ERA),
                enterprise_sg_enis: same(65536, src::ENTERPRISE_SG),
                nat_gateway_eips: same(20, src::NAT_EIPS),
                nat_gateway_paybytraffic_eips: Dated::new(Some(10), src::NAT_PBT_2021, SEED_ERA),
                multi_binded_eips_per_eni: same(10, src::MULTI_BINDED),
                nat_mode_eip_on_primary_eni: Dated::new(false, src::NAT_PRIMARY_2021, SEED_ERA),
                ip_address_eip_target: Dated::new(false, src::IP_ADDRESS_2021, SEED_ERA),
                instance_types: builtin_instance_types(),
            },
        }
    }

    /// The table row for an instance type id.
    pub fn instance_type(&self, id: &str) -> Option<&InstanceType> {
        self.instance_types.iter().find(|t| t.id == id)
    }

    /// Applies a world file's / provider block's overrides. Unknown keys are refused when the
    /// overrides are deserialized (`deny_unknown_fields`); this refuses values that are known
    /// keys but cannot be right, naming the key.
    pub fn with_overrides(mut self, o: &LimitOverrides) -> Result<Limits, String> {
        fn positive(key: &str, v: u32) -> Result<u32, String> {
            if v == 0 {
                Err(format!(
                    "limits.{key}: 0 is not a usable limit; give a positive number or leave the key out"
                ))
            } else {
                Ok(v)
            }
        }
        if let Some(v) = o.available_eni_secondary_ipv4 {
            self.available_eni_secondary_ipv4 = Dated::overridden(v);
        }
        if let Some(v) = o.ips_per_assign_call {
            self.ips_per_assign_call = Dated::overridden(positive("ips_per_assign_call", v)?);
        }
        if let Some(v) = o.available_eni_ipv6 {
            self.available_eni_ipv6 = Dated::overridden(v);
        }
        if let Some(v) = o.basic_sg_private_ips {
            self.basic_sg_private_ips = Dated::overridden(positive("basic_sg_private_ips", v)?);
        }
        if let Some(v) = o.enterprise_sg_enis {
            self.enterprise_sg_enis = Dated::overridden(positive("enterprise_sg_enis", v)?);
        }
        if let Some(v) = o.nat_gateway_eips {
            self.nat_gateway_eips = Dated::overridden(v);
        }
        if let Some(v) = o.nat_gateway_paybytraffic_eips {
            self.nat_gateway_paybytraffic_eips = Dated::overridden(v);
        }
        if let Some(v) = o.multi_binded_eips_per_eni {
            self.multi_binded_eips_per_eni = Dated::overridden(v);
        }
        if let Some(v) = o.nat_mode_eip_on_primary_eni {
            self.nat_mode_eip_on_primary_eni = Dated::overridden(v);
        }
        if let Some(v) = o.ip_address_eip_target {
            self.ip_address_eip_target = Dated::overridden(v);
        }
        for (i, row) in o.instance_types.iter().enumerate() {
            let at = format!("limits.instance_types[{i}]");
            if row.id.trim().is_empty() {
                return Err(format!(
                    "{at}.id: an instance type needs an id (e.g. \"ecs.g7.xlarge\")"
                ));
            }
            if o.instance_types[..i].iter().any(|r| r.id == row.id) {
                return Err(format!(
                    "{at}.id: \"{}\" is overridden twice; keep one row per instance type",
                    row.id
                ));
            }
            if row.eni_quantity == 0 {
                return Err(format!(
                    "{at}.eni_quantity: must be at least 1 (the primary ENI counts)"
                ));
            }
            if row.eni_private_ip_address_quantity == 0 {
                return Err(format!(
                    "{at}.eni_private_ip_address_quantity: must be at least 1 (the ENI's primary IP counts)"
                ));
            }
            let mut row = row.clone();
            if row.source.is_empty() {
                row.source = OVERRIDE_SOURCE.to_string();
            }
            match self.instance_types.iter_mut().find(|t| t.id == row.id) {
                Some(existing) => *existing = row,
                None => self.instance_types.push(row),
            }
        }
        Ok(self)
    }

    /// Every scalar limit as (key, value, source, date), in a stable order, for rendering and
    /// for messages that quote a limit.
    pub fn entries(&self) -> Vec<LimitEntry> {
        fn e<T: Serialize>(key: &'static str, d: &Dated<T>) -> LimitEntry {
            LimitEntry {
                key,
                value: serde_json::to_value(&d.value).unwrap_or(serde_json::Value::Null),
                source: d.source,
                date: d.date,
            }
        }
        vec![
            e(
                "available_eni_secondary_ipv4",
                &self.available_eni_secondary_ipv4,
            ),
            e("ips_per_assign_call", &self.ips_per_assign_call),
            e("available_eni_ipv6", &self.available_eni_ipv6),
            e("basic_sg_private_ips", &self.basic_sg_private_ips),
            e("enterprise_sg_enis", &self.enterprise_sg_enis),
            e("nat_gateway_eips", &self.nat_gateway_eips),
            e(
                "nat_gateway_paybytraffic_eips",
                &self.nat_gateway_paybytraffic_eips,
            ),
            e("multi_binded_eips_per_eni", &self.multi_binded_eips_per_eni),
            e(
                "nat_mode_eip_on_primary_eni",
                &self.nat_mode_eip_on_primary_eni,
            ),
            e("ip_address_eip_target", &self.ip_address_eip_target),
        ]
    }
}

/// One scalar limit, flattened for display.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LimitEntry {
    pub key: &'static str,
    pub value: serde_json::Value,
    pub source: &'static str,
    pub date: &'static str,
}

/// Overrides from a world file's `limits` section or a provider block: every key optional, an
/// unknown key an error.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitOverrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_eni_secondary_ipv4: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ips_per_assign_call: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_eni_ipv6: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_sg_private_ips: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_sg_enis: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nat_gateway_eips: Option<u32>,
    /// Absent: keep the profile's value; `null`: no separate PayByTraffic cap; a number: that cap.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub nat_gateway_paybytraffic_eips: Option<Option<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_binded_eips_per_eni: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nat_mode_eip_on_primary_eni: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address_eip_target: Option<bool>,
    /// Rows that replace the built-in row with the same id, or add a new type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_types: Vec<InstanceType>,
}

impl LimitOverrides {
    /// Whether nothing is overridden.
    pub fn is_empty(&self) -> bool {
        self == &LimitOverrides::default()
    }
}

/// Distinguishes an explicit `null` (Some(None)) from an absent key (None, via `default`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// The built-in instance-type table. ENI and IPv4 numbers are the 2021 instance-family docs'
/// (as listed in the brief); the IPv6 column and `verified` record what could be checked.
fn builtin_instance_types() -> Vec<InstanceType> {
    const FAMILY_DOCS: &str = "ECS instance-family docs (2021): ENIs and private IPv4 per ENI";
    const T6_STOPPED: &str = "ECS 'Bind a secondary ENI' docs: ecs.t6-c1m1/c1m2/c1m4/c2m1/c4m1.large attach ENIs only while Stopped";
    let row =
        |id: &str, enis: u32, ipv4: u32, ipv6: u32, verified: bool, note: &str| InstanceType {
            id: id.to_string(),
            eni_quantity: enis,
            eni_private_ip_address_quantity: ipv4,
            eni_ipv6_address_quantity: ipv6,
            stopped_only_attach: false,
            verified,
            source: format!("{FAMILY_DOCS}; {note}"),
        };
    let g5 = "IPv6 0 NOT VERIFIED: the 2021 g5 table has no IPv6 column, and same-generation ecs.ic5.large / ecs.ebmg5.24xlarge report EniIpv6AddressQuantity 0 in a recorded DescribeInstanceTypes dump";
    let gen6 =
        "IPv6 1 NOT VERIFIED: from memory of the 6th-generation tables (1 IPv6 address per ENI)";
    let gen7 = "IPv6 NOT VERIFIED: assumed equal to private IPv4 per ENI, as DescribeInstanceTypes reports for ecs.g7.xlarge";
    let t6 = "IPv6 1 NOT VERIFIED: no source found for t6's EniIpv6AddressQuantity";
    let mut rows = vec![
        row("ecs.g5.large", 2, 6, 0, false, g5),
        row("ecs.g5.xlarge", 3, 10, 0, false, g5),
        row(
            "ecs.g6.large",
            2,
            6,
            1,
            true,
            "IPv6 1: API ref. DescribeInstanceTypes sample response (EniQuantity 2, EniPrivateIpAddressQuantity 6, EniIpv6AddressQuantity 1)",
        ),
        row("ecs.g6.xlarge", 3, 10, 1, false, gen6),
        row("ecs.g6.2xlarge", 4, 10, 1, false, gen6),
        row("ecs.g6.4xlarge", 8, 20, 1, false, gen6),
        row(
            "ecs.g7.large",
            3,
            6,
            6,
            false,
            "private IPv4 6 also in the ECS IP-prefix docs; IPv6 NOT VERIFIED (assumed equal to IPv4 per ENI)",
        ),
        row(
            "ecs.g7.xlarge",
            4,
            15,
            15,
            true,
            "IPv6 15: a recorded DescribeInstanceTypes response (EniQuantity 4, EniPrivateIpAddressQuantity 15, EniIpv6AddressQuantity 15)",
        ),
        row("ecs.g7.2xlarge", 4, 15, 15, false, gen7),
        row("ecs.g7.4xlarge", 8, 30, 30, false, gen7),
        row("ecs.c6.large", 2, 6, 1, false, gen6),
        row("ecs.c7.large", 3, 6, 6, false, gen7),
        row("ecs.c7.2xlarge", 4, 15, 15, false, gen7),
        row("ecs.r6.large", 2, 6, 1, false, gen6),
        row("ecs.r7.2xlarge", 4, 15, 15, false, gen7),
    ];
    for id in [
        "ecs.t6-c1m1.large",
        "ecs.t6-c1m2.large",
        "ecs.t6-c1m4.large",
        "ecs.t6-c2m1.large",
        "ecs.t6-c4m1.large",
    ] {
        // Only c1m2's ENI/IPv4 numbers come from the brief's table; its siblings share the
        // `large` size and are assumed alike.
        let note = if id == "ecs.t6-c1m2.large" {
            format!("{T6_STOPPED}; {t6}")
        } else {
            format!("{T6_STOPPED}; ENIs/IPv4 assumed as ecs.t6-c1m2.large; {t6}")
        };
        let mut r = row(id, 2, 2, 1, false, &note);
        r.stopped_only_attach = true;
        rows.push(r);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_differ_where_rules_md_says() {
        let cur = Limits::profile(ProfileName::Current);
        let old = Limits::profile(ProfileName::Y2021);
        assert_eq!(cur.available_eni_secondary_ipv4.value, 49);
        assert_eq!(old.available_eni_secondary_ipv4.value, 10);
        assert_eq!(cur.basic_sg_private_ips.value, 6000);
        assert_eq!(old.basic_sg_private_ips.value, 2000);
        assert_eq!(cur.nat_gateway_paybytraffic_eips.value, None);
        assert_eq!(old.nat_gateway_paybytraffic_eips.value, Some(10));
        assert!(cur.nat_mode_eip_on_primary_eni.value);
        assert!(!old.nat_mode_eip_on_primary_eni.value);
        assert!(cur.ip_address_eip_target.value);
        assert!(!old.ip_address_eip_target.value);
        // And agree where rules.md gives one number for both.
        for (a, b) in cur.entries().iter().zip(old.entries()) {
            if [
                "ips_per_assign_call",
                "available_eni_ipv6",
                "enterprise_sg_enis",
                "nat_gateway_eips",
                "multi_binded_eips_per_eni",
            ]
            .contains(&a.key)
            {
                assert_eq!(a.value, b.value, "{}", a.key);
            }
        }
        assert_eq!(cur.available_eni_secondary_ipv4.date, "2026-11");
        assert_eq!(old.available_eni_secondary_ipv4.date, "2021");
        assert!(old.available_eni_secondary_ipv4.source.starts_with("A:"));
    }

    #[test]
    fn every_limit_carries_source_and_date() {
        for p in [ProfileName::Current, ProfileName::Y2021] {
            for e in Limits::profile(p).entries() {
                assert!(!e.source.is_empty(), "{p} {}", e.key);
                assert!(e.date == "2026-11" || e.date == "2021", "{p} {}", e.key);
            }
        }
    }

    #[test]
    fn instance_table_has_the_required_rows() {
        let l = Limits::profile(ProfileName::Current);
        let g7 = l.instance_type("ecs.g7.xlarge").unwrap();
        assert_eq!(
            (g7.eni_quantity, g7.eni_private_ip_address_quantity),
            (4, 15)
        );
        assert_eq!(g7.family(), "ecs.g7");
        let t6 = l.instance_type("ecs.t6-c1m2.large").unwrap();
        assert!(t6.stopped_only_attach);
        assert_eq!(
            (t6.eni_quantity, t6.eni_private_ip_address_quantity),
            (2, 2)
        );
        assert!(l.instance_types.iter().any(|t| !t.supports_ipv6()));
        assert!(
            !l.instance_type("ecs.g6.xlarge")
                .unwrap()
                .stopped_only_attach
        );
        assert!(l.instance_type("ecs.nope.large").is_none());
        for t in &l.instance_types {
            assert!(!t.source.is_empty(), "{}", t.id);
            if !t.verified {
                assert!(t.source.contains("NOT VERIFIED"), "{}", t.id);
            }
        }
    }

    #[test]
    fn overrides_apply_and_replace_or_add_rows() {
        let o: LimitOverrides = serde_json::from_str(
            r#"{ "available_eni_secondary_ipv4": 20, "nat_gateway_paybytraffic_eips": null,
                 "instance_types": [
                   { "id": "ecs.g7.xlarge", "eni_quantity": 2, "eni_private_ip_address_quantity": 3,
                     "eni_ipv6_address_quantity": 0, "stopped_only_attach": true },
                   { "id": "ecs.x9.large", "eni_quantity": 5, "eni_private_ip_address_quantity": 7,
                     "eni_ipv6_address_quantity": 7, "stopped_only_attach": false } ] }"#,
        )
        .unwrap();
        assert_eq!(o.nat_gateway_paybytraffic_eips, Some(None));
        let l = Limits::profile(ProfileName::Y2021)
            .with_overrides(&o)
            .unwrap();
        assert_eq!(l.available_eni_secondary_ipv4.value, 20);
        assert_eq!(l.available_eni_secondary_ipv4.source, OVERRIDE_SOURCE);
        assert_eq!(l.nat_gateway_paybytraffic_eips.value, None);
        assert_eq!(
            l.basic_sg_private_ips.value, 2000,
            "untouched keys keep the profile's value"
        );
        let g7 = l.instance_type("ecs.g7.xlarge").unwrap();
        assert_eq!(g7.eni_quantity, 2);
        assert!(g7.stopped_only_attach);
        assert_eq!(l.instance_type("ecs.x9.large").unwrap().eni_quantity, 5);
        assert_eq!(
            l.instance_types.len(),
            Limits::profile(ProfileName::Current).instance_types.len() + 1
        );
    }

    #[test]
    fn absent_paybytraffic_key_keeps_profile_value() {
        let o: LimitOverrides = serde_json::from_str(r#"{ "nat_gateway_eips": 30 }"#).unwrap();
        assert_eq!(o.nat_gateway_paybytraffic_eips, None);
        let l = Limits::profile(ProfileName::Y2021)
            .with_overrides(&o)
            .unwrap();
        assert_eq!(l.nat_gateway_paybytraffic_eips.value, Some(10));
        assert_eq!(l.nat_gateway_eips.value, 30);
    }

    #[test]
    fn unknown_override_key_is_an_error_naming_it() {
        let err = serde_json::from_str::<LimitOverrides>(r#"{ "available_eni_ips": 5 }"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("available_eni_ips"), "{err}");
        let err = serde_json::from_str::<LimitOverrides>(
            r#"{ "instance_types": [ { "id": "ecs.g7.large", "eni_quantity": 3,
                 "eni_private_ip_address_quantity": 6, "eni_ipv6_address_quantity": 6,
                 "stopped_only_attach": false, "enis": 2 } ] }"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("enis"), "{err}");
    }

    #[test]
    fn impossible_override_values_are_refused_naming_the_key() {
        let o = LimitOverrides {
            ips_per_assign_call: Some(0),
            ..Default::default()
        };
        let err = Limits::profile(ProfileName::Current)
            .with_overrides(&o)
            .unwrap_err();
        assert!(err.contains("ips_per_assign_call"), "{err}");
        let row = Limits::profile(ProfileName::Current).instance_types[0].clone();
        let o = LimitOverrides {
            instance_types: vec![row.clone(), row],
            ..Default::default()
        };
        let err = Limits::profile(ProfileName::Current)
            .with_overrides(&o)
            .unwrap_err();
        assert!(err.contains("twice"), "{err}");
    }

    #[test]
    fn profile_names_round_trip() {
        assert_eq!(
            serde_json::from_str::<ProfileName>("\"2021\"").unwrap(),
            ProfileName::Y2021
        );
        assert_eq!(
            serde_json::to_string(&ProfileName::Current).unwrap(),
            "\"current\""
        );
        assert!(serde_json::from_str::<ProfileName>("\"2020\"").is_err());
        assert_eq!(ProfileName::default(), ProfileName::Current);
    }
}
