//! Secrets never reach a terminal, a report or a log: every view passes
//! through [`Redactor`], and the token itself lives in [`Secret`], which
//! refuses to print.

use std::fmt;

/// A value that must never be shown: its `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    /// The real value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Replaces every known secret value with `***` in text bound for output.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<Secret>,
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = Secret>) -> Redactor {
        // Short values would blank out ordinary text; a token is never that short.
        Redactor {
            secrets: secrets.into_iter().filter(|s| s.0.len() >= 4).collect(),
        }
    }

    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            // Also the JSON-escaped form, as it appears inside report.json.
            let escaped = serde_json::to_string(s.expose()).unwrap_or_default();
            let escaped = escaped.trim_matches('"');
            for form in [s.expose(), escaped] {
                if !form.is_empty() && out.contains(form) {
                    out = out.replace(form, "***");
                }
            }
        }
        out
    }
}

/// Headers whose values are credentials whatever the secret is.
pub fn is_secret_header(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "authorization" | "cookie" | "set-cookie" | "proxy-authorization" | "x-api-key"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("tok-123456");
        assert_eq!(format!("{s} {s:?}"), "*** Secret(***)");
        let r = Redactor::new([s]);
        assert_eq!(r.apply("Bearer tok-123456!"), "Bearer ***!");
        let quoted = Redactor::new([Secret::new("a\"b\\c-1")]);
        assert_eq!(quoted.apply(r#"{"t":"a\"b\\c-1"}"#), r#"{"t":"***"}"#);
    }
}
