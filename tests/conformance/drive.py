"""Part (1) of the SDK conformance test: drives every action netform uses through both of
Alibaba's Python SDK families against a running `netform sim serve`, with the SDKs' typed
request models, and reports every way the server differs from what the SDKs model and the API
documents.

For each family (Tea V3 and classic V1) it checks:
- every answer decodes into the SDK's response model, with no field the model lacks and every
  field of the model's kind and type, and holds the fields a caller needs (the new ENI's id, an
  instance's primary ENI in `NetworkInterfaces`, `TotalCount`, …);
- lists page: no more than 10 entries by default, and PageSize/PageNumber and MaxResults/NextToken
  (where the action takes them) walk every entry exactly once;
- filters return exactly the matching entries, and regions are kept apart;
- ClientToken makes creates idempotent: the same token twice gives the same object, the same
  token with other parameters gives IdempotentParameterMismatch;
- errors arrive as the SDK's exception (TeaException / ServerException) with Alibaba's code and
  HTTP status; a wrong secret or an unknown AccessKey is refused and changes nothing.

The expected objects come from the world file the server was started with (`--world`).

Usage: drive.py --endpoint HOST:PORT --key-id ID --key-secret SECRET --world WORLD.json
Exit status 1 when anything differs; the report lists each mismatch as
`product Action [family]: what`.
"""

import argparse
import ipaddress
import json
import sys
import time
import traceback

import families
import sdk_models
from report import Report, answer_problems

REGION = "cn-hangzhou"
OTHER_REGION = "cn-beijing"
DEFAULT_PAGE = 10
WAIT_SECONDS = 15


class StepFailed(Exception):
    """A call a step depends on failed; the mismatch is already reported."""


class World:
    """What the server's world file says exists, for the expected answers."""

    def __init__(self, path):
        with open(path) as f:
            w = json.load(f)
        self.w = w
        vpc_region = {v["id"]: v["region"] for v in w["vpcs"]}
        vsw_vpc = {s["id"]: s["vpc_id"] for s in w["vswitches"]}
        self.region_of = {
            "vpcs": lambda x: x["region"],
            "vswitches": lambda x: vpc_region[x["vpc_id"]],
            "security_groups": lambda x: vpc_region[x["vpc_id"]],
            "instances": lambda x: x["region"],
            "nat_gateways": lambda x: x["region"],
            "havips": lambda x: vpc_region[vsw_vpc[x["vswitch_id"]]],
            "slbs": lambda x: x["region"],
        }

    def items(self, kind, region=REGION, **match):
        return [
            x
            for x in self.w[kind]
            if self.region_of[kind](x) == region and all(x.get(k) == v for k, v in match.items())
        ]

    def ids(self, kind, region=REGION, **match):
        return {x["id"] for x in self.items(kind, region, **match)}

    def vpc_instances(self, region=REGION):
        return [i for i in self.items("instances", region) if i.get("network_type", "vpc") == "vpc"]

    def ipv6_vswitch(self):
        return next(s for s in self.items("vswitches") if s.get("ipv6_cidr_block"))

    def dnat_targets(self):
        return {(n["id"], ip) for n in self.items("nat_gateways") for ip in n.get("dnat_ips", [])}


def dig(d, path):
    """`dig(answer, "Instances.Instance")`: the value at a dotted path of wire names, or None."""
    for key in path.split("."):
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def as_int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


class Ctx:
    """One family's run: calls with automatic answer checks, and the mismatches it finds."""

    def __init__(self, report, family, world, label):
        self.report = report
        self.family = family
        self.world = world
        self.label = label  # distinguishes the two families' names and ClientTokens
        self.where = ("-", "-")

    def token(self, what):
        return f"conf-{self.label}-{what}"

    def mismatch(self, what, product=None, action=None):
        self.report.add(self.family.name, product or self.where[0], action or self.where[1], what)

    def expect(self, ok, what, product=None, action=None):
        return self.report.check(ok, self.family.name, product or self.where[0], action or self.where[1], what)

    def call(self, product, action, params=None, region=None, error=None):
        """Calls `action`. Without `error`, a refusal is a mismatch and ends the step; with
        `error=(code, status)` (code may be a tuple of acceptable codes) the call must be refused
        so, and the ApiError is returned (None if the call succeeded)."""
        self.where = (product, action)
        try:
            answer = self.family.call(product, action, params or {}, region=region)
        except families.ApiError as e:
            if error is None:
                self.mismatch(f"refused a call with {', '.join(sorted(params or {})) or 'no parameters'}: {e}")
                raise StepFailed()
            self.check_error(e, *error)
            return e
        self.check_answer(product, action, answer)
        if error is not None:
            self.mismatch(f"answered a call with {', '.join(sorted(params or {}))}; the API refuses it with {error[0]}")
            return None
        return answer

    def check_answer(self, product, action, answer):
        shape = sdk_models.tea_response(product, action)
        if shape is None:
            self.mismatch("the Tea SDK has no response model")
            return
        for problem in answer_problems(answer.raw, shape):
            self.mismatch(problem)
        self.expect(bool(answer.decoded.get("RequestId")), "answer has no RequestId")

    def check_error(self, e, code, status):
        codes = code if isinstance(code, tuple) else (code,)
        self.expect(e.code in codes, f"refused with {e.code}, the API's code is {' or '.join(codes)}")
        self.expect(e.status == status, f"{e.code} came with HTTP {e.status}, the API's status is {status}")
        self.expect(bool(e.request_id), f"{e.code} came without a RequestId")
        if e.body is not None:
            self.expect(e.body.get("Code") == e.code, f"error body Code {e.body.get('Code')!r} is not {e.code!r}")

    def run(self, name, step, *args):
        try:
            return step(self, *args)
        except StepFailed:
            return None
        except families.HarnessError as e:
            self.mismatch(f"[{name}] the SDK cannot express the request: {e}")
        except Exception as e:  # noqa: BLE001 — anything else is reported, with where it came from
            tb = traceback.format_exc(limit=-3).strip().replace("\n", " | ")
            self.mismatch(f"[{name}] raised {type(e).__name__}: {e} ({tb})")
        return None

    def wait(self, product, action, params, ok, what):
        """Polls until `ok(answer)`; a mismatch when it never holds."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            answer = self.call(product, action, params)
            if ok(answer):
                return answer
            if time.monotonic() > deadline:
                self.mismatch(f"{what} did not happen within {WAIT_SECONDS}s")
                raise StepFailed()
            time.sleep(0.05)


# ---- lists ----

LISTS = {
    ("ecs", "DescribeInstances"): ("Instances.Instance", "InstanceId"),
    ("ecs", "DescribeSecurityGroups"): ("SecurityGroups.SecurityGroup", "SecurityGroupId"),
    ("ecs", "DescribeNetworkInterfaces"): ("NetworkInterfaceSets.NetworkInterfaceSet", "NetworkInterfaceId"),
    ("ecs", "DescribeInstanceTypes"): ("InstanceTypes.InstanceType", "InstanceTypeId"),
    ("vpc", "DescribeEipAddresses"): ("EipAddresses.EipAddress", "AllocationId"),
    ("vpc", "DescribeVSwitches"): ("VSwitches.VSwitch", "VSwitchId"),
    ("vpc", "DescribeVpcs"): ("Vpcs.Vpc", "VpcId"),
    ("vpc", "DescribeNatGateways"): ("NatGateways.NatGateway", "NatGatewayId"),
    ("vpc", "DescribeForwardTableEntries"): ("ForwardTableEntries.ForwardTableEntry", "ForwardEntryId"),
    ("vpc", "DescribeHaVips"): ("HaVips.HaVip", "HaVipId"),
    ("slb", "DescribeLoadBalancers"): ("LoadBalancers.LoadBalancer", "LoadBalancerId"),
}

# The smallest MaxResults an action honours: the models document that these read less than 10
# as 10.
MIN_MAX_RESULTS = {"DescribeInstances": 10, "DescribeNetworkInterfaces": 10}
# The biggest page each action serves, for "give me everything that matches" calls.
MAX_PAGE = {
    "DescribeInstances": 100,
    "DescribeSecurityGroups": 100,
    "DescribeNetworkInterfaces": 500,
    "DescribeInstanceTypes": 1600,
    "DescribeEipAddresses": 100,
    "DescribeVSwitches": 50,
    "DescribeVpcs": 50,
    "DescribeNatGateways": 50,
    "DescribeForwardTableEntries": 50,
    "DescribeHaVips": 50,
    "DescribeLoadBalancers": 100,
}


def entries(answer, product, action):
    items = dig(answer.decoded, LISTS[(product, action)][0])
    return items if isinstance(items, list) else []


def ids_of(items, product, action):
    key = LISTS[(product, action)][1]
    return [i.get(key) for i in items]


def takes(product, action, param):
    return param in sdk_models.tea_request(product, action)


def list_all(ctx, product, action, params=None, region=None):
    """Every entry that matches `params`, in one big page (paging is checked separately)."""
    params = dict(params or {})
    if takes(product, action, "MaxResults"):
        params["MaxResults"] = MAX_PAGE[action]
    else:
        params["PageSize"] = MAX_PAGE[action]
    return entries(ctx.call(product, action, params, region=region), product, action)


def walk_numbered(ctx, product, action, params, size):
    """Ids of every entry, page by page with PageNumber/PageSize."""
    seen, page = [], 1
    while page <= 50:
        answer = ctx.call(product, action, {**params, "PageNumber": page, "PageSize": size})
        items = entries(answer, product, action)
        d = answer.decoded
        ctx.expect(len(items) <= size, f"PageSize={size} answered {len(items)} entries")
        ctx.expect(as_int(d.get("PageNumber")) == page, f"asked for PageNumber={page}, answer says {d.get('PageNumber')!r}")
        ctx.expect(as_int(d.get("PageSize")) == size, f"asked for PageSize={size}, answer says {d.get('PageSize')!r}")
        total = as_int(d.get("TotalCount"))
        seen += ids_of(items, product, action)
        if not items or total is None or len(seen) >= total:
            break
        page += 1
    return seen


def walk_tokens(ctx, product, action, params, size):
    """Ids of every entry, page by page with MaxResults/NextToken."""
    seen, token = [], None
    for _ in range(50):
        p = {**params, "MaxResults": size}
        if token:
            p["NextToken"] = token
        answer = ctx.call(product, action, p)
        items = entries(answer, product, action)
        ctx.expect(len(items) <= size, f"MaxResults={size} answered {len(items)} entries")
        seen += ids_of(items, product, action)
        token = answer.decoded.get("NextToken")
        if not token:
            break
    return seen


def check_paging(ctx, product, action, expected, params=None, size=5):
    """The default page, and every paging style the action takes, against the expected ids."""
    params = dict(params or {})
    expected = set(expected)
    n = len(expected)
    ctx.where = (product, action)
    answer = ctx.call(product, action, params)
    items = entries(answer, product, action)
    default = min(n, DEFAULT_PAGE)
    if action != "DescribeInstanceTypes":
        ctx.expect(
            len(items) == default,
            f"without paging parameters answered {len(items)} of {n} entries; the API answers the first {default}",
        )
    if "TotalCount" in sdk_models.tea_response(product, action):
        total = answer.decoded.get("TotalCount")
        ctx.expect(as_int(total) == n, f"TotalCount is {total!r}, {n} entries match")
    if takes(product, action, "PageSize"):
        seen = walk_numbered(ctx, product, action, params, size)
        ctx.expect(sorted(seen) == sorted(expected), f"walking PageNumber with PageSize={size} gave {differ(seen, expected)}")
    if takes(product, action, "MaxResults"):
        tsize = max(size, MIN_MAX_RESULTS.get(action, 1))
        seen = walk_tokens(ctx, product, action, params, tsize)
        ctx.expect(sorted(seen) == sorted(expected), f"walking NextToken with MaxResults={tsize} gave {differ(seen, expected)}")


def differ(got, expected):
    """How a listing differs from the expected ids, briefly."""
    got, expected = list(got), set(expected)
    extra = sorted(set(got) - expected)
    missing = sorted(expected - set(got))
    parts = [f"{len(got)} entries, expected {len(expected)}"]
    if extra:
        parts.append(f"{len(extra)} unexpected ({', '.join(extra[:3])}{', …' if len(extra) > 3 else ''})")
    if missing:
        parts.append(f"{len(missing)} missing ({', '.join(missing[:3])}{', …' if len(missing) > 3 else ''})")
    if len(got) != len(set(got)):
        parts.append("some twice")
    return "; ".join(parts)


def check_filter(ctx, product, action, params, expected, what=None):
    """A filtered listing holds exactly the expected ids; returns the expected entries."""
    items = list_all(ctx, product, action, params)
    got = ids_of(items, product, action)
    shown = what or json.dumps(params, sort_keys=True)
    ctx.expect(sorted(got) == sorted(set(expected)), f"filter {shown} answered {differ(got, expected)}", product, action)
    key = LISTS[(product, action)][1]
    return [i for i in items if i.get(key) in set(expected)]


def check_region(ctx, product, action, kind=None, expected=None):
    """A listing in the other region holds that region's entries only."""
    want = set(expected if expected is not None else ctx.world.ids(kind, OTHER_REGION))
    got = ids_of(list_all(ctx, product, action, region=OTHER_REGION), product, action)
    ctx.expect(sorted(got) == sorted(want), f"RegionId={OTHER_REGION} answered {differ(got, want)}", product, action)


# ---- read-only actions ----


def regions(ctx):
    answer = ctx.call("ecs", "DescribeRegions")
    regions = [r.get("RegionId") for r in dig(answer.decoded, "Regions.Region") or []]
    want = sorted(r["id"] for r in ctx.world.w["regions"])
    ctx.expect(sorted(regions) == want, f"Regions.Region[].RegionId is {sorted(regions)}, the world has {want}")


def zones(ctx):
    answer = ctx.call("ecs", "DescribeZones", {"RegionId": REGION})
    zones = sorted(z.get("ZoneId") for z in dig(answer.decoded, "Zones.Zone") or [])
    want = sorted(next(r["zones"] for r in ctx.world.w["regions"] if r["id"] == REGION))
    ctx.expect(zones == want, f"Zones.Zone[].ZoneId is {zones}, the region has {want}")


def instance_types(ctx):
    types = list_all(ctx, "ecs", "DescribeInstanceTypes")
    ids = ids_of(types, "ecs", "DescribeInstanceTypes")
    ctx.expect(len(ids) > 5, f"lists {len(ids)} instance types")
    check_paging(ctx, "ecs", "DescribeInstanceTypes", ids, size=5)
    for t in check_filter(ctx, "ecs", "DescribeInstanceTypes", {"InstanceTypes": ["ecs.g7.xlarge"]}, {"ecs.g7.xlarge"}):
        for f in ("EniQuantity", "EniPrivateIpAddressQuantity", "EniIpv6AddressQuantity"):
            ctx.expect(isinstance(t.get(f), int) and t.get(f) > 0, f"ecs.g7.xlarge's {f} is {t.get(f)!r}")


def instances(ctx):
    w = ctx.world
    expected = w.ids("instances")
    check_paging(ctx, "ecs", "DescribeInstances", expected)
    for inst in list_all(ctx, "ecs", "DescribeInstances"):
        if inst.get("InstanceNetworkType") == "classic":
            continue
        nics = dig(inst, "NetworkInterfaces.NetworkInterface") or []
        primary = [n for n in nics if n.get("Type") == "Primary"]
        ctx.expect(
            len(primary) == 1 and bool(primary[0].get("NetworkInterfaceId")),
            "Instances.Instance[].NetworkInterfaces.NetworkInterface[] has no single entry with Type=Primary and a NetworkInterfaceId",
        )
        ips = dig(inst, "VpcAttributes.PrivateIpAddress.IpAddress") or []
        ctx.expect(bool(ips), "Instances.Instance[].VpcAttributes.PrivateIpAddress.IpAddress is empty")
        ctx.expect(bool(dig(inst, "SecurityGroupIds.SecurityGroupId")), "Instances.Instance[].SecurityGroupIds.SecurityGroupId is empty")
    some = sorted(expected)[:2]
    check_filter(ctx, "ecs", "DescribeInstances", {"InstanceIds": json.dumps(some)}, some)
    first = w.items("instances")[0]
    for key, param in (("vpc_id", "VpcId"), ("vswitch_id", "VSwitchId"), ("zone_id", "ZoneId"), ("status", "Status")):
        check_filter(ctx, "ecs", "DescribeInstances", {param: first[key]}, w.ids("instances", **{key: first[key]}))
    check_filter(ctx, "ecs", "DescribeInstances", {"InstanceName": first["name"]}, w.ids("instances", name=first["name"]))
    check_region(ctx, "ecs", "DescribeInstances", "instances")


def security_groups(ctx):
    w = ctx.world
    expected = w.ids("security_groups")
    check_paging(ctx, "ecs", "DescribeSecurityGroups", expected)
    some = sorted(expected)[:3]
    check_filter(ctx, "ecs", "DescribeSecurityGroups", {"SecurityGroupIds": json.dumps(some)}, some)
    vpc = w.items("vpcs")[0]["id"]
    check_filter(ctx, "ecs", "DescribeSecurityGroups", {"VpcId": vpc}, w.ids("security_groups", vpc_id=vpc))
    kinds = {g["id"]: g["security_group_type"] for g in w.items("security_groups")}
    for g in list_all(ctx, "ecs", "DescribeSecurityGroups"):
        if g.get("SecurityGroupId") in kinds:
            want = kinds[g["SecurityGroupId"]]
            ctx.expect(g.get("SecurityGroupType") == want, f"SecurityGroupType is {g.get('SecurityGroupType')!r}, the group is {want}")
            ctx.expect(bool(g.get("VpcId")), "SecurityGroups.SecurityGroup[].VpcId is empty")
    check_region(ctx, "ecs", "DescribeSecurityGroups", "security_groups")


def vswitches(ctx):
    w = ctx.world
    check_paging(ctx, "vpc", "DescribeVSwitches", w.ids("vswitches"))
    v6 = w.ipv6_vswitch()
    for s in check_filter(ctx, "vpc", "DescribeVSwitches", {"VSwitchId": v6["id"]}, {v6["id"]}):
        ctx.expect(s.get("CidrBlock") == v6["cidr_block"], f"VSwitch.CidrBlock is {s.get('CidrBlock')!r}, the vSwitch has {v6['cidr_block']}")
        ctx.expect(s.get("Ipv6CidrBlock") == v6["ipv6_cidr_block"], f"VSwitch.Ipv6CidrBlock is {s.get('Ipv6CidrBlock')!r}, the vSwitch has {v6['ipv6_cidr_block']}")
        ctx.expect(as_int(s.get("AvailableIpAddressCount")) is not None, "VSwitch.AvailableIpAddressCount is missing")
    check_filter(ctx, "vpc", "DescribeVSwitches", {"VpcId": v6["vpc_id"]}, w.ids("vswitches", vpc_id=v6["vpc_id"]))
    check_filter(ctx, "vpc", "DescribeVSwitches", {"ZoneId": v6["zone_id"]}, w.ids("vswitches", zone_id=v6["zone_id"]))
    check_region(ctx, "vpc", "DescribeVSwitches", "vswitches")


def vpcs(ctx):
    w = ctx.world
    check_paging(ctx, "vpc", "DescribeVpcs", w.ids("vpcs"))
    vpc = w.items("vpcs")[0]
    for v in check_filter(ctx, "vpc", "DescribeVpcs", {"VpcId": vpc["id"]}, {vpc["id"]}):
        ctx.expect(v.get("CidrBlock") == vpc["cidr_block"], f"Vpc.CidrBlock is {v.get('CidrBlock')!r}, the VPC has {vpc['cidr_block']}")
    check_region(ctx, "vpc", "DescribeVpcs", "vpcs")


def nat_gateways(ctx):
    w = ctx.world
    check_paging(ctx, "vpc", "DescribeNatGateways", w.ids("nat_gateways"))
    ngw = w.items("nat_gateways")[0]
    check_filter(ctx, "vpc", "DescribeNatGateways", {"VpcId": ngw["vpc_id"]}, w.ids("nat_gateways", vpc_id=ngw["vpc_id"]))
    check_filter(ctx, "vpc", "DescribeNatGateways", {"NatGatewayId": ngw["id"]}, {ngw["id"]})
    check_region(ctx, "vpc", "DescribeNatGateways", "nat_gateways")
    # DNAT entries: the gateway's ForwardTableIds, then DescribeForwardTableEntries of each.
    found = set()
    for g in list_all(ctx, "vpc", "DescribeNatGateways"):
        tables = dig(g, "ForwardTableIds.ForwardTableId") or []
        ctx.expect(bool(tables), "NatGateways.NatGateway[].ForwardTableIds.ForwardTableId is empty", "vpc", "DescribeNatGateways")
        for table in tables:
            for e in list_all(ctx, "vpc", "DescribeForwardTableEntries", {"ForwardTableId": table}):
                found.add((g.get("NatGatewayId"), e.get("InternalIp")))
    want = w.dnat_targets()
    ctx.expect(want <= found, f"the DNAT targets {sorted(want)} are not among the entries of the gateways' ForwardTableIds {sorted(found)}", "vpc", "DescribeForwardTableEntries")


def forward_entries(ctx):
    """DescribeForwardTableEntries by gateway: the DNAT entries of each, paged."""
    w = ctx.world
    for ngw, ip in sorted(w.dnat_targets()):
        entries_ = list_all(ctx, "vpc", "DescribeForwardTableEntries", {"NatGatewayId": ngw})
        got = [e.get("InternalIp") for e in entries_]
        ctx.expect(ip in got, f"NatGatewayId={ngw} lists InternalIp {got}, the gateway has a DNAT entry for {ip}")
        for e in entries_:
            ctx.expect(e.get("NatGatewayId") in (None, "", ngw), f"an entry of {ngw} names NatGatewayId {e.get('NatGatewayId')!r}")
            ctx.expect(bool(e.get("ForwardTableId")) and bool(e.get("ForwardEntryId")), "ForwardTableEntry lacks ForwardTableId or ForwardEntryId")


def havips(ctx):
    w = ctx.world
    check_paging(ctx, "vpc", "DescribeHaVips", w.ids("havips"))
    h = w.items("havips")[0]
    for x in check_filter(ctx, "vpc", "DescribeHaVips", {"Filter": [{"Key": "HaVipId", "Value": [h["id"]]}]}, {h["id"]}):
        ctx.expect(x.get("VSwitchId") == h["vswitch_id"], f"HaVip.VSwitchId is {x.get('VSwitchId')!r}")
        ctx.expect(x.get("IpAddress") == h["ip_address"], f"HaVip.IpAddress is {x.get('IpAddress')!r}")
        ctx.expect(x.get("Status") == h["status"], f"HaVip.Status is {x.get('Status')!r}")
    check_region(ctx, "vpc", "DescribeHaVips", "havips")


def load_balancers(ctx):
    w = ctx.world
    check_paging(ctx, "slb", "DescribeLoadBalancers", w.ids("slbs"))
    for kind in ("intranet", "internet"):
        check_filter(ctx, "slb", "DescribeLoadBalancers", {"AddressType": kind}, w.ids("slbs", address_type=kind))
    lb = w.items("slbs", address_type="intranet")[0]
    for x in check_filter(ctx, "slb", "DescribeLoadBalancers", {"LoadBalancerId": lb["id"]}, {lb["id"]}):
        ctx.expect(x.get("Address") == lb["address"], f"LoadBalancer.Address is {x.get('Address')!r}, the SLB has {lb['address']}")
        ctx.expect(x.get("VSwitchId") == lb["vswitch_id"], f"LoadBalancer.VSwitchId is {x.get('VSwitchId')!r}, the SLB has {lb['vswitch_id']}")
        ctx.expect(x.get("AddressType") == "intranet", f"LoadBalancer.AddressType is {x.get('AddressType')!r}")
    check_region(ctx, "slb", "DescribeLoadBalancers", "slbs")


# ---- ENIs ----


class Plan:
    """The addresses and instances one family's run uses, apart from the other family's."""

    def __init__(self, world, index):
        self.vswitch = world.ipv6_vswitch()
        net = ipaddress.ip_network(self.vswitch["cidr_block"])
        base = 40 + 30 * index
        self.primary_ip = str(net[base])
        self.secondary = [str(net[base + i]) for i in (1, 2)]
        self.extra = [str(net[base + i]) for i in (3, 4)]
        zone = self.vswitch["zone_id"]
        same = [i for i in world.vpc_instances() if i["zone_id"] == zone and i["status"] == "Running"]
        dnat = {ip for _, ip in world.dnat_targets()}
        same = [i for i in same if i.get("private_ip") not in dnat and not i.get("public_ip")]
        self.attach_to = same[2 * index]["id"]
        self.eip_instance = same[2 * index + 1]["id"]
        self.security_groups = [world.items("security_groups", vpc_id=self.vswitch["vpc_id"], security_group_type="normal")[0]["id"]]


def eni_by_id(ctx, eni):
    items = list_all(ctx, "ecs", "DescribeNetworkInterfaces", {"NetworkInterfaceId": [eni]})
    ctx.expect(len(items) <= 1, f"NetworkInterfaceId filter answered {len(items)} entries")
    return items[0] if items else None


def private_ips(eni):
    return sorted(p.get("PrivateIpAddress") for p in dig(eni, "PrivateIpSets.PrivateIpSet") or [])


def ecs_tags(obj):
    return {t.get("TagKey"): t.get("TagValue") for t in dig(obj, "Tags.Tag") or []}


def create_eni(ctx, plan, state):
    params = {
        "VSwitchId": plan.vswitch["id"],
        "SecurityGroupIds": plan.security_groups,
        "PrimaryIpAddress": plan.primary_ip,
        "PrivateIpAddress": plan.secondary,
        "NetworkInterfaceName": f"conf-{ctx.label}",
        "Description": "created by the SDK conformance test",
        "Tag": [{"Key": "suite", "Value": "conformance"}, {"Key": "family", "Value": ctx.label}],
        "DeleteOnRelease": False,
        "ClientToken": ctx.token("eni"),
    }
    answer = ctx.call("ecs", "CreateNetworkInterface", params)
    eni = answer.decoded.get("NetworkInterfaceId")
    if not ctx.expect(bool(eni), "answer has no NetworkInterfaceId"):
        raise StepFailed()
    state["eni"] = eni
    if answer.model is not None:
        ctx.expect(answer.model.network_interface_id == eni, "the typed model's network_interface_id differs")
    ctx.expect(answer.decoded.get("Status") == "Available", f"Status is {answer.decoded.get('Status')!r}, not Available")
    ctx.expect(answer.decoded.get("PrivateIpAddress") == plan.primary_ip, f"PrivateIpAddress is {answer.decoded.get('PrivateIpAddress')!r}, asked for {plan.primary_ip}")
    want_ips = sorted([plan.primary_ip] + plan.secondary)
    ctx.expect(private_ips(answer.decoded) == want_ips, f"PrivateIpSets lists {private_ips(answer.decoded)}, asked for {want_ips}")
    # The same ClientToken again: the same ENI, not a second one.
    again = ctx.call("ecs", "CreateNetworkInterface", params)
    ctx.expect(again.decoded.get("NetworkInterfaceId") == eni, "the same ClientToken created another ENI")
    # The same ClientToken with other parameters is refused.
    ctx.call(
        "ecs",
        "CreateNetworkInterface",
        {**params, "Description": "something else"},
        error=("IdempotentParameterMismatch", 400),
    )
    # An unknown vSwitch is refused with the API's code.
    ctx.call(
        "ecs",
        "CreateNetworkInterface",
        {"VSwitchId": "vsw-conformance-nosuch", "SecurityGroupIds": plan.security_groups},
        error=("InvalidVSwitchId.NotFound", 404),
    )
    # Addresses by number at create, IPv4 and IPv6; the list and the number together are
    # refused. The ENI goes at once, so that what the cloud picked is free again for the steps
    # that name their addresses.
    base = {"VSwitchId": plan.vswitch["id"], "SecurityGroupIds": plan.security_groups}
    counted = ctx.call(
        "ecs",
        "CreateNetworkInterface",
        {**base, "SecondaryPrivateIpAddressCount": 2, "Ipv6AddressCount": 1, "ClientToken": ctx.token("eni-counted")},
    )
    ctx.expect(len(private_ips(counted.decoded)) == 3, f"SecondaryPrivateIpAddressCount=2 created {private_ips(counted.decoded)}")
    ctx.expect(len(dig(counted.decoded, "Ipv6Sets.Ipv6Set") or []) == 1, f"Ipv6AddressCount=1 created {dig(counted.decoded, 'Ipv6Sets.Ipv6Set')}")
    ctx.call("ecs", "DeleteNetworkInterface", {"NetworkInterfaceId": counted.decoded.get("NetworkInterfaceId")})
    ctx.call(
        "ecs",
        "CreateNetworkInterface",
        {**base, "PrivateIpAddress": plan.extra[:1], "SecondaryPrivateIpAddressCount": 1},
        error=("InvalidParameter.Conflict", 400),
    )
    d = eni_by_id(ctx, eni)
    ctx.where = ("ecs", "DescribeNetworkInterfaces")
    if not ctx.expect(d is not None, f"NetworkInterfaceId={eni} lists nothing after the create"):
        raise StepFailed()
    ctx.expect(d.get("Type") == "Secondary", f"Type is {d.get('Type')!r}")
    ctx.expect(d.get("VSwitchId") == plan.vswitch["id"] and d.get("VpcId") == plan.vswitch["vpc_id"], "VSwitchId/VpcId differ from the create")
    ctx.expect(d.get("ZoneId") == plan.vswitch["zone_id"], f"ZoneId is {d.get('ZoneId')!r}")
    ctx.expect(dig(d, "SecurityGroupIds.SecurityGroupId") == plan.security_groups, "SecurityGroupIds differ from the create")
    ctx.expect(private_ips(d) == want_ips, f"PrivateIpSets lists {private_ips(d)}, created with {want_ips}")
    ctx.expect(ecs_tags(d) == {"suite": "conformance", "family": ctx.label}, f"Tags are {ecs_tags(d)}")
    ctx.expect(bool(d.get("MacAddress")), "MacAddress is empty")
    return True


def modify_eni(ctx, plan, state):
    eni = state["eni"]
    ctx.call(
        "ecs",
        "ModifyNetworkInterfaceAttribute",
        {"NetworkInterfaceId": eni, "NetworkInterfaceName": f"conf-{ctx.label}-renamed", "Description": "renamed", "SecurityGroupId": plan.security_groups},
    )
    d = eni_by_id(ctx, eni) or {}
    ctx.expect(d.get("NetworkInterfaceName") == f"conf-{ctx.label}-renamed" and d.get("Description") == "renamed", "the new name/description is not listed", "ecs", "ModifyNetworkInterfaceAttribute")


def tag_eni(ctx, plan, state):
    eni = state["eni"]
    ctx.call("ecs", "TagResources", {"ResourceType": "eni", "ResourceId": [eni], "Tag": [{"Key": "extra", "Value": "1"}]})
    d = eni_by_id(ctx, eni) or {}
    ctx.expect(ecs_tags(d).get("extra") == "1", f"after TagResources the tags are {ecs_tags(d)}", "ecs", "TagResources")
    tagged = ids_of(list_all(ctx, "ecs", "DescribeNetworkInterfaces", {"Tag": [{"Key": "extra", "Value": "1"}]}), "ecs", "DescribeNetworkInterfaces")
    ctx.expect(tagged == [eni], f"filter Tag extra=1 answered {differ(tagged, [eni])}", "ecs", "DescribeNetworkInterfaces")
    ctx.call("ecs", "UntagResources", {"ResourceType": "eni", "ResourceId": [eni], "TagKey": ["extra", "family"]})
    d = eni_by_id(ctx, eni) or {}
    ctx.expect(ecs_tags(d) == {"suite": "conformance"}, f"after UntagResources the tags are {ecs_tags(d)}", "ecs", "UntagResources")


def addresses(ctx, plan, state):
    eni = state["eni"]
    params = {"NetworkInterfaceId": eni, "PrivateIpAddress": plan.extra, "ClientToken": ctx.token("assign")}
    answer = ctx.call("ecs", "AssignPrivateIpAddresses", params)
    listed = dig(answer.decoded, "AssignedPrivateIpAddressesSet.PrivateIpSet.PrivateIpAddress") or []
    ctx.expect(sorted(listed) == sorted(plan.extra), f"AssignedPrivateIpAddressesSet lists {listed}, assigned {plan.extra}")
    again = ctx.call("ecs", "AssignPrivateIpAddresses", params)
    ctx.expect(again.decoded.get("AssignedPrivateIpAddressesSet") == answer.decoded.get("AssignedPrivateIpAddressesSet"), "the same ClientToken answered differently")
    ctx.call("ecs", "AssignPrivateIpAddresses", {**params, "PrivateIpAddress": plan.extra[:1]}, error=("IdempotentParameterMismatch", 400))
    answer = ctx.call("ecs", "AssignPrivateIpAddresses", {"NetworkInterfaceId": eni, "SecondaryPrivateIpAddressCount": 2})
    auto = dig(answer.decoded, "AssignedPrivateIpAddressesSet.PrivateIpSet.PrivateIpAddress") or []
    ctx.expect(len(auto) == 2, f"SecondaryPrivateIpAddressCount=2 assigned {auto}")
    d = eni_by_id(ctx, eni) or {}
    want = sorted([plan.primary_ip] + plan.secondary + plan.extra + auto)
    ctx.expect(private_ips(d) == want, f"after the assigns PrivateIpSets lists {private_ips(d)}, expected {want}", "ecs", "AssignPrivateIpAddresses")
    ctx.call("ecs", "UnassignPrivateIpAddresses", {"NetworkInterfaceId": eni, "PrivateIpAddress": plan.extra + auto})
    d = eni_by_id(ctx, eni) or {}
    want = sorted([plan.primary_ip] + plan.secondary)
    ctx.expect(private_ips(d) == want, f"after the unassign PrivateIpSets lists {private_ips(d)}, expected {want}", "ecs", "UnassignPrivateIpAddresses")


def ipv6(ctx, plan, state):
    eni = state["eni"]
    answer = ctx.call("ecs", "AssignIpv6Addresses", {"NetworkInterfaceId": eni, "Ipv6AddressCount": 2, "ClientToken": ctx.token("v6")})
    got = dig(answer.decoded, "Ipv6Sets.Ipv6Address") or []
    ctx.expect(len(got) == 2, f"Ipv6AddressCount=2 answered Ipv6Sets.Ipv6Address {got}")
    net = ipaddress.ip_network(plan.vswitch["ipv6_cidr_block"])
    ctx.expect(all(ipaddress.ip_address(a) in net for a in got), f"{got} are not in the vSwitch's {net}")
    d = eni_by_id(ctx, eni) or {}
    listed = sorted(x.get("Ipv6Address") for x in dig(d, "Ipv6Sets.Ipv6Set") or [])
    ctx.expect(listed == sorted(got), f"Ipv6Sets lists {listed}, assigned {got}", "ecs", "AssignIpv6Addresses")
    ctx.call("ecs", "UnassignIpv6Addresses", {"NetworkInterfaceId": eni, "Ipv6Address": got})
    d = eni_by_id(ctx, eni) or {}
    ctx.expect(not dig(d, "Ipv6Sets.Ipv6Set"), "Ipv6Sets is not empty after the unassign", "ecs", "UnassignIpv6Addresses")


def eni_lists(ctx, plan, state):
    eni = state["eni"]
    w = ctx.world
    primaries = ids_of(list_all(ctx, "ecs", "DescribeNetworkInterfaces", {"Type": "Primary"}), "ecs", "DescribeNetworkInterfaces")
    ctx.expect(len(primaries) == len(w.vpc_instances()), f"Type=Primary lists {len(primaries)} ENIs; the region has {len(w.vpc_instances())} VPC instances", "ecs", "DescribeNetworkInterfaces")
    every = ids_of(list_all(ctx, "ecs", "DescribeNetworkInterfaces"), "ecs", "DescribeNetworkInterfaces")
    check_paging(ctx, "ecs", "DescribeNetworkInterfaces", every)
    away = [i["id"] for i in w.vpc_instances(OTHER_REGION)]
    primaries_away = list_all(ctx, "ecs", "DescribeNetworkInterfaces", {"Type": "Primary"}, region=OTHER_REGION)
    ctx.expect(
        sorted(i.get("InstanceId") for i in primaries_away) == sorted(away),
        f"RegionId={OTHER_REGION} Type=Primary lists the ENIs of {sorted(i.get('InstanceId') for i in primaries_away)}, expected those of {sorted(away)}",
        "ecs",
        "DescribeNetworkInterfaces",
    )
    check_filter(ctx, "ecs", "DescribeNetworkInterfaces", {"VSwitchId": plan.vswitch["id"], "Type": "Secondary"}, state["secondaries"] | {eni})
    check_filter(ctx, "ecs", "DescribeNetworkInterfaces", {"SecurityGroupId": plan.security_groups[0], "Type": "Secondary"}, state["secondaries"] | {eni})
    inst = plan.attach_to
    answer = list_all(ctx, "ecs", "DescribeNetworkInterfaces", {"InstanceId": inst, "Type": "Primary"})
    via_instances = [
        n.get("NetworkInterfaceId")
        for i in list_all(ctx, "ecs", "DescribeInstances", {"InstanceIds": json.dumps([inst])})
        for n in dig(i, "NetworkInterfaces.NetworkInterface") or []
        if n.get("Type") == "Primary"
    ]
    ctx.expect(
        len(answer) == 1 and [answer[0].get("NetworkInterfaceId")] == via_instances,
        f"InstanceId+Type=Primary answered {ids_of(answer, 'ecs', 'DescribeNetworkInterfaces')}; DescribeInstances says {via_instances}",
        "ecs",
        "DescribeNetworkInterfaces",
    )


def attach_detach(ctx, plan, state):
    eni, inst = state["eni"], plan.attach_to
    ctx.call("ecs", "AttachNetworkInterface", {"NetworkInterfaceId": eni, "InstanceId": inst})
    d = ctx.wait("ecs", "DescribeNetworkInterfaces", {"NetworkInterfaceId": [eni]}, lambda a: _status(a) == "InUse", "Attaching → InUse")
    item = entries(d, "ecs", "DescribeNetworkInterfaces")[0]
    ctx.expect(item.get("InstanceId") == inst, f"InstanceId is {item.get('InstanceId')!r} after the attach")
    ctx.expect(dig(item, "Attachment.InstanceId") in (None, inst), f"Attachment.InstanceId is {dig(item, 'Attachment.InstanceId')!r}")
    nics = [
        (n.get("NetworkInterfaceId"), n.get("Type"))
        for i in list_all(ctx, "ecs", "DescribeInstances", {"InstanceIds": json.dumps([inst])})
        for n in dig(i, "NetworkInterfaces.NetworkInterface") or []
    ]
    ctx.expect((eni, "Secondary") in nics, f"DescribeInstances lists {nics} on {inst}, not the attached {eni}", "ecs", "DescribeInstances")
    ctx.call("ecs", "DetachNetworkInterface", {"NetworkInterfaceId": eni, "InstanceId": inst})
    ctx.wait("ecs", "DescribeNetworkInterfaces", {"NetworkInterfaceId": [eni]}, lambda a: _status(a) == "Available", "Detaching → Available")


def _status(answer):
    items = entries(answer, "ecs", "DescribeNetworkInterfaces")
    return items[0].get("Status") if items else None


def delete_eni(ctx, plan, state):
    eni = state["eni"]
    ctx.call("ecs", "DeleteNetworkInterface", {"NetworkInterfaceId": eni})
    ctx.wait("ecs", "DescribeNetworkInterfaces", {"NetworkInterfaceId": [eni]}, lambda a: not entries(a, "ecs", "DescribeNetworkInterfaces"), "Deleting → gone")
    return True


# ---- EIPs ----


def eip_by_id(ctx, eip, region=None):
    items = list_all(ctx, "vpc", "DescribeEipAddresses", {"AllocationId": eip}, region=region)
    return items[0] if len(items) == 1 else None


def vpc_tags(obj):
    return {t.get("Key"): t.get("Value") for t in dig(obj, "Tags.Tag") or []}


def eip_status(answer):
    items = entries(answer, "vpc", "DescribeEipAddresses")
    return items[0].get("Status") if items else None


def allocate(ctx, plan, state):
    params = {
        "Bandwidth": "5",
        "InternetChargeType": "PayByTraffic",
        "ISP": "BGP",
        "Name": f"conf-{ctx.label}",
        "Description": "allocated by the SDK conformance test",
        "ClientToken": ctx.token("eip"),
    }
    answer = ctx.call("vpc", "AllocateEipAddress", params)
    eip = answer.decoded.get("AllocationId")
    if not ctx.expect(bool(eip) and bool(answer.decoded.get("EipAddress")), "answer lacks AllocationId or EipAddress"):
        raise StepFailed()
    state["eip"] = eip
    again = ctx.call("vpc", "AllocateEipAddress", params)
    ctx.expect(again.decoded.get("AllocationId") == eip, "the same ClientToken allocated another EIP")
    ctx.call("vpc", "AllocateEipAddress", {**params, "Bandwidth": "6"}, error=("IdempotentParameterMismatch", 400))
    d = eip_by_id(ctx, eip)
    ctx.where = ("vpc", "DescribeEipAddresses")
    if not ctx.expect(d is not None, f"AllocationId={eip} lists nothing after the allocate"):
        raise StepFailed()
    ctx.expect(d.get("Status") == "Available", f"Status is {d.get('Status')!r}")
    ctx.expect(d.get("IpAddress") == answer.decoded.get("EipAddress"), "IpAddress differs from the allocate's EipAddress")
    ctx.expect(d.get("Name") == f"conf-{ctx.label}" and d.get("Bandwidth") == "5", f"Name/Bandwidth are {d.get('Name')!r}/{d.get('Bandwidth')!r}")
    ctx.expect(d.get("RegionId") == REGION, f"RegionId is {d.get('RegionId')!r}")
    ctx.call("vpc", "ModifyEipAddressAttribute", {"AllocationId": eip, "Name": f"conf-{ctx.label}-2", "Description": "modified", "Bandwidth": "10"})
    d = eip_by_id(ctx, eip) or {}
    ctx.expect(
        (d.get("Name"), d.get("Description"), d.get("Bandwidth")) == (f"conf-{ctx.label}-2", "modified", "10"),
        f"after ModifyEipAddressAttribute Name/Description/Bandwidth are {d.get('Name')!r}/{d.get('Description')!r}/{d.get('Bandwidth')!r}",
        "vpc",
        "ModifyEipAddressAttribute",
    )


def protection(ctx, plan, state):
    eip = state["eip"]
    ctx.call("vpc", "DeletionProtection", {"InstanceId": eip, "Type": "EIP", "ProtectionEnable": True, "ClientToken": ctx.token("protect")})
    d = eip_by_id(ctx, eip) or {}
    ctx.expect(d.get("DeletionProtection") is True, f"DeletionProtection is {d.get('DeletionProtection')!r} after enabling it", "vpc", "DeletionProtection")
    ctx.call("vpc", "ReleaseEipAddress", {"AllocationId": eip}, error=("InvalidOperation.DeletionProtection", 400))
    ctx.expect(eip_by_id(ctx, eip) is not None, "a protected EIP was released", "vpc", "ReleaseEipAddress")
    ctx.call("vpc", "DeletionProtection", {"InstanceId": eip, "Type": "EIP", "ProtectionEnable": False})
    d = eip_by_id(ctx, eip) or {}
    ctx.expect(d.get("DeletionProtection") is False, f"DeletionProtection is {d.get('DeletionProtection')!r} after disabling it", "vpc", "DeletionProtection")


def tag_eip(ctx, plan, state):
    eip = state["eip"]
    ctx.call("vpc", "TagResources", {"ResourceType": "EIP", "ResourceId": [eip], "Tag": [{"Key": "suite", "Value": "conformance"}, {"Key": "extra", "Value": "1"}]})
    d = eip_by_id(ctx, eip) or {}
    ctx.expect(vpc_tags(d) == {"suite": "conformance", "extra": "1"}, f"after TagResources the tags are {vpc_tags(d)}", "vpc", "TagResources")
    ctx.call("vpc", "UnTagResources", {"ResourceType": "EIP", "ResourceId": [eip], "TagKey": ["extra"]})
    d = eip_by_id(ctx, eip) or {}
    ctx.expect(vpc_tags(d) == {"suite": "conformance"}, f"after UnTagResources the tags are {vpc_tags(d)}", "vpc", "UnTagResources")


def bind_to_eni(ctx, plan, state):
    eip, eni = state["eip"], state["eni"]
    ip = plan.primary_ip
    ctx.call(
        "vpc",
        "AssociateEipAddress",
        {"AllocationId": eip, "InstanceId": eni, "InstanceType": "NetworkInterface", "PrivateIpAddress": ip, "ClientToken": ctx.token("bind-eni")},
    )
    d = ctx.wait("vpc", "DescribeEipAddresses", {"AllocationId": eip}, lambda a: eip_status(a) == "InUse", "Associating → InUse")
    item = entries(d, "vpc", "DescribeEipAddresses")[0]
    ctx.where = ("vpc", "DescribeEipAddresses")
    ctx.expect(
        (item.get("InstanceId"), item.get("InstanceType"), item.get("PrivateIpAddress"), item.get("Mode")) == (eni, "NetworkInterface", ip, "NAT"),
        f"a bound EIP lists InstanceId/InstanceType/PrivateIpAddress/Mode = {item.get('InstanceId')!r}/{item.get('InstanceType')!r}/{item.get('PrivateIpAddress')!r}/{item.get('Mode')!r}",
    )
    public = dig(eni_by_id(ctx, eni) or {}, "PrivateIpSets.PrivateIpSet") or []
    mapped = {p.get("PrivateIpAddress"): dig(p, "AssociatedPublicIp.PublicIpAddress") for p in public}
    ctx.expect(mapped.get(ip) == item.get("IpAddress"), f"PrivateIpSets[{ip}].AssociatedPublicIp.PublicIpAddress is {mapped.get(ip)!r}, the EIP is {item.get('IpAddress')!r}", "ecs", "DescribeNetworkInterfaces")
    bound = ids_of(list_all(ctx, "vpc", "DescribeEipAddresses", {"AssociatedInstanceId": eni, "AssociatedInstanceType": "NetworkInterface"}), "vpc", "DescribeEipAddresses")
    ctx.expect(bound == [eip], f"AssociatedInstanceId filter answered {bound}", "vpc", "DescribeEipAddresses")
    ctx.call("vpc", "ModifyEipForwardMode", {"InstanceId": eip, "Mode": "MULTI_BINDED", "ClientToken": ctx.token("mode")})
    d = eip_by_id(ctx, eip) or {}
    ctx.expect(d.get("Mode") == "MULTI_BINDED", f"Mode is {d.get('Mode')!r} after ModifyEipForwardMode", "vpc", "ModifyEipForwardMode")
    ctx.call("vpc", "UnassociateEipAddress", {"AllocationId": eip, "InstanceId": eni, "InstanceType": "NetworkInterface", "ClientToken": ctx.token("unbind-eni")})
    ctx.wait("vpc", "DescribeEipAddresses", {"AllocationId": eip}, lambda a: eip_status(a) == "Available", "Unassociating → Available")


def bind_to_instance(ctx, plan, state):
    eip, inst = state["eip"], plan.eip_instance
    ctx.call("vpc", "AssociateEipAddress", {"AllocationId": eip, "InstanceId": inst, "InstanceType": "EcsInstance", "ClientToken": ctx.token("bind-ecs")})
    d = ctx.wait("vpc", "DescribeEipAddresses", {"AllocationId": eip}, lambda a: eip_status(a) == "InUse", "Associating → InUse")
    ip = entries(d, "vpc", "DescribeEipAddresses")[0].get("IpAddress")
    listed = [dig(i, "EipAddress.AllocationId") for i in list_all(ctx, "ecs", "DescribeInstances", {"InstanceIds": json.dumps([inst])})]
    ctx.expect(listed == [eip], f"DescribeInstances lists EipAddress.AllocationId {listed} on {inst}, bound {eip} ({ip})", "ecs", "DescribeInstances")
    ctx.call("vpc", "UnassociateEipAddress", {"AllocationId": eip, "InstanceId": inst, "ClientToken": ctx.token("unbind-ecs")})
    ctx.wait("vpc", "DescribeEipAddresses", {"AllocationId": eip}, lambda a: eip_status(a) == "Available", "Unassociating → Available")


def eip_lists(ctx, plan, state):
    """Enough EIPs for two pages, one in another region, and the listing of them all."""
    made = []
    for i in range(DEFAULT_PAGE + 1):
        made.append(ctx.call("vpc", "AllocateEipAddress", {"Name": f"conf-{ctx.label}-page-{i}", "ClientToken": ctx.token(f"page-{i}")}).decoded.get("AllocationId"))
    state["more_eips"] = made
    away = ctx.call("vpc", "AllocateEipAddress", {"ClientToken": ctx.token("away")}, region=OTHER_REGION).decoded.get("AllocationId")
    state["away"] = away
    every = ids_of(list_all(ctx, "vpc", "DescribeEipAddresses"), "vpc", "DescribeEipAddresses")
    ctx.expect(away not in every, f"DescribeEipAddresses in {REGION} lists {away}, allocated in {OTHER_REGION}", "vpc", "DescribeEipAddresses")
    ctx.expect(set(made) | {state["eip"]} <= set(every), "DescribeEipAddresses does not list every allocated EIP", "vpc", "DescribeEipAddresses")
    check_paging(ctx, "vpc", "DescribeEipAddresses", every)
    some = made[:3]
    check_filter(ctx, "vpc", "DescribeEipAddresses", {"AllocationId": ",".join(some)}, some)


def release(ctx, plan, state):
    for eip in [state.get("eip")] + state.get("more_eips", []):
        if eip:
            ctx.call("vpc", "ReleaseEipAddress", {"AllocationId": eip})
    if state.get("away"):
        ctx.call("vpc", "ReleaseEipAddress", {"AllocationId": state["away"]}, region=OTHER_REGION)
    if state.get("eip"):
        eip = state["eip"]
        ctx.wait("vpc", "DescribeEipAddresses", {"AllocationId": eip}, lambda a: not entries(a, "vpc", "DescribeEipAddresses"), "Releasing → gone")


# ---- authentication and errors ----


def refusals(ctx, make_family, key_id, secret):
    """A wrong secret and an unknown AccessKey are refused as the API refuses them, and a
    refused mutating call changes nothing."""
    wrong = Ctx(ctx.report, make_family(key_id, secret + "-wrong"), ctx.world, ctx.label)
    before = ids_of(list_all(ctx, "vpc", "DescribeEipAddresses"), "vpc", "DescribeEipAddresses")
    # The classic SDK renames SignatureDoesNotMatch to InvalidAccessKeySecret when the server's
    # string to sign equals its own, i.e. when only the secret was wrong.
    codes = ("SignatureDoesNotMatch", "InvalidAccessKeySecret") if ctx.family.name.startswith("classic") else "SignatureDoesNotMatch"
    wrong.call("ecs", "DescribeInstances", {}, error=(codes, 400))
    wrong.call("vpc", "AllocateEipAddress", {"ClientToken": ctx.token("forged")}, error=(codes, 400))
    after = ids_of(list_all(ctx, "vpc", "DescribeEipAddresses"), "vpc", "DescribeEipAddresses")
    ctx.expect(sorted(before) == sorted(after), "a request with a wrong secret changed the EIPs", "vpc", "AllocateEipAddress")
    unknown = Ctx(ctx.report, make_family(key_id + "-unknown", secret), ctx.world, ctx.label)
    unknown.call("ecs", "DescribeInstances", {}, error=("InvalidAccessKeyId.NotFound", 404))
    ctx.call("ecs", "AttachNetworkInterface", {"NetworkInterfaceId": "eni-conformance-nosuch"}, error=(("MissingParameter", "MissingParameter.InstanceId"), 400))


# ---- the run ----


def run_family(report, world, make_family, key_id, secret, index):
    family = make_family(key_id, secret)
    label = "tea" if family.name.startswith("tea") else "classic"
    ctx = Ctx(report, family, world, label)
    for step in (regions, zones, instance_types, instances, security_groups, vswitches, vpcs, nat_gateways, forward_entries, havips, load_balancers):
        ctx.run(step.__name__, step)
    plan = Plan(world, index)
    state = {"secondaries": set(LIVE_SECONDARIES)}
    ctx.run("create_eni", create_eni, plan, state)
    if "eni" in state:
        LIVE_SECONDARIES.add(state["eni"])
    if "eni" in state:
        for step in (modify_eni, tag_eni, addresses, ipv6, eni_lists, attach_detach):
            ctx.run(step.__name__, step, plan, state)
    ctx.run("allocate", allocate, plan, state)
    if "eip" in state:
        for step in (protection, tag_eip, bind_to_instance, eip_lists):
            ctx.run(step.__name__, step, plan, state)
        if "eni" in state:
            ctx.run("bind_to_eni", bind_to_eni, plan, state)
    ctx.run("release", release, plan, state)
    if "eni" in state:
        if ctx.run("delete_eni", delete_eni, plan, state):
            LIVE_SECONDARIES.discard(state["eni"])
    ctx.run("refusals", refusals, make_family, key_id, secret)


# Secondary ENIs the runs created and have not deleted (yet): what the vSwitch holds besides the
# world's primaries.
LIVE_SECONDARIES = set()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint", required=True, help="HOST:PORT of netform sim serve")
    ap.add_argument("--key-id", required=True)
    ap.add_argument("--key-secret", required=True)
    ap.add_argument("--world", required=True, help="the world file the server was started with")
    ap.add_argument("--family", choices=("tea", "classic", "both"), default="both")
    args = ap.parse_args()
    world = World(args.world)
    report = Report("SDK families against sim serve")
    makers = []
    if args.family in ("tea", "both"):
        makers.append(lambda k, s: families.Tea(args.endpoint, k, s, REGION))
    if args.family in ("classic", "both"):
        makers.append(lambda k, s: families.Classic(args.endpoint, k, s, REGION))
    for index, make in enumerate(makers):
        run_family(report, world, make, args.key_id, args.key_secret, index)
    report.print()
    return report.exit_code()


if __name__ == "__main__":
    sys.exit(main())
