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
