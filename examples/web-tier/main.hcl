# A web tier spread over three secondary ENIs on one instance, one per service, with `for_each`.
# Each service gets its own addresses and a public EIP on its ENI's primary address, so traffic
# for each service can be told apart and moved to another instance by re-attaching its ENI.

provider "alicloud" {
  region = "cn-hangzhou"
  simulator {}
}

variable "services" {
  description = "Service name → how many secondary private IPs it needs."
  type        = map(number)
  default = {
    frontend = 4
    api      = 6
    admin    = 2
  }
}

data "alicloud_instances" "host" {
  name_regex = "^web-1$"
}

locals {
  host = data.alicloud_instances.host.instances[0]
}

resource "alicloud_ecs_network_interface" "svc" {
  for_each = var.services

  network_interface_name             = "web-${each.key}"
  vswitch_id                         = local.host.vswitch_id
  security_group_ids                 = local.host.security_groups
  secondary_private_ip_address_count = each.value
  tags = {
    service = each.key
    tier    = "web"
  }
}

resource "alicloud_ecs_network_interface_attachment" "svc" {
  for_each = alicloud_ecs_network_interface.svc

  network_interface_id = each.value.id
  instance_id          = local.host.id
}

resource "alicloud_eip_address" "svc" {
  for_each = var.services

  address_name         = "web-${each.key}"
  bandwidth            = each.key == "admin" ? 2 : 20
  internet_charge_type = "PayByTraffic"
}

# NAT mode on each ENI's primary private IP (netform sends it explicitly, as the API requires).
resource "alicloud_eip_association" "svc" {
  for_each = var.services

  allocation_id = alicloud_eip_address.svc[each.key].id
  instance_id   = alicloud_ecs_network_interface.svc[each.key].id
}

output "service_addresses" {
  value = { for k, eni in alicloud_ecs_network_interface.svc : k => eni.private_ip_addresses }
}

output "service_public_ips" {
  value = { for k, eip in alicloud_eip_address.svc : k => eip.ip_address }
}
