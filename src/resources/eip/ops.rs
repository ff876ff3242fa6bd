//! The operations an EIP's change needs: allocate, release, and the in-place attribute change.
//! Its bindings order themselves around it (`association/ops.rs`).

use crate::lang::Value;
use crate::plan::ops::{OpAction, Phase};
use crate::plan::{Action, Change};
use crate::resources::operations::Needs;

/// Attributes `ModifyEipAddressAttribute` changes in place.
const MODIFIABLE: &[&str] = &[
    "bandwidth",
    "address_name",
    "description",
    "tags",
    "deletion_protection",
];

pub(crate) fn ops_of(c: &Change) -> Vec<(OpAction, Phase)> {
    use OpAction::*;
    let n = Needs::of(c);
    let mut out = Vec::new();
    if n.destroy {
        out.push((ReleaseEipAddress, Phase::Destroy));
    }
    if n.create {
        out.push((AllocateEipAddress, Phase::Apply));
    }
    if n.update && n.changed(MODIFIABLE) {
        out.push((ModifyEipAddressAttribute, Phase::Apply));
    }
    out
}

/// `ReleaseEipAddress` is refused with `InvalidOperation.DeletionProtection` while the EIP's
/// deletion protection is on.
pub(crate) fn removal_refused(c: &Change) -> bool {
    let releases = matches!(c.action, Action::Delete | Action::Replace);
    let protected =
        c.before.as_ref().and_then(|b| b.get("deletion_protection")) == Some(&Value::Bool(true));
    releases && protected
}
