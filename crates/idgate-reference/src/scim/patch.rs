//! PATCH (RFC 7644 §3.5.2), tolerant of both Entra dialects: capitalised ops, string booleans,
//! URN-qualified and value-filter paths, path-less values with dotted or URN-qualified keys,
//! the manager as a bare id, and the legacy member removal with a value list.

use serde_json::{Map, Value};

use super::Faults;
use super::error::ScimError;
use super::filter::{Eval, Filter, parse_patch_path};
use super::resource::{
    AttrPath, Resolved, container_mut, get_ci, get_ci_mut, key_ci, normalise, normalise_item,
    remove_ci, set_ci, starts_with_ci, strip_nulls,
};
use super::schema::{Attr, ENTERPRISE_URN, Mutability, ResourceType};
use crate::fault::Fault;

pub const PATCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Replace,
    Remove,
}

/// One entry of `Operations`.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    pub kind: OpKind,
    pub path: Option<String>,
    /// `None` when absent; `Some(Null)` when the client sent `"value": null`.
    pub value: Option<Value>,
}

/// Reads a PatchOp request body. Member names and `op` values are matched case-insensitively,
/// as Entra capitalises them.
pub fn parse_request(body: &Value, faults: &Faults) -> Result<Vec<Operation>, ScimError> {
    let Some(body) = body.as_object() else {
        return Err(ScimError::invalid_syntax(
            "a PATCH body must be a JSON object",
        ));
    };
    let declares_patch = get_ci(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter().any(|u| {
                u.as_str()
                    .is_some_and(|u| u.eq_ignore_ascii_case(PATCH_URN))
            })
        });
    if !declares_patch && !faults.contains(&Fault::PatchSchemasOptional) {
        return Err(ScimError::invalid_syntax(format!(
            "`schemas` must contain \"{PATCH_URN}\""
        )));
    }
    let Some(ops) = get_ci(body, "Operations").and_then(Value::as_array) else {
        return Err(ScimError::invalid_syntax("`Operations` must be an array"));
    };
    ops.iter()
        .enumerate()
        .filter_map(|(i, op)| parse_operation(i, op, faults).transpose())
        .collect()
}

/// One operation; `None` for one a fault skips.
fn parse_operation(
    index: usize,
    op: &Value,
    faults: &Faults,
) -> Result<Option<Operation>, ScimError> {
    let at = |what: &str| ScimError::invalid_syntax(format!("Operations[{index}]: {what}"));
    let Some(op) = op.as_object() else {
        return Err(at("must be an object"));
    };
    let Some(name) = get_ci(op, "op").and_then(Value::as_str) else {
        return Err(at("`op` must be a string"));
    };
    let kind = match name.to_ascii_lowercase().as_str() {
        _ if faults.contains(&Fault::CaseSensitiveOps) && name != name.to_ascii_lowercase() => {
            return Err(at(&format!("unknown op `{name}`")));
        }
        "add" => OpKind::Add,
        "replace" => OpKind::Replace,
        "remove" => OpKind::Remove,
        _ if faults.contains(&Fault::UnknownOpIgnored) => return Ok(None),
        _ => {
            return Err(at(&format!(
                "unknown op `{name}`; expected add, replace or remove"
            )));
        }
    };
    let path = match get_ci(op, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) => Some(p.clone()),
        Some(_) => {
            return Err(ScimError::invalid_path(format!(
                "Operations[{index}]: `path` must be a string"
            )));
        }
    };
    Ok(Some(Operation {
        kind,
        path,
        value: get_ci(op, "value").cloned(),
    }))
}

/// Applies `ops` in order to `resource`. The caller works on a copy and keeps it only on
/// success, so a failing operation leaves the resource untouched (RFC 7644 §3.5.2).
pub fn apply(
    rt: &'static ResourceType,
    resource: &mut Map<String, Value>,
    ops: &[Operation],
    faults: &Faults,
) -> Result<(), ScimError> {
    let patcher = Patcher {
        rt,
        faults,
        eval: Eval::new(rt),
    };
    for op in ops {
        patcher.operation(resource, op)?;
    }
    Ok(())
}

struct Patcher<'a> {
    rt: &'static ResourceType,
    faults: &'a Faults,
    eval: Eval,
}

impl Patcher<'_> {
    fn fault(&self, fault: Fault) -> bool {
        self.faults.contains(&fault)
    }

    fn is_members(&self, at: &Resolved) -> bool {
        self.rt.is_group() && at.is(None, "members")
    }

    fn operation(&self, res: &mut Map<String, Value>, op: &Operation) -> Result<(), ScimError> {
        let Some(path) = &op.path else {
            if op.kind == OpKind::Remove && self.fault(Fault::RemoveWithoutPathIgnored) {
                return Ok(());
            }
            if op.kind == OpKind::Remove {
                return Err(ScimError::no_target("remove needs a path"));
            }
            let Some(Value::Object(values)) = &op.value else {
                return Err(ScimError::invalid_value(
                    "an operation without a path needs an object value",
                ));
            };
            for (key, value) in values {
                self.key(res, op.kind, key, value.clone())?;
            }
            return Ok(());
        };
        if self.fault(Fault::IgnoreUrnPath) && starts_with_ci(path.trim(), "urn:") {
            return Ok(());
        }
        let (attr, filter, sub) = parse_patch_path(path)
            .map_err(|e| ScimError::invalid_path(format!("path `{path}`: {}", e.detail)))?;
        self.path(res, op.kind, &attr, filter.as_ref(), sub, op.value.clone())
    }

    /// One key of a path-less value: an attribute path, possibly dotted or URN-qualified, or a
    /// schema URN whose object holds attributes of that schema.
    fn key(
        &self,
        res: &mut Map<String, Value>,
        kind: OpKind,
        key: &str,
        value: Value,
    ) -> Result<(), ScimError> {
        if key.eq_ignore_ascii_case(self.rt.schema.id) {
            let Value::Object(values) = value else {
                return Err(ScimError::invalid_value(format!(
                    "`{key}` must be an object"
                )));
            };
            for (k, v) in values {
                self.key(res, kind, &k, v)?;
            }
            return Ok(());
        }
        if self.fault(Fault::DottedKeysLiteral) && key.contains('.') && !starts_with_ci(key, "urn:")
        {
            res.insert(key.to_string(), value);
            return Ok(());
        }
        let (attr, filter, sub) = parse_patch_path(key)
            .map_err(|e| ScimError::invalid_path(format!("key `{key}`: {}", e.detail)))?;
        self.path(res, kind, &attr, filter.as_ref(), sub, Some(value))
    }

    fn path(
        &self,
        res: &mut Map<String, Value>,
        kind: OpKind,
        attr: &AttrPath,
        filter: Option<&Filter>,
        sub: Option<String>,
        value: Option<Value>,
    ) -> Result<(), ScimError> {
        let at = self.rt.resolve(attr);
        if at.name.is_empty() {
            return self.extension(res, kind, &at, value);
        }
        // An operation "MUST be compatible with the attribute's ... schema" (RFC 7644 §3.5.2):
        // a path to an attribute the schema does not define is invalidPath, not a new key.
        if at.def.is_none() && !self.fault(Fault::UnknownPathIgnored) {
            return Err(ScimError::invalid_path(format!(
                "`{}` is not an attribute of {}",
                at.name,
                at.extension.as_deref().unwrap_or(self.rt.schema.id)
            )));
        }
        if self.fault(Fault::ManagerIgnored) && at.is(Some(ENTERPRISE_URN), "manager") {
            return Ok(());
        }
        if self.fault(Fault::GroupRenameIgnored) && self.rt.is_group() && at.is(None, "displayName")
        {
            return Ok(());
        }
        // Faults that answer success and change nothing, each for one kind of operation.
        let members = self.is_members(&at);
        let multi = at.def.is_some_and(|d| d.multi);
        let ignored = match kind {
            OpKind::Remove => self.fault(Fault::RemoveIgnored),
            OpKind::Replace if filter.is_some() => self.fault(Fault::ValuePathIgnored),
            OpKind::Replace => self.fault(Fault::ReplaceIgnored),
            OpKind::Add => multi && self.fault(Fault::MultiValuedAddIgnored),
        };
        if ignored && !members {
            return Ok(());
        }
        // null means unassigned (RFC 7643 §2.5): setting it is removing the attribute.
        let (kind, value) = match (kind, value) {
            (OpKind::Remove, value) => (OpKind::Remove, value),
            (_, Some(Value::Null)) => (OpKind::Remove, None),
            (_, None) => {
                return Err(ScimError::invalid_value(format!(
                    "{kind:?} of `{}` needs a value",
                    at.name
                )));
            }
            (kind, Some(value)) => (kind, Some(value)),
        };
        let allowed = self.check_mutability(
            res,
            kind,
            &at,
            filter.is_some() || sub.is_some(),
            value.as_ref(),
        );
        match allowed {
            // A fault: an operation on a readOnly attribute is dropped without a word.
            Err(_) if self.fault(Fault::ReadOnlyIgnored) => return Ok(()),
            result => result?,
        }
        match (filter, value) {
            (Some(filter), value) => self.filtered(res, kind, &at, filter, sub, value),
            (None, value) if at.sub.is_some() => self.sub_attribute(res, kind, &at, value),
            (None, value) => self.whole(res, kind, &at, value),
        }
    }

    /// readOnly attributes cannot change (RFC 7644 §3.5.2); writing the value they already
    /// hold is accepted, since some clients echo `id` back.
    fn check_mutability(
        &self,
        res: &mut Map<String, Value>,
        kind: OpKind,
        at: &Resolved,
        deeper: bool,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        let read_only =
            |d: Option<&'static Attr>| d.is_some_and(|d| d.mutability == Mutability::ReadOnly);
        if !read_only(at.def) && !read_only(at.sub_def) {
            return Ok(());
        }
        if kind != OpKind::Remove && !deeper && at.sub.is_none() {
            let current = container_mut(res, at, false)?.and_then(|c| get_ci(c, &at.name).cloned());
            if current.is_some() && current.as_ref() == value {
                return Ok(());
            }
        }
        Err(ScimError::mutability(format!("`{}` is read-only", at.name)))
    }

    /// A path naming a whole extension by its URN.
    fn extension(
        &self,
        res: &mut Map<String, Value>,
        kind: OpKind,
        at: &Resolved,
        value: Option<Value>,
    ) -> Result<(), ScimError> {
        let Some(urn) = &at.extension else {
            return Ok(());
        };
        match (kind, value) {
            (OpKind::Remove, _) | (_, Some(Value::Null)) => {
                remove_ci(res, urn);
                Ok(())
            }
            (_, Some(Value::Object(values))) => {
                // Some clients (scim2-models) give the extension object its own `schemas`,
                // naming the extension; it is no attribute, so it is read past, not refused.
                for (name, v) in values
                    .into_iter()
                    .filter(|(k, _)| !k.eq_ignore_ascii_case("schemas"))
                {
                    let attr = AttrPath::parse(&format!("{urn}:{name}")).ok_or_else(|| {
                        ScimError::invalid_path(format!("`{name}` is not an attribute name"))
                    })?;
                    self.path(res, kind, &attr, None, None, Some(v))?;
                }
                Ok(())
            }
            _ => Err(ScimError::invalid_value(format!(
                "`{urn}` needs an object value"
            ))),
        }
    }

    /// Add, replace or remove an attribute as a whole (`displayName`, `emails`, `manager`).
    fn whole(
        &self,
        res: &mut Map<String, Value>,
        kind: OpKind,
        at: &Resolved,
        value: Option<Value>,
    ) -> Result<(), ScimError> {
        if kind == OpKind::Remove {
            let Some(holder) = container_mut(res, at, false)? else {
                return self.unknown_member(at, value.as_ref());
            };
            let multi = at.def.map_or_else(
                || matches!(get_ci(holder, &at.name), Some(Value::Array(_))),
                |d| d.multi,
            );
            return match value {
                Some(listed) if multi && !listed.is_null() => {
                    self.remove_listed(holder, at, listed)
                }
                _ => {
                    remove_ci(holder, &at.name);
                    Ok(())
                }
            };
        }
        let value = value.unwrap_or(Value::Null);
        self.check_null_ref(at, &value)?;
        let value = normalise(at.def, value, self.faults)?;
        let holder = container_mut(res, at, true)?
            .ok_or_else(|| ScimError::no_target("no such extension"))?;
        let existing = get_ci_mut(holder, &at.name);
        let multi = at.def.map_or_else(
            || value.is_array() || matches!(existing, Some(Value::Array(_))),
            |d| d.multi,
        );
        if existing.is_none()
            && kind == OpKind::Add
            && !multi
            && self.fault(Fault::AddRequiresExisting)
        {
            return Err(ScimError::no_target(format!(
                "`{}` has no value to add to",
                at.name
            )));
        }
        // Bounded, so one request cannot hold the store for long.
        if value
            .as_array()
            .is_some_and(|v| v.len() > MAX_VALUES_PER_OPERATION)
        {
            return Err(ScimError::invalid_value(format!(
                "at most {MAX_VALUES_PER_OPERATION} values in one operation"
            )));
        }
        match (kind, existing) {
            (OpKind::Add, Some(Value::Array(items))) if multi => {
                let new = match value {
                    Value::Array(new) => new,
                    single => vec![single],
                };
                for item in new.into_iter().map(strip_nulls) {
                    let known = items.iter().any(|e| same_element(e, &item));
                    if known && self.is_members(at) && self.fault(Fault::DuplicateMember409) {
                        return Err(ScimError::uniqueness("already a member"));
                    }
                    if !known || (self.is_members(at) && self.fault(Fault::DuplicateMemberKept)) {
                        items.push(item);
                    }
                }
            }
            (_, Some(Value::Object(have))) if !multi && value.is_object() => merge(have, value),
            (_, _) => {
                let value = match value {
                    Value::Array(items) if multi => Value::Array(items),
                    single if multi => Value::Array(vec![single]),
                    single => single,
                };
                set_ci(holder, &at.name, strip_nulls(value));
            }
        }
        Ok(())
    }

    /// `name.givenName`, `manager.value`, or `emails.value` (every element).
    fn sub_attribute(
        &self,
        res: &mut Map<String, Value>,
        kind: OpKind,
        at: &Resolved,
        value: Option<Value>,
    ) -> Result<(), ScimError> {
        let sub = at.sub.as_deref().unwrap_or_default();
        if kind == OpKind::Remove {
            let Some(holder) = container_mut(res, at, false)? else {
                return Ok(());
            };
            let emptied = match get_ci_mut(holder, &at.name) {
                Some(Value::Object(parent)) => {
                    remove_ci(parent, sub);
                    parent.is_empty()
                }
                Some(Value::Array(items)) => {
                    for item in items.iter_mut().filter_map(Value::as_object_mut) {
                        remove_ci(item, sub);
                    }
                    false
                }
                _ => false,
            };
            if emptied {
                remove_ci(holder, &at.name);
            }
            return Ok(());
        }
        let value = strip_nulls(normalise(
            at.sub_def,
            value.unwrap_or(Value::Null),
            self.faults,
        )?);
        let add_needs_existing = kind == OpKind::Add && self.fault(Fault::AddRequiresExisting);
        let multi = at.def.is_some_and(|d| d.multi);
        let holder = container_mut(res, at, true)?
            .ok_or_else(|| ScimError::no_target("no such extension"))?;
        match get_ci_mut(holder, &at.name) {
            None => {
                if add_needs_existing {
                    return Err(ScimError::no_target(format!(
                        "`{}` has no value to add to",
                        at.name
                    )));
                }
                let mut element = Map::new();
                element.insert(sub.to_string(), value);
                let element = Value::Object(element);
                set_ci(
                    holder,
                    &at.name,
                    if multi {
                        Value::Array(vec![element])
                    } else {
                        element
                    },
                );
            }
            Some(Value::Object(parent)) => {
                if add_needs_existing && key_ci(parent, sub).is_none() {
                    return Err(ScimError::no_target(format!(
                        "`{}.{sub}` has no value to add to",
                        at.name
                    )));
                }
                set_ci(parent, sub, value);
            }
            Some(Value::Array(items)) => {
                let mut touched = false;
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    set_ci(item, sub, value.clone());
                    touched = true;
                }
                if !touched {
                    let mut element = Map::new();
                    element.insert(sub.to_string(), value);
                    items.push(Value::Object(element));
                }
            }
            Some(_) => {
                return Err(ScimError::invalid_path(format!(
                    "`{}` has no sub-attributes",
                    at.name
                )));
            }
        }
        Ok(())
    }

    /// `emails[type eq "work"].value`, `members[value eq "id"]`. Add and replace create the
    /// element from the filter's equalities when none matches, because Entra sends this to
    /// users that have no email yet (strict RFC 7644 §3.5.2.3 would answer noTarget).
    fn filtered(
        &self,
        res: &mut Map<String, Value>,
        kind: OpKind,
        at: &Resolved,
        filter: &Filter,
        sub: Option<String>,
        value: Option<Value>,
    ) -> Result<(), ScimError> {
        let members = self.is_members(at);
        let matches = |e: &Value| filter.matches_element(e, at.def, &self.eval);
        if kind == OpKind::Remove {
            if members && self.fault(Fault::MemberFilterRemoveIgnored) {
                return Ok(());
            }
            let items = match container_mut(res, at, false)?.and_then(|h| get_ci_mut(h, &at.name)) {
                Some(Value::Array(items)) => Some(items),
                _ => None,
            };
            let matched = items
                .as_ref()
                .is_some_and(|items| items.iter().any(matches));
            if !matched && members && self.fault(Fault::UnknownMemberFailsPatch) {
                return Err(ScimError::no_target("no member matches the filter"));
            }
            let Some(items) = items else { return Ok(()) };
            match &sub {
                None => items.retain(|e| !matches(e)),
                Some(sub) => {
                    for item in items.iter_mut().filter(|e| matches(e)) {
                        if let Some(obj) = item.as_object_mut() {
                            remove_ci(obj, sub);
                        }
                    }
                }
            }
            if items.is_empty()
                && let Some(holder) = container_mut(res, at, false)?
            {
                remove_ci(holder, &at.name);
            }
            return Ok(());
        }
        let value = value.unwrap_or(Value::Null);
        let value = match &sub {
            Some(sub) => normalise(at.def.and_then(|d| d.sub_attr(sub)), value, self.faults)?,
            None => {
                self.check_null_ref(at, &value)?;
                normalise_item(at.def, value, self.faults)?
            }
        };
        let holder = container_mut(res, at, true)?
            .ok_or_else(|| ScimError::no_target("no such extension"))?;
        if key_ci(holder, &at.name).is_none() {
            holder.insert(at.name.clone(), Value::Array(Vec::new()));
        }
        let Some(Value::Array(items)) = get_ci_mut(holder, &at.name) else {
            return Err(ScimError::invalid_path(format!(
                "`{}` is not multi-valued",
                at.name
            )));
        };
        let mut matched = false;
        for item in items.iter_mut().filter(|e| matches(e)) {
            matched = true;
            let Some(obj) = item.as_object_mut() else {
                continue;
            };
            match (&sub, &value) {
                (Some(sub), v) => set_ci(obj, sub, strip_nulls(v.clone())),
                (None, v) => merge(obj, v.clone()),
            }
        }
        if matched {
            return Ok(());
        }
        if self.fault(Fault::FilterPathNeedsExisting) {
            return Err(ScimError::no_target(format!(
                "no element of `{}` matches the filter",
                at.name
            )));
        }
        let Some(mut element) = filter.template() else {
            return Err(ScimError::no_target(format!(
                "no element of `{}` matches, and the filter does not say what to create",
                at.name
            )));
        };
        match (sub, value) {
            (Some(sub), v) => {
                element.insert(sub, v);
            }
            (None, Value::Object(v)) => element.extend(v),
            (None, _) => {
                return Err(ScimError::invalid_value(format!(
                    "`{}` elements are objects",
                    at.name
                )));
            }
        }
        items.push(strip_nulls(Value::Object(element)));
        Ok(())
    }

    /// `remove` with a path and a list of values: removes exactly the listed elements (Entra's
    /// legacy member removal).
    fn remove_listed(
        &self,
        holder: &mut Map<String, Value>,
        at: &Resolved,
        listed: Value,
    ) -> Result<(), ScimError> {
        let members = self.is_members(at);
        if members && self.fault(Fault::RejectLegacyMemberRemove) {
            return Err(ScimError::invalid_value(
                "remove of members takes a filter path, not a value",
            ));
        }
        if members && self.fault(Fault::LegacyRemoveClearsAll) {
            remove_ci(holder, &at.name);
            return Ok(());
        }
        let listed = match listed {
            Value::Array(items) => items,
            single => vec![single],
        };
        let Some(Value::Array(items)) = get_ci_mut(holder, &at.name) else {
            return self.unknown_member(at, Some(&Value::Array(listed)));
        };
        for wanted in &listed {
            let before = items.len();
            items.retain(|e| !listed_match(e, wanted));
            if items.len() == before && members && self.fault(Fault::UnknownMemberFailsPatch) {
                return Err(ScimError::no_target(format!("{wanted} is not a member")));
            }
        }
        if items.is_empty() {
            remove_ci(holder, &at.name);
        }
        Ok(())
    }

    /// Removing members from a group that has none: fine, unless a fault says otherwise.
    fn unknown_member(&self, at: &Resolved, listed: Option<&Value>) -> Result<(), ScimError> {
        let names_someone =
            listed.is_some_and(|l| !l.is_null() && l.as_array().is_none_or(|a| !a.is_empty()));
        if self.is_members(at) && names_someone && self.fault(Fault::UnknownMemberFailsPatch) {
            return Err(ScimError::no_target("the group has no such member"));
        }
        Ok(())
    }

    fn check_null_ref(&self, at: &Resolved, value: &Value) -> Result<(), ScimError> {
        if self.is_members(at) && self.fault(Fault::RejectNullRef) && has_null_ref(value) {
            return Err(ScimError::invalid_value("member `$ref` must not be null"));
        }
        Ok(())
    }
}

/// Whether any member entry in `value` carries `"$ref": null`.
pub fn has_null_ref(value: &Value) -> bool {
    let entries = match value {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    entries.into_iter().any(|e| {
        e.as_object()
            .and_then(|o| get_ci(o, "$ref"))
            .is_some_and(Value::is_null)
    })
}

/// Merges sub-attributes into a complex value; those not given stay (RFC 7644 §3.5.2.3). A new
/// `value` (a manager id) names a different resource, so the old sub-attributes go with it.
fn merge(have: &mut Map<String, Value>, new: Value) {
    let Value::Object(new) = new else { return };
    let new_id = get_ci(&new, "value");
    if new_id.is_some_and(|v| !v.is_null()) && new_id != get_ci(have, "value") {
        *have = Map::new();
    }
    for (key, value) in new {
        if value.is_null() {
            remove_ci(have, &key);
        } else {
            set_ci(have, &key, strip_nulls(value));
        }
    }
}

/// Values one add operation may carry.
const MAX_VALUES_PER_OPERATION: usize = 1000;

/// Two elements of a multi-valued attribute are the same when equal, or when they carry the
/// same `value` (and no conflicting `type`); adding one twice keeps one.
fn same_element(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return false;
    };
    let text = |o: &Map<String, Value>, k: &str| {
        get_ci(o, k).and_then(Value::as_str).map(str::to_lowercase)
    };
    let value = text(a, "value");
    value.is_some()
        && value == text(b, "value")
        && (text(a, "type").is_none()
            || text(b, "type").is_none()
            || text(a, "type") == text(b, "type"))
}

/// Whether `element` is the one a listed removal value names: by its `value` when the listed
/// entry has one (Entra sends `{"$ref": null, "value": id}`), else by equality.
fn listed_match(element: &Value, wanted: &Value) -> bool {
    let id = |v: &Value| match v {
        Value::Object(o) => get_ci(o, "value")
            .and_then(Value::as_str)
            .map(str::to_lowercase),
        Value::String(s) => Some(s.to_lowercase()),
        _ => None,
    };
    match id(wanted) {
        Some(wanted) => id(element).is_some_and(|have| have == wanted),
        None => element == wanted,
    }
}

#[cfg(test)]
mod tests;
