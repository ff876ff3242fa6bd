//! Alibaba's ECS/VPC/SLB actions as typed calls, over any [`Transport`]: request building from
//! the wire model, answer decoding into it, retries with backoff (keeping the ClientToken, so a
//! retry never duplicates), paging, id chunking, and waiting out the asynchronous states
//! (Attaching, Associating, …). Nothing above this layer builds parameters or reads answer JSON.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::wire::{PageNumbered, Request, TokenPaged, ecs, vpc};
use super::{ApiError, Params, Product, Transport};

#[cfg(test)]
pub(crate) mod fake;

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
    /// The secondary private addresses, sorted.
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
    /// terraform-provider-alicloud's `payment_type`: `PayAsYouGo` or `Subscription`.
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

/// An empty answer field is an absent value.
fn non_empty(s: String) -> Option<String> {
    Some(s).filter(|x| !x.is_empty())
}

impl From<ecs::NetworkInterfaceSet> for EniInfo {
    fn from(n: ecs::NetworkInterfaceSet) -> EniInfo {
        let mut private_ips: Vec<String> = n
            .private_ip_sets
            .items
            .into_iter()
            .filter(|x| !x.primary)
            .map(|x| x.private_ip_address)
            .collect();
        private_ips.sort();
        EniInfo {
            primary: n.r#type == "Primary",
            tags: n.tags.to_map(),
            device_index: n.attachment.and_then(|a| a.device_index),
            id: n.network_interface_id,
            status: n.status,
            vswitch_id: n.v_switch_id,
            vpc_id: n.vpc_id,
            zone_id: n.zone_id,
            security_group_ids: n.security_group_ids.items,
            name: n.network_interface_name,
            description: n.description,
            primary_ip: n.private_ip_address,
            private_ips,
            ipv6: n
                .ipv6_sets
                .items
                .into_iter()
                .map(|x| x.ipv6_address)
                .collect(),
            mac: n.mac_address,
            instance_id: non_empty(n.instance_id),
            resource_group_id: n.resource_group_id,
            queue_number: n.queue_number,
            source_dest_check: n.source_dest_check,
            delete_on_release: n.delete_on_release,
        }
    }
}

impl From<vpc::EipAddress> for EipInfo {
    fn from(e: vpc::EipAddress) -> EipInfo {
        EipInfo {
            payment_type: if e.charge_type == "PrePaid" {
                "Subscription".into()
            } else {
                "PayAsYouGo".into()
            },
            tags: e.tags.to_map(),
            id: e.allocation_id,
            ip_address: e.ip_address,
            status: e.status,
            bandwidth: e.bandwidth,
            internet_charge_type: e.internet_charge_type,
            isp: e.isp,
            name: e.name,
            description: e.description,
            instance_id: non_empty(e.instance_id),
            instance_type: non_empty(e.instance_type),
            private_ip: non_empty(e.private_ip_address),
            mode: non_empty(e.mode),
            resource_group_id: e.resource_group_id,
            region: e.region_id,
            deletion_protection: e.deletion_protection,
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
    /// A ceiling on the attempts at one call: a safety net, the budget below is the real limit.
    pub max_attempts: u32,
    /// How long one call may go on retrying (its backoffs in all): a retry whose backoff would
    /// end past it is not made. A time rather than a count, as throttling is: a burst of
    /// throttles at a busy moment passes, and a count sized for the quiet case gives up in it.
    pub retry_budget: Duration,
    /// The first backoff, and the least any backoff is.
    pub backoff_base: Duration,
    /// The most any one backoff is.
    pub backoff_max: Duration,
    pub poll_interval: Duration,
    pub wait_timeout: Duration,
}

impl Timing {
    pub fn simulator() -> Timing {
        Timing {
            max_attempts: 1000,
            retry_budget: Duration::from_secs(10),
            backoff_base: Duration::from_millis(2),
            backoff_max: Duration::from_millis(100),
            poll_interval: Duration::from_millis(5),
            wait_timeout: Duration::from_secs(60),
        }
    }

    /// Paced for Alibaba's API. `NETFORM_ALICLOUD_POLL_MS` and `NETFORM_ALICLOUD_BACKOFF_MS`
    /// override the poll interval and the first backoff: an endpoint such as `sim serve` on
    /// loopback answers in milliseconds, and waiting seconds for it only slows its users down.
    pub fn cloud() -> Timing {
        let mut t = Timing {
            // Patient with throttling (Alibaba throttles per account and action, and a busy
            // account can stay throttled for a while): a minute of backoff in all. The base
            // and the ceiling are Alibaba's Python SDK's for throttled calls
            // (aliyunsdkcore.retry.backoff_strategy.DefaultMixedBackoffStrategy: 500 ms, 20 s).
            max_attempts: 100,
            retry_budget: Duration::from_secs(60),
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
            log::warn!("ignoring {name}={v:?}: expected a whole number of milliseconds");
            None
        }
    }
}

pub struct Client<'a> {
    pub transport: &'a dyn Transport,
    pub region: String,
    pub timing: Timing,
}

/// The next backoff by "decorrelated jitter" (AWS Architecture Blog, "Exponential Backoff And
/// Jitter"): uniform between the base and three times the previous backoff, at most `max`.
/// Concurrent callers throttled together spread out instead of retrying in lockstep, and the
/// backoff still grows about geometrically while the throttling lasts.
fn next_backoff(prev: Duration, base: Duration, max: Duration) -> Duration {
    let lo = base.min(max);
    let hi = prev.saturating_mul(3).clamp(lo, max);
    let span = (hi - lo).as_micros() as u64;
    // A v4 UUID is 122 random bits from the OS: no random-number dependency for a backoff.
    let r = uuid::Uuid::new_v4().as_u128() as u64;
    lo + Duration::from_micros(if span == 0 { 0 } else { r % (span + 1) })
}

/// Attempts at an unreachable endpoint before giving up (seconds, not a minute of backoff).
const UNREACHABLE_ATTEMPTS: u32 = 2;

/// An unreachable endpoint's error, with what to check.
fn unreachable_help(mut e: ApiError) -> ApiError {
    e.recommend = Some(
        "check the provider's region and endpoint (endpoint, endpoints { … }, NETFORM_ALICLOUD_ENDPOINT) and the network; for sim serve, that it is running"
            .into(),
    );
    e
}

fn eni_gone(id: &str) -> ApiError {
    ApiError::new(
        404,
        "InvalidEniId.NotFound",
        format!("{id} does not exist (any more)"),
    )
}

impl Client<'_> {
    /// One typed request, retried on throttling and transient errors, its answer decoded into
    /// the action's answer type. An answer that does not decode is an error naming the action,
    /// not a panic.
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

    /// One action, retried on throttling and transient errors with jittered backoff for as long
    /// as the retry budget lasts. The parameters (ClientToken included) are identical on every
    /// attempt.
    fn retrying(
        &self,
        product: Product,
        action: &str,
        p: &Params,
    ) -> Result<serde_json::Value, ApiError> {
        let first = Instant::now();
        let mut attempt = 0;
        let mut backoff = Duration::ZERO;
        loop {
            let start = Instant::now();
            let res = self.transport.call(product, action, p);
            self.log_call(product, action, attempt + 1, start.elapsed(), &res);
            match res {
                Ok(j) => return Ok(j),
                // An endpoint that refuses connections (or does not exist) is not going to start
                // answering within a backoff: one quick second try, then a clear error.
                Err(e) if e.is_unreachable() => {
                    if attempt + 1 >= UNREACHABLE_ATTEMPTS.min(self.timing.max_attempts) {
                        return Err(unreachable_help(e));
                    }
                    std::thread::sleep(self.timing.backoff_base.min(Duration::from_millis(200)));
                    attempt += 1;
                }
                Err(e) if e.is_retryable() && attempt + 1 < self.timing.max_attempts => {
                    backoff =
                        next_backoff(backoff, self.timing.backoff_base, self.timing.backoff_max);
                    if first.elapsed().saturating_add(backoff) > self.timing.retry_budget {
                        return Err(e);
                    }
                    std::thread::sleep(backoff);
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One log record per API call (NETFORM_LOG=info): what was called, where, how it went.
    /// Never the parameters: they can hold names and descriptions from sensitive variables, and
    /// the transport adds the signature and token after this point anyway.
    fn log_call(
        &self,
        product: Product,
        action: &str,
        attempt: u32,
        took: Duration,
        res: &Result<serde_json::Value, ApiError>,
    ) {
        let (status, code, request_id) = match res {
            Ok(j) => (
                200,
                "",
                j.get("RequestId").and_then(|v| v.as_str()).unwrap_or(""),
            ),
            Err(e) => (e.status, e.code.as_str(), e.request_id.as_str()),
        };
        // Info either way: a failure that matters reaches the user as a diagnostic, and a
        // retried throttle is routine.
        log::info!(
            target: "netform::api",
            "{}:{action} region={} attempt={attempt} duration_ms={} status={status}{}{}",
            product.prefix(),
            self.region,
            took.as_millis(),
            if request_id.is_empty() { String::new() } else { format!(" request_id={request_id}") },
            if code.is_empty() { String::new() } else { format!(" error_code={code}") },
        );
    }

    /// Polls `probe` until it returns `Some`, or fails after the wait timeout with `what`.
    ///
    /// A probe that keeps being throttled (or meets server hiccups) past its own retries does
    /// not end the wait: the operation it waits for has been asked for and is under way, and
    /// failing now would leave it half-recorded. Only the wait timeout, or an error that is not
    /// transient, ends it.
    pub(crate) fn wait<T>(
        &self,
        what: &str,
        mut probe: impl FnMut() -> Result<Option<T>, ApiError>,
    ) -> Result<T, ApiError> {
        let start = Instant::now();
        loop {
            match probe() {
                Ok(Some(t)) => return Ok(t),
                Ok(None) => {}
                Err(e) if e.is_retryable() && !e.is_unreachable() => {
                    if start.elapsed() > self.timing.wait_timeout {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
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

    /// ENIs by id, [`ecs::ENI_IDS_PER_CALL`] ids per call: a refresh of n ENIs costs n/100 calls.
    pub fn describe_enis(&self, ids: &[String]) -> Result<Vec<EniInfo>, ApiError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(ecs::ENI_IDS_PER_CALL) {
            out.extend(self.enis_where(&ecs::DescribeNetworkInterfaces {
                network_interface_id: chunk.to_vec(),
                ..Default::default()
            })?);
        }
        Ok(out)
    }

    /// Every ENI a filter (instance, vSwitch, security group, …) matches.
    pub fn enis_where(
        &self,
        filter: &ecs::DescribeNetworkInterfaces,
    ) -> Result<Vec<EniInfo>, ApiError> {
        Ok(self
            .list_all_tokens(filter)?
            .into_iter()
            .map(EniInfo::from)
            .collect())
    }

    pub fn describe_eni(&self, id: &str) -> Result<Option<EniInfo>, ApiError> {
        Ok(self
            .describe_enis(&[id.to_string()])?
            .into_iter()
            .find(|e| e.id == id))
    }

    /// EIPs by id, [`vpc::EIP_IDS_PER_CALL`] ids per call.
    pub fn describe_eips(&self, ids: &[String]) -> Result<Vec<EipInfo>, ApiError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(vpc::EIP_IDS_PER_CALL) {
            out.extend(self.eips_where(&vpc::DescribeEipAddresses {
                allocation_id: super::wire::CommaList(chunk.to_vec()),
                ..Default::default()
            })?);
        }
        Ok(out)
    }

    /// Every EIP a filter (bound instance, status, …) matches.
    pub fn eips_where(&self, filter: &vpc::DescribeEipAddresses) -> Result<Vec<EipInfo>, ApiError> {
        Ok(self
            .list_all(filter)?
            .into_iter()
            .map(EipInfo::from)
            .collect())
    }

    pub fn describe_eip(&self, id: &str) -> Result<Option<EipInfo>, ApiError> {
        Ok(self
            .describe_eips(&[id.to_string()])?
            .into_iter()
            .find(|e| e.id == id))
    }

    /// Instances by id, [`ecs::INSTANCE_IDS_PER_CALL`] ids per call; no ids, no instances.
    pub fn describe_instances(&self, ids: &[String]) -> Result<Vec<ecs::Instance>, ApiError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(ecs::INSTANCE_IDS_PER_CALL) {
            out.extend(self.list_all_tokens(&ecs::DescribeInstances {
                instance_ids: super::wire::JsonList(chunk.to_vec()),
                ..Default::default()
            })?);
        }
        Ok(out)
    }

    /// The primary ENI of an instance: its `NetworkInterfaces` entry with `Type = Primary`
    /// (DescribeInstances has no field that names it directly). `None` when the instance or its
    /// primary ENI is not found.
    pub fn primary_eni_of(&self, instance: &str) -> Result<Option<String>, ApiError> {
        Ok(self
            .describe_instances(&[instance.to_string()])?
            .iter()
            .find(|i| i.instance_id == instance)
            .and_then(ecs::Instance::primary_eni)
            .map(|n| n.network_interface_id.clone())
            .filter(|id| !id.is_empty()))
    }

    /// The private addresses a NAT gateway forwards to (its DNAT entries' `InternalIp`, each
    /// once, in the order the tables list them): DescribeNatGateways names only the gateway's
    /// forward tables, DescribeForwardTableEntries lists what is in them.
    pub fn dnat_ips(&self, gateway: &vpc::NatGateway) -> Result<Vec<String>, ApiError> {
        let mut out: Vec<String> = Vec::new();
        for table in &gateway.forward_table_ids.items {
            let entries = self.list_all(&vpc::DescribeForwardTableEntries {
                forward_table_id: Some(table.clone()),
                ..Default::default()
            })?;
            for e in entries {
                if !e.internal_ip.is_empty() && !out.contains(&e.internal_ip) {
                    out.push(e.internal_ip);
                }
            }
        }
        Ok(out)
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

    /// Waits out an EIP's binding to `target`: `Some` once it is InUse there, `None` if it is
    /// (or falls back to being) bound elsewhere or to nothing, as a failed Associating does.
    pub fn wait_bound(&self, id: &str, target: &str) -> Result<Option<EipInfo>, ApiError> {
        self.wait(&format!("binding {id} to {target}"), || {
            Ok(match self.describe_eip(id)? {
                None => Some(None),
                Some(e) if e.instance_id.as_deref() != Some(target) => Some(None),
                Some(e) if e.status == "InUse" => Some(Some(e)),
                Some(_) => None,
            })
        })
    }

    pub fn wait_eip_gone(&self, id: &str) -> Result<(), ApiError> {
        self.wait(&format!("releasing {id}"), || {
            Ok(self.describe_eip(id)?.is_none().then_some(()))
        })
    }

    /// Attaches and waits for InUse; falling back to Available means the attach failed.
    ///
    /// AttachNetworkInterface takes no ClientToken, so a repeat (a retry after a lost answer, an
    /// apply resumed after a crash) is recognised by state instead: an ENI already InUse on, or
    /// Attaching to, the instance is not attached again, and a call that failed after taking
    /// effect counts as done.
    pub fn attach(&self, req: &ecs::AttachNetworkInterface) -> Result<EniInfo, ApiError> {
        let (eni, instance) = (&req.network_interface_id, &req.instance_id);
        let on_it = |e: &EniInfo| {
            e.instance_id.as_deref() == Some(instance.as_str())
                && matches!(e.status.as_str(), "Attaching" | "InUse")
        };
        if !self.describe_eni(eni)?.is_some_and(|e| on_it(&e))
            && let Err(err) = self.send(req)
        {
            match self.describe_eni(eni) {
                Ok(Some(e)) if on_it(&e) => {}
                _ => return Err(err),
            }
        }
        self.wait_attached(eni, instance)
    }

    /// Waits until an ENI asked to attach to `instance` is InUse; falling back to Available
    /// means the attach failed.
    pub fn wait_attached(&self, eni: &str, instance: &str) -> Result<EniInfo, ApiError> {
        self.wait(&format!("attaching {eni} to {instance}"), || {
            let e = self.describe_eni(eni)?.ok_or_else(|| {
                ApiError::new(
                    404,
                    "InvalidEniId.NotFound",
                    format!("{eni} disappeared while attaching"),
                )
            })?;
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

    /// Detaches and waits until the ENI is off the instance.
    ///
    /// DetachNetworkInterface takes no ClientToken either: an ENI that is already Available (or
    /// on another instance) is detached from this one, so nothing is sent; one still Attaching
    /// is let settle first, since the API refuses to detach it midway.
    pub fn detach(&self, req: &ecs::DetachNetworkInterface) -> Result<EniInfo, ApiError> {
        let (eni, instance) = (&req.network_interface_id, &req.instance_id);
        let on_it = |e: &EniInfo| {
            e.instance_id.as_deref() == Some(instance.as_str()) && e.status == "InUse"
        };
        let now = self.wait(&format!("{eni} to finish attaching"), || {
            match self.describe_eni(eni)? {
                None => Err(eni_gone(eni)),
                Some(e) if e.status == "Attaching" => Ok(None),
                Some(e) => Ok(Some(e)),
            }
        })?;
        if on_it(&now)
            && let Err(err) = self.send(req)
        {
            match self.describe_eni(eni) {
                Ok(Some(e)) if !on_it(&e) => {}
                _ => return Err(err),
            }
        }
        self.wait(
            &format!(
                "detaching {eni} (it stays Detaching; check the instance's state in the console)"
            ),
            || match self.describe_eni(eni)? {
                None => Err(eni_gone(eni)),
                Some(e) if e.status == "Available" => Ok(Some(e)),
                Some(e)
                    if e.status != "Detaching"
                        && e.instance_id.as_deref() != Some(instance.as_str()) =>
                {
                    Ok(Some(e))
                }
                _ => Ok(None),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::fake::{self, Fake, World};
    use super::*;

    fn with_enis(ids: &[String]) -> World {
        World {
            enis: ids.iter().map(|i| fake::eni(i)).collect(),
            ..World::default()
        }
    }

    #[test]
    fn ids_are_chunked_where_an_action_caps_them_and_no_page_is_lost() {
        let enis = fake::ids("eni", 2 * ecs::ENI_IDS_PER_CALL + 11);
        let eips = fake::ids("eip", 2 * vpc::EIP_IDS_PER_CALL + 11);
        let insts = fake::ids("i", 2 * ecs::INSTANCE_IDS_PER_CALL + 11);
        let mut w = with_enis(&enis);
        w.eips = eips.iter().map(|i| fake::eip(i)).collect();
        w.instances = insts
            .iter()
            .map(|i| ecs::Instance {
                instance_id: i.clone(),
                ..Default::default()
            })
            .collect();
        let f = Fake::new(w);
        let c = f.client();
        assert_eq!(c.describe_enis(&enis).map(|v| v.len()), Ok(enis.len()));
        assert_eq!(c.describe_eips(&eips).map(|v| v.len()), Ok(eips.len()));
        assert_eq!(
            c.describe_instances(&insts).map(|v| v.len()),
            Ok(insts.len())
        );
        assert_eq!(
            f.actions(),
            [
                ["DescribeNetworkInterfaces"; 3],
                ["DescribeEipAddresses"; 3],
                ["DescribeInstances"; 3]
            ]
            .concat()
        );
        // Filters page too: 511 ENIs in one vSwitch, 500 at most per page.
        let many = fake::ids("eni-v", 511);
        let f = Fake::new(with_enis(&many));
        let got = f.client().enis_where(&ecs::DescribeNetworkInterfaces {
            v_switch_id: Some("vsw-1".into()),
            ..Default::default()
        });
        assert_eq!(got.map(|v| v.len()), Ok(511));
        assert_eq!(f.calls().len(), 2);
    }

    #[test]
    fn eni_and_eip_answers_become_infos_without_json() {
        let mut n = fake::eni("eni-1");
        n.private_ip_sets.items.push(ecs::PrivateIpSet {
            private_ip_address: "192.168.1.12".into(),
            ..Default::default()
        });
        n.private_ip_sets.items.push(ecs::PrivateIpSet {
            private_ip_address: "192.168.1.11".into(),
            ..Default::default()
        });
        n.attachment = Some(ecs::Attachment {
            instance_id: "i-1".into(),
            device_index: Some(2),
            network_card_index: None,
        });
        n.instance_id = "i-1".into();
        let e = EniInfo::from(n);
        assert_eq!(e.primary_ip, "192.168.1.10");
        assert_eq!(e.private_ips, ["192.168.1.11", "192.168.1.12"]);
        assert_eq!(
            (e.instance_id.as_deref(), e.device_index),
            (Some("i-1"), Some(2))
        );
        let mut a = fake::eip("eip-1");
        a.charge_type = "PrePaid".into();
        a.deletion_protection = true;
        let e = EipInfo::from(a);
        assert_eq!(e.payment_type, "Subscription");
        assert!(e.deletion_protection);
        assert_eq!(e.instance_id, None, "an empty InstanceId is no binding");
    }

    fn attach_req() -> ecs::AttachNetworkInterface {
        ecs::AttachNetworkInterface {
            network_interface_id: "eni-1".into(),
            instance_id: "i-1".into(),
            ..Default::default()
        }
    }

    fn on(status: &str, instance: &str) -> World {
        let mut e = fake::eni("eni-1");
        e.status = status.into();
        e.instance_id = instance.into();
        World {
            enis: vec![e],
            ..World::default()
        }
    }

    #[test]
    fn attach_of_an_eni_already_on_the_instance_sends_nothing_and_waits_for_in_use() {
        for status in ["InUse", "Attaching"] {
            let f = Fake::new(on(status, "i-1"));
            let e = f.client().attach(&attach_req());
            assert_eq!(e.map(|e| e.status), Ok("InUse".to_string()), "{status}");
            assert!(f.calls_of("AttachNetworkInterface").is_empty(), "{status}");
        }
    }

    #[test]
    fn attach_whose_answer_was_lost_is_done_once_the_eni_shows_it() {
        let f = Fake::new(on("Available", ""));
        f.lose_next_answer("AttachNetworkInterface");
        let e = f.client().attach(&attach_req());
        assert_eq!(e.map(|e| e.instance_id), Ok(Some("i-1".to_string())));
        let sent = f.calls_of("AttachNetworkInterface");
        // The retry met an ENI already Attaching; neither attempt carried a ClientToken.
        assert_eq!(sent.len(), 2);
        assert!(sent.iter().all(|c| !c.params.contains_key("ClientToken")));
    }

    #[test]
    fn detach_of_an_eni_already_off_the_instance_sends_nothing() {
        for (status, instance) in [("Available", ""), ("InUse", "i-2")] {
            let f = Fake::new(on(status, instance));
            let e = f.client().detach(&ecs::DetachNetworkInterface {
                network_interface_id: "eni-1".into(),
                instance_id: "i-1".into(),
                ..Default::default()
            });
            assert!(e.is_ok(), "{status} on {instance:?}: {e:?}");
            assert!(f.calls_of("DetachNetworkInterface").is_empty());
        }
        let f = Fake::new(on("InUse", "i-1"));
        f.lose_next_answer("DetachNetworkInterface");
        let e = f.client().detach(&ecs::DetachNetworkInterface {
            network_interface_id: "eni-1".into(),
            instance_id: "i-1".into(),
            ..Default::default()
        });
        assert_eq!(e.map(|e| e.status), Ok("Available".to_string()));
    }

    /// Fails the next `n` calls (of Describe actions only, when `reads`) with `code`.
    struct Flaky {
        inner: std::sync::Arc<Fake>,
        left: std::sync::Mutex<u32>,
        code: &'static str,
        reads: bool,
        calls: std::sync::atomic::AtomicU32,
    }

    impl Flaky {
        fn new(inner: std::sync::Arc<Fake>, n: u32, code: &'static str, reads: bool) -> Flaky {
            Flaky {
                inner,
                left: std::sync::Mutex::new(n),
                code,
                reads,
                calls: Default::default(),
            }
        }
    }

    impl Transport for Flaky {
        fn call(
            &self,
            product: Product,
            action: &str,
            p: &Params,
        ) -> Result<serde_json::Value, ApiError> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut left = self.left.lock().unwrap_or_else(|e| e.into_inner());
            if *left > 0 && (!self.reads || action.starts_with("Describe")) {
                *left -= 1;
                return Err(ApiError::new(400, self.code, "injected"));
            }
            drop(left);
            self.inner.call(product, action, p)
        }
    }

    #[test]
    fn a_wait_whose_probes_stay_throttled_past_their_retries_keeps_waiting() {
        let f = Fake::new(on("Available", ""));
        // Three attempts per probe (fast timing): the first two probes fail outright.
        let t = Flaky::new(f, 7, "Throttling.User", true);
        let c = Client {
            transport: &t,
            region: fake::REGION.into(),
            timing: fake::fast(),
        };
        let e = c.wait_eni("eni-1", "Available", "creating eni-1");
        assert_eq!(e.map(|e| e.status), Ok("Available".to_string()));
    }

    #[test]
    fn an_unreachable_endpoint_is_tried_twice_then_reported_with_what_to_check() {
        let f = Fake::new(World::default());
        let t = Flaky::new(f, u32::MAX, crate::provider::UNREACHABLE, false);
        let c = Client {
            transport: &t,
            region: fake::REGION.into(),
            timing: Timing {
                max_attempts: 8,
                ..fake::fast()
            },
        };
        let e = c.describe_eni("eni-1").map(|_| ()).unwrap_err();
        assert_eq!(e.code, crate::provider::UNREACHABLE);
        assert!(e.recommend.is_some_and(|r| r.contains("endpoint")));
        assert_eq!(t.calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[test]
    fn a_backoff_is_between_the_base_and_three_times_the_last_and_never_past_the_ceiling() {
        let (base, max) = (Duration::from_millis(10), Duration::from_millis(500));
        let mut prev = Duration::ZERO;
        let mut grew = false;
        for _ in 0..200 {
            let next = next_backoff(prev, base, max);
            assert!(next >= base && next <= max, "{next:?} after {prev:?}");
            assert!(
                next <= prev.saturating_mul(3).max(base),
                "{next:?} after {prev:?}"
            );
            grew |= next > base.saturating_mul(3);
            prev = next;
        }
        assert!(
            grew,
            "two hundred draws never got past three times the base"
        );
    }

    /// Twenty throttles in a row: more than the twelve attempts the simulator's timing used to
    /// allow, well within its time budget.
    #[test]
    fn a_call_throttled_many_times_in_a_row_gets_through_within_its_budget() {
        let f = Fake::new(on("Available", ""));
        let t = Flaky::new(f, 20, "Throttling.User", false);
        let c = Client {
            transport: &t,
            region: fake::REGION.into(),
            timing: Timing {
                max_attempts: 1000,
                retry_budget: Duration::from_secs(10),
                backoff_base: Duration::from_millis(1),
                backoff_max: Duration::from_millis(2),
                ..fake::fast()
            },
        };
        let e = c.describe_eni("eni-1");
        assert_eq!(e.map(|e| e.map(|e| e.status)), Ok(Some("Available".into())));
        assert_eq!(t.calls.load(std::sync::atomic::Ordering::SeqCst), 21);
    }

    /// Throttling that outlasts the budget ends the call with the throttle, before the attempt
    /// ceiling is reached.
    #[test]
    fn a_call_throttled_past_its_budget_gives_up_with_the_throttle() {
        let f = Fake::new(on("Available", ""));
        let t = Flaky::new(f, u32::MAX, "Throttling.User", false);
        let c = Client {
            transport: &t,
            region: fake::REGION.into(),
            timing: Timing {
                max_attempts: 1000,
                retry_budget: Duration::from_millis(60),
                backoff_base: Duration::from_millis(5),
                backoff_max: Duration::from_millis(20),
                ..fake::fast()
            },
        };
        let e = c.describe_eni("eni-1").map(|_| ()).unwrap_err();
        assert_eq!(e.code, "Throttling.User");
        let n = t.calls.load(std::sync::atomic::Ordering::SeqCst);
        // Each backoff is at least 5 ms and all of them fit in 60 ms: at most 12 retries.
        assert!((2..=13).contains(&n), "{n} attempts");
    }

    #[test]
    fn primary_eni_is_the_network_interface_of_type_primary() {
        let f = Fake::new(fake::instance_with_primary_listed_second("eni-1", "eni-2"));
        let c = f.client();
        assert_eq!(c.primary_eni_of("i-1"), Ok(Some("eni-1".to_string())));
        assert_eq!(c.primary_eni_of("i-9"), Ok(None));
    }

    #[test]
    fn dnat_targets_come_from_every_forward_table_of_the_gateway() {
        let entry = |table: &str, ip: String| vpc::ForwardTableEntry {
            forward_table_id: table.into(),
            internal_ip: ip,
            ..Default::default()
        };
        let mut entries: Vec<_> = (0..60)
            .map(|i| entry("ftb-1", format!("10.0.0.{i}")))
            .collect();
        entries.push(entry("ftb-2", "10.0.1.1".into()));
        entries.push(entry("ftb-2", "10.0.0.1".into()));
        entries.push(entry("ftb-other", "10.9.9.9".into()));
        let f = Fake::new(World {
            forward_entries: entries,
            ..World::default()
        });
        let gw = vpc::NatGateway {
            nat_gateway_id: "ngw-1".into(),
            forward_table_ids: vec!["ftb-1".to_string(), "ftb-2".to_string()].into(),
            ..Default::default()
        };
        let ips = f.client().dnat_ips(&gw).unwrap_or_default();
        assert_eq!(ips.len(), 61, "each address once, none lost past a page");
        assert!(ips.contains(&"10.0.1.1".to_string()));
        assert!(!ips.contains(&"10.9.9.9".to_string()));
    }
}
