//! Netplan (modern Ubuntu): one YAML per instance. NICs are matched by MAC so the file stays right
//! even if the kernel enumerates ENIs in another order; `set-name` pins the `ethN` name the other
//! formats assume.

use std::fmt::Write as _;

use super::{GuestFile, NicPlan};

pub(crate) fn render(header: &str, nics: &[NicPlan<'_>]) -> Vec<GuestFile> {
    let mut s = String::from(header);
    s.push_str("network:\n  version: 2\n  ethernets:\n");
    for nic in nics {
        let _ = writeln!(s, "    {}:", nic.dev);
        let _ = writeln!(
            s,
            "      match:\n        macaddress: \"{}\"\n      set-name: {}",
            nic.mac_linux(),
            nic.dev
        );
        // Only eth0 keeps DHCP: a DHCP lease on a secondary ENI would add a competing default route.
        let _ = writeln!(s, "      dhcp4: {}", !nic.static_primary);
        let mut addrs: Vec<String> = Vec::new();
        if nic.static_primary {
            addrs.push(format!("{}/{}", nic.eni.primary_ip, nic.prefix));
        }
        addrs.extend(
            nic.aliases
                .iter()
                .map(|a| format!("{}/{}", a.addr, a.prefix)),
        );
        addrs.extend(nic.ipv6.iter().map(|(a, p)| format!("{a}/{p}")));
        if !addrs.is_empty() {
            s.push_str("      addresses:\n");
            for a in &addrs {
                // Quoted: YAML would otherwise try to read IPv6 colons as mapping syntax.
                let _ = writeln!(s, "        - \"{a}\"");
            }
        }
        if let Some(policy) = &nic.policy {
            // `0.0.0.0/0` rather than `default`: older netplan releases reject the keyword.
            let _ = write!(
                s,
                "      routes:\n        - to: \"{}\"\n          scope: link\n          table: {t}\n        - to: \"0.0.0.0/0\"\n          via: \"{}\"\n          table: {t}\n",
                nic.network(),
                nic.gateway,
                t = policy.table
            );
            s.push_str("      routing-policy:\n");
            for src in &policy.sources {
                let _ = writeln!(
                    s,
                    "        - from: \"{src}\"\n          table: {}",
                    policy.table
                );
            }
        }
    }
    vec![GuestFile {
        path: "etc/netplan/90-netform.yaml".to_string(),
        contents: s,
    }]
}
