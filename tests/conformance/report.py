"""Collects conformance mismatches and prints them grouped by product and action.

A mismatch names who saw it (an SDK family, or `netform` for the recorded client requests), the
product and action, and what differs: the parameter or answer field and how. The same mismatch
seen on many calls is printed once, with a count.
"""

import collections
import sys


class Report:
    def __init__(self, title):
        self.title = title
        self.mismatches = collections.Counter()
        self.checks = 0

    def add(self, who, product, action, what):
        self.mismatches[(product or "-", action or "-", who, what)] += 1

    def check(self, ok, who, product, action, what):
        """Counts one check; records `what` when it failed. Returns `ok`."""
        self.checks += 1
        if not ok:
            self.add(who, product, action, what)
        return ok

    def lines(self):
        """One line per mismatch, naming every family (or client) that saw it."""
        merged = collections.defaultdict(dict)
        for (product, action, who, what), n in self.mismatches.items():
            merged[(product, action, what)][who] = n
        out = []
        for (product, action, what), seen in sorted(merged.items()):
            whos = ", ".join(f"{w} x{n}" if n > 1 else w for w, n in sorted(seen.items(), reverse=True))
            out.append(f"{product} {action} [{whos}]: {what}")
        return out

    def print(self, file=sys.stdout):
        if not self.mismatches:
            print(f"{self.title}: {self.checks} checks, no mismatch", file=file)
            return
        lines = self.lines()
        print(f"{self.title}: {len(lines)} mismatches ({self.checks} checks)", file=file)
        for line in lines:
            print("  " + line, file=file)

    def exit_code(self):
        return 1 if self.mismatches else 0


def answer_problems(value, shape, path=""):
    """What in an answer the SDK's response model does not have: unknown fields, and fields whose
    JSON kind or type differs from the model's. `shape` is from `sdk_models.tea_response`."""
    out = []
    if not isinstance(value, dict):
        return [f"answer{(' ' + path) if path else ''} is {_kind(value)}, the SDK model has an object"]
    for key, v in value.items():
        here = f"{path}.{key}" if path else key
        field = shape.get(key)
        if field is None:
            out.append(f"answer field {here} is not in the SDK model")
            continue
        if v is None:
            continue
        if field.kind == "scalar":
            out += _scalar_problems(v, field.scalar, here)
        elif field.kind == "list":
            if not isinstance(v, list):
                out.append(f"answer field {here} is {_kind(v)}, the SDK model has a list of {field.scalar}")
            else:
                for item in v:
                    out += _scalar_problems(item, field.scalar, here + "[]")
        elif field.kind == "object":
            if not isinstance(v, dict):
                out.append(f"answer field {here} is {_kind(v)}, the SDK model has an object")
            else:
                out += answer_problems(v, field.shape, here)
        elif field.kind == "objects":
            if not isinstance(v, list):
                out.append(f"answer field {here} is {_kind(v)}, the SDK model has a list of objects")
            else:
                for item in v:
                    out += answer_problems(item, field.shape, here + "[]")
        elif not isinstance(v, dict):
            out.append(f"answer field {here} is {_kind(v)}, the SDK model has a map")
    return sorted(set(out))


def _kind(v):
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    return "a string" if isinstance(v, str) else repr(v)


def _scalar_problems(v, want, here):
    if isinstance(v, (dict, list)):
        return [f"answer field {here} is {_kind(v)}, the SDK model has a {want}"]
    ok = {
        "str": isinstance(v, str),
        "int": isinstance(v, int) and not isinstance(v, bool),
        "float": isinstance(v, (int, float)) and not isinstance(v, bool),
        "bool": isinstance(v, bool),
    }.get(want, True)
    return [] if ok else [f"answer field {here} is {_kind(v)}, the SDK model has a {want}"]
