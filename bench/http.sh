#!/usr/bin/env bash
# HTTP throughput and p99 latency of a small JSON endpoint with keep-alive: certseald's GET /healthz
# next to nginx returning the same bytes, measured with wrk in the same run on this machine.
# Writes the table into docs/PERFORMANCE.md between the http markers.
#   bench/http.sh [seconds=10] [connections=64]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
secs=${1:-10}
conns=${2:-64}
scripts/setup >/dev/null
cmake --preset release >/dev/null
cmake --build --preset release --target certseald api_bench >/dev/null

work=$(mktemp -d /tmp/certseal-bench.XXXXXX)
chmod 755 "$work"
cleanup() {
  [ -n "${csd_pid:-}" ] && kill -TERM "$csd_pid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill -QUIT "$(cat "$work/nginx.pid")" 2>/dev/null || true
  sleep 0.5
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# nginx: as many workers as cores, access log off, unlimited keep-alive requests: its best case.
nport=$(free_port)
cat > "$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_temp_path $work/client_body;
  proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi;
  uwsgi_temp_path $work/uwsgi;
  scgi_temp_path $work/scgi;
  server {
    listen 127.0.0.1:$nport;
    location = /healthz { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"

# certseald: release build, SQLite, default threads, access log off (like nginx above).
build/release/certseald serve --set dev_mode=true --data-dir "$work/data" --listen 127.0.0.1:0 --port-file "$work/port" \
  "${unlimited[@]}" --set log.access=false --log-level warn 2>"$work/certseald.log" &
csd_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
cport=$(cat "$work/port")

curl -fsS "http://127.0.0.1:$nport/healthz" >/dev/null
curl -fsS "http://127.0.0.1:$cport/healthz" >/dev/null
[ "$(curl -s "http://127.0.0.1:$nport/healthz")" = "$(curl -s "http://127.0.0.1:$cport/healthz")" ] \
  || { echo "bodies differ" >&2; exit 1; }

run_wrk() {  # url -> "rps p99_ms"
  wrk -t2 -c"$conns" -d2s "$1" >/dev/null  # warm-up
  local out rps p99
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$1")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; printf "%.2f", v}' <<<"$out")
  echo "$rps $p99"
}

read -r n_rps n_p99 < <(run_wrk "http://127.0.0.1:$nport/healthz")
read -r c_rps c_p99 < <(run_wrk "http://127.0.0.1:$cport/healthz")
ratio=$(awk -v c="$c_rps" -v n="$n_rps" 'BEGIN {printf "%.0f%%", 100*c/n}')
kernel=$(build/release/bench/api_bench --benchmark_filter=BM_DispatchHealthz --benchmark_format=csv 2>/dev/null \
  | awk -F, '/BM_DispatchHealthz/ {printf "%.2f", $4/1000}')

cmd="bench/http.sh $secs $conns"
table=$(cat <<TABLE
Small JSON endpoint (\`GET /healthz\`, body \`{"status":"ok"}\`), HTTP/1.1 keep-alive,
\`wrk -t2 -c$conns -d${secs}s --latency\` after a 2 s warm-up, both servers on 127.0.0.1 of the same
2-core machine in the same run, access logs off on both. Command: \`$cmd\` ($(date -u +%Y-%m-%d)).

| server | requests/s | p99 latency | vs nginx |
|---|---:|---:|---:|
| nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') (\`return 200\`, workers = cores) | $n_rps | $n_p99 ms | 100% |
| certseald (release, SQLite, 4 I/O threads, 8 workers) | $c_rps | $c_p99 ms | $ratio |

In-process cost of one dispatch of \`GET /healthz\` (no network; \`api_bench\`): $kernel µs.
TABLE
)
write_performance_section http "HTTP" "$table"
echo "$table"
