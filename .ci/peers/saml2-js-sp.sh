#!/usr/bin/env bash
# A real SAML service provider for CI: saml2-js 4.0.4 (npm) behind a small Node.js HTTP shell
# (saml2-js-sp/server.js), run on 127.0.0.1 only.
#
#   saml2-js-sp.sh install DIR       npm ci of the committed lock file into DIR/node_modules
#                                    (skipped, so offline-safe, when DIR already has that lock
#                                    installed), and an SP key pair in DIR (saml2-js wants one)
#   saml2-js-sp.sh start DIR PORT IDP_METADATA_FILE [SP_ENTITY_ID]
#                                    install if needed, start, print the ACS, whoami, login URLs
#                                    and the SP entity ID (default http://127.0.0.1:PORT/metadata)
#   saml2-js-sp.sh stop DIR          stop the SP started in DIR
#
# The SP keeps sessions, outstanding AuthnRequest IDs and seen Assertion IDs in memory; a restart
# is a clean target.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly HOST="127.0.0.1"
readonly HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly APP_DIR="$HERE/saml2-js-sp"

usage() {
    echo "usage: $0 install DIR | start DIR PORT IDP_METADATA_FILE [SP_ENTITY_ID] | stop DIR" >&2
    exit 1
}

# The server runs from its own copy of server.js in DIR: that is what peer_stop recognises.
PEER_MARK=server.js

installed() {
    local dir="$1"
    cmp -s "$APP_DIR/package-lock.json" "$dir/package-lock.json" &&
        (cd "$dir" && node -e 'require("saml2-js"); require("@xmldom/xmldom")') 2>/dev/null
}

install() {
    local dir="$1"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if ! installed "$dir"; then
        cp "$APP_DIR/package.json" "$APP_DIR/package-lock.json" "$dir/"
        # The lock file is the whole truth (npm ci never rewrites it); no package here needs an
        # install script, so none runs.
        (cd "$dir" && npm ci --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error)
    fi
    if [[ ! -f "$dir/sp-key.pem" || ! -f "$dir/sp-cert.pem" ]]; then
        # saml2-js requires an SP key and certificate (metadata, decryption); this SP signs nothing
        # and nobody encrypts to it, so a throwaway self-signed pair per DIR is enough.
        openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=saml2-js SP for idgate CI" \
            -keyout "$dir/sp-key.pem" -out "$dir/sp-cert.pem" 2>/dev/null
    fi
    echo "saml2-js SP ready: node $(node --version), $(cd "$dir" && node -p \
        '["saml2-js", "xml-crypto", "@xmldom/xmldom"].map((p) => p + " " + require(p + "/package.json").version).join(", ")')"
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
        echo "saml2-js SP already running in $dir (pid $(cat "$dir/pid"))" >&2
        exit 1
    fi
    if ! installed "$dir" || [[ ! -f "$dir/sp-key.pem" || ! -f "$dir/sp-cert.pem" ]]; then
        install "$dir" >&2
    fi

    # A fresh copy beside DIR/node_modules: Node resolves saml2-js from the script's own folder,
    # and the copy's path in the command line is what peer_stop recognises.
    cp "$APP_DIR/server.js" "$dir/server.js"
    nohup node "$dir/server.js" --port "$port" --idp-metadata "$metadata" \
        --sp-key "$dir/sp-key.pem" --sp-cert "$dir/sp-cert.pem" \
        --sp-entity-id "$entity_id" >"$dir/server.log" 2>&1 &
    echo $! >"$dir/pid"

    # /metadata needs no session, so it tells when the SP is up.
    peer_wait "saml2-js SP" "$dir" "http://$HOST:$port/metadata"
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
