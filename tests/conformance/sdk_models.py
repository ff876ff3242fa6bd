"""Reads Alibaba's official SDK models at test time: the wire names of every request parameter and
answer field, with their nesting. Nothing here is copied by hand from the SDKs; it is read from
the installed packages, so a newer SDK is judged by what it says.

Two families:
- Tea (V3, `alibabacloud-<product><version>`): `models.<Action>Request` and
  `models.<Action>ResponseBody`, whose `from_map` names every wire key and nested model.
- Classic (V1, `aliyun-python-sdk-<product>`): `request.v<version>.<Action>Request`, whose
  setters call `add_query_param` with the wire name (lists as `Name.N`, `Name.N.Sub`).
"""

import importlib
import inspect
import re

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

_KEY = re.compile(r"if m\.get\('([^']+)'\) is not None:")
_MODEL = re.compile(r"main_models\.(\w+)\(\)")


def tea_models(product):
    return importlib.import_module(TEA[product] + ".models")


def shape(cls):
    """The wire shape of a Tea model: {WireName: None (scalar) | shape (nested, list or not)}."""
    return _shape(cls, set())


def _shape(cls, seen):
    if cls.__name__ in seen:
        return {}
    seen = seen | {cls.__name__}
    src = inspect.getsource(cls.from_map)
    models = tea_models_of(cls)
    out = {}
    blocks = _KEY.split(src)
    # blocks = [prefix, key1, body1, key2, body2, ...]
    for i in range(1, len(blocks), 2):
        key, body = blocks[i], blocks[i + 1]
        m = _MODEL.search(body)
        out[key] = _shape(getattr(models, m.group(1)), seen) if m else None
    return out


def tea_models_of(cls):
    return importlib.import_module(cls.__module__.rsplit(".", 1)[0])


def tea_request(product, action):
    return shape(getattr(tea_models(product), action + "Request"))


def tea_response(product, action):
    return shape(getattr(tea_models(product), action + "ResponseBody"))


_DEPTH = re.compile(r"'\s*\+\s*str\(depth\d+\s*\+\s*1\)\s*\+?\s*'?")
_PARAM = re.compile(r"add_(?:query|body)_param\(\s*'([^']*)'((?:\s*\+\s*[^,]+)?)\s*,")


def classic_request(product, action):
    """Normalised parameter names of the classic SDK's request: `Tag.N.Key` -> `Tag.Key`."""
    mod = importlib.import_module(CLASSIC[product] + "." + action + "Request")
    src = inspect.getsource(mod)
    names = set()
    for line in src.splitlines():
        if "add_query_param" not in line and "add_body_param" not in line:
            continue
        arg = line.split("param(", 1)[1].rsplit(",", 1)[0]
        # 'Tag.' + str(depth1 + 1) + '.Key'  ->  Tag.Key
        parts = re.findall(r"'([^']*)'", arg)
        name = "".join(parts).replace("..", ".").strip(".")
        names.add(name)
    return names


def flat_names(sh, prefix=""):
    """Normalised names a shape allows as flat RPC parameters: lists and objects flatten as
    `Name.N.Sub`, normalised to `Name.Sub`."""
    out = set()
    for k, v in sh.items():
        name = prefix + k
        out.add(name)
        if v:
            out |= flat_names(v, name + ".")
    return out


def normalise(param):
    """`Tag.3.Key` -> `Tag.Key`; `PrivateIpAddress.12` -> `PrivateIpAddress`."""
    return ".".join(p for p in param.split(".") if not p.isdigit())


if __name__ == "__main__":
    import json
    import sys

    product, action = sys.argv[1], sys.argv[2]
    print(json.dumps({
        "tea_request": tea_request(product, action),
        "classic_request": sorted(classic_request(product, action)),
        "tea_response": tea_response(product, action),
    }, indent=1))
