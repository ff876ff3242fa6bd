//! `alicloud_eip_address`: an elastic IP address.

mod cloud;
pub(crate) mod exec;
pub(crate) mod ops;
mod view;

pub use view::EipSpec;

use super::{Seen, Source, text};
use crate::lang::Value;
use crate::plan::attrs::{self, Attrs};

pub(crate) use cloud::{SCHEMA, from_cloud, import, protected};

pub(super) fn source(a: &Attrs) -> Option<Source> {
    text(a, "id").map(Source::Eip)
}

pub(super) fn refreshed(before: &Attrs, seen: &Seen) -> Option<Attrs> {
    let e = seen.eips.get(&text(before, "id")?)?;
    let mut n = from_cloud(e);
    // The API answers the bandwidth as a string; the configuration's spelling of the same number
    // is kept, so it is not drift.
    if let Some(b) = before.get("bandwidth")
        && attrs::same(b, &Value::string(e.bandwidth.clone()))
    {
        n.insert("bandwidth".into(), b.clone());
    }
    Some(n)
}
