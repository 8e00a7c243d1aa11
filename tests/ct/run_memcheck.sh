#!/usr/bin/env bash
# Runs tests/ct/sm2_ct_check.cpp under Valgrind memcheck: first the real check (must report no
# error; a second time with the BMI2/ADX field products forced where the CPU has them), then the
# planted secret-dependent branch (must be reported — proof the harness works).
# Exit 77 (ctest SKIP) when valgrind is not installed.
set -u
bin=$1
if ! command -v valgrind >/dev/null 2>&1; then
  echo "SKIPPED: valgrind is not installed (scripts/setup installs it); constant-time check not run"
  exit 77
fi
vg=(valgrind --tool=memcheck --error-exitcode=9 --leak-check=no --track-origins=yes --num-callers=30)
if ! "${vg[@]}" "$bin"; then
  echo "FAIL: memcheck reported secret-dependent branches or addresses (see above)"
  exit 1
fi
# Valgrind hides ADX from cpuid, so the run above took the portable field products; on a CPU
# with BMI2 and ADX check the inline-assembly ones too.
if grep -qw adx /proc/cpuinfo 2>/dev/null && grep -qw bmi2 /proc/cpuinfo 2>/dev/null; then
  if ! CERTSEAL_SM2_FORCE_ADX=1 "${vg[@]}" "$bin"; then
    echo "FAIL: memcheck reported secret-dependent branches or addresses with the BMI2/ADX products"
    exit 1
  fi
fi
"${vg[@]}" "$bin" --planted >/dev/null 2>&1
rc=$?
if [ "$rc" -ne 9 ]; then
  echo "FAIL: the planted secret-dependent branch was not reported (exit $rc): the harness cannot see leaks"
  exit 1
fi
echo "OK: no secret-dependent branch or address under memcheck; the planted one was caught"
