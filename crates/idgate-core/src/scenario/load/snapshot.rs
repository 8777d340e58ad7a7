//! `snapshot = "..."` expectations: the snapshot's name, redactions and headers.

use std::sync::Arc;

use super::super::model::SnapshotSpec;
use super::raw;
use crate::diagnostic::{Diagnostic, Source};

/// A name that is safe in a file name and cannot be confused with the `__`
/// separators of `<scenario>__<client>__<name>.snap`.
pub fn is_snapshot_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains("__")
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

pub(super) fn snapshot_spec(
    source: &Arc<Source>,
    raw: &raw::Expect,
    errors: &mut Vec<Diagnostic>,
) -> Option<SnapshotSpec> {
    let Some(name) = &raw.snapshot else {
        for (field, list) in [
            ("redact", &raw.redact),
            ("snapshot_headers", &raw.snapshot_headers),
        ] {
            if let Some(first) = list.first() {
                errors.push(
                    Diagnostic::at(
                        source,
                        first.span(),
                        format!("`{field}` only applies to a snapshot"),
                    )
                    .with_help("name the snapshot too: snapshot = \"<name>\""),
                );
            }
        }
        return None;
    };
    if !is_snapshot_name(name.get_ref()) {
        errors.push(
            Diagnostic::at(
                source,
                name.span(),
                format!("`{}` cannot name a snapshot file", name.get_ref()),
            )
            .with_help("use letters, digits, `-`, `_` and `.` (not `__`), e.g. \"read-user\""),
        );
    }
    let mut redact = Vec::new();
    for r in &raw.redact {
        if !r.get_ref().starts_with('/') {
            errors.push(
                Diagnostic::at(source, r.span(), format!("`{}` is not a selector", r.get_ref()))
                    .with_help("a selector is a JSON pointer into the body, `*` for any key or index: \"/name/givenName\", \"/Resources/*/id\""),
            );
        }
        redact.push(r.get_ref().clone());
    }
    let mut headers: Vec<String> = Vec::new();
    for h in &raw.snapshot_headers {
        let lower = h.get_ref().to_ascii_lowercase();
        let token = !lower.is_empty()
            && lower
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c));
        if !token {
            errors.push(Diagnostic::at(
                source,
                h.span(),
                format!("`{}` is not a header name", h.get_ref()),
            ));
        } else if crate::redact::is_secret_header(&lower) {
            errors.push(Diagnostic::at(
                source,
                h.span(),
                format!("`{lower}` carries credentials and is never written to a snapshot"),
            ));
        }
        if lower != "content-type" && !headers.contains(&lower) {
            headers.push(lower);
        }
    }
    Some(SnapshotSpec {
        name: name.get_ref().clone(),
        redact,
        headers,
    })
}
