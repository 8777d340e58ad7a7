//! The command line's words: every command and option, as clap reads them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use idgate::partition::Partition;

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
    /// Replay Entra's first provisioning cycle for a tenant of a given size, and give the
    /// verdict Entra would: 25 requests a second, quarantine, every object provisioned.
    Load(Box<LoadArgs>),
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
    /// Work with reports: join the shares of a partitioned run.
    #[command(subcommand)]
    Report(ReportCommand),
}

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// Join the report.json files of a run's shares (`run --partition k/n`), or the load.json
    /// files of a load's, into one set of reports, and exit with the whole run's code.
    Merge(MergeArgs),
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Every share's report.json (or every share's load.json), once each.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Where the joined reports are written.
    #[arg(long, default_value = "reports", value_name = "DIR")]
    pub reports: PathBuf,
    /// Also write the HTML report into this directory.
    #[arg(long, value_name = "DIR")]
    pub report_html: Option<PathBuf>,
    /// Write the Markdown summary here (fit for $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "FILE")]
    pub report_markdown: Option<PathBuf>,
    /// The scenario directory the shares ran (for the catalogue's titles and rules).
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
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
    #[arg(long, default_value = idgate::saml::DEFAULT_ENTITY_ID, value_name = "URL")]
    pub entity_id: String,
    /// The IdP sign-in URL an SP admin enters (SP-initiated logins are sent there).
    #[arg(long, default_value = idgate::saml::DEFAULT_SIGN_IN_URL, value_name = "URL")]
    pub sign_in_url: String,
}

/// Which metadata of a certificate rotation `idgate saml metadata --rotation` prints.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RotationMetadata {
    /// The retired key and the IdP key: the SP's trust before the rotation.
    Earlier,
    /// The IdP key and the next one, the retired key removed.
    Current,
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
        /// Metadata of a certificate rotation, with two signing keys: the IdP key and the next
        /// one (what `run --saml-rotation` expects the SP to have been given); `earlier`: the
        /// retired key and the IdP key, to give the SP first, so that it once trusted the key
        /// the rotation metadata removes.
        #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "current", value_name = "WHEN")]
        rotation: Option<RotationMetadata>,
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
        /// Print every form value the case posts, one `name=value` line each (a line per post;
        /// a second SAMLResponse and a RelayState where the case sends them), instead of the XML.
        #[arg(long)]
        base64: bool,
        /// The clock skew the timing cases sit around, in seconds (as `run --saml-skew`).
        #[arg(long, default_value_t = 180, value_name = "SECS")]
        skew: u64,
        /// Answer this AuthnRequest ID (InResponseTo), as an SP-initiated login would.
        #[arg(long, value_name = "ID")]
        in_response_to: Option<String>,
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

/// Where a SCIM target is and how it is reached, what a run may do there, and where its
/// reports go: the options `run` and `load` share (and a profile may set).
#[derive(Args, Debug)]
pub struct TargetArgs {
    /// SCIM base URL of the target, e.g. https://staging.example.test/scim/v2.
    #[arg(long, env = "IDGATE_SCIM_URL", value_name = "URL")]
    pub scim_url: Option<String>,
    #[command(flatten)]
    pub token: TokenArgs,
    /// Let the run create, change and delete resources on a SCIM target that is not on this
    /// machine (127.0.0.0/8, ::1, localhost). Without it, idgate says what it would write and
    /// exits 1: a staging tenant is written to only by consent.
    #[arg(long, env = "IDGATE_ALLOW_WRITES")]
    pub allow_writes: bool,
    /// Seconds to wait for each response.
    #[arg(
        long,
        default_value_t = 30,
        env = "IDGATE_TIMEOUT",
        value_name = "SECS",
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub timeout: u64,
    /// PEM certificate(s) of a private CA the target's TLS certificate chains to.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// The domain of the mail addresses of the users idgate creates; give one your server's
    /// email validator accepts.
    #[arg(
        long,
        env = "IDGATE_EMAIL_DOMAIN",
        default_value = idgate::session::DEFAULT_EMAIL_DOMAIN,
        value_name = "DOMAIN"
    )]
    pub email_domain: String,
    /// What the names of the users and groups idgate creates start with.
    #[arg(
        long,
        env = "IDGATE_NAME_PREFIX",
        default_value = idgate::session::DEFAULT_NAME_PREFIX,
        value_name = "TEXT"
    )]
    pub name_prefix: String,
    /// Where the reports and the ledger are written.
    #[arg(long, default_value = "reports", value_name = "DIR")]
    pub reports: PathBuf,
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
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Whose requests to replay: `entra` (both dialects), `entra-legacy`, `entra-2020`,
    /// `rfc7644` (a strict RFC client). Repeatable. Default: `entra` against your target,
    /// every client against the embedded one.
    #[arg(long = "client", value_name = "NAME")]
    pub clients: Vec<String>,
    /// Only scenarios with this tag. Repeatable.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Leave out scenarios with this name or tag. Repeatable.
    #[arg(long = "skip", value_name = "NAME_OR_TAG")]
    pub skip: Vec<String>,
    /// Play only share k of n (`--partition 2/4`): every n-th scenario run and SAML case from
    /// the k-th, so n CI runners share a suite; `idgate report merge` joins their reports.
    #[arg(long, env = "IDGATE_PARTITION", value_name = "K/N", value_parser = clap::value_parser!(Partition))]
    pub partition: Option<Partition>,
    /// Play a failed scenario again up to N times; a pass on a retry is reported as flaky.
    #[arg(long, default_value_t = 0, env = "IDGATE_RETRIES", value_name = "N", value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,
    /// Play this many scenarios at once (each creates and deletes only its own resources).
    #[arg(
        long,
        short = 'j',
        default_value_t = 1,
        env = "IDGATE_JOBS",
        value_name = "N",
        value_parser = clap::value_parser!(u16).range(1..=64)
    )]
    pub jobs: u16,
    /// Play on after a request timed out; by default the rest of the run is skipped, since a
    /// target that does not answer would cost every later request its timeout.
    #[arg(long, env = "IDGATE_KEEP_GOING")]
    pub keep_going: bool,
    /// Stop after the first scenario that fails (cleanup still runs).
    #[arg(long, env = "IDGATE_FAIL_FAST")]
    pub fail_fast: bool,
    /// Load scenarios from this directory instead of the ones built in.
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
    /// Also write the HTML compliance report into this directory (it is always written to --reports).
    #[arg(long, value_name = "DIR")]
    pub report_html: Option<PathBuf>,
    /// Write a short Markdown summary here (fit for $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "FILE")]
    pub report_markdown: Option<PathBuf>,
    /// Print only checks that did not pass.
    #[arg(long, short)]
    pub quiet: bool,
    /// Write missing or changed snapshots as accepted `.snap` files instead of pending
    /// `.snap.new` ones, and pass. For a person at a terminal: refused when CI is set.
    #[arg(long)]
    pub update_snapshots: bool,
    #[command(flatten)]
    pub saml: SamlRunArgs,
}

/// `idgate load`: Entra's first provisioning cycle for a tenant of this size.
#[derive(Args, Debug)]
pub struct LoadArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Whose requests to replay: `entra-2020` (the aadOptscim062020 dialect) or `entra-legacy`.
    #[arg(long, default_value = "entra-2020", value_name = "NAME")]
    pub client: String,
    /// Users in the tenant's provisioning scope.
    #[arg(long, default_value_t = 100, value_name = "N", value_parser = clap::value_parser!(u32).range(wide(&USERS)))]
    pub users: u32,
    /// Groups in scope.
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u32).range(wide(&GROUPS)))]
    pub groups: u32,
    /// Members of each group (drawn from the users, spread evenly).
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u32).range(wide(&MEMBERS)))]
    pub members_per_group: u32,
    /// Requests in flight at once.
    #[arg(long, short = 'c', default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u16).range(wide(&CONCURRENCY)))]
    pub concurrency: u16,
    /// At most this many requests a second (default: as many as the concurrency allows).
    #[arg(long, value_name = "PER_SECOND", value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Members added by one group PATCH. Entra's batch size is not published (its documented
    /// request adds one); the gallery recommends that several in one PATCH work.
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(wide(&MEMBER_BATCH)))]
    pub member_batch: u16,
    /// Replay only share k of n of the users and groups (`--partition 2/4`), named with the
    /// share; `idgate report merge` joins the shares' load.json files (each share writes to
    /// its own --reports).
    #[arg(long, env = "IDGATE_PARTITION", value_name = "K/N", value_parser = clap::value_parser!(Partition))]
    pub partition: Option<Partition>,
    /// Print only the summary, no progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// A rate: requests a second, from one every 1,000 seconds to a million a second.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(r) if (0.001..=1_000_000.0).contains(&r) => Ok(r),
        _ => Err(format!(
            "`{text}` is not a rate: give requests a second, from 0.001 to 1000000 (e.g. 25 or 0.5)"
        )),
    }
}

/// The ranges `idgate load`'s numbers take, as a flag or in a profile.
pub const USERS: std::ops::RangeInclusive<u32> = 1..=1_000_000;
pub const GROUPS: std::ops::RangeInclusive<u32> = 0..=100_000;
pub const MEMBERS: std::ops::RangeInclusive<u32> = 0..=100_000;
pub const CONCURRENCY: std::ops::RangeInclusive<u16> = 1..=1024;
pub const MEMBER_BATCH: std::ops::RangeInclusive<u16> = 1..=1000;

/// A range as clap's integer parsers take it.
fn wide<T: Copy + Into<i64>>(r: &std::ops::RangeInclusive<T>) -> std::ops::RangeInclusive<i64> {
    (*r.start()).into()..=(*r.end()).into()
}

/// The SAML service provider to test; without `--saml-acs-url`, the embedded one.
#[derive(Args, Debug)]
pub struct SamlRunArgs {
    /// The SP's Assertion Consumer Service URL (HTTP-POST binding); it needs --saml-audience
    /// or --saml-sp-metadata.
    #[arg(long, env = "IDGATE_SAML_ACS_URL", value_name = "URL")]
    pub saml_acs_url: Option<String>,
    /// The SP's SAML metadata, a file or an http(s) URL: its entity ID, HTTP-POST ACS and
    /// declared policy (WantAssertionsSigned, AuthnRequestsSigned) configure the run; flags win
    /// over it.
    #[arg(long, env = "IDGATE_SAML_SP_METADATA", value_name = "FILE|URL")]
    pub saml_sp_metadata: Option<String>,
    /// What that metadata declares of the SP's AuthnRequests (`AuthnRequestsSigned`); no flag.
    #[arg(skip)]
    pub saml_authn_requests_signed: bool,
    /// The SP requires signed Assertions (as WantAssertionsSigned in its metadata): a
    /// Response signed only on the outside may be refused without a failure.
    #[arg(long)]
    pub saml_want_assertions_signed: bool,
    /// The SP was given idgate's certificate-rotation metadata (`idgate saml metadata
    /// --rotation`, after `--rotation earlier`): play the cases that sign with the next key
    /// (taken) and the retired one (refused). Without it they are skipped.
    #[arg(long)]
    pub saml_rotation: bool,
    /// Judge the battery by a profile's stricter rules as well: `entra`, what Microsoft's
    /// Entra gallery validation requires of an SP (an expired IdP certificate refused).
    #[arg(long, value_name = "PROFILE", value_parser = clap::builder::PossibleValuesParser::new(idgate::scenario::SP_PROFILES))]
    pub saml_sp_profile: Option<String>,
    /// The SP's entity ID, written into every Audience.
    #[arg(long, env = "IDGATE_SAML_AUDIENCE", value_name = "ENTITY_ID")]
    pub saml_audience: Option<String>,
    /// A URL of the SP that tells who is logged in (read with the session cookie).
    #[arg(long, value_name = "URL")]
    pub saml_whoami_url: Option<String>,
    /// Where the whoami answer's JSON holds the signed-in identity (a JSON pointer such as
    /// `/profile/login`), when idgate's detection of common shapes does not find it.
    #[arg(long, value_name = "POINTER")]
    pub saml_whoami_pointer: Option<String>,
    /// Where the whoami answer's JSON holds the session's attributes (a JSON pointer to an
    /// object of name to value or list of values).
    #[arg(long, value_name = "POINTER")]
    pub saml_attributes_pointer: Option<String>,
    /// SP-initiated logins: a URL of the SP that redirects to the IdP with an AuthnRequest,
    /// which each case's Response then answers (InResponseTo).
    #[arg(long, value_name = "URL")]
    pub saml_login_url: Option<String>,
    /// The clock skew the SP allows, in seconds; timing cases sit just inside and outside it.
    /// Without it, idgate measures the SP's tolerance and places them around that.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub saml_skew: Option<u64>,
    /// The most clock tolerance the SP may show when measured, in seconds; beyond it the
    /// clock cases fail.
    #[arg(long, default_value_t = 300, value_name = "SECS", value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub saml_max_skew: u64,
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
    pub fn choice(self) -> anstream::ColorChoice {
        match self {
            Color::Auto => anstream::ColorChoice::Auto,
            Color::Always => anstream::ColorChoice::Always,
            Color::Never => anstream::ColorChoice::Never,
        }
    }
}
