//! The test SAML identity provider.
