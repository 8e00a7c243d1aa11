#!/usr/bin/env bash
# Mobile-shield performance: complete two-party SM2 signatures per second over HTTP on loopback,
# many clients at once, on SQLite and PostgreSQL, with p50/p99 latency, next to the in-process
# two-party figures of crypto_bench measured in the same run.
# Writes the tables into docs/PERFORMANCE.md between the shield markers.
#   bench/shield.sh [seconds=10] [clients=16]
# CERTSEAL_BENCH_EXTRA adds server settings, e.g. "--set db.sqlite_synchronous=normal".
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
secs=${1:-10}
clients=${2:-16}
scripts/setup >/dev/null
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
cmake --preset release >/dev/null
cmake --build --preset release --target certseald shield_http_load crypto_bench >/dev/null

work=$(mktemp -d /tmp/certseal-bench-shield.XXXXXX)
pgstate="$work/pg"
cleanup() {
  [ -n "${csd_pid:-}" ] && kill -TERM "$csd_pid" 2>/dev/null && wait "$csd_pid" 2>/dev/null || true
  bash tests/pg/pg_test_server.sh stop "$pgstate" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
bash tests/pg/pg_test_server.sh start "$pgstate" >/dev/null
pg_url=$(cat "$pgstate/url")

build/release/bench/crypto_bench --benchmark_filter='Cosign.*Sign' --benchmark_min_time=2 \
  --benchmark_format=json > "$work/kernel.json" 2>/dev/null

rows=""
for engine in sqlite postgres; do
  data="$work/data-$engine"
  dbargs=(--data-dir "$data" --db-engine "$engine")
  [ "$engine" = postgres ] && dbargs+=(--db-url "$pg_url")
  # Fast SMS and login settings: the setup registers many people; the load is the signatures.
  fast=(--set sms.resend_s=0 --set sms.daily_limit=1000 --set security.argon2_ops=1
        --set security.argon2_mem_kib=8 --set log.access=false --set sms.address_hourly_limit=1000000 ${CERTSEAL_BENCH_EXTRA:-})
  build/release/certseald serve --demo "${dbargs[@]}" "${fast[@]}" --listen 127.0.0.1:0 \
    --port-file "$work/port" "${unlimited[@]}" --log-level warn 2>"$work/csd-$engine.log" &
  csd_pid=$!
  for _ in $(seq 200); do [ -s "$work/port" ] && break; sleep 0.05; done
  port=$(cat "$work/port"); rm -f "$work/port"
  base=http://127.0.0.1:$port
  token=$(login_token "$base" 13800000000 Operator@2026 "${dbargs[@]}")
  out=$(build/release/bench/shield_http_load --url "$base" --operator-token "$token" --ca sm2 \
        --code-command "build/release/certseald admin sms-outbox ${dbargs[*]} --log-level warn" \
        --clients "$clients" --seconds "$secs")
  rows+=$(python3 - "$engine" "$out" <<'PY'
import json, sys
d = json.loads(sys.argv[2])
print(f"| {sys.argv[1]} | {d['clients']} | {d['per_second']:.0f} | {d['p50_ms']:.1f} ms | {d['p99_ms']:.1f} ms | {d['signatures']} | {d['failures']} |")
PY
)$'\n'
  kill -TERM "$csd_pid"; wait "$csd_pid" 2>/dev/null || true; csd_pid=""
done

kernel=$(python3 - "$work/kernel.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
by = {b["name"].split("/")[0]: b["items_per_second"] for b in d["benchmarks"] if "items_per_second" in b}
dev = next((v for k, v in by.items() if "Device" in k), None)
srv = next((v for k, v in by.items() if "Server" in k), None)
for k, v in sorted(by.items()):
    print(f"| {k} (in process, one thread) | {v:,.0f} |")
if dev and srv:
    print(f"| whole signature, device + server halves back to back (1 / (1/device + 1/server)) | {1 / (1 / dev + 1 / srv):,.0f} |")
PY
)

table=$(cat <<TABLE
Command: \`bench/shield.sh $secs $clients\` ($(date -u +%Y-%m-%d)), release build, 2-core machine (the
load generator and certseald share both cores), one run.

Complete two-party SM2 signatures over HTTP keep-alive on loopback: each of $clients clients (its
own person, certificate and key) loops: \`POST /api/v1/shield/challenges\`, the device's first half,
\`POST /api/v1/shield/keys/{id}/signatures\` (unlock proof checked, nonce consumed, server half, event
recorded), the device's second half with a full SM2 verification.

| engine | clients | signatures/s | p50 | p99 | signatures | failures |
|---|---:|---:|---:|---:|---:|---:|
$rows
The in-process figures of the same run (\`crypto_bench --benchmark_filter='Cosign.*Sign'\`):

| operation | per second |
|---|---:|
$kernel

Reading it: the clients' device halves run on the same two cores as the server. With the SM2
engine the elliptic-curve work is now the smaller part of a signature over HTTP: the HTTP round
trips, the challenge row, the proof check, the usage record, the log entry and (on SQLite) the
fsync of each commit take most of the time. On PostgreSQL each signature is
two write transactions (challenge, step) over the network socket.
TABLE
)
write_performance_section shield "Mobile shield over HTTP" "$table"
echo "$table"
