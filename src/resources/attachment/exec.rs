//! Executing an attachment's operations (apply): attach and detach an ENI, recording the
//! attachment and the ENI as the cloud then describes it; settling either after a lost answer
//! by where the ENI is. Neither call takes a ClientToken: both are made safe to repeat by the
//! client's checks of the ENI's state.

use crate::apply::execute::{Exec, Settled, Updates};
use crate::apply::{Update, sval};
use crate::lang::Value;
use crate::plan::attrs::Attrs;
use crate::provider::ApiError;
use crate::provider::api::EniInfo;
use crate::provider::wire::ecs;
use crate::resources::eni::exec::described;
use crate::resources::execute::num;

pub(crate) fn attach(x: &Exec) -> Updates {
    let r = x.planned();
    let eni = sval(r, "network_interface_id").ok_or_else(|| x.missing("network_interface_id"))?;
    let inst = sval(r, "instance_id").ok_or_else(|| x.missing("instance_id"))?;
    let info = x.client().attach(&ecs::AttachNetworkInterface {
        network_interface_id: eni.clone(),
        instance_id: inst.clone(),
        network_card_index: num(r, "network_card_index"),
        trunk_network_instance_id: sval(r, "trunk_network_instance_id"),
    })?;
    Ok(attached(x, r.clone(), &eni, &inst, &info))
}

/// The updates of an attachment in place: the attachment (from its planned attributes `a`)
/// and the ENI it attached, as the cloud now describes it.
fn attached(x: &Exec, mut a: Attrs, eni: &str, inst: &str, info: &EniInfo) -> Vec<Update> {
    a.insert("id".into(), Value::string(format!("{eni}:{inst}")));
    a.insert(
        "device_index".into(),
        info.device_index.map(Value::from).unwrap_or(Value::Null),
    );
    vec![
        Update::Set(x.address().clone(), a),
        Update::ById(eni.to_string(), described(x, info)),
    ]
}

pub(crate) fn detach(x: &Exec) -> Updates {
    let cur = x.current();
    let eni = sval(cur, "network_interface_id").ok_or_else(|| x.missing("network_interface_id"))?;
    let inst = sval(cur, "instance_id").ok_or_else(|| x.missing("instance_id"))?;
    let mut ups = vec![Update::Remove(x.address().clone())];
    match x.client().detach(&ecs::DetachNetworkInterface {
        network_interface_id: eni.clone(),
        instance_id: inst,
        trunk_network_instance_id: None,
    }) {
        Ok(info) => ups.push(Update::ById(eni, described(x, &info))),
        Err(e) if e.code == "InvalidEniId.NotFound" => {}
        Err(e) => return Err(e),
    }
    Ok(ups)
}

/// Done when the ENI is on the instance (waiting out Attaching).
pub(crate) fn settle_attach(x: &Exec) -> Result<Settled, ApiError> {
    let r = x.planned();
    let (Some(eni), Some(inst)) = (sval(r, "network_interface_id"), sval(r, "instance_id")) else {
        return Ok(Settled::NotDone);
    };
    let Some(e) = x.client().describe_eni(&eni)? else {
        return Ok(Settled::NotDone);
    };
    if e.instance_id.as_deref() != Some(inst.as_str())
        || !matches!(e.status.as_str(), "Attaching" | "InUse")
    {
        return Ok(Settled::NotDone);
    }
    match x.client().wait_attached(&eni, &inst) {
        Ok(info) => Ok(Settled::Done(attached(x, r.clone(), &eni, &inst, &info))),
        // The attach the crashed run asked for failed after all: not done.
        Err(e) if e.code == "netform.AttachFailed" => Ok(Settled::NotDone),
        Err(e) => Err(e),
    }
}

/// Done when the ENI is off the instance (or gone).
pub(crate) fn settle_detach(x: &Exec) -> Result<Settled, ApiError> {
    let cur = x.current();
    let (Some(eni), Some(inst)) = (sval(cur, "network_interface_id"), sval(cur, "instance_id"))
    else {
        return Ok(Settled::NotDone);
    };
    let mut ups = vec![Update::Remove(x.address().clone())];
    match x.client().describe_eni(&eni)? {
        None => {}
        Some(e) if e.instance_id.as_deref() == Some(inst.as_str()) => {
            return Ok(Settled::NotDone);
        }
        Some(e) => ups.push(Update::ById(eni, described(x, &e))),
    }
    Ok(Settled::Done(ups))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::apply::execute::testing::{destroying, job, run};
    use crate::plan::ops::OpAction;
    use crate::provider::api::fake::{self, Fake, World};
    use crate::resources::execute::testing::attrs;
    use crate::schema::Kind;

    fn attachment(status: &str, instance: &str) -> (Arc<Fake>, Attrs) {
        let mut e = fake::eni("eni-1");
        e.status = status.into();
        e.instance_id = instance.into();
        let f = Fake::new(World {
            enis: vec![e],
            ..World::default()
        });
        let a = attrs(&[
            ("network_interface_id", Value::string("eni-1")),
            ("instance_id", Value::string("i-1")),
        ]);
        (f, a)
    }

    #[test]
    fn a_repeated_attach_or_detach_is_done_without_a_call() {
        let (f, a) = attachment("InUse", "i-1");
        let j = job(
            Kind::Attachment,
            "alicloud_network_interface_attachment",
            OpAction::AttachNetworkInterface,
            None,
            a,
        );
        let u = run(&j, &f.client());
        assert!(u.is_ok(), "{u:?}");
        assert!(f.calls_of("AttachNetworkInterface").is_empty());
        let (f, a) = attachment("Available", "");
        let j = destroying(job(
            Kind::Attachment,
            "alicloud_network_interface_attachment",
            OpAction::DetachNetworkInterface,
            Some(a),
            Attrs::new(),
        ));
        let u = run(&j, &f.client());
        assert!(u.is_ok(), "{u:?}");
        assert!(f.calls_of("DetachNetworkInterface").is_empty());
    }

    #[test]
    fn attach_and_detach_send_no_client_token() {
        let (f, a) = attachment("Available", "");
        let j = job(
            Kind::Attachment,
            "alicloud_network_interface_attachment",
            OpAction::AttachNetworkInterface,
            None,
            a.clone(),
        );
        let u = run(&j, &f.client());
        assert!(u.is_ok(), "{u:?}");
        let j = destroying(job(
            Kind::Attachment,
            "alicloud_network_interface_attachment",
            OpAction::DetachNetworkInterface,
            Some(a),
            Attrs::new(),
        ));
        let u = run(&j, &f.client());
        assert!(u.is_ok(), "{u:?}");
        for action in ["AttachNetworkInterface", "DetachNetworkInterface"] {
            let calls = f.calls_of(action);
            assert_eq!(calls.len(), 1, "{action}");
            assert!(!calls[0].params.contains_key("ClientToken"), "{action}");
        }
    }
}
