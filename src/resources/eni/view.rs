//! The typed view of an ENI's attributes (`EniSpec`), for readers outside this kind (the
//! checker): its id, vSwitch, security groups, primary address and address sets, and where a
//! diagnostic about each points.

use crate::plan::attrs::Attrs;
use crate::resources::view::{Addresses, CloudRefs, Field, strings, text};
use crate::schema::Kind;

/// An ENI's attributes, read through typed accessors.
#[derive(Clone, Copy, Debug)]
pub struct EniSpec<'a>(&'a Attrs);

impl<'a> EniSpec<'a> {
    /// The kind this view reads.
    pub const KIND: Kind = Kind::Eni;
    pub const VSWITCH: Field = &["vswitch_id"];
    pub const SECURITY_GROUPS: Field = &["security_group_ids"];
    pub const PRIMARY_IP: Field = &["primary_ip_address"];
    /// Secondary IPv4 addresses, written as a list or a count; the ENI's vSwitch when neither.
    pub const PRIVATE_IPS: Field = &[
        "private_ip_addresses",
        "secondary_private_ip_address_count",
        "vswitch_id",
    ];
    pub const IPV6: Field = &["ipv6_addresses", "ipv6_address_count"];

    pub fn new(a: &'a Attrs) -> Self {
        EniSpec(a)
    }

    pub fn id(&self) -> Option<&'a str> {
        text(self.0, "id")
    }

    pub fn vswitch_id(&self) -> Option<&'a str> {
        text(self.0, "vswitch_id")
    }

    /// The security groups, when the list is known.
    pub fn security_group_ids(&self) -> Option<Vec<&'a str>> {
        let known = self.0.get("security_group_ids")?.as_seq().is_some();
        known.then(|| strings(self.0, "security_group_ids"))
    }

    pub fn primary_ip(&self) -> Option<&'a str> {
        text(self.0, "primary_ip_address")
    }

    /// The secondary private IPv4 addresses.
    pub fn private_ips(&self) -> Addresses<'a> {
        Addresses::of(
            self.0,
            "private_ip_addresses",
            "secondary_private_ip_address_count",
        )
    }

    pub fn ipv6(&self) -> Addresses<'a> {
        Addresses::of(self.0, "ipv6_addresses", "ipv6_address_count")
    }

    /// The ENI itself.
    pub fn cloud_refs(&self) -> CloudRefs<'a> {
        CloudRefs {
            enis: self.id().into_iter().collect(),
            ..CloudRefs::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Value;

    #[test]
    fn an_eni_view_reads_known_and_unknown_attributes() {
        let a: Attrs = [
            ("id", Value::string("eni-1")),
            ("vswitch_id", Value::string("vsw-1")),
            (
                "security_group_ids",
                Value::set(vec![Value::string("sg-1")]),
            ),
            ("primary_ip_address", Value::unknown()),
            ("private_ip_addresses", Value::unknown()),
            ("secondary_private_ip_address_count", Value::from(2i64)),
            ("ipv6_addresses", Value::set(vec![Value::string("2408::5")])),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let e = EniSpec::new(&a);
        assert_eq!(e.id(), Some("eni-1"));
        assert_eq!(e.vswitch_id(), Some("vsw-1"));
        assert_eq!(e.security_group_ids(), Some(vec!["sg-1"]));
        assert_eq!(e.primary_ip(), None);
        assert_eq!(e.private_ips(), Addresses::Picked(2));
        assert_eq!(e.ipv6(), Addresses::Listed(vec!["2408::5"]));
        assert_eq!(e.cloud_refs().enis, ["eni-1"]);
        let empty = Attrs::new();
        let e = EniSpec::new(&empty);
        assert_eq!(e.security_group_ids(), None);
        assert_eq!(e.private_ips(), Addresses::Unknown);
        assert!(e.cloud_refs().enis.is_empty());
    }
}
