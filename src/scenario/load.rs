//! Reads scenario, client and check-catalogue files into a [`Suite`], with
//! every error pointing at file:line:col and suggesting what was probably meant.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

use super::model::*;
use super::template::{self, Template, TemplateError};
use crate::diagnostic::{Diagnostic, Source, did_you_mean};

/// Variables every scenario has without declaring them.
pub const BUILTIN_VARS: &[&str] = &["uuid", "hex8", "word", "base", "index"];

const PREDICATES: &[&str] = &[
    "equals",
    "exists",
    "empty",
    "contains",
    "starts_with",
    "equals_ignore_case",
    "len",
    "max_len",
    "min_len",
    "min",
    "max",
    "one_of",
    "type",
    "not",
];

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

mod raw {
    use super::*;

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
        pub steps: Vec<Spanned<Step>>,
    }

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
        #[serde(default)]
        pub expect: Vec<Spanned<Expect>>,
    }

    #[derive(Deserialize)]
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
    #[serde(untagged)]
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
}

/// Read every `.toml` file under `dir`, naming them as `dir/...` for messages.
pub fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| {
            vec![Diagnostic::new(format!(
                "cannot read scenario directory {}: {e}",
                d.display()
            ))]
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    vec![Diagnostic::new(format!(
                        "cannot read {}: {e}",
                        path.display()
                    ))]
                })?;
                files.push((path.display().to_string(), text));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Build a suite from `(name, text)` pairs. Files named `checks.toml` hold the
/// check catalogue, files under a `clients/` folder hold client profiles, the
/// rest are scenarios. All errors are collected, not just the first.
pub fn load(files: &[(String, String)]) -> Result<Suite, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut checks = BTreeMap::new();
    let mut clients = BTreeMap::new();
    let mut scenario_files = Vec::new();

    for (name, text) in files {
        let source = Source::new(name.clone(), text.as_str());
        let normalized = name.replace('\\', "/");
        if normalized.ends_with("/checks.toml") || normalized == "checks.toml" {
            load_catalogue(&source, &mut checks, &mut errors);
        } else if normalized.contains("clients/") {
            if let Some(c) = load_client(&source, &mut errors) {
                clients.insert(c.name.clone(), c);
            }
        } else {
            scenario_files.push(source);
        }
    }
    clients.insert(
        SAML_CLIENT.to_string(),
        Client {
            name: SAML_CLIENT.to_string(),
            description:
                "idgate's test SAML IdP, posting Responses to the SP's ACS URL (HTTP-POST binding)"
                    .into(),
            headers: Vec::new(),
            content_type: "application/x-www-form-urlencoded".into(),
            actions: BTreeMap::new(),
        },
    );
    if checks.is_empty() && errors.is_empty() {
        errors.push(Diagnostic::new(
            "no check catalogue found: the scenario directory needs a checks.toml",
        ));
    }

    let mut scenarios = Vec::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for source in scenario_files {
        if let Some(s) = load_scenario(&source, &clients, &checks, &mut errors) {
            if let Some(first) = names.insert(s.name.clone(), s.file.clone()) {
                errors.push(Diagnostic::new(format!(
                    "two scenarios are named `{}`: {first} and {}",
                    s.name, s.file
                )));
            }
            scenarios.push(s);
        }
    }
    if errors.is_empty() {
        Ok(Suite {
            scenarios,
            clients,
            checks,
            snapshots: SnapshotOptions::default(),
        })
    } else {
        Err(errors)
    }
}

fn span_of<T>(source: &Arc<Source>, s: &Spanned<T>) -> Span {
    Span {
        source: source.clone(),
        start: s.span().start,
        end: s.span().end,
    }
}

/// Turn a toml/serde error into a diagnostic, adding a suggestion for unknown fields.
pub fn toml_error(source: &Source, err: toml::de::Error) -> Diagnostic {
    let message = err.message().trim().to_string();
    let span = err.span().unwrap_or(0..0);
    let mut d = Diagnostic::at(source, span, message.clone());
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let allowed: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        d = d.with_help(did_you_mean(field, &allowed));
    } else if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let allowed: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        d = d.with_help(did_you_mean(field, &allowed));
    }
    d
}

fn load_catalogue(
    source: &Arc<Source>,
    out: &mut BTreeMap<String, CheckMeta>,
    errors: &mut Vec<Diagnostic>,
) {
    let raw: raw::Catalogue = match toml::from_str(&source.text) {
        Ok(r) => r,
        Err(e) => return errors.push(toml_error(source, e)),
    };
    for c in raw.check {
        let c = c.into_inner();
        let severity = match c.severity.get_ref().as_str() {
            "critical" => Severity::Critical,
            "major" => Severity::Major,
            "minor" => Severity::Minor,
            other => {
                errors.push(
                    Diagnostic::at(
                        source,
                        c.severity.span(),
                        format!("unknown severity `{other}`"),
                    )
                    .with_help(did_you_mean(other, &["critical", "major", "minor"])),
                );
                continue;
            }
        };
        let id = c.id.get_ref().clone();
        if out.contains_key(&id) {
            errors.push(Diagnostic::at(
                source,
                c.id.span(),
                format!("check `{id}` is defined twice"),
            ));
        }
        out.insert(
            id.clone(),
            CheckMeta {
                id,
                title: c.title,
                severity,
                rule: c.rule,
                builtin: c.builtin,
            },
        );
    }
}

fn load_client(source: &Arc<Source>, errors: &mut Vec<Diagnostic>) -> Option<Client> {
    let raw: raw::Client = match toml::from_str(&source.text) {
        Ok(r) => r,
        Err(e) => {
            errors.push(toml_error(source, e));
            return None;
        }
    };
    let mut actions = BTreeMap::new();
    for (name, req) in raw.actions {
        let span = span_of(source, &req);
        if let Some(r) = request(source, span, req.into_inner(), errors) {
            actions.insert(name, r);
        }
    }
    Some(Client {
        name: raw.name.into_inner(),
        description: raw.description,
        headers: raw.headers.into_iter().collect(),
        content_type: raw.content_type,
        actions,
    })
}

/// Parse a template string, mapping its errors back into the file.
fn parse_template(
    source: &Arc<Source>,
    s: &Spanned<String>,
    errors: &mut Vec<Diagnostic>,
) -> Option<Template> {
    match Template::parse(s.get_ref()) {
        Ok(t) => Some(t),
        Err(e) => {
            errors.push(template_error(source, content_start(source, s.span()), &e));
            None
        }
    }
}

fn template_error(source: &Source, base: usize, e: &TemplateError) -> Diagnostic {
    let start = base + e.offset;
    let mut d = Diagnostic::at(source, start..start + e.len, e.message.clone());
    if let Some(h) = &e.help {
        d = d.with_help(h.clone());
    }
    d
}

/// Byte offset where the content of a TOML string token starts.
fn content_start(source: &Source, span: std::ops::Range<usize>) -> usize {
    let token = &source.text[span.clone()];
    for delim in ["'''", "\"\"\""] {
        if let Some(rest) = token.strip_prefix(delim) {
            let skip = if rest.starts_with("\r\n") {
                2
            } else if rest.starts_with('\n') {
                1
            } else {
                0
            };
            return span.start + 3 + skip;
        }
    }
    if token.starts_with('\'') || token.starts_with('"') {
        span.start + 1
    } else {
        span.start
    }
}

fn request(
    source: &Arc<Source>,
    span: Span,
    raw: raw::Request,
    errors: &mut Vec<Diagnostic>,
) -> Option<RequestTemplate> {
    let before = errors.len();
    let method = raw.method.get_ref().to_uppercase();
    if !METHODS.contains(&method.as_str()) {
        errors.push(
            Diagnostic::at(
                source,
                raw.method.span(),
                format!("unknown method `{}`", raw.method.get_ref()),
            )
            .with_help(did_you_mean(raw.method.get_ref(), METHODS)),
        );
    }
    if !raw.path.get_ref().starts_with('/') {
        errors.push(
            Diagnostic::at(source, raw.path.span(), "a path starts with `/`")
                .with_help("it is appended to the target's SCIM base URL, e.g. \"/Users\""),
        );
    }
    let path = parse_template(source, &raw.path, errors);
    let mut headers = Vec::new();
    for (name, value) in &raw.headers {
        if let Some(t) = parse_template(source, value, errors) {
            headers.push((name.clone(), t));
        }
    }
    let body = raw
        .body
        .as_ref()
        .and_then(|b| match serde_json::from_str::<Value>(b.get_ref()) {
            Ok(v) => {
                let mut names = Vec::new();
                if let Err(e) = template::json_names(&v, &mut names) {
                    errors.push(Diagnostic::at(
                        source,
                        b.span(),
                        format!("in the body: {}", e.message),
                    ));
                }
                Some(v)
            }
            Err(e) => {
                let base = content_start(source, b.span());
                let offset = offset_of_line_col(b.get_ref(), e.line(), e.column());
                errors.push(
                    Diagnostic::at(
                        source,
                        base + offset..base + offset + 1,
                        format!("the body is not valid JSON: {e}"),
                    )
                    .with_help("bodies are JSON text inside a TOML literal string ('''...''')"),
                );
                None
            }
        });
    let auth = match raw.auth.as_ref().map(|a| a.get_ref().as_str()) {
        None | Some("bearer") => Auth::Bearer,
        Some("none") => Auth::None,
        Some("wrong-token") => Auth::WrongToken,
        Some(other) => {
            let a = raw.auth.as_ref().expect("matched Some");
            errors.push(
                Diagnostic::at(source, a.span(), format!("unknown auth `{other}`"))
                    .with_help(did_you_mean(other, &["bearer", "none", "wrong-token"])),
            );
            Auth::Bearer
        }
    };
    let returns = raw.returns.as_ref().map(|r| {
        if !crate::check::schema::is_known(r.get_ref()) {
            errors.push(
                Diagnostic::at(
                    source,
                    r.span(),
                    format!("unknown schema `{}`", r.get_ref()),
                )
                .with_help(did_you_mean(
                    r.get_ref(),
                    crate::check::schema::known_names(),
                )),
            );
        }
        r.get_ref().clone()
    });
    if errors.len() > before {
        return None;
    }
    Some(RequestTemplate {
        method,
        path: path?,
        headers,
        body,
        auth,
        returns,
        span,
    })
}

fn offset_of_line_col(text: &str, line: usize, col: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return offset + col.saturating_sub(1).min(l.len());
        }
        offset += l.len();
    }
    text.len().saturating_sub(1)
}

fn load_scenario(
    source: &Arc<Source>,
    clients: &BTreeMap<String, Client>,
    checks: &BTreeMap<String, CheckMeta>,
    errors: &mut Vec<Diagnostic>,
) -> Option<Scenario> {
    let raw: raw::Scenario = match toml::from_str(&source.text) {
        Ok(r) => r,
        Err(e) => {
            errors.push(toml_error(source, e));
            return None;
        }
    };
    let before = errors.len();
    let client_names: Vec<&str> = clients.keys().map(String::as_str).collect();
    let check_names: Vec<&str> = checks.keys().map(String::as_str).collect();

    let known_client = |c: &Spanned<String>, errors: &mut Vec<Diagnostic>| {
        if !clients.contains_key(c.get_ref()) {
            errors.push(
                Diagnostic::at(
                    source,
                    c.span(),
                    format!("unknown client `{}`", c.get_ref()),
                )
                .with_help(did_you_mean(c.get_ref(), &client_names)),
            );
            false
        } else {
            true
        }
    };

    let mut scenario_clients = Vec::new();
    for c in &raw.clients {
        if known_client(c, errors) {
            scenario_clients.push(c.get_ref().clone());
        }
    }
    // A scenario of SAML steps is played by the IdP; one of requests, by every SCIM client.
    let is_saml = raw.steps.iter().any(|s| s.get_ref().saml.is_some());
    if raw.clients.is_empty() {
        scenario_clients = if is_saml {
            vec![SAML_CLIENT.to_string()]
        } else {
            clients
                .keys()
                .filter(|c| *c != SAML_CLIENT)
                .cloned()
                .collect()
        };
    }

    // Names defined so far, in the order a run defines them.
    let mut defined: BTreeSet<String> = BUILTIN_VARS.iter().map(|s| s.to_string()).collect();
    let check_names_in = |t: &Template,
                          at: &Spanned<String>,
                          defined: &BTreeSet<String>,
                          errors: &mut Vec<Diagnostic>| {
        for n in t.names() {
            if !defined.contains(n) {
                let known: Vec<&str> = defined.iter().map(String::as_str).collect();
                errors.push(
                    Diagnostic::at(
                        source,
                        at.span(),
                        format!("`{{{{{n}}}}}` is not defined at this point"),
                    )
                    .with_help(did_you_mean(n, &known)),
                );
            }
        }
    };

    let mut vars = Vec::new();
    for (name, value) in &raw.vars {
        if let Some(t) = parse_template(source, value, errors) {
            check_names_in(&t, value, &defined, errors);
            vars.push((name.clone(), t));
        }
        defined.insert(name.clone());
    }

    let mut steps = Vec::new();
    // (snapshot name, the clients it is recorded for, where), to refuse two files in one.
    let mut snapshot_names: Vec<(String, Vec<String>, String)> = Vec::new();
    for raw_step in &raw.steps {
        let span = span_of(source, raw_step);
        let s = raw_step.get_ref();
        let mut step_clients = Vec::new();
        for c in &s.clients {
            if known_client(c, errors) {
                step_clients.push(c.get_ref().clone());
            }
        }
        let runs_for: Vec<&String> = scenario_clients
            .iter()
            .filter(|c| step_clients.is_empty() || step_clients.contains(c))
            .collect();

        let mut with = Vec::new();
        let mut step_defined = defined.clone();
        for (name, value) in &s.with {
            if let Some(t) = parse_template(source, value, errors) {
                check_names_in(&t, value, &defined, errors);
                with.push((name.clone(), t));
            }
            step_defined.insert(name.clone());
        }

        // A SAML step posts one Response and reads a verdict: the request-only
        // fields would be silently ignored, so they are errors.
        if s.saml.is_some() {
            let misplaced = [
                ("send", s.send.is_some()),
                ("request", s.request.is_some()),
                ("capture", !s.capture.is_empty()),
                ("repeat", s.repeat.is_some()),
            ];
            for (field, present) in misplaced {
                if present {
                    errors.push(Diagnostic::at(
                        source,
                        s.name.span(),
                        format!("a SAML step (`saml = {{...}}`) has no `{field}`"),
                    ));
                }
            }
        }
        let request = match (&s.send, &s.request) {
            (None, None) if s.saml.is_some() => {
                let saml = s.saml.as_ref().expect("checked");
                saml_login(source, saml, &step_defined, errors).map(StepRequest::Saml)
            }
            (Some(action), None) => {
                for client in &runs_for {
                    let c = &clients[*client];
                    match c.actions.get(action.get_ref()) {
                        None => {
                            let names: Vec<&str> = c.actions.keys().map(String::as_str).collect();
                            errors.push(
                                Diagnostic::at(
                                    source,
                                    action.span(),
                                    format!(
                                        "client `{client}` has no action `{}`",
                                        action.get_ref()
                                    ),
                                )
                                .with_help(did_you_mean(action.get_ref(), &names)),
                            );
                        }
                        Some(a) => {
                            for n in request_names(a) {
                                if !step_defined.contains(&n) {
                                    errors.push(
                                        Diagnostic::at(source, action.span(), format!("action `{}` of client `{client}` uses `{{{{{n}}}}}`, which is not defined here", action.get_ref()))
                                            .with_help(format!("define it in [vars], in this step's `with`, or capture it in an earlier step (defined: {})", step_defined.iter().cloned().collect::<Vec<_>>().join(", "))),
                                    );
                                }
                            }
                        }
                    }
                }
                Some(StepRequest::Send {
                    action: action.get_ref().clone(),
                })
            }
            (None, Some(req)) => {
                let rspan = span_of(source, req);
                let raw_req = raw::Request {
                    method: req.get_ref().method.clone(),
                    path: req.get_ref().path.clone(),
                    headers: req.get_ref().headers.clone(),
                    body: req.get_ref().body.clone(),
                    auth: req.get_ref().auth.clone(),
                    returns: req.get_ref().returns.clone(),
                };
                let r = request(source, rspan, raw_req, errors);
                if let Some(r) = &r {
                    for n in request_names(r) {
                        if !step_defined.contains(&n) {
                            errors.push(Diagnostic::at(
                                source,
                                req.span(),
                                format!(
                                    "this request uses `{{{{{n}}}}}`, which is not defined here"
                                ),
                            ));
                        }
                    }
                }
                r.map(StepRequest::Raw)
            }
            (Some(_), Some(_)) => {
                errors.push(Diagnostic::at(
                    source,
                    s.name.span(),
                    "a step has either `send` or `request`, not both",
                ));
                None
            }
            (None, None) => {
                errors.push(
                    Diagnostic::at(source, s.name.span(), "this step sends nothing")
                        .with_help("add `send = \"<action>\"` (an action of the client) or a `request = { method, path }`"),
                );
                None
            }
        };

        let mut expects = Vec::new();
        for e in &s.expect {
            let r = e.get_ref();
            let tests_nothing = r.status.is_none()
                && r.verdict.is_none()
                && r.headers.is_empty()
                && r.json.is_empty()
                && r.snapshot.is_none();
            if tests_nothing {
                errors.push(
                    Diagnostic::at(source, r.check.span(), "this expectation tests nothing")
                        .with_help("give it a `status`, `headers`, `json`, `snapshot` or (SAML steps) `verdict`"),
                );
            }
            if let Some(v) = &r.verdict
                && s.saml.is_none()
            {
                errors.push(Diagnostic::at(
                    source,
                    v.span(),
                    "`verdict` judges a SAML step; this step sends a SCIM request",
                ));
            }
            if let Some(x) = expect(
                source,
                e,
                checks,
                &check_names,
                &step_defined,
                &scenario_clients,
                errors,
            ) {
                expects.push(x);
            }
        }
        for x in &expects {
            let Some(spec) = &x.snapshot else { continue };
            let at = x.span.range();
            let clients: Vec<String> = runs_for
                .iter()
                .filter(|c| x.clients.is_empty() || x.clients.contains(c))
                .map(|c| c.to_string())
                .collect();
            if let Some((_, taken, first)) = snapshot_names
                .iter()
                .find(|(n, cs, _)| *n == spec.name && cs.iter().any(|c| clients.contains(c)))
            {
                let both: Vec<&str> = clients
                    .iter()
                    .filter(|c| taken.contains(c))
                    .map(String::as_str)
                    .collect();
                errors.push(
                    Diagnostic::at(
                        source,
                        at,
                        format!(
                            "snapshot `{}` is already recorded by the expectation at {first} (client {})",
                            spec.name,
                            both.join(", ")
                        ),
                    )
                    .with_help("give each snapshot of a scenario its own name"),
                );
            }
            snapshot_names.push((spec.name.clone(), clients, x.span.location()));
        }

        let mut capture = Vec::new();
        for (name, pointer) in &s.capture {
            if !pointer.get_ref().starts_with('/') && !pointer.get_ref().starts_with("header:") {
                errors.push(
                    Diagnostic::at(source, pointer.span(), format!("`{}` is not a JSON pointer", pointer.get_ref()))
                        .with_help("a capture is a JSON pointer into the response body such as \"/id\", or \"header:location\""),
                );
            }
            capture.push((name.clone(), pointer.get_ref().clone()));
            defined.insert(name.clone());
        }

        if let Some(request) = request {
            steps.push(Step {
                name: s.name.get_ref().clone(),
                span,
                clients: step_clients,
                request,
                with,
                capture,
                repeat: s.repeat.as_ref().map_or(1, |r| *r.get_ref()).max(1),
                expects,
            });
        }
    }
    if !snapshot_names.is_empty() && !is_snapshot_name(raw.name.get_ref()) {
        errors.push(
            Diagnostic::at(
                source,
                raw.name.span(),
                format!(
                    "scenario `{}` has snapshots, so its name becomes part of a file name",
                    raw.name.get_ref()
                ),
            )
            .with_help("use letters, digits, `-`, `_` and `.` (not `__`)"),
        );
    }
    if errors.len() > before {
        return None;
    }
    Some(Scenario {
        name: raw.name.into_inner(),
        description: raw.description,
        file: source.name.clone(),
        clients: scenario_clients,
        tags: raw.tags,
        vars,
        steps,
    })
}

fn saml_login(
    source: &Arc<Source>,
    raw: &Spanned<raw::Saml>,
    defined: &BTreeSet<String>,
    errors: &mut Vec<Diagnostic>,
) -> Option<SamlLogin> {
    let r = raw.get_ref();
    let t = |s: &Spanned<String>, errors: &mut Vec<Diagnostic>| {
        let t = parse_template(source, s, errors)?;
        for n in t.names() {
            if !defined.contains(n) {
                errors.push(Diagnostic::at(
                    source,
                    s.span(),
                    format!("`{{{{{n}}}}}` is not defined at this point"),
                ));
            }
        }
        Some(t)
    };
    let claims = match r.claims.as_ref().map(|c| c.get_ref().as_str()) {
        None | Some("both") => ClaimNames::Both,
        Some("short") => ClaimNames::Short,
        Some("uri") => ClaimNames::Uri,
        Some(other) => {
            let c = r.claims.as_ref().expect("matched");
            errors.push(
                Diagnostic::at(source, c.span(), format!("unknown claim naming `{other}`"))
                    .with_help(did_you_mean(other, &["short", "uri", "both"])),
            );
            return None;
        }
    };
    let email = match &r.email {
        Some(e) => Some(t(e, errors)?),
        None => None,
    };
    Some(SamlLogin {
        name_id: t(&r.name_id, errors)?,
        email,
        first_name: t(&r.first_name, errors)?,
        last_name: t(&r.last_name, errors)?,
        claims,
    })
}

/// Every variable a request template reads.
fn request_names(r: &RequestTemplate) -> Vec<String> {
    let mut names: Vec<String> = r.path.names().map(String::from).collect();
    for (_, h) in &r.headers {
        names.extend(h.names().map(String::from));
    }
    if let Some(b) = &r.body {
        let _ = template::json_names(b, &mut names);
    }
    names
}

fn expect(
    source: &Arc<Source>,
    e: &Spanned<raw::Expect>,
    checks: &BTreeMap<String, CheckMeta>,
    check_names: &[&str],
    defined: &BTreeSet<String>,
    scenario_clients: &[String],
    errors: &mut Vec<Diagnostic>,
) -> Option<Expect> {
    let before = errors.len();
    let raw = e.get_ref();
    let id = raw.check.get_ref();
    if !checks.contains_key(id) {
        errors.push(
            Diagnostic::at(source, raw.check.span(), format!("unknown check `{id}`")).with_help(
                format!(
                    "{} (checks are listed in scenarios/checks.toml and by `idgate list`)",
                    did_you_mean(id, check_names)
                ),
            ),
        );
    }
    let mut clients = Vec::new();
    for c in &raw.clients {
        if !scenario_clients.contains(c.get_ref()) {
            let names: Vec<&str> = scenario_clients.iter().map(String::as_str).collect();
            errors.push(
                Diagnostic::at(
                    source,
                    c.span(),
                    format!("`{}` is not a client of this scenario", c.get_ref()),
                )
                .with_help(did_you_mean(c.get_ref(), &names)),
            );
        }
        clients.push(c.get_ref().clone());
    }
    let status = raw.status.as_ref().map(|s| match s.get_ref() {
        raw::Status::One(n) => vec![*n],
        raw::Status::Many(v) => v.clone(),
    });
    if let Some(s) = &raw.status
        && status
            .as_ref()
            .is_some_and(|v| v.iter().any(|n| !(100..=599).contains(n)))
    {
        errors.push(Diagnostic::at(
            source,
            s.span(),
            "an HTTP status is between 100 and 599",
        ));
    }
    let verdict = match raw.verdict.as_ref().map(|v| v.get_ref().as_str()) {
        None => None,
        Some("accept") => Some(true),
        Some("reject") => Some(false),
        Some(other) => {
            let v = raw.verdict.as_ref().expect("matched");
            errors.push(
                Diagnostic::at(source, v.span(), format!("unknown verdict `{other}`"))
                    .with_help(did_you_mean(other, &["accept", "reject"])),
            );
            None
        }
    };
    let mut parse_preds = |table: &IndexMap<String, Spanned<toml::Value>>, is_json: bool| {
        let mut out = Vec::new();
        for (key, value) in table {
            if is_json && !key.is_empty() && !key.starts_with('/') {
                errors.push(
                    Diagnostic::at(
                        source,
                        value.span(),
                        format!("`{key}` is not a JSON pointer"),
                    )
                    .with_help(format!("write \"/{key}\": JSON pointers start with `/`")),
                );
                continue;
            }
            match predicate(value.get_ref()) {
                Ok(p) => {
                    let mut names = Vec::new();
                    predicate_names(&p, &mut names);
                    for n in names {
                        if !defined.contains(&n) {
                            let known: Vec<&str> = defined.iter().map(String::as_str).collect();
                            errors.push(
                                Diagnostic::at(
                                    source,
                                    value.span(),
                                    format!("`{{{{{n}}}}}` is not defined at this point"),
                                )
                                .with_help(did_you_mean(&n, &known)),
                            );
                        }
                    }
                    out.push((key.clone(), p));
                }
                Err((msg, help)) => {
                    let mut d = Diagnostic::at(source, value.span(), msg);
                    if let Some(h) = help {
                        d = d.with_help(h);
                    }
                    errors.push(d);
                }
            }
        }
        out
    };
    let headers = parse_preds(&raw.headers, false);
    let json = parse_preds(&raw.json, true);
    let snapshot = snapshot_spec(source, raw, errors);
    if errors.len() > before {
        return None;
    }
    Some(Expect {
        check: id.clone(),
        span: span_of(source, e),
        clients,
        status,
        verdict,
        headers,
        json,
        snapshot,
    })
}

/// A name that is safe in a file name and cannot be confused with the `__`
/// separators of `<scenario>__<client>__<name>.snap`.
pub fn is_snapshot_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains("__")
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn snapshot_spec(
    source: &Arc<Source>,
    raw: &raw::Expect,
    errors: &mut Vec<Diagnostic>,
) -> Option<SnapshotSpec> {
    let Some(name) = &raw.snapshot else {
        for (field, list) in [
            ("redact", &raw.redact),
            ("snapshot_headers", &raw.snapshot_headers),
        ] {
            if let Some(first) = list.first() {
                errors.push(
                    Diagnostic::at(
                        source,
                        first.span(),
                        format!("`{field}` only applies to a snapshot"),
                    )
                    .with_help("name the snapshot too: snapshot = \"<name>\""),
                );
            }
        }
        return None;
    };
    if !is_snapshot_name(name.get_ref()) {
        errors.push(
            Diagnostic::at(
                source,
                name.span(),
                format!("`{}` cannot name a snapshot file", name.get_ref()),
            )
            .with_help("use letters, digits, `-`, `_` and `.` (not `__`), e.g. \"read-user\""),
        );
    }
    let mut redact = Vec::new();
    for r in &raw.redact {
        if !r.get_ref().starts_with('/') {
            errors.push(
                Diagnostic::at(source, r.span(), format!("`{}` is not a selector", r.get_ref()))
                    .with_help("a selector is a JSON pointer into the body, `*` for any key or index: \"/name/givenName\", \"/Resources/*/id\""),
            );
        }
        redact.push(r.get_ref().clone());
    }
    let mut headers: Vec<String> = Vec::new();
    for h in &raw.snapshot_headers {
        let lower = h.get_ref().to_ascii_lowercase();
        let token = !lower.is_empty()
            && lower
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c));
        if !token {
            errors.push(Diagnostic::at(
                source,
                h.span(),
                format!("`{}` is not a header name", h.get_ref()),
            ));
        } else if crate::redact::is_secret_header(&lower) {
            errors.push(Diagnostic::at(
                source,
                h.span(),
                format!("`{lower}` carries credentials and is never written to a snapshot"),
            ));
        }
        if lower != "content-type" && !headers.contains(&lower) {
            headers.push(lower);
        }
    }
    Some(SnapshotSpec {
        name: name.get_ref().clone(),
        redact,
        headers,
    })
}

fn predicate_names(p: &Predicate, out: &mut Vec<String>) {
    let mut value = |v: &Value| {
        let _ = template::json_names(v, out);
    };
    match p {
        Predicate::Equals(v)
        | Predicate::Contains(v)
        | Predicate::StartsWith(v)
        | Predicate::EqualsIgnoreCase(v) => value(v),
        Predicate::OneOf(vs) => vs.iter().for_each(value),
        Predicate::Not(inner) => predicate_names(inner, out),
        _ => {}
    }
}

type PredError = (String, Option<String>);

/// A plain value means equality; a table names one test, e.g. `{ exists = true }`.
fn predicate(value: &toml::Value) -> Result<Predicate, PredError> {
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
        other => {
            return Err((
                format!("unknown test `{other}`"),
                Some(did_you_mean(other, PREDICATES)),
            ));
        }
    })
}

fn toml_to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

fn json_to_toml(v: &Value) -> toml::Value {
    match v {
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Number(n) => n
            .as_i64()
            .map(toml::Value::Integer)
            .unwrap_or_else(|| toml::Value::Float(n.as_f64().unwrap_or(0.0))),
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Null => toml::Value::String(String::new()),
        Value::Array(a) => toml::Value::Array(a.iter().map(json_to_toml).collect()),
        Value::Object(m) => toml::Value::Table(
            m.iter()
                .map(|(k, v)| (k.clone(), json_to_toml(v)))
                .collect(),
        ),
    }
}
