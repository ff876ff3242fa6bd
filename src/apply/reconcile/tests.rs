//! Reconciliation of each intent kind, against the simulator. A crash is reproduced exactly: the
//! operation runs against the cloud and its updates are thrown away, as when the process dies
//! between the cloud's answer and the journal line; then `reconcile` must record what the
//! operation would have. For "not done", the operation never runs.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;
use crate::address::InstanceKey;
use crate::apply::execute::execute;
use crate::lang::Value;
use crate::plan::Action;
use crate::plan::attrs::Attrs;
use crate::plan::ops::{Op, OpAction, Phase};
use crate::provider::sim::Sim;
use crate::provider::sim::world::World;
use crate::provider::{Clouds, Transport, api};

const LINEAGE: &str = "lineage-1";
const VSW: &str = "vsw-bp1web0000000000000";
const SG: &str = "sg-bp1basic000000000000";
const WEB1: &str = "i-bp1web1000000000000";

struct Cloud {
    sim: Arc<Sim>,
    clouds: Clouds,
}

fn cloud() -> Cloud {
    let sim = Arc::new(Sim::in_memory(World::builtin()).unwrap_or_else(|e| panic!("{e}")));
    let clouds = Clouds {
        transport: sim.clone() as Arc<dyn Transport>,
        per_alias: Default::default(),
        regions: [(None, "cn-hangzhou".to_string())].into(),
        timing: api::Timing {
            wait_timeout: std::time::Duration::from_secs(2),
            ..api::Timing::simulator()
        },
        sim: Some(sim.clone()),
        limits: crate::limits::Limits::profile(crate::limits::ProfileName::Current),
    };
    Cloud { sim, clouds }
}

fn attrs(pairs: &[(&str, Value)]) -> Attrs {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn strs(items: &[&str]) -> Value {
    Value::set(items.iter().map(|s| Value::string(*s)).collect())
}

fn addr(ty: &str) -> Address {
    Address::managed(ty, "x", InstanceKey::None)
}

fn job(ty: &str, action: OpAction, phase: Phase, current: Option<Attrs>, planned: Attrs) -> Job {
    let address = addr(ty);
    let (sch, _) = schema::lookup(address.mode, ty).unwrap_or_else(|| panic!("{ty}"));
    Job {
        op: Op {
            id: format!("{address}#{}", action.name()),
            action,
            address: address.clone(),
            phase,
            depends_on: Vec::new(),
        },
        change: Change {
            address,
            kind: sch.kind,
            action: match (phase, current.is_some()) {
                (Phase::Destroy, _) => Action::Delete,
                (_, true) => Action::Update,
                _ => Action::Create,
            },
            before: current.clone(),
            after: Some(planned.clone()),
            replace_paths: Vec::new(),
            create_before_destroy: false,
            dependencies: Vec::new(),
            provider: None,
            each: None,
            sensitive: Default::default(),
        },
        current,
        resolved: planned,
        blocked: None,
        token: format!("tok-{}", action.name()),
        lineage: LINEAGE.into(),
    }
}

impl Cloud {
    /// Runs `job` against the cloud and keeps its updates out of state: a crash just after the
    /// cloud answered. The intent is left pending, as the journal had it.
    fn crash_after(&self, state: &mut State, job: &Job) -> Vec<Update> {
        state.pending.insert(job.token.clone(), intent_of(job));
        let c = self.clouds.client(None);
        execute(job, &c, &BTreeMap::new(), 10).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A crash before the call: only the intent.
    fn crash_before(&self, state: &mut State, job: &Job) {
        state.pending.insert(job.token.clone(), intent_of(job));
    }

    fn settle(&self, state: &mut State, apply: bool) -> Reconciled {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut store = crate::state::Store::new(dir.path().join("s.tfstate"));
        let mut before = state.clone();
        store
            .write(&mut before, None)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut journal = store
            .journal(&state.lineage)
            .unwrap_or_else(|e| panic!("{e}"));
        let mode = if apply {
            Mode::Apply(&mut journal)
        } else {
            Mode::Look
        };
        let r = reconcile(state, &self.clouds, mode).unwrap_or_else(|e| panic!("{e}"));
        assert!(state.pending.is_empty(), "every intent is settled");
        if apply {
            // What was journalled rebuilds the same state from the one before.
            let replayed = store.read().unwrap_or_else(|e| panic!("{e}"));
            let replayed = replayed.unwrap_or_else(|| panic!("a journal"));
            assert_eq!(replayed.resources, state.resources);
        }
        r
    }

    fn enis(&self) -> usize {
        self.sim
            .with_cloud(|c| c.live.enis.values().filter(|e| !e.primary).count())
            .unwrap_or(0)
    }

    fn eips(&self) -> usize {
        self.sim.with_cloud(|c| c.live.eips.len()).unwrap_or(0)
    }
}

fn set_attrs(u: &[Update]) -> Attrs {
    u.iter()
        .find_map(|u| match u {
            Update::Set(_, a) => Some(a.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn in_state(state: &State, ty: &str) -> Option<Attrs> {
    let a = addr(ty);
    let (sch, _) = schema::lookup(a.mode, ty)?;
    state
        .resources
        .get(&a)
        .map(|i| attrs::from_state(sch, &i.attributes))
}

fn id_of(a: &Attrs) -> String {
    a.get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

const ENI: &str = "alicloud_ecs_network_interface";
const EIP: &str = "alicloud_eip_address";
const ATTACH: &str = "alicloud_ecs_network_interface_attachment";
const ASSOC: &str = "alicloud_eip_association";
const IPS: &str = "netform_secondary_private_ips";

fn eni_planned() -> Attrs {
    attrs(&[
        ("vswitch_id", Value::string(VSW)),
        ("security_group_ids", strs(&[SG])),
    ])
}

fn create_eni() -> Job {
    job(
        ENI,
        OpAction::CreateNetworkInterface,
        Phase::Apply,
        None,
        eni_planned(),
    )
}

/// An ENI made and recorded (a completed create), for the operations that follow one.
fn recorded_eni(c: &Cloud, state: &mut State) -> Attrs {
    let u = c.crash_after(state, &create_eni());
    state.pending.clear();
    let j = create_eni();
    for x in u {
        let mut ids = HashMap::new();
        record_update(x, &j, state, &mut ids, None);
    }
    in_state(state, ENI).unwrap_or_default()
}

#[test]
fn a_create_the_cloud_did_is_found_by_its_identity_tags_and_adopted() {
    for kind in [ENI, EIP] {
        let c = cloud();
        let mut state = State::new(LINEAGE.into());
        let j = if kind == ENI {
            create_eni()
        } else {
            job(
                EIP,
                OpAction::AllocateEipAddress,
                Phase::Apply,
                None,
                Attrs::new(),
            )
        };
        let made = set_attrs(&c.crash_after(&mut state, &j));
        let r = c.settle(&mut state, true);
        assert_eq!(r.adopted, std::slice::from_ref(&j.op.id), "{kind}");
        assert_eq!(
            in_state(&state, kind).map(|a| id_of(&a)),
            Some(id_of(&made))
        );
        assert_eq!((c.enis() + c.eips()), 1, "{kind}: nothing made twice");
    }
}

#[test]
fn a_create_that_never_reached_the_cloud_is_replayed_by_apply_and_left_to_plan_by_plan() {
    let c = cloud();
    let mut state = State::new(LINEAGE.into());
    c.crash_before(&mut state, &create_eni());
    let r = c.settle(&mut state.clone(), false);
    assert_eq!(r.not_done.len(), 1);
    assert_eq!(c.enis(), 0, "plan changes nothing");
    let r = c.settle(&mut state, true);
    assert_eq!(r.adopted.len(), 1);
    assert_eq!(c.enis(), 1);
    assert!(in_state(&state, ENI).is_some());
}

#[test]
fn an_object_of_the_same_address_that_state_knows_is_not_adopted() {
    // create_before_destroy: the old ENI (in state) carries the same identity tags.
    let c = cloud();
    let mut state = State::new(LINEAGE.into());
    let old = recorded_eni(&c, &mut state);
    let mut again = create_eni();
    again.token = "tok-second".into();
    c.crash_before(&mut state, &again);
    let r = c.settle(&mut state, false);
    assert_eq!(r.not_done.len(), 1, "the old ENI is not the new one");
    assert_eq!(in_state(&state, ENI).map(|a| id_of(&a)), Some(id_of(&old)));
}

#[test]
fn listed_addresses_on_the_eni_are_adopted_and_missing_ones_are_not_done() {
    let c = cloud();
    let mut state = State::new(LINEAGE.into());
    let eni = recorded_eni(&c, &mut state);
    let mut want = eni.clone();
    want.insert(
        "private_ip_addresses".into(),
        strs(&["192.168.1.150", "192.168.1.151"]),
    );
    let assign = job(
        ENI,
        OpAction::AssignPrivateIpAddresses,
        Phase::Apply,
        Some(eni.clone()),
        want.clone(),
    );
    let mut before = state.clone();
    c.crash_before(&mut before, &assign);
    assert_eq!(c.settle(&mut before, true).not_done.len(), 1);
    c.crash_after(&mut state, &assign);
    let r = c.settle(&mut state, true);
    assert_eq!(r.adopted.len(), 1);
    let ips = in_state(&state, ENI).and_then(|a| a.get("private_ip_addresses").cloned());
    assert_eq!(ips, Some(strs(&["192.168.1.150", "192.168.1.151"])));
}

#[test]
fn addresses_the_cloud_picked_are_replayed_with_their_token_and_not_assigned_twice() {
    let c = cloud();
    let mut state = State::new(LINEAGE.into());
    let _ = recorded_eni(&c, &mut state);
    let sips = attrs(&[
        (
            "network_interface_id",
            Value::string(id_of(&in_state(&state, ENI).unwrap_or_default())),
        ),
        ("private_ip_address_count", Value::from(3i64)),
        ("private_ip_addresses", Value::Unknown(None)),
    ]);
    let assign = job(
        IPS,
        OpAction::AssignPrivateIpAddresses,
        Phase::Apply,
        None,
        sips,
    );
    let made = set_attrs(&c.crash_after(&mut state, &assign));
    let r = c.settle(&mut state, true);
    assert_eq!(r.adopted.len(), 1);
    let got = in_state(&state, IPS).and_then(|a| a.get("private_ip_addresses").cloned());
    assert_eq!(got, made.get("private_ip_addresses").cloned());
    let on_eni = c
        .sim
        .with_cloud(|cl| {
            cl.live
                .enis
                .values()
                .map(|e| e.private_ips.len())
                .sum::<usize>()
        })
        .unwrap_or(0);
    assert_eq!(
        on_eni, 3,
        "the replay answered from the token, it did not assign again"
    );
}

#[test]
fn removed_addresses_gone_from_the_eni_are_recorded() {
    let c = cloud();
    let mut state = State::new(LINEAGE.into());
    let eni = recorded_eni(&c, &mut state);
    let mut two = eni.clone();
    two.insert(
        "private_ip_addresses".into(),
        strs(&["192.168.1.150", "192.168.1.151"]),
    );
    let assign = job(
        ENI,
        OpAction::AssignPrivateIpAddresses,
        Phase::Apply,
        Some(eni.clone()),
        two,
    );
    c.crash_after(&mut state, &assign);
    c.settle(&mut state, true);
    let now = in_state(&state, ENI).unwrap_or_default();
    let mut one = now.clone();
    one.insert("private_ip_addresses".into(), strs(&["192.168.1.151"]));
    let unassign = job(
        ENI,
        OpAction::UnassignPrivateIpAddresses,
        Phase::Apply,
        Some(now),
        one,
    );
    c.crash_after(&mut state, &unassign);
    assert_eq!(c.settle(&mut state, true).adopted.len(), 1);
    let ips = in_state(&state, ENI).and_then(|a| a.get("private_ip_addresses").cloned());
    assert_eq!(ips, Some(strs(&["192.168.1.151"])));
}

fn attachment(eni: &Attrs) -> Attrs {
    attrs(&[
        ("network_interface_id", Value::string(id_of(eni))),
        ("instance_id", Value::string(WEB1)),
    ])
}

#[test]
fn an_attach_the_cloud_did_is_adopted_and_its_detach_recorded() {
    let c = cloud();
    let mut state = State::new(LINEAGE.into());
    let eni = recorded_eni(&c, &mut state);
    let attach = job(
        ATTACH,
        OpAction::AttachNetworkInterface,
        Phase::Apply,
        None,
        attachment(&eni),
    );
    let mut before = state.clone();
    c.crash_before(&mut before, &attach);
    assert_eq!(c.settle(&mut before, true).not_done.len(), 1);
    assert!(in_state(&before, ATTACH).is_none());
    let made = set_attrs(&c.crash_after(&mut state, &attach));
    assert_eq!(c.settle(&mut state, true).adopted.len(), 1);
    let got = in_state(&state, ATTACH).unwrap_or_default();
    assert_eq!(id_of(&got), format!("{}:{WEB1}", id_of(&eni)));
    assert_eq!(got.get("device_index"), made.get("device_index"));
    // The managed ENI was refreshed too: it is on the instance now.
    assert_eq!(
        in_state(&state, ENI).and_then(|a| a.get("status").cloned()),
        Some(Value::string("InUse"))
    );
    let detach = job(
        ATTACH,
        OpAction::DetachNetworkInterface,
        Phase::Destroy,
        Some(got),
        Attrs::new(),
    );
    c.crash_after(&mut state, &detach);
    assert_eq!(c.settle(&mut state, true).adopted.len(), 1);
    assert!(in_state(&state, ATTACH).is_none());
}

#[test]
fn a_binding_the_cloud_made_is_adopted_and_its_unbinding_recorded() {
    let c = cloud();
    let mut state = State::new(LINEAGE.into());
    let alloc = job(
        EIP,
        OpAction::AllocateEipAddress,
        Phase::Apply,
        None,
        Attrs::new(),
    );
    c.crash_after(&mut state, &alloc);
    c.settle(&mut state, true);
    let eip = in_state(&state, EIP).unwrap_or_default();
    let bind = attrs(&[
        ("allocation_id", Value::string(id_of(&eip))),
        ("instance_id", Value::string(WEB1)),
    ]);
    let assoc = job(
        ASSOC,
        OpAction::AssociateEipAddress,
        Phase::Apply,
        None,
        bind,
    );
    let mut before = state.clone();
    c.crash_before(&mut before, &assoc);
    assert_eq!(c.settle(&mut before, true).not_done.len(), 1);
    let made = set_attrs(&c.crash_after(&mut state, &assoc));
    assert_eq!(c.settle(&mut state, true).adopted.len(), 1);
    let got = in_state(&state, ASSOC).unwrap_or_default();
    assert_eq!(got, made, "recorded as the operation would have");
    assert_eq!(
        in_state(&state, EIP).and_then(|a| a.get("status").cloned()),
        Some(Value::string("InUse"))
    );
    let unbind = job(
        ASSOC,
        OpAction::UnassociateEipAddress,
        Phase::Destroy,
        Some(got),
        Attrs::new(),
    );
    c.crash_after(&mut state, &unbind);
    assert_eq!(c.settle(&mut state, true).adopted.len(), 1);
    assert!(in_state(&state, ASSOC).is_none());
}

#[test]
fn deletes_and_releases_the_cloud_did_remove_the_object_from_state() {
    let c = cloud();
    let mut state = State::new(LINEAGE.into());
    let eni = recorded_eni(&c, &mut state);
    let alloc = job(
        EIP,
        OpAction::AllocateEipAddress,
        Phase::Apply,
        None,
        Attrs::new(),
    );
    c.crash_after(&mut state, &alloc);
    c.settle(&mut state, true);
    let eip = in_state(&state, EIP).unwrap_or_default();
    let delete = job(
        ENI,
        OpAction::DeleteNetworkInterface,
        Phase::Destroy,
        Some(eni),
        Attrs::new(),
    );
    let release = job(
        EIP,
        OpAction::ReleaseEipAddress,
        Phase::Destroy,
        Some(eip),
        Attrs::new(),
    );
    let mut before = state.clone();
    c.crash_before(&mut before, &delete);
    c.crash_before(&mut before, &release);
    assert_eq!(c.settle(&mut before, true).not_done.len(), 2);
    assert!(in_state(&before, ENI).is_some() && in_state(&before, EIP).is_some());
    c.crash_after(&mut state, &delete);
    c.crash_after(&mut state, &release);
    assert_eq!(c.settle(&mut state, true).adopted.len(), 2);
    assert!(state.resources.is_empty());
    assert_eq!(c.enis() + c.eips(), 0);
}

#[test]
fn attribute_changes_are_left_to_refresh_and_the_next_plan() {
    let c = cloud();
    let mut state = State::new(LINEAGE.into());
    let eni = recorded_eni(&c, &mut state);
    let mut named = eni.clone();
    named.insert("description".into(), Value::string("new"));
    let modify = job(
        ENI,
        OpAction::ModifyNetworkInterfaceAttribute,
        Phase::Apply,
        Some(eni.clone()),
        named,
    );
    c.crash_after(&mut state, &modify);
    let r = c.settle(&mut state, true);
    assert_eq!(r.not_done.len(), 1);
    assert_eq!(
        in_state(&state, ENI),
        Some(eni),
        "state is left for refresh to update"
    );
}

#[test]
fn intents_survive_the_state_file_and_the_journal() {
    let mut state = State::new(LINEAGE.into());
    let j = job(
        IPS,
        OpAction::AssignPrivateIpAddresses,
        Phase::Apply,
        None,
        attrs(&[("private_ip_addresses", Value::Unknown(None))]),
    );
    let i = intent_of(&j);
    assert_eq!(i.unknown, ["private_ip_addresses"]);
    state.pending.insert(i.id.clone(), i.clone());
    let text = state.to_json().to_string();
    let back = State::from_json(&text, "x").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back.pending.get(&i.id), Some(&i));
    let rebuilt = job_of(&i, LINEAGE).unwrap_or_else(|| panic!("job"));
    assert!(
        rebuilt
            .resolved
            .get("private_ip_addresses")
            .is_some_and(Value::is_unknown)
    );
    assert_eq!(rebuilt.token, j.token);
}

/// create_before_destroy: a run killed after the new ENI was made but before the old one was
/// deleted. The old ENI is in no state once the new one is recorded; its pending removal is
/// done by the settling run, or left pending while it cannot be (and never forgotten).
#[test]
fn the_old_object_of_a_create_before_destroy_replacement_is_removed_not_orphaned() {
    let c = cloud();
    let mut state = State::new(LINEAGE.into());
    let old = recorded_eni(&c, &mut state);
    let mut create = create_eni();
    create.token = "tok-new".into();
    create.change.action = Action::Replace;
    create.change.create_before_destroy = true;
    create.change.before = Some(old.clone());
    let mut delete = job(
        ENI,
        OpAction::DeleteNetworkInterface,
        Phase::Destroy,
        Some(old.clone()),
        old.clone(),
    );
    delete.change = create.change.clone();
    c.crash_after(&mut state, &create);
    c.crash_before(&mut state, &delete);
    assert_eq!(c.enis(), 2);
    let r = c.settle(&mut state, true);
    assert_eq!(r.adopted.len(), 2, "{r:?}");
    assert_eq!(c.enis(), 1, "the old ENI is gone");
    let now = in_state(&state, ENI).unwrap_or_default();
    assert_ne!(id_of(&now), id_of(&old), "state holds the new ENI");
    // Killed before the new ENI was made: the old one stays, in state, for the plan.
    let c = cloud();
    let mut state = State::new(LINEAGE.into());
    let old = recorded_eni(&c, &mut state);
    c.crash_before(&mut state, &delete);
    let r = c.settle(&mut state, true);
    assert_eq!(r.not_done.len(), 1);
    assert_eq!(in_state(&state, ENI).map(|a| id_of(&a)), Some(id_of(&old)));
    assert_eq!(c.enis(), 1);
}
