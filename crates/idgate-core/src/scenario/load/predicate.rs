//! Tests of one value in an expectation: `"x"`, `{ exists = true }`, `{ not = {...} }`.

use serde_json::Value;

use super::super::model::Predicate;
use super::super::template;
use super::toml::{json_to_toml, toml_to_json};
use crate::diagnostic::did_you_mean;

pub(super) const PREDICATES: &[&str] = &[
    "equals",
    "exists",
    "empty",
    "contains",
    "starts_with",
    "starts_with_ignore_case",
    "equals_ignore_case",
    "len",
    "max_len",
    "min_len",
    "min",
    "max",
    "one_of",
    "type",
    "not",
    "any_of",
];

pub(super) fn predicate_names(p: &Predicate, out: &mut Vec<String>) {
    let mut value = |v: &Value| {
        let _ = template::json_names(v, out);
    };
    match p {
        Predicate::Equals(v)
        | Predicate::Contains(v)
        | Predicate::StartsWith(v)
        | Predicate::StartsWithIgnoreCase(v)
        | Predicate::EqualsIgnoreCase(v) => value(v),
        Predicate::OneOf(vs) => vs.iter().for_each(value),
        Predicate::Not(inner) => predicate_names(inner, out),
        Predicate::AnyOf(all) => all.iter().for_each(|p| predicate_names(p, out)),
        _ => {}
    }
}

type PredError = (String, Option<String>);

/// A plain value means equality; a table names one test, e.g. `{ exists = true }`.
pub(super) fn predicate(value: &toml::Value) -> Result<Predicate, PredError> {
    let json = toml_to_json(value);
    let Value::Object(map) = &json else {
        return Ok(Predicate::Equals(json));
    };
    if map.len() != 1 {
        return Err((
            format!("a test is a table with one key, found {}", map.len()),
            Some(format!(
                "use one of {}; to compare with a whole object write {{ equals = {{...}} }}",
                PREDICATES.join(", ")
            )),
        ));
    }
    let (op, arg) = map.iter().next().expect("one entry");
    let want_usize = |a: &Value| {
        a.as_u64()
            .map(|n| n as usize)
            .ok_or_else(|| (format!("`{op}` takes a non-negative integer"), None))
    };
    let want_f64 = |a: &Value| {
        a.as_f64()
            .ok_or_else(|| (format!("`{op}` takes a number"), None))
    };
    let want_bool = |a: &Value| {
        a.as_bool()
            .ok_or_else(|| (format!("`{op}` takes true or false"), None))
    };
    Ok(match op.as_str() {
        "equals" => Predicate::Equals(arg.clone()),
        "exists" => Predicate::Exists(want_bool(arg)?),
        "empty" => Predicate::Empty(want_bool(arg)?),
        "contains" => Predicate::Contains(arg.clone()),
        "starts_with" => Predicate::StartsWith(arg.clone()),
        "starts_with_ignore_case" => Predicate::StartsWithIgnoreCase(arg.clone()),
        "equals_ignore_case" => Predicate::EqualsIgnoreCase(arg.clone()),
        "len" => Predicate::Len(want_usize(arg)?),
        "max_len" => Predicate::MaxLen(want_usize(arg)?),
        "min_len" => Predicate::MinLen(want_usize(arg)?),
        "min" => Predicate::Min(want_f64(arg)?),
        "max" => Predicate::Max(want_f64(arg)?),
        "one_of" => match arg {
            Value::Array(v) => Predicate::OneOf(v.clone()),
            _ => return Err(("`one_of` takes an array".into(), None)),
        },
        "type" => match arg.as_str() {
            Some(t @ ("string" | "number" | "boolean" | "array" | "object" | "null")) => {
                Predicate::Type(t.to_string())
            }
            _ => {
                return Err((
                    "`type` is one of string, number, boolean, array, object, null".into(),
                    None,
                ));
            }
        },
        "not" => {
            let inner = json_to_toml(arg);
            Predicate::Not(Box::new(predicate(&inner)?))
        }
        // What the RFC allows two ways: `any_of = [{ exists = false }, { contains = ... }]`.
        "any_of" => match arg {
            Value::Array(v) if !v.is_empty() => Predicate::AnyOf(
                v.iter()
                    .map(|p| predicate(&json_to_toml(p)))
                    .collect::<Result<_, _>>()?,
            ),
            _ => return Err(("`any_of` takes a list of tests".into(), None)),
        },
        other => {
            return Err((
                format!("unknown test `{other}`"),
                Some(did_you_mean(other, PREDICATES)),
            ));
        }
    })
}
