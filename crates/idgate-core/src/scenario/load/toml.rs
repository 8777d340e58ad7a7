//! Where TOML values sit in their file: spans, serde errors, string contents
//! and the templates inside them, and the TOML <-> JSON conversions of values.

use std::sync::Arc;

use serde_json::Value;
use toml::Spanned;

use super::super::model::Span;
use super::super::template::{Template, TemplateError};
use crate::diagnostic::{Diagnostic, Source, did_you_mean};

pub(super) fn span_of<T>(source: &Arc<Source>, s: &Spanned<T>) -> Span {
    Span {
        source: source.clone(),
        start: s.span().start,
        end: s.span().end,
    }
}

/// Turn a toml/serde error into a diagnostic, adding a suggestion for unknown fields.
/// A value of the wrong type is said in the scenario's words: which key, what it takes
/// (with an example), what it was given; serde's "expected a sequence" is not a QA
/// engineer's vocabulary.
pub fn toml_error(source: &Source, err: toml::de::Error) -> Diagnostic {
    let message = err.message().trim().to_string();
    let span = err.span().unwrap_or(0..0);
    let key = key_before(&source.text, span.start);
    let said = plain_type_error(&message, key).or_else(|| {
        // An untagged enum says only what it expects (its `expecting`): add what it was given.
        let value = source.text.get(span.clone())?;
        message
            .starts_with("a status code is")
            .then(|| format!("{message}; this is {}", kind_of_value(value)))
    });
    let mut d = Diagnostic::at(source, span, said.unwrap_or_else(|| message.clone()));
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let allowed: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        d = d.with_help(did_you_mean(field, &allowed));
    } else if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let allowed: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        d = d.with_help(did_you_mean(field, &allowed));
    }
    d
}

/// `invalid type: string "x", expected a sequence` as "`tags` takes a list, like
/// [\"a\", \"b\"]; this is text (\"x\")"; `None` for any other message.
fn plain_type_error(message: &str, key: Option<&str>) -> Option<String> {
    let rest = message.strip_prefix("invalid type: ")?;
    let (found, expected) = rest.rsplit_once(", expected ")?;
    let takes = match expected.trim() {
        e if e.contains("sequence") => "a list, like [\"a\", \"b\"]",
        e if e.contains("string") => "text in quotes, like \"abc\"",
        e if e.contains("bool") => "true or false",
        e if ["u8", "u16", "u32", "u64", "usize", "i32", "i64", "integer"]
            .iter()
            .any(|t| e == *t || e.ends_with(&format!(" {t}"))) =>
        {
            "a whole number, like 5"
        }
        e if e.contains("f64") || e.contains("float") => "a number, like 1.5",
        e if e.contains("map") || e.starts_with("struct") || e.contains("table") => {
            "a table, like { key = \"value\" }"
        }
        _ => return None,
    };
    let (kind, value) = found.split_once(' ').unwrap_or((found, ""));
    let is = match kind {
        "string" => "text",
        "integer" => "a whole number",
        "float" => "a number",
        "boolean" => "true or false",
        "sequence" => "a list",
        "map" => "a table",
        _ => found,
    };
    let value = value.trim().trim_matches('`');
    let shown = if value.is_empty() || matches!(kind, "sequence" | "map") {
        String::new()
    } else {
        format!(" ({value})")
    };
    Some(match key {
        Some(k) => format!("`{k}` takes {takes}; this is {is}{shown}"),
        None => format!("this takes {takes}; it is {is}{shown}"),
    })
}

/// What a TOML value as written is, in words: `"201"` is text.
fn kind_of_value(value: &str) -> String {
    let v = value.trim();
    match v.chars().next() {
        Some('"' | '\'') => format!("text ({v})"),
        Some('[') => "a list".into(),
        Some('{') => "a table".into(),
        _ if v == "true" || v == "false" => format!("true or false ({v})"),
        _ => format!("`{v}`"),
    }
}

/// The key whose value starts at `offset`: the bare or quoted name before the `=` that
/// precedes it on its line (`tags = "x"`, `{ a = 1, status = "201" }`).
fn key_before(text: &str, offset: usize) -> Option<&str> {
    let head = text.get(..offset.min(text.len()))?;
    let line = &head[head.rfind('\n').map_or(0, |i| i + 1)..];
    let before = line.trim_end().strip_suffix('=')?.trim_end();
    if let Some(quoted) = before.strip_suffix('"') {
        let open = quoted.rfind('"')?;
        return Some(&quoted[open + 1..]);
    }
    let stop = before
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')));
    // A bare key starts the line or follows a space, `{` or `,`; anything else is no key.
    let start = match stop {
        None => 0,
        Some((i, c)) if c.is_whitespace() || matches!(c, '{' | ',') => i + c.len_utf8(),
        Some(_) => return None,
    };
    let key = &before[start..];
    (!key.is_empty()).then_some(key)
}

/// Parse a template string, mapping its errors back into the file.
pub(super) fn parse_template(
    source: &Arc<Source>,
    s: &Spanned<String>,
    errors: &mut Vec<Diagnostic>,
) -> Option<Template> {
    match Template::parse(s.get_ref()) {
        Ok(t) => Some(t),
        Err(e) => {
            errors.push(template_error(source, content_start(source, s.span()), &e));
            None
        }
    }
}

fn template_error(source: &Source, base: usize, e: &TemplateError) -> Diagnostic {
    let start = base + e.offset;
    let mut d = Diagnostic::at(source, start..start + e.len, e.message.clone());
    if let Some(h) = &e.help {
        d = d.with_help(h.clone());
    }
    d
}

/// Byte offset where the content of a TOML string token starts.
pub(super) fn content_start(source: &Source, span: std::ops::Range<usize>) -> usize {
    let token = &source.text[span.clone()];
    for delim in ["'''", "\"\"\""] {
        if let Some(rest) = token.strip_prefix(delim) {
            let skip = if rest.starts_with("\r\n") {
                2
            } else if rest.starts_with('\n') {
                1
            } else {
                0
            };
            return span.start + 3 + skip;
        }
    }
    if token.starts_with('\'') || token.starts_with('"') {
        span.start + 1
    } else {
        span.start
    }
}

pub(super) fn offset_of_line_col(text: &str, line: usize, col: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return offset + col.saturating_sub(1).min(l.len());
        }
        offset += l.len();
    }
    text.len().saturating_sub(1)
}

pub(super) fn toml_to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

pub(super) fn json_to_toml(v: &Value) -> toml::Value {
    match v {
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Number(n) => n
            .as_i64()
            .map(toml::Value::Integer)
            .unwrap_or_else(|| toml::Value::Float(n.as_f64().unwrap_or(0.0))),
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Null => toml::Value::String(String::new()),
        Value::Array(a) => toml::Value::Array(a.iter().map(json_to_toml).collect()),
        Value::Object(m) => toml::Value::Table(
            m.iter()
                .map(|(k, v)| (k.clone(), json_to_toml(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(text: &str) -> String {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Doc {
            tags: Option<Vec<String>>,
            send: Option<String>,
            count: Option<u16>,
            flag: Option<bool>,
            table: Option<std::collections::BTreeMap<String, String>>,
        }
        let source = Source::new("s.toml", text);
        let err = toml::from_str::<Doc>(text).unwrap_err();
        toml_error(&source, err).message
    }

    #[test]
    fn a_wrong_type_is_said_in_the_scenarios_words() {
        assert_eq!(
            said("tags = \"entra\""),
            "`tags` takes a list, like [\"a\", \"b\"]; this is text (\"entra\")"
        );
        assert_eq!(
            said("send = [\"x\"]"),
            "`send` takes text in quotes, like \"abc\"; this is a list"
        );
        assert_eq!(
            said("count = \"5\""),
            "`count` takes a whole number, like 5; this is text (\"5\")"
        );
        assert_eq!(
            said("flag = \"yes\""),
            "`flag` takes true or false; this is text (\"yes\")"
        );
        assert_eq!(
            said("table = 3"),
            "`table` takes a table, like { key = \"value\" }; this is a whole number (3)"
        );
    }

    #[test]
    fn the_key_is_read_before_its_value() {
        let text = "a = 1\nx = { \"/id\" = 2, status = \"201\" }\n";
        let at = text.find("\"201\"").unwrap();
        assert_eq!(key_before(text, at), Some("status"));
        let at = text.find("2,").unwrap();
        assert_eq!(key_before(text, at), Some("/id"));
        assert_eq!(key_before(text, 0), None);
        let text = "é = 1\nnaïve = 2\n";
        assert_eq!(key_before(text, text.find('1').unwrap()), None, "not ASCII");
        assert_eq!(key_before(text, text.find('2').unwrap()), None);
        assert_eq!(key_before("a = 1", 99), None, "past the end");
        assert_eq!(key_before("aé = 1", 2), None, "inside a character");
    }
}
