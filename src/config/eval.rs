//! The evaluation scope: the values that names resolve to while a configuration is evaluated.
//! At plan time resources hold their planned values (with unknowns); at apply time the values the
//! cloud returned replace them one instance at a time.
//!
//! One scope holds every module instance's values, each name keyed by its module instance's
//! prefix (`module.net["a"].` + `var.x`'s name, `TYPE.NAME`, …; nothing for the root), and a
//! [`ModuleView`] resolves names as the expressions of one module instance see them.

use std::collections::BTreeMap;

use crate::address::{InstanceKey, ModulePath, module_prefix};
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

    pub fn whole(&self) -> Value {
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

/// One instance of a called module: its path, and the `count.index` / `each` its call's
/// arguments see.
#[derive(Clone, Debug, PartialEq)]
pub struct ModuleInstance {
    pub path: ModulePath,
    pub count_index: Option<i64>,
    pub each: Option<(Value, Value)>,
}

#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// By module instance prefix + name.
    pub vars: BTreeMap<String, Value>,
    pub locals: BTreeMap<String, Value>,
    /// By module instance prefix + `TYPE.NAME` / `data.TYPE.NAME`.
    pub resources: BTreeMap<String, ResourceValues>,
    /// Declared names, for suggestions (a declared local not yet evaluated is still a name).
    pub declared_locals: Vec<String>,
    /// `module.NAME`'s outputs, by the calling instance's prefix + `module.NAME`: one object
    /// per instance of the call.
    pub modules: BTreeMap<String, ResourceValues>,
    /// The instances of each called module, by its static path (`net.eni`); the root is not
    /// listed and always has one.
    pub instances: BTreeMap<String, Vec<ModuleInstance>>,
    /// `path.module` of each module instance, by prefix.
    pub module_dirs: BTreeMap<String, String>,
    /// Sensitive variables and the locals derived from them: errors do not quote their values.
    pub sensitive: crate::lang::sensitive::SensitiveNames,
    /// The same for each called module, by its static prefix (`module.net.`): a module's inputs
    /// fed from sensitive values, and what derives from them.
    pub sensitive_modules: BTreeMap<String, crate::lang::sensitive::SensitiveNames>,
}

impl Scope {
    /// Names as the module instance at `path` sees them.
    pub fn view(&self, path: &[crate::address::ModuleStep]) -> ModuleView<'_> {
        ModuleView {
            scope: self,
            prefix: module_prefix(path),
            static_prefix: crate::address::module_config_prefix(path),
        }
    }

    /// The instances of the module at a static call path: the root has exactly one.
    pub fn instances_of(&self, path: &[String]) -> Vec<ModuleInstance> {
        if path.is_empty() {
            return vec![ModuleInstance {
                path: Vec::new(),
                count_index: None,
                each: None,
            }];
        }
        self.instances
            .get(&path.join("."))
            .cloned()
            .unwrap_or_default()
    }

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

/// The scope as one module instance's expressions see it.
pub struct ModuleView<'a> {
    pub scope: &'a Scope,
    /// `module.net["a"].`, or "" for the root.
    pub prefix: String,
    /// `module.net.`: the module's configuration, whatever the instance.
    pub static_prefix: String,
}

impl Lookup for Scope {
    fn sensitive_names(&self) -> Option<&crate::lang::sensitive::SensitiveNames> {
        Some(&self.sensitive)
    }

    fn sensitive(&self, r: &crate::lang::eval::Ref) -> bool {
        use crate::lang::eval::Ref;
        match r {
            Ref::Var(n) => self.sensitive.vars.contains(n),
            Ref::Local(n) => self.sensitive.locals.contains(n),
            _ => false,
        }
    }

    fn var(&self, name: &str) -> Option<Value> {
        self.vars.get(name).cloned()
    }

    fn local(&self, name: &str) -> Option<Value> {
        self.locals.get(name).cloned()
    }

    fn resource(&self, data: bool, ty: &str, name: &str) -> Option<Value> {
        self.view(&[]).resource(data, ty, name)
    }

    fn resource_instance(
        &self,
        data: bool,
        ty: &str,
        name: &str,
        key: &Value,
    ) -> Option<Option<Value>> {
        self.view(&[]).resource_instance(data, ty, name, key)
    }

    fn resource_attr(&self, data: bool, ty: &str, name: &str, attr: &str) -> Option<Value> {
        self.view(&[]).resource_attr(data, ty, name, attr)
    }

    fn names(&self, kind: NameKind) -> Vec<String> {
        self.view(&[]).names(kind)
    }

    fn module(&self, name: &str) -> Option<Value> {
        self.view(&[]).module(name)
    }

    fn path(&self, which: &str) -> Option<String> {
        self.view(&[]).path(which)
    }
}

impl Lookup for ModuleView<'_> {
    fn var(&self, name: &str) -> Option<Value> {
        self.scope
            .vars
            .get(&format!("{}{name}", self.prefix))
            .cloned()
    }

    fn local(&self, name: &str) -> Option<Value> {
        self.scope
            .locals
            .get(&format!("{}{name}", self.prefix))
            .cloned()
    }

    fn resource(&self, data: bool, ty: &str, name: &str) -> Option<Value> {
        self.scope
            .resources
            .get(&format!("{}{}", self.prefix, res_key(data, ty, name)))
            .map(ResourceValues::whole)
    }

    fn resource_instance(
        &self,
        data: bool,
        ty: &str,
        name: &str,
        key: &Value,
    ) -> Option<Option<Value>> {
        let r = self
            .scope
            .resources
            .get(&format!("{}{}", self.prefix, res_key(data, ty, name)))?;
        if r.expansion == Expansion::Single {
            return Some(crate::lang::eval::index_value(&r.whole(), key).ok());
        }
        Some(InstanceKey::from_value(key).and_then(|k| r.instances.get(&k).cloned()))
    }

    fn resource_attr(&self, data: bool, ty: &str, name: &str, attr: &str) -> Option<Value> {
        let r = self
            .scope
            .resources
            .get(&format!("{}{}", self.prefix, res_key(data, ty, name)))?;
        if r.expansion != Expansion::Single {
            return None;
        }
        match r.instances.get(&InstanceKey::None)? {
            Value::Map(m) => m.get(attr).cloned(),
            _ => None,
        }
    }

    fn sensitive_names(&self) -> Option<&crate::lang::sensitive::SensitiveNames> {
        if self.prefix.is_empty() {
            return Some(&self.scope.sensitive);
        }
        self.scope.sensitive_modules.get(&self.static_prefix)
    }

    fn sensitive(&self, r: &crate::lang::eval::Ref) -> bool {
        use crate::lang::eval::Ref;
        let Some(names) = self.sensitive_names() else {
            return false;
        };
        match r {
            Ref::Var(n) => names.vars.contains(n),
            Ref::Local(n) => names.locals.contains(n),
            _ => false,
        }
    }

    fn names(&self, kind: NameKind) -> Vec<String> {
        let p = self.prefix.as_str();
        // Only this module instance's own names (no deeper module's).
        let own = |k: &String| -> Option<String> {
            k.strip_prefix(p)
                .filter(|rest| !rest.starts_with("module."))
                .map(str::to_string)
        };
        match kind {
            NameKind::Variable => self.scope.vars.keys().filter_map(own).collect(),
            NameKind::Local if p.is_empty() => self.scope.declared_locals.clone(),
            NameKind::Local => self.scope.locals.keys().filter_map(own).collect(),
            NameKind::Resource => self
                .scope
                .resources
                .keys()
                .filter_map(own)
                .filter(|k| !k.starts_with("data."))
                .collect(),
            NameKind::Data => self
                .scope
                .resources
                .keys()
                .filter_map(own)
                .filter_map(|k| k.strip_prefix("data.").map(str::to_string))
                .collect(),
        }
    }

    fn module(&self, name: &str) -> Option<Value> {
        self.scope
            .modules
            .get(&format!("{}module.{name}", self.prefix))
            .map(ResourceValues::whole)
    }

    fn path(&self, which: &str) -> Option<String> {
        match which {
            "module" => Some(
                self.scope
                    .module_dirs
                    .get(&self.prefix)
                    .cloned()
                    .unwrap_or_else(|| ".".into()),
            ),
            _ => Some(".".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{Expansion, Scope};
    use crate::address::InstanceKey;
    use crate::lang::Value;
    use crate::lang::eval::Evaluator;

    fn eval(scope: &Scope, src: &str) -> Result<Value, String> {
        let e = hcl_edit::parser::parse_expr(src).map_err(|e| e.to_string())?;
        Evaluator::new(scope, Path::new("."))
            .eval(&e)
            .map_err(|e| format!("{} {}", e.message, e.help.unwrap_or_default()))
    }

    #[test]
    fn an_attribute_of_a_single_resource_reads_the_same_through_the_fast_path() {
        let mut scope = Scope::default();
        let object = Value::Map(
            [
                ("id".to_string(), Value::string("eni-1")),
                ("tags".to_string(), Value::Map(Default::default())),
            ]
            .into(),
        );
        scope.set_instance(
            "alicloud_eip_address.a",
            Expansion::Single,
            InstanceKey::None,
            object,
        );
        scope.set_instance(
            "alicloud_eip_address.b",
            Expansion::Single,
            InstanceKey::None,
            Value::unknown(),
        );
        assert_eq!(
            eval(&scope, "alicloud_eip_address.a.id"),
            Ok(Value::string("eni-1"))
        );
        assert_eq!(
            eval(&scope, "upper(alicloud_eip_address.a.id)"),
            Ok(Value::string("ENI-1"))
        );
        assert_eq!(
            eval(&scope, "alicloud_eip_address.a.tags"),
            Ok(Value::Map(Default::default()))
        );
        // What the fast path does not hold goes the general way, errors and unknowns included.
        assert!(
            eval(&scope, "alicloud_eip_address.a.idd")
                .is_err_and(|e| e.contains("did you mean \"id\""))
        );
        assert_eq!(
            eval(&scope, "alicloud_eip_address.b.id"),
            Ok(Value::unknown())
        );
        assert!(eval(&scope, "alicloud_eip_address.c.id").is_err());
    }
}
