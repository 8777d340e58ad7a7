//! Checks: one rule each, with a stable id, a severity and the rule's source
//! (the metadata lives in `scenarios/checks.toml`). `builtin` holds the checks
//! idgate applies to every response; `expect` evaluates a scenario's own, and
//! `snapshot` compares a response with a committed snapshot.

pub mod builtin;
pub mod expect;
pub mod schema;
pub mod snapshot;

/// What one check found. `expected`/`actual` are for people, not parsing.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub passed: bool,
    pub expected: String,
    pub actual: String,
    pub message: Option<String>,
}

impl Finding {
    pub fn pass(expected: impl Into<String>) -> Finding {
        Finding {
            passed: true,
            expected: expected.into(),
            actual: String::new(),
            message: None,
        }
    }
    pub fn fail(expected: impl Into<String>, actual: impl Into<String>) -> Finding {
        Finding {
            passed: false,
            expected: expected.into(),
            actual: actual.into(),
            message: None,
        }
    }
    pub fn with_message(mut self, m: impl Into<String>) -> Finding {
        self.message = Some(m.into());
        self
    }
}

/// A short, single-line glimpse of a body for messages.
pub fn excerpt(body: &str, max: usize) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}…", flat.chars().take(max).collect::<String>())
    }
}
