//! Executing an ENI's operations through the typed client (apply): create (with the secondary
//! addresses one call carries, `ops::at_create`), modify (attributes and ECS tags), delete, and
//! what its own address lists record; settling a create or delete whose answer was lost.

use std::collections::BTreeMap;

use crate::apply::execute::{Exec, Settle, Settled, Updates, new_id, pick, remove, replayed};
use crate::apply::{Update, sval};
use crate::lang::Value;
use crate::plan::attrs::Attrs;
use crate::provider::ApiError;
use crate::provider::api::{Client, EniInfo};
use crate::provider::wire::{Tags, ecs};
use crate::resources::execute::{Addresses, assign_call, flag, num, strs, tag_delta, tags_of};

use super::ops::{AtCreate, at_create};

/// The address lists whose counts follow them once known.
pub(crate) const COUNTED: &[(&str, &str)] = &[
    ("private_ip_addresses", "secondary_private_ip_address_count"),
    ("ipv6_addresses", "ipv6_address_count"),
];

/// An ENI's attributes as the cloud describes it (with its vSwitch's CIDRs, for guest-config).
pub(crate) fn described(x: &Exec, info: &EniInfo) -> Attrs {
    super::from_cloud(info, x.cidr(&info.vswitch_id))
}

/// Configuration-only attributes of the ENI that the cloud does not echo back.
fn keep(x: &Exec, mut a: Attrs) -> Attrs {
    for k in ["queue_number", "source_dest_check", "delete_on_release"] {
        if let Some(v) = x.planned().get(k)
            && !v.is_unknown()
            && a.get(k).is_none_or(Value::is_null)
        {
            a.insert(k.into(), v.clone());
        }
    }
    a
}

/// The ENI as state records it after an operation.
fn recorded(x: &Exec, info: &EniInfo) -> Vec<Update> {
    vec![Update::Set(
        x.address().clone(),
        keep(x, described(x, info)),
    )]
}

/// ENI tags are ECS's, under ResourceType `eni`.
fn retag(
    c: &Client,
    id: &str,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let (gone, set) = tag_delta(old, new);
    if !gone.is_empty() {
        c.send(&ecs::UntagResources {
            resource_type: ecs::ENI_RESOURCE_TYPE.into(),
            resource_id: vec![id.into()],
            tag_key: gone,
            all: None,
        })?;
    }
    if !set.is_empty() {
        c.send(&ecs::TagResources {
            resource_type: ecs::ENI_RESOURCE_TYPE.into(),
            resource_id: vec![id.into()],
            tag: Tags(set),
        })?;
    }
    Ok(())
}

fn own_id(x: &Exec) -> Result<String, ApiError> {
    sval(x.current(), "id").ok_or_else(|| x.missing("the ENI id"))
}

/// The secondary addresses the create sends: all of a family the create carries, except named
/// addresses (and an IPv6 count) beyond one call's batch, which [`complete`] assigns right after.
fn with_addresses(x: &Exec, mut req: ecs::CreateNetworkInterface) -> ecs::CreateNetworkInterface {
    let r = x.planned();
    let batch = x.batch();
    match at_create(r, false) {
        AtCreate::Named(ips) => req.private_ip_address = ips.into_iter().take(batch).collect(),
        // The create's count is not bound by the per-call batch (1 to 49 in the SDK model).
        AtCreate::Count(n) => req.secondary_private_ip_address_count = Some(n),
        AtCreate::Nothing | AtCreate::Later => {}
    }
    match at_create(r, true) {
        AtCreate::Named(ips) => req.ipv6_address = ips.into_iter().take(batch).collect(),
        AtCreate::Count(n) => req.ipv6_address_count = Some(n.min(batch as u32)),
        AtCreate::Nothing | AtCreate::Later => {}
    }
    req
}

/// Assigns what the create carries but its one call could not (more than a batch; only where a
/// world's batch is below the create's bound): the addresses the ENI `info` still lacks. `attempt`
/// keeps these calls' ClientTokens apart from an earlier attempt's, whose batches may differ.
/// Returns the ENI as the cloud then describes it, or `None` when nothing was missing.
fn complete(x: &Exec, info: &EniInfo, attempt: &str) -> Result<Option<EniInfo>, ApiError> {
    let mut called = false;
    for v6 in [false, true] {
        let have = if v6 { &info.ipv6 } else { &info.private_ips };
        let family = if v6 { "v6" } else { "v4" };
        let token = |i: usize| format!("{}-{attempt}{family}-{i}", x.token());
        match at_create(x.planned(), v6) {
            AtCreate::Named(ips) => {
                let missing: Vec<String> =
                    ips.into_iter().filter(|ip| !have.contains(ip)).collect();
                for (i, chunk) in missing.chunks(x.batch()).enumerate() {
                    assign_call(x, v6, &info.id, chunk.to_vec(), None, token(i))?;
                    called = true;
                }
            }
            AtCreate::Count(n) => {
                let mut need = (n as usize).saturating_sub(have.len());
                let mut i = 0;
                while need > 0 {
                    let k = need.min(x.batch());
                    assign_call(x, v6, &info.id, Vec::new(), Some(k as u32), token(i))?;
                    called = true;
                    need -= k;
                    i += 1;
                }
            }
            AtCreate::Nothing | AtCreate::Later => {}
        }
    }
    if called {
        x.describe_eni(&info.id).map(Some)
    } else {
        Ok(None)
    }
}

pub(crate) fn create(x: &Exec) -> Updates {
    let r = x.planned();
    let req = with_addresses(
        x,
        ecs::CreateNetworkInterface {
            v_switch_id: sval(r, "vswitch_id").ok_or_else(|| x.missing("vswitch_id"))?,
            security_group_ids: strs(r, "security_group_ids"),
            primary_ip_address: sval(r, "primary_ip_address"),
            network_interface_name: sval(r, "network_interface_name"),
            description: sval(r, "description"),
            resource_group_id: sval(r, "resource_group_id"),
            queue_number: num(r, "queue_number"),
            source_dest_check: flag(r, "source_dest_check"),
            delete_on_release: flag(r, "delete_on_release"),
            tag: Tags(x.tags_with_identity(&tags_of(r))),
            client_token: Some(x.token().to_string()),
            ..Default::default()
        },
    );
    let created = EniInfo::from(x.client().send(&req)?);
    let id = new_id(created.id.clone(), "ENI id")?;
    // The answer describes the new ENI, its addresses included: one that is Available already
    // needs no wait (and no Describe call).
    let info = if created.status == "Available" {
        created
    } else {
        match x.wait_eni(&id, "Available", &format!("creating {id}")) {
            Ok(info) => info,
            // The ENI exists: state records it from the create's answer whatever the wait
            // says, so the next run refreshes it instead of creating another.
            Err(e) => return Ok(failed_after(x, &created, e)),
        }
    };
    match complete(x, &info, "") {
        Ok(done) => Ok(recorded(x, done.as_ref().unwrap_or(&info))),
        Err(e) => Ok(failed_after(x, &info, e)),
    }
}

/// The ENI exists but the operation failed after creating it: state records it as it was.
fn failed_after(x: &Exec, info: &EniInfo, e: ApiError) -> Vec<Update> {
    let mut ups = recorded(x, info);
    ups.push(Update::Failed(e));
    ups
}

pub(crate) fn modify(x: &Exec) -> Updates {
    let id = own_id(x)?;
    let r = x.planned();
    x.client().send(&ecs::ModifyNetworkInterfaceAttribute {
        network_interface_id: id.clone(),
        network_interface_name: Some(sval(r, "network_interface_name").unwrap_or_default()),
        description: Some(sval(r, "description").unwrap_or_default()),
        security_group_id: strs(r, "security_group_ids"),
        queue_number: num(r, "queue_number"),
        source_dest_check: flag(r, "source_dest_check"),
        delete_on_release: flag(r, "delete_on_release"),
    })?;
    retag(x.client(), &id, &tags_of(x.current()), &tags_of(r))?;
    let info = x.describe_eni(&id)?;
    Ok(recorded(x, &info))
}

pub(crate) fn delete(x: &Exec) -> Updates {
    let id = own_id(x)?;
    remove(
        x.client(),
        &ecs::DeleteNetworkInterface {
            network_interface_id: id.clone(),
        },
        "InvalidEniId.NotFound",
        || x.wait_eni_gone(&id),
    )?;
    Ok(vec![Update::Remove(x.address().clone())])
}

/// The ENI's own address lists: state records the ENI as the cloud now describes it.
pub(crate) struct OwnAddresses;

impl Addresses for OwnAddresses {
    fn eni_id(&self, x: &Exec) -> Result<String, ApiError> {
        own_id(x)
    }

    fn lists(&self, v6: bool) -> (&'static str, &'static str) {
        COUNTED[usize::from(v6)]
    }

    fn result(&self, x: &Exec, id: &str, _: bool, _: Vec<String>, _: Vec<String>) -> Updates {
        let info = x.describe_eni(id)?;
        Ok(recorded(x, &info))
    }
}

/// Done when an ENI with this operation's identity tags exists (waiting out its creation).
pub(crate) fn settle_create(x: &Exec, how: &Settle) -> Result<Settled, ApiError> {
    let found = x.client().enis_where(&ecs::DescribeNetworkInterfaces {
        tag: x.identity(),
        ..Default::default()
    })?;
    // One on its way out is an earlier object of the address, not this intent's.
    let found = found
        .into_iter()
        .filter(|e| e.status != "Deleting")
        .collect();
    match pick(found, |e: &EniInfo| &e.id, how) {
        Some(e) => {
            let info = match e.status.as_str() {
                "Available" | "InUse" => e,
                _ => x
                    .client()
                    .wait_eni(&e.id, "Available", &format!("creating {}", e.id))?,
            };
            // The create carried its addresses; what a batch beyond it had still to assign is
            // assigned now, so the settled ENI is the one the operation makes.
            let done = complete(x, &info, "settle-")?;
            Ok(Settled::Done(recorded(x, done.as_ref().unwrap_or(&info))))
        }
        None if how.replay => replayed(create(x)),
        None => Ok(Settled::NotDone),
    }
}

/// Done when the ENI is gone.
pub(crate) fn settle_delete(x: &Exec) -> Result<Settled, ApiError> {
    crate::resources::execute::settle_gone(x, |id| x.client().describe_eni(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::execute::testing::{job, run};
    use crate::plan::ops::OpAction;
    use crate::provider::api::fake::{self, Fake, World};
    use crate::resources::execute::testing::{attrs, tags, wire_tags};
    use crate::schema::Kind;

    #[test]
    fn eni_tags_change_through_ecs_with_resource_type_eni() {
        let mut e = fake::eni("eni-1");
        e.tags = wire_tags(&[("old", "1"), ("keep", "1")]);
        let f = Fake::new(World {
            enis: vec![e],
            ..World::default()
        });
        let cur = attrs(&[
            ("id", Value::string("eni-1")),
            ("tags", tags(&[("old", "1"), ("keep", "1")])),
        ]);
        let want = attrs(&[
            ("vswitch_id", Value::string("vsw-1")),
            ("tags", tags(&[("keep", "1"), ("new", "2")])),
        ]);
        let j = job(
            Kind::Eni,
            "alicloud_network_interface",
            OpAction::ModifyNetworkInterfaceAttribute,
            Some(cur),
            want,
        );
        let u = run(&j, &f.client());
        assert!(u.is_ok(), "{u:?}");
        for action in ["TagResources", "UntagResources"] {
            let calls = f.calls_of(action);
            assert_eq!(calls.len(), 1, "{action}");
            assert_eq!(calls[0].product, crate::provider::Product::Ecs);
            assert_eq!(calls[0].params["ResourceType"], "eni");
        }
        let left = f.eni("eni-1").map(|e| e.tags.to_map()).unwrap_or_default();
        assert_eq!(
            left.keys().map(String::as_str).collect::<Vec<_>>(),
            ["keep", "new"]
        );
    }
}
