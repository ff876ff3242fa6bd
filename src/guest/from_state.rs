//! Gathers, from state alone, what guest-config renders: per instance, each attached ENI with its
//! device index, MAC, vSwitch CIDRs and addresses (apply records all of these).

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::{GuestEni, GuestInstance};
use crate::schema::{self, Kind};
use crate::state::State;

fn s(a: &BTreeMap<String, J>, k: &str) -> Option<String> {
    a.get(k)
        .and_then(J::as_str)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
}

fn list(a: &BTreeMap<String, J>, k: &str) -> Vec<String> {
    a.get(k)
        .and_then(J::as_array)
        .map(|v| {
            v.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[derive(Default)]
struct Nic {
    instance: Option<String>,
    device_index: Option<u32>,
    mac: Option<String>,
    cidr: Option<String>,
    cidr6: Option<String>,
    primary: Option<String>,
    v4: Vec<String>,
    v6: Vec<String>,
    binded: Option<String>,
}

pub fn instances(state: &State) -> Vec<GuestInstance> {
    let mut nics: BTreeMap<String, Nic> = BTreeMap::new();
    let mut eip_ips: BTreeMap<String, String> = BTreeMap::new();
    let kind = |a: &crate::address::Address| schema::lookup(a.mode, &a.ty).map(|(s, _)| s.kind);
    for (a, i) in &state.resources {
        let at = &i.attributes;
        match kind(a) {
            Some(Kind::Eni) => {
                let Some(id) = s(at, "id") else { continue };
                let n = nics.entry(id).or_default();
                n.mac = s(at, "mac");
                n.cidr = s(at, "vswitch_cidr");
                n.cidr6 = s(at, "vswitch_ipv6_cidr");
                n.primary = s(at, "primary_ip_address");
                n.v4.extend(list(at, "private_ip_addresses"));
                n.v6.extend(list(at, "ipv6_addresses"));
            }
            Some(Kind::SecondaryIps) => {
                let Some(id) = s(at, "network_interface_id") else {
                    continue;
                };
                let n = nics.entry(id).or_default();
                n.mac = n.mac.take().or_else(|| s(at, "mac"));
                n.cidr = n.cidr.take().or_else(|| s(at, "vswitch_cidr"));
                n.cidr6 = n.cidr6.take().or_else(|| s(at, "vswitch_ipv6_cidr"));
                n.primary = n.primary.take().or_else(|| s(at, "primary_ip_address"));
                n.instance = n.instance.take().or_else(|| s(at, "attached_instance_id"));
                if n.device_index.is_none() {
                    n.device_index = at.get("device_index").and_then(J::as_u64).map(|d| d as u32);
                }
                n.v4.extend(list(at, "private_ip_addresses"));
                n.v6.extend(list(at, "ipv6_addresses"));
            }
            Some(Kind::Eip) => {
                if let (Some(id), Some(ip)) = (s(at, "id"), s(at, "ip_address")) {
                    eip_ips.insert(id, ip);
                }
            }
            _ => {}
        }
    }
    for (a, i) in &state.resources {
        let at = &i.attributes;
        match kind(a) {
            Some(Kind::Attachment) => {
                if let Some(n) = s(at, "network_interface_id").and_then(|id| nics.get_mut(&id)) {
                    n.instance = s(at, "instance_id");
                    n.device_index = at.get("device_index").and_then(J::as_u64).map(|d| d as u32);
                }
            }
            Some(Kind::Association) if s(at, "mode").is_some_and(|m| m != "NAT") => {
                if let Some(n) = s(at, "instance_id").and_then(|id| nics.get_mut(&id)) {
                    n.binded = s(at, "allocation_id").and_then(|x| eip_ips.get(&x).cloned());
                }
            }
            _ => {}
        }
    }
    let mut by_inst: BTreeMap<String, Vec<GuestEni>> = BTreeMap::new();
    for (id, n) in nics {
        let (Some(inst), Some(idx), Some(cidr), Some(primary)) = (
            n.instance.clone(),
            n.device_index,
            n.cidr.as_deref().and_then(|c| c.parse().ok()),
            n.primary.as_deref().and_then(|p| p.parse().ok()),
        ) else {
            continue;
        };
        let mut v4: Vec<std::net::Ipv4Addr> = n.v4.iter().filter_map(|x| x.parse().ok()).collect();
        v4.sort();
        v4.dedup();
        let mut v6: Vec<std::net::Ipv6Addr> = n.v6.iter().filter_map(|x| x.parse().ok()).collect();
        v6.sort();
        v6.dedup();
        by_inst.entry(inst).or_default().push(GuestEni {
            eni_id: id,
            device_index: idx,
            mac: n.mac.unwrap_or_default(),
            vswitch_cidr: cidr,
            vswitch_ipv6_cidr: n.cidr6.and_then(|c| c.parse().ok()),
            primary_ip: primary,
            secondary_ipv4: v4,
            ipv6: v6,
            binded_eip: n.binded.and_then(|b| b.parse().ok()),
        });
    }
    by_inst
        .into_iter()
        .map(|(instance_id, mut interfaces)| {
            interfaces.sort_by_key(|e| e.device_index);
            GuestInstance {
                instance_id,
                state_serial: state.serial,
                interfaces,
            }
        })
        .collect()
}
