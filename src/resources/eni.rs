//! `alicloud_ecs_network_interface`: an ENI.

use super::{Seen, Source, text};
use crate::plan::attrs::{self, Attrs};

pub(super) fn source(a: &Attrs) -> Option<Source> {
    text(a, "id").map(Source::Eni)
}

pub(super) fn refreshed(before: &Attrs, seen: &Seen) -> Option<Attrs> {
    let e = seen.enis.get(&text(before, "id")?)?;
    let mut n = attrs::eni(e, seen.cidrs.get(&e.vswitch_id));
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
