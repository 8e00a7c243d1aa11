#!/usr/bin/env bash
# short_run.sh TARGET SECONDS CORPUS [libFuzzer options...] — fuzzes for SECONDS starting from the
# committed corpus; new inputs go to a temporary folder (the committed corpus is not changed), a
# crash is kept under fuzz/artifacts/ for turning into a regression input.
set -euo pipefail
target=$1; seconds=$2; corpus=$3; shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts="$(dirname "$0")/artifacts"
mkdir -p "$artifacts"
exec_name=$(basename "$target")
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
  -artifact_prefix="$artifacts/$exec_name-" "$@" "$work" "$corpus"
