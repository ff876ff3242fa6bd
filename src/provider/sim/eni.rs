//! The simulator's ECS actions on ENIs: create (with its secondary addresses), attach, detach,
//! delete, assign and unassign addresses, modify and tag.
//!
//! The address rules are written once and shared by CreateNetworkInterface and the Assign calls:
//! an ENI created with `PrivateIpAddress.N` or `SecondaryPrivateIpAddressCount` is judged exactly
//! like an Available ENI being assigned those addresses (rules.md ip-available-cap, ip-in-vswitch,
//! ip-reserved, ip-unique, ip-vswitch-capacity, ipv6-cap, ip-sg-capacity).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::Ipv6Net;

use super::cloud::{Cloud, Eni, Pending, VSwitchInfo, err, fresh_id, judge, mac_from, rule_err};
use crate::limits::InstanceType;
use crate::provider::ApiError;
use crate::provider::wire::{Ack, Tags, ecs};
use crate::rules::{self, EniOp, Facts, Placement};

impl Cloud {
    /// How many addresses a request asks for: the listed ones, else the count. The listed ones
    /// always count against the per-call cap (`PrivateIpAddress.N`, `Ipv6Address.N`: N up to
    /// 10); a count does unless `count_uncapped` (CreateNetworkInterface's
    /// SecondaryPrivateIpAddressCount goes up to the Available cap, 1 to 49 in the SDK model).
    /// Both at once are refused: the API reference of CreateNetworkInterface and of the Assign
    /// calls says the list and the count cannot be given together.
    fn asked(
        &self,
        given: &[String],
        count: Option<u32>,
        count_uncapped: bool,
    ) -> Result<usize, ApiError> {
        if !given.is_empty() && count.is_some() {
            return Err(err(
                400,
                "InvalidParameter.Conflict",
                "The addresses and the number of addresses to assign cannot both be given.",
            ));
        }
        let n = if given.is_empty() {
            count.unwrap_or(0) as usize
        } else {
            given.len()
        };
        let cap = self.limits.ips_per_assign_call.value as usize;
        if n > cap && !(given.is_empty() && count_uncapped) {
            return Err(err(
                400,
                "InvalidParameter.Count",
                format!("At most {cap} addresses per call; {n} were asked for."),
            ));
        }
        Ok(n)
    }

    /// The secondary IPv4 cap of an ENI where it sits (Available, or attached to a type).
    fn judge_v4_cap(
        &self,
        eni_id: &str,
        on: Placement<'_>,
        itype: Option<&InstanceType>,
        after: usize,
    ) -> Result<(), ApiError> {
        let f = Facts::Ipv4Count {
            on,
            secondary: after,
        };
        judge(&self.limits, f, |x| match x.rule {
            "ip-instance-type-cap" => format!(
                "The ENI {eni_id} would hold {} private IPv4 addresses; {} allows {} per ENI, primary included.",
                after + 1,
                itype.map(|t| t.id.as_str()).unwrap_or("?"),
                x.limit.unwrap_or_default()
            ),
            _ => format!(
                "The ENI {eni_id} is not attached and would hold {after} secondary private IPv4 addresses; an Available ENI holds at most {}.",
                x.limit.unwrap_or_default()
            ),
        })
    }

    /// The IPv6 cap of an ENI where it sits; the vSwitch needs an IPv6 CIDR, judged first as
    /// Alibaba does.
    fn judge_v6_cap(
        &self,
        eni_id: &str,
        v: &VSwitchInfo,
        on: Placement<'_>,
        itype: Option<&InstanceType>,
        after: usize,
    ) -> Result<(), ApiError> {
        if v.ipv6.is_none() {
            let f = Facts::Ipv6Count {
                on: Placement::Available,
                count: after.max(1),
                vswitch_ipv6: false,
            };
            let msg = format!("The vSwitch {} has no IPv6 CIDR.", v.id);
            return Err(match rules::evaluate(&f, &self.limits) {
                Some(x) => rule_err(x.rule, x.code, msg),
                None => err(400, "InvalidVSwitch.Ipv6NotTurnOn", msg),
            });
        }
        let f = Facts::Ipv6Count {
            on,
            count: after,
            vswitch_ipv6: true,
        };
        judge(&self.limits, f, |x| {
            let ty = itype.map(|t| t.id.as_str()).unwrap_or("?");
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
        })
    }

    /// The IPv4 addresses a request gets: the given ones, checked (in the vSwitch, not reserved,
    /// not in use, not twice, not already on the ENI), or `n` picked from the free ones.
    /// `taken` are addresses of the same request that are not in use yet (a new ENI's primary).
    fn v4_addresses(
        &self,
        v: &VSwitchInfo,
        given: &[String],
        n: usize,
        on_eni: Option<&Eni>,
        taken: &[Ipv4Addr],
        salt: &str,
    ) -> Result<Vec<Ipv4Addr>, ApiError> {
        if given.is_empty() {
            let avoid: HashSet<IpAddr> = taken.iter().map(|i| IpAddr::V4(*i)).collect();
            return self.allocate_v4(v, n, salt, &avoid);
        }
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
        // The request's own addresses go first, so that a repeat of one of them is "twice in
        // one request" rather than "in use".
        let all: Vec<Ipv4Addr> = taken.iter().chain(parsed.iter()).copied().collect();
        self.check_given_v4(v, &all, on_eni)?;
        Ok(parsed)
    }

    /// The IPv6 addresses a request gets, like [`Cloud::v4_addresses`].
    fn v6_addresses(
        &self,
        v: &VSwitchInfo,
        net6: &Ipv6Net,
        given: &[String],
        n: usize,
        salt: &str,
    ) -> Result<Vec<Ipv6Addr>, ApiError> {
        if given.is_empty() {
            return self.allocate_v6(v, net6, n, salt);
        }
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(given.len());
        for s in given {
            let ip: Ipv6Addr = s.parse().map_err(|_| {
                err(
                    400,
                    "InvalidIpv6Address.Malformed",
                    format!("{s} is not an IPv6 address."),
                )
            })?;
            let facts = Facts::Address(rules::Address {
                ip: IpAddr::V6(ip),
                cidr: Some((*net6).into()),
                repeated: !seen.insert(ip),
                on_this_eni: false,
                in_use: self
                    .used
                    .get(&v.id)
                    .is_some_and(|u| u.contains(&IpAddr::V6(ip))),
            });
            judge(&self.limits, facts, |x| match (x.rule, x.code) {
                ("ip-in-vswitch", _) => {
                    format!("The address {ip} is not in the vSwitch's IPv6 CIDR {net6}.")
                }
                ("ip-reserved", _) => format!("The address {ip} is reserved in {net6}."),
                (_, "InvalidIp.IpRepeated") => {
                    format!("The address {ip} appears twice in the request.")
                }
                _ => format!("The address {ip} is already in use."),
            })?;
            out.push(ip);
        }
        Ok(out)
    }

    fn vswitch_of(&self, id: &str) -> Result<VSwitchInfo, ApiError> {
        self.vswitch(id).ok_or_else(|| {
            err(
                404,
                "InvalidVSwitchId.NotFound",
                format!("The vSwitch {id} does not exist."),
            )
        })
    }

    fn mark_used(&mut self, vswitch: &str, ips: impl IntoIterator<Item = IpAddr>) {
        self.used
            .entry(vswitch.to_string())
            .or_default()
            .extend(ips);
    }

    pub(super) fn create_eni(
        &mut self,
        r: ecs::CreateNetworkInterface,
    ) -> Result<ecs::NetworkInterfaceSet, ApiError> {
        let v = self.vswitch_of(&r.v_switch_id)?;
        let mut sgs: Vec<String> = r.security_group_id.iter().cloned().collect();
        sgs.extend(r.security_group_ids.iter().cloned());
        if sgs.is_empty() {
            return Err(err(
                400,
                "MissingParameter.SecurityGroupId",
                "The input parameter SecurityGroupId is not supplied.",
            ));
        }
        let token = r.client_token.clone().unwrap_or_default();
        let salt = format!("{token}/CreateNetworkInterface");
        let (id, h) = fresh_id(
            &self.live,
            &self.seed(),
            "eni",
            &v.region,
            r.client_token.as_deref(),
            "CreateNetworkInterface",
        );
        let n4 = self.asked(
            &r.private_ip_address,
            r.secondary_private_ip_address_count,
            true,
        )?;
        let n6 = self.asked(&r.ipv6_address, r.ipv6_address_count, false)?;
        self.judge_v4_cap(&id, Placement::Available, None, n4)?;
        if n6 > 0 {
            self.judge_v6_cap(&id, &v, Placement::Available, None, n6)?;
        }
        self.sg_check(&sgs, &v.vpc_id, 1 + n4 + n6, true)?;
        let primary = match &r.primary_ip_address {
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
            // The cloud picks a primary that the same request does not name as a secondary.
            None => self
                .allocate_v4(&v, 1, &salt, &named_v4(&r.private_ip_address))?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    err(
                        400,
                        "InvalidVSwitchId.IpNotEnough",
                        format!("The vSwitch {} has no free address.", v.id),
                    )
                })?,
        };
        let secondary = self.v4_addresses(
            &v,
            &r.private_ip_address,
            n4,
            None,
            &[primary],
            &format!("{salt}/secondary"),
        )?;
        let ipv6 = match (&v.ipv6, n6) {
            (Some(net6), 1..) => {
                self.v6_addresses(&v, net6, &r.ipv6_address, n6, &format!("{salt}/ipv6"))?
            }
            _ => Vec::new(),
        };
        let eni = Eni {
            id: id.clone(),
            region: v.region.clone(),
            vswitch_id: v.id.clone(),
            vpc_id: v.vpc_id.clone(),
            zone_id: v.zone_id.clone(),
            security_group_ids: sgs,
            name: r.network_interface_name.unwrap_or_default(),
            description: r.description.unwrap_or_default(),
            primary_ip: primary,
            private_ips: secondary,
            ipv6,
            mac: mac_from(&h),
            status: "Available".into(),
            instance_id: None,
            device_index: None,
            primary: false,
            tags: r.tag.0,
            resource_group_id: r.resource_group_id.unwrap_or_else(|| "rg-default".into()),
            queue_number: r.queue_number,
            source_dest_check: r.source_dest_check,
            delete_on_release: r.delete_on_release,
            pending: None,
        };
        let addresses: Vec<IpAddr> = std::iter::once(IpAddr::V4(primary))
            .chain(eni.private_ips.iter().map(|i| IpAddr::V4(*i)))
            .chain(eni.ipv6.iter().map(|i| IpAddr::V6(*i)))
            .collect();
        self.mark_used(&v.id, addresses);
        let mut out = self.eni_set(&eni, &self.eips_by_target());
        // CreateNetworkInterface's answer has no attachment, queue or release settings (the
        // SDK's CreateNetworkInterfaceResponseBody): leave them out rather than invent fields.
        out.queue_number = None;
        out.delete_on_release = None;
        out.attachment = None;
        self.live.issued.insert(id.clone());
        self.insert_eni(eni);
        Ok(out)
    }

    pub(super) fn attach(&mut self, r: ecs::AttachNetworkInterface) -> Result<Ack, ApiError> {
        let (eni_id, inst_id) = (r.network_interface_id, r.instance_id);
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
        let stopped_only = rules::eni::stopped_only(itype);
        let state = rules::eni::instance_state(&inst.status, itype);
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
            self.judge_type_fits(&eni, &inst_id, t)?;
        }
        let used_idx: BTreeSet<u32> = self
            .enis_on(&inst_id)
            .filter_map(|e| e.device_index)
            .collect();
        let idx = (0..).find(|i| !used_idx.contains(i)).unwrap_or(1);
        let due = self.transition("Attaching");
        self.update_eni(&eni_id, |e| {
            e.instance_id = Some(inst_id);
            e.device_index = Some(idx);
            match due {
                Some(at) => {
                    e.status = "Attaching".into();
                    e.pending = Some(("InUse".into(), at));
                }
                None => e.status = "InUse".into(),
            }
        })?;
        if let Some(at) = due {
            self.due_at(Pending::Eni, &eni_id, at);
        }
        Ok(Ack::default())
    }

    /// What an instance of type `t` takes: one more ENI, and the addresses this ENI holds now
    /// (rules.md eni-per-instance, ip-instance-type-cap, ipv6-cap).
    fn judge_type_fits(&self, eni: &Eni, inst_id: &str, t: &InstanceType) -> Result<(), ApiError> {
        let l = &self.limits;
        let eni_id = &eni.id;
        let on = self.enis_on(inst_id).count();
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
        })
    }

    pub(super) fn detach(&mut self, r: ecs::DetachNetworkInterface) -> Result<Ack, ApiError> {
        let (eni_id, inst_id) = (r.network_interface_id, r.instance_id);
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
            let itype = self.limits.instance_type(&inst.instance_type);
            let stopped_only = rules::eni::stopped_only(itype);
            let state = rules::eni::instance_state(&inst.status, itype);
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
        self.update_eni(&eni_id, |e| {
            e.instance_id = None;
            e.device_index = None;
            match due {
                Some(at) => {
                    e.status = "Detaching".into();
                    e.pending = Some(("Available".into(), at));
                }
                None => e.status = "Available".into(),
            }
        })?;
        if let Some(at) = due {
            self.due_at(Pending::Eni, &eni_id, at);
        }
        Ok(Ack::default())
    }

    pub(super) fn delete_eni(&mut self, r: ecs::DeleteNetworkInterface) -> Result<Ack, ApiError> {
        let eni_id = r.network_interface_id;
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
        if self.eips_on(&eni_id).next().is_some() {
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
                self.due_at(Pending::Eni, &eni_id, at);
            }
            None => self.forget_eni(&eni_id),
        }
        Ok(Ack::default())
    }

    /// Where an ENI sits for the address caps: attached (InUse) to a known type, not attached, or
    /// in between (attaching, detaching, type unknown), when no cap is judged.
    fn placement<'a>(&self, eni: &Eni, itype: Option<&'a InstanceType>) -> Placement<'a> {
        match (&eni.instance_id, itype) {
            (None, _) => Placement::Available,
            (Some(_), Some(t)) if eni.status == "InUse" => Placement::Attached(Some(t)),
            (Some(_), _) => Placement::Attached(None),
        }
    }

    /// The instance an ENI is on, and the checks that assigning to a primary ENI needs.
    fn assign_context(&self, eni: &Eni) -> Result<Option<InstanceType>, ApiError> {
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

    pub(super) fn assign_v4(
        &mut self,
        r: ecs::AssignPrivateIpAddresses,
    ) -> Result<ecs::AssignPrivateIpAddressesResponse, ApiError> {
        let eni_id = r.network_interface_id;
        let eni = self.eni(&eni_id)?.clone();
        let n = self.asked(
            &r.private_ip_address,
            r.secondary_private_ip_address_count,
            false,
        )?;
        if n == 0 {
            return Err(err(
                400,
                "MissingParameter",
                "Either PrivateIpAddress.N or SecondaryPrivateIpAddressCount is required.",
            ));
        }
        let itype = self.assign_context(&eni)?;
        let after = eni.private_ips.len() + n;
        let on = self.placement(&eni, itype.as_ref());
        self.judge_v4_cap(&eni_id, on, itype.as_ref(), after)?;
        let v = self.vswitch_of(&eni.vswitch_id)?;
        self.sg_check(&eni.security_group_ids, &v.vpc_id, n, false)?;
        let salt = format!(
            "{}/AssignPrivateIpAddresses/{}",
            r.client_token.as_deref().unwrap_or(""),
            eni.private_ips.len()
        );
        let ips = self.v4_addresses(&v, &r.private_ip_address, n, Some(&eni), &[], &salt)?;
        self.mark_used(&v.id, ips.iter().map(|i| IpAddr::V4(*i)));
        self.update_eni(&eni_id, |e| e.private_ips.extend(ips.iter().copied()))?;
        Ok(ecs::AssignPrivateIpAddressesResponse {
            assigned_private_ip_addresses_set: ecs::AssignedPrivateIpAddressesSet {
                network_interface_id: eni_id,
                private_ip_set: ips.iter().map(|i| i.to_string()).collect::<Vec<_>>().into(),
            },
            request_id: String::new(),
        })
    }

    pub(super) fn unassign_v4(
        &mut self,
        r: ecs::UnassignPrivateIpAddresses,
    ) -> Result<Ack, ApiError> {
        let eni_id = r.network_interface_id;
        let eni = self.eni(&eni_id)?.clone();
        self.assign_context(&eni)?;
        let mut ips = Vec::with_capacity(r.private_ip_address.len());
        for s in &r.private_ip_address {
            let ip: Ipv4Addr = s.parse().map_err(|_| {
                err(
                    400,
                    "InvalidPrivateIpAddress.Malformed",
                    format!("{s} is not an IPv4 address."),
                )
            })?;
            if !eni.private_ips.contains(&ip) {
                return Err(err(
                    400,
                    "InvalidIp.NotFound",
                    format!("The address {ip} is not a secondary address of {eni_id}."),
                ));
            }
            let eip_bound = self
                .eips_on(&eni_id)
                .any(|x| x.private_ip.as_deref() == Some(s.as_str()));
            judge(&self.limits, Facts::RemoveAddress { eip_bound }, |_| {
                format!("An EIP is still bound to {ip} on {eni_id}; unbind it first.")
            })?;
            ips.push(ip);
        }
        if let Some(set) = self.used.get_mut(&eni.vswitch_id) {
            for ip in &ips {
                set.remove(&IpAddr::V4(*ip));
            }
        }
        self.update_eni(&eni_id, |e| e.private_ips.retain(|i| !ips.contains(i)))?;
        Ok(Ack::default())
    }

    pub(super) fn assign_v6(
        &mut self,
        r: ecs::AssignIpv6Addresses,
    ) -> Result<ecs::AssignIpv6AddressesResponse, ApiError> {
        let eni_id = r.network_interface_id;
        let eni = self.eni(&eni_id)?.clone();
        let v = self.vswitch_of(&eni.vswitch_id)?;
        let n = self.asked(&r.ipv6_address, r.ipv6_address_count, false)?;
        let itype = if v.ipv6.is_some() {
            self.assign_context(&eni)?
        } else {
            None
        };
        let after = eni.ipv6.len() + n;
        let on = self.placement(&eni, itype.as_ref());
        self.judge_v6_cap(&eni_id, &v, on, itype.as_ref(), after)?;
        let Some(net6) = v.ipv6 else {
            return Err(err(
                400,
                "InvalidVSwitch.Ipv6NotTurnOn",
                format!("The vSwitch {} has no IPv6 CIDR.", v.id),
            ));
        };
        let salt = format!(
            "{}/AssignIpv6Addresses/{}",
            r.client_token.as_deref().unwrap_or(""),
            eni.ipv6.len()
        );
        let ips = self.v6_addresses(&v, &net6, &r.ipv6_address, n, &salt)?;
        self.mark_used(&v.id, ips.iter().map(|i| IpAddr::V6(*i)));
        self.update_eni(&eni_id, |e| e.ipv6.extend(ips.iter().copied()))?;
        Ok(ecs::AssignIpv6AddressesResponse {
            network_interface_id: eni_id,
            ipv6_sets: ips.iter().map(|i| i.to_string()).collect::<Vec<_>>().into(),
            request_id: String::new(),
        })
    }

    pub(super) fn unassign_v6(&mut self, r: ecs::UnassignIpv6Addresses) -> Result<Ack, ApiError> {
        let eni_id = r.network_interface_id;
        let eni = self.eni(&eni_id)?.clone();
        let mut ips = Vec::with_capacity(r.ipv6_address.len());
        for s in &r.ipv6_address {
            let ip: Ipv6Addr = s.parse().map_err(|_| {
                err(
                    400,
                    "InvalidIpv6Address.Malformed",
                    format!("{s} is not an IPv6 address."),
                )
            })?;
            ips.push(ip);
        }
        if let Some(set) = self.used.get_mut(&eni.vswitch_id) {
            for ip in ips.iter().filter(|i| eni.ipv6.contains(i)) {
                set.remove(&IpAddr::V6(*ip));
            }
        }
        self.update_eni(&eni_id, |e| e.ipv6.retain(|i| !ips.contains(i)))?;
        Ok(Ack::default())
    }

    pub(super) fn modify_eni(
        &mut self,
        r: ecs::ModifyNetworkInterfaceAttribute,
    ) -> Result<Ack, ApiError> {
        let eni_id = r.network_interface_id;
        let sgs = r.security_group_id;
        if !sgs.is_empty() {
            let vpc = self.eni(&eni_id)?.vpc_id.clone();
            self.sg_check(&sgs, &vpc, 0, false)?;
        }
        self.update_eni(&eni_id, |e| {
            if let Some(n) = r.network_interface_name {
                e.name = n;
            }
            if let Some(d) = r.description {
                e.description = d;
            }
            if !sgs.is_empty() {
                e.security_group_ids = sgs;
            }
            if r.queue_number.is_some() {
                e.queue_number = r.queue_number;
            }
            if r.source_dest_check.is_some() {
                e.source_dest_check = r.source_dest_check;
            }
            if r.delete_on_release.is_some() {
                e.delete_on_release = r.delete_on_release;
            }
        })?;
        Ok(Ack::default())
    }

    /// The ENIs an ECS tag call names. ECS calls an ENI `eni` (case-blind, as ECS reads its
    /// resource types); any other type, `NetworkInterface` included, is one ECS does not know.
    fn tagged_enis(&self, ty: &str, ids: &[String]) -> Result<(), ApiError> {
        if !ty.eq_ignore_ascii_case(ecs::ENI_RESOURCE_TYPE) {
            return Err(unknown_resource_type(ty));
        }
        match ids.iter().find(|id| !self.live.enis.contains_key(*id)) {
            Some(id) => Err(resource_not_found(id)),
            None => Ok(()),
        }
    }

    pub(super) fn tag_enis(&mut self, r: ecs::TagResources) -> Result<Ack, ApiError> {
        self.tagged_enis(&r.resource_type, &r.resource_id)?;
        for id in &r.resource_id {
            self.eni_mut(id)?.tags.extend(r.tag.0.clone());
        }
        Ok(Ack::default())
    }

    pub(super) fn untag_enis(&mut self, r: ecs::UntagResources) -> Result<Ack, ApiError> {
        self.tagged_enis(&r.resource_type, &r.resource_id)?;
        for id in &r.resource_id {
            untag(&mut self.eni_mut(id)?.tags, &r.tag_key, r.all);
        }
        Ok(Ack::default())
    }
}

/// The well-formed IPv4 addresses of a request's list (a malformed one is refused later, with
/// its own error).
fn named_v4(given: &[String]) -> HashSet<IpAddr> {
    given
        .iter()
        .filter_map(|s| s.parse::<Ipv4Addr>().ok())
        .map(IpAddr::V4)
        .collect()
}

/// Removes the named keys, or every tag with `All=true` and no keys (as both products document).
pub(super) fn untag(tags: &mut BTreeMap<String, String>, keys: &[String], all: Option<bool>) {
    if keys.is_empty() && all == Some(true) {
        tags.clear();
    }
    for k in keys {
        tags.remove(k);
    }
}

/// Whether `have` carries every tag of a filter; a filter tag without a value matches any value.
pub(super) fn tags_match(have: &BTreeMap<String, String>, want: &Tags) -> bool {
    want.0
        .iter()
        .all(|(k, v)| have.get(k).is_some_and(|h| v.is_empty() || h == v))
}

pub(super) fn unknown_resource_type(ty: &str) -> ApiError {
    err(
        404,
        "InvalidResourceType.NotFound",
        format!("The ResourceType {ty:?} provided does not exist in our records."),
    )
}

pub(super) fn resource_not_found(id: &str) -> ApiError {
    err(
        404,
        "InvalidResourceId.NotFound",
        format!("The specified ResourceId {id} is not found in our records."),
    )
}
