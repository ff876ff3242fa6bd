//! Plan-time checks of Alibaba Cloud's rules (rules.md) over the refreshed cloud and the whole
//! plan together.
//!
//! The checker builds the *final* picture the plan leads to — every ENI it touches with its
//! addresses, what each instance carries, what each EIP is bound to — from one batch of Describe
//! calls per kind and region (so the cost stays linear in the plan), then holds that picture
//! against the rules and the limits profile the simulator reads too. Ordering the rules imply
//! (attach → assign → bind, BINDED before attach, release after unbind) is the planner's job and
//! is never reported here. A value the plan cannot know yet (an id the cloud will choose, a count
//! of automatically picked addresses) is linked through its origin address where possible and
//! otherwise skipped: a false rejection is as much a bug as a missed violation.
//!
//! The checker decides no rule itself: it gathers the facts of each situation (the final counts,
//! the states at the time of each operation) and asks `rules::evaluate`, the same code the
//! simulator asks; this module only words the diagnostics.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use super::{Action, Change, origin_address};
use crate::address::Address;
use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics, SourceRange};
use crate::lang::Value;
use crate::limits::{Dated, InstanceType, Limits};
use crate::provider::api::{Client, EipInfo, EniInfo};
use crate::provider::wire::{ecs, slb, vpc};
use crate::provider::{ApiError, Clouds};
use crate::rules::{self, EipTarget, EniBind, EniOp, Facts, Placement};
use crate::schema::Kind;
use crate::state::State;
use ipnet::{Ipv4Net, Ipv6Net};

/// What an id-valued attribute points at.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ref {
    /// A cloud id, known now.
    Id(String),
    /// The object another change of this plan creates.
    Planned(Address),
    /// Cannot be decided at plan time.
    Unknown,
}

fn ref_of(v: Option<&Value>) -> Ref {
    match v {
        Some(Value::String(s)) if !s.is_empty() => Ref::Id(s.clone()),
        Some(v) => match origin_address(v) {
            Some(a) => Ref::Planned(a),
            None => Ref::Unknown,
        },
        None => Ref::Unknown,
    }
}

fn str_of(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A set of addresses as far as the plan knows it: the known ones, how many more the cloud will
/// pick, and whether even that is unknown.
#[derive(Clone, Debug, Default)]
struct IpSet {
    known: BTreeSet<String>,
    auto: usize,
    unknown: bool,
}

impl IpSet {
    fn len(&self) -> Option<usize> {
        (!self.unknown).then_some(self.known.len() + self.auto)
    }

    /// From a list attribute and its count companion.
    fn from_attrs(list: Option<&Value>, count: Option<&Value>) -> IpSet {
        match list {
            Some(v) if v.as_seq().is_some() => IpSet {
                known: v
                    .as_seq()
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                auto: 0,
                unknown: false,
            },
            _ => match count.and_then(Value::coerce_number) {
                Some(n) if n >= 0.0 => IpSet {
                    known: BTreeSet::new(),
                    auto: n as usize,
                    unknown: false,
                },
                _ => IpSet {
                    unknown: true,
                    ..IpSet::default()
                },
            },
        }
    }
}

/// An ENI the plan touches, in its final state.
#[derive(Clone, Debug)]
struct Eni {
    /// The change managing the ENI itself, if any.
    addr: Option<Address>,
    id: Option<String>,
    cloud: Option<EniInfo>,
    region: Option<String>,
    vswitch: Option<String>,
    sgs: Option<Vec<String>>,
    primary_ip: Option<String>,
    v4: IpSet,
    v6: IpSet,
    deleted: bool,
    /// Where each address came from (the resource that asks for it), for messages.
    v4_from: BTreeMap<String, Address>,
    /// Resources whose addresses land on this ENI (the ENI itself, secondary-IP resources).
    ip_owners: Vec<(Address, &'static str)>,
    v6_owners: Vec<(Address, &'static str)>,
}

impl Eni {
    fn is_primary(&self) -> bool {
        self.cloud.as_ref().is_some_and(|c| c.primary)
    }
}

#[derive(Clone, Debug, Default)]
struct Instance {
    id: String,
    region: String,
    zone: String,
    vpc: String,
    ty: String,
    status: String,
    vswitch: String,
    classic: bool,
    public_ip: bool,
    private_ip: Option<String>,
    /// Secondary and primary ENIs attached now.
    enis: Vec<String>,
}

#[derive(Clone, Debug)]
struct VSwitch {
    region: String,
    zone: String,
    vpc: String,
    cidr: Option<Ipv4Net>,
    ipv6: Option<Ipv6Net>,
    available: Option<usize>,
}

#[derive(Clone, Debug)]
struct Sg {
    vpc: String,
    enterprise: bool,
}

/// Everything the Describe calls returned.
#[derive(Default)]
struct Cloud {
    instances: HashMap<String, Instance>,
    enis: HashMap<String, (EniInfo, String)>,
    vswitches: HashMap<String, VSwitch>,
    sgs: HashMap<String, Sg>,
    eips: HashMap<String, EipInfo>,
    /// NAT gateway id → (region, bound allocation ids, DNAT private IPs).
    nats: HashMap<String, (String, Vec<String>, Vec<String>)>,
    /// HAVIP id → (vSwitch, address, status).
    havips: HashMap<String, (String, String, String)>,
    /// SLB id → (region, address type, vSwitch, address).
    slbs: HashMap<String, (String, String, String, String)>,
    /// Whether every Describe call answered; when one did not, nothing is decided from absence.
    complete: bool,
}

impl Cloud {
    /// The items of a Describe run; a failed one leaves the picture incomplete, so that nothing
    /// is decided from absence.
    fn ok<T>(&mut self, r: Result<Vec<T>, ApiError>) -> Vec<T> {
        r.unwrap_or_else(|_| {
            self.complete = false;
            Vec::new()
        })
    }

    fn add_enis(&mut self, list: Vec<EniInfo>, region: &str) {
        for e in list {
            self.enis.insert(e.id.clone(), (e, region.to_string()));
        }
    }
}

/// Ids the plan mentions, collected before the Describe calls.
#[derive(Default)]
struct Wanted {
    instances: BTreeSet<String>,
    enis: BTreeSet<String>,
    eips: BTreeSet<String>,
    /// Targets whose bound EIPs matter.
    targets: BTreeSet<String>,
}

impl Wanted {
    /// Whether the plan binds an EIP to an ECS instance, the one case where DNAT entries matter.
    fn binds_instances(&self) -> bool {
        self.targets.iter().any(|t| self.instances.contains(t))
    }
}

fn gather(clouds: &Clouds, changes: &[Change], w: &Wanted) -> Cloud {
    let mut cloud = Cloud {
        complete: true,
        ..Cloud::default()
    };
    // One client per distinct region: every Describe below is one page run per region and kind,
    // or per batch of ids the plan names.
    let mut regions: BTreeMap<String, Option<String>> = BTreeMap::new();
    // Every provider block's region: a target may live in a region no change is made in.
    let mut aliases: BTreeSet<Option<String>> =
        changes.iter().map(|c| c.provider.clone()).collect();
    aliases.extend(clouds.regions.keys().cloned());
    aliases.insert(None);
    for a in aliases {
        let c = clouds.client(a.as_deref());
        regions.entry(c.region.clone()).or_insert(a);
    }
    for (region, alias) in &regions {
        let c = clouds.client(alias.as_deref());
        gather_networks(&mut cloud, &c, region);
        gather_instances(&mut cloud, &c, w);
        gather_enis(&mut cloud, &c, region, changes, w);
        gather_eips(&mut cloud, &c, w);
        gather_targets(&mut cloud, &c, region, w);
    }
    cloud
}

/// vSwitches and security groups of a region.
fn gather_networks(cloud: &mut Cloud, c: &Client, region: &str) {
    let list = c.list_all(&vpc::DescribeVSwitches::default());
    for v in cloud.ok(list) {
        cloud.vswitches.insert(
            v.v_switch_id,
            VSwitch {
                region: region.to_string(),
                zone: v.zone_id,
                vpc: v.vpc_id,
                cidr: v.cidr_block.parse().ok(),
                ipv6: v.ipv6_cidr_block.parse().ok(),
                available: Some(v.available_ip_address_count as usize),
            },
        );
    }
    let list = c.list_all_tokens(&ecs::DescribeSecurityGroups::default());
    for s in cloud.ok(list) {
        cloud.sgs.insert(
            s.security_group_id,
            Sg {
                vpc: s.vpc_id,
                enterprise: s.security_group_type == "enterprise",
            },
        );
    }
}

/// The instances the plan names.
fn gather_instances(cloud: &mut Cloud, c: &Client, w: &Wanted) {
    let ids: Vec<String> = w.instances.iter().cloned().collect();
    let list = c.describe_instances(&ids);
    for i in cloud.ok(list) {
        let vpc = i.vpc_attributes;
        let inst = Instance {
            id: i.instance_id,
            region: i.region_id,
            zone: i.zone_id,
            vpc: vpc.vpc_id,
            ty: i.instance_type,
            status: i.status,
            vswitch: vpc.v_switch_id,
            classic: i.instance_network_type == "classic",
            public_ip: !i.public_ip_address.items.is_empty(),
            private_ip: vpc.private_ip_address.items.into_iter().next(),
            enis: i
                .network_interfaces
                .items
                .into_iter()
                .map(|e| e.network_interface_id)
                .collect(),
        };
        cloud.instances.insert(inst.id.clone(), inst);
    }
}

/// ENIs by id, and every ENI in the vSwitches the plan uses (for address uniqueness and
/// capacity), on the instances it involves and in the security groups it adds addresses to.
fn gather_enis(cloud: &mut Cloud, c: &Client, region: &str, changes: &[Change], w: &Wanted) {
    let ids: Vec<String> = w.enis.iter().cloned().collect();
    let list = c.describe_enis(&ids);
    let list = cloud.ok(list);
    cloud.add_enis(list, region);
    // vSwitches of every ENI the plan reaches (secondary-IP resources on existing ENIs too).
    let mut vswitches = vswitches_of(changes);
    vswitches.extend(cloud.enis.values().map(|(e, _)| e.vswitch_id.clone()));
    vswitches.extend(
        cloud
            .instances
            .values()
            .map(|i| i.vswitch.clone())
            .filter(|v| !v.is_empty()),
    );
    // Security groups the plan adds addresses to: every member counts against the cap.
    let mut sgs: BTreeSet<String> = changes
        .iter()
        .filter(|c| c.kind == Kind::Eni)
        .filter_map(|c| {
            c.after
                .as_ref()?
                .get("security_group_ids")?
                .as_seq()
                .map(<[Value]>::to_vec)
        })
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    sgs.extend(
        cloud
            .enis
            .values()
            .flat_map(|(e, _)| e.security_group_ids.iter().cloned()),
    );
    let filters = w
        .instances
        .iter()
        .map(|i| ecs::DescribeNetworkInterfaces {
            instance_id: Some(i.clone()),
            ..Default::default()
        })
        .chain(
            vswitches
                .into_iter()
                .map(|v| ecs::DescribeNetworkInterfaces {
                    v_switch_id: Some(v),
                    ..Default::default()
                }),
        )
        .chain(sgs.into_iter().map(|s| ecs::DescribeNetworkInterfaces {
            security_group_id: Some(s),
            ..Default::default()
        }));
    for f in filters {
        let list = c.enis_where(&f);
        let list = cloud.ok(list);
        cloud.add_enis(list, region);
    }
}

/// EIPs the plan names, and those bound to the targets it binds to.
fn gather_eips(cloud: &mut Cloud, c: &Client, w: &Wanted) {
    let ids: Vec<String> = w.eips.iter().cloned().collect();
    let list = c.describe_eips(&ids);
    for e in cloud.ok(list) {
        cloud.eips.insert(e.id.clone(), e);
    }
    for t in &w.targets {
        let list = c.eips_where(&vpc::DescribeEipAddresses {
            associated_instance_id: Some(t.clone()),
            ..Default::default()
        });
        for e in cloud.ok(list) {
            if e.instance_id.as_deref() == Some(t.as_str()) {
                cloud.eips.insert(e.id.clone(), e);
            }
        }
    }
}

/// NAT gateways (with their bound EIPs, and their DNAT targets when the plan binds EIPs to
/// instances), HAVIPs and SLBs of a region.
fn gather_targets(cloud: &mut Cloud, c: &Client, region: &str, w: &Wanted) {
    let list = c.list_all(&vpc::DescribeNatGateways::default());
    for n in cloud.ok(list) {
        let dnat = if w.binds_instances() {
            let ips = c.dnat_ips(&n);
            cloud.ok(ips)
        } else {
            Vec::new()
        };
        let bound = n
            .ip_lists
            .items
            .into_iter()
            .map(|x| x.allocation_id)
            .filter(|x| !x.is_empty())
            .collect();
        cloud
            .nats
            .insert(n.nat_gateway_id, (region.to_string(), bound, dnat));
    }
    let list = c.list_all(&vpc::DescribeHaVips::default());
    for h in cloud.ok(list) {
        cloud
            .havips
            .insert(h.ha_vip_id, (h.v_switch_id, h.ip_address, h.status));
    }
    let list = c.list_all(&slb::DescribeLoadBalancers::default());
    for s in cloud.ok(list) {
        cloud.slbs.insert(
            s.load_balancer_id,
            (region.to_string(), s.address_type, s.v_switch_id, s.address),
        );
    }
}

fn vswitches_of(changes: &[Change]) -> BTreeSet<String> {
    changes
        .iter()
        .filter(|c| c.kind == Kind::Eni)
        .flat_map(|c| [c.before.as_ref(), c.after.as_ref()])
        .flatten()
        .filter_map(|a| str_of(a.get("vswitch_id")))
        .collect()
}

/// The ids a plan names, so the Describe calls fetch just those.
fn wanted(changes: &[Change]) -> Wanted {
    let mut w = Wanted::default();
    for c in changes {
        for side in [c.before.as_ref(), c.after.as_ref()].into_iter().flatten() {
            let id = |k: &str| str_of(side.get(k));
            match c.kind {
                Kind::Eni => w.enis.extend(id("id")),
                Kind::Attachment => {
                    w.enis.extend(id("network_interface_id"));
                    w.instances.extend(id("instance_id"));
                }
                Kind::SecondaryIps => {
                    w.enis.extend(id("network_interface_id"));
                    w.instances.extend(id("instance_id"));
                }
                Kind::Eip => w.eips.extend(id("id")),
                Kind::Association => {
                    w.eips.extend(id("allocation_id"));
                    if let Some(t) = id("instance_id") {
                        if t.starts_with("eni-") {
                            w.enis.insert(t.clone());
                        } else if !t.contains('.') {
                            w.instances.insert(t.clone());
                        }
                        w.targets.insert(t);
                    }
                }
                _ => {}
            }
        }
    }
    // Planned ENIs' bound EIPs matter too (NAT-mode addresses).
    let enis: Vec<String> = w.enis.iter().cloned().collect();
    w.targets.extend(enis);
    w
}

/// Emits diagnostics with the configuration range of the offending attribute.
struct Out<'a> {
    cfg: &'a Config,
    limits: &'a Limits,
    diags: Diagnostics,
    seen: BTreeSet<(String, String)>,
}

impl Out<'_> {
    fn range(&self, addr: &Address, attr: &str) -> Option<SourceRange> {
        let r = self.cfg.resource_at(addr)?;
        // An address list may be written as its count companion instead.
        let companions: Vec<&str> = match attr {
            "private_ip_addresses" => vec![
                "private_ip_addresses",
                "secondary_private_ip_address_count",
                "private_ip_address_count",
                "vswitch_id",
            ],
            "ipv6_address_count" | "ipv6_addresses" => vec!["ipv6_addresses", "ipv6_address_count"],
            other => vec![other],
        };
        companions
            .iter()
            .find_map(|name| {
                r.attrs
                    .iter()
                    .find(|a| a.name == *name || r.kind.canonical(&a.name) == *name)
            })
            .and_then(|a| a.value.range())
            .or_else(|| Some(r.range.clone()))
    }

    /// One violation; the same rule at the same resource is reported once.
    fn push(
        &mut self,
        rule: &str,
        addr: &Address,
        attr: &str,
        summary: String,
        detail: String,
        help: String,
    ) {
        if !self.seen.insert((rule.to_string(), addr.to_string())) {
            return;
        }
        let summary = format!("{addr}: {summary}");
        self.diags.push(
            Diagnostic::error(summary)
                .with_rule(rule)
                .at(self.range(addr, attr))
                .with_detail(detail)
                .with_help(help),
        );
    }

    fn limit<T: std::fmt::Display>(&self, what: &str, d: &Dated<T>) -> String {
        format!(
            "limit: {what} is {} in the `{}` profile ({}, {})",
            d.value, self.limits.profile, d.source, d.date
        )
    }
}

/// A larger type to suggest, same family first.
fn bigger(limits: &Limits, t: &InstanceType, need: u32, key: fn(&InstanceType) -> u32) -> String {
    let fits = |x: &&InstanceType| key(x) >= need;
    let best = limits
        .instance_types
        .iter()
        .filter(|x| x.family() == t.family())
        .filter(fits)
        .min_by_key(|x| key(x))
        .or_else(|| {
            limits
                .instance_types
                .iter()
                .filter(fits)
                .min_by_key(|x| key(x))
        });
    match best {
        Some(b) => format!("use a type that takes {}, such as {}", key(b), b.id),
        None => "no type in the instance-type table takes that many".to_string(),
    }
}

pub fn check(cfg: &Config, changes: &[Change], _prior: &State, clouds: &Clouds) -> Diagnostics {
    // Nothing to check when nothing changes.
    if !changes.iter().any(Change::is_change) {
        return Diagnostics::default();
    }
    let w = wanted(changes);
    let cloud = gather(clouds, changes, &w);
    let limits = &clouds.limits;
    let mut out = Out {
        cfg,
        limits,
        diags: Diagnostics::default(),
        seen: BTreeSet::new(),
    };
    let region_of = |c: &Change| clouds.client(c.provider.as_deref()).region;

    // --- ENIs, final state -------------------------------------------------------------
    let mut enis: Vec<Eni> = Vec::new();
    let mut by_addr: HashMap<Address, usize> = HashMap::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for c in changes.iter().filter(|c| c.kind == Kind::Eni) {
        let cur = c
            .before
            .as_ref()
            .and_then(|b| str_of(b.get("id")))
            .and_then(|id| cloud.enis.get(&id).map(|x| x.0.clone()));
        let (e, deleted) = match &c.after {
            Some(a) => (
                Eni {
                    addr: Some(c.address.clone()),
                    id: str_of(a.get("id")),
                    region: Some(region_of(c)),
                    vswitch: str_of(a.get("vswitch_id")),
                    sgs: a
                        .get("security_group_ids")
                        .and_then(Value::as_seq)
                        .map(|s| {
                            s.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        }),
                    primary_ip: str_of(a.get("primary_ip_address")),
                    v4: IpSet::from_attrs(
                        a.get("private_ip_addresses"),
                        a.get("secondary_private_ip_address_count"),
                    ),
                    v6: IpSet::from_attrs(a.get("ipv6_addresses"), a.get("ipv6_address_count")),
                    deleted: false,
                    v4_from: BTreeMap::new(),
                    ip_owners: vec![(c.address.clone(), "private_ip_addresses")],
                    v6_owners: vec![(c.address.clone(), "ipv6_addresses")],
                    cloud: if c.action == Action::Replace {
                        None
                    } else {
                        cur.clone()
                    },
                },
                false,
            ),
            None => (
                Eni {
                    addr: Some(c.address.clone()),
                    id: c.before.as_ref().and_then(|b| str_of(b.get("id"))),
                    region: Some(region_of(c)),
                    vswitch: None,
                    sgs: None,
                    primary_ip: None,
                    v4: IpSet::default(),
                    v6: IpSet::default(),
                    deleted: true,
                    v4_from: BTreeMap::new(),
                    ip_owners: Vec::new(),
                    v6_owners: Vec::new(),
                    cloud: cur.clone(),
                },
                true,
            ),
        };
        // eni-primary: deleting (or replacing) an instance's primary ENI.
        let op = Facts::EniOperation {
            op: EniOp::Delete,
            primary: cur.as_ref().is_some_and(|x| x.primary),
        };
        if matches!(c.action, Action::Delete | Action::Replace)
            && rules::evaluate(&op, limits).is_some()
        {
            out.push(
                "eni-primary",
                &c.address,
                "vswitch_id",
                format!("deletes {}, the primary ENI of {}", cur.as_ref().map(|x| x.id.as_str()).unwrap_or("?"), cur.as_ref().and_then(|x| x.instance_id.clone()).unwrap_or_default()),
                format!("rule: an instance's primary ENI is never detached or deleted; the plan would {}", if c.action == Action::Replace { "replace it (delete, then create)" } else { "delete it" }),
                "keep the primary ENI as it is (no change that forces a replacement), or remove it from the configuration with `netform state rm`".into(),
            );
        }
        let i = enis.len();
        by_addr.insert(c.address.clone(), i);
        if let Some(id) = &e.id {
            by_id.insert(id.clone(), i);
        }
        if deleted && let Some(id) = &e.id {
            by_id.insert(id.clone(), i);
        }
        enis.push(e);
    }
    // An ENI the plan reaches only by id (a primary ENI, one made outside netform).
    let mut eni_ref = |r: &Ref, enis: &mut Vec<Eni>| -> Option<usize> {
        match r {
            Ref::Planned(a) => by_addr.get(a).copied(),
            Ref::Id(id) => {
                if let Some(i) = by_id.get(id) {
                    return Some(*i);
                }
                let (info, region) = cloud.enis.get(id)?.clone();
                let e = Eni {
                    addr: None,
                    id: Some(id.clone()),
                    region: Some(region),
                    vswitch: Some(info.vswitch_id.clone()),
                    sgs: Some(info.security_group_ids.clone()),
                    primary_ip: Some(info.primary_ip.clone()),
                    v4: IpSet {
                        known: info.private_ips.iter().cloned().collect(),
                        ..IpSet::default()
                    },
                    v6: IpSet {
                        known: info.ipv6.iter().cloned().collect(),
                        ..IpSet::default()
                    },
                    deleted: false,
                    v4_from: BTreeMap::new(),
                    ip_owners: Vec::new(),
                    v6_owners: Vec::new(),
                    cloud: Some(info),
                };
                enis.push(e);
                by_id.insert(id.clone(), enis.len() - 1);
                Some(enis.len() - 1)
            }
            Ref::Unknown => None,
        }
    };
    // ENIs whose IP lists are left alone keep what the cloud has (the diff already carries it).
    // Secondary-IP resources: their addresses move onto the ENI they name.
    let mut sips: Vec<(usize, &Change)> = Vec::new();
    for c in changes.iter().filter(|c| c.kind == Kind::SecondaryIps) {
        let side = c.after.as_ref().or(c.before.as_ref());
        let r = ref_of(side.and_then(|a| a.get("network_interface_id")));
        let r = match r {
            Ref::Unknown => match side.and_then(|a| str_of(a.get("instance_id"))) {
                Some(inst) => match cloud
                    .enis
                    .values()
                    .find(|(e, _)| e.primary && e.instance_id.as_deref() == Some(inst.as_str()))
                {
                    Some((e, _)) => Ref::Id(e.id.clone()),
                    None => Ref::Unknown,
                },
                None => Ref::Unknown,
            },
            r => r,
        };
        let Some(i) = eni_ref(&r, &mut enis) else {
            continue;
        };
        sips.push((i, c));
        let e = &mut enis[i];
        for (list, count, set) in [
            ("private_ip_addresses", "private_ip_address_count", 4),
            ("ipv6_addresses", "ipv6_address_count", 6),
        ] {
            let before: Vec<String> = c
                .before
                .as_ref()
                .and_then(|b| b.get(list))
                .and_then(Value::as_seq)
                .map(|s| {
                    s.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let after = match &c.after {
                Some(a) => IpSet::from_attrs(a.get(list), a.get(count)),
                None => IpSet::default(),
            };
            let target = if set == 4 { &mut e.v4 } else { &mut e.v6 };
            for b in &before {
                target.known.remove(b);
            }
            if after.unknown {
                target.unknown = true;
            }
            target.auto += after.auto;
            for k in &after.known {
                if set == 4 {
                    e.v4_from.insert(k.clone(), c.address.clone());
                }
            }
            let target = if set == 4 { &mut e.v4 } else { &mut e.v6 };
            target.known.extend(after.known);
            if c.after.is_some() {
                if set == 4 {
                    e.ip_owners
                        .push((c.address.clone(), "private_ip_addresses"));
                } else {
                    e.v6_owners.push((c.address.clone(), "ipv6_addresses"));
                }
            }
        }
    }

    // --- Attachments --------------------------------------------------------------------
    // Per ENI: the instance it ends up on, and whether this plan attaches it.
    let mut attached_to: HashMap<usize, Vec<(String, Address, bool)>> = HashMap::new();
    let mut detached: BTreeSet<String> = BTreeSet::new();
    let mut new_on_instance: BTreeMap<String, Vec<Address>> = BTreeMap::new();
    for c in changes.iter().filter(|c| c.kind == Kind::Attachment) {
        if matches!(c.action, Action::Delete | Action::Replace)
            && let Some(b) = &c.before
            && let Some(eni) = str_of(b.get("network_interface_id"))
        {
            detached.insert(eni.clone());
            // eni-instance-state on detach.
            if let Some(inst) = str_of(b.get("instance_id")).and_then(|i| cloud.instances.get(&i)) {
                state_check(&mut out, c, inst, "detaches");
            }
        }
        let Some(a) = &c.after else { continue };
        let r = ref_of(a.get("network_interface_id"));
        let Some(i) = eni_ref(&r, &mut enis) else {
            continue;
        };
        let inst_id = str_of(a.get("instance_id"));
        let creating = matches!(c.action, Action::Create | Action::Replace);
        if let Some(inst_id) = &inst_id {
            attached_to
                .entry(i)
                .or_default()
                .push((inst_id.clone(), c.address.clone(), creating));
            if creating {
                new_on_instance
                    .entry(inst_id.clone())
                    .or_default()
                    .push(c.address.clone());
            }
        }
        if !creating {
            continue;
        }
        let eni = enis[i].clone();
        let op = Facts::EniOperation {
            op: EniOp::Attach,
            primary: eni.is_primary(),
        };
        if rules::evaluate(&op, limits).is_some() {
            out.push(
                "eni-primary",
                &c.address,
                "network_interface_id",
                format!("manages the attachment of {}, a primary ENI", eni.id.clone().unwrap_or_default()),
                "rule: an instance's primary ENI is never detached or deleted, so its attachment cannot be managed (destroying the resource would detach it)".into(),
                "attach a secondary ENI instead; the primary ENI stays with its instance".into(),
            );
            continue;
        }
        // eni-single-attach: already on another instance, and not detached by this plan.
        if let Some(info) = &eni.cloud
            && let Some(on) = &info.instance_id
            && let attached = !detached.contains(&info.id)
            && !changes.iter().any(|x| {
                x.kind == Kind::Attachment
                    && matches!(x.action, Action::Delete | Action::Replace)
                    && x.before
                        .as_ref()
                        .and_then(|b| str_of(b.get("network_interface_id")))
                        .as_deref()
                        == Some(info.id.as_str())
            })
            && rules::evaluate(&Facts::Attach { attached }, limits).is_some()
        {
            out.push(
                "eni-single-attach",
                &c.address,
                "network_interface_id",
                format!("attaches {}, which is already attached to {on}", info.id),
                format!("rule: an ENI attaches to one instance at a time (attach needs it Available); {} is {}", info.id, info.status),
                format!("detach it from {on} first (in the configuration that manages that attachment), or attach another ENI"),
            );
        }
        let Some(inst_id) = inst_id else { continue };
        let Some(inst) = cloud.instances.get(&inst_id) else {
            continue;
        };
        state_check(&mut out, c, inst, "attaches");
        // eni-zone-vpc
        if let Some(vs) = eni.vswitch.as_ref().and_then(|v| cloud.vswitches.get(v)) {
            let place = Facts::AttachPlace {
                eni_zone: &vs.zone,
                eni_vpc: &vs.vpc,
                instance_zone: Some(inst.zone.as_str()).filter(|z| !z.is_empty()),
                instance_vpc: Some(inst.vpc.as_str()).filter(|v| !v.is_empty()),
            };
            let code = rules::evaluate(&place, limits).map(|v| v.code);
            if code == Some("InvalidOperation.AvailabilityZoneMismatch") {
                out.push(
                    "eni-zone-vpc",
                    &c.address,
                    "instance_id",
                    format!("attaches an ENI in {} to {inst_id} in {}", vs.zone, inst.zone),
                    "rule: ENI and instance are in the same zone and VPC".into(),
                    format!("create the ENI in a vSwitch of {} (the instance's zone), or attach it to an instance in {}", inst.zone, vs.zone),
                );
            } else if code.is_some() {
                out.push(
                    "eni-zone-vpc",
                    &c.address,
                    "instance_id",
                    format!("attaches an ENI in {} to {inst_id} in {}", vs.vpc, inst.vpc),
                    "rule: ENI and instance are in the same zone and VPC".into(),
                    format!("create the ENI in a vSwitch of {}", inst.vpc),
                );
            }
        }
    }
    // eni-per-instance: what each instance carries once the plan is done.
    for (inst_id, added) in &new_on_instance {
        let Some(inst) = cloud.instances.get(inst_id) else {
            continue;
        };
        let Some(t) = limits.instance_type(&inst.ty) else {
            continue;
        };
        let staying = inst
            .enis
            .iter()
            .filter(|e| !detached.contains(*e))
            .count()
            .max(1);
        let total = staying + added.len();
        if rules::evaluate(&Facts::EnisOnInstance { ty: t, total }, limits).is_some() {
            let fit = (t.eni_quantity as usize).saturating_sub(staying);
            let first = &added[0];
            out.push(
                "eni-per-instance",
                first,
                "instance_id",
                format!("{} would carry {total} ENIs; {} takes {}", inst_id, t.id, t.eni_quantity),
                format!("limit: {} takes {} ENIs including its primary ({}); it has {staying} and this plan attaches {} more", t.id, t.eni_quantity, t.source, added.len()),
                format!(
                    "{} takes {} ENIs including its primary and this plan attaches {} more: {}, or {}",
                    t.id,
                    t.eni_quantity,
                    added.len(),
                    match fit {
                        0 => "attach none".to_string(),
                        1 => "attach one".to_string(),
                        n => format!("attach {n}"),
                    },
                    bigger(limits, t, total as u32, |x| x.eni_quantity)
                ),
            );
        }
    }
    // eni-single-attach within the plan: one ENI, two attachments.
    for (i, list) in &attached_to {
        let insts: BTreeSet<&String> = list.iter().map(|x| &x.0).collect();
        // The second attachment finds the ENI attached by the first.
        let second = Facts::Attach {
            attached: list.len() > 1,
        };
        if rules::evaluate(&second, limits).is_some() {
            let (_, addr, _) = &list[1];
            out.push(
                "eni-single-attach",
                addr,
                "network_interface_id",
                format!(
                    "attaches {} a second time ({} also attaches it)",
                    enis[*i]
                        .addr
                        .as_ref()
                        .map(|a| a.to_string())
                        .or(enis[*i].id.clone())
                        .unwrap_or_default(),
                    list[0].1
                ),
                format!(
                    "rule: an ENI attaches to one instance at a time; this plan attaches it to {}",
                    insts
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
                "keep one attachment per ENI; give the other instance its own ENI".into(),
            );
        }
    }

    // --- Addresses and counts per ENI ----------------------------------------------------
    // Final owners of every address in the vSwitches involved.
    let mut owners: HashMap<(String, String), Vec<String>> = HashMap::new();
    let mut touched: BTreeSet<String> = enis.iter().filter_map(|e| e.id.clone()).collect();
    // An ENI replaced destroy-first is gone before its replacement asks for the same addresses.
    touched.extend(
        changes
            .iter()
            .filter(|c| {
                c.kind == Kind::Eni && c.action == Action::Replace && !c.create_before_destroy
            })
            .filter_map(|c| c.before.as_ref().and_then(|b| str_of(b.get("id")))),
    );
    for (e, _) in cloud.enis.values() {
        if touched.contains(&e.id) {
            continue;
        }
        for ip in std::iter::once(&e.primary_ip)
            .chain(&e.private_ips)
            .chain(&e.ipv6)
        {
            owners
                .entry((e.vswitch_id.clone(), ip.clone()))
                .or_default()
                .push(e.id.clone());
        }
    }
    for (id, (vsw, ip, _)) in &cloud.havips {
        owners
            .entry((vsw.clone(), ip.clone()))
            .or_default()
            .push(id.clone());
    }
    for (id, (_, _, vsw, ip)) in &cloud.slbs {
        if !vsw.is_empty() {
            owners
                .entry((vsw.clone(), ip.clone()))
                .or_default()
                .push(id.clone());
        }
    }
    // Addresses that ENIs already hold and keep are theirs whatever order the ENIs come in: a
    // new ENI asking for one must see it taken even when it is looked at first.
    for e in enis.iter().filter(|e| !e.deleted) {
        let (Some(vsw_id), Some(c)) = (&e.vswitch, &e.cloud) else {
            continue;
        };
        let name = e
            .addr
            .as_ref()
            .map(|a| a.to_string())
            .or(e.id.clone())
            .unwrap_or_default();
        let kept: BTreeSet<&String> = e
            .primary_ip
            .iter()
            .chain(&e.v4.known)
            .chain(&e.v6.known)
            .collect();
        // A count that grows keeps every address the ENI has (the list is only known once the
        // cloud picks the new ones); a count that shrinks has a known list already.
        let grows = |s: &IpSet| s.known.is_empty() && (s.auto > 0 || s.unknown);
        let (keep4, keep6) = (grows(&e.v4), grows(&e.v6));
        for ip in std::iter::once(&c.primary_ip)
            .chain(&c.private_ips)
            .chain(&c.ipv6)
        {
            let by_count = (keep4 && c.private_ips.contains(ip)) || (keep6 && c.ipv6.contains(ip));
            if kept.contains(ip) || by_count || e.primary_ip.is_none() && *ip == c.primary_ip {
                owners
                    .entry((vsw_id.clone(), ip.clone()))
                    .or_default()
                    .push(name.clone());
            }
        }
    }
    let mut auto_need: BTreeMap<String, (usize, Address)> = BTreeMap::new();
    for e in &enis {
        if e.deleted {
            continue;
        }
        let Some(vsw_id) = &e.vswitch else { continue };
        let vs = cloud.vswitches.get(vsw_id);
        let before: BTreeSet<String> = e
            .cloud
            .as_ref()
            .map(|c| {
                std::iter::once(&c.primary_ip)
                    .chain(&c.private_ips)
                    .chain(&c.ipv6)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let name = e
            .addr
            .as_ref()
            .map(|a| a.to_string())
            .or(e.id.clone())
            .unwrap_or_default();
        let mut addrs: Vec<(String, Address, &'static str)> = Vec::new();
        if let (Some(p), Some(a)) = (&e.primary_ip, &e.addr) {
            addrs.push((p.clone(), a.clone(), "primary_ip_address"));
        }
        let main_owner = e
            .ip_owners
            .first()
            .or(e.v6_owners.first())
            .map(|x| x.0.clone());
        for ip in &e.v4.known {
            let owner = e.v4_from.get(ip).cloned().or(main_owner.clone());
            if let Some(o) = owner {
                addrs.push((ip.clone(), o, "private_ip_addresses"));
            }
        }
        for ip in &e.v6.known {
            if let Some(o) = e.v6_owners.last().map(|x| x.0.clone()) {
                addrs.push((ip.clone(), o, "ipv6_addresses"));
            }
        }
        let mut seen_here: BTreeSet<String> = BTreeSet::new();
        for (ip, owner, attr) in &addrs {
            let Ok(parsed) = ip.parse::<IpAddr>() else {
                continue;
            };
            if before.contains(ip) {
                // Registered in the pass above, before any ENI's new addresses were looked at.
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
            let Some(v) = rules::evaluate(&facts, limits) else {
                seen_here.insert(ip.clone());
                entry.push(name.clone());
                continue;
            };
            match (v.rule, v.code) {
                ("ip-in-vswitch", _) => out.push(
                    "ip-in-vswitch",
                    owner,
                    attr,
                    format!("asks for {ip}, which is not in the vSwitch {vsw_id} ({cidr})"),
                    format!("rule: a given address lies in the ENI's vSwitch CIDR; {vsw_id} is {cidr}"),
                    format!("pick an address inside {cidr}, e.g. with cidrhost(\"{cidr}\", N)"),
                ),
                ("ip-reserved", _) => out.push(
                    "ip-reserved",
                    owner,
                    attr,
                    format!("asks for {ip}, a reserved address of {cidr}"),
                    format!("rule: the first address and the last three of a vSwitch's IPv4 CIDR (IPv6: the first and the last nine) are the system's; {ip} is one of them in {cidr}"),
                    "pick an address between the second and the fourth-last of the CIDR".into(),
                ),
                (_, "InvalidIp.IpRepeated") => out.push(
                    "ip-unique",
                    owner,
                    attr,
                    format!("asks for {ip} twice on {name}"),
                    "rule: an address is not twice in one request or plan, nor already on the ENI"
                        .into(),
                    "list each address once".into(),
                ),
                _ => {
                    let other = entry.first().cloned().unwrap_or_default();
                    seen_here.insert(ip.clone());
                    entry.push(name.clone());
                    out.push(
                        "ip-unique",
                        owner,
                        attr,
                        format!("asks for {ip}, which {other} already uses in {vsw_id}"),
                        format!("rule: an address is not already in use in the vSwitch by any ENI, instance, HAVIP or SLB, and not twice in one plan; {other} holds {ip}"),
                        "pick a free address, or leave the addresses to the cloud with a count".into(),
                    );
                }
            }
        }
        // New automatic allocations against the vSwitch's free addresses.
        let mut need = e.v4.auto;
        if e.cloud.is_none() && e.primary_ip.is_none() {
            need += 1;
        }
        if let Some(c) = &e.cloud {
            need = need.saturating_sub(
                c.private_ips.len().saturating_sub(
                    e.v4.known
                        .iter()
                        .filter(|x| c.private_ips.contains(x))
                        .count(),
                ),
            );
        }
        let new_given = e.v4.known.iter().filter(|x| !before.contains(*x)).count()
            + usize::from(e.cloud.is_none() && e.primary_ip.is_some());
        if let Some(a) = e.ip_owners.first().map(|x| x.0.clone()).or(e.addr.clone()) {
            let ent = auto_need.entry(vsw_id.clone()).or_insert((0, a.clone()));
            ent.0 += need + new_given;
            if need > 0 && ent.1 != a && ent.0 == need + new_given {
                ent.1 = a;
            }
        }
    }
    // ip-vswitch-capacity: only when the cloud picks addresses and they do not fit.
    let freed: BTreeMap<String, usize> = enis
        .iter()
        .filter(|e| e.deleted)
        .filter_map(|e| e.cloud.as_ref())
        .fold(BTreeMap::new(), |mut m, c| {
            *m.entry(c.vswitch_id.clone()).or_insert(0) += 1 + c.private_ips.len();
            m
        });
    for (vsw, (need, addr)) in &auto_need {
        let Some(avail) = cloud.vswitches.get(vsw).and_then(|v| v.available) else {
            continue;
        };
        let avail = avail + freed.get(vsw).copied().unwrap_or(0);
        let auto = enis.iter().any(|e| {
            !e.deleted
                && e.vswitch.as_deref() == Some(vsw.as_str())
                && (e.v4.auto > 0 || e.cloud.is_none() && e.primary_ip.is_none())
        });
        let free = Facts::FreeAddresses {
            free: avail,
            need: *need,
        };
        if auto && rules::evaluate(&free, limits).is_some() {
            out.push(
                "ip-vswitch-capacity",
                addr,
                "vswitch_id",
                format!("needs {need} new addresses in {vsw}, which has {avail} free"),
                format!("rule: automatic allocation needs enough free addresses in the vSwitch; {vsw} has {avail} free and this plan takes {need}"),
                "ask for fewer addresses, or use a larger vSwitch".into(),
            );
        }
    }

    // Per-ENI caps, with the instance each ENI ends up on.
    let final_instance = |i: usize, e: &Eni| -> Option<(String, bool)> {
        if let Some(l) = attached_to.get(&i) {
            return l.first().map(|x| (x.0.clone(), x.2));
        }
        let c = e.cloud.as_ref()?;
        let on = c.instance_id.clone()?;
        (!detached.contains(&c.id)).then_some((on, false))
    };
    for (i, e) in enis.iter().enumerate() {
        if e.deleted {
            continue;
        }
        let Some(owner) = e.ip_owners.last().map(|x| x.0.clone()).or(e.addr.clone()) else {
            continue;
        };
        let v6_owner = e
            .v6_owners
            .last()
            .map(|x| x.0.clone())
            .unwrap_or(owner.clone());
        let name = e
            .addr
            .as_ref()
            .map(|a| a.to_string())
            .or(e.id.clone())
            .unwrap_or_default();
        let inst = final_instance(i, e);
        let itype = inst
            .as_ref()
            .and_then(|(id, _)| cloud.instances.get(id))
            .and_then(|x| limits.instance_type(&x.ty));
        let on = match (&inst, itype) {
            (None, _) => Placement::Available,
            (Some(_), t) => Placement::Attached(t),
        };
        if let Some(n) = e.v4.len() {
            let attaching = inst.as_ref().is_some_and(|x| x.1);
            // An ENI attached by this plan holds what it has now at the attach, and gets its
            // new addresses after it: the larger of the two counts is what must fit.
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
            match (rules::evaluate(&facts, limits), &inst, itype) {
                (Some(v), Some((iid, _)), Some(t)) if v.rule == "ip-instance-type-cap" => {
                    let what = if attaching && v.limit.is_some_and(|q| held as u64 + 1 > q) {
                        format!(
                            "attaches {name}, which holds {} private IPv4 addresses, to {iid}",
                            held + 1
                        )
                    } else {
                        format!("puts {} private IPv4 addresses on {name} (on {iid})", n + 1)
                    };
                    out.push(
                        "ip-instance-type-cap",
                        &owner,
                        "private_ip_addresses",
                        what,
                        format!("limit: {} takes {} private IPv4 addresses per ENI, its primary included ({}); this plan asks for {} (primary + {worst})", t.id, t.eni_private_ip_address_quantity, t.source, worst + 1),
                        format!("ask for at most {} secondary addresses, or {}", (t.eni_private_ip_address_quantity as usize).saturating_sub(1), bigger(limits, t, worst as u32 + 1, |x| x.eni_private_ip_address_quantity)),
                    );
                }
                (Some(v), _, _) if v.rule == "ip-available-cap" => {
                    let cap = v.limit.unwrap_or_default();
                    out.push(
                        "ip-available-cap",
                        &owner,
                        "private_ip_addresses",
                        format!("puts {n} secondary private IPv4 addresses on {name}, which is not attached"),
                        out.limit("secondary private IPv4 on an Available (unattached) ENI", &limits.available_eni_secondary_ipv4) + &format!("; this plan asks for {n}"),
                        format!("ask for at most {cap}, or attach the ENI (an attached ENI holds what its instance type allows)"),
                    );
                }
                _ => {}
            }
        }
        // ipv6-cap
        if let Some(n6) = e.v6.len()
            && n6 > 0
        {
            let grows = e.cloud.as_ref().is_none_or(|c| n6 > c.ipv6.len());
            let vs = e.vswitch.as_ref().and_then(|v| cloud.vswitches.get(v));
            // An unknown vSwitch is given the benefit of the doubt (no false rejection).
            let facts = Facts::Ipv6Count {
                on,
                count: n6,
                vswitch_ipv6: vs.is_none_or(|v| v.ipv6.is_some()),
            };
            let v = if grows {
                rules::evaluate(&facts, limits)
            } else {
                None
            };
            match (v.map(|v| v.code), itype) {
                (Some("InvalidVSwitch.Ipv6NotTurnOn"), _) => out.push(
                    "ipv6-cap",
                    &v6_owner,
                    "ipv6_address_count",
                    format!(
                        "asks for IPv6 on {name}, whose vSwitch {} has no IPv6 CIDR",
                        e.vswitch.clone().unwrap_or_default()
                    ),
                    "rule: IPv6 addresses need a vSwitch with an IPv6 CIDR".into(),
                    "enable IPv6 on the vSwitch, or use one that has it".into(),
                ),
                (Some("InvalidOperation.Ipv6NotSupport"), Some(t)) => out.push(
                    "ipv6-cap",
                    &v6_owner,
                    "ipv6_address_count",
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
                (Some("InvalidOperation.Ipv6CountExceeded"), Some(t)) => out.push(
                    "ipv6-cap",
                    &v6_owner,
                    "ipv6_address_count",
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
                (Some("MaxEniIpv6IpsCountExceeded"), _) => out.push(
                    "ipv6-cap",
                    &v6_owner,
                    "ipv6_address_count",
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
                _ => {}
            }
        }
        // Security groups of a new or changed ENI: in the vSwitch's VPC, all of one type.
        if let (Some(sgs), Some(a)) = (&e.sgs, &e.addr)
            && let Some(vs) = e.vswitch.as_ref().and_then(|v| cloud.vswitches.get(v))
        {
            let known: Vec<(&String, &Sg)> = sgs
                .iter()
                .filter_map(|s| cloud.sgs.get(s).map(|g| (s, g)))
                .collect();
            let facts = Facts::EniSecurityGroups {
                vpc: &vs.vpc,
                groups: known
                    .iter()
                    .map(|(_, g)| (g.vpc.as_str(), g.enterprise))
                    .collect(),
            };
            let v = rules::evaluate(&facts, limits);
            if let Some((id, g)) = v.as_ref().and_then(|v| known.get(v.index?)) {
                out.push(
                    "eni-zone-vpc",
                    a,
                    "security_group_ids",
                    format!(
                        "puts the ENI in {id}, a security group of {}, but its vSwitch is in {}",
                        g.vpc, vs.vpc
                    ),
                    "rule: an ENI's security groups are in its vSwitch's VPC and all of one type"
                        .into(),
                    format!("use security groups of {}", vs.vpc),
                );
            } else if v.is_some() {
                out.push(
                    "eni-zone-vpc",
                    a,
                    "security_group_ids",
                    "mixes basic and advanced security groups".into(),
                    "rule: an ENI's security groups are all basic or all advanced".into(),
                    "use only basic or only advanced groups on one ENI".into(),
                );
            }
        }
    }
    // ip-primary-eni-state: addresses on a primary ENI change only while its instance runs or stops.
    for (i, c) in &sips {
        let e = &enis[*i];
        let Some(info) = &e.cloud else { continue };
        if !info.primary || !c.is_change() {
            continue;
        }
        let Some(inst) = info
            .instance_id
            .as_ref()
            .and_then(|x| cloud.instances.get(x))
        else {
            continue;
        };
        let facts = Facts::PrimaryEniIps {
            instance_status: &inst.status,
        };
        if rules::evaluate(&facts, limits).is_some() {
            out.push(
                "ip-primary-eni-state",
                &c.address,
                "instance_id",
                format!("changes the addresses of {}, the primary ENI of {}, which is {}", info.id, inst.id, inst.status),
                format!("rule: assigning or unassigning IPs on a primary ENI needs its instance Running or Stopped; {} is {}", inst.id, inst.status),
                format!("wait until {} is Running or Stopped, then plan again", inst.id),
            );
        }
    }
    // ip-sg-capacity: per basic group, the addresses of every ENI in it after the plan.
    let mut sg_add: BTreeMap<String, (i64, i64, Address)> = BTreeMap::new();
    for e in &enis {
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
        let Some(a) = e.ip_owners.first().map(|x| x.0.clone()).or(e.addr.clone()) else {
            continue;
        };
        for s in sgs {
            let ent = sg_add.entry(s.clone()).or_insert((0, 0, a.clone()));
            ent.0 += after - now;
            ent.1 += new_eni;
        }
    }
    for (sg, (delta, new_enis, addr)) in &sg_add {
        let Some(g) = cloud.sgs.get(sg) else { continue };
        let members: Vec<&EniInfo> = cloud
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
            if *new_enis > 0 && rules::evaluate(&facts, limits).is_some() {
                out.push(
                    "ip-sg-capacity",
                    addr,
                    "security_group_ids",
                    format!("puts {total} ENIs in the advanced security group {sg}"),
                    out.limit(
                        "ENIs in an advanced security group",
                        &limits.enterprise_sg_enis,
                    ) + &format!("; this plan makes {total}"),
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
            if *delta > 0 && rules::evaluate(&facts, limits).is_some() {
                out.push(
                    "ip-sg-capacity",
                    addr,
                    "security_group_ids",
                    format!("puts {total} private IPs in the basic security group {sg}"),
                    out.limit("private IPs in a basic security group (IPv6 counted)", &limits.basic_sg_private_ips) + &format!("; it holds {now} and this plan adds {delta}"),
                    format!("keep the group at {cap} or fewer addresses: use another security group, or an advanced (enterprise) group"),
                );
            }
        }
    }

    // --- EIPs ------------------------------------------------------------------------------
    // Each EIP: region and charge type, known or planned.
    struct EipP {
        region: Option<String>,
        charge: Option<String>,
    }
    let mut eips_by_addr: HashMap<Address, EipP> = HashMap::new();
    for c in changes.iter().filter(|c| c.kind == Kind::Eip) {
        if let Some(a) = &c.after {
            eips_by_addr.insert(
                c.address.clone(),
                EipP {
                    region: str_of(a.get("region")).or_else(|| Some(region_of(c))),
                    charge: str_of(a.get("internet_charge_type")),
                },
            );
        }
    }
    let eip_of = |r: &Ref| -> Option<EipP> {
        match r {
            Ref::Planned(a) => eips_by_addr.get(a).map(|e| EipP {
                region: e.region.clone(),
                charge: e.charge.clone(),
            }),
            Ref::Id(id) => {
                if let Some(e) = cloud.eips.get(id) {
                    return Some(EipP {
                        region: Some(e.region.clone()),
                        charge: Some(e.internet_charge_type.clone()),
                    });
                }
                changes
                    .iter()
                    .filter(|c| c.kind == Kind::Eip)
                    .find(|c| {
                        c.after
                            .as_ref()
                            .and_then(|a| str_of(a.get("id")))
                            .as_deref()
                            == Some(id.as_str())
                    })
                    .and_then(|c| eips_by_addr.get(&c.address))
                    .map(|e| EipP {
                        region: e.region.clone(),
                        charge: e.charge.clone(),
                    })
            }
            Ref::Unknown => None,
        }
    };
    // Bindings that go away in this plan.
    let unbound: BTreeSet<String> = changes
        .iter()
        .filter(|c| {
            c.kind == Kind::Association && matches!(c.action, Action::Delete | Action::Replace)
        })
        .filter_map(|c| {
            c.before
                .as_ref()
                .and_then(|b| str_of(b.get("allocation_id")))
        })
        .collect();
    let released: BTreeSet<String> = changes
        .iter()
        .filter(|c| c.kind == Kind::Eip && matches!(c.action, Action::Delete | Action::Replace))
        .filter_map(|c| c.before.as_ref().and_then(|b| str_of(b.get("id"))))
        .collect();
    // Bound EIPs that stay (in the cloud, not unbound by this plan), per target.
    let mut staying: HashMap<String, Vec<&EipInfo>> = HashMap::new();
    for e in cloud.eips.values() {
        if let Some(t) = &e.instance_id
            && !unbound.contains(&e.id)
            && !released.contains(&e.id)
        {
            staying.entry(t.clone()).or_default().push(e);
        }
    }
    for (nat, (_, bound, _)) in &cloud.nats {
        for b in bound {
            if !unbound.contains(b) && !cloud.eips.contains_key(b) {
                // Bound EIP known only from the NAT gateway's own list: count it, charge unknown.
                staying.entry(nat.clone()).or_default();
            }
        }
    }
    let nat_extra: HashMap<String, usize> = cloud
        .nats
        .iter()
        .map(|(id, (_, bound, _))| {
            (
                id.clone(),
                bound
                    .iter()
                    .filter(|b| !unbound.contains(*b) && !cloud.eips.contains_key(*b))
                    .count(),
            )
        })
        .collect();
    // New bindings per EIP and per target.
    struct Bind<'c> {
        c: &'c Change,
        eip: Ref,
        target: Ref,
        kind: String,
        mode: String,
        ip: Option<String>,
    }
    let mut binds: Vec<Bind> = Vec::new();
    for c in changes.iter().filter(|c| c.kind == Kind::Association) {
        let Some(a) = &c.after else { continue };
        if !matches!(c.action, Action::Create | Action::Replace) {
            continue;
        }
        let target = ref_of(a.get("instance_id"));
        let kind = str_of(a.get("instance_type")).unwrap_or_else(|| match &target {
            Ref::Id(id) => super::diff::infer_kind(id).to_string(),
            _ => String::new(),
        });
        binds.push(Bind {
            c,
            eip: ref_of(a.get("allocation_id")),
            target,
            kind,
            mode: str_of(a.get("mode")).unwrap_or_else(|| "NAT".into()),
            ip: str_of(a.get("private_ip_address")),
        });
    }
    let target_key = |r: &Ref| -> Option<String> {
        match r {
            Ref::Id(s) => Some(s.clone()),
            Ref::Planned(a) => Some(a.to_string()),
            Ref::Unknown => None,
        }
    };
    let mut per_eip: BTreeMap<String, Vec<&Bind>> = BTreeMap::new();
    let mut per_target: BTreeMap<String, Vec<&Bind>> = BTreeMap::new();
    for b in &binds {
        if let Some(k) = target_key(&b.eip) {
            per_eip.entry(k).or_default().push(b);
        }
        if let Some(k) = target_key(&b.target) {
            per_target.entry(k).or_default().push(b);
        }
    }
    // eip-one-target
    for (eip, list) in &per_eip {
        let already = cloud
            .eips
            .get(eip)
            .filter(|e| e.instance_id.is_some() && !unbound.contains(&e.id));
        // The second binding in the plan finds the EIP bound by the first.
        let facts = Facts::Bind {
            eip_bound: list.len() > 1 || already.is_some(),
        };
        if rules::evaluate(&facts, limits).is_some() {
            let b = if list.len() > 1 { list[1] } else { list[0] };
            let other = match already {
                Some(e) => e.instance_id.clone().unwrap_or_default(),
                None => list[0].c.address.to_string(),
            };
            out.push(
                "eip-one-target",
                &b.c.address,
                "allocation_id",
                format!("binds an EIP that {other} already binds"),
                format!("rule: an EIP is bound to one resource at a time (only an Available EIP binds); this plan binds it {} time(s) and it is {}", list.len(), if already.is_some() { "already bound" } else { "Available now" }),
                "allocate another EIP for the second target, or remove one of the associations".into(),
            );
        }
    }
    for (tkey, list) in &per_target {
        let b0 = list[0];
        let stay = staying.get(tkey).map(|v| v.as_slice()).unwrap_or(&[]);
        // Target region, for eip-same-region.
        let mut target_region: Option<String> = None;
        match b0.kind.as_str() {
            "EcsInstance" => {
                let Some(inst) = cloud.instances.get(tkey) else {
                    continue;
                };
                target_region = Some(inst.region.clone());
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
                        .is_some_and(|ip| cloud.nats.values().any(|n| n.2.contains(ip))),
                };
                let rule = rules::evaluate(&kind, limits)
                    .or_else(|| rules::evaluate(&bind, limits))
                    .map(|v| v.rule);
                if rule == Some("eip-target-kind") {
                    out.push("eip-target-kind", &b0.c.address, "instance_id", format!("binds an EIP to {tkey}, a classic-network instance"), "rule: an EIP binds only to a VPC ECS instance, a private SLB, a secondary ENI, a NAT gateway, a HAVIP or a VPC IP address".into(), "bind it to a VPC instance, or to a secondary ENI of one".into());
                } else if rule == Some("eip-ecs-state") {
                    out.push(
                        "eip-ecs-state",
                        &b0.c.address,
                        "instance_id",
                        format!("binds an EIP to {tkey}, which is {}", inst.status),
                        format!(
                            "rule: an ECS target is Running or Stopped; {tkey} is {}",
                            inst.status
                        ),
                        format!("wait until {tkey} is Running or Stopped, then plan again"),
                    );
                } else if rule == Some("eip-ecs-single") {
                    let why = if inst.public_ip {
                        "has a fixed public IP".to_string()
                    } else if !stay.is_empty() {
                        format!("already has the EIP {}", stay[0].id)
                    } else {
                        format!("gets another EIP from {}", list[0].c.address)
                    };
                    let b = if list.len() > 1 && !inst.public_ip && stay.is_empty() {
                        list[1]
                    } else {
                        b0
                    };
                    out.push("eip-ecs-single", &b.c.address, "instance_id", format!("binds an EIP to {tkey}, which {why}"), "rule: an ECS instance with a fixed public IP or another EIP takes no EIP".into(), "bind the EIP to a secondary ENI of the instance (NAT mode) instead, or to another instance".into());
                } else if rule == Some("eip-ecs-dnat")
                    && let Some(ip) = &inst.private_ip
                {
                    out.push("eip-ecs-dnat", &b0.c.address, "instance_id", format!("binds an EIP to {tkey}, a DNAT target of a NAT gateway"), format!("rule: an ECS instance that is a NAT gateway DNAT target ({ip}) takes no EIP"), "remove the DNAT entry first, or bind the EIP to a secondary ENI".into());
                }
            }
            "NetworkInterface" => {
                let r = b0.target.clone();
                let Some(i) = eni_ref(&r, &mut enis) else {
                    continue;
                };
                let e = enis[i].clone();
                target_region = e.region.clone();
                let name = e
                    .addr
                    .as_ref()
                    .map(|a| a.to_string())
                    .or(e.id.clone())
                    .unwrap_or_default();
                let primary = e.is_primary();
                // Modes of the EIPs that stay.
                let stay_modes: Vec<String> = stay
                    .iter()
                    .map(|x| x.mode.clone().unwrap_or_else(|| "NAT".into()))
                    .collect();
                let all: Vec<(String, Option<String>, Address)> = list
                    .iter()
                    .map(|b| (b.mode.clone(), b.ip.clone(), b.c.address.clone()))
                    .collect();
                let attached_now = e
                    .cloud
                    .as_ref()
                    .is_some_and(|c| c.instance_id.is_some() && !detached.contains(&c.id));
                for (k, b) in list.iter().enumerate() {
                    let m = b.mode.as_str();
                    if !matches!(m, "NAT" | "BINDED" | "MULTI_BINDED") {
                        continue;
                    }
                    let kind = Facts::EipTarget(EipTarget {
                        kind: "NetworkInterface",
                        nat_on_primary_eni: primary && m == "NAT",
                        ..EipTarget::default()
                    });
                    if rules::evaluate(&kind, limits).is_some() {
                        out.push(
                            "eip-target-kind",
                            &b.c.address,
                            "instance_id",
                            format!("binds a NAT-mode EIP to {name}, a primary ENI"),
                            out.limit(
                                "NAT-mode EIP on an instance's primary ENI",
                                &limits.nat_mode_eip_on_primary_eni,
                            ),
                            "bind it to a secondary ENI, or to the instance itself (EcsInstance)"
                                .into(),
                        );
                        continue;
                    }
                    // NAT mode names an address, the primary when left out.
                    let ip = if m == "NAT" {
                        match b.ip.clone().or(e.primary_ip.clone()) {
                            Some(ip) => ip,
                            None => continue,
                        }
                    } else {
                        String::new()
                    };
                    let on_eni =
                        e.primary_ip.as_deref() == Some(ip.as_str()) || e.v4.known.contains(&ip);
                    // Not on the ENI only when the plan knows all of its addresses.
                    let address_on_eni = if on_eni {
                        Some(true)
                    } else if !e.v4.unknown && e.v4.auto == 0 && e.primary_ip.is_some() {
                        Some(false)
                    } else {
                        None
                    };
                    let twice = all[..k].iter().any(|(m, x, _)| {
                        m == "NAT"
                            && x.clone().or(e.primary_ip.clone()).as_deref() == Some(ip.as_str())
                    }) || stay
                        .iter()
                        .any(|x| x.private_ip.as_deref() == Some(ip.as_str()));
                    let other_modes = if m == "NAT" {
                        stay_modes.iter().any(|x| x != "NAT")
                            || all.iter().any(|(x, _, _)| x != "NAT")
                    } else {
                        all[..k].iter().any(|(x, _, _)| x != m) || stay_modes.iter().any(|x| x != m)
                    };
                    // Visible modes bind before the attach: an ENI this plan attaches is not
                    // attached yet at bind time.
                    let attaching = attached_to.get(&i).is_some_and(|l| l.iter().all(|x| x.2));
                    let facts = Facts::EniBind(EniBind {
                        mode: m,
                        primary,
                        attached: attached_now && !attaching,
                        address_on_eni,
                        address_taken: twice,
                        other_modes,
                        eips: stay.len() + k + 1,
                    });
                    let Some(v) = rules::evaluate(&facts, limits) else {
                        continue;
                    };
                    match (v.rule, v.code) {
                        ("eip-eni-nat-mode", _) if address_on_eni == Some(false) => {
                            out.push("eip-eni-nat-mode", &b.c.address, "private_ip_address", format!("binds an EIP to {ip}, which is not one of {name}'s private IPs"), format!("rule: in NAT mode private_ip_address is one of the ENI's addresses; {name} has {}", std::iter::once(e.primary_ip.clone().unwrap_or_default()).chain(e.v4.known.iter().cloned()).collect::<Vec<_>>().join(", ")), format!("use one of {name}'s addresses, or add {ip} to it"));
                        }
                        ("eip-eni-nat-mode", _) => out.push(
                            "eip-eni-nat-mode",
                            &b.c.address,
                            "private_ip_address",
                            format!("binds a second EIP to {ip} on {name}"),
                            "rule: NAT mode maps one EIP per private IP of the ENI".into(),
                            format!("bind it to another address of {name}"),
                        ),
                        (rule, _) if primary => out.push(
                            rule,
                            &b.c.address,
                            "instance_id",
                            format!("binds a {m}-mode EIP to {name}, a primary ENI"),
                            format!("rule: {m} mode needs a secondary ENI"),
                            "create a secondary ENI for the EIP, or use NAT mode".into(),
                        ),
                        (rule, "InvalidStatus.EniStatusNotSupport") => out.push(rule, &b.c.address, "mode", format!("binds a {m}-mode EIP to {name}, which is attached"), format!("rule: {m} mode binds only to an ENI that is not attached at bind time; {name} is attached and this plan does not detach it"), "detach the ENI, bind, and attach again (remove the attachment for one apply), or use NAT mode".into()),
                        ("eip-eni-multi", _) => {
                            let cap = v.limit.unwrap_or_default();
                            let n = v.asked.unwrap_or_default();
                            out.push("eip-eni-multi", &b.c.address, "instance_id", format!("binds EIP number {n} to {name}"), out.limit("EIPs on one ENI in MULTI_BINDED mode", &limits.multi_binded_eips_per_eni) + &format!("; this plan binds {}", stay.len() + list.len()), format!("bind at most {cap} EIPs to one ENI; put the others on another secondary ENI"));
                        }
                        (_, _) if m == "NAT" => out.push("eip-eni-binded", &b.c.address, "mode", format!("binds a NAT-mode EIP to {name}, which has a BINDED-mode EIP"), "rule: a BINDED (visible) mode EIP is the ENI's one EIP".into(), "use one mode per ENI".into()),
                        (_, _) if m == "BINDED" && stay.len() + k > 0 => out.push("eip-eni-binded", &b.c.address, "instance_id", format!("binds a second EIP to {name}, which takes one in BINDED mode"), "rule: BINDED (visible) mode takes one EIP, in place of the ENI's primary private IP".into(), "use MULTI_BINDED mode for several EIPs on one ENI".into()),
                        _ => out.push(
                            "eip-eni-binded",
                            &b.c.address,
                            "mode",
                            format!("mixes EIP modes on {name}"),
                            "rule: a BINDED (visible) mode EIP is the ENI's one EIP".into(),
                            "use one mode per ENI".into(),
                        ),
                    }
                }
            }
            "Nat" => {
                let Some((region, _, _)) = cloud.nats.get(tkey) else {
                    continue;
                };
                target_region = Some(region.clone());
                let have = stay.len() + nat_extra.get(tkey).copied().unwrap_or(0);
                let total = have + list.len();
                let pbt_have = stay
                    .iter()
                    .filter(|x| x.internet_charge_type == "PayByTraffic")
                    .count();
                let new_pbt: Vec<&&Bind> = list
                    .iter()
                    .filter(|b| {
                        eip_of(&b.eip).and_then(|e| e.charge).as_deref() == Some("PayByTraffic")
                    })
                    .collect();
                let facts = Facts::NatBind {
                    eips: total,
                    pay_by_traffic: (!new_pbt.is_empty()).then_some(pbt_have + new_pbt.len()),
                };
                let v = rules::evaluate(&facts, limits);
                let key = v.as_ref().and_then(|v| v.key);
                if key == Some("nat_gateway_eips") {
                    let cap = v.as_ref().and_then(|v| v.limit).unwrap_or_default() as usize;
                    let b = list[cap.saturating_sub(have).min(list.len() - 1)];
                    out.push(
                        "eip-nat-quota",
                        &b.c.address,
                        "instance_id",
                        format!("binds EIP number {} to the NAT gateway {tkey}", cap + 1),
                        out.limit("EIPs on one NAT gateway", &limits.nat_gateway_eips)
                            + &format!("; it has {have} and this plan binds {} more", list.len()),
                        format!(
                            "bind at most {} more; use a second NAT gateway for the rest",
                            cap.saturating_sub(have)
                        ),
                    );
                } else if key == Some("nat_gateway_paybytraffic_eips")
                    && let Some(pcap) = limits.nat_gateway_paybytraffic_eips.value
                {
                    let b = new_pbt[(pcap as usize)
                        .saturating_sub(pbt_have)
                        .min(new_pbt.len() - 1)];
                    out.push("eip-nat-quota", &b.c.address, "allocation_id", format!("binds PayByTraffic EIP number {} to the NAT gateway {tkey}", pcap + 1), format!("limit: at most {pcap} PayByTraffic EIPs on one NAT gateway in the `{}` profile ({}, {}); this plan makes {}", limits.profile, limits.nat_gateway_paybytraffic_eips.source, limits.nat_gateway_paybytraffic_eips.date, pbt_have + new_pbt.len()), "use PayByBandwidth EIPs for the rest (internet_charge_type = \"PayByBandwidth\")".into());
                }
            }
            "HaVip" => {
                let Some((vsw, _, status)) = cloud.havips.get(tkey) else {
                    continue;
                };
                target_region = cloud.vswitches.get(vsw).map(|v| v.region.clone());
                let facts = Facts::HavipBind {
                    status,
                    eips: list.len() + stay.len(),
                };
                let code = rules::evaluate(&facts, limits).map(|v| v.code);
                if code == Some("IncorrectHaVipStatus") {
                    out.push(
                        "eip-havip-single",
                        &b0.c.address,
                        "instance_id",
                        format!("binds an EIP to {tkey}, which is {status}"),
                        "rule: a HAVIP takes an EIP only while Available or Allocated".into(),
                        "wait until the HAVIP is Available or Allocated".into(),
                    );
                } else if code.is_some() {
                    let b = if stay.is_empty() { list[1] } else { b0 };
                    out.push(
                        "eip-havip-single",
                        &b.c.address,
                        "instance_id",
                        format!("binds a second EIP to the HAVIP {tkey}"),
                        "rule: a HAVIP takes 1 EIP".into(),
                        "keep one EIP on the HAVIP".into(),
                    );
                }
            }
            "SlbInstance" => {
                let Some((region, ty, _, _)) = cloud.slbs.get(tkey) else {
                    continue;
                };
                target_region = Some(region.clone());
                let kind = Facts::EipTarget(EipTarget {
                    kind: "SlbInstance",
                    internet_slb: ty != "intranet",
                    ..EipTarget::default()
                });
                let bind = Facts::SlbBind {
                    eips: list.len() + stay.len(),
                };
                let rule = rules::evaluate(&kind, limits)
                    .or_else(|| rules::evaluate(&bind, limits))
                    .map(|v| v.rule);
                if rule == Some("eip-target-kind") {
                    out.push(
                        "eip-target-kind",
                        &b0.c.address,
                        "instance_id",
                        format!("binds an EIP to {tkey}, an internet SLB"),
                        "rule: an EIP binds only to a private (intranet) SLB, not an internet one"
                            .into(),
                        "bind it to an intranet SLB; an internet SLB has its own public address"
                            .into(),
                    );
                } else if rule.is_some() {
                    let b = if stay.is_empty() { list[1] } else { b0 };
                    out.push(
                        "eip-slb-single",
                        &b.c.address,
                        "instance_id",
                        format!("binds a second EIP to the SLB {tkey}"),
                        "rule: a private SLB takes 1 EIP".into(),
                        "keep one EIP on the SLB".into(),
                    );
                }
            }
            "IpAddress"
                if rules::evaluate(
                    &Facts::EipTarget(EipTarget {
                        kind: "IpAddress",
                        ..EipTarget::default()
                    }),
                    limits,
                )
                .is_some() =>
            {
                out.push(
                    "eip-target-kind",
                    &b0.c.address,
                    "instance_type",
                    "binds an EIP to an IP address".into(),
                    out.limit("IpAddress as an EIP target", &limits.ip_address_eip_target),
                    "bind it to an ENI (NAT mode with private_ip_address) instead".into(),
                );
            }
            _ => {}
        }
        if let Some(tr) = &target_region {
            for b in list {
                if let Some(er) = eip_of(&b.eip).and_then(|e| e.region)
                    && rules::evaluate(
                        &Facts::Regions {
                            eip: &er,
                            target: tr,
                        },
                        limits,
                    )
                    .is_some()
                {
                    out.push(
                        "eip-same-region",
                        &b.c.address,
                        "instance_id",
                        format!("binds an EIP in {er} to {tkey} in {tr}"),
                        "rule: an EIP and its target are in the same region (zones do not matter)"
                            .into(),
                        format!(
                            "allocate the EIP in {tr} (a provider block with region = \"{tr}\")"
                        ),
                    );
                }
            }
        }
    }
    // eip-eni-nat-mode: an address removed while an EIP that stays is bound to it.
    for e in &enis {
        let Some(info) = &e.cloud else { continue };
        let Some(owner) = e.ip_owners.last().map(|x| x.0.clone()).or(e.addr.clone()) else {
            continue;
        };
        for x in staying.get(&info.id).map(|v| v.as_slice()).unwrap_or(&[]) {
            let Some(ip) = &x.private_ip else { continue };
            let gone = e.deleted
                || (!e.v4.unknown
                    && e.primary_ip.as_deref() != Some(ip.as_str())
                    && !e.v4.known.contains(ip)
                    && info.private_ips.contains(ip));
            if gone
                && !e.deleted
                && rules::evaluate(&Facts::RemoveAddress { eip_bound: true }, limits).is_some()
            {
                out.push("eip-eni-nat-mode", &owner, "private_ip_addresses", format!("removes {ip} from {}, but the EIP {} stays bound to it", info.id, x.id), "rule: in NAT mode an EIP is bound to one of the ENI's addresses, so an address cannot go while an EIP is bound to it".into(), format!("unbind {} first (remove its association in this plan), or keep {ip}", x.id));
            }
        }
    }
    out.diags
}

fn state_check(out: &mut Out, c: &Change, inst: &Instance, verb: &str) {
    let stopped_only = out
        .limits
        .instance_type(&inst.ty)
        .is_some_and(|t| t.stopped_only_attach);
    let state = Facts::InstanceState {
        status: &inst.status,
        stopped_only,
    };
    if rules::evaluate(&state, out.limits).is_none() {
        return;
    }
    let need = if stopped_only {
        format!(
            "Stopped ({} attaches and detaches ENIs only while stopped)",
            inst.ty
        )
    } else {
        "Running or Stopped".to_string()
    };
    out.push(
        "eni-instance-state",
        &c.address,
        "instance_id",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::api::fake::{self, Fake, World};

    fn wanted(instances: &[String], enis: &[String], eips: &[String], targets: &[&str]) -> Wanted {
        let set = |v: &[String]| v.iter().cloned().collect();
        Wanted {
            instances: set(instances),
            enis: set(enis),
            eips: set(eips),
            targets: targets.iter().map(|t| t.to_string()).collect(),
        }
    }

    /// More of each kind than the largest page (or id batch) holds, with 10 the default page:
    /// the checker's picture must hold them all.
    #[test]
    fn the_checker_sees_every_object_past_the_first_page() {
        let n = |max: usize| max + 11;
        let instances = fake::ids("i", n(100));
        let enis = fake::ids("eni", n(100));
        let eips = fake::ids("eip", n(50));
        let mut w = fake::past_first_page();
        w.instances = instances
            .iter()
            .map(|id| ecs::Instance {
                instance_id: id.clone(),
                ..Default::default()
            })
            .collect();
        w.enis = enis.iter().map(|i| fake::eni(i)).collect();
        w.eips = eips.iter().map(|i| fake::eip(i)).collect();
        // ENIs the plan does not name, found through their vSwitch: more than a page of 500.
        w.enis
            .extend(fake::ids("eni-other", 511).iter().map(|i| fake::eni(i)));
        let f = Fake::new(w);
        let cloud = gather(&f.clouds(), &[], &wanted(&instances, &enis, &eips, &[]));
        assert!(cloud.complete);
        assert_eq!(cloud.instances.len(), n(100));
        assert_eq!(cloud.enis.len(), n(100) + 511);
        assert_eq!(cloud.eips.len(), n(50));
        assert_eq!(cloud.sgs.len(), n(100));
        assert_eq!(cloud.vswitches.len(), n(50));
        assert_eq!(cloud.nats.len(), n(50));
        assert_eq!(cloud.havips.len(), n(50));
        assert_eq!(cloud.slbs.len(), n(100));
        assert!(
            f.calls_of("DescribeForwardTableEntries").is_empty(),
            "no EIP is bound to an instance"
        );
    }

    #[test]
    fn dnat_targets_come_from_forward_table_entries_when_an_instance_takes_an_eip() {
        let f = Fake::new(World {
            instances: vec![ecs::Instance {
                instance_id: "i-1".into(),
                ..Default::default()
            }],
            nat_gateways: vec![vpc::NatGateway {
                nat_gateway_id: "ngw-1".into(),
                forward_table_ids: vec!["ftb-1".to_string()].into(),
                ..Default::default()
            }],
            forward_entries: vec![vpc::ForwardTableEntry {
                forward_table_id: "ftb-1".into(),
                internal_ip: "192.168.1.5".into(),
                ..Default::default()
            }],
            ..World::default()
        });
        let w = wanted(&["i-1".to_string()], &[], &[], &["i-1"]);
        let cloud = gather(&f.clouds(), &[], &w);
        assert!(cloud.complete);
        assert_eq!(
            cloud.nats.get("ngw-1").map(|n| n.2.clone()),
            Some(vec!["192.168.1.5".to_string()])
        );
    }
}
