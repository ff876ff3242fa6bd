//! Executing a binding's operations through the typed client (apply): associate an EIP with its
//! target (an ENI in NAT mode needs the private IP: the ENI's primary when left out), change
//! its forwarding mode, unassociate; settling either after a lost answer by where the EIP is
//! bound.

use crate::apply::execute::{Exec, Settled, Updates};
use crate::apply::{Update, sval};
use crate::lang::Value;
use crate::plan::attrs::Attrs;
use crate::provider::ApiError;
use crate::provider::api::EipInfo;
use crate::provider::wire::vpc;
use crate::resources::execute::nulled_unknowns;

/// The target type the cloud takes for an ENI, which alone has a mode and a private IP.
const ENI_TARGET: &str = "NetworkInterface";
/// The mode a binding to an ENI has when the configuration leaves it out.
const DEFAULT_MODE: &str = "NAT";

/// The binding's target type: configured, or inferred from the target's id.
fn target_type(a: &Attrs, target: &str) -> String {
    sval(a, "instance_type").unwrap_or_else(|| crate::plan::diff::infer_kind(target).to_string())
}

/// The private IP a NAT binding to ENI `target` names: configured, or the ENI's primary.
fn nat_ip(x: &Exec, r: &Attrs, target: &str) -> Result<String, ApiError> {
    match sval(r, "private_ip_address") {
        Some(ip) => Ok(ip),
        None => x.eni_now(target)?.map(|e| e.primary_ip).ok_or_else(|| {
            ApiError::new(
                404,
                "InvalidEniId.NotFound",
                format!("{target} does not exist"),
            )
        }),
    }
}

pub(crate) fn associate(x: &Exec) -> Updates {
    let r = x.planned();
    let alloc = sval(r, "allocation_id").ok_or_else(|| x.missing("allocation_id"))?;
    let target = sval(r, "instance_id").ok_or_else(|| x.missing("instance_id"))?;
    let kind = target_type(r, &target);
    let mut req = vpc::AssociateEipAddress {
        allocation_id: alloc.clone(),
        instance_id: target.clone(),
        instance_type: Some(kind.clone()),
        vpc_id: sval(r, "vpc_id"),
        client_token: Some(x.token().to_string()),
        ..Default::default()
    };
    let mut a = r.clone();
    a.insert("instance_type".into(), Value::string(kind.clone()));
    if kind == ENI_TARGET {
        let mode = sval(r, "mode").unwrap_or_else(|| DEFAULT_MODE.into());
        req.mode = Some(mode.clone());
        if mode == DEFAULT_MODE {
            // Alibaba requires the private IP; the ENI's primary when left out.
            let ip = nat_ip(x, r, &target)?;
            req.private_ip_address = Some(ip.clone());
            a.insert("private_ip_address".into(), Value::string(ip));
        }
        a.insert("mode".into(), Value::string(mode));
    } else {
        req.private_ip_address = sval(r, "private_ip_address");
    }
    x.client().send(&req)?;
    let info = x.wait_eip(&alloc, "InUse", &format!("binding {alloc} to {target}"))?;
    Ok(bound(x, a, &alloc, &target, &info))
}

/// The updates of a binding in place: the association (its attributes `a`) and the EIP, as
/// the cloud now describes it.
fn bound(x: &Exec, mut a: Attrs, alloc: &str, target: &str, info: &EipInfo) -> Vec<Update> {
    a.insert("id".into(), Value::string(format!("{alloc}:{target}")));
    nulled_unknowns(&mut a);
    vec![
        Update::Set(x.address().clone(), a),
        Update::ById(alloc.to_string(), crate::resources::eip::from_cloud(info)),
    ]
}

pub(crate) fn unassociate(x: &Exec) -> Updates {
    let cur = x.current();
    let alloc = sval(cur, "allocation_id").ok_or_else(|| x.missing("allocation_id"))?;
    let target = sval(cur, "instance_id").ok_or_else(|| x.missing("instance_id"))?;
    let req = vpc::UnassociateEipAddress {
        allocation_id: alloc.clone(),
        instance_id: Some(target),
        instance_type: sval(cur, "instance_type"),
        force: (cur.get("force") == Some(&Value::Bool(true))).then_some(true),
        client_token: Some(x.token().to_string()),
        ..Default::default()
    };
    let mut ups = vec![Update::Remove(x.address().clone())];
    match x.client().send(&req) {
        Ok(_) => {
            let info = x.wait_eip(&alloc, "Available", &format!("unbinding {alloc}"))?;
            ups.push(Update::ById(
                alloc,
                crate::resources::eip::from_cloud(&info),
            ));
        }
        Err(e) if e.code == "InvalidAllocationId.NotFound" => {}
        Err(e) => return Err(e),
    }
    Ok(ups)
}

pub(crate) fn modify_mode(x: &Exec) -> Updates {
    let alloc = sval(x.current(), "allocation_id").ok_or_else(|| x.missing("allocation_id"))?;
    let mode = sval(x.planned(), "mode").unwrap_or_else(|| DEFAULT_MODE.into());
    x.client().send(&vpc::ModifyEipForwardMode {
        instance_id: alloc,
        mode: mode.clone(),
        client_token: Some(x.token().to_string()),
    })?;
    let mut a = x.current().clone();
    a.insert("mode".into(), Value::string(mode));
    Ok(vec![Update::Set(x.address().clone(), a)])
}

/// Done when the EIP is bound to the target (waiting out Associating).
pub(crate) fn settle_associate(x: &Exec) -> Result<Settled, ApiError> {
    let r = x.planned();
    let (Some(alloc), Some(target)) = (sval(r, "allocation_id"), sval(r, "instance_id")) else {
        return Ok(Settled::NotDone);
    };
    let Some(e) = x.client().describe_eip(&alloc)? else {
        return Ok(Settled::NotDone);
    };
    if e.instance_id.as_deref() != Some(target.as_str()) {
        return Ok(Settled::NotDone);
    }
    let Some(info) = x.client().wait_bound(&alloc, &target)? else {
        return Ok(Settled::NotDone);
    };
    let mut a = r.clone();
    let kind = info
        .instance_type
        .clone()
        .unwrap_or_else(|| target_type(r, &target));
    if kind == ENI_TARGET {
        let mode = info
            .mode
            .clone()
            .or_else(|| sval(r, "mode"))
            .unwrap_or_else(|| DEFAULT_MODE.into());
        if let Some(ip) = info
            .private_ip
            .clone()
            .or_else(|| sval(r, "private_ip_address"))
        {
            a.insert("private_ip_address".into(), Value::string(ip));
        }
        a.insert("mode".into(), Value::string(mode));
    }
    a.insert("instance_type".into(), Value::string(kind));
    Ok(Settled::Done(bound(x, a, &alloc, &target, &info)))
}

/// Done when the EIP is no longer bound to the target (or gone).
pub(crate) fn settle_unassociate(x: &Exec) -> Result<Settled, ApiError> {
    let cur = x.current();
    let (Some(alloc), Some(target)) = (sval(cur, "allocation_id"), sval(cur, "instance_id")) else {
        return Ok(Settled::NotDone);
    };
    let mut ups = vec![Update::Remove(x.address().clone())];
    match x.client().describe_eip(&alloc)? {
        None => {}
        Some(e) if e.instance_id.as_deref() == Some(target.as_str()) => {
            return Ok(Settled::NotDone);
        }
        Some(e) => ups.push(Update::ById(alloc, crate::resources::eip::from_cloud(&e))),
    }
    Ok(Settled::Done(ups))
}
