//! VPC (API version 2016-04-28): EIPs and their bindings, deletion protection and tags, and the
//! networks netform refers to (VPCs, vSwitches, NAT gateways with their DNAT tables, HAVIPs).
//! Names and nesting as in `alibabacloud_vpc20160428.models`.

use serde::{Deserialize, Serialize};

use super::{Ack, CommaList, Filters, PageNumbered, Tags, VpcTags, request, wrapper};

request! {
    /// Allocates an EIP (synchronous: Available). Deletion protection is not a parameter here;
    /// it is the [`DeletionProtection`] action.
    AllocateEipAddress => Vpc, AllocateEipAddressResponse {
        bandwidth: Option<String> = "Bandwidth",
        internet_charge_type: Option<String> = "InternetChargeType",
        instance_charge_type: Option<String> = "InstanceChargeType",
        isp: Option<String> = "ISP",
        name: Option<String> = "Name",
        description: Option<String> = "Description",
        ip_address: Option<String> = "IpAddress",
        resource_group_id: Option<String> = "ResourceGroupId",
        tag: Tags = "Tag",
        client_token: Option<String> = "ClientToken",
    }
}

request! {
    /// Binds an EIP (asynchronous: Associating → InUse).
    AssociateEipAddress => Vpc, Ack {
        allocation_id: String = "AllocationId",
        instance_id: String = "InstanceId",
        instance_type: Option<String> = "InstanceType",
        private_ip_address: Option<String> = "PrivateIpAddress",
        mode: Option<String> = "Mode",
        vpc_id: Option<String> = "VpcId",
        client_token: Option<String> = "ClientToken",
    }
}

request! {
    UnassociateEipAddress => Vpc, Ack {
        allocation_id: String = "AllocationId",
        instance_id: Option<String> = "InstanceId",
        instance_type: Option<String> = "InstanceType",
        private_ip_address: Option<String> = "PrivateIpAddress",
        force: Option<bool> = "Force",
        client_token: Option<String> = "ClientToken",
    }
}

request! {
    /// Releases an EIP (asynchronous). Takes no ClientToken.
    ReleaseEipAddress => Vpc, Ack {
        allocation_id: String = "AllocationId",
    }
}

request! {
    ModifyEipAddressAttribute => Vpc, Ack {
        allocation_id: String = "AllocationId",
        bandwidth: Option<String> = "Bandwidth",
        name: Option<String> = "Name",
        description: Option<String> = "Description",
    }
}

request! {
    ModifyEipForwardMode => Vpc, Ack {
        instance_id: String = "InstanceId",
        mode: String = "Mode",
        client_token: Option<String> = "ClientToken",
    }
}

/// `Type` of [`DeletionProtection`] for an EIP.
pub const EIP_PROTECTION_TYPE: &str = "EIP";

request! {
    /// Turns deletion protection of an instance (here: an EIP) on or off.
    DeletionProtection => Vpc, Ack {
        instance_id: String = "InstanceId",
        r#type: String = "Type",
        protection_enable: Option<bool> = "ProtectionEnable",
        client_token: Option<String> = "ClientToken",
    }
}

/// VPC's `ResourceType` for an EIP in TagResources/UnTagResources.
pub const EIP_RESOURCE_TYPE: &str = "EIP";

request! {
    TagResources => Vpc, Ack {
        resource_type: String = "ResourceType",
        resource_id: Vec<String> = "ResourceId",
        tag: Tags = "Tag",
    }
}

request! {
    /// VPC spells it with a capital T, unlike ECS's UntagResources.
    UnTagResources => Vpc, Ack {
        resource_type: String = "ResourceType",
        resource_id: Vec<String> = "ResourceId",
        tag_key: Vec<String> = "TagKey",
        all: Option<bool> = "All",
    }
}

request! {
    /// EIPs by id (up to 50, comma-separated), by bound instance, status or tag.
    DescribeEipAddresses => Vpc, DescribeEipAddressesResponse {
        allocation_id: CommaList = "AllocationId",
        associated_instance_id: Option<String> = "AssociatedInstanceId",
        associated_instance_type: Option<String> = "AssociatedInstanceType",
        status: Option<String> = "Status",
        tag: Tags = "Tag",
        page_number: Option<u32> = "PageNumber",
        page_size: Option<u32> = "PageSize",
    }
}

/// Most ids DescribeEipAddresses takes in one call.
pub const EIP_IDS_PER_CALL: usize = 50;

request! {
    DescribeVSwitches => Vpc, DescribeVSwitchesResponse {
        v_switch_id: Option<String> = "VSwitchId",
        vpc_id: Option<String> = "VpcId",
        zone_id: Option<String> = "ZoneId",
        page_number: Option<u32> = "PageNumber",
        page_size: Option<u32> = "PageSize",
    }
}

request! {
    DescribeVpcs => Vpc, DescribeVpcsResponse {
        vpc_id: Option<String> = "VpcId",
        page_number: Option<u32> = "PageNumber",
        page_size: Option<u32> = "PageSize",
    }
}

request! {
    DescribeNatGateways => Vpc, DescribeNatGatewaysResponse {
        nat_gateway_id: Option<String> = "NatGatewayId",
        vpc_id: Option<String> = "VpcId",
        page_number: Option<u32> = "PageNumber",
        page_size: Option<u32> = "PageSize",
    }
}

request! {
    /// The DNAT entries of one forward table (a NAT gateway's `ForwardTableIds`).
    DescribeForwardTableEntries => Vpc, DescribeForwardTableEntriesResponse {
        forward_table_id: Option<String> = "ForwardTableId",
        nat_gateway_id: Option<String> = "NatGatewayId",
        page_number: Option<u32> = "PageNumber",
        page_size: Option<u32> = "PageSize",
    }
}

request! {
    DescribeHaVips => Vpc, DescribeHaVipsResponse {
        /// Keys: VpcId, VSwitchId, Status, HaVipId, HaVipAddress.
        filter: Filters = "Filter",
        page_number: Option<u32> = "PageNumber",
        page_size: Option<u32> = "PageSize",
    }
}

// ---- answers ----

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocateEipAddressResponse {
    pub allocation_id: String,
    pub eip_address: String,
    pub resource_group_id: String,
    pub request_id: String,
}

/// An EIP as DescribeEipAddresses answers it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EipAddress {
    pub allocation_id: String,
    pub ip_address: String,
    pub status: String,
    pub region_id: String,
    pub bandwidth: String,
    pub internet_charge_type: String,
    /// `PostPaid` or `PrePaid`.
    pub charge_type: String,
    #[serde(rename = "ISP")]
    pub isp: String,
    pub name: String,
    pub description: String,
    pub instance_id: String,
    pub instance_type: String,
    pub instance_region_id: String,
    pub private_ip_address: String,
    pub mode: String,
    pub tags: VpcTags,
    pub resource_group_id: String,
    pub deletion_protection: bool,
}
wrapper!(EipAddresses, "EipAddress", EipAddress);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeEipAddressesResponse {
    pub eip_addresses: EipAddresses,
    pub total_count: u64,
    pub page_number: u64,
    pub page_size: u64,
    pub request_id: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VSwitch {
    pub v_switch_id: String,
    pub v_switch_name: String,
    pub vpc_id: String,
    pub zone_id: String,
    pub cidr_block: String,
    pub ipv6_cidr_block: String,
    pub available_ip_address_count: u64,
}
wrapper!(VSwitches, "VSwitch", VSwitch);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeVSwitchesResponse {
    pub v_switches: VSwitches,
    pub total_count: u64,
    pub page_number: u64,
    pub page_size: u64,
    pub request_id: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Vpc {
    pub vpc_id: String,
    pub vpc_name: String,
    pub region_id: String,
    pub cidr_block: String,
    pub ipv6_cidr_block: String,
}
wrapper!(Vpcs, "Vpc", Vpc);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeVpcsResponse {
    pub vpcs: Vpcs,
    pub total_count: u64,
    pub page_number: u64,
    pub page_size: u64,
    pub request_id: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NatIp {
    pub allocation_id: String,
    pub ip_address: String,
}
wrapper!(NatIps, "IpList", NatIp);
wrapper!(ForwardTableIds, "ForwardTableId", String);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NatGateway {
    pub nat_gateway_id: String,
    pub name: String,
    pub vpc_id: String,
    pub region_id: String,
    pub status: String,
    pub forward_table_ids: ForwardTableIds,
    pub ip_lists: NatIps,
}
wrapper!(NatGateways, "NatGateway", NatGateway);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeNatGatewaysResponse {
    pub nat_gateways: NatGateways,
    pub total_count: u64,
    pub page_number: u64,
    pub page_size: u64,
    pub request_id: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ForwardTableEntry {
    pub forward_entry_id: String,
    pub forward_table_id: String,
    pub nat_gateway_id: String,
    pub external_ip: String,
    pub external_port: String,
    pub internal_ip: String,
    pub internal_port: String,
    pub ip_protocol: String,
    pub status: String,
}
wrapper!(ForwardTableEntries, "ForwardTableEntry", ForwardTableEntry);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeForwardTableEntriesResponse {
    pub forward_table_entries: ForwardTableEntries,
    pub total_count: u64,
    pub page_number: u64,
    pub page_size: u64,
    pub request_id: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HaVip {
    pub ha_vip_id: String,
    pub v_switch_id: String,
    pub vpc_id: String,
    pub ip_address: String,
    pub status: String,
    pub region_id: String,
}
wrapper!(HaVips, "HaVip", HaVip);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeHaVipsResponse {
    pub ha_vips: HaVips,
    pub total_count: u64,
    pub page_number: u64,
    pub page_size: u64,
    pub request_id: String,
}

/// Implements [`PageNumbered`] for a list request whose answer has `total_count` and a wrapper.
macro_rules! page_numbered {
    ($req:ty, $item:ty, $max:expr, $field:ident) => {
        impl PageNumbered for $req {
            type Item = $item;
            const MAX_PAGE: u32 = $max;
            fn set_page(&mut self, number: u32, size: u32) {
                self.page_number = Some(number);
                self.page_size = Some(size);
            }
            fn total(resp: &Self::Response) -> u64 {
                resp.total_count
            }
            fn items(resp: Self::Response) -> Vec<$item> {
                resp.$field.items
            }
        }
    };
}
pub(crate) use page_numbered;

page_numbered!(DescribeEipAddresses, EipAddress, 100, eip_addresses);
page_numbered!(DescribeVSwitches, VSwitch, 50, v_switches);
page_numbered!(DescribeVpcs, Vpc, 50, vpcs);
page_numbered!(DescribeNatGateways, NatGateway, 50, nat_gateways);
page_numbered!(
    DescribeForwardTableEntries,
    ForwardTableEntry,
    50,
    forward_table_entries
);
page_numbered!(DescribeHaVips, HaVip, 50, ha_vips);
