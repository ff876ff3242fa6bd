"""Reads Alibaba's official SDK models at test time: the wire names of every request parameter and
answer field, with their nesting and kind. Nothing here is copied by hand from the SDKs; it is
read from the installed packages, so a newer SDK is judged by what it says.

Two families:
- Tea (V3 signing, `alibabacloud-<product><version>`): `models.<Action>Request` and
  `models.<Action>ResponseBody`. Each model's `__init__` annotates its attributes (`str`,
  `List[str]`, `main_models.X`, `List[main_models.X]`, …) and its `to_map` names the wire key of
  each; both are read by running the SDK's own code, not by copying it.
- Classic (V1 signing, `aliyun-python-sdk-<product>`): `request.v<version>.<Action>Request`, whose
  setters call `add_query_param` with the wire name (lists as `Name.N`, lists of objects as
  `Name.N.Sub`, objects as `Name.Sub`). Each setter is run on a stand-in value that behaves as a
  one-item list, an object and a scalar at once, and the parameter names it adds are read back.

A *shape* is `{WireName: Field}`; a *pattern* is a flat RPC parameter name with every list index
written `N` (`Tag.N.Key`); a *normalised* name drops the indices altogether (`Tag.Key`).
"""

import functools
import importlib
import inspect
import re
from typing import NamedTuple, Optional

TEA = {
    "ecs": "alibabacloud_ecs20140526",
    "vpc": "alibabacloud_vpc20160428",
    "slb": "alibabacloud_slb20140515",
}
CLASSIC = {
    "ecs": "aliyunsdkecs.request.v20140526",
    "vpc": "aliyunsdkvpc.request.v20160428",
    "slb": "aliyunsdkslb.request.v20140515",
}
# The API version each product's answers and requests are for (as `sim serve` reads them).
VERSIONS = {"ecs": "2014-05-26", "vpc": "2016-04-28", "slb": "2014-05-15"}

# Parameters the classic SDK core adds to every RPC request itself (`RpcRequest.get_url` fills in
# the client's region when the request has none), so they are part of every classic request.
CLASSIC_IMPLICIT = {"RegionId"}


class Field(NamedTuple):
    """One wire field of a Tea model.

    kind: `scalar`, `list` (of scalars), `object`, `objects` (a list of objects) or `map`
    (free-form string map). scalar: the Python type name of a scalar or of a list's items
    (`str`, `int`, `bool`, `float`, `Any`). shape: the nested shape of an object or objects.
    """

    kind: str
    scalar: Optional[str] = None
    shape: Optional[dict] = None


# ---- Tea ----


def tea_models(product):
    return importlib.import_module(TEA[product] + ".models")


def tea_client_class(product):
    return importlib.import_module(TEA[product] + ".client").Client


def tea_model(product, name):
    """The Tea model class `name` of `product`, or None when the SDK has none by that name."""
    return getattr(tea_models(product), name, None)


_LIST = re.compile(r"^List\[(.+)\]$")
_MODEL = re.compile(r"^main_models\.(\w+)$")
_SCALARS = {"str": "str", "int": "int", "bool": "bool", "float": "float", "Any": "Any"}


def _sample(annotation, models):
    """(Field without shape, sample value, nested model class or None) for one annotation."""
    ann = annotation.strip()
    m = _LIST.match(ann)
    if m:
        inner = m.group(1).strip()
        mm = _MODEL.match(inner)
        if mm:
            cls = getattr(models, mm.group(1))
            return Field("objects"), [cls()], cls
        return Field("list", _SCALARS.get(inner, "Any")), ["x"], None
    mm = _MODEL.match(ann)
    if mm:
        cls = getattr(models, mm.group(1))
        return Field("object"), cls(), cls
    if ann.startswith("Dict") or ann == "dict":
        return Field("map", "Any"), {}, None
    return Field("scalar", _SCALARS.get(ann, "Any")), "x", None


@functools.lru_cache(maxsize=None)
def tea_shape(cls):
    """The wire shape of a Tea model class: `{WireName: Field}`, nested models resolved."""
    return _tea_shape(cls, frozenset())


def _tea_shape(cls, seen):
    if cls in seen:
        return {}
    seen = seen | {cls}
    models = importlib.import_module(cls.__module__.split(".models", 1)[0] + ".models")
    annotations = {k: v for k, v in cls.__init__.__annotations__.items() if k != "return"}
    out = {}
    for attr, ann in annotations.items():
        field, value, nested = _sample(str(ann), models)
        # The SDK's own to_map names the wire key of the attribute.
        empty, full = cls().to_map(), cls(**{attr: value}).to_map()
        keys = [k for k, v in full.items() if k not in empty or empty[k] != v]
        if len(keys) != 1:
            raise RuntimeError(f"{cls.__name__}.{attr}: cannot tell its wire name from to_map")
        if nested is not None:
            field = field._replace(shape=_tea_shape(nested, seen))
        out[keys[0]] = field
    return out


_BULLET = re.compile(r"^-\s+\*{0,2}([A-Za-z0-9_.\-]+)\*{0,2}")


@functools.lru_cache(maxsize=None)
def tea_documented_values(cls):
    """{WireName: set of values} for the string and boolean parameters whose documentation in the
    Tea model lists their valid values ("Valid values:" followed by `- value: …` bullets)."""
    src = inspect.getsource(cls.__init__)
    out = {}
    for attr, key in _tea_keys(cls).items():
        m = re.search(r"((?:^[ \t]*#.*\n)+)[ \t]*self\." + re.escape(attr) + r" = " + re.escape(attr) + r"\n", src, re.M)
        if not m:
            continue
        lines = [line.strip()[1:].strip() for line in m.group(1).splitlines()]
        values, listing = set(), False
        for line in lines:
            if re.search(r"valid values", line, re.I):
                listing, values = True, set()
                continue
            if listing:
                b = _BULLET.match(line)
                if b:
                    values.add(b.group(1))
                elif values and line:
                    listing = False
        if len(values) >= 2:
            out[key] = values
    return out


def _tea_keys(cls):
    """{attribute: wire name} of a Tea model's scalar fields."""
    models = importlib.import_module(cls.__module__.split(".models", 1)[0] + ".models")
    out = {}
    for attr, ann in cls.__init__.__annotations__.items():
        if attr == "return":
            continue
        field, value, _ = _sample(str(ann), models)
        if field.kind != "scalar" or field.scalar not in ("str", "bool"):
            continue
        empty, full = cls().to_map(), cls(**{attr: value}).to_map()
        keys = [k for k, v in full.items() if k not in empty or empty[k] != v]
        if len(keys) == 1:
            out[attr] = keys[0]
    return out


def tea_request_class(product, action):
    """The Tea request model as the wire sees it: the `Shrink` variant where the SDK has one
    (its JSON-encoded parameters are single strings on the wire)."""
    return tea_model(product, action + "ShrinkRequest") or tea_model(product, action + "Request")


def tea_request(product, action):
    cls = tea_request_class(product, action)
    return tea_shape(cls) if cls else None


def tea_response(product, action):
    cls = tea_model(product, action + "ResponseBody")
    return tea_shape(cls) if cls else None


@functools.lru_cache(maxsize=None)
def tea_methods(product):
    """{Action: client method name}, read from the client's `*_with_options` methods."""
    src = inspect.getsource(importlib.import_module(TEA[product] + ".client"))
    out = {}
    for m in re.finditer(r"def (\w+)_with_options\(.*?action = '(\w+)'", src, re.S):
        name, action = m.group(1), m.group(2)
        if not name.endswith("_async"):
            out.setdefault(action, name)
    return out


def tea_method(product, action):
    return tea_methods(product).get(action)


def patterns(shape, prefix=""):
    """The flat parameter patterns a shape allows: `Name`, `Name.N`, `Name.Sub`,
    `Name.N.Sub`; a map allows `Name.*`."""
    out = set()
    for key, f in shape.items():
        name = prefix + key
        if f.kind == "scalar":
            out.add(name)
        elif f.kind == "list":
            out.add(name + ".N")
        elif f.kind == "object":
            out |= patterns(f.shape, name + ".")
        elif f.kind == "objects":
            out |= patterns(f.shape, name + ".N.")
        else:
            out.add(name + ".*")
    return out


# ---- Classic ----


class _Stand:
    """Stands in for any value a classic setter is given: a one-item list, an object whose every
    key is set, and a scalar, all at once."""

    def __len__(self):
        return 1

    def __getitem__(self, i):
        if i != 0:
            raise IndexError(i)
        return _Stand()

    def __iter__(self):
        yield _Stand()

    def get(self, key, default=None):
        return _Stand()

    def __str__(self):
        return "x"


def classic_request_class(product, action):
    try:
        mod = importlib.import_module(f"{CLASSIC[product]}.{action}Request")
    except ImportError:
        return None
    return getattr(mod, action + "Request", None)


@functools.lru_cache(maxsize=None)
def classic_setters(product, action):
    """{setter name: set of parameter patterns it adds} for the classic request of `action`, or
    None when the classic SDK has no such action."""
    cls = classic_request_class(product, action)
    if cls is None:
        return None
    out = {}
    base = set(_classic_params(cls()))
    for name in dir(cls):
        if not name.startswith("set_") or name in _CLASSIC_BASE_SETTERS:
            continue
        req = cls()
        try:
            getattr(req, name)(_Stand())
        except Exception:  # a setter that needs a real scalar (e.g. json.dumps of it)
            req = cls()
            getattr(req, name)("x")
        out[name] = {pattern(k) for k in _classic_params(req) if k not in base}
    return out


def _classic_params(req):
    return list((req.get_query_params() or {}).keys()) + list((req.get_body_params() or {}).keys())


def _classic_base_setters():
    from aliyunsdkcore.request import RpcRequest

    return {n for n in dir(RpcRequest) if n.startswith("set_")}


_CLASSIC_BASE_SETTERS = _classic_base_setters()


def classic_request(product, action):
    """The parameter patterns of the classic request (`Tag.N.Key`), or None when the classic SDK
    has no such action. Includes what the SDK core adds to every request."""
    setters = classic_setters(product, action)
    if setters is None:
        return None
    return set().union(*setters.values()) | CLASSIC_IMPLICIT


# ---- names ----


def pattern(param):
    """`Tag.3.Key` -> `Tag.N.Key`; `PrivateIpAddress.12` -> `PrivateIpAddress.N`."""
    return ".".join("N" if p.isdigit() else p for p in param.split("."))


def normalise(param):
    """`Tag.3.Key` -> `Tag.Key`; `PrivateIpAddress.12` -> `PrivateIpAddress`."""
    return ".".join(p for p in param.split(".") if p != "N" and not p.isdigit())


def allows(patterns_, param):
    """Whether a flat parameter fits one of the patterns (exactly, or under a map's `.*`)."""
    p = pattern(param)
    if p in patterns_:
        return True
    return any(q.endswith(".*") and p.startswith(q[:-1]) for q in patterns_)


def knows(patterns_, param):
    """Whether the parameter's normalised name is in the patterns at all, whatever its shape."""
    n = normalise(param)
    return any(normalise(q.rstrip("*").rstrip(".")) == n for q in patterns_) or any(
        q.endswith(".*") and n.startswith(normalise(q[:-2]) + ".") for q in patterns_
    )


if __name__ == "__main__":
    import json
    import sys

    def dump(shape):
        return {
            k: (f.scalar if f.kind == "scalar" else [f.kind, f.scalar] if not f.shape else [f.kind, dump(f.shape)])
            for k, f in (shape or {}).items()
        }

    product, action = sys.argv[1], sys.argv[2]
    print(json.dumps({
        "tea_method": tea_method(product, action),
        "tea_request": sorted(patterns(tea_request(product, action) or {})),
        "classic_request": sorted(classic_request(product, action) or []),
        "tea_response": dump(tea_response(product, action)),
    }, indent=1))
