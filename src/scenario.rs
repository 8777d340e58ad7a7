//! The scenario language (from `idgate-core`), with the built-in suite
//! compiled into the binary. `session::load_suite` loads it, telling the loader
//! which schemas a request may say it `returns`.

pub use idgate_core::scenario::*;

/// The name (and tag) of the SAML battery's scenario run: the battery is played as one
/// scenario of the `saml-idp` client.
pub const BATTERY: &str = "saml-battery";

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_scenarios.rs"));
}

/// The shipped scenarios, compiled into the binary.
pub fn embedded_files() -> Vec<(String, String)> {
    embedded::FILES
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect()
}
