#!/usr/bin/env bash
# PKI throughput: certificates issued per second (SM2 and P-256 CAs, whole CaService path on SQLite,
# pki_bench), and OCSP answers per second over HTTP: certseald's POST /ocsp/{id} next to
# `openssl ocsp -index ... -port ...` answering the same DER request for the same CA certificate,
# measured with wrk in the same run on this machine. Writes docs/PERFORMANCE.md between the pki
# markers.
#   bench/pki.sh [seconds=10] [connections=16]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
secs=${1:-10}
conns=${2:-16}
scripts/setup >/dev/null
cmake --preset release >/dev/null
cmake --build --preset release --target certseald pki_bench >/dev/null

work=$(mktemp -d /tmp/certseal-pki-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do pkill -TERM -P "$p" 2>/dev/null || true; kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- issuance kernels ----
bench_csv=$(build/release/bench/pki_bench --benchmark_min_time=2 --benchmark_format=csv 2>/dev/null)
rate() { awk -F, -v n="\"$1\"" '$1==n {printf "%.0f", 1e6/$3}' <<<"$bench_csv"; }
us() { awk -F, -v n="\"$1\"" '$1==n {printf "%.0f", $3}' <<<"$bench_csv"; }

# ---- certseald with its two default CAs ----
build/release/certseald serve --set dev_mode=true --data-dir "$work/data" --listen 127.0.0.1:0 --port-file "$work/port" \
  "${unlimited[@]}" --set log.access=false --log-level warn 2>"$work/certseald.log" &
pids+=($!)
for _ in $(seq 200); do [ -s "$work/port" ] && break; sleep 0.05; done
cport=$(cat "$work/port")

cat > "$work/post.lua" <<'LUA'
local f = io.open(os.getenv("OCSP_REQ"), "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/ocsp-request"
LUA

run_wrk() {  # url reqfile -> "rps p99_ms"
  OCSP_REQ=$2 wrk -t2 -c"$conns" -d2s -s "$work/post.lua" "$1" >/dev/null 2>&1 || true  # warm-up
  local out rps p99
  out=$(OCSP_REQ=$2 wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/post.lua" "$1")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; printf "%.2f", v}' <<<"$out")
  echo "$rps $p99"
}

# OpenSSL 3.0's responder (`openssl ocsp -port`) spins forever on a connection that closes without
# a request, which is what wrk's start-up probe does; so both responders are also measured through
# the same nginx reverse proxy (one fresh upstream connection per request, HTTP/1.0), and certseald
# directly as well.
declare -A oport serial
for ca in sm2 intl; do
  d="$work/$ca"; mkdir -p "$d"
  curl -fsS "http://127.0.0.1:$cport/ca/$ca/chain.pem" > "$d/chain.pem"
  awk '/BEGIN/{n++} n==1' "$d/chain.pem" > "$d/issuer.pem"
  # A certificate the CA really issued: its OCSP signer (taken from an OCSP answer).
  openssl ocsp -issuer "$d/issuer.pem" -serial 0x01 -no_nonce -url "http://127.0.0.1:$cport/ocsp/$ca" \
    -noverify -resp_text 2>/dev/null | awk '/BEGIN CERTIFICATE/,/END CERTIFICATE/' > "$d/signer.pem"
  serial[$ca]=$(openssl x509 -in "$d/signer.pem" -noout -serial | cut -d= -f2)
  openssl ocsp -issuer "$d/issuer.pem" -serial "0x${serial[$ca]}" -no_nonce -reqout "$d/req.der" 2>/dev/null
  openssl ocsp -issuer "$d/issuer.pem" -serial "0x${serial[$ca]}" -reqout "$d/req-nonce.der" 2>/dev/null
  openssl ocsp -issuer "$d/issuer.pem" -serial "0x${serial[$ca]}" -no_nonce -url "http://127.0.0.1:$cport/ocsp/$ca" \
    -noverify 2>/dev/null | grep -q ": good" || { echo "certseald: not good" >&2; exit 1; }
  # openssl's responder: same CA certificate, an index naming that serial valid, its own signer of
  # the same algorithm (we do not hand our CA key to it), -multi 2 (one per core).
  if [ "$ca" = sm2 ]; then
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out "$d/rkey.pem" 2>/dev/null; md=-sm3
  else
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/rkey.pem" 2>/dev/null; md=-sha256
  fi
  openssl req -x509 -new -key "$d/rkey.pem" $md -subj "/CN=openssl ocsp $ca" -days 30 -out "$d/rsigner.pem" 2>/dev/null
  printf 'V\t%s\t\t%s\tunknown\t/CN=x\n' "$(date -u -d '+1 year' +%y%m%d%H%M%SZ)" "${serial[$ca]}" > "$d/index.txt"
  oport[$ca]=$(free_port)
  openssl ocsp -index "$d/index.txt" -port "${oport[$ca]}" -rsigner "$d/rsigner.pem" -rkey "$d/rkey.pem" \
    -CA "$d/issuer.pem" -nmin 60 -multi 2 -ignore_err 2>"$d/openssl-ocsp.log" &
  pids+=($!)
  for _ in $(seq 100); do
    openssl ocsp -issuer "$d/issuer.pem" -serial "0x${serial[$ca]}" -no_nonce -url "http://127.0.0.1:${oport[$ca]}" \
      -noverify 2>/dev/null | grep -q ": good" && break
    sleep 0.1
  done
done

nport=$(free_port)
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $work/client_body;
  proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi;
  uwsgi_temp_path $work/uwsgi;
  scgi_temp_path $work/scgi;
  server {
    listen 127.0.0.1:$nport;
    location = /openssl/sm2 { proxy_pass http://127.0.0.1:${oport[sm2]}/; }
    location = /openssl/intl { proxy_pass http://127.0.0.1:${oport[intl]}/; }
    location /ocsp/ { proxy_pass http://127.0.0.1:$cport; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"
nginx_stop() { [ -f "$work/nginx.pid" ] && kill -QUIT "$(cat "$work/nginx.pid")" 2>/dev/null || true; }
trap 'nginx_stop; cleanup' EXIT
for ca in sm2 intl; do
  d="$work/$ca"
  for u in "http://127.0.0.1:$nport/openssl/$ca" "http://127.0.0.1:$nport/ocsp/$ca"; do
    openssl ocsp -issuer "$d/issuer.pem" -serial "0x${serial[$ca]}" -no_nonce -url "$u" -noverify 2>/dev/null \
      | grep -q ": good" || { echo "$u: not good" >&2; exit 1; }
  done
done

rows=""
for ca in sm2 intl; do
  d="$work/$ca"
  alg=$([ "$ca" = sm2 ] && echo "SM2-with-SM3" || echo "ECDSA P-256")
  for nonce in no with; do
    req="$d/req.der"; [ "$nonce" = with ] && req="$d/req-nonce.der"
    read -r c_rps c_p99 < <(run_wrk "http://127.0.0.1:$cport/ocsp/$ca" "$req")
    read -r cp_rps cp_p99 < <(run_wrk "http://127.0.0.1:$nport/ocsp/$ca" "$req")
    read -r o_rps o_p99 < <(run_wrk "http://127.0.0.1:$nport/openssl/$ca" "$req")
    rows+="| $ca ($alg) | $nonce | $c_rps ($c_p99 ms) | $cp_rps ($cp_p99 ms) | $o_rps ($o_p99 ms) |"$'\n'
  done
done

cmd="bench/pki.sh $secs $conns"
table=$(cat <<TABLE
Certificates issued per second through the whole \`CaService::issue\` path (profile pipeline, 128-bit
random serial, signature by the issuing key in the software key manager, certificate + event +
request id stored in SQLite), and the bare certificate assembly + signature (\`pki::issue_certificate\`,
in-memory key). \`pki_bench\`, release build, one thread ($(date -u +%Y-%m-%d), command: \`$cmd\`).

| CA | issued/s (CaService, SQLite) | µs per issuance | assembled+signed/s (pki only) |
|---|---:|---:|---:|
| SM2 (SM2-with-SM3) | $(rate BM_IssueSm2) | $(us BM_IssueSm2) | $(rate BM_AssembleSm2) |
| international (ECDSA P-256) | $(rate BM_IssueP256) | $(us BM_IssueP256) | $(rate BM_AssembleP256) |

OCSP over HTTP: one fixed DER request (CertID SHA-1 of a certificate the CA issued, status good;
"with nonce" = the same request carrying a nonce, so every answer is signed afresh),
\`wrk -t2 -c$conns -d${secs}s --latency\` after a 2 s warm-up, all on 127.0.0.1 of the same 2-core
machine in the same run. openssl's responder (\`openssl ocsp -index index.txt -port P -rsigner -rkey
-CA issuing.pem -multi 2\`) answers the same request for the same CA certificate from an index
file and signs every answer. It cannot face wrk directly (OpenSSL 3.0's responder spins on a
connection closed without a request, which wrk's start-up probe is), so it is measured behind
nginx (one worker, a fresh upstream connection per request); certseald is measured both directly
(keep-alive) and behind the same nginx. certseald reads the status from SQLite on every request and
serves a cached signed answer while it is fresh and unchanged (no nonce).

| CA | nonce | certseald direct: answers/s (p99) | certseald via nginx | openssl ocsp via nginx |
|---|---|---:|---:|---:|
${rows}
With a nonce every answer is signed afresh. The software key manager keeps the unsealed OCSP key in
memory after its first use (it still reads the small key file and compares it, so a replaced or
removed key is never used) and signs outside its lock, on every worker thread at once; until
2026-11-29 it unsealed the file (SM4-CTR + HMAC-SM3, PKCS#8 parse) under one mutex for every
signature, which held certseald to about a third of openssl's SM2 rate. Answers without a nonce
(what most clients send) come from the cache and the status read.
TABLE
)
write_performance_section pki "PKI" "$table"
echo "$table"
