#!/usr/bin/env bash
# The commands netform's example pipelines run, in one place, so that the GitHub Actions
# workflow (github/netform.yml), the GitLab CI pipeline (gitlab/.gitlab-ci.yml) and netform's
# own test (tests/cli/ci_pipeline.rs) run exactly the same steps. The pipelines only add what is
# specific to their forge: keeping the saved plan as an artifact, and posting comments and
# issues.
#
#   netform-ci.sh pr      fmt --check, validate, plan --out: writes $OUT/tfplan (the saved plan)
#                         and $OUT/plan.md (the pull-request comment, marker line first).
#                         Exit 0 whether or not there are changes ($OUT/changes says which).
#   netform-ci.sh apply   applies exactly $OUT/tfplan (no new plan, no prompt). A plan made
#                         before the state last changed is refused ("Saved plan is stale").
#   netform-ci.sh drift   plan --refresh-only --detailed-exitcode: exit 0 when the cloud matches
#                         the state, 2 when it drifted ($OUT/drift.md is then the issue body).
#
# Environment:
#   NETFORM         the netform binary (default: netform on PATH)
#   NETFORM_DIR     the configuration directory (default: .)
#   NETFORM_CI_OUT  where the plan and the bodies go (default: $NETFORM_DIR/.netform-ci)
#   NETFORM_CI_CLOUD  "simulator" (the default: the embedded simulator, no account needed) or
#                   "real" (Alibaba Cloud, with ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET set)
#
# State: each step first runs `netform init`, which prepares the configured backend (safe to
# repeat). A runner forgets its files, so a real pipeline keeps state in the shared backend
# (`terraform { backend "pg" {} }` with PG_CONN_STR and PGPASSWORD as secrets), never on the
# runner; the simulator's demo runs keep everything in the checkout.
#
# Exit codes are netform's: 1 an error, 3 files need formatting (run netform fmt).
set -euo pipefail

NF="${NETFORM:-netform}"
DIR="${NETFORM_DIR:-.}"
OUT="${NETFORM_CI_OUT:-$DIR/.netform-ci}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
PLAN_MARKER="<!-- netform-plan -->"
DRIFT_MARKER="<!-- netform-drift -->"

# Never prompt, never colour: logs are read in a browser.
export TF_IN_AUTOMATION=1
nf() {
  local sim=()
  if [ "${NETFORM_CI_CLOUD:-simulator}" = simulator ]; then
    sim=(--simulator=)
  fi
  "$NF" -C "$DIR" --no-color "${sim[@]}" "$@"
}

pr() {
  nf init --input=false >&2
  if ! nf fmt --check >"$OUT/fmt.txt"; then
    echo "These files need formatting (run netform fmt):" >&2
    cat "$OUT/fmt.txt" >&2
    exit 3
  fi
  nf validate
  local rc=0
  nf plan --input=false --detailed-exitcode --format markdown --out "$OUT/tfplan" \
    >"$OUT/plan.body" || rc=$?
  case "$rc" in
    0) echo false >"$OUT/changes" ;;
    2) echo true >"$OUT/changes" ;;
    *) exit "$rc" ;;
  esac
  { echo "$PLAN_MARKER"; cat "$OUT/plan.body"; } >"$OUT/plan.md"
  echo "plan: changes=$(cat "$OUT/changes"); saved $OUT/tfplan, comment body $OUT/plan.md" >&2
}

apply() {
  if [ ! -f "$OUT/tfplan" ]; then
    echo "no saved plan at $OUT/tfplan: run the pr step first (and keep its artifact)" >&2
    exit 1
  fi
  nf init --input=false >&2
  nf apply --input=false "$OUT/tfplan"
}

drift() {
  local rc=0
  nf init --input=false >&2
  nf plan --input=false --refresh-only --detailed-exitcode >"$OUT/drift.txt" || rc=$?
  case "$rc" in
    0) echo "no drift: the cloud matches the state" >&2; rm -f "$OUT/drift.md" ;;
    2)
      {
        echo "$DRIFT_MARKER"
        echo "## netform found drift"
        echo
        echo "Objects changed outside netform since the last apply. Run \`netform plan\` to"
        echo "see what an apply would do about it, or \`netform apply --refresh-only\` to accept it."
        echo
        echo '```'
        cat "$OUT/drift.txt"
        echo '```'
      } >"$OUT/drift.md"
      echo "drift found: issue body $OUT/drift.md" >&2
      exit 2
      ;;
    *) exit "$rc" ;;
  esac
}

case "${1:-}" in
  pr) pr ;;
  apply) apply ;;
  drift) drift ;;
  *)
    echo "usage: $0 pr|apply|drift" >&2
    exit 1
    ;;
esac
