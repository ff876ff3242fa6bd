//! Resource addresses as Terraform writes them: `TYPE.NAME`, `TYPE.NAME[0]`, `TYPE.NAME["key"]`,
//! `data.TYPE.NAME`, each possibly inside modules: `module.net["a"].module.eni.TYPE.NAME[0]`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::config::Mode;
use crate::lang::Value;
/// Which instance of a resource: none (no `count`/`for_each`), an index, or a key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InstanceKey {
    None,
    Int(i64),
    Str(String),
}

impl InstanceKey {
    pub fn is_none(&self) -> bool {
        matches!(self, InstanceKey::None)
    }

    pub fn to_value(&self) -> Value {
        match self {
            InstanceKey::None => Value::Null,
            InstanceKey::Int(i) => Value::from(*i),
            InstanceKey::Str(s) => Value::string(s.clone()),
        }
    }

    /// The key a value selects: a whole number selects a `count` index, a string a `for_each` key.
    pub fn from_value(v: &Value) -> Option<InstanceKey> {
        match v {
            Value::Number(n) if n.is_integer() => n.to_i64().map(InstanceKey::Int),
            Value::String(s) => Some(InstanceKey::Str(s.clone())),
            _ => None,
        }
    }
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::None => Ok(()),
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => {
                f.write_str("[")?;
                json_quoted(f, s)?;
                f.write_str("]")
            }
        }
    }
}

/// `s` as a JSON string literal, written straight into `f`: addresses are formatted in hot
/// loops (operation ids, unknowns' origins, the rendered plan), where a temporary
/// `serde_json::Value` per key would allocate twice.
pub(crate) fn json_quoted(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        f.write_str(&s[start..i])?;
        if esc.is_empty() {
            write!(f, "\\u{b:04x}")?;
        } else {
            f.write_str(esc)?;
        }
        start = i + 1;
    }
    f.write_str(&s[start..])?;
    f.write_char('"')
}

/// One step of a module path: `module.NAME` with the key of its instance (`count`/`for_each`
/// on the module block), if any.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModuleStep {
    pub name: String,
    pub key: InstanceKey,
}

/// A module instance's path, root first; empty for the root module.
pub type ModulePath = Vec<ModuleStep>;

/// `module.a["x"].module.b.` (with the trailing dot), or "" for the root module: the prefix of
/// every address and evaluation key inside that module instance.
pub fn module_prefix(path: &[ModuleStep]) -> String {
    path.iter()
        .map(|s| format!("module.{}{}.", s.name, s.key))
        .collect()
}

/// The module path without instance keys: `module.a.module.b.`, as configuration (and
/// `dependencies` in state) names it.
pub fn module_config_prefix(path: &[ModuleStep]) -> String {
    path.iter().map(|s| format!("module.{}.", s.name)).collect()
}

/// Resources in the root module order before those in modules (the module path compares first,
/// and the empty path is smallest), as Terraform lists them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    pub module: ModulePath,
    pub mode: Mode,
    pub ty: String,
    pub name: String,
    pub key: InstanceKey,
}

impl Address {
    pub fn managed(ty: &str, name: &str, key: InstanceKey) -> Address {
        Address {
            module: Vec::new(),
            mode: Mode::Managed,
            ty: ty.to_string(),
            name: name.to_string(),
            key,
        }
    }

    /// `TYPE.NAME` (or `data.TYPE.NAME`) inside its module path without any instance key
    /// (`module.net.TYPE.NAME`): the resource as the configuration declares it, which is how
    /// dependencies name it.
    pub fn resource_key(&self) -> String {
        format!("{}{}", module_config_prefix(&self.module), self.local_key())
    }

    /// `TYPE.NAME` or `data.TYPE.NAME`, without module path or key: the name inside its module.
    pub fn local_key(&self) -> String {
        match self.mode {
            Mode::Managed => format!("{}.{}", self.ty, self.name),
            Mode::Data => format!("data.{}.{}", self.ty, self.name),
        }
    }

    /// The resource within its module *instance* (`module.net["a"].TYPE.NAME`): the key of its
    /// values in the evaluation scope.
    pub fn scope_key(&self) -> String {
        format!("{}{}", module_prefix(&self.module), self.local_key())
    }

    /// `module.net["a"]`, or `None` in the root module: Terraform's `module_address`.
    pub fn module_address(&self) -> Option<String> {
        (!self.module.is_empty()).then(|| {
            module_prefix(&self.module)
                .trim_end_matches('.')
                .to_string()
        })
    }

    /// Parses an address as given on the command line. A missing key is `InstanceKey::None`;
    /// `--target TYPE.NAME` then means every instance of it (see [`Address::matches`]).
    pub fn parse(s: &str) -> Result<Address, String> {
        let (module, rest) = parse_module_path(s, s)?;
        if rest.is_empty() {
            return Err(format!(
                "invalid address \"{s}\": a module holds resources; name one, e.g. {}TYPE.NAME",
                module_prefix(&module)
            ));
        }
        let (mode, rest) = match rest.strip_prefix("data.") {
            Some(r) => (Mode::Data, r),
            None => (Mode::Managed, rest),
        };
        let (head, key) = match rest.find('[') {
            Some(i) => (&rest[..i], parse_key(s, &rest[i..])?),
            None => (rest, InstanceKey::None),
        };
        let mut parts = head.split('.');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(ty), Some(name), None) if !ty.is_empty() && !name.is_empty() => Ok(Address {
                module,
                mode,
                ty: ty.to_string(),
                name: name.to_string(),
                key,
            }),
            _ => Err(format!(
                "invalid address \"{s}\": expected TYPE.NAME, TYPE.NAME[INDEX], data.TYPE.NAME or module.NAME.TYPE.NAME"
            )),
        }
    }

    /// Whether `self`, as given by a user, selects `other`: a key-less address selects every
    /// instance of its resource, and a key-less module step every instance of that module.
    pub fn matches(&self, other: &Address) -> bool {
        module_matches(&self.module, &other.module)
            && self.mode == other.mode
            && self.ty == other.ty
            && self.name == other.name
            && (self.key.is_none() || self.key == other.key)
    }
}

/// Whether a module path as a user wrote it selects `other` exactly (same depth): a step without
/// a key selects every instance of that module.
pub fn module_matches(given: &[ModuleStep], other: &[ModuleStep]) -> bool {
    given.len() == other.len()
        && given
            .iter()
            .zip(other)
            .all(|(g, o)| g.name == o.name && (g.key.is_none() || g.key == o.key))
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// `[0]` or `["a"]`, the whole of `k`.
fn parse_key(s: &str, k: &str) -> Result<InstanceKey, String> {
    let inner = k
        .strip_prefix('[')
        .and_then(|k| k.strip_suffix(']'))
        .ok_or_else(|| format!("invalid address \"{s}\": unbalanced brackets"))?;
    if let Ok(n) = inner.parse::<i64>() {
        Ok(InstanceKey::Int(n))
    } else if let Ok(serde_json::Value::String(k)) = serde_json::from_str(inner) {
        Ok(InstanceKey::Str(k))
    } else {
        Err(format!(
            "invalid address \"{s}\": an index is a number or a quoted string, e.g. [0] or [\"a\"]"
        ))
    }
}

/// The end of a `[…]` starting at `rest`'s first byte: a quoted key may hold `]` and `.`.
fn key_end(rest: &str) -> Option<usize> {
    let mut in_str = false;
    let mut escaped = false;
    for (i, c) in rest.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_str => escaped = true,
            '"' => in_str = !in_str,
            ']' if !in_str => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// Splits the leading `module.NAME[KEY].` steps off an address; what is left is the resource
/// part (possibly empty, for a module address such as `module.net["a"]`).
pub fn parse_module_path<'a>(s: &str, mut rest: &'a str) -> Result<(ModulePath, &'a str), String> {
    let mut path = Vec::new();
    while let Some(after) = rest.strip_prefix("module.") {
        let end = after.find(['.', '[']).unwrap_or(after.len());
        let name = &after[..end];
        if !is_ident(name) {
            return Err(format!("invalid address \"{s}\": module.NAME needs a name"));
        }
        let mut tail = &after[end..];
        let mut key = InstanceKey::None;
        if tail.starts_with('[') {
            let close = key_end(tail)
                .ok_or_else(|| format!("invalid address \"{s}\": unbalanced brackets"))?;
            key = parse_key(s, &tail[..close])?;
            tail = &tail[close..];
        }
        path.push(ModuleStep {
            name: name.to_string(),
            key,
        });
        rest = match tail.strip_prefix('.') {
            Some(t) => t,
            None if tail.is_empty() => tail,
            None => return Err(format!("invalid address \"{s}\": expected . after {name}")),
        };
    }
    Ok((path, rest))
}

/// What a `moved`, `removed` or `import` block names: a module (instance), a resource (every
/// instance of it, or one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub module: ModulePath,
    /// `None` for a whole module.
    pub resource: Option<(Mode, String, String, InstanceKey)>,
}

impl Endpoint {
    pub fn parse(s: &str) -> Result<Endpoint, String> {
        let (module, rest) = parse_module_path(s, s)?;
        if rest.is_empty() {
            if module.is_empty() {
                return Err("an address is empty".into());
            }
            return Ok(Endpoint {
                module,
                resource: None,
            });
        }
        let a = Address::parse(s)?;
        Ok(Endpoint {
            module,
            resource: Some((a.mode, a.ty, a.name, a.key)),
        })
    }

    /// Where `a` (relative to the block's module instance) goes when this endpoint moves to
    /// `to`; `None` when this endpoint does not select `a`.
    pub fn move_to(&self, to: &Endpoint, a: &Address) -> Option<Address> {
        match (&self.resource, &to.resource) {
            (Some((mode, ty, name, key)), Some((tmode, tty, tname, tkey))) => {
                let selects = a.module == self.module
                    && a.mode == *mode
                    && &a.ty == ty
                    && &a.name == name
                    && (key.is_none() || key == &a.key);
                selects.then(|| Address {
                    module: to.module.clone(),
                    mode: *tmode,
                    ty: tty.clone(),
                    name: tname.clone(),
                    key: if key.is_none() && tkey.is_none() {
                        a.key.clone()
                    } else {
                        tkey.clone()
                    },
                })
            }
            (None, None) => {
                let n = self.module.len();
                if a.module.len() < n {
                    return None;
                }
                let (head, tail) = a.module.split_at(n);
                let (last, to_last) = (self.module.last()?, to.module.last()?);
                let selects = head[..n - 1] == self.module[..n - 1]
                    && head[n - 1].name == last.name
                    && (last.key.is_none() && to_last.key.is_none() || head[n - 1].key == last.key);
                selects.then(|| {
                    let mut module = to.module.clone();
                    if last.key.is_none()
                        && to_last.key.is_none()
                        && let Some(l) = module.last_mut()
                    {
                        l.key = head[n - 1].key.clone();
                    }
                    module.extend(tail.iter().cloned());
                    Address {
                        module,
                        ..a.clone()
                    }
                })
            }
            _ => None,
        }
    }

    /// Whether the endpoint names `a` (relative to the block's module instance) or a module
    /// that holds it.
    pub fn selects(&self, a: &Address) -> bool {
        match &self.resource {
            Some((mode, ty, name, key)) => {
                module_matches(&self.module, &a.module)
                    && a.mode == *mode
                    && &a.ty == ty
                    && &a.name == name
                    && (key.is_none() || key == &a.key)
            }
            None => {
                a.module.len() >= self.module.len()
                    && module_matches(&self.module, &a.module[..self.module.len()])
            }
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = module_prefix(&self.module);
        match &self.resource {
            None => write!(f, "{}", m.trim_end_matches('.')),
            Some((mode, ty, name, key)) => {
                let data = if *mode == Mode::Data { "data." } else { "" };
                write!(f, "{m}{data}{ty}.{name}{key}")
            }
        }
    }
}

impl Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Address::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Address {
    // Written piece by piece, without the temporary strings of `scope_key`: addresses are
    // formatted once or more per resource instance in every plan.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.module {
            write!(f, "module.{}{}.", s.name, s.key)?;
        }
        if self.mode == Mode::Data {
            f.write_str("data.")?;
        }
        write!(f, "{}.{}{}", self.ty, self.name, self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_quoted_as_json_quotes_them() {
        for k in [
            "plain",
            "a\"b",
            "back\\slash",
            "tab\tnl\ncr\r",
            "\u{1}\u{8}\u{c}\u{1f}\u{7f}",
            "ünï ☃",
            "",
        ] {
            let mut s = String::new();
            json_quoted(&mut s, k).expect("write to a string");
            assert_eq!(s, serde_json::Value::String(k.to_string()).to_string());
            let a = Address::managed("t", "n", InstanceKey::Str(k.to_string()));
            assert_eq!(Address::parse(&a.to_string()), Ok(a));
        }
    }

    #[test]
    fn parse_and_display_round_trip() {
        for s in [
            "alicloud_eip_address.a",
            "alicloud_eip_address.a[3]",
            "alicloud_ecs_network_interface.web[\"x-1\"]",
            "data.alicloud_instances.web",
            "module.net.alicloud_eip_address.a",
            "module.x[\"a.b]\"].module.y[2].alicloud_ecs_network_interface.app[0]",
            "module.x.data.alicloud_instances.web",
        ] {
            assert_eq!(Address::parse(s).map(|a| a.to_string()), Ok(s.to_string()));
        }
        assert!(Address::parse("nodot").is_err());
        assert!(Address::parse("a.b[x]").is_err());
        assert!(Address::parse("module.x").is_err());
        assert!(Address::parse("module.x[\"a\"]t.n").is_err());
        assert!(Address::parse("module..t.n").is_err());
    }

    #[test]
    fn keyless_address_matches_every_instance() {
        let all = Address::parse("t_x.n").unwrap_or_else(|e| panic!("{e}"));
        let one = Address::parse("t_x.n[2]").unwrap_or_else(|e| panic!("{e}"));
        assert!(all.matches(&one));
        assert!(!one.matches(&all));
    }

    #[test]
    fn module_addresses_have_config_and_scope_keys_and_sort_after_the_root() {
        let a =
            Address::parse("module.x[\"a\"].module.y.t_x.n[1]").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.resource_key(), "module.x.module.y.t_x.n");
        assert_eq!(a.scope_key(), "module.x[\"a\"].module.y.t_x.n");
        let root = Address::parse("z_z.z").unwrap_or_else(|e| panic!("{e}"));
        assert!(root < a);
        let every = Address::parse("module.x.module.y.t_x.n").unwrap_or_else(|e| panic!("{e}"));
        assert!(every.matches(&a));
        assert!(!a.matches(&every));
    }

    #[test]
    fn moves_follow_resources_keys_and_modules() {
        let p = |s: &str| Endpoint::parse(s).unwrap_or_else(|e| panic!("{e}"));
        let a = |s: &str| Address::parse(s).unwrap_or_else(|e| panic!("{e}"));
        let m =
            |from: &str, to: &str, x: &str| p(from).move_to(&p(to), &a(x)).map(|x| x.to_string());
        assert_eq!(m("t_x.a", "t_x.b", "t_x.a[2]"), Some("t_x.b[2]".into()));
        assert_eq!(
            m("t_x.a[0]", "t_x.a[\"k\"]", "t_x.a[0]"),
            Some("t_x.a[\"k\"]".into())
        );
        assert_eq!(m("t_x.a[0]", "t_x.a[\"k\"]", "t_x.a[1]"), None);
        assert_eq!(
            m("t_x.a", "module.m.t_x.a", "t_x.a"),
            Some("module.m.t_x.a".into())
        );
        assert_eq!(
            m("module.a", "module.b", "module.a[1].module.c.t_x.n"),
            Some("module.b[1].module.c.t_x.n".into())
        );
        assert_eq!(m("module.a[1]", "module.b", "module.a[2].t_x.n"), None);
        assert_eq!(m("module.a", "t_x.n", "module.a.t_x.n"), None);
        assert!(p("module.a").selects(&a("module.a[\"x\"].t_x.n")));
        assert!(!p("t_x.n").selects(&a("module.a.t_x.n")));
        assert_eq!(
            p("module.a[\"k\"].t_x.n[0]").to_string(),
            "module.a[\"k\"].t_x.n[0]"
        );
    }
}
