//! Indices of the simulated cloud, kept in step with every change so that no API call costs
//! more as the cloud grows: addresses in use per vSwitch (with their IPv4 count), what each
//! security group holds, the ENIs on each instance, the EIPs bound to each target and the
//! public addresses taken. The live objects stay the one source of truth: the indices are
//! rebuilt from them when a cloud is opened, and every change to an ENI or an EIP goes through
//! [`Cloud`](super::cloud::Cloud)'s `insert_*`, `update_*` and `forget_*`/`remove_*`, which take
//! the object out of the indices and put it back as it is after the change.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};

use super::cloud::{Eip, Eni, Live};

/// The addresses in use in one vSwitch, and how many of them are IPv4 (the free-address check
/// needs that count on every allocation).
#[derive(Debug, Default)]
pub struct Used {
    set: HashSet<IpAddr>,
    v4: usize,
}

impl Used {
    pub fn insert(&mut self, ip: IpAddr) -> bool {
        let new = self.set.insert(ip);
        if new && ip.is_ipv4() {
            self.v4 += 1;
        }
        new
    }

    pub fn remove(&mut self, ip: &IpAddr) -> bool {
        let had = self.set.remove(ip);
        if had && ip.is_ipv4() {
            self.v4 -= 1;
        }
        had
    }

    pub fn contains(&self, ip: &IpAddr) -> bool {
        self.set.contains(ip)
    }

    pub fn extend(&mut self, ips: impl IntoIterator<Item = IpAddr>) {
        for ip in ips {
            self.insert(ip);
        }
    }

    /// IPv4 addresses in use.
    pub fn v4_count(&self) -> usize {
        self.v4
    }
}

/// What one security group holds: its ENIs and their addresses (primary, secondary, IPv6), the
/// two figures its quotas cap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SgUse {
    pub enis: usize,
    pub ips: usize,
}

#[derive(Debug, Default)]
pub struct Index {
    sg: HashMap<String, SgUse>,
    /// Instance id → the ENIs attached (or attaching) to it.
    on_instance: HashMap<String, BTreeSet<String>>,
    /// Target id (ENI, instance, gateway…) → the EIPs bound to it, in id order.
    bound_to: HashMap<String, BTreeSet<String>>,
    /// Public addresses of the EIPs that exist.
    public: HashSet<Ipv4Addr>,
}

/// An ENI's addresses, as its security groups count them.
fn eni_ips(e: &Eni) -> usize {
    1 + e.private_ips.len() + e.ipv6.len()
}

/// Each security group of an ENI once, however often its list names it (the quota counts the
/// ENI once per group).
fn groups(e: &Eni) -> BTreeSet<&str> {
    e.security_group_ids.iter().map(String::as_str).collect()
}

impl Index {
    pub fn build(live: &Live) -> Index {
        let mut idx = Index::default();
        for e in live.enis.values() {
            idx.eni(e, true);
        }
        for e in live.eips.values() {
            idx.eip(e, true);
        }
        idx
    }

    /// Adds an ENI's part (`add`) or takes it out.
    pub fn eni(&mut self, e: &Eni, add: bool) {
        let ips = eni_ips(e);
        for g in groups(e) {
            let u = self.sg.entry(g.to_string()).or_default();
            if add {
                u.enis += 1;
                u.ips += ips;
            } else {
                u.enis = u.enis.saturating_sub(1);
                u.ips = u.ips.saturating_sub(ips);
            }
        }
        if let Some(i) = &e.instance_id {
            set_member(&mut self.on_instance, i, &e.id, add);
        }
    }

    /// Adds an EIP's part (`add`) or takes it out.
    pub fn eip(&mut self, e: &Eip, add: bool) {
        if add {
            self.public.insert(e.ip_address);
        } else {
            self.public.remove(&e.ip_address);
        }
        if let Some(t) = &e.instance_id {
            set_member(&mut self.bound_to, t, &e.id, add);
        }
    }

    pub fn sg(&self, id: &str) -> SgUse {
        self.sg.get(id).copied().unwrap_or_default()
    }

    /// The ENIs on an instance, in id order.
    pub fn enis_on(&self, instance: &str) -> impl Iterator<Item = &String> {
        self.on_instance.get(instance).into_iter().flatten()
    }

    /// The EIPs bound to a target, in id order.
    pub fn eips_on(&self, target: &str) -> impl Iterator<Item = &String> {
        self.bound_to.get(target).into_iter().flatten()
    }

    pub fn public_taken(&self, ip: &Ipv4Addr) -> bool {
        self.public.contains(ip)
    }
}

fn set_member(map: &mut HashMap<String, BTreeSet<String>>, key: &str, id: &str, add: bool) {
    if add {
        map.entry(key.to_string())
            .or_default()
            .insert(id.to_string());
    } else if let Some(s) = map.get_mut(key) {
        s.remove(id);
        if s.is_empty() {
            map.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn used_counts_ipv4_once_and_forgets_what_is_removed() {
        let mut u = Used::default();
        let a: IpAddr = "10.0.0.5".parse().unwrap();
        let b: IpAddr = "2001:db8::5".parse().unwrap();
        u.insert(a);
        u.insert(a);
        u.insert(b);
        assert!(u.contains(&b));
        assert_eq!(u.v4_count(), 1);
        assert!(!u.remove(&"10.0.0.6".parse().unwrap()));
        assert!(u.remove(&a));
        assert_eq!(u.v4_count(), 0);
        assert!(!u.contains(&a) && u.contains(&b));
    }
}
