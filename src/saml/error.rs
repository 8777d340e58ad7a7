//! The one error type of the test IdP.

use std::path::PathBuf;

/// What can go wrong while making keys, building messages or signing them.
#[derive(Debug, thiserror::Error)]
pub enum SamlError {
    /// OpenSSL refused an operation (key generation, signing, certificate parsing).
    #[error("openssl: {0}")]
    Openssl(#[from] openssl::error::ErrorStack),
    /// Reading or writing a key or certificate file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A key or certificate file is unusable (only one of the pair present, key and cert differ).
    #[error("{0}")]
    Key(String),
    /// `cases::build` was asked for an id that is not in `cases::all()`.
    #[error("no SAML case with id `{0}`")]
    UnknownCase(String),
    /// A byte splice could not find what it was meant to edit; a bug in a case builder.
    #[error("cannot splice the XML: {0}")]
    Splice(String),
}

/// Result with [`SamlError`].
pub type Result<T> = std::result::Result<T, SamlError>;
