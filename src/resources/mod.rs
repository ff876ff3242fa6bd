//! What each managed resource kind means, one module per kind, and the data sources (`data`). A
//! kind's meaning lives in its module so that `plan/`, `apply/` and `render/` stay generic over
//! kinds: they call the dispatchers here, or the kind's typed view, and never spell an attribute.
//!
//! In each kind's directory, `mod.rs` shapes the planned attributes (address sets and their counts,
//! inferred values, ids known before apply) and says how refresh reads the object back (which
//! object, and what it keeps); `cloud.rs` holds the kind's schema table, its attributes from the
//! cloud's answers (refresh, apply, import) and what an imported object starts from; `exec.rs`,
//! `ops.rs` and `view.rs` hold its execution, its operations and its typed view. The registry
//! that lists every kind, and the generic schema types, are in `crate::schema`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as J;

use crate::address::Address;
use crate::lang::Value;
use crate::plan::attrs::Attrs;
use crate::plan::import::ImportError;
use crate::plan::unknown_for;
use crate::provider::Clouds;
use crate::provider::api::{EipInfo, EniInfo};
use crate::schema::Kind;

pub mod association;
pub mod attachment;
pub mod data;
pub mod eip;
pub mod eni;
pub mod execute;
pub mod operations;
pub mod secondary_ips;
pub mod view;

pub use association::BindingSpec;
pub use attachment::AttachmentSpec;
pub use eip::EipSpec;
pub use eni::EniSpec;
pub use secondary_ips::SecondaryIpsSpec;

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

/// What import starts from: the attributes that name the object (refresh reads the rest, so an
/// imported object looks exactly like one netform created), and what the object is called in
/// messages.
pub struct Seed {
    pub attrs: Attrs,
    pub what: &'static str,
}

impl Seed {
    fn new<const N: usize>(what: &'static str, attrs: [(&str, Value); N]) -> Seed {
        Seed {
            attrs: attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            what,
        }
    }
}

/// The attributes that name the object `id` of `kind` for import, read through `provider`'s
/// client where the id alone does not say; `None` for a kind that cannot be imported.
pub fn import_seed(
    kind: Kind,
    id: &str,
    clouds: &Clouds,
    provider: Option<&str>,
) -> Result<Option<Seed>, ImportError> {
    Ok(Some(match kind {
        Kind::Eni => eni::import(id),
        Kind::Eip => eip::import(id),
        Kind::Attachment => attachment::import(id)?,
        Kind::Association => association::import(id)?,
        Kind::SecondaryIps => secondary_ips::import(id, &clouds.client(provider))?,
        _ => return Ok(None),
    }))
}

/// A pairing id `LEFT:RIGHT`, both parts non-empty.
fn pair<'a>(
    id: &'a str,
    what: &'static str,
    form: &'static str,
) -> Result<(&'a str, &'a str), ImportError> {
    id.split_once(':')
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .ok_or(ImportError::BadId {
            id: id.into(),
            what,
            form,
        })
}

/// The ENI address an object in state keeps when a count on that ENI is lowered (an EIP bound to
/// it), as (ENI id, address).
pub fn pinned_address(kind: Kind, attrs: &BTreeMap<String, J>) -> Option<(String, String)> {
    match kind {
        Kind::Association => association::pinned_address(attrs),
        _ => None,
    }
}

/// Whether the cloud refuses to delete the object as it is (an EIP with deletion protection on).
pub fn undeletable(kind: Kind, before: &Attrs) -> bool {
    match kind {
        Kind::Eip => eip::protected(before),
        _ => false,
    }
}

/// What shaping a resource's planned attributes may read.
pub struct Shaping<'a> {
    pub address: &'a Address,
    /// The configuration's values.
    pub desired: &'a Attrs,
    /// The refreshed prior attributes; `None` for a new object (also when replacing).
    pub prior: Option<&'a Attrs>,
    /// The cloud, for look-ups at plan time; `None` offline.
    pub clouds: Option<&'a Clouds>,
    /// Addresses EIPs in state are bound to: lowering a count keeps them.
    pub pinned: &'a BTreeSet<String>,
}

impl Shaping<'_> {
    fn prior(&self, k: &str) -> Option<&Value> {
        self.prior.and_then(|p| p.get(k))
    }
}

/// Kind-specific shaping of the planned attributes, after the generic diff filled them in.
pub fn shape(kind: Kind, s: &Shaping, after: &mut Attrs) {
    match kind {
        Kind::Eni => eni::shape(s, after),
        Kind::SecondaryIps => secondary_ips::shape(s, after),
        Kind::Attachment => attachment::shape(s, after),
        Kind::Association => association::shape(s, after),
        _ => {}
    }
}

/// A set of addresses and its count: whichever the configuration leaves out follows the other.
/// Lowering the count drops the highest addresses first, and never one an EIP is bound to.
fn address_set(s: &Shaping, after: &mut Attrs, list: &str, count: &str) {
    let prior_list: Option<Vec<Value>> = s
        .prior(list)
        .and_then(|v| v.as_seq().map(<[Value]>::to_vec));
    match (s.desired.get(list), s.desired.get(count)) {
        (Some(l), _) => {
            let n = l.as_seq().map(|x| Value::from(x.len()));
            after.insert(count.into(), n.unwrap_or(Value::unknown()));
        }
        (None, Some(Value::Number(n))) => {
            let n = n.to_u64().unwrap_or(0) as usize;
            let l = match prior_list {
                Some(p) if p.len() == n => Value::set(p),
                Some(mut p) if p.len() > n => {
                    p.sort_by_key(|v| {
                        (
                            !v.as_str().is_some_and(|a| s.pinned.contains(a)),
                            ip_order(v),
                        )
                    });
                    p.truncate(n);
                    Value::set(p)
                }
                _ if n == 0 => Value::set(Vec::new()),
                _ => unknown_for(s.address, list),
            };
            after.insert(list.into(), l);
        }
        (None, Some(other)) => {
            let l = if other.is_unknown() {
                unknown_for(s.address, list)
            } else {
                Value::unknown()
            };
            after.insert(list.into(), l);
        }
        (None, None) => {
            // Neither given: nothing is managed; keep what is there (none on a new ENI).
            let l = Value::set(prior_list.unwrap_or_default());
            let n = l.as_seq().map(<[Value]>::len).unwrap_or(0);
            after.insert(list.into(), l);
            after.insert(count.into(), Value::from(n));
        }
    }
}

/// Addresses sort numerically, so "the highest" means what a person expects.
fn ip_order(v: &Value) -> (u8, u128, String) {
    match v.as_str().and_then(|s| s.parse::<std::net::IpAddr>().ok()) {
        Some(std::net::IpAddr::V4(a)) => (0, u32::from(a) as u128, String::new()),
        Some(std::net::IpAddr::V6(a)) => (1, u128::from(a), String::new()),
        None => (2, 0, v.to_string()),
    }
}

/// The id of a pairing resource (`LEFT:RIGHT`), known once both ids are.
fn pair_id(s: &Shaping, left: Option<&Value>, right: Option<&Value>) -> Value {
    match (left, right) {
        (Some(Value::String(l)), Some(Value::String(r))) => Value::string(format!("{l}:{r}")),
        _ => unknown_for(s.address, "id"),
    }
}

fn strs(v: &[String]) -> Value {
    Value::set(v.iter().map(|s| Value::string(s.clone())).collect())
}

/// The user's tags: netform's own (`identity`) never show in state, a plan or a diff.
fn tags(t: &BTreeMap<String, String>) -> Value {
    Value::Map(
        t.iter()
            .filter(|(k, _)| !crate::identity::is_own(k))
            .map(|(k, v)| (k.clone(), Value::string(v.clone())))
            .collect(),
    )
}

fn opt_num(n: Option<u64>) -> Value {
    n.map(Value::from).unwrap_or(Value::Null)
}

fn opt_bool(b: Option<bool>) -> Value {
    b.map(Value::Bool).unwrap_or(Value::Null)
}

/// A string attribute.
fn text(a: &Attrs, k: &str) -> Option<String> {
    a.get(k).and_then(Value::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests;
