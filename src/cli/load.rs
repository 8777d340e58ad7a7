//! `idgate load`: Entra's first provisioning cycle for a tenant of a given size, against the
//! user's endpoint or the embedded reference target, with the verdict Entra would give.

use std::time::Duration;

use idgate::load::{self, LoadResult, LoadSpec, RunFacts, Tick};
use idgate::partition::Partition;
use idgate::report;
use idgate::session::{
    self, IdpOptions, Login, Needs, Options, RunValues, ScimEndpoint, ScimTarget, Session,
    SetupError, Snapshots, SpChoice, tenant,
};

use crate::Outcome;
use crate::args::LoadArgs;
use crate::out;

pub async fn load(mut a: LoadArgs) -> Outcome {
    if let Some(url) = a.target.scim_url.clone() {
        let t = tenant::parse("--scim-url", &url)?;
        // The flag's client is the load's default, so only another --client is news.
        if let Some(note) = t.note(a.client != tenant::FLAGGED_CLIENT) {
            eprintln!("{note}");
        }
        a.target.scim_url = Some(t.base);
    }
    let suite = session::load_suite(None)?;
    let family: Vec<&str> = suite
        .clients
        .keys()
        .filter(|c| c.starts_with(&format!("{}-", a.client)))
        .map(String::as_str)
        .collect();
    if !family.is_empty() {
        return Err(SetupError::usage(format!(
            "error: a load replays one client, and `{}` names {}\n  = help: --client {}",
            a.client,
            family.join(" and "),
            family.join(" or --client ")
        )));
    }
    let spec = LoadSpec {
        users: a.users as usize,
        groups: a.groups as usize,
        members_per_group: a.members_per_group as usize,
        concurrency: usize::from(a.concurrency),
        rate: a.rate,
        member_batch: usize::from(a.member_batch),
        client: a.client.clone(),
        partition: a.partition.unwrap_or(Partition::WHOLE),
    };
    let t = &a.target;
    let scim = match &t.scim_url {
        Some(url) => ScimTarget::Endpoint(ScimEndpoint {
            url: url.clone(),
            token_env: t.token.scim_token_env.clone(),
        }),
        None => ScimTarget::Embedded,
    };
    let opts = Options {
        scim,
        sp: SpChoice::None,
        login: Login::default(),
        faults: t.faults.clone(),
        timeout: Duration::from_secs(t.timeout.max(1)),
        ca_cert: t.ca_cert.clone(),
        idp: IdpOptions::default(),
        ledger: Some(t.reports.join("ledger.jsonl")),
        payloads: None,
        snapshots: Snapshots::default(),
        signals: true,
        values: RunValues {
            email_domain: t.email_domain.clone(),
            name_prefix: t.name_prefix.clone(),
            ..RunValues::default()
        },
        allow_writes: t.allow_writes,
    };
    let needs = Needs {
        scim: true,
        writing: vec![format!(
            "load ({} users, {} groups, {} members each, share {})",
            spec.users, spec.groups, spec.members_per_group, spec.partition
        )],
        ..Needs::default()
    };
    let started_at = idgate::run::now();
    let session = Session::open(&opts, &needs).await?;
    eprintln!(
        "replaying Entra's first cycle as {} against {}: {} requests for {} objects, {} in flight{}",
        spec.client,
        session.target.scim.base(),
        spec.requests(),
        spec.objects(),
        spec.concurrency,
        spec.rate
            .map(|r| format!(", at most {r} a second"))
            .unwrap_or_default()
    );
    let bar = (!a.quiet).then(progress_bar).flatten();
    let show = |t: Tick| {
        if let Some(b) = &bar {
            if b.length() != Some(t.total) {
                b.set_length(t.total);
                b.set_message(t.phase);
            }
            b.set_position(t.done);
        }
    };
    let measured = match load::run(&suite, &session, &spec, &show).await {
        Ok(m) => m,
        Err(e) => {
            session.close().await;
            return Err(e);
        }
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let result = LoadResult::judge(
        &spec,
        measured,
        RunFacts {
            target: session.target.scim.base().to_string(),
            target_kind: session.info.kind.clone(),
            started_at,
            finished_at: idgate::run::now(),
            timeout_s: t.timeout,
            terminated: session.terminated(),
        },
    );
    out!(
        "{}",
        report::load::terminal(&report::load::redacted(&result, &session.redactor))
    );
    match report::load::write_all(&result, &t.reports, &session.redactor) {
        Ok(paths) => {
            for p in paths {
                eprintln!("wrote {}", p.display());
            }
        }
        Err(e) => eprintln!("warning: {e}"),
    }
    if !result.cleanup.left_behind.is_empty() && !session.embedded() {
        eprintln!(
            "finish the cleanup with: idgate cleanup --scim-url {} --scim-token-env {} --ledger {}",
            session.target.scim.base(),
            t.token.scim_token_env,
            t.reports.join("ledger.jsonl").display()
        );
    }
    session.close().await;
    Ok(result.exit_code)
}

/// A bar on stderr when a person watches a terminal: the phase, and its operations done.
fn progress_bar() -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg:9} [{bar:30}] {pos}/{len} {per_sec} {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    Some(bar)
}
