//! idgate: proves an identity integration works and is safe.
//!
//! One data flow, left to right (see DESIGN.md): scenario files are parsed into a plan, the
//! runner executes it against a SCIM endpoint or SAML SP, checks turn exchanges into a result
//! tree, and every report is a view of that one tree.

pub mod check;
pub mod reference;
pub mod saml;
