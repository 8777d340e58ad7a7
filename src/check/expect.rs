//! Evaluates a scenario's `[[steps.expect]]` against one response.

use serde_json::Value;

use super::{Finding, excerpt};
use crate::http::Received;
use crate::scenario::template::{Lookup, render_json};
use crate::scenario::{Expect, Predicate};

/// All parts of an expectation must hold; the finding names the first that does not.
pub fn evaluate(expect: &Expect, resp: &Received, vars: &mut dyn Lookup) -> Finding {
    let mut wanted = Vec::new();
    if let Some(status) = &expect.status {
        let want = format!(
            "status {}",
            status
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" or ")
        );
        if !status.contains(&resp.status) {
            return Finding::fail(
                want,
                format!("status {}{}", resp.status, error_detail(resp)),
            );
        }
        wanted.push(want);
    }
    for (name, pred) in &expect.headers {
        let pred = match render(pred, vars) {
            Ok(p) => p,
            Err(m) => return missing(m),
        };
        let actual = resp.header(name).map(|v| Value::String(v.to_string()));
        let want = format!("header {name} {}", describe(&pred));
        if !holds(&pred, actual.as_ref()) {
            return Finding::fail(want, format!("header {name} {}", show(actual.as_ref())));
        }
        wanted.push(want);
    }
    if !expect.json.is_empty() {
        let body: Value = match serde_json::from_str(&resp.body) {
            Ok(v) => v,
            Err(_) => {
                return Finding::fail(
                    "a JSON body",
                    format!(
                        "status {}, body {}",
                        resp.status,
                        if resp.body.is_empty() {
                            "empty".to_string()
                        } else {
                            excerpt(&resp.body, 120)
                        }
                    ),
                );
            }
        };
        for (pointer, pred) in &expect.json {
            let pred = match render(pred, vars) {
                Ok(p) => p,
                Err(m) => return missing(m),
            };
            let actual = body.pointer(pointer);
            let want = format!("{pointer} {}", describe(&pred));
            if !holds(&pred, actual) {
                let shown = match (&pred, len(actual)) {
                    (Predicate::Len(_) | Predicate::MaxLen(_) | Predicate::MinLen(_), Some(n)) => {
                        format!("has {n} items")
                    }
                    // A password is a secret even when a faulty server echoes it back.
                    (_, _) if is_password(pointer) && actual.is_some() => {
                        "is present (a password: its value is not shown)".into()
                    }
                    _ => show(actual),
                };
                return Finding::fail(want, format!("{pointer} {shown}"));
            }
            wanted.push(want);
        }
    }
    Finding::pass(wanted.join(", "))
}

fn missing(name: String) -> Finding {
    Finding::fail(format!("a value for `{{{{{name}}}}}`"), "not captured").with_message(format!(
        "`{{{{{name}}}}}` has no value: the step that captures it did not get it"
    ))
}

/// The SCIM Error `detail` of a response, for status mismatches.
fn error_detail(resp: &Received) -> String {
    match serde_json::from_str::<Value>(&resp.body) {
        Ok(v) => match v.get("detail").and_then(Value::as_str) {
            Some(d) => format!(" ({})", excerpt(d, 160)),
            None if resp.body.is_empty() => String::new(),
            None => format!(": {}", excerpt(&resp.body, 160)),
        },
        Err(_) if resp.body.trim().is_empty() => String::new(),
        Err(_) => format!(", not JSON: {}", excerpt(&resp.body, 120)),
    }
}

fn render(p: &Predicate, vars: &mut dyn Lookup) -> Result<Predicate, String> {
    let r = |v: &Value, vars: &mut dyn Lookup| render_json(v, vars);
    Ok(match p {
        Predicate::Equals(v) => Predicate::Equals(r(v, vars)?),
        Predicate::Contains(v) => Predicate::Contains(r(v, vars)?),
        Predicate::StartsWith(v) => Predicate::StartsWith(r(v, vars)?),
        Predicate::StartsWithIgnoreCase(v) => Predicate::StartsWithIgnoreCase(r(v, vars)?),
        Predicate::EqualsIgnoreCase(v) => Predicate::EqualsIgnoreCase(r(v, vars)?),
        Predicate::OneOf(vs) => {
            Predicate::OneOf(vs.iter().map(|v| r(v, vars)).collect::<Result<_, _>>()?)
        }
        Predicate::Not(inner) => Predicate::Not(Box::new(render(inner, vars)?)),
        Predicate::AnyOf(all) => Predicate::AnyOf(
            all.iter()
                .map(|p| render(p, vars))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

fn is_password(pointer: &str) -> bool {
    pointer
        .rsplit('/')
        .next()
        .is_some_and(|last| last.eq_ignore_ascii_case("password"))
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "is absent".to_string(),
        Some(v) => format!("is {}", excerpt(&v.to_string(), 200)),
    }
}

/// How a predicate reads in a message: `equals "x"`, `is present`.
pub fn describe(p: &Predicate) -> String {
    match p {
        Predicate::Equals(v) => format!("equals {v}"),
        Predicate::Exists(true) => "is present".into(),
        Predicate::Exists(false) => "is absent".into(),
        Predicate::Empty(true) => "is empty or absent".into(),
        Predicate::Empty(false) => "is not empty".into(),
        Predicate::Contains(v) => format!("contains {v}"),
        Predicate::StartsWith(v) => format!("starts with {v}"),
        Predicate::StartsWithIgnoreCase(v) => format!("starts with {v} ignoring case"),
        Predicate::EqualsIgnoreCase(v) => format!("equals {v} ignoring case"),
        Predicate::Len(n) => format!("has {n} items"),
        Predicate::MaxLen(n) => format!("has at most {n} items"),
        Predicate::MinLen(n) => format!("has at least {n} items"),
        Predicate::Min(n) => format!("is at least {n}"),
        Predicate::Max(n) => format!("is at most {n}"),
        Predicate::OneOf(vs) => format!(
            "is one of {}",
            vs.iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Predicate::Type(t) => format!("is a JSON {t}"),
        Predicate::Not(inner) => format!("not: {}", describe(inner)),
        Predicate::AnyOf(all) => all.iter().map(describe).collect::<Vec<_>>().join(", or "),
    }
}

/// JSON equality where 1 and 1.0 are the same number.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// `actual` has everything `want` has (objects: a subset of keys, recursively).
fn matches(actual: &Value, want: &Value) -> bool {
    match (actual, want) {
        (Value::Object(a), Value::Object(w)) => w
            .iter()
            .all(|(k, wv)| a.get(k).is_some_and(|av| matches(av, wv))),
        _ => same(actual, want),
    }
}

fn len(v: Option<&Value>) -> Option<usize> {
    match v? {
        Value::Array(a) => Some(a.len()),
        Value::String(s) => Some(s.chars().count()),
        Value::Object(o) => Some(o.len()),
        _ => None,
    }
}

pub fn holds(p: &Predicate, actual: Option<&Value>) -> bool {
    let present = actual.filter(|v| !v.is_null());
    match p {
        Predicate::Equals(v) => actual.is_some_and(|a| same(a, v)),
        Predicate::Exists(b) => present.is_some() == *b,
        Predicate::Empty(b) => {
            let empty = match present {
                None => true,
                Some(Value::Array(a)) => a.is_empty(),
                Some(Value::Object(o)) => o.is_empty(),
                Some(Value::String(s)) => s.is_empty(),
                Some(_) => false,
            };
            empty == *b
        }
        Predicate::Contains(want) => match present {
            Some(Value::String(s)) => want.as_str().is_some_and(|w| s.contains(w)),
            Some(Value::Array(items)) => items.iter().any(|i| matches(i, want)),
            _ => false,
        },
        Predicate::StartsWith(want) => match (present, want.as_str()) {
            (Some(Value::String(s)), Some(w)) => s.starts_with(w),
            _ => false,
        },
        Predicate::StartsWithIgnoreCase(want) => match (present, want.as_str()) {
            (Some(Value::String(s)), Some(w)) => s.to_lowercase().starts_with(&w.to_lowercase()),
            _ => false,
        },
        Predicate::EqualsIgnoreCase(want) => match (present, want.as_str()) {
            (Some(Value::String(s)), Some(w)) => s.to_lowercase() == w.to_lowercase(),
            _ => false,
        },
        Predicate::Len(n) => len(present) == Some(*n),
        Predicate::MaxLen(n) => len(present).is_some_and(|l| l <= *n),
        Predicate::MinLen(n) => len(present).is_some_and(|l| l >= *n),
        Predicate::Min(n) => present.and_then(Value::as_f64).is_some_and(|x| x >= *n),
        Predicate::Max(n) => present.and_then(Value::as_f64).is_some_and(|x| x <= *n),
        Predicate::OneOf(vs) => actual.is_some_and(|a| vs.iter().any(|v| same(a, v))),
        Predicate::Type(t) => {
            let actual_type = match actual {
                None => return false,
                Some(Value::Null) => "null",
                Some(Value::Bool(_)) => "boolean",
                Some(Value::Number(_)) => "number",
                Some(Value::String(_)) => "string",
                Some(Value::Array(_)) => "array",
                Some(Value::Object(_)) => "object",
            };
            actual_type == t
        }
        Predicate::Not(inner) => !holds(inner, actual),
        Predicate::AnyOf(all) => all.iter().any(|p| holds(p, actual)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn predicates_hold_and_fail() {
        let v = json!({"active": false, "members": [{"value": "a", "display": "A"}], "n": 1});
        let at = |p: &str| v.pointer(p);
        assert!(holds(&Predicate::Equals(json!(false)), at("/active")));
        assert!(!holds(&Predicate::Equals(json!("False")), at("/active")));
        assert!(holds(
            &Predicate::Contains(json!({"value": "a"})),
            at("/members")
        ));
        assert!(!holds(
            &Predicate::Contains(json!({"value": "b"})),
            at("/members")
        ));
        assert!(holds(&Predicate::Exists(false), at("/missing")));
        assert!(holds(&Predicate::Empty(true), at("/missing")));
        assert!(holds(&Predicate::Equals(json!(1.0)), at("/n")));
        assert!(holds(
            &Predicate::Not(Box::new(Predicate::Contains(json!({"value": "b"})))),
            at("/members")
        ));
        assert!(!holds(&Predicate::MaxLen(0), at("/members")));
        assert!(holds(&Predicate::Type("boolean".into()), at("/active")));
    }
}
