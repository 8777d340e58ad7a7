#!/usr/bin/env bash
# A real SAML service provider for CI: python3-saml (PyPI) in a small WSGI app
# (python3-saml-sp/app.py), run on 127.0.0.1 only.
#
#   python3-saml-sp.sh install DIR                                   venv in DIR/venv, pinned packages
#                                   (PYSAML_FROM_SOURCE=1: build lxml and xmlsec against Debian's
#                                   libxml2 and libxmlsec1 instead of using the PyPI wheels)
#   python3-saml-sp.sh start DIR PORT IDP_METADATA_FILE [SP_ENTITY_ID]
#                                   install if needed, start, print the ACS, whoami, login URLs
#                                   and the SP entity ID (default http://127.0.0.1:PORT/metadata)
#   python3-saml-sp.sh stop DIR                                      stop the SP started in DIR
#
# The SP keeps sessions, outstanding AuthnRequest IDs and seen Assertion IDs in memory; a restart
# is a clean target.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly HOST="127.0.0.1"
readonly HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly APP_DIR="$HERE/python3-saml-sp"

usage() {
    echo "usage: $0 install DIR | start DIR PORT IDP_METADATA_FILE [SP_ENTITY_ID] | stop DIR" >&2
    exit 1
}

install() {
    local dir="$1"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [[ ! -x "$dir/venv/bin/python" ]]; then
        python3 -m venv "$dir/venv"
    fi
    local from_source=()
    if [[ "${PYSAML_FROM_SOURCE:-0}" == 1 ]]; then
        # Needs build-essential pkg-config libxml2-dev libxslt1-dev libxmlsec1-dev (README.md).
        from_source=(--no-binary lxml,xmlsec)
    fi
    "$dir/venv/bin/pip" install --quiet --disable-pip-version-check "${from_source[@]}" \
        --requirement "$APP_DIR/requirements.txt"
    # xmlsec refuses to import when its libxml2 is not lxml's; say so here, not at the first post.
    if ! "$dir/venv/bin/python" - <<'EOF'
import lxml.etree, xmlsec
from onelogin.saml2.auth import OneLogin_Saml2_Auth
print("python3-saml SP ready: lxml %s (libxml2 %s), xmlsec %s (libxml2 %s, xmlsec1 %s)" % (
    lxml.etree.__version__, ".".join(map(str, lxml.etree.LIBXML_VERSION)), xmlsec.__version__,
    ".".join(map(str, xmlsec.get_libxml_version())),
    ".".join(map(str, xmlsec.get_libxmlsec_version()))))
EOF
    then
        echo "python3-saml SP: lxml/xmlsec do not load together in $dir/venv" >&2
        exit 1
    fi
}

start() {
    local dir="$1" port="$2" metadata="$3" entity_id="${4:-}"
    [[ "$port" =~ ^[0-9]+$ ]] || { echo "PORT must be a number: $port" >&2; exit 1; }
    [[ -f "$metadata" ]] || { echo "no IdP metadata file: $metadata" >&2; exit 1; }
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    metadata="$(cd "$(dirname "$metadata")" && pwd)/$(basename "$metadata")"
    [[ -n "$entity_id" ]] || entity_id="http://$HOST:$port/metadata"

    if [[ -f "$dir/pid" ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
        echo "python3-saml SP already running in $dir (pid $(cat "$dir/pid"))" >&2
        exit 1
    fi
    if [[ ! -x "$dir/venv/bin/python" ]] ||
        ! "$dir/venv/bin/python" -c "import onelogin.saml2.auth" 2>/dev/null; then
        install "$dir" >&2
    fi

    nohup "$dir/venv/bin/python" "$APP_DIR/app.py" --port "$port" \
        --idp-metadata "$metadata" --sp-entity-id "$entity_id" >"$dir/server.log" 2>&1 &
    echo $! >"$dir/pid"

    # /metadata needs no session, so it tells when the SP is up.
    peer_wait "python3-saml SP" "$dir" "http://$HOST:$port/metadata"
    echo "ACS URL:      http://$HOST:$port/acs"
    echo "whoami URL:   http://$HOST:$port/whoami"
    echo "login URL:    http://$HOST:$port/login"
    echo "SP entity ID: $entity_id"
}


case "${1:-}" in
install)
    [[ $# -eq 2 ]] || usage
    install "$2"
    ;;
start)
    [[ $# -eq 4 || $# -eq 5 ]] || usage
    start "$2" "$3" "$4" "${5:-}"
    ;;
stop)
    [[ $# -eq 2 ]] || usage
    peer_stop "$2"
    ;;
*) usage ;;
esac
