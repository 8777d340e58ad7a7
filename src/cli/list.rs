//! `idgate list`: every scenario, client and check with its id, severity and rule.

use idgate::exit;
use idgate::session::load_suite;

use crate::Outcome;
use crate::args::ListArgs;
use crate::out;

pub fn list(a: ListArgs) -> Outcome {
    let suite = load_suite(a.scenarios.as_deref())?;
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
