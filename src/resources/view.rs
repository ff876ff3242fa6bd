//! What the kinds' typed views share: how a reference to another object reads (an id now, or
//! the object another change creates), an address set with its unknowns told apart, where a
//! diagnostic about an attribute points, and the one per-kind dispatch of the views — the cloud
//! objects a resource refers to. The views themselves live with their kinds
//! (`resources::<kind>::view`): readers outside a kind use them, never its attribute names.

use crate::address::Address;
use crate::lang::Value;
use crate::plan::attrs::Attrs;
use crate::plan::origin_address;
use crate::schema::Kind;

use super::{association, attachment, eip, eni, secondary_ips};

/// Where a diagnostic about one attribute points: its name, then the attributes it may be
/// written as instead (an address list as its count), tried in order.
pub type Field = &'static [&'static str];

/// The attribute every managed kind names its object by, once the cloud has made it.
const ID: &str = "id";

/// A resource's id: known, or unknown until apply; `None` when it has none at all.
pub fn id(a: &Attrs) -> Option<&Value> {
    a.get(ID)
}

/// What an id-valued attribute points at.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ref {
    /// A cloud id, known now.
    Id(String),
    /// The object another change of this plan creates.
    Planned(Address),
    /// Cannot be decided at plan time.
    Unknown,
}

impl Ref {
    /// The reference an attribute's value makes: a non-empty id, or the address an unknown
    /// stands for.
    pub fn of(v: Option<&Value>) -> Ref {
        match v {
            Some(Value::String(s)) if !s.is_empty() => Ref::Id(s.clone()),
            Some(v) => match origin_address(v) {
                Some(a) => Ref::Planned(a),
                None => Ref::Unknown,
            },
            None => Ref::Unknown,
        }
    }

    /// The key a target or EIP is grouped under: its id, or the address that creates it.
    pub fn key(&self) -> Option<String> {
        match self {
            Ref::Id(s) => Some(s.clone()),
            Ref::Planned(a) => Some(a.to_string()),
            Ref::Unknown => None,
        }
    }
}

/// A set of addresses as the attributes give it: listed, a count the cloud picks from, or
/// unknown (neither known at plan time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Addresses<'a> {
    /// The list is known; its elements that are not known strings are left out.
    Listed(Vec<&'a str>),
    /// Only how many: the cloud picks them.
    Picked(usize),
    Unknown,
}

impl<'a> Addresses<'a> {
    /// From a list attribute and its count companion: the list wins when known.
    pub(in crate::resources) fn of(a: &'a Attrs, list: &str, count: &str) -> Addresses<'a> {
        match a.get(list) {
            Some(v) if v.as_seq().is_some() => Addresses::Listed(strings(a, list)),
            _ => match a.get(count).and_then(Value::coerce_number) {
                Some(n) if n >= 0.0 => Addresses::Picked(n as usize),
                _ => Addresses::Unknown,
            },
        }
    }

    /// The addresses listed (none unless the list is known).
    pub fn listed(&self) -> &[&'a str] {
        match self {
            Addresses::Listed(l) => l,
            _ => &[],
        }
    }
}

/// A non-empty string attribute.
pub(in crate::resources) fn text<'a>(a: &'a Attrs, k: &str) -> Option<&'a str> {
    a.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The strings of a list or set attribute (none when it is not a known list).
pub(in crate::resources) fn strings<'a>(a: &'a Attrs, k: &str) -> Vec<&'a str> {
    a.get(k)
        .and_then(Value::as_seq)
        .map(|s| s.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The cloud objects a resource refers to by id, so a reader can fetch just those.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CloudRefs<'a> {
    pub enis: Vec<&'a str>,
    pub instances: Vec<&'a str>,
    pub eips: Vec<&'a str>,
    /// Bind targets whose bound EIPs matter.
    pub targets: Vec<&'a str>,
}

/// The cloud objects a resource of `kind` with these attributes refers to; none for a kind
/// that refers to none (data sources).
pub fn cloud_refs(kind: Kind, a: &Attrs) -> CloudRefs<'_> {
    match kind {
        Kind::Eni => eni::EniSpec::new(a).cloud_refs(),
        Kind::Attachment => attachment::AttachmentSpec::new(a).cloud_refs(),
        Kind::SecondaryIps => secondary_ips::SecondaryIpsSpec::new(a).cloud_refs(),
        Kind::Eip => eip::EipSpec::new(a).cloud_refs(),
        Kind::Association => association::BindingSpec::new(a).cloud_refs(),
        _ => CloudRefs::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(kv: &[(&str, Value)]) -> Attrs {
        kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn a_reference_is_an_id_a_planned_object_or_unknown() {
        assert_eq!(
            Ref::of(Some(&Value::string("eni-1"))),
            Ref::Id("eni-1".into())
        );
        assert_eq!(Ref::of(Some(&Value::string(""))), Ref::Unknown);
        assert_eq!(Ref::of(None), Ref::Unknown);
        assert_eq!(Ref::of(Some(&Value::unknown())), Ref::Unknown);
        let planned = Value::Unknown(Some("alicloud_ecs_network_interface.a.id".into()));
        let r = Ref::of(Some(&planned));
        assert_eq!(r.key().as_deref(), Some("alicloud_ecs_network_interface.a"));
        assert_eq!(Ref::Unknown.key(), None);
    }

    #[test]
    fn an_address_set_is_listed_picked_or_unknown() {
        let listed = attrs(&[
            (
                "l",
                Value::set(vec![Value::string("10.0.0.5"), Value::unknown()]),
            ),
            ("n", Value::from(3i64)),
        ]);
        assert_eq!(
            Addresses::of(&listed, "l", "n"),
            Addresses::Listed(vec!["10.0.0.5"])
        );
        let picked = attrs(&[("l", Value::unknown()), ("n", Value::string("2"))]);
        assert_eq!(Addresses::of(&picked, "l", "n"), Addresses::Picked(2));
        assert!(Addresses::of(&picked, "l", "n").listed().is_empty());
        let neither = attrs(&[("n", Value::unknown())]);
        assert_eq!(Addresses::of(&neither, "l", "n"), Addresses::Unknown);
        let negative = attrs(&[("n", Value::from(-1i64))]);
        assert_eq!(Addresses::of(&negative, "l", "n"), Addresses::Unknown);
    }

    #[test]
    fn data_sources_refer_to_no_cloud_object() {
        let a = attrs(&[("id", Value::string("x"))]);
        assert_eq!(cloud_refs(Kind::DataInstances, &a), CloudRefs::default());
        assert_eq!(cloud_refs(Kind::Eni, &a).enis, ["x"]);
        assert_eq!(id(&a), Some(&Value::string("x")));
    }
}
