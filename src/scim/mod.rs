//! SCIM requests: from a client profile's action (or a raw scenario request)
//! and the values of a run to the exact bytes that client sends.

pub mod wire;
