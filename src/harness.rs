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
use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use tokio::sync::{Mutex, watch};

use crate::cli::exit;
use crate::diagnostic::did_you_mean;
use crate::redact::{Redactor, Secret};
use crate::reference::{self, Fault, ReferenceOptions, RunningReference};
use crate::result::{Outcome, ScenarioResult, StepStatus};
use crate::run::saml::{Idp, SamlSide, SpTarget};
use crate::run::{self, Ledger, Silent, StopSignal, Target};
use crate::saml::IdpKey;
use crate::scenario::{self, SAML_CLIENT, Suite};
use crate::scim::{ClientOptions, ScimClient};

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
}

#[derive(Debug, Clone)]
enum Scim {
    External { base_url: String, token_env: String },
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
    login_url: Option<String>,
    skew: Duration,
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
            login_url: None,
            skew: Duration::from_secs(180),
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

    /// SP-initiated logins: a URL that redirects to the IdP with an AuthnRequest.
    pub fn login_url(mut self, url: impl Into<String>) -> SamlSp {
        self.login_url = Some(url.into());
        self
    }

    /// The clock skew the SP allows (default three minutes).
    pub fn skew(mut self, skew: Duration) -> SamlSp {
        self.skew = skew;
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

/// Why no trial could be made: a configuration or scenario file error.
#[derive(Debug, Clone)]
pub struct SetupError {
    code: u8,
    message: String,
}

impl SetupError {
    fn usage(message: impl Into<String>) -> SetupError {
        SetupError {
            code: exit::USAGE,
            message: message.into(),
        }
    }

    /// idgate's exit code for it: 1 configuration, 2 scenario files.
    pub fn exit_code(&self) -> u8 {
        self.code
    }
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SetupError {}

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
    /// `entra-legacy`, `entra-2020`.
    pub fn clients<S: AsRef<str>>(mut self, names: impl IntoIterator<Item = S>) -> Harness {
        self.clients = names.into_iter().map(|s| s.as_ref().to_string()).collect();
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
        let suite = scenario::load_suite(self.scenarios_dir.as_deref()).map_err(|errors| {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            SetupError {
                code: exit::SCENARIO,
                message: format!(
                    "{}\n{} error(s) in the scenario files; no trial was made",
                    text.join("\n"),
                    errors.len()
                ),
            }
        })?;
        let mut clients = expand_clients(&suite, &self.clients)?;
        let faults = faults_from_env(&self.scim)?;
        if let Scim::External { base_url, .. } = &self.scim {
            http_url("the SCIM base URL", base_url)?;
        }
        if let Some(sp) = &self.saml {
            http_url("the SAML ACS URL", &sp.acs_url)?;
        }
        let with_saml = self.saml.is_some() || matches!(self.scim, Scim::Embedded);
        if with_saml && !clients.iter().any(|c| c == SAML_CLIENT) {
            clients.push(SAML_CLIENT.to_string());
        }

        enum Kind {
            Scenario(usize, String),
            Case(&'static str),
        }
        let mut planned: Vec<(String, String, Kind)> = Vec::new();
        for (scenario, client) in run::plan(&suite, &clients, &self.tags, &[]) {
            let index = suite
                .scenarios
                .iter()
                .position(|s| std::ptr::eq(s, scenario))
                .expect("plan returns the suite's own scenarios");
            planned.push((
                format!("{client}::{}", scenario.name),
                client.clone(),
                Kind::Scenario(index, client),
            ));
        }
        if with_saml && (self.tags.is_empty() || self.tags.iter().any(|t| t == "saml")) {
            for case in crate::saml::cases::all() {
                planned.push((
                    format!("{SAML_CASE_PREFIX}::{}", case.id),
                    SAML_CLIENT.to_string(),
                    Kind::Case(case.id),
                ));
            }
        }
        if planned.is_empty() {
            return Err(SetupError::usage(
                "error: no scenario matches the chosen clients and tags",
            ));
        }
        let mut seen = HashSet::new();
        for (name, _, _) in &planned {
            if !seen.insert(name.as_str()) {
                return Err(SetupError {
                    code: exit::SCENARIO,
                    message: format!(
                        "error: two scenarios make the trial `{name}`; scenario names must be unique per client"
                    ),
                });
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
            config: self,
            faults,
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
                    Kind::Case(id) => Trial::ignorable_test(name, move || shared.run_case(id)),
                };
                trial.with_kind(client).with_ignored_flag(is_ignored)
            })
            .collect())
    }
}

/// `entra` → both Entra dialects; every name must be a client of the suite.
fn expand_clients(suite: &Suite, names: &[String]) -> Result<Vec<String>, SetupError> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        let group: Vec<&String> = suite
            .clients
            .keys()
            .filter(|c| *c == name || c.starts_with(&format!("{name}-")))
            .collect();
        if group.is_empty() {
            let mut known: Vec<&str> = suite.clients.keys().map(String::as_str).collect();
            known.push("entra");
            return Err(SetupError::usage(format!(
                "error: unknown client `{name}`\n  = help: {}",
                did_you_mean(name, &known)
            )));
        }
        for c in group {
            if !out.contains(c) {
                out.push(c.clone());
            }
        }
    }
    Ok(out)
}

fn faults_from_env(scim: &Scim) -> Result<Vec<Fault>, SetupError> {
    let Ok(text) = std::env::var(FAULT_ENV) else {
        return Ok(Vec::new());
    };
    if !matches!(scim, Scim::Embedded) {
        return Err(SetupError::usage(format!(
            "error: {FAULT_ENV} is set, but faults exist only in the embedded reference target (Harness::embedded)"
        )));
    }
    text.split(',')
        .filter(|n| !n.trim().is_empty())
        .map(|n| {
            n.parse::<Fault>()
                .map_err(|e| SetupError::usage(format!("error: {FAULT_ENV}: {e}")))
        })
        .collect()
}

fn http_url(what: &str, url: &str) -> Result<(), SetupError> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        Err(SetupError::usage(format!(
            "error: {what} `{url}` is not an http(s) URL"
        )))
    }
}

/// What every trial reads: the suite, the configuration, and the target,
/// started by the first trial that needs it.
struct Shared {
    suite: Suite,
    config: Harness,
    faults: Vec<Fault>,
    live: OnceLock<Result<Live, String>>,
}

/// A started target and the runtime every trial blocks on.
struct Live {
    target: Target,
    ledger: Mutex<Ledger>,
    stop: StopSignal,
    /// Kept so `stop` stays open: a dropped sender would read as an interrupt.
    _stop_tx: Arc<watch::Sender<bool>>,
    redactor: Redactor,
    _reference: Option<RunningReference>,
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
        let c = &self.config;
        // One runtime for all trials: each trial thread calls `block_on`, and
        // the reference target and HTTP connections live on its workers.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the tokio runtime: {e}"))?;
        let opts = ClientOptions {
            timeout: c.timeout,
            ..ClientOptions::default()
        };
        let (stop_tx, stop) = watch::channel(false);
        let stop_tx = Arc::new(stop_tx);
        let saml_embedded = c.saml.is_none() && matches!(c.scim, Scim::Embedded);
        let idp = match &c.saml {
            Some(sp) => Some(load_idp(
                IdpKey::load_or_generate(&sp.idp_key_dir).map_err(|e| {
                    format!(
                        "cannot load or create the IdP key in {}: {e}",
                        sp.idp_key_dir.display()
                    )
                })?,
                &sp.idp_entity_id,
            )?),
            // The embedded SP trusts the committed test IdP by default; its keys
            // cost no key generation per process (nextest starts one per trial).
            None if saml_embedded => Some(fixture_idp()?),
            None => None,
        };
        let (base, token, token_env, reference) = match &c.scim {
            Scim::External {
                base_url,
                token_env,
            } => {
                let token = match std::env::var(token_env) {
                    Ok(t) if !t.trim().is_empty() => t.trim().to_string(),
                    _ => {
                        return Err(format!(
                            "the bearer token is read from the environment variable {token_env}, which is not set"
                        ));
                    }
                };
                // Ctrl-C stops between requests so each scenario deletes what it created;
                // a second one quits at once.
                let tx = Arc::clone(&stop_tx);
                runtime.spawn(async move {
                    if tokio::signal::ctrl_c().await.is_ok() {
                        eprintln!(
                            "\ninterrupted: deleting what the running scenarios created (Ctrl-C again to quit now)"
                        );
                        let _ = tx.send(true);
                        if tokio::signal::ctrl_c().await.is_ok() {
                            std::process::exit(exit::INTERRUPTED as i32);
                        }
                    }
                });
                (
                    base_url.trim_end_matches('/').to_string(),
                    token,
                    token_env.clone(),
                    None,
                )
            }
            Scim::Embedded => {
                let token = uuid::Uuid::new_v4().simple().to_string();
                let saml = reference::SpOptions {
                    idp_sign_in_url: Some(crate::saml::DEFAULT_SIGN_IN_URL.into()),
                    ..reference::SpOptions::default()
                };
                let running = runtime
                    .block_on(reference::start(ReferenceOptions {
                        token: token.clone(),
                        faults: self.faults.clone(),
                        saml,
                        ..ReferenceOptions::default()
                    }))
                    .map_err(|e| format!("cannot start the reference target: {e}"))?;
                (
                    running.scim_base.clone(),
                    token,
                    "IDGATE_SCIM_TOKEN".to_string(),
                    Some(running),
                )
            }
        };
        let sp = match (&c.saml, &reference) {
            (Some(sp), _) => Some(SpTarget {
                acs_url: sp.acs_url.clone(),
                audience: sp.audience.clone(),
                whoami_url: sp.whoami_url.clone(),
                login_url: sp.login_url.clone(),
                skew: time::Duration::seconds(sp.skew.as_secs() as i64),
                name_id: sp.name_id.clone(),
            }),
            (None, Some(r)) => Some(SpTarget {
                acs_url: r.saml_acs_url.clone(),
                audience: r.saml_audience.clone(),
                whoami_url: Some(r.saml_whoami_url.clone()),
                login_url: None,
                skew: time::Duration::minutes(3),
                name_id: "alice@example.com".into(),
            }),
            (None, None) => None,
        };
        let secret = Secret::new(token);
        let scim = ScimClient::new(&base, secret.clone(), c.ca_cert.as_deref(), opts)?;
        Ok(Live {
            target: Target {
                scim,
                token_env,
                saml: sp.zip(idp).map(|(sp, idp)| SamlSide::new(sp, idp)),
            },
            ledger: Mutex::new(Ledger::in_memory()),
            stop,
            _stop_tx: stop_tx,
            redactor: Redactor::new([secret]),
            _reference: reference,
            runtime,
        })
    }

    fn run_scenario(&self, index: usize, client: &str) -> Result<Completion, Failed> {
        let live = self.live()?;
        let scenario = &self.suite.scenarios[index];
        let result = live.runtime.block_on(run::run_scenario(
            &self.suite,
            scenario,
            client,
            &live.target,
            &live.ledger,
            &live.stop,
            &mut Silent,
        ));
        live.verdict(&result)
    }

    fn run_case(&self, id: &'static str) -> Result<Completion, Failed> {
        let live = self.live()?;
        let side = live
            .target
            .saml
            .as_ref()
            .ok_or("no SAML SP is being tested")?;
        let mut result = live.runtime.block_on(run::saml::run_battery(
            side,
            Some(id),
            &live.stop,
            &mut Silent,
        ));
        // The battery's filter matches ids by substring (`saml.xsw7` also picks
        // `saml.xsw7-ns`); this trial answers for its own case only.
        result.steps.retain(|s| s.name == id);
        live.verdict(&result)
    }
}

/// The committed test IdP (`fixtures/saml`), which the reference SP trusts by default.
fn fixture_idp() -> Result<Idp, String> {
    let pair = |key: &str, cert: &str| {
        IdpKey::from_pem(key.as_bytes(), cert.as_bytes()).map_err(|e| e.to_string())
    };
    Ok(Idp {
        key: pair(
            include_str!("../fixtures/saml/idp-key.pem"),
            include_str!("../fixtures/saml/idp-cert.pem"),
        )?,
        attacker: pair(
            include_str!("../fixtures/saml/attacker-key.pem"),
            include_str!("../fixtures/saml/attacker-cert.pem"),
        )?,
        cloned: pair(
            include_str!("../fixtures/saml/cloned-key.pem"),
            include_str!("../fixtures/saml/cloned-cert.pem"),
        )?,
        entity_id: reference::DEFAULT_IDP_ENTITY_ID.into(),
    })
}

fn load_idp(key: IdpKey, entity_id: &str) -> Result<Idp, String> {
    let fail = |e: crate::saml::SamlError| format!("cannot make the attack keys: {e}");
    Ok(Idp {
        attacker: IdpKey::generate("idgate attacker").map_err(fail)?,
        cloned: IdpKey::clone_of(&key).map_err(fail)?,
        key,
        entity_id: entity_id.to_string(),
    })
}

impl Live {
    fn verdict(&self, result: &ScenarioResult) -> Result<Completion, Failed> {
        verdict(result, &self.redactor, *self.stop.borrow())
    }
}

/// Passed, failed with the text of every failed or errored check, or ignored
/// when every check was skipped; `interrupted` fails what did not fail already.
fn verdict(
    result: &ScenarioResult,
    redactor: &Redactor,
    interrupted: bool,
) -> Result<Completion, Failed> {
    for c in result.cleanup.iter().filter(|c| c.outcome == "failed") {
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
    if counts.total() > 0 && counts.skip == counts.total() {
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
            Outcome::Pass | Outcome::Skip | Outcome::Flaky => continue,
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
        assert!(e.to_string().contains("no scenario matches"), "{e}");
    }

    fn check(id: &str, outcome: Outcome) -> CheckResult {
        CheckResult {
            id: id.into(),
            title: format!("title of {id}"),
            severity: Severity::Major,
            rule: String::new(),
            outcome,
            expected: Some("201".into()),
            actual: Some("500".into()),
            message: None,
            location: None,
            curl: None,
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
                location: "scenarios/entra/04-users.toml:3:1".into(),
                status: StepStatus::Ran,
                reason: None,
                exchanges: vec![],
                checks,
            }],
            cleanup: vec![],
            millis: 0,
            attempts: 1,
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
