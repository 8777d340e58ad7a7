//! Wiremock stubs the tests share: a SCIM answer, one route, and the one-step
//! scenario that matches a user by userName.

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A scenario of one step, Entra's match by userName, expecting 200.
pub const MATCH: &str = r#"name = "stub"
[vars]
user_name = "x@y.test"
[[steps]]
name = "match"
send = "match-user-by-username"
[[steps.expect]]
check = "scim.filter.username-eq"
status = 200
"#;

/// A SCIM JSON answer.
pub fn scim_json(status: u16, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/scim+json")
}

/// A server answering `resp` to `m p`, and 404 to anything else.
pub async fn route(m: &str, p: &str, resp: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(m))
        .and(path(p))
        .respond_with(resp)
        .mount(&server)
        .await;
    server
}
