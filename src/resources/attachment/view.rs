//! The typed view of an attachment's attributes (`AttachmentSpec`), for readers outside this
//! kind (the checker): the ENI and the instance it pairs, and where a diagnostic about each
//! points.

use crate::plan::attrs::Attrs;
use crate::resources::view::{CloudRefs, Field, Ref, text};
use crate::schema::Kind;

/// An attachment's attributes, read through typed accessors.
#[derive(Clone, Copy, Debug)]
pub struct AttachmentSpec<'a>(&'a Attrs);

impl<'a> AttachmentSpec<'a> {
    /// The kind this view reads.
    pub const KIND: Kind = Kind::Attachment;
    pub const ENI: Field = &["network_interface_id"];
    pub const INSTANCE: Field = &["instance_id"];

    pub fn new(a: &'a Attrs) -> Self {
        AttachmentSpec(a)
    }

    /// The ENI it attaches.
    pub fn network_interface(&self) -> Ref {
        Ref::of(self.0.get("network_interface_id"))
    }

    pub fn network_interface_id(&self) -> Option<&'a str> {
        text(self.0, "network_interface_id")
    }

    pub fn instance_id(&self) -> Option<&'a str> {
        text(self.0, "instance_id")
    }

    /// The ENI and the instance.
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
    fn an_attachment_view_reads_known_and_unknown_attributes() {
        let planned = Value::Unknown(Some("alicloud_ecs_network_interface.a.id".into()));
        let a: Attrs = [
            ("network_interface_id", planned),
            ("instance_id", Value::string("i-1")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let s = AttachmentSpec::new(&a);
        assert!(matches!(s.network_interface(), Ref::Planned(_)));
        assert_eq!(s.network_interface_id(), None);
        assert_eq!(s.instance_id(), Some("i-1"));
        assert_eq!(s.cloud_refs().instances, ["i-1"]);
        assert!(s.cloud_refs().enis.is_empty());
    }
}
