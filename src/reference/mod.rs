//! The embedded reference target: a compliant SCIM 2.0 server (and later a SAML SP) with fault
//! switches that each break one rule.

mod fault;

pub use fault::Fault;
