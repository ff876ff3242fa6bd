//! The evaluation scope: the values that names resolve to while a configuration is evaluated.
//! At plan time resources hold their planned values (with unknowns); at apply time the values the
//! cloud returned replace them one instance at a time.

use std::collections::BTreeMap;

use crate::address::InstanceKey;
use crate::lang::Value;
use crate::lang::eval::{Lookup, NameKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expansion {
    Single,
    Count,
    ForEach,
}

#[derive(Clone, Debug)]
pub struct ResourceValues {
    pub expansion: Expansion,
    pub instances: BTreeMap<InstanceKey, Value>,
}

impl ResourceValues {
    pub fn new(expansion: Expansion) -> Self {
        ResourceValues {
            expansion,
            instances: BTreeMap::new(),
        }
    }

    fn whole(&self) -> Value {
        match self.expansion {
            Expansion::Single => self
                .instances
                .get(&InstanceKey::None)
                .cloned()
                .unwrap_or(Value::Null),
            Expansion::Count => Value::List(self.instances.values().cloned().collect()),
            Expansion::ForEach => Value::Map(
                self.instances
                    .iter()
                    .map(|(k, v)| {
                        let key = match k {
                            InstanceKey::Str(s) => s.clone(),
                            other => other.to_string(),
                        };
                        (key, v.clone())
                    })
                    .collect(),
            ),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub vars: BTreeMap<String, Value>,
    pub locals: BTreeMap<String, Value>,
    /// By `TYPE.NAME` / `data.TYPE.NAME`.
    pub resources: BTreeMap<String, ResourceValues>,
    /// Declared names, for suggestions (a declared local not yet evaluated is still a name).
    pub declared_locals: Vec<String>,
    /// Sensitive variables and the locals derived from them: errors do not quote their values.
    pub sensitive: crate::lang::sensitive::SensitiveNames,
}

impl Scope {
    pub fn set_instance(&mut self, key: &str, expansion: Expansion, ik: InstanceKey, v: Value) {
        self.resources
            .entry(key.to_string())
            .or_insert_with(|| ResourceValues::new(expansion))
            .instances
            .insert(ik, v);
    }
}

fn res_key(data: bool, ty: &str, name: &str) -> String {
    if data {
        format!("data.{ty}.{name}")
    } else {
        format!("{ty}.{name}")
    }
}

impl Lookup for Scope {
    fn sensitive(&self) -> Option<&crate::lang::sensitive::SensitiveNames> {
        Some(&self.sensitive)
    }

    fn var(&self, name: &str) -> Option<Value> {
        self.vars.get(name).cloned()
    }

    fn local(&self, name: &str) -> Option<Value> {
        self.locals.get(name).cloned()
    }

    fn resource(&self, data: bool, ty: &str, name: &str) -> Option<Value> {
        self.resources
            .get(&res_key(data, ty, name))
            .map(ResourceValues::whole)
    }

    fn resource_instance(
        &self,
        data: bool,
        ty: &str,
        name: &str,
        key: &Value,
    ) -> Option<Option<Value>> {
        let r = self.resources.get(&res_key(data, ty, name))?;
        if r.expansion == Expansion::Single {
            return Some(crate::lang::eval::index_value(&r.whole(), key).ok());
        }
        Some(InstanceKey::from_value(key).and_then(|k| r.instances.get(&k).cloned()))
    }

    fn names(&self, kind: NameKind) -> Vec<String> {
        match kind {
            NameKind::Variable => self.vars.keys().cloned().collect(),
            NameKind::Local => self.declared_locals.clone(),
            NameKind::Resource => self
                .resources
                .keys()
                .filter(|k| !k.starts_with("data."))
                .cloned()
                .collect(),
            NameKind::Data => self
                .resources
                .keys()
                .filter_map(|k| k.strip_prefix("data.").map(str::to_string))
                .collect(),
        }
    }
}
