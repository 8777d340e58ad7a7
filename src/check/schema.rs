//! JSON Schema validation of SCIM bodies against the schemas in `fixtures/schemas/`.
//!
//! The schemas are written for idgate from RFC 7643 and RFC 7644 (draft 2020-12), embedded in the
//! binary and compiled once, on first use. A body is checked by name (`"User"`,
//! `"ListResponse<Group>"`, ...), and every place where it breaks its schema comes back as a
//! [`Violation`]: a JSON pointer and a sentence a QA engineer can act on.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::LazyLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Registry, ValidationError, Validator};
use serde_json::{Value, json};

/// One place where a body breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// JSON pointer (RFC 6901) into the body, `""` for the body itself. For a missing member it
    /// points where the member should be, e.g. `/Resources/2/userName`.
    pub pointer: String,
    /// What is wrong, e.g. `"status" must be a string, found the number 404`.
    pub message: String,
}

/// At most this many violations are returned; the last one then says how many were left out.
const MAX_VIOLATIONS: usize = 20;

/// Where the schema documents live; each file's `$id` is this plus its file name.
const BASE: &str = "https://idgate.dev/schemas/";

/// The schema files, by file name.
const DOCUMENTS: [(&str, &str); 10] = [
    (
        "common.json",
        include_str!("../../fixtures/schemas/common.json"),
    ),
    (
        "user.json",
        include_str!("../../fixtures/schemas/user.json"),
    ),
    (
        "enterprise-user.json",
        include_str!("../../fixtures/schemas/enterprise-user.json"),
    ),
    (
        "group.json",
        include_str!("../../fixtures/schemas/group.json"),
    ),
    (
        "list-response.json",
        include_str!("../../fixtures/schemas/list-response.json"),
    ),
    (
        "error.json",
        include_str!("../../fixtures/schemas/error.json"),
    ),
    (
        "service-provider-config.json",
        include_str!("../../fixtures/schemas/service-provider-config.json"),
    ),
    (
        "resource-type.json",
        include_str!("../../fixtures/schemas/resource-type.json"),
    ),
    (
        "schema.json",
        include_str!("../../fixtures/schemas/schema.json"),
    ),
    (
        "patch-op.json",
        include_str!("../../fixtures/schemas/patch-op.json"),
    ),
];

/// Each name a body can be checked against, with its schema file. `ListResponse<X>` is
/// list-response.json with every item of `Resources` checked against X's file.
const NAMES: [(&str, &str); 12] = [
    ("User", "user.json"),
    ("Group", "group.json"),
    ("EnterpriseUser", "enterprise-user.json"),
    ("Error", "error.json"),
    ("ServiceProviderConfig", "service-provider-config.json"),
    ("ResourceType", "resource-type.json"),
    ("Schema", "schema.json"),
    ("PatchOp", "patch-op.json"),
    ("ListResponse<User>", "user.json"),
    ("ListResponse<Group>", "group.json"),
    ("ListResponse<ResourceType>", "resource-type.json"),
    ("ListResponse<Schema>", "schema.json"),
];

/// The names [`known_names`] returns, in the order of [`NAMES`].
const KNOWN_NAMES: [&str; NAMES.len()] = {
    let mut names = [""; NAMES.len()];
    let mut i = 0;
    while i < NAMES.len() {
        names[i] = NAMES[i].0;
        i += 1;
    }
    names
};

/// The parsed schema documents, by `$id`; also read back to phrase messages.
static DOCUMENT_VALUES: LazyLock<HashMap<String, Value>> = LazyLock::new(|| {
    DOCUMENTS
        .iter()
        .map(|(file, text)| {
            let value: Value = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("fixtures/schemas/{file} is not JSON: {e}"));
            (format!("{BASE}{file}"), value)
        })
        .collect()
});

/// One compiled validator per name of [`NAMES`], in the same order.
static VALIDATORS: LazyLock<Vec<Validator>> = LazyLock::new(|| {
    let registry = Registry::new()
        .draft(Draft::Draft202012)
        .extend(DOCUMENT_VALUES.iter().map(|(id, doc)| (id.as_str(), doc)))
        .and_then(|builder| builder.prepare())
        .unwrap_or_else(|e| panic!("the schemas in fixtures/schemas/ do not register: {e}"));
    NAMES
        .iter()
        .map(|(name, file)| {
            let root = if name.starts_with("ListResponse<") {
                json!({
                    "allOf": [{ "$ref": format!("{BASE}list-response.json") }],
                    "properties": { "Resources": { "items": { "$ref": format!("{BASE}{file}") } } }
                })
            } else {
                json!({ "$ref": format!("{BASE}{file}") })
            };
            jsonschema::draft202012::options()
                .with_registry(&registry)
                .should_validate_formats(true)
                .build(&root)
                .unwrap_or_else(|e| panic!("the schema for {name} does not compile: {e}"))
        })
        .collect()
});

/// The names [`validate`] knows, e.g. `"User"` and `"ListResponse<Group>"`.
pub fn known_names() -> &'static [&'static str] {
    &KNOWN_NAMES
}

/// Whether [`validate`] knows a schema by this name.
pub fn is_known(name: &str) -> bool {
    KNOWN_NAMES.contains(&name)
}

/// Checks a body against the schema called `name`.
///
/// Violations come back sorted by pointer (array indices in numeric order), at most
/// [`MAX_VIOLATIONS`] of them. An unknown name is one violation at the root that says so.
pub fn validate(name: &str, body: &Value) -> Result<(), Vec<Violation>> {
    let Some(index) = KNOWN_NAMES.iter().position(|known| *known == name) else {
        return Err(vec![Violation {
            pointer: String::new(),
            message: format!(
                "no schema is named \"{name}\"; known: {}",
                KNOWN_NAMES.join(", ")
            ),
        }]);
    };
    let mut violations: Vec<Violation> = VALIDATORS[index]
        .iter_errors(body)
        .map(|error| describe(&error))
        .collect();
    if violations.is_empty() {
        return Ok(());
    }
    violations.sort_by(|a, b| {
        compare_pointers(&a.pointer, &b.pointer).then_with(|| a.message.cmp(&b.message))
    });
    violations.dedup();
    if violations.len() > MAX_VIOLATIONS {
        let left_out = violations.len() - (MAX_VIOLATIONS - 1);
        violations.truncate(MAX_VIOLATIONS - 1);
        violations.push(Violation {
            pointer: String::new(),
            message: format!("and {left_out} more violations not shown"),
        });
    }
    Err(violations)
}

/// Turns one validation error into a violation with a readable message.
fn describe(error: &ValidationError<'_>) -> Violation {
    let mut pointer = error.instance_path().as_str().to_owned();
    if let ValidationErrorKind::Required { property } = error.kind() {
        let property = property.as_str().unwrap_or_default();
        pointer.push('/');
        pointer.push_str(&property.replace('~', "~0").replace('/', "~1"));
    }
    let subject = subject(&pointer);
    let (schema, keyword) = failing_keyword(error).unwrap_or((&Value::Null, ""));
    let expected = schema.get("x-expected").and_then(Value::as_str);
    let instance = error.instance();
    let found = found(instance);
    let message = match (error.kind(), expected) {
        (ValidationErrorKind::Type { .. }, _) => {
            let types = schema.get(keyword).map(type_phrase).unwrap_or_default();
            format!("{subject} must be {types}, found {found}")
        }
        (ValidationErrorKind::Required { .. }, Some(expected)) => format!("{subject} {expected}"),
        (ValidationErrorKind::Required { .. }, None) => {
            format!("{subject} is required but missing")
        }
        (
            ValidationErrorKind::Pattern { .. }
            | ValidationErrorKind::Enum { .. }
            | ValidationErrorKind::Constant { .. }
            | ValidationErrorKind::Format { .. },
            Some(expected),
        ) => format!("{subject} {expected}, found {found}"),
        (_, Some(expected)) => format!("{subject} {expected}"),
        (ValidationErrorKind::Pattern { pattern }, None) => {
            format!("{subject} must match the pattern {pattern}, found {found}")
        }
        (ValidationErrorKind::Enum { options }, None) => {
            format!("{subject} must be one of {}, found {found}", list(options))
        }
        (ValidationErrorKind::Constant { expected_value }, None) => {
            format!("{subject} must be {expected_value}, found {found}")
        }
        (ValidationErrorKind::Format { format }, None) => {
            format!("{subject} must be {}, found {found}", format_phrase(format))
        }
        (ValidationErrorKind::MinLength { limit: 1 }, None) => {
            format!("{subject} must not be empty")
        }
        (ValidationErrorKind::MinLength { limit }, None) => {
            format!("{subject} must be at least {limit} characters long, found {found}")
        }
        (ValidationErrorKind::MaxLength { limit }, None) => {
            format!("{subject} must be at most {limit} characters long")
        }
        (ValidationErrorKind::Minimum { limit }, None) => {
            format!("{subject} must be at least {limit}, found {found}")
        }
        (ValidationErrorKind::Maximum { limit }, None) => {
            format!("{subject} must be at most {limit}, found {found}")
        }
        (ValidationErrorKind::ExclusiveMinimum { limit }, None) => {
            format!("{subject} must be greater than {limit}, found {found}")
        }
        (ValidationErrorKind::ExclusiveMaximum { limit }, None) => {
            format!("{subject} must be less than {limit}, found {found}")
        }
        (ValidationErrorKind::MinItems { limit }, None) => {
            let items = if *limit == 1 { "item" } else { "items" };
            format!("{subject} must have at least {limit} {items}, found {found}")
        }
        (ValidationErrorKind::MaxItems { limit }, None) => {
            format!("{subject} must have at most {limit} items, found {found}")
        }
        (ValidationErrorKind::UniqueItems, None) => {
            format!("{subject} must not contain the same item twice")
        }
        (ValidationErrorKind::AdditionalProperties { unexpected }, None) => {
            format!(
                "{subject} has unexpected members: {}",
                unexpected.join(", ")
            )
        }
        (ValidationErrorKind::Not { .. } | ValidationErrorKind::FalseSchema, None) => {
            format!("{subject} is not allowed here")
        }
        (_, None) => format!("{subject}: {error}"),
    };
    Violation { pointer, message }
}

/// How a message names the place a pointer designates: its last member name and any array
/// indices after it, e.g. `"userName"`, `"emails[0]"`, or "the body" for the root.
fn subject(pointer: &str) -> String {
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
        .collect();
    let Some(name_at) = segments.iter().rposition(|s| !is_index(s)) else {
        return match segments.as_slice() {
            [] => "the body".to_owned(),
            indices => format!("the body[{}]", indices.join("][")),
        };
    };
    let mut subject = format!("\"{}", segments[name_at]);
    for index in &segments[name_at + 1..] {
        subject.push_str(&format!("[{index}]"));
    }
    subject.push('"');
    subject
}

fn is_index(segment: &str) -> bool {
    !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit())
}

/// Orders pointers segment by segment, array indices by number, so `/Resources/2` comes
/// before `/Resources/10`.
fn compare_pointers(a: &str, b: &str) -> Ordering {
    let mut a = a.split('/');
    let mut b = b.split('/');
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = if is_index(x) && is_index(y) {
                    (x.len(), x).cmp(&(y.len(), y))
                } else {
                    x.cmp(y)
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

/// The schema object holding the keyword that failed, and the keyword's name, read back from
/// the embedded documents through the error's absolute keyword location.
fn failing_keyword<'e>(error: &ValidationError<'e>) -> Option<(&'static Value, &'static str)> {
    let location = error.absolute_keyword_location()?.as_str();
    let (document, fragment) = location.split_once('#')?;
    let document = DOCUMENT_VALUES.get(document)?;
    let fragment = percent_decode(fragment);
    let (parent, keyword) = fragment.rsplit_once('/')?;
    let schema = document.pointer(parent)?;
    let (keyword, _) = schema.as_object()?.get_key_value(&unescape(keyword))?;
    Some((schema, keyword.as_str()))
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// Decodes `%XX` escapes of a URI fragment; anything malformed is kept as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(byte) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// "a string", "a boolean or an object", ...: the value of a `type` keyword, null left out
/// unless it is the only type, since null only ever stands for "unassigned" (RFC 7643 §2.5).
fn type_phrase(types: &Value) -> String {
    let names: Vec<&str> = match types {
        Value::String(name) => vec![name.as_str()],
        Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let shown: Vec<&str> = match names
        .iter()
        .copied()
        .filter(|n| *n != "null")
        .collect::<Vec<_>>()
    {
        not_null if not_null.is_empty() => names,
        not_null => not_null,
    };
    let phrases: Vec<&str> = shown
        .iter()
        .map(|name| match *name {
            "string" => "a string",
            "boolean" => "a boolean",
            "integer" => "an integer",
            "number" => "a number",
            "object" => "an object",
            "array" => "an array",
            "null" => "null",
            other => other,
        })
        .collect();
    if phrases.is_empty() {
        "of another type".to_owned()
    } else {
        phrases.join(" or ")
    }
}

fn format_phrase(format: &str) -> String {
    match format {
        "date-time" => "a date-time as in RFC 3339, such as \"2024-05-02T08:15:30Z\"".to_owned(),
        "uri" => "an absolute URI".to_owned(),
        "uri-reference" => "a URI reference".to_owned(),
        other => format!("a valid {other}"),
    }
}

/// What a message says it found, e.g. `the number 404` or `the string "False"`.
fn found(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!(
            "the string {}",
            shorten(&Value::String(s.clone()).to_string())
        ),
        Value::Array(items) if items.is_empty() => "an empty array".to_owned(),
        Value::Array(items) if items.len() == 1 => "an array of 1 item".to_owned(),
        Value::Array(items) => format!("an array of {} items", items.len()),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// The values of an `enum`, quoted and comma-separated; null is left out (see [`type_phrase`]).
fn list(options: &Value) -> String {
    match options {
        Value::Array(values) => values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| shorten(&v.to_string()))
            .collect::<Vec<_>>()
            .join(", "),
        other => shorten(&other.to_string()),
    }
}

/// Keeps a rendered value short enough for one line of a report.
fn shorten(text: &str) -> String {
    const LIMIT: usize = 60;
    if text.chars().count() <= LIMIT {
        text.to_owned()
    } else {
        let kept: String = text.chars().take(LIMIT).collect();
        format!("{kept}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(text: &str) -> Value {
        serde_json::from_str(text).expect("sample is JSON")
    }

    /// The violations of a body that must fail.
    fn violations(name: &str, body: &Value) -> Vec<Violation> {
        validate(name, body).expect_err("the body should break its schema")
    }

    /// Asserts the body fails with a violation at `pointer`, and returns that one's message.
    fn message_at(name: &str, body: &Value, pointer: &str) -> String {
        let found = violations(name, body);
        found
            .iter()
            .find(|v| v.pointer == pointer)
            .unwrap_or_else(|| panic!("no violation at {pointer:?}; got {found:#?}"))
            .message
            .clone()
    }

    fn user() -> Value {
        sample(include_str!(
            "../../fixtures/samples/user-entra-created.json"
        ))
    }

    fn spc() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": "https://scim.example.test/help",
            "patch": { "supported": true },
            "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
            "filter": { "supported": true, "maxResults": 200 },
            "changePassword": { "supported": false },
            "sort": { "supported": false },
            "etag": { "supported": false },
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Authentication with a bearer token",
                "specUri": "https://www.rfc-editor.org/info/rfc6750",
                "primary": true
            }],
            "meta": { "resourceType": "ServiceProviderConfig", "location": "https://scim.example.test/scim/v2/ServiceProviderConfig" }
        })
    }

    fn resource_type() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "User Account",
            "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
            "schemaExtensions": [
                { "schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": false }
            ],
            "meta": { "resourceType": "ResourceType", "location": "https://scim.example.test/scim/v2/ResourceTypes/User" }
        })
    }

    fn schema_resource() -> Value {
        json!({
            "id": "urn:ietf:params:scim:schemas:core:2.0:Group",
            "name": "Group",
            "description": "Group",
            "attributes": [
                { "name": "displayName", "type": "string", "multiValued": false, "required": true,
                  "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none" },
                { "name": "members", "type": "complex", "multiValued": true, "required": false,
                  "mutability": "readWrite", "returned": "default",
                  "subAttributes": [
                    { "name": "value", "type": "string", "multiValued": false, "mutability": "immutable" },
                    { "name": "$ref", "type": "reference", "referenceTypes": ["User", "Group"], "multiValued": false }
                  ] }
            ],
            "meta": { "resourceType": "Schema", "location": "https://scim.example.test/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group" }
        })
    }

    fn list_of(items: Vec<Value>) -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": items.len(),
            "startIndex": 1,
            "itemsPerPage": items.len(),
            "Resources": items
        })
    }

    #[test]
    fn names_are_the_twelve_documented_ones() {
        assert_eq!(known_names().len(), 12);
        assert!(is_known("ListResponse<Group>"));
        assert!(!is_known("ListResponse<Error>"));
        assert!(!is_known("user"));
        for name in known_names() {
            // Every validator compiles, and an array breaks every schema.
            assert!(validate(name, &json!([])).is_err(), "{name}");
        }
    }

    #[test]
    fn unknown_name_is_one_violation_at_the_root() {
        let found = violations("Users", &json!({}));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].pointer, "");
        assert!(
            found[0].message.contains("\"Users\""),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn samples_are_valid() {
        let user = user();
        assert_eq!(validate("User", &user), Ok(()));
        let extension = &user["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];
        assert_eq!(validate("EnterpriseUser", extension), Ok(()));
        let group = sample(include_str!("../../fixtures/samples/group.json"));
        assert_eq!(validate("Group", &group), Ok(()));
        let users = sample(include_str!(
            "../../fixtures/samples/list-response-users.json"
        ));
        assert_eq!(validate("ListResponse<User>", &users), Ok(()));
        let empty = sample(include_str!(
            "../../fixtures/samples/list-response-empty.json"
        ));
        for name in known_names()
            .iter()
            .filter(|n| n.starts_with("ListResponse<"))
        {
            assert_eq!(validate(name, &empty), Ok(()), "{name}");
        }
        for error in [
            include_str!("../../fixtures/samples/error-not-found.json"),
            include_str!("../../fixtures/samples/error-conflict.json"),
        ] {
            assert_eq!(validate("Error", &sample(error)), Ok(()));
        }
        for patch in [
            include_str!("../../fixtures/samples/patch-entra-legacy.json"),
            include_str!("../../fixtures/samples/patch-entra-2020.json"),
            include_str!("../../fixtures/samples/patch-entra-group-members.json"),
        ] {
            assert_eq!(validate("PatchOp", &sample(patch)), Ok(()));
        }
        assert_eq!(validate("ServiceProviderConfig", &spc()), Ok(()));
        assert_eq!(validate("ResourceType", &resource_type()), Ok(()));
        assert_eq!(validate("Schema", &schema_resource()), Ok(()));
        assert_eq!(
            validate("ListResponse<Group>", &list_of(vec![group])),
            Ok(())
        );
        assert_eq!(
            validate(
                "ListResponse<ResourceType>",
                &list_of(vec![resource_type()])
            ),
            Ok(())
        );
        assert_eq!(
            validate("ListResponse<Schema>", &list_of(vec![schema_resource()])),
            Ok(())
        );
    }

    #[test]
    fn null_stands_for_unassigned() {
        let mut user = user();
        user["nickName"] = Value::Null;
        user["active"] = Value::Null;
        user["emails"] = Value::Null;
        assert_eq!(validate("User", &user), Ok(()));
    }

    #[test]
    fn error_status_must_be_a_string() {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": 404,
            "detail": "Resource not found"
        });
        assert_eq!(
            violations("Error", &body),
            vec![Violation {
                pointer: "/status".into(),
                message: "\"status\" must be a string, found the number 404".into(),
            }]
        );
    }

    #[test]
    fn error_status_scim_type_and_schemas_are_checked() {
        let body =
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "4040"});
        assert!(message_at("Error", &body, "/status").contains("3-digit"));
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "409", "scimType": "conflict"});
        assert!(message_at("Error", &body, "/scimType").contains("\"uniqueness\""));
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "detail": "x"});
        assert_eq!(
            message_at("Error", &body, "/status"),
            "\"status\" is required but missing"
        );
        assert!(message_at("Error", &body, "/schemas").contains("messages:2.0:Error"));
    }

    #[test]
    fn user_active_must_be_a_boolean() {
        let mut user = user();
        user["active"] = json!("False");
        assert_eq!(
            violations("User", &user),
            vec![Violation {
                pointer: "/active".into(),
                message: "\"active\" must be a boolean, found the string \"False\"".into(),
            }]
        );
    }

    #[test]
    fn user_needs_id_and_user_name() {
        let mut user = user();
        let object = user.as_object_mut().expect("object");
        object.remove("id");
        object.remove("userName");
        let found = violations("User", &user);
        let pointers: Vec<&str> = found.iter().map(|v| v.pointer.as_str()).collect();
        assert_eq!(pointers, ["/id", "/userName"]);
        assert_eq!(found[0].message, "\"id\" is required but missing");
    }

    #[test]
    fn user_rules_beyond_types() {
        let mut user = user();
        user["password"] = json!("t0p-s3cret");
        let message = message_at("User", &user, "/password");
        assert!(
            !message.contains("t0p-s3cret"),
            "a password is never echoed: {message}"
        );

        let mut user = self::user();
        user["emails"] =
            json!([{"value": "a@x.test", "primary": true}, {"value": "b@x.test", "primary": true}]);
        assert!(message_at("User", &user, "/emails").contains("at most one"));

        let mut user = self::user();
        user["meta"]["created"] = json!("02/05/2024");
        assert!(message_at("User", &user, "/meta/created").contains("RFC 3339"));

        let mut user = self::user();
        user["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:User"]);
        assert!(message_at("User", &user, "/schemas").contains("enterprise"));

        let mut user = self::user();
        user["id"] = json!("bulkId");
        assert!(message_at("User", &user, "/id").contains("reserved"));
    }

    #[test]
    fn enterprise_manager_is_one_object() {
        let mut user = user();
        let urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        user[urn]["manager"] = json!([{"value": "26118915"}]);
        let pointer = format!("/{urn}/manager");
        assert_eq!(
            message_at("User", &user, &pointer),
            "\"manager\" must be an object, found an array of 1 item"
        );
        assert!(
            message_at(
                "EnterpriseUser",
                &json!({"manager": "26118915"}),
                "/manager"
            )
            .contains("found the string \"26118915\"")
        );
    }

    #[test]
    fn group_needs_display_name_and_member_objects() {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "id": "e9e30dba",
            "members": ["48af03ac"]
        });
        assert_eq!(
            message_at("Group", &body, "/displayName"),
            "\"displayName\" is required but missing"
        );
        assert!(
            message_at("Group", &body, "/members/0")
                .starts_with("\"members[0]\" must be an object")
        );
    }

    #[test]
    fn list_response_envelope() {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "Resources": []
        });
        assert_eq!(
            message_at("ListResponse<User>", &body, "/totalResults"),
            "\"totalResults\" is required but missing"
        );
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": 2
        });
        assert!(message_at("ListResponse<User>", &body, "/Resources").contains("not 0"));
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": -1,
            "Resources": []
        });
        assert!(message_at("ListResponse<Group>", &body, "/totalResults").contains("at least 0"));
    }

    #[test]
    fn list_response_items_are_checked_against_their_type() {
        let mut items: Vec<Value> = (0..3).map(|_| user()).collect();
        items[2].as_object_mut().expect("object").remove("userName");
        assert_eq!(
            violations("ListResponse<User>", &list_of(items)),
            vec![Violation {
                pointer: "/Resources/2/userName".into(),
                message: "\"userName\" is required but missing".into(),
            }]
        );

        let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g"});
        message_at(
            "ListResponse<Group>",
            &list_of(vec![group]),
            "/Resources/0/displayName",
        );

        let mut resource_type = resource_type();
        resource_type
            .as_object_mut()
            .expect("object")
            .remove("endpoint");
        message_at(
            "ListResponse<ResourceType>",
            &list_of(vec![resource_type]),
            "/Resources/0/endpoint",
        );

        let mut schema = schema_resource();
        schema["attributes"][1]["subAttributes"][0]["type"] = json!("uuid");
        message_at(
            "ListResponse<Schema>",
            &list_of(vec![schema]),
            "/Resources/0/attributes/1/subAttributes/0/type",
        );
    }

    #[test]
    fn service_provider_config_features() {
        let mut body = spc();
        body["patch"]["supported"] = json!("true");
        body.as_object_mut().expect("object").remove("etag");
        assert_eq!(
            message_at("ServiceProviderConfig", &body, "/patch/supported"),
            "\"supported\" must be a boolean, found the string \"true\""
        );
        message_at("ServiceProviderConfig", &body, "/etag");
    }

    #[test]
    fn resource_type_and_schema_required_members() {
        let mut body = resource_type();
        body.as_object_mut().expect("object").remove("schema");
        message_at("ResourceType", &body, "/schema");
        let mut body = schema_resource();
        body["attributes"][0]
            .as_object_mut()
            .expect("object")
            .remove("multiValued");
        message_at("Schema", &body, "/attributes/0/multiValued");
    }

    #[test]
    fn patch_op_is_matched_in_any_case() {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Upsert", "path": "active", "value": false},
                {"op": "remove"},
                {"op": "ADD", "path": "nickName"}
            ]
        });
        let found = violations("PatchOp", &body);
        let pointers: Vec<&str> = found.iter().map(|v| v.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/Operations/1/op",
                "/Operations/2/path",
                "/Operations/3/value"
            ]
        );
        let empty =
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": []});
        message_at("PatchOp", &empty, "/Operations");
    }

    #[test]
    fn violations_are_sorted_by_index_and_capped() {
        let nameless =
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "x"});
        let found = violations("ListResponse<User>", &list_of(vec![nameless.clone(); 12]));
        assert_eq!(found[1].pointer, "/Resources/1/userName");
        assert_eq!(found[2].pointer, "/Resources/2/userName");
        assert_eq!(found[10].pointer, "/Resources/10/userName");

        let found = violations("ListResponse<User>", &list_of(vec![nameless; 30]));
        assert_eq!(found.len(), MAX_VIOLATIONS);
        assert_eq!(
            found[MAX_VIOLATIONS - 1].message,
            "and 11 more violations not shown"
        );
    }

    #[test]
    fn violation_serializes_as_pointer_and_message() {
        let violation = Violation {
            pointer: "/status".into(),
            message: "m".into(),
        };
        assert_eq!(
            serde_json::to_value(&violation).expect("serializes"),
            json!({"pointer": "/status", "message": "m"})
        );
    }

    #[test]
    fn subjects_name_the_member_and_its_indices() {
        assert_eq!(subject(""), "the body");
        assert_eq!(subject("/emails/0"), "\"emails[0]\"");
        assert_eq!(subject("/a~1b/c~0d"), "\"c~d\"");
        assert_eq!(subject("/0"), "the body[0]");
    }
}
