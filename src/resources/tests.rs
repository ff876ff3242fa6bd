//! Each kind's shaping and reading, on hand-built attributes and cloud answers.

use std::collections::BTreeSet;

use super::*;
use crate::address::InstanceKey;
use crate::provider::api::fake;

fn attrs(pairs: &[(&str, Value)]) -> Attrs {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn ips(v: &[&str]) -> Value {
    Value::set(v.iter().map(|s| Value::string(*s)).collect())
}

fn shaped(kind: Kind, desired: &Attrs, prior: Option<&Attrs>, pinned: &[&str]) -> Attrs {
    let address = Address::managed("t", "x", InstanceKey::None);
    let pinned: BTreeSet<String> = pinned.iter().map(|s| s.to_string()).collect();
    let s = Shaping {
        address: &address,
        desired,
        prior,
        clouds: None,
        pinned: &pinned,
    };
    let mut after = desired.clone();
    shape(kind, &s, &mut after);
    after
}

#[test]
fn lowering_a_count_drops_the_highest_addresses_but_keeps_those_eips_are_bound_to() {
    let prior = attrs(&[(
        "private_ip_addresses",
        ips(&["10.0.0.9", "10.0.0.10", "10.0.0.30", "10.0.0.200"]),
    )]);
    let desired = attrs(&[("secondary_private_ip_address_count", Value::from(2i64))]);
    let after = shaped(Kind::Eni, &desired, Some(&prior), &["10.0.0.200"]);
    // Numeric order: .9 before .10 (as text, "10.0.0.10" would sort first).
    assert_eq!(
        after.get("private_ip_addresses"),
        Some(&ips(&["10.0.0.9", "10.0.0.200"]))
    );
    let after = shaped(Kind::Eni, &desired, Some(&prior), &[]);
    assert_eq!(
        after.get("private_ip_addresses"),
        Some(&ips(&["10.0.0.9", "10.0.0.10"]))
    );
}

#[test]
fn a_listed_set_gives_its_count_and_a_new_count_is_for_the_cloud_to_fill() {
    let desired = attrs(&[("private_ip_addresses", ips(&["10.0.0.5", "10.0.0.6"]))]);
    let after = shaped(Kind::SecondaryIps, &desired, None, &[]);
    assert_eq!(
        after.get("private_ip_address_count"),
        Some(&Value::from(2i64))
    );
    let desired = attrs(&[("secondary_private_ip_address_count", Value::from(3i64))]);
    let after = shaped(Kind::Eni, &desired, None, &[]);
    assert!(
        after
            .get("private_ip_addresses")
            .is_some_and(Value::is_unknown)
    );
    assert_eq!(after.get("ipv6_addresses"), Some(&ips(&[])));
}

#[test]
fn a_binding_to_an_eni_defaults_to_nat_and_one_to_an_instance_has_no_mode() {
    let eni = attrs(&[
        ("allocation_id", Value::string("eip-1")),
        ("instance_id", Value::string("eni-1")),
    ]);
    let after = shaped(Kind::Association, &eni, None, &[]);
    assert_eq!(
        after.get("instance_type"),
        Some(&Value::string("NetworkInterface"))
    );
    assert_eq!(after.get("mode"), Some(&Value::string("NAT")));
    assert!(
        after
            .get("private_ip_address")
            .is_some_and(Value::is_unknown)
    );
    assert_eq!(after.get("id"), Some(&Value::string("eip-1:eni-1")));
    let ecs = attrs(&[
        ("allocation_id", Value::string("eip-1")),
        ("instance_id", Value::string("i-1")),
    ]);
    let after = shaped(Kind::Association, &ecs, None, &[]);
    assert_eq!(
        after.get("instance_type"),
        Some(&Value::string("EcsInstance"))
    );
    assert_eq!(after.get("mode"), Some(&Value::Null));
    assert_eq!(after.get("private_ip_address"), Some(&Value::Null));
}

#[test]
fn an_attachment_is_gone_when_its_eni_is_attached_elsewhere() {
    let mut eni: EniInfo = fake::eni("eni-1").into();
    eni.instance_id = Some("i-2".into());
    eni.device_index = Some(1);
    let seen = Seen {
        enis: [("eni-1".to_string(), eni)].into(),
        ..Seen::default()
    };
    let mine = |i: &str| {
        attrs(&[
            ("network_interface_id", Value::string("eni-1")),
            ("instance_id", Value::string(i)),
        ])
    };
    assert_eq!(
        source(Kind::Attachment, &mine("i-2")),
        Some(Source::Eni("eni-1".into()))
    );
    assert_eq!(refreshed(Kind::Attachment, &mine("i-1"), &seen), None);
    let now = refreshed(Kind::Attachment, &mine("i-2"), &seen);
    assert_eq!(
        now.and_then(|a| a.get("device_index").cloned()),
        Some(Value::from(1i64))
    );
}

#[test]
fn an_eip_keeps_the_configured_spelling_of_its_bandwidth() {
    let mut eip: EipInfo = fake::eip("eip-1").into();
    eip.bandwidth = "5".into();
    let seen = Seen {
        eips: [("eip-1".to_string(), eip)].into(),
        ..Seen::default()
    };
    let before = attrs(&[
        ("id", Value::string("eip-1")),
        ("bandwidth", Value::from(5i64)),
    ]);
    let now = refreshed(Kind::Eip, &before, &seen);
    assert_eq!(
        now.and_then(|a| a.get("bandwidth").cloned()),
        Some(Value::from(5i64))
    );
    let gone = attrs(&[("id", Value::string("eip-2"))]);
    assert_eq!(refreshed(Kind::Eip, &gone, &seen), None);
}

#[test]
fn every_managed_kind_has_the_generic_id_attribute() {
    for s in crate::schema::SCHEMAS
        .iter()
        .filter(|s| s.mode == crate::config::Mode::Managed)
    {
        assert!(s.attr(crate::schema::ID).is_some(), "{}", s.name);
    }
}

#[test]
fn an_imported_object_starts_from_the_attributes_its_id_names() {
    let f = fake::Fake::new(fake::World {
        enis: vec![fake::eni("eni-1")],
        ..fake::World::default()
    });
    let clouds = f.clouds();
    let seed = |kind, id: &str| import_seed(kind, id, &clouds, None);
    let got = seed(Kind::Attachment, "eni-1:i-1").ok().flatten();
    assert_eq!(
        got.map(|s| (s.what, s.attrs)),
        Some((
            "attachment",
            attrs(&[
                ("network_interface_id", Value::string("eni-1")),
                ("instance_id", Value::string("i-1")),
                ("id", Value::string("eni-1:i-1")),
            ])
        ))
    );
    let bad = seed(Kind::Association, "eip-1:");
    assert!(
        matches!(bad, Err(ImportError::BadId { form, .. }) if form == "ALLOCATION_ID:INSTANCE_ID")
    );
    let ips = seed(Kind::SecondaryIps, "eni-1").ok().flatten();
    assert_eq!(
        ips.and_then(|s| s.attrs.get("network_interface_id").cloned()),
        Some(Value::string("eni-1"))
    );
    assert!(matches!(
        seed(Kind::SecondaryIps, "eni-9"),
        Err(ImportError::NotFound(_))
    ));
    assert!(matches!(seed(Kind::DataVswitches, "x"), Ok(None)));
}

#[test]
fn a_binding_pins_its_eni_address_and_a_protected_eip_cannot_be_released() {
    let state: BTreeMap<String, J> = [
        ("instance_id".to_string(), J::from("eni-1")),
        ("private_ip_address".to_string(), J::from("10.0.0.7")),
    ]
    .into();
    assert_eq!(
        pinned_address(Kind::Association, &state),
        Some(("eni-1".into(), "10.0.0.7".into()))
    );
    assert_eq!(pinned_address(Kind::Attachment, &state), None);
    let on = attrs(&[("deletion_protection", Value::Bool(true))]);
    assert!(undeletable(Kind::Eip, &on));
    assert!(!undeletable(Kind::Eni, &on));
    assert!(!undeletable(Kind::Eip, &attrs(&[])));
}
