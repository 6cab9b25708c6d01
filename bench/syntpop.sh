#!/usr/bin/env bash
# SyntPop API benchmark (issue: the SyntPop API): with a population of N persons (default
# 1.2 million, SyntPop's size) on SQLite or PostgreSQL, wrk -t1 -c64 against
#   GET  /syntpop/api/persons/{id}?informationParts=All   (a different person each request)
#   POST /syntpop/api/search  {gender, municipalityNumber, limit 10}   (two common filters)
#   POST /syntpop/api/persons/get-by-nin  (form nin, a different person each request)
#   POST /syntpop/api/search  {gender, municipalityNumber, birthDateFrom, birthDateTo, limit 10},
#        bounds drawn at random each request: what a search costs when it was never asked before
#   POST /syntpop/api/search/match-count  over 4-6 filters no SQL index serves, a new one each
# then, open loop (oha -q 2000 --latency-correction, if installed: cargo install oha --locked),
# the uncached search and the match-count at 2,000 req/s offered, beside /healthz at the same
# rate (the driver's floor). It reports /readyz time, the in-memory search index's build and
# serve's RSS before and after it.
# all with an API key (version 0.2, every gateway layer on). Loopback only; stops by itself.
# The population is generated afresh on every run (plans and caches then start as a new user's
# do); REUSE=1 keeps the one the last run generated (target/bench/, or the PostgreSQL database
# fjellport_bench_N). The run fails when a search line falls below its floor: a floor far under
# the targets, there to catch a query plan gone wrong (a search once planned on the place index
# walked 76,015 persons per request: 104 req/s).
# Usage: [REUSE=1] bench/syntpop.sh [sqlite|postgres] [persons] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${1:-sqlite}
PERSONS=${2:-1200000}
SECS=${3:-20}
command -v wrk >/dev/null || { echo "bench: install wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q -p fjellport --bin fjellport
BIN=target/release/fjellport
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
TOKEN=bench-admin-token-0123456789
CLOCK=2026-09-01T00:00:00Z
PORT=18082

case "$BACKEND" in
    sqlite)
        mkdir -p target/bench
        DB="sqlite:target/bench/syntpop-$PERSONS.db" ;;
    postgres)
        psql -h 127.0.0.1 -U postgres -d postgres -tAc \
            "SELECT 1 FROM pg_database WHERE datname = 'fjellport_bench_$PERSONS'" | grep -q 1 ||
            psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE fjellport_bench_$PERSONS"
        DB="postgres://postgres@127.0.0.1:5432/fjellport_bench_$PERSONS" ;;
    *) echo "bench: backend is sqlite or postgres" >&2; exit 2 ;;
esac

echo "== population: $PERSONS persons on $BACKEND"
marker="target/bench/.syntpop-$BACKEND-$PERSONS.done"
mkdir -p target/bench
[ "${REUSE:-0}" = 1 ] || rm -f "$marker"
if [ ! -f "$marker" ]; then
    /usr/bin/time -f "   generated in %e s, peak RSS %M KB" \
        "$BIN" population generate --persons "$PERSONS" --seed 1 --replace --clock "$CLOCK" \
        --database "$DB" >/dev/null
    touch "$marker"
fi

port_free() { ! curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/"; }
port_free "$PORT" || { echo "bench: port $PORT is busy" >&2; exit 1; }
FJELLPORT_ADMIN_TOKEN=$TOKEN "$BIN" serve --listen "127.0.0.1:$PORT" --database "$DB" \
    --persons 0 --clock "$CLOCK" 2>"$WORK/serve.log" &
PIDS+=($!)
started=$(date +%s.%N)
for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
ready=$(date +%s.%N)
# Resident memory, and of it what is the process's own (the rest is the database file's pages,
# read through a memory map: the kernel's page cache, given back under pressure).
rss() { awk '/VmRSS/ {r=$2} /RssAnon/ {a=$2} END {printf "%.0f MB (own %.0f MB)", r / 1024, a / 1024}' "/proc/$1/status"; }
echo "   /readyz after $(echo "$ready - $started" | bc | xargs printf '%.2f') s; RSS then $(rss "${PIDS[0]}")"
# Searches are answered by SQL until the in-memory index is built (in the background); the
# lines below measure the index, so wait for the switch the server logs.
for _ in $(seq 1 1200); do grep -q "search index ready" "$WORK/serve.log" && break; sleep 0.1; done
grep -q "search index ready" "$WORK/serve.log" || { echo "bench: the search index was not built" >&2; exit 1; }
built=$(grep "search index ready" "$WORK/serve.log" | sed -E 's/\x1b\[[0-9;]*m//g' | sed -E 's/.*persons=([0-9]+).*seconds="?([0-9.]+)"?.*megabytes=([0-9]+).*/\1 persons in \2 s, ~\3 MB by its own count/')
echo "   search index: $built; RSS right after $(rss "${PIDS[0]}")"
# The allocator gives the build's freed memory back to the system a little later.
sleep 10
echo "   RSS 10 s later $(rss "${PIDS[0]}")"
BASE="http://127.0.0.1:$PORT"
KEY=$(curl -fs -X POST "$BASE/admin/api/keys" -H "Authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' -d '{"api":"syntpop","type":"other","rateLimit":1000000}' \
    | python3 -c 'import sys,json; print(json.load(sys.stdin)["secret"])')
H=(-H "X-api-key: $KEY" -H "X-api-version: 0.2")

# A random sample of 2,000 persons to ask for (ids and numbers).
curl -fs "${H[@]}" "$BASE/syntpop/api/search" -H 'content-type: application/json' \
    -d '{"random": true, "seed": 1, "limit": 1000}' >"$WORK/a.json"
curl -fs "${H[@]}" "$BASE/syntpop/api/search" -H 'content-type: application/json' \
    -d '{"random": true, "seed": 2, "limit": 1000}' >"$WORK/b.json"
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
rows = json.load(open(f"{work}/a.json"))["results"] + json.load(open(f"{work}/b.json"))["results"]
open(f"{work}/ids", "w").write("\n".join(r["id"] for r in rows) + "\n")
open(f"{work}/nins", "w").write("\n".join(r["nin"] for r in rows) + "\n")
PY
echo "   sampled $(wc -l <"$WORK/ids") persons; total $(curl -fs "${H[@]}" "$BASE/syntpop/api/search/match-count" -H 'content-type: application/json' -d '{}')"

cat >"$WORK/by_id.lua" <<LUA
local ids = {}
for line in io.lines("$WORK/ids") do ids[#ids + 1] = line end
local i = 0
request = function()
  i = i % #ids + 1
  return wrk.format("GET", "/syntpop/api/persons/" .. ids[i] .. "?informationParts=All")
end
LUA
cat >"$WORK/by_nin.lua" <<LUA
local nins = {}
for line in io.lines("$WORK/nins") do nins[#nins + 1] = line end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
request = function()
  i = i % #nins + 1
  return wrk.format(nil, "/syntpop/api/persons/get-by-nin?informationParts=All", nil, "nin=" .. nins[i])
end
LUA
# Two common filters (gender and one of the ten largest municipalities), limit 10; "cold" adds
# birth-date bounds drawn at random (from a clock-seeded generator, so the warm-up does not ask
# them first): about 10^8 combinations, so no search is asked twice and every one misses
# whatever the server keeps of answers asked before.
# What both search scripts begin with: a POST of JSON, a counter, and bounds(span), two birth
# dates at random (the second on or after the first) within span days of 1 January of $1.
lua_prelude() { # epoch year
    cat <<LUA
local i = 0
local epoch = os.time({year = $1, month = 1, day = 1})
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
local function bounds(span)
  local from = math.random(0, span)
  local to = from + math.random(0, span - from)
  return os.date("%Y-%m-%d", epoch + from * 86400), os.date("%Y-%m-%d", epoch + to * 86400)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
LUA
}
search_lua() { # cold: true|false
    lua_prelude 1940
    cat <<LUA
local cold = $1
local places = {"0301", "4601", "5001", "1103", "3907", "4204", "3301", "5501", "3107", "1108"}
local sexes = {"Female", "Male"}
request = function()
  i = i + 1
  local extra = ""
  if cold then
    extra = string.format(',"birthDateFrom":"%s","birthDateTo":"%s"', bounds(25000))
  end
  local body = string.format('{"gender":"%s","municipalityNumber":"%s"%s,"limit":10}',
    sexes[i % 2 + 1], places[i % #places + 1], extra)
  return wrk.format(nil, "/syntpop/api/search", nil, body)
end
LUA
}
search_lua false >"$WORK/search.lua"
search_lua true >"$WORK/search_cold.lua"

summary() { awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF} END {print rps, p50, p99, (bad ? bad " non-2xx" : "")}'; }
FLOOR_FAILED=0
run() { # name script [floor in req/s]
    wrk -t1 -c64 -d5s -s "$2" "${H[@]}" "$BASE" >/dev/null # warm-up
    local out line
    out=$(wrk -t1 -c64 -d"${SECS}s" --latency -s "$2" "${H[@]}" "$BASE")
    line=$(echo "$out" | summary)
    printf '%-44s %s\n' "$1" "$line"
    if [ -n "${3:-}" ] && ! awk -v r="${line%% *}" -v f="$3" 'BEGIN {exit !(r + 0 >= f)}'; then
        echo "   FLOOR: below $3 req/s: a search plan regressed (EXPLAIN QUERY PLAN the search)" >&2
        FLOOR_FAILED=1
    fi
}
# Match-count over four to six filters no SQL index serves (marital status, spouse, children,
# birth-date bounds drawn at random, sometimes gender), a new combination each request.
{
    lua_prelude 1920
    cat <<LUA
local marital = {"Married", "Unmarried", "Divorced", "WidowOrWidower"}
request = function()
  i = i + 1
  local from, to = bounds(32000)
  local body = string.format('{"maritalStatus":["%s"],"hasSpouse":%s,"hasChildren":%s,"birthDateFrom":"%s","birthDateTo":"%s"%s}',
    marital[i % #marital + 1], tostring(i % 2 == 0), tostring(i % 3 == 0), from, to,
    i % 5 == 0 and ',"gender":"Female"' or '')
  return wrk.format(nil, "/syntpop/api/search/match-count", nil, body)
end
LUA
} >"$WORK/count.lua"
# The same kinds of bodies for the open loop (oha sends a file's lines in turn; more lines than
# requests, so none is sent twice).
python3 - "$WORK" <<'PYTHON'
import datetime, random, sys
work = sys.argv[1]
rng = random.Random()
places = ["0301", "4601", "5001", "1103", "3907", "4204", "3301", "5501", "3107", "1108"]
sexes = ["Female", "Male"]
marital = ["Married", "Unmarried", "Divorced", "WidowOrWidower"]
def bounds(epoch, span):
    a = rng.randint(0, span)
    b = a + rng.randint(0, span - a)
    return ((epoch + datetime.timedelta(days=a)).isoformat(),
            (epoch + datetime.timedelta(days=b)).isoformat())
with open(f"{work}/cold.lines", "w") as out:
    for i in range(1, 60001):
        a, b = bounds(datetime.date(1940, 1, 1), 25000)
        out.write('{"gender":"%s","municipalityNumber":"%s","birthDateFrom":"%s","birthDateTo":"%s","limit":10}\n'
                  % (sexes[i % 2], places[i % 10], a, b))
with open(f"{work}/count.lines", "w") as out:
    for i in range(1, 60001):
        a, b = bounds(datetime.date(1920, 1, 1), 32000)
        out.write('{"maritalStatus":["%s"],"hasSpouse":%s,"hasChildren":%s,"birthDateFrom":"%s","birthDateTo":"%s"%s}\n'
                  % (marital[i % 4], str(i % 2 == 0).lower(), str(i % 3 == 0).lower(), a, b,
                     ',"gender":"Female"' if i % 5 == 0 else ''))
PYTHON

echo "== wrk -t1 -c64, ${SECS}s each, $BACKEND, $PERSONS persons (req/s p50 p99)"
run "GET /persons/{id} (informationParts=All)" "$WORK/by_id.lua"
run "POST /search (gender + municipality, limit 10)" "$WORK/search.lua" 5000
run "POST /persons/get-by-nin" "$WORK/by_nin.lua"
run "POST /search, new birth-date bounds each (uncached)" "$WORK/search_cold.lua" 2000
run "POST /search/match-count, 4-6 unindexed filters" "$WORK/count.lua" 2000

# Open loop: a fixed offered rate, latency corrected for the requests a slow answer held back;
# the same driver and rate against /healthz is the floor (what the driver alone adds).
open_loop() { # name rate [body lines] [path]
    local args=(--no-tui -q "$2" --latency-correction -c 64 -z "${SECS}s")
    if [ -n "${3:-}" ]; then
        args+=(-m POST -Z "$3" -H 'Content-Type: application/json' "${H[@]}" "$BASE$4")
    else
        args+=("$BASE/healthz")
    fi
    oha "${args[@]}" >"$WORK/oha.txt"
    awk -v name="$1" '/Requests\/sec/ {rps=$2} /50.00% in/ {p50=$3 " " $4} /99.00% in/ {p99=$3 " " $4}
        /\[200\]/ {ok=$2} END {printf "%-44s %s req/s, p50 %s, p99 %s (%s answered 200)\n", name, rps, p50, p99, ok}' \
        "$WORK/oha.txt"
}
if command -v oha >/dev/null; then
    echo "== oha -q 2000 --latency-correction -c 64, ${SECS}s each (open loop)"
    open_loop "floor: GET /healthz" 2000
    open_loop "POST /search, uncached" 2000 "$WORK/cold.lines" /syntpop/api/search
    open_loop "POST /search/match-count, unindexed" 2000 "$WORK/count.lines" /syntpop/api/search/match-count
else
    echo "== open loop skipped: install oha (cargo install oha --locked)"
fi
echo "   RSS of serve at the end: $(rss "${PIDS[0]}")"
echo "targets (1.2 M): search >= 20,000 req/s cached; uncached >= 8,000 req/s, and p99 <= 5 ms at 2,000 req/s offered; match-count p99 <= 2 ms at 2,000 req/s offered; index <= 150 MB; by id >= 25,000 req/s"
exit "$FLOOR_FAILED"
