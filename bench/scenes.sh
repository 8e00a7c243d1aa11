#!/usr/bin/env bash
# QR scene performance (docs/INTEGRATION.md): complete scene-20 transactions per second over HTTP on
# loopback — a relying party's signed create, the user's claim, the challenge and two-party
# signature over the CMS signed attributes, the completion (the server re-verifies the signature
# and assembles the CMS) — with p50/p99, and the signed callbacks counted by a sink; next to the
# bare two-party signatures of the same run (shield_http_load without --scene), on SQLite and
# PostgreSQL. Writes the table into docs/PERFORMANCE.md between the scenes markers.
# Then the bid-opening burst: BURST scene-14 requests created at once (envelopes to the clients'
# certificates) and opened by all clients concurrently: time to the last completion, p50, p99.
#   bench/scenes.sh [seconds=10] [clients=16] [burst=500]
# Expects the packages of scripts/setup to be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
secs=${1:-10}
clients=${2:-16}
burst=${3:-500}
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
cmake --preset release >/dev/null
cmake --build --preset release --target certseald shield_http_load >/dev/null

work=$(mktemp -d /tmp/certseal-bench-scenes.XXXXXX)
pgstate="$work/pg"
cleanup() {
  [ -n "${csd_pid:-}" ] && kill -TERM "$csd_pid" 2>/dev/null && wait "$csd_pid" 2>/dev/null || true
  bash tests/pg/pg_test_server.sh stop "$pgstate" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
bash tests/pg/pg_test_server.sh start "$pgstate" >/dev/null
pg_url=$(cat "$pgstate/url")

rows=""
burst_rows=""
for engine in sqlite postgres; do
  for mode in signatures scene20 burst14; do
    data="$work/data-$engine-$mode"
    dbargs=(--data-dir "$data" --db-engine "$engine")
    if [ "$engine" = postgres ]; then
      dbname="bench_${mode}_$$"
      psql "$pg_url" -qc "CREATE DATABASE $dbname" >/dev/null
      dbargs+=(--db-url "${pg_url%/*}/$dbname")
    fi
    fast=(--set sms.resend_s=0 --set sms.daily_limit=1000 --set security.argon2_ops=1
          --set security.argon2_mem_kib=8 --set log.access=false --set sms.address_hourly_limit=1000000)
    build/release/certseald serve --demo "${dbargs[@]}" "${fast[@]}" --listen 127.0.0.1:0 \
      --port-file "$work/port" "${unlimited[@]}" --log-level warn 2>"$work/csd-$engine-$mode.log" &
    csd_pid=$!
    for _ in $(seq 200); do [ -s "$work/port" ] && break; sleep 0.05; done
    port=$(cat "$work/port"); rm -f "$work/port"
    base=http://127.0.0.1:$port
    token=$(login_token "$base" 13800000000 Operator@2026 "${dbargs[@]}")
    scene_args=()
    [ "$mode" = scene20 ] && scene_args=(--scene 20)
    [ "$mode" = burst14 ] && scene_args=(--scene 14 --burst "$burst")
    out=$(build/release/bench/shield_http_load --url "$base" --operator-token "$token" --ca sm2 \
          --code-command "build/release/certseald admin sms-outbox ${dbargs[*]} --log-level warn" \
          --clients "$clients" --seconds "$secs" "${scene_args[@]}")
    if [ "$mode" = burst14 ]; then
      burst_rows+=$(python3 - "$engine" "$out" <<'PY'
import json, sys
engine, d = sys.argv[1], json.loads(sys.argv[2])
print(f"| {engine} | {d['burst']} | {d['clients']} | {d['time_to_last_s']:.1f} s | {d['p50_ms']/1000:.1f} s | {d['p99_ms']/1000:.1f} s | {d['opened']} | {d['failures']} |")
PY
)$'\n'
      kill -TERM "$csd_pid"; wait "$csd_pid" 2>/dev/null || true; csd_pid=""
      continue
    fi
    rows+=$(python3 - "$engine" "$mode" "$out" <<'PY'
import json, sys
engine, mode, d = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
what = "scene-20 transactions" if mode == "scene20" else "bare two-party signatures"
cb = f"{d['callbacks']} ({d['callback_drain_s']:.1f} s after the load)" if mode == "scene20" else "–"
print(f"| {engine} | {what} | {d['clients']} | {d['per_second']:.0f} | {d['p50_ms']:.1f} ms | {d['p99_ms']:.1f} ms | {d['signatures']} | {d['failures']} | {cb} |")
PY
)$'\n'
    kill -TERM "$csd_pid"; wait "$csd_pid" 2>/dev/null || true; csd_pid=""
  done
done

table=$(cat <<TABLE
Command: \`bench/scenes.sh $secs $clients $burst\` ($(date -u +%Y-%m-%d)), release build, 2-core machine (the
load generator, its device halves and certseald share both cores), one run per line, a fresh server
and database each.

A scene-20 transaction (扫码消息签名) over HTTP keep-alive on loopback: the relying party's signed
\`POST /api/v1/rp/scene-requests\` (HMAC checked, nonce recorded, QR PNG drawn), the user's
\`POST /api/v1/scene-claims\`, \`POST /api/v1/shield/challenges\` and
\`POST /api/v1/shield/keys/{id}/signatures\` around the device halves over the CMS signed attributes,
and \`POST /api/v1/scene-requests/{id}/completion\` (the server re-builds the signed attributes,
verifies the SM2 signature, assembles the CMS, records the usage, queues the callback). Callbacks
are delivered by certseald's background worker to a sink in the load generator, which counts them.

| engine | what | clients | per second | p50 | p99 | done | failures | callbacks received |
|---|---|---:|---:|---:|---:|---:|---:|---|
$rows
The bid-opening burst (扫码授权解密, scene 14): $burst requests created at once by the relying party,
each for an envelope to one of the $clients bidders' certificates (round robin); then every bidder
opens theirs, one after another, all bidders at the same time: claim, challenge, the two-party
decryption step (blinded), completion (the server opens the envelope with the unwrapped key).
Times are from the start of the opening to each completion.

| engine | requests | bidders | time to the last | p50 | p99 | opened | failures |
|---|---:|---:|---:|---:|---:|---:|---:|
$burst_rows
Reading it: a scene-20 transaction is five HTTP requests and five write transactions (create with
its nonce row, claim, challenge, signing step, completion with the usage record and the queued
callback) against two for a bare signature, plus the QR PNG drawn at creation and the server's own
SM2 verification and CMS assembly at completion; on SQLite the single writer also carries the
callback worker's updates, so callbacks trail the load there. The bare signatures of the same run
show how busy the machine was (compare with the "Mobile shield over HTTP" section's quiet run).
The burst's openings (about 200 a second) exclude the requests' creation, made before the opening
starts, which the scene-20 line includes: creating a request (signature check, nonce row, token,
QR PNG) is a large part of a scene transaction; it was not profiled further.
TABLE
)
write_performance_section scenes "QR scenes over HTTP" "$table"
echo "$table"
