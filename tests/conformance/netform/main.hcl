# The configuration the SDK conformance test applies through `sim serve` (tests/conformance/world.json)
# while recording every request netform sends: every resource kind and data source, every kind of
# EIP binding target, created with `update = false`, then changed with `update = true` (tags
# changed and removed, addresses added and removed, names, bandwidth, binding mode, deletion
# protection), then destroyed. The endpoint and keys come from the environment.

provider "alicloud" {
  region = "cn-hangzhou"
}

variable "update" {
  type    = bool
  default = false
}

data "alicloud_instances" "app" {
  name_regex = "^conf-0[024]$"
  status     = "Running"
}

data "alicloud_instances" "all" {}

data "alicloud_vswitches" "all" {
  vpc_id = local.app.vpc_id
}

data "alicloud_vswitches" "app" {
  ids = [local.app.vswitch_id]
}

data "alicloud_security_groups" "all" {
  vpc_id = local.app.vpc_id
}

data "alicloud_nat_gateways" "all" {
  vpc_id = local.app.vpc_id
}

data "alicloud_havips" "all" {}

data "alicloud_slb_load_balancers" "intranet" {
  address_type = "intranet"
}

data "alicloud_instance_types" "g7" {
  instance_type_family = "ecs.g7"
}

locals {
  app   = data.alicloud_instances.app.instances[0]
  other = data.alicloud_instances.app.instances[1]
  ecs   = data.alicloud_instances.app.instances[2]
  cidr  = data.alicloud_vswitches.app.vswitches[0].cidr_block
  sgs   = [for g in data.alicloud_security_groups.all.groups : g.id if g.security_group_type == "normal"]
  spare_vswitch = [for v in data.alicloud_vswitches.all.vswitches : v.id if v.id != local.app.vswitch_id && v.zone_id == local.app.availability_zone][0]
  # An address of the app vSwitch, by host number.
  ip = { for n in [150, 151, 152, 153, 160, 161, 162, 170] : tostring(n) => cidrhost(local.cidr, n) }
  # IPv6 addresses of the app vSwitch, by host number.
  ip6 = { for n in [80, 81] : tostring(n) => cidrhost(data.alicloud_vswitches.app.vswitches[0].ipv6_cidr_block, n) }
}

resource "alicloud_ecs_network_interface" "app" {
  network_interface_name = var.update ? "conf-app-renamed" : "conf-app"
  description            = var.update ? "renamed by the update" : "the app ENI"
  vswitch_id             = local.app.vswitch_id
  security_group_ids     = var.update ? [local.sgs[0], local.sgs[1]] : [local.sgs[0]]
  primary_ip_address     = local.ip["150"]
  private_ip_addresses   = var.update ? [local.ip["152"], local.ip["153"]] : [local.ip["151"], local.ip["152"]]
  # Named IPv4 and IPv6 addresses go in the create (PrivateIpAddress.N, Ipv6Address.N); the
  # update unassigns and assigns.
  ipv6_addresses = var.update ? [local.ip6["80"]] : [local.ip6["80"], local.ip6["81"]]
  tags = var.update ? {
    env  = "conformance"
    tier = "app-2"
    } : {
    env  = "conformance"
    tier = "app"
    gone = "soon"
  }
}

resource "alicloud_ecs_network_interface_attachment" "app" {
  network_interface_id = alicloud_ecs_network_interface.app.id
  instance_id          = local.app.id
}

# Never attached: its EIP binds in an ENI-only mode, changed by the update. Its count goes in the
# create (SecondaryPrivateIpAddressCount). It lives in a vSwitch of
# its own because the cloud picks its addresses: in the app vSwitch it could take one of the fixed
# addresses above, and the update would then be refused (rightly) by ip-unique.
resource "alicloud_ecs_network_interface" "spare" {
  vswitch_id                         = local.spare_vswitch
  security_group_ids                 = [local.sgs[0]]
  secondary_private_ip_address_count = var.update ? 1 : 2
}

resource "netform_secondary_private_ips" "other" {
  instance_id          = local.other.id
  private_ip_addresses = var.update ? [local.ip["161"], local.ip["162"]] : [local.ip["160"], local.ip["161"]]
  # On an ENI netform does not own, addresses take Assign calls (AssignIpv6Addresses).
  ipv6_address_count = var.update ? 2 : 1
}

resource "alicloud_eip_address" "app" {
  address_name         = var.update ? "conf-app-renamed" : "conf-app"
  description          = "bound to the app ENI"
  bandwidth            = var.update ? 10 : 5
  internet_charge_type = "PayByTraffic"
  isp                  = "BGP"
  deletion_protection  = !var.update
  tags = var.update ? {
    env   = "conformance"
    owner = "netform"
    } : {
    env  = "conformance"
    gone = "soon"
  }
}

resource "alicloud_eip_association" "app" {
  allocation_id      = alicloud_eip_address.app.id
  instance_id        = alicloud_ecs_network_interface.app.id
  private_ip_address = local.ip["152"]
}

resource "alicloud_eip_address" "spare" {
  address_name = "conf-spare"
}

resource "alicloud_eip_association" "spare" {
  allocation_id = alicloud_eip_address.spare.id
  instance_id   = alicloud_ecs_network_interface.spare.id
  mode          = var.update ? "MULTI_BINDED" : "BINDED"
}

resource "alicloud_eip_address" "ecs" {
  address_name = "conf-ecs"
}

resource "alicloud_eip_association" "ecs" {
  allocation_id = alicloud_eip_address.ecs.id
  instance_id   = local.ecs.id
}

resource "alicloud_eip_address" "nat" {
  address_name = "conf-nat"
}

resource "alicloud_eip_association" "nat" {
  allocation_id = alicloud_eip_address.nat.id
  instance_id   = data.alicloud_nat_gateways.all.gateways[0].id
}

resource "alicloud_eip_address" "havip" {
  address_name = "conf-havip"
}

resource "alicloud_eip_association" "havip" {
  allocation_id = alicloud_eip_address.havip.id
  instance_id   = data.alicloud_havips.all.havips[0].id
}

resource "alicloud_eip_address" "slb" {
  address_name = "conf-slb"
}

resource "alicloud_eip_association" "slb" {
  allocation_id = alicloud_eip_address.slb.id
  instance_id   = data.alicloud_slb_load_balancers.intranet.balancers[0].id
}

resource "alicloud_eip_address" "ip" {
  address_name = "conf-ip"
}

resource "alicloud_eip_association" "ip" {
  allocation_id = alicloud_eip_address.ip.id
  instance_id   = local.ip["170"]
  instance_type = "IpAddress"
  vpc_id        = local.app.vpc_id
}

output "counts" {
  value = {
    instances = length(data.alicloud_instances.all.instances)
    vswitches = length(data.alicloud_vswitches.all.vswitches)
    groups    = length(data.alicloud_security_groups.all.groups)
    gateways  = length(data.alicloud_nat_gateways.all.gateways)
    havips    = length(data.alicloud_havips.all.havips)
    g7        = length(data.alicloud_instance_types.g7.instance_types)
  }
}
