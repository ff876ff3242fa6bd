//! Refresh: read every object in state back from the cloud, in batches, and report what changed
//! outside netform (drift) separately from what the configuration asks for.

use std::collections::BTreeMap;

use super::attrs::{self, Attrs};
use crate::address::Address;
use crate::provider::api::Client;
use crate::provider::wire::vpc;
use crate::provider::{ApiError, Clouds};
use crate::resources::{self, Seen, Source};
use crate::schema::{self, Kind};
use crate::state::State;

/// A difference between state and the cloud found by refresh.
#[derive(Clone, Debug, PartialEq)]
pub struct Drift {
    pub address: Address,
    pub kind: Kind,
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

/// Returns the refreshed state and the drift found. Costs a handful of batched Describe calls per
/// region, whatever the number of resources.
pub fn refresh(state: &State, clouds: &Clouds) -> Result<(State, Vec<Drift>), ApiError> {
    refresh_owned(state.clone(), clouds)
}

/// [`refresh`], changing the state it is given rather than a copy: a plan holds no state it
/// does not need (a copy of 30,000 instances is tens of megabytes).
pub fn refresh_owned(mut state: State, clouds: &Clouds) -> Result<(State, Vec<Drift>), ApiError> {
    // In the state's order, none for an instance of a type netform does not read.
    let mut before: Vec<Option<(Kind, Attrs)>> = Vec::with_capacity(state.resources.len());
    // Ids grouped by provider alias, so each region is asked once.
    let mut wanted: BTreeMap<Option<String>, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for (a, inst) in &state.resources {
        let Some((schema, _)) = schema::lookup(a.mode, &a.ty) else {
            before.push(None);
            continue;
        };
        let attrs = attrs::from_state(schema, &inst.attributes);
        let ids = wanted.entry(inst.provider.clone()).or_default();
        match resources::source(schema.kind, &attrs) {
            Some(Source::Eni(id)) => ids.0.push(id),
            Some(Source::Eip(id)) => ids.1.push(id),
            None => {}
        }
        before.push(Some((schema.kind, attrs)));
    }
    let seen = read(clouds, wanted)?;
    let mut drift = Vec::new();
    let mut gone = Vec::new();
    for ((a, inst), known) in state.resources.iter_mut().zip(before) {
        let Some((kind, before)) = known else {
            continue;
        };
        match resources::refreshed(kind, &before, &seen) {
            Some(n)
                if n.iter()
                    .all(|(k, v)| before.get(k).is_some_and(|b| attrs::same(b, v)))
                    && before.len() <= n.len() => {}
            Some(n) => {
                inst.attributes = attrs::to_state(&n);
                drift.push(Drift {
                    address: a.clone(),
                    kind,
                    before,
                    after: Some(n),
                });
            }
            None => {
                gone.push(a.clone());
                drift.push(Drift {
                    address: a.clone(),
                    kind,
                    before,
                    after: None,
                });
            }
        }
    }
    for a in &gone {
        state.resources.remove(a);
    }
    Ok((state, drift))
}

/// Describes the wanted ENIs and EIPs (and, where ENIs are read, the region's vSwitches): the
/// regions, and each region's kinds, at once, so that with latency a plan waits for the slowest
/// read rather than for their sum.
fn read(
    clouds: &Clouds,
    wanted: BTreeMap<Option<String>, (Vec<String>, Vec<String>)>,
) -> Result<Seen, ApiError> {
    let parts: Vec<Result<Seen, ApiError>> = std::thread::scope(|s| {
        let reading: Vec<_> = wanted
            .into_iter()
            .map(|(alias, ids)| s.spawn(move || read_region(&clouds.client(alias.as_deref()), ids)))
            .collect();
        reading
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(read_failed())))
            .collect()
    });
    let mut seen = Seen::default();
    for part in parts {
        let part = part?;
        seen.enis.extend(part.enis);
        seen.eips.extend(part.eips);
        seen.cidrs.extend(part.cidrs);
    }
    Ok(seen)
}

fn read_region(
    c: &Client,
    (mut enis, mut eips): (Vec<String>, Vec<String>),
) -> Result<Seen, ApiError> {
    for ids in [&mut enis, &mut eips] {
        ids.sort();
        ids.dedup();
    }
    let mut seen = Seen::default();
    std::thread::scope(|s| -> Result<(), ApiError> {
        let cidrs = (!enis.is_empty()).then(|| s.spawn(|| vswitch_cidrs(c)));
        let found_eips = (!eips.is_empty()).then(|| s.spawn(|| c.describe_eips(&eips)));
        if !enis.is_empty() {
            let found = c.describe_enis(&enis)?;
            seen.enis
                .extend(found.into_iter().map(|e| (e.id.clone(), e)));
        }
        if let Some(h) = cidrs {
            seen.cidrs
                .extend(h.join().unwrap_or_else(|_| Err(read_failed()))?);
        }
        if let Some(h) = found_eips {
            let found = h.join().unwrap_or_else(|_| Err(read_failed()))?;
            seen.eips
                .extend(found.into_iter().map(|e| (e.id.clone(), e)));
        }
        Ok(())
    })?;
    Ok(seen)
}

/// A reading thread that panicked: a netform bug, reported as an internal error.
fn read_failed() -> ApiError {
    ApiError::new(
        500,
        "netform.Internal",
        "a refresh read failed (a netform bug)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::InstanceKey;
    use crate::provider::api::fake::{self, Fake, World};
    use crate::state::Instance;
    use serde_json::Value as J;

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
