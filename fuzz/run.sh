#!/usr/bin/env bash
# run.sh [--cpu] TARGET MINUTES [JOBS] — a long campaign for one target (see docs/SECURITY.md
# "Fuzzing"): builds the target in the fuzz preset if needed, fuzzes from fuzz/corpus/TARGET into a
# work folder under build/fuzz/campaigns/TARGET, then adds what reached new coverage to the
# committed corpus and prints the coverage reached and the CPU time the fuzzer had. MINUTES is wall
# time; with --cpu (one job only) it is the fuzzer's own CPU time, the measure docs/SECURITY.md
# records: on a shared machine a wall-clock minute can hold much less. Crashes land in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
cpu=0
if [ "${1:-}" = --cpu ]; then cpu=1; shift; fi
target=$1; minutes=$2; jobs=${3:-1}
if [ "$cpu" = 1 ] && [ "$jobs" != 1 ]; then echo "run.sh: --cpu counts one job's time; give JOBS 1" >&2; exit 2; fi
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
wall=$((minutes * 60))
[ "$cpu" = 1 ] && wall=$((minutes * 600))  # a ceiling only: the CPU budget below ends the run
start=$(date +%s)
# CPU seconds this shell's waited-for children have used so far (bash's `times`, second line; the
# builtin runs in this shell, not in a command substitution's subshell).
children_cpu() { times > "$work/times"; tail -1 "$work/times" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] } printf "%.0f", t }'; }
children_cpu > "$work/before"
# One job runs in this process (its statistics land in last.log); more run as libFuzzer's workers,
# whose logs libFuzzer writes to fuzz-N.log in the checkout's root.
par=()
[ "$jobs" -gt 1 ] && par=(-jobs="$jobs" -workers="$jobs")
"$bin" -max_total_time="$wall" "${par[@]}" -timeout=10 -rss_limit_mb=4096 \
  -print_final_stats=1 -artifact_prefix="fuzz/artifacts/${target}-" "${dict[@]}" "$work/corpus" "fuzz/corpus/$target" \
  > "$work/last.log" 2>&1 &
pid=$!
if [ "$cpu" = 1 ]; then
  budget=$((minutes * 60 * $(getconf CLK_TCK)))
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    used=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat" 2>/dev/null || echo 0)  # its own and its reaped children's (LeakSanitizer's tracer)
    if [ "$used" -ge "$budget" ]; then kill -INT "$pid" 2>/dev/null || true; break; fi
  done
fi
wait "$pid" || true
grep -E "^#[0-9]+ +(DONE|pulse)|ERROR|stat::|interrupted" "$work/last.log" | tail -20 || true
# The fuzzer's CPU time, its workers' included (libFuzzer waits for them).
children_cpu > "$work/after"
echo "campaign: ${target} ran $(( $(date +%s) - start )) s on ${jobs} job(s), $(( $(cat "$work/after") - $(cat "$work/before") )) CPU s"
# Keep the committed corpus small: add only the campaign's inputs that reach new coverage. The
# inputs already there keep their names (the seeds say what they are); new ones are named by hash.
"$bin" -merge=1 -rss_limit_mb=4096 "fuzz/corpus/$target" "$work/corpus" 2>&1 | grep -E "MERGE-OUTER: [0-9]+ new files" || true
"$bin" -runs=0 "fuzz/corpus/$target" 2>&1 | grep -E "INITED|DONE" | tail -1
