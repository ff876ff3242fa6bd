//! Execution tests that span kinds: what every create records, whatever the kind.

use super::testing::{attrs, new_eni, on_sim, set_attrs, sim, tags};
use crate::apply::Update;
use crate::apply::execute::testing::{TOKEN, address, job, kind, with_token};
use crate::apply::sval;
use crate::plan::attrs::Attrs;
use crate::plan::ops::OpAction;
use crate::schema::Kind;

#[test]
fn created_enis_and_eips_carry_identity_tags_that_state_does_not_show() {
    let s = sim(None);
    let eni = job(
        Kind::Eni,
        "alicloud_ecs_network_interface",
        OpAction::CreateNetworkInterface,
        None,
        new_eni(),
    );
    let eip = job(
        Kind::Eip,
        "alicloud_eip_address",
        OpAction::AllocateEipAddress,
        None,
        attrs(&[("tags", tags(&[("team", "net")]))]),
    );
    for (i, j) in [eni, eip].into_iter().enumerate() {
        let j = with_token(j, format!("{TOKEN}-{i}"));
        let u = on_sim(&s, &j).unwrap_or_else(|e| panic!("{e}"));
        let a = set_attrs(&u).unwrap_or_else(|| panic!("no Set"));
        assert_eq!(a.get("tags"), Some(&tags(&[("team", "net")])), "{a:?}");
        let id = sval(a, "id").unwrap_or_default();
        let cloud_tags = s
            .with_cloud(|c| {
                c.live
                    .enis
                    .get(&id)
                    .map(|e| e.tags.clone())
                    .or_else(|| c.live.eips.get(&id).map(|e| e.tags.clone()))
            })
            .flatten()
            .unwrap_or_default();
        assert!(crate::identity::matches(
            &cloud_tags,
            "test-lineage",
            address(&j)
        ));
        assert_eq!(cloud_tags.get("team").map(String::as_str), Some("net"));
    }
}

#[test]
fn a_create_whose_wait_stays_throttled_still_records_what_it_made() {
    let faults: crate::provider::sim::world::Faults = serde_json::from_str(
        r#"{"rates": {"DescribeNetworkInterfaces": {"throttling": 1.0},
                      "DescribeEipAddresses": {"throttling": 1.0}}}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let s = sim(Some(faults));
    let eni = job(
        Kind::Eni,
        "alicloud_ecs_network_interface",
        OpAction::CreateNetworkInterface,
        None,
        new_eni(),
    );
    let eip = job(
        Kind::Eip,
        "alicloud_eip_address",
        OpAction::AllocateEipAddress,
        None,
        Attrs::new(),
    );
    for (i, j) in [eni, eip].into_iter().enumerate() {
        let j = with_token(j, format!("{TOKEN}-{i}"));
        let u = on_sim(&s, &j).unwrap_or_else(|e| panic!("{e}"));
        let id = set_attrs(&u).and_then(|a| sval(a, "id"));
        assert!(id.is_some_and(|i| i.starts_with("eni-") || i.starts_with("eip-")));
        if kind(&j) == Kind::Eni {
            // The create's answer shows the ENI Available: no wait, so no Describe to fail.
            assert!(!u.iter().any(|x| matches!(x, Update::Failed(_))), "{u:?}");
            continue;
        }
        assert!(
            matches!(u.last(), Some(Update::Failed(e)) if e.code.starts_with("Throttling")),
            "{u:?}"
        );
    }
}
