//! The embedded reference target: a compliant SCIM server (and later SAML SP) with fault switches.
