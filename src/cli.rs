//! The command line: commands, options, and the exit-code table a CI gate reads.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tokio::sync::{Mutex, watch};

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::redact::{Redactor, Secret};
use crate::reference::{self, Fault, ReferenceOptions};
use crate::report;
use crate::result::{RunResult, TargetInfo};
use crate::run::{self, Ledger, Target};
use crate::scenario::{self, Suite};
use crate::scim::{ClientOptions, ScimClient};

/// `println!` that shrugs at a closed stdout (`idgate saml cases | head`)
/// instead of panicking.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// Exit codes, the contract with CI.
pub mod exit {
    /// Every check passed.
    pub const OK: u8 = 0;
    /// Bad command line or configuration (unknown flag, missing token, unknown client).
    pub const USAGE: u8 = 1;
    /// A scenario, client or catalogue file does not parse or refers to something unknown.
    pub const SCENARIO: u8 = 2;
    /// The target could not be reached or answered unusably (timeout, TLS, redirect).
    pub const RUNTIME: u8 = 3;
    /// At least one check failed.
    pub const CHECK_FAILED: u8 = 4;
    /// Stopped by Ctrl-C, after deleting what the run had created.
    pub const INTERRUPTED: u8 = 130;
}

#[derive(Parser, Debug)]
#[command(
    name = "idgate",
    version,
    about = "Proves a SCIM 2.0 endpoint survives Microsoft Entra ID's provisioning, check by check"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Replay the suites against a target (idgate's reference target when no --scim-url is given).
    Run(Box<RunArgs>),
    /// List every scenario and check with its id, tags and the rule it enforces.
    List(ListArgs),
    /// Run the reference SCIM target alone, for trying idgate or another tool against it.
    Serve(ServeArgs),
    /// Delete resources an interrupted run left on a target (from the ledger).
    Cleanup(CleanupArgs),
    /// The test SAML IdP: its certificate and metadata for the SP admin, its cases.
    #[command(subcommand)]
    Saml(SamlCommand),
    /// Review, accept or reject the pending snapshots (`.snap.new`) a run wrote.
    #[command(subcommand)]
    Snapshots(SnapshotsCommand),
}

/// Pending snapshots live beside the accepted ones, under `--scenarios DIR`
/// (or `./scenarios` for the built-in suite).
#[derive(Subcommand, Debug)]
pub enum SnapshotsCommand {
    /// List pending snapshots with their diffs, and snapshots no scenario references any more.
    Review(SnapshotsArgs),
    /// Accept pending snapshots: each `.snap.new` becomes the `.snap`.
    Accept(SnapshotPick),
    /// Reject pending snapshots: delete the `.snap.new` files.
    Reject(SnapshotPick),
}

#[derive(Args, Debug)]
pub struct SnapshotsArgs {
    /// The scenario directory whose snapshots to look at (default: the built-in suite, with
    /// its snapshots under ./scenarios).
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct SnapshotPick {
    /// Only this snapshot: its name (every client's), `<scenario>__<client>__<name>`, or its path.
    pub name: Option<String>,
    #[command(flatten)]
    pub dir: SnapshotsArgs,
}

#[derive(Args, Debug, Clone)]
pub struct IdpArgs {
    /// Where the IdP's key and certificate live; created with openssl on first use.
    #[arg(
        long,
        env = "IDGATE_SAML_KEY_DIR",
        default_value = ".idgate/saml",
        value_name = "DIR"
    )]
    pub key_dir: PathBuf,
    /// The IdP's entity ID, the Issuer of its Responses.
    #[arg(long, default_value = crate::saml::DEFAULT_ENTITY_ID, value_name = "URL")]
    pub entity_id: String,
    /// The IdP sign-in URL an SP admin enters (SP-initiated logins are sent there).
    #[arg(long, default_value = crate::saml::DEFAULT_SIGN_IN_URL, value_name = "URL")]
    pub sign_in_url: String,
}

#[derive(Subcommand, Debug)]
pub enum SamlCommand {
    /// Print the IdP's signing certificate.
    Cert {
        #[arg(long, value_enum, default_value_t = CertFormat::Pem)]
        format: CertFormat,
        #[command(flatten)]
        idp: IdpArgs,
    },
    /// Print the IdP metadata XML, and the values an SP admin pastes in.
    Metadata {
        #[command(flatten)]
        idp: IdpArgs,
    },
    /// List every case of the battery with its group and what a correct SP does.
    Cases,
    /// Print one case's Response, as XML or (--base64) as posted.
    Emit {
        /// A case id, e.g. saml.valid or saml.xsw3.
        case: String,
        #[arg(
            long,
            default_value = "https://sp.example.test/acs",
            value_name = "URL"
        )]
        acs_url: String,
        #[arg(
            long,
            default_value = "https://sp.example.test",
            value_name = "ENTITY_ID"
        )]
        audience: String,
        #[arg(long, default_value = "alice@example.com", value_name = "NAME_ID")]
        name_id: String,
        /// Print the SAMLResponse form value(s), one per post, instead of the XML.
        #[arg(long)]
        base64: bool,
        #[command(flatten)]
        idp: IdpArgs,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum CertFormat {
    Pem,
    Der,
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// Environment variable holding the bearer token (never passed as a flag).
    #[arg(long, default_value = "IDGATE_SCIM_TOKEN", value_name = "NAME")]
    pub scim_token_env: String,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// SCIM base URL of the target, e.g. https://staging.example.test/scim/v2.
    #[arg(long, env = "IDGATE_SCIM_URL", value_name = "URL")]
    pub scim_url: Option<String>,
    #[command(flatten)]
    pub token: TokenArgs,
    /// Whose requests to replay: `entra` (both dialects), `entra-legacy`, `entra-2020`. Repeatable.
    #[arg(long = "client", value_name = "NAME", default_value = "entra")]
    pub clients: Vec<String>,
    /// Only scenarios with this tag. Repeatable.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Leave out scenarios with this name or tag. Repeatable.
    #[arg(long = "skip", value_name = "NAME_OR_TAG")]
    pub skip: Vec<String>,
    /// Play a failed scenario again up to N times; a pass on a retry is reported as flaky.
    #[arg(long, default_value_t = 0, env = "IDGATE_RETRIES", value_name = "N")]
    pub retries: u32,
    /// Play this many scenarios at once (each creates and deletes only its own resources).
    #[arg(
        long,
        short = 'j',
        default_value_t = 1,
        env = "IDGATE_JOBS",
        value_name = "N"
    )]
    pub jobs: usize,
    /// Stop after the first scenario that fails (cleanup still runs).
    #[arg(long, env = "IDGATE_FAIL_FAST")]
    pub fail_fast: bool,
    /// The configuration file with `[profile.NAME]` tables.
    #[arg(
        long,
        default_value = "idgate.toml",
        env = "IDGATE_CONFIG",
        value_name = "FILE"
    )]
    pub config: PathBuf,
    /// The profile of the configuration file to use (over `[profile.default]`).
    #[arg(
        long,
        default_value = "default",
        env = "IDGATE_PROFILE",
        value_name = "NAME"
    )]
    pub profile: String,
    /// Switch on a fault in the embedded reference target (see `idgate serve --list-faults`).
    #[arg(long = "fault", value_name = "NAME", conflicts_with = "scim_url")]
    pub faults: Vec<String>,
    /// Load scenarios from this directory instead of the ones built in.
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
    /// Where junit.xml, report.json and the ledger are written.
    #[arg(long, default_value = "reports", value_name = "DIR")]
    pub reports: PathBuf,
    /// Also write the HTML compliance report into this directory (it is always written to --reports).
    #[arg(long, value_name = "DIR")]
    pub report_html: Option<PathBuf>,
    /// Write a short Markdown summary here (fit for $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "FILE")]
    pub report_markdown: Option<PathBuf>,
    /// Seconds to wait for each response.
    #[arg(
        long,
        default_value_t = 30,
        env = "IDGATE_TIMEOUT",
        value_name = "SECS"
    )]
    pub timeout: u64,
    /// PEM certificate(s) of a private CA the target's TLS certificate chains to.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Print only checks that did not pass.
    #[arg(long, short)]
    pub quiet: bool,
    /// Write missing or changed snapshots as accepted `.snap` files instead of pending
    /// `.snap.new` ones, and pass. For a person at a terminal: refused when CI is set.
    #[arg(long)]
    pub update_snapshots: bool,
    #[command(flatten)]
    pub saml: SamlRunArgs,
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

/// The SAML service provider to test; without `--saml-acs-url`, the embedded one.
#[derive(Args, Debug)]
pub struct SamlRunArgs {
    /// The SP's Assertion Consumer Service URL (HTTP-POST binding).
    #[arg(
        long,
        env = "IDGATE_SAML_ACS_URL",
        value_name = "URL",
        requires = "saml_audience"
    )]
    pub saml_acs_url: Option<String>,
    /// The SP's entity ID, written into every Audience.
    #[arg(long, env = "IDGATE_SAML_AUDIENCE", value_name = "ENTITY_ID")]
    pub saml_audience: Option<String>,
    /// A URL of the SP that tells who is logged in (read with the session cookie).
    #[arg(long, value_name = "URL")]
    pub saml_whoami_url: Option<String>,
    /// SP-initiated logins: a URL of the SP that redirects to the IdP with an AuthnRequest,
    /// which each case's Response then answers (InResponseTo).
    #[arg(long, value_name = "URL")]
    pub saml_login_url: Option<String>,
    /// The clock skew the SP allows, in seconds; timing cases sit just inside and outside it.
    #[arg(long, default_value_t = 180, value_name = "SECS", value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub saml_skew: u64,
    /// The user valid responses log in.
    #[arg(long, default_value = "alice@example.com", value_name = "NAME_ID")]
    pub saml_name_id: String,
    /// Only cases whose id contains this text, e.g. `xsw`.
    #[arg(long, value_name = "TEXT")]
    pub saml_case: Option<String>,
    #[command(flatten)]
    pub idp: IdpArgs,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Switch on a named fault. Repeatable.
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Print one fault name per line and exit.
    #[arg(long)]
    pub list_faults: bool,
    #[command(flatten)]
    pub token: TokenArgs,
    /// The IdP whose Responses the reference SP trusts.
    #[command(flatten)]
    pub idp: IdpArgs,
}

#[derive(Args, Debug)]
pub struct CleanupArgs {
    #[arg(long, env = "IDGATE_SCIM_URL", value_name = "URL")]
    pub scim_url: String,
    #[command(flatten)]
    pub token: TokenArgs,
    #[arg(long, default_value = "reports/ledger.jsonl", value_name = "FILE")]
    pub ledger: PathBuf,
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    fn choice(self) -> anstream::ColorChoice {
        match self {
            Color::Auto => anstream::ColorChoice::Auto,
            Color::Always => anstream::ColorChoice::Always,
            Color::Never => anstream::ColorChoice::Never,
        }
    }
}

/// A failure before or around the run, with the exit code it maps to.
struct Failure(u8, String);

fn usage(msg: impl Into<String>) -> Failure {
    Failure(exit::USAGE, msg.into())
}

/// Parse the command line and run it; the process exit code.
pub async fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|c| (c, m)));
    let (mut cli, matches) = match parsed {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    if let (Command::Run(a), Some(m)) = (&mut cli.command, matches.subcommand_matches("run"))
        && let Err(d) = apply_profile(a, m)
    {
        eprint!("{d}");
        return ExitCode::from(exit::USAGE);
    }
    let result = match cli.command {
        Command::Run(a) => cmd_run(*a).await,
        Command::List(a) => cmd_list(a),
        Command::Serve(a) => cmd_serve(a).await,
        Command::Cleanup(a) => cmd_cleanup(a).await,
        Command::Saml(c) => cmd_saml(c),
        Command::Snapshots(c) => cmd_snapshots(c),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Failure(code, msg)) => {
            let mut err = anstream::stderr();
            use std::io::Write;
            let _ = write!(err, "{msg}");
            if !msg.ends_with('\n') {
                let _ = writeln!(err);
            }
            ExitCode::from(code)
        }
    }
}

/// Fill every `run` option the user did not give as a flag or environment
/// variable from the chosen profile of the configuration file.
fn apply_profile(a: &mut RunArgs, m: &clap::ArgMatches) -> Result<(), Diagnostic> {
    use clap::parser::ValueSource;
    let explicit = |id: &str| {
        matches!(
            m.value_source(id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        )
    };
    let p = crate::config::load(&a.config, &a.profile, explicit("config"))?;
    macro_rules! take {
        ($id:literal, $field:expr, $value:expr) => {
            if !explicit($id)
                && let Some(v) = $value
            {
                $field = v;
            }
        };
    }
    take!("scim_url", a.scim_url, p.scim_url.map(Some));
    take!("scim_token_env", a.token.scim_token_env, p.scim_token_env);
    take!("clients", a.clients, p.client);
    take!("tags", a.tags, p.tag);
    take!("skip", a.skip, p.skip);
    take!("scenarios", a.scenarios, p.scenarios.map(Some));
    take!("reports", a.reports, p.reports);
    take!("report_html", a.report_html, p.report_html.map(Some));
    take!(
        "report_markdown",
        a.report_markdown,
        p.report_markdown.map(Some)
    );
    take!("timeout", a.timeout, p.timeout);
    take!("retries", a.retries, p.retries);
    take!("fail_fast", a.fail_fast, p.fail_fast);
    take!("quiet", a.quiet, p.quiet);
    take!(
        "saml_acs_url",
        a.saml.saml_acs_url,
        p.saml_acs_url.map(Some)
    );
    take!(
        "saml_audience",
        a.saml.saml_audience,
        p.saml_audience.map(Some)
    );
    take!(
        "saml_whoami_url",
        a.saml.saml_whoami_url,
        p.saml_whoami_url.map(Some)
    );
    take!(
        "saml_login_url",
        a.saml.saml_login_url,
        p.saml_login_url.map(Some)
    );
    take!("saml_skew", a.saml.saml_skew, p.saml_skew);
    take!("key_dir", a.saml.idp.key_dir, p.key_dir);
    if a.saml.saml_acs_url.is_some() && a.saml.saml_audience.is_none() {
        return Err(Diagnostic::new(
            "a SAML ACS URL needs the SP's entity ID too (--saml-audience or saml-audience in the profile)",
        ));
    }
    take!("jobs", a.jobs, p.jobs);
    Ok(())
}

fn load_suite(dir: Option<&Path>) -> Result<Suite, Failure> {
    scenario::load_suite(dir).map_err(|errors| {
        let mut text: String = errors
            .iter()
            .map(Diagnostic::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        text.push_str(&format!(
            "\n{} error(s) in the scenario files; nothing was sent\n",
            errors.len()
        ));
        Failure(exit::SCENARIO, text)
    })
}

fn parse_faults(names: &[String]) -> Result<Vec<Fault>, Failure> {
    names
        .iter()
        .map(|n| n.parse::<Fault>().map_err(|e| usage(format!("error: {e}"))))
        .collect()
}

fn read_token(env: &str) -> Result<Secret, Failure> {
    match std::env::var(env) {
        Ok(t) if !t.trim().is_empty() => Ok(Secret::new(t.trim())),
        _ => Err(usage(format!(
            "error: the bearer token is read from the environment variable {env}, which is not set\n  = help: export {env}=... (or name another variable with --scim-token-env)"
        ))),
    }
}

/// `entra` → both Entra dialects; every name must be a client of the suite.
fn expand_clients(suite: &Suite, names: &[String]) -> Result<Vec<String>, Failure> {
    let mut out = Vec::new();
    for name in names {
        let group: Vec<String> = suite
            .clients
            .keys()
            .filter(|c| *c == name || c.starts_with(&format!("{name}-")))
            .cloned()
            .collect();
        if group.is_empty() {
            let mut known: Vec<&str> = suite.clients.keys().map(String::as_str).collect();
            known.push("entra");
            return Err(usage(format!(
                "error: unknown client `{name}`\n  = help: {}",
                did_you_mean(name, &known)
            )));
        }
        for c in group {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    Ok(out)
}

/// Whether this runs in CI: the `CI` environment variable is set (and not `false` or `0`).
fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Where snapshots are written and looked for: beside the scenarios, and for the
/// built-in suite under `./scenarios` (read from the binary when absent there).
fn snapshot_root(scenarios: Option<&Path>) -> PathBuf {
    scenarios.map_or_else(|| PathBuf::from("scenarios"), Path::to_path_buf)
}

async fn cmd_run(a: RunArgs) -> Result<u8, Failure> {
    if a.update_snapshots && in_ci() {
        return Err(usage(
            "error: --update-snapshots is refused because CI is set: nothing is accepted automatically in CI\n  = help: a failed snapshot leaves a .snap.new file; review it at a terminal with `idgate snapshots review`, or run --update-snapshots there",
        ));
    }
    let mut suite = load_suite(a.scenarios.as_deref())?;
    suite.checks.extend(
        run::saml::catalogue()
            .into_iter()
            .map(|m| (m.id.clone(), m)),
    );
    let clients = expand_clients(&suite, &a.clients)?;
    let faults = parse_faults(&a.faults)?;
    let opts = ClientOptions {
        timeout: Duration::from_secs(a.timeout.max(1)),
        ..ClientOptions::default()
    };
    // A SAML target alone means a SAML-only run; no target at all means everything, embedded.
    let saml_only = a.scim_url.is_none() && a.saml.saml_acs_url.is_some();
    if !faults.is_empty() && (a.scim_url.is_some() || saml_only) {
        return Err(usage(
            "error: --fault switches on a fault of idgate's embedded target, which does not run when a target URL is given",
        ));
    }
    for (flag, url) in [
        ("--scim-url", &a.scim_url),
        ("--saml-acs-url", &a.saml.saml_acs_url),
    ] {
        if let Some(url) = url {
            check_url(flag, url)?;
        }
    }

    // The IdP's key is needed up front: the embedded SP must trust its certificate.
    let idp = load_idp(&a.saml.idp)?;

    // The embedded reference target, unless URLs were given.
    let embedded = if a.scim_url.is_none() && !saml_only {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let running = reference::start(ReferenceOptions {
            token: token.clone(),
            faults: faults.clone(),
            saml: reference::SpOptions {
                idp_entity_id: idp.entity_id.clone(),
                idp_cert_pem: idp.key.cert_pem(),
                idp_sign_in_url: Some(a.saml.idp.sign_in_url.clone()),
                skew: Duration::from_secs(a.saml.saml_skew),
                ..reference::SpOptions::default()
            },
            ..ReferenceOptions::default()
        })
        .await
        .map_err(|e| {
            Failure(
                exit::RUNTIME,
                format!("error: cannot start the reference target: {e}"),
            )
        })?;
        Some((running, Secret::new(token)))
    } else {
        None
    };
    let (base, token) = match (&a.scim_url, &embedded) {
        (Some(url), _) => {
            if !url.starts_with("http://") && !url.starts_with("https://") {
                return Err(usage(format!(
                    "error: --scim-url `{url}` is not an http(s) URL"
                )));
            }
            (
                Some(url.trim_end_matches('/').to_string()),
                read_token(&a.token.scim_token_env)?,
            )
        }
        (None, Some((running, token))) => (Some(running.scim_base.clone()), token.clone()),
        (None, None) => (None, Secret::new("")),
    };
    let sp = saml_target(&a.saml, embedded.as_ref().map(|(r, _)| r))?;
    let info = TargetInfo {
        kind: if embedded.is_some() {
            "embedded"
        } else {
            "external"
        }
        .into(),
        scim_base: base.clone().unwrap_or_default(),
        saml_acs_url: sp.as_ref().map(|s| s.acs_url.clone()),
        faults: faults.iter().map(|f| f.name().to_string()).collect(),
    };
    let redactor = Redactor::new([token.clone()]);
    // The shipped snapshots record idgate's own reference target; another target
    // is only compared with snapshots its user recorded in their copy of the scenarios.
    let foreign_target = embedded.is_none() && a.scenarios.is_none();
    if foreign_target
        && !suite.scenarios.iter().all(|s| {
            s.steps
                .iter()
                .all(|st| st.expects.iter().all(|x| x.snapshot.is_none()))
        })
    {
        eprintln!(
            "note: the shipped snapshots record idgate's reference target, so they are not compared with yours; to snapshot your target, copy scenarios/ and run with --scenarios DIR --update-snapshots"
        );
    }
    suite.snapshots = scenario::SnapshotOptions {
        mode: if foreign_target {
            scenario::SnapshotMode::Off
        } else if a.update_snapshots {
            scenario::SnapshotMode::Update
        } else {
            scenario::SnapshotMode::Review
        },
        embedded: a.scenarios.is_none(),
        redactor: redactor.clone(),
    };

    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "\ninterrupted: finishing cleanup of what this run created (Ctrl-C again to quit now)"
            );
            let _ = stop_tx.send(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(exit::INTERRUPTED as i32);
            }
        }
    });

    let mut terminal = report::terminal::Terminal::new(redactor.clone(), a.color.choice());
    terminal.verbose = !a.quiet;
    let started_at = now();
    let saml = sp.map(|sp| run::saml::SamlSide::new(sp, idp));
    let mut clients = if base.is_some() { clients } else { Vec::new() };
    if saml.is_some() {
        clients.push(scenario::SAML_CLIENT.to_string());
    }
    let scim = ScimClient::new(
        base.as_deref().unwrap_or(""),
        token,
        a.ca_cert.as_deref(),
        opts,
    )
    .map_err(|e| usage(format!("error: {e}")))?;
    let target = Target {
        scim,
        token_env: a.token.scim_token_env.clone(),
        saml,
    };
    let ledger = if base.is_none() || embedded.is_some() {
        Ledger::in_memory()
    } else {
        Ledger::open(&a.reports.join("ledger.jsonl")).map_err(|e| usage(format!("error: {e}")))?
    };
    let ledger = Mutex::new(ledger);
    let pairs = run::plan(&suite, &clients, &a.tags, &a.skip);
    terminal.progress(pairs.len() as u64 + u64::from(target.saml.is_some()));
    let mut scenarios = run::run_plan(
        &suite,
        &pairs,
        &target,
        &ledger,
        &stop_rx,
        &mut terminal,
        run::PlanOptions {
            retries: a.retries,
            fail_fast: a.fail_fast,
            jobs: a.jobs,
        },
    )
    .await;
    // The battery is the scenario `saml-battery`, tagged `saml`, for --tag and --skip.
    let battery_selected = (a.tags.is_empty() || a.tags.iter().any(|t| t == "saml"))
        && !a.skip.iter().any(|s| s == "saml" || s == "saml-battery");
    let failed_fast = a.fail_fast && scenarios.iter().any(|s| s.failed());
    if let Some(side) = &target.saml
        && battery_selected
        && !failed_fast
        && !*stop_rx.borrow()
    {
        scenarios.push(
            run::saml::run_battery(side, a.saml.saml_case.as_deref(), &stop_rx, &mut terminal)
                .await,
        );
    }
    if scenarios.is_empty() {
        return Err(usage(
            "error: no scenario matches the chosen clients and tags",
        ));
    }
    let interrupted = *stop_rx.borrow();
    let run = RunResult {
        idgate_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at,
        finished_at: now(),
        target: info,
        scenarios,
        interrupted,
    };
    let written = write_reports(&run, &suite, &a, &redactor);
    terminal.summary(&run, &written);
    snapshot_notes(&suite, &snapshot_root(a.scenarios.as_deref()));
    if let Some((r, _)) = embedded {
        r.stop().await;
    }
    Ok(run.exit_code())
}

/// The SP to test: the one named on the command line, else the embedded one (if running).
fn saml_target(
    a: &SamlRunArgs,
    embedded: Option<&reference::RunningReference>,
) -> Result<Option<run::saml::SpTarget>, Failure> {
    let (acs_url, audience, whoami_url) = match (&a.saml_acs_url, embedded) {
        (Some(acs), _) => {
            if !acs.starts_with("http://") && !acs.starts_with("https://") {
                return Err(usage(format!(
                    "error: --saml-acs-url `{acs}` is not an http(s) URL"
                )));
            }
            (
                acs.clone(),
                a.saml_audience.clone().unwrap_or_default(),
                a.saml_whoami_url.clone(),
            )
        }
        (None, Some(r)) => (
            r.saml_acs_url.clone(),
            r.saml_audience.clone(),
            Some(r.saml_whoami_url.clone()),
        ),
        (None, None) => return Ok(None),
    };
    Ok(Some(run::saml::SpTarget {
        acs_url,
        audience,
        whoami_url,
        login_url: a.saml_login_url.clone(),
        skew: time::Duration::seconds(a.saml_skew as i64),
        name_id: a.saml_name_id.clone(),
    }))
}

/// An http(s) URL without credentials in it: a user:password in a URL would
/// be printed in every report and curl line.
fn check_url(flag: &str, url: &str) -> Result<(), Failure> {
    match reqwest::Url::parse(url) {
        Ok(u) if !matches!(u.scheme(), "http" | "https") => Err(usage(format!(
            "error: {flag} `{url}` is not an http(s) URL"
        ))),
        Ok(u) if !u.username().is_empty() || u.password().is_some() => Err(usage(format!(
            "error: {flag} carries credentials; give the token in ${{IDGATE_SCIM_TOKEN}} (or --scim-token-env), never in the URL"
        ))),
        Ok(_) => Ok(()),
        Err(e) => Err(usage(format!("error: {flag} `{url}` is not a URL: {e}"))),
    }
}

/// The IdP key (from the key directory) and the keys its forgeries use.
fn load_idp(a: &IdpArgs) -> Result<run::saml::Idp, Failure> {
    let key = load_idp_key(a)?;
    let fail =
        |e: crate::saml::SamlError| usage(format!("error: cannot make the attack keys: {e}"));
    Ok(run::saml::Idp {
        attacker: crate::saml::IdpKey::generate("idgate attacker").map_err(fail)?,
        cloned: crate::saml::IdpKey::clone_of(&key).map_err(fail)?,
        key,
        entity_id: a.entity_id.clone(),
    })
}

/// Every report file of a run, all from the same result tree; returns what was written.
fn write_reports(run: &RunResult, suite: &Suite, a: &RunArgs, redactor: &Redactor) -> Vec<String> {
    let mut written = Vec::new();
    let mut write = |path: PathBuf, text: &str| {
        if let Some(dir) = path.parent()
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            eprintln!("warning: cannot create {}: {e}", dir.display());
            return;
        }
        match std::fs::write(&path, text) {
            Ok(()) => written.push(path.display().to_string()),
            Err(e) => eprintln!("warning: cannot write {}: {e}", path.display()),
        }
    };
    let html = report::html::render(run, &suite.checks, redactor);
    write(
        a.reports.join("junit.xml"),
        &report::junit::render(run, redactor),
    );
    write(
        a.reports.join("report.json"),
        &report::json::render(run, redactor),
    );
    write(a.reports.join("report.html"), &html);
    if let Some(dir) = &a.report_html {
        write(dir.join("report.html"), &html);
    }
    let markdown = report::markdown::render(run, &suite.checks, redactor);
    if let Some(file) = &a.report_markdown {
        write(file.clone(), &markdown);
    }
    // In GitHub Actions, failures become annotations on the scenario lines and
    // the summary goes to the job page.
    if std::env::var_os("GITHUB_ACTIONS").is_some() {
        for line in report::markdown::github_annotations(run, redactor) {
            out!("{line}");
        }
        if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY") {
            use std::io::Write as _;
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(summary)
            {
                let _ = writeln!(f, "{markdown}");
            }
        }
    }
    written
}

/// After a run: the snapshots waiting for review and those nothing records any more.
fn snapshot_notes(suite: &Suite, root: &Path) {
    use crate::check::snapshot;
    let pending = snapshot::pending(root);
    for p in &pending {
        eprintln!("pending snapshot: {}", p.new.display());
    }
    if !pending.is_empty() {
        eprintln!(
            "  = help: `idgate snapshots review` shows them; `idgate snapshots accept` or `reject` settles them"
        );
    }
    for p in snapshot::unreferenced(suite, root) {
        eprintln!("warning: unreferenced snapshot: {}", p.display());
    }
}

fn cmd_snapshots(c: SnapshotsCommand) -> Result<u8, Failure> {
    use crate::check::snapshot;
    let (args, pick) = match &c {
        SnapshotsCommand::Review(a) => (a, None),
        SnapshotsCommand::Accept(p) | SnapshotsCommand::Reject(p) => (&p.dir, p.name.as_deref()),
    };
    let root = snapshot_root(args.scenarios.as_deref());
    let embedded = args.scenarios.is_none();
    let all = snapshot::pending(&root);
    let chosen: Vec<&snapshot::Pending> = match pick {
        None => all.iter().collect(),
        Some(name) => {
            let chosen: Vec<_> = all.iter().filter(|p| p.is_named(name)).collect();
            if chosen.is_empty() {
                // Both spellings a person might mean: `read-user` and `users__entra-2020__read-user`.
                let mut known: Vec<String> = all.iter().map(snapshot::Pending::stem).collect();
                known.extend(
                    all.iter()
                        .filter_map(|p| p.stem().rsplit("__").next().map(String::from)),
                );
                known.sort();
                known.dedup();
                let names: Vec<&str> = known.iter().map(String::as_str).collect();
                let help = if names.is_empty() {
                    format!("there are no pending snapshots under {}", root.display())
                } else {
                    did_you_mean(name, &names)
                };
                return Err(usage(format!(
                    "error: no pending snapshot is named `{name}`\n  = help: {help}"
                )));
            }
            chosen
        }
    };
    match c {
        SnapshotsCommand::Review(_) => {
            let suite = load_suite(args.scenarios.as_deref())?;
            for p in &chosen {
                out!("pending snapshot: {}", p.new.display());
                match p.review(embedded) {
                    Ok(text) => out!("{text}\n"),
                    Err(e) => out!("  cannot read it: {e}\n"),
                }
            }
            let unreferenced = snapshot::unreferenced(&suite, &root);
            for p in &unreferenced {
                out!("unreferenced snapshot: {}", p.display());
            }
            if !unreferenced.is_empty() {
                out!("  = help: no scenario records these any more; delete them\n");
            }
            if chosen.is_empty() {
                out!("no pending snapshots under {}", root.display());
            } else {
                out!(
                    "{} pending snapshot(s): `idgate snapshots accept [NAME]` keeps them, `idgate snapshots reject [NAME]` drops them",
                    chosen.len()
                );
            }
        }
        SnapshotsCommand::Accept(_) | SnapshotsCommand::Reject(_) => {
            let accept = matches!(c, SnapshotsCommand::Accept(_));
            if chosen.is_empty() {
                out!("no pending snapshots under {}", root.display());
            }
            let mut failed = false;
            for p in chosen {
                let (done, verb) = if accept {
                    (p.accept(), "accepted")
                } else {
                    (p.reject(), "rejected")
                };
                match done {
                    Ok(()) if accept => out!("{verb} {}", p.accepted.display()),
                    Ok(()) => out!("{verb} {}", p.new.display()),
                    Err(e) => {
                        eprintln!("error: cannot settle {}: {e}", p.new.display());
                        failed = true;
                    }
                }
            }
            if failed {
                return Ok(exit::RUNTIME);
            }
        }
    }
    Ok(exit::OK)
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn cmd_list(a: ListArgs) -> Result<u8, Failure> {
    let mut suite = load_suite(a.scenarios.as_deref())?;
    suite.checks.extend(
        run::saml::catalogue()
            .into_iter()
            .map(|m| (m.id.clone(), m)),
    );
    out!("SCENARIOS");
    for s in &suite.scenarios {
        out!("  {:<28} {}", s.name, s.description);
        out!(
            "  {:<28} file: {}  clients: {}  tags: {}",
            "",
            s.file,
            s.clients.join(", "),
            s.tags.join(", ")
        );
    }
    out!("\nCLIENTS");
    for c in suite.clients.values() {
        out!("  {:<28} {}", c.name, c.description);
    }
    out!("\nCHECKS");
    for c in suite.checks.values() {
        let kind = if c.builtin { " (every response)" } else { "" };
        out!(
            "  {:<46} {:<8} {}{kind}",
            c.id,
            c.severity.as_str(),
            c.title
        );
        out!("  {:<46} {:<8} rule: {}", "", "", c.rule);
    }
    Ok(exit::OK)
}

async fn cmd_serve(a: ServeArgs) -> Result<u8, Failure> {
    if a.list_faults {
        for f in Fault::ALL {
            out!("{}", f.name());
        }
        return Ok(exit::OK);
    }
    let faults = parse_faults(&a.faults)?;
    let token = read_token(&a.token.scim_token_env)?;
    let running = reference::start(ReferenceOptions {
        addr: ([127, 0, 0, 1], a.port).into(),
        token: token.expose().to_string(),
        faults: faults.clone(),
        saml: reference::SpOptions {
            idp_entity_id: a.idp.entity_id.clone(),
            idp_cert_pem: load_idp_key(&a.idp)?.cert_pem(),
            idp_sign_in_url: Some(a.idp.sign_in_url.clone()),
            ..reference::SpOptions::default()
        },
    })
    .await
    .map_err(|e| {
        Failure(
            exit::RUNTIME,
            format!("error: cannot listen on 127.0.0.1:{}: {e}", a.port),
        )
    })?;
    out!("{}", running.scim_base);
    eprintln!(
        "reference SAML SP: ACS {} (audience {}), whoami {}, login {}; it trusts the IdP key in {}",
        running.saml_acs_url,
        running.saml_audience,
        running.saml_whoami_url,
        running.saml_login_url,
        a.idp.key_dir.display()
    );
    eprintln!(
        "idgate reference SCIM target on {} (bearer token from ${}; faults: {}). Ctrl-C stops it.",
        running.scim_base,
        a.token.scim_token_env,
        if faults.is_empty() {
            "none".to_string()
        } else {
            faults
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    let _ = tokio::signal::ctrl_c().await;
    running.stop().await;
    Ok(exit::OK)
}

async fn cmd_cleanup(a: CleanupArgs) -> Result<u8, Failure> {
    let token = read_token(&a.token.scim_token_env)?;
    let ledger = Ledger::open(&a.ledger).map_err(|e| usage(format!("error: {e}")))?;
    let base = a.scim_url.trim_end_matches('/').to_string();
    let pending = ledger.pending(&base).len();
    if pending == 0 {
        out!(
            "nothing to clean up on {base} (ledger {})",
            a.ledger.display()
        );
        return Ok(exit::OK);
    }
    let scim = ScimClient::new(&base, token, a.ca_cert.as_deref(), ClientOptions::default())
        .map_err(|e| usage(format!("error: {e}")))?;
    let target = Target {
        scim,
        token_env: a.token.scim_token_env,
        saml: None,
    };
    let ledger = Mutex::new(ledger);
    let results = run::cleanup(&target, &ledger, &base, None).await;
    let mut failed = 0;
    for r in &results {
        out!(
            "{:<13} {}/{}{}",
            r.outcome,
            r.kind,
            r.id,
            r.detail
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        );
        failed += usize::from(r.outcome == "failed");
    }
    Ok(if failed > 0 { exit::RUNTIME } else { exit::OK })
}

fn load_idp_key(a: &IdpArgs) -> Result<crate::saml::IdpKey, Failure> {
    crate::saml::IdpKey::load_or_generate(&a.key_dir).map_err(|e| {
        usage(format!(
            "error: cannot load or create the IdP key in {}: {e}",
            a.key_dir.display()
        ))
    })
}

fn cmd_saml(c: SamlCommand) -> Result<u8, Failure> {
    use crate::saml::{cases, metadata};
    use std::io::Write;
    match c {
        SamlCommand::Cert { format, idp } => {
            let key = load_idp_key(&idp)?;
            let mut out = std::io::stdout();
            let _ = match format {
                CertFormat::Pem => out.write_all(key.cert_pem().as_bytes()),
                CertFormat::Der => out.write_all(&key.cert_der()),
            };
        }
        SamlCommand::Metadata { idp } => {
            let key = load_idp_key(&idp)?;
            let id = crate::saml::response::new_id();
            out!(
                "{}",
                metadata::idp_metadata(&idp.entity_id, &idp.sign_in_url, &key, &id)
            );
            let values = metadata::SpAdminValues::new(&idp.entity_id, &idp.sign_in_url, &key);
            eprintln!(
                "\nFor the SP admin:\n{values}\nCertificate file: {}",
                idp.key_dir.join(crate::saml::keys::CERT_FILE).display()
            );
        }
        SamlCommand::Cases => {
            for case in cases::all() {
                out!(
                    "{:<44} {:?}  {:<20} {}",
                    case.id,
                    case.group,
                    format!("{:?}", case.expect),
                    case.title
                );
                out!("{:<44}    changes: {}", "", case.changes);
            }
        }
        SamlCommand::Emit {
            case,
            acs_url,
            audience,
            name_id,
            base64,
            idp,
        } => {
            if cases::find(&case).is_none() {
                let ids: Vec<&str> = cases::all().iter().map(|c| c.id).collect();
                return Err(usage(format!(
                    "error: unknown case `{case}`\n  = help: {} (`idgate saml cases` lists them)",
                    did_you_mean(&case, &ids)
                )));
            }
            let key = load_idp_key(&idp)?;
            let attacker = crate::saml::IdpKey::generate("idgate attacker")
                .map_err(|e| usage(format!("error: {e}")))?;
            let cloned =
                crate::saml::IdpKey::clone_of(&key).map_err(|e| usage(format!("error: {e}")))?;
            let spec = crate::saml::ResponseSpec::new(
                &idp.entity_id,
                &acs_url,
                &audience,
                &name_id,
                time::OffsetDateTime::now_utc(),
            );
            let ctx = cases::CaseContext::new(spec, &key, &attacker, &cloned);
            let built = cases::build(&case, &ctx).map_err(|e| usage(format!("error: {e}")))?;
            if base64 {
                for p in &built.posts {
                    out!("{p}");
                }
            } else {
                out!("{}", built.xml);
            }
        }
    }
    Ok(exit::OK)
}
