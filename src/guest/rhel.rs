//! RHEL / CentOS / Alibaba Cloud Linux (network-scripts): one `ifcfg-ethN:K` file per extra IPv4
//! address as the seed document shows, `ifcfg-ethN` where the NIC itself must change (a secondary
//! ENI's static address, IPv6 addresses), and `route-ethN` / `rule-ethN` for policy routing.

use std::fmt::Write as _;

use super::{GuestFile, NicPlan};

const DIR: &str = "etc/sysconfig/network-scripts";

pub(crate) fn render(header: &str, nics: &[NicPlan<'_>]) -> Vec<GuestFile> {
    let mut files = Vec::new();
    for nic in nics {
        if nic.static_primary || !nic.ipv6.is_empty() {
            files.push(GuestFile {
                path: format!("{DIR}/ifcfg-{}", nic.dev),
                contents: main_file(header, nic),
            });
        }
        for alias in &nic.aliases {
            let mut s = String::from(header);
            let _ = writeln!(s, "DEVICE={}", alias.label);
            s.push_str("TYPE=Ethernet\nBOOTPROTO=static\nONBOOT=yes\n");
            let _ = writeln!(s, "IPADDR={}", alias.addr);
            let _ = writeln!(s, "NETMASK={}", alias.netmask());
            // As in the seed, the primary ENI's aliases name the vSwitch gateway (already the
            // instance's default). A secondary ENI's gateway lives only in its own table, so it
            // can never compete with eth0 for the main default route; an EIP has no gateway.
            if nic.is_primary_eni() && !alias.is_eip {
                let _ = writeln!(s, "GATEWAY={}", nic.gateway);
            }
            files.push(GuestFile {
                path: format!("{DIR}/ifcfg-{}", alias.label),
                contents: s,
            });
        }
        if let Some(policy) = &nic.policy {
            let mut route = String::from(header);
            // The link route goes first: the kernel checks the gateway is reachable in this table.
            let _ = writeln!(
                route,
                "{} dev {} src {} table {}",
                nic.network(),
                nic.dev,
                nic.eni.primary_ip,
                policy.table
            );
            let _ = writeln!(
                route,
                "default via {} dev {} table {}",
                nic.gateway, nic.dev, policy.table
            );
            files.push(GuestFile {
                path: format!("{DIR}/route-{}", nic.dev),
                contents: route,
            });
            let mut rule = String::from(header);
            for src in &policy.sources {
                let _ = writeln!(rule, "from {src} lookup {}", policy.table);
            }
            files.push(GuestFile {
                path: format!("{DIR}/rule-{}", nic.dev),
                contents: rule,
            });
        }
    }
    files
}

fn main_file(header: &str, nic: &NicPlan<'_>) -> String {
    let mut s = String::from(header);
    let _ = writeln!(s, "DEVICE={}", nic.dev);
    let _ = writeln!(s, "HWADDR={}", nic.mac_linux());
    s.push_str("TYPE=Ethernet\nONBOOT=yes\n");
    if nic.static_primary {
        s.push_str("BOOTPROTO=static\n");
        let _ = writeln!(s, "IPADDR={}", nic.eni.primary_ip);
        let _ = writeln!(s, "NETMASK={}", nic.netmask);
        // eth0 owns the main default route; this ENI's default is in its policy table.
        s.push_str("DEFROUTE=no\n");
    } else {
        // The primary ENI keeps DHCP; this file exists only to add IPv6 addresses.
        s.push_str("BOOTPROTO=dhcp\n");
    }
    if !nic.ipv6.is_empty() {
        s.push_str("IPV6INIT=yes\n");
        let list: Vec<String> = nic.ipv6.iter().map(|(a, p)| format!("{a}/{p}")).collect();
        let _ = writeln!(s, "IPV6ADDR_SECONDARIES=\"{}\"", list.join(" "));
    }
    s
}
