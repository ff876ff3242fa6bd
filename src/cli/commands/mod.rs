//! One module per command, each a short `run` over the engine's operations; `cli.rs` only
//! dispatches to them. Commands return `Err(CliError)` instead of printing their errors.

pub mod apply;
pub mod console;
pub mod fmt;
pub mod force_unlock;
pub mod graph;
pub mod guest_config;
pub mod import;
pub mod init;
pub mod meta;
pub mod output;
pub mod plan;
pub mod show;
pub mod sim;
pub mod sim_capture;
pub mod sim_serve;
pub mod state;
pub mod state_versions;
pub mod validate;
pub mod workspace;
