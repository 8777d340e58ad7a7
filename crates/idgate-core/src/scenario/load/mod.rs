//! Reads scenario, client and check-catalogue files into a [`Suite`], with
//! every error pointing at file:line:col and suggesting what was probably meant.
//!
//! One module per kind of node: `catalogue`, `client`, `step` (a scenario and
//! its steps), `request`, `expect`, `predicate`, `snapshot`; `raw` is what serde
//! reads and `toml` maps it back to places in the file; `scope` knows which
//! `{{names}}` are defined at each point and reports the ones that are not.

mod cases;
mod catalogue;
mod client;
mod conditions;
mod expect;
mod predicate;
mod raw;
mod request;
mod scope;
mod snapshot;
mod step;
mod toml;

use std::collections::BTreeMap;
use std::path::Path;

use super::model::*;
use crate::diagnostic::{Diagnostic, Source};

pub use self::toml::toml_error;
pub use snapshot::is_snapshot_name;

/// Variables every scenario has without declaring them: fresh values
/// (`uuid`, `hex8`, `word`), the target's `base` URL, a step's repetition
/// `index`, the run's `email_domain` and name `prefix` (`--email-domain`,
/// `--name-prefix`), and its `password`, which the redactor masks everywhere.
pub const BUILTIN_VARS: &[&str] = &[
    "uuid",
    "hex8",
    "word",
    "base",
    "index",
    "email_domain",
    "prefix",
    "password",
];

/// Names the files may use that the loader does not own, so that it can
/// refuse a typo without knowing what the names mean.
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    /// Schemas a request may say it `returns`, e.g. `User`, `ListResponse<Group>`.
    pub schemas: &'a [&'a str],
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

/// The SAML battery's catalogue alone, from a `cases.toml` file named `name`.
pub fn load_case_catalogue(name: &str, text: &str) -> Result<CaseCatalogue, Vec<Diagnostic>> {
    let source = Source::new(name, text);
    let mut cases = CaseCatalogue::default();
    let mut errors = Vec::new();
    cases::load_cases(&source, &mut cases, &mut BTreeMap::new(), &mut errors);
    if errors.is_empty() {
        Ok(cases)
    } else {
        Err(errors)
    }
}

/// Build a suite from `(name, text)` pairs. Files named `checks.toml` hold the
/// check catalogue, `cases.toml` the SAML battery's, files under a `clients/`
/// folder hold client profiles, the rest are scenarios. All errors are collected, not just the first.
pub fn load_with(files: &[(String, String)], known: &Known) -> Result<Suite, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut checks = BTreeMap::new();
    let mut clients = BTreeMap::new();
    let mut cases = CaseCatalogue::default();
    let mut scenario_files = Vec::new();

    for (name, text) in files {
        let source = Source::new(name.clone(), text.as_str());
        let normalized = name.replace('\\', "/");
        if normalized.ends_with("/checks.toml") || normalized == "checks.toml" {
            catalogue::load_catalogue(&source, &mut checks, &mut errors);
        } else if cases::is_case_catalogue(&normalized) {
            cases::load_cases(&source, &mut cases, &mut checks, &mut errors);
        } else if normalized.contains("clients/") {
            if let Some(c) = client::load_client(&source, known, &mut errors) {
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
        if let Some(s) = step::load_scenario(&source, &clients, &checks, known, &mut errors) {
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
            cases,
        })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHECKS: &str =
        "[[check]]\nid = \"c\"\ntitle = \"C\"\nseverity = \"minor\"\nrule = \"r\"\n";

    fn scenario(returns: &str) -> Vec<(String, String)> {
        let text = format!(
            "name = \"s\"\n[[steps]]\nname = \"read\"\n\
             request = {{ method = \"GET\", path = \"/Things\", returns = \"{returns}\" }}\n\
             [[steps.expect]]\ncheck = \"c\"\nstatus = 200\n"
        );
        vec![
            ("checks.toml".into(), CHECKS.into()),
            ("s.toml".into(), text),
        ]
    }

    #[test]
    fn schema_names_come_from_the_caller() {
        let known = Known {
            schemas: &["Thing"],
        };
        assert!(load_with(&scenario("Thing"), &known).is_ok());
        let errors = load_with(&scenario("Thnig"), &known).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].message, "unknown schema `Thnig`");
        assert_eq!(errors[0].help.as_deref(), Some("did you mean `Thing`?"));
        assert!(load_with(&scenario("User"), &known).is_err());
    }

    fn errors_of(files: &[(&str, &str)]) -> Vec<Diagnostic> {
        let mut all: Vec<(String, String)> = vec![("checks.toml".into(), CHECKS.into())];
        all.extend(files.iter().map(|(n, t)| (n.to_string(), t.to_string())));
        let known = Known { schemas: &[] };
        load_with(&all, &known).unwrap_err()
    }

    #[test]
    fn every_reader_of_an_undefined_name_gets_the_same_error() {
        let client = "name = \"c\"\ncontent_type = \"application/json\"\n\
                      [actions.get]\nmethod = \"GET\"\npath = \"/Things/{{thing_id}}\"\n";
        let scenario = "name = \"s\"\n\
                        [[steps]]\nname = \"create\"\n\
                        request = { method = \"POST\", path = \"/Things/{{thing}}\" }\n\
                        capture = { thing_id = \"/id\" }\n\
                        [[steps.expect]]\ncheck = \"c\"\njson = { \"/id\" = \"{{thing_id}}\" }\n\
                        [[steps]]\nname = \"read\"\nsend = \"get\"\nwith = { thing_id = \"{{thing_id}}\" }\n\
                        [[steps.expect]]\ncheck = \"c\"\nstatus = 200\n\
                        [[steps]]\nname = \"again\"\nsend = \"get\"\nclients = [\"c\"]\n\
                        [[steps.expect]]\ncheck = \"c\"\nstatus = 200\n";
        let errors = errors_of(&[("clients/c.toml", client), ("s.toml", scenario)]);
        let got: Vec<(String, String)> = errors
            .iter()
            .map(|e| (e.position().unwrap_or_default(), e.message.clone()))
            .collect();
        // The path string is blamed, not the whole request table; a capture is
        // not read in its own step; the last step reads the capture, so it passes.
        assert_eq!(
            got,
            [
                (
                    "s.toml:4:37".to_string(),
                    "`{{thing}}` is not defined at this point".to_string()
                ),
                (
                    "s.toml:8:18".to_string(),
                    "`{{thing_id}}` is not defined at this point".to_string()
                ),
            ]
        );
        assert!(
            errors[1]
                .help
                .as_deref()
                .unwrap()
                .starts_with("`thing_id` is captured by this step"),
            "{}",
            errors[1]
        );
        let scenario = "name = \"s\"\n[vars]\nthing = \"x\"\n\
                        [[steps]]\nname = \"read\"\nsend = \"get\"\n\
                        [[steps.expect]]\ncheck = \"c\"\nstatus = 200\n";
        let errors = errors_of(&[("clients/c.toml", client), ("s.toml", scenario)]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].message,
            "action `get` of client `c` uses `{{thing_id}}`, which is not defined at this point"
        );
        assert_eq!(errors[0].position().as_deref(), Some("s.toml:6:8"));
        assert_eq!(
            errors[0].help.as_deref(),
            Some(
                "did you mean `thing`? Defined at this point: uuid, hex8, word, base, index, \
                 email_domain, prefix, password (built in), thing ([vars]). \
                 Names come from [vars], the step's `with` or a capture of an earlier step"
            )
        );
    }
}
