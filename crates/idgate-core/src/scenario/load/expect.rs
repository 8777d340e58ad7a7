//! Expectations of a step: which check, for which clients, and what it tests.

use std::collections::BTreeMap;
use std::sync::Arc;

use indexmap::IndexMap;
use toml::Spanned;

use super::super::model::{CheckMeta, Expect};
use super::predicate::{predicate, predicate_names};
use super::raw;
use super::scope::Scope;
use super::snapshot::snapshot_spec;
use super::toml::span_of;
use crate::diagnostic::{Diagnostic, Source, did_you_mean};

pub(super) fn expect(
    source: &Arc<Source>,
    e: &Spanned<raw::Expect>,
    checks: &BTreeMap<String, CheckMeta>,
    check_names: &[&str],
    scope: &Scope,
    scenario_clients: &[String],
    errors: &mut Vec<Diagnostic>,
) -> Option<Expect> {
    let before = errors.len();
    let raw = e.get_ref();
    let id = raw.check.get_ref();
    if !checks.contains_key(id) {
        errors.push(
            Diagnostic::at(source, raw.check.span(), format!("unknown check `{id}`")).with_help(
                format!(
                    "{} (checks are listed in scenarios/checks.toml and by `idgate list`)",
                    did_you_mean(id, check_names)
                ),
            ),
        );
    }
    let mut clients = Vec::new();
    for c in &raw.clients {
        if !scenario_clients.contains(c.get_ref()) {
            let names: Vec<&str> = scenario_clients.iter().map(String::as_str).collect();
            errors.push(
                Diagnostic::at(
                    source,
                    c.span(),
                    format!("`{}` is not a client of this scenario", c.get_ref()),
                )
                .with_help(did_you_mean(c.get_ref(), &names)),
            );
        }
        clients.push(c.get_ref().clone());
    }
    let status = raw.status.as_ref().map(|s| match s.get_ref() {
        raw::Status::One(n) => vec![*n],
        raw::Status::Many(v) => v.clone(),
    });
    if let Some(s) = &raw.status
        && status
            .as_ref()
            .is_some_and(|v| v.iter().any(|n| !(100..=599).contains(n)))
    {
        errors.push(Diagnostic::at(
            source,
            s.span(),
            "an HTTP status is between 100 and 599",
        ));
    }
    let verdict = match raw.verdict.as_ref().map(|v| v.get_ref().as_str()) {
        None => None,
        Some("accept") => Some(true),
        Some("reject") => Some(false),
        Some(other) => {
            let v = raw.verdict.as_ref().expect("matched");
            errors.push(
                Diagnostic::at(source, v.span(), format!("unknown verdict `{other}`"))
                    .with_help(did_you_mean(other, &["accept", "reject"])),
            );
            None
        }
    };
    let mut parse_preds = |table: &IndexMap<String, Spanned<toml::Value>>, is_json: bool| {
        let mut out = Vec::new();
        for (key, value) in table {
            if is_json && !key.is_empty() && !key.starts_with('/') {
                errors.push(
                    Diagnostic::at(
                        source,
                        value.span(),
                        format!("`{key}` is not a JSON pointer"),
                    )
                    .with_help(format!("write \"/{key}\": JSON pointers start with `/`")),
                );
                continue;
            }
            match predicate(value.get_ref()) {
                Ok(p) => {
                    let mut names = Vec::new();
                    predicate_names(&p, &mut names);
                    let names = names.iter().map(String::as_str);
                    scope.check(source, value.span(), None, names, errors);
                    out.push((key.clone(), p));
                }
                Err((msg, help)) => {
                    let mut d = Diagnostic::at(source, value.span(), msg);
                    if let Some(h) = help {
                        d = d.with_help(h);
                    }
                    errors.push(d);
                }
            }
        }
        out
    };
    let headers = parse_preds(&raw.headers, false);
    let json = parse_preds(&raw.json, true);
    let snapshot = snapshot_spec(source, raw, errors);
    let needs = super::conditions::needs(source, raw.needs.as_ref(), checks, errors);
    let if_status = raw.if_status.as_ref().map(|s| match s.get_ref() {
        raw::Status::One(n) => vec![*n],
        raw::Status::Many(v) => v.clone(),
    });
    if errors.len() > before {
        return None;
    }
    Some(Expect {
        check: id.clone(),
        span: span_of(source, e),
        clients,
        status,
        verdict,
        headers,
        json,
        snapshot,
        needs,
        if_status,
    })
}
