//! Checks: one rule each, with a stable id, a severity and the rule's source.

pub mod schema;
