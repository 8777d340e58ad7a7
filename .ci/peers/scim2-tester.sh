#!/usr/bin/env bash
# Another SCIM tester for the cross-check: scim2-tester (PyPI), run through scim2-cli's
# `scim2 --url URL test`, against a server on 127.0.0.1 only.
#
#   scim2-tester.sh install DIR              venv in DIR/venv with the pinned packages
#                                            (scim2-tester/requirements.txt); idempotent
#   scim2-tester.sh test DIR URL TOKEN OUT   install if needed, run one test pass against URL
#                                            with `Authorization: Bearer TOKEN`, write OUT (JSON,
#                                            see scim2-tester/to_json.py), the CLI's own text
#                                            to OUT.txt and its stderr to OUT.stderr
#
# scim2-cli has no JSON output: it prints `STATUS check` lines and exits 1 when any result is
# not SUCCESS. So `test` exits 0 whenever the CLI gave a verdict, whatever it is: its report, or
# its own "Error: ..." refusal before any check (it refuses a server it cannot discover), kept
# in OUT as the failed result cli/refused#1. Non-zero only after a crash or a time-out (OUT is
# still written, with "completed": false and "refused": null).
set -euo pipefail

readonly HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REQUIREMENTS="$HERE/scim2-tester/requirements.txt"
# One pass takes seconds; this only stops a hung one.
readonly PASS_TIMEOUT="${SCIM2_TESTER_TIMEOUT:-300}"

usage() {
    echo "usage: $0 install DIR | test DIR URL TOKEN OUT" >&2
    exit 1
}

install() {
    local dir="$1"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    # The requirements file as installed: the same one again means nothing to do.
    if [[ -x "$dir/venv/bin/scim2" ]] && cmp -s "$REQUIREMENTS" "$dir/installed-requirements.txt"; then
        return 0
    fi
    if [[ ! -x "$dir/venv/bin/python" ]]; then
        python3 -m venv "$dir/venv"
    fi
    "$dir/venv/bin/pip" install --quiet --disable-pip-version-check --requirement "$REQUIREMENTS"
    "$dir/venv/bin/scim2" --help >/dev/null
    cp "$REQUIREMENTS" "$dir/installed-requirements.txt"
    echo "scim2-tester ready in $dir: $("$dir/venv/bin/python" -c '
from importlib.metadata import version
print(", ".join(p + " " + version(p) for p in ("scim2-cli", "scim2-tester", "scim2-client", "scim2-models")))')"
}

run_test() {
    local dir="$1" url="$2" token="$3" out="$4" code=0
    # Loopback only: this sends writes (users, groups, PATCHes, DELETEs) to the server.
    [[ "$url" =~ ^http://(127\.0\.0\.1|localhost):[0-9]+(/.*)?$ ]] ||
        { echo "URL must be http://127.0.0.1:PORT/...: $url" >&2; exit 1; }
    [[ -n "$token" ]] || { echo "TOKEN must not be empty" >&2; exit 1; }
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    install "$dir" >&2

    # The token goes through the environment, not the command line (scim2 --help says why);
    # -h/--header and SCIM_CLI_HEADERS take "Name: value", several split by ';'.
    SCIM_CLI_HEADERS="Authorization: Bearer $token" NO_COLOR=1 \
        timeout "$PASS_TIMEOUT" "$dir/venv/bin/scim2" --url "$url" test \
        >"$out.txt" 2>"$out.stderr" </dev/null || code=$?
    "$dir/venv/bin/python" "$HERE/scim2-tester/to_json.py" "$out.txt" "$out.stderr" "$code" "$url" "$out"
    if ! grep -q '^Performing a SCIM compliance check on ' "$out.txt" &&
        ! grep -q '^Error: ' "$out.stderr"; then
        echo "scim2 test printed no report (exit $code); its stderr:" >&2
        tail -n 40 "$out.stderr" >&2
        exit 2
    fi
}

case "${1:-}" in
install)
    [[ $# -eq 2 ]] || usage
    install "$2"
    ;;
test)
    [[ $# -eq 5 ]] || usage
    run_test "$2" "$3" "$4" "$5"
    ;;
*) usage ;;
esac
