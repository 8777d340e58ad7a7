//! Shared by the integration tests: run the shipped suite in-process.
#![allow(dead_code)]

pub mod direct;

use idgate::http::{Client, ClientOptions};
use idgate::redact::Secret;
use idgate::reference::{self, Fault, ReferenceOptions};
use idgate::result::{Outcome, ScenarioResult};
use idgate::run::{self, Silent};
use idgate::scenario::{self, Suite};
use idgate::session::{self, SamlSide, Session, SpTarget, Target};

pub fn suite() -> Suite {
    session::load_suite(None).unwrap_or_else(|e| panic!("{e}"))
}

pub fn target(base: &str, token: &str, opts: ClientOptions) -> Target {
    Target {
        scim: Client::new(base, Secret::new(token), None, opts).expect("client"),
        token_env: "IDGATE_SCIM_TOKEN".into(),
        saml: None,
    }
}

/// A session for a client of the test's own making (a stub, the reference target).
pub fn session(base: &str, token: &str, opts: ClientOptions) -> Session {
    Session::with_target(target(base, token, opts))
}

/// Run every shipped scenario as every client against the session's target.
pub async fn run_all(suite: &Suite, session: &Session) -> Vec<ScenarioResult> {
    let clients: Vec<String> = suite
        .clients
        .keys()
        .filter(|c| *c != scenario::SAML_CLIENT)
        .cloned()
        .collect();
    let pairs = session::plan::pairs(suite, &clients, &[], &[]);
    run::run_plan(suite, session, &pairs, &mut Silent, Default::default()).await
}

/// Run the shipped suite against the reference target with `faults` on.
pub async fn run_reference(faults: &[Fault]) -> Vec<ScenarioResult> {
    let suite = suite();
    let token = "reference-test-token";
    let running = reference::start(ReferenceOptions {
        token: token.into(),
        faults: faults.to_vec(),
        ..ReferenceOptions::default()
    })
    .await
    .expect("reference target starts");
    let s = session(&running.scim_base, token, ClientOptions::default());
    let results = run_all(&suite, &s).await;
    running.stop().await;
    results
}

/// (client, check id) of every failed check, sorted and unique.
pub fn failures(results: &[ScenarioResult]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = results
        .iter()
        .flat_map(|s| {
            s.checks()
                .filter(|(_, c)| c.outcome == Outcome::Fail)
                .map(move |(_, c)| (s.client.clone(), c.id.clone()))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

pub fn outcomes(results: &[ScenarioResult], wanted: Outcome) -> Vec<String> {
    results
        .iter()
        .flat_map(|s| {
            s.checks()
                .filter(move |(_, c)| c.outcome == wanted)
                .map(move |(st, c)| format!("{}/{} › {} › {}", s.client, s.name, st.name, c.id))
        })
        .collect()
}

/// The shipped catalogue and clients plus one scenario written by the test.
/// A scenario that names no clients is played by the Entra ones (whose
/// actions it sends), unless it names `rfc7644`.
pub fn suite_with(scenario_toml: &str) -> Suite {
    let strict = scenario_toml.contains("rfc7644");
    let mut files: Vec<(String, String)> = scenario::embedded_files()
        .into_iter()
        .filter(|(n, _)| n.ends_with("checks.toml") || n.contains("clients/"))
        .filter(|(n, _)| strict || !n.ends_with("clients/rfc7644.toml"))
        .collect();
    files.push(("scenarios/test/stub.toml".into(), scenario_toml.into()));
    session::load(&files)
        .unwrap_or_else(|e| panic!("{}", e.iter().map(|d| d.to_string()).collect::<String>()))
}

/// Run the one scenario of `suite` as `client` against `base`.
pub async fn run_one(
    suite: &Suite,
    client: &str,
    base: &str,
    opts: ClientOptions,
) -> ScenarioResult {
    let s = session(base, "stub-token-1234", opts);
    let scenario = suite.scenarios.first().expect("one scenario");
    run::run_scenario(suite, &s, scenario, client, &mut Silent).await
}

/// The outcome of check `id` (the first result with that id).
pub fn outcome_of(r: &ScenarioResult, id: &str) -> (Outcome, String) {
    let (_, c) = r
        .checks()
        .find(|(_, c)| c.id == id)
        .unwrap_or_else(|| panic!("no result for {id} in {:#?}", r.steps));
    (
        c.outcome,
        format!("{:?} {:?} {:?}", c.expected, c.actual, c.message),
    )
}

/// A committed test key pair of `fixtures/saml/` (`idp`, `attacker`, `cloned`).
pub fn fixture_key(name: &str) -> idgate::saml::IdpKey {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/saml");
    idgate::saml::IdpKey::from_pem(
        &std::fs::read(dir.join(format!("{name}-key.pem"))).unwrap(),
        &std::fs::read(dir.join(format!("{name}-cert.pem"))).unwrap(),
    )
    .unwrap()
}

/// idgate's IdP with the committed test keys, as the reference SP trusts by default.
pub fn fixture_idp() -> idgate::saml::Idp {
    idgate::saml::Idp {
        key: fixture_key("idp"),
        entity_id: reference::DEFAULT_IDP_ENTITY_ID.into(),
        attack: idgate::saml::AttackKeys::fixtures().unwrap(),
        rotation: idgate::saml::RotationKeys::fixtures().unwrap(),
    }
}

/// The SAML side of a session: `sp` and the fixture IdP, posting as a run does.
pub fn saml_side(sp: SpTarget) -> SamlSide {
    let http = Client::new(
        "",
        Secret::new(""),
        None,
        session::saml_client_options(std::time::Duration::from_secs(30)),
    )
    .expect("client");
    SamlSide::new(sp, fixture_idp(), http)
}

/// Every case of the battery.
pub fn all_cases() -> Vec<&'static idgate::saml::Case> {
    idgate::saml::cases::all().iter().collect()
}

/// The SAML battery against the reference SP with `faults` on.
pub async fn run_reference_saml(faults: &[Fault]) -> ScenarioResult {
    run_reference_saml_as(faults, false).await
}

/// As [`run_reference_saml`]; `sp_initiated` starts every case with a login at the SP.
pub async fn run_reference_saml_as(faults: &[Fault], sp_initiated: bool) -> ScenarioResult {
    run_reference_saml_under(faults, sp_initiated, None).await
}

/// As [`run_reference_saml_as`], judged under an SP profile (`--saml-sp-profile`).
pub async fn run_reference_saml_under(
    faults: &[Fault],
    sp_initiated: bool,
    profile: Option<&str>,
) -> ScenarioResult {
    let running = reference::start(ReferenceOptions {
        faults: faults.to_vec(),
        saml: reference::SpOptions {
            idp_sign_in_url: Some("https://idp.example/sso".into()),
            ..reference::SpOptions::default()
        },
        ..ReferenceOptions::default()
    })
    .await
    .expect("reference target starts");
    let sp = SpTarget {
        acs_url: running.saml_acs_url.clone(),
        audience: running.saml_audience.clone(),
        login_url: sp_initiated.then(|| running.saml_login_url.clone()),
        whoami_url: Some(running.saml_whoami_url.clone()),
        whoami: Default::default(),
        skew: time::Duration::minutes(3),
        skew_given: true,
        max_skew: time::Duration::seconds(300),
        want_assertions_signed: false,
        authn_requests_signed: false,
        rotation: true,
        name_id: "alice@example.com".into(),
        profile: profile.map(String::from),
    };
    let side = saml_side(sp);
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let r = idgate::run::saml::run_battery(&side, &all_cases(), &stop, &mut Silent).await;
    running.stop().await;
    r
}

/// A valid Response spec for alice, as the battery builds them.
pub fn fixture_spec() -> idgate::saml::ResponseSpec {
    idgate::saml::ResponseSpec::new(
        reference::DEFAULT_IDP_ENTITY_ID,
        "https://sp.example.test/acs",
        "https://sp.example.test",
        "alice@example.com",
        time::OffsetDateTime::now_utc(),
    )
}

/// The binary in `dir`, with none of the caller's IDGATE_*, CI or GitHub
/// variables (a test under Actions must not write to the real job summary).
pub fn idgate(args: &[&str], env: &[(&str, &str)], dir: &std::path::Path) -> std::process::Output {
    command(args, env, dir).output().expect("idgate runs")
}

/// The binary started in `dir` as [`idgate`] runs it, for a test that signals or kills it;
/// its output is kept (`capture`) or thrown away (a chatty run must not fill a pipe no one
/// reads).
pub fn spawn(
    args: &[&str],
    env: &[(&str, &str)],
    dir: &std::path::Path,
    capture: bool,
) -> std::process::Child {
    let out = || {
        if capture {
            std::process::Stdio::piped()
        } else {
            std::process::Stdio::null()
        }
    };
    command(args, env, dir)
        .stdout(out())
        .stderr(out())
        .spawn()
        .expect("idgate starts")
}

fn command(args: &[&str], env: &[(&str, &str)], dir: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_idgate"));
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1");
    for (k, _) in std::env::vars() {
        if k.starts_with("IDGATE_") || k == "CI" || k.starts_with("GITHUB_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// stdout then stderr, for messages and assertions.
pub fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Every file under `d`, sorted.
pub fn walk(d: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out.sort();
    out
}

/// Copy the shipped scenarios to `to`, leaving out pending `.snap.new` files
/// of the developer's own runs.
pub fn copy_scenarios(to: &std::path::Path) {
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for f in walk(&from) {
        if f.to_string_lossy().ends_with(".new") {
            continue;
        }
        let dest = to.join(f.strip_prefix(&from).unwrap());
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&f, dest).unwrap();
    }
}

/// Whether this runs in CI (`CI` set, and not `false` or `0`): there every
/// tool and peer a test needs is required, so nothing is skipped silently.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Whether `program args` runs and succeeds.
pub fn runs(program: &str, args: &[&str]) -> bool {
    std::process::Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Say that the running test cannot run here for want of `needs`, and how to
/// install it: on stderr past the test harness's capture, so the skip is seen
/// by name. In CI the missing tool is a failure instead.
pub fn skip(needs: &str, install: &str) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    if in_ci() {
        panic!("{test} needs {needs}, which CI must provide: {install}");
    }
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: needs {needs} (install: {install})"
    );
}

/// The shipped scenario `file` (under scenarios/) cut to its steps from the one
/// named `from` up to the one named `to` (not included), its vars plus `extra`.
pub fn shipped_steps(file: &str, from: &str, to: &str, extra: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file);
    let scenario = std::fs::read_to_string(path).unwrap();
    let at = |name: &str| {
        scenario
            .find(&format!("[[steps]]\nname = \"{name}"))
            .unwrap_or_else(|| panic!("{file} has no step `{name}`"))
    };
    let vars_end = scenario.find("[[steps]]").unwrap();
    format!(
        "{}{extra}\n\n{}",
        &scenario[..vars_end],
        &scenario[at(from)..at(to)]
    )
}

/// An SP stub on wiremock: the ACS answers 200 with a session cookie and `acs_body`, whoami
/// answers `who`.
pub async fn accepting_sp(acs_body: &str, who: serde_json::Value) -> wiremock::MockServer {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/acs"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Set-Cookie", "sid=1; Path=/")
                .set_body_string(acs_body),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/whoami"))
        .respond_with(ResponseTemplate::new(200).set_body_json(who))
        .mount(&server)
        .await;
    server
}

/// `GET /login` on `server` redirects to [`login_redirect`]: an SP-initiated login.
pub async fn mount_login(server: &wiremock::MockServer, signed: bool) {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};
    let location = login_redirect("_stub-request", signed);
    Mock::given(method("GET"))
        .and(path("/login"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", location.as_str()))
        .mount(server)
        .await;
}

/// [`idgate`] off the async runtime, for tests that serve the target themselves.
pub async fn idgate_async(
    args: &[&str],
    env: &[(&str, &str)],
    dir: &std::path::Path,
) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        idgate(&args, &env, &dir)
    })
    .await
    .unwrap()
}

/// Where an SP's login redirect sends the browser: an IdP URL with a deflated AuthnRequest
/// (ID `request_id`) as the HTTP-Redirect binding carries it, signed (`SigAlg`, `Signature`)
/// or not. The signature is a stand-in: only its presence is read.
pub fn login_redirect(request_id: &str, signed: bool) -> String {
    use base64::Engine;
    use std::io::Write;
    let request = format!(
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"{request_id}\" Version=\"2.0\"/>"
    );
    let mut deflate =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    deflate.write_all(request.as_bytes()).unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(deflate.finish().unwrap());
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("SAMLRequest", &encoded);
    if signed {
        query.append_pair(
            "SigAlg",
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        );
        query.append_pair("Signature", "c2lnbmF0dXJl");
    }
    format!("https://idp.example/sso?{}", query.finish())
}
