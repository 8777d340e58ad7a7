//! The test SAML identity provider.
//!
//! `keys` holds the IdP's key and certificate, `response` writes Responses and Assertions,
//! `sign` adds enveloped XML signatures, `metadata` describes the IdP to an SP, and `cases` is
//! the battery of responses posted to an SP. `canonical` and `splice` are the two mechanisms
//! under them all: XML written directly in exclusive canonical form, and byte-level edits that
//! never re-serialize a signed element.

pub mod canonical;
pub mod cases;
pub mod error;
pub mod idp;
pub mod keys;
pub mod metadata;
pub mod post;
pub mod response;
pub mod sign;
pub mod sp_metadata;
pub mod splice;
pub mod whoami;

pub use cases::{BuiltCase, Case, CaseContext, Expect, Group};
pub use error::{Result, SamlError};
pub use idp::{AttackKeys, Idp, RotationKeys};
pub use keys::IdpKey;
pub use metadata::SpAdminValues;
pub use response::{Attribute, ResponseSpec};
pub use sign::{DigestAlg, KeyInfo, SignOptions, SignatureAlg};

/// The test IdP's entity ID (the Issuer of every Response), unless configured.
pub const DEFAULT_ENTITY_ID: &str = "https://idp.idgate.test/saml/metadata";
/// Where an SP sends users to sign in (SP-initiated); idgate reads the
/// AuthnRequest from that redirect rather than serving the page.
pub const DEFAULT_SIGN_IN_URL: &str = "https://idp.idgate.test/saml/sso";
