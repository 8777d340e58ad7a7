//! Checks that no fault of the reference target breaks, shown failing
//! against wiremock stubs that break exactly their rule.

use crate::common;

use idgate::http::ClientOptions;
use idgate::result::Outcome;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

use crate::stub::{route as stub, scim_json};

fn raw_get(p: &str, returns: &str) -> String {
    format!(
        r#"name = "stub"
[[steps]]
name = "read"
request = {{ method = "GET", path = "{p}", returns = "{returns}" }}
"#
    )
}

/// Each builtin schema check fails on a body that breaks its schema.
#[tokio::test]
async fn schema_checks_fail_on_bodies_that_break_them() {
    let list = |item: serde_json::Value| json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"Resources":[item]});
    let cases = [
        (
            "scim.schema.user",
            "/Users/u1",
            "User",
            json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a"}),
        ),
        (
            "scim.schema.group",
            "/Groups/g1",
            "Group",
            json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1"}),
        ),
        (
            "scim.schema.list-response",
            "/Users",
            "ListResponse<User>",
            json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"Resources":[]}),
        ),
        (
            "scim.schema.service-provider-config",
            "/ServiceProviderConfig",
            "ServiceProviderConfig",
            json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]}),
        ),
        (
            "scim.schema.resource-type",
            "/ResourceTypes/User",
            "ResourceType",
            json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],"name":"User"}),
        ),
        (
            "scim.schema.schema",
            "/Schemas/urn:x",
            "Schema",
            json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Schema"],"name":"User"}),
        ),
        // An item that breaks its schema fails the list's check, pointing into Resources.
        (
            "scim.schema.list-response",
            "/Groups",
            "ListResponse<Group>",
            list(json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g"})),
        ),
    ];
    for (id, p, returns, body) in cases {
        let server = stub("GET", p, scim_json(200, body)).await;
        let suite = common::suite_with(&raw_get(p, returns));
        let r = common::run_one(
            &suite,
            "entra-2020",
            &server.uri(),
            ClientOptions::default(),
        )
        .await;
        let (outcome, detail) = common::outcome_of(&r, id);
        assert_eq!(outcome, Outcome::Fail, "{id}: {detail}");
    }
}

#[tokio::test]
async fn update_accepted_fails_when_the_patch_is_refused() {
    let server = stub(
        "PATCH",
        "/Users/u1",
        scim_json(400, json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","detail":"no"})),
    )
    .await;
    // The shipped update step alone, on a user that exists.
    let text = common::shipped_steps(
        "entra/04-users.toml",
        "update displayName",
        "read the updated user",
        "user_id = \"u1\"",
    );
    let suite = common::suite_with(&text);
    let r = common::run_one(
        &suite,
        "entra-2020",
        &server.uri(),
        ClientOptions::default(),
    )
    .await;
    let (outcome, detail) = common::outcome_of(&r, "scim.patch.update-accepted");
    assert_eq!(outcome, Outcome::Fail, "{detail}");
    // The op-casing check is the legacy dialect's alone: it is not even made here.
    assert!(
        r.checks()
            .all(|(_, c)| c.id != "scim.patch.op-case-insensitive"),
        "{:?}",
        r.checks().map(|(_, c)| &c.id).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn disable_accepted_fails_when_the_patch_is_refused() {
    let server = stub(
        "PATCH",
        "/Users/u1",
        scim_json(400, json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","detail":"no"})),
    )
    .await;
    let suite = common::suite_with(
        r#"name = "stub"
[vars]
user_id = "u1"
[[steps]]
name = "disable"
send = "disable-user"
[[steps.expect]]
check = "scim.disable.accepted"
status = [200, 204]
"#,
    );
    let r = common::run_one(
        &suite,
        "entra-2020",
        &server.uri(),
        ClientOptions::default(),
    )
    .await;
    let (outcome, detail) = common::outcome_of(&r, "scim.disable.accepted");
    assert_eq!(outcome, Outcome::Fail, "{detail}");
    assert!(detail.contains("status 400 (no)"), "{detail}");
}

/// A server that answers 200 to the update but stores nothing.
#[tokio::test]
async fn replace_applied_fails_when_the_update_is_not_stored() {
    let server = MockServer::start().await;
    let user = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"a","displayName":"Old"});
    Mock::given(method("PATCH"))
        .and(path("/Users/u1"))
        .respond_with(scim_json(200, user.clone()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Users/u1"))
        .respond_with(scim_json(200, user))
        .mount(&server)
        .await;
    // The shipped expectations of the update and the read that follows, on a user that exists.
    let text = common::shipped_steps(
        "entra/04-users.toml",
        "update displayName",
        "add a nickName",
        "user_id = \"u1\"",
    );
    let suite = common::suite_with(&text);
    let r = common::run_one(
        &suite,
        "entra-legacy",
        &server.uri(),
        ClientOptions::default(),
    )
    .await;
    let (outcome, detail) = common::outcome_of(&r, "scim.patch.replace-applied");
    assert_eq!(outcome, Outcome::Fail, "{detail}");
    assert!(detail.contains("/displayName"), "{detail}");
}

/// A 405 without the Allow header RFC 9110 §15.5.6 requires; the reference always sends it.
#[tokio::test]
async fn allow_header_fails_when_a_405_names_no_methods() {
    let error = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"405"});
    let text = common::shipped_steps(
        "rfc7644/02-auth-and-errors.toml",
        "delete the /Users collection itself",
        "PATCH /ServiceProviderConfig, which is read-only",
        "",
    );
    let suite = common::suite_with(&text);
    for (allow, wanted) in [(None, Outcome::Fail), (Some("GET, POST"), Outcome::Pass)] {
        let mut answer = scim_json(405, error.clone());
        if let Some(allow) = allow {
            answer = answer.insert_header("Allow", allow);
        }
        let server = stub("DELETE", "/Users", answer).await;
        let r = common::run_one(&suite, "rfc7644", &server.uri(), ClientOptions::default()).await;
        let (outcome, detail) = common::outcome_of(&r, "rfc7644.errors.allow-header");
        assert_eq!(outcome, wanted, "Allow {allow:?}: {detail}");
    }
}

/// A server that advertises Bulk: a BulkResponse that does not report the create fails the
/// check; one that does passes, and the user it made is deleted by the ledger.
#[tokio::test]
async fn bulk_is_tested_where_advertised_and_what_it_creates_is_deleted() {
    let text = common::shipped_steps(
        "rfc7644/09-optional.toml",
        "create two users",
        "who am I (/Me)",
        "",
    );
    let suite = common::suite_with(&text);
    let spc = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch":{"supported":true},"bulk":{"supported":true,"maxOperations":10,"maxPayloadSize":100000},
        "filter":{"supported":false,"maxResults":0},"changePassword":{"supported":false},
        "sort":{"supported":false},"etag":{"supported":false},"authenticationSchemes":[]});
    let user = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"a",
        "meta":{"resourceType":"User","created":"2026-01-01T00:00:00Z","lastModified":"2026-01-01T00:00:00Z","location":"/Users/u1","version":"W/\"1\""}});
    let ok = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkResponse"],
        "Operations":[{"method":"POST","bulkId":"idgate1","status":"201","location":"http://x/scim/v2/Users/b1"}]});
    let refused = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkResponse"],
        "Operations":[{"method":"POST","bulkId":"idgate1","status":"400"}]});
    for (bulk, wanted) in [(refused, Outcome::Fail), (ok, Outcome::Pass)] {
        let server = MockServer::start().await;
        for (m, p, answer) in [
            ("GET", "/ServiceProviderConfig", scim_json(200, spc.clone())),
            ("POST", "/Users", scim_json(201, user.clone())),
            ("POST", "/Bulk", scim_json(200, bulk)),
            ("DELETE", "/Users/u1", wiremock::ResponseTemplate::new(204)),
            ("DELETE", "/Users/b1", wiremock::ResponseTemplate::new(204)),
        ] {
            Mock::given(method(m))
                .and(path(p))
                .respond_with(answer)
                .mount(&server)
                .await;
        }
        let r = common::run_one(&suite, "rfc7644", &server.uri(), ClientOptions::default()).await;
        let (outcome, detail) = common::outcome_of(&r, "rfc7644.bulk.200");
        assert_eq!(outcome, wanted, "{detail}");
        let deleted: Vec<String> = server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|q| q.method.as_str() == "DELETE")
            .map(|q| q.url.path().to_string())
            .collect();
        let mut want = vec!["/Users/u1".to_string()];
        if wanted == Outcome::Pass {
            want.push("/Users/b1".to_string());
        }
        want.sort();
        let mut deleted = deleted;
        deleted.sort();
        // Both creates of the stub answer u1; it is deleted once per create.
        deleted.dedup();
        assert_eq!(deleted, want, "the ledger deletes exactly what was created");
    }
}
