"""Part (2) of the SDK conformance test: judges the requests netform's own client sent, and the
answers it got, as recorded by `netform sim serve --record FILE` during an apply, an update and a
destroy of every resource kind.

For each recorded request:
- the action must exist, for its product, in both SDK families (the Tea V3 client has a method
  for it and the classic SDK a request class);
- every parameter must be one the SDK request models list, in both families: `Tag.3.Key` is
  looked up as `Tag.N.Key` (a list of objects with a `Key`), `PrivateIpAddress.12` as
  `PrivateIpAddress.N`. A parameter the SDK does not list at all fails, and so does one it lists
  in another shape (a list sent as a single value, or the other way round);
- a parameter whose valid values the Tea model's documentation lists (`ResourceType`, `Mode`,
  `InstanceType`, …) must have one of them (compared case-blind);
and for each successful answer, every field must exist in the Tea SDK's response model for the
action, with the model's kind and type: the simulator must not invent fields.

`--expect product:Action` (repeatable) names actions the run must have sent; one that was never
sent fails too, so a change that stops exercising an action cannot pass unnoticed.

Usage: recorded.py RECORD.jsonl [--expect ecs:CreateNetworkInterface …]
Exit status 1 when anything differs; the report lists each mismatch as
`product Action [family]: what`.
"""

import argparse
import json
import sys

import sdk_models
from report import Report, answer_problems

FAMILIES = {
    "tea V3": lambda product, action: sdk_models.patterns(sdk_models.tea_request(product, action))
    if sdk_models.tea_request(product, action) is not None and sdk_models.tea_method(product, action)
    else None,
    "classic V1": sdk_models.classic_request,
}


def check_request(report, product, action, params):
    for family, patterns_of in FAMILIES.items():
        patterns = patterns_of(product, action)
        if not report.check(patterns is not None, family, product, action, f"netform calls {action}, which is not a {product} action of the SDK"):
            continue
        for name in sorted(params):
            if sdk_models.allows(patterns, name):
                report.checks += 1
                continue
            if sdk_models.knows(patterns, name):
                listed = sorted(p for p in patterns if sdk_models.normalise(p) == sdk_models.normalise(name))
                what = f"netform sends {name} as {sdk_models.pattern(name)}; the SDK request model has {', '.join(listed)}"
            else:
                what = f"netform sends parameter {sdk_models.normalise(name)}, which the SDK request model does not have"
            report.add(family, product, action, what)
    check_values(report, product, action, params)


def check_values(report, product, action, params):
    """Values of parameters whose valid values the Tea model documents must be among them."""
    cls = sdk_models.tea_request_class(product, action)
    documented = sdk_models.tea_documented_values(cls) if cls else {}
    for name, value in sorted(params.items()):
        values = documented.get(name)
        if values is None:
            continue
        ok = value.lower() in {v.lower() for v in values}
        report.check(
            ok,
            "tea V3",
            product,
            action,
            f"netform sends {name}={value}, not one of the values the SDK model documents ({', '.join(sorted(values))})",
        )


def check_answer(report, product, action, answer):
    shape = sdk_models.tea_response(product, action)
    if not report.check(shape is not None, "tea V3", product, action, "the Tea SDK has no response model for an answer sim serve gave"):
        return
    problems = answer_problems(answer, shape)
    report.checks += 1
    for problem in problems:
        report.add("tea V3", product, action, f"sim serve's {problem}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("record", help="the file `netform sim serve --record` wrote")
    ap.add_argument("--expect", action="append", default=[], metavar="PRODUCT:ACTION", help="an action the run must have sent")
    args = ap.parse_args()
    report = Report("netform's requests and sim serve's answers against the SDK models")
    seen = set()
    with open(args.record) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    report.check(bool(lines), "netform", None, None, "the record is empty: netform sent no request")
    for r in lines:
        product, action = r["product"], r["action"]
        seen.add(f"{product}:{action}")
        check_request(report, product, action, r.get("params", {}))
        if r.get("status") == 200 and sdk_models.tea_method(product, action):
            check_answer(report, product, action, r.get("answer"))
    for want in args.expect:
        product, action = want.split(":", 1)
        report.check(want in seen, "netform", product, action, "never sent during the apply, update and destroy")
    report.print()
    print(f"({len(lines)} requests recorded, {len(seen)} distinct actions)")
    return report.exit_code()


if __name__ == "__main__":
    sys.exit(main())
