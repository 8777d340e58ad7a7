//! What a snapshot records of a response: the status, the content type and
//! chosen headers, and the body with its keys sorted and every value that
//! changes from run to run replaced by a placeholder or a `{{var}}`.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::http::Received;
use crate::scenario::template::{Lookup, Template};
use crate::scenario::{Scenario, SnapshotSpec, Step};

/// Generators whose value is new on every use; a variable built from one changes every run.
const GENERATORS: &[&str] = &["uuid", "hex8", "word"];

/// Redacted whatever the scenario says, at the top of a body and in each list item.
const DEFAULT_REDACTIONS: &[(&str, &str)] = &[
    ("/id", "[id]"),
    ("/externalId", "[externalId]"),
    ("/userName", "[userName]"),
    ("/emails/*/value", "[email]"),
    ("/password", "[password]"),
    ("/meta/created", "[timestamp]"),
    ("/meta/lastModified", "[timestamp]"),
    ("/meta/version", "[version]"),
    ("/meta/location", "[location]"),
];

/// Response headers whose value changes every run, and what replaces it.
const HEADER_REDACTIONS: &[(&str, &str)] = &[
    ("location", "[location]"),
    ("content-location", "[location]"),
    ("etag", "[version]"),
    ("date", "[timestamp]"),
    ("last-modified", "[timestamp]"),
];

/// Values shorter than this are redacted only where they are a whole value:
/// as a part of text, a short id like `12` would match by chance.
const MIN_PART_LEN: usize = 4;

/// The values of this run that change from run to run, longest first, with their names.
pub(super) struct Volatile {
    values: Vec<(String, String)>,
}

impl Volatile {
    /// `base`, every capture of the scenario, and every variable built from a
    /// generator or from another such value, as they stand at this step.
    pub(super) fn of(scenario: &Scenario, step: &Step, vars: &mut dyn Lookup) -> Volatile {
        let mut names: BTreeSet<String> = BTreeSet::from(["base".to_string()]);
        for s in &scenario.steps {
            names.extend(s.capture.iter().map(|(n, _)| n.clone()));
        }
        let generated = |t: &Template, names: &BTreeSet<String>| {
            t.names()
                .any(|n| GENERATORS.contains(&n) || names.contains(n))
        };
        for (n, t) in &scenario.vars {
            if generated(t, &names) {
                names.insert(n.clone());
            }
        }
        for (n, t) in &step.with {
            if generated(t, &names) {
                names.insert(n.clone());
            } else {
                names.remove(n);
            }
        }
        let mut values: Vec<(String, String)> = names
            .into_iter()
            .filter_map(|n| match vars.get(&n) {
                Some(Value::String(v)) if !v.is_empty() => Some((n, v)),
                _ => None,
            })
            .collect();
        values.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        Volatile { values }
    }

    /// `text` with each run value in it replaced by `{{name}}`: a whole value
    /// always, a part of the text when it is long enough and not inside a word.
    pub(super) fn replace(&self, text: &str) -> String {
        if let Some((name, _)) = self.values.iter().find(|(_, v)| v == text) {
            return format!("{{{{{name}}}}}");
        }
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        'scan: while i < text.len() {
            let before = text[..i].chars().next_back();
            if !word(before) {
                for (name, v) in &self.values {
                    if v.len() >= MIN_PART_LEN
                        && text[i..].starts_with(v.as_str())
                        && !word(text[i + v.len()..].chars().next())
                    {
                        out.push_str(&format!("{{{{{name}}}}}"));
                        i += v.len();
                        continue 'scan;
                    }
                }
            }
            let c = text[i..].chars().next().expect("inside the text");
            out.push(c);
            i += c.len_utf8();
        }
        out
    }
}

/// What a snapshot records of a response, redacted and deterministic.
pub(super) fn render(resp: &Received, spec: &SnapshotSpec, volatile: &Volatile) -> String {
    let mut out = format!("HTTP {}\n", resp.status);
    let names = std::iter::once("content-type").chain(spec.headers.iter().map(String::as_str));
    for name in names {
        for (_, value) in resp
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            let value = match HEADER_REDACTIONS.iter().find(|(h, _)| *h == name) {
                Some((_, placeholder)) => placeholder.to_string(),
                None => volatile.replace(value.trim()),
            };
            out.push_str(&format!("{name}: {value}\n"));
        }
    }
    let body = resp.body.trim();
    if !body.is_empty() {
        out.push('\n');
        match serde_json::from_str::<Value>(body) {
            Ok(mut v) => {
                redact(&mut v, &spec.redact);
                substitute(&mut v, volatile);
                let pretty = serde_json::to_string_pretty(&sorted(v)).expect("JSON serializes");
                out.push_str(&pretty);
            }
            Err(_) => {
                for line in body.lines() {
                    out.push_str(volatile.replace(line).trim_end());
                    out.push('\n');
                }
            }
        }
    }
    out.trim_end().to_string()
}

/// Apply the default redactions (at the top and in each `Resources` item), then the scenario's.
fn redact(v: &mut Value, selectors: &[String]) {
    for (selector, placeholder) in DEFAULT_REDACTIONS {
        for prefix in ["", "/Resources/*"] {
            replace_at(v, &segments(&format!("{prefix}{selector}")), placeholder);
        }
    }
    for s in selectors {
        replace_at(v, &segments(s), &placeholder_for(s));
    }
}

/// `/name/givenName` → `[givenName]`; a selector ending in `*` or an index → `[redacted]`.
fn placeholder_for(selector: &str) -> String {
    match segments(selector).last() {
        Some(last) if last != "*" && last.parse::<usize>().is_err() && !last.is_empty() => {
            format!("[{last}]")
        }
        _ => "[redacted]".to_string(),
    }
}

/// A JSON pointer's reference tokens, `~1` and `~0` unescaped.
fn segments(selector: &str) -> Vec<String> {
    selector
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Replace every non-null value the selector reaches; `*` is any key or index.
fn replace_at(v: &mut Value, path: &[String], placeholder: &str) {
    let Some((first, rest)) = path.split_first() else {
        if !v.is_null() {
            *v = Value::String(placeholder.to_string());
        }
        return;
    };
    match v {
        Value::Object(m) if first == "*" => m
            .values_mut()
            .for_each(|c| replace_at(c, rest, placeholder)),
        Value::Array(a) if first == "*" => {
            a.iter_mut().for_each(|c| replace_at(c, rest, placeholder))
        }
        Value::Object(m) => {
            if let Some(c) = m.get_mut(first.as_str()) {
                replace_at(c, rest, placeholder);
            }
        }
        Value::Array(a) => {
            if let Some(c) = first.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                replace_at(c, rest, placeholder);
            }
        }
        _ => {}
    }
}

/// Every string of the body with the run's values named.
fn substitute(v: &mut Value, volatile: &Volatile) {
    match v {
        Value::String(s) => *s = volatile.replace(s),
        Value::Array(a) => a.iter_mut().for_each(|c| substitute(c, volatile)),
        Value::Object(m) => m.values_mut().for_each(|c| substitute(c, volatile)),
        _ => {}
    }
}

/// The same value with every object's keys in sorted order.
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn volatile(values: &[(&str, &str)]) -> Volatile {
        let mut values: Vec<(String, String)> = values
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        values.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        Volatile { values }
    }

    fn spec(redact: &[&str], headers: &[&str]) -> SnapshotSpec {
        SnapshotSpec {
            name: "x".into(),
            redact: redact.iter().map(|s| s.to_string()).collect(),
            headers: headers.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn response(body: &Value) -> Received {
        Received {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "application/scim+json".into()),
                (
                    "Location".into(),
                    "http://127.0.0.1:4567/scim/v2/Users/1".into(),
                ),
                ("X-Trace".into(), "abc".into()),
            ],
            body: body.to_string(),
            cookies: Vec::new(),
        }
    }

    #[test]
    fn keys_are_sorted_and_volatile_values_redacted() {
        let body = json!({
            "userName": "Test_User_5f0c",
            "id": "5f0c1a2b-0000-4000-8000-000000000001",
            "name": {"givenName": "Abcd", "formatted": "Abcd Efgh", "familyName": "Efgh"},
            "meta": {"lastModified": "2026-01-01T00:00:00Z", "created": "2026-01-01T00:00:00Z",
                     "location": "http://127.0.0.1:4567/scim/v2/Users/5f0c", "version": "W/\"1\"",
                     "resourceType": "User"},
            "emails": [{"value": "a@b.test", "type": "work"}],
            "members": [{"value": "member-id-1", "$ref": "http://127.0.0.1:4567/scim/v2/Users/member-id-1"}],
            "active": true,
        });
        let v = volatile(&[
            ("given_name", "Abcd"),
            ("family_name", "Efgh"),
            ("member1", "member-id-1"),
            ("base", "http://127.0.0.1:4567/scim/v2"),
        ]);
        let text = render(
            &response(&body),
            &spec(&["/name/familyName"], &["location"]),
            &v,
        );
        assert_eq!(
            text,
            r#"HTTP 200
content-type: application/scim+json
location: [location]

{
  "active": true,
  "emails": [
    {
      "type": "work",
      "value": "[email]"
    }
  ],
  "id": "[id]",
  "members": [
    {
      "$ref": "{{base}}/Users/{{member1}}",
      "value": "{{member1}}"
    }
  ],
  "meta": {
    "created": "[timestamp]",
    "lastModified": "[timestamp]",
    "location": "[location]",
    "resourceType": "User",
    "version": "[version]"
  },
  "name": {
    "familyName": "[familyName]",
    "formatted": "{{given_name}} {{family_name}}",
    "givenName": "{{given_name}}"
  },
  "userName": "[userName]"
}"#
        );
    }

    #[test]
    fn list_items_and_star_selectors_are_redacted() {
        let mut v =
            json!({"Resources": [{"id": "1", "meta": {"created": "t"}, "x": {"a": 1, "b": null}}]});
        redact(&mut v, &["/Resources/*/x/*".into()]);
        assert_eq!(
            v,
            json!({"Resources": [{"id": "[id]", "meta": {"created": "[timestamp]"}, "x": {"a": "[redacted]", "b": null}}]})
        );
    }

    #[test]
    fn parts_of_words_and_short_values_are_left_alone() {
        let v = volatile(&[("w", "Abcd"), ("id", "12")]);
        assert_eq!(v.replace("Abcd"), "{{w}}");
        assert_eq!(v.replace("XAbcd Abcd-1 Abcde"), "XAbcd {{w}}-1 Abcde");
        assert_eq!(v.replace("12"), "{{id}}");
        assert_eq!(v.replace("/Users/12"), "/Users/12");
    }

    #[test]
    fn non_json_bodies_are_kept_as_text() {
        let mut r = response(&json!(null));
        r.body = "plain  \nsecond Abcd\n\n".into();
        let text = render(&r, &spec(&[], &[]), &volatile(&[("w", "Abcd")]));
        assert_eq!(
            text,
            "HTTP 200\ncontent-type: application/scim+json\n\nplain\nsecond {{w}}"
        );
    }

    #[test]
    fn placeholders_are_named_after_the_last_key() {
        assert_eq!(placeholder_for("/name/givenName"), "[givenName]");
        assert_eq!(placeholder_for("/emails/*"), "[redacted]");
    }
}
