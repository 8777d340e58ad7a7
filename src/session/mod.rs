//! The session stage: from a run's options and its plan to everything live a
//! run needs — the targets and their HTTP clients, the token, idgate's IdP,
//! the embedded reference target, the cleanup ledger, the stop signal, the
//! redactor and the snapshot mode. The command line and `idgate::harness`
//! both open their runs here, so their rules cannot drift apart.

pub mod advertised;
pub mod consent;
mod embedded;
pub mod plan;
pub mod preflight;
pub mod tenant;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, watch};

pub use advertised::Advertised;
pub use plan::{Plan, Selection};

use crate::check::snapshot::{SnapshotMode, SnapshotOptions};
use crate::exit;
use crate::http::{Client, ClientOptions, Transport, TransportOptions};
use crate::ledger::Ledger;
use crate::redact::{Redactor, Secret};
use crate::result::TargetInfo;
use crate::saml::whoami::WhoamiReader;

/// The values a run gives every scenario: where generated users' mail is,
/// and what the names of the resources it creates start with.
#[derive(Debug, Clone)]
pub struct RunValues {
    pub email_domain: String,
    pub name_prefix: String,
    /// `{{password}}`: made fresh for each run and known to the redactor, so a password a
    /// scenario sends (a create, a changePassword PATCH) never shows in any output.
    pub password: Secret,
}

impl Default for RunValues {
    fn default() -> Self {
        RunValues {
            email_domain: DEFAULT_EMAIL_DOMAIN.into(),
            name_prefix: DEFAULT_NAME_PREFIX.into(),
            password: Secret::new(format!("Idgate-{}", uuid::Uuid::new_v4())),
        }
    }
}

/// The domain of generated users' mail unless `--email-domain` says otherwise:
/// reserved for examples (RFC 2606), yet a real-looking TLD that email
/// validators accept (some refuse the reserved `.test`).
pub const DEFAULT_EMAIL_DOMAIN: &str = "example.com";
/// What the names of the resources a run creates start with, unless `--name-prefix` says otherwise.
pub const DEFAULT_NAME_PREFIX: &str = "idgate-";

use crate::saml::{AttackKeys, Idp, IdpKey, RotationKeys};

/// The environment variable the bearer token is read from unless another is named.
pub const DEFAULT_TOKEN_ENV: &str = "IDGATE_SCIM_TOKEN";

/// Why a run could not start, with idgate's exit code for it.
#[derive(Debug, Clone)]
pub struct SetupError {
    code: u8,
    message: String,
}

impl SetupError {
    pub fn new(code: u8, message: impl Into<String>) -> SetupError {
        SetupError {
            code,
            message: message.into(),
        }
    }

    /// A command-line or configuration mistake (exit 1).
    pub fn usage(message: impl Into<String>) -> SetupError {
        SetupError::new(exit::USAGE, message)
    }

    /// idgate's exit code for it: 1 configuration, 2 scenario files, 3 runtime.
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

/// Which SCIM target a run tests.
#[derive(Debug, Clone)]
pub enum ScimTarget {
    /// idgate's reference SCIM server, started for the run.
    Embedded,
    Endpoint(ScimEndpoint),
    /// None (a SAML-only run).
    None,
}

/// Which SAML service provider a run tests.
#[derive(Debug, Clone)]
pub enum SpChoice {
    /// idgate's reference SP, started for the run.
    Embedded,
    Endpoint(SpEndpoint),
    /// None (a SCIM-only run).
    None,
}

/// A SCIM endpoint of the user's.
#[derive(Debug, Clone)]
pub struct ScimEndpoint {
    pub url: String,
    /// The environment variable the bearer token is read from (never a flag).
    pub token_env: String,
}

/// A SAML service provider of the user's.
#[derive(Debug, Clone)]
pub struct SpEndpoint {
    /// The Assertion Consumer Service URL (HTTP-POST binding).
    pub acs_url: String,
    /// The SP's entity ID, written into every Audience.
    pub audience: String,
    /// A page that tells who is logged in, read with the session cookies.
    pub whoami_url: Option<String>,
    /// How to read that page's answer (`--saml-whoami-pointer`, `--saml-attributes-pointer`).
    pub whoami: WhoamiReader,
    /// SP-initiated logins: a URL that redirects to the IdP with an AuthnRequest.
    pub login_url: Option<String>,
    /// The SP's declared policy: it requires signed Assertions.
    pub want_assertions_signed: bool,
    /// The SP's declared policy: it signs its AuthnRequests (metadata `AuthnRequestsSigned`).
    pub authn_requests_signed: bool,
    /// The SP was given idgate's certificate-rotation metadata (`--saml-rotation`).
    pub rotation: bool,
}

/// Who valid Responses log in, and the clock skew the SP allows; for the
/// user's SP and the embedded one alike.
#[derive(Debug, Clone)]
pub struct Login {
    pub skew: Duration,
    /// The skew is known (`--saml-skew`, or the embedded SP's own): the timing cases sit
    /// around it. Otherwise they sit around the tolerance the battery measures.
    pub skew_given: bool,
    /// The most clock tolerance a measurement may find and still pass (`--saml-max-skew`).
    pub max_skew: Duration,
    pub name_id: String,
    /// The SP profile the battery is judged under (`--saml-sp-profile`): cases stricter under
    /// it take its verdict and severity.
    pub sp_profile: Option<String>,
}

/// The clock tolerance past which a measured SP fails, unless `--saml-max-skew` says otherwise:
/// five minutes, what common SAML libraries allow (python3-saml's fixed drift is 300 s).
pub const DEFAULT_MAX_SKEW: Duration = Duration::from_secs(300);

impl Default for Login {
    fn default() -> Self {
        Login {
            skew: Duration::from_secs(180),
            skew_given: false,
            max_skew: DEFAULT_MAX_SKEW,
            name_id: "alice@example.com".into(),
            sp_profile: None,
        }
    }
}

/// Where idgate's IdP keys come from.
#[derive(Debug, Clone)]
pub enum IdpKeys {
    /// A key directory (`--key-dir`): the IdP key and the forgers' keys, made on first use.
    Dir(PathBuf),
    /// The committed test pairs of `fixtures/saml`: no file is read or written.
    Fixtures,
}

/// idgate's test IdP.
#[derive(Debug, Clone)]
pub struct IdpOptions {
    pub keys: IdpKeys,
    /// The Issuer of its Responses.
    pub entity_id: String,
    /// Where SP-initiated logins are sent (the embedded SP redirects there).
    pub sign_in_url: String,
}

impl Default for IdpOptions {
    fn default() -> Self {
        IdpOptions {
            keys: IdpKeys::Dir(PathBuf::from(".idgate/saml")),
            entity_id: crate::saml::DEFAULT_ENTITY_ID.into(),
            sign_in_url: crate::saml::DEFAULT_SIGN_IN_URL.into(),
        }
    }
}

/// What a run does with snapshot expectations.
#[derive(Debug, Clone, Copy, Default)]
pub struct Snapshots {
    /// Compare them at all (the harness does not, so a `cargo test` never writes files).
    pub compare: bool,
    /// Write missing or changed ones as accepted (`--update-snapshots`).
    pub update: bool,
    /// The scenarios come from the user's own folder (`--scenarios DIR`), not the built-in suite.
    pub own_scenarios: bool,
}

/// Everything a run is opened from.
#[derive(Debug, Clone)]
pub struct Options {
    pub scim: ScimTarget,
    pub sp: SpChoice,
    pub login: Login,
    /// Faults switched on in the embedded target, by name (`idgate serve --list-faults`).
    pub faults: Vec<String>,
    /// How long each response may take, for SCIM requests and SAML posts alike.
    pub timeout: Duration,
    /// A private CA the targets' TLS certificates chain to.
    pub ca_cert: Option<PathBuf>,
    pub idp: IdpOptions,
    /// Where a run against the user's SCIM endpoint journals what it creates.
    pub ledger: Option<PathBuf>,
    /// Where the SAML Responses of failed cases are saved, for the curl lines to post.
    pub payloads: Option<PathBuf>,
    pub snapshots: Snapshots,
    /// Catch Ctrl-C: stop between requests, delete what was created, then end.
    pub signals: bool,
    /// The domain of generated users' mail and the prefix of created names.
    pub values: RunValues,
    /// The user consents to writes on a SCIM target away from this machine (`--allow-writes`).
    pub allow_writes: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            scim: ScimTarget::Embedded,
            sp: SpChoice::Embedded,
            login: Login::default(),
            faults: Vec::new(),
            timeout: Duration::from_secs(30),
            ca_cert: None,
            idp: IdpOptions::default(),
            ledger: None,
            payloads: None,
            snapshots: Snapshots::default(),
            signals: false,
            values: RunValues::default(),
            allow_writes: false,
        }
    }
}

impl Options {
    /// The targets of the command line: a URL names the user's target, and
    /// with no URL at all everything runs against the embedded reference target.
    pub fn targets(scim: Option<ScimEndpoint>, sp: Option<SpEndpoint>) -> (ScimTarget, SpChoice) {
        match (scim, sp) {
            (None, None) => (ScimTarget::Embedded, SpChoice::Embedded),
            (scim, sp) => (
                scim.map_or(ScimTarget::None, ScimTarget::Endpoint),
                sp.map_or(SpChoice::None, SpChoice::Endpoint),
            ),
        }
    }

    /// Whether idgate's reference target runs for this session.
    pub fn embedded(&self) -> bool {
        matches!(self.scim, ScimTarget::Embedded) || matches!(self.sp, SpChoice::Embedded)
    }

    /// Whether every tested target is idgate's own (the shipped snapshots record those).
    fn only_embedded(&self) -> bool {
        !matches!(self.scim, ScimTarget::Endpoint(_)) && !matches!(self.sp, SpChoice::Endpoint(_))
    }

    /// Whether a SCIM target is tested (the user's, or the embedded one).
    pub fn tests_scim(&self) -> bool {
        !matches!(self.scim, ScimTarget::None)
    }

    /// Whether a SAML SP is tested (the user's, or the embedded one).
    pub fn tests_saml(&self) -> bool {
        !matches!(self.sp, SpChoice::None)
    }

    /// What can be refused before anything starts: URLs that are not http(s)
    /// or carry credentials, faults without the embedded target.
    pub fn validate(&self) -> Result<(), SetupError> {
        if let ScimTarget::Endpoint(s) = &self.scim {
            check_url("--scim-url", &s.url)?;
        }
        if let SpChoice::Endpoint(sp) = &self.sp {
            check_url("--saml-acs-url", &sp.acs_url)?;
            if sp.audience.trim().is_empty() {
                return Err(SetupError::usage(
                    "error: a SAML ACS URL needs the SP's entity ID too (--saml-audience)",
                ));
            }
            for (flag, url) in [
                ("--saml-whoami-url", &sp.whoami_url),
                ("--saml-login-url", &sp.login_url),
            ] {
                if let Some(url) = url {
                    check_url(flag, url)?;
                }
            }
            for (flag, pointer) in [
                ("--saml-whoami-pointer", &sp.whoami.identity_pointer),
                ("--saml-attributes-pointer", &sp.whoami.attributes_pointer),
            ] {
                if let Some(p) = pointer
                    && !p.starts_with('/')
                {
                    return Err(SetupError::usage(format!(
                        "error: {flag} `{p}` is not a JSON pointer\n  = help: a pointer starts with `/` and names each key on the way, e.g. `/user/{}` (RFC 6901)",
                        p.trim_start_matches(['.', '$']).replace('.', "/")
                    )));
                }
            }
            if sp.whoami_url.is_none()
                && (sp.whoami.identity_pointer.is_some() || sp.whoami.attributes_pointer.is_some())
            {
                return Err(SetupError::usage(
                    "error: --saml-whoami-pointer and --saml-attributes-pointer read the answer of --saml-whoami-url, which is not given",
                ));
            }
        }
        embedded::check_faults(&self.faults)?;
        check_values(&self.values)?;
        if !self.faults.is_empty() && !self.embedded() {
            return Err(SetupError::usage(
                "error: --fault switches on a fault of idgate's embedded target, which does not run when a target URL is given",
            ));
        }
        Ok(())
    }
}

/// A domain a mail address can end with, and a prefix safe in any name.
fn check_values(v: &RunValues) -> Result<(), SetupError> {
    let d = &v.email_domain;
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if !d.contains('.') || !d.split('.').all(label_ok) {
        return Err(SetupError::usage(format!(
            "error: --email-domain `{d}` is not a domain name\n  = help: e.g. --email-domain example.com (the domain your SCIM server's email validator accepts)"
        )));
    }
    let p = &v.name_prefix;
    if p.len() > 32
        || !p
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(SetupError::usage(format!(
            "error: --name-prefix `{p}` may hold only letters, digits, `-`, `_` and `.`, at most 32 of them"
        )));
    }
    Ok(())
}

/// An http(s) URL without credentials in it: a user:password in a URL would
/// be printed in every report and curl line.
pub fn check_url(flag: &str, url: &str) -> Result<(), SetupError> {
    match reqwest::Url::parse(url) {
        Ok(u) if !matches!(u.scheme(), "http" | "https") => Err(SetupError::usage(format!(
            "error: {flag} `{url}` is not an http(s) URL"
        ))),
        Ok(u) if !u.username().is_empty() || u.password().is_some() => {
            Err(SetupError::usage(format!(
                "error: {flag} carries credentials; give the token in ${{{DEFAULT_TOKEN_ENV}}} (or --scim-token-env), never in the URL"
            )))
        }
        Ok(_) => Ok(()),
        Err(e) => Err(SetupError::usage(format!(
            "error: {flag} `{url}` is not a URL: {e}"
        ))),
    }
}

/// The suite from `dir`, or the built-in one, its SAML cases joined to their
/// builders; every error of every file, as one setup error (exit 2). A folder
/// of the user's own without a `cases.toml` plays the shipped battery.
pub fn load_suite(dir: Option<&std::path::Path>) -> Result<crate::scenario::Suite, SetupError> {
    let files = match dir {
        Some(d) => {
            suite_root(d)?;
            let mut files = crate::scenario::read_dir(d).map_err(scenario_errors)?;
            let has_cases = files
                .iter()
                .any(|(n, _)| n.replace('\\', "/").ends_with("/cases.toml"));
            if !has_cases {
                files.extend(
                    crate::scenario::embedded_files()
                        .into_iter()
                        .filter(|(n, _)| n.ends_with("/cases.toml")),
                );
            }
            files
        }
        None => crate::scenario::embedded_files(),
    };
    let suite = load(&files).map_err(scenario_errors)?;
    let errors = crate::saml::cases::check(&suite.cases);
    if !errors.is_empty() {
        return Err(scenario_errors(errors));
    }
    Ok(suite)
}

/// A suite folder holds the check catalogue and the client profiles; a folder without them is
/// one error naming the folder that has them (pointing at `scenarios/entra` instead of
/// `scenarios` would otherwise give an error per scenario line that names a client).
fn suite_root(dir: &std::path::Path) -> Result<(), SetupError> {
    let is_root =
        |d: &std::path::Path| d.join("checks.toml").is_file() && d.join("clients").is_dir();
    if is_root(dir) || !dir.is_dir() {
        return Ok(());
    }
    let above = dir.ancestors().skip(1).take(3).find(|d| is_root(d));
    let help = match above {
        Some(root) => format!(
            "it looks like a part of the suite in {}: point --scenarios at that folder",
            root.display()
        ),
        None => "a suite folder holds checks.toml, clients/ and the scenario files: copy idgate's scenarios/ folder and edit it".into(),
    };
    Err(SetupError::new(
        exit::SCENARIO,
        format!(
            "error: {} is not a suite folder: it has no checks.toml and no clients/\n  = help: {help}",
            dir.display()
        ),
    ))
}

/// Build a suite from `(name, text)` pairs, a request's `returns = "..."`
/// checked against the schemas idgate validates bodies with.
pub fn load(
    files: &[(String, String)],
) -> Result<crate::scenario::Suite, Vec<crate::diagnostic::Diagnostic>> {
    crate::scenario::load_with(
        files,
        &crate::scenario::Known {
            schemas: &crate::check::builtin::response_schemas(),
        },
    )
}

fn scenario_errors(errors: Vec<crate::diagnostic::Diagnostic>) -> SetupError {
    let mut text: String = errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    text.push_str(&format!(
        "\n{} error(s) in the scenario files; nothing was sent\n",
        errors.len()
    ));
    SetupError::new(exit::SCENARIO, text)
}

/// The bearer token from the environment variable `env`.
pub fn read_token(env: &str) -> Result<Secret, SetupError> {
    match std::env::var(env) {
        Ok(t) if !t.trim().is_empty() => Ok(Secret::new(t.trim())),
        _ => Err(SetupError::usage(format!(
            "error: the bearer token is read from the environment variable {env}, which is not set\n  = help: export {env}=... (or name another variable with --scim-token-env)"
        ))),
    }
}

/// The IdP key of `keys`, made on first use in a key directory.
pub fn load_idp_key(keys: &IdpKeys) -> Result<IdpKey, SetupError> {
    match keys {
        IdpKeys::Dir(dir) => IdpKey::load_or_generate(dir).map_err(|e| {
            SetupError::usage(format!(
                "error: cannot load or create the IdP key in {}: {e}",
                dir.display()
            ))
        }),
        IdpKeys::Fixtures => IdpKey::from_pem(
            include_bytes!("../../fixtures/saml/idp-key.pem"),
            include_bytes!("../../fixtures/saml/idp-cert.pem"),
        )
        .map_err(|e| SetupError::usage(format!("error: the fixture IdP key: {e}"))),
    }
}

/// The IdP with its forgers' keys, kept beside the IdP key.
pub fn load_idp(opts: &IdpOptions) -> Result<Idp, SetupError> {
    let key = load_idp_key(&opts.keys)?;
    let attack = match &opts.keys {
        IdpKeys::Dir(dir) => AttackKeys::load_or_generate(dir, &key),
        IdpKeys::Fixtures => AttackKeys::fixtures(),
    }
    .map_err(|e| SetupError::usage(format!("error: cannot make the attack keys: {e}")))?;
    let rotation = match &opts.keys {
        IdpKeys::Dir(dir) => RotationKeys::load_or_generate(dir),
        IdpKeys::Fixtures => RotationKeys::fixtures(),
    }
    .map_err(|e| SetupError::usage(format!("error: cannot make the rotation keys: {e}")))?;
    Ok(Idp {
        key,
        entity_id: opts.entity_id.clone(),
        attack,
        rotation,
    })
}

/// Where requests go and how the token is named in reproduction lines.
pub struct Target {
    pub scim: Client,
    /// Environment variable curl lines read the token from.
    pub token_env: String,
    /// The SAML SP and idgate's IdP, when an SP is tested.
    pub saml: Option<SamlSide>,
}

/// The service provider under test.
#[derive(Debug, Clone)]
pub struct SpTarget {
    pub acs_url: String,
    /// The SP's entity ID, written into every AudienceRestriction.
    pub audience: String,
    /// A page that tells who is logged in, read with the cookies the ACS set.
    pub whoami_url: Option<String>,
    /// How that page's answer is read.
    pub whoami: WhoamiReader,
    /// SP-initiated login: each case first GETs this URL, and its Response
    /// answers the AuthnRequest found in the redirect (InResponseTo).
    pub login_url: Option<String>,
    /// Clock skew the SP allows; timing cases sit just inside and outside it.
    pub skew: time::Duration,
    /// `skew` is known; without it the timing cases use the measured tolerance.
    pub skew_given: bool,
    /// The most tolerance a clock measurement may find and pass.
    pub max_skew: time::Duration,
    /// The SP declares that it requires signed Assertions (metadata WantAssertionsSigned).
    pub want_assertions_signed: bool,
    /// The SP declares that it signs its AuthnRequests (metadata AuthnRequestsSigned).
    pub authn_requests_signed: bool,
    /// The SP was given idgate's certificate-rotation metadata: the cases that need it play.
    pub rotation: bool,
    /// The user every valid response logs in.
    pub name_id: String,
    /// The SP profile the cases are judged under (`--saml-sp-profile`).
    pub profile: Option<String>,
}

/// The SAML side of a target: the SP, idgate's IdP, and a client that treats
/// redirects as answers (an ACS often redirects after login) and posts each
/// message on a new connection, as a fresh browser would.
pub struct SamlSide {
    pub sp: SpTarget,
    pub idp: Idp,
    http: Client,
    /// Where a failed case's Response is saved (`reports/saml/`): its curl line posts the
    /// file instead of holding hundreds of kilobytes of base64.
    pub payloads: Option<PathBuf>,
}

impl SamlSide {
    pub fn new(sp: SpTarget, idp: Idp, http: Client) -> SamlSide {
        SamlSide {
            sp,
            idp,
            http,
            payloads: None,
        }
    }

    /// Save failed cases' payloads under `dir`.
    pub fn with_payloads(mut self, dir: Option<PathBuf>) -> SamlSide {
        self.payloads = dir;
        self
    }

    /// The client that posts to the SP.
    pub fn http_client(&self) -> &Client {
        &self.http
    }
}

/// The options of the client that talks to an SP.
pub fn saml_client_options(timeout: Duration) -> ClientOptions {
    ClientOptions {
        timeout,
        redirects_are_errors: false,
        fresh_connections: true,
        ..ClientOptions::default()
    }
}

/// What a session must start and check, from the plan it serves.
#[derive(Debug, Clone, Default)]
pub struct Needs {
    /// A SAML case or scenario is played: load idgate's IdP keys.
    pub saml: bool,
    /// A SCIM scenario is played: a user's endpoint gets the pre-flight read first.
    pub scim: bool,
    /// The `client/scenario` runs that write (POST, PUT, PATCH, DELETE): away from this
    /// machine they need the user's consent.
    pub writing: Vec<String>,
    /// Some scenario holds a snapshot expectation.
    pub snapshots: bool,
}

/// Set to `true` to stop a run between requests (Ctrl-C); cleanup still runs.
pub type StopSignal = watch::Receiver<bool>;

/// Everything live during a run.
pub struct Session {
    pub target: Target,
    pub ledger: Mutex<Ledger>,
    pub stop: StopSignal,
    /// Kept so `stop` stays open: a dropped sender would read as an interrupt.
    stop_tx: Arc<watch::Sender<bool>>,
    /// The stop came from SIGTERM (a CI cancel, `docker stop`), not Ctrl-C.
    terminated: Arc<AtomicBool>,
    /// Why the rest of the run is skipped (a request timed out), once it is.
    gave_up: std::sync::Mutex<Option<String>>,
    pub redactor: Redactor,
    pub snapshots: SnapshotOptions,
    pub info: TargetInfo,
    /// The run's email domain and name prefix, given to every scenario.
    pub values: RunValues,
    /// Things the user should know before the run, e.g. why snapshots are off.
    pub notes: Vec<String>,
    /// What the SCIM target advertises, read on first need.
    advertised: tokio::sync::OnceCell<Advertised>,
    reference: Option<embedded::Embedded>,
}

impl Session {
    /// Start what `needs` asks of `opts`: the embedded target when no URL is
    /// given, the IdP only when a SAML case or scenario is played.
    /// A user's SCIM endpoint is written to only with consent when it is not on this
    /// machine, and gets one read first, so a setup mistake is one clear error (exit 3)
    /// rather than a page of failed checks.
    pub async fn open(opts: &Options, needs: &Needs) -> Result<Session, SetupError> {
        opts.validate()?;
        consent::check(opts, &needs.writing)?;
        let idp = if needs.saml {
            Some(load_idp(&opts.idp)?)
        } else {
            None
        };
        let transport = Transport::new(&TransportOptions {
            ca_cert: opts.ca_cert.clone(),
            ..TransportOptions::default()
        })
        .map_err(|e| SetupError::usage(format!("error: {e}")))?;

        let reference = if opts.embedded() {
            Some(embedded::start(opts, idp.as_ref()).await?)
        } else {
            None
        };
        let (base, token, token_env) = match (&opts.scim, &reference) {
            (ScimTarget::Endpoint(s), _) => (
                s.url.trim_end_matches('/').to_string(),
                read_token(&s.token_env)?,
                s.token_env.clone(),
            ),
            (ScimTarget::Embedded, Some(running)) => (
                running.scim_base.clone(),
                running.token.clone(),
                DEFAULT_TOKEN_ENV.to_string(),
            ),
            _ => (String::new(), Secret::new(""), DEFAULT_TOKEN_ENV.into()),
        };
        let sp = match (&opts.sp, &reference) {
            (SpChoice::Endpoint(sp), _) => Some(SpTarget {
                acs_url: sp.acs_url.clone(),
                audience: sp.audience.clone(),
                whoami_url: sp.whoami_url.clone(),
                whoami: sp.whoami.clone(),
                login_url: sp.login_url.clone(),
                skew: skew_of(opts.login.skew),
                skew_given: opts.login.skew_given,
                max_skew: skew_of(opts.login.max_skew),
                want_assertions_signed: sp.want_assertions_signed,
                authn_requests_signed: sp.authn_requests_signed,
                rotation: sp.rotation,
                name_id: opts.login.name_id.clone(),
                profile: opts.login.sp_profile.clone(),
            }),
            (SpChoice::Embedded, Some(r)) => Some(SpTarget {
                acs_url: r.acs_url.clone(),
                audience: r.audience.clone(),
                whoami_url: Some(r.whoami_url.clone()),
                whoami: WhoamiReader::default(),
                login_url: None,
                skew: skew_of(opts.login.skew),
                // The embedded SP allows the skew it was started with.
                skew_given: true,
                max_skew: skew_of(opts.login.max_skew),
                want_assertions_signed: false,
                authn_requests_signed: false,
                // It trusts the keys of idgate's rotation metadata, as if given it.
                rotation: true,
                name_id: opts.login.name_id.clone(),
                profile: opts.login.sp_profile.clone(),
            }),
            _ => None,
        };
        let info = TargetInfo {
            kind: if reference.is_some() {
                "embedded"
            } else {
                "external"
            }
            .into(),
            scim_base: base.clone(),
            saml_acs_url: sp.as_ref().map(|s| s.acs_url.clone()),
            faults: opts.faults.iter().map(|f| f.trim().to_string()).collect(),
        };
        let redactor = Redactor::new([token.clone(), opts.values.password.clone()]);
        let (snapshots, notes) = snapshot_options(opts, &redactor, needs.snapshots);
        let ledger = match (&opts.ledger, &opts.scim) {
            (Some(path), ScimTarget::Endpoint(_)) => {
                Ledger::open(path).map_err(|e| SetupError::usage(format!("error: {e}")))?
            }
            _ => Ledger::in_memory(),
        };
        let (stop_tx, stop) = watch::channel(false);
        let stop_tx = Arc::new(stop_tx);
        let terminated = Arc::new(AtomicBool::new(false));
        if opts.signals {
            // What finishes the job if a second signal cuts cleanup short.
            let resume = match (&opts.scim, &opts.ledger) {
                (ScimTarget::Endpoint(e), Some(ledger)) => Some(format!(
                    "idgate cleanup --scim-url {} --scim-token-env {} --ledger {}",
                    base,
                    e.token_env,
                    ledger.display()
                )),
                _ => None,
            };
            watch_signals(Arc::clone(&stop_tx), Arc::clone(&terminated), resume);
        }
        let scim = Client::on(
            transport.clone(),
            &base,
            token,
            ClientOptions {
                timeout: opts.timeout,
                ..ClientOptions::default()
            },
        );
        let saml = sp.zip(idp).map(|(sp, idp)| {
            let http = Client::on(
                transport,
                "",
                Secret::new(""),
                saml_client_options(opts.timeout),
            );
            SamlSide::new(sp, idp, http).with_payloads(opts.payloads.clone())
        });
        let session = Session {
            target: Target {
                scim,
                token_env,
                saml,
            },
            ledger: Mutex::new(ledger),
            stop,
            stop_tx,
            terminated,
            gave_up: std::sync::Mutex::new(None),
            redactor,
            snapshots,
            info,
            values: opts.values.clone(),
            notes,
            advertised: tokio::sync::OnceCell::new(),
            reference,
        };
        if let ScimTarget::Endpoint(e) = &opts.scim
            && needs.scim
            && let Err(err) = preflight::check(&session.target.scim, &e.token_env).await
        {
            session.close().await;
            return Err(err);
        }
        Ok(session)
    }

    /// A session around targets made elsewhere (a test's stub server, an
    /// embedder's own clients): ledger in memory, no signals, snapshots off.
    pub fn with_target(target: Target) -> Session {
        let (stop_tx, stop) = watch::channel(false);
        let info = TargetInfo {
            kind: "external".into(),
            scim_base: target.scim.base().to_string(),
            saml_acs_url: target.saml.as_ref().map(|s| s.sp.acs_url.clone()),
            faults: Vec::new(),
        };
        let values = RunValues::default();
        Session {
            redactor: Redactor::new([target.scim.token().clone(), values.password.clone()]),
            target,
            ledger: Mutex::new(Ledger::in_memory()),
            stop,
            stop_tx: Arc::new(stop_tx),
            terminated: Arc::new(AtomicBool::new(false)),
            gave_up: std::sync::Mutex::new(None),
            snapshots: SnapshotOptions::default(),
            info,
            values,
            notes: Vec::new(),
            advertised: tokio::sync::OnceCell::new(),
            reference: None,
        }
    }

    /// What the SCIM target advertises in /ServiceProviderConfig, read once.
    pub async fn advertised(&self) -> &Advertised {
        self.advertised
            .get_or_init(|| Advertised::read(&self.target.scim))
            .await
    }

    /// Whether the targets are idgate's own, started for this run.
    pub fn embedded(&self) -> bool {
        self.reference.is_some()
    }

    /// Whether the run was asked to stop (Ctrl-C).
    pub fn stopped(&self) -> bool {
        *self.stop.borrow()
    }

    /// Skip the rest of the run, with `reason` (the first reason given stays).
    pub fn give_up(&self, reason: String) {
        let mut g = self.gave_up.lock().unwrap_or_else(|p| p.into_inner());
        if g.is_none() {
            *g = Some(reason);
        }
    }

    /// Why the rest of the run is skipped, if it is.
    pub fn gave_up(&self) -> Option<String> {
        self.gave_up
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Whether the stop came from SIGTERM.
    pub fn terminated(&self) -> bool {
        self.terminated.load(Ordering::SeqCst)
    }

    /// Ask the run to stop between requests, as Ctrl-C does.
    pub fn request_stop(&self) {
        let _ = self.stop_tx.send(true);
    }

    /// Stop the embedded target, if one runs.
    pub async fn close(self) {
        if let Some(r) = self.reference {
            r.stop().await;
        }
    }
}

fn skew_of(d: Duration) -> time::Duration {
    time::Duration::seconds(d.as_secs().min(i64::MAX as u64) as i64)
}

/// The shipped snapshots record idgate's own reference target; another target
/// is only compared with snapshots its user recorded in their copy of the scenarios.
fn snapshot_options(
    opts: &Options,
    redactor: &Redactor,
    has_snapshots: bool,
) -> (SnapshotOptions, Vec<String>) {
    let foreign = !opts.only_embedded() && !opts.snapshots.own_scenarios;
    let mut notes = Vec::new();
    if opts.snapshots.compare && foreign && has_snapshots {
        notes.push(
            "note: the shipped snapshots record idgate's reference target, so they are not compared with yours; to snapshot your target, copy scenarios/ and run with --scenarios DIR --update-snapshots".into(),
        );
    }
    let mode = if !opts.snapshots.compare || foreign {
        SnapshotMode::Off
    } else if opts.snapshots.update {
        SnapshotMode::Update
    } else {
        SnapshotMode::Review
    };
    (
        SnapshotOptions {
            mode,
            embedded: !opts.snapshots.own_scenarios,
            redactor: redactor.clone(),
        },
        notes,
    )
}

/// Ctrl-C or SIGTERM (what a CI cancel, `docker stop`, Kubernetes and systemd send) stops the
/// run between requests, so each scenario deletes what it created and the reports are
/// written. A second signal quits at once, saying how to finish the cleanup.
fn watch_signals(
    stop: Arc<watch::Sender<bool>>,
    terminated: Arc<AtomicBool>,
    resume: Option<String>,
) {
    tokio::spawn(async move {
        let Some(first) = next_signal().await else {
            return;
        };
        terminated.store(first == "SIGTERM", Ordering::SeqCst);
        eprintln!(
            "\n{first}: finishing cleanup of what this run created (a second signal quits now)"
        );
        let _ = stop.send(true);
        if next_signal().await.is_some() {
            match &resume {
                Some(line) => eprintln!(
                    "stopped before cleanup finished: what this run created may still be on the target; finish with:\n  {line}"
                ),
                None => eprintln!("stopped before cleanup finished"),
            }
            std::process::exit(exit::ABORTED as i32);
        }
    });
}

/// The next SIGINT or SIGTERM, by name; `None` if they cannot be watched.
async fn next_signal() -> Option<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).ok()?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.ok().map(|_| "interrupted"),
            _ = term.recv() => Some("SIGTERM"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.ok().map(|_| "interrupted")
    }
}
