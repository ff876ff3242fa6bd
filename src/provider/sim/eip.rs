//! The simulator's VPC actions on EIPs: allocate, bind to each kind of target, unbind, release,
//! modify, forwarding mode, deletion protection and tags.
//!
//! Binding is judged per target kind (ECS instance, ENI, NAT gateway, HAVIP, SLB, IP address),
//! each by the rules.md EIP rules that concern it, then the regions are compared.

use std::net::Ipv4Addr;

use super::cloud::{Cloud, Eip, Pending, err, fresh_id, judge, missing};
use super::eni::{resource_not_found, unknown_resource_type, untag};
use crate::provider::ApiError;
use crate::provider::wire::{Ack, vpc};
use crate::rules::{EipTarget, EniBind, Facts};

/// What a bind decides besides the target: the target's region, and for an ENI the private
/// address and mode.
struct Binding {
    region: Option<String>,
    private_ip: Option<String>,
    mode: Option<String>,
}

impl Binding {
    fn in_region(region: impl Into<String>) -> Binding {
        Binding {
            region: Some(region.into()),
            private_ip: None,
            mode: None,
        }
    }
}

impl Cloud {
    pub(super) fn allocate_eip(
        &mut self,
        region: &str,
        r: vpc::AllocateEipAddress,
    ) -> Result<vpc::AllocateEipAddressResponse, ApiError> {
        let (id, h) = fresh_id(
            &self.live,
            &self.seed(),
            "eip",
            region,
            r.client_token.as_deref(),
            "AllocateEipAddress",
        );
        let ip = match &r.ip_address {
            Some(s) => {
                let ip: Ipv4Addr = s.parse().map_err(|_| {
                    err(
                        400,
                        "InvalidIpAddress.Malformed",
                        format!("{s} is not an IPv4 address."),
                    )
                })?;
                if self.index.public_taken(&ip) {
                    return Err(err(
                        400,
                        "InvalidIpAddress.AlreadyExist",
                        format!("The address {ip} is already allocated."),
                    ));
                }
                ip
            }
            None => self.public_address(region, &h)?,
        };
        let eip = Eip {
            id: id.clone(),
            region: region.to_string(),
            ip_address: ip,
            status: "Available".into(),
            bandwidth: r.bandwidth.unwrap_or_else(|| "5".into()),
            internet_charge_type: r
                .internet_charge_type
                .unwrap_or_else(|| "PayByBandwidth".into()),
            payment_type: match r.instance_charge_type.as_deref() {
                Some("PrePaid") => "Subscription".into(),
                _ => "PayAsYouGo".into(),
            },
            isp: r.isp.unwrap_or_else(|| "BGP".into()),
            name: r.name.unwrap_or_default(),
            description: r.description.unwrap_or_default(),
            instance_id: None,
            instance_type: None,
            private_ip: None,
            mode: None,
            tags: r.tag.0,
            resource_group_id: r.resource_group_id.unwrap_or_else(|| "rg-default".into()),
            deletion_protection: false,
            pending: None,
        };
        let out = vpc::AllocateEipAddressResponse {
            allocation_id: id.clone(),
            eip_address: ip.to_string(),
            resource_group_id: eip.resource_group_id.clone(),
            request_id: String::new(),
        };
        self.live.issued.insert(id.clone());
        self.insert_eip(eip);
        Ok(out)
    }

    /// A free address of a public-looking block per region, probed from the request's hash.
    fn public_address(&self, region: &str, h: &str) -> Result<Ipv4Addr, ApiError> {
        let base: u32 = if region == "cn-beijing" {
            u32::from(Ipv4Addr::new(39, 96, 0, 0))
        } else {
            u32::from(Ipv4Addr::new(47, 96, 0, 0))
        };
        let start = u32::from_str_radix(&h[..6], 16).unwrap_or(0) % 65000;
        (0..65000u32)
            .map(|i| Ipv4Addr::from(base + 1 + (start + i) % 65000))
            .find(|ip| !self.index.public_taken(ip))
            .ok_or_else(|| {
                err(
                    400,
                    "QuotaExceeded.Eip",
                    "No public addresses left in the simulated pool.",
                )
            })
    }

    pub(super) fn associate(&mut self, r: vpc::AssociateEipAddress) -> Result<Ack, ApiError> {
        let alloc = r.allocation_id.clone();
        let target = r.instance_id.clone();
        // AssociateEipAddress documents EcsInstance as the default InstanceType.
        let kind = r
            .instance_type
            .clone()
            .unwrap_or_else(|| "EcsInstance".into());
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
        let kind_facts = Facts::EipTarget(EipTarget {
            kind: &kind,
            ..EipTarget::default()
        });
        judge(l, kind_facts, |_| format!("EIPs do not bind to {kind}."))?;
        let bound: Vec<Eip> = self.eips_on(&target).cloned().collect();
        let binding = match kind.as_str() {
            "EcsInstance" => self.bind_ecs(&target, &bound)?,
            "NetworkInterface" => self.bind_eni(&r, &bound)?,
            "Nat" => self.bind_nat(&target, &eip, &bound)?,
            "HaVip" => self.bind_havip(&target, &bound)?,
            "SlbInstance" => self.bind_slb(&target, &bound)?,
            // IpAddress: allowed by the profile (judged above); it lies in the EIP's region.
            _ => Binding::in_region(eip.region.clone()),
        };
        if let Some(t) = &binding.region {
            let facts = Facts::Regions {
                eip: &eip.region,
                target: t,
            };
            judge(&self.limits, facts, |_| {
                format!("The EIP {alloc} is in {} and {target} in {t}.", eip.region)
            })?;
        }
        let due = self.transition("Associating");
        self.update_eip(&alloc, |e| {
            e.instance_id = Some(target);
            e.instance_type = Some(kind);
            e.private_ip = binding.private_ip;
            e.mode = binding.mode;
            match due {
                Some(at) => {
                    e.status = "Associating".into();
                    e.pending = Some(("InUse".into(), at));
                }
                None => e.status = "InUse".into(),
            }
        })?;
        if let Some(at) = due {
            self.due_at(Pending::Eip, &alloc, at);
        }
        Ok(Ack::default())
    }

    fn bind_ecs(&self, target: &str, bound: &[Eip]) -> Result<Binding, ApiError> {
        let l = &self.limits;
        let inst = self.instance(target).ok_or_else(|| {
            err(
                404,
                "InvalidInstanceId.NotFound",
                format!("The instance {target} does not exist."),
            )
        })?;
        let classic = Facts::EipTarget(EipTarget {
            kind: "EcsInstance",
            classic: inst.network_type == "classic",
            ..EipTarget::default()
        });
        judge(l, classic, |_| {
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
        Ok(Binding::in_region(inst.region.clone()))
    }

    fn bind_eni(&self, r: &vpc::AssociateEipAddress, bound: &[Eip]) -> Result<Binding, ApiError> {
        let l = &self.limits;
        let target = r.instance_id.as_str();
        let eni = self.eni(target)?;
        let m = r.mode.clone().unwrap_or_else(|| "NAT".into());
        if !matches!(m.as_str(), "NAT" | "BINDED" | "MULTI_BINDED") {
            return Err(err(
                400,
                "InvalidParameter.Mode",
                format!("Unknown mode {m}."),
            ));
        }
        let primary_nat = Facts::EipTarget(EipTarget {
            kind: "NetworkInterface",
            nat_on_primary_eni: eni.primary && m == "NAT",
            ..EipTarget::default()
        });
        judge(l, primary_nat, |_| {
            format!(
                "The ENI {target} is a primary ENI; this profile binds NAT-mode EIPs to secondary ENIs only."
            )
        })?;
        // NAT mode always names the address: the primary when the request leaves it out.
        let ip = (m == "NAT").then(|| {
            r.private_ip_address
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
            _ if eni.primary && m != "NAT" => {
                format!("The ENI {target} is a primary ENI; {m} mode needs a secondary ENI.")
            }
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
        Ok(Binding {
            region: Some(eni.region.clone()),
            private_ip: ip,
            mode: Some(m),
        })
    }

    fn bind_nat(&self, target: &str, eip: &Eip, bound: &[Eip]) -> Result<Binding, ApiError> {
        let nat = self
            .world
            .nat_gateways
            .iter()
            .find(|n| n.id == target)
            .ok_or_else(|| {
                err(
                    404,
                    "InvalidNatGatewayId.NotFound",
                    format!("The NAT gateway {target} does not exist."),
                )
            })?;
        let pbt = |e: &Eip| e.internet_charge_type == "PayByTraffic";
        let facts = Facts::NatBind {
            eips: bound.len() + 1,
            pay_by_traffic: pbt(eip).then(|| bound.iter().filter(|e| pbt(e)).count() + 1),
        };
        judge(&self.limits, facts, |x| {
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
        Ok(Binding::in_region(nat.region.clone()))
    }

    fn bind_havip(&self, target: &str, bound: &[Eip]) -> Result<Binding, ApiError> {
        let h = self
            .world
            .havips
            .iter()
            .find(|h| h.id == target)
            .ok_or_else(|| {
                err(
                    404,
                    "InvalidHaVipId.NotFound",
                    format!("The HAVIP {target} does not exist."),
                )
            })?;
        let facts = Facts::HavipBind {
            status: &h.status,
            eips: bound.len() + 1,
        };
        judge(&self.limits, facts, |x| match x.code {
            "IncorrectHaVipStatus" => format!(
                "The HAVIP {target} is {}; it takes an EIP only while Available or Allocated.",
                h.status
            ),
            _ => format!("The HAVIP {target} already has an EIP."),
        })?;
        Ok(Binding {
            region: self.vswitch(&h.vswitch_id).map(|v| v.region),
            private_ip: None,
            mode: None,
        })
    }

    fn bind_slb(&self, target: &str, bound: &[Eip]) -> Result<Binding, ApiError> {
        let l = &self.limits;
        let s = self
            .world
            .slbs
            .iter()
            .find(|s| s.id == target)
            .ok_or_else(|| {
                err(
                    404,
                    "InvalidLoadBalancerId.NotFound",
                    format!("The SLB {target} does not exist."),
                )
            })?;
        let internet = Facts::EipTarget(EipTarget {
            kind: "SlbInstance",
            internet_slb: s.address_type != "intranet",
            ..EipTarget::default()
        });
        judge(l, internet, |_| {
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
        Ok(Binding::in_region(s.region.clone()))
    }

    pub(super) fn unassociate(&mut self, r: vpc::UnassociateEipAddress) -> Result<Ack, ApiError> {
        let alloc = r.allocation_id;
        let eip = self.eip(&alloc)?.clone();
        // InstanceId is optional in the API: without it the EIP is unbound from whatever it is on.
        let target = r
            .instance_id
            .or_else(|| eip.instance_id.clone())
            .unwrap_or_default();
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
        self.update_eip(&alloc, |e| {
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
        })?;
        if let Some(at) = due {
            self.due_at(Pending::Eip, &alloc, at);
        }
        Ok(Ack::default())
    }

    pub(super) fn release(&mut self, r: vpc::ReleaseEipAddress) -> Result<Ack, ApiError> {
        let alloc = r.allocation_id;
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
            // The code and text of ReleaseEipAddress's documented error table.
            return Err(err(
                400,
                "InvalidOperation.DeletionProtection",
                format!(
                    "The instance cannnot delete because of deletion protecion: {alloc} has deletion protection; turn it off with DeletionProtection first."
                ),
            ));
        }
        match self.transition("Releasing") {
            Some(at) => {
                let e = self.eip_mut(&alloc)?;
                e.status = "Releasing".into();
                e.pending = Some(("Released".into(), at));
                self.due_at(Pending::Eip, &alloc, at);
            }
            None => self.remove_eip(&alloc),
        }
        Ok(Ack::default())
    }

    pub(super) fn modify_eip(
        &mut self,
        r: vpc::ModifyEipAddressAttribute,
    ) -> Result<Ack, ApiError> {
        let e = self.eip_mut(&r.allocation_id)?;
        if let Some(b) = r.bandwidth.filter(|b| !b.is_empty()) {
            e.bandwidth = b;
        }
        if let Some(n) = r.name {
            e.name = n;
        }
        if let Some(d) = r.description {
            e.description = d;
        }
        Ok(Ack::default())
    }

    pub(super) fn modify_mode(&mut self, r: vpc::ModifyEipForwardMode) -> Result<Ack, ApiError> {
        let (alloc, mode) = (r.instance_id, r.mode);
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
        self.eip_mut(&alloc)?.mode = Some(mode);
        Ok(Ack::default())
    }

    /// VPC's DeletionProtection for an EIP (`Type=EIP`); the other types it documents (CBWP,
    /// NATGW) are not simulated. The codes are those of its documented error table.
    pub(super) fn deletion_protection(
        &mut self,
        r: vpc::DeletionProtection,
    ) -> Result<Ack, ApiError> {
        let enable = r
            .protection_enable
            .ok_or_else(|| missing("ProtectionEnable"))?;
        if r.r#type != vpc::EIP_PROTECTION_TYPE {
            return Err(err(
                400,
                "DeletionProtection.TypeNotSupport",
                format!(
                    "The resource type {:?} is not supported; the simulator protects EIPs (Type=EIP).",
                    r.r#type
                ),
            ));
        }
        let e = self.live.eips.get_mut(&r.instance_id).ok_or_else(|| {
            err(
                400,
                "DeletionProtection.ResourceNotExist",
                format!("The resource {} is not exist.", r.instance_id),
            )
        })?;
        e.deletion_protection = enable;
        Ok(Ack::default())
    }

    /// The EIPs a VPC tag call names; VPC reads its resource types case-blind.
    fn tagged_eips(&self, ty: &str, ids: &[String]) -> Result<(), ApiError> {
        if !ty.eq_ignore_ascii_case(vpc::EIP_RESOURCE_TYPE) {
            return Err(unknown_resource_type(ty));
        }
        match ids.iter().find(|id| !self.live.eips.contains_key(*id)) {
            Some(id) => Err(resource_not_found(id)),
            None => Ok(()),
        }
    }

    pub(super) fn tag_eips(&mut self, r: vpc::TagResources) -> Result<Ack, ApiError> {
        self.tagged_eips(&r.resource_type, &r.resource_id)?;
        for id in &r.resource_id {
            self.eip_mut(id)?.tags.extend(r.tag.0.clone());
        }
        Ok(Ack::default())
    }

    pub(super) fn untag_eips(&mut self, r: vpc::UnTagResources) -> Result<Ack, ApiError> {
        self.tagged_eips(&r.resource_type, &r.resource_id)?;
        for id in &r.resource_id {
            untag(&mut self.eip_mut(id)?.tags, &r.tag_key, r.all);
        }
        Ok(Ack::default())
    }
}
