//! Resource addresses as Terraform writes them: `TYPE.NAME`, `TYPE.NAME[0]`, `TYPE.NAME["key"]`,
//! `data.TYPE.NAME`.

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
            InstanceKey::Int(i) => Value::Number(*i as f64),
            InstanceKey::Str(s) => Value::string(s.clone()),
        }
    }

    /// The key a value selects: a whole number selects a `count` index, a string a `for_each` key.
    pub fn from_value(v: &Value) -> Option<InstanceKey> {
        match v {
            Value::Number(n) if n.fract() == 0.0 => Some(InstanceKey::Int(*n as i64)),
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
            InstanceKey::Str(s) => write!(f, "[{}]", serde_json::Value::String(s.clone())),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    pub mode: Mode,
    pub ty: String,
    pub name: String,
    pub key: InstanceKey,
}

impl Address {
    pub fn managed(ty: &str, name: &str, key: InstanceKey) -> Address {
        Address {
            mode: Mode::Managed,
            ty: ty.to_string(),
            name: name.to_string(),
            key,
        }
    }

    /// `TYPE.NAME` (or `data.TYPE.NAME`) without the instance key.
    pub fn resource_key(&self) -> String {
        match self.mode {
            Mode::Managed => format!("{}.{}", self.ty, self.name),
            Mode::Data => format!("data.{}.{}", self.ty, self.name),
        }
    }

    /// Parses an address as given on the command line. A missing key is `InstanceKey::None`;
    /// `--target TYPE.NAME` then means every instance of it (see [`Address::matches`]).
    pub fn parse(s: &str) -> Result<Address, String> {
        let (mode, rest) = match s.strip_prefix("data.") {
            Some(r) => (Mode::Data, r),
            None => (Mode::Managed, s),
        };
        let (head, key) = match rest.find('[') {
            Some(i) => {
                let k = &rest[i..];
                let inner = k
                    .strip_prefix('[')
                    .and_then(|k| k.strip_suffix(']'))
                    .ok_or_else(|| format!("invalid address \"{s}\": unbalanced brackets"))?;
                let key = if let Ok(n) = inner.parse::<i64>() {
                    InstanceKey::Int(n)
                } else if let Ok(serde_json::Value::String(k)) = serde_json::from_str(inner) {
                    InstanceKey::Str(k)
                } else {
                    return Err(format!(
                        "invalid address \"{s}\": an index is a number or a quoted string, e.g. [0] or [\"a\"]"
                    ));
                };
                (&rest[..i], key)
            }
            None => (rest, InstanceKey::None),
        };
        let mut parts = head.split('.');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(ty), Some(name), None) if !ty.is_empty() && !name.is_empty() => Ok(Address {
                mode,
                ty: ty.to_string(),
                name: name.to_string(),
                key,
            }),
            _ => Err(format!(
                "invalid address \"{s}\": expected TYPE.NAME, TYPE.NAME[INDEX] or data.TYPE.NAME"
            )),
        }
    }

    /// Whether `self`, as given by a user, selects `other`: a key-less address selects every
    /// instance of its resource.
    pub fn matches(&self, other: &Address) -> bool {
        self.mode == other.mode
            && self.ty == other.ty
            && self.name == other.name
            && (self.key.is_none() || self.key == other.key)
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
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.resource_key(), self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        for s in [
            "alicloud_eip_address.a",
            "alicloud_eip_address.a[3]",
            "alicloud_ecs_network_interface.web[\"x-1\"]",
            "data.alicloud_instances.web",
        ] {
            assert_eq!(Address::parse(s).map(|a| a.to_string()), Ok(s.to_string()));
        }
        assert!(Address::parse("nodot").is_err());
        assert!(Address::parse("a.b[x]").is_err());
    }

    #[test]
    fn keyless_address_matches_every_instance() {
        let all = Address::parse("t_x.n").unwrap_or_else(|e| panic!("{e}"));
        let one = Address::parse("t_x.n[2]").unwrap_or_else(|e| panic!("{e}"));
        assert!(all.matches(&one));
        assert!(!one.matches(&all));
    }
}
