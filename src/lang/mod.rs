//! The configuration language: values, type constraints, built-in functions and the evaluator.

pub mod eval;
pub mod functions;
pub mod sensitive;
pub mod types;
pub mod value;
#[cfg(test)]
mod vectors;

pub use value::Value;
