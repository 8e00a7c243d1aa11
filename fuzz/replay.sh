#!/usr/bin/env bash
# replay.sh TARGET DIR... — runs every input of the given folders through TARGET once (no fuzzing);
# fails on the first crash, leak, sanitizer report or timeout.
set -euo pipefail
target=$1; shift
dirs=()
for d in "$@"; do [ -d "$d" ] && dirs+=("$d"); done
[ ${#dirs[@]} -gt 0 ] || { echo "replay: no input folders" >&2; exit 1; }
n=$(find "${dirs[@]}" -type f | wc -l)
[ "$n" -gt 0 ] || { echo "replay: the folders hold no inputs: ${dirs[*]}" >&2; exit 1; }
exec "$target" -runs=0 -timeout=30 -rss_limit_mb=4096 "${dirs[@]}"
