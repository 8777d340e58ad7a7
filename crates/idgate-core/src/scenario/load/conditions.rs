//! What a scenario or step depends on: the optional features the target
//! advertises (`requires`, `when`), and the checks that must have passed
//! before (`needs`). Every name is checked here, with a suggestion.

use std::collections::BTreeMap;
use std::sync::Arc;

use toml::Spanned;

use super::super::model::{CheckMeta, Condition, FEATURES};
use super::raw::OneOrMany;
use crate::diagnostic::{Diagnostic, Source, did_you_mean};

/// A feature name, known to idgate.
pub(super) fn feature(
    source: &Arc<Source>,
    name: &Spanned<String>,
    errors: &mut Vec<Diagnostic>,
) -> Option<String> {
    let n = name.get_ref();
    if FEATURES.contains(&n.as_str()) {
        Some(n.clone())
    } else {
        errors.push(
            Diagnostic::at(source, name.span(), format!("unknown feature `{n}`")).with_help(
                format!(
                    "{} (the optional features of /ServiceProviderConfig)",
                    did_you_mean(n, FEATURES)
                ),
            ),
        );
        None
    }
}

/// The names of a one-or-many value, each with the value's span; a value of
/// another type is an error.
fn items(
    source: &Arc<Source>,
    value: &OneOrMany,
    field: &str,
    errors: &mut Vec<Diagnostic>,
) -> Vec<Spanned<String>> {
    let span = value.span();
    let one = |v: &toml::Value| {
        v.as_str()
            .map(|s| Spanned::new(span.clone(), s.to_string()))
    };
    let found = match value.get_ref() {
        toml::Value::Array(a) => a.iter().map(one).collect::<Option<Vec<_>>>(),
        v => one(v).map(|s| vec![s]),
    };
    found.unwrap_or_else(|| {
        errors.push(
            Diagnostic::at(
                source,
                span.clone(),
                format!("`{field}` is a name or a list of names"),
            )
            .with_help(format!(
                "e.g. {field} = \"sort\" or {field} = [\"filter\", \"!sort\"]"
            )),
        );
        Vec::new()
    })
}

/// `when = "sort"` or `when = ["filter", "!sort"]`.
pub(super) fn conditions(
    source: &Arc<Source>,
    when: Option<&OneOrMany>,
    errors: &mut Vec<Diagnostic>,
) -> Vec<Condition> {
    let Some(when) = when else {
        return Vec::new();
    };
    items(source, when, "when", errors)
        .into_iter()
        .filter_map(|item| {
            let (advertised, name) = match item.get_ref().strip_prefix('!') {
                Some(rest) => (false, rest.to_string()),
                None => (true, item.get_ref().clone()),
            };
            let spanned = Spanned::new(item.span(), name);
            feature(source, &spanned, errors).map(|feature| Condition {
                feature,
                advertised,
            })
        })
        .collect()
}

/// `needs = "rfc7644.create.201"` or a list: checks of the catalogue.
pub(super) fn needs(
    source: &Arc<Source>,
    needs: Option<&OneOrMany>,
    checks: &BTreeMap<String, CheckMeta>,
    errors: &mut Vec<Diagnostic>,
) -> Vec<String> {
    let Some(needs) = needs else {
        return Vec::new();
    };
    let names: Vec<&str> = checks.keys().map(String::as_str).collect();
    items(source, needs, "needs", errors)
        .into_iter()
        .filter_map(|item| {
            let id = item.get_ref();
            if checks.contains_key(id) {
                Some(id.clone())
            } else {
                errors.push(
                    Diagnostic::at(source, item.span(), format!("unknown check `{id}`")).with_help(
                        format!(
                            "{} (a step or an expectation needs checks that ran before it)",
                            did_you_mean(id, &names)
                        ),
                    ),
                );
                None
            }
        })
        .collect()
}
