#!/usr/bin/env bash
# Altinn message-box benchmark (issue: the Altinn REST API): GET /altinn/api/{orgNo}/messages
# for an organization with 500 correspondences, called by its daglig leder with an ID-porten
# token and an API key (every gateway layer on), on a freshly generated SQLite database.
#   1. closed loop: wrk -t1 -c64 (peak throughput; target >= 5,000 req/s)
#   2. open loop:   oha -q 2500 --latency-correction (p99 at a fixed offered rate; target <= 10 ms)
# Loopback only; stops by itself. Needs wrk (apt-get install wrk) and oha (cargo install oha
# --locked).
# Usage: bench/altinn.sh [persons] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
PERSONS=${1:-10000}
SECS=${2:-15}
MESSAGES=500
source bench/lib.sh
need wrk "apt-get install wrk"
need oha "cargo install oha --locked"
need sqlite3 "apt-get install sqlite3"
start_work
TOKEN=bench-admin-token-0123456789
PORT=18083
FILE="$WORK/altinn.db"
DB="sqlite:$FILE"

echo "== population: $PERSONS persons, fresh SQLite"
"$BIN" population generate --persons "$PERSONS" --seed 1 --database "$DB" >/dev/null
# The organization with a daglig leder, and that person (the bench reads the database only to
# pick them; everything it measures goes through HTTP).
read -r ORGNR NIN < <(sqlite3 -separator ' ' "$FILE" \
    "SELECT orgnr, nin FROM organization_roles WHERE role = 'DAGL' ORDER BY orgnr LIMIT 1")
echo "== $MESSAGES correspondences to $ORGNR (its DAGL $NIN reads them)"
start=$(date +%s.%N)
for i in $(seq 1 "$MESSAGES"); do
    "$BIN" altinn send-correspondence --database "$DB" --service-owner SKD --reportee "$ORGNR" \
        --title "Melding $i" --summary "Sammendrag $i" --body "<p>Melding nummer $i</p>" >/dev/null
done
echo "   sent in $(echo "$(date +%s.%N) - $start" | bc) s"

port_free "$PORT" || { echo "bench: port $PORT is busy" >&2; exit 1; }
FJELLPORT_ADMIN_TOKEN=$TOKEN "$BIN" serve --listen "127.0.0.1:$PORT" --database "$DB" \
    --persons 0 2>"$WORK/serve.log" &
PIDS+=($!)
for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
BASE="http://127.0.0.1:$PORT"
KEY=$(curl -fs -X POST "$BASE/admin/api/keys" -H "Authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' -d '{"api":"altinn","type":"other","rateLimit":1000000}' \
    | python3 -c 'import sys,json; print(json.load(sys.stdin)["secret"])')
ACCESS=$(curl -fs -X POST "$BASE/idporten/test-token" -H 'content-type: application/json' \
    -d "{\"claims\": {\"pid\": \"$NIN\", \"scope\": \"altinn:enduser\"}, \"expiresIn\": 3600}" \
    | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')
H=(-H "ApiKey: $KEY" -H "Authorization: Bearer $ACCESS" -H "Accept: application/hal+json")
URL="$BASE/altinn/api/$ORGNR/messages"
COUNT=$(curl -fs "${H[@]}" "$URL" | python3 -c 'import sys,json; print(len(json.load(sys.stdin)["_embedded"]["messages"]))')
[ "$COUNT" = 50 ] || { echo "bench: expected a full page of 50, got $COUNT" >&2; exit 1; }

echo "== wrk -t1 -c64, ${SECS}s: GET /altinn/api/{orgNo}/messages (first page of 50 of $MESSAGES)"
wrk -t1 -c64 -d5s "${H[@]}" "$URL" >/dev/null # warm-up
wrk -t1 -c64 -d"${SECS}s" --latency "${H[@]}" "$URL" |
    awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
         END {printf "   closed loop: %s req/s, p50 %s, p99 %s %s\n", rps, p50, p99, (bad ? bad " non-2xx" : "")}'
echo "== oha -q 2500 --latency-correction, ${SECS}s, 64 connections"
oha --no-tui -q 2500 --latency-correction -c 64 -z "${SECS}s" "${H[@]}" "$URL" >"$WORK/oha.txt"
awk '/Requests\/sec/ {rps=$2} /50.00% in/ {p50=$3 " " $4} /99.00% in/ {p99=$3 " " $4}
     /\[200\]/ {ok=$2} END {printf "   open loop at 2,500 req/s offered: %s req/s, p50 %s, p99 %s (%s answered 200)\n", rps, p50, p99, ok}' "$WORK/oha.txt"
echo "targets: >= 5,000 req/s closed loop; p99 <= 10 ms at 2,500 req/s offered"
