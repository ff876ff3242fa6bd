//! SLB (API version 2014-05-15): the load balancers an EIP can bind to. Names and nesting as in
//! `alibabacloud_slb20140515.models`.

use serde::{Deserialize, Serialize};

use super::vpc::page_numbered;
use super::{PageNumbered, request, wrapper};

request! {
    DescribeLoadBalancers => Slb, DescribeLoadBalancersResponse {
        load_balancer_id: Option<String> = "LoadBalancerId",
        address_type: Option<String> = "AddressType",
        vpc_id: Option<String> = "VpcId",
        page_number: Option<u32> = "PageNumber",
        page_size: Option<u32> = "PageSize",
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LoadBalancer {
    pub load_balancer_id: String,
    pub load_balancer_name: String,
    pub region_id: String,
    /// `intranet` or `internet`.
    pub address_type: String,
    pub address: String,
    pub v_switch_id: String,
    pub vpc_id: String,
}
wrapper!(LoadBalancers, "LoadBalancer", LoadBalancer);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeLoadBalancersResponse {
    pub load_balancers: LoadBalancers,
    pub total_count: u64,
    pub page_number: u64,
    pub page_size: u64,
    pub request_id: String,
}

page_numbered!(DescribeLoadBalancers, LoadBalancer, 100, load_balancers);
