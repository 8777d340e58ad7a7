//! The test SAML identity provider.

pub mod canonical;
pub mod error;
pub mod keys;
pub mod metadata;
pub mod response;
pub mod sign;
pub mod splice;

pub use error::{Result, SamlError};
pub use keys::IdpKey;
pub use metadata::SpAdminValues;
pub use response::{Attribute, ResponseSpec};
pub use sign::{DigestAlg, KeyInfo, SignOptions, SignatureAlg};
