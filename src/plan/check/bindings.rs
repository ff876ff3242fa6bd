//! The EIP side of the plan's final picture: each EIP's region and charge type (known or
//! planned), the bindings this plan makes, and the bound EIPs that stay on each target.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::gather::Cloud;
use super::picture::Ref;
use crate::address::Address;
use crate::plan::attrs::Attrs;
use crate::plan::{Action, Change};
use crate::provider::api::EipInfo;
use crate::resources::{BindingSpec, EipSpec};
use crate::schema::Kind;

/// What the plan knows of an EIP: its region and charge type.
#[derive(Clone, Debug, Default)]
pub(super) struct EipFacts {
    pub(super) region: Option<String>,
    pub(super) charge: Option<String>,
}

/// A binding this plan makes (an association created or replaced).
#[derive(Clone, Debug)]
pub(super) struct Bind {
    pub(super) address: Address,
    pub(super) eip: Ref,
    pub(super) target: Ref,
    /// AssociateEipAddress's `InstanceType`, given or inferred from the target's id.
    pub(super) kind: String,
    pub(super) mode: String,
    pub(super) ip: Option<String>,
}

#[derive(Default)]
pub(super) struct Bindings {
    /// EIPs this plan creates or keeps, by resource address.
    pub(super) planned: HashMap<Address, EipFacts>,
    /// The resource address of a planned EIP whose id is known.
    pub(super) planned_ids: HashMap<String, Address>,
    /// EIPs this plan unbinds.
    pub(super) unbound: BTreeSet<String>,
    /// Bound EIPs that stay (in the cloud, not unbound nor released by this plan), per target.
    pub(super) staying: HashMap<String, Vec<EipInfo>>,
    /// Per NAT gateway: bound EIPs known only from its own list (charge type unknown).
    pub(super) nat_extra: HashMap<String, usize>,
    pub(super) binds: Vec<Bind>,
}

impl Bindings {
    pub(super) fn build(
        cloud: &Cloud,
        changes: &[Change],
        region_of: &dyn Fn(&Change) -> String,
    ) -> Bindings {
        let mut b = Bindings::default();
        for c in changes.iter().filter(|c| c.kind == EipSpec::KIND) {
            let Some(a) = c.after.as_ref().map(EipSpec::new) else {
                continue;
            };
            b.planned.insert(
                c.address.clone(),
                EipFacts {
                    region: a
                        .region()
                        .map(str::to_string)
                        .or_else(|| Some(region_of(c))),
                    charge: a.internet_charge_type().map(str::to_string),
                },
            );
            if let Some(id) = a.id() {
                b.planned_ids
                    .entry(id.to_string())
                    .or_insert(c.address.clone());
            }
        }
        b.unbound = removed(changes, BindingSpec::KIND, |a| {
            BindingSpec::new(a).allocation_id().map(str::to_string)
        });
        let released = removed(changes, EipSpec::KIND, |a| {
            EipSpec::new(a).id().map(str::to_string)
        });
        for e in cloud.eips.values() {
            if let Some(t) = &e.instance_id
                && !b.unbound.contains(&e.id)
                && !released.contains(&e.id)
            {
                b.staying.entry(t.clone()).or_default().push(e.clone());
            }
        }
        for (nat, n) in &cloud.nats {
            let extra = n
                .bound
                .iter()
                .filter(|x| !b.unbound.contains(*x) && !cloud.eips.contains_key(*x))
                .count();
            if extra > 0 {
                b.staying.entry(nat.clone()).or_default();
            }
            b.nat_extra.insert(nat.clone(), extra);
        }
        b.binds = changes
            .iter()
            .filter(|c| c.kind == BindingSpec::KIND)
            .filter(|c| matches!(c.action, Action::Create | Action::Replace))
            .filter_map(|c| Some(bind_of(c, c.after.as_ref()?)))
            .collect();
        b
    }

    /// What is known of the EIP a reference names.
    pub(super) fn eip(&self, cloud: &Cloud, r: &Ref) -> Option<EipFacts> {
        match r {
            Ref::Planned(a) => self.planned.get(a).cloned(),
            Ref::Id(id) => {
                if let Some(e) = cloud.eips.get(id) {
                    return Some(EipFacts {
                        region: Some(e.region.clone()),
                        charge: Some(e.internet_charge_type.clone()),
                    });
                }
                self.planned.get(self.planned_ids.get(id)?).cloned()
            }
            Ref::Unknown => None,
        }
    }

    /// The bindings this plan makes, per EIP.
    pub(super) fn per_eip(&self) -> BTreeMap<String, Vec<&Bind>> {
        let mut m: BTreeMap<String, Vec<&Bind>> = BTreeMap::new();
        for b in &self.binds {
            if let Some(k) = b.eip.key() {
                m.entry(k).or_default().push(b);
            }
        }
        m
    }

    /// The bindings this plan makes, per target.
    pub(super) fn per_target(&self) -> BTreeMap<String, Vec<&Bind>> {
        let mut m: BTreeMap<String, Vec<&Bind>> = BTreeMap::new();
        for b in &self.binds {
            if let Some(k) = b.target.key() {
                m.entry(k).or_default().push(b);
            }
        }
        m
    }

    /// The bound EIPs that stay on a target.
    pub(super) fn staying_on(&self, target: &str) -> &[EipInfo] {
        self.staying.get(target).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// The ids that deleted or replaced resources of `kind` held before (as `id_of` reads them).
fn removed(
    changes: &[Change],
    kind: Kind,
    id_of: impl Fn(&Attrs) -> Option<String>,
) -> BTreeSet<String> {
    changes
        .iter()
        .filter(|c| c.kind == kind && matches!(c.action, Action::Delete | Action::Replace))
        .filter_map(|c| c.before.as_ref().and_then(&id_of))
        .collect()
}

fn bind_of(c: &Change, a: &Attrs) -> Bind {
    let s = BindingSpec::new(a);
    Bind {
        address: c.address.clone(),
        eip: s.eip(),
        target: s.target(),
        kind: s.target_type().unwrap_or_default().to_string(),
        mode: s.mode().to_string(),
        ip: s.private_ip().map(str::to_string),
    }
}
