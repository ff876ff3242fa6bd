#!/usr/bin/env python3
"""Extracts expression vectors from the test tables of Terraform, go-cty and hcl.

Usage: vectors-extract.py TERRAFORM_CHECKOUT GO_CTY_CHECKOUT OUT_DIR [HCL_CHECKOUT]

Reads the Go test tables (facts: an expression or a function's arguments, and the value or
error Terraform expects) and writes tests/vectors/<source>.json, which the vector test in
src/lang/vectors.rs evaluates. Cases whose values this evaluator cannot express (unknown
values, marks, refinements, types as values, results that depend on the machine) are skipped;
the count of each is printed.
"""

import json
import unicodedata
import os
import re
import sys
from collections import Counter

SKIPPED = Counter()
TYPED = object()  # marks a typed null or empty collection
STATE = {"typed": False}


class Skip(Exception):
    pass


# ---- a small reader for Go expressions -------------------------------------------------------

TOKEN = re.compile(
    r'\s+|//[^\n]*|/\*.*?\*/'
    r'|(?P<raw>`[^`]*`)'
    r'|(?P<str>"(?:\\.|[^"\\])*")'
    r'|(?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)'
    r'|(?P<ident>[A-Za-z_][A-Za-z_0-9]*)'
    r'|(?P<punct>\[\]|\.\.\.|[(){}\[\],:.&*+=<>!|/%-])',
    re.S,
)


def tokenize(src):
    out = []
    pos = 0
    while pos < len(src):
        m = TOKEN.match(src, pos)
        if not m:
            raise Skip("token")
        pos = m.end()
        for kind in ("raw", "str", "num", "ident", "punct"):
            if m.group(kind) is not None:
                out.append((kind, m.group(kind)))
    return out


def go_string(tok):
    kind, text = tok
    if kind == "raw":
        return text[1:-1]
    # Go's escapes are JSON's plus \x, \u, \U and octal; JSON covers the tables' strings.
    body = text[1:-1]
    body = re.sub(r'\\x([0-9a-fA-F]{2})', lambda m: '\\u00' + m.group(1), body)
    body = re.sub(r'\\U([0-9a-fA-F]{8})', lambda m: chr(int(m.group(1), 16)).encode('utf-16', 'surrogatepass').decode('utf-16'), body)
    return json.loads('"' + body + '"')


class Reader:
    def __init__(self, toks):
        self.t = toks
        self.i = 0

    def peek(self, k=0):
        return self.t[self.i + k] if self.i + k < len(self.t) else (None, None)

    def take(self, text=None):
        tok = self.peek()
        if text is not None and tok[1] != text:
            raise Skip("expected " + text)
        self.i += 1
        return tok

    def skip_balanced(self):
        """Skips one balanced (...) / {...} / [...] group."""
        depth = 0
        while True:
            _, t = self.take()
            if t in ("(", "{", "["):
                depth += 1
            elif t in (")", "}", "]"):
                depth -= 1
            if depth == 0:
                return

    def value(self):
        """A Go expression as ('kind', payload)."""
        kind, text = self.peek()
        if kind in ("str", "raw"):
            self.take()
            s = go_string((kind, text))
            while self.peek()[1] == "+" and self.peek(1)[0] in ("str", "raw"):
                self.take()
                s += go_string(self.take())
            return ("gostr", s)
        if kind == "num":
            self.take()
            return ("gonum", text)
        if text == "[]":
            self.take()
            self.type_name()
            return ("golist", self.braced_items())
        if text == "map":
            self.take()
            self.take("[")
            self.type_name()
            self.take("]")
            self.type_name()
            return ("gomap", self.braced_pairs())
        if kind == "ident":
            return self.call_chain()
        raise Skip("value " + str(text))

    def type_name(self):
        if self.peek()[1] == "*":
            self.take()
        self.take()
        while self.peek()[1] == ".":
            self.take()
            self.take()

    def braced_items(self):
        self.take("{")
        items = []
        while self.peek()[1] != "}":
            items.append(self.value())
            if self.peek()[1] == ",":
                self.take()
        self.take("}")
        return items

    def braced_pairs(self):
        self.take("{")
        pairs = []
        while self.peek()[1] != "}":
            k = self.value()
            self.take(":")
            v = self.value()
            pairs.append((k, v))
            if self.peek()[1] == ",":
                self.take()
        self.take("}")
        return pairs

    def call_chain(self):
        name = self.take()[1]
        while self.peek()[1] == ".":
            self.take()
            name += "." + self.take()[1]
        args = None
        if self.peek()[1] == "(":
            self.take("(")
            args = []
            while self.peek()[1] != ")":
                args.append(self.value())
                if self.peek()[1] == ",":
                    self.take()
            self.take(")")
        v = ("call", name, args)
        while self.peek()[1] == "." and self.peek(1)[0] == "ident":
            self.take()
            m = self.take()[1]
            margs = []
            if self.peek()[1] == "(":
                self.take("(")
                while self.peek()[1] != ")":
                    margs.append(self.value())
                    if self.peek()[1] == ",":
                        self.take()
                self.take(")")
            v = ("method", v, m, margs)
        return v


# ---- cty values ------------------------------------------------------------------------------

def cty(v):
    """A Go cty expression as ('s', str) | ('n', float|int) | ('b', bool) | ('null',) |
    ('list', [...]) | ('set', [...]) | ('map', {...})."""
    kind = v[0]
    if kind == "method":
        _, inner, m, _ = v
        if m in ("Mark", "WithMarks", "RefineNotNull", "Refine", "NewValue", "MarkWithPaths"):
            raise Skip("marks or refinements")
        raise Skip("method " + m)
    if kind != "call":
        raise Skip("not a cty value")
    _, name, args = v
    simple = {
        "cty.True": ("b", True),
        "cty.False": ("b", False),
        "cty.Zero": ("n", 0),
        "cty.EmptyObjectVal": ("map", {}),
        "cty.EmptyTupleVal": ("list", []),
    }
    if name in simple and args is None:
        return simple[name]
    if name in ("cty.DynamicVal", "cty.UnknownVal", "cty.UnknownAsNull"):
        raise Skip("unknown values")
    if name in ("cty.PositiveInfinity", "cty.NegativeInfinity"):
        raise Skip("infinity")
    if name == "cty.StringVal":
        # cty keeps strings in normal form C.
        return ("s", unicodedata.normalize("NFC", gostr(args[0])))
    if name == "cty.NumberIntVal":
        return ("n", int(gonum(args[0])))
    if name == "cty.NumberUIntVal":
        return ("n", int(gonum(args[0])))
    if name == "cty.NumberFloatVal":
        f = float(gonum(args[0]))
        if f != f or f in (float("inf"), float("-inf")):
            raise Skip("infinity")
        return ("n", f)
    if name == "cty.MustParseNumberVal":
        text = gostr(args[0])
        f = float(text)
        if f != f or f in (float("inf"), float("-inf")):
            raise Skip("infinity")
        if f.is_integer() and abs(f) >= 2 ** 53 or len(text.replace("-", "").replace(".", "")) > 15:
            raise Skip("numbers beyond f64")
        return ("n", int(f) if f.is_integer() else f)
    if name == "cty.BoolVal":
        b = args[0]
        if b == ("call", "true", None):
            return ("b", True)
        if b == ("call", "false", None):
            return ("b", False)
        raise Skip("bool")
    if name == "cty.NullVal":
        if args and args[0] != ("call", "cty.DynamicPseudoType", None):
            return ("null", TYPED)
        return ("null",)
    if name in ("cty.ListVal", "cty.TupleVal"):
        return ("list", [cty(x) for x in golist(args[0])])
    if name == "cty.SetVal":
        return ("set", [cty(x) for x in golist(args[0])])
    typed = args and args[0] != ("call", "cty.DynamicPseudoType", None)
    if name in ("cty.ListValEmpty",):
        return ("list", [], TYPED) if typed else ("list", [])
    if name in ("cty.SetValEmpty",):
        return ("set", [], TYPED) if typed else ("set", [])
    if name in ("cty.MapValEmpty",):
        return ("map", {}, TYPED) if typed else ("map", {})
    if name in ("cty.MapVal", "cty.ObjectVal"):
        return ("map", {gostr(k): cty(x) for k, x in gomap(args[0])})
    raise Skip("cty " + name)


def gostr(v):
    if v[0] != "gostr":
        raise Skip("string")
    return v[1]


def gonum(v):
    if v[0] == "gonum":
        return v[1]
    if v[0] == "call" and v[1] == "-" :
        raise Skip("num")
    raise Skip("num")


def golist(v):
    if v[0] != "golist":
        raise Skip("list")
    return v[1]


def gomap(v):
    if v[0] != "gomap":
        raise Skip("map")
    return v[1]


def hcl(v):
    """The HCL expression for a cty value."""
    k = v[0]
    if len(v) > 1 and v[-1] is TYPED:
        # A typed null or empty collection takes part in type checks and unification; HCL's
        # null and [] are untyped, so a case that fails because of the type is skipped.
        STATE["typed"] = True
    if k == "s":
        s = json.dumps(v[1], ensure_ascii=False)
        return s.replace("${", "$${").replace("%{", "%%{")
    if k == "n":
        return repr(v[1]) if isinstance(v[1], float) else str(v[1])
    if k == "b":
        return "true" if v[1] else "false"
    if k == "null":
        return "null"
    if k == "list":
        return "[" + ", ".join(hcl(x) for x in v[1]) + "]"
    if k == "set":
        return "toset([" + ", ".join(hcl(x) for x in v[1]) + "])"
    if k == "map":
        return "{" + ", ".join(json.dumps(a, ensure_ascii=False) + " = " + hcl(b) for a, b in v[1].items()) + "}"
    raise Skip("hcl")


def set_key(v):
    rank = {"null": 0, "b": 1, "n": 2, "s": 3, "list": 4, "set": 5, "map": 6}[v[0]]
    return (rank, json.dumps(to_json(v), sort_keys=True) if rank >= 4 else v[1] if rank else 0)


def to_json(v):
    k = v[0]
    if k in ("s", "n", "b"):
        return v[1]
    if k == "null":
        return None
    if k == "list":
        return [to_json(x) for x in v[1]]
    if k == "set":
        items = sorted(v[1], key=set_key)
        out = []
        for x in items:
            j = to_json(x)
            if j not in out:
                out.append(j)
        return out
    if k == "map":
        return {a: to_json(b) for a, b in sorted(v[1].items())}
    raise Skip("json")


# ---- Terraform's TestFunctions: HCL source and the value it gives ---------------------------

MACHINE_DEPENDENT = ("abspath", "pathexpand", "timestamp", "plantimestamp", "uuid", "bcrypt",
                     "base64gzip", "rsadecrypt", "ephemeralasnull", "templatestring", "type")


def terraform_functions(path):
    src = open(path, encoding="utf-8").read()
    start = src.index("tests := map[string][]struct {")
    body = src[start:]
    out = []
    for m in re.finditer(r'\n\t\t"([a-z0-9_:]+)": \{\n(.*?)\n\t\t\},\n', body, re.S):
        fname, cases = m.group(1), m.group(2)
        for c in re.finditer(r'\n\t\t\t\{\n(.*?)\n\t\t\t\},', "\n" + cases + "\n", re.S):
            try:
                r = Reader(tokenize(c.group(1)))
                expr = gostr(r.value())
                r.take(",")
                want = cty(r.value())
                if fname in MACHINE_DEPENDENT:
                    raise Skip("machine-dependent result")
                if "::" in fname or "provider::" in expr:
                    raise Skip("provider functions")
                out.append({"expr": expr, "want": to_json(want),
                            "source": "terraform internal/lang/functions_test.go " + fname})
            except Skip as e:
                SKIPPED[str(e)] += 1
            except (IndexError, ValueError, TypeError, KeyError) as e:
                SKIPPED["unparsed"] += 1
    return out


# ---- go-cty's and Terraform's function tables ------------------------------------------------

def go_tests(path, source, calls):
    """Cases of test tables whose loop calls `Fn(test.A, test.B)` (or `FnFunc.Call([]cty.Value
    {test.A, ...})`), for Go function names mapped to HCL names in `calls`."""
    src = open(path, encoding="utf-8").read()
    out = []
    for fm in re.finditer(r'\nfunc (Test\w+)\(t \*testing\.T\) \{\n(.*?)\n\}\n', src, re.S):
        tname, body = fm.group(1), fm.group(2)
        call = re.search(r'got, err :?= (\w+)(?:\.Call\(\[\]cty\.Value\{|\()([^)}]*)[)}]', body)
        if not call or call.group(1) not in calls:
            continue
        fname = calls[call.group(1)]
        args = [a.strip() for a in call.group(2).split(",") if a.strip()]
        variadic = any(a.endswith("...") for a in args)
        st = re.search(r'(?:tests|testCases|cases) := (?:\[\]struct|map\[string\]struct) \{\n(.*?)\n\t\}\{\n(.*?)\n\t\}\n', body, re.S)
        if not st:
            continue
        fields = [l.split()[0] for l in st.group(1).strip().split("\n") if l.strip() and not l.strip().startswith("//")]
        # Field declarations may share a type: "A, B cty.Value".
        names = []
        for l in st.group(1).strip().split("\n"):
            l = l.strip()
            if not l or l.startswith("//"):
                continue
            decl = l.split("//")[0].strip()
            parts = decl.split()
            typ = parts[-1]
            for n in " ".join(parts[:-1]).split(","):
                if n.strip():
                    names.append((n.strip(), typ))
        table = st.group(2)
        is_map = "map[string]struct" in body[st.start():st.start() + 80]
        try:
            cases = split_cases(table, is_map)
        except Skip:
            SKIPPED["untokenizable table"] += 1
            continue
        for case in cases:
            try:
                vals = parse_case(case, names)
                argv = []
                STATE["typed"] = False
                for a in args:
                    fld = a.replace("test.", "").replace("...", "")
                    if fld not in vals:
                        raise Skip("argument expression")
                    v = vals[fld]
                    if a.endswith("..."):
                        if v[0] != "golist":
                            raise Skip("variadic")
                        argv.extend(cty(x) for x in v[1])
                    else:
                        argv.append(cty(v) if v[0] in ("call", "method") else raise_skip())
                expr = f"{fname}(" + ", ".join(hcl(x) for x in argv) + ")"
                if expr in NOT_HCL:
                    raise Skip("no HCL equivalent")
                if expr in LEFT_OUT:
                    raise Skip("left out: " + LEFT_OUT[expr])
                err = error_of(vals, names)
                rec = {"expr": expr, "source": f"{source} {tname}"}
                if err is not None:
                    if STATE["typed"]:
                        raise Skip("typed null or empty collection in a failing case")
                    rec["error"] = err
                else:
                    want_field = next((n for n, _ in names if n.lower() in ("want", "expected", "output")), None)
                    if want_field is None or want_field not in vals:
                        raise Skip("no want")
                    rec["want"] = to_json(cty(vals[want_field]))
                out.append(rec)
            except Skip as e:
                SKIPPED[str(e)] += 1
            except (IndexError, ValueError, TypeError, KeyError, StopIteration):
                SKIPPED["unparsed"] += 1
    return out


def raise_skip():
    raise Skip("argument")


def split_cases(table, is_map):
    """The top-level `{ ... }` groups of a table (the values of a map table)."""
    toks = tokenize(table)
    cases = []
    depth = 0
    cur = None
    for tok in toks:
        t = tok[1]
        if t == "{" and depth == 0:
            cur = []
            depth = 1
            continue
        if cur is not None:
            if t in ("(", "{", "["):
                depth += 1
            elif t in (")", "}", "]"):
                depth -= 1
                if depth == 0:
                    cases.append(cur)
                    cur = None
                    continue
            cur.append(tok)
    return cases


def parse_case(toks, names):
    r = Reader(toks)
    vals = {}
    pos = 0
    while r.peek()[0] is not None:
        if r.peek()[0] == "ident" and r.peek(1)[1] == ":":
            key = r.take()[1]
            r.take(":")
            vals[key] = r.value()
        else:
            if pos >= len(names):
                raise Skip("too many fields")
            vals[names[pos][0]] = r.value()
            pos += 1
        if r.peek()[1] == ",":
            r.take()
    return vals


def error_of(vals, names):
    for n, typ in names:
        if n.lower() in ("err", "wanterr", "error", "experr"):
            v = vals.get(n)
            if v is None:
                return None
            if v[0] == "call" and v[1] == "true":
                return True
            if v[0] == "call" and v[1] in ("false", "nil"):
                return None
            if v[0] == "gostr":
                return v[1] or None
            raise Skip("error value")
    return None


CTY_CALLS = {
    "Upper": "upper", "Lower": "lower", "Reverse": "strrev", "Strlen": "length",
    "Substr": "substr", "Join": "join", "Sort": "sort", "Split": "split", "Chomp": "chomp",
    "Indent": "indent", "Title": "title", "TrimSpace": "trimspace", "Trim": "trim",
    "TrimPrefix": "trimprefix", "TrimSuffix": "trimsuffix", "Replace": "replace",
    "Absolute": "abs", "Ceil": "ceil", "Floor": "floor", "Log": "log", "Pow": "pow",
    "Signum": "signum", "ParseInt": "parseint", "Min": "min", "Max": "max",
    "Chunklist": "chunklist", "CoalesceList": "coalescelist", "Compact": "compact",
    "Contains": "contains", "Distinct": "distinct", "Element": "element", "Flatten": "flatten",
    "Keys": "keys", "Lookup": "lookup", "Merge": "merge", "ReverseList": "reverse",
    "SetProduct": "setproduct", "Slice": "slice", "Values": "values", "Zipmap": "zipmap",
    "Concat": "concat", "Range": "range", "SetIntersection": "setintersection",
    "SetSubtract": "setsubtract", "SetUnion": "setunion", "Coalesce": "coalesce",
    "Format": "format", "FormatList": "formatlist", "FormatDate": "formatdate",
    "TimeAdd": "timeadd", "CSVDecode": "csvdecode", "JSONEncode": "jsonencode",
    "JSONDecode": "jsondecode", "Regex": "regex", "RegexAll": "regexall", "Length": "length",
}

# Cases whose Go form has no HCL equivalent, by expression: the result depends on a type that
# HCL literals cannot state (a list rather than a tuple, a map rather than an object), or the Go
# test calls the function with an argument HCL would have converted first.
NOT_HCL = {
    'concat([1], ["foo"], [true])': "lists of different element types (HCL writes tuples)",
    'concat([1], ["foo", "bar"])': "lists of different element types (HCL writes tuples)",
    'strcontains("hello1", 1)': "HCL converts 1 to \"1\" before the call",
    'sum({"hello" = true})': "a map of bool (HCL writes an object)",
    'setunion(toset([true]), toset([]))': "an empty set of string (HCL's toset([]) is untyped)",
    'setsubtract(toset([true]), toset([]))': "an empty set of string (HCL's toset([]) is untyped)",
}

# Cases of what netform leaves out, with the reason (see the report of issue 15).
LEFT_OUT = {
    'textencodebase64("🤔", "cp437")': "IBM437 (cp437) has no table in encoding_rs",
    'textdecodebase64("<invalid base64>", "cp437")': "IBM437 (cp437) has no table in encoding_rs",
}

TF_CALLS = {
    "CidrHostFunc": "cidrhost", "CidrNetmaskFunc": "cidrnetmask", "CidrSubnetFunc": "cidrsubnet",
    "AllTrueFunc": "alltrue", "AnyTrueFunc": "anytrue", "CoalesceFunc": "coalesce",
    "IndexFunc": "index", "LengthFunc": "length", "LookupFunc": "lookup",
    "MatchkeysFunc": "matchkeys", "OneFunc": "one", "SumFunc": "sum", "TransposeFunc": "transpose",
    "TimeCmpFunc": "timecmp", "URLEncodeFunc": "urlencode", "BasenameFunc": "basename",
    "DirnameFunc": "dirname", "LogFunc": "log", "PowFunc": "pow", "ReplaceFunc": "replace",
    "StartsWithFunc": "startswith", "StrContainsFunc": "strcontains", "EndsWithFunc": "endswith",
    "Base64DecodeFunc": "base64decode", "Base64EncodeFunc": "base64encode",
    "TextEncodeBase64Func": "textencodebase64", "TextDecodeBase64Func": "textdecodebase64",
    "Md5Func": "md5", "Sha1Func": "sha1", "Sha256Func": "sha256", "Sha512Func": "sha512",
    "Base64Sha256Func": "base64sha256", "Base64Sha512Func": "base64sha512",
    "UUIDV5Func": "uuidv5", "ParseIntFunc": "parseint", "SignumFunc": "signum",
    "ChunklistFunc": "chunklist", "ZipmapFunc": "zipmap",
}


def hcl_table(path, test, template):
    """hcl's `{input, ctx, want, diagCount}` tables, for the cases with no variables (`ctx` nil):
    an expression, or a bare template when `template`."""
    src = open(path, encoding="utf-8").read()
    m = re.search(r'\nfunc ' + test + r'\(t \*testing\.T\) \{\n(.*?)\n\}\n', src, re.S)
    body = m.group(1)
    st = re.search(r'tests := \[\]struct \{\n(.*?)\n\t\}\{\n(.*?)\n\t\}\n', body, re.S)
    names = [("input", "string"), ("ctx", "ctx"), ("want", "cty.Value"), ("diagCount", "int")]
    out = []
    for case in split_cases(st.group(2), False):
        try:
            vals = parse_case(case, names)
            if vals.get("ctx") != ("call", "nil", None):
                raise Skip("variables in the evaluation context")
            source = gostr(vals["input"])
            diags = int(gonum(vals["diagCount"]))
            rec = {"expr": source, "source": "hcl hclsyntax/" + os.path.basename(path) + " " + test}
            if template:
                rec["template"] = True
            if diags > 0:
                rec["error"] = True
            else:
                rec["want"] = to_json(cty(vals["want"]))
            if source in HCL_LEFT_OUT:
                raise Skip("left out: " + HCL_LEFT_OUT[source])
            out.append(rec)
        except Skip as e:
            SKIPPED[str(e)] += 1
        except (IndexError, ValueError, TypeError, KeyError, AttributeError):
            SKIPPED["unparsed"] += 1
    return out


# hcl cases netform does not follow, with the reason.
HCL_LEFT_OUT = {
    '[[[{name:"foo"}]], [[{name:"bar"}], [{name:"baz"}]]].*.0.0.name': "hcl-edit reads .0.0 as two legacy indexes; HCL's scanner reads the number 0.0 and refuses it",
    '[["hello"]].0.0': "hcl-edit reads .0.0 as two legacy indexes; HCL's scanner reads the number 0.0 and refuses it",
    '[["hello"], ["goodbye"]].*.*': "hcl-edit's parser accepts a splat after an attribute splat; HCL's refuses it",
    '[\n  <<EOT\n  Foo\n  Bar\n  Baz\n  EOT\n]\n': "hcl-edit's parser does not take an indented closing marker in a list",
    '[\n  <<-EOT\n  Foo\n  Bar\n  Baz\n  EOT\n]\n': "hcl-edit's parser does not take an indented closing marker in a list",
    '[\n  <<-EOT\n  Foo\n    Bar\n    Baz\n  EOT\n]\n': "hcl-edit's parser does not take an indented closing marker in a list",
    '[\n  <<-EOT\n    Foo\n  Bar\n    Baz\n  EOT\n]\n': "hcl-edit's parser does not take an indented closing marker in a list",
    '[\n  <<EOT\n  Foo\n\n  Bar\n\n  Baz\n  EOT\n]\n': "hcl-edit's parser does not take an indented closing marker in a list",
    '[\n  <<-EOT\n  Foo\n\n  Bar\n\n  Baz\n  EOT\n]\n': "hcl-edit's parser does not take an indented closing marker in a list",
}


def main():
    tf, cty_repo, out_dir = sys.argv[1:4]
    hcl_repo = sys.argv[4] if len(sys.argv) > 4 else None
    os.makedirs(out_dir, exist_ok=True)
    files = {
        "terraform-functions.json": terraform_functions(os.path.join(tf, "internal/lang/functions_test.go")),
    }
    cty_dir = os.path.join(cty_repo, "cty/function/stdlib")
    cty_cases = []
    for f in sorted(os.listdir(cty_dir)):
        if f.endswith("_test.go"):
            cty_cases += go_tests(os.path.join(cty_dir, f), "go-cty cty/function/stdlib/" + f, CTY_CALLS)
    files["go-cty-stdlib.json"] = cty_cases
    tf_dir = os.path.join(tf, "internal/lang/funcs")
    tf_cases = []
    for f in sorted(os.listdir(tf_dir)):
        if f.endswith("_test.go"):
            tf_cases += go_tests(os.path.join(tf_dir, f), "terraform internal/lang/funcs/" + f, TF_CALLS)
    files["terraform-funcs.json"] = tf_cases
    if hcl_repo:
        d = os.path.join(hcl_repo, "hclsyntax")
        files["hcl-expressions.json"] = hcl_table(os.path.join(d, "expression_test.go"), "TestExpressionParseAndValue", False)
        files["hcl-templates.json"] = hcl_table(os.path.join(d, "expression_template_test.go"), "TestTemplateExprParseAndValue", True)
    for name, cases in files.items():
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as fh:
            json.dump(cases, fh, ensure_ascii=False, indent=1, allow_nan=False)
            fh.write("\n")
        print(f"{name}: {len(cases)} vectors")
    print("skipped:", dict(SKIPPED))


if __name__ == "__main__":
    main()
