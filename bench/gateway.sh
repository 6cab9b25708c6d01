#!/usr/bin/env bash
# Gateway benchmark (issue: foundation): key-authenticated GET /syntpop/api/ping through every
# layer (request id, trace span, metrics, problem finalizer, timeout, body limit, version, key,
# CORS, rate limit) versus a bare axum handler, with wrk -t1 -c64; plus cold start to /readyz.
# Loopback only; stops by itself. Usage: bench/gateway.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-20}
command -v wrk >/dev/null || { echo "bench: install wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q -p fjellport --bin fjellport --example bare
BIN=target/release/fjellport
BARE=target/release/examples/bare
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
TOKEN=bench-admin-token-0123456789

port_free() { ! curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/"; }
for p in 18080 18081 18090; do port_free "$p" || { echo "bench: port $p is busy" >&2; exit 1; }; done
wait_ready() { for _ in $(seq 1 200); do curl -fs "$1" >/dev/null && return 0; sleep 0.05; done; return 1; }
summary() { # wrk output → "req/s p50 p99"
    awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {print rps, p50, p99}'
}

echo "== cold start: process start → first 200 on /readyz (fresh SQLite file), 5 runs"
python3 - "$BIN" "$WORK" <<'PY'
import subprocess, sys, time, http.client, os, statistics
binary, work = sys.argv[1], sys.argv[2]
times = []
for i in range(5):
    db = os.path.join(work, f"cold{i}.db")
    start = time.perf_counter()
    p = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:18090", "--database", f"sqlite:{db}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env={**os.environ, "FJELLPORT_ADMIN_TOKEN": "bench-admin-token-0123456789"})
    while True:
        try:
            c = http.client.HTTPConnection("127.0.0.1", 18090, timeout=1)
            c.request("GET", "/readyz")
            if c.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.001)
    times.append((time.perf_counter() - start) * 1000)
    p.terminate(); p.wait()
print(f"cold start ms: median {statistics.median(times):.0f}, max {max(times):.0f} ({', '.join(f'{t:.0f}' for t in times)})")
PY

echo "== GET /syntpop/api/ping: fjellport (key + version 0.2, deprecated: all headers; rate limit"
echo "   1e6/s) vs a bare axum handler (same path and body size, no layers); 3 alternating rounds"
echo "   of ${SECS}s each, so drifting machine load hits both alike; medians reported"
FJELLPORT_ADMIN_TOKEN=$TOKEN "$BIN" serve --listen 127.0.0.1:18080 --database sqlite::memory: \
    --clock 2026-09-01T00:00:00Z 2>"$WORK/serve.log" &
PIDS+=($!)
"$BARE" 127.0.0.1:18081 &
PIDS+=($!)
wait_ready http://127.0.0.1:18080/readyz
wait_ready http://127.0.0.1:18081/syntpop/api/ping
KEY=$(curl -fs -X POST http://127.0.0.1:18080/admin/api/keys -H "Authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' -d '{"api":"syntpop","type":"other","rateLimit":1000000}' \
    | python3 -c 'import sys,json; print(json.load(sys.stdin)["secret"])')
curl -fs http://127.0.0.1:18080/syntpop/api/ping -H "X-api-key: $KEY" -H 'X-api-version: 0.2' >/dev/null
full() { wrk -t1 -c64 -d"$1" --latency -H "X-api-key: $KEY" -H 'X-api-version: 0.2' \
    http://127.0.0.1:18080/syntpop/api/ping; }
bare() { wrk -t1 -c64 -d"$1" --latency http://127.0.0.1:18081/syntpop/api/ping; }
full 2s >/dev/null; bare 2s >/dev/null
: >"$WORK/full.rows"; : >"$WORK/bare.rows"
for round in 1 2 3; do
    full "${SECS}s" | tee "$WORK/full$round.txt" | summary >>"$WORK/full.rows"
    grep -E "Non-2xx|Socket errors" "$WORK/full$round.txt" || true
    bare "${SECS}s" | summary >>"$WORK/bare.rows"
    echo "   round $round: fjellport $(tail -1 "$WORK/full.rows") | bare $(tail -1 "$WORK/bare.rows")"
done
median() { sort -n -k"$1" "$2" | sed -n 2p | awk -v c="$1" '{print $c}'; }
F_RPS=$(median 1 "$WORK/full.rows"); B_RPS=$(median 1 "$WORK/bare.rows")
to_ms() { python3 -c "import sys; v=sys.argv[1]; print(f'{float(v[:-2])/1000 if v.endswith(\"us\") else float(v[:-2]) if v.endswith(\"ms\") else float(v[:-1])*1000:.2f}ms')" "$1"; }
F_P50=$(to_ms "$(median 2 "$WORK/full.rows")"); F_P99=$(to_ms "$(median 3 "$WORK/full.rows")")
B_P50=$(to_ms "$(median 2 "$WORK/bare.rows")"); B_P99=$(to_ms "$(median 3 "$WORK/bare.rows")")
RATIO=$(python3 -c "print(f'{100*$F_RPS/$B_RPS:.0f}')")
printf '\n%-34s %12s %10s %10s\n' "(medians)" "req/s" "p50" "p99"
printf '%-34s %12s %10s %10s\n' "fjellport (all layers)" "$F_RPS" "$F_P50" "$F_P99"
printf '%-34s %12s %10s %10s\n' "bare axum handler" "$B_RPS" "$B_P50" "$B_P99"
echo "gateway throughput = ${RATIO}% of bare (target >= 70%, p99 <= 5 ms)"
