//! The SAML battery's catalogue (`saml/cases.toml`): each case's group,
//! verdict, severity and rule, as data. Joining the cases to their builders
//! is the battery's business; this module checks what the file alone can say.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::super::model::{
    CASE_NEEDS, CaseCatalogue, CaseExpect, CaseGroup, CheckMeta, ProfileOverride, SP_POLICIES,
    SP_PROFILES, SamlCase, Severity,
};
use super::raw;
use super::toml::{span_of, toml_error};
use crate::diagnostic::{Diagnostic, Source, did_you_mean};

const EXPECTS: &[&str] = &[
    "accept",
    "reject",
    "accept-original-only",
    "report",
    "measure",
];

/// Whether `name` is the battery's catalogue file.
pub(super) fn is_case_catalogue(name: &str) -> bool {
    name.ends_with("/cases.toml") || name == "cases.toml"
}

/// Read the catalogue into `out`, and each case into the check catalogue as well.
pub(super) fn load_cases(
    source: &Arc<Source>,
    out: &mut CaseCatalogue,
    checks: &mut BTreeMap<String, CheckMeta>,
    errors: &mut Vec<Diagnostic>,
) {
    let raw: raw::Cases = match toml::from_str(&source.text) {
        Ok(r) => r,
        Err(e) => return errors.push(toml_error(source, e)),
    };
    let mut groups = BTreeSet::new();
    for g in raw.group {
        let g = g.into_inner();
        if !groups.insert(g.id.get_ref().clone()) {
            errors.push(Diagnostic::at(
                source,
                g.id.span(),
                format!("group `{}` is defined twice", g.id.get_ref()),
            ));
        }
        out.groups.push(CaseGroup {
            id: g.id.into_inner(),
            title: g.title,
        });
    }
    let group_names: Vec<&str> = groups.iter().map(String::as_str).collect();
    for spanned in raw.case {
        let span = span_of(source, &spanned);
        let c = spanned.into_inner();
        let id = c.id.get_ref().clone();
        let mut ok = true;
        let well_formed = id.strip_prefix("saml.").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
        });
        if !well_formed {
            ok = false;
            errors.push(
                Diagnostic::at(source, c.id.span(), format!("`{id}` is not a case id"))
                    .with_help("a case id is `saml.` then lowercase letters, digits and `-`"),
            );
        }
        if out.cases.iter().any(|e| e.id == id) {
            ok = false;
            errors.push(Diagnostic::at(
                source,
                c.id.span(),
                format!("case `{id}` is defined twice"),
            ));
        }
        if !groups.contains(c.group.get_ref()) {
            ok = false;
            errors.push(
                Diagnostic::at(
                    source,
                    c.group.span(),
                    format!("unknown group `{}`", c.group.get_ref()),
                )
                .with_help(did_you_mean(c.group.get_ref(), &group_names)),
            );
        }
        let expect = parse_expect(source, &c.expect, errors);
        let severity = parse_severity(source, &c.severity, errors);
        let (Some(expect), Some(severity), true) = (expect, severity, ok) else {
            continue;
        };
        if checks.contains_key(&id) {
            errors.push(Diagnostic::at(
                source,
                c.id.span(),
                format!("`{id}` is already a check of checks.toml"),
            ));
            continue;
        }
        // A timing case places itself by a tolerance measured before it.
        if let Some(from) = &c.skew_from {
            let measured: Vec<&str> = out
                .cases
                .iter()
                .filter(|k| k.expect == CaseExpect::Measure)
                .map(|k| k.id.as_str())
                .collect();
            if !measured.contains(&from.get_ref().as_str()) {
                errors.push(
                    Diagnostic::at(
                        source,
                        from.span(),
                        format!(
                            "skew_from `{}` names no `measure` case written before this one",
                            from.get_ref()
                        ),
                    )
                    .with_help(did_you_mean(from.get_ref(), &measured)),
                );
                continue;
            }
        }
        if let Some(policy) = &c.refused_by_policy
            && !SP_POLICIES.contains(&policy.get_ref().as_str())
        {
            errors.push(
                Diagnostic::at(
                    source,
                    policy.span(),
                    format!("unknown SP policy `{}`", policy.get_ref()),
                )
                .with_help(did_you_mean(policy.get_ref(), SP_POLICIES)),
            );
            continue;
        }
        if let Some(need) = &c.needs
            && !CASE_NEEDS.contains(&need.get_ref().as_str())
        {
            errors.push(
                Diagnostic::at(
                    source,
                    need.span(),
                    format!("unknown need `{}`", need.get_ref()),
                )
                .with_help(did_you_mean(need.get_ref(), CASE_NEEDS)),
            );
            continue;
        }
        // Only what an attacker can do alone is critical.
        if c.idp_cooperation.is_some() && severity == Severity::Critical {
            errors.push(
                Diagnostic::at(
                    source,
                    c.severity.span(),
                    format!("case `{id}` needs the IdP's cooperation, so it cannot be critical"),
                )
                .with_help("write severity = \"high\" (or lower), or drop idp_cooperation"),
            );
            continue;
        }
        let mut under = Vec::new();
        for (profile, o) in c.under {
            if !SP_PROFILES.contains(&profile.as_str()) {
                errors.push(
                    Diagnostic::at(source, o.span(), format!("unknown SP profile `{profile}`"))
                        .with_help(did_you_mean(&profile, SP_PROFILES)),
                );
                continue;
            }
            let o = o.into_inner();
            let (Some(expect), Some(severity)) = (
                parse_expect(source, &o.expect, errors),
                parse_severity(source, &o.severity, errors),
            ) else {
                continue;
            };
            // A profile adds a requirement; turning a judged case into policy would take one away.
            if matches!(expect, CaseExpect::Report | CaseExpect::Measure) {
                errors.push(
                    Diagnostic::at(
                        source,
                        o.expect.span(),
                        format!(
                            "under a profile a case is judged: `{}` would loosen it",
                            expect.as_str()
                        ),
                    )
                    .with_help("write expect = \"reject\", \"accept\" or \"accept-original-only\""),
                );
                continue;
            }
            under.push((
                profile,
                ProfileOverride {
                    expect,
                    severity,
                    rule: o.rule,
                },
            ));
        }
        checks.insert(
            id.clone(),
            CheckMeta {
                id: id.clone(),
                title: c.title.clone(),
                severity,
                rule: c.rule.clone(),
                builtin: false,
            },
        );
        out.cases.push(SamlCase {
            id,
            group: c.group.into_inner(),
            expect,
            severity,
            idp_cooperation: c.idp_cooperation,
            skew_from: c.skew_from.map(|s| s.into_inner()),
            refused_by_policy: c.refused_by_policy.map(|s| s.into_inner()),
            needs: c.needs.map(|s| s.into_inner()),
            under,
            title: c.title,
            changes: c.changes,
            rule: c.rule,
            span,
        });
    }
}

fn parse_expect(
    source: &Arc<Source>,
    word: &toml::Spanned<String>,
    errors: &mut Vec<Diagnostic>,
) -> Option<CaseExpect> {
    let expect = match word.get_ref().as_str() {
        "accept" => CaseExpect::Accept,
        "reject" => CaseExpect::Reject,
        "accept-original-only" => CaseExpect::AcceptOriginalOnly,
        "report" => CaseExpect::Report,
        "measure" => CaseExpect::Measure,
        other => {
            errors.push(
                Diagnostic::at(source, word.span(), format!("unknown verdict `{other}`"))
                    .with_help(did_you_mean(other, EXPECTS)),
            );
            return None;
        }
    };
    Some(expect)
}

fn parse_severity(
    source: &Arc<Source>,
    word: &toml::Spanned<String>,
    errors: &mut Vec<Diagnostic>,
) -> Option<Severity> {
    let severity = Severity::parse(word.get_ref());
    if severity.is_none() {
        let other = word.get_ref();
        errors.push(
            Diagnostic::at(source, word.span(), format!("unknown severity `{other}`"))
                .with_help(did_you_mean(other, Severity::NAMES)),
        );
    }
    severity
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> (CaseCatalogue, Vec<String>) {
        let source = Source::new("scenarios/saml/cases.toml", text);
        let mut out = CaseCatalogue::default();
        let mut checks = BTreeMap::new();
        let mut errors = Vec::new();
        load_cases(&source, &mut out, &mut checks, &mut errors);
        (out, errors.iter().map(ToString::to_string).collect())
    }

    const GROUP: &str = "[[group]]\nid = \"A\"\ntitle = \"Signatures\"\n";

    #[test]
    fn a_case_is_read_with_its_place() {
        let (c, errors) = load(&format!(
            "{GROUP}\n[[case]]\nid = \"saml.valid\"\ngroup = \"A\"\nexpect = \"accept\"\nseverity = \"major\"\ntitle = \"t\"\nchanges = \"c\"\nrule = \"r\"\n"
        ));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(c.cases[0].expect, CaseExpect::Accept);
        assert_eq!(c.cases[0].span.location(), "scenarios/saml/cases.toml:5:1");
        assert_eq!(c.group_title("A"), Some("Signatures"));
    }

    #[test]
    fn typos_point_at_the_field_and_suggest() {
        let (_, errors) = load(&format!(
            "{GROUP}\n[[case]]\nid = \"saml.Valid\"\ngroup = \"B\"\nexpect = \"rejct\"\nseverity = \"hgh\"\ntitle = \"t\"\nchanges = \"c\"\nrule = \"r\"\n"
        ));
        let all = errors.join("\n");
        assert!(all.contains("`saml.Valid` is not a case id"), "{all}");
        assert!(all.contains("unknown group `B`"), "{all}");
        assert!(all.contains("did you mean `reject`?"), "{all}");
        assert!(all.contains("unknown severity `hgh`"), "{all}");
        assert!(all.contains("cases.toml:7:"), "{all}");
    }

    #[test]
    fn a_profile_makes_a_case_stricter_and_a_wrong_one_is_pointed_at() {
        let case = |under: &str| {
            format!(
                "{GROUP}\n[[case]]\nid = \"saml.idp-cert-expired\"\ngroup = \"A\"\nexpect = \"report\"\nseverity = \"low\"\ntitle = \"t\"\nchanges = \"c\"\nrule = \"r\"\n{under}"
            )
        };
        let (c, errors) = load(&case(
            "[case.under.entra]\nexpect = \"reject\"\nseverity = \"high\"\nrule = \"ms\"\n",
        ));
        assert!(errors.is_empty(), "{errors:?}");
        let written = &c.cases[0];
        assert_eq!(written.under_profile(None).expect, CaseExpect::Report);
        let entra = written.under_profile(Some("entra"));
        assert_eq!(
            (entra.expect, entra.severity, entra.rule.as_str()),
            (CaseExpect::Reject, Severity::High, "ms")
        );
        let (_, errors) = load(&case(
            "[case.under.entr]\nexpect = \"rejct\"\nseverity = \"high\"\nrule = \"ms\"\n",
        ));
        let all = errors.join("\n");
        assert!(all.contains("unknown SP profile `entr`"), "{all}");
        assert!(all.contains("did you mean `entra`?"), "{all}");
        assert!(all.contains("cases.toml:"), "{all}");
        let (_, errors) = load(&case(
            "[case.under.entra]\nexpect = \"rejct\"\nseverity = \"high\"\nrule = \"ms\"\n",
        ));
        assert!(
            errors.join("\n").contains("did you mean `reject`?"),
            "{errors:?}"
        );
        let (_, errors) = load(&case(
            "[case.under.entra]\nexpect = \"report\"\nseverity = \"high\"\nrule = \"ms\"\n",
        ));
        assert!(
            errors.join("\n").contains("`report` would loosen it"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_need_is_read_and_an_unknown_one_is_pointed_at() {
        let case = |needs: &str| {
            format!(
                "{GROUP}\n[[case]]\nid = \"saml.rotation-next-key\"\ngroup = \"A\"\nexpect = \"accept\"\nseverity = \"low\"\nneeds = \"{needs}\"\ntitle = \"t\"\nchanges = \"c\"\nrule = \"r\"\n"
            )
        };
        let (c, errors) = load(&case("rotation"));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(c.cases[0].needs.as_deref(), Some("rotation"));
        let (_, errors) = load(&case("rotaton"));
        let all = errors.join("\n");
        assert!(all.contains("unknown need `rotaton`"), "{all}");
        assert!(all.contains("did you mean `rotation`?"), "{all}");
        assert!(all.contains("cases.toml:10:"), "{all}");
    }
}
