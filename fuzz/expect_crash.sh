#!/usr/bin/env bash
# expect_crash.sh TARGET SECONDS [libFuzzer options...] — passes only if TARGET, fuzzed from an
# empty corpus, crashes within SECONDS (for the planted-bug check: the targets reach the code).
set -uo pipefail
target=$1; seconds=$2; shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
start=$(date +%s)
"$target" -max_total_time="$seconds" -seed=1 -artifact_prefix="$work/" "$@" "$work/corpus" >"$work/log" 2>&1 &
wait $!
rc=$?
took=$(( $(date +%s) - start ))
if [ "$rc" -ne 0 ] && ls "$work"/crash-* >/dev/null 2>&1; then
  echo "expect_crash: found the planted bug in ${took} s"
  grep -m1 -E "ERROR: (AddressSanitizer|libFuzzer)" "$work/log" || true
  exit 0
fi
echo "expect_crash: no crash within ${seconds} s (exit $rc)" >&2
tail -20 "$work/log" >&2
exit 1
