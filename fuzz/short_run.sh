#!/usr/bin/env bash
# short_run.sh TARGET RUNS CORPUS [libFuzzer options...] — fuzzes RUNS inputs (seed 1: the same
# inputs on every run, so the test command is repeatable; 120 s at most) starting from the committed
# corpus; new inputs go to a temporary folder (the committed corpus is not changed), a crash is kept
# under fuzz/artifacts/ for turning into a regression input.
set -euo pipefail
target=$1; runs=$2; corpus=$3; shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts="$(dirname "$0")/artifacts"
mkdir -p "$artifacts"
exec_name=$(basename "$target")
"$target" -runs="$runs" -seed=1 -max_total_time=120 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
  -artifact_prefix="$artifacts/$exec_name-" "$@" "$work" "$corpus"
