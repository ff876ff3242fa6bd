//! `netform sim capture`: reads an account through the client — typed calls of the wire model,
//! every list paged to its end — into a simulator [`World`], so a pipeline can dry-run against a
//! faithful copy of production (or of any endpoint that speaks Alibaba's API, `sim serve`
//! included).
//!
//! Per region of the configuration's provider blocks: the region itself (DescribeRegions) and its
//! zones (DescribeZones), VPCs, vSwitches, security groups, instances (type, state, primary ENI —
//! the `NetworkInterfaces` entry with `Type = Primary` — private and public IPs), NAT gateways with
//! their DNAT targets (the `InternalIp` of DescribeForwardTableEntries over each gateway's forward
//! tables), HAVIPs and SLBs; then the instance-type limits of the types in use
//! (DescribeInstanceTypes). The result is validated as a world file would be before it is
//! returned.
//!
//! What no API answers is left at its default, or taken from the limits the provider was
//! assembled with:
//! - `seed` stays 0: it only seeds ids and addresses the simulator invents later.
//! - `faults` stay empty: fault injection is a test setting, not a property of the account.
//! - `profile` and the scalar `limits` (per-ENI IP caps, security-group and NAT quotas, …) come
//!   from the provider's limits (`limits_profile`, `limits = { … }`): only values that differ
//!   from the profile are written. No API reports them.
//! - Instance-type rows carry DescribeInstanceTypes' numbers; `stopped_only_attach` (attach only
//!   while Stopped) is not in the API and comes from netform's table; `verified` is true and
//!   `source` names DescribeInstanceTypes.
//! - A classic-network instance keeps no security groups (a world gives classic instances none)
//!   and its private IP only where the answer carries one in `VpcAttributes` (the wire model has
//!   no `InnerIpAddress`).
//! - An instance's `public_ip` is its `PublicIpAddress`; an EIP bound to it is not part of a world.

use std::collections::BTreeSet;

use crate::limits::{InstanceType, LimitOverrides, Limits};
use crate::provider::api::Client;
use crate::provider::configure::instance_type_row;
use crate::provider::sim::world::{self, World, WorldError};
use crate::provider::wire::{Request, ecs, slb, vpc};
use crate::provider::{ApiError, Clouds};

/// What `source` says of a captured instance-type row.
pub const TYPE_SOURCE: &str = "DescribeInstanceTypes (netform sim capture)";

/// How many ids DescribeInstanceTypes takes in `InstanceTypes.N`.
const TYPES_PER_CALL: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{action} in {region} failed: {source}")]
    Api {
        action: &'static str,
        region: String,
        source: Box<ApiError>,
    },
    #[error("{region} is not a region of this account; DescribeRegions lists: {listed}")]
    UnknownRegion { region: String, listed: String },
    #[error("the captured account is not a valid world: {0}")]
    Invalid(#[from] WorldError),
}

/// Names the action and region of a failed call.
trait Context<T> {
    fn during(self, action: &'static str, region: &str) -> Result<T, CaptureError>;
}

impl<T> Context<T> for Result<T, ApiError> {
    fn during(self, action: &'static str, region: &str) -> Result<T, CaptureError> {
        self.map_err(|source| CaptureError::Api {
            action,
            region: region.to_string(),
            source: Box::new(source),
        })
    }
}

/// Reads every region of `clouds` (each once, in the order of the provider blocks) into a world.
pub fn capture(clouds: &Clouds) -> Result<World, CaptureError> {
    let mut w = World {
        seed: 0,
        profile: clouds.limits.profile,
        limits: LimitOverrides::default(),
        regions: Vec::new(),
        vpcs: Vec::new(),
        vswitches: Vec::new(),
        security_groups: Vec::new(),
        instances: Vec::new(),
        nat_gateways: Vec::new(),
        havips: Vec::new(),
        slbs: Vec::new(),
        faults: world::Faults::default(),
        origin: "captured world".to_string(),
    };
    let mut seen = BTreeSet::new();
    let mut first = None;
    for (alias, region) in &clouds.regions {
        if !seen.insert(region.clone()) {
            continue;
        }
        let client = clouds.client(alias.as_deref());
        capture_region(&client, region, &mut w)?;
        first.get_or_insert(alias.clone());
    }
    let mut limits = scalar_overrides(&clouds.limits);
    if let Some(alias) = first {
        let client = clouds.client(alias.as_deref());
        limits.instance_types = instance_types(&client, &clouds.limits, &w.instances)?;
    }
    w.limits = limits;
    w.validate()?;
    Ok(w)
}

/// One region's share of the world, appended to `w`.
fn capture_region(c: &Client, region: &str, w: &mut World) -> Result<(), CaptureError> {
    let listed = c
        .send(&ecs::DescribeRegions::default())
        .during(ecs::DescribeRegions::ACTION, region)?
        .regions
        .items;
    if !listed.iter().any(|r| r.region_id == region) {
        return Err(CaptureError::UnknownRegion {
            region: region.to_string(),
            listed: listed
                .iter()
                .map(|r| r.region_id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let zones = c
        .send(&ecs::DescribeZones::default())
        .during(ecs::DescribeZones::ACTION, region)?
        .zones
        .items;
    let vpcs = c
        .list_all(&vpc::DescribeVpcs::default())
        .during(vpc::DescribeVpcs::ACTION, region)?;
    let vswitches = c
        .list_all(&vpc::DescribeVSwitches::default())
        .during(vpc::DescribeVSwitches::ACTION, region)?;
    let groups = c
        .list_all_tokens(&ecs::DescribeSecurityGroups::default())
        .during(ecs::DescribeSecurityGroups::ACTION, region)?;
    let instances = c
        .list_all_tokens(&ecs::DescribeInstances::default())
        .during(ecs::DescribeInstances::ACTION, region)?;
    let havips = c
        .list_all(&vpc::DescribeHaVips::default())
        .during(vpc::DescribeHaVips::ACTION, region)?;
    let slbs = c
        .list_all(&slb::DescribeLoadBalancers::default())
        .during(slb::DescribeLoadBalancers::ACTION, region)?;
    w.nat_gateways.extend(nat_gateways(c, region)?);

    w.vpcs.extend(vpcs.into_iter().map(|v| vpc_of(v, region)));
    w.vswitches.extend(vswitches.into_iter().map(vswitch_of));
    w.security_groups
        .extend(groups.into_iter().map(security_group_of));
    w.instances
        .extend(instances.into_iter().map(|i| instance_of(i, region)));
    w.havips.extend(havips.into_iter().map(havip_of));
    w.slbs.extend(slbs.into_iter().map(|s| slb_of(s, region)));
    w.regions.push(region_of(region, zones, w));
    Ok(())
}

/// A region with the zones DescribeZones lists, in its order, then any zone the captured
/// vSwitches and instances use that it did not list (a world must name every zone it uses).
fn region_of(region: &str, zones: Vec<ecs::Zone>, w: &World) -> world::Region {
    let mut out: Vec<String> = zones.into_iter().map(|z| z.zone_id).collect();
    let used: BTreeSet<&str> = w
        .vswitches
        .iter()
        .filter(|v| w.vpc(&v.vpc_id).is_some_and(|p| p.region == region))
        .map(|v| v.zone_id.as_str())
        .chain(
            w.instances
                .iter()
                .filter(|i| i.region == region)
                .map(|i| i.zone_id.as_str()),
        )
        .collect();
    for z in used {
        if !out.iter().any(|x| x == z) {
            out.push(z.to_string());
        }
    }
    world::Region {
        id: region.to_string(),
        zones: out,
    }
}

/// NAT gateways with the private IPs their DNAT entries forward to.
fn nat_gateways(c: &Client, region: &str) -> Result<Vec<world::NatGateway>, CaptureError> {
    let gateways = c
        .list_all(&vpc::DescribeNatGateways::default())
        .during(vpc::DescribeNatGateways::ACTION, region)?;
    let mut out = Vec::new();
    for g in gateways {
        let mut dnat = BTreeSet::new();
        for table in &g.forward_table_ids.items {
            let req = vpc::DescribeForwardTableEntries {
                forward_table_id: Some(table.clone()),
                ..Default::default()
            };
            let entries = c
                .list_all(&req)
                .during(vpc::DescribeForwardTableEntries::ACTION, region)?;
            dnat.extend(
                entries
                    .into_iter()
                    .map(|e| e.internal_ip)
                    .filter(|ip| !ip.is_empty()),
            );
        }
        out.push(world::NatGateway {
            id: g.nat_gateway_id,
            region: region.to_string(),
            vpc_id: g.vpc_id,
            dnat_ips: dnat.into_iter().collect(),
        });
    }
    Ok(out)
}

/// The instance-type rows of the types `instances` use, as DescribeInstanceTypes reports them.
fn instance_types(
    c: &Client,
    limits: &Limits,
    instances: &[world::Instance],
) -> Result<Vec<InstanceType>, CaptureError> {
    let in_use: Vec<String> = instances
        .iter()
        .map(|i| i.instance_type.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut rows = Vec::new();
    for chunk in in_use.chunks(TYPES_PER_CALL) {
        let req = ecs::DescribeInstanceTypes {
            instance_types: chunk.to_vec(),
            ..Default::default()
        };
        let found = c
            .list_all_tokens(&req)
            .during(ecs::DescribeInstanceTypes::ACTION, &c.region)?;
        // Filtered again here: an endpoint that ignores the filter answers every type.
        for t in found {
            if chunk.contains(&t.instance_type_id)
                && !rows
                    .iter()
                    .any(|r: &InstanceType| r.id == t.instance_type_id)
                && let Some(row) = instance_type_row(&t, limits, TYPE_SOURCE)
            {
                rows.push(row);
            }
        }
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(rows)
}

/// The scalar limits that differ from their profile, as overrides (the instance-type rows are
/// filled separately).
fn scalar_overrides(l: &Limits) -> LimitOverrides {
    let base = Limits::profile(l.profile);
    fn differ<T: PartialEq + Clone>(have: &T, base: &T) -> Option<T> {
        (have != base).then(|| have.clone())
    }
    LimitOverrides {
        available_eni_secondary_ipv4: differ(
            &l.available_eni_secondary_ipv4.value,
            &base.available_eni_secondary_ipv4.value,
        ),
        ips_per_assign_call: differ(
            &l.ips_per_assign_call.value,
            &base.ips_per_assign_call.value,
        ),
        available_eni_ipv6: differ(&l.available_eni_ipv6.value, &base.available_eni_ipv6.value),
        basic_sg_private_ips: differ(
            &l.basic_sg_private_ips.value,
            &base.basic_sg_private_ips.value,
        ),
        enterprise_sg_enis: differ(&l.enterprise_sg_enis.value, &base.enterprise_sg_enis.value),
        nat_gateway_eips: differ(&l.nat_gateway_eips.value, &base.nat_gateway_eips.value),
        nat_gateway_paybytraffic_eips: differ(
            &l.nat_gateway_paybytraffic_eips.value,
            &base.nat_gateway_paybytraffic_eips.value,
        ),
        multi_binded_eips_per_eni: differ(
            &l.multi_binded_eips_per_eni.value,
            &base.multi_binded_eips_per_eni.value,
        ),
        nat_mode_eip_on_primary_eni: differ(
            &l.nat_mode_eip_on_primary_eni.value,
            &base.nat_mode_eip_on_primary_eni.value,
        ),
        ip_address_eip_target: differ(
            &l.ip_address_eip_target.value,
            &base.ip_address_eip_target.value,
        ),
        instance_types: Vec::new(),
    }
}

/// An empty answer field is an absent value in a world.
fn some(s: String) -> Option<String> {
    Some(s).filter(|s| !s.is_empty())
}

fn vpc_of(v: vpc::Vpc, region: &str) -> world::Vpc {
    world::Vpc {
        id: v.vpc_id,
        region: region.to_string(),
        cidr_block: v.cidr_block,
        ipv6_cidr_block: some(v.ipv6_cidr_block),
    }
}

fn vswitch_of(v: vpc::VSwitch) -> world::VSwitch {
    world::VSwitch {
        id: v.v_switch_id,
        vpc_id: v.vpc_id,
        zone_id: v.zone_id,
        cidr_block: v.cidr_block,
        ipv6_cidr_block: some(v.ipv6_cidr_block),
    }
}

fn security_group_of(g: ecs::SecurityGroup) -> world::SecurityGroup {
    world::SecurityGroup {
        id: g.security_group_id,
        vpc_id: g.vpc_id,
        security_group_type: g.security_group_type,
    }
}

fn instance_of(i: ecs::Instance, region: &str) -> world::Instance {
    let primary = i.primary_eni().map(|n| n.network_interface_id.clone());
    let network_type = some(i.instance_network_type).unwrap_or_else(|| "vpc".to_string());
    let classic = network_type == "classic";
    world::Instance {
        id: i.instance_id,
        name: i.instance_name,
        region: region.to_string(),
        zone_id: i.zone_id,
        instance_type: i.instance_type,
        status: i.status,
        vpc_id: some(i.vpc_attributes.vpc_id).filter(|_| !classic),
        vswitch_id: some(i.vpc_attributes.v_switch_id).filter(|_| !classic),
        // A VPC instance's address is under VpcAttributes; a classic one's is InnerIpAddress.
        private_ip: if classic {
            i.inner_ip_address.items.into_iter().next()
        } else {
            i.vpc_attributes.private_ip_address.items.into_iter().next()
        },
        public_ip: i.public_ip_address.items.into_iter().next(),
        primary_network_interface_id: primary.filter(|_| !classic),
        security_group_ids: if classic {
            Vec::new()
        } else {
            i.security_group_ids.items
        },
        network_type,
    }
}

fn havip_of(h: vpc::HaVip) -> world::HaVip {
    world::HaVip {
        id: h.ha_vip_id,
        vswitch_id: h.v_switch_id,
        ip_address: h.ip_address,
        status: h.status,
    }
}

fn slb_of(s: slb::LoadBalancer, region: &str) -> world::Slb {
    world::Slb {
        id: s.load_balancer_id,
        region: region.to_string(),
        address_type: s.address_type,
        vswitch_id: some(s.v_switch_id),
        address: s.address,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, VecDeque};
    use std::sync::{Arc, Mutex};

    use serde_json::{Value as J, json};

    use super::*;
    use crate::provider::api::Timing;
    use crate::provider::wire::Product;
    use crate::provider::{Params, Transport};

    /// Serves canned answers (wire structs, serialized) per action in order, after parsing each
    /// request with the action's wire type, so a request the model would refuse fails here too.
    #[derive(Default)]
    struct Fake {
        answers: Mutex<BTreeMap<&'static str, VecDeque<J>>>,
        calls: Mutex<Vec<(Product, String, Params)>>,
    }

    fn parses<R: Request>(product: Product, p: &Params) -> Result<(), ApiError> {
        assert_eq!(product, R::PRODUCT, "{} goes to its product", R::ACTION);
        R::from_params(p).map(|_| ())
    }

    impl Fake {
        fn answer<T: serde::Serialize>(&self, action: &'static str, body: T) -> &Self {
            let j = serde_json::to_value(body).expect("wire structs serialize");
            if let Ok(mut a) = self.answers.lock() {
                a.entry(action).or_default().push_back(j);
            }
            self
        }

        fn calls(&self, action: &str) -> Vec<Params> {
            let calls = self.calls.lock().expect("calls");
            calls
                .iter()
                .filter(|(_, a, _)| a == action)
                .map(|(_, _, p)| p.clone())
                .collect()
        }
    }

    impl Transport for Fake {
        fn call(&self, product: Product, action: &str, p: &Params) -> Result<J, ApiError> {
            match action {
                "DescribeRegions" => parses::<ecs::DescribeRegions>(product, p)?,
                "DescribeZones" => parses::<ecs::DescribeZones>(product, p)?,
                "DescribeSecurityGroups" => parses::<ecs::DescribeSecurityGroups>(product, p)?,
                "DescribeInstances" => parses::<ecs::DescribeInstances>(product, p)?,
                "DescribeInstanceTypes" => parses::<ecs::DescribeInstanceTypes>(product, p)?,
                "DescribeVpcs" => parses::<vpc::DescribeVpcs>(product, p)?,
                "DescribeVSwitches" => parses::<vpc::DescribeVSwitches>(product, p)?,
                "DescribeNatGateways" => parses::<vpc::DescribeNatGateways>(product, p)?,
                "DescribeForwardTableEntries" => {
                    parses::<vpc::DescribeForwardTableEntries>(product, p)?
                }
                "DescribeHaVips" => parses::<vpc::DescribeHaVips>(product, p)?,
                "DescribeLoadBalancers" => parses::<slb::DescribeLoadBalancers>(product, p)?,
                other => panic!("capture called {other}"),
            }
            if let Ok(mut c) = self.calls.lock() {
                c.push((product, action.to_string(), p.clone()));
            }
            let next = self
                .answers
                .lock()
                .ok()
                .and_then(|mut a| a.get_mut(action).and_then(VecDeque::pop_front));
            next.ok_or_else(|| ApiError::new(500, "Fake.NoAnswer", action.to_string()))
        }
    }

    fn clouds(fake: Arc<Fake>, regions: &[(Option<&str>, &str)]) -> Clouds {
        Clouds {
            transport: fake,
            per_alias: Default::default(),
            regions: regions
                .iter()
                .map(|(a, r)| (a.map(str::to_string), r.to_string()))
                .collect(),
            timing: Timing::simulator(),
            sim: None,
            limits: Limits::profile(crate::limits::ProfileName::Current),
        }
    }

    const VPC: &str = "vpc-uf6main0000000000";

    fn eni(id: &str, ty: &str) -> ecs::InstanceNetworkInterface {
        ecs::InstanceNetworkInterface {
            network_interface_id: id.into(),
            r#type: ty.into(),
            ..Default::default()
        }
    }

    fn instance(
        id: &str,
        name: &str,
        ty: &str,
        status: &str,
        vsw: &str,
        ip: &str,
    ) -> ecs::Instance {
        ecs::Instance {
            instance_id: id.into(),
            instance_name: name.into(),
            instance_type: ty.into(),
            status: status.into(),
            zone_id: "cn-shanghai-e".into(),
            instance_network_type: "vpc".into(),
            vpc_attributes: ecs::VpcAttributes {
                vpc_id: VPC.into(),
                v_switch_id: vsw.into(),
                private_ip_address: vec![ip.to_string()].into(),
            },
            security_group_ids: vec!["sg-uf6basic00000000000".to_string()].into(),
            network_interfaces: vec![eni(&format!("eni-{name}"), "Primary")].into(),
            ..Default::default()
        }
    }

    /// A region with 51 vSwitches (two pages of DescribeVSwitches), instances over two
    /// NextToken pages, a NAT gateway with two forward tables, a HAVIP and two SLBs.
    fn account(fake: &Fake) {
        fake.answer(
            "DescribeRegions",
            ecs::DescribeRegionsResponse {
                regions: vec![ecs::Region {
                    region_id: "cn-shanghai".into(),
                    ..Default::default()
                }]
                .into(),
                ..Default::default()
            },
        );
        let zone = |z: &str| ecs::Zone {
            zone_id: z.into(),
            ..Default::default()
        };
        fake.answer(
            "DescribeZones",
            ecs::DescribeZonesResponse {
                zones: vec![zone("cn-shanghai-e")].into(),
                ..Default::default()
            },
        );
        fake.answer(
            "DescribeVpcs",
            vpc::DescribeVpcsResponse {
                vpcs: vec![vpc::Vpc {
                    vpc_id: VPC.into(),
                    cidr_block: "10.0.0.0/16".into(),
                    ipv6_cidr_block: "2408:4006:1000:2200::/56".into(),
                    ..Default::default()
                }]
                .into(),
                total_count: 1,
                ..Default::default()
            },
        );
        let vsw = |i: u32| vpc::VSwitch {
            v_switch_id: format!("vsw-uf6n{i:016}"),
            vpc_id: VPC.into(),
            // The last one is in a zone DescribeZones did not list.
            zone_id: if i == 50 {
                "cn-shanghai-f"
            } else {
                "cn-shanghai-e"
            }
            .into(),
            cidr_block: format!("10.0.{i}.0/24"),
            ..Default::default()
        };
        fake.answer(
            "DescribeVSwitches",
            vpc::DescribeVSwitchesResponse {
                v_switches: (0..50).map(vsw).collect::<Vec<_>>().into(),
                total_count: 51,
                ..Default::default()
            },
        )
        .answer(
            "DescribeVSwitches",
            vpc::DescribeVSwitchesResponse {
                v_switches: vec![vsw(50)].into(),
                total_count: 51,
                ..Default::default()
            },
        );
        fake.answer(
            "DescribeSecurityGroups",
            ecs::DescribeSecurityGroupsResponse {
                security_groups: vec![ecs::SecurityGroup {
                    security_group_id: "sg-uf6basic00000000000".into(),
                    vpc_id: VPC.into(),
                    security_group_type: "normal".into(),
                    ..Default::default()
                }]
                .into(),
                ..Default::default()
            },
        );
        instances(fake);
        nat(fake);
        balancers_and_types(fake);
    }

    fn balancers_and_types(fake: &Fake) {
        fake.answer(
            "DescribeHaVips",
            vpc::DescribeHaVipsResponse {
                ha_vips: vec![vpc::HaVip {
                    ha_vip_id: "havip-uf6one0000000000".into(),
                    v_switch_id: "vsw-uf6n0000000000000001".into(),
                    ip_address: "10.0.1.100".into(),
                    status: "Available".into(),
                    ..Default::default()
                }]
                .into(),
                total_count: 1,
                ..Default::default()
            },
        );
        let lb = |id: &str, ty: &str, vsw: &str, addr: &str| slb::LoadBalancer {
            load_balancer_id: id.into(),
            address_type: ty.into(),
            v_switch_id: vsw.into(),
            address: addr.into(),
            ..Default::default()
        };
        fake.answer(
            "DescribeLoadBalancers",
            slb::DescribeLoadBalancersResponse {
                load_balancers: vec![
                    lb(
                        "lb-uf6in",
                        "intranet",
                        "vsw-uf6n0000000000000001",
                        "10.0.1.200",
                    ),
                    lb("lb-uf6out", "internet", "", "106.14.1.30"),
                ]
                .into(),
                total_count: 2,
                ..Default::default()
            },
        );
        let ty = |id: &str, enis: u64, ips: u64, v6: u64| ecs::InstanceType {
            instance_type_id: id.into(),
            eni_quantity: enis,
            eni_private_ip_address_quantity: ips,
            eni_ipv6_address_quantity: v6,
            ..Default::default()
        };
        fake.answer(
            "DescribeInstanceTypes",
            ecs::DescribeInstanceTypesResponse {
                instance_types: vec![
                    ty("ecs.g8i.xlarge", 4, 15, 15),
                    ty("ecs.t6-c1m2.large", 2, 2, 0),
                    ty("ecs.unused.large", 9, 9, 9),
                ]
                .into(),
                ..Default::default()
            },
        );
    }

    fn instances(fake: &Fake) {
        let mut app = instance(
            "i-uf6app1",
            "app-1",
            "ecs.g8i.xlarge",
            "Running",
            "vsw-uf6n0000000000000001",
            "10.0.1.10",
        );
        app.public_ip_address = vec!["106.14.1.20".to_string()].into();
        // The primary ENI is the entry of type Primary, wherever it is listed.
        app.network_interfaces = vec![
            eni("eni-uf6second", "Secondary"),
            eni("eni-uf6app1", "Primary"),
        ]
        .into();
        fake.answer(
            "DescribeInstances",
            ecs::DescribeInstancesResponse {
                instances: vec![app].into(),
                next_token: "page-2".into(),
                ..Default::default()
            },
        );
        let stopped = instance(
            "i-uf6app2",
            "app-2",
            "ecs.t6-c1m2.large",
            "Stopped",
            "vsw-uf6n0000000000000002",
            "10.0.2.2",
        );
        let classic = ecs::Instance {
            instance_id: "i-uf6classic".into(),
            instance_name: "old".into(),
            instance_type: "ecs.g6.large".into(),
            status: "Running".into(),
            zone_id: "cn-shanghai-e".into(),
            instance_network_type: "classic".into(),
            security_group_ids: vec!["sg-classic".to_string()].into(),
            ..Default::default()
        };
        fake.answer(
            "DescribeInstances",
            ecs::DescribeInstancesResponse {
                instances: vec![stopped, classic].into(),
                ..Default::default()
            },
        );
    }

    fn nat(fake: &Fake) {
        fake.answer(
            "DescribeNatGateways",
            vpc::DescribeNatGatewaysResponse {
                nat_gateways: vec![vpc::NatGateway {
                    nat_gateway_id: "ngw-uf6one0000000000".into(),
                    vpc_id: VPC.into(),
                    forward_table_ids: vec!["ftb-1".to_string(), "ftb-2".to_string()].into(),
                    ..Default::default()
                }]
                .into(),
                total_count: 1,
                ..Default::default()
            },
        );
        let entry = |ip: &str| vpc::ForwardTableEntry {
            internal_ip: ip.into(),
            ..Default::default()
        };
        for ips in [vec!["10.0.2.2", "10.0.1.10"], vec!["10.0.2.2"]] {
            fake.answer(
                "DescribeForwardTableEntries",
                vpc::DescribeForwardTableEntriesResponse {
                    total_count: ips.len() as u64,
                    forward_table_entries: ips.into_iter().map(entry).collect::<Vec<_>>().into(),
                    ..Default::default()
                },
            );
        }
    }

    #[test]
    fn an_account_becomes_the_world_it_describes() {
        let fake = Arc::new(Fake::default());
        account(&fake);
        let w = capture(&clouds(fake.clone(), &[(None, "cn-shanghai")])).expect("captured");

        assert_eq!(w.regions.len(), 1);
        assert_eq!(w.regions[0].zones, ["cn-shanghai-e", "cn-shanghai-f"]);
        assert_eq!(w.vswitches.len(), 51, "both pages");
        assert_eq!(
            w.vpcs[0].ipv6_cidr_block.as_deref(),
            Some("2408:4006:1000:2200::/56")
        );
        assert_eq!(w.vswitches[0].ipv6_cidr_block, None);
        let app = w.instance("i-uf6app1").expect("app-1");
        assert_eq!(
            app.primary_network_interface_id.as_deref(),
            Some("eni-uf6app1")
        );
        assert_eq!(app.public_ip.as_deref(), Some("106.14.1.20"));
        assert_eq!(app.private_ip.as_deref(), Some("10.0.1.10"));
        assert_eq!(app.vpc_id.as_deref(), Some(VPC));
        let stopped = w.instance("i-uf6app2").expect("app-2 from the second page");
        assert_eq!(stopped.status, "Stopped");
        let classic = w.instance("i-uf6classic").expect("classic");
        assert!(classic.is_classic());
        assert!(classic.security_group_ids.is_empty() && classic.vswitch_id.is_none());
        assert_eq!(w.nat_gateways[0].dnat_ips, ["10.0.1.10", "10.0.2.2"]);
        assert_eq!(w.havips[0].status, "Available");
        assert_eq!(w.slbs[1].vswitch_id, None);
        assert_eq!(
            w.slbs[0].vswitch_id.as_deref(),
            Some("vsw-uf6n0000000000000001")
        );
        // Limits: the rows of the types in use, numbers from the API, the stopped-only flag
        // from netform's table; nothing else differs from the profile.
        let rows: Vec<(&str, u32, u32, u32, bool)> = w
            .limits
            .instance_types
            .iter()
            .map(|t| {
                (
                    t.id.as_str(),
                    t.eni_quantity,
                    t.eni_private_ip_address_quantity,
                    t.eni_ipv6_address_quantity,
                    t.stopped_only_attach,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("ecs.g8i.xlarge", 4, 15, 15, false),
                ("ecs.t6-c1m2.large", 2, 2, 0, true)
            ]
        );
        assert!(w.limits.available_eni_secondary_ipv4.is_none());
        assert_eq!(w.seed, 0);
        assert_eq!(w.faults, world::Faults::default());
        // What the world file holds validates as one.
        let text = serde_json::to_string_pretty(&w).expect("serializes");
        assert_eq!(
            World::from_json(&text, "captured")
                .map(|x| x.instances.len())
                .ok(),
            Some(3)
        );
    }

    #[test]
    fn lists_are_paged_and_filters_are_sent() {
        let fake = Arc::new(Fake::default());
        account(&fake);
        capture(&clouds(fake.clone(), &[(None, "cn-shanghai")])).expect("captured");
        let pages = fake.calls("DescribeVSwitches");
        let numbers: Vec<&str> = pages.iter().map(|p| p["PageNumber"].as_str()).collect();
        assert_eq!(numbers, ["1", "2"]);
        assert!(
            pages
                .iter()
                .all(|p| p["PageSize"] == "50" && p["RegionId"] == "cn-shanghai")
        );
        let pages = fake.calls("DescribeInstances");
        assert_eq!(pages.len(), 2);
        assert!(!pages[0].contains_key("NextToken"));
        assert_eq!(pages[1]["NextToken"], "page-2");
        let tables: Vec<String> = fake
            .calls("DescribeForwardTableEntries")
            .iter()
            .map(|p| p["ForwardTableId"].clone())
            .collect();
        assert_eq!(tables, ["ftb-1", "ftb-2"]);
        let types = &fake.calls("DescribeInstanceTypes")[0];
        let asked: Vec<&str> = types
            .iter()
            .filter(|(k, _)| k.starts_with("InstanceTypes."))
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(
            asked,
            ["ecs.g6.large", "ecs.g8i.xlarge", "ecs.t6-c1m2.large"]
        );
        assert!(
            !types.contains_key("RegionId"),
            "DescribeInstanceTypes is global"
        );
        assert!(!fake.calls("DescribeRegions")[0].contains_key("RegionId"));
    }

    #[test]
    fn a_region_the_account_does_not_have_and_a_failing_call_are_named() {
        let fake = Arc::new(Fake::default());
        account(&fake);
        let e = capture(&clouds(fake, &[(None, "cn-nowhere")])).expect_err("unknown region");
        assert_eq!(
            e.to_string(),
            "cn-nowhere is not a region of this account; DescribeRegions lists: cn-shanghai"
        );

        let fake = Arc::new(Fake::default());
        fake.answer(
            "DescribeRegions",
            json!({"Regions": {"Region": [{"RegionId": "cn-shanghai"}]}}),
        );
        let e = capture(&clouds(fake, &[(None, "cn-shanghai")])).expect_err("no zones answer");
        assert!(
            e.to_string()
                .starts_with("DescribeZones in cn-shanghai failed: Fake.NoAnswer"),
            "{e}"
        );
    }

    #[test]
    fn an_account_that_makes_no_valid_world_is_refused_with_the_problems() {
        let fake = Arc::new(Fake::default());
        account(&fake);
        // A HAVIP in a vSwitch the account did not list.
        if let Ok(mut a) = fake.answers.lock()
            && let Some(q) = a.get_mut("DescribeHaVips")
        {
            q[0]["HaVips"]["HaVip"][0]["VSwitchId"] = json!("vsw-elsewhere");
        }
        let e = capture(&clouds(fake, &[(None, "cn-shanghai")])).expect_err("dangling id");
        assert!(matches!(e, CaptureError::Invalid(_)), "{e}");
        assert!(e.to_string().contains("havips[0].vswitch_id"), "{e}");
    }

    #[test]
    fn scalar_limits_that_differ_from_the_profile_are_kept() {
        let base = Limits::profile(crate::limits::ProfileName::Current);
        assert_eq!(scalar_overrides(&base), LimitOverrides::default());
        let o = LimitOverrides {
            available_eni_secondary_ipv4: Some(30),
            nat_gateway_paybytraffic_eips: Some(Some(5)),
            ..Default::default()
        };
        let l = base.with_overrides(&o).expect("valid");
        assert_eq!(scalar_overrides(&l), o);
    }
}
