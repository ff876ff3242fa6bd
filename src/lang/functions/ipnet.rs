//! IP network functions: CIDR arithmetic for IPv4 and IPv6.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ::ipnet::IpNet;

use super::{Func, FuncError, Param, string, whole};
use crate::lang::value::{Value, format_f64};

const PREFIX: Param = Param::new("prefix");

pub(super) const FUNCS: &[Func] = &[
    Func::new("cidrhost", &[PREFIX, Param::new("hostnum")], |a, _| {
        cidrhost(a)
    }),
    Func::new("cidrnetmask", &[PREFIX], |a, _| cidrnetmask(a)),
    Func::new(
        "cidrsubnet",
        &[PREFIX, Param::new("newbits"), Param::new("netnum")],
        |a, _| cidrsubnet(a),
    ),
    Func::new("cidrsubnets", &[PREFIX], |a, _| cidrsubnets(a)).variadic(Param::new("newbits")),
];

fn parse_cidr(a: &[Value], i: usize) -> Result<IpNet, FuncError> {
    let s = string(a, i)?;
    s.parse::<IpNet>()
        .map(|n| v4_mapped(n).trunc())
        .map_err(|_| {
            FuncError::arg(
                i,
                format!("invalid CIDR expression: invalid CIDR address: {s}"),
            )
        })
}

/// Go reads `::ffff:a.b.c.d/N` with N of 96 or more as the IPv4 network `a.b.c.d/(N-96)`.
fn v4_mapped(n: IpNet) -> IpNet {
    if let IpNet::V6(v6) = n
        && v6.prefix_len() >= 96
        && let Some(v4) = v6.addr().to_ipv4_mapped()
        && let Ok(net) = ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
    {
        return IpNet::V4(net);
    }
    n
}

fn addr_bits(net: &IpNet) -> u32 {
    match net {
        IpNet::V4(_) => 32,
        IpNet::V6(_) => 128,
    }
}

fn addr_to_u128(net: &IpNet) -> u128 {
    match net.addr() {
        IpAddr::V4(a) => u32::from(a) as u128,
        IpAddr::V6(a) => u128::from(a),
    }
}

fn u128_to_net(bits: u32, addr: u128, len: u32) -> IpNet {
    let ip = if bits == 32 {
        IpAddr::V4(Ipv4Addr::from(addr as u32))
    } else {
        IpAddr::V6(Ipv6Addr::from(addr))
    };
    // Lengths are checked against `bits` by every caller, so this cannot fail.
    IpNet::new(ip, len as u8).unwrap_or(IpNet::V4(Default::default()))
}

/// The network mask with `len` leading ones in an address of `bits` bits.
fn mask(bits: u32, len: u32) -> u128 {
    let all = all_ones(bits);
    all.checked_shl(bits - len).unwrap_or(0) & all
}

fn all_ones(bits: u32) -> u128 {
    if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

fn cidrhost(a: &[Value]) -> Result<Value, FuncError> {
    let net = parse_cidr(a, 0)?;
    let n = whole(a, 1)?;
    let bits = addr_bits(&net);
    let prefix = net.prefix_len() as u32;
    let host_len = bits - prefix;
    // None stands for 2^128, the size of an IPv6 /0.
    let size = 1u128.checked_shl(host_len);
    let out_of_range = |shown: f64| {
        FuncError::arg(
            1,
            format!(
                "prefix of {prefix} does not accommodate a host numbered {}",
                format_f64(shown)
            ),
        )
    };
    let host = if n >= 0.0 {
        let h = n as u128;
        if size.is_some_and(|s| h >= s) {
            return Err(out_of_range(n));
        }
        h
    } else {
        // Negative numbers count back from the end of the range: -1 is the last address.
        let back = (-n) as u128;
        match size {
            Some(s) if back > s => return Err(out_of_range(n + s as f64)),
            Some(s) => s - back,
            None => back.wrapping_neg(),
        }
    };
    let addr = addr_to_u128(&net) | host;
    Ok(Value::String(
        u128_to_net(bits, addr, bits).addr().to_string(),
    ))
}

fn cidrnetmask(a: &[Value]) -> Result<Value, FuncError> {
    let net = parse_cidr(a, 0)?;
    match net {
        IpNet::V4(v4) => Ok(Value::String(v4.netmask().to_string())),
        IpNet::V6(_) => Err(FuncError::arg(
            0,
            format!("IPv6 addresses cannot have a netmask: {}", string(a, 0)?),
        )),
    }
}

fn cidrsubnet(a: &[Value]) -> Result<Value, FuncError> {
    let net = parse_cidr(a, 0)?;
    let newbits = whole(a, 1)?;
    let netnum = whole(a, 2)?;
    let bits = addr_bits(&net);
    let prefix = net.prefix_len() as u32;
    if newbits < 0.0 || newbits + prefix as f64 > bits as f64 {
        return Err(FuncError::arg(
            1,
            format!(
                "insufficient address space to extend prefix of {prefix} by {}",
                format_f64(newbits)
            ),
        ));
    }
    let newbits = newbits as u32;
    // Terraform wraps negative netnums into a nonsense address; refusing is kinder.
    if netnum < 0.0 {
        return Err(FuncError::arg(2, "subnet number must not be negative"));
    }
    let num = netnum as u128;
    if 1u128.checked_shl(newbits).is_some_and(|limit| num >= limit) {
        return Err(FuncError::arg(
            2,
            format!(
                "prefix extension of {newbits} does not accommodate a subnet numbered {}",
                format_f64(netnum)
            ),
        ));
    }
    let new_len = prefix + newbits;
    let addr = addr_to_u128(&net) | num.checked_shl(bits - new_len).unwrap_or(0);
    Ok(Value::String(u128_to_net(bits, addr, new_len).to_string()))
}

/// Terraform's allocation: each subnet starts right after the previous one, aligned to its own
/// size, so a smaller subnet followed by a larger one leaves a gap rather than overlapping.
fn cidrsubnets(a: &[Value]) -> Result<Value, FuncError> {
    let net = parse_cidr(a, 0)?;
    let bits = addr_bits(&net);
    let prefix = net.prefix_len() as u32;
    let family = if bits == 32 { "IPv4" } else { "IPv6" };
    let all = all_ones(bits);
    let base = addr_to_u128(&net);
    let net_mask = mask(bits, prefix);

    let mut lens = Vec::new();
    for i in 1..a.len() {
        let nb = whole(a, i)?;
        if nb < 1.0 {
            return Err(FuncError::arg(i, "must extend prefix by at least one bit"));
        }
        // Terraform's limit, kept for 32-bit portability of subnet numbers.
        if nb > 32.0 {
            return Err(FuncError::arg(
                i,
                "may not extend prefix by more than 32 bits",
            ));
        }
        let len = nb + prefix as f64;
        if len > bits as f64 {
            return Err(FuncError::arg(
                i,
                format!(
                    "would extend prefix to {} bits, which is too long for an {family} address",
                    format_f64(len)
                ),
            ));
        }
        lens.push(len as u32);
    }
    let Some(&first) = lens.first() else {
        return Ok(Value::List(vec![]));
    };
    // Start from the subnet just before the base network, as Terraform does.
    let mut cur_addr = base.wrapping_sub(1) & all & mask(bits, first);
    let mut cur_len = first;
    let mut out = Vec::new();
    for (i, &len) in lens.iter().enumerate() {
        let cur_last = cur_addr | (!mask(bits, cur_len) & all);
        let sub_last = cur_last | (!mask(bits, len) & all);
        let next = sub_last.wrapping_add(1) & all;
        if next == 0 || next & net_mask != base {
            return Err(FuncError::arg(
                i + 1,
                format!(
                    "not enough remaining address space for a subnet with a prefix of {len} bits \
                     after {}",
                    u128_to_net(bits, cur_addr, cur_len)
                ),
            ));
        }
        cur_addr = next & mask(bits, len);
        cur_len = len;
        out.push(Value::String(
            u128_to_net(bits, cur_addr, cur_len).to_string(),
        ));
    }
    Ok(Value::List(out))
}
