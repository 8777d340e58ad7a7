//! What a run plays, chosen before anything starts: the (scenario, client)
//! pairs and the SAML cases that the clients, tags and skips select. Knowing
//! this first lets the session start only what the plan needs (no SAML case,
//! no IdP key).

use super::SetupError;
use crate::diagnostic::did_you_mean;
use crate::saml::cases::Case;
use crate::scenario::{SAML_CLIENT, Scenario, Suite};

/// The name and tag of the SAML battery, for `--tag` and `--skip`.
pub use crate::scenario::BATTERY;
/// The tag every SAML scenario and the battery carry.
pub const SAML_TAG: &str = "saml";
/// The tag of scenarios written for idgate's reference SP: its claimed domains, its whoami
/// shape. Against another SP they play only when asked for by tag or name, or from the
/// user's own copy (`--scenarios`), since that SP's rules are its own.
pub const SEED_TAG: &str = "seed";

/// Which part of the suite to play.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Client names, or a family (`entra` for every `entra-*` client).
    pub clients: Vec<String>,
    /// Only scenarios with one of these tags (all when empty).
    pub tags: Vec<String>,
    /// Scenarios with this name or tag are left out.
    pub skip: Vec<String>,
    /// Only SAML cases whose id contains this text.
    pub saml_case: Option<String>,
    /// The SP is the user's, not idgate's reference SP.
    pub external_sp: bool,
    /// The scenarios are the user's own (`--scenarios DIR`), written for their target.
    pub own_scenarios: bool,
    /// Only this share of what is selected (`--partition k/n`).
    pub partition: crate::partition::Partition,
}

/// The pairs and cases of one run, in the order they are played.
#[derive(Debug, Clone)]
pub struct Plan<'s> {
    pub pairs: Vec<(&'s Scenario, String)>,
    /// SAML battery cases; empty when no SP is tested or the battery is not selected.
    pub cases: Vec<&'s Case>,
    /// What the selection left out that a user may not expect, and how to get it back.
    pub notes: Vec<String>,
    /// The `client/scenario` runs that write to the SCIM target.
    pub writing: Vec<String>,
    /// The share of the selection this plan is (`--partition k/n`).
    pub partition: crate::partition::Partition,
}

impl<'s> Plan<'s> {
    /// Choose from `suite`: SCIM clients play only when a SCIM target is
    /// tested (`scim`), the IdP's scenarios and the battery only when an SP is (`saml`).
    pub fn new(
        suite: &'s Suite,
        selection: &Selection,
        scim: bool,
        saml: bool,
    ) -> Result<Plan<'s>, SetupError> {
        check_names(suite, selection)?;
        let mut clients = if scim {
            expand_clients(suite, &selection.clients)?
        } else {
            Vec::new()
        };
        if saml && !clients.iter().any(|c| c == SAML_CLIENT) {
            clients.push(SAML_CLIENT.to_string());
        }
        let mut pairs = pairs(suite, &clients, &selection.tags, &selection.skip);
        let mut notes = Vec::new();
        if selection.external_sp && !selection.own_scenarios {
            let asked = |s: &Scenario| {
                selection
                    .tags
                    .iter()
                    .any(|t| *t == s.name || (t == SEED_TAG && s.tags.iter().any(|x| x == t)))
            };
            let mut left: Vec<&str> = Vec::new();
            pairs.retain(|(s, _)| {
                let seed = s.tags.iter().any(|t| t == SEED_TAG);
                if seed && !asked(s) && !left.contains(&s.name.as_str()) {
                    left.push(&s.name);
                }
                !seed || asked(s)
            });
            if !left.is_empty() {
                notes.push(format!(
                    "note: {} written for idgate's reference SP (its claimed domains and whoami shape), so not played against yours; `--tag {SEED_TAG}` plays it, or copy scenarios/ with --scenarios DIR and write your SP's expectations",
                    left.join(", ")
                ));
            }
        }
        let battery = saml
            && (selection.tags.is_empty() || selection.tags.iter().any(|t| t == SAML_TAG))
            && !selection.skip.iter().any(|s| s == SAML_TAG || s == BATTERY);
        let cases = if battery {
            suite
                .cases
                .cases
                .iter()
                .filter(|c| {
                    selection
                        .saml_case
                        .as_deref()
                        .is_none_or(|f| c.id.contains(f))
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut cases: Vec<&'s Case> = cases;
        if !selection.partition.is_whole() {
            if pairs.is_empty() && cases.is_empty() {
                return Err(SetupError::usage(
                    "error: no scenario matches the chosen clients and tags",
                ));
            }
            share(&mut pairs, &mut cases, selection.partition);
            notes.push(format!(
                "note: share {} plays {} scenario run(s) and {} SAML case(s); `idgate report merge` joins the shares' report.json files",
                selection.partition,
                pairs.len(),
                cases.len()
            ));
        }
        let mut plan = Plan {
            pairs,
            cases,
            notes,
            writing: Vec::new(),
            partition: selection.partition,
        };
        plan.writing = super::consent::writing(suite, &plan);
        if plan.pairs.is_empty() && plan.cases.is_empty() && selection.partition.is_whole() {
            return Err(SetupError::usage(
                "error: no scenario matches the chosen clients and tags",
            ));
        }
        Ok(plan)
    }

    /// Whether anything of the plan talks to a SAML SP (and so needs the IdP key).
    pub fn plays_saml(&self) -> bool {
        !self.cases.is_empty() || self.pairs.iter().any(|(_, c)| c == SAML_CLIENT)
    }

    /// What the session must start for this plan.
    pub fn needs(&self) -> super::Needs {
        super::Needs {
            saml: self.plays_saml(),
            scim: self.plays_scim(),
            writing: self.writing.clone(),
            snapshots: self.pairs.iter().any(|(s, _)| {
                s.steps
                    .iter()
                    .any(|st| st.expects.iter().any(|x| x.snapshot.is_some()))
            }),
        }
    }

    /// Whether anything of the plan talks to a SCIM target.
    pub fn plays_scim(&self) -> bool {
        self.pairs.iter().any(|(_, c)| c != SAML_CLIENT)
    }
}

/// Keeps one share of the scenario runs, then of the SAML cases, by position, so that every
/// CI runner computes the same split. A timing case stays with the `measure` case whose
/// figure it sits around, so a share judges it as the whole run would.
fn share<'s>(
    pairs: &mut Vec<(&'s Scenario, String)>,
    cases: &mut Vec<&'s Case>,
    partition: crate::partition::Partition,
) {
    let mut position = 0;
    pairs.retain(|_| {
        position += 1;
        partition.takes(position - 1)
    });
    let mut units: Vec<&str> = Vec::new();
    cases.retain(|c| {
        let key = c.skew_from.as_deref().unwrap_or(&c.id);
        let unit = units.iter().position(|k| *k == key).unwrap_or_else(|| {
            units.push(key);
            units.len() - 1
        });
        partition.takes(position + unit)
    });
}

/// Every `--tag` and `--skip` names a tag or scenario of the suite, and `--saml-case` matches
/// a case: a typo would otherwise run everything, or nothing, silently.
fn check_names(suite: &Suite, selection: &Selection) -> Result<(), SetupError> {
    let mut known: Vec<&str> = vec![SAML_TAG, BATTERY];
    for s in &suite.scenarios {
        known.push(&s.name);
        known.extend(s.tags.iter().map(String::as_str));
    }
    known.sort_unstable();
    known.dedup();
    for (flag, names) in [("--tag", &selection.tags), ("--skip", &selection.skip)] {
        if let Some(unknown) = names.iter().find(|n| !known.contains(&n.as_str())) {
            return Err(SetupError::usage(format!(
                "error: {flag} `{unknown}` names no tag or scenario of the suite\n  = help: {} (`idgate list` shows them)",
                did_you_mean(unknown, &known)
            )));
        }
    }
    if let Some(part) = &selection.saml_case
        && !suite
            .cases
            .cases
            .iter()
            .any(|c| c.id.contains(part.as_str()))
    {
        let ids: Vec<&str> = suite.cases.cases.iter().map(|c| c.id.as_str()).collect();
        return Err(SetupError::usage(format!(
            "error: --saml-case `{part}` is in no case id\n  = help: {} (`idgate saml cases` lists them)",
            did_you_mean(part, &ids)
        )));
    }
    Ok(())
}

/// `entra` → both Entra dialects; every name must be a client of the suite.
pub fn expand_clients(suite: &Suite, names: &[String]) -> Result<Vec<String>, SetupError> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        let family: Vec<&String> = suite
            .clients
            .keys()
            .filter(|c| *c == name || c.starts_with(&format!("{name}-")))
            .collect();
        if family.is_empty() {
            let mut known: Vec<&str> = suite.clients.keys().map(String::as_str).collect();
            known.push("entra");
            return Err(SetupError::usage(format!(
                "error: unknown client `{name}`\n  = help: {}",
                did_you_mean(name, &known)
            )));
        }
        for c in family {
            if !out.contains(c) {
                out.push(c.clone());
            }
        }
    }
    Ok(out)
}

/// Which (scenario, client) pairs a run plays, in file order: with one of
/// `tags` (when any are given), and neither named nor tagged in `skip`.
pub fn pairs<'a>(
    suite: &'a Suite,
    clients: &[String],
    tags: &[String],
    skip: &[String],
) -> Vec<(&'a Scenario, String)> {
    let mut out = Vec::new();
    for s in &suite.scenarios {
        if !tags.is_empty() && !s.tags.iter().any(|t| tags.contains(t)) {
            continue;
        }
        if skip.contains(&s.name) || s.tags.iter().any(|t| skip.contains(t)) {
            continue;
        }
        for c in &s.clients {
            if clients.contains(c) {
                out.push((s, c.clone()));
            }
        }
    }
    out
}
