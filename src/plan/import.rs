//! `import ADDR ID`: adopt an existing cloud object. The id is turned into the few attributes
//! that identify the object, and refresh — the same code that re-reads every object in state —
//! fills in the rest, so an imported object looks exactly like one netform created.

use crate::address::Address;
use crate::lang::Value;
use crate::plan::attrs::{self, Attrs};
use crate::provider::{ApiError, Clouds};
use crate::schema::Kind;
use crate::state::{Instance, State};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("invalid id \"{id}\" for {what}")]
    BadId {
        id: String,
        what: &'static str,
        form: &'static str,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{} cannot be imported", .0)]
    NotImportable(String),
    #[error("{}: {}", .0.code, .0.message)]
    Api(ApiError),
}

impl ImportError {
    pub fn help(&self) -> String {
        match self {
            ImportError::BadId { form, .. } => format!("write the id as {form}"),
            ImportError::NotFound(_) => {
                "check the id (netform sim show lists the simulated cloud)".into()
            }
            ImportError::NotImportable(_) => "only managed resource types can be imported".into(),
            ImportError::Api(_) => "check the provider settings and credentials".into(),
        }
    }
}

fn pair<'a>(
    id: &'a str,
    what: &'static str,
    form: &'static str,
) -> Result<(&'a str, &'a str), ImportError> {
    id.split_once(':')
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .ok_or(ImportError::BadId {
            id: id.into(),
            what,
            form,
        })
}

/// Reads the object `id` of kind `kind` and returns the state instance for `addr`.
pub fn import(
    addr: &Address,
    kind: Kind,
    id: &str,
    provider: Option<String>,
    dependencies: Vec<String>,
    clouds: &Clouds,
) -> Result<Instance, ImportError> {
    let s = |v: &str| Value::string(v);
    let mut seed: Attrs = Attrs::new();
    let what = match kind {
        Kind::Eni | Kind::Eip => {
            seed.insert("id".into(), s(id));
            if kind == Kind::Eni { "ENI" } else { "EIP" }
        }
        Kind::Attachment => {
            let (eni, inst) = pair(id, "an attachment", "ENI_ID:INSTANCE_ID")?;
            seed.insert("network_interface_id".into(), s(eni));
            seed.insert("instance_id".into(), s(inst));
            seed.insert("id".into(), s(id));
            "attachment"
        }
        Kind::Association => {
            let (alloc, target) = pair(id, "an association", "ALLOCATION_ID:INSTANCE_ID")?;
            seed.insert("allocation_id".into(), s(alloc));
            seed.insert("instance_id".into(), s(target));
            seed.insert("id".into(), s(id));
            "EIP binding"
        }
        Kind::SecondaryIps => {
            // Adopting an ENI's secondary addresses means all of those it has now.
            let info = clouds
                .client(provider.as_deref())
                .describe_eni(id)
                .map_err(ImportError::Api)?
                .ok_or_else(|| {
                    ImportError::NotFound(format!("ENI {id} does not exist in the cloud"))
                })?;
            let set = |v: &[String]| Value::set(v.iter().map(|x| s(x)).collect());
            seed.insert("id".into(), s(id));
            seed.insert("network_interface_id".into(), s(id));
            seed.insert("private_ip_addresses".into(), set(&info.private_ips));
            seed.insert("ipv6_addresses".into(), set(&info.ipv6));
            if info.primary {
                seed.insert(
                    "instance_id".into(),
                    info.instance_id
                        .clone()
                        .map(Value::String)
                        .unwrap_or(Value::Null),
                );
            }
            "ENI"
        }
        _ => return Err(ImportError::NotImportable(addr.ty.clone())),
    };
    let mut one = State::new(String::new());
    one.resources.insert(
        addr.clone(),
        Instance {
            attributes: attrs::to_state(&seed),
            dependencies: dependencies.clone(),
            provider: provider.clone(),
        },
    );
    let (read, _) = super::refresh::refresh(&one, clouds).map_err(ImportError::Api)?;
    read.resources.get(addr).cloned().ok_or_else(|| {
        ImportError::NotFound(format!(
            "{what} {id} does not exist in the cloud (or is not attached/bound as the id says)"
        ))
    })
}

/// Why `import ADDR ID` refused to adopt an object.
#[derive(Debug, thiserror::Error)]
pub enum AdoptError {
    #[error("{0} is not declared in the configuration")]
    NotDeclared(Address),
    #[error("{0} is already in state")]
    AlreadyInState(Address),
    #[error(transparent)]
    Import(#[from] ImportError),
}

impl AdoptError {
    pub fn help(&self) -> String {
        match self {
            AdoptError::NotDeclared(a) => format!(
                "add a resource \"{}\" \"{}\" {{ … }} block first, then import into it",
                a.ty, a.name
            ),
            AdoptError::AlreadyInState(a) => {
                format!("netform state rm {a} first to import another object there")
            }
            AdoptError::Import(e) => e.help(),
        }
    }
}

/// The managed resource block `addr` belongs to: import adopts objects only into declared
/// resources, so that the next plan has a configuration to compare them with.
pub fn declared<'c>(
    cfg: &'c crate::config::Config,
    addr: &Address,
) -> Result<&'c crate::config::Resource, AdoptError> {
    cfg.resource(crate::config::Mode::Managed, &addr.ty, &addr.name)
        .ok_or_else(|| AdoptError::NotDeclared(addr.clone()))
}

/// `import ADDR ID`: reads object `id` from the cloud and records it in `state` under `addr`
/// (declared in `cfg`, not yet in state), with the dependencies the configuration gives it.
/// Returns the resource type imported; `state` is unchanged on error.
pub fn adopt(
    cfg: &crate::config::Config,
    state: &mut State,
    addr: &Address,
    id: &str,
    clouds: &Clouds,
) -> Result<String, AdoptError> {
    let r = declared(cfg, addr)?;
    if state.resources.contains_key(addr) {
        return Err(AdoptError::AlreadyInState(addr.clone()));
    }
    let deps = crate::graph::build(cfg)
        .map(|g| g.resource_deps(&crate::graph::Node::Resource(addr.resource_key())))
        .unwrap_or_default();
    let inst = import(addr, r.kind.kind, id, r.provider.clone(), deps, clouds)?;
    state.resources.insert(addr.clone(), inst);
    Ok(r.ty.clone())
}
