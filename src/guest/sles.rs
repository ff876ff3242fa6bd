//! SLES / openSUSE (wicked, sysconfig): `IPADDR_K`/`NETMASK_K`/`LABEL_K` lines in `ifcfg-ethN` as the
//! seed shows (NETMASK_K is a prefix length there), plus `ifroute-ethN` / `ifrule-ethN` for a
//! secondary ENI's policy routing.

use std::fmt::Write as _;

use super::{GuestFile, NicPlan};

const DIR: &str = "etc/sysconfig/network";

pub(crate) fn render(header: &str, nics: &[NicPlan<'_>]) -> Vec<GuestFile> {
    let mut files = Vec::new();
    for nic in nics {
        let mut s = String::from(header);
        s.push_str("STARTMODE='auto'\n");
        if nic.static_primary {
            s.push_str("BOOTPROTO='static'\n");
            let _ = writeln!(s, "IPADDR='{}/{}'", nic.eni.primary_ip, nic.prefix);
        } else {
            // The file replaces the image's ifcfg-eth0, so it must keep eth0 on DHCP; wicked adds
            // the static IPADDR_K addresses next to the leased one.
            s.push_str("BOOTPROTO='dhcp'\n");
        }
        for alias in &nic.aliases {
            let k = alias.index;
            let _ = write!(
                s,
                "\nIPADDR_{k}={}\nNETMASK_{k}={}\nLABEL_{k}='{k}'\n",
                alias.addr, alias.prefix
            );
        }
        // IPv6 addresses take the next suffixes; labels are an IPv4 alias concept, so none.
        for (i, (addr, prefix)) in nic.ipv6.iter().enumerate() {
            let k = nic.aliases.len() + i;
            let _ = write!(s, "\nIPADDR_{k}={addr}\nPREFIXLEN_{k}={prefix}\n");
        }
        files.push(GuestFile {
            path: format!("{DIR}/ifcfg-{}", nic.dev),
            contents: s,
        });
        if let Some(policy) = &nic.policy {
            let mut route = String::from(header);
            // Columns: destination gateway netmask interface options.
            let _ = writeln!(
                route,
                "{} - - {} table {}",
                nic.network(),
                nic.dev,
                policy.table
            );
            let _ = writeln!(
                route,
                "default {} - {} table {}",
                nic.gateway, nic.dev, policy.table
            );
            files.push(GuestFile {
                path: format!("{DIR}/ifroute-{}", nic.dev),
                contents: route,
            });
            let mut rule = String::from(header);
            for src in &policy.sources {
                let _ = writeln!(rule, "ipv4 from {src} table {}", policy.table);
            }
            files.push(GuestFile {
                path: format!("{DIR}/ifrule-{}", nic.dev),
                contents: rule,
            });
        }
    }
    files
}
