//! `idgate run`: replay the suites against a target (idgate's reference
//! target when no URL is given) and write every report from the result tree.

use std::time::Duration;

use idgate::http::Client;
use idgate::redact::Secret;
use idgate::report;
use idgate::run::event::Fanout;
use idgate::run::{self, Event, PlanOptions, Reporter};
use idgate::saml::sp_metadata;
use idgate::saml::whoami::WhoamiReader;
use idgate::session::{
    IdpKeys, IdpOptions, Login, Options, Plan, RunValues, ScimEndpoint, Selection, Session,
    SetupError, Snapshots, SpChoice, SpEndpoint, load_suite, saml_client_options, tenant,
};

use crate::Outcome;
use crate::args::RunArgs;
use crate::snapshots;

/// Whether this runs in CI: the `CI` environment variable is set (and not `false` or `0`).
fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The session options a `run` command line asks for.
fn options(a: &RunArgs) -> Result<Options, SetupError> {
    let sp = a.saml.saml_acs_url.as_ref().map(|acs| SpEndpoint {
        acs_url: acs.clone(),
        audience: a.saml.saml_audience.clone().unwrap_or_default(),
        whoami_url: a.saml.saml_whoami_url.clone(),
        whoami: WhoamiReader {
            identity_pointer: a.saml.saml_whoami_pointer.clone(),
            attributes_pointer: a.saml.saml_attributes_pointer.clone(),
        },
        login_url: a.saml.saml_login_url.clone(),
        want_assertions_signed: a.saml.saml_want_assertions_signed,
        authn_requests_signed: a.saml.saml_authn_requests_signed,
        rotation: a.saml.saml_rotation,
    });
    let scim = a.target.scim_url.as_ref().map(|url| ScimEndpoint {
        url: url.clone(),
        token_env: a.target.token.scim_token_env.clone(),
    });
    let (scim, sp) = Options::targets(scim, sp);
    Ok(Options {
        scim,
        sp,
        login: Login {
            skew: Duration::from_secs(a.saml.saml_skew.unwrap_or(180)),
            skew_given: a.saml.saml_skew.is_some(),
            max_skew: Duration::from_secs(a.saml.saml_max_skew),
            name_id: a.saml.saml_name_id.clone(),
            sp_profile: a.saml.saml_sp_profile.clone(),
        },
        faults: a.target.faults.clone(),
        timeout: Duration::from_secs(a.target.timeout.max(1)),
        ca_cert: a.target.ca_cert.clone(),
        idp: IdpOptions {
            keys: IdpKeys::Dir(a.saml.idp.key_dir.clone()),
            entity_id: a.saml.idp.entity_id.clone(),
            sign_in_url: a.saml.idp.sign_in_url.clone(),
        },
        ledger: Some(a.target.reports.join("ledger.jsonl")),
        payloads: Some(a.target.reports.join("saml")),
        snapshots: Snapshots {
            compare: true,
            update: a.update_snapshots,
            own_scenarios: a.scenarios.is_some(),
        },
        signals: true,
        values: RunValues {
            email_domain: a.target.email_domain.clone(),
            name_prefix: a.target.name_prefix.clone(),
            ..RunValues::default()
        },
        allow_writes: a.target.allow_writes,
    })
}

/// Reads `--saml-sp-metadata` and fills in what the flags leave open: the ACS URL, the
/// audience, WantAssertionsSigned. A flag given wins over the metadata.
async fn with_sp_metadata(mut a: RunArgs) -> Result<RunArgs, SetupError> {
    let Some(source) = a.saml.saml_sp_metadata.clone() else {
        return Ok(a);
    };
    let fail = |e: String| SetupError::usage(format!("error: --saml-sp-metadata {source}: {e}"));
    let xml = if source.starts_with("http://") || source.starts_with("https://") {
        let http = Client::new(
            "",
            Secret::new(""),
            a.target.ca_cert.as_deref(),
            saml_client_options(Duration::from_secs(a.target.timeout.max(1))),
        )
        .map_err(fail)?;
        let x = http
            .send(&idgate::saml::post::get(&source, &[]))
            .await
            .map_err(|e| fail(e.to_string()))?;
        if x.response.status != 200 {
            return Err(fail(format!("answered {}", x.response.status)));
        }
        x.response.body
    } else {
        std::fs::read_to_string(&source).map_err(|e| fail(e.to_string()))?
    };
    let metadata = sp_metadata::parse(&xml).map_err(fail)?;
    eprintln!("note: {}", metadata.describe());
    if a.saml.saml_acs_url.is_none() {
        a.saml.saml_acs_url = Some(metadata.acs_url().map(String::from).ok_or_else(|| {
            fail("it lists no HTTP-POST AssertionConsumerService; give --saml-acs-url".into())
        })?);
    }
    a.saml
        .saml_audience
        .get_or_insert(metadata.entity_id.clone());
    a.saml.saml_want_assertions_signed |= metadata.want_assertions_signed;
    a.saml.saml_authn_requests_signed = metadata.authn_requests_signed;
    Ok(a)
}

/// A Tenant URL as an Entra admin pastes it may carry Entra's `aadOptscim062020` flag: it
/// selects the 2020 dialect (unless `--client` says otherwise) and stays out of request paths.
fn with_tenant_url_flags(mut a: RunArgs) -> Result<RunArgs, SetupError> {
    let Some(url) = a.target.scim_url.as_deref() else {
        return Ok(a);
    };
    let tenant = tenant::parse("--scim-url", url)?;
    if let Some(note) = tenant.note(!a.clients.is_empty()) {
        eprintln!("{note}");
    }
    if tenant.entra_2020 && a.clients.is_empty() {
        a.clients = vec![tenant::FLAGGED_CLIENT.into()];
    }
    a.target.scim_url = Some(tenant.base);
    Ok(a)
}

pub async fn run(a: RunArgs) -> Outcome {
    let a = with_sp_metadata(with_tenant_url_flags(a)?).await?;
    if a.update_snapshots && in_ci() {
        return Err(SetupError::usage(
            "error: --update-snapshots is refused because CI is set: nothing is accepted automatically in CI\n  = help: a failed snapshot leaves a .snap.new file; review it at a terminal with `idgate snapshots review`, or run --update-snapshots there",
        ));
    }
    let suite = load_suite(a.scenarios.as_deref())?;
    let opts = options(&a)?;
    opts.validate()?;
    let clients = if !a.clients.is_empty() {
        a.clients.clone()
    } else if opts.embedded() {
        vec!["entra".into(), "rfc7644".into()]
    } else {
        vec!["entra".into()]
    };
    let selection = Selection {
        clients,
        tags: a.tags.clone(),
        skip: a.skip.clone(),
        saml_case: a.saml.saml_case.clone(),
        external_sp: matches!(opts.sp, SpChoice::Endpoint(_)),
        own_scenarios: a.scenarios.is_some(),
        partition: a.partition.unwrap_or_default(),
    };
    let plan = Plan::new(&suite, &selection, opts.tests_scim(), opts.tests_saml())?;
    let session = Session::open(&opts, &plan.needs()).await?;
    for note in plan.notes.iter().chain(&session.notes) {
        eprintln!("{note}");
    }
    let mut progress = report::progress::Progress::on_terminal();
    let mut terminal =
        report::terminal::Terminal::new(session.redactor.clone(), a.target.color.choice());
    terminal.verbose = !a.quiet;
    if let Some(p) = &progress {
        terminal.above(p.bar());
    }
    let mut files = report::files::Files::new(
        report::files::Destinations {
            dir: a.target.reports.clone(),
            html_dir: a.report_html.clone(),
            markdown: a.report_markdown.clone(),
        },
        suite.checks.clone(),
        session.redactor.clone(),
    );
    let result = {
        let mut views: Vec<&mut dyn Reporter> = Vec::new();
        if let Some(p) = progress.as_mut() {
            views.push(p);
        }
        views.push(&mut files);
        views.push(&mut terminal);
        run::run(
            &suite,
            &session,
            &plan,
            &mut Fanout(views),
            PlanOptions {
                retries: a.retries,
                fail_fast: a.fail_fast,
                jobs: usize::from(a.jobs),
                keep_going: a.keep_going,
                ..PlanOptions::default()
            },
        )
        .await
    };
    terminal.event(&Event::ReportsWritten {
        files: files.written(),
    });
    snapshots::notes(&suite, &snapshots::snapshot_root(a.scenarios.as_deref()));
    session.close().await;
    Ok(result.exit_code())
}
