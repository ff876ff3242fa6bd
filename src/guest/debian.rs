//! Debian / older Ubuntu (ifupdown): `/etc/network/interfaces` stanzas as the seed shows, written to
//! `interfaces.d/` (sourced by the stock `/etc/network/interfaces`) so the image's own `eth0`
//! stanza is left alone.

use std::fmt::Write as _;

use super::{GuestFile, NicPlan};

pub(crate) fn render(header: &str, nics: &[NicPlan<'_>]) -> Vec<GuestFile> {
    nics.iter()
        .map(|nic| GuestFile {
            path: format!("etc/network/interfaces.d/netform-{}", nic.dev),
            contents: stanzas(header, nic),
        })
        .collect()
}

fn stanzas(header: &str, nic: &NicPlan<'_>) -> String {
    let mut s = String::from(header);
    if let Some(policy) = &nic.policy {
        let _ = write!(
            s,
            "\nauto {dev}\niface {dev} inet static\n    address {}\n    netmask {}\n",
            nic.eni.primary_ip,
            nic.netmask,
            dev = nic.dev
        );
        // No `gateway` here: it would install a second main-table default route next to eth0's.
        // The link route goes first because the kernel checks the gateway is reachable.
        let _ = writeln!(
            s,
            "    post-up ip route replace {} dev {} src {} table {}",
            nic.network(),
            nic.dev,
            nic.eni.primary_ip,
            policy.table
        );
        let _ = writeln!(
            s,
            "    post-up ip route replace default via {} dev {} table {}",
            nic.gateway, nic.dev, policy.table
        );
        // Paired add/del so taking the interface down and up again leaves exactly one rule each.
        for src in &policy.sources {
            let _ = writeln!(
                s,
                "    post-up ip rule add from {src} lookup {}",
                policy.table
            );
        }
        for src in &policy.sources {
            let _ = writeln!(
                s,
                "    pre-down ip rule del from {src} lookup {} || true",
                policy.table
            );
        }
    }
    for alias in &nic.aliases {
        let _ = write!(
            s,
            "\nauto {l}\niface {l} inet static\n    address {}\n    netmask {}\n",
            alias.addr,
            alias.netmask(),
            l = alias.label
        );
        // Same reasoning as for RHEL: the seed's `gateway` only where it is eth0's own default.
        if nic.is_primary_eni() && !alias.is_eip {
            let _ = writeln!(s, "    gateway {}", nic.gateway);
        }
    }
    for (addr, prefix) in &nic.ipv6 {
        // ifupdown allows several `iface` stanzas per interface, one per address family method.
        let _ = write!(
            s,
            "\niface {dev} inet6 static\n    address {addr}\n    netmask {prefix}\n",
            dev = nic.dev
        );
    }
    s
}
