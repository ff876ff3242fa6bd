# One tier: an ENI in the given vSwitch, and a public address for it (the eip module).

variable "name" {
  type = string

  validation {
    condition     = length(var.name) <= 64
    error_message = "An ENI name is at most 64 characters."
  }
}

variable "vswitch_id" {
  type = string
}

variable "security_group_ids" {
  type = list(string)
}

variable "bandwidth" {
  type    = number
  default = 5
}

resource "alicloud_ecs_network_interface" "app" {
  network_interface_name = var.name
  vswitch_id             = var.vswitch_id
  security_group_ids     = var.security_group_ids
  description            = "made by module ${path.module}"
}

module "eip" {
  source = "./modules/eip"

  name      = var.name
  bandwidth = var.bandwidth
  eni_id    = alicloud_ecs_network_interface.app.id
}

output "eni_id" {
  value = alicloud_ecs_network_interface.app.id
}

output "public_ip" {
  value = module.eip.ip_address
}
