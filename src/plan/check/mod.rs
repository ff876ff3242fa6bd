//! Plan-time checks of Alibaba Cloud's rules (rules.md) over the refreshed cloud and the whole
//! plan together.
//!
//! Three stages: `gather` fetches what the plan involves from the cloud, one batch of Describe
//! calls per kind and region; `picture` (with `bindings`) builds the *final* picture the plan
//! leads to — every ENI it touches with its addresses, what each instance carries, what each EIP
//! is bound to — once; and one checker per rule family (`enis`, `addresses`, `eips`) holds that
//! picture against the rules and the limits profile the simulator reads too. Ordering the rules
//! imply (attach → assign → bind, BINDED before attach, release after unbind) is the planner's
//! job and is never reported here.
//!
//! The checker decides no rule itself: the families gather the facts of each situation (the
//! final counts, the states at the time of each operation) and ask `rules::evaluate`, the same
//! code the simulator asks, and report under the rule id it returns (`out`); they only word the
//! diagnostics.
//!
//! No kind's attribute is named here: the picture reads each change through its kind's typed
//! view (`resources::EniSpec`, `BindingSpec`, …), asks `resources::view::cloud_refs` which
//! cloud objects a change refers to, and a diagnostic points at the `Field` the view names.

mod addresses;
mod bindings;
mod eips;
mod enis;
mod gather;
mod out;
mod picture;
#[cfg(test)]
mod tests;

use super::Change;
use crate::config::Config;
use crate::diag::Diagnostics;
use crate::provider::Clouds;
use crate::state::State;

use out::Out;
use picture::Picture;

pub fn check(cfg: &Config, changes: &[Change], _prior: &State, clouds: &Clouds) -> Diagnostics {
    // Nothing to check when nothing changes.
    if !changes.iter().any(Change::is_change) {
        return Diagnostics::default();
    }
    let cloud = gather::gather(clouds, changes, &gather::wanted(changes));
    let region_of = |c: &Change| clouds.client(c.provider.as_deref()).region;
    let picture = Picture::build(cloud, changes, &region_of);
    let mut out = Out::new(&clouds.limits);
    run_families(&picture, &mut out);
    out.into_diagnostics(cfg)
}

/// Every family over one picture, in the order their findings are reported.
fn run_families(p: &Picture, out: &mut Out) {
    enis::removals(p, out);
    enis::attachments(p, out);
    enis::per_instance(p, out);
    enis::attached_twice(p, out);
    addresses::given(p, out);
    addresses::vswitch_capacity(p, out);
    for i in 0..p.enis.len() {
        addresses::counts(p, out, i);
        enis::security_groups(p, out, &p.enis[i]);
    }
    addresses::primary_eni_state(p, out);
    addresses::security_group_capacity(p, out);
    eips::bindings(p, out);
    eips::removed_addresses(p, out);
}
