//! The CLI's behaviour, end to end, in one test binary: each test runs the real `netform` binary
//! in a temporary copy of a fixture or example, with colour off and a fixed clock.

#![allow(clippy::print_stdout, clippy::print_stderr)]
// The product's output goes through its printer; a test's own notes (a slow set-up) may print.
mod apply_output;
mod backends;
mod bad_input;
#[path = "../campaign/mod.rs"]
mod campaign;
mod campaigns;
mod capture;
mod ci_pipeline;
mod commands;
mod concurrency;
mod conformance;
mod console;
mod create_ips;
mod endpoints;
mod errors;
mod features;
mod files;
mod harness;
mod http;
mod kinds_stay_home;
mod language;
mod layering;
mod logs;
mod machine_output;
mod meta;
mod modules;
mod output;
mod paging;
mod pg;
mod pgcluster;
mod properties;
mod quickstart;
mod rules;
mod variables;
