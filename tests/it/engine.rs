//! The scenario engine's ways on when something fails or is not there: steps
//! and scenarios for features the target does not advertise are skipped with
//! the reason, a check whose precondition failed is skipped (never failed on
//! top of it), and a refused payload falls back to another so the scenario
//! goes on.

use idgate::http::ClientOptions;
use idgate::result::Outcome;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

use crate::common;
use crate::stub::scim_json;

/// A target whose ServiceProviderConfig advertises `filter` and nothing else optional.
async fn target() -> MockServer {
    let server = MockServer::start().await;
    let spc = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch":{"supported":false},"bulk":{"supported":false},"filter":{"supported":true,"maxResults":100},
        "changePassword":{"supported":false},"sort":{"supported":false},"etag":{"supported":false},
        "authenticationSchemes":[]});
    Mock::given(method("GET"))
        .and(path("/ServiceProviderConfig"))
        .respond_with(scim_json(200, spc))
        .mount(&server)
        .await;
    let list = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[]});
    Mock::given(method("GET"))
        .and(path("/Users"))
        .respond_with(scim_json(200, list))
        .mount(&server)
        .await;
    server
}

const HEAD: &str = r#"name = "stub"
[vars]
user_name = "x@y.test"
"#;

const MATCH_STEP: &str = r#"
[[steps]]
name = "match"
send = "match-user-by-username"
[[steps.expect]]
check = "scim.filter.username-eq"
status = 200
"#;

#[tokio::test]
async fn a_scenario_for_a_feature_not_advertised_is_skipped_with_the_reason() {
    let server = target().await;
    let suite = common::suite_with(&format!("requires = [\"sort\"]\n{HEAD}{MATCH_STEP}"));
    let r = common::run_one(
        &suite,
        "entra-2020",
        &server.uri(),
        ClientOptions::default(),
    )
    .await;
    let (outcome, detail) = common::outcome_of(&r, "scim.filter.username-eq");
    assert_eq!(outcome, Outcome::Skip, "{detail}");
    assert!(detail.contains("does not advertise `sort`"), "{detail}");
    assert!(detail.contains("sort.supported"), "{detail}");
}

#[tokio::test]
async fn a_step_runs_only_when_its_condition_on_the_advertisement_holds() {
    let server = target().await;
    let suite = common::suite_with(&format!(
        "{HEAD}{}{}",
        MATCH_STEP.replace("send =", "when = \"filter\"\nsend ="),
        MATCH_STEP
            .replace("name = \"match\"", "name = \"match without filter\"")
            .replace("send =", "when = \"!filter\"\nsend =")
    ));
    let r = common::run_one(
        &suite,
        "entra-2020",
        &server.uri(),
        ClientOptions::default(),
    )
    .await;
    assert_eq!(r.steps[0].checks.last().unwrap().outcome, Outcome::Pass);
    let skipped = &r.steps[1];
    assert_eq!(skipped.checks[0].outcome, Outcome::Skip);
    assert!(
        skipped
            .reason
            .as_deref()
            .unwrap()
            .contains("advertises `filter`"),
        "{skipped:?}"
    );
}

#[tokio::test]
async fn a_check_whose_precondition_failed_is_skipped_not_failed() {
    let server = MockServer::start().await;
    let err = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","detail":"no"});
    Mock::given(method("POST"))
        .and(path("/Users"))
        .respond_with(scim_json(400, err))
        .mount(&server)
        .await;
    let suite = common::suite_with(
        r#"name = "stub"
[vars]
user_name = "x@y.test"
external_id = "e1"
email = "x@y.test"
given_name = "X"
family_name = "Y"
[[steps]]
name = "create"
send = "create-user"
[[steps.expect]]
check = "scim.create.201"
status = 201
[[steps.expect]]
check = "scim.create.location"
needs = "scim.create.201"
headers = { location = { exists = true } }

[[steps]]
name = "create it again"
send = "create-user"
needs = "scim.create.201"
[[steps.expect]]
check = "scim.create.duplicate-409"
status = 409
"#,
    );
    let r = common::run_one(
        &suite,
        "entra-2020",
        &server.uri(),
        ClientOptions::default(),
    )
    .await;
    assert_eq!(common::outcome_of(&r, "scim.create.201").0, Outcome::Fail);
    let (o, detail) = common::outcome_of(&r, "scim.create.location");
    assert_eq!(
        o,
        Outcome::Skip,
        "a Location is not asked of a 400: {detail}"
    );
    assert!(
        detail.contains("needs `scim.create.201`, which failed at step `create`"),
        "{detail}"
    );
    let (o, detail) = common::outcome_of(&r, "scim.create.duplicate-409");
    assert_eq!(o, Outcome::Skip, "{detail}");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "the second create was never sent"
    );
}

#[tokio::test]
async fn a_refused_payload_falls_back_so_the_scenario_goes_on() {
    let server = MockServer::start().await;
    let err = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidValue","detail":"no roles"});
    Mock::given(method("POST"))
        .and(path("/Users"))
        .respond_with(scim_json(400, err))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let user = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u9","userName":"x@y.test"});
    Mock::given(method("POST"))
        .and(path("/Users"))
        .respond_with(scim_json(201, user.clone()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Users/u9"))
        .respond_with(scim_json(200, user))
        .mount(&server)
        .await;
    let suite = common::suite_with(
        r#"name = "stub"
[vars]
user_name = "x@y.test"
external_id = "e1"
email = "x@y.test"
given_name = "X"
family_name = "Y"
[[steps]]
name = "create"
send = "create-user"
fallback = "create-user-no-email"
capture = { user_id = "/id" }
[[steps.expect]]
check = "scim.create.201"
status = 201

[[steps]]
name = "read"
send = "get-user"
[[steps.expect]]
check = "scim.create.stored-as-sent"
status = 200
"#,
    );
    let r = common::run_one(
        &suite,
        "entra-2020",
        &server.uri(),
        ClientOptions::default(),
    )
    .await;
    // The refusal is the one finding; the read still tests its own rule.
    assert_eq!(common::outcome_of(&r, "scim.create.201").0, Outcome::Fail);
    assert_eq!(
        common::outcome_of(&r, "scim.create.stored-as-sent").0,
        Outcome::Pass
    );
    let note = r.steps[0].fallback.as_deref().unwrap();
    assert!(
        note.contains("answered 400") && note.contains("create-user-no-email"),
        "{note}"
    );
}

/// A server that stamps `meta.lastModified` in whole seconds, from its clock at each write.
struct WholeSeconds;

impl wiremock::Respond for WholeSeconds {
    fn respond(&self, _: &wiremock::Request) -> wiremock::ResponseTemplate {
        let now = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        scim_json(
            200,
            json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1",
                "userName":"x@y.test","meta":{"lastModified": now}}),
        )
    }
}

/// `pause_if_whole_seconds` keeps the pause for a server whose timestamps have whole seconds
/// (without it, a write a moment later could not change lastModified, and the check would
/// blame the server for idgate's haste); the reference target's have fractions, and go on.
#[tokio::test]
async fn a_pause_for_whole_second_timestamps_is_kept_for_such_a_server() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(WholeSeconds)
        .mount(&server)
        .await;
    let scenario = r#"name = "stub"
clients = ["rfc7644"]
[[steps]]
name = "read"
request = { method = "GET", path = "/Users/u1" }
capture = { modified = "/meta/lastModified" }
[[steps.expect]]
check = "rfc7644.create.201"
status = 200
[[steps]]
name = "write"
pause_ms = 1100
pause_if_whole_seconds = "{{modified}}"
request = { method = "PUT", path = "/Users/u1", body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x@y.test"}' }
[[steps.expect]]
check = "rfc7644.meta.last-modified-changes"
json = { "/meta/lastModified" = { not = "{{modified}}" } }
"#;
    let suite = common::suite_with(scenario);
    let r = common::run_one(&suite, "rfc7644", &server.uri(), ClientOptions::default()).await;
    let (outcome, detail) = common::outcome_of(&r, "rfc7644.meta.last-modified-changes");
    assert_eq!(outcome, Outcome::Pass, "{detail}");
}
