//! The simulated cloud's objects, the helpers the actions share, and the dispatch of an API call
//! to its handler (`eni.rs`, `eip.rs`, `describe.rs`).
//!
//! A call is routed by product and action to the action's wire request type, which parses the
//! parameters exactly as the API does; the handler answers with the wire response, so requests
//! and answers can only have the names and nesting of the typed model (and of the SDKs behind it).
//! Every action checks the same rules (by id, from `rules`) that Alibaba enforces and answers with
//! Alibaba's error codes, so the simulator refuses what the real cloud refuses. Ids and
//! automatically chosen addresses derive from the world's seed and the request's ClientToken, so
//! the same run yields the same cloud whichever worker gets there first; a create without a
//! token, or with one the simulator has forgotten, still gets an id never handed out before
//! (`fresh_id`), so a duplicate is a duplicate here as on Alibaba Cloud.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};
use serde_json::Value as J;
use sha2::Digest;

use super::index::{Index, Used};
use super::tokens::{Remembered, TokenMemory};
use super::world::World;
use crate::limits::Limits;
use crate::provider::wire::{Request, ecs, vpc};
use crate::provider::{ApiError, Params, Product};
use crate::rules::{self, Facts, Violation};

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
    /// The first answer to each recent ClientToken (bounded; see `tokens`). In the snapshot:
    /// a repeat may come from the next process (an apply resumed after a crash).
    #[serde(default)]
    pub tokens: TokenMemory,
    #[serde(default)]
    pub requests: u64,
    /// Every id the simulator has handed out for an object it created, so that none is ever
    /// handed out again (a duplicate on Alibaba Cloud must be a duplicate here too). One short
    /// string per object ever created.
    #[serde(default)]
    pub issued: BTreeSet<String>,
}

pub struct Cloud {
    pub world: World,
    pub limits: Limits,
    pub live: Live,
    /// Addresses in use per vSwitch, kept in step with `live` for O(1) checks.
    pub(super) used: HashMap<String, Used>,
    /// What the quotas and lookups need of `live`, kept in step with it (`index`).
    pub(super) index: Index,
    /// Positions of the world's vSwitches, security groups and instances by id.
    world_at: WorldAt,
    /// Durations of async states in ms (0: immediate).
    pub async_ms: BTreeMap<String, u64>,
    pub now_ms: u64,
    /// Async transitions by when they end: (due at, the object). `settle` takes what is due
    /// from its front, so a call costs nothing for the objects that are not changing, however
    /// many there are. An entry whose object has since gone or started another transition is
    /// dropped when reached.
    pub(super) due: BTreeSet<(u64, Pending, String)>,
}

/// Which kind of object an async transition is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Pending {
    Eni,
    Eip,
}

pub(super) fn err(status: u16, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, code, message)
}

/// A rule violation: the code Alibaba answers with, and the rule id in the message so netform can
/// name it.
pub(super) fn rule_err(rule: &str, code: &str, message: impl Into<String>) -> ApiError {
    let status = if code.starts_with("Quota") || code.contains("LimitExceed") {
        403
    } else {
        400
    };
    err(status, code, format!("{} (rule {rule})", message.into()))
}

/// Judges `facts` by the rule table (`rules`, shared with the plan-time checker); a violation
/// becomes the API error with the rule's code, `message` saying what was asked in this call.
pub(super) fn judge(
    limits: &Limits,
    facts: Facts,
    message: impl FnOnce(&Violation) -> String,
) -> Result<(), ApiError> {
    match rules::evaluate(&facts, limits) {
        Some(v) => Err(rule_err(v.rule, v.code, message(&v))),
        None => Ok(()),
    }
}

/// A parameter the action requires but the wire model leaves optional (the request types follow
/// the SDK models, which mark almost everything optional).
pub(super) fn missing(name: &str) -> ApiError {
    err(
        400,
        "MissingParameter",
        format!(
            "The input parameter \"{name}\" that is mandatory for processing this request is not supplied."
        ),
    )
}

pub(super) fn hash_hex(parts: &[&str]) -> String {
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Alibaba-looking id: prefix, the region's infix, 17 base-36 characters from the hash.
pub(super) fn make_id(prefix: &str, region: &str, h: &str) -> String {
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

/// A new object's id and the hash it derives from. A request with a ClientToken the simulator
/// does not remember derives it from the seed and the token (so runs with the same tokens make
/// the same ids); one without a token from how many objects were made before it. Either way an
/// id already handed out is never handed out again: the derivation moves on until it finds a
/// fresh one, as a real duplicate gets a new id on Alibaba Cloud.
pub(super) fn fresh_id(
    live: &Live,
    seed: &str,
    prefix: &str,
    region: &str,
    token: Option<&str>,
    action: &str,
) -> (String, String) {
    let base = match token.filter(|t| !t.is_empty()) {
        Some(t) => format!("{t}/{action}"),
        None => format!("untokened/{action}/{}", live.issued.len()),
    };
    let mut n = 0u64;
    loop {
        let salt = if n == 0 {
            base.clone()
        } else {
            format!("{base}/again-{n}")
        };
        let h = hash_hex(&[seed, &salt]);
        let id = make_id(prefix, region, &h);
        if !live.issued.contains(&id)
            && !live.enis.contains_key(&id)
            && !live.eips.contains_key(&id)
        {
            return (id, h);
        }
        n += 1;
    }
}

/// Usable addresses of an IPv4 vSwitch: not the first, not the last three.
pub(super) fn usable_v4(net: &Ipv4Net) -> (u32, u32) {
    rules::eni::usable_v4(net)
}

pub(super) fn is_reserved_v6(net: &Ipv6Net, ip: Ipv6Addr) -> bool {
    rules::eni::is_reserved(&(*net).into(), IpAddr::V6(ip))
}

/// Positions in the world's lists by id: the world does not change once the cloud is open.
#[derive(Debug, Default)]
struct WorldAt {
    vswitch: HashMap<String, usize>,
    sg: HashMap<String, usize>,
    instance: HashMap<String, usize>,
}

impl WorldAt {
    /// The first of each id wins, as a search of the list would find it.
    fn build(w: &World) -> WorldAt {
        fn at<'a>(ids: impl Iterator<Item = &'a String>) -> HashMap<String, usize> {
            let mut m = HashMap::new();
            for (i, id) in ids.enumerate() {
                m.entry(id.clone()).or_insert(i);
            }
            m
        }
        WorldAt {
            vswitch: at(w.vswitches.iter().map(|v| &v.id)),
            sg: at(w.security_groups.iter().map(|s| &s.id)),
            instance: at(w.instances.iter().map(|i| &i.id)),
        }
    }
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
        let world_at = WorldAt::build(&world);
        let mut c = Cloud {
            world,
            limits,
            live,
            used: HashMap::new(),
            index: Index::default(),
            world_at,
            async_ms,
            now_ms: 0,
            due: BTreeSet::new(),
        };
        if c.live.enis.is_empty() && c.live.requests == 0 {
            c.seed_primary_enis();
        }
        c.rebuild_used();
        c.index = Index::build(&c.live);
        // Transitions under way in the cloud as loaded (another process started them).
        for e in c.live.enis.values() {
            if let Some((_, at)) = &e.pending {
                c.due.insert((*at, Pending::Eni, e.id.clone()));
            }
        }
        for e in c.live.eips.values() {
            if let Some((_, at)) = &e.pending {
                c.due.insert((*at, Pending::Eip, e.id.clone()));
            }
        }
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
            self.insert_eni(eni);
        }
    }

    fn rebuild_used(&mut self) {
        let mut used: HashMap<String, Used> = HashMap::new();
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
        let v = self
            .world_at
            .vswitch
            .get(id)
            .and_then(|&i| self.world.vswitches.get(i))
            .filter(|v| v.id == id)?;
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

    pub(super) fn instance(&self, id: &str) -> Option<&super::world::Instance> {
        self.world_at
            .instance
            .get(id)
            .and_then(|&i| self.world.instances.get(i))
            .filter(|i| i.id == id)
    }

    /// Completes async transitions whose time has come.
    pub fn settle(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
        while let Some(first) = self.due.first()
            && first.0 <= now_ms
        {
            let Some((at, kind, id)) = self.due.pop_first() else {
                break;
            };
            match kind {
                Pending::Eni => self.end_eni_transition(&id, at),
                Pending::Eip => self.end_eip_transition(&id, at),
            }
        }
    }

    /// Ends the ENI's transition due at `at`, if it is still the one under way.
    fn end_eni_transition(&mut self, id: &str, at: u64) {
        let Some(e) = self.live.enis.get_mut(id) else {
            return;
        };
        match e.pending.take() {
            Some((to, when)) if when == at => {
                if to == "Deleted" {
                    self.forget_eni(id);
                } else {
                    e.status = to;
                }
            }
            other => e.pending = other,
        }
    }

    /// Ends the EIP's transition due at `at`, if it is still the one under way.
    fn end_eip_transition(&mut self, id: &str, at: u64) {
        let Some(e) = self.live.eips.get_mut(id) else {
            return;
        };
        match e.pending.take() {
            Some((to, when)) if when == at => {
                if to == "Released" {
                    self.remove_eip(id);
                } else {
                    e.status = to;
                }
            }
            other => e.pending = other,
        }
    }

    /// Records that the object's transition ends at `at`, for `settle`.
    pub(super) fn due_at(&mut self, kind: Pending, id: &str, at: u64) {
        self.due.insert((at, kind, id.to_string()));
    }

    pub fn settle_all(&mut self) {
        self.settle(u64::MAX);
    }

    pub(super) fn transition(&mut self, state: &str) -> Option<u64> {
        match self.async_ms.get(state).copied().unwrap_or(0) {
            0 => None,
            ms => Some(self.now_ms + ms),
        }
    }

    pub(super) fn forget_eni(&mut self, id: &str) {
        let Some(e) = self.live.enis.remove(id) else {
            return;
        };
        self.index.eni(&e, false);
        if let Some(set) = self.used.get_mut(&e.vswitch_id) {
            set.remove(&IpAddr::V4(e.primary_ip));
            for i in &e.private_ips {
                set.remove(&IpAddr::V4(*i));
            }
            for i in &e.ipv6 {
                set.remove(&IpAddr::V6(*i));
            }
        }
    }

    /// Adds a new ENI to the cloud and the indices.
    pub(super) fn insert_eni(&mut self, e: Eni) {
        self.index.eni(&e, true);
        if let Some(old) = self.live.enis.insert(e.id.clone(), e) {
            self.index.eni(&old, false);
        }
    }

    /// Changes an ENI (its addresses, groups or instance) and keeps the indices in step.
    pub(super) fn update_eni<T>(
        &mut self,
        id: &str,
        f: impl FnOnce(&mut Eni) -> T,
    ) -> Result<T, ApiError> {
        let e = self
            .live
            .enis
            .get_mut(id)
            .ok_or_else(|| eni_not_found(id))?;
        self.index.eni(e, false);
        let out = f(e);
        self.index.eni(e, true);
        Ok(out)
    }

    /// Adds a new EIP to the cloud and the indices.
    pub(super) fn insert_eip(&mut self, e: Eip) {
        self.index.eip(&e, true);
        if let Some(old) = self.live.eips.insert(e.id.clone(), e) {
            self.index.eip(&old, false);
        }
    }

    /// Changes an EIP (what it is bound to) and keeps the indices in step.
    pub(super) fn update_eip<T>(
        &mut self,
        id: &str,
        f: impl FnOnce(&mut Eip) -> T,
    ) -> Result<T, ApiError> {
        let e = self
            .live
            .eips
            .get_mut(id)
            .ok_or_else(|| eip_not_found(id))?;
        self.index.eip(e, false);
        let out = f(e);
        self.index.eip(e, true);
        Ok(out)
    }

    pub(super) fn remove_eip(&mut self, id: &str) {
        if let Some(e) = self.live.eips.remove(id) {
            self.index.eip(&e, false);
        }
    }

    /// The EIPs bound to a target (ENI, instance, gateway…), in id order.
    pub(super) fn eips_on(&self, target: &str) -> impl Iterator<Item = &Eip> {
        self.index
            .eips_on(target)
            .filter_map(|id| self.live.eips.get(id))
    }

    /// The ENIs on an instance, in id order.
    pub(super) fn enis_on(&self, instance: &str) -> impl Iterator<Item = &Eni> {
        self.index
            .enis_on(instance)
            .filter_map(|id| self.live.enis.get(id))
    }

    pub(super) fn seed(&self) -> String {
        self.world.seed.to_string()
    }

    /// Picks `n` free IPv4 addresses, starting at a point derived from the request.
    pub(super) fn allocate_v4(
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
        let free = (span as usize).saturating_sub(used.map(Used::v4_count).unwrap_or(0));
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

    pub(super) fn allocate_v6(
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

    pub(super) fn check_given_v4(
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
    pub(super) fn sg_check(
        &self,
        sgs: &[String],
        vpc_id: &str,
        extra_ips: usize,
        new_eni: bool,
    ) -> Result<(), ApiError> {
        let mut groups = Vec::new();
        for id in sgs {
            let found = self
                .world_at
                .sg
                .get(id)
                .and_then(|&i| self.world.security_groups.get(i))
                .filter(|s| &s.id == id);
            let Some(sg) = found else {
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
            let held = self.index.sg(&g.id);
            let (enis, ips) = (held.enis, held.ips);
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

    /// An ENI to change in ways the indices do not follow (status, name, tags); addresses,
    /// groups and instance change through [`Cloud::update_eni`].
    pub(super) fn eni_mut(&mut self, id: &str) -> Result<&mut Eni, ApiError> {
        self.live.enis.get_mut(id).ok_or_else(|| eni_not_found(id))
    }

    pub(super) fn eni(&self, id: &str) -> Result<&Eni, ApiError> {
        self.live.enis.get(id).ok_or_else(|| eni_not_found(id))
    }

    pub(super) fn eip(&self, id: &str) -> Result<&Eip, ApiError> {
        self.live.eips.get(id).ok_or_else(|| eip_not_found(id))
    }

    pub(super) fn eip_mut(&mut self, id: &str) -> Result<&mut Eip, ApiError> {
        self.live.eips.get_mut(id).ok_or_else(|| eip_not_found(id))
    }

    /// One API call: `product` and `action` pick the wire request, which parses the parameters
    /// exactly as the API does (a parameter the action does not take is refused), and the answer
    /// is the wire response, so nothing here can name a field the SDK models lack.
    pub fn handle(&mut self, product: Product, action: &str, p: &Params) -> Result<J, ApiError> {
        use Product::{Ecs, Slb, Vpc};
        match (product, action) {
            (Ecs, "CreateNetworkInterface") => {
                self.run(p, |c, _, r: ecs::CreateNetworkInterface| c.create_eni(r))
            }
            (Ecs, "AttachNetworkInterface") => {
                self.run(p, |c, _, r: ecs::AttachNetworkInterface| c.attach(r))
            }
            (Ecs, "DetachNetworkInterface") => {
                self.run(p, |c, _, r: ecs::DetachNetworkInterface| c.detach(r))
            }
            (Ecs, "DeleteNetworkInterface") => {
                self.run(p, |c, _, r: ecs::DeleteNetworkInterface| c.delete_eni(r))
            }
            (Ecs, "AssignPrivateIpAddresses") => {
                self.run(p, |c, _, r: ecs::AssignPrivateIpAddresses| c.assign_v4(r))
            }
            (Ecs, "UnassignPrivateIpAddresses") => self
                .run(p, |c, _, r: ecs::UnassignPrivateIpAddresses| {
                    c.unassign_v4(r)
                }),
            (Ecs, "AssignIpv6Addresses") => {
                self.run(p, |c, _, r: ecs::AssignIpv6Addresses| c.assign_v6(r))
            }
            (Ecs, "UnassignIpv6Addresses") => {
                self.run(p, |c, _, r: ecs::UnassignIpv6Addresses| c.unassign_v6(r))
            }
            (Ecs, "ModifyNetworkInterfaceAttribute") => self
                .run(p, |c, _, r: ecs::ModifyNetworkInterfaceAttribute| {
                    c.modify_eni(r)
                }),
            (Ecs, "TagResources") => self.run(p, |c, _, r: ecs::TagResources| c.tag_enis(r)),
            (Ecs, "UntagResources") => self.run(p, |c, _, r: ecs::UntagResources| c.untag_enis(r)),
            (Ecs, "DescribeNetworkInterfaces") => self.read(p, Cloud::describe_enis),
            (Ecs, "DescribeInstances") => self.read(p, Cloud::describe_instances),
            (Ecs, "DescribeSecurityGroups") => self.read(p, Cloud::describe_sgs),
            (Ecs, "DescribeInstanceTypes") => self.read(p, Cloud::describe_types),
            (Ecs, "DescribeRegions") => self.read(p, Cloud::describe_regions),
            (Ecs, "DescribeZones") => self.read(p, Cloud::describe_zones),
            (Vpc, "AllocateEipAddress") => self.run(p, |c, region, r: vpc::AllocateEipAddress| {
                c.allocate_eip(region, r)
            }),
            (Vpc, "AssociateEipAddress") => {
                self.run(p, |c, _, r: vpc::AssociateEipAddress| c.associate(r))
            }
            (Vpc, "UnassociateEipAddress") => {
                self.run(p, |c, _, r: vpc::UnassociateEipAddress| c.unassociate(r))
            }
            (Vpc, "ReleaseEipAddress") => {
                self.run(p, |c, _, r: vpc::ReleaseEipAddress| c.release(r))
            }
            (Vpc, "ModifyEipAddressAttribute") => {
                self.run(p, |c, _, r: vpc::ModifyEipAddressAttribute| c.modify_eip(r))
            }
            (Vpc, "ModifyEipForwardMode") => {
                self.run(p, |c, _, r: vpc::ModifyEipForwardMode| c.modify_mode(r))
            }
            (Vpc, "DeletionProtection") => self.run(p, |c, _, r: vpc::DeletionProtection| {
                c.deletion_protection(r)
            }),
            (Vpc, "TagResources") => self.run(p, |c, _, r: vpc::TagResources| c.tag_eips(r)),
            (Vpc, "UnTagResources") => self.run(p, |c, _, r: vpc::UnTagResources| c.untag_eips(r)),
            (Vpc, "DescribeEipAddresses") => self.read(p, Cloud::describe_eips),
            (Vpc, "DescribeVSwitches") => self.read(p, Cloud::describe_vswitches),
            (Vpc, "DescribeVpcs") => self.read(p, Cloud::describe_vpcs),
            (Vpc, "DescribeNatGateways") => self.read(p, Cloud::describe_nats),
            (Vpc, "DescribeForwardTableEntries") => self.read(p, Cloud::describe_forward_entries),
            (Vpc, "DescribeHaVips") => self.read(p, Cloud::describe_havips),
            (Slb, "DescribeLoadBalancers") => self.read(p, Cloud::describe_slbs),
            // What the gateway answers for an action the product does not have, including one
            // of another product (ECS has no UnTagResources, VPC no UntagResources).
            _ => Err(err(
                404,
                "InvalidAction.NotFound",
                format!(
                    "Specified api {action} is not found in {} {}, please check your url and method.",
                    product.prefix(),
                    product.version()
                ),
            )),
        }
    }

    pub fn is_mutating(action: &str) -> bool {
        !action.starts_with("Describe")
    }

    /// A mutating call. Idempotency by ClientToken applies only where the wire request takes a
    /// ClientToken: elsewhere `from_params` has already refused the parameter, so a token still
    /// present here is one the action documents.
    fn run<R: Request>(
        &mut self,
        p: &Params,
        f: impl FnOnce(&mut Cloud, &str, R) -> Result<R::Response, ApiError>,
    ) -> Result<J, ApiError> {
        let (region, req) = self.parse::<R>(p)?;
        let token = p.get("ClientToken").filter(|t| !t.is_empty()).cloned();
        let digest = {
            let mut q = p.clone();
            q.remove("ClientToken");
            hash_hex(&[R::ACTION, &serde_json::to_string(&q).unwrap_or_default()])
        };
        if let Some(t) = &token
            && let Some(r) = self.live.tokens.get(t)
        {
            if r.action == R::ACTION && r.digest == digest {
                return Ok(r.answer.clone());
            }
            return Err(err(
                400,
                "IdempotentParameterMismatch",
                "The request uses the same client token as a previous, but non-identical request.",
            ));
        }
        let out = answer(&f(self, &region, req)?)?;
        if let Some(t) = token {
            self.live.tokens.remember(Remembered {
                token: t,
                action: R::ACTION.to_string(),
                digest,
                answer: out.clone(),
            });
        }
        Ok(out)
    }

    /// A Describe call: parsed like any other, answered without changing anything.
    fn read<R: Request>(
        &self,
        p: &Params,
        f: impl FnOnce(&Cloud, &str, R) -> Result<R::Response, ApiError>,
    ) -> Result<J, ApiError> {
        let (region, req) = self.parse::<R>(p)?;
        answer(&f(self, &region, req)?)
    }

    /// The request's region and the request itself. A regional action needs a `RegionId` the
    /// world has; a global one ignores it, because the classic SDKs add `RegionId` to every
    /// request, global or not.
    fn parse<R: Request>(&self, p: &Params) -> Result<(String, R), ApiError> {
        if !R::REGIONAL {
            let mut q = p.clone();
            let region = q.remove("RegionId").unwrap_or_default();
            return Ok((region, R::from_params(&q)?));
        }
        let region = p
            .get("RegionId")
            .filter(|r| !r.is_empty())
            .ok_or_else(|| missing("RegionId"))?;
        if !self.world.regions.iter().any(|r| &r.id == region) {
            return Err(err(
                404,
                "InvalidRegionId.NotFound",
                format!("The specified RegionId {region} does not exist."),
            ));
        }
        Ok((region.clone(), R::from_params(p)?))
    }
}

/// A wire answer as JSON. The wire types are plain structs, so this fails only on a bug.
fn answer<T: Serialize>(resp: &T) -> Result<J, ApiError> {
    serde_json::to_value(resp).map_err(|e| {
        err(
            500,
            "InternalError",
            format!("the simulator cannot encode its answer: {e}"),
        )
    })
}

pub(super) fn eni_not_found(id: &str) -> ApiError {
    err(
        404,
        "InvalidEniId.NotFound",
        format!("The specified network interface {id} does not exist."),
    )
}

pub(super) fn eip_not_found(id: &str) -> ApiError {
    err(
        404,
        "InvalidAllocationId.NotFound",
        format!("Specified allocation ID {id} is not found."),
    )
}

pub(super) fn mac_from(h: &str) -> String {
    format!("00:16:3e:{}:{}:{}", &h[0..2], &h[2..4], &h[4..6])
}
