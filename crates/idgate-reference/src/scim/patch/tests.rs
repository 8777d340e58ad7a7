//! PATCH tests. Most are rows of one table (a resource before, the operations, the resource or
//! error after), run together so that every failing row is reported at once; parsing on its own
//! and bodies that are not a PatchOp keep tests of their own.

use std::collections::HashSet;

use serde_json::json;

use super::*;
use crate::scim::schema::{GROUPS, USERS};

/// One row: `ops` applied to `before` (a `rt` resource) with `faults` switched on ends in `after`.
struct Row {
    name: &'static str,
    rt: &'static ResourceType,
    faults: &'static [Fault],
    before: Value,
    ops: Value,
    after: After,
}

/// How a row ends.
enum After {
    /// The whole resource (member order aside: `Map` equality ignores it).
    Resource(Value),
    /// An error with this HTTP status and scimType.
    Error(u16, &'static str),
}

impl Row {
    fn user(name: &'static str, before: Value, ops: Value, after: After) -> Row {
        Row {
            name,
            rt: &USERS,
            faults: &[],
            before,
            ops,
            after,
        }
    }

    fn group(name: &'static str, before: Value, ops: Value, after: After) -> Row {
        Row {
            rt: &GROUPS,
            ..Row::user(name, before, ops, after)
        }
    }

    fn with(self, faults: &'static [Fault]) -> Row {
        Row { faults, ..self }
    }

    /// Why the row fails, or `None`.
    fn check(&self) -> Option<String> {
        let got = run(
            self.rt,
            self.before.clone(),
            patch(self.ops.clone()),
            self.faults,
        );
        let want = match (&self.after, &got) {
            (After::Resource(want), Ok(have)) if want == have => return None,
            (After::Error(status, scim_type), Err(e))
                if e.status.as_u16() == *status && e.scim_type == Some(*scim_type) =>
            {
                return None;
            }
            (After::Resource(want), _) => want.to_string(),
            (After::Error(status, scim_type), _) => format!("error {status} {scim_type}"),
        };
        let got = match got {
            Ok(have) => have.to_string(),
            Err(e) => format!(
                "error {} {} ({})",
                e.status.as_u16(),
                e.scim_type.unwrap_or("-"),
                e.detail
            ),
        };
        Some(format!("expected {want}\n    got {got}"))
    }
}

fn resource(value: Value) -> After {
    After::Resource(value)
}

fn error(status: u16, scim_type: &'static str) -> After {
    After::Error(status, scim_type)
}

fn run(
    rt: &'static ResourceType,
    resource: Value,
    body: Value,
    faults: &[Fault],
) -> Result<Value, ScimError> {
    let faults: Faults = faults.iter().copied().collect();
    let ops = parse_request(&body, &faults)?;
    let mut res = resource.as_object().cloned().unwrap();
    apply(rt, &mut res, &ops, &faults)?;
    Ok(Value::Object(res))
}

fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH_URN], "Operations": ops})
}

fn a_user() -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "a", "active": true})
}

fn a_group() -> Value {
    json!({"id":"g1","displayName":"G","members":[{"value":"u1","type":"User"},{"value":"u2","type":"User"}]})
}

#[rustfmt::skip]
fn rows() -> Vec<Row> {
    use Fault::*;
    vec![
        // Operations that are not operations.
        Row::user("an operation that is not an object", a_user(),
            json!([1]),
            error(400, "invalidSyntax")),
        Row::user("an unknown op", a_user(),
            json!([{"op": "move", "path": "x"}]),
            error(400, "invalidSyntax")),
        Row::user("an op that is not a string", a_user(),
            json!([{"op": 3}]),
            error(400, "invalidSyntax")),

        // The legacy Entra dialect: capitalised ops, filter and URN-qualified paths.
        Row::user("legacy dialect update", a_user(),
            json!([
                {"op":"Replace","path":"displayName","value":"Pvlo"},
                {"op":"Replace","path":"emails[type eq \"work\"].value","value":"TestBcwqnm@test.test"},
                {"op":"Replace","path":"name.givenName","value":"Gtfd"},
                {"op":"Replace","path":"externalId","value":"Eqpj"},
                {"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"Eqpj"}]),
            resource(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "id": "u1", "userName": "a", "active": true,
                "displayName": "Pvlo",
                "emails": [{"type": "work", "value": "TestBcwqnm@test.test"}],
                "name": {"givenName": "Gtfd"},
                "externalId": "Eqpj",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "Eqpj"}}))),

        // The 2020 dialect: path-less values with dotted and URN-qualified keys.
        Row::user("2020 dialect path-less keys", a_user(),
            json!([{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}]),
            resource(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "id": "u1", "userName": "a", "active": true,
                "displayName": "Bjfe",
                "name": {"givenName": "Kkom", "familyName": "Unua"},
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "Aklq"}}))),
        Row::user("2020 dialect dotted keys kept literally (DottedKeysLiteral)", a_user(),
            json!([{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}]),
            resource(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "id": "u1", "userName": "a", "active": true,
                "displayName": "Bjfe",
                "name.givenName": "Kkom", "name.familyName": "Unua",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "Aklq"}})))
            .with(&[DottedKeysLiteral]),

        // String booleans.
        Row::user("string boolean False", a_user(),
            json!([{"op":"Replace","path":"active","value":"False"}]),
            resource(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "a", "active": false}))),
        Row::user("string boolean false", a_user(),
            json!([{"op":"Replace","path":"active","value":"false"}]),
            resource(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "a", "active": false}))),
        Row::user("string boolean FALSE", a_user(),
            json!([{"op":"Replace","path":"active","value":"FALSE"}]),
            resource(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "a", "active": false}))),
        Row::user("string boolean True in a path-less value", a_user(),
            json!([{"op":"replace","value":{"active":"True"}}]),
            resource(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "a", "active": true}))),
        Row::user("a string that is no boolean", a_user(),
            json!([{"op":"replace","path":"active","value":"nope"}]),
            error(400, "invalidValue")),
        Row::user("string booleans refused (RejectStringBooleans)", a_user(),
            json!([{"op":"Replace","path":"active","value":"False"}]),
            error(400, "invalidValue"))
            .with(&[RejectStringBooleans]),
        Row::user("string active stored as sent (StringActiveEchoed)", a_user(),
            json!([{"op":"Replace","path":"active","value":"False"}]),
            resource(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "a", "active": "False"})))
            .with(&[StringActiveEchoed]),

        // The manager: a bare id, an object, a list with a null $ref, a full reference.
        Row::user("manager as a bare id", a_user(),
            json!([{"op":"Add","path":"manager","value":"m1"}]),
            resource(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "id": "u1", "userName": "a", "active": true,
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m1"}}}))),
        Row::user("manager as an object", a_user(),
            json!([{"op":"Add","path":"manager","value":{"value": "m1"}}]),
            resource(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "id": "u1", "userName": "a", "active": true,
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m1"}}}))),
        Row::user("manager as a list with a null $ref", a_user(),
            json!([{"op":"Add","path":"manager","value":[{"$ref": null, "value": "m1"}]}]),
            resource(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "id": "u1", "userName": "a", "active": true,
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m1"}}}))),
        Row::user("manager with a $ref", a_user(),
            json!([{"op":"add","path":"manager","value":[{"$ref":"http://h/Users/m2","value":"m2"}]}]),
            resource(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "id": "u1", "userName": "a", "active": true,
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"$ref":"http://h/Users/m2","value":"m2"}}}))),
        // A new manager replaces the old reference wholesale.
        Row::user("manager replaced by a bare id",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "id": "u1", "userName": "a", "active": true,
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"$ref":"http://h/Users/m2","value":"m2"}}}),
            json!([{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m3"}]),
            resource(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "id": "u1", "userName": "a", "active": true,
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m3"}}}))),
        Row::user("manager removed",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "id": "u1", "userName": "a", "active": true,
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m3"}}}),
            json!([{"op":"Remove","path":"manager"}]),
            resource(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "id": "u1", "userName": "a", "active": true,
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {}}))),
        Row::user("manager as a bare id refused (ManagerObjectOnly)", a_user(),
            json!([{"op":"Add","path":"manager","value":"m1"}]),
            error(400, "invalidValue"))
            .with(&[ManagerObjectOnly]),
        Row::user("manager ignored (ManagerIgnored)", a_user(),
            json!([{"op":"Add","path":"manager","value":"m1"}]),
            resource(a_user()))
            .with(&[ManagerIgnored]),

        // Add to a single value, and value-filter paths.
        Row::user("add a single value", a_user(),
            json!([{"op":"Add","path":"nickName","value":"Babs"}]),
            resource(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "a", "active": true, "nickName": "Babs"}))),
        Row::user("add only to an existing value (AddRequiresExisting)", a_user(),
            json!([{"op":"Add","path":"nickName","value":"Babs"}]),
            error(400, "noTarget"))
            .with(&[AddRequiresExisting]),
        Row::user("add through a filter path creates the element", a_user(),
            json!([{"op":"add","path":"emails[type eq \"work\"].value","value":"w@x.test"}]),
            resource(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "a", "active": true,
                "emails": [{"type":"work","value":"w@x.test"}]}))),
        Row::user("replace through a filter path",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "a", "active": true,
                "emails": [{"type":"work","value":"w@x.test"}]}),
            json!([{"op":"replace","path":"emails[type eq \"work\"].value","value":"v@x.test"}]),
            resource(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "a", "active": true,
                "emails": [{"type":"work","value":"v@x.test"}]}))),
        Row::user("filter path needs an existing element (FilterPathNeedsExisting)", a_user(),
            json!([{"op":"add","path":"emails[type eq \"work\"].value","value":"w@x.test"}]),
            error(400, "noTarget"))
            .with(&[FilterPathNeedsExisting]),
        Row::user("a filter that names no element to create", a_user(),
            json!([{"op":"add","path":"emails[type co \"w\"].value","value":"w"}]),
            error(400, "noTarget")),

        // URN-qualified paths.
        Row::user("URN-qualified path", a_user(),
            json!([{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"R&D"}]),
            resource(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "id": "u1", "userName": "a", "active": true,
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"}}))),
        Row::user("URN-qualified path ignored (IgnoreUrnPath)", a_user(),
            json!([{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"R&D"}]),
            resource(a_user()))
            .with(&[IgnoreUrnPath]),

        // Read-only attributes and bad paths.
        Row::user("replace a read-only attribute", a_user(),
            json!([{"op":"replace","path":"id","value":"x"}]),
            error(400, "mutability")),
        Row::user("a path-less value may repeat the id", a_user(),
            json!([{"op":"replace","value":{"id":"u1","active":false}}]),
            resource(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "a", "active": false}))),
        Row::user("a path that does not parse", a_user(),
            json!([{"op":"replace","path":"emails[type eq","value":"x"}]),
            error(400, "invalidPath")),
        Row::user("remove without a path", a_user(),
            json!([{"op":"remove"}]),
            error(400, "noTarget")),
        Row::user("a path-less value that is not an object", a_user(),
            json!([{"op":"replace","value":"x"}]),
            error(400, "invalidValue")),

        // Null unassigns.
        Row::user("null unassigns",
            json!({"id":"u1","userName":"a","nickName":"n","name":{"givenName":"g","familyName":"f"}}),
            json!([
                {"op":"replace","path":"nickName","value":null},
                {"op":"replace","value":{"name":{"givenName":null}}}]),
            resource(json!({"id":"u1","userName":"a","name":{"familyName":"f"}}))),

        // Group members.
        Row::group("legacy member removal with a value list", a_group(),
            json!([{"op":"Remove","path":"members","value":[{"$ref":null,"value":"u1"}]}]),
            resource(json!({"id":"g1","displayName":"G","members":[{"value":"u2","type":"User"}]}))),
        Row::group("legacy member removal refused (RejectLegacyMemberRemove)", a_group(),
            json!([{"op":"Remove","path":"members","value":[{"$ref":null,"value":"u1"}]}]),
            error(400, "invalidValue"))
            .with(&[RejectLegacyMemberRemove]),
        Row::group("legacy member removal clears all (LegacyRemoveClearsAll)", a_group(),
            json!([{"op":"Remove","path":"members","value":[{"$ref":null,"value":"u1"}]}]),
            resource(json!({"id":"g1","displayName":"G"})))
            .with(&[LegacyRemoveClearsAll]),
        Row::group("member removal by filter", a_group(),
            json!([{"op":"remove","path":"members[value eq \"u2\"]"}]),
            resource(json!({"id":"g1","displayName":"G","members":[{"value":"u1","type":"User"}]}))),
        Row::group("member removal by filter ignored (MemberFilterRemoveIgnored)", a_group(),
            json!([{"op":"remove","path":"members[value eq \"u2\"]"}]),
            resource(a_group()))
            .with(&[MemberFilterRemoveIgnored]),
        Row::group("removing an unknown member is no error", a_group(),
            json!([
                {"op":"remove","path":"members[value eq \"nobody\"]"},
                {"op":"Replace","path":"displayName","value":"H"}]),
            resource(json!({"id":"g1","displayName":"H","members":[{"value":"u1","type":"User"},{"value":"u2","type":"User"}]}))),
        Row::group("removing an unknown member fails (UnknownMemberFailsPatch)", a_group(),
            json!([
                {"op":"remove","path":"members[value eq \"nobody\"]"},
                {"op":"Replace","path":"displayName","value":"H"}]),
            error(400, "noTarget"))
            .with(&[UnknownMemberFailsPatch]),
        Row::group("adding members skips those already in", a_group(),
            json!([{"op":"Add","path":"members","value":[{"$ref":null,"value":"u3"},{"$ref":null,"value":"u1"}]}]),
            resource(json!({"id":"g1","displayName":"G","members":[{"value":"u1","type":"User"},{"value":"u2","type":"User"},{"value":"u3"}]}))),
        Row::group("a null $ref refused (RejectNullRef)", a_group(),
            json!([{"op":"Add","path":"members","value":[{"$ref":null,"value":"u3"},{"$ref":null,"value":"u1"}]}]),
            error(400, "invalidValue"))
            .with(&[RejectNullRef]),
        Row::group("group rename", a_group(),
            json!([{"op":"Replace","path":"displayName","value":"New"}]),
            resource(json!({"id":"g1","displayName":"New","members":[{"value":"u1","type":"User"},{"value":"u2","type":"User"}]}))),
        Row::group("group rename ignored (GroupRenameIgnored)", a_group(),
            json!([{"op":"Replace","path":"displayName","value":"New"}]),
            resource(a_group()))
            .with(&[GroupRenameIgnored]),
    ]
}

#[test]
fn every_row_ends_as_expected() {
    let rows = rows();
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|row| row.check().map(|why| format!("{}: {why}", row.name)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn row_names_are_unique() {
    let mut seen = HashSet::new();
    for row in rows() {
        assert!(seen.insert(row.name), "two rows named {:?}", row.name);
    }
}

#[test]
fn parses_ops_case_insensitively() {
    let ops = parse_request(&json!({"SCHEMAS": [PATCH_URN], "operations": [{"OP": "Replace", "Path": "x", "Value": 1}]}), &Faults::default()).unwrap();
    assert_eq!(
        ops,
        vec![Operation {
            kind: OpKind::Replace,
            path: Some("x".into()),
            value: Some(json!(1))
        }]
    );
    let strict: Faults = [Fault::CaseSensitiveOps].into_iter().collect();
    let err = parse_request(
        &patch(json!([{"op": "Replace", "path": "x", "value": 1}])),
        &strict,
    )
    .unwrap_err();
    assert_eq!(err.scim_type, Some("invalidSyntax"));
    assert!(
        parse_request(
            &patch(json!([{"op": "replace", "path": "x", "value": 1}])),
            &strict
        )
        .is_ok()
    );
}

/// Bodies that are not a PatchOp at all (the operations inside one are rows).
#[test]
fn refuses_malformed_requests() {
    let none = Faults::default();
    for bad in [
        json!([]),
        json!({"Operations": []}),
        json!({"schemas": ["urn:x"], "Operations": []}),
        json!({"schemas": [PATCH_URN]}),
        json!({"schemas": [PATCH_URN], "Operations": {}}),
    ] {
        assert!(parse_request(&bad, &none).is_err(), "{bad}");
    }
}
