//! The `idgate` binary; everything lives in the library (see `cli`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    idgate::cli::main().await
}
