//! `alicloud_ecs_network_interface_attachment`: an ENI attached to an ECS instance. It is read from
//! its ENI, and is gone when the ENI is attached elsewhere or not at all.

mod cloud;
pub(crate) mod exec;
pub(crate) mod ops;
mod view;

pub use view::AttachmentSpec;

use super::{Seen, Shaping, Source, pair_id, text};
use crate::lang::Value;
use crate::plan::attrs::Attrs;

pub(crate) use cloud::{SCHEMA, import};

pub(super) fn source(a: &Attrs) -> Option<Source> {
    text(a, "network_interface_id").map(Source::Eni)
}

pub(super) fn refreshed(before: &Attrs, seen: &Seen) -> Option<Attrs> {
    let e = seen.enis.get(&text(before, "network_interface_id")?)?;
    let want = text(before, "instance_id");
    if want.is_none() || e.instance_id != want {
        return None;
    }
    let mut n = before.clone();
    let device = e.device_index.map(Value::from);
    n.insert("device_index".into(), device.unwrap_or(Value::Null));
    Some(n)
}

pub(super) fn shape(s: &Shaping, after: &mut Attrs) {
    let id = pair_id(
        s,
        after.get("network_interface_id"),
        after.get("instance_id"),
    );
    after.insert("id".into(), id);
}
