//! `sortBy` and `sortOrder` (RFC 7644 §3.4.2.3): the order a list is returned in.

use std::cmp::Ordering;

use serde_json::Value;

use super::resource::{AttrPath, get_ci};
use super::schema::ResourceType;
use super::store::Resource;

/// A requested order: the attribute and whether it runs descending.
pub struct Sort {
    pub by: AttrPath,
    pub descending: bool,
}

impl Sort {
    /// Orders `resources` in place. Strings compare case-insensitively unless the attribute
    /// is caseExact; a resource without the attribute sorts last either way, as "null" values
    /// do in §3.4.2.3. The sort is stable, so equal keys keep store order.
    pub fn apply(&self, rt: &'static ResourceType, resources: &mut [&Resource]) {
        let resolved = rt.resolve(&self.by);
        let case_exact = resolved.leaf_def().is_some_and(|d| d.case_exact);
        let key = |r: &Resource| -> Option<Value> {
            let holder = match &resolved.extension {
                Some(urn) => get_ci(r, urn)?.as_object()?,
                None => r,
            };
            let value = get_ci(holder, &resolved.name)?;
            // A multi-valued attribute sorts by its primary value, else its first (§3.4.2.3).
            let value = match value {
                Value::Array(items) => items
                    .iter()
                    .find(|i| i.get("primary") == Some(&Value::Bool(true)))
                    .or_else(|| items.first())?,
                v => v,
            };
            match (&resolved.sub, value) {
                (Some(sub), Value::Object(o)) => get_ci(o, sub).cloned(),
                (Some(_), _) => None,
                (None, Value::Object(o)) => get_ci(o, "value").cloned(),
                (None, v) => Some(v.clone()),
            }
        };
        resources.sort_by(|a, b| match (key(a), key(b)) {
            (Some(x), Some(y)) => {
                let order = compare(&x, &y, case_exact);
                if self.descending {
                    order.reverse()
                } else {
                    order
                }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        });
    }
}

fn compare(a: &Value, b: &Value, case_exact: bool) -> Ordering {
    match (a, b) {
        (Value::String(x), Value::String(y)) if case_exact => x.cmp(y),
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => a.to_string().cmp(&b.to_string()),
    }
}
