//! Scenario files: the model, its loader and the `{{var}}` templates.
//! Knows nothing of HTTP; the runner turns a scenario into requests.

pub mod load;
pub mod model;
pub mod template;

pub use load::{Known, load_with, read_dir};
pub use model::*;

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
