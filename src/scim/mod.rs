//! The SCIM client: turns a client's action (or a raw scenario request) into
//! wire bytes, and sends them.

pub mod http;
pub mod wire;

pub use http::{
    ClientOptions, Exchange, Received, Request, ScimClient, SentRequest, TransportError,
};
