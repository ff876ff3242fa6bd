//! Executing an EIP's operations through the typed client (apply): allocate, modify
//! (attributes, VPC tags, deletion protection as its own action), release — never a protected
//! or Subscription EIP; settling an allocation or release whose answer was lost.

use std::collections::BTreeMap;

use crate::apply::execute::{Exec, Settle, Settled, Updates, new_id, pick, remove, replayed};
use crate::apply::{Update, sval};
use crate::lang::Value;
use crate::plan::attrs::Attrs;
use crate::provider::ApiError;
use crate::provider::api::{Client, EipInfo};
use crate::provider::wire::{Tags, vpc};
use crate::resources::execute::{flag, tag_delta, tags_of};

/// EIP tags are VPC's, under ResourceType `EIP`; VPC's removal action is `UnTagResources`.
fn retag(
    c: &Client,
    id: &str,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let (gone, set) = tag_delta(old, new);
    if !gone.is_empty() {
        c.send(&vpc::UnTagResources {
            resource_type: vpc::EIP_RESOURCE_TYPE.into(),
            resource_id: vec![id.into()],
            tag_key: gone,
            all: None,
        })?;
    }
    if !set.is_empty() {
        c.send(&vpc::TagResources {
            resource_type: vpc::EIP_RESOURCE_TYPE.into(),
            resource_id: vec![id.into()],
            tag: Tags(set),
        })?;
    }
    Ok(())
}

/// Turns an EIP's deletion protection on or off: its own VPC action, not a parameter of
/// AllocateEipAddress or ModifyEipAddressAttribute.
fn protect(x: &Exec, id: &str, on: bool) -> Result<(), ApiError> {
    x.client().send(&vpc::DeletionProtection {
        instance_id: id.into(),
        r#type: vpc::EIP_PROTECTION_TYPE.into(),
        protection_enable: Some(on),
        client_token: Some(format!("{}-protect", x.token())),
    })?;
    Ok(())
}

pub(crate) fn allocate(x: &Exec) -> Updates {
    let r = x.planned();
    let prepaid = sval(r, "payment_type").as_deref() == Some("Subscription");
    let req = vpc::AllocateEipAddress {
        bandwidth: sval(r, "bandwidth"),
        internet_charge_type: sval(r, "internet_charge_type"),
        instance_charge_type: Some(if prepaid { "PrePaid" } else { "PostPaid" }.into()),
        isp: sval(r, "isp"),
        name: sval(r, "address_name"),
        description: sval(r, "description"),
        ip_address: sval(r, "ip_address"),
        resource_group_id: sval(r, "resource_group_id"),
        tag: Tags(x.tags_with_identity(&tags_of(r))),
        client_token: Some(x.token().to_string()),
    };
    let allocated = x.client().send(&req)?;
    let id = new_id(allocated.allocation_id, "EIP id")?;
    let mut info = match x.wait_eip(&id, "Available", &format!("allocating {id}")) {
        Ok(info) => info,
        // The EIP exists: recorded from the answer (id and address) whatever the wait
        // says; the next refresh reads the rest.
        Err(e) => {
            let mut a = Attrs::new();
            a.insert("id".into(), Value::string(id));
            a.insert("ip_address".into(), Value::string(allocated.eip_address));
            return Ok(vec![Update::Set(x.address().clone(), a), Update::Failed(e)]);
        }
    };
    if flag(r, "deletion_protection") == Some(true) {
        // The EIP exists now: record it even if protecting it fails, so it is not leaked;
        // the next plan shows the protection still to set.
        if let Err(e) = protect(x, &id, true) {
            return Ok(vec![
                Update::Set(x.address().clone(), super::from_cloud(&info)),
                Update::Failed(e),
            ]);
        }
        info.deletion_protection = true;
    }
    Ok(vec![Update::Set(
        x.address().clone(),
        super::from_cloud(&info),
    )])
}

fn own_id(x: &Exec) -> Result<String, ApiError> {
    sval(x.current(), "id").ok_or_else(|| x.missing("the EIP id"))
}

pub(crate) fn modify(x: &Exec) -> Updates {
    let id = own_id(x)?;
    let (r, cur) = (x.planned(), x.current());
    x.client().send(&vpc::ModifyEipAddressAttribute {
        allocation_id: id.clone(),
        bandwidth: sval(r, "bandwidth"),
        name: Some(sval(r, "address_name").unwrap_or_default()),
        description: Some(sval(r, "description").unwrap_or_default()),
    })?;
    retag(x.client(), &id, &tags_of(cur), &tags_of(r))?;
    // Only a configured value changes the protection: left out, it stays as it is.
    if let Some(want) = flag(r, "deletion_protection")
        && want != (flag(cur, "deletion_protection") == Some(true))
    {
        protect(x, &id, want)?;
    }
    let info = x.eip_now(&id)?.ok_or_else(|| {
        ApiError::new(
            404,
            "InvalidAllocationId.NotFound",
            format!("{id} disappeared"),
        )
    })?;
    Ok(vec![Update::Set(
        x.address().clone(),
        super::from_cloud(&info),
    )])
}

pub(crate) fn release(x: &Exec) -> Updates {
    let addr = x.address();
    let cur = x.current();
    let id = own_id(x)?;
    if cur.get("deletion_protection") == Some(&Value::Bool(true)) {
        return Err(ApiError::new(
            400,
            "netform.DeletionProtection",
            format!(
                "{addr} ({id}) has deletion_protection = true and is never released; set it to false and apply first"
            ),
        ));
    }
    if sval(cur, "payment_type").as_deref() == Some("Subscription") {
        return Err(ApiError::new(
            400,
            "netform.Subscription",
            format!(
                "{addr} ({id}) is a Subscription EIP, which netform cannot release; release it in the console when it expires, then `netform state rm {addr}`"
            ),
        ));
    }
    remove(
        x.client(),
        &vpc::ReleaseEipAddress {
            allocation_id: id.clone(),
        },
        "InvalidAllocationId.NotFound",
        || x.wait_eip_gone(&id),
    )?;
    Ok(vec![Update::Remove(addr.clone())])
}

/// Done when an EIP with this operation's identity tags exists.
pub(crate) fn settle_allocate(x: &Exec, how: &Settle) -> Result<Settled, ApiError> {
    let found = x.client().eips_where(&vpc::DescribeEipAddresses {
        tag: x.identity(),
        ..Default::default()
    })?;
    let found = found
        .into_iter()
        .filter(|e| e.status != "Releasing")
        .collect();
    match pick(found, |e: &EipInfo| &e.id, how) {
        Some(e) => Ok(Settled::Done(vec![Update::Set(
            x.address().clone(),
            super::from_cloud(&e),
        )])),
        None if how.replay => replayed(allocate(x)),
        None => Ok(Settled::NotDone),
    }
}

/// Done when the EIP is gone.
pub(crate) fn settle_release(x: &Exec) -> Result<Settled, ApiError> {
    crate::resources::execute::settle_gone(x, |id| x.client().describe_eip(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::execute::testing::{TOKEN, destroying, job, run};
    use crate::plan::ops::OpAction;
    use crate::provider::api::fake::{self, Fake, World};
    use crate::resources::execute::testing::{attrs, set_attrs, tags};
    use crate::schema::Kind;

    #[test]
    fn eip_tag_removal_is_vpc_untag_resources_with_resource_type_eip() {
        let mut e = fake::eip("eip-1");
        e.tags = crate::provider::wire::VpcTags::from_map(
            &[("gone".to_string(), "1".to_string())].into(),
        );
        let f = Fake::new(World {
            eips: vec![e],
            ..World::default()
        });
        let j = job(
            Kind::Eip,
            "alicloud_eip_address",
            OpAction::ModifyEipAddressAttribute,
            Some(attrs(&[
                ("id", Value::string("eip-1")),
                ("tags", tags(&[("gone", "1")])),
            ])),
            attrs(&[("tags", tags(&[]))]),
        );
        let u = run(&j, &f.client());
        assert!(u.is_ok(), "{u:?}");
        let calls = f.calls_of("UnTagResources");
        assert_eq!(calls.len(), 1, "{:?}", f.actions());
        assert_eq!(calls[0].product, crate::provider::Product::Vpc);
        assert_eq!(calls[0].params["ResourceType"], "EIP");
        assert_eq!(calls[0].params["TagKey.1"], "gone");
        assert!(f.eip("eip-1").is_some_and(|e| e.tags.items.is_empty()));
    }

    #[test]
    fn a_protected_eip_is_allocated_then_protected_by_its_own_action() {
        let f = Fake::new(World::default());
        let j = job(
            Kind::Eip,
            "alicloud_eip_address",
            OpAction::AllocateEipAddress,
            None,
            attrs(&[
                ("bandwidth", Value::string("5")),
                ("deletion_protection", Value::Bool(true)),
            ]),
        );
        let u = run(&j, &f.client());
        assert!(u.is_ok(), "{u:?}");
        let alloc = f.calls_of("AllocateEipAddress");
        assert!(!alloc[0].params.contains_key("DeletionProtection"));
        let p = f.calls_of("DeletionProtection");
        assert_eq!(p.len(), 1, "{:?}", f.actions());
        let p = &p[0].params;
        assert_eq!(p["InstanceId"], "eip-fake1");
        assert_eq!(p["Type"], "EIP");
        assert_eq!(p["ProtectionEnable"], "true");
        assert_eq!(p["ClientToken"], format!("{TOKEN}-protect"));
        assert!(f.eip("eip-fake1").is_some_and(|e| e.deletion_protection));
        let a = u.ok();
        let a = a.as_deref().and_then(set_attrs);
        assert_eq!(
            a.and_then(|a| a.get("deletion_protection")),
            Some(&Value::Bool(true))
        );
    }

    #[test]
    fn an_update_calls_deletion_protection_only_when_the_value_changes() {
        let modify = |before: bool, after: Option<bool>| {
            let f = Fake::new(World {
                eips: vec![fake::eip("eip-1")],
                ..World::default()
            });
            let mut want = attrs(&[("description", Value::string("d"))]);
            if let Some(b) = after {
                want.insert("deletion_protection".into(), Value::Bool(b));
            }
            let j = job(
                Kind::Eip,
                "alicloud_eip_address",
                OpAction::ModifyEipAddressAttribute,
                Some(attrs(&[
                    ("id", Value::string("eip-1")),
                    ("deletion_protection", Value::Bool(before)),
                ])),
                want,
            );
            let u = run(&j, &f.client());
            assert!(u.is_ok(), "{u:?}");
            assert!(
                !f.calls_of("ModifyEipAddressAttribute")[0]
                    .params
                    .contains_key("DeletionProtection")
            );
            f.calls_of("DeletionProtection")
                .into_iter()
                .map(|c| c.params["ProtectionEnable"].clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(modify(false, Some(true)), ["true"]);
        assert_eq!(modify(true, Some(false)), ["false"]);
        assert!(modify(true, Some(true)).is_empty());
        assert!(modify(true, None).is_empty(), "left out, it stays");
    }

    #[test]
    fn a_protected_eip_is_never_released() {
        let f = Fake::new(World {
            eips: vec![fake::eip("eip-1")],
            ..World::default()
        });
        let j = destroying(job(
            Kind::Eip,
            "alicloud_eip_address",
            OpAction::ReleaseEipAddress,
            Some(attrs(&[
                ("id", Value::string("eip-1")),
                ("deletion_protection", Value::Bool(true)),
            ])),
            Attrs::new(),
        ));
        let e = run(&j, &f.client()).map(|_| ()).map_err(|e| e.code);
        assert_eq!(e, Err("netform.DeletionProtection".to_string()));
        assert!(f.calls().is_empty());
    }
}
