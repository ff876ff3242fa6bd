//! The world reader: `World::from_json` (parse, then `validate`) on mutated world files. A world it
//! accepts must seed a simulator that answers every Describe action, and must read back the same
//! after being written (the simulator's snapshot stores it).

use std::path::Path;

use proptest::prelude::*;

use crate::engine::{Case, Fuzz, Target};
use crate::mutate::{Format, Pool, make, recipe};
use netform::provider::sim::Sim;
use netform::provider::sim::world::World;
use netform::provider::{Params, Product, Transport};

pub static TARGET: Target = Target {
    name: "world",
    ci_cases: 3000,
    build,
};

const DESCRIBE: &[(Product, &str)] = &[
    (Product::Ecs, "DescribeInstances"),
    (Product::Ecs, "DescribeNetworkInterfaces"),
    (Product::Ecs, "DescribeSecurityGroups"),
    (Product::Ecs, "DescribeInstanceTypes"),
    (Product::Ecs, "DescribeRegions"),
    (Product::Ecs, "DescribeZones"),
    (Product::Vpc, "DescribeVpcs"),
    (Product::Vpc, "DescribeVSwitches"),
    (Product::Vpc, "DescribeEipAddresses"),
    (Product::Vpc, "DescribeNatGateways"),
    (Product::Vpc, "DescribeForwardTableEntries"),
    (Product::Vpc, "DescribeHaVips"),
    (Product::Slb, "DescribeLoadBalancers"),
];

struct Worlds {
    pool: Pool,
}

fn build(_: &Path) -> Box<dyn Fuzz> {
    let mut paths = crate::corpus::files(&crate::corpus::repo().join("fixtures/worlds"), ".json");
    paths.extend(crate::corpus::files(
        &crate::corpus::repo().join("fixtures/rules"),
        "world.json",
    ));
    Box::new(Worlds {
        pool: Pool::new(crate::corpus::read_all(&paths), crate::state::JSON_TOKENS),
    })
}

impl Fuzz for Worlds {
    fn cases(&self) -> BoxedStrategy<Case> {
        let p = self.pool.clone();
        recipe(&self.pool, Format::Json, 1.0)
            .prop_map(move |r| {
                vec![(
                    "world.json".to_string(),
                    make(&p, Format::Json, &r).unwrap_or_default(),
                )]
            })
            .boxed()
    }

    fn run(&mut self, case: &Case) -> &'static str {
        let text = case
            .first()
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let world = match World::from_json(&text, "fuzz") {
            Ok(w) => w,
            Err(netform::provider::sim::world::WorldError::Invalid { .. }) => return "invalid",
            Err(_) => return "parse error",
        };
        let written = serde_json::to_string(&world)
            .unwrap_or_else(|e| panic!("invariant: an accepted world does not serialize: {e}"));
        match World::from_json(&written, "fuzz") {
            Ok(again) => assert!(again == world, "invariant: a world reads back different"),
            Err(e) => panic!("invariant: an accepted world, once written, is refused: {e}"),
        }
        // KNOWN, not fixed here (src/provider/sim/world.rs is being rewritten): validation does
        // not bound `faults.latency_ms`, and the simulator sleeps that long on every call — a
        // world with 4294967296 is accepted and hangs the first command (found by this target at
        // scale, seed 0xf48620e8). Such worlds are counted under this outcome, not simulated;
        // remove this once validation refuses them.
        if world.faults.latency_ms > 10_000 {
            return "KNOWN: accepted with an unbounded latency_ms (not simulated)";
        }
        let region = world
            .regions
            .first()
            .map(|r| r.id.clone())
            .unwrap_or_default();
        let Ok(sim) = Sim::in_memory(world) else {
            return "accepted, no simulator";
        };
        for (product, action) in DESCRIBE {
            let mut p = Params::new();
            p.insert("RegionId".into(), region.clone());
            let _ = sim.call(*product, action, &p);
        }
        "accepted"
    }
}
