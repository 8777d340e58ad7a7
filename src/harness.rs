//! idgate as a `cargo test` harness: every (client, scenario) pair, and every
//! SAML case when an SP is tested, becomes one libtest-mimic trial, so
//! `cargo test` and `cargo nextest` run the suite with their own `--list`,
//! name filters, `--exact`, `--ignored` and `--test-threads`.
//!
//! A SCIM implementer adds idgate as a dev-dependency and one test target
//! with `harness = false` whose `main` is:
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     idgate::harness::Harness::scim("http://127.0.0.1:8080/scim/v2", "IDGATE_SCIM_TOKEN").run()
//! }
//! ```
//!
//! Trials are named `client::scenario` (`entra-legacy::users`) and SAML cases
//! `saml::case` (`saml::saml.xsw3`); the trial's kind is its client. A trial
//! fails with the failure text of every failed or errored check, secrets
//! redacted; skipped checks never fail it. The target (and the embedded
//! reference target) starts on the first trial that runs, once per process,
//! so `--list` contacts nothing and needs no token.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use libtest_mimic::{Arguments, Completion, Failed, Trial};

use crate::diagnostic::did_you_mean;
use crate::exit;
use crate::redact::Redactor;
use crate::result::{Outcome, ScenarioResult, StepStatus};
use crate::run::{self, Silent};
use crate::scenario::{SAML_CLIENT, Suite};
use crate::session::{
    self, IdpKeys, IdpOptions, Login, Needs, Options, Plan, RunValues, ScimEndpoint, ScimTarget,
    Selection, Session, SpChoice, SpEndpoint,
};

pub use crate::session::SetupError;

/// Comma-separated fault names switched on in the reference target that
/// [`Harness::embedded`] starts; lets a test show what a failing trial looks like.
pub const FAULT_ENV: &str = "IDGATE_HARNESS_FAULT";

/// The prefix of every SAML case's trial name: `saml::saml.xsw3`.
pub const SAML_CASE_PREFIX: &str = "saml";

/// Builds the trials and runs them. Start with [`Harness::scim`] or
/// [`Harness::embedded`], narrow with the other methods, finish with
/// [`Harness::run`].
#[derive(Debug, Clone)]
pub struct Harness {
    scim: Scim,
    saml: Option<SamlSp>,
    clients: Vec<String>,
    tags: Vec<String>,
    ignored: Vec<String>,
    scenarios_dir: Option<PathBuf>,
    timeout: Duration,
    ca_cert: Option<PathBuf>,
    values: RunValues,
    /// Set by [`Harness::clients`]: a Tenant URL's Entra flag no longer picks the client.
    clients_given: bool,
    allow_writes: bool,
}

#[derive(Debug, Clone)]
enum Scim {
    External {
        base_url: String,
        token_env: String,
    },
    /// Only [`Harness::embedded`] makes it, with the `reference` feature.
    #[cfg_attr(not(feature = "reference"), allow(dead_code))]
    Embedded,
}

/// A SAML service provider to test: its ACS URL and entity ID, and how to
/// tell who got a session. idgate's IdP signs with the key in
/// [`SamlSp::idp_key_dir`]; the SP must trust its certificate
/// (`idgate saml cert` prints it).
#[derive(Debug, Clone)]
pub struct SamlSp {
    acs_url: String,
    audience: String,
    whoami_url: Option<String>,
    whoami: crate::saml::whoami::WhoamiReader,
    login_url: Option<String>,
    /// Unset: the battery measures the SP's tolerance.
    skew: Option<Duration>,
    name_id: String,
    idp_key_dir: PathBuf,
    idp_entity_id: String,
}

impl SamlSp {
    /// The SP whose Assertion Consumer Service is `acs_url` (HTTP-POST
    /// binding) and whose entity ID, written into every Audience, is `audience`.
    pub fn new(acs_url: impl Into<String>, audience: impl Into<String>) -> SamlSp {
        SamlSp {
            acs_url: acs_url.into(),
            audience: audience.into(),
            whoami_url: None,
            whoami: Default::default(),
            login_url: None,
            skew: None,
            name_id: "alice@example.com".into(),
            idp_key_dir: PathBuf::from(".idgate/saml"),
            idp_entity_id: crate::saml::DEFAULT_ENTITY_ID.into(),
        }
    }

    /// A page of the SP that tells who is logged in, read with the session cookie.
    pub fn whoami_url(mut self, url: impl Into<String>) -> SamlSp {
        self.whoami_url = Some(url.into());
        self
    }

    /// Where the whoami answer's JSON holds the identity and the attributes (JSON pointers),
    /// when the common shapes idgate detects do not fit.
    pub fn whoami_pointers(mut self, identity: Option<&str>, attributes: Option<&str>) -> SamlSp {
        self.whoami.identity_pointer = identity.map(String::from);
        self.whoami.attributes_pointer = attributes.map(String::from);
        self
    }

    /// SP-initiated logins: a URL that redirects to the IdP with an AuthnRequest.
    pub fn login_url(mut self, url: impl Into<String>) -> SamlSp {
        self.login_url = Some(url.into());
        self
    }

    /// The clock skew the SP allows; unset, the battery measures it.
    pub fn skew(mut self, skew: Duration) -> SamlSp {
        self.skew = Some(skew);
        self
    }

    /// The user valid responses log in (default `alice@example.com`).
    pub fn name_id(mut self, name_id: impl Into<String>) -> SamlSp {
        self.name_id = name_id.into();
        self
    }

    /// Where the IdP's key and certificate live, as `idgate --key-dir`
    /// (default `.idgate/saml`, created on first use).
    pub fn idp_key_dir(mut self, dir: impl Into<PathBuf>) -> SamlSp {
        self.idp_key_dir = dir.into();
        self
    }

    /// The IdP's entity ID, the Issuer of its Responses.
    pub fn idp_entity_id(mut self, entity_id: impl Into<String>) -> SamlSp {
        self.idp_entity_id = entity_id.into();
        self
    }
}

impl Harness {
    /// Test the SCIM endpoint at `base_url` with the bearer token read from
    /// the environment variable `token_env` (when the first trial runs, so
    /// `--list` works without it).
    pub fn scim(base_url: impl Into<String>, token_env: impl Into<String>) -> Harness {
        Harness::new(Scim::External {
            base_url: base_url.into(),
            token_env: token_env.into(),
        })
    }

    /// Test idgate's own reference target (SCIM server and SAML SP), started
    /// in-process on 127.0.0.1 once for all trials. [`FAULT_ENV`] switches
    /// faults on in it.
    #[cfg(feature = "reference")]
    pub fn embedded() -> Harness {
        Harness::new(Scim::Embedded)
    }

    fn new(scim: Scim) -> Harness {
        Harness {
            scim,
            saml: None,
            clients: vec!["entra".into()],
            tags: Vec::new(),
            ignored: Vec::new(),
            scenarios_dir: None,
            timeout: Duration::from_secs(30),
            ca_cert: None,
            values: RunValues::default(),
            clients_given: false,
            allow_writes: false,
        }
    }

    /// Also test this SAML SP: one trial per SAML case, plus the scenarios
    /// of the `saml-idp` client. With [`Harness::embedded`], replaces the
    /// embedded SP.
    pub fn saml(mut self, sp: SamlSp) -> Harness {
        self.saml = Some(sp);
        self
    }

    /// Whose requests to replay: `entra` (both dialects, the default),
    /// `entra-legacy`, `entra-2020`, `rfc7644`.
    pub fn clients<S: AsRef<str>>(mut self, names: impl IntoIterator<Item = S>) -> Harness {
        self.clients = names.into_iter().map(|s| s.as_ref().to_string()).collect();
        self.clients_given = true;
        self
    }

    /// Let the trials create, change and delete users and groups on a SCIM target that is not
    /// on this machine (a staging tenant). Without it, or `IDGATE_ALLOW_WRITES=1`, such a
    /// harness refuses to start and names the trials that would write, as `idgate run` does.
    pub fn allow_writes(mut self) -> Harness {
        self.allow_writes = true;
        self
    }

    /// Only scenarios with one of these tags; SAML cases carry the tag `saml`.
    pub fn tags<S: AsRef<str>>(mut self, tags: impl IntoIterator<Item = S>) -> Harness {
        self.tags = tags.into_iter().map(|s| s.as_ref().to_string()).collect();
        self
    }

    /// Mark these trials (by full name, `entra-legacy::groups`) ignored:
    /// known failures that `cargo test -- --ignored` still runs.
    pub fn ignore<S: AsRef<str>>(mut self, trials: impl IntoIterator<Item = S>) -> Harness {
        self.ignored = trials.into_iter().map(|s| s.as_ref().to_string()).collect();
        self
    }

    /// Load scenarios from this directory instead of the ones built in.
    pub fn scenarios_dir(mut self, dir: impl Into<PathBuf>) -> Harness {
        self.scenarios_dir = Some(dir.into());
        self
    }

    /// How long to wait for each response (default 30 seconds).
    pub fn timeout(mut self, timeout: Duration) -> Harness {
        self.timeout = timeout.max(Duration::from_secs(1));
        self
    }

    /// The domain of generated users' mail (default `example.com`): one your
    /// server's email validator accepts.
    pub fn email_domain(mut self, domain: impl Into<String>) -> Harness {
        self.values.email_domain = domain.into();
        self
    }

    /// What the names of the resources the trials create start with (default `idgate-`).
    pub fn name_prefix(mut self, prefix: impl Into<String>) -> Harness {
        self.values.name_prefix = prefix.into();
        self
    }

    /// PEM certificate(s) of a private CA the target's TLS certificate chains to.
    pub fn ca_cert(mut self, path: impl Into<PathBuf>) -> Harness {
        self.ca_cert = Some(path.into());
        self
    }

    /// Parse the test binary's arguments, run the trials, and return the
    /// exit code `cargo test` expects (101 when a trial failed). A setup
    /// error is printed and exits with idgate's code for it.
    pub fn run(self) -> ExitCode {
        self.run_with(&Arguments::from_args())
    }

    /// As [`Harness::run`], with arguments parsed elsewhere.
    pub fn run_with(self, args: &Arguments) -> ExitCode {
        match self.trials() {
            Ok(trials) => libtest_mimic::run(args, trials).exit_code(),
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(e.exit_code())
            }
        }
    }

    /// The trials, for a harness that adds its own before calling
    /// `libtest_mimic::run`.
    pub fn trials(self) -> Result<Vec<Trial>, SetupError> {
        let suite = session::load_suite(self.scenarios_dir.as_deref())?;
        let (opts, clients) = self.options()?;
        opts.validate()?;
        let selection = Selection {
            clients,
            tags: self.tags.clone(),
            external_sp: matches!(opts.sp, SpChoice::Endpoint(_)),
            own_scenarios: self.scenarios_dir.is_some(),
            ..Selection::default()
        };
        let plan = Plan::new(&suite, &selection, opts.tests_scim(), opts.tests_saml())?;
        // Offline, so refused here rather than in every trial: `--list` still works.
        session::consent::check(&opts, &plan.writing)?;

        enum Kind {
            Scenario(usize, String),
            Case(usize),
        }
        let mut planned: Vec<(String, String, Kind)> = Vec::new();
        for (scenario, client) in &plan.pairs {
            let index = suite
                .scenarios
                .iter()
                .position(|s| std::ptr::eq(s, *scenario))
                .expect("plan returns the suite's own scenarios");
            planned.push((
                format!("{client}::{}", scenario.name),
                client.clone(),
                Kind::Scenario(index, client.clone()),
            ));
        }
        for &case in &plan.cases {
            let index = suite
                .cases
                .cases
                .iter()
                .position(|c| std::ptr::eq(c, case))
                .expect("plan returns the suite's own cases");
            planned.push((
                format!("{SAML_CASE_PREFIX}::{}", case.id),
                SAML_CLIENT.to_string(),
                Kind::Case(index),
            ));
        }
        // The session opens once for all trials, so it starts what any of them may play.
        let needs = plan.needs();
        let mut seen = HashSet::new();
        for (name, _, _) in &planned {
            if !seen.insert(name.as_str()) {
                return Err(SetupError::new(
                    exit::SCENARIO,
                    format!(
                        "error: two scenarios make the trial `{name}`; scenario names must be unique per client"
                    ),
                ));
            }
        }
        for name in &self.ignored {
            if !seen.contains(name.as_str()) {
                let known: Vec<&str> = seen.iter().copied().collect();
                return Err(SetupError::usage(format!(
                    "error: `{name}` given to ignore() is not a trial\n  = help: {}",
                    did_you_mean(name, &known)
                )));
            }
        }

        let ignored = self.ignored.clone();
        let shared = Arc::new(Shared {
            suite,
            opts,
            needs,
            live: OnceLock::new(),
        });
        Ok(planned
            .into_iter()
            .map(|(name, client, kind)| {
                let shared = Arc::clone(&shared);
                let is_ignored = ignored.contains(&name);
                let trial = match kind {
                    Kind::Scenario(index, client) => {
                        Trial::ignorable_test(name, move || shared.run_scenario(index, &client))
                    }
                    Kind::Case(case) => Trial::ignorable_test(name, move || shared.run_case(case)),
                };
                trial.with_kind(client).with_ignored_flag(is_ignored)
            })
            .collect())
    }
}

impl Harness {
    /// The session options this harness asks for, and the clients it plays; the session
    /// stage applies the same rules as the command line.
    fn options(&self) -> Result<(Options, Vec<String>), SetupError> {
        let faults = faults_from_env(&self.scim)?;
        let mut clients = self.clients.clone();
        let scim = match &self.scim {
            Scim::External {
                base_url,
                token_env,
            } => {
                let tenant = session::tenant::parse("Harness::scim", base_url)?;
                if tenant.entra_2020 && !self.clients_given {
                    clients = vec![session::tenant::FLAGGED_CLIENT.into()];
                }
                ScimTarget::Endpoint(ScimEndpoint {
                    url: tenant.base,
                    token_env: token_env.clone(),
                })
            }
            Scim::Embedded => ScimTarget::Embedded,
        };
        let (sp, login, idp) = match (&self.saml, &self.scim) {
            (Some(sp), _) => (
                SpChoice::Endpoint(SpEndpoint {
                    acs_url: sp.acs_url.clone(),
                    audience: sp.audience.clone(),
                    whoami_url: sp.whoami_url.clone(),
                    whoami: sp.whoami.clone(),
                    login_url: sp.login_url.clone(),
                    want_assertions_signed: false,
                    authn_requests_signed: false,
                    rotation: false,
                }),
                Login {
                    skew: sp.skew.unwrap_or(Duration::from_secs(180)),
                    skew_given: sp.skew.is_some(),
                    name_id: sp.name_id.clone(),
                    ..Login::default()
                },
                IdpOptions {
                    keys: IdpKeys::Dir(sp.idp_key_dir.clone()),
                    entity_id: sp.idp_entity_id.clone(),
                    ..IdpOptions::default()
                },
            ),
            // The embedded SP trusts the committed test IdP: no key file is
            // made or read per process (nextest starts one per trial).
            (None, Scim::Embedded) => (
                SpChoice::Embedded,
                Login::default(),
                IdpOptions {
                    keys: IdpKeys::Fixtures,
                    ..IdpOptions::default()
                },
            ),
            (None, Scim::External { .. }) => {
                (SpChoice::None, Login::default(), IdpOptions::default())
            }
        };
        let opts = Options {
            scim,
            sp,
            login,
            faults,
            timeout: self.timeout,
            ca_cert: self.ca_cert.clone(),
            idp,
            ledger: None,
            payloads: None,
            snapshots: Default::default(),
            signals: matches!(self.scim, Scim::External { .. }),
            values: self.values.clone(),
            allow_writes: self.allow_writes || env_says_yes("IDGATE_ALLOW_WRITES"),
        };
        Ok((opts, clients))
    }
}

/// A yes/no environment variable, read as clap reads `IDGATE_ALLOW_WRITES` for `idgate run`:
/// set and not one of clap's false words.
fn env_says_yes(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| {
        let v = v.trim().to_ascii_lowercase();
        !v.is_empty() && !matches!(v.as_str(), "n" | "no" | "f" | "false" | "off" | "0")
    })
}

fn faults_from_env(scim: &Scim) -> Result<Vec<String>, SetupError> {
    let Ok(text) = std::env::var(FAULT_ENV) else {
        return Ok(Vec::new());
    };
    if !matches!(scim, Scim::Embedded) {
        return Err(SetupError::usage(format!(
            "error: {FAULT_ENV} is set, but faults exist only in the embedded reference target (Harness::embedded)"
        )));
    }
    Ok(text
        .split(',')
        .filter(|n| !n.trim().is_empty())
        .map(|n| n.trim().to_string())
        .collect())
}

/// What every trial reads: the suite, the session options, and the session,
/// opened by the first trial that needs it.
struct Shared {
    suite: Suite,
    opts: Options,
    needs: Needs,
    live: OnceLock<Result<Live, String>>,
}

/// An open session and the runtime every trial blocks on.
struct Live {
    session: Session,
    // Last, so it outlives the reference target's task when dropped.
    runtime: tokio::runtime::Runtime,
}

impl Shared {
    fn live(&self) -> Result<&Live, Failed> {
        self.live
            .get_or_init(|| self.start())
            .as_ref()
            .map_err(|e| Failed::from(e.as_str()))
    }

    fn start(&self) -> Result<Live, String> {
        // One runtime for all trials: each trial thread calls `block_on`, and
        // the reference target and HTTP connections live on its workers.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the tokio runtime: {e}"))?;
        let session = runtime
            .block_on(Session::open(&self.opts, &self.needs))
            .map_err(|e| e.to_string())?;
        Ok(Live { session, runtime })
    }

    fn run_scenario(&self, index: usize, client: &str) -> Result<Completion, Failed> {
        let live = self.live()?;
        let scenario = &self.suite.scenarios[index];
        let result = live.runtime.block_on(run::run_scenario(
            &self.suite,
            &live.session,
            scenario,
            client,
            &mut Silent,
        ));
        live.verdict(&result)
    }

    fn run_case(&self, index: usize) -> Result<Completion, Failed> {
        let case = &self.suite.cases.cases[index];
        let live = self.live()?;
        let side = live
            .session
            .target
            .saml
            .as_ref()
            .ok_or("no SAML SP is being tested")?;
        let result = live.runtime.block_on(run::saml::run_battery(
            side,
            &[case],
            &live.session.stop,
            &mut Silent,
        ));
        live.verdict(&result)
    }
}

impl Live {
    fn verdict(&self, result: &ScenarioResult) -> Result<Completion, Failed> {
        verdict(result, &self.session.redactor, self.session.stopped())
    }
}

/// Passed, failed with the text of every failed or errored check, or ignored
/// when every check was skipped; `interrupted` fails what did not fail already.
fn verdict(
    result: &ScenarioResult,
    redactor: &Redactor,
    interrupted: bool,
) -> Result<Completion, Failed> {
    for c in result.cleanup.iter().filter(|c| c.left_behind()) {
        eprintln!(
            "{}",
            redactor.apply(&format!(
                "warning: {}::{}: cleanup could not delete {}/{}: {}",
                result.client,
                result.name,
                c.kind,
                c.id,
                c.detail.as_deref().unwrap_or("")
            ))
        );
    }
    if let Some(text) = failure_report(result) {
        return Err(Failed::from(redactor.apply(&text)));
    }
    if interrupted {
        return Err(Failed::from(
            "the run was interrupted; what this scenario created was deleted",
        ));
    }
    let counts = result.counts();
    // Neither a pass nor a failure: what was skipped or only reported is ignored, with why.
    if counts.total() > 0 && counts.skip + counts.reported == counts.total() {
        let reason = result
            .checks()
            .find_map(|(_, c)| c.message.clone())
            .unwrap_or_else(|| "every check was skipped".into());
        return Ok(Completion::ignored_with(redactor.apply(&reason)));
    }
    Ok(Completion::Completed)
}

/// The text a failed trial shows: a count, then each failed or errored check
/// with its failure text (the same text the terminal and JUnit show).
/// `None` when nothing failed.
pub fn failure_report(result: &ScenarioResult) -> Option<String> {
    let mut blocks = Vec::new();
    for (step, check) in result.checks() {
        let label = match check.outcome {
            Outcome::Fail => "fail",
            Outcome::Error => "error",
            Outcome::Pass | Outcome::Skip | Outcome::Flaky | Outcome::Reported => continue,
        };
        let text = crate::report::failure_text(step, check);
        blocks.push(format!(
            "{label} {}: {}\n{}",
            check.id,
            check.title,
            text.lines()
                .map(|l| format!("    {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    // A step that could not reach the target, but had no expectation to mark as errored.
    for step in &result.steps {
        if step.status == StepStatus::Error && step.checks.is_empty() {
            blocks.push(format!(
                "error in step `{}` ({}): {}",
                step.name,
                step.location,
                step.reason.as_deref().unwrap_or("no answer")
            ));
        }
    }
    if blocks.is_empty() {
        return None;
    }
    let c = result.counts();
    Some(format!(
        "{}: {} failed, {} errors, {} passed, {} skipped\n\n{}",
        result.file,
        c.fail,
        c.error,
        c.pass,
        c.skip,
        blocks.join("\n\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::Secret;
    use crate::result::{CheckResult, StepResult};
    use crate::scenario::Severity;

    fn listed(h: Harness) -> Vec<(String, String, bool)> {
        h.trials()
            .unwrap_or_else(|e| panic!("{e}"))
            .iter()
            .map(|t| {
                (
                    t.name().to_string(),
                    t.kind().to_string(),
                    t.has_ignored_flag(),
                )
            })
            .collect()
    }

    #[test]
    fn trials_are_client_scenario_pairs_and_saml_cases() {
        let trials = listed(Harness::embedded());
        let has = |name: &str, kind: &str| trials.iter().any(|(n, k, _)| n == name && k == kind);
        assert!(has("entra-legacy::users", "entra-legacy"));
        assert!(has("entra-2020::users", "entra-2020"));
        assert!(has("saml-idp::saml-seeds", SAML_CLIENT));
        assert!(has("saml::saml.xsw3", SAML_CLIENT));
        assert_eq!(
            trials
                .iter()
                .filter(|(n, ..)| n.starts_with("saml::"))
                .count(),
            crate::saml::cases::all().len()
        );
    }

    #[test]
    fn clients_and_tags_narrow_the_trials() {
        let trials = listed(
            Harness::embedded()
                .clients(["entra-legacy"])
                .tags(["users"]),
        );
        assert!(!trials.is_empty());
        for (name, kind, _) in &trials {
            assert_eq!(kind, "entra-legacy", "{name}");
        }
        let saml = listed(Harness::embedded().tags(["saml"]));
        assert!(saml.iter().all(|(_, k, _)| k == SAML_CLIENT));
    }

    #[test]
    fn an_external_scim_target_has_no_saml_trials() {
        let trials = listed(Harness::scim(
            "http://127.0.0.1:9/scim/v2",
            "NO_SUCH_TOKEN_ENV",
        ));
        assert!(trials.iter().all(|(n, ..)| !n.starts_with("saml")));
        assert!(trials.iter().any(|(n, ..)| n == "entra-legacy::auth"));
    }

    #[test]
    fn ignore_marks_named_trials_and_rejects_typos() {
        let trials = listed(Harness::embedded().ignore(["entra-2020::groups"]));
        let ignored: Vec<&str> = trials
            .iter()
            .filter(|(.., i)| *i)
            .map(|(n, ..)| n.as_str())
            .collect();
        assert_eq!(ignored, ["entra-2020::groups"]);
        let e = Harness::embedded()
            .ignore(["entra-2020::grups"])
            .trials()
            .unwrap_err();
        assert_eq!(e.exit_code(), exit::USAGE);
        assert!(e.to_string().contains("entra-2020::groups"), "{e}");
    }

    #[test]
    fn setup_errors_say_what_is_wrong() {
        let e = Harness::embedded().clients(["okta"]).trials().unwrap_err();
        assert!(e.to_string().contains("unknown client `okta`"), "{e}");
        let e = Harness::scim("ftp://x", "T").trials().unwrap_err();
        assert_eq!(e.exit_code(), exit::USAGE);
        let e = Harness::embedded()
            .tags(["no-such-tag"])
            .trials()
            .unwrap_err();
        assert!(e.to_string().contains("names no tag or scenario"), "{e}");
    }

    fn check(id: &str, outcome: Outcome) -> CheckResult {
        CheckResult {
            expected: Some("201".into()),
            actual: Some("500".into()),
            ..CheckResult::new(id, format!("title of {id}"), Severity::High, "", outcome)
        }
    }

    fn scenario(checks: Vec<CheckResult>) -> ScenarioResult {
        ScenarioResult {
            name: "users".into(),
            client: "entra-legacy".into(),
            file: "scenarios/entra/04-users.toml".into(),
            description: String::new(),
            tags: vec![],
            steps: vec![StepResult {
                name: "create".into(),
                location: crate::result::Location {
                    file: "scenarios/entra/04-users.toml".into(),
                    line: 3,
                    column: 1,
                    source: vec!["[[steps]]".into()],
                },
                status: StepStatus::Ran,
                reason: None,
                fallback: None,
                exchanges: vec![],
                checks,
                millis: 0,
                saml: None,
            }],
            cleanup: vec![],
            millis: 0,
            attempts: 1,
            warnings: vec![],
        }
    }

    #[test]
    fn failure_report_lists_failed_and_errored_checks_only() {
        let r = scenario(vec![
            check("a.pass", Outcome::Pass),
            check("b.fail", Outcome::Fail),
            check("c.skip", Outcome::Skip),
            check("d.error", Outcome::Error),
        ]);
        let text = failure_report(&r).expect("something failed");
        assert!(text.contains("fail b.fail: title of b.fail"), "{text}");
        assert!(text.contains("error d.error"), "{text}");
        assert!(text.contains("    expected: 201"), "{text}");
        assert!(
            !text.contains("a.pass") && !text.contains("c.skip"),
            "{text}"
        );
        let fine = scenario(vec![
            check("a.pass", Outcome::Pass),
            check("c.skip", Outcome::Skip),
        ]);
        assert!(failure_report(&fine).is_none());
    }

    #[test]
    fn verdicts_fail_pass_or_ignore_and_redact() {
        let redactor = Redactor::new([Secret::new("s3cret-token")]);
        let mut failed = check("b.fail", Outcome::Fail);
        failed.actual = Some("echoed s3cret-token".into());
        let Err(e) = verdict(&scenario(vec![failed]), &redactor, false) else {
            panic!("a failed check fails the trial")
        };
        let text = e.message().unwrap();
        assert!(
            text.contains("echoed ***") && !text.contains("s3cret"),
            "{text}"
        );

        let passed = scenario(vec![check("a", Outcome::Pass), check("b", Outcome::Skip)]);
        assert!(matches!(
            verdict(&passed, &redactor, false),
            Ok(Completion::Completed)
        ));
        assert!(
            verdict(&passed, &redactor, true).is_err(),
            "an interrupt fails it"
        );

        let mut skipped = check("c", Outcome::Skip);
        skipped.message = Some("no SAML SP is being tested".into());
        match verdict(&scenario(vec![skipped]), &redactor, false) {
            Ok(Completion::Ignored { reason }) => {
                assert_eq!(reason.as_deref(), Some("no SAML SP is being tested"))
            }
            _ => panic!("a trial whose every check was skipped is ignored"),
        }
    }
}
