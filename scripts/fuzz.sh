#!/usr/bin/env bash
# The fuzz campaign at scale (issue 12): every target of tests/fuzz, built in release, a million
# mutated cases for each target by default (a fifth of that for the two slow ones: http_answers
# and saved_plan), targets run side by side. CI runs the same binary at a bounded
# size (cargo test). Findings (minimised inputs, crash inputs, slow cases) are written under
# target/fuzz-failures/<target>/ and each is printed with its path and the command replaying it.
#
#   scripts/fuzz.sh [CASES_PER_TARGET] [TARGET...]
#
# Environment: NETFORM_FUZZ_SEED (default: random, printed), NETFORM_FUZZ_JOBS (targets at once;
# default: the number of CPUs), NETFORM_FUZZ_CASES_<TARGET> (cases for one target),
# NETFORM_FUZZ_MEM_MB (per-case heap budget, default 512), NETFORM_FUZZ_SLOW_MS (default 1000),
# NETFORM_FUZZ_HANG_S (default 120).
set -euo pipefail
cd "$(dirname "$0")/.."

cases=${1:-1000000}
shift || true
seed=${NETFORM_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
jobs=${NETFORM_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
export NETFORM_FUZZ_CASES=$cases NETFORM_FUZZ_SEED=$seed
# A case of these two costs a loopback HTTP exchange or a state lock and a replan (a few ms,
# ten times the others): a fifth as many, unless set.
export NETFORM_FUZZ_CASES_HTTP_ANSWERS=${NETFORM_FUZZ_CASES_HTTP_ANSWERS:-$((cases / 5))}
export NETFORM_FUZZ_CASES_SAVED_PLAN=${NETFORM_FUZZ_CASES_SAVED_PLAN:-$((cases / 5))}

cargo build --release --locked --tests --quiet
mkdir -p target
log=target/fuzz-campaign.log
echo "fuzz campaign: $cases cases per target, seed $seed, $jobs targets at a time; log in $log"
start=$(date +%s)
set +e
cargo test --release --locked --quiet --test fuzz -- --nocapture --test-threads="$jobs" "$@" >"$log" 2>&1
status=$?
set -e
end=$(date +%s)

# The per-target summaries (each test prints its own; a failing one prints it again).
grep -E '^fuzz |^  ' "$log" | awk '!seen[$0]++'
panics=$(grep -E '^fuzz ' "$log" | awk '!seen[$2]++ { n += $5 } END { print n + 0 }')
crashes=$(grep -E '^fuzz ' "$log" | awk '!seen[$2]++ { n += $7 } END { print n + 0 }')
total=$(grep -E '^fuzz ' "$log" | awk '!seen[$2]++ { n += $3 } END { print n + 0 }')
echo "total: $total cases, $panics panics, $crashes crashes, $((end - start)) s wall (seed $seed)"
if [ "$status" -ne 0 ]; then
  grep -E 'panicked at|error' "$log" | grep -v '^  ' | head -20 || true
  echo "FAILED: see $log and target/fuzz-failures/"
fi
exit "$status"
