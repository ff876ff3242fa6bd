//! ECS (API version 2014-05-26): ENIs, their addresses and tags, instances, security groups and
//! instance types. Names and nesting as in `alibabacloud_ecs20140526.models`.

use serde::{Deserialize, Serialize};

use super::{Ack, EcsTags, JsonList, Tags, request, token_paged, wrapper};

request! {
    /// Creates a secondary ENI; answers synchronously (Available).
    CreateNetworkInterface => Ecs, NetworkInterfaceSet {
        v_switch_id: String = "VSwitchId",
        /// The single-group form the API also takes (the first group, before `SecurityGroupIds`).
        security_group_id: Option<String> = "SecurityGroupId",
        security_group_ids: Vec<String> = "SecurityGroupIds",
        primary_ip_address: Option<String> = "PrimaryIpAddress",
        private_ip_address: Vec<String> = "PrivateIpAddress",
        secondary_private_ip_address_count: Option<u32> = "SecondaryPrivateIpAddressCount",
        ipv6_address: Vec<String> = "Ipv6Address",
        ipv6_address_count: Option<u32> = "Ipv6AddressCount",
        network_interface_name: Option<String> = "NetworkInterfaceName",
        description: Option<String> = "Description",
        resource_group_id: Option<String> = "ResourceGroupId",
        queue_number: Option<u32> = "QueueNumber",
        source_dest_check: Option<bool> = "SourceDestCheck",
        delete_on_release: Option<bool> = "DeleteOnRelease",
        tag: Tags = "Tag",
        client_token: Option<String> = "ClientToken",
    }
}

request! {
    /// Attaches an ENI (asynchronous: Attaching → InUse). Takes no ClientToken.
    AttachNetworkInterface => Ecs, Ack {
        network_interface_id: String = "NetworkInterfaceId",
        instance_id: String = "InstanceId",
        network_card_index: Option<u32> = "NetworkCardIndex",
        trunk_network_instance_id: Option<String> = "TrunkNetworkInstanceId",
    }
}

request! {
    /// Detaches an ENI (asynchronous: Detaching → Available). Takes no ClientToken.
    DetachNetworkInterface => Ecs, Ack {
        network_interface_id: String = "NetworkInterfaceId",
        instance_id: String = "InstanceId",
        trunk_network_instance_id: Option<String> = "TrunkNetworkInstanceId",
    }
}

request! {
    DeleteNetworkInterface => Ecs, Ack {
        network_interface_id: String = "NetworkInterfaceId",
    }
}

request! {
    AssignPrivateIpAddresses => Ecs, AssignPrivateIpAddressesResponse {
        network_interface_id: String = "NetworkInterfaceId",
        private_ip_address: Vec<String> = "PrivateIpAddress",
        secondary_private_ip_address_count: Option<u32> = "SecondaryPrivateIpAddressCount",
        client_token: Option<String> = "ClientToken",
    }
}

request! {
    UnassignPrivateIpAddresses => Ecs, Ack {
        network_interface_id: String = "NetworkInterfaceId",
        private_ip_address: Vec<String> = "PrivateIpAddress",
    }
}

request! {
    AssignIpv6Addresses => Ecs, AssignIpv6AddressesResponse {
        network_interface_id: String = "NetworkInterfaceId",
        ipv6_address: Vec<String> = "Ipv6Address",
        ipv6_address_count: Option<u32> = "Ipv6AddressCount",
        client_token: Option<String> = "ClientToken",
    }
}

request! {
    UnassignIpv6Addresses => Ecs, Ack {
        network_interface_id: String = "NetworkInterfaceId",
        ipv6_address: Vec<String> = "Ipv6Address",
    }
}

request! {
    ModifyNetworkInterfaceAttribute => Ecs, Ack {
        network_interface_id: String = "NetworkInterfaceId",
        network_interface_name: Option<String> = "NetworkInterfaceName",
        description: Option<String> = "Description",
        security_group_id: Vec<String> = "SecurityGroupId",
        queue_number: Option<u32> = "QueueNumber",
        source_dest_check: Option<bool> = "SourceDestCheck",
        delete_on_release: Option<bool> = "DeleteOnRelease",
    }
}

/// ECS's `ResourceType` for an ENI in TagResources/UntagResources.
pub const ENI_RESOURCE_TYPE: &str = "eni";

request! {
    /// Tags ECS resources; for an ENI, `resource_type` is [`ENI_RESOURCE_TYPE`].
    TagResources => Ecs, Ack {
        resource_type: String = "ResourceType",
        resource_id: Vec<String> = "ResourceId",
        tag: Tags = "Tag",
    }
}

request! {
    UntagResources => Ecs, Ack {
        resource_type: String = "ResourceType",
        resource_id: Vec<String> = "ResourceId",
        tag_key: Vec<String> = "TagKey",
        all: Option<bool> = "All",
    }
}

request! {
    /// ENIs by id (up to 100 per call), by instance, vSwitch, group, type or tag.
    DescribeNetworkInterfaces => Ecs, DescribeNetworkInterfacesResponse {
        network_interface_id: Vec<String> = "NetworkInterfaceId",
        instance_id: Option<String> = "InstanceId",
        v_switch_id: Option<String> = "VSwitchId",
        vpc_id: Option<String> = "VpcId",
        security_group_id: Option<String> = "SecurityGroupId",
        r#type: Option<String> = "Type",
        status: Option<String> = "Status",
        tag: Tags = "Tag",
        max_results: Option<u32> = "MaxResults",
        next_token: Option<String> = "NextToken",
        /// The older paging these actions also take; `MaxResults`/`NextToken` win when given.
        page_number: Option<u32> = "PageNumber",
        page_size: Option<u32> = "PageSize",
    }
}

/// Most ids DescribeNetworkInterfaces takes in one call.
pub const ENI_IDS_PER_CALL: usize = 100;

request! {
    DescribeInstances => Ecs, DescribeInstancesResponse {
        instance_ids: JsonList = "InstanceIds",
        vpc_id: Option<String> = "VpcId",
        v_switch_id: Option<String> = "VSwitchId",
        zone_id: Option<String> = "ZoneId",
        instance_name: Option<String> = "InstanceName",
        status: Option<String> = "Status",
        max_results: Option<u32> = "MaxResults",
        next_token: Option<String> = "NextToken",
        /// The older paging these actions also take; `MaxResults`/`NextToken` win when given.
        page_number: Option<u32> = "PageNumber",
        page_size: Option<u32> = "PageSize",
    }
}

/// Most ids DescribeInstances takes in one call.
pub const INSTANCE_IDS_PER_CALL: usize = 100;

request! {
    DescribeSecurityGroups => Ecs, DescribeSecurityGroupsResponse {
        security_group_ids: JsonList = "SecurityGroupIds",
        vpc_id: Option<String> = "VpcId",
        security_group_name: Option<String> = "SecurityGroupName",
        max_results: Option<u32> = "MaxResults",
        next_token: Option<String> = "NextToken",
        /// The older paging these actions also take; `MaxResults`/`NextToken` win when given.
        page_number: Option<u32> = "PageNumber",
        page_size: Option<u32> = "PageSize",
    }
}

request! {
    /// Instance types and their ENI limits; global (no RegionId), paged by NextToken.
    DescribeInstanceTypes => Ecs, DescribeInstanceTypesResponse, regional = false {
        instance_types: Vec<String> = "InstanceTypes",
        max_results: Option<u32> = "MaxResults",
        next_token: Option<String> = "NextToken",
    }
}

request! {
    /// Regions; global.
    DescribeRegions => Ecs, DescribeRegionsResponse, regional = false {}
}

request! {
    DescribeZones => Ecs, DescribeZonesResponse {}
}

// ---- answers ----

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PrivateIpSet {
    pub private_ip_address: String,
    pub primary: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub associated_public_ip: Option<AssociatedPublicIp>,
}
wrapper!(PrivateIpSets, "PrivateIpSet", PrivateIpSet);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AssociatedPublicIp {
    pub public_ip_address: String,
    pub allocation_id: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Ipv6Set {
    pub ipv6_address: String,
}
wrapper!(Ipv6Sets, "Ipv6Set", Ipv6Set);
wrapper!(SecurityGroupIds, "SecurityGroupId", String);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Attachment {
    pub instance_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_index: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_card_index: Option<u64>,
}

/// An ENI as DescribeNetworkInterfaces (and CreateNetworkInterface) answer it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkInterfaceSet {
    pub network_interface_id: String,
    pub status: String,
    /// `Primary` or `Secondary`.
    pub r#type: String,
    pub v_switch_id: String,
    pub vpc_id: String,
    pub zone_id: String,
    pub security_group_ids: SecurityGroupIds,
    pub network_interface_name: String,
    pub description: String,
    pub private_ip_address: String,
    pub private_ip_sets: PrivateIpSets,
    pub ipv6_sets: Ipv6Sets,
    pub mac_address: String,
    /// Empty (and left out) while the ENI is not attached; CreateNetworkInterface has no such
    /// field.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub instance_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub associated_public_ip: Option<AssociatedPublicIp>,
    pub tags: EcsTags,
    pub resource_group_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_number: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_dest_check: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_on_release: Option<bool>,
    /// Only CreateNetworkInterface's answer (this struct) has one; the entries of
    /// DescribeNetworkInterfaces do not, so an empty id is left out.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub request_id: String,
}
wrapper!(
    NetworkInterfaceSets,
    "NetworkInterfaceSet",
    NetworkInterfaceSet
);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeNetworkInterfacesResponse {
    pub network_interface_sets: NetworkInterfaceSets,
    pub next_token: String,
    pub total_count: u64,
    /// Set when the request paged by `PageNumber`/`PageSize`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_number: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u64>,
    pub request_id: String,
}

token_paged!(
    DescribeNetworkInterfaces,
    NetworkInterfaceSet,
    500,
    network_interface_sets
);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AssignedPrivateIpAddressesSet {
    pub network_interface_id: String,
    pub private_ip_set: PrivateIpList,
}
wrapper!(PrivateIpList, "PrivateIpAddress", String);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AssignPrivateIpAddressesResponse {
    pub assigned_private_ip_addresses_set: AssignedPrivateIpAddressesSet,
    pub request_id: String,
}

wrapper!(Ipv6AddressList, "Ipv6Address", String);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AssignIpv6AddressesResponse {
    pub network_interface_id: String,
    pub ipv6_sets: Ipv6AddressList,
    pub request_id: String,
}

wrapper!(IpAddressList, "IpAddress", String);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VpcAttributes {
    pub vpc_id: String,
    pub v_switch_id: String,
    pub private_ip_address: IpAddressList,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceEip {
    pub allocation_id: String,
    pub ip_address: String,
}

/// An ENI as DescribeInstances lists it on an instance: the primary one has `Type = Primary`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceNetworkInterface {
    pub network_interface_id: String,
    pub r#type: String,
    pub primary_ip_address: String,
    pub mac_address: String,
}
wrapper!(
    InstanceNetworkInterfaces,
    "NetworkInterface",
    InstanceNetworkInterface
);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Instance {
    pub instance_id: String,
    pub instance_name: String,
    pub instance_type: String,
    pub status: String,
    pub region_id: String,
    pub zone_id: String,
    /// `vpc` or `classic`.
    pub instance_network_type: String,
    pub vpc_attributes: VpcAttributes,
    /// A classic-network instance's private address (a VPC instance's is in `VpcAttributes`).
    pub inner_ip_address: IpAddressList,
    pub public_ip_address: IpAddressList,
    pub eip_address: InstanceEip,
    pub security_group_ids: SecurityGroupIds,
    pub network_interfaces: InstanceNetworkInterfaces,
}
wrapper!(Instances, "Instance", Instance);

impl Instance {
    /// The instance's primary ENI: its `NetworkInterfaces` entry with `Type = Primary`.
    pub fn primary_eni(&self) -> Option<&InstanceNetworkInterface> {
        self.network_interfaces
            .items
            .iter()
            .find(|n| n.r#type == "Primary")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeInstancesResponse {
    pub instances: Instances,
    pub next_token: String,
    pub total_count: u64,
    /// Set when the request paged by `PageNumber`/`PageSize`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_number: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u64>,
    pub request_id: String,
}

token_paged!(DescribeInstances, Instance, 100, instances);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SecurityGroup {
    pub security_group_id: String,
    pub security_group_name: String,
    pub vpc_id: String,
    /// `normal` or `enterprise`.
    pub security_group_type: String,
}
wrapper!(SecurityGroups, "SecurityGroup", SecurityGroup);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeSecurityGroupsResponse {
    pub security_groups: SecurityGroups,
    pub next_token: String,
    pub total_count: u64,
    /// Set when the request paged by `PageNumber`/`PageSize`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_number: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u64>,
    pub request_id: String,
}

token_paged!(DescribeSecurityGroups, SecurityGroup, 100, security_groups);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceType {
    pub instance_type_id: String,
    pub instance_type_family: String,
    pub eni_quantity: u64,
    pub eni_private_ip_address_quantity: u64,
    pub eni_ipv6_address_quantity: u64,
}
wrapper!(InstanceTypes, "InstanceType", InstanceType);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeInstanceTypesResponse {
    pub instance_types: InstanceTypes,
    pub next_token: String,
    pub request_id: String,
}

token_paged!(DescribeInstanceTypes, InstanceType, 1600, instance_types);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Region {
    pub region_id: String,
    pub region_endpoint: String,
    pub local_name: String,
}
wrapper!(Regions, "Region", Region);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeRegionsResponse {
    pub regions: Regions,
    pub request_id: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Zone {
    pub zone_id: String,
    pub local_name: String,
}
wrapper!(Zones, "Zone", Zone);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeZonesResponse {
    pub zones: Zones,
    pub request_id: String,
}
