#!/usr/bin/env bash
# A real SCIM peer for CI: scim2-server (PyPI), written by others, run on 127.0.0.1 only.
#
#   scim2-server.sh start DIR PORT TOKEN   install into DIR/venv, start, print the SCIM base URL
#   scim2-server.sh stop DIR               stop the server started in DIR
#
# The server keeps everything in memory; a restart is a clean target.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly VERSION="0.8.3"
# The PATCH, filter and validation behaviour lives in scim2-models: pinned too, so the findings
# in scim2-server-findings.md stay true.
readonly MODELS_VERSION="0.12.3"
readonly HOST="127.0.0.1"

usage() {
    echo "usage: $0 start DIR PORT TOKEN | stop DIR" >&2
    exit 1
}

start() {
    local dir="$1" port="$2" token="$3"
    [[ "$port" =~ ^[0-9]+$ ]] || { echo "PORT must be a number: $port" >&2; exit 1; }
    [[ -n "$token" ]] || { echo "TOKEN must not be empty" >&2; exit 1; }
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"

    if [[ -f "$dir/pid" ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
        echo "scim2-server already running in $dir (pid $(cat "$dir/pid"))" >&2
        exit 1
    fi

    if [[ ! -x "$dir/venv/bin/scim2-server" ]]; then
        python3 -m venv "$dir/venv"
        "$dir/venv/bin/pip" install --quiet --disable-pip-version-check "scim2-server==$VERSION" "scim2-models==$MODELS_VERSION"
    fi

    # The package's own CLI (scim2_server/testserver/cli.py): --bearer-token makes it a
    # BearerTokenApplication that answers 401 without that token; it serves under / and /v2.
    nohup "$dir/venv/bin/scim2-server" --hostname "$HOST" --port "$port" \
        --bearer-token "$token" >"$dir/server.log" 2>&1 &
    echo $! >"$dir/pid"

    # /ServiceProviderConfig needs no token (RFC 7643 §5), so it tells when the server is up.
    peer_wait scim2-server "$dir" "http://$HOST:$port/v2/ServiceProviderConfig"
    echo "http://$HOST:$port/v2"
}


case "${1:-}" in
start)
    [[ $# -eq 4 ]] || usage
    start "$2" "$3" "$4"
    ;;
stop)
    [[ $# -eq 2 ]] || usage
    peer_stop "$2"
    ;;
*) usage ;;
esac
