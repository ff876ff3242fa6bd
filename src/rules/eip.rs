//! The rules about binding EIPs (rules.md "EIPs"), one function per rule, each the only place
//! its rule is decided.

use super::{Facts, Violation, id, running_or_stopped};
use crate::limits::Limits;

/// What kind of resource a binding targets, with the properties that rule some out.
#[derive(Clone, Debug, Default)]
pub struct EipTarget<'a> {
    /// AssociateEipAddress's `InstanceType`: EcsInstance, SlbInstance, Nat, HaVip,
    /// NetworkInterface or IpAddress.
    pub kind: &'a str,
    /// An ECS instance in the classic network.
    pub classic: bool,
    /// An SLB whose address type is internet, not intranet.
    pub internet_slb: bool,
    /// A NAT-mode binding to an instance's primary ENI.
    pub nat_on_primary_eni: bool,
}

/// Binding an EIP to an ENI, with the ENI's state at bind time.
#[derive(Clone, Debug, Default)]
pub struct EniBind<'a> {
    /// NAT, BINDED or MULTI_BINDED.
    pub mode: &'a str,
    pub primary: bool,
    /// Attached at bind time.
    pub attached: bool,
    /// NAT mode: whether the address bound to is one of the ENI's; `None` when the plan cannot
    /// know yet (addresses the cloud picks).
    pub address_on_eni: Option<bool>,
    /// NAT mode: another EIP is or will be bound to the same address.
    pub address_taken: bool,
    /// Another EIP on the ENI is or will be bound in a different mode.
    pub other_modes: bool,
    /// EIPs on the ENI once this one is bound.
    pub eips: usize,
}

const KINDS: &[&str] = &[
    "EcsInstance",
    "SlbInstance",
    "Nat",
    "HaVip",
    "NetworkInterface",
    "IpAddress",
];

pub fn eip_target_kind(f: &Facts, l: &Limits) -> Option<Violation> {
    let Facts::EipTarget(t) = f else { return None };
    let no = |code| Some(Violation::new(id::EIP_TARGET_KIND, code));
    match t.kind {
        "EcsInstance" if t.classic => no("OperationDenied"),
        "SlbInstance" if t.internet_slb => no("InvalidInstanceType.ValueNotSupported"),
        "IpAddress" if !l.ip_address_eip_target.value => {
            no("InvalidInstanceType.ValueNotSupported").map(|x| x.key("ip_address_eip_target"))
        }
        "NetworkInterface" if t.nat_on_primary_eni && !l.nat_mode_eip_on_primary_eni.value => {
            no("InvalidInstanceType.ValueNotSupported")
                .map(|x| x.key("nat_mode_eip_on_primary_eni"))
        }
        k if !KINDS.contains(&k) => no("InvalidInstanceType.ValueNotSupported"),
        _ => None,
    }
}

pub fn eip_one_target(f: &Facts, _: &Limits) -> Option<Violation> {
    matches!(f, Facts::Bind { eip_bound: true })
        .then(|| Violation::new(id::EIP_ONE_TARGET, "IncorrectEipStatus"))
}

pub fn eip_same_region(f: &Facts, _: &Limits) -> Option<Violation> {
    let Facts::Regions { eip, target } = f else {
        return None;
    };
    (eip != target).then(|| Violation::new(id::EIP_SAME_REGION, "InvalidParameter.Mismatch"))
}

pub fn eip_ecs_state(f: &Facts, _: &Limits) -> Option<Violation> {
    let Facts::EcsBind { status, .. } = f else {
        return None;
    };
    (!running_or_stopped(status))
        .then(|| Violation::new(id::EIP_ECS_STATE, "IncorrectInstanceStatus"))
}

pub fn eip_ecs_single(f: &Facts, _: &Limits) -> Option<Violation> {
    let Facts::EcsBind {
        public_ip,
        other_eips,
        ..
    } = f
    else {
        return None;
    };
    (*public_ip || *other_eips > 0)
        .then(|| Violation::new(id::EIP_ECS_SINGLE, "InvalidAssociation.Duplicated"))
}

pub fn eip_ecs_dnat(f: &Facts, _: &Limits) -> Option<Violation> {
    matches!(
        f,
        Facts::EcsBind {
            dnat_target: true,
            ..
        }
    )
    .then(|| Violation::new(id::EIP_ECS_DNAT, "BIND_INSTANCE_HAVE_PORTMAP_OR_BIND_EIP"))
}

pub fn eip_nat_quota(f: &Facts, l: &Limits) -> Option<Violation> {
    let Facts::NatBind {
        eips,
        pay_by_traffic,
    } = f
    else {
        return None;
    };
    let v = || Violation::new(id::EIP_NAT_QUOTA, "QuotaExceeded.Eip");
    let cap = l.nat_gateway_eips.value as usize;
    if *eips > cap {
        return Some(v().counts(cap, *eips).key("nat_gateway_eips"));
    }
    // The 2021 profile also caps the PayByTraffic ones; `current` has no such cap.
    match (pay_by_traffic, l.nat_gateway_paybytraffic_eips.value) {
        (Some(n), Some(p)) if *n > p as usize => {
            Some(v().counts(p, *n).key("nat_gateway_paybytraffic_eips"))
        }
        _ => None,
    }
}

pub fn eip_havip_single(f: &Facts, _: &Limits) -> Option<Violation> {
    let Facts::HavipBind { status, eips } = f else {
        return None;
    };
    // rules.md: only while Available or Allocated (not InUse, nor Creating/Deleting).
    if !matches!(*status, "Available" | "Allocated") {
        return Some(Violation::new(id::EIP_HAVIP_SINGLE, "IncorrectHaVipStatus"));
    }
    (*eips > 1).then(|| {
        Violation::new(id::EIP_HAVIP_SINGLE, "InvalidAssociation.Duplicated").counts(1, *eips)
    })
}

pub fn eip_slb_single(f: &Facts, _: &Limits) -> Option<Violation> {
    let Facts::SlbBind { eips } = f else {
        return None;
    };
    (*eips > 1).then(|| {
        Violation::new(id::EIP_SLB_SINGLE, "InvalidAssociation.Duplicated").counts(1, *eips)
    })
}

pub fn eip_eni_nat_mode(f: &Facts, _: &Limits) -> Option<Violation> {
    let v = || Violation::new(id::EIP_ENI_NAT_MODE, "InvalidParameter");
    match f {
        Facts::EniBind(b) if b.mode == "NAT" => {
            (b.address_on_eni == Some(false) || b.address_taken).then(v)
        }
        Facts::RemoveAddress { eip_bound: true } => Some(v()),
        _ => None,
    }
}

pub fn eip_eni_binded(f: &Facts, _: &Limits) -> Option<Violation> {
    let v = |code| Some(Violation::new(id::EIP_ENI_BINDED, code));
    match f {
        Facts::EniBind(b) => {
            if b.mode == "BINDED" {
                if b.primary {
                    return v("InvalidParameter");
                }
                if b.attached {
                    return v("InvalidStatus.EniStatusNotSupport");
                }
                if b.eips > 1 {
                    return v("InvalidParameter");
                }
            }
            // A visible-mode EIP is the ENI's only kind of EIP. A MULTI_BINDED binding that
            // eip-eni-multi refuses anyway is reported under that rule instead.
            let multi_refused = b.mode == "MULTI_BINDED" && (b.primary || b.attached);
            (b.other_modes && !multi_refused)
                .then_some(())
                .and_then(|_| v("InvalidParameter"))
        }
        Facts::ModeOnEni { mode, attached } => {
            (*mode != "NAT" && *attached).then_some(())?;
            v("InvalidStatus.EniStatusNotSupport")
        }
        _ => None,
    }
}

pub fn eip_eni_multi(f: &Facts, l: &Limits) -> Option<Violation> {
    let Facts::EniBind(b) = f else { return None };
    if b.mode != "MULTI_BINDED" {
        return None;
    }
    let v = |code| Violation::new(id::EIP_ENI_MULTI, code);
    if b.primary {
        return Some(v("InvalidParameter"));
    }
    if b.attached {
        return Some(v("InvalidStatus.EniStatusNotSupport"));
    }
    let cap = l.multi_binded_eips_per_eni.value as usize;
    (b.eips > cap).then(|| {
        v("QuotaExceeded.Eip")
            .counts(cap, b.eips)
            .key("multi_binded_eips_per_eni")
    })
}
