//! The in-memory resource store: users and groups in creation order, their ids and metadata.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::resource::{get_ci, get_ci_mut};
use super::schema::{GROUPS, ResourceType, USERS};

pub type Resource = Map<String, Value>;

/// Users and groups, each kept in creation order so pages are stable.
#[derive(Debug, Default)]
pub struct Store {
    users: Vec<Resource>,
    groups: Vec<Resource>,
}

impl Store {
    pub fn all(&self, rt: &'static ResourceType) -> &[Resource] {
        if rt.is_group() {
            &self.groups
        } else {
            &self.users
        }
    }

    fn all_mut(&mut self, rt: &'static ResourceType) -> &mut Vec<Resource> {
        if rt.is_group() {
            &mut self.groups
        } else {
            &mut self.users
        }
    }

    pub fn get(&self, rt: &'static ResourceType, id: &str) -> Option<&Resource> {
        self.all(rt).iter().find(|r| id_of(r) == Some(id))
    }

    pub fn insert(&mut self, rt: &'static ResourceType, resource: Resource) {
        self.all_mut(rt).push(resource);
    }

    /// Replaces the stored resource with the same id, keeping its place in the order.
    pub fn update(&mut self, rt: &'static ResourceType, resource: Resource) {
        let id = id_of(&resource).map(str::to_string);
        if let Some(slot) = self
            .all_mut(rt)
            .iter_mut()
            .find(|r| id_of(r) == id.as_deref())
        {
            *slot = resource;
        }
    }

    /// Removes a resource and leaves its memberships dangling (a fault's behaviour).
    pub fn remove_alone(&mut self, rt: &'static ResourceType, id: &str) -> Option<Resource> {
        let list = self.all_mut(rt);
        let index = list.iter().position(|r| id_of(r) == Some(id))?;
        Some(list.remove(index))
    }

    /// Removes a resource and its memberships in every group.
    pub fn remove(&mut self, rt: &'static ResourceType, id: &str) -> Option<Resource> {
        let list = self.all_mut(rt);
        let index = list.iter().position(|r| id_of(r) == Some(id))?;
        let removed = list.remove(index);
        for group in &mut self.groups {
            let Some(Value::Array(members)) = get_ci_mut(group, "members") else {
                continue;
            };
            let before = members.len();
            members.retain(|m| {
                m.as_object()
                    .and_then(|o| get_ci(o, "value"))
                    .and_then(Value::as_str)
                    != Some(id)
            });
            if members.len() != before {
                touch(group);
            }
        }
        Some(removed)
    }

    /// Whether another resource of this type already holds `key` (userName or displayName),
    /// compared case-insensitively as both are caseExact=false.
    pub fn key_taken(&self, rt: &'static ResourceType, key: &str, except_id: Option<&str>) -> bool {
        let key = key.to_lowercase();
        self.all(rt).iter().any(|r| {
            id_of(r) != except_id
                && get_ci(r, rt.key)
                    .and_then(Value::as_str)
                    .is_some_and(|k| k.to_lowercase() == key)
        })
    }

    /// The resource type an id belongs to, for group members.
    pub fn type_of(&self, id: &str) -> Option<&'static ResourceType> {
        [&USERS, &GROUPS]
            .into_iter()
            .find(|rt| self.get(rt, id).is_some())
    }
}

pub fn id_of(resource: &Resource) -> Option<&str> {
    resource.get("id").and_then(Value::as_str)
}

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Builds a stored resource: `schemas`, a fresh `id`, the attributes, then `meta`.
pub fn stamp_new(rt: &'static ResourceType, attributes: Resource, base: &str) -> Resource {
    let id = uuid::Uuid::new_v4().to_string();
    let created = now();
    let mut out = Map::new();
    if let Some(schemas) = attributes.get("schemas") {
        out.insert("schemas".into(), schemas.clone());
    }
    out.insert("id".into(), id.clone().into());
    out.extend(attributes.into_iter().filter(|(k, _)| k != "schemas"));
    out.insert(
        "meta".into(),
        json!({
            "resourceType": rt.name,
            "created": created,
            "lastModified": created,
            "version": "W/\"1\"",
            "location": format!("{base}{}/{id}", rt.endpoint),
        }),
    );
    out
}

/// A full replacement (PUT) keeps the id and creation time of `old`.
pub fn stamp_replacement(old: &Resource, attributes: Resource) -> Resource {
    let mut out = Map::new();
    if let Some(schemas) = attributes.get("schemas") {
        out.insert("schemas".into(), schemas.clone());
    }
    if let Some(id) = old.get("id") {
        out.insert("id".into(), id.clone());
    }
    out.extend(attributes.into_iter().filter(|(k, _)| k != "schemas"));
    if let Some(meta) = old.get("meta") {
        out.insert("meta".into(), meta.clone());
    }
    touch(&mut out);
    out
}

/// Records a modification: new lastModified, next version; `meta` stays last.
pub fn touch(resource: &mut Resource) {
    let Some(Value::Object(mut meta)) = resource.shift_remove("meta") else {
        return;
    };
    let version = meta
        .get("version")
        .and_then(Value::as_str)
        .and_then(|v| {
            v.trim_start_matches("W/")
                .trim_matches('"')
                .parse::<u64>()
                .ok()
        })
        .unwrap_or(0);
    meta.insert("lastModified".into(), now().into());
    meta.insert(
        "version".into(),
        format!("W/\"{}\"", version.saturating_add(1)).into(),
    );
    resource.insert("meta".into(), Value::Object(meta));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_and_touches_metadata() {
        let mut attrs = Map::new();
        attrs.insert("userName".into(), "a".into());
        attrs.insert(
            "schemas".into(),
            json!(["urn:ietf:params:scim:schemas:core:2.0:User"]),
        );
        let mut user = stamp_new(&USERS, attrs, "http://h/scim/v2");
        let keys: Vec<&String> = user.keys().collect();
        assert_eq!(keys, ["schemas", "id", "userName", "meta"]);
        let id = id_of(&user).unwrap().to_string();
        assert_eq!(
            user["meta"]["location"],
            format!("http://h/scim/v2/Users/{id}")
        );
        assert_eq!(user["meta"]["version"], "W/\"1\"");
        touch(&mut user);
        assert_eq!(user["meta"]["version"], "W/\"2\"");
        assert_eq!(user.keys().next_back().unwrap(), "meta");
    }

    #[test]
    fn removing_a_user_drops_its_memberships() {
        let mut store = Store::default();
        let mut user = Map::new();
        user.insert("id".into(), "u1".into());
        user.insert("userName".into(), "Ann".into());
        store.insert(&USERS, user);
        let group = json!({"id": "g1", "displayName": "G", "members": [{"value": "u1"}, {"value": "u2"}], "meta": {"version": "W/\"1\""}});
        store.insert(&GROUPS, group.as_object().cloned().unwrap());
        assert!(store.key_taken(&USERS, "ANN", None));
        assert!(!store.key_taken(&USERS, "ANN", Some("u1")));
        assert!(store.remove(&USERS, "u1").is_some());
        let group = store.get(&GROUPS, "g1").unwrap();
        assert_eq!(group["members"], json!([{"value": "u2"}]));
        assert_eq!(group["meta"]["version"], "W/\"2\"");
        assert!(store.remove(&USERS, "u1").is_none());
    }
}
