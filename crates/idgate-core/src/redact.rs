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
        let mut out = mask_passwords(text);
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

/// Blanks the value of every JSON member named `password` (any case), plain or as it sits
/// JSON-escaped inside report.json: a scenario may send one (RFC 7643 §4.1.1), a faulty server
/// may echo it, and neither is a value the redactor was told about.
fn mask_passwords(text: &str) -> String {
    const KEY: &str = "password";
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(found) = lower[from..].find(KEY) {
        let start = from + found;
        from = start + KEY.len();
        // The key's own quotes: `"password"`, or `\"password\"` inside a JSON string.
        let escaped = start >= 2 && &bytes[start - 2..start] == b"\\\"";
        if !(escaped || (start >= 1 && bytes[start - 1] == b'"')) {
            continue;
        }
        let quote: &[u8] = if escaped { b"\\\"" } else { b"\"" };
        let mut i = start + KEY.len();
        if !bytes[i..].starts_with(quote) {
            continue;
        }
        i += quote.len();
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if bytes.get(i) != Some(&b':') {
            continue;
        }
        i += 1;
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if !bytes[i..].starts_with(quote) {
            continue;
        }
        let value = i + quote.len();
        // The closing quote: the first one not escaped by the value itself.
        let mut end = value;
        let close = loop {
            let Some(at) = text[end..].find(if escaped { "\\\"" } else { "\"" }) else {
                break None;
            };
            let at = end + at;
            let slashes = bytes[value..at]
                .iter()
                .rev()
                .take_while(|b| **b == b'\\')
                .count();
            if escaped || slashes % 2 == 0 {
                break Some(at);
            }
            end = at + 1;
        };
        let Some(close) = close else { break };
        out.push_str(&text[copied..value]);
        out.push_str("***");
        copied = close;
        from = close;
    }
    out.push_str(&text[copied..]);
    out
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

    #[test]
    fn passwords_in_bodies_never_print() {
        let r = Redactor::default();
        assert_eq!(
            r.apply(r#"{"userName":"a","Password" : "Idgate-1\"x","b":1}"#),
            r#"{"userName":"a","Password" : "***","b":1}"#
        );
        // As a body sits inside report.json.
        assert_eq!(
            r.apply(r#""body": "{\"password\":\"Idgate-2\",\"x\":1}""#),
            r#""body": "{\"password\":\"***\",\"x\":1}""#
        );
        // Not a member: left alone.
        let prose = "the password is never returned; \"passwordless\": true";
        assert_eq!(r.apply(prose), prose);
    }
}
