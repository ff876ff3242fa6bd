//! `alicloud_eip_association`: an EIP bound to an ENI, instance, NAT gateway, HAVIP, SLB or address.
//! It is read from its EIP, and is gone when the EIP is bound elsewhere or not at all.

use super::{Seen, Source, text};
use crate::lang::Value;
use crate::plan::attrs::Attrs;

pub(super) fn source(a: &Attrs) -> Option<Source> {
    text(a, "allocation_id").map(Source::Eip)
}

pub(super) fn refreshed(before: &Attrs, seen: &Seen) -> Option<Attrs> {
    let e = seen.eips.get(&text(before, "allocation_id")?)?;
    let want = text(before, "instance_id");
    if want.is_none() || e.instance_id != want {
        return None;
    }
    let mut n = before.clone();
    for (k, v) in [
        ("mode", &e.mode),
        ("instance_type", &e.instance_type),
        ("private_ip_address", &e.private_ip),
    ] {
        if let Some(v) = v {
            n.insert(k.into(), Value::string(v.clone()));
        }
    }
    Some(n)
}
