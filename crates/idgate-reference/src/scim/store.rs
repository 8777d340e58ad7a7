//! The in-memory resource store: users and groups in creation order, their ids and metadata.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::resource::{get_ci, get_ci_mut};
use super::schema::{GROUPS, ResourceType, USERS};

pub type Resource = Map<String, Value>;

/// Users and groups, each kept in creation order so pages are stable, found by id at once,
/// and indexed by their unique key (userName, displayName) so that matching a tenant of ten
/// thousand users by filter does not read all ten thousand each time.
#[derive(Debug, Default)]
pub struct Store {
    users: IndexMap<String, Resource>,
    groups: IndexMap<String, Resource>,
    /// Lowercased key (both are caseExact=false) → the ids holding it (several only when a
    /// fault lets duplicates in).
    user_keys: HashMap<String, Vec<String>>,
    group_keys: HashMap<String, Vec<String>>,
}

impl Store {
    /// Every resource of the type, in creation order.
    pub fn all(&self, rt: &'static ResourceType) -> impl Iterator<Item = &Resource> {
        self.list(rt).values()
    }

    pub fn count(&self, rt: &'static ResourceType) -> usize {
        self.list(rt).len()
    }

    fn list(&self, rt: &'static ResourceType) -> &IndexMap<String, Resource> {
        if rt.is_group() {
            &self.groups
        } else {
            &self.users
        }
    }

    fn parts_mut(
        &mut self,
        rt: &'static ResourceType,
    ) -> (
        &mut IndexMap<String, Resource>,
        &mut HashMap<String, Vec<String>>,
    ) {
        if rt.is_group() {
            (&mut self.groups, &mut self.group_keys)
        } else {
            (&mut self.users, &mut self.user_keys)
        }
    }

    pub fn get(&self, rt: &'static ResourceType, id: &str) -> Option<&Resource> {
        self.list(rt).get(id)
    }

    /// The resources whose key (userName, displayName) equals `key` case-insensitively.
    pub fn with_key(&self, rt: &'static ResourceType, key: &str) -> Vec<&Resource> {
        let keys = if rt.is_group() {
            &self.group_keys
        } else {
            &self.user_keys
        };
        keys.get(&key.to_lowercase())
            .into_iter()
            .flatten()
            .filter_map(|id| self.get(rt, id))
            .collect()
    }

    /// Stores a new resource. Every stored resource has an id (`stamp_new` gives one); one
    /// whose id is already taken (a fault lets a client choose ids) replaces the holder, and
    /// the holder's key leaves the index with it.
    pub fn insert(&mut self, rt: &'static ResourceType, resource: Resource) {
        let Some(id) = id_of(&resource).map(str::to_string) else {
            debug_assert!(false, "a stored resource has an id");
            return;
        };
        let key = key_of(rt, &resource);
        let (list, keys) = self.parts_mut(rt);
        if let Some(old) = list.get(&id) {
            let old_key = key_of(rt, old);
            unindex(keys, old_key, &id);
        }
        if let Some(k) = key {
            keys.entry(k).or_default().push(id.clone());
        }
        list.insert(id, resource);
    }

    /// Replaces the stored resource with the same id, keeping its place in the order.
    pub fn update(&mut self, rt: &'static ResourceType, resource: Resource) {
        let Some(id) = id_of(&resource).map(str::to_string) else {
            return;
        };
        let new_key = key_of(rt, &resource);
        let (list, keys) = self.parts_mut(rt);
        let Some(slot) = list.get_mut(&id) else {
            return;
        };
        let old_key = key_of(rt, slot);
        *slot = resource;
        if old_key != new_key {
            unindex(keys, old_key, &id);
            if let Some(k) = new_key {
                keys.entry(k).or_default().push(id);
            }
        }
    }

    fn take(&mut self, rt: &'static ResourceType, id: &str) -> Option<Resource> {
        let (list, keys) = self.parts_mut(rt);
        let removed = list.shift_remove(id)?;
        unindex(keys, key_of(rt, &removed), id);
        Some(removed)
    }

    /// Removes a resource and leaves its memberships dangling (a fault's behaviour).
    pub fn remove_alone(&mut self, rt: &'static ResourceType, id: &str) -> Option<Resource> {
        self.take(rt, id)
    }

    /// Removes a resource and its memberships in every group.
    pub fn remove(&mut self, rt: &'static ResourceType, id: &str) -> Option<Resource> {
        let removed = self.take(rt, id)?;
        for group in self.groups.values_mut() {
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
        self.with_key(rt, key).iter().any(|r| id_of(r) != except_id)
    }

    /// The resource type an id belongs to, for group members.
    pub fn type_of(&self, id: &str) -> Option<&'static ResourceType> {
        [&USERS, &GROUPS]
            .into_iter()
            .find(|rt| self.get(rt, id).is_some())
    }
}

/// A resource's unique key, lowercased for the index.
fn key_of(rt: &'static ResourceType, resource: &Resource) -> Option<String> {
    get_ci(resource, rt.key)
        .and_then(Value::as_str)
        .map(str::to_lowercase)
}

fn unindex(keys: &mut HashMap<String, Vec<String>>, key: Option<String>, id: &str) {
    let Some(k) = key else { return };
    if let Some(ids) = keys.get_mut(&k) {
        ids.retain(|i| i != id);
        if ids.is_empty() {
            keys.remove(&k);
        }
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

    fn user(id: &str, name: &str) -> Resource {
        json!({"id": id, "userName": name})
            .as_object()
            .cloned()
            .unwrap()
    }

    #[test]
    fn the_key_index_follows_every_change() {
        let mut store = Store::default();
        store.insert(&USERS, user("u1", "Ann"));
        store.insert(&USERS, user("u2", "ann"));
        assert_eq!(
            store.with_key(&USERS, "ANN").len(),
            2,
            "duplicates, as a fault allows"
        );
        store.update(&USERS, user("u1", "Bob"));
        assert_eq!(store.with_key(&USERS, "ann").len(), 1);
        assert_eq!(id_of(store.with_key(&USERS, "bob")[0]), Some("u1"));
        // An id taken again replaces its holder, whose key goes with it.
        store.insert(&USERS, user("u1", "Cy"));
        assert!(store.with_key(&USERS, "bob").is_empty());
        assert_eq!(store.count(&USERS), 2);
        assert!(store.remove(&USERS, "u2").is_some());
        assert!(!store.key_taken(&USERS, "ann", None));
        assert!(store.key_taken(&USERS, "cy", None));
        assert!(!store.key_taken(&USERS, "cy", Some("u1")));
        let order: Vec<&str> = store.all(&USERS).filter_map(id_of).collect();
        assert_eq!(order, ["u1"]);
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
