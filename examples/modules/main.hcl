# netform modules example: a root module calls the "tier" module once per tier (for_each); each
# tier makes an ENI and calls the "eip" module, which allocates an EIP and binds it to that ENI.
# The embedded simulator stands in for Alibaba Cloud.

provider "alicloud" {
  region = "cn-hangzhou"
  simulator {}
}

data "alicloud_instances" "web" {
  name_regex = "^web-1$"
  status     = "Running"
}

locals {
  web = data.alicloud_instances.web.instances[0]
}

module "tier" {
  source   = "./modules/tier"
  for_each = toset(["api", "worker"])

  name               = "modules-${each.key}"
  vswitch_id         = local.web.vswitch_id
  security_group_ids = local.web.security_groups
}

output "eni_ids" {
  value = { for k, t in module.tier : k => t.eni_id }
}

output "public_ips" {
  value = { for k, t in module.tier : k => t.public_ip }
}
