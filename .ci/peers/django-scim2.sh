#!/usr/bin/env bash
# A real SCIM peer for CI: django-scim2-server (PyPI), written by others, in the smallest Django
# project that serves it (django-scim2/idgate_peer), run on 127.0.0.1 only.
#
#   django-scim2.sh start DIR PORT TOKEN   install into DIR/venv, migrate a new SQLite database
#                                          in DIR, start, print the SCIM base URL
#   django-scim2.sh stop DIR               stop the server started in DIR
#
# Every start begins on an empty database: a restart is a clean target. The token is kept in
# DIR/token (mode 0600), not on the server's command line.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly HOST="127.0.0.1"
readonly HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly PROJECT="$HERE/django-scim2"

usage() {
    echo "usage: $0 start DIR PORT TOKEN | stop DIR" >&2
    exit 1
}

start() {
    local dir="$1" port="$2" token="$3"
    [[ "$port" =~ ^[0-9]+$ ]] || { echo "PORT must be a number: $port" >&2; exit 1; }
    [[ -n "$token" ]] || { echo "TOKEN must not be empty" >&2; exit 1; }
    [[ "$token" =~ ^[[:graph:]]+$ ]] || { echo "TOKEN must be printable, without spaces" >&2; exit 1; }
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"

    if [[ -f "$dir/pid" ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
        echo "django-scim2-server already running in $dir (pid $(cat "$dir/pid"))" >&2
        exit 1
    fi

    # Reinstall when the pins changed since the venv was made.
    if ! cmp --silent "$PROJECT/requirements.txt" "$dir/venv/requirements.txt"; then
        rm -rf "$dir/venv"
        python3 -m venv "$dir/venv"
        "$dir/venv/bin/pip" install --quiet --disable-pip-version-check \
            --requirement "$PROJECT/requirements.txt" >&2
        cp "$PROJECT/requirements.txt" "$dir/venv/requirements.txt"
    fi

    (
        umask 077
        printf '%s\n' "$token" >"$dir/token"
        "$dir/venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$dir/secret-key"
        # For the readiness poll: curl reads the header from this file, so the token is not on
        # its command line either.
        printf 'Authorization: Bearer %s\n' "$token" >"$dir/auth-header"
    )
    rm -f "$dir/db.sqlite3"

    export IDGATE_PEER_DIR="$dir" DJANGO_SETTINGS_MODULE=idgate_peer.settings \
        PYTHONPATH="$PROJECT" PYTHONDONTWRITEBYTECODE=1
    local django=("$dir/venv/bin/python" -m django)
    "${django[@]}" migrate --no-input >"$dir/migrate.log" 2>&1 ||
        { cat "$dir/migrate.log" >&2; exit 1; }

    # Django's own server: the package needs nothing else. --noreload keeps it one process, the
    # one whose PID peer_stop checks.
    nohup "${django[@]}" runserver --noreload "$HOST:$port" >"$dir/server.log" 2>&1 &
    echo $! >"$dir/pid"

    # Every SCIM endpoint, /ServiceProviderConfig too, answers 401 without the token.
    peer_wait django-scim2-server "$dir" "http://$HOST:$port/scim/v2/ServiceProviderConfig" \
        --header "@$dir/auth-header"
    echo "http://$HOST:$port/scim/v2"
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
