#!/usr/bin/env bash
# Soak (not in CI): three replicas behind HAProxy on PostgreSQL (bench/replicas.sh), a mixed
# load at half the measured peak for 10 minutes, and three verdicts:
#   - no error at all (every request of every stream answered 2xx);
#   - each replica's RSS at the end within 10 % of its RSS after the first minute;
#   - each stream's p99 in the last minute within 20 % of the first minute's.
# The streams, each in an open loop (latency counted from each request's due time):
#   - GET /syntpop/api/persons/{id} with an API key, over 100 persons (oha --latency-correction);
#   - the token endpoint: client_credentials + private_key_jwt + DPoP (tokenload --rate);
#   - SyntPop 1.0 GET /ping with a DPoP-bound token and a fresh proof each (tokenload --rate).
# "Half the peak": each stream's closed-loop peak through the proxy is measured first (10 s,
# 64 connections); they then run together, each at a sixth of its own peak, so that the three
# together ask for half of what the machine gave.
# Usage: bench/soak.sh [minutes] [persons]   (defaults 10, 10000; needs oha, wrk, haproxy)
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
PERSONS=${2:-10000}
. bench/lib.sh
need oha "cargo install oha --locked"
need haproxy "apt-get install haproxy"
need psql "apt-get install postgresql-client"
cargo build --release -q -p fjellport --bin fjellport --example keygen
build_tokenload

base=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
schema="fjp_soak_$$"
psql -q "$base" -c "CREATE SCHEMA $schema"
export DATABASE_URL="$base?options=-c%20search_path%3D$schema"
export RUN_DIR PROXY_PORT=18090 REPLICA_PORTS="18091 18092 18093" PERSONS
export FJELLPORT_BIN=target/release/fjellport FJELLPORT_ADMIN_TOKEN=soak-admin-token-0123456789
# The real clock (the token driver signs with it), and SyntPop 0.2 past its sunset.
export FJELLPORT_APIS__SYNTPOP__ENFORCE_SUNSET=false
RUN_DIR=$(mktemp -d)
trap 'bench/replicas.sh down; rm -rf "$RUN_DIR"; psql -q "$base" -c "DROP SCHEMA $schema CASCADE"' EXIT
bench/replicas.sh up
proxy="http://127.0.0.1:$PROXY_PORT"
scope="nhntsd:syntpop-api/full-access"
admin=(-H "Authorization: Bearer $FJELLPORT_ADMIN_TOKEN" -H 'content-type: application/json')
key=$(curl -s -X POST "$proxy/admin/api/keys" "${admin[@]}" -d '{"api":"syntpop","type":"other"}' \
    | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p')
target/release/examples/keygen "$RUN_DIR" > /dev/null
client=$(curl -s -X POST "$proxy/admin/api/clients" "${admin[@]}" \
    -d "{\"jwk\": $(cat "$RUN_DIR/client.public.json"), \"scopes\": [\"$scope\"], \"orgnr_parent\": \"974760673\"}" \
    | sed -n 's/.*"client_id":"\([^"]*\)".*/\1/p')
sleep 1.5 # every replica has seen the key and the client
ids=$(curl -s -X POST "$proxy/syntpop/api/search" -H "X-api-key: $key" -H 'content-type: application/json' \
    -d '{"limit":100,"fields":"ids"}' | grep -o '"id":"[^"]*"' | cut -d'"' -f4 | paste -sd'|')
person_url="$proxy/syntpop/api/persons/($ids)\\?informationParts=All"
tok_args=(--token-url "$proxy/helseid/connect/token" --issuer "$proxy/helseid" --client-id "$client"
          --key "$RUN_DIR/client.pem" --scope "$scope")

# The streams. `get SECS [RATE]`, `token SECS [RATE]`, `dpop SECS [RATE]`: without a rate, a
# closed loop of 64 connections. Each prints "<successes/s> <p99 ms> <errors>".
get() {
    # -w: requests still running at the end are waited for, not counted as errors.
    local args=(-z "${1}s" -w -c 64 --no-tui --output-format json --rand-regex-url -H "X-api-key: $key"
                -H "X-api-version: 0.2")
    [ -n "${2:-}" ] && args+=(-q "$2" --latency-correction)
    oha "${args[@]}" "$person_url" | python3 -c '
import json, sys
r = json.load(sys.stdin)
codes = r.get("statusCodeDistribution", {})
ok = sum(n for c, n in codes.items() if c.startswith("2"))
bad = sum(n for c, n in codes.items() if not c.startswith("2")) + sum(r.get("errorDistribution", {}).values())
per_sec = ok / r["summary"]["total"]
p99 = (r["latencyPercentiles"]["p99"] or 0) * 1000
print("%.1f %.2f %d" % (per_sec, p99, bad))'
}
tokenload_run() {
    local mode=$1 secs=$2 rate=${3:-}
    shift 3 || shift $#
    local args=("${tok_args[@]}" --concurrency 64 --duration "$((secs - 2))" --warmup 2)
    [ -n "$rate" ] && args+=(--rate "$rate")
    "$LOAD" "$mode" "${args[@]}" "$@" | awk '
        /^(tokens|req)\/s/ {rate = $2} /^latency ms/ {p99 = $8} /^errors/ {err = $2}
        END {print rate, p99, err}'
}
token() { tokenload_run token "$1" "${2:-}"; }
dpop() { tokenload_run resource "$1" "${2:-}" --url "$proxy/syntpop/api/ping" -H "X-api-version: 1.0"; }

echo "soak: $PERSONS persons, 3 replicas behind HAProxy, $(nproc) cores; measuring the peaks (10 s each)"
read -r get_peak _ _ < <(get 10)
read -r token_peak _ _ < <(token 10)
read -r dpop_peak _ _ < <(dpop 10)
rate() { python3 -c "print(max(1, round($1 / 6)))"; }
get_rate=$(rate "$get_peak"); token_rate=$(rate "$token_peak"); dpop_rate=$(rate "$dpop_peak")
echo "peaks: GET $get_peak/s, token $token_peak/s, DPoP $dpop_peak/s -> offered: GET $get_rate/s, token $token_rate/s, DPoP $dpop_rate/s"

rss() { for p in $REPLICA_PORTS; do ps -o rss= -p "$(cat "$RUN_DIR/replica-$p.pid")" | tr -d ' '; done | paste -sd' '; }
printf '%-6s %-26s %-26s %-26s %s\n' minute "GET ok/s p99ms errors" "token ok/s p99ms errors" "DPoP ok/s p99ms errors" "RSS KiB per replica"
errors=0
for m in $(seq 1 "$MINUTES"); do
    get 60 "$get_rate" > "$RUN_DIR/get.$m" &
    token 60 "$token_rate" > "$RUN_DIR/token.$m" &
    dpop 60 "$dpop_rate" > "$RUN_DIR/dpop.$m" &
    wait
    echo "$(rss)" > "$RUN_DIR/rss.$m"
    printf '%-6s %-26s %-26s %-26s %s\n' "$m" "$(cat "$RUN_DIR/get.$m")" "$(cat "$RUN_DIR/token.$m")" \
        "$(cat "$RUN_DIR/dpop.$m")" "$(cat "$RUN_DIR/rss.$m")"
    for s in get token dpop; do errors=$((errors + $(awk '{print $3}' "$RUN_DIR/$s.$m"))); done
done

verdict=0
check() { # check WHAT FIRST LAST LIMIT_PERCENT
    local ok
    ok=$(python3 -c "print('yes' if abs($3 - $2) <= $2 * $4 / 100 else 'no')")
    if [ "$ok" = yes ]; then echo "PASS $1: $2 -> $3 (within $4 %)"; else echo "FAIL $1: $2 -> $3 (more than $4 %)"; verdict=1; fi
}
if [ "$errors" = 0 ]; then echo "PASS errors: none"; else echo "FAIL errors: $errors"; verdict=1; fi
i=1
for p in $REPLICA_PORTS; do
    check "RSS of the replica on $p (KiB)" "$(cut -d' ' -f$i "$RUN_DIR/rss.1")" "$(cut -d' ' -f$i "$RUN_DIR/rss.$MINUTES")" 10
    i=$((i + 1))
done
for s in get token dpop; do
    check "p99 of $s (ms)" "$(awk '{print $2}' "$RUN_DIR/$s.1")" "$(awk '{print $2}' "$RUN_DIR/$s.$MINUTES")" 20
done
exit $verdict
