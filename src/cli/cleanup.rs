//! `idgate cleanup`: delete what an interrupted run left on a target, from its ledger.

use tokio::sync::Mutex;

use idgate::exit;
use idgate::http::{Client, ClientOptions};
use idgate::ledger::Ledger;
use idgate::run;
use idgate::session::{SetupError, check_url, read_token};

use crate::Outcome;
use crate::args::CleanupArgs;
use crate::out;

pub async fn cleanup(a: CleanupArgs) -> Outcome {
    check_url("--scim-url", &a.scim_url)?;
    let token = read_token(&a.token.scim_token_env)?;
    // A ledger that is not there is a wrong path, not a clean target: saying "nothing to
    // clean up" would hide the resources a run left.
    if !a.ledger.is_file() {
        return Err(SetupError::usage(format!(
            "error: there is no ledger at {}\n  = help: a run writes its ledger to REPORTS/ledger.jsonl (--reports, default reports); pass that file with --ledger",
            a.ledger.display()
        )));
    }
    let ledger = Ledger::open(&a.ledger).map_err(|e| SetupError::usage(format!("error: {e}")))?;
    let base = a.scim_url.trim_end_matches('/').to_string();
    // Creates whose answer never came count too: the server may have made them.
    let pending = ledger.pending(&base).len() + ledger.unsettled(&base).len();
    if pending == 0 {
        out!(
            "nothing to clean up on {base} (ledger {})",
            a.ledger.display()
        );
        return Ok(exit::OK);
    }
    let scim = Client::new(&base, token, a.ca_cert.as_deref(), ClientOptions::default())
        .map_err(|e| SetupError::usage(format!("error: {e}")))?;
    let ledger = Mutex::new(ledger);
    let results = run::cleanup(&scim, &ledger, &base, None).await;
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
        failed += usize::from(r.left_behind());
    }
    Ok(if failed > 0 { exit::RUNTIME } else { exit::OK })
}
