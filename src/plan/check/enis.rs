//! The ENI family: deleting and attaching ENIs (eni-primary, eni-single-attach,
//! eni-instance-state, eni-zone-vpc, eni-per-instance) and an ENI's security groups, read from
//! the plan's final picture.

use std::collections::BTreeSet;

use super::gather::Instance;
use super::out::{Out, bigger};
use super::picture::{Attachment, Eni, Picture};
use crate::address::Address;
use crate::resources::{AttachmentSpec, EniSpec};
use crate::rules::{self, EniOp, Facts};

/// eni-primary: deleting (or replacing) an instance's primary ENI.
pub(super) fn removals(p: &Picture, out: &mut Out) {
    for r in &p.removals {
        let op = Facts::EniOperation {
            op: EniOp::Delete,
            primary: r.cloud.as_ref().is_some_and(|x| x.primary),
        };
        let Some(v) = rules::evaluate(&op, out.limits) else {
            continue;
        };
        let (eni, inst) = r.cloud.as_ref().map_or(("?", String::new()), |x| {
            (x.id.as_str(), x.instance_id.clone().unwrap_or_default())
        });
        out.push(
            &v,
            &r.address,
            EniSpec::VSWITCH,
            format!("deletes {eni}, the primary ENI of {inst}"),
            Out::rule(&v, Some(format!("the plan would {}", if r.replace { "replace it (delete, then create)" } else { "delete it" }))),
            "keep the primary ENI as it is (no change that forces a replacement), or remove it from the configuration with `netform state rm`".into(),
        );
    }
}

/// Each attachment change in plan order: the instance's state when it detaches, and what
/// attaching needs.
pub(super) fn attachments(p: &Picture, out: &mut Out) {
    for a in &p.attachments {
        if let Some(inst) = a
            .detaches_from
            .as_ref()
            .and_then(|i| p.cloud.instances.get(i))
        {
            instance_state(out, &a.address, inst, "detaches");
        }
        if a.creating
            && let Some(i) = a.eni
        {
            attach(p, out, a, &p.enis[i]);
        }
    }
}

/// Attaching an ENI: not a primary one, not one attached elsewhere, to an instance in a state
/// that allows it, in the ENI's zone and VPC.
fn attach(p: &Picture, out: &mut Out, a: &Attachment, eni: &Eni) {
    let op = Facts::EniOperation {
        op: EniOp::Attach,
        primary: eni.is_primary(),
    };
    if let Some(v) = rules::evaluate(&op, out.limits) {
        out.push(
            &v,
            &a.address,
            AttachmentSpec::ENI,
            format!(
                "manages the attachment of {}, a primary ENI",
                eni.id.clone().unwrap_or_default()
            ),
            format!(
                "{}, so its attachment cannot be managed (destroying the resource would detach it)",
                Out::rule(&v, None)
            ),
            "attach a secondary ENI instead; the primary ENI stays with its instance".into(),
        );
        return;
    }
    // Already on another instance, and not detached by this plan.
    if let Some(info) = &eni.cloud
        && let Some(on) = &info.instance_id
        && let Some(v) = rules::evaluate(
            &Facts::Attach {
                attached: !p.detached.contains(&info.id),
            },
            out.limits,
        )
    {
        out.push(
            &v,
            &a.address,
            AttachmentSpec::ENI,
            format!("attaches {}, which is already attached to {on}", info.id),
            Out::rule(&v, Some(format!("{} is {}", info.id, info.status))),
            format!("detach it from {on} first (in the configuration that manages that attachment), or attach another ENI"),
        );
    }
    let Some(inst) = a.instance.as_ref().and_then(|i| p.cloud.instances.get(i)) else {
        return;
    };
    instance_state(out, &a.address, inst, "attaches");
    zone_vpc(p, out, &a.address, eni, inst);
}

/// eni-zone-vpc: the ENI's vSwitch and the instance in one zone and VPC.
fn zone_vpc(p: &Picture, out: &mut Out, at: &Address, eni: &Eni, inst: &Instance) {
    let Some(vs) = eni.vswitch.as_ref().and_then(|v| p.cloud.vswitches.get(v)) else {
        return;
    };
    let place = Facts::AttachPlace {
        eni_zone: &vs.zone,
        eni_vpc: &vs.vpc,
        instance_zone: Some(inst.zone.as_str()).filter(|z| !z.is_empty()),
        instance_vpc: Some(inst.vpc.as_str()).filter(|v| !v.is_empty()),
    };
    let Some(v) = rules::evaluate(&place, out.limits) else {
        return;
    };
    let iid = &inst.id;
    let (summary, help) = if v.code == "InvalidOperation.AvailabilityZoneMismatch" {
        (
            format!("attaches an ENI in {} to {iid} in {}", vs.zone, inst.zone),
            format!(
                "create the ENI in a vSwitch of {} (the instance's zone), or attach it to an instance in {}",
                inst.zone, vs.zone
            ),
        )
    } else {
        (
            format!("attaches an ENI in {} to {iid} in {}", vs.vpc, inst.vpc),
            format!("create the ENI in a vSwitch of {}", inst.vpc),
        )
    };
    let detail = "rule: ENI and instance are in the same zone and VPC".to_string();
    out.push(&v, at, AttachmentSpec::INSTANCE, summary, detail, help);
}

/// eni-instance-state: attaching or detaching needs the instance Running or Stopped (Stopped
/// for the types that attach only while stopped).
fn instance_state(out: &mut Out, at: &Address, inst: &Instance, verb: &str) {
    let ty = out.limits.instance_type(&inst.ty);
    let facts = rules::eni::instance_state(&inst.status, ty);
    let Some(v) = rules::evaluate(&facts, out.limits) else {
        return;
    };
    let stopped_only = rules::eni::stopped_only(ty);
    let need = if stopped_only {
        format!(
            "Stopped ({} attaches and detaches ENIs only while stopped)",
            inst.ty
        )
    } else {
        "Running or Stopped".to_string()
    };
    out.push(
        &v,
        at,
        AttachmentSpec::INSTANCE,
        format!("{verb} an ENI on {}, which is {}", inst.id, inst.status),
        format!(
            "rule: attach and detach need the instance {need}; {} is {}",
            inst.id, inst.status
        ),
        format!(
            "{} {} first, then plan again",
            if stopped_only { "stop" } else { "wait for" },
            inst.id
        ),
    );
}

/// eni-per-instance: what each instance carries once the plan is done.
pub(super) fn per_instance(p: &Picture, out: &mut Out) {
    let limits = out.limits;
    for (inst_id, added) in &p.new_on_instance {
        let Some(inst) = p.cloud.instances.get(inst_id) else {
            continue;
        };
        let Some(t) = limits.instance_type(&inst.ty) else {
            continue;
        };
        let staying = inst
            .enis
            .iter()
            .filter(|e| !p.detached.contains(*e))
            .count()
            .max(1);
        let total = staying + added.len();
        let Some(v) = rules::evaluate(&Facts::EnisOnInstance { ty: t, total }, limits) else {
            continue;
        };
        let fit = match (t.eni_quantity as usize).saturating_sub(staying) {
            0 => "attach none".to_string(),
            1 => "attach one".to_string(),
            n => format!("attach {n}"),
        };
        out.push(
            &v,
            &added[0],
            AttachmentSpec::INSTANCE,
            format!("{} would carry {total} ENIs; {} takes {}", inst_id, t.id, t.eni_quantity),
            format!("limit: {} takes {} ENIs including its primary ({}); it has {staying} and this plan attaches {} more", t.id, t.eni_quantity, t.source, added.len()),
            format!(
                "{} takes {} ENIs including its primary and this plan attaches {} more: {fit}, or {}",
                t.id,
                t.eni_quantity,
                added.len(),
                bigger(limits, t, total as u32, |x| x.eni_quantity)
            ),
        );
    }
}

/// eni-single-attach within the plan: one ENI, two attachments.
pub(super) fn attached_twice(p: &Picture, out: &mut Out) {
    for (i, list) in &p.attached_to {
        // The second attachment finds the ENI attached by the first.
        let second = Facts::Attach {
            attached: list.len() > 1,
        };
        let Some(v) = rules::evaluate(&second, out.limits) else {
            continue;
        };
        let insts: BTreeSet<&str> = list.iter().map(|x| x.instance.as_str()).collect();
        out.push(
            &v,
            &list[1].by,
            AttachmentSpec::ENI,
            format!(
                "attaches {} a second time ({} also attaches it)",
                p.enis[*i].name(),
                list[0].by
            ),
            format!(
                "rule: an ENI attaches to one instance at a time; this plan attaches it to {}",
                insts.into_iter().collect::<Vec<_>>().join(" and ")
            ),
            "keep one attachment per ENI; give the other instance its own ENI".into(),
        );
    }
}

/// eni-zone-vpc for a new or changed ENI's security groups: in the vSwitch's VPC, all of one
/// type.
pub(super) fn security_groups(p: &Picture, out: &mut Out, e: &Eni) {
    let (Some(sgs), Some(a)) = (&e.sgs, &e.addr) else {
        return;
    };
    let Some(vs) = e.vswitch.as_ref().and_then(|v| p.cloud.vswitches.get(v)) else {
        return;
    };
    let known: Vec<(&String, &super::gather::Sg)> = sgs
        .iter()
        .filter_map(|s| p.cloud.sgs.get(s).map(|g| (s, g)))
        .collect();
    let facts = Facts::EniSecurityGroups {
        vpc: &vs.vpc,
        groups: known
            .iter()
            .map(|(_, g)| (g.vpc.as_str(), g.enterprise))
            .collect(),
    };
    let Some(v) = rules::evaluate(&facts, out.limits) else {
        return;
    };
    if let Some((sg, g)) = v.index.and_then(|i| known.get(i)) {
        out.push(
            &v,
            a,
            EniSpec::SECURITY_GROUPS,
            format!(
                "puts the ENI in {sg}, a security group of {}, but its vSwitch is in {}",
                g.vpc, vs.vpc
            ),
            "rule: an ENI's security groups are in its vSwitch's VPC and all of one type".into(),
            format!("use security groups of {}", vs.vpc),
        );
    } else {
        out.push(
            &v,
            a,
            EniSpec::SECURITY_GROUPS,
            "mixes basic and advanced security groups".into(),
            "rule: an ENI's security groups are all basic or all advanced".into(),
            "use only basic or only advanced groups on one ENI".into(),
        );
    }
}
