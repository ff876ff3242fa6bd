# netform quickstart: one ENI with four secondary IPs attached to a running instance, an EIP bound
# to one of those IPs, and an EIP bound to a second instance. Everything is found through data
# sources, so no id is written here. The embedded simulator stands in for Alibaba Cloud.

provider "alicloud" {
  region = "cn-hangzhou"
  simulator {}
}

data "alicloud_instances" "web" {
  name_regex = "^web-1$"
  status     = "Running"
}

data "alicloud_instances" "edge" {
  name_regex = "^web-2$"
}

data "alicloud_vswitches" "web" {
  ids = [local.web.vswitch_id]
}

locals {
  web  = data.alicloud_instances.web.instances[0]
  cidr = data.alicloud_vswitches.web.vswitches[0].cidr_block
  # Four addresses from the instance's own vSwitch: .21 to .24 in a /24.
  app_ips = [for i in range(var.secondary_ip_count) : cidrhost(local.cidr, 21 + i)]
}

variable "secondary_ip_count" {
  type        = number
  default     = 4
  description = "How many secondary private IPs the app ENI carries."

  validation {
    condition     = var.secondary_ip_count >= 1 && var.secondary_ip_count <= 14
    error_message = "An ENI on ecs.g7.xlarge holds at most 15 private IPs, its primary included."
  }
}

resource "alicloud_ecs_network_interface" "app" {
  network_interface_name = "quickstart-app"
  description            = "Secondary ENI for the app tier"
  vswitch_id             = local.web.vswitch_id
  security_group_ids     = local.web.security_groups
  # Fixed so the cloud cannot pick one of the secondary addresses below as the primary.
  primary_ip_address   = cidrhost(local.cidr, 20)
  private_ip_addresses = local.app_ips
  tags = {
    env = "quickstart"
  }
}

resource "alicloud_ecs_network_interface_attachment" "app" {
  network_interface_id = alicloud_ecs_network_interface.app.id
  instance_id          = local.web.id
}

resource "alicloud_eip_address" "app" {
  address_name = "quickstart-app"
  bandwidth    = 10
}

# NAT mode: the EIP maps to one secondary private IP of the ENI.
resource "alicloud_eip_association" "app" {
  allocation_id      = alicloud_eip_address.app.id
  instance_id        = alicloud_ecs_network_interface.app.id
  private_ip_address = local.app_ips[0]
}

resource "alicloud_eip_address" "edge" {
  address_name = "quickstart-edge"
}

resource "alicloud_eip_association" "edge" {
  allocation_id = alicloud_eip_address.edge.id
  instance_id   = data.alicloud_instances.edge.instances[0].id
}

output "app_eni_id" {
  value = alicloud_ecs_network_interface.app.id
}

output "app_public_ip" {
  value = alicloud_eip_address.app.ip_address
}

output "edge_public_ip" {
  value = alicloud_eip_address.edge.ip_address
}
