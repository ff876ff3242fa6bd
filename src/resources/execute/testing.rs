//! Fixtures for the kinds' execution tests: attributes, tags, the simulator as the cloud.

use crate::apply::Update;
use crate::apply::execute::Updates;
use crate::apply::execute::testing::run;
use crate::lang::Value;
use crate::plan::attrs::Attrs;
use crate::provider::api::{Client, fake};
use crate::provider::sim::Sim;
use crate::provider::sim::world::{Faults, World};

pub(crate) fn attrs(pairs: &[(&str, Value)]) -> Attrs {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

pub(crate) fn tags(pairs: &[(&str, &str)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::string(*v)))
            .collect(),
    )
}

pub(crate) fn wire_tags(pairs: &[(&str, &str)]) -> crate::provider::wire::EcsTags {
    crate::provider::wire::EcsTags::from_map(
        &pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// The attributes an update sets on the operation's own address.
pub(crate) fn set_attrs(u: &[Update]) -> Option<&Attrs> {
    u.iter().find_map(|u| match u {
        Update::Set(_, a) => Some(a),
        _ => None,
    })
}

/// The simulator as the cloud, for operations that create (the fake only records).
pub(crate) fn sim(faults: Option<Faults>) -> Sim {
    let mut w = World::builtin();
    if let Some(f) = faults {
        w.faults = f;
    }
    Sim::in_memory(w).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs a job against the simulator, with waits that give up quickly.
pub(crate) fn on_sim(s: &Sim, job: &crate::apply::Job) -> Updates {
    let c = Client {
        transport: s,
        region: "cn-hangzhou".into(),
        timing: crate::provider::api::Timing {
            wait_timeout: std::time::Duration::from_millis(50),
            ..fake::fast()
        },
    };
    run(job, &c)
}

/// A new ENI's planned attributes.
pub(crate) fn new_eni() -> Attrs {
    attrs(&[
        ("vswitch_id", Value::string("vsw-bp1web0000000000000")),
        (
            "security_group_ids",
            Value::set(vec![Value::string("sg-bp1basic000000000000")]),
        ),
        ("tags", tags(&[("team", "net")])),
    ])
}
