#!/usr/bin/env bash
# run.sh TARGET MINUTES [JOBS] — a long campaign for one target (see docs/SECURITY.md "Fuzzing"):
# builds the fuzz preset if needed, fuzzes from fuzz/corpus/TARGET into a work folder under
# build/fuzz/campaigns/TARGET, then merges what is new into the committed corpus (kept minimal)
# and prints the coverage reached. Crashes land in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
target=$1; minutes=$2; jobs=${3:-1}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache} CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
cmake --preset fuzz >/dev/null
cmake --build build/fuzz --target "${target}_fuzz"
bin=build/fuzz/fuzz/${target}_fuzz
work=build/fuzz/campaigns/$target
mkdir -p "$work/corpus" fuzz/artifacts "fuzz/corpus/$target"
dict=()
case $target in
  der|certificate|pki_requests|cms|seseal) dict=(-dict=fuzz/dict/der.dict) ;;
  log) dict=(-dict=fuzz/dict/log.dict) ;;
  http) dict=(-dict=fuzz/dict/http.dict) ;;
  api) dict=(-dict=fuzz/dict/json.dict) ;;
  pdf) dict=(-dict=fuzz/dict/pdf.dict) ;;
esac
start=$(date +%s)
# One job runs in this process (its statistics land in last.log); more run as libFuzzer's workers,
# whose logs libFuzzer writes to fuzz-N.log in the checkout's root.
par=()
[ "$jobs" -gt 1 ] && par=(-jobs="$jobs" -workers="$jobs")
"$bin" -max_total_time=$((minutes * 60)) "${par[@]}" -timeout=10 -rss_limit_mb=4096 \
  -print_final_stats=1 -artifact_prefix="fuzz/artifacts/${target}-" "${dict[@]}" "$work/corpus" "fuzz/corpus/$target" \
  2>&1 | tee "$work/last.log" | grep -E "^#[0-9]+ +(DONE|pulse)|ERROR|stat::" || true
echo "campaign: ${target} ran $(( $(date +%s) - start )) s on ${jobs} job(s)"
# Keep the committed corpus small: merge the new inputs into it, minimised.
mkdir -p "$work/merged"
"$bin" -merge=1 -rss_limit_mb=4096 "$work/merged" "fuzz/corpus/$target" "$work/corpus" 2>&1 | grep -E "MERGE-OUTER: [0-9]+ new files" || true
rm -rf "fuzz/corpus/$target" && mv "$work/merged" "fuzz/corpus/$target"
"$bin" -runs=0 "fuzz/corpus/$target" 2>&1 | grep -E "INITED|DONE" | tail -1
