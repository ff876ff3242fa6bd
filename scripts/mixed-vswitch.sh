#!/bin/sh
# Plan of one vSwitch mixing named and automatic address claims (issue 11): N ENIs name their
# primary address and let the cloud pick a secondary, N let the cloud pick the primary and name
# their secondary, so the operation graph orders every named claim before the automatic ones
# (about 3.5·N² edges). Prints, per N, the plan's wall and user time and peak memory, and the
# operation graph's edge count.
#
#   scripts/mixed-vswitch.sh [NETFORM_BINARY] [N...]    # defaults: target/debug/netform, 100 200 400
set -eu
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-target/debug/netform}")
[ $# -gt 0 ] && shift
sizes=${*:-100 200 400}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/world.json" <<'JSON'
{
  "seed": 1,
  "profile": "current",
  "regions": [{ "id": "cn-hangzhou", "zones": ["cn-hangzhou-h"] }],
  "vpcs": [{ "id": "vpc-bp1mixed00000000000", "region": "cn-hangzhou", "cidr_block": "10.0.0.0/8" }],
  "vswitches": [{ "id": "vsw-bp1mixed00000000000", "vpc_id": "vpc-bp1mixed00000000000", "zone_id": "cn-hangzhou-h", "cidr_block": "10.0.0.0/16" }],
  "security_groups": [{ "id": "sg-bp1mixed00000000000", "vpc_id": "vpc-bp1mixed00000000000", "security_group_type": "enterprise" }]
}
JSON
for n in $sizes; do
  cat > "$dir/main.hcl" <<HCL
provider "alicloud" {
  region = "cn-hangzhou"
  simulator {
    world = "world.json"
  }
}

resource "alicloud_ecs_network_interface" "named" {
  count                              = $n
  vswitch_id                         = "vsw-bp1mixed00000000000"
  security_group_ids                 = ["sg-bp1mixed00000000000"]
  primary_ip_address                 = "10.0.\${floor(count.index / 200) + 1}.\${count.index % 200 + 10}"
  secondary_private_ip_address_count = 1
}

resource "alicloud_ecs_network_interface" "auto" {
  count                = $n
  vswitch_id           = "vsw-bp1mixed00000000000"
  security_group_ids   = ["sg-bp1mixed00000000000"]
  private_ip_addresses = ["10.0.\${floor(count.index / 200) + 100}.\${count.index % 200 + 10}"]
}
HCL
  (cd "$dir" && /usr/bin/time -f "N=$n ($((2 * n)) ENIs): plan %e s wall, %U s user, %M KB peak" \
    "$bin" plan -no-color > /dev/null)
  edges=$(cd "$dir" && "$bin" graph --ops -no-color 2>/dev/null | grep -c -- '->')
  echo "N=$n: $edges edges in the operation graph"
done
