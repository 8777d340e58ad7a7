//! A scenario file and its steps: clients, vars, what each step sends, its
//! expectations and captures.

use std::collections::BTreeMap;
use std::sync::Arc;

use toml::Spanned;

use super::super::model::*;
use super::super::template;
use super::Known;
use super::conditions;
use super::expect::expect;
use super::raw;
use super::request::{request, request_names};
use super::scope::Scope;
use super::snapshot::is_snapshot_name;
use super::toml::{parse_template, span_of, toml_error};
use crate::diagnostic::{Diagnostic, Source, did_you_mean};

pub(super) fn load_scenario(
    source: &Arc<Source>,
    clients: &BTreeMap<String, Client>,
    checks: &BTreeMap<String, CheckMeta>,
    known: &Known,
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

    let requires: Vec<String> = raw
        .requires
        .iter()
        .filter_map(|f| conditions::feature(source, f, errors))
        .collect();
    let mut scope = Scope::new();
    let mut vars = Vec::new();
    for (name, value) in &raw.vars {
        if let Some(t) = parse_template(source, value, errors) {
            scope.check(source, value.span(), None, t.names(), errors);
            vars.push((name.clone(), t));
        }
        scope.define(name);
    }

    let mut steps = Vec::new();
    // (snapshot name, the clients it is recorded for, where), to refuse two files in one.
    let mut snapshot_names: Vec<(String, Vec<String>, String)> = Vec::new();
    for raw_step in &raw.steps {
        scope.enter_step();
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

        // A `with` value sees the names from before its step, not the step's other `with`s.
        let mut with = Vec::new();
        for (name, value) in &s.with {
            if let Some(t) = parse_template(source, value, errors) {
                scope.check(source, value.span(), None, t.names(), errors);
                with.push((name.clone(), t));
            }
        }
        for name in s.with.keys() {
            scope.with(name);
        }
        // Registered now so that reading one in this step is explained; defined from the next.
        for name in s.capture.keys() {
            scope.capture(name, s.name.get_ref());
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
        // An action every client that plays the step has, reading only defined names.
        let check_action = |action: &Spanned<String>, errors: &mut Vec<Diagnostic>| {
            for client in &runs_for {
                let c = &clients[*client];
                match c.actions.get(action.get_ref()) {
                    None => {
                        let names: Vec<&str> = c.actions.keys().map(String::as_str).collect();
                        errors.push(
                            Diagnostic::at(
                                source,
                                action.span(),
                                format!("client `{client}` has no action `{}`", action.get_ref()),
                            )
                            .with_help(did_you_mean(action.get_ref(), &names)),
                        );
                    }
                    Some(a) => {
                        let reader = format!("action `{}` of client `{client}`", action.get_ref());
                        let names = request_names(a);
                        let names = names.iter().map(String::as_str);
                        scope.check(source, action.span(), Some(&reader), names, errors);
                    }
                }
            }
        };
        let request = match (&s.send, &s.request) {
            (None, None) if s.saml.is_some() => {
                let saml = s.saml.as_ref().expect("checked");
                saml_login(source, saml, &scope, errors).map(StepRequest::Saml)
            }
            (Some(action), None) => {
                check_action(action, errors);
                Some(StepRequest::Send {
                    action: action.get_ref().clone(),
                })
            }
            (None, Some(req)) => {
                let rspan = span_of(source, req);
                let raw_req = req.get_ref();
                let r = request(source, rspan, raw_req.clone(), known, errors);
                // Each field is blamed for its own names. A template came back, so every
                // header parsed and `r.headers` pairs with the written ones in order.
                if let Some(r) = &r {
                    let path = &raw_req.path;
                    scope.check(source, path.span(), None, r.path.names(), errors);
                    for ((_, t), (_, written)) in r.headers.iter().zip(&raw_req.headers) {
                        scope.check(source, written.span(), None, t.names(), errors);
                    }
                    if let (Some(body), Some(written)) = (&r.body, &raw_req.body) {
                        let mut names = Vec::new();
                        let _ = template::json_names(body, &mut names);
                        let names = names.iter().map(String::as_str);
                        scope.check(source, written.span(), None, names, errors);
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

        let fallback = s.fallback.as_ref().map(|f| {
            if s.saml.is_some() {
                errors.push(Diagnostic::at(
                    source,
                    f.span(),
                    "a SAML step has no `fallback`",
                ));
            }
            check_action(f, errors);
            f.get_ref().clone()
        });
        let when = conditions::conditions(source, s.when.as_ref(), errors);
        let pause_ms = s.pause_ms.as_ref().map_or(0, |p| {
            if *p.get_ref() > 10_000 {
                errors.push(Diagnostic::at(
                    source,
                    p.span(),
                    "a pause is at most 10000 ms",
                ));
            }
            *p.get_ref()
        });
        let pause_if_whole_seconds = s.pause_if_whole_seconds.as_ref().and_then(|w| {
            if s.pause_ms.is_none() {
                errors.push(
                    Diagnostic::at(
                        source,
                        w.span(),
                        "pause_if_whole_seconds says when to pause, but the step has no pause_ms",
                    )
                    .with_help("give the pause too, e.g. pause_ms = 1100"),
                );
            }
            let t = parse_template(source, w, errors)?;
            scope.check(source, w.span(), None, t.names(), errors);
            Some(t)
        });
        let needs = conditions::needs(source, s.needs.as_ref(), checks, errors);

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
                &scope,
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
                when,
                needs,
                fallback,
                pause_ms,
                pause_if_whole_seconds,
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
        requires,
        steps,
    })
}

fn saml_login(
    source: &Arc<Source>,
    raw: &Spanned<raw::Saml>,
    scope: &Scope,
    errors: &mut Vec<Diagnostic>,
) -> Option<SamlLogin> {
    let r = raw.get_ref();
    let t = |s: &Spanned<String>, errors: &mut Vec<Diagnostic>| {
        let t = parse_template(source, s, errors)?;
        scope.check(source, s.span(), None, t.names(), errors);
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
