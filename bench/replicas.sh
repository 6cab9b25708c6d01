#!/usr/bin/env bash
# Several `fjellport serve` replicas on one PostgreSQL database behind HAProxy (round robin,
# active health checks on /readyz), as an operator would run them.
#
#   bench/replicas.sh up      start the topology and wait until the proxy answers
#   bench/replicas.sh down    stop it
#   bench/replicas.sh start-replica PORT
#                             start (again) the replica on PORT, e.g. after it was killed
#   bench/replicas.sh bench [seconds] [persons]
#                             throughput (closed loop, 64 connections) of key-authenticated
#                             GET /persons/{id} (wrk) and of the token endpoint (tokenload:
#                             private_key_jwt + DPoP) through the proxy with 1, 2 and 3
#                             replicas, beside one replica without it
#
# `up` and `down` read (the integration test sets them):
#   FJELLPORT_BIN    the binary (default target/release/fjellport)
#   DATABASE_URL     the PostgreSQL database (or schema: ...?options=-c%20search_path%3D<schema>)
#   RUN_DIR          where the configuration, logs and pid files go (default .replicas)
#   PROXY_PORT       the proxy's port (default 8080); every replica's --public-url is the proxy's
#   REPLICA_PORTS    the replicas' ports (default "8081 8082 8083"; one replica per port)
#   PERSONS          Test-Norge persons the first replica generates on an empty database (1000)
#   FJELLPORT_ADMIN_TOKEN  the admin token of every replica (default: one made here)
#   FJELLPORT_SHUTDOWN_DELAY_SECS  how long a stopping replica stays up not-ready (default 2:
#                    the health checks below take it out within 1.5 s, then it drains)
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${FJELLPORT_BIN:-target/release/fjellport}
RUN_DIR=${RUN_DIR:-.replicas}
PROXY_PORT=${PROXY_PORT:-8080}
REPLICA_PORTS=${REPLICA_PORTS:-"8081 8082 8083"}
PERSONS=${PERSONS:-1000}
export FJELLPORT_ADMIN_TOKEN=${FJELLPORT_ADMIN_TOKEN:-replicas-admin-token-$RANDOM$RANDOM}

. bench/lib.sh

# Waits until `url` answers 200, for at most `secs` seconds.
wait_ok() {
    local url=$1 secs=$2
    for _ in $(seq 1 $((secs * 10))); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url")" = 200 ] && return 0
        sleep 0.1
    done
    echo "replicas: $url did not answer 200 within ${secs} s" >&2
    return 1
}

# An HAProxy error file: the proxy's own 502/503/504 as problem+json, like the replicas'
# errors, so a client sees one error format whether a replica or the proxy answered.
error_file() {
    local status=$1 reason=$2 detail=$3 retry=${4:-}
    local body="{\"type\":\"urn:fjellport:problem:unavailable\",\"title\":\"$reason\",\"status\":$status,\"detail\":\"$detail\"}"
    printf 'HTTP/1.1 %s %s\r\n' "$status" "$reason"
    printf 'content-type: application/problem+json\r\n'
    printf 'cache-control: no-store\r\n'
    [ -n "$retry" ] && printf 'retry-after: %s\r\n' "$retry"
    printf 'content-length: %s\r\n' "${#body}"
    printf 'connection: close\r\n\r\n%s' "$body"
}

haproxy_config() {
    local dir
    dir=$(cd "$RUN_DIR" && pwd)
    error_file 503 "Service Unavailable" \
        "No replica is ready (is the database reachable?); try again shortly." 1 > "$dir/503.http"
    error_file 502 "Bad Gateway" "The replica serving this request stopped; try again." 1 \
        > "$dir/502.http"
    error_file 504 "Gateway Timeout" "The replica did not answer in time." > "$dir/504.http"
    cat <<EOF
# Written by bench/replicas.sh.
global
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    # A connection refused by a replica that just died is tried on another one, and so is a
    # GET whose replica died before answering (an idle connection it had kept, say). A write
    # already sent is not: it may have happened, and only the client can decide.
    retries 2
    option redispatch
    retry-on conn-failure empty-response
    errorfile 502 $dir/502.http
    errorfile 503 $dir/503.http
    errorfile 504 $dir/504.http

frontend fjellport
    bind 127.0.0.1:${PROXY_PORT}
    default_backend replicas
    http-request disable-l7-retry unless METH_GET
    # Which replica answered, for whoever debugs a round-robin surprise.
    http-response set-header X-Fjellport-Replica %s

backend replicas
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2
EOF
    local i=1
    for port in $REPLICA_PORTS; do
        echo "    server r$i 127.0.0.1:$port check"
        i=$((i + 1))
    done
}

# Starts the replica on `port` under a small shell that writes its exit status to
# replica-PORT.exit when it stops (a drained replica exits 0); its pid is in replica-PORT.pid.
start_replica() {
    local port=$1
    rm -f "$RUN_DIR/replica-$port.exit" "$RUN_DIR/replica-$port.pid"
    env -u FJELLPORT_BIN BIN=$BIN DATABASE_URL=$DATABASE_URL PORT=$port PROXY_PORT=$PROXY_PORT PERSONS=$PERSONS \
        RUN_DIR=$RUN_DIR sh -c '
        FJELLPORT_SHUTDOWN_DELAY_SECS=${FJELLPORT_SHUTDOWN_DELAY_SECS:-2} \
            "$BIN" serve --database "$DATABASE_URL" --listen "127.0.0.1:$PORT" \
            --public-url "http://127.0.0.1:$PROXY_PORT" --persons "$PERSONS" \
            >> "$RUN_DIR/replica-$PORT.log" 2>&1 < /dev/null &
        echo $! > "$RUN_DIR/replica-$PORT.pid"
        wait $!
        echo $? > "$RUN_DIR/replica-$PORT.exit"' > /dev/null 2>&1 < /dev/null &
    for _ in $(seq 1 50); do
        [ -s "$RUN_DIR/replica-$port.pid" ] && return 0
        sleep 0.1
    done
    echo "replicas: the replica on $port did not start" >&2
    return 1
}

up() {
    need haproxy "apt-get install haproxy"
    need curl "apt-get install curl"
    [ -n "${DATABASE_URL:-}" ] || { echo "replicas: set DATABASE_URL to a PostgreSQL database" >&2; exit 2; }
    [ -x "$BIN" ] || { echo "replicas: no binary at $BIN (cargo build --release)" >&2; exit 2; }
    mkdir -p "$RUN_DIR"
    haproxy_config > "$RUN_DIR/haproxy.cfg"
    haproxy -c -q -f "$RUN_DIR/haproxy.cfg"
    # The first replica migrates the schema and generates the population; the others then
    # find both in place.
    local first=${REPLICA_PORTS%% *}
    start_replica "$first"
    wait_ok "http://127.0.0.1:$first/readyz" 120
    for port in $REPLICA_PORTS; do
        [ "$port" = "$first" ] || start_replica "$port"
    done
    for port in $REPLICA_PORTS; do
        wait_ok "http://127.0.0.1:$port/readyz" 60
    done
    haproxy -f "$RUN_DIR/haproxy.cfg" > "$RUN_DIR/haproxy.log" 2>&1 < /dev/null &
    echo $! > "$RUN_DIR/haproxy.pid"
    wait_ok "http://127.0.0.1:$PROXY_PORT/readyz" 10
    echo "replicas: $(echo "$REPLICA_PORTS" | wc -w) replicas behind http://127.0.0.1:$PROXY_PORT"
}

any_alive() {
    local pid
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 0; done
    return 1
}

down() {
    [ -d "$RUN_DIR" ] || return 0
    local pids=()
    for pid_file in "$RUN_DIR"/*.pid; do
        [ -e "$pid_file" ] || continue
        pids+=("$(cat "$pid_file")")
        rm -f "$pid_file"
    done
    [ ${#pids[@]} -gt 0 ] || return 0
    kill -TERM "${pids[@]}" 2>/dev/null || true
    # Replicas stay up (not ready) for their shutdown delay, then drain: wait for them.
    for _ in $(seq 1 150); do
        any_alive "${pids[@]}" || return 0
        sleep 0.1
    done
    echo "replicas: still running after 15 s; killing" >&2
    kill -KILL "${pids[@]}" 2>/dev/null || true
}

bench() {
    local secs=${1:-10} persons=${2:-10000}
    need wrk "apt-get install wrk"
    need psql "apt-get install postgresql-client"
    cargo build --release -q -p fjellport --bin fjellport --example keygen
    build_tokenload
    # Not local: the EXIT trap reads them after this function has returned.
    base=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
    schema="fjp_bench_replicas_$$"
    psql -q "$base" -c "CREATE SCHEMA $schema"
    export DATABASE_URL="$base?options=-c%20search_path%3D$schema"
    RUN_DIR=$(mktemp -d)
    trap 'down; rm -rf "$RUN_DIR"; psql -q "$base" -c "DROP SCHEMA $schema CASCADE"' EXIT
    PERSONS=$persons
    PROXY_PORT=18080
    # The real clock (the token driver signs with it), and SyntPop 0.2 past its sunset.
    export FJELLPORT_APIS__SYNTPOP__ENFORCE_SUNSET=false
    proxy="http://127.0.0.1:$PROXY_PORT" scope="nhntsd:syntpop-api/full-access"
    ids="" key="" client=""
    echo "replicas bench: $persons persons on PostgreSQL, ${secs} s per figure, 64 connections, $(nproc) cores"
    for n in 1 2 3; do
        REPLICA_PORTS=$(seq -s ' ' 18081 $((18080 + n)))
        up > /dev/null
        if [ -z "$key" ]; then
            key=$(curl -s -X POST "$proxy/admin/api/keys" \
                -H "Authorization: Bearer $FJELLPORT_ADMIN_TOKEN" -H 'content-type: application/json' \
                -d '{"api":"syntpop","type":"other"}' | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p')
            target/release/examples/keygen "$RUN_DIR" > /dev/null
            client=$(curl -s -X POST "$proxy/admin/api/clients" \
                -H "Authorization: Bearer $FJELLPORT_ADMIN_TOKEN" -H 'content-type: application/json' \
                -d "{\"jwk\": $(cat "$RUN_DIR/client.public.json"), \"scopes\": [\"$scope\"], \"orgnr_parent\": \"974760673\"}" \
                | sed -n 's/.*"client_id":"\([^"]*\)".*/\1/p')
            sleep 1.5 # every replica has seen the key and the client
            ids=$(curl -s -X POST "$proxy/syntpop/api/search" -H "X-api-key: $key" \
                -H 'content-type: application/json' -d '{"limit":100,"fields":"ids"}' \
                | grep -o '"id":"[^"]*"' | cut -d'"' -f4 | tr '\n' ' ')
        fi
        cat > "$RUN_DIR/get.lua" <<EOF
local ids = {}
for id in string.gmatch("$ids", "%S+") do ids[#ids + 1] = id end
local i = 0
request = function()
  i = i % #ids + 1
  return wrk.format("GET", "/syntpop/api/persons/" .. ids[i] .. "?informationParts=All",
    {["X-api-key"] = "$key", ["X-api-version"] = "0.2"})
end
EOF
        measure "$proxy" "through HAProxy, $n replica(s)"
        down
        sleep 1
    done
    # One replica with no proxy, its own URL public (DPoP's htu is checked against it).
    "$BIN" serve --database "$DATABASE_URL" --listen 127.0.0.1:18085 \
        --public-url http://127.0.0.1:18085 > "$RUN_DIR/direct.log" 2>&1 < /dev/null &
    echo $! > "$RUN_DIR/direct.pid"
    wait_ok http://127.0.0.1:18085/readyz 60
    sleep 1.5 # it has read the key and the client
    measure http://127.0.0.1:18085 "one replica, no proxy"
}

# Both figures against `target`, which the replicas' --public-url names.
measure() {
    local target=$1 via=$2 status get tok
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "X-api-key: $key" -H 'X-api-version: 0.2' \
        "$target/syntpop/api/persons/${ids%% *}?informationParts=All")
    [ "$status" = 200 ] || { echo "replicas: GET /persons/{id} answers $status" >&2; exit 1; }
    get=$(wrk -t2 -c64 -d"${secs}s" -s "$RUN_DIR/get.lua" "$target" \
        | awk '/Non-2xx/ {bad = $NF} /Requests\/sec/ {rate = $2} END {print rate (bad ? " (" bad " non-2xx!)" : "")}')
    tok=$("$LOAD" token --token-url "$target/helseid/connect/token" --issuer "$target/helseid" \
        --client-id "$client" --key "$RUN_DIR/client.pem" --scope "$scope" \
        --concurrency 64 --duration "$secs" --warmup 2 2>/dev/null | awk '/^tokens\/s/ {print $2}')
    printf '%-32s GET /persons/{id} %9s req/s   token endpoint %8s tokens/s\n' "$via" "$get" "$tok"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    start-replica)
        [ -n "${2:-}" ] || { echo "usage: bench/replicas.sh start-replica PORT" >&2; exit 2; }
        start_replica "$2"
        wait_ok "http://127.0.0.1:$2/readyz" 60 ;;
    bench) shift; bench "$@" ;;
    *) echo "usage: bench/replicas.sh up|down|bench [seconds] [persons]" >&2; exit 2 ;;
esac
