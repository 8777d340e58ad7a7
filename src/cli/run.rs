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
use idgate::scenario::{StepRequest, Suite};
use idgate::session::{
    IdpKeys, IdpOptions, Login, Options, Plan, RunValues, ScimEndpoint, ScimTarget, Selection,
    Session, SetupError, Snapshots, SpChoice, SpEndpoint, load_suite, preflight,
    saml_client_options,
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
    let scim = a.scim_url.as_ref().map(|url| ScimEndpoint {
        url: url.clone(),
        token_env: a.token.scim_token_env.clone(),
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
        faults: a.faults.clone(),
        timeout: Duration::from_secs(a.timeout.max(1)),
        ca_cert: a.ca_cert.clone(),
        idp: IdpOptions {
            keys: IdpKeys::Dir(a.saml.idp.key_dir.clone()),
            entity_id: a.saml.idp.entity_id.clone(),
            sign_in_url: a.saml.idp.sign_in_url.clone(),
        },
        ledger: Some(a.reports.join("ledger.jsonl")),
        payloads: Some(a.reports.join("saml")),
        snapshots: Snapshots {
            compare: true,
            update: a.update_snapshots,
            own_scenarios: a.scenarios.is_some(),
        },
        signals: true,
        values: RunValues {
            email_domain: a.email_domain.clone(),
            name_prefix: a.name_prefix.clone(),
            ..RunValues::default()
        },
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
            a.ca_cert.as_deref(),
            saml_client_options(Duration::from_secs(a.timeout.max(1))),
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

/// A Tenant URL as an Entra admin pastes it may carry Entra's feature flag
/// (`…/scim/v2?aadOptscim062020`). Entra reads the flag, picks its 2020 dialect and leaves it out
/// of request paths; so does idgate (unless `--client` says otherwise). Any other query in a
/// base URL would be glued into every path, so it is refused.
fn with_tenant_url_flags(mut a: RunArgs) -> Result<RunArgs, SetupError> {
    let Some((base, query)) = a.scim_url.as_deref().and_then(|u| u.split_once('?')) else {
        return Ok(a);
    };
    let (base, query) = (base.to_string(), query.to_string());
    let mut rest = Vec::new();
    let mut flag = false;
    for part in query.split('&').filter(|p| !p.is_empty()) {
        if part
            .split('=')
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case("aadOptscim062020"))
        {
            flag = true;
        } else {
            rest.push(part.to_string());
        }
    }
    if !rest.is_empty() {
        return Err(SetupError::usage(format!(
            "error: --scim-url carries a query (`?{}`), which would be glued into every request path\n  = help: give the SCIM root alone, e.g. {base}",
            rest.join("&")
        )));
    }
    if flag {
        eprintln!(
            "note: the Tenant URL's aadOptscim062020 flag selects Entra's 2020 dialect{}; it is kept out of request paths, as Entra does",
            if a.clients.is_empty() {
                " (--client entra-2020)"
            } else {
                ", though --client was given and wins"
            }
        );
        if a.clients.is_empty() {
            a.clients = vec!["entra-2020".into()];
        }
    }
    a.scim_url = Some(base);
    Ok(a)
}

/// Whether `url` names this machine: 127.0.0.0/8, ::1 or localhost.
fn on_loopback(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else {
        return false;
    };
    let Some(host) = u.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// A plan that writes (POST, PUT, PATCH, DELETE) to a target away from this machine needs
/// `--allow-writes`; without it, what it would do is said, and nothing is sent.
fn consent_to_write(url: &str, suite: &Suite, plan: &Plan<'_>) -> Result<(), SetupError> {
    if on_loopback(url) {
        return Ok(());
    }
    let writes = |m: &str| matches!(m, "POST" | "PUT" | "PATCH" | "DELETE");
    let mut writing: Vec<String> = Vec::new();
    for (scenario, client) in &plan.pairs {
        let Some(profile) = suite.clients.get(client) else {
            continue;
        };
        let wrote = scenario.steps.iter().any(|step| match &step.request {
            StepRequest::Send { action } => profile
                .actions
                .get(action)
                .is_some_and(|t| writes(&t.method)),
            StepRequest::Raw(t) => writes(&t.method),
            StepRequest::Saml(_) => false,
        });
        if wrote {
            writing.push(format!("{client}/{}", scenario.name));
        }
    }
    if writing.is_empty() {
        return Ok(());
    }
    Err(SetupError::usage(format!(
        "error: {url} is not on this machine, and {} scenario run(s) would create, change and delete users and groups there (each named with the run's prefix, deleted when its scenario ends): {}\n  = help: pass --allow-writes (or allow-writes = true in the profile) to let it; --tag smoke only reads",
        writing.len(),
        writing.join(", ")
    )))
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
    };
    let plan = Plan::new(&suite, &selection, opts.tests_scim(), opts.tests_saml())?;
    if let ScimTarget::Endpoint(e) = &opts.scim
        && !a.allow_writes
    {
        consent_to_write(&e.url, &suite, &plan)?;
    }
    let session = Session::open(&opts, plan.needs()).await?;
    // One read first: a setup mistake is one clear error, not a page of failed checks.
    if let ScimTarget::Endpoint(e) = &opts.scim
        && plan.plays_scim()
        && let Err(e) = preflight::check(&session.target.scim, &e.token_env).await
    {
        session.close().await;
        return Err(e);
    }
    for note in plan.notes.iter().chain(&session.notes) {
        eprintln!("{note}");
    }
    let mut progress = report::progress::Progress::on_terminal();
    let mut terminal = report::terminal::Terminal::new(session.redactor.clone(), a.color.choice());
    terminal.verbose = !a.quiet;
    if let Some(p) = &progress {
        terminal.above(p.bar());
    }
    let mut files = report::files::Files::new(
        report::files::Destinations {
            dir: a.reports.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_this_machine_only() {
        for url in [
            "http://127.0.0.1:8080/scim/v2",
            "http://127.4.5.6/scim",
            "http://[::1]:9/scim",
            "http://LOCALHOST:1/x",
        ] {
            assert!(on_loopback(url), "{url}");
        }
        for url in [
            "https://scim.staging.example.test/scim/v2",
            "http://10.0.0.1/scim",
            "http://[::ffff:10.0.0.1]/",
            "http://127.0.0.1.nip.io/",
            "not a url",
        ] {
            assert!(!on_loopback(url), "{url}");
        }
    }
}
