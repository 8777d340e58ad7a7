//! The values a scenario run knows: its declared vars, captures, and the
//! generators (`{{uuid}}`, `{{hex8}}`, `{{word}}`) that make every run's
//! resources new, so runs never collide with each other or with real users.

use std::collections::HashMap;

use serde_json::Value;

use crate::scenario::template::Lookup;
use crate::session::RunValues;

#[derive(Debug, Clone, Default)]
pub struct Vars {
    values: HashMap<String, Value>,
    /// Bound for one step only (`with`, `index`); looked up first.
    step: HashMap<String, Value>,
}

impl Vars {
    pub fn new(base: &str) -> Vars {
        Vars::with_values(base, &RunValues::default())
    }

    /// A scenario's values on `base`, with the run's domain and prefix.
    pub fn with_values(base: &str, run: &RunValues) -> Vars {
        let mut v = Vars::default();
        v.set(
            "base",
            Value::String(base.trim_end_matches('/').to_string()),
        );
        v.set("email_domain", Value::String(run.email_domain.clone()));
        v.set("prefix", Value::String(run.name_prefix.clone()));
        v.set("password", Value::String(run.password.expose().to_string()));
        v
    }
    pub fn set(&mut self, name: &str, value: Value) {
        self.values.insert(name.to_string(), value);
    }
    pub fn set_step(&mut self, name: &str, value: Value) {
        self.step.insert(name.to_string(), value);
    }
    pub fn clear_step(&mut self) {
        self.step.clear();
    }
    pub fn has(&self, name: &str) -> bool {
        self.step.contains_key(name) || self.values.contains_key(name)
    }
}

impl Lookup for Vars {
    fn get(&mut self, name: &str) -> Option<Value> {
        if let Some(v) = self.step.get(name).or_else(|| self.values.get(name)) {
            return Some(v.clone());
        }
        let fresh = uuid::Uuid::new_v4();
        match name {
            "uuid" => Some(Value::String(fresh.to_string())),
            "hex8" => Some(Value::String(fresh.simple().to_string()[..8].to_string())),
            "word" => Some(Value::String(word(fresh.as_bytes()))),
            _ => None,
        }
    }
}

/// A capitalised four-letter nonsense word, like Entra's test values (`Pvlo`).
fn word(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(4)
        .enumerate()
        .map(|(i, b)| {
            let c = (b'a' + b % 26) as char;
            if i == 0 { c.to_ascii_uppercase() } else { c }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_fresh_and_shaped() {
        let mut v = Vars::new("http://x/scim/v2/");
        let a = v.get("uuid").unwrap();
        assert_ne!(a, v.get("uuid").unwrap());
        assert_eq!(v.get("hex8").unwrap().as_str().unwrap().len(), 8);
        let w = v.get("word").unwrap();
        assert!(w.as_str().unwrap().chars().next().unwrap().is_uppercase());
        assert_eq!(v.get("base").unwrap(), "http://x/scim/v2");
        v.set_step("base", Value::from(1));
        assert_eq!(v.get("base").unwrap(), 1);
    }
}
