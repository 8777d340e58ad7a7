//! The battery: every response the test IdP posts to an SP, built from the valid response by a
//! small change. Wrapping and duplication variants move or copy signed bytes unchanged (never a
//! re-serialized copy), so the signatures in them still verify and only the SP's choice of
//! element decides the outcome.
//!
//! What each case is — its group, verdict, severity, title and rule — is data, in
//! `scenarios/saml/cases.toml` (explained in `docs/saml-cases.md`). The code here is only how
//! each case is built: one file per group (`a_signature` to `h_accept`), each registering its
//! builders by case id in `BUILDERS`; `build` holds what several groups share. [`check`] joins
//! the two at load, in both directions.

use std::sync::OnceLock;

use time::{Duration, OffsetDateTime};

use super::error::{Result, SamlError};
use super::idp::RotationKeys;
use super::keys::IdpKey;
use super::response::ResponseSpec;
use super::whoami::Attributes;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::scenario::CaseCatalogue;
pub use crate::scenario::{CaseExpect as Expect, SamlCase as Case};

mod a_signature;
mod b_wrapping;
mod build;
mod c_keys;
mod d_parser;
mod e_xml;
mod f_protocol;
mod g_replay;
mod h_accept;

/// The host of the RelayState cases' foreign URLs: an SP must never send a browser there.
pub const FOREIGN_HOST: &str = "evil.idgate.invalid";

/// Where external-entity, XInclude and similar cases point when no canary URL is given: the
/// discard port on loopback, so nothing leaves the machine even if the SP fetches.
pub const DEFAULT_CANARY: &str = "http://127.0.0.1:9/idgate-canary";

/// The groups of the battery, one file of builders each (their titles are data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// Signature presence and coverage.
    A,
    /// Wrapping (XSW) and selection.
    B,
    /// Keys and algorithms.
    C,
    /// Parser differentials.
    D,
    /// XML parser attacks.
    E,
    /// Protocol checks.
    F,
    /// Replay and binding.
    G,
    /// Must accept.
    H,
}

impl Group {
    /// Every group, in order.
    pub const ALL: [Group; 8] = [
        Group::A,
        Group::B,
        Group::C,
        Group::D,
        Group::E,
        Group::F,
        Group::G,
        Group::H,
    ];

    /// The group's letter, its id in the catalogue.
    pub fn letter(self) -> &'static str {
        match self {
            Group::A => "A",
            Group::B => "B",
            Group::C => "C",
            Group::D => "D",
            Group::E => "E",
            Group::F => "F",
            Group::G => "G",
            Group::H => "H",
        }
    }

    /// The file of `src/saml/cases/` that registers the group's builders.
    pub fn file(self) -> &'static str {
        match self {
            Group::A => "a_signature.rs",
            Group::B => "b_wrapping.rs",
            Group::C => "c_keys.rs",
            Group::D => "d_parser.rs",
            Group::E => "e_xml.rs",
            Group::F => "f_protocol.rs",
            Group::G => "g_replay.rs",
            Group::H => "h_accept.rs",
        }
    }
}

/// What the cases are built from.
#[derive(Debug, Clone)]
pub struct CaseContext<'a> {
    /// The valid response; every case starts from it.
    pub spec: ResponseSpec,
    /// The IdP key the SP trusts.
    pub idp: &'a IdpKey,
    /// An unrelated key.
    pub attacker: &'a IdpKey,
    /// A key whose certificate copies the IdP certificate's identity (`IdpKey::clone_of`).
    pub cloned: &'a IdpKey,
    /// The clock skew the SP allows; timing cases sit just inside and just outside it.
    pub skew: Duration,
    /// The time the timing cases are measured from.
    pub now: OffsetDateTime,
    /// Loopback URL for cases that invite a fetch; `None` means [`DEFAULT_CANARY`].
    pub canary_url: Option<String>,
    /// The identity forged payloads claim (the victim an attacker wants to be).
    pub forged_name_id: String,
    /// For the `measure` cases: how far past its limit the probe's time sits.
    pub probe: Duration,
    /// The keys of a certificate rotation, for the cases that sign with them (`needs =
    /// "rotation"`); building one of those without them is an error.
    pub rotation: Option<&'a RotationKeys>,
}

impl<'a> CaseContext<'a> {
    /// A context with a three-minute skew, the default canary, `now` taken from the spec's
    /// IssueInstant and `admin@<domain of the NameID>` as the forged identity (or
    /// `administrator@...` when the NameID already is `admin@...`).
    pub fn new(
        spec: ResponseSpec,
        idp: &'a IdpKey,
        attacker: &'a IdpKey,
        cloned: &'a IdpKey,
    ) -> CaseContext<'a> {
        let domain = spec
            .name_id
            .rsplit_once('@')
            .map(|(_, d)| d)
            .unwrap_or("example.com");
        let mut forged_name_id = format!("admin@{domain}");
        if forged_name_id == spec.name_id {
            forged_name_id = format!("administrator@{domain}");
        }
        CaseContext {
            now: spec.issue_instant,
            forged_name_id,
            spec,
            idp,
            attacker,
            cloned,
            skew: Duration::minutes(3),
            canary_url: None,
            probe: Duration::ZERO,
            rotation: None,
        }
    }

    /// The rotation keys, or the error of a case that needs them without them.
    fn rotation(&self) -> Result<&'a RotationKeys> {
        self.rotation.ok_or_else(|| {
            SamlError::Key("this case signs with the rotation keys, and none were given".into())
        })
    }

    fn canary(&self, case: &str) -> String {
        let base = self.canary_url.as_deref().unwrap_or(DEFAULT_CANARY);
        format!("{}/{case}", base.trim_end_matches('/'))
    }

    /// How far inside or outside the skew the timing cases sit: a quarter of it, kept between
    /// 5 and 30 seconds so that the time a post takes does not move a case across the line.
    fn margin(&self) -> Duration {
        (self.skew / 4_i32).clamp(Duration::seconds(5), Duration::seconds(30))
    }

    fn forged(&self) -> ResponseSpec {
        self.spec.for_subject(&self.forged_name_id)
    }
}

/// A built case, ready to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltCase {
    /// The document of the last post (the one the expectation is about).
    pub xml: String,
    /// `SAMLResponse` values to post, in order (replay cases post twice; binding cases vary the
    /// base64).
    pub posts: Vec<String>,
    /// A second `SAMLResponse` value sent in the same form as the first post, for the
    /// duplicate-parameter case.
    pub second_value: Option<String>,
    /// The identity the IdP vouched for; the only acceptable session user.
    pub original_user: String,
    /// The attributes the IdP signed for that identity: a session may carry no other values
    /// under these names.
    pub signed_attributes: Attributes,
    /// The identity a forged part claims, when there is one.
    pub attacker_user: Option<String>,
    /// A RelayState posted beside the last SAMLResponse; a case that sets one also fails when
    /// the SP redirects to [`FOREIGN_HOST`] (an open redirect).
    pub relay_state: Option<String>,
}

/// What `spec` signs as attributes: each attribute's values by name.
pub fn signed_attributes(spec: &ResponseSpec) -> Attributes {
    let mut out = Attributes::new();
    for a in &spec.attributes {
        out.entry(a.name.clone())
            .or_default()
            .extend(a.values.iter().cloned());
    }
    out
}

/// The shipped catalogue (`scenarios/saml/cases.toml`), read once; a run
/// plays the catalogue of the suite it loaded, which may be the user's copy.
pub fn shipped() -> &'static CaseCatalogue {
    static SHIPPED: OnceLock<CaseCatalogue> = OnceLock::new();
    SHIPPED.get_or_init(|| {
        crate::scenario::load::load_case_catalogue(
            "scenarios/saml/cases.toml",
            include_str!("../../../scenarios/saml/cases.toml"),
        )
        .unwrap_or_else(|e| panic!("the shipped case catalogue loads: {e:?}"))
    })
}

/// Every case of the shipped catalogue, grouped A to H.
pub fn all() -> &'static [Case] {
    &shipped().cases
}

/// The case of the shipped catalogue with `id`.
pub fn find(id: &str) -> Option<&'static Case> {
    shipped().find(id)
}

/// Join `catalogue` to the builders, both ways: every case needs a builder,
/// registered in its group's file, and every builder needs a case.
pub fn check(catalogue: &CaseCatalogue) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    let builder_ids: Vec<&str> = builders().map(|(_, id, _)| id).collect();
    for case in &catalogue.cases {
        match builders().find(|&(_, id, _)| id == case.id) {
            None => errors.push(
                Diagnostic::at(
                    &case.span.source,
                    case.span.range(),
                    format!("case `{}` has no builder", case.id),
                )
                .with_help(format!(
                    "{}; each case is built by a function registered under its id in src/saml/cases/",
                    did_you_mean(&case.id, &builder_ids)
                )),
            ),
            Some((group, ..)) if group.letter() != case.group => errors.push(
                Diagnostic::at(
                    &case.span.source,
                    case.span.range(),
                    format!(
                        "case `{}` is in group {} here, but its builder is in group {}'s file",
                        case.id,
                        case.group,
                        group.letter()
                    ),
                )
                .with_help(format!(
                    "write group = \"{}\", or move the builder to src/saml/cases/ of group {}",
                    group.letter(),
                    case.group
                )),
            ),
            Some(_) => {}
        }
    }
    let file = catalogue
        .cases
        .first()
        .map_or("cases.toml", |c| c.span.source.name.as_str());
    for (group, id, _) in builders() {
        if catalogue.find(id).is_none() {
            errors.push(
                Diagnostic::new(format!(
                    "the builder of `{id}` (src/saml/cases/{}) has no case in {file}",
                    group.file()
                ))
                .with_help(format!(
                    "add a [[case]] with id = \"{id}\" and group = \"{}\", or remove the builder",
                    group.letter()
                )),
            );
        }
    }
    errors
}

/// Builds one case from the context.
pub type Builder = fn(&CaseContext<'_>) -> Result<BuiltCase>;

/// Every builder with its id and the group whose file registers it, A to H, in table order.
pub fn builders() -> impl Iterator<Item = (Group, &'static str, Builder)> {
    [
        (Group::A, a_signature::BUILDERS),
        (Group::B, b_wrapping::BUILDERS),
        (Group::C, c_keys::BUILDERS),
        (Group::D, d_parser::BUILDERS),
        (Group::E, e_xml::BUILDERS),
        (Group::F, f_protocol::BUILDERS),
        (Group::G, g_replay::BUILDERS),
        (Group::H, h_accept::BUILDERS),
    ]
    .into_iter()
    .flat_map(|(group, list)| list.iter().map(move |&(id, make)| (group, id, make)))
}

/// Builds case `case_id` from `ctx`.
pub fn build(case_id: &str, ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let (_, _, make) = builders()
        .find(|&(_, id, _)| id == case_id)
        .ok_or_else(|| SamlError::UnknownCase(case_id.into()))?;
    make(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::splice;
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
    use std::collections::HashSet;

    /// The committed test keys; `ctx()` borrows them. The group files' tests use them too.
    pub(super) struct Keys(IdpKey, IdpKey, IdpKey, RotationKeys);

    impl Keys {
        pub(super) fn new() -> Keys {
            use crate::saml::keys::test_key;
            Keys(
                test_key("idp"),
                test_key("attacker"),
                test_key("cloned"),
                RotationKeys::fixtures().unwrap(),
            )
        }

        pub(super) fn ctx(&self) -> CaseContext<'_> {
            let mut ctx = CaseContext::new(spec(), &self.0, &self.1, &self.2);
            ctx.rotation = Some(&self.3);
            ctx
        }
    }

    #[test]
    fn a_rotation_case_without_the_rotation_keys_says_so() {
        let keys = Keys::new();
        let mut ctx = keys.ctx();
        ctx.rotation = None;
        let err = build("saml.rotation-next-key", &ctx)
            .unwrap_err()
            .to_string();
        assert!(err.contains("rotation keys"), "{err}");
        ctx.rotation = Some(&keys.3);
        let built = build("saml.rotation-retired-key", &ctx).unwrap();
        assert!(built.xml.contains(&keys.3.retired.cert_base64()));
        assert!(!built.xml.contains(&keys.0.cert_base64()));
    }

    fn spec() -> ResponseSpec {
        let mut s = ResponseSpec::new(
            "https://idp.example/",
            "https://sp.example/acs",
            "https://sp.example/",
            "alice@example.com",
            OffsetDateTime::now_utc(),
        );
        s.in_response_to = Some("_req1".into());
        s
    }

    #[test]
    fn ids_are_unique_and_every_case_says_what_it_is() {
        let mut seen = HashSet::new();
        for c in all() {
            assert!(seen.insert(&c.id), "duplicate id {}", c.id);
            assert!(!c.title.is_empty() && !c.changes.is_empty() && !c.rule.is_empty());
        }
        assert!(all().len() >= 60, "only {} cases", all().len());
    }

    #[test]
    fn every_group_is_present_in_order_with_a_title() {
        for g in Group::ALL {
            assert!(
                all().iter().any(|c| c.group == g.letter()),
                "no case in group {g:?}"
            );
            assert!(shipped().group_title(g.letter()).is_some(), "{g:?}");
        }
        assert!(all().windows(2).all(|w| w[0].group <= w[1].group));
    }

    #[test]
    fn the_shipped_catalogue_and_the_builders_join_both_ways() {
        let errors = check(shipped());
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn a_case_without_a_builder_or_a_builder_without_a_case_is_a_load_error() {
        let mut catalogue = shipped().clone();
        let mut extra = catalogue.cases[0].clone();
        extra.id = "saml.valdi".into();
        catalogue.cases.push(extra);
        catalogue.cases.retain(|c| c.id != "saml.xsw3");
        catalogue
            .cases
            .iter_mut()
            .find(|c| c.id == "saml.xsw4")
            .unwrap()
            .group = "C".into();
        let text: Vec<String> = check(&catalogue).iter().map(ToString::to_string).collect();
        let all = text.join("\n");
        assert_eq!(text.len(), 3, "{all}");
        assert!(all.contains("case `saml.valdi` has no builder"), "{all}");
        assert!(all.contains("did you mean `saml.valid`?"), "{all}");
        assert!(all.contains("scenarios/saml/cases.toml:"), "{all}");
        assert!(
            all.contains("the builder of `saml.xsw3` (src/saml/cases/b_wrapping.rs) has no case"),
            "{all}"
        );
        assert!(
            all.contains(
                "case `saml.xsw4` is in group C here, but its builder is in group B's file"
            ),
            "{all}"
        );
    }

    #[test]
    fn catalogue_rows_are_covered() {
        for id in [
            "saml.valid",
            "saml.unsigned",
            "saml.tampered",
            "saml.xsw1",
            "saml.xsw8-ns",
            "saml.expired-outside-skew",
            "saml.replay-same-response",
            "saml.pretty-printed",
            "saml.billion-laughs",
            "saml.cloned-cert",
            "saml.comment-in-nameid",
        ] {
            assert!(find(id).is_some(), "{id}");
        }
    }

    #[test]
    fn forged_identity_differs_from_the_original() {
        let keys = Keys::new();
        let ctx = keys.ctx();
        assert_eq!(ctx.forged_name_id, "admin@example.com");
        let admin = spec().for_subject("admin@example.com");
        let ctx = CaseContext::new(admin, &keys.0, &keys.1, &keys.2);
        assert_eq!(ctx.forged_name_id, "administrator@example.com");
    }

    #[test]
    fn unknown_case_is_an_error() {
        let keys = Keys::new();
        let ctx = keys.ctx();
        assert!(matches!(
            build("saml.nope", &ctx),
            Err(SamlError::UnknownCase(_))
        ));
    }

    #[test]
    fn every_case_builds_and_posts_its_document() {
        let keys = Keys::new();
        let ctx = keys.ctx();
        for c in all() {
            let built = build(&c.id, &ctx).unwrap_or_else(|e| panic!("{}: {e}", c.id));
            assert!(!built.posts.is_empty(), "{}", c.id);
            assert!(built.xml.starts_with("<?xml version=\"1.0\""), "{}", c.id);
            let last = built.posts.last().unwrap();
            let decoded = STANDARD
                .decode(last.replace("\r\n", ""))
                .or_else(|_| URL_SAFE.decode(last))
                .or_else(|_| STANDARD_NO_PAD.decode(last))
                .unwrap_or_else(|e| panic!("{}: {e}", c.id));
            assert_eq!(decoded, built.xml.as_bytes(), "{}", c.id);
            if c.expect == Expect::AcceptOriginalOnly {
                // Only parser attacks (a fetch) and the RelayState cases (a redirect) fail
                // on something other than a forged identity.
                assert!(
                    built.attacker_user.is_some() || c.group == "E" || built.relay_state.is_some(),
                    "{} has no attacker user",
                    c.id
                );
            }
            if let Some(a) = &built.attacker_user {
                assert_ne!(a, &built.original_user, "{}", c.id);
            }
        }
    }

    #[test]
    fn documents_are_well_formed_except_where_that_is_the_point() {
        let keys = Keys::new();
        let ctx = keys.ctx();
        for c in all() {
            let built = build(&c.id, &ctx).unwrap();
            let roots =
                splice::elements(&built.xml).map(|els| els.iter().filter(|e| e.depth == 0).count());
            match c.id.as_str() {
                "saml.two-root-elements" => assert_eq!(roots.unwrap(), 2),
                // quick-xml does not expand entities; the DOCTYPE cases are checked by xmlsec1.
                _ if built.xml.contains("<!DOCTYPE") => {}
                _ => assert_eq!(
                    roots.unwrap_or_else(|e| panic!("{}: {e}", c.id)),
                    1,
                    "{}",
                    c.id
                ),
            }
        }
    }

    #[test]
    fn every_case_has_exactly_one_builder() {
        for c in all() {
            let n = builders().filter(|&(_, id, _)| id == c.id).count();
            assert_eq!(n, 1, "{} has {n} builders", c.id);
        }
    }

    #[test]
    fn builders_follow_the_catalogue_order() {
        let table: Vec<&str> = all().iter().map(|c| c.id.as_str()).collect();
        let registered: Vec<&str> = builders().map(|(_, id, _)| id).collect();
        assert_eq!(registered, table);
    }
}
