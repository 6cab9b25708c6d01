# Shared by the bench scripts (source it after `cd` to the repository root).
#   need TOOL HOW   stop, saying how to install TOOL, when it is missing
#   port_free PORT  nothing answers on 127.0.0.1:PORT
#   build_tokenload build ../shared/bench/tokenload; set LOAD to it
#   start_work      build the release binary; set BIN, WORK (a scratch directory) and PIDS
#                   (processes stopped, and WORK removed, on exit)
#   new_client BASE ADMIN DIR SCOPE
#                   a key pair in DIR (client.pem, client.public.json, by the keygen example)
#                   and a HelseID client for it with SCOPE; prints its client_id

need() { command -v "$1" >/dev/null || { echo "bench: install $1 ($2)" >&2; exit 1; }; }

port_free() { ! curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/"; }

cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }

# Builds the shared token-endpoint driver (../shared/bench/tokenload) once; sets LOAD.
build_tokenload() {
    local driver=../shared/bench/tokenload
    [ -f "$driver/Cargo.toml" ] || { echo "bench: $driver not found" >&2; exit 1; }
    cargo build --release -q --manifest-path "$driver/Cargo.toml" --target-dir /tmp/tokenload-target
    LOAD=/tmp/tokenload-target/release/tokenload
}

start_work() {
    cargo build --release -q -p fjellport --bin fjellport
    BIN=target/release/fjellport
    WORK=$(mktemp -d)
    PIDS=()
    trap cleanup EXIT
}

new_client() {
    local base=$1 admin=$2 dir=$3 scope=$4
    target/release/examples/keygen "$dir" >/dev/null
    curl -fs -X POST "$base/admin/api/clients" -H "Authorization: Bearer $admin" \
        -H 'content-type: application/json' \
        -d "{\"jwk\": $(cat "$dir/client.public.json"), \"scopes\": [\"$scope\"], \"orgnr_parent\": \"974760673\"}" |
        python3 -c 'import sys, json; print(json.load(sys.stdin)["client_id"])'
}
