//! Comparing the simulated cloud (`netform sim show`) with the state file: what the cloud has that
//! state does not know (orphans), objects made twice for one address (duplicates, told by
//! netform's identity tag `netform:address`), and what state records that the cloud lacks
//! (ghosts). Counted per ENI, EIP, attachment, binding and secondary address.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value as J;

use super::Netform;

/// What one audit found; `details` says what, for a failing test to show.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Audit {
    pub orphans: usize,
    pub duplicates: usize,
    pub ghosts: usize,
    pub details: Vec<String>,
}

impl Audit {
    pub fn clean(&self) -> bool {
        self.orphans == 0 && self.duplicates == 0 && self.ghosts == 0
    }

    pub fn add(&mut self, other: &Audit) {
        self.orphans += other.orphans;
        self.duplicates += other.duplicates;
        self.ghosts += other.ghosts;
        self.details.extend(other.details.iter().cloned());
    }
}

/// A cloud object as `sim show` lists it.
struct Object {
    id: String,
    address: Option<String>,
    bound_to: Option<String>,
    /// Secondary private addresses (ENIs).
    ips: BTreeSet<String>,
}

fn tags_of(o: &J) -> BTreeMap<String, String> {
    o["Tags"]["Tag"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|t| {
                    let k = t["Key"].as_str().or(t["TagKey"].as_str())?;
                    let v = t["Value"].as_str().or(t["TagValue"].as_str())?;
                    Some((k.to_string(), v.to_string()))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn objects(cloud: &J, key: &str, id_key: &str) -> Vec<Object> {
    let Some(m) = cloud[key].as_object() else {
        return Vec::new();
    };
    m.values()
        .filter(|o| o["Type"].as_str() != Some("Primary"))
        .map(|o| Object {
            id: o[id_key].as_str().unwrap_or_default().to_string(),
            address: tags_of(o).get("netform:address").cloned(),
            bound_to: o["InstanceId"]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            ips: o["PrivateIpSets"]["PrivateIpSet"]
                .as_array()
                .map(|l| {
                    l.iter()
                        .filter(|x| x["Primary"] != J::Bool(true))
                        .filter_map(|x| x["PrivateIpAddress"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// State's instances of one resource type: address → attributes.
fn in_state(state: &J, ty: &str) -> BTreeMap<String, J> {
    let mut out = BTreeMap::new();
    for r in state["resources"].as_array().into_iter().flatten() {
        if r["type"] != ty {
            continue;
        }
        let name = r["name"].as_str().unwrap_or_default();
        for i in r["instances"].as_array().into_iter().flatten() {
            let key = match &i["index_key"] {
                J::Null => String::new(),
                J::String(s) => format!("[\"{s}\"]"),
                k => format!("[{k}]"),
            };
            out.insert(format!("{ty}.{name}{key}"), i["attributes"].clone());
        }
    }
    out
}

fn s(j: &J, k: &str) -> String {
    j[k].as_str().unwrap_or_default().to_string()
}

/// Audits `dir` (its state file) against the cloud `sim show` prints in `sim_dir`.
pub fn audit(nf: &Netform, dir: &Path, sim_dir: &Path) -> Audit {
    let shown = nf.run(sim_dir, &["sim", "show"]);
    let cloud: J = serde_json::from_slice(&shown.stdout).unwrap_or_else(|e| {
        panic!("sim show is not JSON ({e}): {}", super::text(&shown));
    });
    let state: J = match std::fs::read_to_string(dir.join("netform.tfstate")) {
        Ok(t) => serde_json::from_str(&t).unwrap_or(J::Null),
        Err(_) => J::Null,
    };
    let mut a = Audit::default();
    let enis = objects(&cloud, "network_interfaces", "NetworkInterfaceId");
    let eips = objects(&cloud, "eip_addresses", "AllocationId");
    let s_enis = in_state(&state, "alicloud_ecs_network_interface");
    let s_eips = in_state(&state, "alicloud_eip_address");
    objects_vs_state(&mut a, "ENI", &enis, &s_enis);
    objects_vs_state(&mut a, "EIP", &eips, &s_eips);
    addresses(&mut a, &enis, &s_enis);
    let attach: BTreeSet<(String, String)> =
        in_state(&state, "alicloud_ecs_network_interface_attachment")
            .values()
            .map(|x| (s(x, "network_interface_id"), s(x, "instance_id")))
            .collect();
    let bind: BTreeSet<(String, String)> = in_state(&state, "alicloud_eip_association")
        .values()
        .map(|x| (s(x, "allocation_id"), s(x, "instance_id")))
        .collect();
    links(&mut a, "attachment", &enis, &attach);
    links(&mut a, "binding", &eips, &bind);
    a
}

/// ENIs or EIPs: grouped by identity tag; extra objects of one address are duplicates, an
/// address state does not record is an orphan, an id state records that the cloud lacks a ghost.
fn objects_vs_state(a: &mut Audit, what: &str, cloud: &[Object], state: &BTreeMap<String, J>) {
    let state_ids: BTreeSet<String> = state.values().map(|x| s(x, "id")).collect();
    let cloud_ids: BTreeSet<&str> = cloud.iter().map(|o| o.id.as_str()).collect();
    let mut by_address: BTreeMap<&str, Vec<&Object>> = BTreeMap::new();
    for o in cloud {
        match &o.address {
            Some(addr) => by_address.entry(addr).or_default().push(o),
            None if !state_ids.contains(&o.id) => {
                a.orphans += 1;
                a.details.push(format!("orphan {what} {} (untagged)", o.id));
            }
            None => {}
        }
    }
    for (addr, list) in by_address {
        if list.len() > 1 {
            a.duplicates += list.len() - 1;
            let ids: Vec<&str> = list.iter().map(|o| o.id.as_str()).collect();
            a.details
                .push(format!("duplicate {what}s of {addr}: {ids:?}"));
        }
        if !list.iter().any(|o| state_ids.contains(&o.id)) {
            a.orphans += 1;
            a.details
                .push(format!("orphan {what} {} of {addr}", list[0].id));
        }
    }
    for (addr, x) in state {
        let id = s(x, "id");
        if !cloud_ids.contains(id.as_str()) {
            a.ghosts += 1;
            a.details.push(format!("ghost {what} {addr} ({id})"));
        }
    }
}

/// Secondary addresses of the ENIs state records, one by one.
fn addresses(a: &mut Audit, enis: &[Object], state: &BTreeMap<String, J>) {
    for (addr, x) in state {
        let id = s(x, "id");
        let Some(o) = enis.iter().find(|o| o.id == id) else {
            continue;
        };
        let recorded: BTreeSet<String> = x["private_ip_addresses"]
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        for ip in o.ips.difference(&recorded) {
            a.orphans += 1;
            a.details.push(format!("orphan address {ip} on {addr}"));
        }
        for ip in recorded.difference(&o.ips) {
            a.ghosts += 1;
            a.details.push(format!("ghost address {ip} on {addr}"));
        }
    }
}

/// Attachments (ENI → instance) or bindings (EIP → target): the cloud's against state's.
fn links(a: &mut Audit, what: &str, cloud: &[Object], state: &BTreeSet<(String, String)>) {
    let have: BTreeSet<(String, String)> = cloud
        .iter()
        .filter_map(|o| o.bound_to.clone().map(|t| (o.id.clone(), t)))
        .collect();
    for (x, t) in have.difference(state) {
        a.orphans += 1;
        a.details.push(format!("orphan {what} {x} → {t}"));
    }
    for (x, t) in state.difference(&have) {
        a.ghosts += 1;
        a.details.push(format!("ghost {what} {x} → {t}"));
    }
}
