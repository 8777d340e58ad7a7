//! SCIM requests: from a client profile's action (or a raw scenario request)
//! and the values of a run to the exact bytes that client sends.

pub mod wire;

// Until every caller names the transport by its own module.
pub use crate::http::{Exchange, Received};
pub mod http {
    pub use crate::http::curl_line;
}
