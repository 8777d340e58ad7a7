//! idgate's core: the scenario language (model, loader, `{{var}}` templates),
//! diagnostics that point at file:line:col, the redaction of secrets, and the
//! exit-code table. It knows nothing of HTTP, checks or reports, so the files
//! a QA engineer edits are read the same way by every part of idgate.

pub mod diagnostic;
pub mod exit;
pub mod partition;
pub mod redact;
pub mod scenario;
