//! Executing this kind's operations through the typed client (apply).
//!
//! Filled in by the move of per-kind code out of `plan/` and `apply/` (issue 11).
