//! Refresh: read every object in state back from the cloud, in batches, and report what changed
//! outside netform (drift) separately from what the configuration asks for.

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::attrs::{self, Attrs};
use crate::address::Address;
use crate::provider::api::{Client, EipInfo, EniInfo};
use crate::provider::wire::vpc;
use crate::provider::{ApiError, Clouds};
use crate::schema::{self, Kind};
use crate::state::State;

/// A difference between state and the cloud found by refresh.
#[derive(Clone, Debug, PartialEq)]
pub struct Drift {
    pub address: Address,
    pub before: Attrs,
    /// `None`: the object is gone.
    pub after: Option<Attrs>,
}

/// vSwitch id → (IPv4 CIDR, IPv6 CIDR or ""), read once per region.
pub fn vswitch_cidrs(client: &Client) -> Result<BTreeMap<String, (String, String)>, ApiError> {
    Ok(client
        .list_all(&vpc::DescribeVSwitches::default())?
        .into_iter()
        .map(|v| (v.v_switch_id, (v.cidr_block, v.ipv6_cidr_block)))
        .collect())
}

fn kind_of(a: &Address) -> Option<Kind> {
    schema::lookup(a.mode, &a.ty).map(|(s, _)| s.kind)
}

fn str_attr(a: &BTreeMap<String, J>, k: &str) -> Option<String> {
    a.get(k).and_then(J::as_str).map(str::to_string)
}

/// Returns the refreshed state and the drift found. Costs a handful of batched Describe calls per
/// region, whatever the number of resources.
pub fn refresh(state: &State, clouds: &Clouds) -> Result<(State, Vec<Drift>), ApiError> {
    let mut out = state.clone();
    let mut drift = Vec::new();
    // Group ids by provider alias so each region is asked once.
    let mut eni_ids: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
    let mut eip_ids: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
    for (a, inst) in &state.resources {
        let p = inst.provider.clone();
        match kind_of(a) {
            Some(Kind::Eni) => eni_ids
                .entry(p)
                .or_default()
                .extend(str_attr(&inst.attributes, "id")),
            Some(Kind::Attachment) | Some(Kind::SecondaryIps) => eni_ids
                .entry(p)
                .or_default()
                .extend(str_attr(&inst.attributes, "network_interface_id")),
            Some(Kind::Eip) => eip_ids
                .entry(p)
                .or_default()
                .extend(str_attr(&inst.attributes, "id")),
            Some(Kind::Association) => eip_ids
                .entry(p)
                .or_default()
                .extend(str_attr(&inst.attributes, "allocation_id")),
            _ => {}
        }
    }
    let mut enis: BTreeMap<String, EniInfo> = BTreeMap::new();
    let mut eips: BTreeMap<String, EipInfo> = BTreeMap::new();
    let mut cidrs: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (alias, mut ids) in eni_ids {
        ids.sort();
        ids.dedup();
        let c = clouds.client(alias.as_deref());
        enis.extend(
            c.describe_enis(&ids)?
                .into_iter()
                .map(|e| (e.id.clone(), e)),
        );
        cidrs.extend(vswitch_cidrs(&c)?);
    }
    for (alias, mut ids) in eip_ids {
        ids.sort();
        ids.dedup();
        let c = clouds.client(alias.as_deref());
        eips.extend(
            c.describe_eips(&ids)?
                .into_iter()
                .map(|e| (e.id.clone(), e)),
        );
    }
    for (a, inst) in &state.resources {
        let Some((schema, _)) = schema::lookup(a.mode, &a.ty) else {
            continue;
        };
        let before = attrs::from_state(schema, &inst.attributes);
        let after: Option<Attrs> = match schema.kind {
            Kind::Eni => str_attr(&inst.attributes, "id")
                .and_then(|id| enis.get(&id))
                .map(|e| {
                    let mut n = attrs::eni(e, cidrs.get(&e.vswitch_id));
                    // What the cloud cannot tell apart stays as configured.
                    for k in ["queue_number", "source_dest_check", "delete_on_release"] {
                        if n.get(k).is_none_or(|v| v.is_null())
                            && let Some(v) = before.get(k)
                        {
                            n.insert(k.into(), v.clone());
                        }
                    }
                    n
                }),
            Kind::Attachment => {
                let eni =
                    str_attr(&inst.attributes, "network_interface_id").and_then(|id| enis.get(&id));
                let want = str_attr(&inst.attributes, "instance_id");
                match eni {
                    Some(e) if e.instance_id == want && want.is_some() => {
                        let mut n = before.clone();
                        n.insert(
                            "device_index".into(),
                            e.device_index
                                .map(|d| crate::lang::Value::Number(d as f64))
                                .unwrap_or(crate::lang::Value::Null),
                        );
                        Some(n)
                    }
                    _ => None,
                }
            }
            Kind::SecondaryIps => {
                let eni =
                    str_attr(&inst.attributes, "network_interface_id").and_then(|id| enis.get(&id));
                eni.map(|e| {
                    let mut n = before.clone();
                    let keep = |k: &str, have: &[String]| -> Vec<crate::lang::Value> {
                        before
                            .get(k)
                            .and_then(|v| v.as_seq().map(<[_]>::to_vec))
                            .unwrap_or_default()
                            .into_iter()
                            .filter(|v| v.as_str().is_some_and(|s| have.iter().any(|h| h == s)))
                            .collect()
                    };
                    let v4 = keep("private_ip_addresses", &e.private_ips);
                    let v6 = keep("ipv6_addresses", &e.ipv6);
                    n.insert(
                        "private_ip_address_count".into(),
                        crate::lang::Value::Number(v4.len() as f64),
                    );
                    n.insert(
                        "ipv6_address_count".into(),
                        crate::lang::Value::Number(v6.len() as f64),
                    );
                    n.insert("private_ip_addresses".into(), crate::lang::Value::set(v4));
                    n.insert("ipv6_addresses".into(), crate::lang::Value::set(v6));
                    // A re-attached ENI moves device and instance: guest-config needs them fresh.
                    n.extend(attrs::eni_facts(e, cidrs.get(&e.vswitch_id)));
                    n
                })
            }
            Kind::Eip => str_attr(&inst.attributes, "id")
                .and_then(|id| eips.get(&id))
                .map(|e| {
                    let mut n = attrs::eip(e);
                    if let Some(b) = before.get("bandwidth")
                        && attrs::same(b, &crate::lang::Value::string(e.bandwidth.clone()))
                    {
                        n.insert("bandwidth".into(), b.clone());
                    }
                    n
                }),
            Kind::Association => {
                let eip = str_attr(&inst.attributes, "allocation_id").and_then(|id| eips.get(&id));
                let want = str_attr(&inst.attributes, "instance_id");
                match eip {
                    Some(e) if e.instance_id == want && want.is_some() => {
                        let mut n = before.clone();
                        for (k, v) in [
                            ("mode", &e.mode),
                            ("instance_type", &e.instance_type),
                            ("private_ip_address", &e.private_ip),
                        ] {
                            if let Some(v) = v {
                                n.insert(k.into(), crate::lang::Value::string(v.clone()));
                            }
                        }
                        Some(n)
                    }
                    _ => None,
                }
            }
            _ => Some(before.clone()),
        };
        match after {
            Some(n)
                if n.iter()
                    .all(|(k, v)| before.get(k).is_some_and(|b| attrs::same(b, v)))
                    && before.len() <= n.len() => {}
            Some(n) => {
                if let Some(i) = out.resources.get_mut(a) {
                    i.attributes = attrs::to_state(&n);
                }
                drift.push(Drift {
                    address: a.clone(),
                    before,
                    after: Some(n),
                });
            }
            None => {
                out.resources.remove(a);
                drift.push(Drift {
                    address: a.clone(),
                    before,
                    after: None,
                });
            }
        }
    }
    Ok((out, drift))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::InstanceKey;
    use crate::provider::api::fake::{self, Fake, World};
    use crate::state::Instance;

    #[test]
    fn refresh_reads_deletion_protection_and_every_batch_of_ids() {
        let eips = fake::ids("eip", 2 * vpc::EIP_IDS_PER_CALL + 11);
        let mut world = World {
            eips: eips.iter().map(|i| fake::eip(i)).collect(),
            ..World::default()
        };
        world.eips[0].deletion_protection = true;
        let f = Fake::new(world);
        let mut state = State::new("l".into());
        for (i, id) in eips.iter().enumerate() {
            state.resources.insert(
                Address::managed("alicloud_eip_address", "e", InstanceKey::Int(i as i64)),
                Instance {
                    attributes: [
                        ("id".to_string(), J::String(id.clone())),
                        ("deletion_protection".to_string(), J::Bool(false)),
                    ]
                    .into(),
                    dependencies: Vec::new(),
                    provider: None,
                },
            );
        }
        let (out, _) = match refresh(&state, &f.clouds()) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(out.resources.len(), eips.len(), "no EIP lost past a batch");
        let first = Address::managed("alicloud_eip_address", "e", InstanceKey::Int(0));
        assert_eq!(
            out.resources[&first].attributes.get("deletion_protection"),
            Some(&J::Bool(true))
        );
    }
}
