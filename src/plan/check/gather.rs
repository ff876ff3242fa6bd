//! The cloud as the Describe calls return it: one batch of calls per kind and region (so the
//! cost stays linear in the plan), fetching just the ids the plan names and what shares a
//! vSwitch, security group or target with them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::plan::Change;
use crate::provider::api::{Client, EipInfo, EniInfo};
use crate::provider::wire::{ecs, slb, vpc};
use crate::provider::{ApiError, Clouds};
use crate::resources::EniSpec;
use crate::resources::view::cloud_refs;
use ipnet::{Ipv4Net, Ipv6Net};

/// Reads of one kind made at once (the ENIs of several vSwitches or security groups).
const READS_AT_ONCE: usize = 8;

#[derive(Clone, Debug, Default)]
pub(super) struct Instance {
    pub(super) id: String,
    pub(super) region: String,
    pub(super) zone: String,
    pub(super) vpc: String,
    pub(super) ty: String,
    pub(super) status: String,
    pub(super) vswitch: String,
    pub(super) classic: bool,
    pub(super) public_ip: bool,
    pub(super) private_ip: Option<String>,
    /// Secondary and primary ENIs attached now.
    pub(super) enis: Vec<String>,
}

#[derive(Clone, Debug)]
pub(super) struct VSwitch {
    pub(super) region: String,
    pub(super) zone: String,
    pub(super) vpc: String,
    pub(super) cidr: Option<Ipv4Net>,
    pub(super) ipv6: Option<Ipv6Net>,
    pub(super) available: Option<usize>,
}

#[derive(Clone, Debug)]
pub(super) struct Sg {
    pub(super) vpc: String,
    pub(super) enterprise: bool,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Nat {
    pub(super) region: String,
    /// Allocation ids of the EIPs bound to it.
    pub(super) bound: Vec<String>,
    /// Private IPs its DNAT entries forward to (fetched only when the plan binds an EIP to an
    /// instance).
    pub(super) dnat: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Havip {
    pub(super) vswitch: String,
    pub(super) address: String,
    pub(super) status: String,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Slb {
    pub(super) region: String,
    /// `intranet` or `internet`.
    pub(super) address_type: String,
    /// Empty for an internet SLB.
    pub(super) vswitch: String,
    pub(super) address: String,
}

/// Everything the Describe calls returned.
#[derive(Default)]
pub(super) struct Cloud {
    pub(super) instances: HashMap<String, Instance>,
    pub(super) enis: HashMap<String, (EniInfo, String)>,
    pub(super) vswitches: HashMap<String, VSwitch>,
    pub(super) sgs: HashMap<String, Sg>,
    pub(super) eips: HashMap<String, EipInfo>,
    pub(super) nats: HashMap<String, Nat>,
    pub(super) havips: HashMap<String, Havip>,
    pub(super) slbs: HashMap<String, Slb>,
    /// Whether every Describe call answered; when one did not, nothing is decided from absence.
    pub(super) complete: bool,
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

    /// Adds what another reading found.
    fn absorb(&mut self, other: Cloud) {
        self.instances.extend(other.instances);
        self.enis.extend(other.enis);
        self.vswitches.extend(other.vswitches);
        self.sgs.extend(other.sgs);
        self.eips.extend(other.eips);
        self.nats.extend(other.nats);
        self.havips.extend(other.havips);
        self.slbs.extend(other.slbs);
        self.complete &= other.complete;
    }

    fn add_enis(&mut self, list: Vec<EniInfo>, region: &str) {
        for e in list {
            self.enis.insert(e.id.clone(), (e, region.to_string()));
        }
    }
}

/// Ids the plan mentions, collected before the Describe calls.
#[derive(Default)]
pub(super) struct Wanted {
    pub(super) instances: BTreeSet<String>,
    pub(super) enis: BTreeSet<String>,
    pub(super) eips: BTreeSet<String>,
    /// Targets whose bound EIPs matter.
    pub(super) targets: BTreeSet<String>,
}

impl Wanted {
    /// Whether the plan binds an EIP to an ECS instance, the one case where DNAT entries matter.
    fn binds_instances(&self) -> bool {
        self.targets.iter().any(|t| self.instances.contains(t))
    }
}

pub(super) fn gather(clouds: &Clouds, changes: &[Change], w: &Wanted) -> Cloud {
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
    // The regions, and each region's kinds, are read at once: with latency, a plan waits for
    // the slowest chain of reads rather than for their sum.
    let parts: Vec<Cloud> = std::thread::scope(|s| {
        let reading: Vec<_> = regions
            .iter()
            .map(|(region, alias)| {
                let c = clouds.client(alias.as_deref());
                s.spawn(move || gather_region(&c, region, changes, w))
            })
            .collect();
        reading.into_iter().map(joined).collect()
    });
    for p in parts {
        cloud.absorb(p);
    }
    cloud
}

/// One region's picture: the ENIs (which need the instances first) while the other kinds are
/// read beside them.
fn gather_region(c: &Client, region: &str, changes: &[Change], w: &Wanted) -> Cloud {
    std::thread::scope(|s| {
        let beside = [
            s.spawn(|| part(|x| gather_vswitches(x, c, region))),
            s.spawn(|| part(|x| gather_sgs(x, c))),
            s.spawn(|| part(|x| gather_eips(x, c, w))),
            s.spawn(|| part(|x| gather_nats(x, c, region, w))),
            s.spawn(|| part(|x| gather_havips(x, c))),
            s.spawn(|| part(|x| gather_slbs(x, c, region))),
        ];
        let mut cloud = part(|x| {
            gather_instances(x, c, w);
            gather_enis(x, c, region, changes, w);
        });
        for h in beside {
            cloud.absorb(joined(h));
        }
        cloud
    })
}

/// A picture made by `fill` alone, complete unless one of its reads failed.
fn part(fill: impl FnOnce(&mut Cloud)) -> Cloud {
    let mut cloud = Cloud {
        complete: true,
        ..Cloud::default()
    };
    fill(&mut cloud);
    cloud
}

/// The picture a reading thread made; one that panicked leaves an incomplete picture, from
/// which nothing is decided by absence.
fn joined(h: std::thread::ScopedJoinHandle<'_, Cloud>) -> Cloud {
    h.join().unwrap_or_default()
}

/// `f` of each item, with at most `width` at once, in the items' order.
fn fan_out<T: Send, R: Send>(items: Vec<T>, width: usize, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let next = std::sync::Mutex::new(items.into_iter().enumerate());
    let mut out: Vec<(usize, R)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..width.max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let item = next.lock().ok().and_then(|mut n| n.next());
                        let Some((i, t)) = item else { break };
                        mine.push((i, f(t)));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

/// The vSwitches of a region.
fn gather_vswitches(cloud: &mut Cloud, c: &Client, region: &str) {
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
}

/// The security groups of a region.
fn gather_sgs(cloud: &mut Cloud, c: &Client) {
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
        .filter(|c| c.kind == EniSpec::KIND)
        .filter_map(|c| EniSpec::new(c.after.as_ref()?).security_group_ids())
        .flatten()
        .map(str::to_string)
        .collect();
    sgs.extend(
        cloud
            .enis
            .values()
            .flat_map(|(e, _)| e.security_group_ids.iter().cloned()),
    );
    let on_instances: Vec<ecs::DescribeNetworkInterfaces> = w
        .instances
        .iter()
        .map(|i| ecs::DescribeNetworkInterfaces {
            instance_id: Some(i.clone()),
            ..Default::default()
        })
        .collect();
    for list in fan_out(on_instances, READS_AT_ONCE, |f| c.enis_where(&f)) {
        let list = cloud.ok(list);
        cloud.add_enis(list, region);
    }
    // The ENIs that share a vSwitch or a security group with the plan's count only against
    // what the plan adds (an address taken twice, a vSwitch or a group over its cap): a plan
    // that only deletes adds nothing, and a destroy of N ENIs need not list them all again.
    let mut changing = changes.iter().filter(|c| c.is_change()).peekable();
    if changing.peek().is_some() && changing.all(|c| c.action == crate::plan::Action::Delete) {
        return;
    }
    let filters = vswitches
        .into_iter()
        .map(|v| ecs::DescribeNetworkInterfaces {
            v_switch_id: Some(v),
            ..Default::default()
        })
        .chain(sgs.into_iter().map(|s| ecs::DescribeNetworkInterfaces {
            security_group_id: Some(s),
            ..Default::default()
        }));
    let filters: Vec<ecs::DescribeNetworkInterfaces> = filters.collect();
    for list in fan_out(filters, READS_AT_ONCE, |f| c.enis_where(&f)) {
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

/// NAT gateways of a region, with their bound EIPs, and their DNAT targets when the plan binds
/// EIPs to instances.
fn gather_nats(cloud: &mut Cloud, c: &Client, region: &str, w: &Wanted) {
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
        let nat = Nat {
            region: region.to_string(),
            bound,
            dnat,
        };
        cloud.nats.insert(n.nat_gateway_id, nat);
    }
}

/// HAVIPs of a region.
fn gather_havips(cloud: &mut Cloud, c: &Client) {
    let list = c.list_all(&vpc::DescribeHaVips::default());
    for h in cloud.ok(list) {
        let havip = Havip {
            vswitch: h.v_switch_id,
            address: h.ip_address,
            status: h.status,
        };
        cloud.havips.insert(h.ha_vip_id, havip);
    }
}

/// SLBs of a region.
fn gather_slbs(cloud: &mut Cloud, c: &Client, region: &str) {
    let list = c.list_all(&slb::DescribeLoadBalancers::default());
    for s in cloud.ok(list) {
        let slb = Slb {
            region: region.to_string(),
            address_type: s.address_type,
            vswitch: s.v_switch_id,
            address: s.address,
        };
        cloud.slbs.insert(s.load_balancer_id, slb);
    }
}

fn vswitches_of(changes: &[Change]) -> BTreeSet<String> {
    changes
        .iter()
        .filter(|c| c.kind == EniSpec::KIND)
        .flat_map(|c| [c.before.as_ref(), c.after.as_ref()])
        .flatten()
        .filter_map(|a| EniSpec::new(a).vswitch_id().map(str::to_string))
        .collect()
}

/// The ids a plan names, so the Describe calls fetch just those.
pub(super) fn wanted(changes: &[Change]) -> Wanted {
    let mut w = Wanted::default();
    for c in changes {
        for side in [c.before.as_ref(), c.after.as_ref()].into_iter().flatten() {
            let r = cloud_refs(c.kind, side);
            let own = |ids: Vec<&str>| ids.into_iter().map(str::to_string).collect::<Vec<_>>();
            w.enis.extend(own(r.enis));
            w.instances.extend(own(r.instances));
            w.eips.extend(own(r.eips));
            w.targets.extend(own(r.targets));
        }
    }
    // Planned ENIs' bound EIPs matter too (NAT-mode addresses).
    let enis: Vec<String> = w.enis.iter().cloned().collect();
    w.targets.extend(enis);
    w
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

    /// A plan that only deletes adds no address and no member anywhere: its ENIs are fetched
    /// by id, and the rest of their vSwitch and security groups only for a plan that adds.
    #[test]
    fn a_plan_that_only_deletes_does_not_list_whole_vswitches_and_groups() {
        use crate::plan::Action;
        let mut w = fake::past_first_page();
        w.enis = fake::ids("eni", 3).iter().map(|i| fake::eni(i)).collect();
        let eni = w.enis[0].network_interface_id.clone();
        let before = crate::plan::attrs::Attrs::from([
            ("id".to_string(), crate::lang::Value::String(eni.clone())),
            (
                "vswitch_id".to_string(),
                crate::lang::Value::String("vsw-1".into()),
            ),
        ]);
        let address = crate::address::Address::parse("alicloud_ecs_network_interface.e")
            .unwrap_or_else(|e| panic!("{e}"));
        let mut ch =
            crate::plan::Change::bare(address, EniSpec::KIND, Action::Delete, Some(before), None);
        let listed = |ch: &crate::plan::Change| {
            let f = Fake::new(w.clone());
            let changes = std::slice::from_ref(ch);
            let cloud = gather(&f.clouds(), changes, &super::wanted(changes));
            let by_filter = f
                .calls_of("DescribeNetworkInterfaces")
                .iter()
                .filter(|c| c.params.contains_key("VSwitchId"))
                .count();
            (cloud.enis.contains_key(&eni), by_filter)
        };
        let (found, by_filter) = listed(&ch);
        assert!(found && by_filter == 0, "{found} {by_filter}");
        ch.action = Action::Update;
        ch.after = ch.before.clone();
        let (found, by_filter) = listed(&ch);
        assert!(found && by_filter > 0, "{found} {by_filter}");
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
            cloud.nats.get("ngw-1").map(|n| n.dnat.clone()),
            Some(vec!["192.168.1.5".to_string()])
        );
    }
}
