//! The scenario language (from `idgate-core`), with what only idgate knows:
//! the built-in suite compiled into the binary, and which schemas a request
//! may say it `returns`.

pub use idgate_core::scenario::*;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_scenarios.rs"));
}

/// The shipped scenarios, compiled into the binary.
pub fn embedded_files() -> Vec<(String, String)> {
    embedded::FILES
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect()
}

/// Build a suite from `(name, text)` pairs (see [`load_with`]), a request's
/// `returns = "..."` checked against the schemas idgate validates bodies with.
pub fn load(files: &[(String, String)]) -> Result<Suite, Vec<crate::diagnostic::Diagnostic>> {
    load_with(
        files,
        &Known {
            schemas: &crate::check::builtin::response_schemas(),
        },
    )
}

/// Load the suite from `dir`, or the embedded one when `dir` is `None`.
pub fn load_suite(
    dir: Option<&std::path::Path>,
) -> Result<Suite, Vec<crate::diagnostic::Diagnostic>> {
    let files = match dir {
        Some(d) => read_dir(d)?,
        None => embedded_files(),
    };
    load(&files)
}
