//! The typed view of a secondary-IPs resource's attributes (`SecondaryIpsSpec`), for readers
//! outside this kind (the checker): the ENI or instance it names and the address sets it
//! manages, and where a diagnostic about them points.

use crate::plan::attrs::Attrs;
use crate::resources::view::{Addresses, CloudRefs, Field, Ref, text};
use crate::schema::Kind;

/// A secondary-IPs resource's attributes, read through typed accessors.
#[derive(Clone, Copy, Debug)]
pub struct SecondaryIpsSpec<'a>(&'a Attrs);

impl<'a> SecondaryIpsSpec<'a> {
    /// The kind this view reads.
    pub const KIND: Kind = Kind::SecondaryIps;
    /// The managed IPv4 addresses, written as a list or a count.
    pub const PRIVATE_IPS: Field = &["private_ip_addresses", "private_ip_address_count"];
    pub const IPV6: Field = &["ipv6_addresses", "ipv6_address_count"];
    /// The instance whose primary ENI it names.
    pub const INSTANCE: Field = &["instance_id"];

    pub fn new(a: &'a Attrs) -> Self {
        SecondaryIpsSpec(a)
    }

    /// The ENI the addresses go on.
    pub fn network_interface(&self) -> Ref {
        Ref::of(self.0.get("network_interface_id"))
    }

    pub fn network_interface_id(&self) -> Option<&'a str> {
        text(self.0, "network_interface_id")
    }

    /// The instance whose primary ENI takes the addresses, when named by instance.
    pub fn instance_id(&self) -> Option<&'a str> {
        text(self.0, "instance_id")
    }

    pub fn private_ips(&self) -> Addresses<'a> {
        Addresses::of(self.0, "private_ip_addresses", "private_ip_address_count")
    }

    pub fn ipv6(&self) -> Addresses<'a> {
        Addresses::of(self.0, "ipv6_addresses", "ipv6_address_count")
    }

    /// The ENI and the instance it names.
    pub fn cloud_refs(&self) -> CloudRefs<'a> {
        CloudRefs {
            enis: self.network_interface_id().into_iter().collect(),
            instances: self.instance_id().into_iter().collect(),
            ..CloudRefs::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Value;

    #[test]
    fn a_secondary_ips_view_reads_known_and_unknown_attributes() {
        let a: Attrs = [
            ("network_interface_id", Value::unknown()),
            ("instance_id", Value::string("i-1")),
            (
                "private_ip_addresses",
                Value::set(vec![Value::string("10.0.0.7")]),
            ),
            ("ipv6_addresses", Value::unknown()),
            ("ipv6_address_count", Value::unknown()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let s = SecondaryIpsSpec::new(&a);
        assert_eq!(s.network_interface(), Ref::Unknown);
        assert_eq!(s.network_interface_id(), None);
        assert_eq!(s.instance_id(), Some("i-1"));
        assert_eq!(s.private_ips(), Addresses::Listed(vec!["10.0.0.7"]));
        assert_eq!(s.ipv6(), Addresses::Unknown);
        let r = s.cloud_refs();
        assert_eq!((r.enis.len(), r.instances), (0, vec!["i-1"]));
    }
}
