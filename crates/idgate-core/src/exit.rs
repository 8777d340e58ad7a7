//! Exit codes: the contract with a CI gate. Every command and the harness
//! map their outcome to one of these, and the reports name the same code.

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
/// Stopped by SIGTERM (a CI cancel, `docker stop`), after deleting what the run had created.
pub const TERMINATED: u8 = 143;
/// A second signal stopped the run at once: cleanup did not finish, and the printed
/// `idgate cleanup` line finishes it.
pub const ABORTED: u8 = 5;

/// What a code means, in the words the README's table uses.
pub fn meaning(code: u8) -> &'static str {
    match code {
        OK => "every check passed",
        USAGE => "command line or configuration error",
        SCENARIO => "a scenario, client or catalogue file is wrong",
        RUNTIME => "the target could not be reached or answered unusably",
        CHECK_FAILED => "at least one check failed",
        INTERRUPTED => "interrupted; what the run created was deleted",
        TERMINATED => "terminated (SIGTERM); what the run created was deleted",
        ABORTED => "stopped at once by a second signal; run the printed `idgate cleanup` line",
        _ => "unknown exit code",
    }
}
