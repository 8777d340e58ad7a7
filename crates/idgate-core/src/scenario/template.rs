//! `{{name}}` and `{{name|filter}}` substitution in scenario strings.
//!
//! Deliberately tiny: scenarios need variables, captured values and two case
//! filters, not loops or logic, and a full template engine would let test data
//! grow code. Unknown filters and unterminated braces are load-time errors.

use serde_json::Value;

/// A string with `{{...}}` placeholders, parsed once at load time.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Var {
        name: String,
        filter: Option<Filter>,
    },
}

/// What a placeholder may do to its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    Upper,
    Lower,
}

const FILTERS: &[&str] = &["upper", "lower"];

/// Why a template string could not be parsed; `offset` is a byte offset into it.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError {
    pub offset: usize,
    pub len: usize,
    pub message: String,
    pub help: Option<String>,
}

/// Supplies values for placeholders.
pub trait Lookup {
    fn get(&mut self, name: &str) -> Option<Value>;
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        let mut offset = 0;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                return Err(TemplateError {
                    offset: offset + start,
                    len: 2,
                    message: "`{{` is never closed".into(),
                    help: Some("close the placeholder with `}}`".into()),
                });
            };
            let inner = &after[..end];
            let inner_offset = offset + start + 2;
            let (name, filter) = match inner.split_once('|') {
                Some((n, f)) => (n.trim(), Some(f.trim())),
                None => (inner.trim(), None),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(TemplateError {
                    offset: inner_offset,
                    len: inner.len().max(1),
                    message: format!("`{inner}` is not a variable name"),
                    help: Some("names are letters, digits and `_`, e.g. `{{user_id}}`".into()),
                });
            }
            let filter = match filter {
                None => None,
                Some("upper") => Some(Filter::Upper),
                Some("lower") => Some(Filter::Lower),
                Some(other) => {
                    return Err(TemplateError {
                        offset: inner_offset,
                        len: inner.len(),
                        message: format!("unknown filter `{other}`"),
                        help: Some(crate::diagnostic::did_you_mean(other, FILTERS)),
                    });
                }
            };
            parts.push(Part::Var {
                name: name.to_string(),
                filter,
            });
            let consumed = start + 2 + end + 2;
            rest = &rest[consumed..];
            offset += consumed;
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template { parts })
    }

    /// A template with no placeholders.
    pub fn literal(text: &str) -> Template {
        Template {
            parts: vec![Part::Text(text.to_string())],
        }
    }

    /// Every variable the template reads, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var { name, .. } => Some(name.as_str()),
            Part::Text(_) => None,
        })
    }

    /// Render to a string; `encode` is applied to substituted values only,
    /// so literal text is sent exactly as written. Returns the first missing name.
    pub fn render_with(
        &self,
        vars: &mut dyn Lookup,
        encode: &dyn Fn(&str) -> String,
    ) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Var { name, filter } => {
                    let value = vars.get(name).ok_or_else(|| name.clone())?;
                    out.push_str(&encode(&apply(filter, as_text(&value))));
                }
            }
        }
        Ok(out)
    }

    /// Render a URL path: values substituted before the first literal `?` go
    /// through `in_path`, values after it through `in_query`.
    pub fn render_url(
        &self,
        vars: &mut dyn Lookup,
        in_path: &dyn Fn(&str) -> String,
        in_query: &dyn Fn(&str) -> String,
    ) -> Result<String, String> {
        let mut out = String::new();
        let mut in_q = false;
        for part in &self.parts {
            match part {
                Part::Text(t) => {
                    in_q |= t.contains('?');
                    out.push_str(t);
                }
                Part::Var { name, filter } => {
                    let value = vars.get(name).ok_or_else(|| name.clone())?;
                    let text = apply(filter, as_text(&value));
                    out.push_str(&if in_q {
                        in_query(&text)
                    } else {
                        in_path(&text)
                    });
                }
            }
        }
        Ok(out)
    }

    pub fn render(&self, vars: &mut dyn Lookup) -> Result<String, String> {
        self.render_with(vars, &|s| s.to_string())
    }

    /// Render to a JSON value: a template that is exactly one placeholder keeps
    /// the value's JSON type (a captured number stays a number, an array an array).
    pub fn render_value(&self, vars: &mut dyn Lookup) -> Result<Value, String> {
        if let [Part::Var { name, filter: None }] = self.parts.as_slice() {
            return vars.get(name).ok_or_else(|| name.clone());
        }
        self.render(vars).map(Value::String)
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn apply(filter: &Option<Filter>, s: String) -> String {
    match filter {
        None => s,
        Some(Filter::Upper) => s.to_uppercase(),
        Some(Filter::Lower) => s.to_lowercase(),
    }
}

/// Substitute every string (and object key) of a JSON document.
pub fn render_json(value: &Value, vars: &mut dyn Lookup) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => {
            let t = Template::parse(s).map_err(|e| e.message)?;
            t.render_value(vars)?
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| render_json(v, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                let key = Template::parse(k).map_err(|e| e.message)?.render(vars)?;
                out.insert(key, render_json(v, vars)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// Every placeholder name used anywhere in a JSON document.
pub fn json_names(value: &Value, out: &mut Vec<String>) -> Result<(), TemplateError> {
    match value {
        Value::String(s) => out.extend(Template::parse(s)?.names().map(String::from)),
        Value::Array(items) => {
            for v in items {
                json_names(v, out)?;
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                out.extend(Template::parse(k)?.names().map(String::from));
                json_names(v, out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    struct Map(HashMap<&'static str, Value>);
    impl Lookup for Map {
        fn get(&mut self, name: &str) -> Option<Value> {
            self.0.get(name).cloned()
        }
    }

    fn vars() -> Map {
        Map(HashMap::from([
            ("id", json!("a b\"c")),
            ("n", json!(3)),
            ("ids", json!(["x", "y"])),
        ]))
    }

    #[test]
    fn substitutes_and_encodes_only_values() {
        let t = Template::parse("/Users?filter=userName+eq+%22{{id}}%22").unwrap();
        let out = t
            .render_with(&mut vars(), &|s| s.replace(' ', "+"))
            .unwrap();
        assert_eq!(out, "/Users?filter=userName+eq+%22a+b\"c%22");
    }

    #[test]
    fn whole_placeholder_keeps_json_type() {
        let body = json!({"count": "{{n}}", "ids": "{{ids}}", "s": "n={{n}}", "u": "{{id|upper}}"});
        let out = render_json(&body, &mut vars()).unwrap();
        assert_eq!(
            out,
            json!({"count": 3, "ids": ["x","y"], "s": "n=3", "u": "A B\"C"})
        );
    }

    #[test]
    fn errors_point_into_the_string() {
        let e = Template::parse("ab{{id|uper}}").unwrap_err();
        assert_eq!(e.offset, 4);
        assert!(e.help.unwrap().contains("upper"));
        assert_eq!(Template::parse("x{{id").unwrap_err().offset, 1);
        assert!(Template::parse("{{a b}}").is_err());
    }

    #[test]
    fn missing_variable_is_reported_by_name() {
        let t = Template::parse("{{nope}}").unwrap();
        assert_eq!(t.render(&mut vars()), Err("nope".to_string()));
    }
}
