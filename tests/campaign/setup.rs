//! The campaigns' configuration and world: `units` × (an ENI with secondary IPs, its attachment
//! to an instance, an EIP, and the EIP's binding to the ENI), on instances with room for them.
//! `var.generation` drives the update: 1 changes every ENI's description and address count, every
//! EIP's bandwidth, and moves every fourth attachment to another instance (detach, attach).

use std::path::Path;

/// Instances of this type take 8 ENIs (7 besides the primary) and 30 addresses per ENI.
const INSTANCE_TYPE: &str = "ecs.g7.4xlarge";
const VPC: &str = "vpc-bp1camp000000000000";
const VSW: &str = "vsw-bp1camp000000000000";
const SG: &str = "sg-bp1camp000000000000";

/// The shape of a campaign's configuration.
#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    pub units: usize,
    /// Added to every simulator call, so that a kill lands mid-run.
    pub latency_ms: u64,
}

impl Scenario {
    /// The simulator's faults for a run: the latency, and asynchronous states lasting a few
    /// calls, so that a kill can find an ENI Attaching or an EIP Associating.
    pub fn faults(&self) -> String {
        let l = self.latency_ms;
        let states = [
            "Attaching",
            "Detaching",
            "Deleting",
            "Associating",
            "Unassociating",
            "Releasing",
        ]
        .map(|s| format!("\"{s}\": {}", 3 * l))
        .join(", ");
        format!("{{\"latency_ms\": {l}, \"async_ms\": {{{states}}}}}")
    }

    /// Resources the configuration declares.
    pub fn resources(&self) -> usize {
        4 * self.units
    }

    /// Instances: four units each on average, so a moved attachment always finds room.
    pub fn instances(&self) -> usize {
        self.units / 4 + 2
    }

    fn instance_id(i: usize) -> String {
        format!("i-bp1camp{i:011}")
    }

    pub fn world_json(&self) -> String {
        let instances: Vec<String> = (0..self.instances())
            .map(|i| {
                format!(
                    r#"{{"id": "{}", "name": "camp-{i}", "region": "cn-hangzhou", "zone_id": "cn-hangzhou-h", "instance_type": "{INSTANCE_TYPE}", "status": "Running", "vpc_id": "{VPC}", "vswitch_id": "{VSW}", "private_ip": "10.0.{}.{}", "security_group_ids": ["{SG}"]}}"#,
                    Self::instance_id(i),
                    1 + i / 200,
                    10 + i % 200
                )
            })
            .collect();
        format!(
            r#"{{
  "seed": 12,
  "profile": "current",
  "regions": [{{"id": "cn-hangzhou", "zones": ["cn-hangzhou-h"]}}],
  "vpcs": [{{"id": "{VPC}", "region": "cn-hangzhou", "cidr_block": "10.0.0.0/8"}}],
  "vswitches": [{{"id": "{VSW}", "vpc_id": "{VPC}", "zone_id": "cn-hangzhou-h", "cidr_block": "10.0.0.0/16"}}],
  "security_groups": [{{"id": "{SG}", "vpc_id": "{VPC}", "security_group_type": "enterprise"}}],
  "instances": [{}]
}}
"#,
            instances.join(",\n    ")
        )
    }

    /// The configuration; `endpoint` points the provider at `sim serve` instead of the embedded
    /// simulator.
    pub fn config(&self, endpoint: Option<&str>) -> String {
        let provider = match endpoint {
            Some(e) => format!("  endpoint = \"{e}\"\n"),
            None => "  simulator {\n    world = \"world.json\"\n  }\n".to_string(),
        };
        let ids: Vec<String> = (0..self.instances())
            .map(|i| format!("\"{}\"", Self::instance_id(i)))
            .collect();
        let n = self.units;
        format!(
            r#"provider "alicloud" {{
  region = "cn-hangzhou"
{provider}}}

variable "generation" {{
  type    = number
  default = 0
}}

locals {{
  instances = [{ids}]
}}

resource "alicloud_ecs_network_interface" "u" {{
  count                              = {n}
  network_interface_name             = "u-${{count.index}}"
  description                        = "generation ${{var.generation}}"
  vswitch_id                         = "{VSW}"
  security_group_ids                 = ["{SG}"]
  secondary_private_ip_address_count = 2 + var.generation
  tags = {{
    unit = "u-${{count.index}}"
  }}
}}

resource "alicloud_ecs_network_interface_attachment" "u" {{
  count                = {n}
  network_interface_id = alicloud_ecs_network_interface.u[count.index].id
  instance_id          = local.instances[((count.index - count.index % 4) / 4 + (count.index % 4 == 0 ? var.generation : 0)) % length(local.instances)]
}}

resource "alicloud_eip_address" "u" {{
  count        = {n}
  address_name = "u-${{count.index}}"
  bandwidth    = 5 + var.generation
}}

resource "alicloud_eip_association" "u" {{
  count         = {n}
  allocation_id = alicloud_eip_address.u[count.index].id
  instance_id   = alicloud_ecs_network_interface.u[count.index].id
}}
"#,
            ids = ids.join(", ")
        )
    }

    /// Writes the world and the configuration into `dir`.
    pub fn write(&self, dir: &Path, endpoint: Option<&str>) {
        write(dir, "world.json", &self.world_json());
        write(dir, "main.hcl", &self.config(endpoint));
    }
}

/// Sets the generation the next runs in `dir` apply.
pub fn set_generation(dir: &Path, generation: u32) {
    write(
        dir,
        "netform.tfvars",
        &format!("generation = {generation}\n"),
    );
}

pub fn write(dir: &Path, name: &str, text: &str) {
    if let Err(e) = std::fs::write(dir.join(name), text) {
        panic!("write {name}: {e}");
    }
}
