# An EIP bound to an ENI.

variable "name" {
  type = string
}

variable "bandwidth" {
  type = number
}

variable "eni_id" {
  type = string
}

resource "alicloud_eip_address" "this" {
  address_name = var.name
  bandwidth    = var.bandwidth
}

resource "alicloud_eip_association" "this" {
  allocation_id = alicloud_eip_address.this.id
  instance_id   = var.eni_id
}

output "ip_address" {
  value = alicloud_eip_address.this.ip_address
}
