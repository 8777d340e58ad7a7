//! Client profiles (`clients/*.toml`): the requests one SCIM client sends.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::super::model::Client;
use super::Known;
use super::raw;
use super::request::request;
use super::toml::{span_of, toml_error};
use crate::diagnostic::{Diagnostic, Source};

pub(super) fn load_client(
    source: &Arc<Source>,
    known: &Known,
    errors: &mut Vec<Diagnostic>,
) -> Option<Client> {
    let raw: raw::Client = match toml::from_str(&source.text) {
        Ok(r) => r,
        Err(e) => {
            errors.push(toml_error(source, e));
            return None;
        }
    };
    let mut actions = BTreeMap::new();
    for (name, req) in raw.actions {
        let span = span_of(source, &req);
        if let Some(r) = request(source, span, req.into_inner(), known, errors) {
            actions.insert(name, r);
        }
    }
    Some(Client {
        name: raw.name.into_inner(),
        description: raw.description,
        headers: raw.headers.into_iter().collect(),
        content_type: raw.content_type,
        actions,
    })
}
