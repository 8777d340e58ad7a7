//! The files as serde reads them: every field a user may write, with its span,
//! before any of it is checked. Unknown fields are refused here.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub clients: Vec<Spanned<String>>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub vars: IndexMap<String, Spanned<String>>,
    #[serde(default)]
    pub requires: Vec<Spanned<String>>,
    #[serde(default)]
    pub steps: Vec<Spanned<Step>>,
}

/// One name or a list of them (`when = "sort"`, `when = ["filter", "!sort"]`);
/// read as a value, since serde's untagged enums lose the spans.
pub type OneOrMany = Spanned<toml::Value>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub name: Spanned<String>,
    pub send: Option<Spanned<String>>,
    pub request: Option<Spanned<Request>>,
    pub saml: Option<Spanned<Saml>>,
    #[serde(default)]
    pub with: IndexMap<String, Spanned<String>>,
    #[serde(default)]
    pub capture: IndexMap<String, Spanned<String>>,
    pub repeat: Option<Spanned<u32>>,
    #[serde(default)]
    pub clients: Vec<Spanned<String>>,
    pub when: Option<OneOrMany>,
    pub needs: Option<OneOrMany>,
    pub fallback: Option<Spanned<String>>,
    pub pause_ms: Option<Spanned<u32>>,
    pub pause_if_whole_seconds: Option<Spanned<String>>,
    #[serde(default)]
    pub expect: Vec<Spanned<Expect>>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub method: Spanned<String>,
    pub path: Spanned<String>,
    #[serde(default)]
    pub headers: IndexMap<String, Spanned<String>>,
    pub body: Option<Spanned<String>>,
    pub auth: Option<Spanned<String>>,
    pub returns: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Saml {
    pub name_id: Spanned<String>,
    pub email: Option<Spanned<String>>,
    pub first_name: Spanned<String>,
    pub last_name: Spanned<String>,
    pub claims: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "a status code is a number (201) or a list of numbers ([200, 204])"
)]
pub enum Status {
    One(u16),
    Many(Vec<u16>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub check: Spanned<String>,
    #[serde(default)]
    pub clients: Vec<Spanned<String>>,
    pub status: Option<Spanned<Status>>,
    pub verdict: Option<Spanned<String>>,
    #[serde(default)]
    pub headers: IndexMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    pub json: IndexMap<String, Spanned<toml::Value>>,
    pub snapshot: Option<Spanned<String>>,
    #[serde(default)]
    pub redact: Vec<Spanned<String>>,
    #[serde(default)]
    pub snapshot_headers: Vec<Spanned<String>>,
    pub needs: Option<OneOrMany>,
    pub if_status: Option<Spanned<Status>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: String,
    pub content_type: String,
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    #[serde(default)]
    pub actions: IndexMap<String, Spanned<Request>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    #[serde(default)]
    pub check: Vec<Spanned<Check>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub id: Spanned<String>,
    pub title: String,
    pub severity: Spanned<String>,
    pub rule: String,
    #[serde(default)]
    pub builtin: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cases {
    #[serde(default)]
    pub group: Vec<Spanned<CaseGroup>>,
    #[serde(default)]
    pub case: Vec<Spanned<Case>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseGroup {
    pub id: Spanned<String>,
    pub title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub id: Spanned<String>,
    pub group: Spanned<String>,
    pub expect: Spanned<String>,
    pub severity: Spanned<String>,
    #[serde(default)]
    pub idp_cooperation: Option<String>,
    #[serde(default)]
    pub skew_from: Option<Spanned<String>>,
    #[serde(default)]
    pub refused_by_policy: Option<Spanned<String>>,
    #[serde(default)]
    pub needs: Option<Spanned<String>>,
    /// What the case becomes under an SP profile (`[case.under.entra]`).
    #[serde(default)]
    pub under: BTreeMap<String, Spanned<CaseUnder>>,
    pub title: String,
    pub changes: String,
    pub rule: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseUnder {
    pub expect: Spanned<String>,
    pub severity: Spanned<String>,
    pub rule: String,
}
