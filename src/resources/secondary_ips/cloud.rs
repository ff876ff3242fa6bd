//! This kind's schema, and its attributes from the cloud's answers (refresh, apply, import).
//!
//! Filled in by the move of per-kind code out of `plan/` and `apply/` (issue 11).
