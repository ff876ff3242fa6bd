//! Executing a secondary-IPs resource's operations (apply): its assigns and unassigns are the
//! shared ones (`resources::execute::addresses`); here is which ENI they go to and what state
//! records afterwards — only the addresses the resource manages, and its destroy done once
//! none of them is left on the ENI.

use crate::apply::execute::{Exec, Updates};
use crate::apply::{Update, sval};
use crate::lang::Value;
use crate::plan::ops::Phase;
use crate::provider::ApiError;
use crate::resources::execute::{Addresses, nulled_unknowns, strs};

/// The address lists whose counts follow them once known.
pub(crate) const COUNTED: &[(&str, &str)] = &[
    ("private_ip_addresses", "private_ip_address_count"),
    ("ipv6_addresses", "ipv6_address_count"),
];

/// The addresses a secondary-IPs resource manages on its ENI.
pub(crate) struct ManagedAddresses;

impl Addresses for ManagedAddresses {
    fn eni_id(&self, x: &Exec) -> Result<String, ApiError> {
        sval(x.planned(), "network_interface_id")
            .or_else(|| sval(x.current(), "network_interface_id"))
            .ok_or_else(|| x.missing("network_interface_id"))
    }

    fn lists(&self, v6: bool) -> (&'static str, &'static str) {
        COUNTED[usize::from(v6)]
    }

    /// Only the addresses the resource manages, with the ENI's facts.
    fn result(
        &self,
        x: &Exec,
        id: &str,
        v6: bool,
        assigned: Vec<String>,
        removed: Vec<String>,
    ) -> Updates {
        let addr = x.address();
        if x.phase() == Phase::Destroy && all_released(x, id)? {
            return Ok(vec![Update::Remove(addr.clone())]);
        }
        let (list, count) = self.lists(v6);
        let mut a = x.recorded().cloned().unwrap_or_else(|| {
            let mut a = x.planned().clone();
            for (k, _) in COUNTED {
                a.insert((*k).into(), Value::set(Vec::new()));
            }
            a
        });
        let mut items = strs(&a, list);
        items.retain(|x| !removed.contains(x));
        items.extend(assigned);
        a.insert(
            list.into(),
            Value::set(items.iter().map(|s| Value::string(s.clone())).collect()),
        );
        a.insert(count.into(), Value::from(items.len()));
        a.insert("network_interface_id".into(), Value::string(id));
        a.insert("id".into(), Value::string(id));
        if let Some(info) = x.eni_now(id)? {
            a.extend(super::facts(&info, x.cidr(&info.vswitch_id)));
        }
        nulled_unknowns(&mut a);
        for (k, _) in COUNTED {
            if a.get(*k).is_none_or(Value::is_null) {
                a.insert((*k).into(), Value::set(Vec::new()));
            }
        }
        for (l, k) in COUNTED {
            let n = a
                .get(*l)
                .and_then(Value::as_seq)
                .map(<[Value]>::len)
                .unwrap_or(0);
            a.insert((*k).into(), Value::from(n));
        }
        Ok(vec![Update::Set(addr.clone(), a)])
    }
}

/// Whether none of the addresses the resource manages is still on its ENI (or the ENI is
/// gone): its destroy is then complete, whichever of its unassign calls ends last.
fn all_released(x: &Exec, id: &str) -> Result<bool, ApiError> {
    let managed: Vec<String> = COUNTED
        .iter()
        .flat_map(|(l, _)| strs(x.current(), l))
        .collect();
    Ok(match x.eni_now(id)? {
        None => true,
        Some(info) => !managed
            .iter()
            .any(|ip| info.private_ips.contains(ip) || info.ipv6.contains(ip)),
    })
}
