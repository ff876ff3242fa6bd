//! Cloud providers: the embedded simulator and (later) Alibaba's signed OpenAPI.

pub mod sim;
