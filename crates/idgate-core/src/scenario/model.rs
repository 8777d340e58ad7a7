//! What a suite is once loaded: scenarios, the clients whose requests they
//! replay, and the catalogue of checks. Plain data; every node that can be
//! blamed for a failure keeps where it came from.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::template::Template;
use crate::diagnostic::Source;

/// Everything `idgate run` needs from the files under `scenarios/`.
#[derive(Debug, Clone)]
pub struct Suite {
    pub scenarios: Vec<Scenario>,
    pub clients: BTreeMap<String, Client>,
    pub checks: BTreeMap<String, CheckMeta>,
    /// The SAML battery's catalogue (`saml/cases.toml`); its cases are in `checks` too.
    pub cases: CaseCatalogue,
}

/// A place in a scenario file, for messages: `scenarios/entra/users.toml:12:1`.
#[derive(Debug, Clone)]
pub struct Span {
    pub source: Arc<Source>,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn location(&self) -> String {
        self.source.location(self.start)
    }
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}

/// One scenario file: a story told to the target, step by step.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub file: String,
    /// The clients this scenario is replayed as; each pair is one run.
    pub clients: Vec<String>,
    pub tags: Vec<String>,
    /// Evaluated in order, once per run of the scenario.
    pub vars: Vec<(String, Template)>,
    /// Optional features the target must advertise, or every step is skipped with the reason.
    pub requires: Vec<String>,
    pub steps: Vec<Step>,
}

/// The optional features a SCIM service provider says it has in
/// `/ServiceProviderConfig` (RFC 7643 §5; `cursor`: RFC 9865 §4), and `enterpriseUser`:
/// its User resource type lists the enterprise extension in `/ResourceTypes` (RFC 7643 §6).
pub const FEATURES: &[&str] = &[
    "patch",
    "bulk",
    "filter",
    "changePassword",
    "sort",
    "etag",
    "cursor",
    "enterpriseUser",
];

/// A step's condition on what the target advertises: `sort`, or `!sort`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub feature: String,
    /// The step runs when the feature's advertisement is this.
    pub advertised: bool,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub name: String,
    pub span: Span,
    /// Only for these clients; empty means all.
    pub clients: Vec<String>,
    pub request: StepRequest,
    /// Values bound for this step only (override scenario vars).
    pub with: Vec<(String, Template)>,
    /// Variable name to JSON pointer into the response body (`*` collects).
    pub capture: Vec<(String, String)>,
    pub repeat: u32,
    /// Runs only when every condition on the advertised features holds.
    pub when: Vec<Condition>,
    /// Check ids that must have passed earlier in the scenario, or the step is skipped.
    pub needs: Vec<String>,
    /// An action of the client sent instead when the step's answer is not 2xx,
    /// so the scenario goes on (its captures come from the fallback's answer).
    pub fallback: Option<String>,
    /// Milliseconds to wait before the step's request (a server's timestamps
    /// may have whole seconds: a later write must be able to differ).
    pub pause_ms: u32,
    /// The pause is only needed when this timestamp (as the server wrote it) has whole
    /// seconds; one with a fraction shows the server tells apart writes a moment apart.
    pub pause_if_whole_seconds: Option<Template>,
    pub expects: Vec<Expect>,
}

#[derive(Debug, Clone)]
pub enum StepRequest {
    /// A named action of the client profile, sent exactly as that client sends it.
    Send { action: String },
    /// A request written out in the scenario.
    Raw(RequestTemplate),
    /// A valid SAML Response from idgate's IdP, posted to the SP under test.
    Saml(SamlLogin),
}

/// Who a SAML step logs in, and how its claims are named.
#[derive(Debug, Clone)]
pub struct SamlLogin {
    pub name_id: Template,
    /// The email claim; the NameID when not given.
    pub email: Option<Template>,
    pub first_name: Template,
    pub last_name: Template,
    pub claims: ClaimNames,
}

/// Which attribute names carry the claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimNames {
    /// `email`, `firstName`, `lastName`.
    Short,
    /// The WS-Federation claim URIs.
    Uri,
    /// Both, as many IdPs send.
    Both,
}

/// The name of the built-in client that plays SAML steps.
pub const SAML_CLIENT: &str = "saml-idp";

/// How a request authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Auth {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// No Authorization header at all.
    None,
    /// A bearer token that cannot be the right one.
    WrongToken,
}

/// A request with placeholders, from a client action or a raw step.
#[derive(Debug, Clone)]
pub struct RequestTemplate {
    pub method: String,
    /// Path and query after the base URL, exactly as sent; values substituted into
    /// it are percent-encoded (form-encoded after `?`).
    pub path: Template,
    pub headers: Vec<(String, Template)>,
    pub body: Option<Value>,
    pub auth: Auth,
    /// Schema the success body must follow, e.g. `User` or `ListResponse<User>`.
    pub returns: Option<String>,
    pub span: Span,
}

/// One SCIM client's way of saying things (`entra-legacy`, `entra-2020`).
#[derive(Debug, Clone)]
pub struct Client {
    pub name: String,
    pub description: String,
    /// Headers sent on every request.
    pub headers: Vec<(String, String)>,
    /// Content-Type of request bodies.
    pub content_type: String,
    pub actions: BTreeMap<String, RequestTemplate>,
}

/// One check of a step's response.
#[derive(Debug, Clone)]
pub struct Expect {
    pub check: String,
    pub span: Span,
    pub clients: Vec<String>,
    pub status: Option<Vec<u16>>,
    /// SAML steps: whether the SP must open a session (`accept`) or not (`reject`).
    pub verdict: Option<bool>,
    pub headers: Vec<(String, Predicate)>,
    pub json: Vec<(String, Predicate)>,
    /// Compare the whole response with a committed snapshot.
    pub snapshot: Option<SnapshotSpec>,
    /// Check ids that must have passed (earlier in the scenario or in this
    /// step), or this expectation is skipped with the reason.
    pub needs: Vec<String>,
    /// Only judged when the answer has one of these statuses (where the RFC
    /// allows several answers and the test applies to one of them).
    pub if_status: Option<Vec<u16>>,
}

/// A snapshot expectation: the response's status, chosen headers and body,
/// redacted, must equal `snapshots/<scenario>__<client>__<name>.snap` beside the scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotSpec {
    pub name: String,
    /// Selectors like `/name/givenName` or `/Resources/*/id` (`*`: any key or index)
    /// whose values are replaced, on top of the default redactions.
    pub redact: Vec<String>,
    /// Response headers kept besides content-type, lower case.
    pub headers: Vec<String>,
}

/// A test of one value. Template strings inside are rendered at run time.
#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    Equals(Value),
    /// Present and not null (`true`), or absent or null (`false`).
    Exists(bool),
    /// Absent, null, `[]`, `{}` or `""`.
    Empty(bool),
    /// A string containing the text, or an array with an element matching it.
    Contains(Value),
    StartsWith(Value),
    /// Starts with the text, whatever the case (HTTP schemes and media types are case-insensitive).
    StartsWithIgnoreCase(Value),
    /// Case-insensitive string equality.
    EqualsIgnoreCase(Value),
    Len(usize),
    MaxLen(usize),
    MinLen(usize),
    Min(f64),
    Max(f64),
    OneOf(Vec<Value>),
    /// A JSON type name: string, number, boolean, array, object, null.
    Type(String),
    Not(Box<Predicate>),
    /// At least one of the tests holds.
    AnyOf(Vec<Predicate>),
}

/// The SP policies a case can name in `refused_by_policy`.
pub const SP_POLICIES: &[&str] = &["WantAssertionsSigned"];

/// What a case can `need` of the run before it is played (else it is skipped with the reason):
/// `login`, an SP-initiated login (`--saml-login-url`); `rotation`, an SP that was given idgate's
/// certificate-rotation metadata (`--saml-rotation`).
pub const CASE_NEEDS: &[&str] = &["login", "rotation"];

/// The SP profiles a case can be stricter under (`[case.under.NAME]`), chosen for a run with
/// `--saml-sp-profile`: `entra`, the rules Microsoft's Entra gallery validation holds an SP to.
pub const SP_PROFILES: &[&str] = &["entra"];

/// What a case becomes under an SP profile: a profile only ever makes a case stricter, such as
/// a certificate-validity policy that the profile requires.
#[derive(Debug, Clone)]
pub struct ProfileOverride {
    pub expect: CaseExpect,
    pub severity: Severity,
    /// The profile's own requirement, shown instead of the case's rule.
    pub rule: String,
}

/// How bad a failure is, one scale for SCIM and SAML (docs/saml-cases.md says how SAML cases
/// are placed on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The integration is broken or unsafe at its core: provisioning does not create, disable
    /// or remove users; an SP opens a session for an identity or attributes the IdP did not sign.
    Critical,
    /// Changes are lost or the client quarantines the app; an SP opens a session from a message
    /// the IdP did not sign, or one that is invalid (tampered, expired, wrong audience,
    /// recipient or issuer, replayed).
    High,
    /// Hardening: an XML parser that takes what it should refuse, with no harm seen yet.
    Medium,
    /// Protocol strictness and interoperability: against the letter of the RFC or profile,
    /// works with today's clients.
    Low,
}

impl Severity {
    /// Every severity, worst first.
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];
    /// The names a catalogue may write.
    pub const NAMES: &'static [&'static str] = &["critical", "high", "medium", "low"];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }

    /// A catalogue's word; `major` and `minor`, the names of an earlier three-step scale, are
    /// read as `high` and `low` so that older catalogues still load.
    pub fn parse(word: &str) -> Option<Severity> {
        match word {
            "critical" => Some(Severity::Critical),
            "high" | "major" => Some(Severity::High),
            "medium" => Some(Severity::Medium),
            "low" | "minor" => Some(Severity::Low),
            _ => None,
        }
    }
}

/// The SAML battery as data: its groups and cases, joined by id to the Rust
/// builders of `idgate::saml::cases`.
#[derive(Debug, Clone, Default)]
pub struct CaseCatalogue {
    pub groups: Vec<CaseGroup>,
    pub cases: Vec<SamlCase>,
}

impl CaseCatalogue {
    /// The case with this id.
    pub fn find(&self, id: &str) -> Option<&SamlCase> {
        self.cases.iter().find(|c| c.id == id)
    }

    /// The heading of a group.
    pub fn group_title(&self, id: &str) -> Option<&str> {
        self.groups
            .iter()
            .find(|g| g.id == id)
            .map(|g| g.title.as_str())
    }
}

/// A group of the battery (`A` to `H`).
#[derive(Debug, Clone)]
pub struct CaseGroup {
    pub id: String,
    pub title: String,
}

/// One case of the SAML battery, as its catalogue describes it.
#[derive(Debug, Clone)]
pub struct SamlCase {
    /// Stable id, also the check id (`saml.xsw3`).
    pub id: String,
    /// The id of its [`CaseGroup`].
    pub group: String,
    /// What a correct SP does.
    pub expect: CaseExpect,
    pub severity: Severity,
    /// What the IdP must sign for this case to be possible at all, when it is something a
    /// well-behaved IdP would not: such a case is never critical.
    pub idp_cooperation: Option<String>,
    /// A timing case sits just inside or outside the clock tolerance that this `measure`
    /// case found (unless the tolerance is given with `--saml-skew`).
    pub skew_from: Option<String>,
    /// A declared SP policy under which refusing this case is the SP's choice, not a defect:
    /// `WantAssertionsSigned` (from its metadata, or `--saml-want-assertions-signed`).
    pub refused_by_policy: Option<String>,
    /// What the run must have for this case to be played at all (one of [`CASE_NEEDS`]).
    pub needs: Option<String>,
    /// What the case becomes under each SP profile that is stricter about it.
    pub under: Vec<(String, ProfileOverride)>,
    /// A short name.
    pub title: String,
    /// What differs from the valid Response.
    pub changes: String,
    /// The documents it comes from (spec sections, CVEs, advisories, the shipped catalogue).
    pub rule: String,
    /// Where the case is written.
    pub span: Span,
}

impl SamlCase {
    /// The case as a run under `profile` judges it: the profile's verdict, severity and rule
    /// where it has its own, the case as written otherwise.
    pub fn under_profile(&self, profile: Option<&str>) -> std::borrow::Cow<'_, SamlCase> {
        let found = profile.and_then(|p| self.under.iter().find(|(name, _)| name == p));
        match found {
            None => std::borrow::Cow::Borrowed(self),
            Some((_, o)) => std::borrow::Cow::Owned(SamlCase {
                expect: o.expect,
                severity: o.severity,
                rule: o.rule.clone(),
                ..self.clone()
            }),
        }
    }
}

/// What a correct SP does with a case. With several posts, it is about the
/// last one; the earlier posts are valid and must be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseExpect {
    /// A session for the original user.
    Accept,
    /// An error and no session.
    Reject,
    /// Reject, or a session for the original user only, never for the forged one.
    AcceptOriginalOnly,
    /// Policy, not correctness (weak algorithms, unsolicited responses): what
    /// the SP did is reported, not judged.
    Report,
    /// A figure, measured by bisection over several posts (the SP's clock tolerance): it
    /// fails only beyond the configured maximum (`--saml-max-skew`).
    Measure,
}

impl CaseExpect {
    /// The word the catalogue uses.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseExpect::Accept => "accept",
            CaseExpect::Reject => "reject",
            CaseExpect::AcceptOriginalOnly => "accept-original-only",
            CaseExpect::Report => "report",
            CaseExpect::Measure => "measure",
        }
    }
}

/// What a check id means, from `scenarios/checks.toml`.
#[derive(Debug, Clone, Serialize)]
pub struct CheckMeta {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// The rule it enforces, e.g. `RFC 7644 §3.4.2` or an Entra doc.
    pub rule: String,
    /// True for checks idgate applies to every response by itself.
    pub builtin: bool,
}
