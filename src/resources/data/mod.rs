//! Data sources: read-only look-ups of what netform does not manage, answered from Describe calls
//! with terraform-provider-alicloud's attribute names, so configurations need no hard-coded ids.
//! One module per data source holds its schema (filter arguments, result list) and how its result
//! is made from the cloud's answers; here are the filters they share and the one reader `plan`
//! calls, which echoes the arguments and adds the result list and its ids. `plan` only decides
//! when to read.

use crate::lang::Value;
use crate::provider::ApiError;
use crate::provider::api::Client;
use crate::schema::Kind;

pub(crate) mod havips;
pub(crate) mod instance_types;
pub(crate) mod instances;
pub(crate) mod load_balancers;
pub(crate) mod nat_gateways;
pub(crate) mod security_groups;
pub(crate) mod vswitches;

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
struct Filters<'a>(&'a crate::lang::value::Map);

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
pub fn read(kind: Kind, args: &crate::lang::value::Map, c: &Client) -> Result<Value, ApiError> {
    let f = Filters(args);
    let mut out = args.clone();
    let (key, items): (&str, Vec<Value>) = match kind {
        Kind::DataInstances => (instances::LIST, instances::read(&f, c)?),
        Kind::DataSecurityGroups => (security_groups::LIST, security_groups::read(&f, c)?),
        Kind::DataNatGateways => (nat_gateways::LIST, nat_gateways::read(&f, c)?),
        Kind::DataHavips => (havips::LIST, havips::read(&f, c)?),
        Kind::DataSlbs => (load_balancers::LIST, load_balancers::read(&f, c)?),
        Kind::DataVswitches => (vswitches::LIST, vswitches::read(&f, c)?),
        Kind::DataInstanceTypes => (instance_types::LIST, instance_types::read(&f, c)?),
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

#[cfg(test)]
mod tests {
    use super::regex_lite_match as m;
    use super::*;
    use crate::provider::api::fake::{self, Fake, World};
    use crate::provider::wire::vpc;

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
        let out = read(kind, &Default::default(), &f.client());
        let key = match kind {
            Kind::DataInstances => instances::LIST,
            Kind::DataSecurityGroups => security_groups::LIST,
            Kind::DataNatGateways => nat_gateways::LIST,
            Kind::DataHavips => havips::LIST,
            Kind::DataSlbs => load_balancers::LIST,
            Kind::DataVswitches => vswitches::LIST,
            _ => instance_types::LIST,
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
