//! The operation graph.
use serde::{Deserialize, Serialize};

use crate::address::Address;

use super::Change;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OpAction {
    CreateNetworkInterface,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    pub id: String,
    pub action: OpAction,
    pub address: Address,
    pub depends_on: Vec<String>,
}

pub fn build(_changes: &[Change]) -> Vec<Op> {
    Vec::new()
}
