//! idgate: proves an identity integration works and is safe.
//!
//! One data flow, left to right (see docs/architecture.md): scenario files are
//! parsed into a suite (`scenario`, from the `idgate-core` crate), a plan picks
//! what to play and the `session` opens the targets it needs, the runner plays
//! it (`run`, through the `http` transport and the `scim` request builders and
//! the `saml` IdP), checks turn exchanges into a result tree (`check`,
//! `result`), and every report is a view of the run's events and of that one
//! tree (`report`, through `redact`). `reference` is the embedded target (the
//! `idgate-reference` crate, behind the `reference` feature); `harness` runs
//! the suite as `cargo test` trials.

pub use idgate_core::{diagnostic, exit, partition, redact};
#[cfg(feature = "reference")]
pub use idgate_reference as reference;

pub mod check;
pub mod diff;
pub mod finding;
pub mod harness;
pub mod http;
pub mod ledger;
pub mod load;
pub mod pace;
pub mod report;
pub mod result;
pub mod run;
pub mod saml;
pub mod scenario;
pub mod scim;
pub mod session;
