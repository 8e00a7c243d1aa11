#!/usr/bin/env bash
# Accounts performance, on SQLite and PostgreSQL in one run:
#  1. logins per second in process (accounts_bench) next to bare Argon2id verifications;
#  2. a read-heavy authenticated endpoint (GET /api/v1/account: session lookup + account read)
#     with wrk over HTTP keep-alive, next to GET /healthz of the same server (no database).
# Writes the tables into docs/PERFORMANCE.md between the accounts markers.
#   bench/accounts.sh [seconds=10] [connections=32]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
secs=${1:-10}
conns=${2:-32}
scripts/setup >/dev/null
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
cmake --preset release >/dev/null
cmake --build --preset release --target certseald accounts_bench >/dev/null

work=$(mktemp -d /tmp/certseal-bench-acc.XXXXXX)
pgstate="$work/pg"
cleanup() {
  [ -n "${csd_pid:-}" ] && kill -TERM "$csd_pid" 2>/dev/null && wait "$csd_pid" 2>/dev/null || true
  bash tests/pg/pg_test_server.sh stop "$pgstate" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
bash tests/pg/pg_test_server.sh start "$pgstate" >/dev/null
pg_url=$(cat "$pgstate/url")
admin_url=$pg_url
psql "$admin_url" -qc "CREATE DATABASE bench_kernel" >/dev/null
psql "$admin_url" -qc "CREATE DATABASE bench_http" >/dev/null
kernel_url=${pg_url%/*}/bench_kernel
http_url=${pg_url%/*}/bench_http

CERTSEAL_BENCH_PG_URL=$kernel_url build/release/bench/accounts_bench --benchmark_min_time=3 \
  --benchmark_format=json > "$work/kernel.json" 2>/dev/null

rps() { awk '/Requests\/sec/ {print $2}' <<<"$1"; }
p99() { awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; printf "%.2f", v}' <<<"$1"; }

http_rows=""
for engine in sqlite postgres; do
  data="$work/data-$engine"
  dbargs=(--data-dir "$data" --db-engine "$engine")
  [ "$engine" = postgres ] && dbargs+=(--db-url "$http_url")
  build/release/certseald serve --demo "${dbargs[@]}" --listen 127.0.0.1:0 --port-file "$work/port" \
    "${unlimited[@]}" --set log.access=false --log-level warn 2>"$work/csd-$engine.log" &
  csd_pid=$!
  for _ in $(seq 200); do [ -s "$work/port" ] && break; sleep 0.05; done
  port=$(cat "$work/port"); rm -f "$work/port"
  base=http://127.0.0.1:$port
  token=$(login_token "$base" 13900000001 Demo@User01 "${dbargs[@]}")
  curl -fsS "$base/api/v1/account" -H "Authorization: Bearer $token" >/dev/null
  wrk -t2 -c"$conns" -d2s -H "Authorization: Bearer $token" "$base/api/v1/account" >/dev/null
  acc=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -H "Authorization: Bearer $token" "$base/api/v1/account")
  hz=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$base/healthz")
  ratio=$(awk -v a="$(rps "$acc")" -v h="$(rps "$hz")" 'BEGIN {printf "%.0f%%", 100*a/h}')
  http_rows+="| $engine | $(rps "$acc") | $(p99 "$acc") ms | $(rps "$hz") | $(p99 "$hz") ms | $ratio |"$'\n'
  kill -TERM "$csd_pid"; wait "$csd_pid" 2>/dev/null || true; csd_pid=""
done

kernel_rows=$(python3 - "$work/kernel.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
by = {b["name"].split("/")[0]: b for b in d["benchmarks"]}
ref = by["BM_Argon2idVerify"]["items_per_second"]
def row(name, label):
    b = by.get(name)
    if not b or "error_message" in b:
        return f"| {label} | not measured | |"
    v = b["items_per_second"]
    return f"| {label} | {v:.1f} | {v / ref:.2f} |"
print("| Argon2id verify alone (libsodium, 2 passes, 64 MiB) | %.1f | 1.00 |" % ref)
print(row("BM_LoginSqlite", "login (SMS code + password), SQLite"))
print(row("BM_LoginPostgres", "login (SMS code + password), PostgreSQL"))
PY
)

table=$(cat <<TABLE
Command: \`bench/accounts.sh $secs $conns\` ($(date -u +%Y-%m-%d)), release build, 2-core machine, one run.

Logins per second in process (one thread), Argon2id at libsodium's INTERACTIVE limits (2 passes,
64 MiB): each login issues an SMS code, reads it back from the outbox, verifies the password and
the code, and creates a session.

| operation | per second | vs Argon2id alone |
|---|---:|---:|
$kernel_rows

A read-heavy endpoint over HTTP keep-alive: \`GET /api/v1/account\` (session lookup by token hash,
account and identities read) with \`wrk -t2 -c$conns -d${secs}s\`, next to \`GET /healthz\` of the same
server in the same run (no database work).

| engine | /api/v1/account req/s | p99 | /healthz req/s | p99 | account vs healthz |
|---|---:|---:|---:|---:|---:|
$http_rows
TABLE
)
write_performance_section accounts "Accounts" "$table"
echo "$table"
