//! The `idgate` binary: the command line over the library. Each command has
//! its own file; the rules of a run (targets, tokens, keys, the embedded
//! target) live in `idgate::session`, shared with `idgate::harness`.

mod args;
mod cleanup;
mod list;
mod load;
mod profile;
mod report;
mod run;
mod saml;
mod serve;
mod snapshots;

use std::process::ExitCode;

use idgate::exit;
use idgate::session::SetupError;

use args::{Cli, Command};

/// `println!` that shrugs at a closed stdout (`idgate saml cases | head`)
/// instead of panicking.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}
pub(crate) use out;

/// What a command ends with: its exit code, or why it could not run.
type Outcome = Result<u8, SetupError>;

#[tokio::main]
async fn main() -> ExitCode {
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
        && let Err(d) = profile::apply(a, m)
    {
        eprint!("{d}");
        return ExitCode::from(exit::USAGE);
    }
    if let (Command::Load(a), Some(m)) = (&mut cli.command, matches.subcommand_matches("load"))
        && let Err(d) = profile::apply_load(a, m)
    {
        eprint!("{d}");
        return ExitCode::from(exit::USAGE);
    }
    let result = match cli.command {
        Command::Run(a) => run::run(*a).await,
        Command::Load(a) => load::load(*a).await,
        Command::List(a) => list::list(a),
        Command::Serve(a) => serve::serve(a).await,
        Command::Cleanup(a) => cleanup::cleanup(a).await,
        Command::Saml(c) => saml::saml(c),
        Command::Snapshots(c) => snapshots::snapshots(c),
        Command::Report(c) => report::report(c),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let mut err = anstream::stderr();
            use std::io::Write;
            let msg = e.to_string();
            let _ = write!(err, "{msg}");
            if !msg.ends_with('\n') {
                let _ = writeln!(err);
            }
            ExitCode::from(e.exit_code())
        }
    }
}
