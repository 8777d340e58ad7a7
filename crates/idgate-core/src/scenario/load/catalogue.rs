//! The check catalogue (`checks.toml`): every check id a scenario may name.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::super::model::{CheckMeta, Severity};
use super::raw;
use super::toml::toml_error;
use crate::diagnostic::{Diagnostic, Source, did_you_mean};

pub(super) fn load_catalogue(
    source: &Arc<Source>,
    out: &mut BTreeMap<String, CheckMeta>,
    errors: &mut Vec<Diagnostic>,
) {
    let raw: raw::Catalogue = match toml::from_str(&source.text) {
        Ok(r) => r,
        Err(e) => return errors.push(toml_error(source, e)),
    };
    for c in raw.check {
        let c = c.into_inner();
        let severity = match Severity::parse(c.severity.get_ref()) {
            Some(s) => s,
            None => {
                let other = c.severity.get_ref();
                errors.push(
                    Diagnostic::at(
                        source,
                        c.severity.span(),
                        format!("unknown severity `{other}`"),
                    )
                    .with_help(did_you_mean(other, Severity::NAMES)),
                );
                continue;
            }
        };
        let id = c.id.get_ref().clone();
        if out.contains_key(&id) {
            errors.push(Diagnostic::at(
                source,
                c.id.span(),
                format!("check `{id}` is defined twice"),
            ));
        }
        out.insert(
            id.clone(),
            CheckMeta {
                id,
                title: c.title,
                severity,
                rule: c.rule,
                builtin: c.builtin,
            },
        );
    }
}
