//! netform: a declarative reconciler for Alibaba Cloud networking (ENIs, secondary IPs, EIPs).
//!
//! The pipeline, each stage its own module: `config` loads and evaluates HCL into desired
//! resources, `graph` orders them, `state` holds what was applied, `resources` says what each
//! resource kind and data source means (its schema, its attributes from the cloud's answers,
//! import, shaping its planned attributes, reading it back, the operations a change needs, their
//! execution, and a typed view for the checker; `schema` keeps the generic types and the registry
//! of kinds), `plan` diffs and checks the cloud's rules, `apply` walks the operation
//! graph against a `provider` (the embedded simulator or the real API), and `render` turns every
//! result into text. Only `cli` prints.
//!
//! `cli` sits on top and nothing below imports it: `cli::args` holds the clap types,
//! `cli::commands` one module per command over the engine's operations, `cli::error` the one
//! error type and the one place errors are printed, `cli::printer` the one writer of stdout and
//! stderr. `tests/cli/layering.rs` keeps these directions.

// Nested collection types read better spelled out than hidden behind aliases here.
#![allow(clippy::type_complexity)]

pub mod address;
pub mod apply;
pub mod backend;
pub mod cli;
pub mod clock;
pub mod config;
pub mod diag;
pub mod fmt;
pub mod graph;
pub mod guest;
pub mod identity;
pub mod lang;
pub mod limits;
pub mod plan;
pub mod provider;
pub mod render;
pub mod resources;
pub mod rules;
pub mod schema;
pub mod state;
