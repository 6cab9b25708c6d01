#!/usr/bin/env bash
# Altinn SOAP benchmark (issue: the Altinn SOAP API): InsertCorrespondenceBasicV2 with a 10 KB
# message body, from a service owner's system registered with `fjellport altinn systems
# create`, to an organization of a freshly generated SQLite population. Every call is a write
# (message, event and revision in one transaction).
#   1. closed loop: wrk -t1 -c64 (peak; target >= 2,000 req/s)
#   2. open loop:   oha -q 1000 --latency-correction (target p99 <= 20 ms at 1,000 req/s offered)
# The envelope parser alone: cargo bench -p fjellport-soap (target >= 50 MB/s).
# Loopback only; stops by itself. Needs wrk (apt-get install wrk) and oha (cargo install oha
# --locked).
# Usage: bench/altinn_soap.sh [persons] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
PERSONS=${1:-10000}
SECS=${2:-15}
source bench/lib.sh
need wrk "apt-get install wrk"
need oha "cargo install oha --locked"
need sqlite3 "apt-get install sqlite3"
start_work
PORT=18084
FILE="$WORK/soap.db"
DB="sqlite:$FILE"

echo "== population: $PERSONS persons, fresh SQLite"
"$BIN" population generate --persons "$PERSONS" --seed 1 --database "$DB" >/dev/null
ORGNR=$(sqlite3 "$FILE" "SELECT orgnr FROM organization_roles WHERE role = 'DAGL' ORDER BY orgnr LIMIT 1")
read -r USER PASSWORD < <("$BIN" altinn systems create --service-owner SKD --database "$DB" |
    python3 -c 'import sys,json; v=json.load(sys.stdin); print(v["systemUserName"], v["systemPassword"])')

port_free "$PORT" || { echo "bench: port $PORT is busy" >&2; exit 1; }
"$BIN" serve --listen "127.0.0.1:$PORT" --database "$DB" --persons 0 2>"$WORK/serve.log" &
PIDS+=($!)
for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
URL="http://127.0.0.1:$PORT/altinn/soap/ServiceEngineExternal/CorrespondenceAgencyExternalBasic.svc"
SVC=http://www.altinn.no/services/ServiceEngine/Correspondence/2009/10
ACTION="\"$SVC/ICorrespondenceAgencyExternalBasic/InsertCorrespondenceBasicV2\""
BODY=$(python3 -c 'print("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 180)')
cat >"$WORK/insert.xml" <<XML
<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="$SVC" xmlns:ns1="http://schemas.altinn.no/services/ServiceEngine/Correspondence/2010/10"><soapenv:Header/><soapenv:Body><ns:InsertCorrespondenceBasicV2><ns:systemUserName>$USER</ns:systemUserName><ns:systemPassword>$PASSWORD</ns:systemPassword><ns:SystemUserCode>$USER</ns:SystemUserCode><ns:ExternalShipmentReference>bench</ns:ExternalShipmentReference><ns:Correspondence><ns1:ServiceCode>5528</ns1:ServiceCode><ns1:ServiceEdition>1</ns1:ServiceEdition><ns1:Reportee>$ORGNR</ns1:Reportee><ns1:Content><ns1:LanguageCode>1044</ns1:LanguageCode><ns1:MessageTitle>Vedtak</ns1:MessageTitle><ns1:MessageSummary>Sammendrag</ns1:MessageSummary><ns1:MessageBody>$BODY</ns1:MessageBody></ns1:Content><ns1:VisibleDateTime>2026-01-01T00:00:00</ns1:VisibleDateTime></ns:Correspondence></ns:InsertCorrespondenceBasicV2></soapenv:Body></soapenv:Envelope>
XML
SIZE=$(wc -c <"$WORK/insert.xml")
OK=$(curl -fs -H 'Content-Type: text/xml; charset=utf-8' -H "SOAPAction: $ACTION" \
    --data-binary "@$WORK/insert.xml" "$URL" | grep -c '<a:ReceiptStatusCode>OK<' || true)
[ "$OK" = 1 ] || { echo "bench: the insert is not OK" >&2; exit 1; }
cat >"$WORK/insert.lua" <<LUA
local f = io.open("$WORK/insert.xml", "rb"); wrk.body = f:read("*a"); f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
wrk.headers["SOAPAction"] = '$ACTION'
LUA

echo "== wrk -t1 -c64, ${SECS}s: POST InsertCorrespondenceBasicV2 ($SIZE-byte envelope, 10 KB body)"
wrk -t1 -c64 -d3s -s "$WORK/insert.lua" "$URL" >/dev/null # warm-up
wrk -t1 -c64 -d"${SECS}s" --latency -s "$WORK/insert.lua" "$URL" |
    awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
         END {printf "   closed loop: %s req/s, p50 %s, p99 %s %s\n", rps, p50, p99, (bad ? bad " non-2xx" : "")}'
echo "== oha -q 1000 --latency-correction, ${SECS}s, 64 connections"
oha --no-tui -q 1000 --latency-correction -c 64 -z "${SECS}s" -m POST -D "$WORK/insert.xml" \
    -H 'Content-Type: text/xml; charset=utf-8' -H "SOAPAction: $ACTION" "$URL" >"$WORK/oha.txt"
awk '/Requests\/sec/ {rps=$2} /50.00% in/ {p50=$3 " " $4} /99.00% in/ {p99=$3 " " $4}
     /\[200\]/ {ok=$2} END {printf "   open loop at 1,000 req/s offered: %s req/s, p50 %s, p99 %s (%s answered 200)\n", rps, p50, p99, ok}' "$WORK/oha.txt"
STORED=$(sqlite3 "$FILE" "SELECT COUNT(*) FROM altinn_messages")
echo "   $STORED correspondences stored"
echo "targets: >= 2,000 req/s closed loop; p99 <= 20 ms at 1,000 req/s offered"
