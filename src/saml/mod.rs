//! The test SAML identity provider.

pub mod canonical;
pub mod error;
pub mod keys;
pub mod splice;

pub use error::{Result, SamlError};
pub use keys::IdpKey;
