# Shared pieces of the bench scripts (sourced, not run).

# write_performance_section NAME HEADING TEXT: puts TEXT between <!-- NAME:begin --> and
# <!-- NAME:end --> in docs/PERFORMANCE.md, adding the section under "## HEADING" the first time.
write_performance_section() {
  python3 - "$1" "$2" "$3" <<'PY'
import re, sys
name, heading, text = sys.argv[1], sys.argv[2], sys.argv[3]
path = "docs/PERFORMANCE.md"
doc = open(path).read()
begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
new = begin + "\n" + text.rstrip() + "\n" + end
if begin not in doc:
    doc = doc.rstrip() + f"\n\n## {heading}\n\n{begin}\n{end}\n"
doc = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda m: new, doc, flags=re.S)
open(path, "w").write(doc)
PY
}

# login_token BASE_URL PHONE PASSWORD CERTSEALD_DB_ARGS...: logs in by SMS code (read from the
# server's outbox with `certseald admin sms-outbox`) and password; prints the session token.
login_token() {
  local base=$1 phone=$2 password=$3
  shift 3
  curl -fsS -XPOST "$base/api/v1/sms-codes" -H 'Content-Type: application/json' \
    -d "{\"phone\":\"$phone\",\"purpose\":\"login\"}" >/dev/null
  local code
  code=$(build/release/certseald admin sms-outbox "$@" --phone "$phone" --limit 1 2>/dev/null \
         | grep -o '验证码[0-9]*' | grep -o '[0-9]*')
  curl -fsS -XPOST "$base/api/v1/sessions" -H 'Content-Type: application/json' \
    -d "{\"phone\":\"$phone\",\"code\":\"$code\",\"password\":\"$password\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

# The benchmark client is one address on loopback: the per-address limits of certseald (docs/CONFIG.md
# "Limits") are switched off explicitly, so the benches measure the server, not its throttle. The
# OCSP/TSA budgets are raised for the same reason.
unlimited=(--set server.max_connections_per_address=0 --set server.requests_per_s_per_address=0
           --set limits.ocsp_per_minute_per_address=0 --set limits.tsa_per_minute_per_address=0)
