//! The simulator's world file (world.md): the part of an Alibaba Cloud account netform refers to
//! but does not manage — regions, VPCs, vSwitches, security groups, instances, NAT gateways,
//! HAVIPs, SLBs — plus the limits profile and fault injection.
//!
//! A world is JSON with `deny_unknown_fields` everywhere, because a misspelt key silently
//! ignored would make the simulator answer differently from what the user wrote. [`World::validate`]
//! then checks what serde cannot (dangling ids, overlapping CIDRs, addresses outside their
//! vSwitch) and reports every problem at once, each with its JSON path. The built-in world is
//! itself a JSON file (`fixtures/worlds/default.json`) so that it is documented in the very format
//! users write.

use crate::limits::{LimitOverrides, Limits, ProfileName};
use ipnet::{Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

const BUILTIN_JSON: &str = include_str!("../../../fixtures/worlds/default.json");
/// What messages call the built-in world.
pub const BUILTIN_ORIGIN: &str = "built-in world";

/// Instance statuses a world may give (DescribeInstances' values).
pub const INSTANCE_STATUSES: &[&str] = &["Pending", "Starting", "Running", "Stopping", "Stopped"];
/// HAVIP statuses a world may give.
pub const HAVIP_STATUSES: &[&str] = &["Creating", "Available", "Allocated", "InUse", "Deleting"];
/// Async states whose duration `faults.async_ms` may set (world.md "Fault injection").
pub const ASYNC_STATES: &[&str] = &[
    "Attaching",
    "Detaching",
    "Deleting",
    "Associating",
    "Unassociating",
    "Releasing",
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct World {
    /// Seeds derived ids and automatically allocated addresses.
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub profile: ProfileName,
    #[serde(default, skip_serializing_if = "LimitOverrides::is_empty")]
    pub limits: LimitOverrides,
    pub regions: Vec<Region>,
    #[serde(default)]
    pub vpcs: Vec<Vpc>,
    #[serde(default)]
    pub vswitches: Vec<VSwitch>,
    #[serde(default)]
    pub security_groups: Vec<SecurityGroup>,
    #[serde(default)]
    pub instances: Vec<Instance>,
    #[serde(default)]
    pub nat_gateways: Vec<NatGateway>,
    #[serde(default)]
    pub havips: Vec<HaVip>,
    #[serde(default)]
    pub slbs: Vec<Slb>,
    #[serde(default)]
    pub faults: Faults,
    /// Where the world came from (a path, or [`BUILTIN_ORIGIN`]), for messages.
    #[serde(skip)]
    pub origin: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub id: String,
    pub zones: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vpc {
    pub id: String,
    pub region: String,
    pub cidr_block: String,
    #[serde(default)]
    pub ipv6_cidr_block: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VSwitch {
    pub id: String,
    pub vpc_id: String,
    pub zone_id: String,
    pub cidr_block: String,
    #[serde(default)]
    pub ipv6_cidr_block: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroup {
    pub id: String,
    pub vpc_id: String,
    /// `normal` (basic) or `enterprise` (advanced).
    pub security_group_type: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    pub id: String,
    pub name: String,
    pub region: String,
    pub zone_id: String,
    pub instance_type: String,
    /// One of [`INSTANCE_STATUSES`].
    pub status: String,
    /// `vpc` (default) or `classic`.
    #[serde(default = "default_network_type")]
    pub network_type: String,
    #[serde(default)]
    pub vpc_id: Option<String>,
    #[serde(default)]
    pub vswitch_id: Option<String>,
    #[serde(default)]
    pub private_ip: Option<String>,
    #[serde(default)]
    pub public_ip: Option<String>,
    /// Derived from the instance id when left out (see [`Instance::primary_eni_id`]).
    #[serde(default)]
    pub primary_network_interface_id: Option<String>,
    #[serde(default)]
    pub security_group_ids: Vec<String>,
}

fn default_network_type() -> String {
    "vpc".to_string()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatGateway {
    pub id: String,
    pub region: String,
    pub vpc_id: String,
    /// Private IPs that are DNAT targets (rule eip-ecs-dnat).
    #[serde(default)]
    pub dnat_ips: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaVip {
    pub id: String,
    pub vswitch_id: String,
    pub ip_address: String,
    /// One of [`HAVIP_STATUSES`].
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slb {
    pub id: String,
    pub region: String,
    /// `intranet` (private, in a vSwitch) or `internet`.
    pub address_type: String,
    #[serde(default)]
    pub vswitch_id: Option<String>,
    pub address: String,
}

/// Fault injection; also what `NETFORM_SIM_FAULTS` holds. All zero by default: nothing fails and
/// async states end at once.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    /// Per action name (e.g. `AttachNetworkInterface`; `*` for every action).
    #[serde(default)]
    pub rates: BTreeMap<String, FaultRates>,
    /// Added to every call.
    #[serde(default)]
    pub latency_ms: u64,
    /// How long each async state lasts, keyed by one of [`ASYNC_STATES`].
    #[serde(default)]
    pub async_ms: BTreeMap<String, u64>,
}

/// Probabilities in 0..=1 of each error answer (together at most 1), and of losing the answer
/// to a call that changed the cloud.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRates {
    #[serde(default)]
    pub throttling: f64,
    #[serde(default)]
    pub service_unavailable: f64,
    #[serde(default)]
    pub internal_error: f64,
    /// A call that succeeded and changed the cloud, whose answer never arrives (a connection
    /// dropped after the server acted): in process the caller gets `netform.NoAnswer`, over
    /// HTTP (`sim serve`) the connection is torn mid-answer. Independent of the error rates: it
    /// is drawn only for calls that got through them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lost_answer: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

impl Faults {
    /// Parses `NETFORM_SIM_FAULTS` (or any text in the `faults` section's format) and validates it.
    pub fn from_json(text: &str, origin: &str) -> Result<Faults, WorldError> {
        let faults: Faults = serde_json::from_str(text).map_err(|e| parse_error(origin, &e))?;
        let mut problems = Vec::new();
        faults.check(&mut problems, "");
        if problems.is_empty() {
            Ok(faults)
        } else {
            Err(WorldError::Invalid {
                origin: origin.to_string(),
                problems,
            })
        }
    }

    fn check(&self, problems: &mut Vec<Problem>, prefix: &str) {
        for (action, r) in &self.rates {
            let at = format!("{prefix}rates.{action}");
            for (k, v) in [
                ("throttling", r.throttling),
                ("service_unavailable", r.service_unavailable),
                ("internal_error", r.internal_error),
                ("lost_answer", r.lost_answer),
            ] {
                if !(0.0..=1.0).contains(&v) {
                    problems.push(Problem::new(
                        format!("{at}.{k}"),
                        format!("rate {v} is not a probability"),
                        "give a number from 0 to 1",
                    ));
                }
            }
            let sum = r.throttling + r.service_unavailable + r.internal_error;
            if sum > 1.0 + 1e-9 {
                problems.push(Problem::new(
                    at,
                    format!("the rates add up to {sum}, more than 1"),
                    "lower them so that together they are at most 1",
                ));
            }
        }
        for state in self.async_ms.keys() {
            if !ASYNC_STATES.contains(&state.as_str()) {
                problems.push(Problem::new(
                    format!("{prefix}async_ms.{state}"),
                    format!("\"{state}\" is not an async state"),
                    format!("use one of {}", ASYNC_STATES.join(", ")),
                ));
            }
        }
    }

    /// The configured duration of an async state (0 when not set).
    pub fn async_duration_ms(&self, state: &str) -> u64 {
        self.async_ms.get(state).copied().unwrap_or(0)
    }

    /// The rates for an action: its own entry, else the `*` entry, else none.
    pub fn rates_for(&self, action: &str) -> FaultRates {
        self.rates
            .get(action)
            .or_else(|| self.rates.get("*"))
            .cloned()
            .unwrap_or_default()
    }
}

/// One thing wrong in a world, at a JSON path such as `instances[3].vswitch_id`.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub path: String,
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

impl Problem {
    fn new(path: impl Into<String>, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Problem {
            path: path.into(),
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.path, self.message, self.hint)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error("cannot read world file {origin}: {source}")]
    Read {
        origin: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{origin}:{line}:{column}: {message}\n  the world file format is documented in the README, with a complete example in fixtures/worlds/full.json"
    )]
    Parse {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{origin}: invalid world:{}", list(.problems))]
    Invalid {
        origin: String,
        problems: Vec<Problem>,
    },
}

impl WorldError {
    /// The problems found by validation (empty for read and parse errors).
    pub fn problems(&self) -> &[Problem] {
        match self {
            WorldError::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }
}

fn list(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("\n  - {p}")).collect()
}

fn parse_error(origin: &str, e: &serde_json::Error) -> WorldError {
    // serde_json appends " at line L column C" to its message; the position goes up front instead,
    // in the file:line:column form editors jump to.
    let text = e.to_string();
    let message = match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    WorldError::Parse {
        origin: origin.to_string(),
        line: e.line(),
        column: e.column(),
        message,
    }
}

impl World {
    /// The built-in default world (world.md), from `fixtures/worlds/default.json`.
    pub fn builtin() -> World {
        // The unit tests prove the embedded file parses and validates.
        World::from_json(BUILTIN_JSON, BUILTIN_ORIGIN).expect("the built-in world is valid")
    }

    /// Reads and validates a world file.
    pub fn load(path: &Path) -> Result<World, WorldError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| WorldError::Read {
            origin: origin.clone(),
            source,
        })?;
        World::from_json(&text, &origin)
    }

    /// Parses and validates a world; `origin` names it in messages.
    pub fn from_json(text: &str, origin: &str) -> Result<World, WorldError> {
        let mut world: World = serde_json::from_str(text).map_err(|e| parse_error(origin, &e))?;
        world.origin = origin.to_string();
        world.validate()?;
        Ok(world)
    }

    /// The world's limits: its profile with its overrides applied.
    pub fn limits(&self) -> Result<Limits, WorldError> {
        Limits::profile(self.profile)
            .with_overrides(&self.limits)
            .map_err(|message| WorldError::Invalid {
                origin: self.origin.clone(),
                problems: vec![Problem::new(
                    "limits",
                    message,
                    "fix the override or remove it",
                )],
            })
    }

    /// Checks everything serde cannot, reporting every problem found.
    pub fn validate(&self) -> Result<(), WorldError> {
        let mut v = Validator {
            world: self,
            problems: Vec::new(),
        };
        let limits = match self.limits() {
            Ok(l) => Some(l),
            Err(e) => {
                v.problems.extend(e.problems().iter().cloned());
                None
            }
        };
        v.run(limits.as_ref());
        if v.problems.is_empty() {
            Ok(())
        } else {
            Err(WorldError::Invalid {
                origin: self.origin.clone(),
                problems: v.problems,
            })
        }
    }

    pub fn region(&self, id: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.id == id)
    }

    pub fn vpc(&self, id: &str) -> Option<&Vpc> {
        self.vpcs.iter().find(|x| x.id == id)
    }

    pub fn vswitch(&self, id: &str) -> Option<&VSwitch> {
        self.vswitches.iter().find(|x| x.id == id)
    }

    pub fn security_group(&self, id: &str) -> Option<&SecurityGroup> {
        self.security_groups.iter().find(|x| x.id == id)
    }

    pub fn instance(&self, id: &str) -> Option<&Instance> {
        self.instances.iter().find(|x| x.id == id)
    }

    pub fn instance_by_name(&self, name: &str) -> Option<&Instance> {
        self.instances.iter().find(|x| x.name == name)
    }

    pub fn nat_gateway(&self, id: &str) -> Option<&NatGateway> {
        self.nat_gateways.iter().find(|x| x.id == id)
    }

    pub fn havip(&self, id: &str) -> Option<&HaVip> {
        self.havips.iter().find(|x| x.id == id)
    }

    pub fn slb(&self, id: &str) -> Option<&Slb> {
        self.slbs.iter().find(|x| x.id == id)
    }

    /// The region a vSwitch is in (through its VPC).
    pub fn region_of_vswitch(&self, id: &str) -> Option<&str> {
        let vsw = self.vswitch(id)?;
        self.vpc(&vsw.vpc_id).map(|v| v.region.as_str())
    }

    /// The region of any world object with a region: instance, VPC, vSwitch, NAT gateway, HAVIP
    /// or SLB (what rule eip-same-region compares).
    pub fn region_of(&self, id: &str) -> Option<&str> {
        if let Some(i) = self.instance(id) {
            return Some(&i.region);
        }
        if let Some(v) = self.vpc(id) {
            return Some(&v.region);
        }
        if let Some(n) = self.nat_gateway(id) {
            return Some(&n.region);
        }
        if let Some(s) = self.slb(id) {
            return Some(&s.region);
        }
        if let Some(h) = self.havip(id) {
            return self.region_of_vswitch(&h.vswitch_id);
        }
        self.region_of_vswitch(id)
    }

    /// The instance whose primary ENI has this id.
    pub fn instance_by_primary_eni(&self, eni_id: &str) -> Option<&Instance> {
        self.instances
            .iter()
            .find(|i| i.primary_eni_id().as_deref() == Some(eni_id))
    }

    /// Whether a private IP is a DNAT target of some NAT gateway (rule eip-ecs-dnat).
    pub fn is_dnat_target(&self, ip: &str) -> bool {
        self.nat_gateways
            .iter()
            .any(|n| n.dnat_ips.iter().any(|d| d == ip))
    }

    /// IPv4 addresses the world itself occupies in a vSwitch (instances' primary IPs, HAVIPs,
    /// intranet SLBs), for rules ip-unique and ip-vswitch-capacity.
    pub fn used_ips_in_vswitch(&self, vswitch_id: &str) -> Vec<Ipv4Addr> {
        let instances = self
            .instances
            .iter()
            .filter(|i| i.vswitch_id.as_deref() == Some(vswitch_id))
            .filter_map(|i| i.private_ip.as_deref());
        let havips = self
            .havips
            .iter()
            .filter(|h| h.vswitch_id == vswitch_id)
            .map(|h| h.ip_address.as_str());
        let slbs = self
            .slbs
            .iter()
            .filter(|s| s.vswitch_id.as_deref() == Some(vswitch_id))
            .map(|s| s.address.as_str());
        instances
            .chain(havips)
            .chain(slbs)
            .filter_map(|s| s.parse().ok())
            .collect()
    }
}

impl VSwitch {
    pub fn ipv4_net(&self) -> Option<Ipv4Net> {
        self.cidr_block.parse().ok()
    }

    pub fn ipv6_net(&self) -> Option<Ipv6Net> {
        self.ipv6_cidr_block.as_deref()?.parse().ok()
    }

    /// Whether an IPv4 address is one Alibaba keeps for itself: the first and the last three of
    /// the block (rule ip-reserved).
    pub fn is_reserved_ipv4(&self, ip: Ipv4Addr) -> bool {
        self.ipv4_net()
            .map(|n| is_reserved_v4(n, ip))
            .unwrap_or(false)
    }

    /// Whether an IPv6 address is reserved: the first and the last nine of the block.
    pub fn is_reserved_ipv6(&self, ip: Ipv6Addr) -> bool {
        self.ipv6_net()
            .is_some_and(|n| crate::rules::eni::is_reserved(&n.into(), ip.into()))
    }

    /// Addresses usable by ENIs etc. before anything is allocated: the block minus the reserved.
    pub fn usable_ipv4_count(&self) -> u64 {
        self.ipv4_net()
            .map(|n| match crate::rules::eni::usable_v4(&n) {
                (lo, hi) if hi >= lo => u64::from(hi - lo) + 1,
                _ => 0,
            })
            .unwrap_or(0)
    }
}

fn is_reserved_v4(n: Ipv4Net, ip: Ipv4Addr) -> bool {
    crate::rules::eni::is_reserved(&n.into(), ip.into())
}

impl Instance {
    pub fn is_classic(&self) -> bool {
        self.network_type == "classic"
    }

    /// The primary ENI's id: the given one, or `eni-` plus the instance id's suffix, so worlds
    /// need not spell it out. Classic instances have none.
    pub fn primary_eni_id(&self) -> Option<String> {
        if self.is_classic() {
            return None;
        }
        Some(match &self.primary_network_interface_id {
            Some(id) => id.clone(),
            None => format!(
                "eni-{}",
                self.id.strip_prefix("i-").unwrap_or(self.id.as_str())
            ),
        })
    }
}

struct Validator<'w> {
    world: &'w World,
    problems: Vec<Problem>,
}

impl<'w> Validator<'w> {
    fn push(&mut self, path: String, message: String, hint: impl Into<String>) {
        self.problems.push(Problem::new(path, message, hint));
    }

    fn run(&mut self, limits: Option<&Limits>) {
        let w = self.world;
        self.ids();
        if w.regions.is_empty() {
            self.push(
                "regions".into(),
                "no regions".into(),
                "add at least one region with its zones",
            );
        }
        for (i, r) in w.regions.iter().enumerate() {
            if r.zones.is_empty() {
                self.push(
                    format!("regions[{i}].zones"),
                    format!("region {} has no zones", r.id),
                    "list its zones, e.g. [\"cn-hangzhou-h\"]",
                );
            }
            for (j, z) in r.zones.iter().enumerate() {
                if r.zones[..j].contains(z) {
                    self.push(
                        format!("regions[{i}].zones[{j}]"),
                        format!("zone {z} listed twice"),
                        "remove the duplicate",
                    );
                }
            }
        }
        self.vpcs();
        self.vswitches();
        self.security_groups();
        self.instances(limits);
        self.nat_gateways();
        self.havips();
        self.slbs();
        self.addresses();
        w.faults.check(&mut self.problems, "faults.");
    }

    /// Ids are unique across the whole world, and carry Alibaba's prefixes, because
    /// `alicloud_eip_association` infers the target kind from the prefix.
    fn ids(&mut self) {
        let w = self.world;
        let mut all: Vec<(String, &'w str, &str)> = Vec::new();
        let mut add = |kind: &str, prefix: &'static str, ids: Vec<&'w str>| {
            for (i, id) in ids.into_iter().enumerate() {
                all.push((format!("{kind}[{i}]"), id, prefix));
            }
        };
        add(
            "vpcs",
            "vpc-",
            w.vpcs.iter().map(|x| x.id.as_str()).collect(),
        );
        add(
            "vswitches",
            "vsw-",
            w.vswitches.iter().map(|x| x.id.as_str()).collect(),
        );
        add(
            "security_groups",
            "sg-",
            w.security_groups.iter().map(|x| x.id.as_str()).collect(),
        );
        add(
            "instances",
            "i-",
            w.instances.iter().map(|x| x.id.as_str()).collect(),
        );
        add(
            "nat_gateways",
            "ngw-",
            w.nat_gateways.iter().map(|x| x.id.as_str()).collect(),
        );
        add(
            "havips",
            "havip-",
            w.havips.iter().map(|x| x.id.as_str()).collect(),
        );
        add(
            "slbs",
            "lb-",
            w.slbs.iter().map(|x| x.id.as_str()).collect(),
        );
        let mut seen: HashMap<&str, String> = HashMap::new();
        for (path, id, prefix) in all {
            if !id.starts_with(prefix) || id.len() == prefix.len() {
                self.push(
                    format!("{path}.id"),
                    format!("\"{id}\" does not look like an Alibaba id"),
                    format!("ids of this kind start with \"{prefix}\""),
                );
            }
            if let Some(first) = seen.get(id) {
                self.push(
                    format!("{path}.id"),
                    format!("id {id} is already used at {first}"),
                    "give every object its own id",
                );
            } else {
                seen.insert(id, path);
            }
        }
        let mut regions = HashSet::new();
        for (i, r) in w.regions.iter().enumerate() {
            if !regions.insert(r.id.as_str()) {
                self.push(
                    format!("regions[{i}].id"),
                    format!("region {} listed twice", r.id),
                    "merge the two entries",
                );
            }
        }
        let mut names = HashMap::new();
        for (i, inst) in w.instances.iter().enumerate() {
            if let Some(first) = names.insert(inst.name.as_str(), i) {
                self.push(
                    format!("instances[{i}].name"),
                    format!("name {} is already used by instances[{first}]", inst.name),
                    "give each instance its own name so name_regex look-ups find one",
                );
            }
        }
        let mut enis = HashMap::new();
        for (i, inst) in w.instances.iter().enumerate() {
            if let Some(eni) = inst.primary_eni_id() {
                if !eni.starts_with("eni-") {
                    self.push(
                        format!("instances[{i}].primary_network_interface_id"),
                        format!("\"{eni}\" does not look like an ENI id"),
                        "ENI ids start with \"eni-\"",
                    );
                }
                if let Some(first) = enis.insert(eni.clone(), i) {
                    self.push(
                        format!("instances[{i}].primary_network_interface_id"),
                        format!("ENI {eni} is already the primary ENI of instances[{first}]"),
                        "each instance has its own primary ENI",
                    );
                }
            }
        }
    }

    fn region_zone(&mut self, path: &str, region: &str, zone: Option<&str>) {
        let Some(r) = self.world.region(region) else {
            self.push(
                format!("{path}.region"),
                format!("region {region} is not in regions"),
                format!("use one of {}", self.region_list()),
            );
            return;
        };
        if let Some(z) = zone
            && !r.zones.iter().any(|x| x == z)
        {
            let zones = r.zones.join(", ");
            self.push(
                format!("{path}.zone_id"),
                format!("zone {z} is not a zone of {region}"),
                format!("use one of {zones}, or add it to the region's zones"),
            );
        }
    }

    fn region_list(&self) -> String {
        self.world
            .regions
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn vpcs(&mut self) {
        for (i, vpc) in self.world.vpcs.iter().enumerate() {
            let path = format!("vpcs[{i}]");
            self.region_zone(&path, &vpc.region, None);
            if vpc.cidr_block.parse::<Ipv4Net>().is_err() {
                self.push(
                    format!("{path}.cidr_block"),
                    format!("\"{}\" is not an IPv4 CIDR block", vpc.cidr_block),
                    "write it like \"192.168.0.0/16\"",
                );
            }
            if let Some(v6) = &vpc.ipv6_cidr_block
                && v6.parse::<Ipv6Net>().is_err()
            {
                self.push(
                    format!("{path}.ipv6_cidr_block"),
                    format!("\"{v6}\" is not an IPv6 CIDR block"),
                    "write it like \"2408:4005:3ff:8500::/56\"",
                );
            }
        }
    }

    fn vswitches(&mut self) {
        let w = self.world;
        for (i, vsw) in w.vswitches.iter().enumerate() {
            let path = format!("vswitches[{i}]");
            let Some(vpc) = w.vpc(&vsw.vpc_id) else {
                self.push(
                    format!("{path}.vpc_id"),
                    format!("VPC {} does not exist in this world", vsw.vpc_id),
                    "use the id of an entry in vpcs",
                );
                continue;
            };
            if let Some(r) = w.region(&vpc.region)
                && !r.zones.contains(&vsw.zone_id)
            {
                self.push(
                    format!("{path}.zone_id"),
                    format!(
                        "zone {} is not a zone of {} (the region of {})",
                        vsw.zone_id, vpc.region, vpc.id
                    ),
                    format!("use one of {}", r.zones.join(", ")),
                );
            }
            match vsw.cidr_block.parse::<Ipv4Net>() {
                Err(_) => self.push(
                    format!("{path}.cidr_block"),
                    format!("\"{}\" is not an IPv4 CIDR block", vsw.cidr_block),
                    "write it like \"192.168.1.0/24\"",
                ),
                Ok(net) => {
                    if net.network() != net.addr() {
                        self.push(
                            format!("{path}.cidr_block"),
                            format!("{} has host bits set", vsw.cidr_block),
                            format!("write the network address: {}", net.trunc()),
                        );
                    }
                    if !(16..=29).contains(&net.prefix_len()) {
                        self.push(
                            format!("{path}.cidr_block"),
                            format!("/{} is outside what a vSwitch may have", net.prefix_len()),
                            "Alibaba allows vSwitch masks from /16 to /29",
                        );
                    }
                    if let Ok(vnet) = vpc.cidr_block.parse::<Ipv4Net>()
                        && !vnet.contains(&net)
                    {
                        self.push(
                            format!("{path}.cidr_block"),
                            format!(
                                "{} is not inside its VPC's {} ({})",
                                vsw.cidr_block, vpc.cidr_block, vpc.id
                            ),
                            "choose a block inside the VPC's CIDR",
                        );
                    }
                    for (j, other) in w.vswitches[..i].iter().enumerate() {
                        if other.vpc_id != vsw.vpc_id {
                            continue;
                        }
                        if let Ok(onet) = other.cidr_block.parse::<Ipv4Net>()
                            && (onet.contains(&net) || net.contains(&onet))
                        {
                            self.push(
                                format!("{path}.cidr_block"),
                                format!(
                                    "{} overlaps {} of vswitches[{j}] ({}) in the same VPC",
                                    vsw.cidr_block, other.cidr_block, other.id
                                ),
                                "vSwitches of one VPC need disjoint blocks",
                            );
                        }
                    }
                }
            }
            if let Some(v6) = &vsw.ipv6_cidr_block {
                match (v6.parse::<Ipv6Net>(), &vpc.ipv6_cidr_block) {
                    (Err(_), _) => self.push(
                        format!("{path}.ipv6_cidr_block"),
                        format!("\"{v6}\" is not an IPv6 CIDR block"),
                        "write it like \"2408:4005:3ff:8501::/64\"",
                    ),
                    (Ok(_), None) => self.push(
                        format!("{path}.ipv6_cidr_block"),
                        format!("its VPC {} has no IPv6 CIDR block", vpc.id),
                        "give the VPC an ipv6_cidr_block first",
                    ),
                    (Ok(net), Some(vpc6)) => {
                        if let Ok(vnet) = vpc6.parse::<Ipv6Net>()
                            && !vnet.contains(&net)
                        {
                            self.push(
                                format!("{path}.ipv6_cidr_block"),
                                format!("{v6} is not inside its VPC's {vpc6}"),
                                "choose a /64 inside the VPC's IPv6 block",
                            );
                        }
                        for (j, other) in w.vswitches[..i].iter().enumerate() {
                            if other.vpc_id == vsw.vpc_id
                                && let Some(onet) = other.ipv6_net()
                                && (onet.contains(&net) || net.contains(&onet))
                            {
                                self.push(
                                    format!("{path}.ipv6_cidr_block"),
                                    format!("{v6} overlaps vswitches[{j}] ({})", other.id),
                                    "vSwitches of one VPC need disjoint blocks",
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    fn security_groups(&mut self) {
        for (i, sg) in self.world.security_groups.iter().enumerate() {
            let path = format!("security_groups[{i}]");
            if self.world.vpc(&sg.vpc_id).is_none() {
                self.push(
                    format!("{path}.vpc_id"),
                    format!("VPC {} does not exist in this world", sg.vpc_id),
                    "use the id of an entry in vpcs",
                );
            }
            if sg.security_group_type != "normal" && sg.security_group_type != "enterprise" {
                self.push(
                    format!("{path}.security_group_type"),
                    format!(
                        "\"{}\" is not a security group type",
                        sg.security_group_type
                    ),
                    "use \"normal\" (basic) or \"enterprise\" (advanced)",
                );
            }
        }
    }

    fn instances(&mut self, limits: Option<&Limits>) {
        let w = self.world;
        for (i, inst) in w.instances.iter().enumerate() {
            let path = format!("instances[{i}]");
            self.region_zone(&path, &inst.region, Some(&inst.zone_id));
            if !INSTANCE_STATUSES.contains(&inst.status.as_str()) {
                self.push(
                    format!("{path}.status"),
                    format!("\"{}\" is not an instance status", inst.status),
                    format!("use one of {}", INSTANCE_STATUSES.join(", ")),
                );
            }
            if let Some(l) = limits
                && l.instance_type(&inst.instance_type).is_none()
            {
                self.push(
                    format!("{path}.instance_type"),
                    format!(
                        "instance type {} is not in the limits table",
                        inst.instance_type
                    ),
                    "use a type from the table, or add a row under limits.instance_types",
                );
            }
            if inst.name.is_empty() {
                self.push(
                    format!("{path}.name"),
                    "an instance needs a name".into(),
                    "data sources find instances by name_regex",
                );
            }
            if let Some(p) = &inst.public_ip
                && p.parse::<Ipv4Addr>().is_err()
            {
                self.push(
                    format!("{path}.public_ip"),
                    format!("\"{p}\" is not an IPv4 address"),
                    "write it like \"47.96.10.20\"",
                );
            }
            match inst.network_type.as_str() {
                "classic" => self.classic_instance(&path, inst),
                "vpc" => self.vpc_instance(&path, inst),
                other => self.push(
                    format!("{path}.network_type"),
                    format!("\"{other}\" is not a network type"),
                    "use \"vpc\" (the default) or \"classic\"",
                ),
            }
        }
    }

    fn classic_instance(&mut self, path: &str, inst: &Instance) {
        for (key, set) in [
            ("vpc_id", inst.vpc_id.is_some()),
            ("vswitch_id", inst.vswitch_id.is_some()),
            (
                "primary_network_interface_id",
                inst.primary_network_interface_id.is_some(),
            ),
            ("security_group_ids", !inst.security_group_ids.is_empty()),
        ] {
            if set {
                self.push(
                    format!("{path}.{key}"),
                    format!("classic-network instance {} cannot have a {key}", inst.id),
                    "remove it, or make the instance \"network_type\": \"vpc\"",
                );
            }
        }
        if let Some(ip) = &inst.private_ip
            && ip.parse::<Ipv4Addr>().is_err()
        {
            self.push(
                format!("{path}.private_ip"),
                format!("\"{ip}\" is not an IPv4 address"),
                "write it like \"10.80.1.5\"",
            );
        }
    }

    fn vpc_instance(&mut self, path: &str, inst: &Instance) {
        let w = self.world;
        let Some(vsw_id) = &inst.vswitch_id else {
            self.push(
                format!("{path}.vswitch_id"),
                format!("VPC instance {} has no vswitch_id", inst.id),
                "give its vSwitch, or make it \"network_type\": \"classic\"",
            );
            return;
        };
        let Some(vsw) = w.vswitch(vsw_id) else {
            self.push(
                format!("{path}.vswitch_id"),
                format!("vSwitch {vsw_id} does not exist in this world"),
                "use the id of an entry in vswitches",
            );
            return;
        };
        if vsw.zone_id != inst.zone_id {
            self.push(
                format!("{path}.zone_id"),
                format!(
                    "instance is in {} but its vSwitch {} is in {}",
                    inst.zone_id, vsw.id, vsw.zone_id
                ),
                "an instance lives in its vSwitch's zone",
            );
        }
        if let Some(vpc) = w.vpc(&vsw.vpc_id)
            && vpc.region != inst.region
        {
            self.push(
                format!("{path}.region"),
                format!(
                    "instance is in {} but its vSwitch's VPC {} is in {}",
                    inst.region, vpc.id, vpc.region
                ),
                "put the instance in its VPC's region",
            );
        }
        if let Some(vpc_id) = &inst.vpc_id
            && vpc_id != &vsw.vpc_id
        {
            self.push(
                format!("{path}.vpc_id"),
                format!(
                    "{vpc_id} is not the VPC of its vSwitch {} ({})",
                    vsw.id, vsw.vpc_id
                ),
                format!("use \"{}\" or leave vpc_id out", vsw.vpc_id),
            );
        }
        match inst.private_ip.as_deref().map(str::parse::<Ipv4Addr>) {
            None => self.push(
                format!("{path}.private_ip"),
                format!("VPC instance {} has no private_ip", inst.id),
                format!(
                    "give its primary private IP, an address in {}",
                    vsw.cidr_block
                ),
            ),
            Some(Err(_)) => self.push(
                format!("{path}.private_ip"),
                format!(
                    "\"{}\" is not an IPv4 address",
                    inst.private_ip.as_deref().unwrap_or("")
                ),
                "write it like \"192.168.1.10\"",
            ),
            Some(Ok(ip)) => self.ip_in_vswitch(&format!("{path}.private_ip"), ip, vsw),
        }
        let mut kinds = HashSet::new();
        for (j, sg_id) in inst.security_group_ids.iter().enumerate() {
            let at = format!("{path}.security_group_ids[{j}]");
            match w.security_group(sg_id) {
                None => self.push(
                    at,
                    format!("security group {sg_id} does not exist in this world"),
                    "use the id of an entry in security_groups",
                ),
                Some(sg) => {
                    if sg.vpc_id != vsw.vpc_id {
                        self.push(
                            at,
                            format!(
                                "security group {sg_id} is in {} but the instance is in {}",
                                sg.vpc_id, vsw.vpc_id
                            ),
                            "use a security group of the instance's VPC",
                        );
                    }
                    kinds.insert(sg.security_group_type.as_str());
                }
            }
        }
        if kinds.len() > 1 {
            self.push(
                format!("{path}.security_group_ids"),
                "mixes basic (normal) and advanced (enterprise) security groups".into(),
                "an instance's groups are all of one type",
            );
        }
    }

    fn ip_in_vswitch(&mut self, path: &str, ip: Ipv4Addr, vsw: &VSwitch) {
        let Some(net) = vsw.ipv4_net() else { return };
        if !net.contains(&ip) {
            self.push(
                path.to_string(),
                format!(
                    "{ip} is not inside its vSwitch {} ({})",
                    vsw.id, vsw.cidr_block
                ),
                format!("choose an address in {}", vsw.cidr_block),
            );
        } else if is_reserved_v4(net, ip) {
            self.push(
                path.to_string(),
                format!(
                    "{ip} is reserved in {} (the first and the last three addresses)",
                    vsw.cidr_block
                ),
                "choose another address",
            );
        }
    }

    fn nat_gateways(&mut self) {
        let w = self.world;
        for (i, ngw) in w.nat_gateways.iter().enumerate() {
            let path = format!("nat_gateways[{i}]");
            self.region_zone(&path, &ngw.region, None);
            let Some(vpc) = w.vpc(&ngw.vpc_id) else {
                self.push(
                    format!("{path}.vpc_id"),
                    format!("VPC {} does not exist in this world", ngw.vpc_id),
                    "use the id of an entry in vpcs",
                );
                continue;
            };
            if vpc.region != ngw.region {
                self.push(
                    format!("{path}.region"),
                    format!(
                        "NAT gateway is in {} but its VPC is in {}",
                        ngw.region, vpc.region
                    ),
                    "put it in its VPC's region",
                );
            }
            let vnet = vpc.cidr_block.parse::<Ipv4Net>().ok();
            for (j, ip) in ngw.dnat_ips.iter().enumerate() {
                let at = format!("{path}.dnat_ips[{j}]");
                match ip.parse::<Ipv4Addr>() {
                    Err(_) => self.push(
                        at,
                        format!("\"{ip}\" is not an IPv4 address"),
                        "a DNAT target is a private IPv4 address",
                    ),
                    Ok(a) => {
                        if let Some(n) = vnet
                            && !n.contains(&a)
                        {
                            self.push(
                                at,
                                format!("{ip} is not inside the VPC's {}", vpc.cidr_block),
                                "a DNAT target is a private IP in the gateway's VPC",
                            );
                        }
                    }
                }
            }
        }
    }

    fn havips(&mut self) {
        let w = self.world;
        for (i, h) in w.havips.iter().enumerate() {
            let path = format!("havips[{i}]");
            if !HAVIP_STATUSES.contains(&h.status.as_str()) {
                self.push(
                    format!("{path}.status"),
                    format!("\"{}\" is not a HAVIP status", h.status),
                    format!("use one of {}", HAVIP_STATUSES.join(", ")),
                );
            }
            let Some(vsw) = w.vswitch(&h.vswitch_id) else {
                self.push(
                    format!("{path}.vswitch_id"),
                    format!("vSwitch {} does not exist in this world", h.vswitch_id),
                    "use the id of an entry in vswitches",
                );
                continue;
            };
            match h.ip_address.parse::<Ipv4Addr>() {
                Err(_) => self.push(
                    format!("{path}.ip_address"),
                    format!("\"{}\" is not an IPv4 address", h.ip_address),
                    "write it like \"192.168.1.100\"",
                ),
                Ok(ip) => self.ip_in_vswitch(&format!("{path}.ip_address"), ip, vsw),
            }
        }
    }

    fn slbs(&mut self) {
        let w = self.world;
        for (i, s) in w.slbs.iter().enumerate() {
            let path = format!("slbs[{i}]");
            self.region_zone(&path, &s.region, None);
            let addr = s.address.parse::<Ipv4Addr>();
            if addr.is_err() {
                self.push(
                    format!("{path}.address"),
                    format!("\"{}\" is not an IPv4 address", s.address),
                    "write it like \"192.168.1.200\"",
                );
            }
            match (s.address_type.as_str(), &s.vswitch_id) {
                ("intranet", None) => self.push(
                    format!("{path}.vswitch_id"),
                    "an intranet SLB needs a vswitch_id".into(),
                    "give the vSwitch its address is in",
                ),
                ("intranet", Some(vsw_id)) => match w.vswitch(vsw_id) {
                    None => self.push(
                        format!("{path}.vswitch_id"),
                        format!("vSwitch {vsw_id} does not exist in this world"),
                        "use the id of an entry in vswitches",
                    ),
                    Some(vsw) => {
                        if w.region_of_vswitch(vsw_id) != Some(s.region.as_str()) {
                            self.push(
                                format!("{path}.region"),
                                format!("SLB is in {} but its vSwitch {vsw_id} is not", s.region),
                                "put the SLB in its vSwitch's region",
                            );
                        }
                        if let Ok(ip) = addr {
                            self.ip_in_vswitch(&format!("{path}.address"), ip, vsw);
                        }
                    }
                },
                ("internet", Some(_)) => self.push(
                    format!("{path}.vswitch_id"),
                    "an internet SLB has no vSwitch".into(),
                    "remove vswitch_id, or make it \"address_type\": \"intranet\"",
                ),
                ("internet", None) => {}
                (other, _) => self.push(
                    format!("{path}.address_type"),
                    format!("\"{other}\" is not an SLB address type"),
                    "use \"intranet\" or \"internet\"",
                ),
            }
        }
    }

    /// No private address is used twice in one vSwitch, and no public address twice at all
    /// (rule ip-unique starts from a consistent world).
    fn addresses(&mut self) {
        let w = self.world;
        let mut private: HashMap<(&str, IpAddr), String> = HashMap::new();
        let mut public: HashMap<IpAddr, String> = HashMap::new();
        let mut occupants: Vec<(&str, &str, String)> = Vec::new();
        for (i, inst) in w.instances.iter().enumerate() {
            if let (Some(vsw), Some(ip)) = (&inst.vswitch_id, &inst.private_ip) {
                occupants.push((vsw, ip, format!("instances[{i}].private_ip")));
            }
        }
        for (i, h) in w.havips.iter().enumerate() {
            occupants.push((
                &h.vswitch_id,
                &h.ip_address,
                format!("havips[{i}].ip_address"),
            ));
        }
        for (i, s) in w.slbs.iter().enumerate() {
            if let Some(vsw) = &s.vswitch_id {
                occupants.push((vsw, &s.address, format!("slbs[{i}].address")));
            }
        }
        for (vsw, ip, path) in occupants {
            let Ok(a) = ip.parse::<IpAddr>() else {
                continue;
            };
            if let Some(first) = private.get(&(vsw, a)) {
                self.push(
                    path,
                    format!("{ip} is already used in {vsw} by {first}"),
                    "give every instance, HAVIP and SLB its own address",
                );
            } else {
                private.insert((vsw, a), path);
            }
        }
        let mut publics: Vec<(&str, String)> = Vec::new();
        for (i, inst) in w.instances.iter().enumerate() {
            if let Some(p) = &inst.public_ip {
                publics.push((p, format!("instances[{i}].public_ip")));
            }
        }
        for (i, s) in w.slbs.iter().enumerate() {
            if s.address_type == "internet" {
                publics.push((&s.address, format!("slbs[{i}].address")));
            }
        }
        for (ip, path) in publics {
            if let Ok(a) = ip.parse::<IpAddr>() {
                if let Some(first) = public.get(&a) {
                    self.push(
                        path,
                        format!("public address {ip} is already used by {first}"),
                        "give every public address to one resource",
                    );
                } else {
                    public.insert(a, path);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> (String, String) {
        let path = format!("{}/fixtures/worlds/{name}", env!("CARGO_MANIFEST_DIR"));
        (std::fs::read_to_string(&path).unwrap(), path)
    }

    /// A small valid world to break in one place per test.
    fn mini() -> serde_json::Value {
        serde_json::json!({
            "regions": [ { "id": "cn-hangzhou", "zones": ["cn-hangzhou-h", "cn-hangzhou-i"] } ],
            "vpcs": [ { "id": "vpc-bp1a", "region": "cn-hangzhou", "cidr_block": "192.168.0.0/16" } ],
            "vswitches": [
                { "id": "vsw-bp1a", "vpc_id": "vpc-bp1a", "zone_id": "cn-hangzhou-h", "cidr_block": "192.168.1.0/24" },
                { "id": "vsw-bp1b", "vpc_id": "vpc-bp1a", "zone_id": "cn-hangzhou-i", "cidr_block": "192.168.2.0/24" }
            ],
            "security_groups": [ { "id": "sg-bp1a", "vpc_id": "vpc-bp1a", "security_group_type": "normal" } ],
            "instances": [ {
                "id": "i-bp1a", "name": "web-1", "region": "cn-hangzhou", "zone_id": "cn-hangzhou-h",
                "instance_type": "ecs.g7.xlarge", "status": "Running", "vswitch_id": "vsw-bp1a",
                "private_ip": "192.168.1.10", "security_group_ids": ["sg-bp1a"]
            } ]
        })
    }

    fn check(v: serde_json::Value) -> Result<World, WorldError> {
        World::from_json(&v.to_string(), "test.json")
    }

    fn err_of(v: serde_json::Value) -> String {
        check(v).unwrap_err().to_string()
    }

    #[test]
    fn mini_world_is_valid() {
        let w = check(mini()).unwrap();
        assert_eq!(w.profile, ProfileName::Current);
        assert_eq!(w.instances[0].network_type, "vpc");
        assert_eq!(w.instances[0].primary_eni_id().unwrap(), "eni-bp1a");
        assert_eq!(w.region_of_vswitch("vsw-bp1b"), Some("cn-hangzhou"));
    }

    #[test]
    fn every_fixture_validates() {
        let dir = format!("{}/fixtures/worlds", env!("CARGO_MANIFEST_DIR"));
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) == Some("json") {
                World::load(&path).unwrap_or_else(|e| panic!("{e}"));
                n += 1;
            }
        }
        assert!(n >= 3, "default, full and profile-2021 fixtures");
    }

    #[test]
    fn full_fixture_exercises_every_section() {
        let (text, origin) = fixture("full.json");
        let w = World::from_json(&text, &origin).unwrap();
        assert!(!w.limits.is_empty());
        assert!(!w.faults.rates.is_empty() && !w.faults.async_ms.is_empty());
        assert!(w.faults.latency_ms > 0);
        for empty in [
            w.vpcs.is_empty(),
            w.vswitches.is_empty(),
            w.security_groups.is_empty(),
            w.instances.is_empty(),
            w.nat_gateways.is_empty(),
            w.havips.is_empty(),
            w.slbs.is_empty(),
        ] {
            assert!(!empty);
        }
        // A row added by the overrides is usable by instances.
        let l = w.limits().unwrap();
        let added = &w.limits.instance_types[0];
        assert!(
            Limits::profile(w.profile)
                .instance_type(&added.id)
                .is_none()
        );
        assert_eq!(l.instance_type(&added.id), Some(added));
        assert!(w.instances.iter().any(|i| i.instance_type == added.id));
    }

    #[test]
    fn profile_2021_fixture_uses_seed_era_limits() {
        let (text, origin) = fixture("profile-2021.json");
        let w = World::from_json(&text, &origin).unwrap();
        assert_eq!(w.profile, ProfileName::Y2021);
        let l = w.limits().unwrap();
        assert_eq!(l.available_eni_secondary_ipv4.value, 10);
        assert!(!l.nat_mode_eip_on_primary_eni.value);
        assert!(!w.limits.is_empty(), "shows at least one override");
    }

    #[test]
    fn builtin_world_has_what_world_md_lists() {
        let w = World::builtin();
        let l = w.limits().unwrap();
        assert_eq!(w.origin, BUILTIN_ORIGIN);
        assert_eq!(w.profile, ProfileName::Current);
        for region in ["cn-hangzhou", "cn-beijing"] {
            let r = w.region(region).unwrap();
            assert!(r.zones.len() >= 2);
            assert!(w.vpcs.iter().any(|v| v.region == region));
            for kind in ["normal", "enterprise"] {
                assert!(
                    w.security_groups
                        .iter()
                        .any(|sg| sg.security_group_type == kind
                            && w.vpc(&sg.vpc_id).unwrap().region == region),
                    "{region} {kind}"
                );
            }
        }
        assert!(w.vswitches.iter().any(|v| v.ipv6_cidr_block.is_some()));
        assert!(
            w.vswitches.iter().any(|v| v.usable_ipv4_count() <= 4),
            "a vSwitch small enough to run out"
        );
        for status in ["Running", "Stopped", "Starting", "Pending"] {
            assert!(w.instances.iter().any(|i| i.status == status), "{status}");
        }
        let types: HashSet<_> = w.instances.iter().map(|i| &i.instance_type).collect();
        assert!(types.len() >= 4, "several instance types");
        let t6 = w.instance_by_name("t6-stopped").unwrap();
        assert_eq!(t6.instance_type, "ecs.t6-c1m2.large");
        assert_eq!(t6.status, "Stopped");
        assert!(
            l.instance_type(&t6.instance_type)
                .unwrap()
                .stopped_only_attach
        );
        assert!(
            w.instances
                .iter()
                .any(|i| !l.instance_type(&i.instance_type).unwrap().supports_ipv6())
        );
        assert!(w.instances.iter().any(|i| i.public_ip.is_some()));
        assert!(w.instance_by_name("legacy-classic").unwrap().is_classic());
        let nat_target = w.instance_by_name("nat-target").unwrap();
        assert!(w.is_dnat_target(nat_target.private_ip.as_deref().unwrap()));
        assert!(w.havips.iter().any(|h| h.status == "Available"));
        assert!(w.slbs.iter().any(|s| s.address_type == "intranet"));
        assert!(w.slbs.iter().any(|s| s.address_type == "internet"));

        // What the quickstart relies on.
        let web1 = w.instance_by_name("web-1").unwrap();
        assert_eq!(web1.instance_type, "ecs.g7.xlarge");
        assert_eq!(web1.status, "Running");
        assert_eq!(web1.zone_id, "cn-hangzhou-h");
        let vsw = w.vswitch(web1.vswitch_id.as_deref().unwrap()).unwrap();
        assert_eq!(vsw.cidr_block, "192.168.1.0/24");
        assert!(vsw.ipv6_cidr_block.is_some());
        let sg = w.security_group(&web1.security_group_ids[0]).unwrap();
        assert_eq!(sg.security_group_type, "normal");
        let web2 = w.instance_by_name("web-2").unwrap();
        assert_eq!(
            (web2.instance_type.as_str(), web2.status.as_str()),
            ("ecs.g6.xlarge", "Running")
        );
        assert!(web2.public_ip.is_none());
        assert!(!w.is_dnat_target(web2.private_ip.as_deref().unwrap()));
    }

    #[test]
    fn builtin_ids_look_like_alibabas() {
        let w = World::builtin();
        for i in &w.instances {
            let want = if i.region == "cn-beijing" {
                "i-2ze"
            } else {
                "i-bp1"
            };
            assert!(i.id.starts_with(want), "{}", i.id);
        }
        for v in &w.vswitches {
            assert!(v.id.starts_with("vsw-bp1") || v.id.starts_with("vsw-2ze"));
        }
    }

    #[test]
    fn dangling_vswitch_is_named() {
        let mut v = mini();
        v["instances"][0]["vswitch_id"] = "vsw-nope".into();
        let e = err_of(v);
        assert!(e.contains("test.json"), "{e}");
        assert!(e.contains("instances[0].vswitch_id"), "{e}");
        assert!(e.contains("vsw-nope does not exist"), "{e}");
    }

    #[test]
    fn dangling_vpc_and_security_group_are_named() {
        let mut v = mini();
        v["vswitches"][1]["vpc_id"] = "vpc-gone".into();
        v["instances"][0]["security_group_ids"] = serde_json::json!(["sg-gone"]);
        let e = check(v).unwrap_err();
        let paths: Vec<_> = e.problems().iter().map(|p| p.path.as_str()).collect();
        assert!(paths.contains(&"vswitches[1].vpc_id"), "{e}");
        assert!(paths.contains(&"instances[0].security_group_ids[0]"), "{e}");
    }

    #[test]
    fn zone_outside_region_is_refused() {
        let mut v = mini();
        v["vswitches"][1]["zone_id"] = "cn-beijing-h".into();
        let e = err_of(v);
        assert!(e.contains("vswitches[1].zone_id"), "{e}");
        assert!(
            e.contains("cn-beijing-h is not a zone of cn-hangzhou"),
            "{e}"
        );
    }

    #[test]
    fn overlapping_vswitch_cidrs_are_refused() {
        let mut v = mini();
        v["vswitches"][1]["cidr_block"] = "192.168.1.128/25".into();
        let e = err_of(v);
        assert!(e.contains("vswitches[1].cidr_block"), "{e}");
        assert!(e.contains("overlaps 192.168.1.0/24"), "{e}");
    }

    #[test]
    fn vswitch_outside_vpc_is_refused() {
        let mut v = mini();
        v["vswitches"][1]["cidr_block"] = "10.0.0.0/24".into();
        let e = err_of(v);
        assert!(e.contains("is not inside its VPC's 192.168.0.0/16"), "{e}");
    }

    #[test]
    fn instance_ip_outside_or_reserved_is_refused() {
        let mut v = mini();
        v["instances"][0]["private_ip"] = "192.168.2.10".into();
        assert!(err_of(v).contains("is not inside its vSwitch vsw-bp1a"));
        let mut v = mini();
        v["instances"][0]["private_ip"] = "192.168.1.253".into();
        assert!(err_of(v).contains("reserved"));
    }

    #[test]
    fn duplicate_ids_and_addresses_are_refused() {
        let mut v = mini();
        let mut second = v["instances"][0].clone();
        second["name"] = "web-9".into();
        v["instances"].as_array_mut().unwrap().push(second);
        let e = err_of(v);
        assert!(
            e.contains("instances[1].id: id i-bp1a is already used at instances[0]"),
            "{e}"
        );
        assert!(
            e.contains("192.168.1.10 is already used in vsw-bp1a"),
            "{e}"
        );
    }

    #[test]
    fn vpc_instance_needs_vswitch_and_classic_must_not_have_one() {
        let mut v = mini();
        v["instances"][0]
            .as_object_mut()
            .unwrap()
            .remove("vswitch_id");
        assert!(err_of(v).contains("has no vswitch_id"));
        let mut v = mini();
        v["instances"][0]["network_type"] = "classic".into();
        let e = err_of(v);
        assert!(
            e.contains("classic-network instance i-bp1a cannot have a vswitch_id"),
            "{e}"
        );
    }

    #[test]
    fn unknown_instance_type_and_bad_status_are_refused() {
        let mut v = mini();
        v["instances"][0]["instance_type"] = "ecs.g99.large".into();
        v["instances"][0]["status"] = "running".into();
        let e = err_of(v);
        assert!(
            e.contains("instance type ecs.g99.large is not in the limits table"),
            "{e}"
        );
        assert!(e.contains("\"running\" is not an instance status"), "{e}");
        // An override row makes the type known.
        let mut v = mini();
        v["instances"][0]["instance_type"] = "ecs.g99.large".into();
        v["limits"] = serde_json::json!({ "instance_types": [ { "id": "ecs.g99.large",
            "eni_quantity": 2, "eni_private_ip_address_quantity": 2,
            "eni_ipv6_address_quantity": 0, "stopped_only_attach": false } ] });
        check(v).unwrap();
    }

    #[test]
    fn unknown_key_is_a_parse_error_with_line() {
        let text = "{\n  \"regions\": [],\n  \"vpcz\": []\n}";
        let e = World::from_json(text, "w.json").unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, WorldError::Parse { line: 3, .. }), "{msg}");
        assert!(msg.starts_with("w.json:3:"), "{msg}");
        assert!(msg.contains("unknown field `vpcz`"), "{msg}");
        assert!(msg.contains("fixtures/worlds/full.json"), "{msg}");
        let mut v = mini();
        v["instances"][0]["colour"] = "blue".into();
        assert!(err_of(v).contains("unknown field `colour`"));
        let mut v = mini();
        v["limits"] = serde_json::json!({ "max_ips": 3 });
        assert!(err_of(v).contains("unknown field `max_ips`"));
    }

    #[test]
    fn bad_profile_is_refused() {
        let mut v = mini();
        v["profile"] = "2020".into();
        let e = err_of(v);
        assert!(e.contains("unknown variant `2020`"), "{e}");
        assert!(e.contains("current") && e.contains("2021"), "{e}");
    }

    #[test]
    fn bad_override_value_is_refused() {
        let mut v = mini();
        v["limits"] = serde_json::json!({ "ips_per_assign_call": 0 });
        let e = err_of(v);
        assert!(e.contains("limits.ips_per_assign_call"), "{e}");
    }

    #[test]
    fn overrides_change_world_limits() {
        let mut v = mini();
        v["profile"] = "2021".into();
        v["limits"] = serde_json::json!({ "available_eni_secondary_ipv4": 30 });
        let l = check(v).unwrap().limits().unwrap();
        assert_eq!(l.available_eni_secondary_ipv4.value, 30);
        assert_eq!(l.basic_sg_private_ips.value, 2000);
    }

    #[test]
    fn faults_are_checked() {
        let f = Faults::from_json(
            r#"{ "rates": { "AttachNetworkInterface": { "throttling": 0.5 } },
                 "latency_ms": 3, "async_ms": { "Attaching": 20 } }"#,
            "NETFORM_SIM_FAULTS",
        )
        .unwrap();
        assert_eq!(f.async_duration_ms("Attaching"), 20);
        assert_eq!(f.async_duration_ms("Detaching"), 0);
        assert_eq!(f.rates_for("AttachNetworkInterface").throttling, 0.5);
        assert_eq!(f.rates_for("Other").throttling, 0.0);
        let e = Faults::from_json(
            r#"{ "rates": { "*": { "throttling": 0.8, "internal_error": 0.5 } }, "async_ms": { "Attached": 1 } }"#,
            "NETFORM_SIM_FAULTS",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("add up to"), "{e}");
        assert!(e.contains("\"Attached\" is not an async state"), "{e}");
    }

    #[test]
    fn reserved_and_capacity_helpers() {
        let w = World::builtin();
        let vsw = w
            .vswitches
            .iter()
            .find(|v| v.cidr_block == "192.168.1.0/24")
            .unwrap();
        assert!(vsw.is_reserved_ipv4("192.168.1.0".parse().unwrap()));
        assert!(vsw.is_reserved_ipv4("192.168.1.253".parse().unwrap()));
        assert!(!vsw.is_reserved_ipv4("192.168.1.252".parse().unwrap()));
        assert_eq!(vsw.usable_ipv4_count(), 252);
        let net = vsw.ipv6_net().unwrap();
        assert!(vsw.is_reserved_ipv6(net.network()));
        assert!(vsw.is_reserved_ipv6(net.broadcast()));
        assert!(!vsw.is_reserved_ipv6(Ipv6Addr::from(u128::from(net.network()) + 1)));
        assert!(!w.used_ips_in_vswitch(&vsw.id).is_empty());
    }
}
