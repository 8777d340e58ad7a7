//! Attribute paths and where they lead in a resource, value normalisation on write, and the
//! attribute projection of responses.

use serde_json::{Map, Value, json};

use super::Faults;
use super::error::ScimError;
use super::schema::{Attr, COMMON, Kind, Mutability, ResourceType, Returned, SCHEMAS};
use crate::fault::Fault;

/// An attribute path as written by a client: `[urn ":"] name ["." sub]` (RFC 7644 §3.10).
#[derive(Clone, Debug, PartialEq)]
pub struct AttrPath {
    pub urn: Option<String>,
    /// Empty only when the path names a whole schema extension by its URN.
    pub name: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// Parses a path. Known schema URNs are matched first, because they contain dots ("2.0")
    /// and may be given alone to mean the whole extension object.
    pub fn parse(text: &str) -> Option<AttrPath> {
        let text = text.trim();
        let (urn, rest) = if starts_with_ci(text, "urn:") {
            let known = SCHEMAS.iter().map(|s| s.id).find(|id| {
                starts_with_ci(text, id)
                    && (text.len() == id.len() || text.as_bytes().get(id.len()) == Some(&b':'))
            });
            match known {
                Some(id) if text.len() == id.len() => {
                    return Some(AttrPath {
                        urn: Some(id.to_string()),
                        name: String::new(),
                        sub: None,
                    });
                }
                Some(id) => (Some(id.to_string()), &text[id.len() + 1..]),
                // An unknown extension: attribute names cannot hold ':', so the URN ends at the last one.
                None => {
                    let cut = text.rfind(':')?;
                    (Some(text[..cut].to_string()), &text[cut + 1..])
                }
            }
        } else {
            (None, text)
        };
        let (name, sub) = match rest.split_once('.') {
            Some((name, sub)) => (name, Some(sub)),
            None => (rest, None),
        };
        if !is_attr_name(name) || sub.is_some_and(|s| !is_attr_name(s)) {
            return None;
        }
        Some(AttrPath {
            urn,
            name: name.to_string(),
            sub: sub.map(str::to_string),
        })
    }
}

/// ATTRNAME of RFC 7643 §2.1, plus `$ref`.
fn is_attr_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '$' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub fn starts_with_ci(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Where an attribute lives in a resource and what the schema says about it.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The extension object holding the attribute; `None` when it sits at the top level.
    pub extension: Option<String>,
    /// Schema spelling for known attributes, the client's for others; empty for a whole extension.
    pub name: String,
    pub def: Option<&'static Attr>,
    pub sub: Option<String>,
    pub sub_def: Option<&'static Attr>,
}

impl Resolved {
    /// The definition that governs the value at the end of the path.
    pub fn leaf_def(&self) -> Option<&'static Attr> {
        if self.sub.is_some() {
            self.sub_def
        } else {
            self.def
        }
    }

    pub fn is(&self, extension: Option<&str>, name: &str) -> bool {
        self.extension.as_deref() == extension && self.name.eq_ignore_ascii_case(name)
    }
}

impl ResourceType {
    /// Finds where `path` lives. An unqualified name that is not a core attribute is looked up
    /// in the extensions, because Entra sends `manager` without its URN.
    pub fn resolve(&'static self, path: &AttrPath) -> Resolved {
        let core = |name: &str| {
            self.schema
                .attributes
                .iter()
                .chain(COMMON)
                .find(|a| a.name.eq_ignore_ascii_case(name))
        };
        let (extension, def) = match &path.urn {
            Some(urn) if urn.eq_ignore_ascii_case(self.schema.id) => (None, core(&path.name)),
            Some(urn) => match self
                .extensions
                .iter()
                .find(|e| e.id.eq_ignore_ascii_case(urn))
            {
                Some(ext) => (Some(ext.id.to_string()), find(ext.attributes, &path.name)),
                None => (Some(urn.clone()), None),
            },
            None => match core(&path.name) {
                Some(def) => (None, Some(def)),
                None => self
                    .extensions
                    .iter()
                    .find_map(|e| {
                        find(e.attributes, &path.name).map(|d| (Some(e.id.to_string()), Some(d)))
                    })
                    .unwrap_or((None, None)),
            },
        };
        let sub_def = match (&path.sub, def) {
            (Some(sub), Some(def)) => def.sub_attr(sub),
            _ => None,
        };
        Resolved {
            extension,
            name: def.map_or_else(|| path.name.clone(), |d| d.name.to_string()),
            def,
            sub: path.sub.clone(),
            sub_def,
        }
    }
}

fn find(attrs: &'static [Attr], name: &str) -> Option<&'static Attr> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

// Attribute names are case-insensitive (RFC 7643 §2.1), so every JSON key lookup is too.

pub fn key_ci(obj: &Map<String, Value>, name: &str) -> Option<String> {
    obj.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

pub fn get_ci<'v>(obj: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

pub fn get_ci_mut<'v>(obj: &'v mut Map<String, Value>, name: &str) -> Option<&'v mut Value> {
    obj.iter_mut()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

pub fn remove_ci(obj: &mut Map<String, Value>, name: &str) -> Option<Value> {
    let key = key_ci(obj, name)?;
    obj.shift_remove(&key)
}

/// Sets `name`, keeping the client's spelling of an existing key.
pub fn set_ci(obj: &mut Map<String, Value>, name: &str, value: Value) {
    let key = key_ci(obj, name).unwrap_or_else(|| name.to_string());
    obj.insert(key, value);
}

/// The object that holds a resolved attribute: the resource itself or an extension object.
pub fn container<'v>(
    resource: &'v Map<String, Value>,
    at: &Resolved,
) -> Option<&'v Map<String, Value>> {
    match &at.extension {
        None => Some(resource),
        Some(urn) => get_ci(resource, urn)?.as_object(),
    }
}

/// Like [`container`], creating the extension object (and listing its URN in `schemas`) when
/// asked to.
pub fn container_mut<'v>(
    resource: &'v mut Map<String, Value>,
    at: &Resolved,
    create: bool,
) -> Result<Option<&'v mut Map<String, Value>>, ScimError> {
    let Some(urn) = &at.extension else {
        return Ok(Some(resource));
    };
    if key_ci(resource, urn).is_none() {
        if !create {
            return Ok(None);
        }
        resource.insert(urn.clone(), Value::Object(Map::new()));
        list_schema(resource, urn);
    }
    match get_ci_mut(resource, urn) {
        Some(Value::Object(ext)) => Ok(Some(ext)),
        Some(_) if create => Err(ScimError::invalid_value(format!(
            "`{urn}` must be an object"
        ))),
        _ => Ok(None),
    }
}

/// Adds `urn` to the resource's `schemas` when missing.
pub fn list_schema(resource: &mut Map<String, Value>, urn: &str) {
    let schemas = resource
        .entry("schemas")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = schemas
        && !list
            .iter()
            .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)))
    {
        list.push(urn.into());
    }
}

/// Checks and coerces a value written to an attribute. String booleans ("True", "false") become
/// JSON booleans because Entra's legacy dialect sends them; a complex attribute with a `value`
/// sub-attribute (the manager) accepts a bare id, a `{"value": id}` object or a one-element array.
pub fn normalise(
    def: Option<&'static Attr>,
    value: Value,
    faults: &Faults,
) -> Result<Value, ScimError> {
    let Some(def) = def else { return Ok(value) };
    if value.is_null() {
        return Ok(value);
    }
    if def.multi {
        let items = match value {
            Value::Array(items) => items,
            single => vec![single],
        };
        return items
            .into_iter()
            .map(|v| normalise_one(def, v, faults))
            .collect::<Result<_, _>>()
            .map(Value::Array);
    }
    normalise_one(def, value, faults)
}

/// Like [`normalise`] for one element of a multi-valued attribute.
pub fn normalise_item(
    def: Option<&'static Attr>,
    value: Value,
    faults: &Faults,
) -> Result<Value, ScimError> {
    match def {
        Some(def) if !value.is_null() => normalise_one(def, value, faults),
        _ => Ok(value),
    }
}

/// Drops null members: null means unassigned (RFC 7643 §2.5), so it is never stored.
pub fn strip_nulls(value: Value) -> Value {
    match value {
        Value::Object(obj) => Value::Object(
            obj.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .filter(|v| !v.is_null())
                .map(strip_nulls)
                .collect(),
        ),
        other => other,
    }
}

fn normalise_one(def: &'static Attr, value: Value, faults: &Faults) -> Result<Value, ScimError> {
    let wrong = |what: &str| ScimError::invalid_value(format!("`{}` must be {what}", def.name));
    match def.kind {
        Kind::Boolean => match value {
            Value::Bool(_) => Ok(value),
            Value::String(s)
                if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") =>
            {
                if faults.contains(&Fault::RejectStringBooleans) {
                    Err(wrong("a JSON boolean, not a string"))
                } else if faults.contains(&Fault::StringActiveEchoed) {
                    Ok(Value::String(s))
                } else {
                    Ok(Value::Bool(s.eq_ignore_ascii_case("true")))
                }
            }
            _ => Err(wrong("a boolean")),
        },
        Kind::Complex => match value {
            Value::Object(obj) => {
                let mut out = Map::new();
                for (key, v) in obj {
                    // Nulls stay: a PATCH merge reads them as "unassign this sub-attribute".
                    let v = normalise(def.sub_attr(&key), v, faults)?;
                    out.insert(key, v);
                }
                Ok(Value::Object(out))
            }
            Value::Array(mut items)
                if !def.multi && items.len() == 1 && def.sub_attr("value").is_some() =>
            {
                normalise_one(def, items.remove(0), faults)
            }
            // Only a single reference (the manager) may be a bare id; a list element may not.
            Value::String(id) if !def.multi && def.sub_attr("value").is_some() => {
                if faults.contains(&Fault::ManagerObjectOnly) {
                    Err(wrong("an object such as {\"value\": \"<id>\"}"))
                } else {
                    Ok(json!({ "value": id }))
                }
            }
            _ => Err(wrong("an object")),
        },
        _ => match value {
            Value::String(_) => Ok(value),
            // A fault: string attributes take whatever JSON they are given.
            _ if faults.contains(&Fault::MalformedMemberStored) => Ok(value),
            _ => Err(wrong("a string")),
        },
    }
}

/// Coerces every attribute of a resource body sent with POST or PUT, and drops what the client
/// may not set (`id`, `meta`, `groups`: readOnly attributes are ignored on input, RFC 7643 §7).
pub fn normalise_resource(
    rt: &'static ResourceType,
    body: Map<String, Value>,
    faults: &Faults,
) -> Result<Map<String, Value>, ScimError> {
    let mut out = Map::new();
    let mut extensions = Vec::new();
    for (key, value) in body {
        if key.eq_ignore_ascii_case("schemas") {
            let valid = value
                .as_array()
                .is_some_and(|l| l.iter().all(Value::is_string));
            if !valid {
                return Err(ScimError::invalid_syntax(
                    "`schemas` must be an array of strings",
                ));
            }
            out.insert("schemas".into(), value);
            continue;
        }
        if rt
            .extensions
            .iter()
            .any(|e| e.id.eq_ignore_ascii_case(&key))
        {
            let Value::Object(ext) = value else {
                return Err(ScimError::invalid_value(format!(
                    "`{key}` must be an object"
                )));
            };
            let mut normalised = Map::new();
            for (name, v) in ext {
                let at = AttrPath::parse(&format!("{key}:{name}")).map(|p| rt.resolve(&p));
                let def = at.as_ref().and_then(|a| a.def);
                if def.is_some_and(|d| d.mutability == Mutability::ReadOnly) || v.is_null() {
                    continue;
                }
                normalised.insert(name, strip_nulls(normalise(def, v, faults)?));
            }
            extensions.push(key.clone());
            out.insert(key, Value::Object(normalised));
            continue;
        }
        let def = AttrPath::parse(&key)
            .map(|p| rt.resolve(&p))
            .and_then(|a| if a.extension.is_none() { a.def } else { None });
        if def.is_some_and(|d| d.mutability == Mutability::ReadOnly) || value.is_null() {
            continue;
        }
        out.insert(key, strip_nulls(normalise(def, value, faults)?));
    }
    // Listed after the loop, so a `schemas` key that comes later in the body cannot undo it.
    list_schema(&mut out, rt.schema.id);
    for urn in extensions {
        list_schema(&mut out, &urn);
    }
    // Keep the core URN first, where clients expect it.
    if let Some(Value::Array(list)) = out.get_mut("schemas")
        && let Some(pos) = list.iter().position(|s| {
            s.as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(rt.schema.id))
        })
    {
        let core = list.remove(pos);
        list.insert(0, core);
    }
    Ok(out)
}

/// Which attributes a response carries (RFC 7644 §3.4.2.5).
#[derive(Debug, Default)]
pub struct Projection {
    pub attributes: Vec<AttrPath>,
    pub excluded: Vec<AttrPath>,
}

impl Projection {
    /// The resource as returned: never-returned attributes dropped, then `attributes` or
    /// `excludedAttributes` applied; `schemas` and `id` always stay.
    pub fn apply(&self, rt: &'static ResourceType, resource: &Map<String, Value>) -> Value {
        let mut full = resource.clone();
        for attr in rt
            .schema
            .attributes
            .iter()
            .filter(|a| a.returned == Returned::Never)
        {
            remove_ci(&mut full, attr.name);
        }
        if !self.attributes.is_empty() {
            let mut out = Map::new();
            for key in ["schemas", "id"] {
                if let Some(v) = get_ci(&full, key) {
                    out.insert(key.to_string(), v.clone());
                }
            }
            for path in &self.attributes {
                copy_path(rt, &full, &mut out, path);
            }
            return Value::Object(out);
        }
        for path in &self.excluded {
            let at = rt.resolve(path);
            if at.def.is_some_and(|d| d.returned == Returned::Always)
                || path.name.eq_ignore_ascii_case("schemas")
            {
                continue;
            }
            if at.name.is_empty() {
                if let Some(urn) = &path.urn {
                    remove_ci(&mut full, urn);
                }
                continue;
            }
            let Ok(Some(holder)) = container_mut(&mut full, &at, false) else {
                continue;
            };
            match &at.sub {
                None => {
                    remove_ci(holder, &at.name);
                }
                Some(sub) => match get_ci_mut(holder, &at.name) {
                    Some(Value::Object(obj)) => {
                        remove_ci(obj, sub);
                    }
                    Some(Value::Array(items)) => {
                        for item in items.iter_mut().filter_map(Value::as_object_mut) {
                            remove_ci(item, sub);
                        }
                    }
                    _ => {}
                },
            }
        }
        Value::Object(full)
    }
}

/// Copies the value at `path` from `from` into `to`, creating parents as needed.
fn copy_path(
    rt: &'static ResourceType,
    from: &Map<String, Value>,
    to: &mut Map<String, Value>,
    path: &AttrPath,
) {
    let at = rt.resolve(path);
    if at.name.is_empty() {
        if let Some(urn) = &path.urn
            && let Some(key) = key_ci(from, urn)
        {
            to.insert(key.clone(), from[&key].clone());
        }
        return;
    }
    let Some(source) = container(from, &at) else {
        return;
    };
    let Some(key) = key_ci(source, &at.name) else {
        return;
    };
    let value = &source[&key];
    let picked = match &at.sub {
        None => value.clone(),
        Some(sub) => match value {
            Value::Object(obj) => match get_ci(obj, sub) {
                Some(v) => json!({ sub.as_str(): v }),
                None => return,
            },
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .filter_map(|i| {
                        i.as_object()
                            .and_then(|o| get_ci(o, sub))
                            .map(|v| json!({ sub.as_str(): v }))
                    })
                    .collect(),
            ),
            _ => return,
        },
    };
    let target = match &at.extension {
        None => to,
        Some(urn) => {
            let ext = to
                .entry(urn.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            match ext.as_object_mut() {
                Some(ext) => ext,
                None => return,
            }
        }
    };
    match (target.get_mut(&key), picked) {
        // Two sub-attributes of one complex attribute requested separately: merge them.
        (Some(Value::Object(have)), Value::Object(more)) => have.extend(more),
        (_, picked) => {
            target.insert(key, picked);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{ENTERPRISE_URN, USER_URN, USERS};

    #[test]
    fn parses_paths_with_and_without_urns() {
        let p = AttrPath::parse("name.givenName").unwrap();
        assert_eq!(
            (p.urn, p.name.as_str(), p.sub.as_deref()),
            (None, "name", Some("givenName"))
        );
        let p = AttrPath::parse(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        )
        .unwrap();
        assert_eq!(p.urn.as_deref(), Some(ENTERPRISE_URN));
        assert_eq!(
            (p.name.as_str(), p.sub.as_deref()),
            ("manager", Some("value"))
        );
        let p =
            AttrPath::parse("URN:IETF:params:scim:schemas:extension:enterprise:2.0:User").unwrap();
        assert_eq!(
            (p.urn.as_deref(), p.name.as_str()),
            (Some(ENTERPRISE_URN), "")
        );
        let p = AttrPath::parse("urn:example:custom:1.0:User:badge").unwrap();
        assert_eq!(
            (p.urn.as_deref(), p.name.as_str()),
            (Some("urn:example:custom:1.0:User"), "badge")
        );
        assert!(AttrPath::parse("").is_none());
        assert!(AttrPath::parse("a b").is_none());
        assert!(AttrPath::parse("name.").is_none());
        assert!(AttrPath::parse("1abc").is_none());
    }

    #[test]
    fn resolves_unqualified_extension_attributes() {
        let at = USERS.resolve(&AttrPath::parse("MANAGER").unwrap());
        assert_eq!(at.extension.as_deref(), Some(ENTERPRISE_URN));
        assert_eq!(at.name, "manager");
        let at = USERS.resolve(&AttrPath::parse("emails.Primary").unwrap());
        assert_eq!(at.leaf_def().map(|d| d.kind), Some(Kind::Boolean));
        let at = USERS.resolve(&AttrPath::parse(&format!("{USER_URN}:userName")).unwrap());
        assert!(at.extension.is_none() && at.def.is_some());
    }

    #[test]
    fn resource_bodies_list_their_schemas_whatever_the_key_order() {
        let body = json!({
            ENTERPRISE_URN: {"employeeNumber": "7", "manager": {"value": "m"}},
            "Schemas": ["urn:example:other"],
            "userName": "a", "id": "client-id", "meta": {"resourceType": "User"}, "nickName": null,
        });
        let body = body.as_object().cloned().unwrap();
        let out = normalise_resource(&USERS, body, &Faults::default()).unwrap();
        assert_eq!(
            Value::Object(out),
            json!({
                ENTERPRISE_URN: {"employeeNumber": "7", "manager": {"value": "m"}},
                "schemas": [USER_URN, "urn:example:other", ENTERPRISE_URN],
                "userName": "a",
            })
        );
    }

    #[test]
    fn normalises_string_booleans_and_bare_manager_ids() {
        let none = Faults::default();
        let active = USERS.resolve(&AttrPath::parse("active").unwrap()).def;
        assert_eq!(
            normalise(active, json!("False"), &none).unwrap(),
            json!(false)
        );
        assert_eq!(
            normalise(active, json!("TRUE"), &none).unwrap(),
            json!(true)
        );
        assert!(normalise(active, json!("maybe"), &none).is_err());
        let manager = USERS.resolve(&AttrPath::parse("manager").unwrap()).def;
        assert_eq!(
            normalise(manager, json!("m1"), &none).unwrap(),
            json!({"value": "m1"})
        );
        let from_array = normalise(manager, json!([{"$ref": null, "value": "m1"}]), &none).unwrap();
        assert_eq!(strip_nulls(from_array), json!({"value": "m1"}));
    }
}
