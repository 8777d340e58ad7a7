//! Scenario files: the model, its loader and the `{{var}}` templates.
//! Knows nothing of HTTP or of checks; the runner turns a scenario into
//! requests, and the caller tells the loader which names are known.

pub mod load;
pub mod model;
pub mod template;

pub use load::{Known, load_case_catalogue, load_with, read_dir};
pub use model::*;
