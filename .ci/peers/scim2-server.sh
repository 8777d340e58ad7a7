#!/usr/bin/env bash
# A real SCIM peer for CI: scim2-server (PyPI), written by others, run on 127.0.0.1 only.
#
#   scim2-server.sh start DIR PORT TOKEN   install into DIR/venv, start, print the SCIM base URL
#   scim2-server.sh stop DIR               stop the server started in DIR
#
# The server keeps everything in memory; a restart is a clean target.
set -euo pipefail

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
    local i
    for ((i = 0; i < 100; i++)); do
        if curl --silent --fail --max-time 2 --output /dev/null \
            "http://$HOST:$port/v2/ServiceProviderConfig"; then
            echo "http://$HOST:$port/v2"
            return 0
        fi
        if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
            echo "scim2-server exited; its log:" >&2
            cat "$dir/server.log" >&2
            rm -f "$dir/pid"
            exit 1
        fi
        sleep 0.2
    done
    echo "scim2-server did not answer on $HOST:$port within 20 s; its log:" >&2
    cat "$dir/server.log" >&2
    stop "$dir"
    exit 1
}

stop() {
    local dir="$1" pid
    [[ -f "$dir/pid" ]] || { echo "no pid file in $dir" >&2; return 0; }
    pid="$(cat "$dir/pid")"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        local i
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -9 "$pid"
        fi
    fi
    rm -f "$dir/pid"
}

case "${1:-}" in
start)
    [[ $# -eq 4 ]] || usage
    start "$2" "$3" "$4"
    ;;
stop)
    [[ $# -eq 2 ]] || usage
    stop "$2"
    ;;
*) usage ;;
esac
