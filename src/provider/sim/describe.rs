//! The simulator's Describe* answers, built from the world and the live cloud as the wire
//! response structs (so no answer can carry a field the SDK models lack).
//!
//! Every list is scoped to the request's region (global lists excepted: regions, instance
//! types), filtered by every filter its wire request has, put in a stable order (world order for
//! the world's objects, id order for ENIs and EIPs) and cut into the page the request asks for,
//! 10 by default, as the API documents.

use std::collections::HashMap;

use super::cloud::{Cloud, Eip, Eni, hash_hex, make_id, missing, usable_v4};
use super::eni::tags_match;
use super::index::Used;
use super::world;
use crate::provider::ApiError;
use crate::provider::wire::{
    EcsTags, PageNumbered, TokenPaged, VpcTags, ecs, page_of, slb, token_page_of, vpc,
};

/// EIPs by the id of what they are bound to (an ENI, an instance, a gateway…): a view of the
/// cloud's index, so an answer about a few objects never walks every EIP.
pub(super) struct EipIndex<'a> {
    cloud: &'a Cloud,
}

impl<'a> EipIndex<'a> {
    /// The EIPs bound to `target`, in id order; `None` when there are none.
    pub(super) fn get(&self, target: &str) -> Option<Vec<&'a Eip>> {
        let v: Vec<&'a Eip> = self.cloud.eips_on(target).collect();
        (!v.is_empty()).then_some(v)
    }
}

/// The page of a `PageNumber`/`PageSize` list, with the numbers its answer repeats.
struct Page<T> {
    items: Vec<T>,
    number: u64,
    size: u64,
    total: u64,
}

fn page<T>(
    items: Vec<T>,
    number: Option<u32>,
    size: Option<u32>,
    max: u32,
) -> Result<Page<T>, ApiError> {
    let (items, number, size, total) = page_of(items, number, size, max)?;
    Ok(Page {
        items,
        number: number.into(),
        size: size.into(),
        total,
    })
}

/// The page of a list whose action pages both ways: by `NextToken` when `MaxResults` or
/// `NextToken` is given, else by `PageNumber`/`PageSize` (10 by default either way).
struct Cut<T> {
    items: Vec<T>,
    next_token: String,
    page_number: Option<u64>,
    page_size: Option<u64>,
}

fn cut<T>(
    items: Vec<T>,
    (max_results, next_token): (Option<u32>, Option<&str>),
    (number, size): (Option<u32>, Option<u32>),
    max: u32,
) -> Result<Cut<T>, ApiError> {
    if max_results.is_some() || next_token.is_some() || (number.is_none() && size.is_none()) {
        let (items, next) = token_page_of(items, next_token, max_results, max)?;
        return Ok(Cut {
            items,
            next_token: next.unwrap_or_default(),
            page_number: None,
            page_size: None,
        });
    }
    let p = page(items, number, size, max)?;
    Ok(Cut {
        items: p.items,
        next_token: String::new(),
        page_number: Some(p.number),
        page_size: Some(p.size),
    })
}

/// A comma-separated id filter (`VpcId`, `LoadBalancerId`): the ids it names, none when absent.
fn id_list(v: &Option<String>) -> Vec<&str> {
    v.as_deref()
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `value` passes an optional equality filter; an empty filter filters nothing, as the
/// API reads an empty parameter as one not given.
fn is(filter: &Option<String>, value: &str) -> bool {
    filter.as_deref().is_none_or(|f| f.is_empty() || f == value)
}

/// The one forward (DNAT) table of a NAT gateway. Alibaba gives each gateway a table of its own;
/// deriving its id from the gateway's keeps it stable and lets a captured world map it back.
pub fn forward_table_id(nat_gateway_id: &str) -> String {
    format!(
        "ftb-{}",
        nat_gateway_id
            .strip_prefix("ngw-")
            .unwrap_or(nat_gateway_id)
    )
}

impl Cloud {
    pub(super) fn eips_by_target(&self) -> EipIndex<'_> {
        EipIndex { cloud: self }
    }

    fn region_of_vpc(&self, vpc_id: &str) -> &str {
        self.world
            .vpc(vpc_id)
            .map(|v| v.region.as_str())
            .unwrap_or_default()
    }

    /// The public addresses an ENI shows: on the ENI, the EIP of its primary address (an EIP
    /// bound to its instance, for a primary ENI; a BINDED-mode EIP, which takes the primary
    /// address's place); on each private address, the NAT-mode EIP bound to it.
    fn public_ips(
        &self,
        e: &Eni,
        idx: &EipIndex<'_>,
    ) -> (
        Option<ecs::AssociatedPublicIp>,
        HashMap<String, ecs::AssociatedPublicIp>,
    ) {
        let show = |x: &Eip| ecs::AssociatedPublicIp {
            public_ip_address: x.ip_address.to_string(),
            allocation_id: x.id.clone(),
        };
        let primary = e.primary_ip.to_string();
        let mut per_ip = HashMap::new();
        let mut on_eni = None;
        for x in idx.get(e.id.as_str()).into_iter().flatten() {
            match (x.mode.as_deref(), &x.private_ip) {
                (None | Some("NAT"), Some(ip)) => {
                    per_ip.insert(ip.clone(), show(x));
                }
                _ => {
                    on_eni.get_or_insert_with(|| show(x));
                }
            }
        }
        if e.primary
            && let Some(inst) = &e.instance_id
            && let Some(x) = idx
                .get(inst.as_str())
                .into_iter()
                .flatten()
                .find(|x| x.instance_type.as_deref() == Some("EcsInstance"))
        {
            per_ip.entry(primary.clone()).or_insert_with(|| show(x));
        }
        if let Some(x) = &on_eni {
            per_ip.entry(primary.clone()).or_insert_with(|| x.clone());
        }
        (on_eni.or_else(|| per_ip.get(&primary).cloned()), per_ip)
    }

    /// An ENI as DescribeNetworkInterfaces answers it.
    pub(super) fn eni_set(&self, e: &Eni, idx: &EipIndex<'_>) -> ecs::NetworkInterfaceSet {
        let (on_eni, mut per_ip) = self.public_ips(e, idx);
        let mut ips = vec![ecs::PrivateIpSet {
            private_ip_address: e.primary_ip.to_string(),
            primary: true,
            associated_public_ip: per_ip.remove(&e.primary_ip.to_string()),
        }];
        ips.extend(e.private_ips.iter().map(|i| ecs::PrivateIpSet {
            private_ip_address: i.to_string(),
            primary: false,
            associated_public_ip: per_ip.remove(&i.to_string()),
        }));
        ecs::NetworkInterfaceSet {
            network_interface_id: e.id.clone(),
            status: e.status.clone(),
            r#type: if e.primary { "Primary" } else { "Secondary" }.into(),
            v_switch_id: e.vswitch_id.clone(),
            vpc_id: e.vpc_id.clone(),
            zone_id: e.zone_id.clone(),
            security_group_ids: e.security_group_ids.clone().into(),
            network_interface_name: e.name.clone(),
            description: e.description.clone(),
            private_ip_address: e.primary_ip.to_string(),
            private_ip_sets: ips.into(),
            ipv6_sets: e
                .ipv6
                .iter()
                .map(|i| ecs::Ipv6Set {
                    ipv6_address: i.to_string(),
                })
                .collect::<Vec<_>>()
                .into(),
            mac_address: e.mac.clone(),
            instance_id: e.instance_id.clone().unwrap_or_default(),
            attachment: e.instance_id.as_ref().map(|i| ecs::Attachment {
                instance_id: i.clone(),
                device_index: e.device_index.map(u64::from),
                network_card_index: None,
            }),
            associated_public_ip: on_eni,
            tags: EcsTags::from_map(&e.tags),
            resource_group_id: e.resource_group_id.clone(),
            queue_number: e.queue_number.map(u64::from),
            source_dest_check: e.source_dest_check,
            delete_on_release: e.delete_on_release,
            request_id: String::new(),
        }
    }

    /// An EIP as DescribeEipAddresses answers it.
    pub(super) fn eip_address(&self, e: &Eip) -> vpc::EipAddress {
        vpc::EipAddress {
            allocation_id: e.id.clone(),
            ip_address: e.ip_address.to_string(),
            status: e.status.clone(),
            region_id: e.region.clone(),
            bandwidth: e.bandwidth.clone(),
            internet_charge_type: e.internet_charge_type.clone(),
            charge_type: if e.payment_type == "Subscription" {
                "PrePaid"
            } else {
                "PostPaid"
            }
            .into(),
            isp: e.isp.clone(),
            name: e.name.clone(),
            description: e.description.clone(),
            instance_id: e.instance_id.clone().unwrap_or_default(),
            instance_type: e.instance_type.clone().unwrap_or_default(),
            instance_region_id: if e.instance_id.is_some() {
                e.region.clone()
            } else {
                String::new()
            },
            private_ip_address: e.private_ip.clone().unwrap_or_default(),
            mode: e.mode.clone().unwrap_or_default(),
            tags: VpcTags::from_map(&e.tags),
            resource_group_id: e.resource_group_id.clone(),
            deletion_protection: e.deletion_protection,
        }
    }

    pub(super) fn describe_enis(
        &self,
        region: &str,
        r: ecs::DescribeNetworkInterfaces,
    ) -> Result<ecs::DescribeNetworkInterfacesResponse, ApiError> {
        // Ids are looked up directly, and an instance's ENIs through the index, so a refresh
        // by ids or a look at a few instances stays linear in what it asks for; the filters
        // below still apply to what is picked.
        let on = r.instance_id.as_deref().filter(|i| !i.is_empty());
        let mut picked: Vec<&Eni> = if r.network_interface_id.is_empty() {
            match on {
                Some(i) => self.enis_on(i).collect(),
                None => self.live.enis.values().collect(),
            }
        } else {
            let mut v: Vec<&Eni> = r
                .network_interface_id
                .iter()
                .filter_map(|i| self.live.enis.get(i))
                .collect();
            v.sort_by(|a, b| a.id.cmp(&b.id));
            v.dedup_by(|a, b| a.id == b.id);
            v
        };
        picked.retain(|e| {
            e.region == region
                && is(&r.instance_id, e.instance_id.as_deref().unwrap_or(""))
                && is(&r.v_switch_id, &e.vswitch_id)
                && is(&r.vpc_id, &e.vpc_id)
                && r.security_group_id
                    .as_ref()
                    .filter(|s| !s.is_empty())
                    .is_none_or(|s| e.security_group_ids.contains(s))
                && is(&r.r#type, if e.primary { "Primary" } else { "Secondary" })
                && is(&r.status, &e.status)
                && tags_match(&e.tags, &r.tag)
        });
        let total = picked.len() as u64;
        let max = <ecs::DescribeNetworkInterfaces as TokenPaged>::MAX_PAGE;
        // Documented: a MaxResults below 10 is read as 10.
        let tokens = (r.max_results.map(|n| n.max(10)), r.next_token.as_deref());
        let c = cut(picked, tokens, (r.page_number, r.page_size), max)?;
        let idx = self.eips_by_target();
        Ok(ecs::DescribeNetworkInterfacesResponse {
            network_interface_sets: c
                .items
                .into_iter()
                .map(|e| self.eni_set(e, &idx))
                .collect::<Vec<_>>()
                .into(),
            next_token: c.next_token,
            total_count: total,
            page_number: c.page_number,
            page_size: c.page_size,
            request_id: String::new(),
        })
    }

    pub(super) fn describe_eips(
        &self,
        region: &str,
        r: vpc::DescribeEipAddresses,
    ) -> Result<vpc::DescribeEipAddressesResponse, ApiError> {
        // As for ENIs: what is bound to a target comes from the index, not a walk of every EIP
        // (the plan's checks ask once per ENI they involve).
        let on = r
            .associated_instance_id
            .as_deref()
            .filter(|i| !i.is_empty());
        let mut picked: Vec<&Eip> = if r.allocation_id.0.is_empty() {
            match on {
                Some(t) => self.eips_on(t).collect(),
                None => self.live.eips.values().collect(),
            }
        } else {
            let mut v: Vec<&Eip> = r
                .allocation_id
                .0
                .iter()
                .filter_map(|i| self.live.eips.get(i))
                .collect();
            v.sort_by(|a, b| a.id.cmp(&b.id));
            v.dedup_by(|a, b| a.id == b.id);
            v
        };
        picked.retain(|e| {
            e.region == region
                && is(
                    &r.associated_instance_id,
                    e.instance_id.as_deref().unwrap_or(""),
                )
                && is(
                    &r.associated_instance_type,
                    e.instance_type.as_deref().unwrap_or(""),
                )
                && is(&r.status, &e.status)
                && tags_match(&e.tags, &r.tag)
        });
        let max = <vpc::DescribeEipAddresses as PageNumbered>::MAX_PAGE;
        let p = page(picked, r.page_number, r.page_size, max)?;
        Ok(vpc::DescribeEipAddressesResponse {
            eip_addresses: p
                .items
                .into_iter()
                .map(|e| self.eip_address(e))
                .collect::<Vec<_>>()
                .into(),
            total_count: p.total,
            page_number: p.number,
            page_size: p.size,
            request_id: String::new(),
        })
    }

    /// An instance as DescribeInstances answers it: its ENIs (primary first) from the live
    /// cloud, the EIP bound to it.
    fn instance_of(
        &self,
        i: &world::Instance,
        enis: &HashMap<&str, Vec<&Eni>>,
        idx: &EipIndex<'_>,
    ) -> ecs::Instance {
        let mut mine: Vec<&Eni> = enis.get(i.id.as_str()).cloned().unwrap_or_default();
        mine.sort_by_key(|e| (!e.primary, e.device_index, e.id.clone()));
        let private_ip = |here: bool| -> ecs::IpAddressList {
            i.private_ip
                .iter()
                .filter(|_| here)
                .cloned()
                .collect::<Vec<_>>()
                .into()
        };
        let eip = idx
            .get(i.id.as_str())
            .into_iter()
            .flatten()
            .find(|e| e.instance_type.as_deref() == Some("EcsInstance"));
        ecs::Instance {
            instance_id: i.id.clone(),
            instance_name: i.name.clone(),
            instance_type: i.instance_type.clone(),
            status: i.status.clone(),
            region_id: i.region.clone(),
            zone_id: i.zone_id.clone(),
            instance_network_type: i.network_type.clone(),
            vpc_attributes: ecs::VpcAttributes {
                vpc_id: i.vpc_id.clone().unwrap_or_default(),
                v_switch_id: i.vswitch_id.clone().unwrap_or_default(),
                private_ip_address: private_ip(!i.is_classic()),
            },
            // Alibaba lists a classic instance's private address here, not under VpcAttributes.
            inner_ip_address: private_ip(i.is_classic()),
            public_ip_address: i.public_ip.iter().cloned().collect::<Vec<_>>().into(),
            eip_address: ecs::InstanceEip {
                allocation_id: eip.map(|e| e.id.clone()).unwrap_or_default(),
                ip_address: eip.map(|e| e.ip_address.to_string()).unwrap_or_default(),
            },
            security_group_ids: i.security_group_ids.clone().into(),
            network_interfaces: mine
                .into_iter()
                .map(|e| ecs::InstanceNetworkInterface {
                    network_interface_id: e.id.clone(),
                    r#type: if e.primary { "Primary" } else { "Secondary" }.into(),
                    primary_ip_address: e.primary_ip.to_string(),
                    mac_address: e.mac.clone(),
                })
                .collect::<Vec<_>>()
                .into(),
        }
    }

    pub(super) fn describe_instances(
        &self,
        region: &str,
        r: ecs::DescribeInstances,
    ) -> Result<ecs::DescribeInstancesResponse, ApiError> {
        let picked: Vec<&world::Instance> = self
            .world
            .instances
            .iter()
            .filter(|i| {
                i.region == region
                    && (r.instance_ids.0.is_empty() || r.instance_ids.0.contains(&i.id))
                    && is(&r.vpc_id, i.vpc_id.as_deref().unwrap_or(""))
                    && is(&r.v_switch_id, i.vswitch_id.as_deref().unwrap_or(""))
                    && is(&r.zone_id, &i.zone_id)
                    && is(&r.instance_name, &i.name)
                    && is(&r.status, &i.status)
            })
            .collect();
        let total = picked.len() as u64;
        let max = <ecs::DescribeInstances as TokenPaged>::MAX_PAGE;
        // Documented: a MaxResults below 10 is read as 10.
        let tokens = (r.max_results.map(|n| n.max(10)), r.next_token.as_deref());
        let c = cut(picked, tokens, (r.page_number, r.page_size), max)?;
        let enis: HashMap<&str, Vec<&Eni>> = c
            .items
            .iter()
            .map(|i| (i.id.as_str(), self.enis_on(&i.id).collect()))
            .collect();
        let idx = self.eips_by_target();
        Ok(ecs::DescribeInstancesResponse {
            instances: c
                .items
                .into_iter()
                .map(|i| self.instance_of(i, &enis, &idx))
                .collect::<Vec<_>>()
                .into(),
            next_token: c.next_token,
            total_count: total,
            page_number: c.page_number,
            page_size: c.page_size,
            request_id: String::new(),
        })
    }

    pub(super) fn describe_sgs(
        &self,
        region: &str,
        r: ecs::DescribeSecurityGroups,
    ) -> Result<ecs::DescribeSecurityGroupsResponse, ApiError> {
        let picked: Vec<&world::SecurityGroup> = self
            .world
            .security_groups
            .iter()
            .filter(|s| {
                self.region_of_vpc(&s.vpc_id) == region
                    && (r.security_group_ids.0.is_empty()
                        || r.security_group_ids.0.contains(&s.id))
                    && is(&r.vpc_id, &s.vpc_id)
                    // The world names no groups: a name filter matches only the empty name.
                    && is(&r.security_group_name, "")
            })
            .collect();
        let total = picked.len() as u64;
        let max = <ecs::DescribeSecurityGroups as TokenPaged>::MAX_PAGE;
        let tokens = (r.max_results, r.next_token.as_deref());
        let c = cut(picked, tokens, (r.page_number, r.page_size), max)?;
        Ok(ecs::DescribeSecurityGroupsResponse {
            security_groups: c
                .items
                .into_iter()
                .map(|s| ecs::SecurityGroup {
                    security_group_id: s.id.clone(),
                    security_group_name: String::new(),
                    vpc_id: s.vpc_id.clone(),
                    security_group_type: s.security_group_type.clone(),
                })
                .collect::<Vec<_>>()
                .into(),
            next_token: c.next_token,
            total_count: total,
            page_number: c.page_number,
            page_size: c.page_size,
            request_id: String::new(),
        })
    }

    pub(super) fn describe_types(
        &self,
        _region: &str,
        r: ecs::DescribeInstanceTypes,
    ) -> Result<ecs::DescribeInstanceTypesResponse, ApiError> {
        let picked: Vec<&crate::limits::InstanceType> = self
            .limits
            .instance_types
            .iter()
            .filter(|t| r.instance_types.is_empty() || r.instance_types.contains(&t.id))
            .collect();
        let max = <ecs::DescribeInstanceTypes as TokenPaged>::MAX_PAGE;
        // Documented: the default page of DescribeInstanceTypes is its maximum, 1600.
        let size = r.max_results.or(Some(max));
        let (items, next) = token_page_of(picked, r.next_token.as_deref(), size, max)?;
        Ok(ecs::DescribeInstanceTypesResponse {
            instance_types: items
                .into_iter()
                .map(|t| ecs::InstanceType {
                    instance_type_id: t.id.clone(),
                    instance_type_family: t.family().to_string(),
                    eni_quantity: t.eni_quantity.into(),
                    eni_private_ip_address_quantity: t.eni_private_ip_address_quantity.into(),
                    eni_ipv6_address_quantity: t.eni_ipv6_address_quantity.into(),
                })
                .collect::<Vec<_>>()
                .into(),
            next_token: next.unwrap_or_default(),
            request_id: String::new(),
        })
    }

    pub(super) fn describe_regions(
        &self,
        _region: &str,
        _r: ecs::DescribeRegions,
    ) -> Result<ecs::DescribeRegionsResponse, ApiError> {
        Ok(ecs::DescribeRegionsResponse {
            regions: self
                .world
                .regions
                .iter()
                .map(|r| ecs::Region {
                    region_id: r.id.clone(),
                    // ECS's regional endpoint, as DescribeRegions lists it.
                    region_endpoint: format!("ecs.{}.aliyuncs.com", r.id),
                    local_name: region_local_name(&r.id),
                })
                .collect::<Vec<_>>()
                .into(),
            request_id: String::new(),
        })
    }

    pub(super) fn describe_zones(
        &self,
        region: &str,
        _r: ecs::DescribeZones,
    ) -> Result<ecs::DescribeZonesResponse, ApiError> {
        let zones = self
            .world
            .region(region)
            .map(|r| r.zones.clone())
            .unwrap_or_default();
        Ok(ecs::DescribeZonesResponse {
            zones: zones
                .into_iter()
                .map(|z| ecs::Zone {
                    local_name: z.clone(),
                    zone_id: z,
                })
                .collect::<Vec<_>>()
                .into(),
            request_id: String::new(),
        })
    }

    pub(super) fn describe_vswitches(
        &self,
        region: &str,
        r: vpc::DescribeVSwitches,
    ) -> Result<vpc::DescribeVSwitchesResponse, ApiError> {
        let picked: Vec<&world::VSwitch> = self
            .world
            .vswitches
            .iter()
            .filter(|v| {
                self.region_of_vpc(&v.vpc_id) == region
                    && is(&r.v_switch_id, &v.id)
                    && is(&r.vpc_id, &v.vpc_id)
                    && is(&r.zone_id, &v.zone_id)
            })
            .collect();
        let max = <vpc::DescribeVSwitches as PageNumbered>::MAX_PAGE;
        let p = page(picked, r.page_number, r.page_size, max)?;
        Ok(vpc::DescribeVSwitchesResponse {
            v_switches: p
                .items
                .into_iter()
                .map(|v| self.vswitch_answer(v))
                .collect::<Vec<_>>()
                .into(),
            total_count: p.total,
            page_number: p.number,
            page_size: p.size,
            request_id: String::new(),
        })
    }

    fn vswitch_answer(&self, v: &world::VSwitch) -> vpc::VSwitch {
        let free = match v.ipv4_net() {
            Some(net) => {
                let (lo, hi) = usable_v4(&net);
                let total = if hi >= lo { (hi - lo + 1) as usize } else { 0 };
                let used = self.used.get(&v.id).map(Used::v4_count).unwrap_or(0);
                total.saturating_sub(used) as u64
            }
            None => 0,
        };
        vpc::VSwitch {
            v_switch_id: v.id.clone(),
            v_switch_name: String::new(),
            vpc_id: v.vpc_id.clone(),
            zone_id: v.zone_id.clone(),
            cidr_block: v.cidr_block.clone(),
            ipv6_cidr_block: v.ipv6_cidr_block.clone().unwrap_or_default(),
            available_ip_address_count: free,
        }
    }

    pub(super) fn describe_vpcs(
        &self,
        region: &str,
        r: vpc::DescribeVpcs,
    ) -> Result<vpc::DescribeVpcsResponse, ApiError> {
        let ids = id_list(&r.vpc_id);
        let picked: Vec<&world::Vpc> = self
            .world
            .vpcs
            .iter()
            .filter(|v| v.region == region && (ids.is_empty() || ids.contains(&v.id.as_str())))
            .collect();
        let max = <vpc::DescribeVpcs as PageNumbered>::MAX_PAGE;
        let p = page(picked, r.page_number, r.page_size, max)?;
        Ok(vpc::DescribeVpcsResponse {
            vpcs: p
                .items
                .into_iter()
                .map(|v| vpc::Vpc {
                    vpc_id: v.id.clone(),
                    vpc_name: String::new(),
                    region_id: v.region.clone(),
                    cidr_block: v.cidr_block.clone(),
                    ipv6_cidr_block: v.ipv6_cidr_block.clone().unwrap_or_default(),
                })
                .collect::<Vec<_>>()
                .into(),
            total_count: p.total,
            page_number: p.number,
            page_size: p.size,
            request_id: String::new(),
        })
    }

    pub(super) fn describe_nats(
        &self,
        region: &str,
        r: vpc::DescribeNatGateways,
    ) -> Result<vpc::DescribeNatGatewaysResponse, ApiError> {
        let picked: Vec<&world::NatGateway> = self
            .world
            .nat_gateways
            .iter()
            .filter(|n| {
                n.region == region && is(&r.nat_gateway_id, &n.id) && is(&r.vpc_id, &n.vpc_id)
            })
            .collect();
        let max = <vpc::DescribeNatGateways as PageNumbered>::MAX_PAGE;
        let p = page(picked, r.page_number, r.page_size, max)?;
        let idx = self.eips_by_target();
        Ok(vpc::DescribeNatGatewaysResponse {
            nat_gateways: p
                .items
                .into_iter()
                .map(|n| vpc::NatGateway {
                    nat_gateway_id: n.id.clone(),
                    name: String::new(),
                    vpc_id: n.vpc_id.clone(),
                    region_id: n.region.clone(),
                    status: "Available".into(),
                    forward_table_ids: vec![forward_table_id(&n.id)].into(),
                    ip_lists: idx
                        .get(n.id.as_str())
                        .into_iter()
                        .flatten()
                        .map(|e| vpc::NatIp {
                            allocation_id: e.id.clone(),
                            ip_address: e.ip_address.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .into(),
                })
                .collect::<Vec<_>>()
                .into(),
            total_count: p.total,
            page_number: p.number,
            page_size: p.size,
            request_id: String::new(),
        })
    }

    /// The DNAT entries of a gateway's forward table: one IP mapping (every port, every
    /// protocol: `Any`, as Alibaba writes it) per world `dnat_ips` address. The external side is
    /// an EIP bound to the gateway, else a stable address the simulator makes up.
    pub(super) fn describe_forward_entries(
        &self,
        region: &str,
        r: vpc::DescribeForwardTableEntries,
    ) -> Result<vpc::DescribeForwardTableEntriesResponse, ApiError> {
        // Documented: at least one of ForwardTableId and NatGatewayId.
        if r.forward_table_id.is_none() && r.nat_gateway_id.is_none() {
            return Err(missing("ForwardTableId"));
        }
        let idx = self.eips_by_target();
        let mut entries = Vec::new();
        for n in self.world.nat_gateways.iter().filter(|n| {
            n.region == region
                && is(&r.forward_table_id, &forward_table_id(&n.id))
                && is(&r.nat_gateway_id, &n.id)
        }) {
            let table = forward_table_id(&n.id);
            let external = idx
                .get(n.id.as_str())
                .and_then(|v| v.first().copied())
                .map(|e| e.ip_address.to_string())
                .unwrap_or_else(|| made_up_public_ip(&n.id));
            for ip in &n.dnat_ips {
                entries.push(vpc::ForwardTableEntry {
                    forward_entry_id: make_id("fwd", &n.region, &hash_hex(&[&n.id, ip])),
                    forward_table_id: table.clone(),
                    nat_gateway_id: n.id.clone(),
                    external_ip: external.clone(),
                    external_port: "Any".into(),
                    internal_ip: ip.clone(),
                    internal_port: "Any".into(),
                    ip_protocol: "Any".into(),
                    status: "Available".into(),
                });
            }
        }
        let max = <vpc::DescribeForwardTableEntries as PageNumbered>::MAX_PAGE;
        let p = page(entries, r.page_number, r.page_size, max)?;
        Ok(vpc::DescribeForwardTableEntriesResponse {
            forward_table_entries: p.items.into(),
            total_count: p.total,
            page_number: p.number,
            page_size: p.size,
            request_id: String::new(),
        })
    }

    pub(super) fn describe_havips(
        &self,
        region: &str,
        r: vpc::DescribeHaVips,
    ) -> Result<vpc::DescribeHaVipsResponse, ApiError> {
        let picked: Vec<&world::HaVip> = self
            .world
            .havips
            .iter()
            .filter(|h| self.world.region_of_vswitch(&h.vswitch_id) == Some(region))
            .filter(|h| {
                let vpc = self.world.vswitch(&h.vswitch_id).map(|v| v.vpc_id.as_str());
                let f = &r.filter;
                f.allows("HaVipId", &h.id)
                    && f.allows("VSwitchId", &h.vswitch_id)
                    && f.allows("VpcId", vpc.unwrap_or(""))
                    && f.allows("Status", &h.status)
                    && f.allows("HaVipAddress", &h.ip_address)
            })
            .collect();
        if let Some((k, _)) = r.filter.0.iter().find(|(k, _)| {
            !["HaVipId", "VSwitchId", "VpcId", "Status", "HaVipAddress"].contains(&k.as_str())
        }) {
            return Err(ApiError::new(
                400,
                "InvalidParameter",
                format!(
                    "The filter key {k:?} is not supported: use VpcId, VSwitchId, Status, HaVipId or HaVipAddress."
                ),
            ));
        }
        let max = <vpc::DescribeHaVips as PageNumbered>::MAX_PAGE;
        let p = page(picked, r.page_number, r.page_size, max)?;
        Ok(vpc::DescribeHaVipsResponse {
            ha_vips: p
                .items
                .into_iter()
                .map(|h| vpc::HaVip {
                    ha_vip_id: h.id.clone(),
                    v_switch_id: h.vswitch_id.clone(),
                    vpc_id: self
                        .world
                        .vswitch(&h.vswitch_id)
                        .map(|v| v.vpc_id.clone())
                        .unwrap_or_default(),
                    ip_address: h.ip_address.clone(),
                    status: h.status.clone(),
                    region_id: region.to_string(),
                })
                .collect::<Vec<_>>()
                .into(),
            total_count: p.total,
            page_number: p.number,
            page_size: p.size,
            request_id: String::new(),
        })
    }

    pub(super) fn describe_slbs(
        &self,
        region: &str,
        r: slb::DescribeLoadBalancers,
    ) -> Result<slb::DescribeLoadBalancersResponse, ApiError> {
        let ids = id_list(&r.load_balancer_id);
        let vpc_of = |s: &world::Slb| {
            s.vswitch_id
                .as_deref()
                .and_then(|v| self.world.vswitch(v))
                .map(|v| v.vpc_id.clone())
                .unwrap_or_default()
        };
        let picked: Vec<&world::Slb> = self
            .world
            .slbs
            .iter()
            .filter(|s| {
                s.region == region
                    && (ids.is_empty() || ids.contains(&s.id.as_str()))
                    && is(&r.address_type, &s.address_type)
                    && is(&r.vpc_id, &vpc_of(s))
            })
            .collect();
        let max = <slb::DescribeLoadBalancers as PageNumbered>::MAX_PAGE;
        let p = page(picked, r.page_number, r.page_size, max)?;
        Ok(slb::DescribeLoadBalancersResponse {
            load_balancers: p
                .items
                .into_iter()
                .map(|s| slb::LoadBalancer {
                    load_balancer_id: s.id.clone(),
                    load_balancer_name: String::new(),
                    region_id: s.region.clone(),
                    address_type: s.address_type.clone(),
                    address: s.address.clone(),
                    v_switch_id: s.vswitch_id.clone().unwrap_or_default(),
                    vpc_id: vpc_of(s),
                })
                .collect::<Vec<_>>()
                .into(),
            total_count: p.total,
            page_number: p.number,
            page_size: p.size,
            request_id: String::new(),
        })
    }
}

/// A public-looking address for a NAT gateway's DNAT entries when no EIP is bound to it: in the
/// documentation block 203.0.113.0/24, so it can never be mistaken for (or collide with) an EIP
/// the simulator allocates.
fn made_up_public_ip(nat_gateway_id: &str) -> String {
    let h = hash_hex(&[nat_gateway_id]);
    let last = u8::from_str_radix(&h[..2], 16).unwrap_or(1).clamp(1, 254);
    format!("203.0.113.{last}")
}

/// DescribeRegions' `LocalName` for the regions Alibaba names; others show their id.
fn region_local_name(id: &str) -> String {
    match id {
        "cn-hangzhou" => "华东1（杭州）",
        "cn-shanghai" => "华东2（上海）",
        "cn-qingdao" => "华北1（青岛）",
        "cn-beijing" => "华北2（北京）",
        "cn-zhangjiakou" => "华北3（张家口）",
        "cn-shenzhen" => "华南1（深圳）",
        "cn-hongkong" => "中国香港",
        "ap-southeast-1" => "新加坡",
        "us-west-1" => "美国（硅谷）",
        "eu-central-1" => "德国（法兰克福）",
        other => other,
    }
    .to_string()
}
