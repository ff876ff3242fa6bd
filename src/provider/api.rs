//! Alibaba's ECS/VPC actions as typed calls, over any [`Transport`]: request building, response
//! parsing, retries with backoff (keeping the ClientToken, so a retry never duplicates), and
//! waiting out the asynchronous states (Attaching, Associating, …).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value as J;

use super::wire::{PageNumbered, Request, TokenPaged};
use super::{ApiError, Params, Product, Transport};

/// An ENI as the cloud describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct EniInfo {
    pub id: String,
    pub status: String,
    pub primary: bool,
    pub vswitch_id: String,
    pub vpc_id: String,
    pub zone_id: String,
    pub security_group_ids: Vec<String>,
    pub name: String,
    pub description: String,
    pub primary_ip: String,
    pub private_ips: Vec<String>,
    pub ipv6: Vec<String>,
    pub mac: String,
    pub instance_id: Option<String>,
    pub device_index: Option<u64>,
    pub tags: BTreeMap<String, String>,
    pub resource_group_id: String,
    pub queue_number: Option<u64>,
    pub source_dest_check: Option<bool>,
    pub delete_on_release: Option<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EipInfo {
    pub id: String,
    pub ip_address: String,
    pub status: String,
    pub bandwidth: String,
    pub internet_charge_type: String,
    pub payment_type: String,
    pub isp: String,
    pub name: String,
    pub description: String,
    pub instance_id: Option<String>,
    pub instance_type: Option<String>,
    pub private_ip: Option<String>,
    pub mode: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub resource_group_id: String,
    pub region: String,
    pub deletion_protection: bool,
}

fn s(j: &J, k: &str) -> String {
    match j.get(k) {
        Some(J::String(x)) => x.clone(),
        Some(J::Number(n)) => n.to_string(),
        Some(J::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn opt(j: &J, k: &str) -> Option<String> {
    Some(s(j, k)).filter(|x| !x.is_empty())
}

/// Alibaba wraps lists twice: `{"Sets": {"Set": [...]}}`.
fn list<'a>(j: &'a J, outer: &str, inner: &str) -> &'a [J] {
    j.get(outer)
        .and_then(|o| o.get(inner))
        .and_then(J::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

impl EniInfo {
    pub fn from_json(j: &J) -> EniInfo {
        let ips = list(j, "PrivateIpSets", "PrivateIpSet");
        let mut private_ips: Vec<String> = ips
            .iter()
            .filter(|x| x.get("Primary") != Some(&J::Bool(true)))
            .map(|x| s(x, "PrivateIpAddress"))
            .collect();
        private_ips.sort();
        let tags = list(j, "Tags", "Tag")
            .iter()
            .map(|t| (s(t, "TagKey"), s(t, "TagValue")))
            .collect();
        EniInfo {
            id: s(j, "NetworkInterfaceId"),
            status: s(j, "Status"),
            primary: s(j, "Type") == "Primary",
            vswitch_id: s(j, "VSwitchId"),
            vpc_id: s(j, "VpcId"),
            zone_id: s(j, "ZoneId"),
            security_group_ids: list(j, "SecurityGroupIds", "SecurityGroupId")
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            name: s(j, "NetworkInterfaceName"),
            description: s(j, "Description"),
            primary_ip: s(j, "PrivateIpAddress"),
            private_ips,
            ipv6: list(j, "Ipv6Sets", "Ipv6Set")
                .iter()
                .map(|x| s(x, "Ipv6Address"))
                .collect(),
            mac: s(j, "MacAddress"),
            instance_id: opt(j, "InstanceId"),
            device_index: j
                .get("Attachment")
                .and_then(|a| a.get("DeviceIndex"))
                .and_then(J::as_u64),
            tags,
            resource_group_id: s(j, "ResourceGroupId"),
            queue_number: j.get("QueueNumber").and_then(J::as_u64),
            source_dest_check: j.get("SourceDestCheck").and_then(J::as_bool),
            delete_on_release: j.get("DeleteOnRelease").and_then(J::as_bool),
        }
    }
}

impl EipInfo {
    pub fn from_json(j: &J) -> EipInfo {
        EipInfo {
            id: s(j, "AllocationId"),
            ip_address: s(j, "IpAddress"),
            status: s(j, "Status"),
            bandwidth: s(j, "Bandwidth"),
            internet_charge_type: s(j, "InternetChargeType"),
            payment_type: if s(j, "ChargeType") == "PrePaid" {
                "Subscription".into()
            } else {
                "PayAsYouGo".into()
            },
            isp: s(j, "ISP"),
            name: s(j, "Name"),
            description: s(j, "Description"),
            instance_id: opt(j, "InstanceId"),
            instance_type: opt(j, "InstanceType"),
            private_ip: opt(j, "PrivateIpAddress"),
            mode: opt(j, "Mode"),
            tags: list(j, "Tags", "Tag")
                .iter()
                .map(|t| (s(t, "Key"), s(t, "Value")))
                .collect(),
            resource_group_id: s(j, "ResourceGroupId"),
            region: s(j, "RegionId"),
            deletion_protection: j
                .get("DeletionProtection")
                .and_then(J::as_bool)
                .unwrap_or(false),
        }
    }
}

/// The `InstanceType` of AssociateEipAddress that an id's prefix names (terraform-provider-alicloud
/// infers only `lb-` and `ngw-`; netform infers them all).
pub fn eip_target_kind(id: &str) -> &'static str {
    if id.starts_with("eni-") {
        "NetworkInterface"
    } else if id.starts_with("ngw-") {
        "Nat"
    } else if id.starts_with("havip-") {
        "HaVip"
    } else if id.starts_with("lb-") {
        "SlbInstance"
    } else {
        "EcsInstance"
    }
}

/// How hard to retry and how patiently to wait; the simulator and the real cloud differ.
#[derive(Clone, Debug)]
pub struct Timing {
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    pub poll_interval: Duration,
    pub wait_timeout: Duration,
}

impl Timing {
    pub fn simulator() -> Timing {
        Timing {
            max_attempts: 12,
            backoff_base: Duration::from_millis(2),
            backoff_max: Duration::from_millis(50),
            poll_interval: Duration::from_millis(5),
            wait_timeout: Duration::from_secs(60),
        }
    }

    /// Paced for Alibaba's API. `NETFORM_ALICLOUD_POLL_MS` and `NETFORM_ALICLOUD_BACKOFF_MS`
    /// override the poll interval and the first backoff: an endpoint such as `sim serve` on
    /// loopback answers in milliseconds, and waiting seconds for it only slows its users down.
    pub fn cloud() -> Timing {
        let mut t = Timing {
            max_attempts: 8,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(20),
            poll_interval: Duration::from_secs(2),
            wait_timeout: Duration::from_secs(600),
        };
        if let Some(d) = env_ms("NETFORM_ALICLOUD_POLL_MS") {
            t.poll_interval = d;
        }
        if let Some(d) = env_ms("NETFORM_ALICLOUD_BACKOFF_MS") {
            t.backoff_base = d;
            t.backoff_max = d.saturating_mul(40);
        }
        t
    }
}

/// A duration in milliseconds from the environment. A value that is not one is reported and
/// ignored rather than fatal: it only tunes pacing, and the defaults are safe.
fn env_ms(name: &str) -> Option<Duration> {
    let v = std::env::var(name).ok().filter(|v| !v.trim().is_empty())?;
    match v.trim().parse::<u64>() {
        Ok(ms) => Some(Duration::from_millis(ms)),
        Err(_) => {
            eprintln!("warning: ignoring {name}={v:?}: expected a whole number of milliseconds");
            None
        }
    }
}

pub struct Client<'a> {
    pub transport: &'a dyn Transport,
    pub region: String,
    pub timing: Timing,
}

/// Sets `Prefix.1..N` parameters.
pub fn push_list(p: &mut Params, prefix: &str, items: &[String]) {
    for (i, x) in items.iter().enumerate() {
        p.insert(format!("{prefix}.{}", i + 1), x.clone());
    }
}

pub fn push_tags(p: &mut Params, tags: &BTreeMap<String, String>) {
    for (i, (k, v)) in tags.iter().enumerate() {
        p.insert(format!("Tag.{}.Key", i + 1), k.clone());
        p.insert(format!("Tag.{}.Value", i + 1), v.clone());
    }
}

/// Cheap jitter without a random-number dependency: the clock's nanoseconds.
fn jitter(max: Duration) -> Duration {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0) as u64;
    let ms = max.as_millis() as u64;
    Duration::from_millis(if ms == 0 { 0 } else { n % (ms + 1) })
}

/// The product of an action given by name: `sim call` and the untyped [`Client::call`] path.
/// Only TagResources is ambiguous (ECS and VPC both have it); `ResourceType=EIP` means VPC.
pub fn product_of(action: &str, params: &Params) -> Product {
    match action {
        "AllocateEipAddress"
        | "AssociateEipAddress"
        | "UnassociateEipAddress"
        | "ReleaseEipAddress"
        | "ModifyEipAddressAttribute"
        | "ModifyEipForwardMode"
        | "DeletionProtection"
        | "UnTagResources"
        | "DescribeEipAddresses"
        | "DescribeVSwitches"
        | "DescribeVpcs"
        | "DescribeNatGateways"
        | "DescribeForwardTableEntries"
        | "DescribeHaVips" => Product::Vpc,
        "TagResources" | "UntagResources"
            if params
                .get("ResourceType")
                .is_some_and(|t| t.eq_ignore_ascii_case("EIP")) =>
        {
            Product::Vpc
        }
        "DescribeLoadBalancers" => Product::Slb,
        _ => Product::Ecs,
    }
}

impl Client<'_> {
    /// One typed request, retried like [`Client::call`], its answer decoded into the action's
    /// answer type. An answer that does not decode is an error naming the action, not a panic.
    pub fn send<R: Request>(&self, req: &R) -> Result<R::Response, ApiError> {
        let mut p = req.to_params();
        if R::REGIONAL {
            p.insert("RegionId".into(), self.region.clone());
        }
        let j = self.retrying(R::PRODUCT, R::ACTION, &p)?;
        serde_json::from_value(j).map_err(|e| {
            ApiError::new(
                502,
                "netform.BadAnswer",
                format!(
                    "{}: the answer does not have the documented shape: {e}",
                    R::ACTION
                ),
            )
        })
    }

    /// Every item of a `PageNumber`/`PageSize` list, page by page, with the largest page the
    /// action serves. Stops at `TotalCount` (or at a short page, should the count be missing).
    pub fn list_all<R: PageNumbered + Clone>(&self, req: &R) -> Result<Vec<R::Item>, ApiError> {
        let mut out = Vec::new();
        for number in 1.. {
            let mut r = req.clone();
            r.set_page(number, R::MAX_PAGE);
            let resp = self.send(&r)?;
            let total = R::total(&resp);
            let items = R::items(resp);
            let short = items.len() < R::MAX_PAGE as usize;
            out.extend(items);
            if short || out.len() as u64 >= total {
                break;
            }
        }
        Ok(out)
    }

    /// Every item of a `NextToken`/`MaxResults` list.
    pub fn list_all_tokens<R: TokenPaged + Clone>(
        &self,
        req: &R,
    ) -> Result<Vec<R::Item>, ApiError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let mut r = req.clone();
            r.set_page(token.take(), R::MAX_PAGE);
            let resp = self.send(&r)?;
            let next = R::next_token(&resp);
            out.extend(R::items(resp));
            match next {
                Some(t) => token = Some(t),
                None => return Ok(out),
            }
        }
    }

    /// One action given by name (being replaced by [`Client::send`]).
    pub fn call(&self, action: &str, mut p: Params) -> Result<J, ApiError> {
        p.entry("RegionId".into())
            .or_insert_with(|| self.region.clone());
        self.retrying(product_of(action, &p), action, &p)
    }

    /// One action, retried on throttling and transient errors with exponential backoff and
    /// jitter. The parameters (ClientToken included) are identical on every attempt.
    fn retrying(&self, product: Product, action: &str, p: &Params) -> Result<J, ApiError> {
        let mut attempt = 0;
        loop {
            match self.transport.call(product, action, p) {
                Ok(j) => return Ok(j),
                Err(e) if e.is_retryable() && attempt + 1 < self.timing.max_attempts => {
                    let exp = self
                        .timing
                        .backoff_base
                        .saturating_mul(1 << attempt.min(16));
                    let d = exp.min(self.timing.backoff_max);
                    std::thread::sleep(d / 2 + jitter(d / 2));
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Polls `probe` until it returns `Some`, or fails after the wait timeout with `what`.
    fn wait<T>(
        &self,
        what: &str,
        mut probe: impl FnMut() -> Result<Option<T>, ApiError>,
    ) -> Result<T, ApiError> {
        let start = Instant::now();
        loop {
            if let Some(t) = probe()? {
                return Ok(t);
            }
            if start.elapsed() > self.timing.wait_timeout {
                return Err(ApiError::new(
                    408,
                    "netform.WaitTimeout",
                    format!(
                        "{what} did not finish within {}s",
                        self.timing.wait_timeout.as_secs()
                    ),
                ));
            }
            std::thread::sleep(self.timing.poll_interval);
        }
    }

    pub fn describe_enis(&self, ids: &[String]) -> Result<Vec<EniInfo>, ApiError> {
        let mut out = Vec::new();
        // Up to 100 ids per call: a refresh of n ENIs costs n/100 calls.
        for chunk in ids.chunks(100) {
            let mut p = Params::new();
            push_list(&mut p, "NetworkInterfaceId", chunk);
            p.insert("MaxResults".into(), "100".into());
            let j = self.call("DescribeNetworkInterfaces", p)?;
            out.extend(
                list(&j, "NetworkInterfaceSets", "NetworkInterfaceSet")
                    .iter()
                    .map(EniInfo::from_json),
            );
        }
        Ok(out)
    }

    pub fn describe_eni(&self, id: &str) -> Result<Option<EniInfo>, ApiError> {
        Ok(self
            .describe_enis(&[id.to_string()])?
            .into_iter()
            .find(|e| e.id == id))
    }

    pub fn describe_eips(&self, ids: &[String]) -> Result<Vec<EipInfo>, ApiError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(50) {
            let mut p = Params::new();
            p.insert("AllocationId".into(), chunk.join(","));
            p.insert("PageSize".into(), "100".into());
            let j = self.call("DescribeEipAddresses", p)?;
            out.extend(
                list(&j, "EipAddresses", "EipAddress")
                    .iter()
                    .map(EipInfo::from_json),
            );
        }
        Ok(out)
    }

    pub fn describe_eip(&self, id: &str) -> Result<Option<EipInfo>, ApiError> {
        Ok(self
            .describe_eips(&[id.to_string()])?
            .into_iter()
            .find(|e| e.id == id))
    }

    pub fn wait_eni(&self, id: &str, want: &str, what: &str) -> Result<EniInfo, ApiError> {
        self.wait(what, || {
            Ok(match self.describe_eni(id)? {
                Some(e) if e.status == want => Some(e),
                _ => None,
            })
        })
    }

    pub fn wait_eni_gone(&self, id: &str) -> Result<(), ApiError> {
        self.wait(&format!("deleting {id}"), || {
            Ok(self.describe_eni(id)?.is_none().then_some(()))
        })
    }

    pub fn wait_eip(&self, id: &str, want: &str, what: &str) -> Result<EipInfo, ApiError> {
        self.wait(what, || {
            Ok(match self.describe_eip(id)? {
                Some(e) if e.status == want => Some(e),
                _ => None,
            })
        })
    }

    pub fn wait_eip_gone(&self, id: &str) -> Result<(), ApiError> {
        self.wait(&format!("releasing {id}"), || {
            Ok(self.describe_eip(id)?.is_none().then_some(()))
        })
    }

    /// Attaches and waits for InUse; falling back to Available means the attach failed.
    pub fn attach(&self, p: Params, eni: &str, instance: &str) -> Result<EniInfo, ApiError> {
        self.call("AttachNetworkInterface", p)?;
        self.wait(&format!("attaching {eni} to {instance}"), || {
            let Some(e) = self.describe_eni(eni)? else {
                return Err(ApiError::new(
                    404,
                    "InvalidEniId.NotFound",
                    format!("{eni} disappeared while attaching"),
                ));
            };
            match e.status.as_str() {
                "InUse" => Ok(Some(e)),
                "Available" if e.instance_id.is_none() => Err(ApiError::new(
                    409,
                    "netform.AttachFailed",
                    format!("attaching {eni} to {instance} failed: the ENI went back to Available"),
                )),
                _ => Ok(None),
            }
        })
    }

    pub fn detach(&self, p: Params, eni: &str) -> Result<EniInfo, ApiError> {
        self.call("DetachNetworkInterface", p)?;
        self.wait_eni(
            eni,
            "Available",
            &format!(
                "detaching {eni} (it stays Detaching; check the instance's state in the console)"
            ),
        )
    }

    /// Raw Describe* for data sources: the inner list of `Outer.Inner`.
    pub fn describe_list(
        &self,
        action: &str,
        p: Params,
        outer: &str,
        inner: &str,
    ) -> Result<Vec<J>, ApiError> {
        let j = self.call(action, p)?;
        Ok(list(&j, outer, inner).to_vec())
    }
}
