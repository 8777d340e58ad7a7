//! idgate: proves an identity integration works and is safe.
//!
//! One data flow, left to right (see DESIGN.md): scenario files are parsed
//! into a suite (`scenario`), the runner plays them against a target
//! (`run`, through the `scim` client), checks turn exchanges into a result
//! tree (`check`, `result`), and every report is a view of that one tree
//! (`report`, through `redact`). `reference` is the embedded target;
//! `harness` runs the suite as `cargo test` trials. `diff` is the line diff
//! that snapshot mismatches and the HTML report both show.

pub mod check;
pub mod diagnostic;
pub mod diff;
pub mod exit;
pub mod harness;
pub mod http;
pub mod ledger;
pub mod redact;
pub mod reference;
pub mod report;
pub mod result;
pub mod run;
pub mod saml;
pub mod scenario;
pub mod scim;
pub mod session;
