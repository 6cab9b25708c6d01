#!/usr/bin/env bash
# Latency at fixed offered rates (issue: performance, §2): the tail a user sees, measured in an
# open loop (each request due on a fixed schedule, its latency counted from when it was due,
# so a stalled server shows in the tail instead of slowing the driver down), on a fresh
# SQLite database of 10,000 generated persons:
#   token endpoint   client_credentials + private_key_jwt + DPoP (nonce), fresh assertion and
#                    proof per request: ../shared/bench/tokenload --rate 5000, and its closed-loop
#                    peak at 64 connections
#   DPoP GET         GET /syntpop/api/ping (X-api-version 1.0) with one DPoP-bound token and a
#                    fresh proof per request: tokenload resource --rate 8000
#   GET by id        key-authenticated GET /syntpop/api/persons/{id}?informationParts=All
#                    (2.2 kB, a different person each request): oha -q 20000
#                    --latency-correction, and its closed-loop peak with wrk -t1 -c64
# Beside each: the same driver at the same rate against /healthz, which checks nothing (the
# driver's floor: what the driver, HTTP and the two shared cores give alone).
# Targets: token p99 <= 5 ms at 5,000/s and closed loop >= 8,000/s; DPoP GET p99 <= floor +
# 1.5 ms at 8,000/s; GET by id p99 <= floor + 2 ms at 20,000/s and closed loop >= 30,000/s.
# Loopback only; stops by itself. Needs wrk (apt-get install wrk) and oha (cargo install oha
# --locked). Other rates: TOKEN_RATE, DPOP_RATE, GET_RATE (default 5000, 8000, 20000).
# Usage: [TOKEN_RATE=n] [DPOP_RATE=n] [GET_RATE=n] bench/latency.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-20}
TOKEN_RATE=${TOKEN_RATE:-5000}
DPOP_RATE=${DPOP_RATE:-8000}
GET_RATE=${GET_RATE:-20000}
source bench/lib.sh
need wrk "apt-get install wrk"
need oha "cargo install oha --locked"
start_work
cargo build --release -q -p fjellport --example keygen
build_tokenload
PORT=18184
BASE="http://127.0.0.1:$PORT"
TOKEN=bench-admin-token-0123456789
SCOPE="nhntsd:syntpop-api/full-access"
port_free "$PORT" || { echo "bench: port $PORT is busy" >&2; exit 1; }

# The server, on the real clock (DPoP proofs carry the driver's time); again for the key
# lines with the clock at 2026-09-01, before version 0.2's sunset.
serve() { # [serve args...]
    FJELLPORT_ADMIN_TOKEN=$TOKEN "$BIN" serve --listen "127.0.0.1:$PORT" \
        --database "sqlite:$WORK/latency.db" --persons 10000 --seed 1 "$@" 2>>"$WORK/serve.log" &
    SERVER=$!
    PIDS+=("$SERVER")
    for _ in $(seq 1 600); do curl -fs "$BASE/readyz" >/dev/null && break; sleep 0.1; done
    for _ in $(seq 1 600); do grep -q "search index ready" "$WORK/serve.log" && break; sleep 0.1; done
}
serve

CLIENT=$(new_client "$BASE" "$TOKEN" "$WORK" "$SCOPE")
DRIVE=(--token-url "$BASE/helseid/connect/token" --issuer "$BASE/helseid" --client-id "$CLIENT"
       --key "$WORK/client.pem" --scope "$SCOPE" --concurrency 64 --duration "$SECS" --warmup 3
       --server-pid "$SERVER")
# tokenload's summary as one line: what it got and its latency.
drive() { # label mode rate|closed [args...]
    local label=$1 mode=$2 rate=$3
    shift 3
    local args=("${DRIVE[@]}")
    [ "$rate" = closed ] || args+=(--rate "$rate")
    "$LOAD" "$mode" "${args[@]}" "$@" --label "$label" >"$WORK/load.txt" 2>"$WORK/load.err" ||
        { cat "$WORK/load.err" >&2; exit 1; }
    awk -v name="$label" '/^successes/ {ok=$2} /^errors/ {bad=$2} /^(tokens|req)\/s/ {rps=$2}
        /^latency ms/ {p50=$4; p99=$8; max=$10} /^server CPU/ {cpu=$3}
        END {printf "%-40s %8s/s  p50 %5s ms  p99 %6s ms  max %7s ms  (%s ok, %s errors, server CPU %s)\n",
             name, rps, p50, p99, max, ok, bad, cpu}' "$WORK/load.txt"
}
# oha's summary as one line (open loop at a rate, latency corrected for coordinated omission).
open_loop() { # label rate url|--urls-from-file FILE
    local label=$1 rate=$2
    shift 2
    # oha has no warm-up of its own: 5 s first, so that connections are open and what the
    # server keeps of persons is filled (without it the first run's p99 was 10 times higher).
    oha --no-tui --output-format quiet -q "$rate" -c 64 -z 5s "$@" >/dev/null
    oha --no-tui --output-format json -q "$rate" --latency-correction -c 64 -z "${SECS}s" \
        "$@" >"$WORK/oha.json"
    python3 - "$label" "$WORK/oha.json" <<'PY'
import json, sys
label, r = sys.argv[1], json.load(open(sys.argv[2]))
p = r["latencyPercentiles"]
codes = r.get("statusCodeDistribution", {})
other = sum(n for c, n in codes.items() if c != "200")
print(f"{label:<40} {r['summary']['requestsPerSec']:8.0f}/s  p50 {p['p50'] * 1000:5.2f} ms  "
      f"p99 {p['p99'] * 1000:6.2f} ms  max {r['summary']['slowest'] * 1000:7.2f} ms  "
      f"({codes.get('200', 0)} answered 200, {other} other)")
PY
}

echo "== token endpoint, open loop at $TOKEN_RATE tokens/s offered (tokenload --rate), ${SECS}s each"
drive "floor: GET /healthz at $TOKEN_RATE/s" resource "$TOKEN_RATE" --url "$BASE/healthz"
drive "token endpoint at $TOKEN_RATE/s" token "$TOKEN_RATE"
echo "== token endpoint, closed loop, 64 connections"
drive "token endpoint, closed loop" token closed
echo "== DPoP-protected GET /syntpop/api/ping (1.0), open loop at $DPOP_RATE req/s offered"
drive "floor: GET /healthz at $DPOP_RATE/s" resource "$DPOP_RATE" --url "$BASE/healthz"
drive "DPoP GET at $DPOP_RATE/s" resource "$DPOP_RATE" --url "$BASE/syntpop/api/ping" -H "X-api-version: 1.0"
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
: >"$WORK/serve.log"
serve --clock 2026-09-01T00:00:00Z
# An API key, and 2,000 persons to ask for.
KEY=$(curl -fs -X POST "$BASE/admin/api/keys" -H "Authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' -d '{"api":"syntpop","type":"other","rateLimit":1000000}' \
    | python3 -c 'import sys,json; print(json.load(sys.stdin)["secret"])')
H=(-H "X-api-key: $KEY" -H "X-api-version: 0.2")
for seed in 1 2; do
    curl -fs "${H[@]}" "$BASE/syntpop/api/search" -H 'content-type: application/json' \
        -d "{\"random\": true, \"seed\": $seed, \"limit\": 1000}"
    echo
done | python3 -c '
import json, sys
base = sys.argv[1]
ids = [r["id"] for line in sys.stdin if line.strip() for r in json.loads(line)["results"]]
paths = [f"/syntpop/api/persons/{i}?informationParts=All" for i in ids]
open(sys.argv[2] + "/paths", "w").write("\n".join(paths) + "\n")
open(sys.argv[2] + "/urls", "w").write("\n".join(base + p for p in paths) + "\n")
' "$BASE" "$WORK"
[ "$(wc -l <"$WORK/urls")" -ge 1000 ] || { echo "bench: could not sample persons" >&2; exit 1; }

echo "== GET /persons/{id} (key, 0.2), open loop at $GET_RATE req/s offered (oha -q --latency-correction)"
open_loop "floor: GET /healthz at $GET_RATE/s" "$GET_RATE" "$BASE/healthz"
open_loop "GET /persons/{id} at $GET_RATE/s" "$GET_RATE" "${H[@]}" --urls-from-file "$WORK/urls"
echo "== GET /persons/{id}, closed loop (wrk -t1 -c64)"
cat >"$WORK/by_id.lua" <<LUA
local urls = {}
for line in io.lines("$WORK/paths") do urls[#urls + 1] = line end
local i = 0
request = function()
  i = i % #urls + 1
  return wrk.format("GET", urls[i])
end
LUA
wrk -t1 -c64 -d5s -s "$WORK/by_id.lua" "${H[@]}" "$BASE" >/dev/null # warm-up
wrk -t1 -c64 -d"${SECS}s" --latency -s "$WORK/by_id.lua" "${H[@]}" "$BASE" |
    awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
         END {printf "%-40s %8s/s  p50 %s  p99 %s%s\n", "GET /persons/{id}, closed loop", rps, p50, p99, (bad ? ", " bad " non-2xx" : "")}'
echo "targets: token p99 <= 5 ms at 5,000/s, closed loop >= 8,000/s; DPoP GET p99 <= floor + 1.5 ms at 8,000/s; GET by id p99 <= floor + 2 ms at 20,000/s, closed loop >= 30,000/s"
