//! The configuration language: values, type constraints, built-in functions and the evaluator.

pub mod eval;
pub mod functions;
pub mod number;
pub mod sensitive;
pub mod types;
pub mod value;
#[cfg(test)]
mod vectors;

pub use number::Number;
pub use value::Value;
