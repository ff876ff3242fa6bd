//! What each managed resource kind means, one module per kind: the attributes it reads, what the
//! cloud's answers say about it. A kind's meaning lives in its module so that `plan/` and `apply/`
//! stay generic over kinds.
//!
//! The move is under way, one concern at a time. Here so far: how each kind is read back from the
//! cloud by refresh (which object it reads, and the attributes that object gives it).

use std::collections::BTreeMap;

use crate::lang::Value;
use crate::plan::attrs::Attrs;
use crate::provider::api::{EipInfo, EniInfo};
use crate::schema::Kind;

pub mod association;
pub mod attachment;
pub mod eip;
pub mod eni;
pub mod secondary_ips;

/// The cloud objects one refresh read, by id, and the vSwitches' CIDRs (IPv4, IPv6 or "").
#[derive(Default)]
pub struct Seen {
    pub enis: BTreeMap<String, EniInfo>,
    pub eips: BTreeMap<String, EipInfo>,
    pub cidrs: BTreeMap<String, (String, String)>,
}

/// The cloud object a resource is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Eni(String),
    Eip(String),
}

/// Which object refresh must describe for a resource of `kind` with these attributes; `None` for a
/// kind that is not read back (data sources) or an object with no id yet.
pub fn source(kind: Kind, attrs: &Attrs) -> Option<Source> {
    match kind {
        Kind::Eni => eni::source(attrs),
        Kind::Attachment => attachment::source(attrs),
        Kind::SecondaryIps => secondary_ips::source(attrs),
        Kind::Eip => eip::source(attrs),
        Kind::Association => association::source(attrs),
        _ => None,
    }
}

/// The attributes of a resource as the cloud now has them, from what state held (`before`) and
/// what refresh saw; `None` when the object is gone. Kinds that are not read back keep `before`.
pub fn refreshed(kind: Kind, before: &Attrs, seen: &Seen) -> Option<Attrs> {
    match kind {
        Kind::Eni => eni::refreshed(before, seen),
        Kind::Attachment => attachment::refreshed(before, seen),
        Kind::SecondaryIps => secondary_ips::refreshed(before, seen),
        Kind::Eip => eip::refreshed(before, seen),
        Kind::Association => association::refreshed(before, seen),
        _ => Some(before.clone()),
    }
}

/// A string attribute.
fn text(a: &Attrs, k: &str) -> Option<String> {
    a.get(k).and_then(Value::as_str).map(str::to_string)
}
