//! idgate's integration tests, one binary: each module is one area, run
//! against the reference target, wiremock stubs, real peers or the CLI.
//! (`harness_reference` is its own binary: libtest-mimic provides its main.)

mod common;
mod stub;

mod bad_targets;
mod catalogue;
mod ci_gate;
mod cli;
mod cross_scim2_tester;
mod engine;
mod golden;
mod harness_cli;
mod html_report;
mod killed;
mod load;
mod mutation;
mod peer_django_scim2;
mod peer_python3_saml;
mod peer_saml2_js;
mod peer_scim2_server;
mod reference_saml;
mod reference_scim;
mod saml_peer;
mod saml_xmlsec;
mod schema_fixtures;
mod scim_peer;
mod shares;
mod snapshots;
mod stub_checks;
mod stub_sp;
