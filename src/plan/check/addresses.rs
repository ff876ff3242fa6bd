//! The address family: addresses asked for by value (ip-in-vswitch, ip-reserved, ip-unique),
//! addresses the cloud picks (ip-vswitch-capacity), what each ENI holds once the plan is done
//! (ip-available-cap, ip-instance-type-cap, ipv6-cap), a primary ENI's addresses
//! (ip-primary-eni-state) and the members of security groups (ip-sg-capacity), read from the
//! plan's final picture.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use super::out::{Out, bigger};
use super::picture::{Eni, Picture};
use crate::address::Address;
use crate::provider::api::EniInfo;
use crate::resources::view::Field;
use crate::resources::{EniSpec, SecondaryIpsSpec};
use crate::rules::{self, Facts, Placement, id};

/// Who holds each address of the vSwitches involved, (vSwitch, address) → holders.
type Owners = HashMap<(String, String), Vec<String>>;

/// The holders of every address before any new address of the plan is looked at: what the
/// cloud has outside the plan's ENIs, HAVIPs and SLBs, and what the plan's ENIs keep.
fn address_owners(p: &Picture) -> Owners {
    let mut owners = Owners::new();
    let mut own = |vsw: &str, ip: &str, who: &str| {
        owners
            .entry((vsw.to_string(), ip.to_string()))
            .or_default()
            .push(who.to_string());
    };
    let mut touched: BTreeSet<&String> = p.enis.iter().filter_map(|e| e.id.as_ref()).collect();
    // An ENI replaced destroy-first is gone before its replacement asks for the same addresses.
    touched.extend(&p.replaced_first);
    for (e, _) in p.cloud.enis.values() {
        if touched.contains(&e.id) {
            continue;
        }
        for ip in std::iter::once(&e.primary_ip)
            .chain(&e.private_ips)
            .chain(&e.ipv6)
        {
            own(&e.vswitch_id, ip, &e.id);
        }
    }
    for (id, h) in &p.cloud.havips {
        own(&h.vswitch, &h.address, id);
    }
    for (id, s) in &p.cloud.slbs {
        if !s.vswitch.is_empty() {
            own(&s.vswitch, &s.address, id);
        }
    }
    // Addresses that ENIs already hold and keep are theirs whatever order the ENIs come in: a
    // new ENI asking for one must see it taken even when it is looked at first.
    for e in p.enis.iter().filter(|e| !e.deleted) {
        let (Some(vsw_id), Some(c)) = (&e.vswitch, &e.cloud) else {
            continue;
        };
        let kept: BTreeSet<&String> = e
            .primary_ip
            .iter()
            .chain(&e.v4.known)
            .chain(&e.v6.known)
            .collect();
        let (keep4, keep6) = (e.v4.grows(), e.v6.grows());
        for ip in std::iter::once(&c.primary_ip)
            .chain(&c.private_ips)
            .chain(&c.ipv6)
        {
            let by_count = (keep4 && c.private_ips.contains(ip)) || (keep6 && c.ipv6.contains(ip));
            if kept.contains(ip) || by_count || e.primary_ip.is_none() && *ip == c.primary_ip {
                own(vsw_id, ip, &e.name());
            }
        }
    }
    owners
}

/// Addresses asked for by value: in the vSwitch, not reserved, not taken, not twice.
pub(super) fn given(p: &Picture, out: &mut Out) {
    let mut owners = address_owners(p);
    for e in p.enis.iter().filter(|e| !e.deleted) {
        if let Some(vsw_id) = &e.vswitch {
            given_on(p, out, &mut owners, e, vsw_id);
        }
    }
}

/// The new addresses one ENI asks for by value, with the resource asking for each.
fn asked(e: &Eni) -> Vec<(String, Address, Field)> {
    let mut addrs: Vec<(String, Address, Field)> = Vec::new();
    if let (Some(p), Some(a)) = (&e.primary_ip, &e.addr) {
        addrs.push((p.clone(), a.clone(), EniSpec::PRIMARY_IP));
    }
    let main_owner = e.ip_owners.first().or(e.v6_owners.first()).cloned();
    for ip in &e.v4.known {
        if let Some(o) = e.v4_from.get(ip).cloned().or(main_owner.clone()) {
            let at = e.v4_field(&o);
            addrs.push((ip.clone(), o, at));
        }
    }
    for ip in &e.v6.known {
        if let Some(o) = e.v6_owners.last() {
            addrs.push((ip.clone(), o.clone(), e.v6_field(o)));
        }
    }
    addrs
}

fn given_on(p: &Picture, out: &mut Out, owners: &mut Owners, e: &Eni, vsw_id: &String) {
    let vs = p.cloud.vswitches.get(vsw_id);
    let before = e.cloud_addresses();
    let name = e.name();
    let mut seen_here: BTreeSet<String> = BTreeSet::new();
    for (ip, owner, attr) in &asked(e) {
        let Ok(parsed) = ip.parse::<IpAddr>() else {
            continue;
        };
        if before.contains(ip) {
            // Registered with the owners already, before any ENI's new addresses.
            seen_here.insert(ip.clone());
            continue;
        }
        let net: Option<ipnet::IpNet> = vs.and_then(|vs| match parsed {
            IpAddr::V4(_) => vs.cidr.map(Into::into),
            IpAddr::V6(_) => vs.ipv6.map(Into::into),
        });
        let cidr = net.map(|n| n.to_string()).unwrap_or_default();
        let entry = owners.entry((vsw_id.clone(), ip.clone())).or_default();
        let facts = Facts::Address(rules::Address {
            ip: parsed,
            cidr: net,
            repeated: seen_here.contains(ip),
            // Addresses the ENI holds already were set aside above.
            on_this_eni: false,
            in_use: !entry.is_empty(),
        });
        let Some(v) = rules::evaluate(&facts, out.limits) else {
            seen_here.insert(ip.clone());
            entry.push(name.clone());
            continue;
        };
        let (summary, detail, help) = match v.rule {
            id::IP_IN_VSWITCH => (
                format!("asks for {ip}, which is not in the vSwitch {vsw_id} ({cidr})"),
                format!("rule: a given address lies in the ENI's vSwitch CIDR; {vsw_id} is {cidr}"),
                format!("pick an address inside {cidr}, e.g. with cidrhost(\"{cidr}\", N)"),
            ),
            id::IP_RESERVED => (
                format!("asks for {ip}, a reserved address of {cidr}"),
                format!(
                    "rule: the first address and the last three of a vSwitch's IPv4 CIDR (IPv6: the first and the last nine) are the system's; {ip} is one of them in {cidr}"
                ),
                "pick an address between the second and the fourth-last of the CIDR".into(),
            ),
            _ if v.code == "InvalidIp.IpRepeated" => (
                format!("asks for {ip} twice on {name}"),
                "rule: an address is not twice in one request or plan, nor already on the ENI"
                    .into(),
                "list each address once".into(),
            ),
            _ => {
                let other = entry.first().cloned().unwrap_or_default();
                seen_here.insert(ip.clone());
                entry.push(name.clone());
                (
                    format!("asks for {ip}, which {other} already uses in {vsw_id}"),
                    format!(
                        "rule: an address is not already in use in the vSwitch by any ENI, instance, HAVIP or SLB, and not twice in one plan; {other} holds {ip}"
                    ),
                    "pick a free address, or leave the addresses to the cloud with a count".into(),
                )
            }
        };
        out.push(&v, owner, attr, summary, detail, help);
    }
}

/// New addresses per vSwitch (given or picked by the cloud), and the resource to blame.
fn new_addresses(p: &Picture) -> BTreeMap<String, (usize, Address)> {
    let mut auto_need: BTreeMap<String, (usize, Address)> = BTreeMap::new();
    for e in p.enis.iter().filter(|e| !e.deleted) {
        let Some(vsw_id) = &e.vswitch else { continue };
        let before = e.cloud_addresses();
        let mut need = e.v4.auto;
        if e.cloud.is_none() && e.primary_ip.is_none() {
            need += 1;
        }
        if let Some(c) = &e.cloud {
            let kept =
                e.v4.known
                    .iter()
                    .filter(|x| c.private_ips.contains(x))
                    .count();
            need = need.saturating_sub(c.private_ips.len().saturating_sub(kept));
        }
        let new_given = e.v4.known.iter().filter(|x| !before.contains(*x)).count()
            + usize::from(e.cloud.is_none() && e.primary_ip.is_some());
        if let Some(a) = e.first_owner() {
            let ent = auto_need.entry(vsw_id.clone()).or_insert((0, a.clone()));
            ent.0 += need + new_given;
            if need > 0 && ent.1 != a && ent.0 == need + new_given {
                ent.1 = a;
            }
        }
    }
    auto_need
}

/// ip-vswitch-capacity: only when the cloud picks addresses and they do not fit.
pub(super) fn vswitch_capacity(p: &Picture, out: &mut Out) {
    let freed: BTreeMap<String, usize> = p
        .enis
        .iter()
        .filter(|e| e.deleted)
        .filter_map(|e| e.cloud.as_ref())
        .fold(BTreeMap::new(), |mut m, c| {
            *m.entry(c.vswitch_id.clone()).or_insert(0) += 1 + c.private_ips.len();
            m
        });
    for (vsw, (need, addr)) in &new_addresses(p) {
        let Some(avail) = p.cloud.vswitches.get(vsw).and_then(|v| v.available) else {
            continue;
        };
        let avail = avail + freed.get(vsw).copied().unwrap_or(0);
        let auto = p.enis.iter().any(|e| {
            !e.deleted
                && e.vswitch.as_deref() == Some(vsw.as_str())
                && (e.v4.auto > 0 || e.cloud.is_none() && e.primary_ip.is_none())
        });
        if !auto {
            continue;
        }
        let free = Facts::FreeAddresses {
            free: avail,
            need: *need,
        };
        let Some(v) = rules::evaluate(&free, out.limits) else {
            continue;
        };
        let detail = Out::rule(
            &v,
            Some(format!("{vsw} has {avail} free and this plan takes {need}")),
        );
        out.push(
            &v,
            addr,
            EniSpec::VSWITCH,
            format!("needs {need} new addresses in {vsw}, which has {avail} free"),
            detail,
            "ask for fewer addresses, or use a larger vSwitch".into(),
        );
    }
}

/// Where an ENI ends up, as the per-ENI caps see it.
fn placement<'l>(
    p: &Picture,
    out: &Out<'l>,
    i: usize,
) -> (
    Option<(String, bool)>,
    Option<&'l crate::limits::InstanceType>,
    Placement<'l>,
) {
    let inst = p.final_instance(i);
    let itype = inst
        .as_ref()
        .and_then(|(id, _)| p.cloud.instances.get(id))
        .and_then(|x| out.limits.instance_type(&x.ty));
    let on = match (&inst, itype) {
        (None, _) => Placement::Available,
        (Some(_), t) => Placement::Attached(t),
    };
    (inst, itype, on)
}

/// The IPv4 and IPv6 caps of one ENI (index `i` in the picture), on the instance it ends up on.
pub(super) fn counts(p: &Picture, out: &mut Out, i: usize) {
    let e = &p.enis[i];
    if e.deleted {
        return;
    }
    let Some(owner) = e.last_owner() else { return };
    ipv4_count(p, out, i, &owner);
    let v6_owner = e.v6_owners.last().cloned().unwrap_or(owner);
    ipv6_count(p, out, i, &v6_owner);
}

fn ipv4_count(p: &Picture, out: &mut Out, i: usize, owner: &Address) {
    let e = &p.enis[i];
    let Some(n) = e.v4.len() else { return };
    let limits = out.limits;
    let (inst, itype, on) = placement(p, out, i);
    let name = e.name();
    let attaching = inst.as_ref().is_some_and(|x| x.1);
    // An ENI attached by this plan holds what it has now at the attach, and gets its new
    // addresses after it: the larger of the two counts is what must fit.
    let held = if attaching {
        e.cloud
            .as_ref()
            .map(|c| c.private_ips.len().min(n))
            .unwrap_or(0)
    } else {
        n
    };
    let worst = n.max(held);
    let facts = Facts::Ipv4Count {
        on,
        secondary: worst,
    };
    let Some(v) = rules::evaluate(&facts, limits) else {
        return;
    };
    match (v.rule, &inst, itype) {
        (id::IP_INSTANCE_TYPE_CAP, Some((iid, _)), Some(t)) => {
            let what = if attaching && v.limit.is_some_and(|q| held as u64 + 1 > q) {
                format!(
                    "attaches {name}, which holds {} private IPv4 addresses, to {iid}",
                    held + 1
                )
            } else {
                format!("puts {} private IPv4 addresses on {name} (on {iid})", n + 1)
            };
            out.push(
                &v,
                owner,
                e.v4_field(owner),
                what,
                format!("limit: {} takes {} private IPv4 addresses per ENI, its primary included ({}); this plan asks for {} (primary + {worst})", t.id, t.eni_private_ip_address_quantity, t.source, worst + 1),
                format!("ask for at most {} secondary addresses, or {}", (t.eni_private_ip_address_quantity as usize).saturating_sub(1), bigger(limits, t, worst as u32 + 1, |x| x.eni_private_ip_address_quantity)),
            );
        }
        (id::IP_AVAILABLE_CAP, _, _) => {
            let cap = v.limit.unwrap_or_default();
            let detail = out.limit(
                "secondary private IPv4 on an Available (unattached) ENI",
                &limits.available_eni_secondary_ipv4,
            ) + &format!("; this plan asks for {n}");
            out.push(
                &v,
                owner,
                e.v4_field(owner),
                format!("puts {n} secondary private IPv4 addresses on {name}, which is not attached"),
                detail,
                format!("ask for at most {cap}, or attach the ENI (an attached ENI holds what its instance type allows)"),
            );
        }
        _ => {}
    }
}

/// ipv6-cap: judged only when the plan grows an ENI's IPv6 addresses.
fn ipv6_count(p: &Picture, out: &mut Out, i: usize, owner: &Address) {
    let e = &p.enis[i];
    let Some(n6) = e.v6.len().filter(|n| *n > 0) else {
        return;
    };
    if e.cloud.as_ref().is_some_and(|c| n6 <= c.ipv6.len()) {
        return;
    }
    let limits = out.limits;
    let (_, itype, on) = placement(p, out, i);
    let name = e.name();
    let vs = e.vswitch.as_ref().and_then(|v| p.cloud.vswitches.get(v));
    // An unknown vSwitch is given the benefit of the doubt (no false rejection).
    let facts = Facts::Ipv6Count {
        on,
        count: n6,
        vswitch_ipv6: vs.is_none_or(|v| v.ipv6.is_some()),
    };
    let Some(v) = rules::evaluate(&facts, limits) else {
        return;
    };
    let (summary, detail, help) = match (v.code, itype) {
        ("InvalidVSwitch.Ipv6NotTurnOn", _) => (
            format!(
                "asks for IPv6 on {name}, whose vSwitch {} has no IPv6 CIDR",
                e.vswitch.clone().unwrap_or_default()
            ),
            "rule: IPv6 addresses need a vSwitch with an IPv6 CIDR".into(),
            "enable IPv6 on the vSwitch, or use one that has it".into(),
        ),
        ("InvalidOperation.Ipv6NotSupport", Some(t)) => (
            format!(
                "asks for IPv6 on {name}, attached to a {} that has no IPv6",
                t.id
            ),
            format!(
                "limit: {} has EniIpv6AddressQuantity 0 ({})",
                t.id, t.source
            ),
            format!(
                "drop the IPv6 addresses, or {}",
                bigger(limits, t, 1, |x| x.eni_ipv6_address_quantity)
            ),
        ),
        ("InvalidOperation.Ipv6CountExceeded", Some(t)) => (
            format!(
                "puts {n6} IPv6 addresses on {name}; {} takes {}",
                t.id, t.eni_ipv6_address_quantity
            ),
            format!(
                "limit: {} takes {} IPv6 addresses per ENI ({}); this plan asks for {n6}",
                t.id, t.eni_ipv6_address_quantity, t.source
            ),
            format!(
                "ask for at most {}, or {}",
                t.eni_ipv6_address_quantity,
                bigger(limits, t, n6 as u32, |x| x.eni_ipv6_address_quantity)
            ),
        ),
        ("MaxEniIpv6IpsCountExceeded", _) => (
            format!("puts {n6} IPv6 addresses on {name}, which is not attached"),
            out.limit(
                "IPv6 addresses on an Available ENI",
                &limits.available_eni_ipv6,
            ) + &format!("; this plan asks for {n6}"),
            format!(
                "ask for at most {}, or attach the ENI first",
                limits.available_eni_ipv6.value
            ),
        ),
        _ => return,
    };
    out.push(&v, owner, e.v6_field(owner), summary, detail, help);
}

/// ip-primary-eni-state: addresses on a primary ENI change only while its instance runs or
/// stops.
pub(super) fn primary_eni_state(p: &Picture, out: &mut Out) {
    for (i, at) in &p.sips {
        let Some(info) = &p.enis[*i].cloud else {
            continue;
        };
        if !info.primary {
            continue;
        }
        let Some(inst) = info
            .instance_id
            .as_ref()
            .and_then(|x| p.cloud.instances.get(x))
        else {
            continue;
        };
        let facts = Facts::PrimaryEniIps {
            instance_status: &inst.status,
        };
        let Some(v) = rules::evaluate(&facts, out.limits) else {
            continue;
        };
        out.push(
            &v,
            at,
            SecondaryIpsSpec::INSTANCE,
            format!(
                "changes the addresses of {}, the primary ENI of {}, which is {}",
                info.id, inst.id, inst.status
            ),
            Out::rule(&v, Some(format!("{} is {}", inst.id, inst.status))),
            format!(
                "wait until {} is Running or Stopped, then plan again",
                inst.id
            ),
        );
    }
}

/// Per security group: the change in its addresses, the ENIs it gains, the resource to blame.
fn group_changes(p: &Picture) -> BTreeMap<String, (i64, i64, Address)> {
    let mut sg_add: BTreeMap<String, (i64, i64, Address)> = BTreeMap::new();
    for e in &p.enis {
        let Some(sgs) = e
            .sgs
            .as_ref()
            .or(e.cloud.as_ref().map(|c| &c.security_group_ids))
        else {
            continue;
        };
        let (Some(n4), Some(n6)) = (e.v4.len(), e.v6.len()) else {
            continue;
        };
        let now = e
            .cloud
            .as_ref()
            .map(|c| 1 + c.private_ips.len() + c.ipv6.len())
            .unwrap_or(0) as i64;
        let after = if e.deleted { 0 } else { (1 + n4 + n6) as i64 };
        let new_eni = i64::from(e.cloud.is_none() && !e.deleted);
        let Some(a) = e.first_owner() else { continue };
        for s in sgs {
            let ent = sg_add.entry(s.clone()).or_insert((0, 0, a.clone()));
            ent.0 += after - now;
            ent.1 += new_eni;
        }
    }
    sg_add
}

/// ip-sg-capacity: per group, its members after the plan (ENIs for an advanced group,
/// addresses for a basic one).
pub(super) fn security_group_capacity(p: &Picture, out: &mut Out) {
    let limits = out.limits;
    for (sg, (delta, new_enis, addr)) in &group_changes(p) {
        let Some(g) = p.cloud.sgs.get(sg) else {
            continue;
        };
        let members: Vec<&EniInfo> = p
            .cloud
            .enis
            .values()
            .map(|x| &x.0)
            .filter(|e| e.security_group_ids.contains(sg))
            .collect();
        if g.enterprise {
            let total = members.len() as i64 + new_enis;
            let facts = Facts::SecurityGroup {
                enterprise: true,
                enis: total.max(0) as usize,
                ips: 0,
            };
            if *new_enis > 0
                && let Some(v) = rules::evaluate(&facts, limits)
            {
                let detail = out.limit(
                    "ENIs in an advanced security group",
                    &limits.enterprise_sg_enis,
                ) + &format!("; this plan makes {total}");
                out.push(
                    &v,
                    addr,
                    EniSpec::SECURITY_GROUPS,
                    format!("puts {total} ENIs in the advanced security group {sg}"),
                    detail,
                    "put the ENI in another security group".into(),
                );
            }
        } else {
            let cap = limits.basic_sg_private_ips.value;
            let now: i64 = members
                .iter()
                .map(|e| (1 + e.private_ips.len() + e.ipv6.len()) as i64)
                .sum();
            let total = now + delta;
            let facts = Facts::SecurityGroup {
                enterprise: false,
                enis: 0,
                ips: total.max(0) as usize,
            };
            if *delta > 0
                && let Some(v) = rules::evaluate(&facts, limits)
            {
                let detail = out.limit(
                    "private IPs in a basic security group (IPv6 counted)",
                    &limits.basic_sg_private_ips,
                ) + &format!("; it holds {now} and this plan adds {delta}");
                out.push(
                    &v,
                    addr,
                    EniSpec::SECURITY_GROUPS,
                    format!("puts {total} private IPs in the basic security group {sg}"),
                    detail,
                    format!("keep the group at {cap} or fewer addresses: use another security group, or an advanced (enterprise) group"),
                );
            }
        }
    }
}
