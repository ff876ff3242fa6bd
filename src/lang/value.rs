//! The runtime value of the configuration language.
//!
//! Terraform's type system is richer (tuples vs lists, objects vs maps), but for evaluation the
//! distinction rarely matters and the conversions that do matter live in `types`. What this type
//! adds that `serde_json::Value` lacks is `Unknown`: a value that will only be known once apply has
//! created the object it comes from. An unknown remembers, when it was passed through untouched,
//! which resource attribute it stands for (`origin`), so the planner can still link an attachment
//! to the ENI it attaches before that ENI has an id.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

pub use super::number::Number;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    /// A list or a tuple.
    List(Vec<Value>),
    /// A set: kept sorted and without duplicates (see [`Value::set`]).
    Set(Vec<Value>),
    /// A map or an object; keys are kept sorted, as Terraform prints them. Shared on clone
    /// (see [`Map`]).
    Map(Map),
    /// Known only after apply. `Some(origin)` names the resource attribute it stands for,
    /// e.g. `alicloud_ecs_network_interface.web[0].id`.
    Unknown(Option<String>),
}

/// The entries of a map or object value, sorted by key, shared between clones and copied only
/// when a clone is changed. A planned object is held by its change and by the evaluation scope,
/// and every reference to a resource reads a copy of its object: sharing makes those copies a
/// reference count instead of a tree of strings (issue 16: a 30,000-resource plan held every
/// object twice). The entries are one sorted vector rather than a B-tree: objects have a few
/// dozen attributes at most, and a vector is one allocation of what it holds, where a B-tree
/// allocated nodes of eleven slots each.
#[derive(Clone, Default, PartialEq)]
pub struct Map(Arc<Vec<(String, Value)>>);

type Entry = (String, Value);

fn key_of(e: &Entry) -> (&String, &Value) {
    (&e.0, &e.1)
}

fn key_of_mut(e: &mut Entry) -> (&String, &mut Value) {
    (&e.0, &mut e.1)
}

fn owned(e: Entry) -> Entry {
    e
}

impl Map {
    pub fn new() -> Map {
        Map::default()
    }

    /// An empty map with room for `n` entries.
    pub fn with_capacity(n: usize) -> Map {
        Map(Arc::new(Vec::with_capacity(n)))
    }

    /// Whether two maps share their entries (a clone not changed since).
    pub fn shares(&self, other: &Map) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Where `key` would go in the sorted entries (`Err`), or is (`Ok`).
    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// Where `key` is. An object's few dozen entries are scanned comparing lengths first, which
    /// rejects most keys without comparing their text (a binary search compared text five
    /// times per lookup, a fifth of a large plan's CPU time); larger maps are searched.
    fn position<Q: ?Sized + AsRef<str>>(&self, key: &Q) -> Option<usize> {
        let key = key.as_ref();
        if self.0.len() > 32 {
            return self.find(key).ok();
        }
        self.0
            .iter()
            .position(|(k, _)| k.len() == key.len() && k.as_bytes() == key.as_bytes())
    }

    fn entries_mut(&mut self) -> &mut Vec<Entry> {
        Arc::make_mut(&mut self.0)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get<Q: ?Sized + AsRef<str>>(&self, key: &Q) -> Option<&Value> {
        self.position(key).map(|i| &self.0[i].1)
    }

    pub fn get_key_value<Q: ?Sized + AsRef<str>>(&self, key: &Q) -> Option<(&String, &Value)> {
        self.position(key).map(|i| key_of(&self.0[i]))
    }

    pub fn contains_key<Q: ?Sized + AsRef<str>>(&self, key: &Q) -> bool {
        self.position(key).is_some()
    }

    pub fn get_mut<Q: ?Sized + AsRef<str>>(&mut self, key: &Q) -> Option<&mut Value> {
        let i = self.position(key)?;
        Some(&mut self.entries_mut()[i].1)
    }

    /// Sets `key`, returning the value it replaced.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries_mut()[i].1, value)),
            Err(i) => {
                self.entries_mut().insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove<Q: ?Sized + AsRef<str>>(&mut self, key: &Q) -> Option<Value> {
        let i = self.position(key)?;
        Some(self.entries_mut().remove(i).1)
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut Value) -> bool) {
        self.entries_mut().retain_mut(|(k, v)| keep(k, v));
    }

    pub fn iter(
        &self,
    ) -> std::iter::Map<std::slice::Iter<'_, Entry>, fn(&Entry) -> (&String, &Value)> {
        self.0.iter().map(key_of as fn(&Entry) -> (&String, &Value))
    }

    pub fn iter_mut(
        &mut self,
    ) -> std::iter::Map<std::slice::IterMut<'_, Entry>, fn(&mut Entry) -> (&String, &mut Value)>
    {
        self.entries_mut()
            .iter_mut()
            .map(key_of_mut as fn(&mut Entry) -> (&String, &mut Value))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator + Clone {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator + Clone {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn values_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = &mut Value> + ExactSizeIterator {
        self.entries_mut().iter_mut().map(|(_, v)| v)
    }

    pub fn into_values(self) -> impl DoubleEndedIterator<Item = Value> + ExactSizeIterator {
        self.into_iter().map(|(_, v)| v)
    }

    /// The entries as a B-tree map, copied only if another clone still shares them.
    pub fn into_inner(self) -> BTreeMap<String, Value> {
        self.into_iter().collect()
    }
}

/// `map["key"]`, as on a B-tree map: panics when the key is not there (tests).
impl std::ops::Index<&str> for Map {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        match self.get(key) {
            Some(v) => v,
            None => panic!("no entry {key:?} in the map"),
        }
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl From<BTreeMap<String, Value>> for Map {
    fn from(m: BTreeMap<String, Value>) -> Map {
        // A B-tree iterates in key order: already sorted, without duplicates.
        Map(Arc::new(m.into_iter().collect()))
    }
}

impl<const N: usize> From<[(String, Value); N]> for Map {
    fn from(entries: [(String, Value); N]) -> Map {
        entries.into_iter().collect()
    }
}

impl From<Map> for BTreeMap<String, Value> {
    fn from(m: Map) -> BTreeMap<String, Value> {
        m.into_inner()
    }
}

impl FromIterator<(String, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Map {
        let mut v: Vec<Entry> = iter.into_iter().collect();
        // As a B-tree map collects: sorted by key, the last of equal keys kept.
        v.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<Entry> = Vec::with_capacity(v.len());
        for e in v {
            match out.last_mut() {
                Some(last) if last.0 == e.0 => *last = e,
                _ => out.push(e),
            }
        }
        Map(Arc::new(out))
    }
}

impl Extend<(String, Value)> for Map {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = std::iter::Map<std::vec::IntoIter<Entry>, fn(Entry) -> Entry>;

    fn into_iter(self) -> Self::IntoIter {
        Arc::unwrap_or_clone(self.0)
            .into_iter()
            .map(owned as fn(Entry) -> Entry)
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a String, &'a Value);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, Entry>, fn(&Entry) -> (&String, &Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut Map {
    type Item = (&'a String, &'a mut Value);
    type IntoIter =
        std::iter::Map<std::slice::IterMut<'a, Entry>, fn(&mut Entry) -> (&String, &mut Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl Value {
    pub fn unknown() -> Value {
        Value::Unknown(None)
    }

    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// Builds a set: sorts and removes duplicates, which is what makes two sets with the same
    /// members compare equal.
    pub fn set(mut items: Vec<Value>) -> Value {
        items.sort_by(compare);
        items.dedup();
        Value::Set(items)
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "object",
            Value::Unknown(_) => "unknown",
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    /// True when no part of the value is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(v) | Value::Set(v) => v.iter().all(Value::is_wholly_known),
            Value::Map(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The elements of a list, tuple or set.
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Set(v) => Some(v),
            _ => None,
        }
    }

    pub fn get<Q: ?Sized + AsRef<str>>(&self, key: &Q) -> Option<&Value> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// Terraform's automatic conversion to string: numbers and bools convert, nothing else does.
    pub fn coerce_string(&self) -> Option<String> {
        match self {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_text()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Terraform's automatic conversion to number: strings that parse as numbers convert.
    pub fn to_number(&self) -> Option<Number> {
        match self {
            Value::Number(n) => Some(n.clone()),
            Value::String(s) => Number::parse(s),
            _ => None,
        }
    }

    /// [`Value::to_number`] as the nearest finite `f64`, for counts and sizes.
    pub fn coerce_number(&self) -> Option<f64> {
        self.to_number()
            .map(|n| n.to_f64())
            .filter(|n| n.is_finite())
    }

    /// A number from a Go `float64`, as cty's `NumberFloatVal`; NaN is null.
    pub fn from_f64(f: f64) -> Value {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }

    /// The number as an `i64`, when it is a whole number that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.to_i64(),
            _ => None,
        }
    }

    /// The number as a `u64`, when it is a whole number that fits.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.to_u64(),
            _ => None,
        }
    }

    /// The number as the nearest `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(n.to_f64()),
            _ => None,
        }
    }

    /// Terraform's automatic conversion to bool: the strings "true" and "false" convert.
    pub fn coerce_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null | Value::Unknown(_) => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => number_to_json(n),
            Value::String(s) => J::String(s.clone()),
            Value::List(v) | Value::Set(v) => J::Array(v.iter().map(Value::to_json).collect()),
            Value::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }

    /// The `after_unknown` shape of Terraform's JSON plan: `true` where the value is unknown,
    /// mirrored through collections, `false` elsewhere.
    pub fn unknown_mask(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Unknown(_) => J::Bool(true),
            Value::List(v) | Value::Set(v) => J::Array(v.iter().map(Value::unknown_mask).collect()),
            Value::Map(m) => J::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), v.unknown_mask()))
                    .collect(),
            ),
            _ => J::Bool(false),
        }
    }

    pub fn from_json(j: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match j {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            // cty reads JSON numbers at 512 bits; integers need no text.
            J::Number(n) => Value::Number(
                n.as_i64()
                    .map(Number::literal)
                    .or_else(|| Number::parse(&n.to_string()))
                    .or_else(|| n.as_f64().and_then(Number::from_f64))
                    .unwrap_or_else(Number::zero),
            ),
            J::String(s) => Value::String(s.clone()),
            J::Array(v) => Value::List(v.iter().map(Value::from_json).collect()),
            J::Object(m) => Value::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

/// Whole numbers that fit 64 bits are JSON integers; other numbers go through `f64`, which is
/// as much as a `serde_json` number holds (`jsonencode` writes every digit itself).
fn number_to_json(n: &Number) -> serde_json::Value {
    if let Some(i) = n.to_i64() {
        return serde_json::Value::from(i);
    }
    if let Some(u) = n.to_bigint().and_then(|b| u64::try_from(b).ok()) {
        return serde_json::Value::from(u);
    }
    serde_json::Number::from_f64(n.to_f64())
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}

/// Numbers print as Terraform prints them: integers without a fraction, others with the
/// shortest digits their precision needs.
pub fn format_number(n: &Number) -> String {
    n.to_text()
}

/// An `f64` as Terraform prints the number (for messages about small numbers).
pub fn format_f64(f: f64) -> String {
    Number::from_f64(f).map_or_else(|| f.to_string(), |n| n.to_text())
}

macro_rules! value_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::Number(Number::from(v))
            }
        }
    )*};
}
value_from_int!(i8, i16, i32, i64, u8, u16, u32, u64, usize);

/// A total order used for sets and sorting: by kind first, then by content. Strings sort
/// lexically and numbers numerically, as Terraform orders set elements.
pub fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            Value::List(_) => 4,
            Value::Set(_) => 5,
            Value::Map(_) => 6,
            Value::Unknown(_) => 7,
        }
    }
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => x.total_cmp(y),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::List(x), Value::List(y)) | (Value::Set(x), Value::Set(y)) => {
            for (p, q) in x.iter().zip(y) {
                let o = compare(p, q);
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Map(x), Value::Map(y)) => {
            for ((kp, p), (kq, q)) in x.iter().zip(y) {
                let o = kp.cmp(kq).then_with(|| compare(p, q));
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

/// HCL-like rendering, used by `output`, `console`-style messages and the plan renderer.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => write!(f, "null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => write!(f, "{}", serde_json::Value::String(s.clone())),
            Value::List(v) | Value::Set(v) => {
                write!(f, "[")?;
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{x}")?;
                }
                write!(f, "]")
            }
            Value::Map(m) => {
                write!(f, "{{")?;
                for (i, (k, x)) in m.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{k} = {x}")?;
                }
                write!(f, "}}")
            }
            Value::Unknown(_) => write!(f, "(known after apply)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_are_sorted_and_deduplicated() {
        let s = Value::set(vec![
            Value::string("b"),
            Value::string("a"),
            Value::string("b"),
        ]);
        assert_eq!(s, Value::Set(vec![Value::string("a"), Value::string("b")]));
    }

    #[test]
    fn numbers_render_without_fraction_when_whole() {
        assert_eq!(Value::from(5u64).to_string(), "5");
        assert_eq!(Value::from_f64(2.5).to_string(), "2.5");
        assert_eq!(Value::from(3u64).to_json(), serde_json::json!(3));
        assert_eq!(
            Value::from_json(&serde_json::json!(2.5)),
            Value::from_f64(2.5)
        );
    }

    #[test]
    fn numbers_keep_values_small() {
        // An inline i64 with its precision, or a box: no bigger than the String beside it.
        assert_eq!(std::mem::size_of::<Number>(), 16);
        assert_eq!(std::mem::size_of::<Value>(), 32);
    }

    #[test]
    fn coercions_follow_terraform() {
        assert_eq!(Value::string("12").to_number(), Some(Number::from(12)));
        assert_eq!(Value::string("12").coerce_number(), Some(12.0));
        assert_eq!(Value::string("x").coerce_number(), None);
        assert_eq!(Value::from(1u64).coerce_string().as_deref(), Some("1"));
        assert_eq!(Value::string("true").coerce_bool(), Some(true));
    }

    #[test]
    fn a_map_clone_shares_until_it_is_changed() {
        let a = Map::from([("id".to_string(), Value::string("eni-1"))]);
        let mut b = a.clone();
        assert!(a.shares(&b));
        b.insert("mac".to_string(), Value::unknown());
        assert!(!a.shares(&b));
        assert_eq!(a.len(), 1);
        assert_eq!(b.len(), 2);
        assert_eq!(a.clone().into_inner().len(), 1);
    }

    #[test]
    fn a_map_keeps_its_keys_sorted_and_unique_as_a_btree_map_does() {
        let pairs = [("b", 1u64), ("a", 2), ("c", 3), ("a", 4)]
            .map(|(k, n)| (k.to_string(), Value::from(n)));
        let map: Map = pairs.clone().into_iter().collect();
        let tree: BTreeMap<String, Value> = pairs.into_iter().collect();
        assert_eq!(map.clone().into_inner(), tree);
        assert_eq!(map, Map::from(tree));
        let mut m = map;
        assert_eq!(m.insert("a".into(), Value::Null), Some(Value::from(4u64)));
        assert_eq!(m.insert("0".into(), Value::Null), None);
        assert_eq!(m.remove("c"), Some(Value::from(3u64)));
        assert_eq!(m.keys().collect::<Vec<_>>(), ["0", "a", "b"]);
        assert_eq!(m.get("b"), Some(&Value::from(1u64)));
        assert!(!m.contains_key("c"));
        // Large maps (a for_each's, a decoded document's) are searched, not scanned.
        let big: Map = (0..100u64)
            .map(|i| (format!("k{i}"), Value::from(i)))
            .collect();
        assert_eq!(big.get("k57"), Some(&Value::from(57u64)));
        assert_eq!(big.get("k570"), None);
        assert!(big.contains_key("k9"));
    }

    #[test]
    fn unknown_mask_mirrors_structure() {
        let v = Value::Map(Map::from([
            ("a".to_string(), Value::unknown()),
            (
                "b".to_string(),
                Value::List(vec![Value::Null, Value::unknown()]),
            ),
        ]));
        assert_eq!(
            v.unknown_mask(),
            serde_json::json!({"a": true, "b": [false, true]})
        );
        assert!(!v.is_wholly_known());
    }
}
