//! The EIP's schema, and its attributes from the cloud's answers: what refresh, apply and import
//! record in state for an EIP the cloud describes.

use super::super::{Seed, tags};
use crate::lang::Value;
use crate::plan::attrs::Attrs;
use crate::provider::api::EipInfo;
use crate::schema::AttrType::*;
use crate::schema::{AttrSchema, a};

const ISPS: &[&str] = &[
    "BGP",
    "BGP_PRO",
    "ChinaTelecom",
    "ChinaUnicom",
    "ChinaMobile",
    "ChinaTelecom_L2",
    "ChinaUnicom_L2",
    "ChinaMobile_L2",
    "BGP_FinanceCloud",
    "BGP_International",
];

pub(crate) const SCHEMA: &[AttrSchema] = &[
    a("address_name", Str).identifying(),
    a("name", Str).alias("address_name"),
    a("description", Str),
    a("bandwidth", StrOrNum).computed().default("5"),
    a("internet_charge_type", Str)
        .computed()
        .default("PayByBandwidth")
        .force_new()
        .values(&["PayByBandwidth", "PayByTraffic"]),
    a("payment_type", Str)
        .computed()
        .default("PayAsYouGo")
        .force_new()
        .values(&["PayAsYouGo", "Subscription"]),
    a("instance_charge_type", Str).alias("payment_type"),
    a("isp", Str)
        .computed()
        .default("BGP")
        .force_new()
        .values(ISPS),
    a("ip_address", Str).computed().force_new().ipv4(),
    a("tags", StrMap).cloud_tags(),
    a("deletion_protection", Bool),
    // Moving an EIP between resource groups is another API (MoveResourceGroup) netform does not
    // call yet: a change replaces the EIP, and the plan says so, rather than claim an update.
    a("resource_group_id", Str).computed().force_new(),
    a("id", Str).out().identifying(),
    a("status", Str).out(),
    a("region", Str).out(),
];

/// The EIP resource's attributes from a Describe answer.
pub(crate) fn from_cloud(info: &EipInfo) -> Attrs {
    let mut a = Attrs::new();
    for (k, v) in [
        ("id", &info.id),
        ("ip_address", &info.ip_address),
        ("status", &info.status),
        ("bandwidth", &info.bandwidth),
        ("internet_charge_type", &info.internet_charge_type),
        ("payment_type", &info.payment_type),
        ("isp", &info.isp),
        ("address_name", &info.name),
        ("description", &info.description),
        ("resource_group_id", &info.resource_group_id),
        ("region", &info.region),
    ] {
        a.insert(k.to_string(), Value::string(v.clone()));
    }
    a.insert("tags".into(), tags(&info.tags));
    a.insert(
        "deletion_protection".into(),
        Value::Bool(info.deletion_protection),
    );
    a
}

/// An imported EIP is named by its allocation id alone; refresh reads the rest.
pub(crate) fn import(id: &str) -> Seed {
    Seed::new("EIP", [("id", Value::string(id))])
}

/// ReleaseEipAddress is refused (`InvalidOperation.DeletionProtection`) while the EIP's deletion
/// protection is on.
pub(crate) fn protected(before: &Attrs) -> bool {
    before.get("deletion_protection") == Some(&Value::Bool(true))
}
