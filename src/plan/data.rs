//! Data sources: read-only look-ups of what netform does not manage, answered from Describe calls
//! with terraform-provider-alicloud's attribute names, so configurations need no hard-coded ids.

use std::collections::BTreeMap;

use serde_json::Value as J;

use crate::lang::Value;
use crate::provider::api::Client;
use crate::provider::{ApiError, Params};
use crate::schema::Kind;

fn g(j: &J, k: &str) -> String {
    match j.get(k) {
        Some(J::String(s)) => s.clone(),
        Some(J::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn inner_list(j: &J, outer: &str, inner: &str) -> Vec<String> {
    j.get(outer)
        .and_then(|o| o.get(inner))
        .and_then(J::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn s(x: String) -> Value {
    Value::String(x)
}

fn strs(v: Vec<String>) -> Value {
    Value::List(v.into_iter().map(Value::String).collect())
}

/// A filter argument: `ids` (a list), `name_regex` and plain string filters.
struct Filters<'a>(&'a BTreeMap<String, Value>);

impl Filters<'_> {
    fn str(&self, k: &str) -> Option<&str> {
        self.0.get(k).and_then(Value::as_str)
    }

    fn ids_ok(&self, id: &str) -> bool {
        match self.0.get("ids").and_then(Value::as_seq) {
            Some(ids) => ids.iter().any(|v| v.as_str() == Some(id)),
            None => true,
        }
    }

    fn eq(&self, k: &str, v: &str) -> bool {
        self.str(k).is_none_or(|want| want == v)
    }

    fn name(&self, name: &str) -> bool {
        match self.str("name_regex") {
            Some(re) => regex_lite_match(re, name),
            None => true,
        }
    }
}

/// `name_regex` with RE2-like syntax, as the provider documents it; an invalid pattern matches
/// nothing (validation reports it before any call).
pub fn regex_lite_match(re: &str, text: &str) -> bool {
    regex_lite::Regex::new(re).is_ok_and(|r| r.is_match(text))
}

/// Reads a data source; returns its full value (arguments echoed, plus the result list).
pub fn read(kind: Kind, args: &BTreeMap<String, Value>, c: &Client) -> Result<Value, ApiError> {
    let f = Filters(args);
    let mut out: BTreeMap<String, Value> = args.clone();
    let (key, items): (&str, Vec<Value>) = match kind {
        Kind::DataInstances => {
            let list =
                c.describe_list("DescribeInstances", Params::new(), "Instances", "Instance")?;
            let items = list
                .iter()
                .filter(|i| f.ids_ok(&g(i, "InstanceId")) && f.name(&g(i, "InstanceName")))
                .filter(|i| {
                    f.eq("status", &g(i, "Status"))
                        && f.eq("availability_zone", &g(i, "ZoneId"))
                        && f.eq("instance_type", &g(i, "InstanceType"))
                })
                .filter(|i| {
                    let vpc = i.get("VpcAttributes").cloned().unwrap_or(J::Null);
                    f.eq("vpc_id", &g(&vpc, "VpcId")) && f.eq("vswitch_id", &g(&vpc, "VSwitchId"))
                })
                .map(|i| {
                    let vpc = i.get("VpcAttributes").cloned().unwrap_or(J::Null);
                    let private_ip = inner_list(&vpc, "PrivateIpAddress", "IpAddress")
                        .into_iter()
                        .next()
                        .unwrap_or_default();
                    let public_ip = inner_list(i, "PublicIpAddress", "IpAddress")
                        .into_iter()
                        .next()
                        .unwrap_or_default();
                    let eip = i
                        .get("EipAddress")
                        .map(|e| g(e, "IpAddress"))
                        .unwrap_or_default();
                    obj(vec![
                        ("id", s(g(i, "InstanceId"))),
                        ("name", s(g(i, "InstanceName"))),
                        ("instance_type", s(g(i, "InstanceType"))),
                        ("status", s(g(i, "Status"))),
                        ("availability_zone", s(g(i, "ZoneId"))),
                        ("region_id", s(g(i, "RegionId"))),
                        ("vpc_id", s(g(&vpc, "VpcId"))),
                        ("vswitch_id", s(g(&vpc, "VSwitchId"))),
                        ("private_ip", s(private_ip)),
                        ("public_ip", s(public_ip)),
                        ("eip", s(eip)),
                        (
                            "security_groups",
                            strs(inner_list(i, "SecurityGroupIds", "SecurityGroupId")),
                        ),
                        (
                            "primary_network_interface_id",
                            s(g(i, "PrimaryNetworkInterfaceId")),
                        ),
                        ("network_type", s(g(i, "InstanceNetworkType"))),
                    ])
                })
                .collect();
            ("instances", items)
        }
        Kind::DataSecurityGroups => {
            let list = c.describe_list(
                "DescribeSecurityGroups",
                Params::new(),
                "SecurityGroups",
                "SecurityGroup",
            )?;
            let items = list
                .iter()
                .filter(|x| f.ids_ok(&g(x, "SecurityGroupId")) && f.eq("vpc_id", &g(x, "VpcId")))
                .map(|x| {
                    obj(vec![
                        ("id", s(g(x, "SecurityGroupId"))),
                        ("vpc_id", s(g(x, "VpcId"))),
                        ("security_group_type", s(g(x, "SecurityGroupType"))),
                    ])
                })
                .collect();
            ("groups", items)
        }
        Kind::DataNatGateways => {
            let list = c.describe_list(
                "DescribeNatGateways",
                Params::new(),
                "NatGateways",
                "NatGateway",
            )?;
            let items = list
                .iter()
                .filter(|x| {
                    f.ids_ok(&g(x, "NatGatewayId"))
                        && f.eq("vpc_id", &g(x, "VpcId"))
                        && g(x, "RegionId") == c.region
                })
                .map(|x| {
                    let dnat: Vec<String> = x
                        .get("DnatIps")
                        .and_then(J::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|v| v.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    obj(vec![
                        ("id", s(g(x, "NatGatewayId"))),
                        ("vpc_id", s(g(x, "VpcId"))),
                        ("dnat_ips", strs(dnat)),
                    ])
                })
                .collect();
            ("gateways", items)
        }
        Kind::DataHavips => {
            let list = c.describe_list("DescribeHaVips", Params::new(), "HaVips", "HaVip")?;
            let items = list
                .iter()
                .filter(|x| {
                    f.ids_ok(&g(x, "HaVipId"))
                        && f.eq("status", &g(x, "Status"))
                        && f.eq("vswitch_id", &g(x, "VSwitchId"))
                })
                .map(|x| {
                    obj(vec![
                        ("id", s(g(x, "HaVipId"))),
                        ("vswitch_id", s(g(x, "VSwitchId"))),
                        ("ip_address", s(g(x, "IpAddress"))),
                        ("status", s(g(x, "Status"))),
                    ])
                })
                .collect();
            ("havips", items)
        }
        Kind::DataSlbs => {
            let list = c.describe_list(
                "DescribeLoadBalancers",
                Params::new(),
                "LoadBalancers",
                "LoadBalancer",
            )?;
            let items = list
                .iter()
                .filter(|x| {
                    f.ids_ok(&g(x, "LoadBalancerId"))
                        && f.eq("address_type", &g(x, "AddressType"))
                        && g(x, "RegionId") == c.region
                })
                .map(|x| {
                    obj(vec![
                        ("id", s(g(x, "LoadBalancerId"))),
                        ("address_type", s(g(x, "AddressType"))),
                        ("vswitch_id", s(g(x, "VSwitchId"))),
                        ("address", s(g(x, "Address"))),
                    ])
                })
                .collect();
            ("balancers", items)
        }
        Kind::DataVswitches => {
            let list =
                c.describe_list("DescribeVSwitches", Params::new(), "VSwitches", "VSwitch")?;
            let items = list
                .iter()
                .filter(|x| {
                    f.ids_ok(&g(x, "VSwitchId"))
                        && f.eq("vpc_id", &g(x, "VpcId"))
                        && f.eq("zone_id", &g(x, "ZoneId"))
                })
                .map(|x| {
                    obj(vec![
                        ("id", s(g(x, "VSwitchId"))),
                        ("cidr_block", s(g(x, "CidrBlock"))),
                        ("ipv6_cidr_block", s(g(x, "Ipv6CidrBlock"))),
                        ("zone_id", s(g(x, "ZoneId"))),
                        ("vpc_id", s(g(x, "VpcId"))),
                        (
                            "available_ip_address_count",
                            x.get("AvailableIpAddressCount")
                                .and_then(J::as_f64)
                                .map(Value::Number)
                                .unwrap_or(Value::Null),
                        ),
                    ])
                })
                .collect();
            ("vswitches", items)
        }
        Kind::DataInstanceTypes => {
            let list = c.describe_list(
                "DescribeInstanceTypes",
                Params::new(),
                "InstanceTypes",
                "InstanceType",
            )?;
            let items = list
                .iter()
                .filter(|x| {
                    f.ids_ok(&g(x, "InstanceTypeId"))
                        && f.eq("instance_type_family", &g(x, "InstanceTypeFamily"))
                })
                .map(|x| {
                    let n = |k: &str| {
                        x.get(k)
                            .and_then(J::as_f64)
                            .map(Value::Number)
                            .unwrap_or(Value::Null)
                    };
                    obj(vec![
                        ("id", s(g(x, "InstanceTypeId"))),
                        ("family", s(g(x, "InstanceTypeFamily"))),
                        ("eni_quantity", n("EniQuantity")),
                        (
                            "eni_private_ip_address_quantity",
                            n("EniPrivateIpAddressQuantity"),
                        ),
                        ("eni_ipv6_address_quantity", n("EniIpv6AddressQuantity")),
                    ])
                })
                .collect();
            ("instance_types", items)
        }
        _ => ("items", Vec::new()),
    };
    let ids: Vec<Value> = items.iter().filter_map(|i| i.get("id").cloned()).collect();
    out.insert("ids".into(), Value::List(ids));
    out.insert(key.into(), Value::List(items));
    out.insert("id".into(), Value::string(format!("{key}-{}", c.region)));
    Ok(Value::Map(out))
}

#[cfg(test)]
mod tests {
    use super::regex_lite_match as m;

    #[test]
    fn name_regex_subset() {
        assert!(m("^web-1$", "web-1"));
        assert!(!m("^web-1$", "web-10"));
        assert!(m("^web-.*", "web-2"));
        assert!(m("web", "my-web-1"));
        assert!(!m("^web", "my-web-1"));
        assert!(m("^web-\\d$", "web-1"));
    }
}
