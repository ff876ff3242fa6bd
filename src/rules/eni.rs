//! The rules about ENIs and their private addresses (rules.md "ENIs and private IPs"), one
//! function per rule, each the only place its rule is decided.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net};

use super::{Facts, Violation, id, running_or_stopped};
use crate::limits::{InstanceType, Limits};

/// Where an ENI sits once the change is made.
#[derive(Clone, Copy, Debug)]
pub enum Placement<'a> {
    /// Not attached (status Available): the profile's caps apply.
    Available,
    /// Attached to an instance of this type; `None` when the type is not known, and then the
    /// type's caps cannot be judged (no false rejection).
    Attached(Option<&'a InstanceType>),
}

/// An operation on an ENI that the primary-ENI rule restricts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EniOp {
    Attach,
    Detach,
    Delete,
}

/// One address asked for by value, with what is known about the vSwitch around it.
#[derive(Clone, Debug)]
pub struct Address {
    pub ip: IpAddr,
    /// The vSwitch's CIDR of the address's family; `None` when unknown (no verdict on it).
    pub cidr: Option<IpNet>,
    /// The same address appears earlier in the same request or plan for this ENI.
    pub repeated: bool,
    /// The ENI holds it already.
    pub on_this_eni: bool,
    /// Another ENI, instance, HAVIP or SLB of the vSwitch uses it.
    pub in_use: bool,
}

pub fn ip_available_cap(f: &Facts, l: &Limits) -> Option<Violation> {
    let Facts::Ipv4Count {
        on: Placement::Available,
        secondary,
    } = f
    else {
        return None;
    };
    let cap = l.available_eni_secondary_ipv4.value as usize;
    (*secondary > cap).then(|| {
        Violation::new(id::IP_AVAILABLE_CAP, "MaxEniPrivateIpsCountExceeded")
            .counts(cap, *secondary)
            .key("available_eni_secondary_ipv4")
    })
}

pub fn ip_instance_type_cap(f: &Facts, _: &Limits) -> Option<Violation> {
    let Facts::Ipv4Count {
        on: Placement::Attached(Some(t)),
        secondary,
    } = f
    else {
        return None;
    };
    // The type's number counts the ENI's primary address too.
    let total = secondary + 1;
    (total > t.eni_private_ip_address_quantity as usize).then(|| {
        Violation::new(
            id::IP_INSTANCE_TYPE_CAP,
            "InvalidOperation.Ipv4CountExceeded",
        )
        .counts(t.eni_private_ip_address_quantity, total)
    })
}

pub fn ip_primary_eni_state(f: &Facts, _: &Limits) -> Option<Violation> {
    let Facts::PrimaryEniIps { instance_status } = f else {
        return None;
    };
    (!running_or_stopped(instance_status))
        .then(|| Violation::new(id::IP_PRIMARY_ENI_STATE, "InvalidOperation.InvalidEcsState"))
}

pub fn ip_in_vswitch(f: &Facts, _: &Limits) -> Option<Violation> {
    let Facts::Address(a) = f else { return None };
    let net = a.cidr?;
    (!net.contains(&a.ip)).then(|| Violation::new(id::IP_IN_VSWITCH, "InvalidVSwitchId.IpInvalid"))
}

/// The system's addresses of a vSwitch block: IPv4 the first and the last three, IPv6 the first
/// and the last nine (CreateVSwitch).
pub fn is_reserved(net: &IpNet, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpNet::V4(n), IpAddr::V4(x)) => {
            let base = u32::from(n.network()) as u64;
            let size = 1u64 << (32 - n.prefix_len());
            let x = u32::from(x) as u64;
            x == base || x + 4 > base + size
        }
        (IpNet::V6(n), IpAddr::V6(x)) => {
            let base = u128::from(n.network());
            let host = 128 - n.prefix_len() as u32;
            let last = if host >= 128 {
                u128::MAX
            } else {
                base | ((1u128 << host) - 1)
            };
            let x = u128::from(x);
            x == base || x.saturating_add(9) > last
        }
        _ => false,
    }
}

/// The usable IPv4 addresses of a vSwitch block, the first and the last as numbers: every
/// address but the reserved ones (`is_reserved`); an empty range (last < first) for a block too
/// small to have any.
pub fn usable_v4(net: &Ipv4Net) -> (u32, u32) {
    let base = u64::from(u32::from(net.network()));
    let size = 1u64 << (32 - net.prefix_len());
    let first = base + 1;
    let last = if size < 8 { base } else { base + size - 4 };
    (first as u32, last as u32)
}

pub fn ip_reserved(f: &Facts, _: &Limits) -> Option<Violation> {
    let Facts::Address(a) = f else { return None };
    let net = a.cidr?;
    is_reserved(&net, a.ip).then(|| Violation::new(id::IP_RESERVED, "InvalidVSwitchId.IpInvalid"))
}

pub fn ip_unique(f: &Facts, _: &Limits) -> Option<Violation> {
    let Facts::Address(a) = f else { return None };
    let code = if a.repeated {
        "InvalidIp.IpRepeated"
    } else if a.on_this_eni {
        "InvalidIp.IpAssigned"
    } else if a.in_use {
        "InvalidPrivateIpAddress.Duplicated"
    } else {
        return None;
    };
    Some(Violation::new(id::IP_UNIQUE, code))
}

pub fn ip_vswitch_capacity(f: &Facts, _: &Limits) -> Option<Violation> {
    let Facts::FreeAddresses { free, need } = f else {
        return None;
    };
    (need > free).then(|| {
        Violation::new(id::IP_VSWITCH_CAPACITY, "InvalidVSwitchId.IpNotEnough").counts(*free, *need)
    })
}

pub fn ip_sg_capacity(f: &Facts, l: &Limits) -> Option<Violation> {
    let Facts::SecurityGroup {
        enterprise,
        enis,
        ips,
    } = f
    else {
        return None;
    };
    // An advanced group counts ENIs, a basic one the addresses of its ENIs.
    let (cap, n, key) = if *enterprise {
        (
            l.enterprise_sg_enis.value as usize,
            *enis,
            "enterprise_sg_enis",
        )
    } else {
        (
            l.basic_sg_private_ips.value as usize,
            *ips,
            "basic_sg_private_ips",
        )
    };
    (n > cap).then(|| {
        Violation::new(id::IP_SG_CAPACITY, "SecurityGroupInstanceLimitExceed")
            .counts(cap, n)
            .key(key)
    })
}

pub fn ipv6_cap(f: &Facts, l: &Limits) -> Option<Violation> {
    let Facts::Ipv6Count {
        on,
        count,
        vswitch_ipv6,
    } = f
    else {
        return None;
    };
    let v = |code| Violation::new(id::IPV6_CAP, code);
    if *count == 0 {
        return None;
    }
    if !vswitch_ipv6 {
        return Some(v("InvalidVSwitch.Ipv6NotTurnOn"));
    }
    match on {
        Placement::Attached(Some(t)) if !t.supports_ipv6() => {
            Some(v("InvalidOperation.Ipv6NotSupport").counts(0, *count))
        }
        Placement::Attached(Some(t)) => {
            (*count > t.eni_ipv6_address_quantity as usize).then(|| {
                v("InvalidOperation.Ipv6CountExceeded").counts(t.eni_ipv6_address_quantity, *count)
            })
        }
        Placement::Available => {
            let cap = l.available_eni_ipv6.value as usize;
            (*count > cap).then(|| {
                v("MaxEniIpv6IpsCountExceeded")
                    .counts(cap, *count)
                    .key("available_eni_ipv6")
            })
        }
        Placement::Attached(None) => None,
    }
}

pub fn eni_per_instance(f: &Facts, _: &Limits) -> Option<Violation> {
    let Facts::EnisOnInstance { ty, total } = f else {
        return None;
    };
    (*total > ty.eni_quantity as usize).then(|| {
        Violation::new(id::ENI_PER_INSTANCE, "EniPerInstanceLimitExceeded")
            .counts(ty.eni_quantity, *total)
    })
}

pub fn eni_zone_vpc(f: &Facts, _: &Limits) -> Option<Violation> {
    match f {
        Facts::AttachPlace {
            eni_zone,
            eni_vpc,
            instance_zone,
            instance_vpc,
        } => {
            if instance_zone.is_some_and(|z| z != *eni_zone) {
                Some(Violation::new(
                    id::ENI_ZONE_VPC,
                    "InvalidOperation.AvailabilityZoneMismatch",
                ))
            } else if instance_vpc.is_some_and(|v| v != *eni_vpc) {
                Some(Violation::new(
                    id::ENI_ZONE_VPC,
                    "InvalidOperation.VpcMismatch",
                ))
            } else {
                None
            }
        }
        Facts::EniSecurityGroups { vpc, groups } => {
            if let Some(i) = groups.iter().position(|(g, _)| g != vpc) {
                Some(Violation::new(id::ENI_ZONE_VPC, "InvalidOperation.VpcMismatch").at(i))
            } else if groups.iter().any(|g| g.1) && groups.iter().any(|g| !g.1) {
                Some(Violation::new(
                    id::ENI_ZONE_VPC,
                    "InvalidParameter.SecurityGroupType",
                ))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The facts of attaching or detaching an ENI while its instance, of type `ty` when the table
/// knows it, is in `status` (eni-instance-state): the one place a type's stopped-only flag is
/// read, for the checker and the simulator alike.
pub fn instance_state<'a>(status: &'a str, ty: Option<&InstanceType>) -> Facts<'a> {
    Facts::InstanceState {
        status,
        stopped_only: stopped_only(ty),
    }
}

/// Whether an instance of type `ty` attaches and detaches ENIs only while stopped (an unknown
/// type is not: no false rejection).
pub fn stopped_only(ty: Option<&InstanceType>) -> bool {
    ty.is_some_and(|t| t.stopped_only_attach)
}

pub fn eni_instance_state(f: &Facts, _: &Limits) -> Option<Violation> {
    let Facts::InstanceState {
        status,
        stopped_only,
    } = f
    else {
        return None;
    };
    let ok = if *stopped_only {
        *status == "Stopped"
    } else {
        running_or_stopped(status)
    };
    (!ok).then(|| Violation::new(id::ENI_INSTANCE_STATE, "InvalidOperation.InvalidEcsState"))
}

pub fn eni_primary(f: &Facts, _: &Limits) -> Option<Violation> {
    let Facts::EniOperation { op, primary: true } = f else {
        return None;
    };
    Some(Violation::new(
        id::ENI_PRIMARY,
        match op {
            EniOp::Detach => "InvalidOperation.DetachPrimaryEniNotAllowed",
            EniOp::Attach | EniOp::Delete => "InvalidOperation.InvalidEniState",
        },
    ))
}

pub fn eni_single_attach(f: &Facts, _: &Limits) -> Option<Violation> {
    matches!(f, Facts::Attach { attached: true })
        .then(|| Violation::new(id::ENI_SINGLE_ATTACH, "InvalidOperation.InvalidEniState"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The usable range and the reserved addresses are one arithmetic: the range's ends are
    /// usable, the addresses just outside them reserved.
    #[test]
    fn the_usable_range_is_what_is_not_reserved() {
        for (cidr, count) in [
            ("10.0.1.0/24", 252u64),
            ("10.0.0.0/29", 4),
            ("10.0.0.0/16", 65532),
        ] {
            let net: Ipv4Net = cidr.parse().expect("cidr");
            let (lo, hi) = usable_v4(&net);
            assert_eq!(u64::from(hi - lo) + 1, count, "{cidr}");
            let reserved =
                |x: u32| is_reserved(&net.into(), IpAddr::from(std::net::Ipv4Addr::from(x)));
            assert!(!reserved(lo) && !reserved(hi), "{cidr}");
            assert!(reserved(lo - 1) && reserved(hi + 1), "{cidr}");
        }
        let tiny: Ipv4Net = "10.0.0.0/30".parse().expect("cidr");
        let (lo, hi) = usable_v4(&tiny);
        assert!(hi < lo, "a /30 has no usable address");
    }
}
