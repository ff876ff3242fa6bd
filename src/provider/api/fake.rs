//! A fake cloud for unit tests of the client side: it holds typed wire objects, answers with the
//! wire structs, pages like Alibaba (10 entries unless `PageSize`/`MaxResults` ask for more, up to
//! each action's maximum), refuses more ids than an action takes, and records every request.
//!
//! Every request is parsed with its wire type, so a parameter the action does not take (a
//! ClientToken on AttachNetworkInterface, DeletionProtection on AllocateEipAddress) fails the
//! test as the API would refuse it. Mutations do the least a test needs: they change the objects
//! and never model Alibaba's rules (that is the simulator's job).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value as J;

use super::{Client, Timing};
use crate::provider::wire::{self, Request, ecs, slb, vpc};
use crate::provider::{ApiError, Clouds, Params, Product, Transport};

pub const REGION: &str = "cn-hangzhou";

/// What the fake cloud holds.
#[derive(Clone, Debug, Default)]
pub struct World {
    pub enis: Vec<ecs::NetworkInterfaceSet>,
    pub instances: Vec<ecs::Instance>,
    pub security_groups: Vec<ecs::SecurityGroup>,
    pub instance_types: Vec<ecs::InstanceType>,
    pub eips: Vec<vpc::EipAddress>,
    pub vswitches: Vec<vpc::VSwitch>,
    pub nat_gateways: Vec<vpc::NatGateway>,
    pub forward_entries: Vec<vpc::ForwardTableEntry>,
    pub havips: Vec<vpc::HaVip>,
    pub load_balancers: Vec<slb::LoadBalancer>,
}

/// One request as the fake received it.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub product: Product,
    pub action: String,
    pub params: Params,
}

#[derive(Default)]
pub struct Fake {
    pub world: Mutex<World>,
    log: Mutex<Vec<Call>>,
    /// Actions whose next call takes effect but whose answer is lost (the connection drops).
    lose_answer: Mutex<BTreeSet<String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn not_found(code: &str, id: &str) -> ApiError {
    ApiError::new(404, code, format!("{id} does not exist"))
}

fn bad(message: String) -> ApiError {
    ApiError::new(400, "InvalidParameter", message)
}

/// Timing for tests: retries and polls without waiting.
pub fn fast() -> Timing {
    Timing {
        max_attempts: 3,
        retry_budget: Duration::from_secs(5),
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(1),
        poll_interval: Duration::from_millis(1),
        wait_timeout: Duration::from_secs(5),
    }
}

impl Fake {
    pub fn new(world: World) -> Arc<Fake> {
        Arc::new(Fake {
            world: Mutex::new(world),
            ..Fake::default()
        })
    }

    pub fn client(&self) -> Client<'_> {
        Client {
            transport: self,
            region: REGION.into(),
            timing: fast(),
        }
    }

    /// The fake as the only cloud of a configuration (one region, the current limits).
    pub fn clouds(self: &Arc<Fake>) -> Clouds {
        Clouds {
            transport: self.clone(),
            per_alias: Default::default(),
            regions: [(None, REGION.to_string())].into(),
            timing: fast(),
            sim: None,
            limits: crate::limits::Limits::profile(crate::limits::ProfileName::Current),
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        lock(&self.log).clone()
    }

    /// The actions called, in order.
    pub fn actions(&self) -> Vec<String> {
        self.calls().into_iter().map(|c| c.action).collect()
    }

    /// The calls of one action.
    pub fn calls_of(&self, action: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.action == action)
            .collect()
    }

    pub fn lose_next_answer(&self, action: &str) {
        lock(&self.lose_answer).insert(action.to_string());
    }

    pub fn eni(&self, id: &str) -> Option<ecs::NetworkInterfaceSet> {
        lock(&self.world)
            .enis
            .iter()
            .find(|e| e.network_interface_id == id)
            .cloned()
    }

    pub fn eip(&self, id: &str) -> Option<vpc::EipAddress> {
        lock(&self.world)
            .eips
            .iter()
            .find(|e| e.allocation_id == id)
            .cloned()
    }
}

/// Parses a request with its wire type, runs `f` and encodes its typed answer.
fn serve<R: Request>(
    p: &Params,
    f: impl FnOnce(R) -> Result<R::Response, ApiError>,
) -> Result<J, ApiError> {
    let req = R::from_params(p)?;
    if R::REGIONAL && p.get("RegionId").map(String::as_str) != Some(REGION) {
        return Err(bad(format!("{} needs RegionId={REGION}", R::ACTION)));
    }
    let resp = f(req)?;
    serde_json::to_value(resp).map_err(|e| ApiError::new(500, "InternalError", e.to_string()))
}

fn capped(action: &str, n: usize, max: usize) -> Result<(), ApiError> {
    if n > max {
        return Err(bad(format!("{action} takes at most {max} ids, got {n}")));
    }
    Ok(())
}

impl Transport for Fake {
    fn call(&self, product: Product, action: &str, p: &Params) -> Result<J, ApiError> {
        lock(&self.log).push(Call {
            product,
            action: action.to_string(),
            params: p.clone(),
        });
        let mut w = lock(&self.world);
        let out = match (product, action) {
            (Product::Ecs, a) if a.starts_with("Describe") => w.describe_ecs(a, p),
            (Product::Vpc, a) if a.starts_with("Describe") => w.describe_vpc(a, p),
            (Product::Slb, "DescribeLoadBalancers") => serve(p, |r: slb::DescribeLoadBalancers| {
                let (page, n, size, total) =
                    wire::page_of(w.load_balancers.clone(), r.page_number, r.page_size, 100)?;
                Ok(slb::DescribeLoadBalancersResponse {
                    load_balancers: page.into(),
                    total_count: total,
                    page_number: n.into(),
                    page_size: size.into(),
                    ..Default::default()
                })
            }),
            (Product::Ecs, a) => w.mutate_ecs(a, p),
            (Product::Vpc, a) => w.mutate_vpc(a, p),
            _ => Err(not_found("InvalidAction.NotFound", action)),
        };
        drop(w);
        if out.is_ok() && lock(&self.lose_answer).remove(action) {
            return Err(ApiError::no_answer(format!(
                "{action}: the connection dropped before the answer"
            )));
        }
        out
    }
}

impl World {
    fn describe_ecs(&mut self, action: &str, p: &Params) -> Result<J, ApiError> {
        match action {
            "DescribeNetworkInterfaces" => serve(p, |r: ecs::DescribeNetworkInterfaces| {
                capped(action, r.network_interface_id.len(), ecs::ENI_IDS_PER_CALL)?;
                let items: Vec<_> = self
                    .enis
                    .iter()
                    .filter(|e| {
                        (r.network_interface_id.is_empty()
                            || r.network_interface_id.contains(&e.network_interface_id))
                            && r.instance_id.as_ref().is_none_or(|i| *i == e.instance_id)
                            && r.v_switch_id.as_ref().is_none_or(|v| *v == e.v_switch_id)
                            && r.r#type.as_ref().is_none_or(|t| *t == e.r#type)
                            && r.security_group_id
                                .as_ref()
                                .is_none_or(|s| e.security_group_ids.items.contains(s))
                    })
                    .cloned()
                    .collect();
                let total = items.len() as u64;
                let (page, next) =
                    wire::token_page_of(items, r.next_token.as_deref(), r.max_results, 500)?;
                self.settle(&page);
                Ok(ecs::DescribeNetworkInterfacesResponse {
                    network_interface_sets: page.into(),
                    next_token: next.unwrap_or_default(),
                    total_count: total,
                    ..Default::default()
                })
            }),
            "DescribeInstances" => serve(p, |r: ecs::DescribeInstances| {
                capped(action, r.instance_ids.0.len(), ecs::INSTANCE_IDS_PER_CALL)?;
                let items: Vec<_> = self
                    .instances
                    .iter()
                    .filter(|i| {
                        r.instance_ids.0.is_empty() || r.instance_ids.0.contains(&i.instance_id)
                    })
                    .cloned()
                    .collect();
                let total = items.len() as u64;
                let (page, next) =
                    wire::token_page_of(items, r.next_token.as_deref(), r.max_results, 100)?;
                Ok(ecs::DescribeInstancesResponse {
                    instances: page.into(),
                    next_token: next.unwrap_or_default(),
                    total_count: total,
                    ..Default::default()
                })
            }),
            "DescribeSecurityGroups" => serve(p, |r: ecs::DescribeSecurityGroups| {
                let total = self.security_groups.len() as u64;
                let (page, next) = wire::token_page_of(
                    self.security_groups.clone(),
                    r.next_token.as_deref(),
                    r.max_results,
                    100,
                )?;
                Ok(ecs::DescribeSecurityGroupsResponse {
                    security_groups: page.into(),
                    next_token: next.unwrap_or_default(),
                    total_count: total,
                    ..Default::default()
                })
            }),
            "DescribeInstanceTypes" => serve(p, |r: ecs::DescribeInstanceTypes| {
                let (page, next) = wire::token_page_of(
                    self.instance_types.clone(),
                    r.next_token.as_deref(),
                    r.max_results,
                    1600,
                )?;
                Ok(ecs::DescribeInstanceTypesResponse {
                    instance_types: page.into(),
                    next_token: next.unwrap_or_default(),
                    ..Default::default()
                })
            }),
            _ => Err(not_found("InvalidAction.NotFound", action)),
        }
    }

    fn describe_vpc(&self, action: &str, p: &Params) -> Result<J, ApiError> {
        macro_rules! paged {
            ($req:ty, $items:expr, $max:expr, $resp:ident, $field:ident) => {
                serve(p, |r: $req| {
                    let (page, n, size, total) =
                        wire::page_of($items(&r), r.page_number, r.page_size, $max)?;
                    Ok(vpc::$resp {
                        $field: page.into(),
                        total_count: total,
                        page_number: n.into(),
                        page_size: size.into(),
                        ..Default::default()
                    })
                })
            };
        }
        match action {
            "DescribeEipAddresses" => {
                paged!(
                    vpc::DescribeEipAddresses,
                    |r: &vpc::DescribeEipAddresses| -> Vec<vpc::EipAddress> {
                        self.eips
                            .iter()
                            .filter(|e| {
                                (r.allocation_id.0.is_empty()
                                    || r.allocation_id.0.contains(&e.allocation_id))
                                    && r.associated_instance_id
                                        .as_ref()
                                        .is_none_or(|i| *i == e.instance_id)
                            })
                            .cloned()
                            .collect()
                    },
                    100,
                    DescribeEipAddressesResponse,
                    eip_addresses
                )
            }
            "DescribeVSwitches" => paged!(
                vpc::DescribeVSwitches,
                |_: &vpc::DescribeVSwitches| self.vswitches.clone(),
                50,
                DescribeVSwitchesResponse,
                v_switches
            ),
            "DescribeNatGateways" => paged!(
                vpc::DescribeNatGateways,
                |_: &vpc::DescribeNatGateways| self.nat_gateways.clone(),
                50,
                DescribeNatGatewaysResponse,
                nat_gateways
            ),
            "DescribeForwardTableEntries" => paged!(
                vpc::DescribeForwardTableEntries,
                |r: &vpc::DescribeForwardTableEntries| -> Vec<vpc::ForwardTableEntry> {
                    self.forward_entries
                        .iter()
                        .filter(|e| {
                            r.forward_table_id
                                .as_ref()
                                .is_none_or(|t| *t == e.forward_table_id)
                        })
                        .cloned()
                        .collect()
                },
                50,
                DescribeForwardTableEntriesResponse,
                forward_table_entries
            ),
            "DescribeHaVips" => paged!(
                vpc::DescribeHaVips,
                |_: &vpc::DescribeHaVips| self.havips.clone(),
                50,
                DescribeHaVipsResponse,
                ha_vips
            ),
            _ => Err(not_found("InvalidAction.NotFound", action)),
        }
    }

    /// Attach and detach are asynchronous: an ENI is seen Attaching (Detaching) once, then
    /// InUse (Available).
    fn settle(&mut self, seen: &[ecs::NetworkInterfaceSet]) {
        for e in &mut self.enis {
            if !seen
                .iter()
                .any(|s| s.network_interface_id == e.network_interface_id)
            {
                continue;
            }
            match e.status.as_str() {
                "Attaching" => e.status = "InUse".into(),
                "Detaching" => {
                    e.status = "Available".into();
                    e.instance_id.clear();
                    e.attachment = None;
                }
                _ => {}
            }
        }
    }

    fn eni_mut(&mut self, id: &str) -> Result<&mut ecs::NetworkInterfaceSet, ApiError> {
        self.enis
            .iter_mut()
            .find(|e| e.network_interface_id == id)
            .ok_or_else(|| not_found("InvalidEniId.NotFound", id))
    }

    fn eip_mut(&mut self, id: &str) -> Result<&mut vpc::EipAddress, ApiError> {
        self.eips
            .iter_mut()
            .find(|e| e.allocation_id == id)
            .ok_or_else(|| not_found("InvalidAllocationId.NotFound", id))
    }

    fn mutate_ecs(&mut self, action: &str, p: &Params) -> Result<J, ApiError> {
        let ack = || wire::Ack::default();
        match action {
            "AttachNetworkInterface" => serve(p, |r: ecs::AttachNetworkInterface| {
                let e = self.eni_mut(&r.network_interface_id)?;
                if e.status != "Available" {
                    return Err(ApiError::new(
                        403,
                        "InvalidOperation.InvalidEniState",
                        format!("{} is {}", e.network_interface_id, e.status),
                    ));
                }
                e.status = "Attaching".into();
                e.instance_id = r.instance_id.clone();
                e.attachment = Some(ecs::Attachment {
                    instance_id: r.instance_id,
                    device_index: Some(1),
                    network_card_index: None,
                });
                Ok(ack())
            }),
            "DetachNetworkInterface" => serve(p, |r: ecs::DetachNetworkInterface| {
                let e = self.eni_mut(&r.network_interface_id)?;
                if e.status != "InUse" || e.instance_id != r.instance_id {
                    return Err(ApiError::new(
                        403,
                        "InvalidOperation.InvalidEniState",
                        format!(
                            "{} is {} and not on {}",
                            e.network_interface_id, e.status, r.instance_id
                        ),
                    ));
                }
                e.status = "Detaching".into();
                Ok(ack())
            }),
            "ModifyNetworkInterfaceAttribute" => {
                serve(p, |r: ecs::ModifyNetworkInterfaceAttribute| {
                    let e = self.eni_mut(&r.network_interface_id)?;
                    if let Some(n) = r.network_interface_name {
                        e.network_interface_name = n;
                    }
                    if let Some(d) = r.description {
                        e.description = d;
                    }
                    Ok(ack())
                })
            }
            "TagResources" => serve(p, |r: ecs::TagResources| {
                for id in self.ecs_tag_targets(&r.resource_type, &r.resource_id)? {
                    let e = self.eni_mut(&id)?;
                    let mut m = e.tags.to_map();
                    m.extend(r.tag.0.clone());
                    e.tags = wire::EcsTags::from_map(&m);
                }
                Ok(ack())
            }),
            "UntagResources" => serve(p, |r: ecs::UntagResources| {
                for id in self.ecs_tag_targets(&r.resource_type, &r.resource_id)? {
                    let e = self.eni_mut(&id)?;
                    let mut m = e.tags.to_map();
                    m.retain(|k, _| !r.tag_key.contains(k));
                    e.tags = wire::EcsTags::from_map(&m);
                }
                Ok(ack())
            }),
            _ => Err(not_found("InvalidAction.NotFound", action)),
        }
    }

    /// ECS tags an ENI under ResourceType `eni` only.
    fn ecs_tag_targets(&self, ty: &str, ids: &[String]) -> Result<Vec<String>, ApiError> {
        if ty != ecs::ENI_RESOURCE_TYPE {
            return Err(bad(format!(
                "ResourceType {ty:?} is not an ECS resource type"
            )));
        }
        Ok(ids.to_vec())
    }

    fn vpc_tag_target(&mut self, ty: &str, id: &str) -> Result<&mut vpc::EipAddress, ApiError> {
        if ty != vpc::EIP_RESOURCE_TYPE {
            return Err(bad(format!(
                "ResourceType {ty:?} is not a VPC resource type"
            )));
        }
        self.eip_mut(id)
    }

    fn mutate_vpc(&mut self, action: &str, p: &Params) -> Result<J, ApiError> {
        let ack = || wire::Ack::default();
        match action {
            "AllocateEipAddress" => serve(p, |r: vpc::AllocateEipAddress| {
                let id = format!("eip-fake{}", self.eips.len() + 1);
                let ip = format!("47.0.0.{}", self.eips.len() + 1);
                self.eips.push(vpc::EipAddress {
                    allocation_id: id.clone(),
                    ip_address: ip.clone(),
                    status: "Available".into(),
                    region_id: REGION.into(),
                    bandwidth: r.bandwidth.unwrap_or_else(|| "5".into()),
                    internet_charge_type: r.internet_charge_type.unwrap_or_default(),
                    charge_type: r.instance_charge_type.unwrap_or_default(),
                    name: r.name.unwrap_or_default(),
                    description: r.description.unwrap_or_default(),
                    tags: wire::VpcTags::from_map(&r.tag.0),
                    ..Default::default()
                });
                Ok(vpc::AllocateEipAddressResponse {
                    allocation_id: id,
                    eip_address: ip,
                    ..Default::default()
                })
            }),
            "ModifyEipAddressAttribute" => serve(p, |r: vpc::ModifyEipAddressAttribute| {
                let e = self.eip_mut(&r.allocation_id)?;
                if let Some(b) = r.bandwidth {
                    e.bandwidth = b;
                }
                if let Some(n) = r.name {
                    e.name = n;
                }
                if let Some(d) = r.description {
                    e.description = d;
                }
                Ok(ack())
            }),
            "DeletionProtection" => serve(p, |r: vpc::DeletionProtection| {
                if r.r#type != vpc::EIP_PROTECTION_TYPE {
                    return Err(bad(format!("Type {:?} is not EIP", r.r#type)));
                }
                self.eip_mut(&r.instance_id)?.deletion_protection =
                    r.protection_enable.unwrap_or(false);
                Ok(ack())
            }),
            "TagResources" => serve(p, |r: vpc::TagResources| {
                for id in &r.resource_id {
                    let e = self.vpc_tag_target(&r.resource_type, id)?;
                    let mut m = e.tags.to_map();
                    m.extend(r.tag.0.clone());
                    e.tags = wire::VpcTags::from_map(&m);
                }
                Ok(ack())
            }),
            "UnTagResources" => serve(p, |r: vpc::UnTagResources| {
                for id in &r.resource_id {
                    let e = self.vpc_tag_target(&r.resource_type, id)?;
                    let mut m = e.tags.to_map();
                    m.retain(|k, _| !r.tag_key.contains(k));
                    e.tags = wire::VpcTags::from_map(&m);
                }
                Ok(ack())
            }),
            "ReleaseEipAddress" => serve(p, |r: vpc::ReleaseEipAddress| {
                if self.eip_mut(&r.allocation_id)?.deletion_protection {
                    return Err(ApiError::new(
                        400,
                        "OperationFailed.DeletionProtection",
                        "the EIP is protected",
                    ));
                }
                self.eips.retain(|e| e.allocation_id != r.allocation_id);
                Ok(ack())
            }),
            _ => Err(not_found("InvalidAction.NotFound", action)),
        }
    }
}

/// `n` objects named `{prefix}-{i:03}`, for paging tests.
pub fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i:03}")).collect()
}

/// An ENI as DescribeNetworkInterfaces answers it, Available in vsw-1.
pub fn eni(id: &str) -> ecs::NetworkInterfaceSet {
    ecs::NetworkInterfaceSet {
        network_interface_id: id.into(),
        status: "Available".into(),
        r#type: "Secondary".into(),
        v_switch_id: "vsw-1".into(),
        vpc_id: "vpc-1".into(),
        zone_id: "cn-hangzhou-i".into(),
        security_group_ids: vec!["sg-1".to_string()].into(),
        private_ip_address: "192.168.1.10".into(),
        private_ip_sets: vec![ecs::PrivateIpSet {
            private_ip_address: "192.168.1.10".into(),
            primary: true,
            associated_public_ip: None,
        }]
        .into(),
        mac_address: "00:16:3e:00:00:01".into(),
        ..Default::default()
    }
}

/// An EIP as DescribeEipAddresses answers it, Available.
pub fn eip(id: &str) -> vpc::EipAddress {
    vpc::EipAddress {
        allocation_id: id.into(),
        ip_address: "47.1.1.1".into(),
        status: "Available".into(),
        region_id: REGION.into(),
        bandwidth: "5".into(),
        internet_charge_type: "PayByTraffic".into(),
        charge_type: "PostPaid".into(),
        ..Default::default()
    }
}

/// One more than the largest page of each listable kind (DescribeInstanceTypes: its default page),
/// so that a caller who reads only one page is caught: instances, security groups, vSwitches, NAT
/// gateways, HAVIPs, SLBs and instance types, each `max + 11`.
pub fn past_first_page() -> World {
    let n = |max: usize| max + 11;
    let region = REGION.to_string();
    World {
        instances: ids("i", n(100))
            .into_iter()
            .map(|id| ecs::Instance {
                instance_id: id,
                ..Default::default()
            })
            .collect(),
        security_groups: ids("sg", n(100))
            .into_iter()
            .map(|id| ecs::SecurityGroup {
                security_group_id: id,
                ..Default::default()
            })
            .collect(),
        vswitches: ids("vsw", n(50))
            .into_iter()
            .map(|id| vpc::VSwitch {
                v_switch_id: id,
                ..Default::default()
            })
            .collect(),
        nat_gateways: ids("ngw", n(50))
            .into_iter()
            .map(|id| vpc::NatGateway {
                nat_gateway_id: id,
                region_id: region.clone(),
                ..Default::default()
            })
            .collect(),
        havips: ids("havip", n(50))
            .into_iter()
            .map(|id| vpc::HaVip {
                ha_vip_id: id,
                ..Default::default()
            })
            .collect(),
        load_balancers: ids("lb", n(100))
            .into_iter()
            .map(|id| slb::LoadBalancer {
                load_balancer_id: id,
                region_id: region.clone(),
                ..Default::default()
            })
            .collect(),
        instance_types: ids("ecs.t", n(1600))
            .into_iter()
            .map(|id| ecs::InstanceType {
                instance_type_id: id,
                eni_quantity: 2,
                ..Default::default()
            })
            .collect(),
        ..World::default()
    }
}

/// An instance `i-1` whose ENIs are listed secondary first, so that only a caller reading
/// `Type = Primary` finds its primary ENI (`primary`).
pub fn instance_with_primary_listed_second(primary: &str, secondary: &str) -> World {
    let nic = |id: &str, ty: &str| ecs::InstanceNetworkInterface {
        network_interface_id: id.into(),
        r#type: ty.into(),
        ..Default::default()
    };
    World {
        instances: vec![ecs::Instance {
            instance_id: "i-1".into(),
            network_interfaces: vec![nic(secondary, "Secondary"), nic(primary, "Primary")].into(),
            ..Default::default()
        }],
        ..World::default()
    }
}
