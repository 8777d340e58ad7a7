//! What a SCIM implementer puts in `tests/idgate.rs` of their own crate
//! (with `[[test]] name = "idgate"`, `harness = false` in Cargo.toml):
//! idgate's Entra suite as `cargo test` trials against their server.
//!
//! It reads the server's base URL from `IDGATE_SCIM_URL` and the bearer
//! token from `IDGATE_SCIM_TOKEN`. Without a URL it falls back to idgate's
//! embedded reference target, so this example runs anywhere:
//!
//! ```text
//! cargo run --example scim_gate -- --list
//! cargo run --example scim_gate -- users
//! IDGATE_SCIM_URL=http://127.0.0.1:8080/scim/v2 IDGATE_SCIM_TOKEN=... cargo run --example scim_gate
//! ```

use std::process::ExitCode;

use idgate::harness::Harness;

fn main() -> ExitCode {
    let harness = match std::env::var("IDGATE_SCIM_URL") {
        Ok(url) if !url.is_empty() => Harness::scim(url, "IDGATE_SCIM_TOKEN"),
        _ => Harness::embedded(),
    };
    harness.clients(["entra-legacy", "entra-2020"]).run()
}
