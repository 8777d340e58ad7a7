# Shared by the peer scripts: wait for a server started in the background,
# and stop it by the PID it left in its directory. Source it; do not run it.

# peer_wait NAME DIR URL [CURL_ARG...]: poll URL until it answers 2xx (20 s at most), sending
# the extra curl arguments (a header, say) with each poll; on failure print the server's log,
# stop it and exit 1.
peer_wait() {
    local name="$1" dir="$2" url="$3" i
    shift 3
    for ((i = 0; i < 100; i++)); do
        if curl --silent --fail --max-time 2 --output /dev/null "$@" "$url"; then
            return 0
        fi
        if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
            echo "$name exited; its log:" >&2
            cat "$dir/server.log" >&2
            rm -f "$dir/pid"
            exit 1
        fi
        sleep 0.2
    done
    echo "$name did not answer at $url within 20 s; its log:" >&2
    cat "$dir/server.log" >&2
    peer_stop "$dir"
    exit 1
}

# peer_stop DIR: stop the server whose PID is in DIR/pid, but only if that
# process is still one started from DIR (a PID can be reused by anything): its
# command line names DIR/$PEER_MARK (default venv, for the Python peers; a
# script whose server runs from another file in DIR sets PEER_MARK).
peer_stop() {
    local dir="$1" pid i mark="${PEER_MARK:-venv}"
    dir="$(cd "$dir" 2>/dev/null && pwd || echo "$dir")"
    [[ -f "$dir/pid" ]] || { echo "no pid file in $dir" >&2; return 0; }
    pid="$(cat "$dir/pid")"
    if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir/$mark"; then
        kill "$pid"
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
