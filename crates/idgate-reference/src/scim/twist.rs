//! Faults that are one wrong answer to one kind of request: "a 404 for an unknown schema
//! comes back 200", "the 409 lacks its scimType". The handlers stay correct; this layer
//! rewrites the exchange the way a server with that defect would answer it. Faults that
//! change what the server stores or matches live in the handlers instead.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::App;
use super::error::ScimError;
use crate::fault::Fault;

/// Bodies read to match a twist; the SCIM routes cap theirs lower.
const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// One kind of exchange and what the faulty server does to its answer.
pub struct Twist {
    /// The request method, or `*`.
    method: &'static str,
    /// The path below the SCIM base, segment by segment; `*` matches any one segment.
    path: &'static str,
    /// Only answers with this status are twisted.
    status: u16,
    /// Only requests whose body contains this text (empty: any body).
    body_has: &'static str,
    then: Then,
}

/// What happens to the answer.
enum Then {
    /// Another status; the body stays.
    Status(u16),
    /// A SCIM Error with this status and scimType instead of the answer.
    Refuse(u16, Option<&'static str>),
    /// The JSON body loses the value at this pointer.
    Drop(&'static str),
    /// The JSON body's value at this pointer becomes this JSON text.
    Set(&'static str, &'static str),
    /// The header is gone.
    DropHeader(&'static str),
    /// The header says this instead.
    SetHeader(&'static str, &'static str),
    /// No body, this status.
    Empty(u16),
}

const fn on(method: &'static str, path: &'static str, status: u16, then: Then) -> Twist {
    Twist {
        method,
        path,
        status,
        body_has: "",
        then,
    }
}

const fn sent(
    method: &'static str,
    path: &'static str,
    body_has: &'static str,
    status: u16,
    then: Then,
) -> Twist {
    Twist {
        method,
        path,
        status,
        body_has,
        then,
    }
}

const ENTERPRISE: &str = "/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The twist of a fault, if it is one.
fn twist(fault: Fault) -> Option<Twist> {
    use Then::*;
    Some(match fault {
        Fault::FilterUnadvertisedIgnored => on(
            "GET",
            "/ServiceProviderConfig",
            200,
            Set("/filter/supported", "false"),
        ),
        Fault::SpcFeatureMissing => on(
            "GET",
            "/ServiceProviderConfig",
            200,
            Drop("/changePassword"),
        ),
        Fault::SpcLimitsMissing => on(
            "GET",
            "/ServiceProviderConfig",
            200,
            Drop("/filter/maxResults"),
        ),
        Fault::SpcNoAuthSchemes => on(
            "GET",
            "/ServiceProviderConfig",
            200,
            Drop("/authenticationSchemes"),
        ),
        Fault::ResourceTypesNoGroup => on("GET", "/ResourceTypes", 200, Drop("/Resources/1")),
        Fault::UnknownSchema200 => on("GET", "/Schemas/*", 404, Status(200)),
        Fault::NoWwwAuthenticate => on("*", "/Users", 401, DropHeader("www-authenticate")),
        Fault::WwwAuthenticateBasic => on(
            "*",
            "/Users",
            401,
            SetHeader("www-authenticate", "Basic realm=\"scim\""),
        ),
        Fault::UnknownUser400 => on("GET", "/Users/*", 404, Refuse(400, Some("invalidValue"))),
        Fault::UnknownGroup400 => on("GET", "/Groups/*", 404, Refuse(400, Some("invalidValue"))),
        Fault::ErrorWithoutSchemas => on("GET", "/Users/*", 404, Drop("/schemas")),
        Fault::UnsupportedMethod404 => on("DELETE", "/Users", 405, Refuse(404, None)),
        Fault::SpcPatchable => on("PATCH", "/ServiceProviderConfig", 405, Empty(204)),
        Fault::UnknownEndpoint200 => on("GET", "/*", 404, Status(200)),
        Fault::CreateReturns200 => on("POST", "/Users", 201, Status(200)),
        Fault::CreateWithoutSchemas => on("POST", "/Users", 201, Drop("/schemas")),
        Fault::CreateWithoutLastModified => on("POST", "/Users", 201, Drop("/meta/lastModified")),
        Fault::ActiveAsString => on("POST", "/Users", 201, Set("/active", "\"true\"")),
        Fault::ExtensionDropped => on("POST", "/Users", 201, Drop(ENTERPRISE)),
        Fault::ReadWithoutUserName => on("GET", "/Users/*", 200, Drop("/userName")),
        Fault::LocationDiffers => on(
            "GET",
            "/Users/*",
            200,
            Set("/meta/location", "\"/scim/v2/Users/elsewhere\""),
        ),
        Fault::CreatedMoves => on(
            "GET",
            "/Users/*",
            200,
            Set("/meta/created", "\"2001-01-01T00:00:00Z\""),
        ),
        Fault::ConflictWithoutScimType => on("POST", "/Users", 409, Drop("/scimType")),
        Fault::MissingUserNameAccepted => {
            sent("POST", "/Users", "\"displayName\"", 400, Empty(201))
        }
        Fault::PasswordReturned => sent(
            "POST",
            "/Users",
            "\"password\"",
            201,
            Set("/password", "\"t0p-secret\""),
        ),
        Fault::FilterErrorWrongType => {
            on("GET", "/Users", 400, Set("/scimType", "\"invalidSyntax\""))
        }
        Fault::ReplaceRefused => sent(
            "PATCH",
            "/Users/*",
            "\"replace\"",
            200,
            Refuse(400, Some("invalidSyntax")),
        ),
        Fault::ChangePasswordRefused => sent(
            "PATCH",
            "/Users/*",
            "\"password\"",
            200,
            Refuse(400, Some("mutability")),
        ),
        Fault::Patch200WithoutBody => on("PATCH", "/Users/*", 200, Set("", "{}")),
        Fault::AddRefused => sent(
            "PATCH",
            "/Users/*",
            "\"op\":\"add\"",
            200,
            Refuse(400, Some("invalidSyntax")),
        ),
        Fault::UrnPathRefused => sent(
            "PATCH",
            "/Users/*",
            "\"path\":\"urn:",
            200,
            Refuse(400, Some("invalidPath")),
        ),
        Fault::ValuePathRefused => sent(
            "PATCH",
            "/Users/*",
            "[type eq",
            200,
            Refuse(400, Some("invalidPath")),
        ),
        Fault::JsonBooleanRefused => sent(
            "PATCH",
            "/Users/*",
            "\"value\":false",
            200,
            Refuse(400, Some("invalidValue")),
        ),
        Fault::RemoveRefused => sent(
            "PATCH",
            "/Users/*",
            "\"op\":\"remove\"",
            200,
            Refuse(400, Some("invalidSyntax")),
        ),
        Fault::NoTargetWrongType => on(
            "PATCH",
            "/Users/*",
            400,
            Set("/scimType", "\"invalidValue\""),
        ),
        Fault::MutabilityWrongType => sent(
            "PATCH",
            "/Users/*",
            "\"path\":\"id\"",
            400,
            Set("/scimType", "\"invalidValue\""),
        ),
        Fault::PatchUnknownId400 => on("PATCH", "/Users/*", 404, Refuse(400, Some("invalidValue"))),
        Fault::PutReturns204 => on("PUT", "/Users/*", 200, Empty(204)),
        Fault::PutUnknownId400 => on("PUT", "/Users/*", 404, Refuse(400, Some("invalidValue"))),
        Fault::GroupCreateDropsMembers => on("POST", "/Groups", 201, Drop("/members")),
        Fault::GroupWithoutCreated => on("POST", "/Groups", 201, Drop("/meta/created")),
        Fault::UserGroupsEmpty => on("GET", "/Users/*", 200, Set("/groups", "[]")),
        Fault::Search500 => on("POST", "/Users/.search", 200, Refuse(500, None)),
        _ => return None,
    })
}

impl Twist {
    fn applies(&self, method: &str, path: &str, status: u16, body: &[u8]) -> bool {
        let segments = |p: &'static str| p.trim_matches('/').split('/');
        let given: Vec<&str> = path.trim_matches('/').split('/').collect();
        (self.method == "*" || self.method == method)
            && self.status == status
            && segments(self.path).count() == given.len()
            && segments(self.path)
                .zip(&given)
                .all(|(want, got)| want == "*" || want == *got)
            && (self.body_has.is_empty() || String::from_utf8_lossy(body).contains(self.body_has))
    }
}

/// The layer: sees each exchange and, when a switched-on twist names it, rewrites the answer.
pub async fn layer(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    // In catalogue order, so faults switched on together twist the same way every time.
    let twists: Vec<Twist> = Fault::ALL
        .iter()
        .filter(|f| app.faults.contains(f))
        .filter_map(|f| twist(*f))
        .collect();
    if twists.is_empty() {
        return next.run(request).await;
    }
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, BODY_LIMIT).await else {
        return ScimError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            "request body too large",
        )
        .into_response();
    };
    let mut response = next
        .run(Request::from_parts(parts, Body::from(body.clone())))
        .await;
    // Every twist that names the exchange, each on what the one before it left.
    for twist in &twists {
        let status = response.status().as_u16();
        if twist.applies(&method, &path, status, &body) {
            response = twist.then.apply(response).await;
        }
    }
    response
}

impl Then {
    async fn apply(&self, response: Response) -> Response {
        let (mut parts, body) = response.into_parts();
        match self {
            Then::Status(status) => {
                parts.status = code(*status);
                Response::from_parts(parts, body)
            }
            Then::Refuse(status, scim_type) => {
                ScimError::new(code(*status), *scim_type, "refused").into_response()
            }
            Then::Empty(status) => code(*status).into_response(),
            Then::DropHeader(name) => {
                parts.headers.remove(*name);
                Response::from_parts(parts, body)
            }
            Then::SetHeader(name, value) => {
                parts.headers.insert(*name, HeaderValue::from_static(value));
                Response::from_parts(parts, body)
            }
            Then::Drop(pointer) | Then::Set(pointer, _) => {
                let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
                    return code(500).into_response();
                };
                let mut json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                let new = match self {
                    Then::Set(_, text) => Some(serde_json::from_str(text).expect("twist JSON")),
                    _ => None,
                };
                edit(&mut json, pointer, new);
                parts.headers.remove(header::CONTENT_LENGTH);
                Response::from_parts(parts, Body::from(json.to_string()))
            }
        }
    }
}

fn code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).expect("twist statuses are valid")
}

/// Sets (or with `None` removes) the value at a JSON pointer; `""` is the whole body.
fn edit(json: &mut Value, pointer: &str, new: Option<Value>) {
    if pointer.is_empty() {
        *json = new.unwrap_or(Value::Null);
        return;
    }
    let (parent, last) = pointer.rsplit_once('/').expect("pointers start with /");
    let Some(holder) = json.pointer_mut(parent) else {
        return;
    };
    match (holder, new) {
        (Value::Object(map), Some(v)) => {
            map.insert(last.to_string(), v);
        }
        (Value::Object(map), None) => {
            map.remove(last);
        }
        (Value::Array(items), None) => {
            if let Ok(i) = last.parse::<usize>()
                && i < items.len()
            {
                items.remove(i);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_match_segment_by_segment() {
        let t = on("GET", "/Users/*", 200, Then::Status(500));
        assert!(t.applies("GET", "/Users/abc", 200, b""));
        assert!(!t.applies("GET", "/Users", 200, b""));
        assert!(!t.applies("GET", "/Users/abc/x", 200, b""));
        assert!(!t.applies("PUT", "/Users/abc", 200, b""));
        assert!(!t.applies("GET", "/Users/abc", 404, b""));
        let t = sent("POST", "/Users", "\"password\"", 201, Then::Status(200));
        assert!(t.applies("POST", "/Users", 201, br#"{"password":"x"}"#));
        assert!(!t.applies("POST", "/Users", 201, br#"{"userName":"x"}"#));
    }

    #[test]
    fn edits_follow_the_pointer() {
        let mut v = json!({"a": {"b": 1}, "list": [1, 2, 3]});
        edit(&mut v, "/a/b", None);
        edit(&mut v, "/list/1", None);
        edit(&mut v, "/a/c", Some(json!("x")));
        edit(&mut v, "/missing/deep", Some(json!(1)));
        assert_eq!(v, json!({"a": {"c": "x"}, "list": [1, 3]}));
        edit(&mut v, "", Some(json!({})));
        assert_eq!(v, json!({}));
    }

    /// The table is data read at request time: a typo in it must fail here, not panic there.
    #[test]
    fn every_twist_is_well_formed_and_breaks_an_rfc7644_check() {
        let mut twisted = 0;
        for fault in Fault::ALL {
            let Some(t) = twist(*fault) else { continue };
            twisted += 1;
            assert!(fault.breaks().starts_with("rfc7644."), "{fault}");
            assert!(t.path.starts_with('/'), "{fault}: {}", t.path);
            assert!(StatusCode::from_u16(t.status).is_ok(), "{fault}");
            match t.then {
                Then::Status(c) | Then::Refuse(c, _) | Then::Empty(c) => {
                    assert!(StatusCode::from_u16(c).is_ok(), "{fault}")
                }
                Then::Set(pointer, text) => {
                    assert!(pointer.is_empty() || pointer.starts_with('/'), "{fault}");
                    assert!(
                        serde_json::from_str::<Value>(text).is_ok(),
                        "{fault}: {text}"
                    );
                }
                Then::Drop(pointer) => assert!(pointer.starts_with('/'), "{fault}"),
                Then::DropHeader(name) | Then::SetHeader(name, _) => {
                    assert!(
                        header::HeaderName::from_bytes(name.as_bytes()).is_ok(),
                        "{fault}"
                    )
                }
            }
        }
        assert!(twisted >= 40, "{twisted}");
    }
}
