//! Alibaba Cloud's wire model: every request netform sends and every answer it reads, typed, with
//! Alibaba's own names and nesting (`PrivateIpSets.PrivateIpSet[]`, `Tags.Tag[]`, `NextToken`).
//!
//! This is the one place that knows what the API takes and answers. The client builds requests
//! from these types and decodes answers into them; the simulator parses requests with the same
//! types (refusing a parameter the action does not take) and answers with the same structs, so
//! the two cannot drift apart without the type changing. The field lists follow the official SDK
//! models (`alibabacloud-ecs20140526`, `-vpc20160428`, `-slb20140515`), restricted to what netform
//! uses; `tests/conformance` checks them against the installed SDKs.
//!
//! Requests are flat RPC parameters: a list is `Name.1 … Name.N`, a list of objects
//! `Name.N.Key`, and a few actions take a JSON array or a comma-separated string in one
//! parameter. [`Param`] encodes and decodes each of those shapes once.

pub mod ecs;
pub mod slb;
pub mod vpc;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::{ApiError, Params};

/// The cloud product an action belongs to: its endpoint prefix and API version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Product {
    Ecs,
    Vpc,
    Slb,
}

impl Product {
    pub const ALL: [Product; 3] = [Product::Ecs, Product::Vpc, Product::Slb];

    /// The endpoint prefix: `ecs` in `ecs.cn-hangzhou.aliyuncs.com`.
    pub fn prefix(self) -> &'static str {
        match self {
            Product::Ecs => "ecs",
            Product::Vpc => "vpc",
            Product::Slb => "slb",
        }
    }

    pub fn version(self) -> &'static str {
        match self {
            Product::Ecs => "2014-05-26",
            Product::Vpc => "2016-04-28",
            Product::Slb => "2014-05-15",
        }
    }

    /// The product an API version names (what `sim serve` reads from a request).
    pub fn from_version(v: &str) -> Option<Product> {
        Product::ALL.into_iter().find(|p| p.version() == v)
    }

    /// The product of an action given by name, for `sim call`, where a person types the action
    /// and its parameters. Only TagResources is ambiguous (ECS and VPC both have it):
    /// `ResourceType=EIP` means VPC.
    pub fn of_action(action: &str, params: &Params) -> Product {
        match action {
            "AllocateEipAddress"
            | "AssociateEipAddress"
            | "UnassociateEipAddress"
            | "ReleaseEipAddress"
            | "ModifyEipAddressAttribute"
            | "ModifyEipForwardMode"
            | "DeletionProtection"
            | "UnTagResources"
            | "DescribeEipAddresses"
            | "DescribeVSwitches"
            | "DescribeVpcs"
            | "DescribeNatGateways"
            | "DescribeForwardTableEntries"
            | "DescribeHaVips" => Product::Vpc,
            "TagResources" | "UntagResources"
                if params
                    .get("ResourceType")
                    .is_some_and(|t| t.eq_ignore_ascii_case("EIP")) =>
            {
                Product::Vpc
            }
            "DescribeLoadBalancers" => Product::Slb,
            _ => Product::Ecs,
        }
    }
}

/// A request of one action: its name, product, answer type and flat-parameter codec.
pub trait Request: Sized {
    const ACTION: &'static str;
    const PRODUCT: Product;
    /// Global actions (DescribeRegions, DescribeInstanceTypes) take no `RegionId`.
    const REGIONAL: bool = true;
    type Response: Serialize + DeserializeOwned;

    /// Writes the parameters (without `RegionId`, which the client adds for regional actions).
    fn write(&self, p: &mut Params);

    /// Reads the parameters from `r`, which afterwards refuses any it was not asked for.
    fn read(r: &mut Reader<'_>) -> Result<Self, ApiError>;

    fn to_params(&self) -> Params {
        let mut p = Params::new();
        self.write(&mut p);
        p
    }

    /// Parses a request as the API would: missing required parameters, malformed values and
    /// parameters the action does not take are refused with Alibaba's codes.
    fn from_params(p: &Params) -> Result<Self, ApiError> {
        let mut r = Reader::new(p);
        if Self::REGIONAL {
            r.take("RegionId");
        }
        let out = Self::read(&mut r)?;
        r.finish(Self::ACTION)?;
        Ok(out)
    }
}

/// Reads flat parameters, remembering which it consumed so that leftovers can be refused.
pub struct Reader<'a> {
    params: &'a Params,
    used: BTreeSet<&'a str>,
}

impl<'a> Reader<'a> {
    pub fn new(params: &'a Params) -> Reader<'a> {
        Reader {
            params,
            used: BTreeSet::new(),
        }
    }

    /// The value of `name`, marking it used.
    pub fn take(&mut self, name: &str) -> Option<&'a str> {
        let (k, v) = self.params.get_key_value(name)?;
        self.used.insert(k.as_str());
        Some(v.as_str())
    }

    /// Every parameter `prefix.…`, marking them used, in key order.
    fn take_prefixed(&mut self, prefix: &str) -> Vec<(&'a str, &'a str)> {
        let start = format!("{prefix}.");
        let found: Vec<(&'a str, &'a str)> = self
            .params
            .range(start.clone()..)
            .take_while(|(k, _)| k.starts_with(&start))
            .map(|(k, v)| (&k[start.len()..], v.as_str()))
            .collect();
        for (k, _) in self.params.range(start.clone()..) {
            if !k.starts_with(&start) {
                break;
            }
            self.used.insert(k.as_str());
        }
        found
    }

    fn finish(&self, action: &str) -> Result<(), ApiError> {
        match self.params.keys().find(|k| !self.used.contains(k.as_str())) {
            None => Ok(()),
            Some(k) => Err(ApiError::new(
                400,
                "InvalidParameter",
                format!("{k} is not a parameter of {action}"),
            )),
        }
    }
}

fn missing(name: &str) -> ApiError {
    ApiError::new(
        400,
        "MissingParameter",
        format!(
            "The input parameter \"{name}\" that is mandatory for processing this request is not supplied."
        ),
    )
}

fn malformed(name: &str, v: &str, what: &str) -> ApiError {
    ApiError::new(
        400,
        "InvalidParameter",
        format!("The specified parameter \"{name}\" ({v:?}) is not valid: expected {what}."),
    )
}

/// One request parameter's shape on the wire.
pub trait Param: Sized {
    fn put(&self, name: &str, p: &mut Params);
    fn get(name: &str, r: &mut Reader<'_>) -> Result<Self, ApiError>;
}

impl Param for String {
    fn put(&self, name: &str, p: &mut Params) {
        p.insert(name.to_string(), self.clone());
    }
    fn get(name: &str, r: &mut Reader<'_>) -> Result<Self, ApiError> {
        r.take(name)
            .map(str::to_string)
            .ok_or_else(|| missing(name))
    }
}

/// A scalar that is not a string: numbers and booleans.
pub trait Scalar: Sized {
    fn encode(&self) -> String;
    fn decode(name: &str, v: &str) -> Result<Self, ApiError>;
}

impl Scalar for String {
    fn encode(&self) -> String {
        self.clone()
    }
    fn decode(_: &str, v: &str) -> Result<Self, ApiError> {
        Ok(v.to_string())
    }
}

impl Scalar for bool {
    fn encode(&self) -> String {
        self.to_string()
    }
    /// The SDKs disagree on case (`true` and `True`); the API reads both.
    fn decode(name: &str, v: &str) -> Result<Self, ApiError> {
        if v.eq_ignore_ascii_case("true") {
            Ok(true)
        } else if v.eq_ignore_ascii_case("false") {
            Ok(false)
        } else {
            Err(malformed(name, v, "true or false"))
        }
    }
}

macro_rules! int_scalar {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            fn encode(&self) -> String {
                self.to_string()
            }
            fn decode(name: &str, v: &str) -> Result<Self, ApiError> {
                v.trim().parse().map_err(|_| malformed(name, v, "a whole number"))
            }
        }
    )*};
}
int_scalar!(u32, u64, i64);

impl<T: Scalar> Param for Option<T> {
    fn put(&self, name: &str, p: &mut Params) {
        if let Some(v) = self {
            p.insert(name.to_string(), v.encode());
        }
    }
    fn get(name: &str, r: &mut Reader<'_>) -> Result<Self, ApiError> {
        r.take(name).map(|v| T::decode(name, v)).transpose()
    }
}

/// A repeated parameter: `Name.1 … Name.N`.
impl Param for Vec<String> {
    fn put(&self, name: &str, p: &mut Params) {
        for (i, x) in self.iter().enumerate() {
            p.insert(format!("{name}.{}", i + 1), x.clone());
        }
    }
    fn get(name: &str, r: &mut Reader<'_>) -> Result<Self, ApiError> {
        let mut items: Vec<(usize, String)> = Vec::new();
        for (k, v) in r.take_prefixed(name) {
            let n: usize = k
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| malformed(&format!("{name}.{k}"), v, "Name.N with N ≥ 1"))?;
            items.push((n, v.to_string()));
        }
        items.sort_by_key(|(n, _)| *n);
        Ok(items.into_iter().map(|(_, v)| v).collect())
    }
}

/// Tags as a request takes them: `Tag.N.Key` / `Tag.N.Value`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tags(pub BTreeMap<String, String>);

impl Param for Tags {
    fn put(&self, name: &str, p: &mut Params) {
        for (i, (k, v)) in self.0.iter().enumerate() {
            p.insert(format!("{name}.{}.Key", i + 1), k.clone());
            p.insert(format!("{name}.{}.Value", i + 1), v.clone());
        }
    }
    fn get(name: &str, r: &mut Reader<'_>) -> Result<Self, ApiError> {
        let mut by_n: BTreeMap<usize, (Option<String>, Option<String>)> = BTreeMap::new();
        for (k, v) in r.take_prefixed(name) {
            let bad = || malformed(&format!("{name}.{k}"), v, "Tag.N.Key or Tag.N.Value");
            let (n, field) = k.split_once('.').ok_or_else(bad)?;
            let n: usize = n.parse().map_err(|_| bad())?;
            let slot = by_n.entry(n).or_default();
            match field {
                "Key" => slot.0 = Some(v.to_string()),
                "Value" => slot.1 = Some(v.to_string()),
                _ => return Err(bad()),
            }
        }
        let mut out = BTreeMap::new();
        for (n, (k, v)) in by_n {
            let k = k.ok_or_else(|| missing(&format!("{name}.{n}.Key")))?;
            out.insert(k, v.unwrap_or_default());
        }
        Ok(Tags(out))
    }
}

/// Filter conditions: `Filter.N.Key` with its values `Filter.N.Value.M` (DescribeHaVips). Values
/// of one key are alternatives; different keys must all match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters(pub Vec<(String, Vec<String>)>);

impl Filters {
    /// Whether `value` passes the condition on `key` (no condition on it passes).
    pub fn allows(&self, key: &str, value: &str) -> bool {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .all(|(_, vs)| vs.iter().any(|v| v == value))
    }
}

impl Param for Filters {
    fn put(&self, name: &str, p: &mut Params) {
        for (i, (k, vs)) in self.0.iter().enumerate() {
            p.insert(format!("{name}.{}.Key", i + 1), k.clone());
            for (j, v) in vs.iter().enumerate() {
                p.insert(format!("{name}.{}.Value.{}", i + 1, j + 1), v.clone());
            }
        }
    }
    fn get(name: &str, r: &mut Reader<'_>) -> Result<Self, ApiError> {
        let mut by_n: BTreeMap<usize, (Option<String>, BTreeMap<usize, String>)> = BTreeMap::new();
        for (k, v) in r.take_prefixed(name) {
            let bad = || {
                malformed(
                    &format!("{name}.{k}"),
                    v,
                    "Filter.N.Key or Filter.N.Value.M",
                )
            };
            let mut parts = k.split('.');
            let n: usize = parts.next().and_then(|n| n.parse().ok()).ok_or_else(bad)?;
            let slot = by_n.entry(n).or_default();
            match (parts.next(), parts.next(), parts.next()) {
                (Some("Key"), None, None) => slot.0 = Some(v.to_string()),
                (Some("Value"), Some(m), None) => {
                    let m: usize = m.parse().map_err(|_| bad())?;
                    slot.1.insert(m, v.to_string());
                }
                _ => return Err(bad()),
            }
        }
        by_n.into_iter()
            .map(|(n, (k, vs))| {
                let k = k.ok_or_else(|| missing(&format!("{name}.{n}.Key")))?;
                Ok((k, vs.into_values().collect()))
            })
            .collect::<Result<_, _>>()
            .map(Filters)
    }
}

/// A list sent as one JSON-array parameter (DescribeInstances `InstanceIds`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JsonList(pub Vec<String>);

impl Param for JsonList {
    fn put(&self, name: &str, p: &mut Params) {
        if !self.0.is_empty() {
            let text = serde_json::to_string(&self.0).unwrap_or_else(|_| "[]".to_string());
            p.insert(name.to_string(), text);
        }
    }
    fn get(name: &str, r: &mut Reader<'_>) -> Result<Self, ApiError> {
        match r.take(name) {
            None => Ok(JsonList::default()),
            Some(v) => serde_json::from_str(v)
                .map(JsonList)
                .map_err(|_| malformed(name, v, "a JSON array of strings")),
        }
    }
}

/// A list sent as one comma-separated parameter (DescribeEipAddresses `AllocationId`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommaList(pub Vec<String>);

impl Param for CommaList {
    fn put(&self, name: &str, p: &mut Params) {
        if !self.0.is_empty() {
            p.insert(name.to_string(), self.0.join(","));
        }
    }
    fn get(name: &str, r: &mut Reader<'_>) -> Result<Self, ApiError> {
        Ok(CommaList(
            r.take(name)
                .map(|v| {
                    v.split(',')
                        .map(|x| x.trim().to_string())
                        .filter(|x| !x.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        ))
    }
}

/// Declares a request: the struct, its action, product and answer, and each field's wire name.
macro_rules! request {
    (
        $(#[$meta:meta])*
        $name:ident => $product:ident, $resp:ty $(, regional = $regional:literal)? {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $wire:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $crate::provider::wire::Request for $name {
            const ACTION: &'static str = stringify!($name);
            const PRODUCT: $crate::provider::wire::Product = $crate::provider::wire::Product::$product;
            $(const REGIONAL: bool = $regional;)?
            type Response = $resp;

            #[allow(unused_variables)]
            fn write(&self, p: &mut $crate::provider::Params) {
                $( $crate::provider::wire::Param::put(&self.$field, $wire, p); )*
            }

            #[allow(unused_variables)]
            fn read(
                r: &mut $crate::provider::wire::Reader<'_>,
            ) -> Result<Self, $crate::provider::ApiError> {
                Ok($name {
                    $( $field: $crate::provider::wire::Param::get($wire, r)?, )*
                })
            }
        }
    };
}
pub(crate) use request;

/// Declares Alibaba's list wrapper: `{"Outer": {"Inner": [...]}}` as `Outer { items }`.
macro_rules! wrapper {
    ($(#[$meta:meta])* $outer:ident, $inner:literal, $item:ty) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $outer {
            #[serde(rename = $inner, default)]
            pub items: Vec<$item>,
        }

        impl From<Vec<$item>> for $outer {
            fn from(items: Vec<$item>) -> Self {
                $outer { items }
            }
        }
    };
}
pub(crate) use wrapper;

/// An answer that carries only its request id (most mutating actions).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Ack {
    pub request_id: String,
}

/// A tag in ECS answers: `{"TagKey", "TagValue"}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EcsTag {
    pub tag_key: String,
    pub tag_value: String,
}

wrapper!(EcsTags, "Tag", EcsTag);

impl EcsTags {
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.items
            .iter()
            .map(|t| (t.tag_key.clone(), t.tag_value.clone()))
            .collect()
    }
    pub fn from_map(m: &BTreeMap<String, String>) -> EcsTags {
        EcsTags {
            items: m
                .iter()
                .map(|(k, v)| EcsTag {
                    tag_key: k.clone(),
                    tag_value: v.clone(),
                })
                .collect(),
        }
    }
}

/// A tag in VPC answers: `{"Key", "Value"}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VpcTag {
    pub key: String,
    pub value: String,
}

wrapper!(VpcTags, "Tag", VpcTag);

impl VpcTags {
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.items
            .iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect()
    }
    pub fn from_map(m: &BTreeMap<String, String>) -> VpcTags {
        VpcTags {
            items: m
                .iter()
                .map(|(k, v)| VpcTag {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect(),
        }
    }
}

/// A list request paged by `PageNumber`/`PageSize`, whose answer carries `TotalCount`.
pub trait PageNumbered: Request {
    type Item;
    /// The largest page the action serves.
    const MAX_PAGE: u32;
    fn set_page(&mut self, number: u32, size: u32);
    fn total(resp: &Self::Response) -> u64;
    fn items(resp: Self::Response) -> Vec<Self::Item>;
}

/// A list request paged by `NextToken`/`MaxResults`.
pub trait TokenPaged: Request {
    type Item;
    const MAX_PAGE: u32;
    fn set_page(&mut self, token: Option<String>, size: u32);
    fn next_token(resp: &Self::Response) -> Option<String>;
    fn items(resp: Self::Response) -> Vec<Self::Item>;
}

/// Implements [`TokenPaged`] for a list request with `next_token`/`max_results` whose answer has
/// `next_token` and a wrapper field.
macro_rules! token_paged {
    ($req:ty, $item:ty, $max:expr, $field:ident) => {
        impl $crate::provider::wire::TokenPaged for $req {
            type Item = $item;
            const MAX_PAGE: u32 = $max;
            fn set_page(&mut self, token: Option<String>, size: u32) {
                self.next_token = token;
                self.max_results = Some(size);
            }
            fn next_token(resp: &Self::Response) -> Option<String> {
                Some(resp.next_token.clone()).filter(|t| !t.is_empty())
            }
            fn items(resp: Self::Response) -> Vec<$item> {
                resp.$field.items
            }
        }
    };
}
pub(crate) use token_paged;

/// One page of `items` as the server cuts it for `PageNumber`/`PageSize` (both 1-based, the
/// documented default page is 10): the simulator's half of [`PageNumbered`].
pub fn page_of<T>(
    items: Vec<T>,
    number: Option<u32>,
    size: Option<u32>,
    max: u32,
) -> Result<(Vec<T>, u32, u32, u64), ApiError> {
    let number = number.unwrap_or(1);
    let size = size.unwrap_or(10);
    if number == 0 {
        return Err(malformed("PageNumber", &number.to_string(), "a number ≥ 1"));
    }
    if size == 0 || size > max {
        return Err(malformed(
            "PageSize",
            &size.to_string(),
            &format!("1 to {max}"),
        ));
    }
    let total = items.len() as u64;
    let skip = (number as usize - 1).saturating_mul(size as usize);
    Ok((
        items.into_iter().skip(skip).take(size as usize).collect(),
        number,
        size,
        total,
    ))
}

/// One page of `items` for `NextToken`/`MaxResults`: the token is the offset of the next page,
/// opaque to callers. Returns the page and the next token (none on the last page).
pub fn token_page_of<T>(
    items: Vec<T>,
    token: Option<&str>,
    size: Option<u32>,
    max: u32,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    // ECS documents that a MaxResults above the maximum means the maximum: clamped, not
    // refused. (Some actions also read a size below 10 as 10; their callers raise it.)
    let size = size.unwrap_or(10).clamp(1, max);
    let start: usize = match token.filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => t
            .strip_prefix("nf-")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| {
                ApiError::new(
                    400,
                    "InvalidNextToken",
                    format!("The NextToken {t:?} is not valid."),
                )
            })?,
    };
    let len = items.len();
    let end = start.saturating_add(size as usize).min(len);
    let next = (end < len).then(|| format!("nf-{end}"));
    Ok((
        items.into_iter().skip(start).take(size as usize).collect(),
        next,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    request! {
        /// A request exercising every parameter shape.
        Probe => Ecs, Ack {
            id: String = "Id",
            count: Option<u32> = "Count",
            flag: Option<bool> = "Flag",
            ips: Vec<String> = "Ip",
            tags: Tags = "Tag",
            json: JsonList = "Ids",
            csv: CommaList = "Csv",
            filter: Filters = "Filter",
        }
    }

    fn full() -> Probe {
        Probe {
            id: "x".into(),
            count: Some(3),
            flag: Some(true),
            ips: (1..=11).map(|i| format!("10.0.0.{i}")).collect(),
            tags: Tags(
                [
                    ("a".to_string(), "1".to_string()),
                    ("b".to_string(), String::new()),
                ]
                .into(),
            ),
            json: JsonList(vec!["i-1".into(), "i-2".into()]),
            csv: CommaList(vec!["eip-1".into(), "eip-2".into()]),
            filter: Filters(vec![
                ("HaVipId".into(), vec!["havip-1".into(), "havip-2".into()]),
                ("Status".into(), vec!["Available".into()]),
            ]),
        }
    }

    #[test]
    fn every_shape_round_trips_and_lists_keep_their_order_past_nine() {
        let p = full().to_params();
        assert_eq!(p["Ip.10"], "10.0.0.10");
        assert_eq!(p["Tag.2.Key"], "b");
        assert_eq!(p["Ids"], r#"["i-1","i-2"]"#);
        assert_eq!(p["Csv"], "eip-1,eip-2");
        assert_eq!(p["Filter.1.Value.2"], "havip-2");
        assert!(full().filter.allows("HaVipId", "havip-2"));
        assert!(!full().filter.allows("Status", "InUse"));
        assert!(full().filter.allows("VpcId", "anything"));
        assert_eq!(Probe::from_params(&p), Ok(full()));
    }

    #[test]
    fn booleans_are_read_case_blind_and_bad_values_are_refused() {
        let mut p = full().to_params();
        p.insert("Flag".into(), "True".into());
        assert_eq!(Probe::from_params(&p).map(|r| r.flag), Ok(Some(true)));
        p.insert("Flag".into(), "yes".into());
        assert_eq!(
            Probe::from_params(&p).map_err(|e| e.code),
            Err("InvalidParameter".to_string())
        );
        p.insert("Flag".into(), "FALSE".into());
        p.insert("Count".into(), "-1".into());
        assert_eq!(
            Probe::from_params(&p).map_err(|e| e.code),
            Err("InvalidParameter".to_string())
        );
    }

    #[test]
    fn unknown_and_missing_parameters_are_refused_region_is_taken() {
        let mut p = full().to_params();
        p.insert("RegionId".into(), "cn-hangzhou".into());
        assert!(Probe::from_params(&p).is_ok());
        p.insert("ClientToken".into(), "t".into());
        let e = Probe::from_params(&p).unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        assert!(
            e.message
                .contains("ClientToken is not a parameter of Probe"),
            "{}",
            e.message
        );
        p.remove("ClientToken");
        p.remove("Id");
        assert_eq!(
            Probe::from_params(&p).map_err(|e| e.code),
            Err("MissingParameter".to_string())
        );
    }

    #[test]
    fn pages_cut_as_documented() {
        let items: Vec<u32> = (0..25).collect();
        let (page, n, size, total) = page_of(items.clone(), None, None, 100).unwrap();
        assert_eq!((page.len(), n, size, total), (10, 1, 10, 25));
        let (page, ..) = page_of(items.clone(), Some(3), Some(10), 100).unwrap();
        assert_eq!(page, vec![20, 21, 22, 23, 24]);
        assert!(page_of(items.clone(), Some(1), Some(101), 100).is_err());
        let (first, next) = token_page_of(items.clone(), None, Some(20), 100).unwrap();
        assert_eq!((first.len(), next.as_deref()), (20, Some("nf-20")));
        let (rest, next) = token_page_of(items.clone(), Some("nf-20"), Some(20), 100).unwrap();
        assert_eq!((rest.len(), next), (5, None));
        let (page, _) = token_page_of(items.clone(), None, Some(1), 100).unwrap();
        assert_eq!(page.len(), 1);
        let (page, _) = token_page_of(items.clone(), None, Some(1000), 20).unwrap();
        assert_eq!(page.len(), 20, "above the maximum means the maximum");
        assert_eq!(
            token_page_of(items, Some("garbage"), None, 100)
                .unwrap_err()
                .code,
            "InvalidNextToken"
        );
    }
}
