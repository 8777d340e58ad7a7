#!/usr/bin/env bash
# Runs every fuzz target for SECS seconds (default 30, the CI smoke), with its committed corpus.
#   fuzz/run.sh [SECS] [TARGET...]
# cargo-fuzz needs a nightly compiler; on a stable one, RUSTC_BOOTSTRAP=1 unlocks the same
# flags (set here). Without cargo-fuzz, it says so and exits 0: CI treats that as skipped.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-30}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(scenario_loader scim_response saml_side reference_sp)
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "skipped fuzzing: cargo-fuzz is not installed (cargo install cargo-fuzz --locked)"
    exit 0
fi
export RUSTC_BOOTSTRAP="${RUSTC_BOOTSTRAP:-1}"
for t in "${targets[@]}"; do
    mkdir -p "$PWD/corpus/$t"
    echo "== $t for ${secs}s"
    cargo fuzz run "$t" "$PWD/corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536
done
