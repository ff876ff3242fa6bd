//! The CLI's behaviour, end to end, in one test binary: each test runs the real `netform` binary
//! in a temporary copy of a fixture or example, with colour off and a fixed clock.

mod bad_input;
#[path = "../campaign/mod.rs"]
mod campaign;
mod campaigns;
mod capture;
mod commands;
mod concurrency;
mod conformance;
mod endpoints;
mod features;
mod harness;
mod http;
mod paging;
mod properties;
mod quickstart;
mod rules;
