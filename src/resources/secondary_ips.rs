//! `netform_secondary_private_ips`: secondary addresses netform manages on an ENI it does not own.
//! Refresh keeps the managed addresses the ENI still has, and the ENI's facts (device, MAC, CIDR)
//! current, since guest-config needs them after a re-attach.

use super::{Seen, Source, text};
use crate::lang::Value;
use crate::plan::attrs::{self, Attrs};

pub(super) fn source(a: &Attrs) -> Option<Source> {
    text(a, "network_interface_id").map(Source::Eni)
}

pub(super) fn refreshed(before: &Attrs, seen: &Seen) -> Option<Attrs> {
    let e = seen.enis.get(&text(before, "network_interface_id")?)?;
    let keep = |k: &str, have: &[String]| -> Vec<Value> {
        let held = before.get(k).and_then(Value::as_seq).unwrap_or(&[]);
        held.iter()
            .filter(|v| v.as_str().is_some_and(|s| have.iter().any(|h| h == s)))
            .cloned()
            .collect()
    };
    let v4 = keep("private_ip_addresses", &e.private_ips);
    let v6 = keep("ipv6_addresses", &e.ipv6);
    let mut n = before.clone();
    n.insert(
        "private_ip_address_count".into(),
        Value::Number(v4.len() as f64),
    );
    n.insert("ipv6_address_count".into(), Value::Number(v6.len() as f64));
    n.insert("private_ip_addresses".into(), Value::set(v4));
    n.insert("ipv6_addresses".into(), Value::set(v6));
    n.extend(attrs::eni_facts(e, seen.cidrs.get(&e.vswitch_id)));
    Some(n)
}
