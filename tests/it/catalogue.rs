//! The catalogue is data a reader can trust: every rule cites a document that
//! ships with idgate or a public source, and from any check id one grep finds
//! its data and its code.

use crate::common;

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir` whose name ends with `ext`.
fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    common::walk(&root().join(dir))
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(ext))
        .collect()
}

/// The files among `paths` that hold `needle` in quotes, as a grep for `"id"` finds them.
fn holding(paths: &[PathBuf], needle: &str) -> Vec<String> {
    let quoted = format!("\"{needle}\"");
    paths
        .iter()
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains(&quoted)))
        .map(|p| p.strip_prefix(root()).unwrap_or(p).display().to_string())
        .collect()
}

#[test]
fn every_rule_cites_a_shipped_or_public_document() {
    let suite = common::suite();
    let mut bad = Vec::new();
    for c in suite.checks.values() {
        if c.rule.trim().is_empty() {
            bad.push(format!("{}: no rule", c.id));
        }
        // Files that are not in the repository cannot be cited.
        for gone in [
            "saml-attacks.md",
            "entra-requests.md",
            "negative-test catalogue",
        ] {
            if c.rule.contains(gone) {
                bad.push(format!(
                    "{}: cites {gone}, which idgate does not ship",
                    c.id
                ));
            }
        }
        // A cited document of the project exists, and so does its section.
        for (i, _) in c.rule.match_indices("docs/") {
            let cite = &c.rule[i..];
            let file = cite.split([' ', ';', ',', ')']).next().unwrap_or("");
            let path = root().join(file);
            let Ok(text) = std::fs::read_to_string(&path) else {
                bad.push(format!("{}: cites {file}, which does not exist", c.id));
                continue;
            };
            if let Some(section) = cite
                .split('§')
                .nth(1)
                .and_then(|s| s.split([' ', ';']).next())
                && !text
                    .lines()
                    .any(|l| l.starts_with(&format!("## {section}.")))
            {
                bad.push(format!("{}: {file} has no section {section}", c.id));
            }
        }
    }
    // Each battery case cites its group's section of the shipped catalogue.
    for case in &suite.cases.cases {
        let cite = format!("docs/saml-cases.md §{}", case.group);
        if !case.rule.contains(&cite) {
            bad.push(format!("{}: its rule does not cite {cite}", case.id));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn one_grep_finds_each_checks_data_and_code() {
    let suite = common::suite();
    let data: Vec<PathBuf> = files("scenarios", ".toml");
    let code: Vec<PathBuf> = files("src", ".rs");
    let mut bad = Vec::new();
    for c in suite.checks.values() {
        let in_data = holding(&data, &c.id);
        let in_code = holding(&code, &c.id);
        let defined = in_data
            .iter()
            .filter(|f| f.ends_with("checks.toml") || f.ends_with("cases.toml"))
            .count();
        if defined != 1 {
            bad.push(format!("{}: defined in {in_data:?}", c.id));
        }
        let is_case = suite.cases.find(&c.id).is_some();
        // Builtin checks and battery cases are made by code that names them;
        // the others are made by the expectations of scenario files.
        let made_by = if c.builtin || is_case {
            in_code.clone()
        } else {
            in_data
                .iter()
                .filter(|f| !f.ends_with("checks.toml"))
                .cloned()
                .collect()
        };
        if made_by.is_empty() {
            bad.push(format!(
                "{}: no {} names it",
                c.id,
                if c.builtin || is_case {
                    "source file"
                } else {
                    "scenario"
                }
            ));
        }
    }
    // And every case's code is where its group says.
    for case in &suite.cases.cases {
        let group = idgate::saml::cases::Group::ALL
            .into_iter()
            .find(|g| g.letter() == case.group)
            .expect("a known group");
        let file = format!("src/saml/cases/{}", group.file());
        if !holding(&code, &case.id).contains(&file) {
            bad.push(format!("{}: not built in {file}", case.id));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_docs_cited_by_the_catalogue_exist() {
    assert!(Path::new(&root().join("docs/saml-cases.md")).exists());
}
