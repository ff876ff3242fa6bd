//! The typed view of an EIP's attributes (`EipSpec`), for readers outside this kind (the
//! checker): its id, region, address and charge, payment and protection settings.

use crate::lang::Value;
use crate::plan::attrs::Attrs;
use crate::resources::view::{CloudRefs, text};
use crate::schema::Kind;

/// An EIP's attributes, read through typed accessors.
#[derive(Clone, Copy, Debug)]
pub struct EipSpec<'a>(&'a Attrs);

impl<'a> EipSpec<'a> {
    /// The kind this view reads.
    pub const KIND: Kind = Kind::Eip;

    pub fn new(a: &'a Attrs) -> Self {
        EipSpec(a)
    }

    /// The allocation id.
    pub fn id(&self) -> Option<&'a str> {
        text(self.0, "id")
    }

    /// The region the cloud reported (none before it is made).
    pub fn region(&self) -> Option<&'a str> {
        text(self.0, "region")
    }

    pub fn ip_address(&self) -> Option<&'a str> {
        text(self.0, "ip_address")
    }

    /// `PayByBandwidth` or `PayByTraffic`, when known.
    pub fn internet_charge_type(&self) -> Option<&'a str> {
        text(self.0, "internet_charge_type")
    }

    /// `PayAsYouGo` or `Subscription`, when known.
    pub fn payment_type(&self) -> Option<&'a str> {
        text(self.0, "payment_type")
    }

    /// Whether release is refused, when set.
    pub fn deletion_protection(&self) -> Option<bool> {
        match self.0.get("deletion_protection") {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    /// The EIP itself.
    pub fn cloud_refs(&self) -> CloudRefs<'a> {
        CloudRefs {
            eips: self.id().into_iter().collect(),
            ..CloudRefs::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_eip_view_reads_known_and_unknown_attributes() {
        let a: Attrs = [
            ("id", Value::unknown()),
            ("region", Value::string("cn-hangzhou")),
            ("internet_charge_type", Value::string("PayByTraffic")),
            ("payment_type", Value::string("PayAsYouGo")),
            ("deletion_protection", Value::Bool(true)),
            ("ip_address", Value::unknown()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let e = EipSpec::new(&a);
        assert_eq!(e.id(), None);
        assert_eq!(e.region(), Some("cn-hangzhou"));
        assert_eq!(e.internet_charge_type(), Some("PayByTraffic"));
        assert_eq!(e.payment_type(), Some("PayAsYouGo"));
        assert_eq!(e.deletion_protection(), Some(true));
        assert_eq!(e.ip_address(), None);
        assert!(e.cloud_refs().eips.is_empty());
        let empty = Attrs::new();
        assert_eq!(EipSpec::new(&empty).deletion_protection(), None);
    }
}
