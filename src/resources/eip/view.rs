//! A typed view of this kind's attributes, for readers outside this module (the checker).
//!
//! Filled in by the move of per-kind code out of `plan/` and `apply/` (issue 11).
