//! The operations an EIP's change needs: allocate, release, and the in-place attribute change.
//! Its bindings order themselves around it (`association/ops.rs`).

use crate::plan::Change;
use crate::plan::ops::{OpAction, Phase};
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
