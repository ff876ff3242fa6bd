//! The typed view of an EIP binding's attributes (`BindingSpec`), for readers outside this kind
//! (the checker): the EIP, the bind target and its type, the mode and the private address, and
//! where a diagnostic about each points.

use crate::plan::attrs::Attrs;
use crate::provider::api::eip_target_kind;
use crate::resources::view::{CloudRefs, Field, Ref, text};
use crate::schema::Kind;

/// An EIP binding's attributes, read through typed accessors.
#[derive(Clone, Copy, Debug)]
pub struct BindingSpec<'a>(&'a Attrs);

impl<'a> BindingSpec<'a> {
    /// The kind this view reads.
    pub const KIND: Kind = Kind::Association;
    pub const EIP: Field = &["allocation_id"];
    pub const TARGET: Field = &["instance_id"];
    pub const TARGET_TYPE: Field = &["instance_type"];
    pub const MODE: Field = &["mode"];
    pub const PRIVATE_IP: Field = &["private_ip_address"];

    pub fn new(a: &'a Attrs) -> Self {
        BindingSpec(a)
    }

    /// The EIP it binds.
    pub fn eip(&self) -> Ref {
        Ref::of(self.0.get("allocation_id"))
    }

    pub fn allocation_id(&self) -> Option<&'a str> {
        text(self.0, "allocation_id")
    }

    /// What the EIP is bound to.
    pub fn target(&self) -> Ref {
        Ref::of(self.0.get("instance_id"))
    }

    pub fn target_id(&self) -> Option<&'a str> {
        text(self.0, "instance_id")
    }

    /// AssociateEipAddress's `InstanceType`: given, or inferred from a known target id.
    pub fn target_type(&self) -> Option<&'a str> {
        text(self.0, "instance_type").or_else(|| match self.target() {
            Ref::Id(id) => Some(eip_target_kind(&id)),
            _ => None,
        })
    }

    /// The binding mode; NAT, the API's default, when not given.
    pub fn mode(&self) -> &'a str {
        text(self.0, "mode").unwrap_or("NAT")
    }

    /// The private address an ENI binding maps, when given or known.
    pub fn private_ip(&self) -> Option<&'a str> {
        text(self.0, "private_ip_address")
    }

    /// The EIP, and the target: an ENI or an instance when its id says so (not an address
    /// or a planned object's stand-in), and as a target whatever it is.
    pub fn cloud_refs(&self) -> CloudRefs<'a> {
        let mut r = CloudRefs {
            eips: self.allocation_id().into_iter().collect(),
            ..CloudRefs::default()
        };
        if let Some(t) = self.target_id() {
            if t.starts_with("eni-") {
                r.enis.push(t);
            } else if !t.contains('.') {
                r.instances.push(t);
            }
            r.targets.push(t);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Value;

    fn binding(kv: &[(&str, Value)]) -> Attrs {
        kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn a_binding_view_reads_known_and_unknown_attributes() {
        let a = binding(&[
            (
                "allocation_id",
                Value::Unknown(Some("alicloud_eip_address.e.id".into())),
            ),
            ("instance_id", Value::string("eni-1")),
            ("mode", Value::string("BINDED")),
        ]);
        let b = BindingSpec::new(&a);
        assert!(matches!(b.eip(), Ref::Planned(_)));
        assert_eq!(b.allocation_id(), None);
        assert_eq!(b.target(), Ref::Id("eni-1".into()));
        assert_eq!(b.target_type(), Some("NetworkInterface"));
        assert_eq!(b.mode(), "BINDED");
        assert_eq!(b.private_ip(), None);
        let r = b.cloud_refs();
        assert_eq!(
            (r.enis, r.instances, r.targets),
            (vec!["eni-1"], vec![], vec!["eni-1"])
        );
    }

    #[test]
    fn a_binding_to_an_unknown_target_has_no_type_and_the_default_mode() {
        let a = binding(&[
            ("allocation_id", Value::string("eip-1")),
            ("instance_id", Value::unknown()),
            ("private_ip_address", Value::string("10.0.0.9")),
        ]);
        let b = BindingSpec::new(&a);
        assert_eq!(b.target_type(), None);
        assert_eq!(b.mode(), "NAT");
        assert_eq!(b.private_ip(), Some("10.0.0.9"));
        assert_eq!(b.cloud_refs().eips, ["eip-1"]);
        let given = binding(&[
            ("instance_id", Value::string("i-1")),
            ("instance_type", Value::string("EcsInstance")),
        ]);
        let r = BindingSpec::new(&given).cloud_refs();
        assert_eq!((r.instances, r.targets), (vec!["i-1"], vec!["i-1"]));
    }
}
