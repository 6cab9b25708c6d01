#!/usr/bin/env bash
# DPoP benchmarks (issue: HelseID/DPoP) with the shared driver ../shared/bench/tokenload, so figures
# compare with its quoted peers (node oidc-provider ~2,000 tokens/s on this kind of machine):
#  - token:    client_credentials + private_key_jwt, fresh assertion and proof per request, 64 conns
#  - resource: one DPoP-bound token, GET /syntpop/api/ping (v1.0) with a fresh proof per request
#  - floor:    the same driver against /healthz, which checks nothing: the latency the driver and
#              HTTP alone give on these cores, against which the resource figures compare
# plus the crypto-only bound (cargo bench -p fjellport-auth). Loopback only; stops by itself.
# Usage: bench/dpop.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
SECS=${1:-20}
DRIVER=../shared/bench/tokenload
[ -f "$DRIVER/Cargo.toml" ] || { echo "bench: $DRIVER not found" >&2; exit 1; }
cargo build --release -q -p fjellport --bin fjellport --example keygen
cargo build --release -q --manifest-path "$DRIVER/Cargo.toml" --target-dir /tmp/tokenload-target
LOAD=/tmp/tokenload-target/release/tokenload
WORK=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
PORT=18180
BASE="http://127.0.0.1:$PORT"
TOKEN=bench-admin-token-0123456789
SCOPE="nhntsd:syntpop-api/full-access"

FJELLPORT_ADMIN_TOKEN=$TOKEN target/release/fjellport serve --listen "127.0.0.1:$PORT" \
    --database "sqlite:$WORK/bench.db" 2>"$WORK/serve.log" &
PID=$!
for _ in $(seq 1 100); do curl -fs "$BASE/readyz" >/dev/null && break; sleep 0.05; done
CLIENT=$(new_client "$BASE" "$TOKEN" "$WORK" "$SCOPE")
COMMON=(--token-url "$BASE/helseid/connect/token" --issuer "$BASE/helseid" --client-id "$CLIENT"
        --key "$WORK/client.pem" --scope "$SCOPE" --concurrency 64 --duration "$SECS" --warmup 3
        --server-pid "$PID")

echo "== token endpoint: fresh client assertion + fresh DPoP proof per request, 64 connections"
"$LOAD" token "${COMMON[@]}" --label fjellport-token | tail -n 12
echo "== DPoP-protected GET /syntpop/api/ping (X-api-version: 1.0), fresh proof per request, 64 connections"
"$LOAD" resource "${COMMON[@]}" --url "$BASE/syntpop/api/ping" -H "X-api-version: 1.0" \
    --label fjellport-resource | tail -n 12
echo "== floor: the same driver against GET /healthz (no authentication: the server only answers), 64 connections"
echo "   (the proof is still signed per request, so this is what the driver and HTTP leave for the server's checks)"
"$LOAD" resource "${COMMON[@]}" --url "$BASE/healthz" --label fjellport-floor | tail -n 12
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
echo "== crypto-only bound (one core)"
cargo bench -q -p fjellport-auth --bench es256 2>/dev/null | grep -E "/s on one core"
