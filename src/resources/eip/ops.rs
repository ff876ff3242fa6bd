//! The operations this kind needs for a change, and their edges (plan).
//!
//! Filled in by the move of per-kind code out of `plan/` and `apply/` (issue 11).
