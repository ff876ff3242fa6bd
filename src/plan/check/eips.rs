//! The EIP family: binding EIPs (eip-one-target, eip-target-kind, eip-same-region, the ECS,
//! NAT gateway, HAVIP, SLB and ENI rules) and removing an address an EIP is bound to, read from
//! the plan's final picture.

use super::bindings::Bind;
use super::out::Out;
use super::picture::{Eni, Picture};
use crate::provider::api::EipInfo;
use crate::resources::BindingSpec;
use crate::rules::{self, EipTarget, EniBind, Facts, id};

/// Every binding the plan makes, per EIP and per target.
pub(super) fn bindings(p: &Picture, out: &mut Out) {
    one_target(p, out);
    for (tkey, list) in &p.bindings.per_target() {
        let stay = p.bindings.staying_on(tkey);
        let region = match list[0].kind.as_str() {
            "EcsInstance" => ecs(p, out, tkey, list, stay),
            "NetworkInterface" => eni(p, out, list, stay),
            "Nat" => nat(p, out, tkey, list, stay),
            "HaVip" => havip(p, out, tkey, list, stay),
            "SlbInstance" => slb(p, out, tkey, list, stay),
            "IpAddress" => {
                ip_address(out, list[0]);
                None
            }
            _ => None,
        };
        if let Some(tr) = region {
            same_region(p, out, tkey, list, &tr);
        }
    }
}

/// eip-one-target: an EIP bound already, or bound twice by this plan.
fn one_target(p: &Picture, out: &mut Out) {
    for (eip, list) in &p.bindings.per_eip() {
        let already = p
            .cloud
            .eips
            .get(eip)
            .filter(|e| e.instance_id.is_some() && !p.bindings.unbound.contains(&e.id));
        // The second binding in the plan finds the EIP bound by the first.
        let facts = Facts::Bind {
            eip_bound: list.len() > 1 || already.is_some(),
        };
        let Some(v) = rules::evaluate(&facts, out.limits) else {
            continue;
        };
        let b = if list.len() > 1 { list[1] } else { list[0] };
        let other = match already {
            Some(e) => e.instance_id.clone().unwrap_or_default(),
            None => list[0].address.to_string(),
        };
        let state = if already.is_some() {
            "already bound"
        } else {
            "Available now"
        };
        let detail = Out::rule(
            &v,
            Some(format!(
                "this plan binds it {} time(s) and it is {state}",
                list.len()
            )),
        );
        out.push(
            &v,
            &b.address,
            BindingSpec::EIP,
            format!("binds an EIP that {other} already binds"),
            detail,
            "allocate another EIP for the second target, or remove one of the associations".into(),
        );
    }
}

/// An ECS instance: VPC, Running or Stopped, no other public address, not a DNAT target.
fn ecs(p: &Picture, out: &mut Out, tkey: &str, list: &[&Bind], stay: &[EipInfo]) -> Option<String> {
    let inst = p.cloud.instances.get(tkey)?;
    let b0 = list[0];
    let kind = Facts::EipTarget(EipTarget {
        kind: "EcsInstance",
        classic: inst.classic,
        ..EipTarget::default()
    });
    let bind = Facts::EcsBind {
        status: &inst.status,
        public_ip: inst.public_ip,
        other_eips: stay.len() + list.len() - 1,
        dnat_target: inst
            .private_ip
            .as_ref()
            .is_some_and(|ip| p.cloud.nats.values().any(|n| n.dnat.contains(ip))),
    };
    let v = rules::evaluate(&kind, out.limits).or_else(|| rules::evaluate(&bind, out.limits));
    match v {
        Some(v) if v.rule == id::EIP_TARGET_KIND => out.push(&v, &b0.address, BindingSpec::TARGET, format!("binds an EIP to {tkey}, a classic-network instance"), "rule: an EIP binds only to a VPC ECS instance, a private SLB, a secondary ENI, a NAT gateway, a HAVIP or a VPC IP address".into(), "bind it to a VPC instance, or to a secondary ENI of one".into()),
        Some(v) if v.rule == id::EIP_ECS_STATE => out.push(
            &v,
            &b0.address,
            BindingSpec::TARGET,
            format!("binds an EIP to {tkey}, which is {}", inst.status),
            Out::rule(&v, Some(format!("{tkey} is {}", inst.status))),
            format!("wait until {tkey} is Running or Stopped, then plan again"),
        ),
        Some(v) if v.rule == id::EIP_ECS_SINGLE => {
            let why = if inst.public_ip {
                "has a fixed public IP".to_string()
            } else if !stay.is_empty() {
                format!("already has the EIP {}", stay[0].id)
            } else {
                format!("gets another EIP from {}", list[0].address)
            };
            let b = if list.len() > 1 && !inst.public_ip && stay.is_empty() {
                list[1]
            } else {
                b0
            };
            out.push(&v, &b.address, BindingSpec::TARGET, format!("binds an EIP to {tkey}, which {why}"), Out::rule(&v, None), "bind the EIP to a secondary ENI of the instance (NAT mode) instead, or to another instance".into());
        }
        Some(v) if v.rule == id::EIP_ECS_DNAT => {
            if let Some(ip) = &inst.private_ip {
                out.push(&v, &b0.address, BindingSpec::TARGET, format!("binds an EIP to {tkey}, a DNAT target of a NAT gateway"), format!("rule: an ECS instance that is a NAT gateway DNAT target ({ip}) takes no EIP"), "remove the DNAT entry first, or bind the EIP to a secondary ENI".into());
            }
        }
        _ => {}
    }
    Some(inst.region.clone())
}

/// An ENI: the mode's rules for each binding, in plan order.
fn eni(p: &Picture, out: &mut Out, list: &[&Bind], stay: &[EipInfo]) -> Option<String> {
    let (i, e) = p.eni_view(&list[0].target)?;
    let attached_now = e
        .cloud
        .as_ref()
        .is_some_and(|c| c.instance_id.is_some() && !p.detached.contains(&c.id));
    // Visible modes bind before the attach: an ENI this plan attaches is not attached yet at
    // bind time.
    let attaching = i
        .and_then(|i| p.attached_to.get(&i))
        .is_some_and(|l| l.iter().all(|x| x.creating));
    let on = EniTarget {
        e: &e,
        stay,
        list,
        attached: attached_now && !attaching,
    };
    for k in 0..list.len() {
        eni_bind(out, &on, k);
    }
    e.region.clone()
}

/// An ENI a list of bindings targets, with the EIPs that stay on it.
struct EniTarget<'a> {
    e: &'a Eni,
    stay: &'a [EipInfo],
    list: &'a [&'a Bind],
    /// Attached at bind time.
    attached: bool,
}

/// The `k`th binding to an ENI.
fn eni_bind(out: &mut Out, t: &EniTarget, k: usize) {
    let (e, b) = (t.e, t.list[k]);
    let m = b.mode.as_str();
    if !matches!(m, "NAT" | "BINDED" | "MULTI_BINDED") {
        return;
    }
    let name = e.name();
    let primary = e.is_primary();
    let kind = Facts::EipTarget(EipTarget {
        kind: "NetworkInterface",
        nat_on_primary_eni: primary && m == "NAT",
        ..EipTarget::default()
    });
    if let Some(v) = rules::evaluate(&kind, out.limits) {
        let detail = out.limit(
            "NAT-mode EIP on an instance's primary ENI",
            &out.limits.nat_mode_eip_on_primary_eni,
        );
        out.push(
            &v,
            &b.address,
            BindingSpec::TARGET,
            format!("binds a NAT-mode EIP to {name}, a primary ENI"),
            detail,
            "bind it to a secondary ENI, or to the instance itself (EcsInstance)".into(),
        );
        return;
    }
    // NAT mode names an address, the primary when left out.
    let ip = if m == "NAT" {
        match b.ip.clone().or(e.primary_ip.clone()) {
            Some(ip) => ip,
            None => return,
        }
    } else {
        String::new()
    };
    let on_eni = e.primary_ip.as_deref() == Some(ip.as_str()) || e.v4.known.contains(&ip);
    // Not on the ENI only when the plan knows all of its addresses.
    let address_on_eni = if on_eni {
        Some(true)
    } else if !e.v4.unknown && e.v4.auto == 0 && e.primary_ip.is_some() {
        Some(false)
    } else {
        None
    };
    let earlier = &t.list[..k];
    let twice = earlier.iter().any(|x| {
        x.mode == "NAT" && x.ip.clone().or(e.primary_ip.clone()).as_deref() == Some(ip.as_str())
    }) || t
        .stay
        .iter()
        .any(|x| x.private_ip.as_deref() == Some(ip.as_str()));
    let stay_modes: Vec<&str> = t
        .stay
        .iter()
        .map(|x| x.mode.as_deref().unwrap_or("NAT"))
        .collect();
    let other_modes = if m == "NAT" {
        stay_modes.iter().any(|x| *x != "NAT") || t.list.iter().any(|x| x.mode != "NAT")
    } else {
        earlier.iter().any(|x| x.mode != m) || stay_modes.iter().any(|x| *x != m)
    };
    let facts = Facts::EniBind(EniBind {
        mode: m,
        primary,
        attached: t.attached,
        address_on_eni,
        address_taken: twice,
        other_modes,
        eips: t.stay.len() + k + 1,
    });
    let Some(v) = rules::evaluate(&facts, out.limits) else {
        return;
    };
    eni_bind_refused(out, t, k, &v, &ip, address_on_eni);
}

/// Words a refused binding to an ENI.
fn eni_bind_refused(
    out: &mut Out,
    t: &EniTarget,
    k: usize,
    v: &rules::Violation,
    ip: &str,
    address_on_eni: Option<bool>,
) {
    let (e, b) = (t.e, t.list[k]);
    let (m, name, at) = (b.mode.as_str(), e.name(), &b.address);
    let stay = t.stay.len();
    match (v.rule, v.code) {
        (id::EIP_ENI_NAT_MODE, _) if address_on_eni == Some(false) => {
            let has = std::iter::once(e.primary_ip.clone().unwrap_or_default())
                .chain(e.v4.known.iter().cloned())
                .collect::<Vec<_>>()
                .join(", ");
            out.push(v, at, BindingSpec::PRIVATE_IP, format!("binds an EIP to {ip}, which is not one of {name}'s private IPs"), format!("rule: in NAT mode private_ip_address is one of the ENI's addresses; {name} has {has}"), format!("use one of {name}'s addresses, or add {ip} to it"));
        }
        (id::EIP_ENI_NAT_MODE, _) => out.push(
            v,
            at,
            BindingSpec::PRIVATE_IP,
            format!("binds a second EIP to {ip} on {name}"),
            "rule: NAT mode maps one EIP per private IP of the ENI".into(),
            format!("bind it to another address of {name}"),
        ),
        _ if e.is_primary() => out.push(
            v,
            at,
            BindingSpec::TARGET,
            format!("binds a {m}-mode EIP to {name}, a primary ENI"),
            format!("rule: {m} mode needs a secondary ENI"),
            "create a secondary ENI for the EIP, or use NAT mode".into(),
        ),
        (_, "InvalidStatus.EniStatusNotSupport") => out.push(v, at, BindingSpec::MODE, format!("binds a {m}-mode EIP to {name}, which is attached"), format!("rule: {m} mode binds only to an ENI that is not attached at bind time; {name} is attached and this plan does not detach it"), "detach the ENI, bind, and attach again (remove the attachment for one apply), or use NAT mode".into()),
        (id::EIP_ENI_MULTI, _) => {
            let cap = v.limit.unwrap_or_default();
            let n = v.asked.unwrap_or_default();
            let detail = out.limit("EIPs on one ENI in MULTI_BINDED mode", &out.limits.multi_binded_eips_per_eni) + &format!("; this plan binds {}", stay + t.list.len());
            out.push(v, at, BindingSpec::TARGET, format!("binds EIP number {n} to {name}"), detail, format!("bind at most {cap} EIPs to one ENI; put the others on another secondary ENI"));
        }
        _ if m == "NAT" => out.push(v, at, BindingSpec::MODE, format!("binds a NAT-mode EIP to {name}, which has a BINDED-mode EIP"), "rule: a BINDED (visible) mode EIP is the ENI's one EIP".into(), "use one mode per ENI".into()),
        _ if m == "BINDED" && stay + k > 0 => out.push(v, at, BindingSpec::TARGET, format!("binds a second EIP to {name}, which takes one in BINDED mode"), "rule: BINDED (visible) mode takes one EIP, in place of the ENI's primary private IP".into(), "use MULTI_BINDED mode for several EIPs on one ENI".into()),
        _ => out.push(
            v,
            at,
            BindingSpec::MODE,
            format!("mixes EIP modes on {name}"),
            "rule: a BINDED (visible) mode EIP is the ENI's one EIP".into(),
            "use one mode per ENI".into(),
        ),
    }
}

/// eip-nat-quota: the EIPs a NAT gateway carries, and its PayByTraffic ones where capped.
fn nat(p: &Picture, out: &mut Out, tkey: &str, list: &[&Bind], stay: &[EipInfo]) -> Option<String> {
    let region = &p.cloud.nats.get(tkey)?.region;
    let limits = out.limits;
    let have = stay.len() + p.bindings.nat_extra.get(tkey).copied().unwrap_or(0);
    let total = have + list.len();
    let pbt_have = stay
        .iter()
        .filter(|x| x.internet_charge_type == "PayByTraffic")
        .count();
    let new_pbt: Vec<&&Bind> = list
        .iter()
        .filter(|b| {
            p.bindings
                .eip(&p.cloud, &b.eip)
                .and_then(|e| e.charge)
                .as_deref()
                == Some("PayByTraffic")
        })
        .collect();
    let facts = Facts::NatBind {
        eips: total,
        pay_by_traffic: (!new_pbt.is_empty()).then_some(pbt_have + new_pbt.len()),
    };
    let Some(v) = rules::evaluate(&facts, limits) else {
        return Some(region.clone());
    };
    if v.key == Some("nat_gateway_eips") {
        let cap = v.limit.unwrap_or_default() as usize;
        let b = list[cap.saturating_sub(have).min(list.len() - 1)];
        let detail = out.limit("EIPs on one NAT gateway", &limits.nat_gateway_eips)
            + &format!("; it has {have} and this plan binds {} more", list.len());
        out.push(
            &v,
            &b.address,
            BindingSpec::TARGET,
            format!("binds EIP number {} to the NAT gateway {tkey}", cap + 1),
            detail,
            format!(
                "bind at most {} more; use a second NAT gateway for the rest",
                cap.saturating_sub(have)
            ),
        );
    } else if v.key == Some("nat_gateway_paybytraffic_eips")
        && let Some(pcap) = limits.nat_gateway_paybytraffic_eips.value
    {
        let b = new_pbt[(pcap as usize)
            .saturating_sub(pbt_have)
            .min(new_pbt.len() - 1)];
        let d = &limits.nat_gateway_paybytraffic_eips;
        out.push(&v, &b.address, BindingSpec::EIP, format!("binds PayByTraffic EIP number {} to the NAT gateway {tkey}", pcap + 1), format!("limit: at most {pcap} PayByTraffic EIPs on one NAT gateway in the `{}` profile ({}, {}); this plan makes {}", limits.profile, d.source, d.date, pbt_have + new_pbt.len()), "use PayByBandwidth EIPs for the rest (internet_charge_type = \"PayByBandwidth\")".into());
    }
    Some(region.clone())
}

/// eip-havip-single: one EIP, while the HAVIP is Available or Allocated.
fn havip(
    p: &Picture,
    out: &mut Out,
    tkey: &str,
    list: &[&Bind],
    stay: &[EipInfo],
) -> Option<String> {
    let h = p.cloud.havips.get(tkey)?;
    let status = &h.status;
    let region = p.cloud.vswitches.get(&h.vswitch).map(|v| v.region.clone());
    let facts = Facts::HavipBind {
        status,
        eips: list.len() + stay.len(),
    };
    let Some(v) = rules::evaluate(&facts, out.limits) else {
        return region;
    };
    if v.code == "IncorrectHaVipStatus" {
        out.push(
            &v,
            &list[0].address,
            BindingSpec::TARGET,
            format!("binds an EIP to {tkey}, which is {status}"),
            "rule: a HAVIP takes an EIP only while Available or Allocated".into(),
            "wait until the HAVIP is Available or Allocated".into(),
        );
    } else {
        let b = if stay.is_empty() { list[1] } else { list[0] };
        out.push(
            &v,
            &b.address,
            BindingSpec::TARGET,
            format!("binds a second EIP to the HAVIP {tkey}"),
            "rule: a HAVIP takes 1 EIP".into(),
            "keep one EIP on the HAVIP".into(),
        );
    }
    region
}

/// A private SLB (eip-target-kind) that takes one EIP (eip-slb-single).
fn slb(p: &Picture, out: &mut Out, tkey: &str, list: &[&Bind], stay: &[EipInfo]) -> Option<String> {
    let s = p.cloud.slbs.get(tkey)?;
    let kind = Facts::EipTarget(EipTarget {
        kind: "SlbInstance",
        internet_slb: s.address_type != "intranet",
        ..EipTarget::default()
    });
    let bind = Facts::SlbBind {
        eips: list.len() + stay.len(),
    };
    let v = rules::evaluate(&kind, out.limits).or_else(|| rules::evaluate(&bind, out.limits));
    match v {
        Some(v) if v.rule == id::EIP_TARGET_KIND => out.push(
            &v,
            &list[0].address,
            BindingSpec::TARGET,
            format!("binds an EIP to {tkey}, an internet SLB"),
            "rule: an EIP binds only to a private (intranet) SLB, not an internet one".into(),
            "bind it to an intranet SLB; an internet SLB has its own public address".into(),
        ),
        Some(v) => {
            let b = if stay.is_empty() { list[1] } else { list[0] };
            out.push(
                &v,
                &b.address,
                BindingSpec::TARGET,
                format!("binds a second EIP to the SLB {tkey}"),
                Out::rule(&v, None),
                "keep one EIP on the SLB".into(),
            );
        }
        None => {}
    }
    Some(s.region.clone())
}

/// eip-target-kind for an IP address, where the profile does not allow it.
fn ip_address(out: &mut Out, b: &Bind) {
    let kind = Facts::EipTarget(EipTarget {
        kind: "IpAddress",
        ..EipTarget::default()
    });
    let Some(v) = rules::evaluate(&kind, out.limits) else {
        return;
    };
    let detail = out.limit(
        "IpAddress as an EIP target",
        &out.limits.ip_address_eip_target,
    );
    out.push(
        &v,
        &b.address,
        BindingSpec::TARGET_TYPE,
        "binds an EIP to an IP address".into(),
        detail,
        "bind it to an ENI (NAT mode with private_ip_address) instead".into(),
    );
}

/// eip-same-region: each EIP bound to a target of a known region.
fn same_region(p: &Picture, out: &mut Out, tkey: &str, list: &[&Bind], tr: &str) {
    for b in list {
        let Some(er) = p.bindings.eip(&p.cloud, &b.eip).and_then(|e| e.region) else {
            continue;
        };
        let facts = Facts::Regions {
            eip: &er,
            target: tr,
        };
        let Some(v) = rules::evaluate(&facts, out.limits) else {
            continue;
        };
        out.push(
            &v,
            &b.address,
            BindingSpec::TARGET,
            format!("binds an EIP in {er} to {tkey} in {tr}"),
            "rule: an EIP and its target are in the same region (zones do not matter)".into(),
            format!("allocate the EIP in {tr} (a provider block with region = \"{tr}\")"),
        );
    }
}

/// eip-eni-nat-mode: an address removed while an EIP that stays is bound to it.
pub(super) fn removed_addresses(p: &Picture, out: &mut Out) {
    for e in &p.enis {
        let Some(info) = &e.cloud else { continue };
        let Some(owner) = e.last_owner() else {
            continue;
        };
        if e.deleted || e.v4.unknown {
            continue;
        }
        for x in p.bindings.staying_on(&info.id) {
            let Some(ip) = &x.private_ip else { continue };
            let gone = e.primary_ip.as_deref() != Some(ip.as_str())
                && !e.v4.known.contains(ip)
                && info.private_ips.contains(ip);
            if !gone {
                continue;
            }
            let Some(v) = rules::evaluate(&Facts::RemoveAddress { eip_bound: true }, out.limits)
            else {
                continue;
            };
            out.push(&v, &owner, e.v4_field(&owner), format!("removes {ip} from {}, but the EIP {} stays bound to it", info.id, x.id), "rule: in NAT mode an EIP is bound to one of the ENI's addresses, so an address cannot go while an EIP is bound to it".into(), format!("unbind {} first (remove its association in this plan), or keep {ip}", x.id));
        }
    }
}
