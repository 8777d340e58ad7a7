//! Checks idgate makes on every response without being asked: the media
//! type, and the body against the JSON schema of what was asked for (or of
//! the SCIM Error, for 4xx and 5xx answers).

use serde_json::Value;

use super::{Finding, excerpt, schema};
use crate::http::Received;

pub const CONTENT_TYPE: &str = "scim.response.content-type";

/// The check each response schema is validated under, by the name a request
/// `returns` (or `Error`, for every 4xx and 5xx answer).
pub const SCHEMA_CHECKS: &[(&str, &str)] = &[
    ("User", "scim.schema.user"),
    ("Group", "scim.schema.group"),
    ("Error", "scim.schema.error"),
    (
        "ServiceProviderConfig",
        "scim.schema.service-provider-config",
    ),
    ("ResourceType", "scim.schema.resource-type"),
    ("Schema", "scim.schema.schema"),
    ("ListResponse<User>", "scim.schema.list-response"),
    ("ListResponse<Group>", "scim.schema.list-response"),
    ("ListResponse<ResourceType>", "scim.schema.list-response"),
    ("ListResponse<Schema>", "scim.schema.list-response"),
];

/// The names a request may say it `returns`: those with a schema check.
pub fn response_schemas() -> Vec<&'static str> {
    SCHEMA_CHECKS.iter().map(|(name, _)| *name).collect()
}

/// RFC 7644 §3.1/§8.1: responses with a body are `application/scim+json`.
/// `None` when there is no body to type.
pub fn content_type(resp: &Received) -> Option<Finding> {
    if resp.body.trim().is_empty() {
        return None;
    }
    let want = "Content-Type application/scim+json";
    Some(match resp.header("content-type") {
        Some(ct)
            if ct
                .split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/scim+json")) =>
        {
            Finding::pass(want)
        }
        Some(ct) => Finding::fail(want, format!("Content-Type {ct}")),
        None => Finding::fail(want, "no Content-Type header"),
    })
}

/// The check a schema name is validated under; `None` for a name no response has.
pub fn schema_check_id(name: &str) -> Option<&'static str> {
    SCHEMA_CHECKS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, id)| *id)
}

/// Validate the body against `returns` (success) or `Error` (4xx/5xx).
/// `None` when there is nothing to validate: no schema named, or a success with no body.
pub fn schema_check(resp: &Received, returns: Option<&str>) -> Option<(String, Finding)> {
    let name = if resp.status >= 400 {
        "Error"
    } else {
        returns?
    };
    let id = schema_check_id(name)?.to_string();
    let expected = format!("a body following the {name} schema");
    if resp.body.trim().is_empty() {
        if resp.status >= 400 {
            return Some((
                id,
                Finding::fail(
                    expected,
                    format!("status {} with an empty body", resp.status),
                )
                .with_message("RFC 7644 §3.12: errors are returned as a SCIM Error JSON body"),
            ));
        }
        return None;
    }
    let body: Value = match serde_json::from_str(&resp.body) {
        Ok(v) => v,
        Err(e) => {
            let ct = resp.header("content-type").unwrap_or("no Content-Type");
            return Some((
                id,
                Finding::fail(
                    expected,
                    format!(
                        "a body that is not JSON ({ct}): {}",
                        excerpt(&resp.body, 120)
                    ),
                )
                .with_message(format!("JSON parse error: {e}")),
            ));
        }
    };
    Some(match schema::validate(name, &body) {
        Ok(()) => (id, Finding::pass(expected)),
        Err(violations) => {
            let actual = violations
                .iter()
                .map(|v| {
                    if v.pointer.is_empty() {
                        v.message.clone()
                    } else {
                        format!("{}: {}", v.pointer, v.message)
                    }
                })
                .collect::<Vec<_>>()
                .join("; ");
            (id, Finding::fail(expected, actual))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, ct: &str, body: &str) -> Received {
        Received {
            status,
            headers: vec![("content-type".into(), ct.into())],
            body: body.into(),
            cookies: vec![],
        }
    }

    #[test]
    fn content_type_accepts_parameters_and_rejects_plain_json() {
        assert!(
            content_type(&resp(200, "application/scim+json; charset=utf-8", "{}"))
                .unwrap()
                .passed
        );
        assert!(
            !content_type(&resp(200, "application/json", "{}"))
                .unwrap()
                .passed
        );
        assert!(content_type(&resp(204, "", "")).is_none());
    }

    #[test]
    fn schema_ids() {
        assert_eq!(
            schema_check_id("ListResponse<User>"),
            Some("scim.schema.list-response")
        );
        assert_eq!(
            schema_check_id("ServiceProviderConfig"),
            Some("scim.schema.service-provider-config")
        );
        assert_eq!(schema_check_id("PatchOp"), None);
        // Every name with a check is one the validator knows.
        for (name, _) in SCHEMA_CHECKS {
            assert!(super::schema::is_known(name), "{name}");
        }
    }

    #[test]
    fn html_error_page_fails_the_error_schema() {
        let (id, f) = schema_check(
            &resp(500, "text/html", "<html><body>Oops</body></html>"),
            Some("User"),
        )
        .unwrap();
        assert_eq!(id, "scim.schema.error");
        assert!(!f.passed);
        assert!(f.actual.contains("not JSON (text/html)"), "{}", f.actual);
    }

    #[test]
    fn integer_status_fails_the_error_schema() {
        let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":404}"#;
        let (_, f) = schema_check(&resp(404, "application/scim+json", body), None).unwrap();
        assert!(!f.passed);
        assert!(f.actual.contains("/status"), "{}", f.actual);
    }
}
