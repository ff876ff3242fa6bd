//! Guest OS network configuration for what netform assigned in the cloud.
//!
//! Assigning a secondary private IP (or attaching a secondary ENI) only makes the address
//! *routable* inside the VPC; the guest does not configure it by itself (rules.md, "In the
//! guest"). `netform guest-config` therefore renders, from state alone, the files an operator drops
//! into the guest. Everything here is a pure function from [`GuestInstance`] to text so the output
//! can be golden-tested and is byte-identical for the same state.
//!
//! Decisions shared by every format (the per-OS submodules only spell them out):
//! - The primary ENI's primary address stays with the image's DHCP client: rewriting it risks
//!   losing DNS and the default route the image already manages. Only the extra addresses are added.
//! - A secondary ENI (device index > 0) is configured statically (primary address included) and
//!   never gets a default route in the main table, so eth0 keeps the instance's default route.
//!   Instead it gets a routing table of its own ([`POLICY_TABLE_BASE`] + device index) with a
//!   link route and a default route via its vSwitch gateway, and one `from <addr> lookup <table>`
//!   rule per IPv4 address it carries, so replies leave through the ENI they arrived on.
//! - IPv6 addresses are configured but not policy-routed: the IPv6 default router is a link-local
//!   address learned from router advertisements and is not recorded in state, so a table default
//!   route could not be written honestly.
//! - An EIP in BINDED (NIC-visible) mode is carried by the NIC as a /32; in NAT mode it never
//!   appears inside the guest and nothing is rendered for it.

mod debian;
pub mod from_state;
mod iproute2;
mod netplan;
mod rhel;
mod sles;
mod windows;

#[cfg(test)]
mod tests;

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

/// One instance, as recorded in state, with the ENIs attached to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestInstance {
    pub instance_id: String,
    pub state_serial: u64,
    pub interfaces: Vec<GuestEni>,
}

/// One ENI attached to an instance, with every address the cloud assigned to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestEni {
    pub eni_id: String,
    /// 0 = primary ENI (`eth0`), 1 → `eth1`, …
    pub device_index: u32,
    /// As the cloud reports it, e.g. `00:16:3e:xx:xx:xx`.
    pub mac: String,
    pub vswitch_cidr: Ipv4Net,
    pub vswitch_ipv6_cidr: Option<Ipv6Net>,
    pub primary_ip: Ipv4Addr,
    /// In assignment order; labels `ethN:0`, `ethN:1`, … follow this order.
    pub secondary_ipv4: Vec<Ipv4Addr>,
    pub ipv6: Vec<Ipv6Addr>,
    /// The EIP bound in BINDED mode (the NIC carries it); `None` in NAT mode.
    pub binded_eip: Option<Ipv4Addr>,
}

/// Guest flavours guest-config can render for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Os {
    /// RHEL, CentOS, Alibaba Cloud Linux: `ifcfg-eth0:N`, `route-ethN`, `rule-ethN`.
    Rhel,
    /// Debian, older Ubuntu: `/etc/network/interfaces` stanzas.
    Debian,
    /// SLES, openSUSE: `IPADDR_N`/`NETMASK_N`/`LABEL_N` in `ifcfg-ethN`, `ifroute-`/`ifrule-`.
    Sles,
    /// Modern Ubuntu: one netplan YAML.
    Netplan,
    /// A PowerShell script.
    Windows,
    /// A plain, idempotent `ip` script for any Linux.
    Iproute2,
}

impl Os {
    pub const ALL: [Os; 6] = [
        Os::Rhel,
        Os::Debian,
        Os::Sles,
        Os::Netplan,
        Os::Windows,
        Os::Iproute2,
    ];

    /// The spelling used by `--os` and in output directories.
    pub fn name(self) -> &'static str {
        match self {
            Os::Rhel => "rhel",
            Os::Debian => "debian",
            Os::Sles => "sles",
            Os::Netplan => "netplan",
            Os::Windows => "windows",
            Os::Iproute2 => "iproute2",
        }
    }

    /// Inverse of [`Os::name`], ignoring case and surrounding whitespace.
    pub fn parse(s: &str) -> Option<Os> {
        let s = s.trim();
        Os::ALL
            .into_iter()
            .find(|os| os.name().eq_ignore_ascii_case(s))
    }
}

impl std::fmt::Display for Os {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One rendered file; `path` is relative (no leading `/`) so callers can root it under `--out`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestFile {
    pub path: String,
    pub contents: String,
}

/// Routing table of the ENI at device index `i` is `POLICY_TABLE_BASE + i`; well clear of the
/// reserved tables (253–255) and of the small numbers people pick by hand.
pub const POLICY_TABLE_BASE: u32 = 1000;

/// The vSwitch gateway: the third-to-last address of its CIDR (`x.x.x.253` in a /24, as the
/// seed's `ipconfig` output shows).
pub fn gateway(cidr: &Ipv4Net) -> Ipv4Addr {
    let broadcast = u32::from(cidr.broadcast());
    let network = u32::from(cidr.network());
    // Degenerate /31 and /32 have no third-to-last address; never step below the network.
    Ipv4Addr::from(broadcast.saturating_sub(2).max(network))
}

/// Renders what `os` needs for `inst`'s addresses to be live, sorted by path. Empty when there is
/// nothing to configure (only primary addresses on the primary ENI).
pub fn render(inst: &GuestInstance, os: Os) -> Vec<GuestFile> {
    let nics = plan(inst);
    if nics.is_empty() {
        return Vec::new();
    }
    let header = header(inst);
    let mut files = match os {
        Os::Rhel => rhel::render(&header, &nics),
        Os::Debian => debian::render(&header, &nics),
        Os::Sles => sles::render(&header, &nics),
        Os::Netplan => netplan::render(&header, &nics),
        Os::Windows => windows::render(&header, &nics),
        Os::Iproute2 => iproute2::render(&header, &nics),
    };
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// First line(s) of every file; every format here uses `#` comments.
fn header(inst: &GuestInstance) -> String {
    format!(
        "# Generated by netform from state serial {} for instance {}. Do not edit by hand.\n",
        inst.state_serial, inst.instance_id
    )
}

/// An IPv4 address the guest must add to a NIC, under an alias label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Alias {
    /// `ethN:K`.
    pub label: String,
    /// K in `ethN:K`; SLES uses it as the `_K` suffix.
    pub index: usize,
    pub addr: Ipv4Addr,
    pub prefix: u8,
    /// A BINDED EIP is not in the vSwitch, so it is a /32 with no gateway of its own.
    pub is_eip: bool,
}

impl Alias {
    pub fn netmask(&self) -> Ipv4Addr {
        prefix_to_netmask(self.prefix)
    }
}

/// Source-based routing for a secondary ENI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Policy {
    pub table: u32,
    /// Every IPv4 address the ENI carries: primary, secondaries, BINDED EIP.
    pub sources: Vec<Ipv4Addr>,
}

/// What one NIC needs, format-independent.
#[derive(Clone, Debug)]
pub(crate) struct NicPlan<'a> {
    pub eni: &'a GuestEni,
    pub dev: String,
    pub prefix: u8,
    pub netmask: Ipv4Addr,
    pub gateway: Ipv4Addr,
    /// The primary address is configured statically (secondary ENIs) rather than by DHCP.
    pub static_primary: bool,
    pub aliases: Vec<Alias>,
    /// IPv6 addresses with their prefix length.
    pub ipv6: Vec<(Ipv6Addr, u8)>,
    pub policy: Option<Policy>,
}

impl NicPlan<'_> {
    pub fn is_primary_eni(&self) -> bool {
        self.eni.device_index == 0
    }

    /// MAC in lowercase colon form, the spelling Linux tools print.
    pub fn mac_linux(&self) -> String {
        self.eni.mac.trim().to_ascii_lowercase().replace('-', ":")
    }

    /// MAC as `Get-NetAdapter` prints it: uppercase, dash-separated.
    pub fn mac_windows(&self) -> String {
        self.eni.mac.trim().to_ascii_uppercase().replace(':', "-")
    }

    /// The vSwitch network (the link route in the ENI's table).
    pub fn network(&self) -> Ipv4Net {
        self.eni.vswitch_cidr.trunc()
    }
}

fn prefix_to_netmask(prefix: u8) -> Ipv4Addr {
    Ipv4Net::new(Ipv4Addr::UNSPECIFIED, prefix.min(32))
        .map(|n| n.netmask())
        .unwrap_or(Ipv4Addr::BROADCAST)
}

/// Decides, per NIC, what must be configured; drops NICs needing nothing. Sorted by device index
/// so the output does not depend on the order ENIs were recorded in.
pub(crate) fn plan(inst: &GuestInstance) -> Vec<NicPlan<'_>> {
    let mut enis: Vec<&GuestEni> = inst.interfaces.iter().collect();
    enis.sort_by(|a, b| {
        a.device_index
            .cmp(&b.device_index)
            .then_with(|| a.eni_id.cmp(&b.eni_id))
    });
    let mut out = Vec::new();
    for eni in enis {
        let dev = format!("eth{}", eni.device_index);
        let prefix = eni.vswitch_cidr.prefix_len();
        let mut aliases: Vec<Alias> = Vec::new();
        let push = |addr: Ipv4Addr, prefix: u8, is_eip: bool, aliases: &mut Vec<Alias>| {
            // The cloud never hands out the same address twice, but state is user-editable;
            // a duplicate alias would make ifup fail, so keep the first.
            if addr == eni.primary_ip || aliases.iter().any(|a| a.addr == addr) {
                return;
            }
            let index = aliases.len();
            aliases.push(Alias {
                label: format!("{dev}:{index}"),
                index,
                addr,
                prefix,
                is_eip,
            });
        };
        for &addr in &eni.secondary_ipv4 {
            push(addr, prefix, false, &mut aliases);
        }
        if let Some(eip) = eni.binded_eip {
            push(eip, 32, true, &mut aliases);
        }
        // Without a recorded IPv6 vSwitch CIDR, /128 claims no on-link range we cannot vouch for.
        let v6_prefix = eni.vswitch_ipv6_cidr.map_or(128, |n| n.prefix_len());
        let mut ipv6: Vec<(Ipv6Addr, u8)> = Vec::new();
        for &a in &eni.ipv6 {
            if !ipv6.iter().any(|(b, _)| *b == a) {
                ipv6.push((a, v6_prefix));
            }
        }
        let secondary_eni = eni.device_index > 0;
        let policy = secondary_eni.then(|| {
            let mut sources = vec![eni.primary_ip];
            sources.extend(aliases.iter().map(|a| a.addr));
            Policy {
                table: POLICY_TABLE_BASE + eni.device_index,
                sources,
            }
        });
        if aliases.is_empty() && ipv6.is_empty() && policy.is_none() {
            continue;
        }
        out.push(NicPlan {
            eni,
            dev,
            prefix,
            netmask: eni.vswitch_cidr.netmask(),
            gateway: gateway(&eni.vswitch_cidr),
            static_primary: secondary_eni,
            aliases,
            ipv6,
            policy,
        });
    }
    out
}
