//! The simulated cloud's objects and the API actions that change them.
//!
//! Every action checks the same rules (by id, from `rules`) that Alibaba enforces and answers with
//! Alibaba's error codes, so the simulator refuses what the real cloud refuses. Ids and
//! automatically chosen addresses derive from the world's seed and the request's ClientToken, so
//! the same run yields the same cloud whichever worker gets there first.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};
use serde_json::{Value as J, json};
use sha2::Digest;

use super::world::World;
use crate::limits::Limits;
use crate::provider::{ApiError, Params};
use crate::rules::{self, EipTarget, EniBind, EniOp, Facts, Placement, Violation};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Eni {
    pub id: String,
    pub region: String,
    pub vswitch_id: String,
    pub vpc_id: String,
    pub zone_id: String,
    pub security_group_ids: Vec<String>,
    pub name: String,
    pub description: String,
    pub primary_ip: Ipv4Addr,
    pub private_ips: Vec<Ipv4Addr>,
    pub ipv6: Vec<Ipv6Addr>,
    pub mac: String,
    pub status: String,
    pub instance_id: Option<String>,
    pub device_index: Option<u32>,
    /// An instance's primary ENI (`Type = Primary`).
    pub primary: bool,
    pub tags: BTreeMap<String, String>,
    pub resource_group_id: String,
    pub queue_number: Option<u32>,
    pub source_dest_check: Option<bool>,
    pub delete_on_release: Option<bool>,
    /// A pending async transition: (final status, due at ms since the sim started).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<(String, u64)>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Eip {
    pub id: String,
    pub region: String,
    pub ip_address: Ipv4Addr,
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
    pub deletion_protection: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<(String, u64)>,
}

/// The mutable part of the simulated account: what netform (or `sim call`) created.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Live {
    pub enis: BTreeMap<String, Eni>,
    pub eips: BTreeMap<String, Eip>,
    /// ClientToken → (action, parameters digest, response): a retried request gets the first
    /// answer, as Alibaba's idempotency promises. Kept for the life of the process (and rebuilt
    /// by replaying the journal), not in the snapshot: retries happen within a run, and a
    /// snapshot that kept every answer ever given would grow with history instead of with the
    /// cloud.
    #[serde(skip)]
    pub tokens: BTreeMap<String, (String, String, J)>,
    #[serde(default)]
    pub requests: u64,
}

pub struct Cloud {
    pub world: World,
    pub limits: Limits,
    pub live: Live,
    /// Addresses in use per vSwitch, kept in step with `live` for O(1) checks.
    used: HashMap<String, HashSet<IpAddr>>,
    /// Durations of async states in ms (0: immediate).
    pub async_ms: BTreeMap<String, u64>,
    pub now_ms: u64,
    /// Whether any object is in an async state; with the default instant transitions this stays
    /// false and `settle` costs nothing per call (it would otherwise scan the whole cloud).
    any_pending: bool,
}

fn err(status: u16, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, code, message)
}

/// A rule violation: the code Alibaba answers with, and the rule id in the message so netform can
/// name it.
fn rule_err(rule: &str, code: &str, message: impl Into<String>) -> ApiError {
    let status = if code.starts_with("Quota") || code.contains("LimitExceed") {
        403
    } else {
        400
    };
    err(status, code, format!("{} (rule {rule})", message.into()))
}

/// Judges `facts` by the rule table (`rules`, shared with the plan-time checker); a violation
/// becomes the API error with the rule's code, `message` saying what was asked in this call.
fn judge(
    limits: &Limits,
    facts: Facts,
    message: impl FnOnce(&Violation) -> String,
) -> Result<(), ApiError> {
    match rules::evaluate(&facts, limits) {
        Some(v) => Err(rule_err(v.rule, v.code, message(&v))),
        None => Ok(()),
    }
}

fn param<'a>(p: &'a Params, k: &str) -> Option<&'a str> {
    p.get(k).map(String::as_str).filter(|s| !s.is_empty())
}

fn required<'a>(p: &'a Params, k: &str) -> Result<&'a str, ApiError> {
    param(p, k).ok_or_else(|| err(400, &format!("MissingParameter.{k}"), format!("The input parameter \"{k}\" that is mandatory for processing this request is not supplied.")))
}

/// `Prefix.1`, `Prefix.2`, … in order.
fn list_param(p: &Params, prefix: &str) -> Vec<String> {
    let mut out: Vec<(usize, String)> = p
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(prefix)
                .and_then(|r| r.strip_prefix('.'))
                .and_then(|n| n.parse::<usize>().ok())
                .map(|n| (n, v.clone()))
        })
        .collect();
    out.sort();
    out.into_iter().map(|(_, v)| v).collect()
}

fn tags_param(p: &Params) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for i in 1..=20 {
        if let Some(k) = param(p, &format!("Tag.{i}.Key")) {
            out.insert(
                k.to_string(),
                p.get(&format!("Tag.{i}.Value"))
                    .cloned()
                    .unwrap_or_default(),
            );
        }
    }
    out
}

fn hash_hex(parts: &[&str]) -> String {
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Alibaba-looking id: prefix, the region's infix, 17 base-36 characters from the hash.
fn make_id(prefix: &str, region: &str, h: &str) -> String {
    let infix = match region {
        "cn-beijing" => "2ze",
        "cn-hangzhou" => "bp1",
        "cn-shanghai" => "uf6",
        _ => "gw8",
    };
    const ALPHA: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let tail: String = h
        .as_bytes()
        .chunks(2)
        .take(17)
        .map(|c| {
            let v = u8::from_str_radix(std::str::from_utf8(c).unwrap_or("0"), 16).unwrap_or(0);
            ALPHA[(v as usize) % 36] as char
        })
        .collect();
    format!("{prefix}-{infix}{tail}")
}

/// Usable addresses of an IPv4 vSwitch: not the first, not the last three.
fn usable_v4(net: &Ipv4Net) -> (u32, u32) {
    let base = u32::from(net.network());
    let size = 1u64 << (32 - net.prefix_len());
    if size < 8 {
        return (base + 1, base);
    }
    (base + 1, base + size as u32 - 4)
}

fn is_reserved_v6(net: &Ipv6Net, ip: Ipv6Addr) -> bool {
    rules::eni::is_reserved(&(*net).into(), IpAddr::V6(ip))
}

pub struct VSwitchInfo {
    pub id: String,
    pub vpc_id: String,
    pub zone_id: String,
    pub region: String,
    pub cidr: Ipv4Net,
    pub ipv6: Option<Ipv6Net>,
}

impl Cloud {
    pub fn new(world: World, limits: Limits, live: Live, async_ms: BTreeMap<String, u64>) -> Cloud {
        let mut c = Cloud {
            world,
            limits,
            live,
            used: HashMap::new(),
            async_ms,
            now_ms: 0,
            any_pending: true,
        };
        if c.live.enis.is_empty() && c.live.requests == 0 {
            c.seed_primary_enis();
        }
        c.rebuild_used();
        c
    }

    /// Each VPC instance of the world has a primary ENI carrying its private IP.
    fn seed_primary_enis(&mut self) {
        let seed = self.world.seed.to_string();
        let instances = self.world.instances.clone();
        for inst in instances {
            if inst.network_type == "classic" {
                continue;
            }
            let (Some(vsw), Some(ip)) = (
                inst.vswitch_id.clone(),
                inst.private_ip.as_ref().and_then(|s| s.parse().ok()),
            ) else {
                continue;
            };
            let Some(v) = self.vswitch(&vsw) else {
                continue;
            };
            let h = hash_hex(&[&seed, "primary-eni", &inst.id]);
            let id = inst
                .primary_eni_id()
                .unwrap_or_else(|| make_id("eni", &v.region, &h));
            let eni = Eni {
                id: id.clone(),
                region: v.region.clone(),
                vswitch_id: vsw,
                vpc_id: v.vpc_id.clone(),
                zone_id: v.zone_id.clone(),
                security_group_ids: inst.security_group_ids.clone(),
                name: String::new(),
                description: String::new(),
                primary_ip: ip,
                private_ips: Vec::new(),
                ipv6: Vec::new(),
                mac: mac_from(&h),
                status: "InUse".into(),
                instance_id: Some(inst.id.clone()),
                device_index: Some(0),
                primary: true,
                tags: BTreeMap::new(),
                resource_group_id: String::new(),
                queue_number: None,
                source_dest_check: None,
                delete_on_release: None,
                pending: None,
            };
            self.live.enis.insert(id, eni);
        }
    }

    fn rebuild_used(&mut self) {
        let mut used: HashMap<String, HashSet<IpAddr>> = HashMap::new();
        for e in self.live.enis.values() {
            let set = used.entry(e.vswitch_id.clone()).or_default();
            set.insert(IpAddr::V4(e.primary_ip));
            set.extend(e.private_ips.iter().map(|i| IpAddr::V4(*i)));
            set.extend(e.ipv6.iter().map(|i| IpAddr::V6(*i)));
        }
        for h in &self.world.havips {
            if let Ok(ip) = h.ip_address.parse() {
                used.entry(h.vswitch_id.clone()).or_default().insert(ip);
            }
        }
        for s in &self.world.slbs {
            if let (Some(v), Ok(ip)) = (&s.vswitch_id, s.address.parse()) {
                used.entry(v.clone()).or_default().insert(ip);
            }
        }
        self.used = used;
    }

    pub fn vswitch(&self, id: &str) -> Option<VSwitchInfo> {
        let v = self.world.vswitches.iter().find(|v| v.id == id)?;
        let region = self
            .world
            .vpcs
            .iter()
            .find(|p| p.id == v.vpc_id)
            .map(|p| p.region.clone())
            .unwrap_or_default();
        Some(VSwitchInfo {
            id: v.id.clone(),
            vpc_id: v.vpc_id.clone(),
            zone_id: v.zone_id.clone(),
            region,
            cidr: v.cidr_block.parse().ok()?,
            ipv6: v.ipv6_cidr_block.as_ref().and_then(|c| c.parse().ok()),
        })
    }

    fn instance(&self, id: &str) -> Option<&super::world::Instance> {
        self.world.instances.iter().find(|i| i.id == id)
    }

    /// Completes async transitions whose time has come.
    pub fn settle(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
        if !self.any_pending {
            return;
        }
        let mut gone = Vec::new();
        for e in self.live.enis.values_mut() {
            if let Some((to, at)) = e.pending.clone()
                && at <= now_ms
            {
                e.pending = None;
                if to == "Deleted" {
                    gone.push(e.id.clone());
                } else {
                    e.status = to;
                }
            }
        }
        for id in gone {
            self.forget_eni(&id);
        }
        let mut released = Vec::new();
        for e in self.live.eips.values_mut() {
            if let Some((to, at)) = e.pending.clone()
                && at <= now_ms
            {
                e.pending = None;
                if to == "Released" {
                    released.push(e.id.clone());
                } else {
                    e.status = to;
                }
            }
        }
        for id in released {
            self.live.eips.remove(&id);
        }
        self.any_pending = self.live.enis.values().any(|e| e.pending.is_some())
            || self.live.eips.values().any(|e| e.pending.is_some());
    }

    /// Settles everything, whatever the clock says: used when the cloud is saved.
    pub fn settle_all(&mut self) {
        self.settle(u64::MAX);
    }

    fn transition(&mut self, state: &str) -> Option<u64> {
        match self.async_ms.get(state).copied().unwrap_or(0) {
            0 => None,
            ms => {
                self.any_pending = true;
                Some(self.now_ms + ms)
            }
        }
    }

    fn forget_eni(&mut self, id: &str) {
        if let Some(e) = self.live.enis.remove(id)
            && let Some(set) = self.used.get_mut(&e.vswitch_id)
        {
            set.remove(&IpAddr::V4(e.primary_ip));
            for i in &e.private_ips {
                set.remove(&IpAddr::V4(*i));
            }
            for i in &e.ipv6 {
                set.remove(&IpAddr::V6(*i));
            }
        }
    }

    fn seed(&self) -> String {
        self.world.seed.to_string()
    }

    /// Picks `n` free IPv4 addresses, starting at a point derived from the request.
    fn allocate_v4(
        &self,
        v: &VSwitchInfo,
        n: usize,
        salt: &str,
        avoid: &HashSet<IpAddr>,
    ) -> Result<Vec<Ipv4Addr>, ApiError> {
        let (lo, hi) = usable_v4(&v.cidr);
        if hi < lo {
            judge(
                &self.limits,
                Facts::FreeAddresses { free: 0, need: n },
                |_| format!("The vSwitch {} has no usable addresses.", v.id),
            )?;
            return Ok(Vec::new());
        }
        let span = (hi - lo + 1) as u64;
        let used = self.used.get(&v.id);
        let free = (span as usize).saturating_sub(
            used.map(|u| u.iter().filter(|i| i.is_ipv4()).count())
                .unwrap_or(0),
        );
        judge(&self.limits, Facts::FreeAddresses { free, need: n }, |_| {
            format!(
                "The vSwitch {} has {free} free addresses; {n} were asked for.",
                v.id
            )
        })?;
        let h = hash_hex(&[&self.seed(), salt]);
        let start = u64::from_str_radix(&h[..12], 16).unwrap_or(0) % span;
        let mut out = Vec::with_capacity(n);
        let mut i = 0u64;
        while out.len() < n && i < span {
            let ip = Ipv4Addr::from(lo + ((start + i) % span) as u32);
            let a = IpAddr::V4(ip);
            if !used.is_some_and(|u| u.contains(&a)) && !avoid.contains(&a) && !out.contains(&ip) {
                out.push(ip);
            }
            i += 1;
        }
        judge(
            &self.limits,
            Facts::FreeAddresses {
                free: out.len(),
                need: n,
            },
            |_| format!("The vSwitch {} has too few free addresses.", v.id),
        )?;
        Ok(out)
    }

    fn allocate_v6(
        &self,
        v: &VSwitchInfo,
        net: &Ipv6Net,
        n: usize,
        salt: &str,
    ) -> Result<Vec<Ipv6Addr>, ApiError> {
        let _ = v;
        let base = u128::from(net.network());
        let h = hash_hex(&[&self.seed(), salt]);
        let start = u64::from_str_radix(&h[..12], 16).unwrap_or(0) as u128 % 0xffff_ffff;
        let used = self.used.get(&v.id);
        let mut out = Vec::new();
        let mut i = 0u128;
        while out.len() < n && i < 1_000_000 {
            let ip = Ipv6Addr::from(base + 1 + ((start + i) % 0xffff_fff0));
            if !used.is_some_and(|u| u.contains(&IpAddr::V6(ip))) && !is_reserved_v6(net, ip) {
                out.push(ip);
            }
            i += 1;
        }
        Ok(out)
    }

    fn check_given_v4(
        &self,
        v: &VSwitchInfo,
        ips: &[Ipv4Addr],
        on_eni: Option<&Eni>,
    ) -> Result<(), ApiError> {
        let mut seen = HashSet::new();
        for ip in ips {
            let facts = Facts::Address(rules::Address {
                ip: IpAddr::V4(*ip),
                cidr: Some(v.cidr.into()),
                repeated: !seen.insert(*ip),
                on_this_eni: on_eni
                    .is_some_and(|e| e.primary_ip == *ip || e.private_ips.contains(ip)),
                in_use: self
                    .used
                    .get(&v.id)
                    .is_some_and(|u| u.contains(&IpAddr::V4(*ip))),
            });
            judge(&self.limits, facts, |x| match x.rule {
                "ip-in-vswitch" => format!(
                    "The address {ip} is not in the vSwitch {} ({}).",
                    v.id, v.cidr
                ),
                "ip-reserved" => format!(
                    "The address {ip} is reserved in the vSwitch {} ({}): the first and the last three addresses are the system's.",
                    v.id, v.cidr
                ),
                _ => match x.code {
                    "InvalidIp.IpRepeated" => {
                        format!("The address {ip} appears twice in the request.")
                    }
                    "InvalidIp.IpAssigned" => format!(
                        "The address {ip} is already assigned to {}.",
                        on_eni.map(|e| e.id.as_str()).unwrap_or("the ENI")
                    ),
                    _ => format!(
                        "The address {ip} is already in use in the vSwitch {}.",
                        v.id
                    ),
                },
            })?;
        }
        Ok(())
    }

    /// An ENI's security groups: in its VPC, of one type, and with room for `extra_ips` more
    /// addresses (and one more ENI when `new_eni`).
    fn sg_check(
        &self,
        sgs: &[String],
        vpc_id: &str,
        extra_ips: usize,
        new_eni: bool,
    ) -> Result<(), ApiError> {
        let mut groups = Vec::new();
        for id in sgs {
            let Some(sg) = self.world.security_groups.iter().find(|s| &s.id == id) else {
                return Err(err(
                    404,
                    "InvalidSecurityGroupId.NotFound",
                    format!("The security group {id} does not exist."),
                ));
            };
            groups.push(sg);
        }
        let facts = Facts::EniSecurityGroups {
            vpc: vpc_id,
            groups: groups
                .iter()
                .map(|g| (g.vpc_id.as_str(), g.security_group_type == "enterprise"))
                .collect(),
        };
        judge(&self.limits, facts, |x| {
            match x.index.and_then(|i| groups.get(i)) {
                Some(g) => format!(
                    "The security group {} is in {}, not in the vSwitch's VPC {vpc_id}.",
                    g.id, g.vpc_id
                ),
                None => "Security groups of one ENI must all be basic or all advanced.".into(),
            }
        })?;
        if extra_ips == 0 {
            return Ok(());
        }
        for g in &groups {
            let members = self
                .live
                .enis
                .values()
                .filter(|e| e.security_group_ids.contains(&g.id));
            let enis = members.clone().count();
            let ips: usize = members
                .map(|e| 1 + e.private_ips.len() + e.ipv6.len())
                .sum();
            let enterprise = g.security_group_type == "enterprise";
            let facts = Facts::SecurityGroup {
                enterprise,
                enis: enis + usize::from(new_eni),
                ips: ips + extra_ips,
            };
            judge(&self.limits, facts, |x| {
                let cap = x.limit.unwrap_or_default();
                if enterprise {
                    format!(
                        "The advanced security group {} holds {enis} ENIs; its limit is {cap}.",
                        g.id
                    )
                } else {
                    format!(
                        "The basic security group {} holds {ips} private IPs; {extra_ips} more would pass its limit of {cap}.",
                        g.id
                    )
                }
            })?;
        }
        Ok(())
    }

    fn eni_mut(&mut self, id: &str) -> Result<&mut Eni, ApiError> {
        self.live.enis.get_mut(id).ok_or_else(|| {
            err(
                404,
                "InvalidEniId.NotFound",
                format!("The specified network interface {id} does not exist."),
            )
        })
    }

    fn eni(&self, id: &str) -> Result<&Eni, ApiError> {
        self.live.enis.get(id).ok_or_else(|| {
            err(
                404,
                "InvalidEniId.NotFound",
                format!("The specified network interface {id} does not exist."),
            )
        })
    }

    pub fn handle(&mut self, action: &str, p: &Params) -> Result<J, ApiError> {
        // Idempotency: a ClientToken seen before returns the first answer.
        let token = param(p, "ClientToken").map(str::to_string);
        let digest = {
            let mut q = p.clone();
            q.remove("ClientToken");
            hash_hex(&[action, &serde_json::to_string(&q).unwrap_or_default()])
        };
        if let Some(t) = &token
            && let Some((a, d, resp)) = self.live.tokens.get(t)
        {
            if a == action && *d == digest {
                return Ok(resp.clone());
            }
            return Err(err(
                400,
                "IdempotentParameterMismatch",
                "The request uses the same client token as a previous, but non-identical request.",
            ));
        }
        let out = self.dispatch(action, p)?;
        if let Some(t) = token {
            self.live
                .tokens
                .insert(t, (action.to_string(), digest, out.clone()));
        }
        Ok(out)
    }

    pub fn is_mutating(action: &str) -> bool {
        !action.starts_with("Describe")
    }

    fn dispatch(&mut self, action: &str, p: &Params) -> Result<J, ApiError> {
        match action {
            "CreateNetworkInterface" => self.create_eni(p),
            "AttachNetworkInterface" => self.attach(p),
            "DetachNetworkInterface" => self.detach(p),
            "DeleteNetworkInterface" => self.delete_eni(p),
            "AssignPrivateIpAddresses" => self.assign_v4(p),
            "UnassignPrivateIpAddresses" => self.unassign_v4(p),
            "AssignIpv6Addresses" => self.assign_v6(p),
            "UnassignIpv6Addresses" => self.unassign_v6(p),
            "ModifyNetworkInterfaceAttribute" => self.modify_eni(p),
            "TagResources" | "UntagResources" => self.tags(action, p),
            "AllocateEipAddress" => self.allocate_eip(p),
            "AssociateEipAddress" => self.associate(p),
            "UnassociateEipAddress" => self.unassociate(p),
            "ReleaseEipAddress" => self.release(p),
            "ModifyEipAddressAttribute" => self.modify_eip(p),
            "ModifyEipForwardMode" => self.modify_mode(p),
            "DescribeNetworkInterfaces" => Ok(self.describe_enis(p)),
            "DescribeEipAddresses" => Ok(self.describe_eips(p)),
            "DescribeInstances" => Ok(self.describe_instances(p)),
            "DescribeVSwitches" => Ok(self.describe_vswitches(p)),
            "DescribeSecurityGroups" => Ok(self.describe_sgs(p)),
            "DescribeNatGateways" => Ok(self.describe_nats(p)),
            "DescribeHaVips" => Ok(self.describe_havips(p)),
            "DescribeLoadBalancers" => Ok(self.describe_slbs(p)),
            "DescribeInstanceTypes" => Ok(self.describe_types(p)),
            other => Err(err(
                404,
                "InvalidAction.NotFound",
                format!("Specified api {other} is not found, please check your url and method."),
            )),
        }
    }

    fn create_eni(&mut self, p: &Params) -> Result<J, ApiError> {
        let vsw = required(p, "VSwitchId")?;
        let v = self.vswitch(vsw).ok_or_else(|| {
            err(
                404,
                "InvalidVSwitchId.NotFound",
                format!("The vSwitch {vsw} does not exist."),
            )
        })?;
        let mut sgs = list_param(p, "SecurityGroupIds");
        if let Some(s) = param(p, "SecurityGroupId") {
            sgs.insert(0, s.to_string());
        }
        if sgs.is_empty() {
            return Err(err(
                400,
                "MissingParameter.SecurityGroupId",
                "The input parameter SecurityGroupId is not supplied.",
            ));
        }
        self.sg_check(&sgs, &v.vpc_id, 1, true)?;
        let salt = format!(
            "{}/CreateNetworkInterface",
            param(p, "ClientToken").unwrap_or("")
        );
        let h = hash_hex(&[&self.seed(), &salt]);
        let primary = match param(p, "PrimaryIpAddress") {
            Some(s) => {
                let ip: Ipv4Addr = s.parse().map_err(|_| {
                    err(
                        400,
                        "InvalidPrimaryIpAddress.Malformed",
                        format!("The address {s} is not an IPv4 address."),
                    )
                })?;
                self.check_given_v4(&v, &[ip], None)?;
                ip
            }
            None => self.allocate_v4(&v, 1, &salt, &HashSet::new())?[0],
        };
        let id = make_id("eni", &v.region, &h);
        let eni = Eni {
            id: id.clone(),
            region: v.region.clone(),
            vswitch_id: v.id.clone(),
            vpc_id: v.vpc_id.clone(),
            zone_id: v.zone_id.clone(),
            security_group_ids: sgs,
            name: param(p, "NetworkInterfaceName").unwrap_or("").to_string(),
            description: param(p, "Description").unwrap_or("").to_string(),
            primary_ip: primary,
            private_ips: Vec::new(),
            ipv6: Vec::new(),
            mac: mac_from(&h),
            status: "Available".into(),
            instance_id: None,
            device_index: None,
            primary: false,
            tags: tags_param(p),
            resource_group_id: param(p, "ResourceGroupId")
                .unwrap_or("rg-default")
                .to_string(),
            queue_number: param(p, "QueueNumber").and_then(|s| s.parse().ok()),
            source_dest_check: param(p, "SourceDestCheck").map(|s| s == "true"),
            delete_on_release: param(p, "DeleteOnRelease").map(|s| s == "true"),
            pending: None,
        };
        self.used
            .entry(v.id.clone())
            .or_default()
            .insert(IpAddr::V4(primary));
        let out = eni_json(&eni);
        self.live.enis.insert(id, eni);
        Ok(out)
    }

    fn attach(&mut self, p: &Params) -> Result<J, ApiError> {
        let eni_id = required(p, "NetworkInterfaceId")?.to_string();
        let inst_id = required(p, "InstanceId")?.to_string();
        let inst = self.instance(&inst_id).cloned().ok_or_else(|| {
            err(
                404,
                "InvalidInstanceId.NotFound",
                format!("The instance {inst_id} does not exist."),
            )
        })?;
        let eni = self.eni(&eni_id)?.clone();
        let l = &self.limits;
        judge(
            l,
            Facts::EniOperation {
                op: EniOp::Attach,
                primary: eni.primary,
            },
            |_| format!("The ENI {eni_id} is a primary ENI; it stays with its instance."),
        )?;
        judge(
            l,
            Facts::Attach {
                attached: eni.status != "Available" || eni.instance_id.is_some(),
            },
            |_| {
                format!(
                    "The ENI {eni_id} is {} and can be attached only while Available.",
                    eni.status
                )
            },
        )?;
        let itype = l.instance_type(&inst.instance_type);
        let stopped_only = itype.is_some_and(|t| t.stopped_only_attach);
        let state = Facts::InstanceState {
            status: &inst.status,
            stopped_only,
        };
        judge(l, state, |_| {
            let need = if stopped_only {
                "Stopped (its type attaches ENIs only while stopped)"
            } else {
                "Running or Stopped"
            };
            format!(
                "The instance {inst_id} is {}; attaching needs it {need}.",
                inst.status
            )
        })?;
        // A classic instance has no VPC: it matches no ENI's.
        let place = Facts::AttachPlace {
            eni_zone: &eni.zone_id,
            eni_vpc: &eni.vpc_id,
            instance_zone: Some(&inst.zone_id),
            instance_vpc: Some(inst.vpc_id.as_deref().unwrap_or("")),
        };
        judge(l, place, |x| match x.code {
            "InvalidOperation.AvailabilityZoneMismatch" => format!(
                "The ENI {eni_id} is in {} and the instance {inst_id} in {}.",
                eni.zone_id, inst.zone_id
            ),
            _ => format!(
                "The ENI {eni_id} is in {} and the instance {inst_id} is not.",
                eni.vpc_id
            ),
        })?;
        if let Some(t) = itype {
            let on = self
                .live
                .enis
                .values()
                .filter(|e| e.instance_id.as_deref() == Some(inst_id.as_str()))
                .count();
            judge(
                l,
                Facts::EnisOnInstance {
                    ty: t,
                    total: on + 1,
                },
                |_| {
                    format!(
                        "The instance {inst_id} ({}) takes {} ENIs including its primary and has {on}.",
                        t.id, t.eni_quantity
                    )
                },
            )?;
            // What the ENI holds now must fit the type it joins (rules.md ip-instance-type-cap).
            let v4 = Facts::Ipv4Count {
                on: Placement::Attached(Some(t)),
                secondary: eni.private_ips.len(),
            };
            judge(l, v4, |x| {
                format!(
                    "The ENI {eni_id} holds {} private IPv4 addresses; {} allows {} per ENI.",
                    x.asked.unwrap_or_default(),
                    t.id,
                    t.eni_private_ip_address_quantity
                )
            })?;
            let v6 = Facts::Ipv6Count {
                on: Placement::Attached(Some(t)),
                count: eni.ipv6.len(),
                vswitch_ipv6: true,
            };
            judge(l, v6, |_| {
                format!(
                    "The ENI {eni_id} holds {} IPv6 addresses; {} allows {}.",
                    eni.ipv6.len(),
                    t.id,
                    t.eni_ipv6_address_quantity
                )
            })?;
        }
        let used_idx: BTreeSet<u32> = self
            .live
            .enis
            .values()
            .filter(|e| e.instance_id.as_deref() == Some(inst_id.as_str()))
            .filter_map(|e| e.device_index)
            .collect();
        let idx = (0..).find(|i| !used_idx.contains(i)).unwrap_or(1);
        let due = self.transition("Attaching");
        let e = self.eni_mut(&eni_id)?;
        e.instance_id = Some(inst_id);
        e.device_index = Some(idx);
        match due {
            Some(at) => {
                e.status = "Attaching".into();
                e.pending = Some(("InUse".into(), at));
            }
            None => e.status = "InUse".into(),
        }
        Ok(json!({}))
    }

    fn detach(&mut self, p: &Params) -> Result<J, ApiError> {
        let eni_id = required(p, "NetworkInterfaceId")?.to_string();
        let inst_id = required(p, "InstanceId")?.to_string();
        let eni = self.eni(&eni_id)?.clone();
        let op = Facts::EniOperation {
            op: EniOp::Detach,
            primary: eni.primary,
        };
        judge(&self.limits, op, |_| {
            format!("The ENI {eni_id} is the primary ENI of {inst_id} and cannot be detached.")
        })?;
        if eni.instance_id.as_deref() != Some(inst_id.as_str()) || eni.status != "InUse" {
            return Err(err(
                400,
                "InvalidOperation.InvalidEniState",
                format!(
                    "The ENI {eni_id} is {} and not attached to {inst_id}.",
                    eni.status
                ),
            ));
        }
        if let Some(inst) = self.instance(&inst_id) {
            let stopped_only = self
                .limits
                .instance_type(&inst.instance_type)
                .is_some_and(|t| t.stopped_only_attach);
            let state = Facts::InstanceState {
                status: &inst.status,
                stopped_only,
            };
            judge(&self.limits, state, |_| {
                format!(
                    "The instance {inst_id} is {}; detaching needs it {}.",
                    inst.status,
                    if stopped_only {
                        "Stopped"
                    } else {
                        "Running or Stopped"
                    }
                )
            })?;
        }
        let due = self.transition("Detaching");
        let e = self.eni_mut(&eni_id)?;
        e.instance_id = None;
        e.device_index = None;
        match due {
            Some(at) => {
                e.status = "Detaching".into();
                e.pending = Some(("Available".into(), at));
            }
            None => e.status = "Available".into(),
        }
        Ok(json!({}))
    }

    fn delete_eni(&mut self, p: &Params) -> Result<J, ApiError> {
        let eni_id = required(p, "NetworkInterfaceId")?.to_string();
        let eni = self.eni(&eni_id)?.clone();
        let op = Facts::EniOperation {
            op: EniOp::Delete,
            primary: eni.primary,
        };
        judge(&self.limits, op, |_| {
            format!("The ENI {eni_id} is a primary ENI and cannot be deleted.")
        })?;
        if eni.status != "Available" {
            return Err(err(
                400,
                "InvalidOperation.InvalidEniState",
                format!(
                    "The ENI {eni_id} is {}; only an Available ENI can be deleted.",
                    eni.status
                ),
            ));
        }
        if self
            .live
            .eips
            .values()
            .any(|x| x.instance_id.as_deref() == Some(eni_id.as_str()))
        {
            return Err(err(
                400,
                "InvalidOperation.EniHasEip",
                format!("The ENI {eni_id} still has an EIP bound."),
            ));
        }
        match self.transition("Deleting") {
            Some(at) => {
                let e = self.eni_mut(&eni_id)?;
                e.status = "Deleting".into();
                e.pending = Some(("Deleted".into(), at));
            }
            None => self.forget_eni(&eni_id),
        }
        Ok(json!({}))
    }

    /// Where an ENI sits for the address caps: attached (InUse) to a known type, not attached, or
    /// in between (attaching, detaching, type unknown), when no cap is judged.
    fn placement<'a>(
        &self,
        eni: &Eni,
        itype: Option<&'a crate::limits::InstanceType>,
    ) -> Placement<'a> {
        match (&eni.instance_id, itype) {
            (None, _) => Placement::Available,
            (Some(_), Some(t)) if eni.status == "InUse" => Placement::Attached(Some(t)),
            (Some(_), _) => Placement::Attached(None),
        }
    }

    /// The instance an ENI is on, and the checks that assigning to a primary ENI needs.
    fn assign_context(&self, eni: &Eni) -> Result<Option<crate::limits::InstanceType>, ApiError> {
        let Some(inst_id) = &eni.instance_id else {
            return Ok(None);
        };
        let Some(inst) = self.instance(inst_id) else {
            return Ok(None);
        };
        if eni.primary {
            let f = Facts::PrimaryEniIps {
                instance_status: &inst.status,
            };
            judge(&self.limits, f, |_| {
                format!(
                    "The instance {inst_id} is {}; IPs on its primary ENI change only while it is Running or Stopped.",
                    inst.status
                )
            })?;
        }
        Ok(self.limits.instance_type(&inst.instance_type).cloned())
    }

    fn assign_v4(&mut self, p: &Params) -> Result<J, ApiError> {
        let eni_id = required(p, "NetworkInterfaceId")?.to_string();
        let eni = self.eni(&eni_id)?.clone();
        let given: Vec<String> = list_param(p, "PrivateIpAddress");
        let count: Option<usize> =
            param(p, "SecondaryPrivateIpAddressCount").and_then(|s| s.parse().ok());
        let n = if given.is_empty() {
            count.unwrap_or(0)
        } else {
            given.len()
        };
        if n == 0 {
            return Err(err(
                400,
                "MissingParameter",
                "Either PrivateIpAddress.N or SecondaryPrivateIpAddressCount is required.",
            ));
        }
        if n > self.limits.ips_per_assign_call.value as usize {
            return Err(err(
                400,
                "InvalidParameter.Count",
                format!(
                    "At most {} addresses per call.",
                    self.limits.ips_per_assign_call.value
                ),
            ));
        }
        let itype = self.assign_context(&eni)?;
        let after = eni.private_ips.len() + n;
        let f = Facts::Ipv4Count {
            on: self.placement(&eni, itype.as_ref()),
            secondary: after,
        };
        judge(&self.limits, f, |x| match x.rule {
            "ip-instance-type-cap" => format!(
                "The ENI {eni_id} would hold {} private IPv4 addresses; {} allows {} per ENI, primary included.",
                after + 1,
                itype.as_ref().map(|t| t.id.as_str()).unwrap_or("?"),
                x.limit.unwrap_or_default()
            ),
            _ => format!(
                "The ENI {eni_id} is not attached and would hold {after} secondary private IPv4 addresses; an Available ENI holds at most {}.",
                x.limit.unwrap_or_default()
            ),
        })?;
        let v = self
            .vswitch(&eni.vswitch_id)
            .ok_or_else(|| err(404, "InvalidVSwitchId.NotFound", "vSwitch gone"))?;
        self.sg_check(&eni.security_group_ids, &v.vpc_id, n, false)?;
        let ips: Vec<Ipv4Addr> = if given.is_empty() {
            let salt = format!(
                "{}/AssignPrivateIpAddresses/{}",
                param(p, "ClientToken").unwrap_or(""),
                eni.private_ips.len()
            );
            self.allocate_v4(&v, n, &salt, &HashSet::new())?
        } else {
            let parsed = given
                .iter()
                .map(|s| {
                    s.parse::<Ipv4Addr>().map_err(|_| {
                        err(
                            400,
                            "InvalidPrivateIpAddress.Malformed",
                            format!("{s} is not an IPv4 address."),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            self.check_given_v4(&v, &parsed, Some(&eni))?;
            parsed
        };
        let set = self.used.entry(v.id.clone()).or_default();
        set.extend(ips.iter().map(|i| IpAddr::V4(*i)));
        let e = self.eni_mut(&eni_id)?;
        e.private_ips.extend(ips.iter().copied());
        Ok(json!({
            "NetworkInterfaceId": eni_id,
            "AssignedPrivateIpAddressesSet": {
                "NetworkInterfaceId": eni_id,
                "PrivateIpSet": {"PrivateIpAddress": ips.iter().map(|i| i.to_string()).collect::<Vec<_>>()}
            }
        }))
    }

    fn unassign_v4(&mut self, p: &Params) -> Result<J, ApiError> {
        let eni_id = required(p, "NetworkInterfaceId")?.to_string();
        let eni = self.eni(&eni_id)?.clone();
        self.assign_context(&eni)?;
        let ips: Vec<Ipv4Addr> = list_param(p, "PrivateIpAddress")
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect();
        for ip in &ips {
            if !eni.private_ips.contains(ip) {
                return Err(err(
                    400,
                    "InvalidIp.NotFound",
                    format!("The address {ip} is not a secondary address of {eni_id}."),
                ));
            }
            let s = ip.to_string();
            let eip_bound = self.live.eips.values().any(|x| {
                x.instance_id.as_deref() == Some(eni_id.as_str())
                    && x.private_ip.as_deref() == Some(s.as_str())
            });
            judge(&self.limits, Facts::RemoveAddress { eip_bound }, |_| {
                format!("An EIP is still bound to {ip} on {eni_id}; unbind it first.")
            })?;
        }
        if let Some(set) = self.used.get_mut(&eni.vswitch_id) {
            for ip in &ips {
                set.remove(&IpAddr::V4(*ip));
            }
        }
        let e = self.eni_mut(&eni_id)?;
        e.private_ips.retain(|i| !ips.contains(i));
        Ok(json!({}))
    }

    fn assign_v6(&mut self, p: &Params) -> Result<J, ApiError> {
        let eni_id = required(p, "NetworkInterfaceId")?.to_string();
        let eni = self.eni(&eni_id)?.clone();
        let v = self
            .vswitch(&eni.vswitch_id)
            .ok_or_else(|| err(404, "InvalidVSwitchId.NotFound", "vSwitch gone"))?;
        let given = list_param(p, "Ipv6Address");
        let count: Option<usize> = param(p, "Ipv6AddressCount").and_then(|s| s.parse().ok());
        let n = if given.is_empty() {
            count.unwrap_or(0)
        } else {
            given.len()
        };
        let Some(net6) = v.ipv6 else {
            // The vSwitch is judged before the instance and the counts, as Alibaba does.
            let f = Facts::Ipv6Count {
                on: Placement::Available,
                count: n.max(1),
                vswitch_ipv6: false,
            };
            let msg = format!("The vSwitch {} has no IPv6 CIDR.", v.id);
            return Err(match rules::evaluate(&f, &self.limits) {
                Some(x) => rule_err(x.rule, x.code, msg),
                None => err(400, "InvalidVSwitch.Ipv6NotTurnOn", msg),
            });
        };
        let itype = self.assign_context(&eni)?;
        let after = eni.ipv6.len() + n;
        let f = Facts::Ipv6Count {
            on: self.placement(&eni, itype.as_ref()),
            count: after,
            vswitch_ipv6: true,
        };
        judge(&self.limits, f, |x| {
            let ty = itype.as_ref().map(|t| t.id.as_str()).unwrap_or("?");
            match x.code {
                "InvalidOperation.Ipv6NotSupport" => {
                    format!("The instance type {ty} has no IPv6.")
                }
                "InvalidOperation.Ipv6CountExceeded" => format!(
                    "The ENI {eni_id} would hold {after} IPv6 addresses; {ty} allows {}.",
                    x.limit.unwrap_or_default()
                ),
                _ => format!(
                    "The ENI {eni_id} is not attached and would hold {after} IPv6 addresses; the cap is {}.",
                    x.limit.unwrap_or_default()
                ),
            }
        })?;
        let ips: Vec<Ipv6Addr> = if given.is_empty() {
            let salt = format!(
                "{}/AssignIpv6Addresses/{}",
                param(p, "ClientToken").unwrap_or(""),
                eni.ipv6.len()
            );
            self.allocate_v6(&v, &net6, n, &salt)?
        } else {
            let parsed = given
                .iter()
                .map(|s| {
                    s.parse::<Ipv6Addr>().map_err(|_| {
                        err(
                            400,
                            "InvalidIpv6Address.Malformed",
                            format!("{s} is not an IPv6 address."),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            for ip in &parsed {
                let facts = Facts::Address(rules::Address {
                    ip: IpAddr::V6(*ip),
                    cidr: Some(net6.into()),
                    repeated: false,
                    on_this_eni: false,
                    in_use: self
                        .used
                        .get(&v.id)
                        .is_some_and(|u| u.contains(&IpAddr::V6(*ip))),
                });
                judge(&self.limits, facts, |x| match x.rule {
                    "ip-in-vswitch" => {
                        format!("The address {ip} is not in the vSwitch's IPv6 CIDR {net6}.")
                    }
                    "ip-reserved" => format!("The address {ip} is reserved in {net6}."),
                    _ => format!("The address {ip} is already in use."),
                })?;
            }
            parsed
        };
        self.used
            .entry(v.id.clone())
            .or_default()
            .extend(ips.iter().map(|i| IpAddr::V6(*i)));
        let e = self.eni_mut(&eni_id)?;
        e.ipv6.extend(ips.iter().copied());
        Ok(
            json!({"NetworkInterfaceId": eni_id, "Ipv6Sets": {"Ipv6Address": ips.iter().map(|i| i.to_string()).collect::<Vec<_>>()}}),
        )
    }

    fn unassign_v6(&mut self, p: &Params) -> Result<J, ApiError> {
        let eni_id = required(p, "NetworkInterfaceId")?.to_string();
        let eni = self.eni(&eni_id)?.clone();
        let ips: Vec<Ipv6Addr> = list_param(p, "Ipv6Address")
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect();
        if let Some(set) = self.used.get_mut(&eni.vswitch_id) {
            for ip in &ips {
                set.remove(&IpAddr::V6(*ip));
            }
        }
        let e = self.eni_mut(&eni_id)?;
        e.ipv6.retain(|i| !ips.contains(i));
        Ok(json!({}))
    }

    fn modify_eni(&mut self, p: &Params) -> Result<J, ApiError> {
        let eni_id = required(p, "NetworkInterfaceId")?.to_string();
        let sgs = list_param(p, "SecurityGroupId");
        if !sgs.is_empty() {
            let vpc = self.eni(&eni_id)?.vpc_id.clone();
            self.sg_check(&sgs, &vpc, 0, false)?;
        }
        let e = self.eni_mut(&eni_id)?;
        if let Some(n) = p.get("NetworkInterfaceName") {
            e.name = n.clone();
        }
        if let Some(d) = p.get("Description") {
            e.description = d.clone();
        }
        if !sgs.is_empty() {
            e.security_group_ids = sgs;
        }
        if let Some(q) = param(p, "QueueNumber") {
            e.queue_number = q.parse().ok();
        }
        if let Some(q) = param(p, "SourceDestCheck") {
            e.source_dest_check = Some(q == "true");
        }
        if let Some(q) = param(p, "DeleteOnRelease") {
            e.delete_on_release = Some(q == "true");
        }
        Ok(json!({}))
    }

    fn tags(&mut self, action: &str, p: &Params) -> Result<J, ApiError> {
        let ty = required(p, "ResourceType")?.to_lowercase();
        let ids = list_param(p, "ResourceId");
        let tags = tags_param(p);
        let keys = list_param(p, "TagKey");
        for id in ids {
            let map = if ty == "networkinterface" || ty == "eni" {
                &mut self.eni_mut(&id)?.tags
            } else {
                &mut self
                    .live
                    .eips
                    .get_mut(&id)
                    .ok_or_else(|| {
                        err(
                            404,
                            "InvalidAllocationId.NotFound",
                            format!("The EIP {id} does not exist."),
                        )
                    })?
                    .tags
            };
            if action == "TagResources" {
                map.extend(tags.clone());
            } else {
                for k in &keys {
                    map.remove(k);
                }
            }
        }
        Ok(json!({}))
    }

    fn allocate_eip(&mut self, p: &Params) -> Result<J, ApiError> {
        let region = required(p, "RegionId")?.to_string();
        if !self.world.regions.iter().any(|r| r.id == region) {
            return Err(err(
                400,
                "InvalidRegionId.NotFound",
                format!("The region {region} does not exist."),
            ));
        }
        let salt = format!(
            "{}/AllocateEipAddress",
            param(p, "ClientToken").unwrap_or("")
        );
        let h = hash_hex(&[&self.seed(), &salt]);
        let ip = match param(p, "IpAddress") {
            Some(s) => {
                let ip: Ipv4Addr = s.parse().map_err(|_| {
                    err(
                        400,
                        "InvalidIpAddress.Malformed",
                        format!("{s} is not an IPv4 address."),
                    )
                })?;
                if self.live.eips.values().any(|e| e.ip_address == ip) {
                    return Err(err(
                        400,
                        "InvalidIpAddress.AlreadyExist",
                        format!("The address {ip} is already allocated."),
                    ));
                }
                ip
            }
            None => {
                // A public-looking block per region; probe from the hash for a free one.
                let base: u32 = if region == "cn-beijing" {
                    u32::from(Ipv4Addr::new(39, 96, 0, 0))
                } else {
                    u32::from(Ipv4Addr::new(47, 96, 0, 0))
                };
                let start = u32::from_str_radix(&h[..6], 16).unwrap_or(0) % 65000;
                let taken: HashSet<Ipv4Addr> =
                    self.live.eips.values().map(|e| e.ip_address).collect();
                (0..65000u32)
                    .map(|i| Ipv4Addr::from(base + 1 + (start + i) % 65000))
                    .find(|ip| !taken.contains(ip))
                    .ok_or_else(|| {
                        err(
                            400,
                            "QuotaExceeded.Eip",
                            "No public addresses left in the simulated pool.",
                        )
                    })?
            }
        };
        let id = make_id("eip", &region, &h);
        let eip = Eip {
            id: id.clone(),
            region,
            ip_address: ip,
            status: "Available".into(),
            bandwidth: param(p, "Bandwidth").unwrap_or("5").to_string(),
            internet_charge_type: param(p, "InternetChargeType")
                .unwrap_or("PayByBandwidth")
                .to_string(),
            payment_type: match param(p, "InstanceChargeType") {
                Some("PrePaid") => "Subscription".into(),
                _ => "PayAsYouGo".into(),
            },
            isp: param(p, "ISP").unwrap_or("BGP").to_string(),
            name: param(p, "Name").unwrap_or("").to_string(),
            description: param(p, "Description").unwrap_or("").to_string(),
            instance_id: None,
            instance_type: None,
            private_ip: None,
            mode: None,
            tags: tags_param(p),
            resource_group_id: param(p, "ResourceGroupId")
                .unwrap_or("rg-default")
                .to_string(),
            deletion_protection: param(p, "DeletionProtection") == Some("true"),
            pending: None,
        };
        let out = json!({"AllocationId": id, "EipAddress": ip.to_string(), "ResourceGroupId": eip.resource_group_id});
        self.live.eips.insert(id, eip);
        Ok(out)
    }

    fn eip(&self, id: &str) -> Result<&Eip, ApiError> {
        self.live.eips.get(id).ok_or_else(|| {
            err(
                404,
                "InvalidAllocationId.NotFound",
                format!("The EIP {id} does not exist."),
            )
        })
    }

    fn associate(&mut self, p: &Params) -> Result<J, ApiError> {
        let alloc = required(p, "AllocationId")?.to_string();
        let target = required(p, "InstanceId")?.to_string();
        let kind = param(p, "InstanceType")
            .map(str::to_string)
            .unwrap_or_else(|| infer_kind(&target).to_string());
        let eip = self.eip(&alloc)?.clone();
        let l = &self.limits;
        judge(
            l,
            Facts::Bind {
                eip_bound: eip.status != "Available",
            },
            |_| {
                format!(
                    "The EIP {alloc} is {} (bound to {}); only an Available EIP binds.",
                    eip.status,
                    eip.instance_id.as_deref().unwrap_or("?")
                )
            },
        )?;
        let mut private_ip = param(p, "PrivateIpAddress").map(str::to_string);
        let mut mode = None;
        let region_of_target: Option<String>;
        // EIPs bound to the target now.
        let bound: Vec<&Eip> = self
            .live
            .eips
            .values()
            .filter(|e| e.instance_id.as_deref() == Some(target.as_str()))
            .collect();
        let kind_facts = |t: EipTarget| Facts::EipTarget(EipTarget { kind: &kind, ..t });
        judge(l, kind_facts(EipTarget::default()), |_| {
            format!("EIPs do not bind to {kind}.")
        })?;
        match kind.as_str() {
            "EcsInstance" => {
                let inst = self.instance(&target).cloned().ok_or_else(|| {
                    err(
                        404,
                        "InvalidInstanceId.NotFound",
                        format!("The instance {target} does not exist."),
                    )
                })?;
                region_of_target = Some(inst.region.clone());
                let classic = EipTarget {
                    classic: inst.network_type == "classic",
                    ..EipTarget::default()
                };
                judge(l, kind_facts(classic), |_| {
                    format!(
                        "The instance {target} is in the classic network; EIPs bind only to VPC instances."
                    )
                })?;
                let facts = Facts::EcsBind {
                    status: &inst.status,
                    public_ip: inst.public_ip.is_some(),
                    other_eips: bound.len(),
                    dnat_target: inst.private_ip.as_ref().is_some_and(|ip| {
                        self.world
                            .nat_gateways
                            .iter()
                            .any(|n| n.dnat_ips.contains(ip))
                    }),
                };
                judge(l, facts, |x| match x.rule {
                    "eip-ecs-state" => format!(
                        "The instance {target} is {}; it must be Running or Stopped.",
                        inst.status
                    ),
                    "eip-ecs-single" => {
                        format!("The instance {target} already has a public IP or an EIP.")
                    }
                    _ => format!("The instance {target} is a DNAT target of a NAT gateway."),
                })?;
            }
            "NetworkInterface" => {
                let eni = self.eni(&target)?.clone();
                region_of_target = Some(eni.region.clone());
                let m = param(p, "Mode").unwrap_or("NAT").to_string();
                if !matches!(m.as_str(), "NAT" | "BINDED" | "MULTI_BINDED") {
                    return Err(err(
                        400,
                        "InvalidParameter.Mode",
                        format!("Unknown mode {m}."),
                    ));
                }
                let primary_nat = EipTarget {
                    nat_on_primary_eni: eni.primary && m == "NAT",
                    ..EipTarget::default()
                };
                judge(l, kind_facts(primary_nat), |_| {
                    format!(
                        "The ENI {target} is a primary ENI; this profile binds NAT-mode EIPs to secondary ENIs only."
                    )
                })?;
                // NAT mode always names the address: the primary when the request leaves it out.
                let ip = (m == "NAT").then(|| {
                    private_ip
                        .clone()
                        .unwrap_or_else(|| eni.primary_ip.to_string())
                });
                let facts = Facts::EniBind(EniBind {
                    mode: &m,
                    primary: eni.primary,
                    attached: eni.status != "Available",
                    address_on_eni: ip.as_ref().map(|ip| {
                        *ip == eni.primary_ip.to_string()
                            || eni.private_ips.iter().any(|i| i.to_string() == *ip)
                    }),
                    address_taken: ip.as_ref().is_some_and(|ip| {
                        bound
                            .iter()
                            .any(|e| e.private_ip.as_deref() == Some(ip.as_str()))
                    }),
                    other_modes: bound
                        .iter()
                        .any(|e| e.mode.as_deref().unwrap_or("NAT") != m),
                    eips: bound.len() + 1,
                });
                let ipd = ip.clone().unwrap_or_default();
                judge(l, facts, |x| match (x.rule, x.code) {
                    ("eip-eni-nat-mode", _)
                        if !bound
                            .iter()
                            .any(|e| e.private_ip.as_deref() == Some(ipd.as_str())) =>
                    {
                        format!("The address {ipd} is not one of {target}'s private IPs.")
                    }
                    ("eip-eni-nat-mode", _) => format!(
                        "The address {ipd} on {target} already has an EIP; NAT mode maps one EIP per private IP."
                    ),
                    (_, "InvalidStatus.EniStatusNotSupport") => format!(
                        "The ENI {target} is {}; {m} mode binds only to an ENI that is not attached.",
                        eni.status
                    ),
                    (_, "QuotaExceeded.Eip") => format!(
                        "The ENI {target} has {} EIPs; MULTI_BINDED takes at most {}.",
                        bound.len(),
                        x.limit.unwrap_or_default()
                    ),
                    _ if eni.primary && m != "NAT" => format!(
                        "The ENI {target} is a primary ENI; {m} mode needs a secondary ENI."
                    ),
                    _ if m == "BINDED"
                        && !bound.is_empty()
                        && bound.iter().all(|e| e.mode.as_deref() == Some("BINDED")) =>
                    {
                        format!("The ENI {target} already has an EIP; BINDED mode takes one.")
                    }
                    _ => format!(
                        "The ENI {target} has an EIP in another mode; one ENI's EIPs share a mode, and a BINDED-mode EIP takes no other."
                    ),
                })?;
                private_ip = ip;
                mode = Some(m);
            }
            "Nat" => {
                let nat = self
                    .world
                    .nat_gateways
                    .iter()
                    .find(|n| n.id == target)
                    .cloned()
                    .ok_or_else(|| {
                        err(
                            404,
                            "InvalidNatGatewayId.NotFound",
                            format!("The NAT gateway {target} does not exist."),
                        )
                    })?;
                region_of_target = Some(nat.region.clone());
                let pbt = |e: &Eip| e.internet_charge_type == "PayByTraffic";
                let facts = Facts::NatBind {
                    eips: bound.len() + 1,
                    pay_by_traffic: pbt(&eip).then(|| bound.iter().filter(|e| pbt(e)).count() + 1),
                };
                judge(l, facts, |x| {
                    let cap = x.limit.unwrap_or_default();
                    if x.key == Some("nat_gateway_eips") {
                        format!(
                            "The NAT gateway {target} has {} EIPs; it takes at most {cap}.",
                            bound.len()
                        )
                    } else {
                        format!(
                            "The NAT gateway {target} has {} PayByTraffic EIPs; it takes at most {cap}.",
                            x.asked.unwrap_or_default().saturating_sub(1)
                        )
                    }
                })?;
            }
            "HaVip" => {
                let h = self
                    .world
                    .havips
                    .iter()
                    .find(|h| h.id == target)
                    .cloned()
                    .ok_or_else(|| {
                        err(
                            404,
                            "InvalidHaVipId.NotFound",
                            format!("The HAVIP {target} does not exist."),
                        )
                    })?;
                region_of_target = self.vswitch(&h.vswitch_id).map(|v| v.region);
                let facts = Facts::HavipBind {
                    status: &h.status,
                    eips: bound.len() + 1,
                };
                judge(l, facts, |x| match x.code {
                    "IncorrectHaVipStatus" => format!(
                        "The HAVIP {target} is {}; it takes an EIP only while Available or Allocated.",
                        h.status
                    ),
                    _ => format!("The HAVIP {target} already has an EIP."),
                })?;
            }
            "SlbInstance" => {
                let s = self
                    .world
                    .slbs
                    .iter()
                    .find(|s| s.id == target)
                    .cloned()
                    .ok_or_else(|| {
                        err(
                            404,
                            "InvalidLoadBalancerId.NotFound",
                            format!("The SLB {target} does not exist."),
                        )
                    })?;
                region_of_target = Some(s.region.clone());
                let internet = EipTarget {
                    internet_slb: s.address_type != "intranet",
                    ..EipTarget::default()
                };
                judge(l, kind_facts(internet), |_| {
                    format!(
                        "The SLB {target} is an internet SLB; EIPs bind only to private (intranet) SLBs."
                    )
                })?;
                judge(
                    l,
                    Facts::SlbBind {
                        eips: bound.len() + 1,
                    },
                    |_| format!("The SLB {target} already has an EIP."),
                )?;
            }
            // IpAddress: allowed by the profile (judged above); it lies in the EIP's region.
            _ => region_of_target = Some(eip.region.clone()),
        }
        if let Some(r) = &region_of_target {
            let facts = Facts::Regions {
                eip: &eip.region,
                target: r,
            };
            judge(l, facts, |_| {
                format!("The EIP {alloc} is in {} and {target} in {r}.", eip.region)
            })?;
        }
        let due = self.transition("Associating");
        let e = self
            .live
            .eips
            .get_mut(&alloc)
            .ok_or_else(|| err(404, "InvalidAllocationId.NotFound", "gone"))?;
        e.instance_id = Some(target);
        e.instance_type = Some(kind);
        e.private_ip = private_ip;
        e.mode = mode;
        match due {
            Some(at) => {
                e.status = "Associating".into();
                e.pending = Some(("InUse".into(), at));
            }
            None => e.status = "InUse".into(),
        }
        Ok(json!({}))
    }

    fn unassociate(&mut self, p: &Params) -> Result<J, ApiError> {
        let alloc = required(p, "AllocationId")?.to_string();
        let target = required(p, "InstanceId")?.to_string();
        let eip = self.eip(&alloc)?.clone();
        if eip.status != "InUse" || eip.instance_id.as_deref() != Some(target.as_str()) {
            return Err(err(
                400,
                "IncorrectEipStatus",
                format!(
                    "The EIP {alloc} is {} and not bound to {target}.",
                    eip.status
                ),
            ));
        }
        if let (Some(m), Ok(eni)) = (eip.mode.as_deref(), self.eni(&target)) {
            let facts = Facts::ModeOnEni {
                mode: m,
                attached: eni.status != "Available",
            };
            judge(&self.limits, facts, |_| {
                format!(
                    "The ENI {target} is {}; a {m}-mode EIP is unbound only from a detached ENI.",
                    eni.status
                )
            })?;
        }
        let due = self.transition("Unassociating");
        let e = self
            .live
            .eips
            .get_mut(&alloc)
            .ok_or_else(|| err(404, "InvalidAllocationId.NotFound", "gone"))?;
        e.instance_id = None;
        e.instance_type = None;
        e.private_ip = None;
        e.mode = None;
        match due {
            Some(at) => {
                e.status = "Unassociating".into();
                e.pending = Some(("Available".into(), at));
            }
            None => e.status = "Available".into(),
        }
        Ok(json!({}))
    }

    fn release(&mut self, p: &Params) -> Result<J, ApiError> {
        let alloc = required(p, "AllocationId")?.to_string();
        let eip = self.eip(&alloc)?.clone();
        if eip.status != "Available" {
            return Err(err(
                400,
                "IncorrectEipStatus",
                format!(
                    "The EIP {alloc} is {}; release it after unbinding.",
                    eip.status
                ),
            ));
        }
        if eip.deletion_protection {
            return Err(err(
                400,
                "OperationFailed.DeletionProtection",
                format!("The EIP {alloc} has deletion protection."),
            ));
        }
        match self.transition("Releasing") {
            Some(at) => {
                let e = self
                    .live
                    .eips
                    .get_mut(&alloc)
                    .ok_or_else(|| err(404, "InvalidAllocationId.NotFound", "gone"))?;
                e.status = "Releasing".into();
                e.pending = Some(("Released".into(), at));
            }
            None => {
                self.live.eips.remove(&alloc);
            }
        }
        Ok(json!({}))
    }

    fn modify_eip(&mut self, p: &Params) -> Result<J, ApiError> {
        let alloc = required(p, "AllocationId")?.to_string();
        let e = self.live.eips.get_mut(&alloc).ok_or_else(|| {
            err(
                404,
                "InvalidAllocationId.NotFound",
                format!("The EIP {alloc} does not exist."),
            )
        })?;
        if let Some(b) = param(p, "Bandwidth") {
            e.bandwidth = b.to_string();
        }
        if let Some(n) = p.get("Name") {
            e.name = n.clone();
        }
        if let Some(d) = p.get("Description") {
            e.description = d.clone();
        }
        if let Some(d) = param(p, "DeletionProtection") {
            e.deletion_protection = d == "true";
        }
        Ok(json!({}))
    }

    fn modify_mode(&mut self, p: &Params) -> Result<J, ApiError> {
        let alloc = required(p, "InstanceId")?.to_string();
        let mode = required(p, "Mode")?.to_string();
        let eip = self.eip(&alloc)?.clone();
        if let Some(t) = &eip.instance_id
            && mode != "NAT"
        {
            let eni = self.eni(t)?;
            let facts = Facts::ModeOnEni {
                mode: &mode,
                attached: eni.status != "Available",
            };
            judge(&self.limits, facts, |_| {
                format!("The ENI {t} is attached; {mode} mode needs it detached.")
            })?;
        }
        let e = self
            .live
            .eips
            .get_mut(&alloc)
            .ok_or_else(|| err(404, "InvalidAllocationId.NotFound", "gone"))?;
        e.mode = Some(mode);
        Ok(json!({}))
    }

    fn describe_enis(&self, p: &Params) -> J {
        let ids = list_param(p, "NetworkInterfaceId");
        let inst = param(p, "InstanceId");
        let vsw = param(p, "VSwitchId");
        let sg = param(p, "SecurityGroupId");
        let sets: Vec<J> = if ids.is_empty() {
            self.live
                .enis
                .values()
                .filter(|e| inst.is_none_or(|i| e.instance_id.as_deref() == Some(i)))
                .filter(|e| vsw.is_none_or(|v| e.vswitch_id == v))
                .filter(|e| sg.is_none_or(|s| e.security_group_ids.iter().any(|x| x == s)))
                .map(eni_json)
                .collect()
        } else {
            ids.iter()
                .filter_map(|i| self.live.enis.get(i))
                .map(eni_json)
                .collect()
        };
        json!({"TotalCount": sets.len(), "NetworkInterfaceSets": {"NetworkInterfaceSet": sets}})
    }

    fn describe_eips(&self, p: &Params) -> J {
        let ids: Vec<String> = param(p, "AllocationId")
            .map(|s| s.split(',').map(|x| x.trim().to_string()).collect())
            .unwrap_or_default();
        // Look ids up directly: a batched refresh stays linear in the number of EIPs.
        let picked: Vec<&Eip> = if ids.is_empty() {
            self.live.eips.values().collect()
        } else {
            ids.iter().filter_map(|i| self.live.eips.get(i)).collect()
        };
        let list: Vec<J> = picked
            .into_iter()
            .filter(|e| {
                param(p, "AssociatedInstanceId").is_none_or(|t| e.instance_id.as_deref() == Some(t))
            })
            .map(eip_json)
            .collect();
        json!({"TotalCount": list.len(), "EipAddresses": {"EipAddress": list}})
    }

    fn describe_instances(&self, p: &Params) -> J {
        let ids: Vec<String> = param(p, "InstanceIds")
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        let region = param(p, "RegionId");
        let list: Vec<J> = self
            .world
            .instances
            .iter()
            .filter(|i| ids.is_empty() || ids.contains(&i.id))
            .filter(|i| region.is_none_or(|r| r == i.region))
            .map(|i| {
                let primary = self.live.enis.values().find(|e| e.primary && e.instance_id.as_deref() == Some(i.id.as_str()));
                let eip = self.live.eips.values().find(|e| e.instance_id.as_deref() == Some(i.id.as_str()) && e.instance_type.as_deref() == Some("EcsInstance"));
                let mut enis: Vec<J> = self.live.enis.values().filter(|e| e.instance_id.as_deref() == Some(i.id.as_str())).map(|e| json!({"NetworkInterfaceId": e.id, "Type": if e.primary {"Primary"} else {"Secondary"}, "PrimaryIpAddress": e.primary_ip.to_string(), "MacAddress": e.mac})).collect();
                enis.sort_by(|a, b| a["NetworkInterfaceId"].as_str().cmp(&b["NetworkInterfaceId"].as_str()));
                json!({
                    "InstanceId": i.id,
                    "InstanceName": i.name,
                    "InstanceType": i.instance_type,
                    "Status": i.status,
                    "ZoneId": i.zone_id,
                    "RegionId": i.region,
                    "InstanceNetworkType": i.network_type,
                    "VpcAttributes": {
                        "VpcId": i.vpc_id.clone().unwrap_or_default(),
                        "VSwitchId": i.vswitch_id.clone().unwrap_or_default(),
                        "PrivateIpAddress": {"IpAddress": i.private_ip.iter().collect::<Vec<_>>()},
                    },
                    "PublicIpAddress": {"IpAddress": i.public_ip.iter().collect::<Vec<_>>()},
                    "EipAddress": {"IpAddress": eip.map(|e| e.ip_address.to_string()).unwrap_or_default(), "AllocationId": eip.map(|e| e.id.clone()).unwrap_or_default()},
                    "SecurityGroupIds": {"SecurityGroupId": i.security_group_ids},
                    "NetworkInterfaces": {"NetworkInterface": enis},
                    "PrimaryNetworkInterfaceId": primary.map(|e| e.id.clone()).unwrap_or_default(),
                })
            })
            .collect();
        json!({"TotalCount": list.len(), "Instances": {"Instance": list}})
    }

    fn describe_vswitches(&self, p: &Params) -> J {
        let region = param(p, "RegionId");
        let list: Vec<J> = self
            .world
            .vswitches
            .iter()
            .filter_map(|v| self.vswitch(&v.id))
            .filter(|v| region.is_none_or(|r| r == v.region))
            .map(|v| {
                let (lo, hi) = usable_v4(&v.cidr);
                let total = if hi >= lo { (hi - lo + 1) as usize } else { 0 };
                let used = self.used.get(&v.id).map(|u| u.iter().filter(|i| i.is_ipv4()).count()).unwrap_or(0);
                json!({
                    "VSwitchId": v.id, "VpcId": v.vpc_id, "ZoneId": v.zone_id, "CidrBlock": v.cidr.to_string(),
                    "Ipv6CidrBlock": v.ipv6.map(|n| n.to_string()).unwrap_or_default(),
                    "AvailableIpAddressCount": total.saturating_sub(used),
                })
            })
            .collect();
        json!({"TotalCount": list.len(), "VSwitches": {"VSwitch": list}})
    }

    fn describe_sgs(&self, p: &Params) -> J {
        let vpc = param(p, "VpcId");
        let list: Vec<J> = self
            .world
            .security_groups
            .iter()
            .filter(|s| vpc.is_none_or(|v| v == s.vpc_id))
            .map(|s| json!({"SecurityGroupId": s.id, "VpcId": s.vpc_id, "SecurityGroupType": s.security_group_type}))
            .collect();
        json!({"TotalCount": list.len(), "SecurityGroups": {"SecurityGroup": list}})
    }

    fn describe_nats(&self, _: &Params) -> J {
        let list: Vec<J> = self
            .world
            .nat_gateways
            .iter()
            .map(|n| {
                let eips: Vec<J> = self.live.eips.values().filter(|e| e.instance_id.as_deref() == Some(n.id.as_str())).map(|e| json!({"AllocationId": e.id, "IpAddress": e.ip_address.to_string()})).collect();
                json!({"NatGatewayId": n.id, "VpcId": n.vpc_id, "RegionId": n.region, "DnatIps": n.dnat_ips, "IpLists": {"IpList": eips}})
            })
            .collect();
        json!({"TotalCount": list.len(), "NatGateways": {"NatGateway": list}})
    }

    fn describe_havips(&self, _: &Params) -> J {
        let list: Vec<J> = self.world.havips.iter().map(|h| json!({"HaVipId": h.id, "VSwitchId": h.vswitch_id, "IpAddress": h.ip_address, "Status": h.status})).collect();
        json!({"TotalCount": list.len(), "HaVips": {"HaVip": list}})
    }

    fn describe_slbs(&self, _: &Params) -> J {
        let list: Vec<J> = self.world.slbs.iter().map(|s| json!({"LoadBalancerId": s.id, "AddressType": s.address_type, "VSwitchId": s.vswitch_id.clone().unwrap_or_default(), "Address": s.address, "RegionId": s.region})).collect();
        json!({"TotalCount": list.len(), "LoadBalancers": {"LoadBalancer": list}})
    }

    fn describe_types(&self, _: &Params) -> J {
        let list: Vec<J> = self
            .limits
            .instance_types
            .iter()
            .map(|t| json!({"InstanceTypeId": t.id, "InstanceTypeFamily": t.family(), "EniQuantity": t.eni_quantity, "EniPrivateIpAddressQuantity": t.eni_private_ip_address_quantity, "EniIpv6AddressQuantity": t.eni_ipv6_address_quantity}))
            .collect();
        json!({"InstanceTypes": {"InstanceType": list}})
    }
}

use crate::provider::api::eip_target_kind as infer_kind;

fn mac_from(h: &str) -> String {
    format!("00:16:3e:{}:{}:{}", &h[0..2], &h[2..4], &h[4..6])
}

pub fn eni_json(e: &Eni) -> J {
    let mut ips = vec![json!({"PrivateIpAddress": e.primary_ip.to_string(), "Primary": true})];
    ips.extend(
        e.private_ips
            .iter()
            .map(|i| json!({"PrivateIpAddress": i.to_string(), "Primary": false})),
    );
    json!({
        "NetworkInterfaceId": e.id,
        "Status": e.status,
        "Type": if e.primary { "Primary" } else { "Secondary" },
        "VSwitchId": e.vswitch_id,
        "VpcId": e.vpc_id,
        "ZoneId": e.zone_id,
        "SecurityGroupIds": {"SecurityGroupId": e.security_group_ids},
        "NetworkInterfaceName": e.name,
        "Description": e.description,
        "PrivateIpAddress": e.primary_ip.to_string(),
        "PrivateIpSets": {"PrivateIpSet": ips},
        "Ipv6Sets": {"Ipv6Set": e.ipv6.iter().map(|i| json!({"Ipv6Address": i.to_string()})).collect::<Vec<_>>()},
        "MacAddress": e.mac,
        "InstanceId": e.instance_id.clone().unwrap_or_default(),
        "Attachment": {"DeviceIndex": e.device_index, "InstanceId": e.instance_id.clone().unwrap_or_default()},
        "Tags": {"Tag": e.tags.iter().map(|(k, v)| json!({"TagKey": k, "TagValue": v})).collect::<Vec<_>>()},
        "ResourceGroupId": e.resource_group_id,
        "QueueNumber": e.queue_number,
        "SourceDestCheck": e.source_dest_check,
        "DeleteOnRelease": e.delete_on_release,
    })
}

pub fn eip_json(e: &Eip) -> J {
    json!({
        "AllocationId": e.id,
        "IpAddress": e.ip_address.to_string(),
        "Status": e.status,
        "Bandwidth": e.bandwidth,
        "InternetChargeType": e.internet_charge_type,
        "ChargeType": if e.payment_type == "Subscription" { "PrePaid" } else { "PostPaid" },
        "ISP": e.isp,
        "Name": e.name,
        "Description": e.description,
        "InstanceId": e.instance_id.clone().unwrap_or_default(),
        "InstanceType": e.instance_type.clone().unwrap_or_default(),
        "PrivateIpAddress": e.private_ip.clone().unwrap_or_default(),
        "Mode": e.mode.clone().unwrap_or_default(),
        "Tags": {"Tag": e.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>()},
        "ResourceGroupId": e.resource_group_id,
        "RegionId": e.region,
        "DeletionProtection": e.deletion_protection,
    })
}
