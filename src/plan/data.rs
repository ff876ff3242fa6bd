//! Data sources: read-only look-ups of what netform does not manage, answered from Describe calls
//! with terraform-provider-alicloud's attribute names, so configurations need no hard-coded ids.

use std::collections::BTreeMap;

use crate::lang::Value;
use crate::provider::ApiError;
use crate::provider::api::Client;
use crate::provider::wire::{ecs, slb, vpc};
use crate::schema::Kind;

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
        Kind::DataInstances => ("instances", instances(&f, c)?),
        Kind::DataSecurityGroups => ("groups", security_groups(&f, c)?),
        Kind::DataNatGateways => ("gateways", nat_gateways(&f, c)?),
        Kind::DataHavips => ("havips", havips(&f, c)?),
        Kind::DataSlbs => ("balancers", load_balancers(&f, c)?),
        Kind::DataVswitches => ("vswitches", vswitches(&f, c)?),
        Kind::DataInstanceTypes => ("instance_types", instance_types(&f, c)?),
        _ => ("items", Vec::new()),
    };
    let ids: Vec<Value> = items.iter().filter_map(|i| i.get("id").cloned()).collect();
    out.insert("ids".into(), Value::List(ids));
    out.insert(key.into(), Value::List(items));
    out.insert("id".into(), Value::string(format!("{key}-{}", c.region)));
    Ok(Value::Map(out))
}

fn num(n: u64) -> Value {
    Value::from(n)
}

fn instances(f: &Filters, c: &Client) -> Result<Vec<Value>, ApiError> {
    let list = c.list_all_tokens(&ecs::DescribeInstances::default())?;
    Ok(list
        .into_iter()
        .filter(|i| f.ids_ok(&i.instance_id) && f.name(&i.instance_name))
        .filter(|i| {
            f.eq("status", &i.status)
                && f.eq("availability_zone", &i.zone_id)
                && f.eq("instance_type", &i.instance_type)
                && f.eq("vpc_id", &i.vpc_attributes.vpc_id)
                && f.eq("vswitch_id", &i.vpc_attributes.v_switch_id)
        })
        .map(|i| {
            let first = |l: &[String]| l.first().cloned().unwrap_or_default();
            let primary_eni = i
                .primary_eni()
                .map(|n| n.network_interface_id.clone())
                .unwrap_or_default();
            obj(vec![
                (
                    "private_ip",
                    s(first(&i.vpc_attributes.private_ip_address.items)),
                ),
                ("public_ip", s(first(&i.public_ip_address.items))),
                ("primary_network_interface_id", s(primary_eni)),
                ("id", s(i.instance_id)),
                ("name", s(i.instance_name)),
                ("instance_type", s(i.instance_type)),
                ("status", s(i.status)),
                ("availability_zone", s(i.zone_id)),
                ("region_id", s(i.region_id)),
                ("vpc_id", s(i.vpc_attributes.vpc_id)),
                ("vswitch_id", s(i.vpc_attributes.v_switch_id)),
                ("eip", s(i.eip_address.ip_address)),
                ("security_groups", strs(i.security_group_ids.items)),
                ("network_type", s(i.instance_network_type)),
            ])
        })
        .collect())
}

fn security_groups(f: &Filters, c: &Client) -> Result<Vec<Value>, ApiError> {
    let list = c.list_all_tokens(&ecs::DescribeSecurityGroups::default())?;
    Ok(list
        .into_iter()
        .filter(|x| f.ids_ok(&x.security_group_id) && f.eq("vpc_id", &x.vpc_id))
        .map(|x| {
            obj(vec![
                ("id", s(x.security_group_id)),
                ("vpc_id", s(x.vpc_id)),
                ("security_group_type", s(x.security_group_type)),
            ])
        })
        .collect())
}

/// NAT gateways with the private addresses their DNAT entries forward to (one
/// DescribeForwardTableEntries run per gateway that passes the filters).
fn nat_gateways(f: &Filters, c: &Client) -> Result<Vec<Value>, ApiError> {
    let list = c.list_all(&vpc::DescribeNatGateways::default())?;
    let mut out = Vec::new();
    for x in list {
        if !(f.ids_ok(&x.nat_gateway_id) && f.eq("vpc_id", &x.vpc_id) && x.region_id == c.region) {
            continue;
        }
        let dnat = c.dnat_ips(&x)?;
        out.push(obj(vec![
            ("id", s(x.nat_gateway_id)),
            ("vpc_id", s(x.vpc_id)),
            ("dnat_ips", strs(dnat)),
        ]));
    }
    Ok(out)
}

fn havips(f: &Filters, c: &Client) -> Result<Vec<Value>, ApiError> {
    let list = c.list_all(&vpc::DescribeHaVips::default())?;
    Ok(list
        .into_iter()
        .filter(|x| {
            f.ids_ok(&x.ha_vip_id)
                && f.eq("status", &x.status)
                && f.eq("vswitch_id", &x.v_switch_id)
        })
        .map(|x| {
            obj(vec![
                ("id", s(x.ha_vip_id)),
                ("vswitch_id", s(x.v_switch_id)),
                ("ip_address", s(x.ip_address)),
                ("status", s(x.status)),
            ])
        })
        .collect())
}

fn load_balancers(f: &Filters, c: &Client) -> Result<Vec<Value>, ApiError> {
    let list = c.list_all(&slb::DescribeLoadBalancers::default())?;
    Ok(list
        .into_iter()
        .filter(|x| {
            f.ids_ok(&x.load_balancer_id)
                && f.eq("address_type", &x.address_type)
                && x.region_id == c.region
        })
        .map(|x| {
            obj(vec![
                ("id", s(x.load_balancer_id)),
                ("address_type", s(x.address_type)),
                ("vswitch_id", s(x.v_switch_id)),
                ("address", s(x.address)),
            ])
        })
        .collect())
}

fn vswitches(f: &Filters, c: &Client) -> Result<Vec<Value>, ApiError> {
    let list = c.list_all(&vpc::DescribeVSwitches::default())?;
    Ok(list
        .into_iter()
        .filter(|x| {
            f.ids_ok(&x.v_switch_id) && f.eq("vpc_id", &x.vpc_id) && f.eq("zone_id", &x.zone_id)
        })
        .map(|x| {
            obj(vec![
                ("id", s(x.v_switch_id)),
                ("cidr_block", s(x.cidr_block)),
                ("ipv6_cidr_block", s(x.ipv6_cidr_block)),
                ("zone_id", s(x.zone_id)),
                ("vpc_id", s(x.vpc_id)),
                (
                    "available_ip_address_count",
                    num(x.available_ip_address_count),
                ),
            ])
        })
        .collect())
}

fn instance_types(f: &Filters, c: &Client) -> Result<Vec<Value>, ApiError> {
    let list = c.list_all_tokens(&ecs::DescribeInstanceTypes::default())?;
    Ok(list
        .into_iter()
        .filter(|x| {
            f.ids_ok(&x.instance_type_id) && f.eq("instance_type_family", &x.instance_type_family)
        })
        .map(|x| {
            obj(vec![
                ("id", s(x.instance_type_id)),
                ("family", s(x.instance_type_family)),
                ("eni_quantity", num(x.eni_quantity)),
                (
                    "eni_private_ip_address_quantity",
                    num(x.eni_private_ip_address_quantity),
                ),
                (
                    "eni_ipv6_address_quantity",
                    num(x.eni_ipv6_address_quantity),
                ),
            ])
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::regex_lite_match as m;
    use super::*;
    use crate::provider::api::fake::{self, Fake, World};

    #[test]
    fn name_regex_subset() {
        assert!(m("^web-1$", "web-1"));
        assert!(!m("^web-1$", "web-10"));
        assert!(m("^web-.*", "web-2"));
        assert!(m("web", "my-web-1"));
        assert!(!m("^web", "my-web-1"));
        assert!(m("^web-\\d$", "web-1"));
    }

    /// The result list of a data source read from `f` with no filters.
    fn list(f: &Fake, kind: Kind) -> Vec<Value> {
        let out = read(kind, &BTreeMap::new(), &f.client());
        let key = match kind {
            Kind::DataInstances => "instances",
            Kind::DataSecurityGroups => "groups",
            Kind::DataNatGateways => "gateways",
            Kind::DataHavips => "havips",
            Kind::DataSlbs => "balancers",
            Kind::DataVswitches => "vswitches",
            _ => "instance_types",
        };
        match out {
            Ok(v) => v.get(key).and_then(Value::as_seq).unwrap_or(&[]).to_vec(),
            Err(e) => panic!("{kind:?}: {e}"),
        }
    }

    /// More of each kind than the largest page holds, with 10 the default: nothing may be lost.
    #[test]
    fn every_data_source_reads_past_the_first_page() {
        let n = |max: usize| max + 11;
        let w = fake::past_first_page();
        let f = Fake::new(w);
        for (kind, want) in [
            (Kind::DataInstances, n(100)),
            (Kind::DataSecurityGroups, n(100)),
            (Kind::DataNatGateways, n(50)),
            (Kind::DataHavips, n(50)),
            (Kind::DataSlbs, n(100)),
            (Kind::DataVswitches, n(50)),
            (Kind::DataInstanceTypes, n(1600)),
        ] {
            assert_eq!(list(&f, kind).len(), want, "{kind:?}");
        }
    }

    #[test]
    fn primary_network_interface_id_is_the_primary_entry_of_network_interfaces() {
        let f = Fake::new(fake::instance_with_primary_listed_second(
            "eni-pri", "eni-sec",
        ));
        let got = list(&f, Kind::DataInstances);
        assert_eq!(
            got[0].get("primary_network_interface_id"),
            Some(&Value::string("eni-pri"))
        );
    }

    #[test]
    fn dnat_ips_are_the_internal_ips_of_the_gateway_forward_tables() {
        let entry = |ip: &str| vpc::ForwardTableEntry {
            forward_table_id: "ftb-1".into(),
            internal_ip: ip.into(),
            ..Default::default()
        };
        let f = Fake::new(World {
            nat_gateways: vec![vpc::NatGateway {
                nat_gateway_id: "ngw-1".into(),
                region_id: fake::REGION.into(),
                forward_table_ids: vec!["ftb-1".to_string()].into(),
                ..Default::default()
            }],
            forward_entries: vec![entry("192.168.1.5"), entry("192.168.1.6")],
            ..World::default()
        });
        let got = list(&f, Kind::DataNatGateways);
        assert_eq!(
            got[0].get("dnat_ips"),
            Some(&Value::List(vec![
                Value::string("192.168.1.5"),
                Value::string("192.168.1.6")
            ]))
        );
    }
}
