//! Golden files of what a person sees: each case under `tests/golden/` names a
//! command line (`NAME.toml`: args, environment, exit code), its expected
//! stdout and stderr (`NAME.stdout`, `NAME.stderr`, with `[..]` for what
//! changes from run to run) and, for load errors, the files it reads
//! (`NAME.in/`). `TRYCMD=overwrite cargo test golden` rewrites them; review
//! the diff before committing.

#[test]
fn cli_output() {
    trycmd::TestCases::new()
        .register_bin("idgate", std::path::Path::new(env!("CARGO_BIN_EXE_idgate")))
        .case("tests/golden/cli/*.toml");
}

#[test]
fn load_errors() {
    trycmd::TestCases::new()
        .register_bin("idgate", std::path::Path::new(env!("CARGO_BIN_EXE_idgate")))
        .case("tests/golden/load/*.toml");
}
