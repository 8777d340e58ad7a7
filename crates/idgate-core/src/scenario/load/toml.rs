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
pub fn toml_error(source: &Source, err: toml::de::Error) -> Diagnostic {
    let message = err.message().trim().to_string();
    let span = err.span().unwrap_or(0..0);
    let mut d = Diagnostic::at(source, span, message.clone());
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
