//! Who got the session: the identity and attributes an SP's session endpoint
//! (`--saml-whoami-url`) shows, read from the JSON shapes SPs commonly answer with, or
//! from JSON pointers the user gives (`--saml-whoami-pointer`, `--saml-attributes-pointer`).
//!
//! The battery's verdicts compare what is read here with what the IdP signed, exactly.
//! Reading nothing is not a verdict: a session whose identity cannot be read is reported
//! as such (and the run warns once, naming the flag), never guessed from text.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

/// Keys that name the signed-in user, in the order they are preferred, compared
/// case-insensitively with `_` and `-` ignored (`nameId`, `NameID`, `name_id` are one key).
const IDENTITY_KEYS: &[&str] = &["nameid", "subject", "user", "username", "email", "sub"];
/// The key of the attribute map.
const ATTRIBUTES_KEY: &str = "attributes";

/// An attribute's values by name, as the session shows them.
pub type Attributes = BTreeMap<String, Vec<String>>;

/// What a session endpoint's answer says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SessionView {
    /// The signed-in identity, when one could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Where in the answer it was read (a JSON pointer), or `text` for a plain-text answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_at: Option<String>,
    /// The session's attributes, when the answer has a map of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
}

/// How to read a session endpoint's answer.
#[derive(Debug, Clone, Default)]
pub struct WhoamiReader {
    /// `--saml-whoami-pointer`: where the identity is, instead of detection.
    pub identity_pointer: Option<String>,
    /// `--saml-attributes-pointer`: where the attribute map is, instead of detection.
    pub attributes_pointer: Option<String>,
}

impl WhoamiReader {
    /// Reads `body`, the answer of a session endpoint that said a session exists.
    pub fn read(&self, body: &str) -> SessionView {
        let Ok(json) = serde_json::from_str::<Value>(body) else {
            // A plain-text answer that is one short line is taken as the identity.
            let t = body.trim();
            let plain = !t.is_empty() && t.len() < 256 && !t.contains(['<', '\n', '{']);
            return SessionView {
                identity: plain.then(|| t.to_string()),
                identity_at: plain.then(|| "text".to_string()),
                attributes: None,
            };
        };
        let (identity, identity_at) = match &self.identity_pointer {
            Some(p) => match json.pointer(p).and_then(scalar) {
                Some(v) => (Some(v), Some(p.clone())),
                None => (None, None),
            },
            None => find_identity(&json).unzip(),
        };
        let attributes = match &self.attributes_pointer {
            Some(p) => json.pointer(p).and_then(attribute_map),
            None => find_attributes(&json),
        };
        SessionView {
            identity,
            identity_at,
            attributes,
        }
    }
}

/// The identity at the top level, inside an identity-named object (`{"user": {"email": ...}}`)
/// or one level down (`{"session": {"nameId": ...}}`).
fn find_identity(json: &Value) -> Option<(String, String)> {
    let top = json.as_object()?;
    if let Some(found) = identity_in(top, "") {
        return Some(found);
    }
    top.iter().find_map(|(key, value)| {
        value
            .as_object()
            .and_then(|inner| identity_in(inner, &format!("/{}", escape(key))))
    })
}

/// The first identity key of `obj` with a string value, or an object holding one.
fn identity_in(obj: &Map<String, Value>, at: &str) -> Option<(String, String)> {
    for wanted in IDENTITY_KEYS {
        for (key, value) in obj {
            if normal(key) != *wanted {
                continue;
            }
            let here = format!("{at}/{}", escape(key));
            if let Some(s) = scalar(value) {
                return Some((s, here));
            }
            if let Some(inner) = value.as_object() {
                // `{"user": {"name_id": ...}}`: the identity-named object holds it.
                for inner_wanted in IDENTITY_KEYS {
                    if let Some((k, v)) = inner.iter().find(|(k, _)| normal(k) == *inner_wanted)
                        && let Some(s) = scalar(v)
                    {
                        return Some((s, format!("{here}/{}", escape(k))));
                    }
                }
            }
        }
    }
    None
}

/// The attribute map at the top level or one level down.
fn find_attributes(json: &Value) -> Option<Attributes> {
    let top = json.as_object()?;
    let at = |obj: &Map<String, Value>| {
        obj.iter()
            .find(|(k, _)| normal(k) == ATTRIBUTES_KEY)
            .and_then(|(_, v)| attribute_map(v))
    };
    at(top).or_else(|| top.values().filter_map(Value::as_object).find_map(at))
}

/// `{"name": "v"}` or `{"name": ["v", ...]}`; numbers and booleans as their JSON text.
fn attribute_map(value: &Value) -> Option<Attributes> {
    let obj = value.as_object()?;
    Some(
        obj.iter()
            .map(|(name, v)| {
                let values = match v {
                    Value::Array(items) => items.iter().filter_map(scalar).collect(),
                    other => scalar(other).into_iter().collect(),
                };
                (name.clone(), values)
            })
            .collect(),
    )
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn normal(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// A key as a JSON pointer segment (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// How the session's attributes differ from the ones the IdP signed: for every name both
/// have, the values must be the same (order aside). Names only one side has are left alone:
/// an SP may map, drop or add attributes of its own.
pub fn attribute_differences(session: &Attributes, signed: &Attributes) -> Vec<String> {
    let mut out = Vec::new();
    for (name, shown) in session {
        let Some(want) = signed.get(name) else {
            continue;
        };
        let mut a = shown.clone();
        let mut b = want.clone();
        a.sort();
        b.sort();
        if a != b {
            out.push(format!(
                "{name}: the session has {shown:?}, the IdP signed {want:?}"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &str) -> SessionView {
        WhoamiReader::default().read(body)
    }

    #[test]
    fn common_shapes_are_detected() {
        for (body, at) in [
            (r#"{"nameid":"a@b"}"#, "/nameid"),
            (r#"{"nameId":"a@b"}"#, "/nameId"),
            (r#"{"NameID":"a@b"}"#, "/NameID"),
            (r#"{"name_id":"a@b","email":"x@y"}"#, "/name_id"),
            (r#"{"subject":"a@b"}"#, "/subject"),
            (r#"{"email":"a@b","authenticated":true}"#, "/email"),
            (r#"{"user":{"nameId":"a@b"}}"#, "/user/nameId"),
            (r#"{"user":{"email":"a@b"}}"#, "/user/email"),
            (r#"{"session":{"NAME_ID":"a@b"}}"#, "/session/NAME_ID"),
            (
                r#"{"data":{"subject":{"nameid":"a@b"}}}"#,
                "/data/subject/nameid",
            ),
        ] {
            let v = read(body);
            assert_eq!(v.identity.as_deref(), Some("a@b"), "{body}");
            assert_eq!(v.identity_at.as_deref(), Some(at), "{body}");
        }
    }

    #[test]
    fn nothing_is_guessed() {
        for body in [
            r#"{"authenticated":true}"#,
            r#"{"ok":{"deep":{"nameid":"a@b"}}}"#,
            "<html><body>Welcome admin@example.com</body></html>",
            "",
        ] {
            assert_eq!(read(body).identity, None, "{body}");
        }
        assert_eq!(read("a@b\n").identity.as_deref(), Some("a@b"));
    }

    #[test]
    fn attributes_are_read_at_the_top_or_one_level_down() {
        let v = read(r#"{"nameid":"a","attributes":{"email":["a@b"],"n":1}}"#);
        let attrs = v.attributes.unwrap();
        assert_eq!(attrs["email"], vec!["a@b"]);
        assert_eq!(attrs["n"], vec!["1"]);
        let v = read(r#"{"session":{"nameId":"a","Attributes":{"role":"x"}}}"#);
        assert_eq!(v.attributes.unwrap()["role"], vec!["x"]);
        assert_eq!(read(r#"{"nameid":"a"}"#).attributes, None);
    }

    #[test]
    fn pointers_win_over_detection() {
        let r = WhoamiReader {
            identity_pointer: Some("/profile/login".into()),
            attributes_pointer: Some("/profile/claims".into()),
        };
        let v = r.read(r#"{"email":"no","profile":{"login":"a@b","claims":{"k":["v"]}}}"#);
        assert_eq!(v.identity.as_deref(), Some("a@b"));
        assert_eq!(v.attributes.unwrap()["k"], vec!["v"]);
        // A pointer that finds nothing reads nothing; it does not fall back to guessing.
        let v = r.read(r#"{"email":"a@b"}"#);
        assert_eq!(v.identity, None);
    }

    #[test]
    fn attributes_differ_only_where_both_name_them() {
        let signed: Attributes = [("email".into(), vec!["a@b".into()])].into();
        let same: Attributes = [
            ("email".into(), vec!["a@b".into()]),
            ("sp-own".into(), vec!["x".into()]),
        ]
        .into();
        assert!(attribute_differences(&same, &signed).is_empty());
        let forged: Attributes = [("email".into(), vec!["admin@b".into()])].into();
        assert_eq!(
            attribute_differences(&forged, &signed),
            vec![r#"email: the session has ["admin@b"], the IdP signed ["a@b"]"#]
        );
    }
}
