//! A plain POSIX `sh` script of `ip` commands for any Linux. Running it twice must leave the same
//! state as running it once: addresses and routes use `replace`, and rules (which `ip rule add`
//! would happily duplicate) are added only when `ip rule show` does not list them yet.

use std::fmt::Write as _;

use super::{GuestFile, NicPlan};

pub(crate) fn render(header: &str, nics: &[NicPlan<'_>]) -> Vec<GuestFile> {
    let mut s = String::from("#!/bin/sh\n");
    s.push_str(header);
    s.push_str(
        "set -eu\n\
         \n\
         # ip rule add never refuses a duplicate, so look first. $1: rule text as `ip rule show`\n\
         # prints it, regex-escaped.\n\
         netform_rule() {\n\
         \x20   if ! ip -4 rule show | grep -Eq \"^[0-9]+:[[:space:]]+$1[[:space:]]*\\$\"; then\n\
         \x20       shift\n\
         \x20       ip -4 rule add \"$@\"\n\
         \x20   fi\n\
         }\n",
    );
    for nic in nics {
        let _ = write!(
            s,
            "\n# {dev}: {} (device index {}, MAC {})\n\
             ip link show dev {dev} >/dev/null\n",
            nic.eni.eni_id,
            nic.eni.device_index,
            nic.mac_linux(),
            dev = nic.dev
        );
        if nic.static_primary {
            let _ = writeln!(
                s,
                "ip -4 addr replace {}/{} dev {}",
                nic.eni.primary_ip, nic.prefix, nic.dev
            );
        }
        for alias in &nic.aliases {
            let _ = writeln!(
                s,
                "ip -4 addr replace {}/{} dev {} label {}",
                alias.addr, alias.prefix, nic.dev, alias.label
            );
        }
        for (addr, prefix) in &nic.ipv6 {
            let _ = writeln!(s, "ip -6 addr replace {addr}/{prefix} dev {}", nic.dev);
        }
        // Routes need the link administratively up.
        let _ = writeln!(s, "ip link set dev {} up", nic.dev);
        if let Some(policy) = &nic.policy {
            // The link route goes first: the kernel checks the gateway is reachable in this table.
            let _ = writeln!(
                s,
                "ip -4 route replace {} dev {} src {} table {}",
                nic.network(),
                nic.dev,
                nic.eni.primary_ip,
                policy.table
            );
            let _ = writeln!(
                s,
                "ip -4 route replace default via {} dev {} table {}",
                nic.gateway, nic.dev, policy.table
            );
            for src in &policy.sources {
                let escaped = src.to_string().replace('.', "\\.");
                let _ = writeln!(
                    s,
                    "netform_rule 'from {escaped} lookup {t}' from {src} lookup {t}",
                    t = policy.table
                );
            }
        }
    }
    vec![GuestFile {
        path: "netform-ip.sh".to_string(),
        contents: s,
    }]
}
