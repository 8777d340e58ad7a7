//! Request templates, from a client's actions or a step's `request = {...}`.

use std::sync::Arc;

use serde_json::Value;

use super::super::model::{Auth, RequestTemplate, Span};
use super::super::template;
use super::Known;
use super::raw;
use super::toml::{content_start, offset_of_line_col, parse_template};
use crate::diagnostic::{Diagnostic, Source, did_you_mean};

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

pub(super) fn request(
    source: &Arc<Source>,
    span: Span,
    raw: raw::Request,
    known: &Known,
    errors: &mut Vec<Diagnostic>,
) -> Option<RequestTemplate> {
    let before = errors.len();
    let method = raw.method.get_ref().to_uppercase();
    if !METHODS.contains(&method.as_str()) {
        errors.push(
            Diagnostic::at(
                source,
                raw.method.span(),
                format!("unknown method `{}`", raw.method.get_ref()),
            )
            .with_help(did_you_mean(raw.method.get_ref(), METHODS)),
        );
    }
    if !raw.path.get_ref().starts_with('/') {
        errors.push(
            Diagnostic::at(source, raw.path.span(), "a path starts with `/`")
                .with_help("it is appended to the target's SCIM base URL, e.g. \"/Users\""),
        );
    }
    let path = parse_template(source, &raw.path, errors);
    let mut headers = Vec::new();
    for (name, value) in &raw.headers {
        if let Some(t) = parse_template(source, value, errors) {
            headers.push((name.clone(), t));
        }
    }
    let body = raw
        .body
        .as_ref()
        .and_then(|b| match serde_json::from_str::<Value>(b.get_ref()) {
            Ok(v) => {
                let mut names = Vec::new();
                if let Err(e) = template::json_names(&v, &mut names) {
                    errors.push(Diagnostic::at(
                        source,
                        b.span(),
                        format!("in the body: {}", e.message),
                    ));
                }
                Some(v)
            }
            Err(e) => {
                let base = content_start(source, b.span());
                let offset = offset_of_line_col(b.get_ref(), e.line(), e.column());
                errors.push(
                    Diagnostic::at(
                        source,
                        base + offset..base + offset + 1,
                        format!("the body is not valid JSON: {e}"),
                    )
                    .with_help("bodies are JSON text inside a TOML literal string ('''...''')"),
                );
                None
            }
        });
    let auth = match raw.auth.as_ref().map(|a| a.get_ref().as_str()) {
        None | Some("bearer") => Auth::Bearer,
        Some("none") => Auth::None,
        Some("wrong-token") => Auth::WrongToken,
        Some(other) => {
            let a = raw.auth.as_ref().expect("matched Some");
            errors.push(
                Diagnostic::at(source, a.span(), format!("unknown auth `{other}`"))
                    .with_help(did_you_mean(other, &["bearer", "none", "wrong-token"])),
            );
            Auth::Bearer
        }
    };
    let returns = raw.returns.as_ref().map(|r| {
        if !known.schemas.contains(&r.get_ref().as_str()) {
            errors.push(
                Diagnostic::at(
                    source,
                    r.span(),
                    format!("unknown schema `{}`", r.get_ref()),
                )
                .with_help(did_you_mean(r.get_ref(), known.schemas)),
            );
        }
        r.get_ref().clone()
    });
    if errors.len() > before {
        return None;
    }
    Some(RequestTemplate {
        method,
        path: path?,
        headers,
        body,
        auth,
        returns,
        span,
    })
}

/// Every variable a request template reads.
pub(super) fn request_names(r: &RequestTemplate) -> Vec<String> {
    let mut names: Vec<String> = r.path.names().map(String::from).collect();
    for (_, h) in &r.headers {
        names.extend(h.names().map(String::from));
    }
    if let Some(b) = &r.body {
        let _ = template::json_names(b, &mut names);
    }
    names
}
