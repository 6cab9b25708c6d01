# Shared by the bench scripts (source it after `cd` to the repository root).
#   need TOOL HOW   stop, saying how to install TOOL, when it is missing
#   port_free PORT  nothing answers on 127.0.0.1:PORT
#   build_tokenload build ../shared/bench/tokenload; set LOAD to it
#   start_work      build the release binary; set BIN, WORK (a scratch directory) and PIDS
#                   (processes stopped, and WORK removed, on exit)

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
