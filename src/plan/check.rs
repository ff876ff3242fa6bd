//! Plan-time checks of Alibaba Cloud's rules (rules.md) over the refreshed cloud and the whole plan.

use crate::config::Config;
use crate::diag::Diagnostics;
use crate::provider::Clouds;
use crate::state::State;

use super::Change;

pub fn check(_cfg: &Config, _changes: &[Change], _prior: &State, _clouds: &Clouds) -> Diagnostics {
    Diagnostics::default()
}
