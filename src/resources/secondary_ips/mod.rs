//! `netform_secondary_private_ips`: secondary addresses netform manages on an ENI it does not own.
//! Refresh keeps the managed addresses the ENI still has, and the ENI's facts (device, MAC, CIDR)
//! current, since guest-config needs them after a re-attach.

mod cloud;
pub(crate) mod exec;
pub(crate) mod ops;
mod view;

pub use view::SecondaryIpsSpec;

use super::{Seen, Shaping, Source, address_set, text};
use crate::lang::Value;
use crate::plan::attrs::Attrs;
use crate::provider::Clouds;

pub(crate) use cloud::{EXACTLY_ONE_OF, SCHEMA, facts, import};

pub(super) fn source(a: &Attrs) -> Option<Source> {
    text(a, "network_interface_id").map(Source::Eni)
}

pub(super) fn refreshed(before: &Attrs, seen: &Seen) -> Option<Attrs> {
    let e = seen.enis.get(&text(before, "network_interface_id")?)?;
    let keep = |k: &str, have: &[String]| -> Vec<Value> {
        let held = before.get(k).and_then(Value::as_seq).unwrap_or(&[]);
        held.iter()
            .filter(|v| v.as_str().is_some_and(|s| have.iter().any(|h| h == s)))
            .cloned()
            .collect()
    };
    let v4 = keep("private_ip_addresses", &e.private_ips);
    let v6 = keep("ipv6_addresses", &e.ipv6);
    let mut n = before.clone();
    n.insert("private_ip_address_count".into(), Value::from(v4.len()));
    n.insert("ipv6_address_count".into(), Value::from(v6.len()));
    n.insert("private_ip_addresses".into(), Value::set(v4));
    n.insert("ipv6_addresses".into(), Value::set(v6));
    n.extend(facts(e, seen.cidrs.get(&e.vswitch_id)));
    Some(n)
}

pub(super) fn shape(s: &Shaping, after: &mut Attrs) {
    address_set(s, after, "private_ip_addresses", "private_ip_address_count");
    address_set(s, after, "ipv6_addresses", "ipv6_address_count");
    // `instance_id` means the instance's primary ENI: look it up now, when known.
    if !s.desired.contains_key("network_interface_id") {
        let same_instance = s.prior("instance_id") == s.desired.get("instance_id");
        let eni = match (
            s.desired.get("instance_id"),
            s.prior("network_interface_id"),
        ) {
            (_, Some(p)) if same_instance => p.clone(),
            (Some(Value::String(id)), _) => s
                .clouds
                .and_then(|c| primary_eni_of(id, c))
                .map(Value::String)
                .unwrap_or(Value::unknown()),
            _ => Value::unknown(),
        };
        after.insert("network_interface_id".into(), eni);
    }
    let id = after.get("network_interface_id").cloned();
    after.insert("id".into(), id.unwrap_or(Value::unknown()));
}

/// The instance's primary ENI (its DescribeInstances `NetworkInterfaces` entry of type Primary);
/// `None` leaves it unknown until apply, as when the look-up fails.
fn primary_eni_of(instance: &str, clouds: &Clouds) -> Option<String> {
    clouds.client(None).primary_eni_of(instance).ok().flatten()
}

#[cfg(test)]
mod tests {
    use crate::provider::api::fake::{self, Fake};

    #[test]
    fn secondary_ips_by_instance_use_the_primary_entry_of_network_interfaces() {
        let f = Fake::new(fake::instance_with_primary_listed_second(
            "eni-pri", "eni-sec",
        ));
        let clouds = f.clouds();
        assert_eq!(
            super::primary_eni_of("i-1", &clouds),
            Some("eni-pri".into())
        );
        assert_eq!(super::primary_eni_of("i-2", &clouds), None);
    }
}
