//! The plan's final picture of the cloud: every ENI the plan touches with its addresses, where
//! each ends up attached, and the EIP bindings (see `bindings`), computed once from the
//! refreshed cloud and the planned changes, so that each rule family reads the same picture.
//!
//! A value the plan cannot know yet (an id the cloud will choose, a count of automatically
//! picked addresses) is linked through its origin address where possible and otherwise left
//! unknown: the families skip what is unknown, since a false rejection is as much a bug as a
//! missed violation.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::bindings::Bindings;
use super::gather::Cloud;
use crate::address::Address;
use crate::plan::{Action, Change};
use crate::provider::api::EniInfo;
pub(super) use crate::resources::view::Ref;
use crate::resources::view::{Addresses, Field};
use crate::resources::{AttachmentSpec, EniSpec, SecondaryIpsSpec};

/// An owned copy of a string a view lends.
fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_string)
}

/// A set of addresses as far as the plan knows it: the known ones, how many more the cloud will
/// pick, and whether even that is unknown.
#[derive(Clone, Debug, Default)]
pub(super) struct IpSet {
    pub(super) known: BTreeSet<String>,
    pub(super) auto: usize,
    pub(super) unknown: bool,
}

impl IpSet {
    pub(super) fn len(&self) -> Option<usize> {
        (!self.unknown).then_some(self.known.len() + self.auto)
    }

    /// From an address set a view reads.
    fn of(a: &Addresses) -> IpSet {
        match a {
            Addresses::Listed(l) => IpSet {
                known: l.iter().map(|s| s.to_string()).collect(),
                auto: 0,
                unknown: false,
            },
            Addresses::Picked(n) => IpSet {
                known: BTreeSet::new(),
                auto: *n,
                unknown: false,
            },
            Addresses::Unknown => IpSet {
                unknown: true,
                ..IpSet::default()
            },
        }
    }

    /// A count that grows keeps every address the ENI has (the list is only known once the
    /// cloud picks the new ones); a count that shrinks has a known list already.
    pub(super) fn grows(&self) -> bool {
        self.known.is_empty() && (self.auto > 0 || self.unknown)
    }
}

/// An ENI the plan touches, in its final state.
#[derive(Clone, Debug, Default)]
pub(super) struct Eni {
    /// The change managing the ENI itself, if any.
    pub(super) addr: Option<Address>,
    pub(super) id: Option<String>,
    pub(super) cloud: Option<EniInfo>,
    pub(super) region: Option<String>,
    pub(super) vswitch: Option<String>,
    pub(super) sgs: Option<Vec<String>>,
    pub(super) primary_ip: Option<String>,
    pub(super) v4: IpSet,
    pub(super) v6: IpSet,
    pub(super) deleted: bool,
    /// Where each address came from (the resource that asks for it), for messages.
    pub(super) v4_from: BTreeMap<String, Address>,
    /// Resources whose addresses land on this ENI (the ENI itself, secondary-IP resources).
    pub(super) ip_owners: Vec<Address>,
    pub(super) v6_owners: Vec<Address>,
}

impl Eni {
    pub(super) fn is_primary(&self) -> bool {
        self.cloud.as_ref().is_some_and(|c| c.primary)
    }

    /// How messages name it: its resource address, else its id.
    pub(super) fn name(&self) -> String {
        self.addr
            .as_ref()
            .map(|a| a.to_string())
            .or(self.id.clone())
            .unwrap_or_default()
    }

    /// The resource an address-count diagnostic points at: the last one adding addresses.
    pub(super) fn last_owner(&self) -> Option<Address> {
        self.ip_owners.last().cloned().or(self.addr.clone())
    }

    /// Where a diagnostic about this ENI's IPv4 addresses points at `owner`: the ENI's own
    /// attributes, or those of the secondary-IPs resource that adds them.
    pub(super) fn v4_field(&self, owner: &Address) -> Field {
        if self.addr.as_ref() == Some(owner) {
            EniSpec::PRIVATE_IPS
        } else {
            SecondaryIpsSpec::PRIVATE_IPS
        }
    }

    /// The same for its IPv6 addresses.
    pub(super) fn v6_field(&self, owner: &Address) -> Field {
        if self.addr.as_ref() == Some(owner) {
            EniSpec::IPV6
        } else {
            SecondaryIpsSpec::IPV6
        }
    }

    /// The resource a vSwitch or security-group diagnostic points at.
    pub(super) fn first_owner(&self) -> Option<Address> {
        self.ip_owners.first().cloned().or(self.addr.clone())
    }

    /// Every address the ENI holds in the cloud now.
    pub(super) fn cloud_addresses(&self) -> BTreeSet<String> {
        self.cloud
            .as_ref()
            .map(|c| {
                std::iter::once(&c.primary_ip)
                    .chain(&c.private_ips)
                    .chain(&c.ipv6)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The picture of an ENI the plan reaches only by id (a primary ENI, one made outside
    /// netform): what the cloud has.
    fn of_cloud(info: EniInfo, region: String) -> Eni {
        Eni {
            id: Some(info.id.clone()),
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
            cloud: Some(info),
            ..Eni::default()
        }
    }
}

/// An ENI change that deletes or replaces it, with what the cloud has for it.
#[derive(Clone, Debug)]
pub(super) struct Removal {
    pub(super) address: Address,
    pub(super) replace: bool,
    pub(super) cloud: Option<EniInfo>,
}

/// An attachment change, in plan order.
#[derive(Clone, Debug)]
pub(super) struct Attachment {
    pub(super) address: Address,
    /// The instance this change detaches an ENI from (delete or replace).
    pub(super) detaches_from: Option<String>,
    /// The ENI it ends up attaching (`None`: unknown, or it attaches nothing).
    pub(super) eni: Option<usize>,
    pub(super) instance: Option<String>,
    /// Whether this plan makes the attachment (create or replace).
    pub(super) creating: bool,
}

/// Where an ENI ends up: the instance, the attachment resource, whether this plan attaches it.
#[derive(Clone, Debug)]
pub(super) struct AttachedTo {
    pub(super) instance: String,
    pub(super) by: Address,
    pub(super) creating: bool,
}

/// The plan's final picture of the cloud.
#[derive(Default)]
pub(super) struct Picture {
    pub(super) cloud: Cloud,
    pub(super) enis: Vec<Eni>,
    pub(super) by_addr: HashMap<Address, usize>,
    pub(super) by_id: HashMap<String, usize>,
    /// ENI deletions and replacements, in plan order.
    pub(super) removals: Vec<Removal>,
    /// Secondary-IP resources that change, with the ENI their addresses land on.
    pub(super) sips: Vec<(usize, Address)>,
    pub(super) attachments: Vec<Attachment>,
    /// Per ENI (index into `enis`): the attachments that leave it on an instance.
    pub(super) attached_to: HashMap<usize, Vec<AttachedTo>>,
    /// ENIs this plan detaches.
    pub(super) detached: BTreeSet<String>,
    /// Per instance: the attachments this plan makes to it.
    pub(super) new_on_instance: BTreeMap<String, Vec<Address>>,
    /// ENIs replaced destroy-first: gone before their replacements ask for the same addresses.
    pub(super) replaced_first: BTreeSet<String>,
    pub(super) bindings: Bindings,
}

impl Picture {
    /// The picture the changes lead to; `region_of` names the region of a change's provider.
    pub(super) fn build(
        cloud: Cloud,
        changes: &[Change],
        region_of: &dyn Fn(&Change) -> String,
    ) -> Picture {
        let mut p = Picture {
            cloud,
            ..Picture::default()
        };
        for c in changes.iter().filter(|c| c.kind == EniSpec::KIND) {
            p.add_eni_change(c, region_of(c));
        }
        for c in changes.iter().filter(|c| c.kind == SecondaryIpsSpec::KIND) {
            p.add_secondary_ips(c);
        }
        for c in changes.iter().filter(|c| c.kind == AttachmentSpec::KIND) {
            p.add_attachment(c);
        }
        p.replaced_first = changes
            .iter()
            .filter(|c| {
                c.kind == EniSpec::KIND && c.action == Action::Replace && !c.create_before_destroy
            })
            .filter_map(|c| owned(EniSpec::new(c.before.as_ref()?).id()))
            .collect();
        p.bindings = Bindings::build(&p.cloud, changes, region_of);
        p
    }

    fn add_eni_change(&mut self, c: &Change, region: String) {
        let before_id = c.before.as_ref().and_then(|b| EniSpec::new(b).id());
        let cur = before_id.and_then(|id| self.cloud.enis.get(id).map(|x| x.0.clone()));
        if matches!(c.action, Action::Delete | Action::Replace) {
            self.removals.push(Removal {
                address: c.address.clone(),
                replace: c.action == Action::Replace,
                cloud: cur.clone(),
            });
        }
        let e = match c.after.as_ref().map(EniSpec::new) {
            Some(a) => Eni {
                addr: Some(c.address.clone()),
                id: owned(a.id()),
                region: Some(region),
                vswitch: owned(a.vswitch_id()),
                sgs: a
                    .security_group_ids()
                    .map(|l| l.into_iter().map(str::to_string).collect()),
                primary_ip: owned(a.primary_ip()),
                v4: IpSet::of(&a.private_ips()),
                v6: IpSet::of(&a.ipv6()),
                ip_owners: vec![c.address.clone()],
                v6_owners: vec![c.address.clone()],
                cloud: if c.action == Action::Replace {
                    None
                } else {
                    cur
                },
                ..Eni::default()
            },
            None => Eni {
                addr: Some(c.address.clone()),
                id: owned(before_id),
                region: Some(region),
                deleted: true,
                cloud: cur,
                ..Eni::default()
            },
        };
        let i = self.enis.len();
        self.by_addr.insert(c.address.clone(), i);
        if let Some(id) = &e.id {
            self.by_id.insert(id.clone(), i);
        }
        self.enis.push(e);
    }

    /// The ENI a reference names, added to the picture from the cloud when the plan reaches it
    /// only by id.
    pub(super) fn eni_ref(&mut self, r: &Ref) -> Option<usize> {
        match r {
            Ref::Planned(a) => self.by_addr.get(a).copied(),
            Ref::Id(id) => {
                if let Some(i) = self.by_id.get(id) {
                    return Some(*i);
                }
                let (info, region) = self.cloud.enis.get(id)?.clone();
                self.enis.push(Eni::of_cloud(info, region));
                self.by_id.insert(id.clone(), self.enis.len() - 1);
                Some(self.enis.len() - 1)
            }
            Ref::Unknown => None,
        }
    }

    /// The ENI a reference names, without adding it to the picture (for the EIP family, which
    /// looks at ENIs after the address families are done with the picture).
    pub(super) fn eni_view(&self, r: &Ref) -> Option<(Option<usize>, Eni)> {
        match r {
            Ref::Planned(a) => {
                let i = *self.by_addr.get(a)?;
                Some((Some(i), self.enis[i].clone()))
            }
            Ref::Id(id) => match self.by_id.get(id) {
                Some(i) => Some((Some(*i), self.enis[*i].clone())),
                None => {
                    let (info, region) = self.cloud.enis.get(id)?.clone();
                    Some((None, Eni::of_cloud(info, region)))
                }
            },
            Ref::Unknown => None,
        }
    }

    /// Secondary-IP resources: their addresses move onto the ENI they name (the instance's
    /// primary ENI when they name an instance).
    fn add_secondary_ips(&mut self, c: &Change) {
        let side = c
            .after
            .as_ref()
            .or(c.before.as_ref())
            .map(SecondaryIpsSpec::new);
        let r = match side.map_or(Ref::Unknown, |s| s.network_interface()) {
            Ref::Unknown => side
                .and_then(|s| s.instance_id())
                .and_then(|inst| {
                    self.cloud
                        .enis
                        .values()
                        .find(|(e, _)| e.primary && e.instance_id.as_deref() == Some(inst))
                })
                .map_or(Ref::Unknown, |(e, _)| Ref::Id(e.id.clone())),
            r => r,
        };
        let Some(i) = self.eni_ref(&r) else { return };
        if c.is_change() {
            self.sips.push((i, c.address.clone()));
        }
        let e = &mut self.enis[i];
        let set = |a: &'_ crate::plan::attrs::Attrs, v6: bool| {
            let s = SecondaryIpsSpec::new(a);
            IpSet::of(&if v6 { s.ipv6() } else { s.private_ips() })
        };
        for v6 in [false, true] {
            // What the resource held before is a list, or nothing to take back.
            let before: Vec<String> = c
                .before
                .as_ref()
                .map(|b| set(b, v6).known.into_iter().collect())
                .unwrap_or_default();
            let after = match &c.after {
                Some(a) => set(a, v6),
                None => IpSet::default(),
            };
            if !v6 {
                for k in &after.known {
                    e.v4_from.insert(k.clone(), c.address.clone());
                }
            }
            let (target, owners) = if v6 {
                (&mut e.v6, &mut e.v6_owners)
            } else {
                (&mut e.v4, &mut e.ip_owners)
            };
            for b in &before {
                target.known.remove(b);
            }
            target.unknown |= after.unknown;
            target.auto += after.auto;
            target.known.extend(after.known);
            if c.after.is_some() {
                owners.push(c.address.clone());
            }
        }
    }

    fn add_attachment(&mut self, c: &Change) {
        let mut step = Attachment {
            address: c.address.clone(),
            detaches_from: None,
            eni: None,
            instance: None,
            creating: matches!(c.action, Action::Create | Action::Replace),
        };
        if matches!(c.action, Action::Delete | Action::Replace)
            && let Some(b) = c.before.as_ref().map(AttachmentSpec::new)
            && let Some(eni) = b.network_interface_id()
        {
            self.detached.insert(eni.to_string());
            step.detaches_from = owned(b.instance_id());
        }
        if let Some(a) = c.after.as_ref().map(AttachmentSpec::new) {
            step.eni = self.eni_ref(&a.network_interface());
            if let Some(i) = step.eni {
                step.instance = owned(a.instance_id());
                if let Some(inst) = &step.instance {
                    self.attached_to.entry(i).or_default().push(AttachedTo {
                        instance: inst.clone(),
                        by: c.address.clone(),
                        creating: step.creating,
                    });
                    if step.creating {
                        self.new_on_instance
                            .entry(inst.clone())
                            .or_default()
                            .push(c.address.clone());
                    }
                }
            }
        }
        self.attachments.push(step);
    }

    /// The instance an ENI ends up on, and whether this plan attaches it there.
    pub(super) fn final_instance(&self, i: usize) -> Option<(String, bool)> {
        if let Some(l) = self.attached_to.get(&i) {
            return l.first().map(|x| (x.instance.clone(), x.creating));
        }
        let c = self.enis[i].cloud.as_ref()?;
        let on = c.instance_id.clone()?;
        (!self.detached.contains(&c.id)).then_some((on, false))
    }
}
