//! The embedded Alibaba Cloud simulator.

pub mod world;
