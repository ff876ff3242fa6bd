# Public egress for a VPC through its NAT gateway: a pool of EIPs bound to the gateway. Alibaba
# takes at most 20 EIPs per NAT gateway (rules.md eip-nat-quota); netform binds them one at a time,
# as the API requires, and refuses a plan that would pass the limit before anything changes.

provider "alicloud" {
  region = "cn-hangzhou"
  simulator {}
}

variable "egress_ip_count" {
  type    = number
  default = 4

  validation {
    condition     = var.egress_ip_count >= 1 && var.egress_ip_count <= 20
    error_message = "A NAT gateway takes between 1 and 20 EIPs."
  }
}

data "alicloud_instances" "any" {
  name_regex = "^web-1$"
}

data "alicloud_nat_gateways" "main" {
  vpc_id = data.alicloud_instances.any.instances[0].vpc_id
}

resource "alicloud_eip_address" "egress" {
  count = var.egress_ip_count

  address_name         = format("egress-%02d", count.index + 1)
  bandwidth            = 50
  internet_charge_type = "PayByTraffic"
  isp                  = "BGP"
  description          = "NAT egress ${count.index + 1} of ${var.egress_ip_count}"
}

resource "alicloud_eip_association" "egress" {
  count = var.egress_ip_count

  allocation_id = alicloud_eip_address.egress[count.index].id
  instance_id   = data.alicloud_nat_gateways.main.gateways[0].id
}

output "egress_ips" {
  value = alicloud_eip_address.egress[*].ip_address
}
