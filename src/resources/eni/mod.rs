//! `alicloud_ecs_network_interface`: an ENI.

mod cloud;
pub(crate) mod exec;
pub(crate) mod ops;
mod view;

pub use view::EniSpec;

use super::{Seen, Shaping, Source, address_set, text};
use crate::plan::attrs::Attrs;

pub(crate) use cloud::{SCHEMA, from_cloud, import};

pub(super) fn source(a: &Attrs) -> Option<Source> {
    text(a, "id").map(Source::Eni)
}

pub(super) fn refreshed(before: &Attrs, seen: &Seen) -> Option<Attrs> {
    let e = seen.enis.get(&text(before, "id")?)?;
    let mut n = from_cloud(e, seen.cidrs.get(&e.vswitch_id));
    // What the cloud cannot tell apart stays as configured.
    for k in ["queue_number", "source_dest_check", "delete_on_release"] {
        if n.get(k).is_none_or(|v| v.is_null())
            && let Some(v) = before.get(k)
        {
            n.insert(k.into(), v.clone());
        }
    }
    Some(n)
}

pub(super) fn shape(s: &Shaping, after: &mut Attrs) {
    address_set(
        s,
        after,
        "private_ip_addresses",
        "secondary_private_ip_address_count",
    );
    address_set(s, after, "ipv6_addresses", "ipv6_address_count");
}
