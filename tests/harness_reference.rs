//! The shipped suite as `cargo test` trials against the embedded reference
//! target: one trial per (client, scenario) and per SAML case. Runs with
//! `harness = false` (see Cargo.toml), so libtest-mimic owns `main`.

fn main() -> std::process::ExitCode {
    idgate::harness::Harness::embedded().run()
}
