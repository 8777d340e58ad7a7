//! The reference SCIM server driven over HTTP: the requests Microsoft Entra ID sends (both PATCH
//! dialects, byte for byte from entra-requests.md), RFC 7644 behaviour, hostile input, and one
//! probe per fault showing the fault changes exactly the behaviour it names.

use idgate::reference::{self, Fault, ReferenceOptions, RunningReference};
use reqwest::Method;
use serde_json::{Value, json};

const TOKEN: &str = "test-token-5b0c";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const SCIM_UTF8: &str = "application/scim+json; charset=utf-8";

struct Server {
    running: RunningReference,
    client: reqwest::Client,
}

/// What came back, with the body parsed when it is JSON.
#[derive(Debug)]
struct Reply {
    status: u16,
    content_type: Option<String>,
    location: Option<String>,
    www_authenticate: Option<String>,
    allow: Option<String>,
    etag: Option<String>,
    text: String,
    json: Value,
}

impl Reply {
    /// `"<status> <scimType>"` of an Error body, after checking the body is a SCIM Error.
    fn error(&self) -> String {
        assert_eq!(
            self.json["schemas"],
            json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
            "{}",
            self.text
        );
        assert!(
            self.json["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{}",
            self.text
        );
        let status = self.json["status"]
            .as_str()
            .map_or_else(|| self.json["status"].to_string(), str::to_string);
        assert_eq!(status, self.status.to_string(), "{}", self.text);
        match self.json["scimType"].as_str() {
            Some(t) => format!("{} {t}", self.status),
            None => self.status.to_string(),
        }
    }

    fn total(&self) -> u64 {
        self.json["totalResults"]
            .as_u64()
            .unwrap_or_else(|| panic!("no totalResults in {}", self.text))
    }

    fn resources(&self) -> &Vec<Value> {
        self.json["Resources"]
            .as_array()
            .unwrap_or_else(|| panic!("no Resources in {}", self.text))
    }

    fn id(&self) -> String {
        self.json["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {}", self.text))
            .to_string()
    }
}

async fn serve(faults: &[Fault]) -> Server {
    let opts = ReferenceOptions {
        token: TOKEN.into(),
        faults: faults.to_vec(),
        ..ReferenceOptions::default()
    };
    let running = reference::start(opts)
        .await
        .expect("start the reference server");
    assert!(
        running.scim_base.starts_with("http://127.0.0.1:"),
        "{}",
        running.scim_base
    );
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    Server { running, client }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.scim_base)
    }

    /// Sends a request with the right token; `body` goes out as `application/scim+json; charset=utf-8`
    /// (what Entra sends).
    async fn send(&self, method: Method, path: &str, body: Option<&str>) -> Reply {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request
                .header("Content-Type", SCIM_UTF8)
                .body(body.to_string());
        }
        fetch(request).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: &str) -> Reply {
        self.send(Method::POST, path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: &str) -> Reply {
        self.send(Method::PATCH, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None).await
    }

    /// Creates a user and returns its id.
    async fn user(&self, user_name: &str) -> String {
        let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name, "active": true});
        let reply = self.post("/Users", &body.to_string()).await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        reply.id()
    }

    /// Creates a group (with the given member ids) and returns its id.
    async fn group(&self, name: &str, members: &[&str]) -> String {
        let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
        let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name, "members": members});
        let reply = self.post("/Groups", &body.to_string()).await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        reply.id()
    }

    async fn member_ids(&self, group: &str) -> Vec<String> {
        let reply = self.get(&format!("/Groups/{group}")).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let members = reply.json["members"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        members
            .iter()
            .map(|m| m["value"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

async fn fetch(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("request reaches the server");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (content_type, location, www_authenticate, allow, etag) = (
        header("content-type"),
        header("location"),
        header("www-authenticate"),
        header("allow"),
        header("etag"),
    );
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::Null)
    };
    Reply {
        status,
        content_type,
        location,
        www_authenticate,
        allow,
        etag,
        text,
        json,
    }
}

fn patch_body(ops: Value) -> String {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
        .to_string()
}

/// Entra's create-user request, as sent.
const ENTRA_USER: &str = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
 "externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
 "active":true,"emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b@testuser.test"}],
 "meta":{"resourceType":"User"},
 "name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},"roles":[]}"#;

/// Entra's create-group request, as sent.
const ENTRA_GROUP: &str = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
 "externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"displayName","meta":{"resourceType":"Group"}}"#;

#[tokio::test]
async fn entra_create_answers_201_with_the_resource_as_sent() {
    let s = serve(&[]).await;
    let created = s.post("/Users", ENTRA_USER).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.content_type.as_deref(),
        Some("application/scim+json")
    );
    let id = created.id();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    let meta = &created.json["meta"];
    assert_eq!(meta["resourceType"], "User");
    assert_eq!(meta["version"], "W/\"1\"");
    assert_eq!(meta["location"], s.url(&format!("/Users/{id}")));
    assert_eq!(created.location.as_deref(), meta["location"].as_str());
    for stamp in ["created", "lastModified"] {
        let text = meta[stamp].as_str().unwrap();
        assert!(
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .is_ok(),
            "{text}"
        );
    }
    let sent: Value = serde_json::from_str(ENTRA_USER).unwrap();
    for key in [
        "schemas",
        "externalId",
        "userName",
        "active",
        "emails",
        "name",
        "roles",
    ] {
        assert_eq!(created.json[key], sent[key], "{key}");
    }
    let read = s.get(&format!("/Users/{id}")).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json, created.json);

    let again = s.post("/Users", ENTRA_USER).await;
    assert_eq!(again.error(), "409 uniqueness");
    let shouting = ENTRA_USER.replace("Test_User_ab6490ee", "TEST_USER_AB6490EE");
    assert_eq!(
        s.post("/Users", &shouting).await.error(),
        "409 uniqueness",
        "userName uniqueness ignores case"
    );
}

#[tokio::test]
async fn entra_test_connection_and_matching() {
    let s = serve(&[]).await;
    let probe = s
        .get("/Users?filter=userName+eq+%2247b5b0b4-8bc4-4bd1-a7a7-1d1d2f0b5d0e%22")
        .await;
    assert_eq!(probe.status, 200);
    assert_eq!(
        probe.json,
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []})
    );
    let id = s.post("/Users", ENTRA_USER).await.id();
    let queries = [
        "/Users?filter=userName+eq+%22Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1%22",
        "/Users?filter=userName eq \"test_user_AB6490EE-1e48-479e-a20b-2d77186b5dd1\"",
        "/Users?filter=externalId+eq+%220a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef%22",
        "/Users?filter=emails%5Btype+eq+%22work%22%5D.value+eq+%22Test_User_fd0ea19b%40testuser.test%22",
        "/Users?filter=userName+eq+%22Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1%22+and+active+eq+true",
    ];
    for query in queries {
        let found = s.get(query).await;
        assert_eq!(
            (found.status, found.total()),
            (200, 1),
            "{query}: {}",
            found.text
        );
        assert_eq!(found.resources()[0]["id"], id.as_str());
        assert_eq!(found.json["startIndex"], 1);
        assert_eq!(found.json["itemsPerPage"], 1);
    }
    let exact = s
        .get("/Users?filter=externalId+eq+%220A21F0F2-8d2a-4f8e-bf98-7363c4aed4ef%22")
        .await;
    assert_eq!(exact.total(), 0, "externalId is caseExact");
}

#[tokio::test]
async fn entra_legacy_update() {
    let s = serve(&[]).await;
    let id = s.post("/Users", ENTRA_USER).await.id();
    let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
 {"op":"Replace","path":"displayName","value":"Pvlo"},
 {"op":"Replace","path":"emails[type eq \"work\"].value","value":"TestBcwqnm@test.test"},
 {"op":"Replace","path":"name.givenName","value":"Gtfd"},
 {"op":"Replace","path":"externalId","value":"Eqpj"},
 {"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"Eqpj"}]}"#;
    let updated = s.patch(&format!("/Users/{id}"), body).await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    let u = &updated.json;
    assert_eq!(u["displayName"], "Pvlo");
    assert_eq!(
        u["emails"],
        json!([{"primary": true, "type": "work", "value": "TestBcwqnm@test.test"}])
    );
    assert_eq!(u["name"]["givenName"], "Gtfd");
    assert_eq!(u["name"]["familyName"], "familyName");
    assert_eq!(u["externalId"], "Eqpj");
    assert_eq!(u[ENTERPRISE]["employeeNumber"], "Eqpj");
    assert_eq!(u["meta"]["version"], "W/\"2\"");
    assert_eq!(s.get(&format!("/Users/{id}")).await.json, updated.json);
}

#[tokio::test]
async fn entra_2020_update() {
    let s = serve(&[]).await;
    let id = s.post("/Users", ENTRA_USER).await.id();
    let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
 {"op":"replace","path":"emails[type eq \"work\"].value","value":"Kkom@test.test"},
 {"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua",
 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}]}"#;
    let updated = s.patch(&format!("/Users/{id}"), body).await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    let u = &updated.json;
    assert_eq!(u["displayName"], "Bjfe");
    assert_eq!(
        u["name"],
        json!({"formatted": "givenName familyName", "familyName": "Unua", "givenName": "Kkom"})
    );
    assert_eq!(u["emails"][0]["value"], "Kkom@test.test");
    assert_eq!(u[ENTERPRISE]["employeeNumber"], "Aklq");
    assert!(u.get("name.givenName").is_none());
}

#[tokio::test]
async fn filter_path_and_single_value_add_on_a_bare_user() {
    let s = serve(&[]).await;
    for (n, op) in ["Add", "add", "Replace", "replace"].into_iter().enumerate() {
        let id = s.user(&format!("bare{n}@x.test")).await;
        let body = patch_body(json!([
            {"op": op, "path": "emails[type eq \"work\"].value", "value": "w@x.test"},
            {"op": op, "path": "nickName", "value": "Babs"}]));
        let reply = s.patch(&format!("/Users/{id}"), &body).await;
        assert_eq!(reply.status, 200, "{op}: {}", reply.text);
        assert_eq!(
            reply.json["emails"],
            json!([{"type": "work", "value": "w@x.test"}]),
            "{op}"
        );
        assert_eq!(reply.json["nickName"], "Babs", "{op}");
    }
}

#[tokio::test]
async fn manager_in_both_forms() {
    let s = serve(&[]).await;
    let boss = s.user("boss@x.test").await;
    let id = s.user("worker@x.test").await;
    let reference = s.url(&format!("/Users/{boss}"));
    let forms = [
        json!({"op": "Add", "path": "manager", "value": [{"$ref": reference, "value": boss}]}),
        json!({"op": "Replace", "path": "manager", "value": boss}),
        json!({"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": {"value": boss}}),
    ];
    for form in forms {
        let reply = s
            .patch(&format!("/Users/{id}"), &patch_body(json!([form.clone()])))
            .await;
        assert_eq!(reply.status, 200, "{form}: {}", reply.text);
        assert_eq!(
            reply.json[ENTERPRISE]["manager"]["value"],
            boss.as_str(),
            "{form}"
        );
        assert!(
            reply.json["schemas"]
                .as_array()
                .unwrap()
                .contains(&json!(ENTERPRISE))
        );
    }
    let first = s.patch(&format!("/Users/{id}"), &patch_body(json!([{"op": "Add", "path": "manager", "value": [{"$ref": reference, "value": boss}]}]))).await;
    assert_eq!(
        first.json[ENTERPRISE]["manager"],
        json!({"$ref": reference, "value": boss})
    );
}

#[tokio::test]
async fn create_stores_the_enterprise_extension() {
    let s = serve(&[]).await;
    let boss = s.user("boss@x.test").await;
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": "staff@x.test",
        ENTERPRISE: {"employeeNumber": "701", "department": "Ops", "manager": boss},
    });
    let created = s.post("/Users", &body.to_string()).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.json[ENTERPRISE],
        json!({"employeeNumber": "701", "department": "Ops", "manager": {"value": boss}})
    );
    let found = s
        .get(&format!(
            "/Users?filter={ENTERPRISE}:employeeNumber+eq+%22701%22"
        ))
        .await;
    assert_eq!(found.total(), 1);
    let projected = s
        .get(&format!(
            "/Users/{}?attributes={ENTERPRISE}:department",
            created.id()
        ))
        .await;
    assert_eq!(projected.json[ENTERPRISE], json!({"department": "Ops"}));
    assert!(projected.json.get("userName").is_none());
}

#[tokio::test]
async fn disabled_users_stay_readable_with_a_boolean_active() {
    let s = serve(&[]).await;
    let forms = [json!("False"), json!("false"), json!(false)];
    for (n, value) in forms.into_iter().enumerate() {
        let name = format!("leaver{n}@x.test");
        let id = s.user(&name).await;
        let op = if value.is_string() {
            "Replace"
        } else {
            "replace"
        };
        let reply = s
            .patch(
                &format!("/Users/{id}"),
                &patch_body(json!([{"op": op, "path": "active", "value": value}])),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let read = s.get(&format!("/Users/{id}")).await;
        assert_eq!((read.status, &read.json["active"]), (200, &json!(false)));
        let found = s
            .get(&format!("/Users?filter=userName+eq+%22{name}%22"))
            .await;
        assert_eq!(found.total(), 1);
        assert_eq!(found.resources()[0]["active"], json!(false));
    }
}

#[tokio::test]
async fn delete_then_gone() {
    let s = serve(&[]).await;
    let id = s.post("/Users", ENTRA_USER).await.id();
    let deleted = s.delete(&format!("/Users/{id}")).await;
    assert_eq!((deleted.status, deleted.text.as_str()), (204, ""));
    assert_eq!(s.get(&format!("/Users/{id}")).await.error(), "404");
    assert_eq!(s.delete(&format!("/Users/{id}")).await.error(), "404");
    assert_eq!(s.get("/Users").await.total(), 0);
}

#[tokio::test]
async fn entra_group_cycle() {
    let s = serve(&[]).await;
    let created = s.post("/Groups", ENTRA_GROUP).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let group = created.id();
    assert_eq!(
        created.location.as_deref(),
        created.json["meta"]["location"].as_str()
    );
    assert_eq!(
        created.json["schemas"][1],
        "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
    );
    assert_eq!(
        s.post(
            "/Groups",
            &ENTRA_GROUP.replace("\"displayName\"}", "\"DISPLAYNAME\"}")
        )
        .await
        .error(),
        "409 uniqueness"
    );

    let (a, b) = (s.user("a@x.test").await, s.user("b@x.test").await);
    let add = format!(
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{{"op":"Add","path":"members","value":[{{"$ref":null,"value":"{a}"}},{{"$ref":null,"value":"{b}"}}]}}]}}"#
    );
    let added = s.patch(&format!("/Groups/{group}"), &add).await;
    assert_eq!((added.status, added.text.as_str()), (204, ""));
    assert_eq!(
        s.patch(&format!("/Groups/{group}"), &add).await.status,
        204,
        "adding twice is fine"
    );
    let full = s.get(&format!("/Groups/{group}")).await;
    assert_eq!(
        full.json["members"],
        json!([
            {"$ref": s.url(&format!("/Users/{a}")), "value": a, "type": "User"},
            {"$ref": s.url(&format!("/Users/{b}")), "value": b, "type": "User"}
        ])
    );

    let matched = s
        .get("/Groups?excludedAttributes=members&filter=displayName+eq+%22displayName%22")
        .await;
    assert_eq!(matched.total(), 1);
    assert_eq!(matched.resources()[0]["id"], group.as_str());
    assert!(matched.resources()[0].get("members").is_none());
    let read = s
        .get(&format!("/Groups/{group}?excludedAttributes=members"))
        .await;
    assert_eq!(read.status, 200);
    assert!(read.json.get("members").is_none() && read.json["displayName"] == "displayName");
    for filter in [
        format!("members%5Bvalue+eq+%22{a}%22%5D"),
        "externalId+eq+%228aa1a0c0-c4c3-4bc0-b4a5-2ef676900159%22".into(),
    ] {
        assert_eq!(
            s.get(&format!("/Groups?filter={filter}")).await.total(),
            1,
            "{filter}"
        );
    }

    let rename = s.patch(&format!("/Groups/{group}"), r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"Renamed"}]}"#).await;
    assert_eq!(rename.status, 204);
    assert_eq!(
        s.get(&format!("/Groups/{group}")).await.json["displayName"],
        "Renamed"
    );

    let legacy = format!(
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{{"op":"Remove","path":"members","value":[{{"$ref":null,"value":"{a}"}}]}}]}}"#
    );
    assert_eq!(
        s.patch(&format!("/Groups/{group}"), &legacy).await.status,
        204
    );
    assert_eq!(s.member_ids(&group).await, [b.as_str()]);

    let unknown = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"0f9b7b56-0000-4000-8000-000000000000\"]"},{"op":"replace","path":"displayName","value":"After"}]}"#;
    assert_eq!(
        s.patch(&format!("/Groups/{group}"), unknown).await.status,
        204
    );
    assert_eq!(
        s.get(&format!("/Groups/{group}")).await.json["displayName"],
        "After",
        "the rest of the PATCH applied"
    );

    let filtered = format!(
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{{"op":"remove","path":"members[value eq \"{b}\"]"}}]}}"#
    );
    assert_eq!(
        s.patch(&format!("/Groups/{group}"), &filtered).await.status,
        204
    );
    assert!(s.member_ids(&group).await.is_empty());

    assert_eq!(s.delete(&format!("/Groups/{group}")).await.status, 204);
    assert_eq!(s.get(&format!("/Groups/{group}")).await.error(), "404");
}

#[tokio::test]
async fn deleting_a_user_removes_its_memberships_and_unknown_members_are_refused() {
    let s = serve(&[]).await;
    let (a, b) = (s.user("a@x.test").await, s.user("b@x.test").await);
    let group = s.group("Team", &[&a, &b]).await;
    assert_eq!(s.delete(&format!("/Users/{a}")).await.status, 204);
    assert_eq!(s.member_ids(&group).await, [b]);
    let body =
        patch_body(json!([{"op": "add", "path": "members", "value": [{"value": "no-such-id"}]}]));
    assert_eq!(
        s.patch(&format!("/Groups/{group}"), &body).await.error(),
        "400 invalidValue"
    );
}

#[tokio::test]
async fn discovery() {
    let s = serve(&[]).await;
    let spc = s.get("/ServiceProviderConfig").await;
    assert_eq!(spc.status, 200);
    assert_eq!(spc.json["patch"]["supported"], true);
    assert_eq!(
        spc.json["filter"],
        json!({"supported": true, "maxResults": 100})
    );
    assert_eq!(spc.json["bulk"]["supported"], false);
    for on in ["sort", "etag", "changePassword"] {
        assert_eq!(spc.json[on]["supported"], true, "{on}");
    }
    assert_eq!(spc.json["pagination"]["cursor"], true, "RFC 9865 §4");
    assert_eq!(spc.json["pagination"]["index"], true);
    assert_eq!(
        spc.json["authenticationSchemes"][0]["type"],
        "oauthbearertoken"
    );

    let types = s.get("/ResourceTypes").await;
    assert_eq!(types.total(), 2);
    assert_eq!(
        types.resources()[0]["schemaExtensions"],
        json!([{"schema": ENTERPRISE, "required": false}])
    );
    assert_eq!(
        s.get("/ResourceTypes/Group").await.json["endpoint"],
        "/Groups"
    );
    assert_eq!(s.get("/ResourceTypes/Device").await.error(), "404");

    let schemas = s.get("/Schemas").await;
    let ids: Vec<&str> = schemas
        .resources()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:core:2.0:Group",
            ENTERPRISE
        ]
    );
    let user = s
        .get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")
        .await;
    let attrs = user.json["attributes"].as_array().unwrap();
    let user_name = attrs.iter().find(|a| a["name"] == "userName").unwrap();
    assert_eq!(
        (
            &user_name["caseExact"],
            &user_name["uniqueness"],
            &user_name["required"]
        ),
        (&json!(false), &json!("server"), &json!(true))
    );
    let emails = attrs.iter().find(|a| a["name"] == "emails").unwrap();
    assert_eq!(emails["multiValued"], true);
    assert_eq!(emails["subAttributes"].as_array().unwrap().len(), 4);
    assert!(attrs.len() >= 20, "all of RFC 7643 §4.1: {}", attrs.len());
    assert_eq!(s.get("/Schemas/urn:nope").await.error(), "404");
}

#[tokio::test]
async fn pagination_over_three_users() {
    let s = serve(&[]).await;
    for n in 1..=3 {
        s.user(&format!("page{n}@x.test")).await;
    }
    let names = |r: &Reply| {
        r.resources()
            .iter()
            .map(|u| u["userName"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let first = s.get("/Users?startIndex=1&count=2").await;
    assert_eq!(
        (
            first.total(),
            &first.json["startIndex"],
            &first.json["itemsPerPage"]
        ),
        (3, &json!(1), &json!(2))
    );
    assert_eq!(names(&first), ["page1@x.test", "page2@x.test"]);
    let second = s.get("/Users?startIndex=3&count=2").await;
    assert_eq!(
        (
            second.total(),
            &second.json["startIndex"],
            &second.json["itemsPerPage"]
        ),
        (3, &json!(3), &json!(1))
    );
    assert_eq!(names(&second), ["page3@x.test"]);
    let none = s.get("/Users?count=0").await;
    assert_eq!((none.total(), none.resources().len()), (3, 0));
    let clamped = s.get("/Users?startIndex=-4&count=1").await;
    assert_eq!(
        (&clamped.json["startIndex"], names(&clamped)),
        (&json!(1), vec!["page1@x.test".to_string()])
    );
    let past = s.get("/Users?startIndex=99999999999999999999999").await;
    assert_eq!((past.total(), past.resources().len()), (3, 0));
    assert_eq!(s.get("/Users?count=two").await.error(), "400 invalidValue");
    let projected = s.get("/Users?attributes=userName&count=1").await;
    let keys: Vec<&String> = projected.resources()[0]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys, ["schemas", "id", "userName"]);
}

#[tokio::test]
async fn bearer_token_is_required_and_checked() {
    let s = serve(&[]).await;
    let bare = fetch(s.client.get(s.url("/Users"))).await;
    assert_eq!(bare.error(), "401");
    assert!(
        bare.www_authenticate
            .is_some_and(|w| w.starts_with("Bearer"))
    );
    for auth in [
        "Bearer wrong",
        "Basic dGVzdA==",
        "Bearer",
        &format!("Token {TOKEN}"),
        &format!("Bearer {TOKEN}x"),
    ] {
        let reply = fetch(s.client.get(s.url("/Users")).header("Authorization", auth)).await;
        assert_eq!(reply.error(), "401", "{auth}");
    }
    let lower = fetch(
        s.client
            .get(s.url("/Schemas"))
            .header("Authorization", format!("bearer {TOKEN}")),
    )
    .await;
    assert_eq!(lower.status, 200);
    for path in [
        "/ServiceProviderConfig",
        "/Schemas",
        "/ResourceTypes",
        "/Groups",
        "/nowhere",
    ] {
        assert_eq!(fetch(s.client.get(s.url(path))).await.status, 401, "{path}");
    }
}

#[tokio::test]
async fn protocol_edges() {
    let s = serve(&[]).await;
    let plain = fetch(
        s.client
            .post(s.url("/Users"))
            .bearer_auth(TOKEN)
            .header("Content-Type", "application/json")
            .body(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"json@x.test"}"#),
    )
    .await;
    assert_eq!(plain.status, 201, "{}", plain.text);
    assert_eq!(
        plain.json["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User"])
    );
    let bare_scim = fetch(
        s.client
            .post(s.url("/Users"))
            .bearer_auth(TOKEN)
            .header("Content-Type", "application/scim+json")
            .body(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"scim@x.test"}"#),
    )
    .await;
    assert_eq!(bare_scim.status, 201);
    let text = fetch(
        s.client
            .post(s.url("/Users"))
            .bearer_auth(TOKEN)
            .header("Content-Type", "text/plain")
            .body(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"t@x.test"}"#),
    )
    .await;
    assert_eq!(text.error(), "415");
    assert_eq!(
        s.post("/Users", r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"no userName"}"#)
            .await
            .error(),
        "400 invalidValue"
    );
    assert_eq!(
        s.post(
            "/Users",
            r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":""}"#
        )
        .await
        .error(),
        "400 invalidValue"
    );
    assert_eq!(
        s.post(
            "/Groups",
            r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"externalId":"x"}"#
        )
        .await
        .error(),
        "400 invalidValue"
    );
    assert_eq!(
        s.get("/Users?filter=userName+equals+%22x%22").await.error(),
        "400 invalidFilter"
    );
    assert_eq!(
        s.get("/Users?filter=active+gt+true").await.error(),
        "400 invalidFilter"
    );
    assert_eq!(s.get("/Users/does-not-exist").await.error(), "404");
    assert_eq!(s.get("/Nowhere").await.error(), "404");
    assert_eq!(
        fetch(s.client.get(format!("http://{}/elsewhere", s.running.addr)))
            .await
            .error(),
        "404"
    );
    let wrong_method = s.send(Method::DELETE, "/Users", None).await;
    assert_eq!(wrong_method.error(), "405");
    assert_eq!(wrong_method.allow.as_deref(), Some("GET,HEAD,POST"));
    assert_eq!(
        s.send(Method::PUT, "/ServiceProviderConfig", Some("{}"))
            .await
            .error(),
        "405"
    );

    let id = plain.id();
    let path = format!("/Users/{id}");
    let empty = s.patch(&path, &patch_body(json!([]))).await;
    assert_eq!(
        (empty.status, &empty.json),
        (200, &plain.json),
        "an empty PATCH changes nothing"
    );
    assert_eq!(
        s.patch(&path, &patch_body(json!([{"op": "Move", "path": "x"}])))
            .await
            .error(),
        "400 invalidSyntax"
    );
    assert_eq!(
        s.patch(
            &path,
            &patch_body(json!([{"op": "replace", "path": "id", "value": "mine"}]))
        )
        .await
        .error(),
        "400 mutability"
    );
    assert_eq!(
        s.patch(
            &path,
            &patch_body(json!([{"op": "remove", "path": "userName"}]))
        )
        .await
        .error(),
        "400 invalidValue"
    );
    assert_eq!(
        s.patch(&path, r#"{"Operations":[]}"#).await.error(),
        "400 invalidSyntax"
    );
    let failed = s.patch(&path, &patch_body(json!([{"op": "replace", "path": "nickName", "value": "kept?"}, {"op": "replace", "path": "active", "value": "perhaps"}]))).await;
    assert_eq!(failed.error(), "400 invalidValue");
    assert_eq!(
        s.get(&path).await.json,
        plain.json,
        "a failed PATCH leaves the resource as it was"
    );
    let taken = s
        .patch(
            &path,
            &patch_body(json!([{"op": "replace", "path": "userName", "value": "SCIM@x.test"}])),
        )
        .await;
    assert_eq!(taken.error(), "409 uniqueness");

    let put = s.send(Method::PUT, &path, Some(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"json@x.test","displayName":"Put","id":"ignored"}"#)).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(
        (
            put.id(),
            &put.json["displayName"],
            &put.json["meta"]["version"]
        ),
        (id.clone(), &json!("Put"), &json!("W/\"2\""))
    );
    assert_eq!(put.json["meta"]["created"], plain.json["meta"]["created"]);

    let group = s.group("G", &[]).await;
    let empty = s
        .patch(&format!("/Groups/{group}"), &patch_body(json!([])))
        .await;
    assert_eq!(empty.status, 204);
    let secret = s
        .patch(
            &path,
            &patch_body(json!([{"op": "add", "path": "password", "value": "hunter2"}])),
        )
        .await;
    assert_eq!(secret.status, 200);
    assert!(
        !secret.text.contains("hunter2"),
        "password is returned never"
    );
}

#[tokio::test]
async fn hostile_input_never_breaks_the_server() {
    let s = serve(&[]).await;
    let id = s.user("target@x.test").await;
    let deep_array = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_inside = format!(
        r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"deep@x.test","x":{}1{}}}"#,
        "[".repeat(120),
        "]".repeat(120)
    );
    let bodies = [
        "{not json",
        "",
        "null",
        "[]",
        "\"a string\"",
        "12345678901234567890123456789012345678901234567890",
        "1e400",
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":1e400}"#,
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":123456789012345678901234567890}"#,
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":["a"]}"#,
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"n@x.test","active":{"deep":true}}"#,
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"n@x.test","emails":"nope"}"#,
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"n@x.test","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":[]}"#,
        r#"{"userName":"n@x.test","schemas":"x"}"#,
        "\u{0}\u{1}\u{2}",
        &deep_array,
    ];
    for body in bodies {
        let reply = s.post("/Users", body).await;
        assert_eq!(
            reply.status / 100,
            4,
            "{}: {}",
            &body[..body.len().min(40)],
            reply.text
        );
        reply.error();
    }
    let accepted = s.post("/Users", &deep_inside).await;
    assert_eq!(
        accepted.status, 201,
        "nesting within serde's limit is stored as sent"
    );
    let invalid_utf8 = fetch(
        s.client
            .post(s.url("/Users"))
            .bearer_auth(TOKEN)
            .header("Content-Type", "application/json")
            .body(vec![0xff, 0xfe, b'{']),
    )
    .await;
    assert_eq!(invalid_utf8.error(), "400 invalidSyntax");
    let huge = format!(
        r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"{}"}}"#,
        "a".repeat(2 * 1024 * 1024)
    );
    assert_eq!(s.post("/Users", &huge).await.error(), "413");

    let patches = [
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": "x"}),
        json!({"schemas": "urn:ietf:params:scim:api:messages:2.0:PatchOp", "Operations": []}),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [null, 1]}),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": 7, "value": 1}]}),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "emails[type eq \"work\"].value.more", "value": 1}]}),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "emails[type eq \"work\"]", "value": "not an object"}]}),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "emails[", "value": 1}]}),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "name.givenName", "value": {"x": 1}}]}),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "userName", "value": 1e300}]}),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": 5}}]}),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "manager", "value": [1, 2]}]}),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "meta.created", "value": "now"}]}),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "x[".repeat(5000), "value": 1}]}),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add"}]}),
    ];
    for body in patches {
        let reply = s.patch(&format!("/Users/{id}"), &body.to_string()).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.text);
        reply.error();
    }
    let deep_filter = format!(
        "/Users?filter={}userName+pr{}",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    assert_eq!(s.get(&deep_filter).await.error(), "400 invalidFilter");
    for filter in [
        "%22",
        "%5B%5D",
        "userName+eq+%22%5Cu12%22",
        "%F0%9F%92%A5+eq+1",
        "emails%5Btype+eq+%22a%22%5D.value",
        "not+not",
    ] {
        assert_eq!(
            s.get(&format!("/Users?filter={filter}")).await.error(),
            "400 invalidFilter",
            "{filter}"
        );
    }
    assert_eq!(s.get("/Users/%FF%FE").await.error(), "404");
    let still = s.get(&format!("/Users/{id}")).await;
    assert_eq!(
        (still.status, &still.json["userName"]),
        (200, &json!("target@x.test")),
        "the server is still serving"
    );
}

#[tokio::test]
async fn every_fault_at_once_still_answers_every_request() {
    // Faults whose defect is a 500 are left out: this is about the server never crashing.
    // So are the load faults, which refuse, throttle or hold answers on purpose.
    let faults: Vec<Fault> = Fault::ALL
        .iter()
        .copied()
        .filter(|f| !f.name().ends_with("-500") && f.area() != "load")
        .collect();
    let s = serve(&faults).await;
    let send = |method: Method, path: String, body: Option<String>| {
        let mut request = s.client.request(method, s.url(&path)).bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body);
        }
        fetch(request)
    };
    let user = send(Method::POST, "/Users".into(), Some(ENTRA_USER.into())).await;
    // create-returns-200 is among the faults.
    assert!(matches!(user.status, 200 | 201), "{}", user.text);
    let id = user.id();
    let group = send(
        Method::POST,
        "/Groups".into(),
        Some(
            r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G"}"#
                .into(),
        ),
    )
    .await
    .id();
    let mut requests: Vec<(Method, String, Option<String>)> = Vec::new();
    for query in [
        "startIndex=-99999999999999999999",
        "startIndex=99999999999999999999&count=-99999999999999999999",
        "count=99999999999999999999",
        "filter=externalId+eq+%22x%22",
        "filter=userName+eq+%22X%22&excludedAttributes=name",
    ] {
        requests.push((Method::GET, format!("/Users?{query}"), None));
        requests.push((Method::GET, format!("/Groups?{query}"), None));
    }
    let ops = [
        json!({"op": "Replace", "path": "active", "value": "False"}),
        json!({"op": "replace", "value": {"name.givenName": "K", format!("{ENTERPRISE}:employeeNumber"): "1"}}),
        json!({"op": "add", "path": "emails[type eq \"work\"].value", "value": "w@x.test"}),
        json!({"op": "Add", "path": "manager", "value": "boss"}),
        json!({"op": "add", "path": "nickName", "value": "B"}),
    ];
    for op in ops {
        requests.push((
            Method::PATCH,
            format!("/Users/{id}"),
            Some(patch_body(json!([op]))),
        ));
    }
    let member_ops = [
        json!({"op": "Add", "path": "members", "value": [{"$ref": null, "value": id}]}),
        json!({"op": "Remove", "path": "members", "value": [{"$ref": null, "value": id}]}),
        json!({"op": "remove", "path": "members[value eq \"stranger\"]"}),
        json!({"op": "Replace", "path": "displayName", "value": "H"}),
    ];
    for op in member_ops {
        requests.push((
            Method::PATCH,
            format!("/Groups/{group}"),
            Some(patch_body(json!([op]))),
        ));
    }
    for path in [
        "/Schemas",
        "/ServiceProviderConfig",
        "/ResourceTypes/User",
        "/Users/nobody",
    ] {
        requests.push((Method::GET, path.to_string(), None));
    }
    requests.push((Method::DELETE, format!("/Users/{id}"), None));
    requests.push((Method::DELETE, format!("/Groups/{group}"), None));
    for (method, path, body) in requests {
        let reply = send(method.clone(), path.clone(), body).await;
        assert!(reply.status < 500, "{method} {path}: {}", reply.text);
        if reply.status >= 400 {
            reply.error();
        }
    }
    assert_eq!(
        send(Method::GET, "/Users".into(), None).await.status,
        200,
        "still serving"
    );
}

#[test]
fn options_never_print_the_token() {
    let opts = ReferenceOptions {
        token: TOKEN.into(),
        ..ReferenceOptions::default()
    };
    let printed = format!("{opts:?}");
    assert!(
        !printed.contains(TOKEN) && printed.contains("127.0.0.1:0"),
        "{printed}"
    );
    assert_ne!(
        ReferenceOptions::default().token,
        ReferenceOptions::default().token,
        "a fresh default token"
    );
}

#[tokio::test]
async fn stop_releases_the_port() {
    let s = serve(&[]).await;
    let addr = s.running.addr;
    s.running.stop().await;
    assert!(
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(format!("http://{addr}/scim/v2/Users"))
            .send()
            .await
            .is_err()
    );
}

/// Runs the one request sequence that shows `fault`'s rule and describes what came back. The
/// table in `every_fault_breaks_its_rule` says what a compliant server and the faulty one answer.
async fn probe(fault: Fault, s: &Server) -> String {
    let patch_user = |body: Value| async move {
        let id = s.user(&format!("{}@x.test", uuid::Uuid::new_v4())).await;
        let reply = s.patch(&format!("/Users/{id}"), &patch_body(body)).await;
        let read = s.get(&format!("/Users/{id}")).await;
        (reply, read)
    };
    let outcome = |r: &Reply| {
        if r.status >= 400 {
            r.error()
        } else {
            r.status.to_string()
        }
    };
    match fault {
        Fault::EmptyFilter404 => {
            let r = s.get("/Users?filter=userName+eq+%22nobody%22").await;
            if r.status == 200 {
                format!("200 total={} resources={}", r.total(), r.resources().len())
            } else {
                r.error()
            }
        }
        Fault::FilterIgnored => {
            s.user("one@x.test").await;
            s.user("two@x.test").await;
            s.get("/Users?filter=userName+eq+%22one%40x.test%22")
                .await
                .total()
                .to_string()
        }
        Fault::UsernameCaseSensitive => {
            s.user("Mixed.Case@x.test").await;
            let exact = s
                .get("/Users?filter=userName+eq+%22Mixed.Case%40x.test%22")
                .await
                .total();
            let folded = s
                .get("/Users?filter=userName+eq+%22MIXED.CASE%40X.TEST%22")
                .await
                .total();
            format!("exact={exact} folded={folded}")
        }
        Fault::ExternalIdFilterUnsupported => {
            s.post("/Users", r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"e@x.test","externalId":"E-1"}"#)
                .await;
            let r = s.get("/Users?filter=externalId+eq+%22E-1%22").await;
            if r.status == 200 {
                format!("found {}", r.total())
            } else {
                r.error()
            }
        }
        Fault::ListResponseBare => {
            let r = s.get("/Users").await;
            format!(
                "startIndex={} itemsPerPage={}",
                r.json["startIndex"], r.json["itemsPerPage"]
            )
        }
        Fault::RejectScimContentType => {
            let entra = outcome(&s.post("/Users", r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@x.test"}"#).await);
            let json = fetch(
                s.client
                    .post(s.url("/Users"))
                    .bearer_auth(TOKEN)
                    .header("Content-Type", "application/json")
                    .body(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b@x.test"}"#),
            )
            .await;
            format!("scim+json;charset={entra} json={}", json.status)
        }
        Fault::NoLocationHeader => {
            let r = s.post("/Users", ENTRA_USER).await;
            format!(
                "{} location matches meta: {}",
                r.status,
                r.location.as_deref() == r.json["meta"]["location"].as_str()
            )
        }
        Fault::ContentTypeJson => {
            let ok = s.get("/Users").await.content_type.unwrap_or_default();
            let error = s
                .get("/Users/nobody")
                .await
                .content_type
                .unwrap_or_default();
            format!("{ok} {error}")
        }
        Fault::DuplicateUsernameAccepted => {
            let first = s.post("/Users", ENTRA_USER).await;
            let second = s.post("/Users", ENTRA_USER).await;
            format!("{} {}", outcome(&first), outcome(&second))
        }
        Fault::CreateDropsName => {
            let r = s.post("/Users", ENTRA_USER).await;
            let read = s.get(&format!("/Users/{}", r.id())).await;
            format!(
                "{} {}",
                r.json["name"]["givenName"], read.json["name"]["givenName"]
            )
        }
        Fault::CaseSensitiveOps => {
            let (upper, _) =
                patch_user(json!([{"op": "Replace", "path": "displayName", "value": "X"}])).await;
            let (lower, _) =
                patch_user(json!([{"op": "replace", "path": "displayName", "value": "X"}])).await;
            format!("Replace={} replace={}", outcome(&upper), outcome(&lower))
        }
        Fault::FilterPathNeedsExisting => {
            let (r, read) = patch_user(json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "w@x.test"}])).await;
            format!("{} {}", outcome(&r), read.json["emails"])
        }
        Fault::IgnoreUrnPath => {
            let (r, read) = patch_user(json!([{"op": "Replace", "path": format!("{ENTERPRISE}:employeeNumber"), "value": "Eqpj"}])).await;
            format!(
                "{} {}",
                outcome(&r),
                read.json[ENTERPRISE]["employeeNumber"]
            )
        }
        Fault::DottedKeysLiteral => {
            let (r, read) =
                patch_user(json!([{"op": "replace", "value": {"name.givenName": "Kkom"}}])).await;
            format!(
                "{} name={} literal={}",
                outcome(&r),
                read.json["name"]["givenName"],
                read.json["name.givenName"]
            )
        }
        Fault::AddRequiresExisting => {
            let (r, read) =
                patch_user(json!([{"op": "Add", "path": "nickName", "value": "Babs"}])).await;
            format!("{} {}", outcome(&r), read.json["nickName"])
        }
        Fault::ManagerIgnored => {
            let (r, read) = patch_user(json!([{"op": "Add", "path": "manager", "value": [{"$ref": null, "value": "boss-id"}]}])).await;
            format!("{} {}", outcome(&r), read.json[ENTERPRISE]["manager"])
        }
        Fault::ManagerObjectOnly => {
            let (object, _) = patch_user(
                json!([{"op": "Add", "path": "manager", "value": {"value": "boss-id"}}]),
            )
            .await;
            let (plain, read) =
                patch_user(json!([{"op": "Add", "path": "manager", "value": "boss-id"}])).await;
            format!(
                "object={} plain={} {}",
                outcome(&object),
                outcome(&plain),
                read.json[ENTERPRISE]["manager"]
            )
        }
        Fault::RejectStringBooleans => {
            let (r, read) =
                patch_user(json!([{"op": "Replace", "path": "active", "value": "False"}])).await;
            format!("{} {}", outcome(&r), read.json["active"])
        }
        Fault::StringActiveEchoed => {
            let (r, read) =
                patch_user(json!([{"op": "Replace", "path": "active", "value": "False"}])).await;
            format!("{} {}", outcome(&r), read.json["active"])
        }
        Fault::SoftDeleteVanishes => {
            let id = s.user("leaver@x.test").await;
            s.patch(
                &format!("/Users/{id}"),
                &patch_body(json!([{"op": "replace", "path": "active", "value": false}])),
            )
            .await;
            let read = s.get(&format!("/Users/{id}")).await;
            let found = s
                .get("/Users?filter=userName+eq+%22leaver%40x.test%22")
                .await
                .total();
            format!("get={} filter={found}", outcome(&read))
        }
        Fault::DeleteReturns200 => {
            let id = s.user("d@x.test").await;
            let r = s.delete(&format!("/Users/{id}")).await;
            format!("{} body={}", r.status, r.json["id"].is_string())
        }
        Fault::DeleteIsNoop => {
            let id = s.user("d@x.test").await;
            let r = s.delete(&format!("/Users/{id}")).await;
            format!(
                "{} then {}",
                r.status,
                outcome(&s.get(&format!("/Users/{id}")).await)
            )
        }
        Fault::ErrorStatusInteger => s.get("/Users/nobody").await.json["status"].to_string(),
        Fault::GroupExtraSchemaRejected => {
            let entra = outcome(&s.post("/Groups", ENTRA_GROUP).await);
            let core = outcome(&s.post("/Groups", r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Core"}"#).await);
            format!("entra={entra} core={core}")
        }
        Fault::GroupDuplicateAllowed => {
            let first = s.post("/Groups", ENTRA_GROUP).await;
            let second = s.post("/Groups", ENTRA_GROUP).await;
            format!("{} {}", outcome(&first), outcome(&second))
        }
        Fault::GroupFilterIgnored => {
            s.group("Alpha", &[]).await;
            s.group("Beta", &[]).await;
            s.get("/Groups?filter=displayName+eq+%22Alpha%22")
                .await
                .total()
                .to_string()
        }
        Fault::IgnoreExcludedAttributes => {
            let user = s.user("m@x.test").await;
            let group = s.group("Alpha", &[&user]).await;
            let read = s
                .get(&format!("/Groups/{group}?excludedAttributes=members"))
                .await;
            let list = s.get("/Groups?excludedAttributes=members").await;
            let full = s.get(&format!("/Groups/{group}")).await;
            format!(
                "get={} list={} plain={}",
                read.json.get("members").is_some(),
                list.resources()[0].get("members").is_some(),
                full.json.get("members").is_some()
            )
        }
        Fault::GroupRenameIgnored => {
            let group = s.group("Old", &[]).await;
            let r = s
                .patch(
                    &format!("/Groups/{group}"),
                    &patch_body(json!([{"op": "Replace", "path": "displayName", "value": "New"}])),
                )
                .await;
            format!(
                "{} {}",
                outcome(&r),
                s.get(&format!("/Groups/{group}")).await.json["displayName"]
            )
        }
        Fault::RejectNullRef => {
            let user = s.user("m@x.test").await;
            let group = s.group("G", &[]).await;
            let r = s.patch(&format!("/Groups/{group}"), &patch_body(json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": user}]}]))).await;
            format!(
                "{} members={}",
                outcome(&r),
                s.member_ids(&group).await.len()
            )
        }
        Fault::RejectLegacyMemberRemove | Fault::LegacyRemoveClearsAll => {
            let (a, b) = (s.user("a@x.test").await, s.user("b@x.test").await);
            let group = s.group("G", &[&a, &b]).await;
            let r = s.patch(&format!("/Groups/{group}"), &patch_body(json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": a}]}]))).await;
            let left = s.member_ids(&group).await;
            format!(
                "{} left={}",
                outcome(&r),
                if left == [b] {
                    "b"
                } else if left.is_empty() {
                    "none"
                } else {
                    "both"
                }
            )
        }
        Fault::MemberFilterRemoveIgnored => {
            let (a, b) = (s.user("a@x.test").await, s.user("b@x.test").await);
            let group = s.group("G", &[&a, &b]).await;
            let r = s
                .patch(
                    &format!("/Groups/{group}"),
                    &patch_body(
                        json!([{"op": "remove", "path": format!("members[value eq \"{a}\"]")}]),
                    ),
                )
                .await;
            format!(
                "{} members={}",
                outcome(&r),
                s.member_ids(&group).await.len()
            )
        }
        Fault::UnknownMemberFailsPatch => {
            let a = s.user("a@x.test").await;
            let group = s.group("G", &[&a]).await;
            let r = s
                .patch(
                    &format!("/Groups/{group}"),
                    &patch_body(json!([
                        {"op": "remove", "path": "members[value eq \"stranger\"]"},
                        {"op": "replace", "path": "displayName", "value": "Renamed"}])),
                )
                .await;
            format!(
                "{} {}",
                outcome(&r),
                s.get(&format!("/Groups/{group}")).await.json["displayName"]
            )
        }
        Fault::UnsupportedAs404 => {
            let me = s.get("/Me").await;
            let search = s.post("/.search", "{}").await;
            format!("{} {}", outcome(&me), outcome(&search))
        }
        Fault::SchemasOptional => {
            let user = s.post("/Users", r#"{"userName":"bare@x.test"}"#).await;
            let group = s.post("/Groups", r#"{"displayName":"Bare"}"#).await;
            format!("{} {}", outcome(&user), outcome(&group))
        }
        Fault::UnknownPathIgnored => {
            let a = s.user("a@x.test").await;
            let r = s
                .patch(
                    &format!("/Users/{a}"),
                    &patch_body(json!([{"op": "replace", "path": "noSuchThing", "value": "x"}])),
                )
                .await;
            let stored = s.get(&format!("/Users/{a}")).await;
            format!(
                "{} {}",
                outcome(&r),
                stored.json.get("noSuchThing").is_some()
            )
        }
        Fault::SortIgnored | Fault::SortOrderIgnored => {
            for name in ["b@x.test", "C@x.test", "a@x.test"] {
                s.user(name).await;
            }
            let order = |r: Reply| {
                r.resources()
                    .iter()
                    .map(|u| u["userName"].as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let up = order(s.get("/Users?sortBy=userName").await);
            let down = order(s.get("/Users?sortOrder=descending&sortBy=userName").await);
            format!("{up} {down}")
        }
        Fault::EtagMissing | Fault::EtagNotVersion => {
            let a = s.user("a@x.test").await;
            let r = s.get(&format!("/Users/{a}")).await;
            format!("{:?} {}", r.etag, r.json["meta"]["version"])
        }
        Fault::IfNoneMatchIgnored => {
            let a = s.user("a@x.test").await;
            let r = fetch(
                s.client
                    .get(s.url(&format!("/Users/{a}")))
                    .bearer_auth(TOKEN)
                    .header("If-None-Match", "W/\"1\""),
            )
            .await;
            format!("{} empty={}", r.status, r.text.is_empty())
        }
        Fault::IfMatchIgnored => {
            let a = s.user("a@x.test").await;
            let r = fetch(
                s.client
                    .patch(s.url(&format!("/Users/{a}")))
                    .bearer_auth(TOKEN)
                    .header("Content-Type", SCIM_UTF8)
                    .header("If-Match", "W/\"7\"")
                    .body(patch_body(
                        json!([{"op": "replace", "path": "title", "value": "x"}]),
                    )),
            )
            .await;
            let title = s.get(&format!("/Users/{a}")).await.json["title"].clone();
            format!("{} {title}", r.status)
        }
        Fault::SearchIgnoresFilter => {
            s.user("a@x.test").await;
            s.user("b@x.test").await;
            let r = s
                .post(
                    "/Users/.search",
                    r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName eq \"a@x.test\""}"#,
                )
                .await;
            format!("{} total={}", outcome(&r), r.json["totalResults"])
        }
        Fault::Schemas404 => {
            let r = s.get("/Schemas").await;
            let one = s
                .get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group")
                .await;
            format!("{} {}", outcome(&r), outcome(&one))
        }
        Fault::Spc404 => outcome(&s.get("/ServiceProviderConfig").await),
        Fault::ResourceTypes404 => {
            let r = s.get("/ResourceTypes").await;
            let one = s.get("/ResourceTypes/User").await;
            format!("{} {}", outcome(&r), outcome(&one))
        }
        Fault::IgnoreCount => {
            for n in 1..=3 {
                s.user(&format!("c{n}@x.test")).await;
            }
            let r = s.get("/Users?count=2").await;
            format!(
                "total={} itemsPerPage={} resources={}",
                r.total(),
                r.json["itemsPerPage"],
                r.resources().len()
            )
        }
        Fault::ZeroBasedStartIndex => {
            for n in 1..=3 {
                s.user(&format!("z{n}@x.test")).await;
            }
            let r = s.get("/Users?startIndex=1&count=2").await;
            let first = &r.resources()[0]["userName"];
            let unpaged = s.get("/Users").await.resources().len();
            format!(
                "startIndex={} first={first} unpaged={unpaged}",
                r.json["startIndex"]
            )
        }
        Fault::EmptyPatch500 => {
            let (r, _) = patch_user(json!([])).await;
            outcome(&r)
        }
        Fault::NoAuth | Fault::AnyTokenAccepted => {
            let missing = fetch(s.client.get(s.url("/Users"))).await.status;
            let wrong = fetch(s.client.get(s.url("/Users")).bearer_auth("wrong"))
                .await
                .status;
            format!("missing={missing} wrong={wrong}")
        }
        saml => unreachable!("{saml} is a SAML fault (tests/reference_saml.rs)"),
    }
}

#[tokio::test]
async fn every_fault_breaks_its_rule() {
    // (fault, what a compliant server answers, what the faulty one answers)
    let table: &[(Fault, &str, &str)] = &[
        (Fault::EmptyFilter404, "200 total=0 resources=0", "404"),
        (Fault::FilterIgnored, "1", "2"),
        (
            Fault::UsernameCaseSensitive,
            "exact=1 folded=1",
            "exact=1 folded=0",
        ),
        (
            Fault::ExternalIdFilterUnsupported,
            "found 1",
            "400 invalidFilter",
        ),
        (
            Fault::ListResponseBare,
            "startIndex=1 itemsPerPage=0",
            "startIndex=null itemsPerPage=null",
        ),
        (
            Fault::RejectScimContentType,
            "scim+json;charset=201 json=201",
            "scim+json;charset=415 json=201",
        ),
        (
            Fault::NoLocationHeader,
            "201 location matches meta: true",
            "201 location matches meta: false",
        ),
        (
            Fault::ContentTypeJson,
            "application/scim+json application/scim+json",
            "application/json application/json",
        ),
        (
            Fault::DuplicateUsernameAccepted,
            "201 409 uniqueness",
            "201 201",
        ),
        (
            Fault::CreateDropsName,
            "\"givenName\" \"givenName\"",
            "null null",
        ),
        (
            Fault::CaseSensitiveOps,
            "Replace=200 replace=200",
            "Replace=400 invalidSyntax replace=200",
        ),
        (
            Fault::FilterPathNeedsExisting,
            "200 [{\"type\":\"work\",\"value\":\"w@x.test\"}]",
            "400 noTarget null",
        ),
        (Fault::IgnoreUrnPath, "200 \"Eqpj\"", "200 null"),
        (
            Fault::DottedKeysLiteral,
            "200 name=\"Kkom\" literal=null",
            "200 name=null literal=\"Kkom\"",
        ),
        (
            Fault::AddRequiresExisting,
            "200 \"Babs\"",
            "400 noTarget null",
        ),
        (
            Fault::ManagerIgnored,
            "200 {\"value\":\"boss-id\"}",
            "200 null",
        ),
        (
            Fault::ManagerObjectOnly,
            "object=200 plain=200 {\"value\":\"boss-id\"}",
            "object=200 plain=400 invalidValue null",
        ),
        (
            Fault::RejectStringBooleans,
            "200 false",
            "400 invalidValue true",
        ),
        (Fault::StringActiveEchoed, "200 false", "200 \"False\""),
        (
            Fault::SoftDeleteVanishes,
            "get=200 filter=1",
            "get=404 filter=0",
        ),
        (Fault::DeleteReturns200, "204 body=false", "200 body=true"),
        (Fault::DeleteIsNoop, "204 then 404", "204 then 200"),
        (Fault::ErrorStatusInteger, "\"404\"", "404"),
        (
            Fault::GroupExtraSchemaRejected,
            "entra=201 core=201",
            "entra=400 invalidValue core=201",
        ),
        (
            Fault::GroupDuplicateAllowed,
            "201 409 uniqueness",
            "201 201",
        ),
        (Fault::GroupFilterIgnored, "1", "2"),
        (
            Fault::IgnoreExcludedAttributes,
            "get=false list=false plain=true",
            "get=true list=true plain=true",
        ),
        (Fault::GroupRenameIgnored, "204 \"New\"", "204 \"Old\""),
        (
            Fault::RejectNullRef,
            "204 members=1",
            "400 invalidValue members=0",
        ),
        (
            Fault::RejectLegacyMemberRemove,
            "204 left=b",
            "400 invalidValue left=both",
        ),
        (Fault::LegacyRemoveClearsAll, "204 left=b", "204 left=none"),
        (
            Fault::MemberFilterRemoveIgnored,
            "204 members=1",
            "204 members=2",
        ),
        (
            Fault::UnknownMemberFailsPatch,
            "204 \"Renamed\"",
            "400 noTarget \"G\"",
        ),
        (Fault::UnsupportedAs404, "501 501", "404 404"),
        (
            Fault::SchemasOptional,
            "400 invalidSyntax 400 invalidSyntax",
            "201 201",
        ),
        (
            Fault::UnknownPathIgnored,
            "400 invalidPath false",
            "200 true",
        ),
        (
            Fault::SortIgnored,
            "a@x.test,b@x.test,C@x.test C@x.test,b@x.test,a@x.test",
            "b@x.test,C@x.test,a@x.test b@x.test,C@x.test,a@x.test",
        ),
        (
            Fault::SortOrderIgnored,
            "a@x.test,b@x.test,C@x.test C@x.test,b@x.test,a@x.test",
            "a@x.test,b@x.test,C@x.test a@x.test,b@x.test,C@x.test",
        ),
        (
            Fault::EtagMissing,
            "Some(\"W/\\\"1\\\"\") \"W/\\\"1\\\"\"",
            "None \"W/\\\"1\\\"\"",
        ),
        (
            Fault::EtagNotVersion,
            "Some(\"W/\\\"1\\\"\") \"W/\\\"1\\\"\"",
            "Some(\"\\\"1\\\"\") \"W/\\\"1\\\"\"",
        ),
        (
            Fault::IfNoneMatchIgnored,
            "304 empty=true",
            "200 empty=false",
        ),
        (Fault::IfMatchIgnored, "412 null", "200 \"x\""),
        (Fault::SearchIgnoresFilter, "200 total=1", "200 total=2"),
        (Fault::Schemas404, "200 200", "404 404"),
        (Fault::Spc404, "200", "404"),
        (Fault::ResourceTypes404, "200 200", "404 404"),
        (
            Fault::IgnoreCount,
            "total=3 itemsPerPage=2 resources=2",
            "total=3 itemsPerPage=3 resources=3",
        ),
        (
            Fault::ZeroBasedStartIndex,
            "startIndex=1 first=\"z1@x.test\" unpaged=3",
            "startIndex=0 first=\"z2@x.test\" unpaged=3",
        ),
        (Fault::EmptyPatch500, "200", "500"),
        (
            Fault::NoAuth,
            "missing=401 wrong=401",
            "missing=200 wrong=401",
        ),
        (
            Fault::AnyTokenAccepted,
            "missing=401 wrong=401",
            "missing=401 wrong=200",
        ),
    ];
    let listed: Vec<Fault> = table.iter().map(|(f, _, _)| *f).collect();
    // Every fault of the Entra cycle is probed here, in order; of the RFC 7644 suite's, those
    // with a behaviour worth pinning by hand. All of them are held end to end, each to the
    // checks it names, by `mutation::each_fault_fails_the_check_it_breaks`.
    let scim: Vec<Fault> = Fault::ALL
        .iter()
        .copied()
        .filter(|f| f.breaks().starts_with("scim.") || listed.contains(f))
        .collect();
    assert_eq!(
        listed, scim,
        "the table covers every Entra-cycle fault, in order"
    );
    for (fault, compliant, broken) in table {
        let clean = serve(&[]).await;
        assert_eq!(
            probe(*fault, &clean).await,
            *compliant,
            "{fault} on a compliant server"
        );
        let faulty = serve(&[*fault]).await;
        assert_eq!(
            probe(*fault, &faulty).await,
            *broken,
            "{fault} switched on: {}",
            fault.description()
        );
        clean.running.stop().await;
        faulty.running.stop().await;
    }
}

#[tokio::test]
async fn review_fixes_hold() {
    let s = serve(&[]).await;
    // A never-returned password cannot be guessed through filters.
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "p@x.test", "password": "hunter2"});
    assert_eq!(s.post("/Users", &body.to_string()).await.status, 201);
    assert_eq!(
        s.get("/Users?filter=password+sw+%22h%22").await.error(),
        "400 invalidFilter"
    );
    // A member written with a capitalised key still leaves with its user.
    let a = s.user("cap@x.test").await;
    let group = s.group("Caps", &[]).await;
    let add = patch_body(json!([{"op": "add", "path": "members", "value": [{"Value": a}]}]));
    assert!(s.patch(&format!("/Groups/{group}"), &add).await.status < 300);
    assert_eq!(s.delete(&format!("/Users/{a}")).await.status, 204);
    assert!(s.member_ids(&group).await.is_empty());
    // One operation cannot carry an unbounded list.
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({"value": format!("m{i}")}))
        .collect();
    let big = patch_body(json!([{"op": "add", "path": "emails", "value": many}]));
    let u = s.user("big@x.test").await;
    assert_eq!(
        s.patch(&format!("/Users/{u}"), &big).await.error(),
        "400 invalidValue"
    );
}
