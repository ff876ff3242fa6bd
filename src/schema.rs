//! Resource and data-source schemas (resources.md): what a schema says of each attribute (its
//! type, whether it is required, computed or forces replacement, the deprecated
//! terraform-provider-alicloud name that maps onto it), the `const fn` builder each kind writes its
//! table with, and the registry of every type netform knows. The tables themselves live with their
//! kinds (`resources/<kind>/cloud.rs`, `resources/data.rs`). Checking a resource's attributes
//! against its schema happens here, so the same rules serve `validate`, `plan` and the property
//! tests.

use std::collections::BTreeMap;

use crate::config::Mode;
use crate::diag::{Diagnostic, SourceRange};
use crate::lang::Value;
use crate::lang::eval::suggest;
use crate::resources;

/// The attribute every managed resource has: the object's id in the cloud (for a pairing, its two
/// ids joined). A data source's value carries one too.
pub const ID: &str = "id";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrType {
    Str,
    Num,
    Bool,
    StrList,
    StrSet,
    StrMap,
    /// `bandwidth` takes "5" or 5; stored as a string.
    StrOrNum,
}

impl AttrType {
    fn describe(self) -> &'static str {
        match self {
            AttrType::Str => "a string",
            AttrType::Num => "a number",
            AttrType::Bool => "a bool",
            AttrType::StrList => "a list of strings",
            AttrType::StrSet => "a set of strings",
            AttrType::StrMap => "a map of strings",
            AttrType::StrOrNum => "a string or number",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Eni,
    Attachment,
    SecondaryIps,
    Eip,
    Association,
    DataInstances,
    DataSecurityGroups,
    DataNatGateways,
    DataHavips,
    DataSlbs,
    DataVswitches,
    DataInstanceTypes,
}

#[derive(Clone, Copy, Debug)]
pub struct AttrSchema {
    pub name: &'static str,
    pub ty: AttrType,
    pub required: bool,
    /// Settable by the user (false for output-only attributes such as `id`).
    pub settable: bool,
    pub computed: bool,
    pub force_new: bool,
    /// A deprecated name: the canonical attribute it stands for.
    pub alias_of: Option<&'static str>,
    pub conflicts: &'static [&'static str],
    /// Allowed values, when the set is closed.
    pub values: &'static [&'static str],
    /// Recognised but refused ("not supported yet"), never silently ignored.
    pub unsupported: bool,
    /// A format the value (or each element) must have.
    pub format: Option<Format>,
    /// For numbers: the whole numbers the API takes, inclusive.
    pub range: Option<(u32, u32)>,
    /// For sets and lists: the fewest elements the API takes.
    pub min_items: usize,
    /// Names the object to a reader: shown in a plan even when unchanged, as Terraform shows
    /// `id` and names.
    pub identifying: bool,
    /// What the cloud sets when the attribute is left out: known at plan time.
    pub default: Option<&'static str>,
    /// An output the plan may learn anew for an existing object (not kept from its prior state).
    pub live: bool,
    /// The object's cloud tags, among which netform's identity tags (`crate::identity`) are
    /// reserved.
    pub cloud_tags: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Ipv4,
    Ipv6,
}

pub(crate) const fn a(name: &'static str, ty: AttrType) -> AttrSchema {
    AttrSchema {
        name,
        ty,
        required: false,
        settable: true,
        computed: false,
        force_new: false,
        alias_of: None,
        conflicts: &[],
        values: &[],
        unsupported: false,
        identifying: false,
        default: None,
        live: false,
        cloud_tags: false,
        format: None,
        range: None,
        min_items: 0,
    }
}

impl AttrSchema {
    pub(crate) const fn req(mut self) -> Self {
        self.required = true;
        self
    }
    pub(crate) const fn computed(mut self) -> Self {
        self.computed = true;
        self
    }
    pub(crate) const fn identifying(mut self) -> Self {
        self.identifying = true;
        self
    }
    pub(crate) const fn default(mut self, v: &'static str) -> Self {
        self.default = Some(v);
        self
    }
    pub(crate) const fn live(mut self) -> Self {
        self.live = true;
        self
    }
    pub(crate) const fn cloud_tags(mut self) -> Self {
        self.cloud_tags = true;
        self
    }
    pub(crate) const fn out(mut self) -> Self {
        self.settable = false;
        self.computed = true;
        self
    }
    pub(crate) const fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }
    pub(crate) const fn alias(mut self, of: &'static str) -> Self {
        self.alias_of = Some(of);
        self
    }
    pub(crate) const fn conflicts(mut self, c: &'static [&'static str]) -> Self {
        self.conflicts = c;
        self
    }
    pub(crate) const fn values(mut self, v: &'static [&'static str]) -> Self {
        self.values = v;
        self
    }
    pub(crate) const fn ipv4(mut self) -> Self {
        self.format = Some(Format::Ipv4);
        self
    }
    pub(crate) const fn ipv6(mut self) -> Self {
        self.format = Some(Format::Ipv6);
        self
    }
    pub(crate) const fn unsupported(mut self) -> Self {
        self.unsupported = true;
        self
    }
    pub(crate) const fn range(mut self, lo: u32, hi: u32) -> Self {
        self.range = Some((lo, hi));
        self
    }
    /// A count of things: a whole number, never negative. The rules bound it from above.
    pub(crate) const fn count(self) -> Self {
        self.range(0, u32::MAX)
    }
    pub(crate) const fn min_items(mut self, n: usize) -> Self {
        self.min_items = n;
        self
    }
}

#[derive(Debug)]
pub struct ResourceSchema {
    pub name: &'static str,
    pub mode: Mode,
    pub kind: Kind,
    pub attrs: &'static [AttrSchema],
    /// Groups of which exactly one attribute must be set.
    pub exactly_one_of: &'static [&'static [&'static str]],
}

impl ResourceSchema {
    pub fn attr(&self, name: &str) -> Option<&AttrSchema> {
        self.attrs.iter().find(|a| a.name == name)
    }

    /// The canonical name of an attribute (deprecated aliases resolve to their replacement).
    pub fn canonical<'a>(&self, name: &'a str) -> &'a str {
        match self.attr(name).and_then(|a| a.alias_of) {
            Some(c) => c,
            None => name,
        }
    }

    /// Whether `name` names the object to a reader (see `AttrSchema::identifying`).
    pub fn identifies(&self, name: &str) -> bool {
        self.attr(name).is_some_and(|a| a.identifying)
    }

    pub fn settable_names(&self) -> impl Iterator<Item = &'static str> + Clone + '_ {
        self.attrs
            .iter()
            .filter(|a| a.settable && a.alias_of.is_none() && !a.unsupported)
            .map(|a| a.name)
    }
}

use AttrType::*;

pub static SCHEMAS: &[ResourceSchema] = &[
    ResourceSchema {
        name: "alicloud_ecs_network_interface",
        mode: Mode::Managed,
        kind: Kind::Eni,
        attrs: resources::eni::SCHEMA,
        exactly_one_of: &[],
    },
    ResourceSchema {
        name: "alicloud_ecs_network_interface_attachment",
        mode: Mode::Managed,
        kind: Kind::Attachment,
        attrs: resources::attachment::SCHEMA,
        exactly_one_of: &[],
    },
    ResourceSchema {
        name: "netform_secondary_private_ips",
        mode: Mode::Managed,
        kind: Kind::SecondaryIps,
        attrs: resources::secondary_ips::SCHEMA,
        exactly_one_of: resources::secondary_ips::EXACTLY_ONE_OF,
    },
    ResourceSchema {
        name: "alicloud_eip_address",
        mode: Mode::Managed,
        kind: Kind::Eip,
        attrs: resources::eip::SCHEMA,
        exactly_one_of: &[],
    },
    ResourceSchema {
        name: "alicloud_eip_association",
        mode: Mode::Managed,
        kind: Kind::Association,
        attrs: resources::association::SCHEMA,
        exactly_one_of: &[],
    },
    ResourceSchema {
        name: "alicloud_instances",
        mode: Mode::Data,
        kind: Kind::DataInstances,
        attrs: resources::data::instances::SCHEMA,
        exactly_one_of: &[],
    },
    ResourceSchema {
        name: "alicloud_security_groups",
        mode: Mode::Data,
        kind: Kind::DataSecurityGroups,
        attrs: resources::data::security_groups::SCHEMA,
        exactly_one_of: &[],
    },
    ResourceSchema {
        name: "alicloud_nat_gateways",
        mode: Mode::Data,
        kind: Kind::DataNatGateways,
        attrs: resources::data::nat_gateways::SCHEMA,
        exactly_one_of: &[],
    },
    ResourceSchema {
        name: "alicloud_havips",
        mode: Mode::Data,
        kind: Kind::DataHavips,
        attrs: resources::data::havips::SCHEMA,
        exactly_one_of: &[],
    },
    ResourceSchema {
        name: "alicloud_slb_load_balancers",
        mode: Mode::Data,
        kind: Kind::DataSlbs,
        attrs: resources::data::load_balancers::SCHEMA,
        exactly_one_of: &[],
    },
    ResourceSchema {
        name: "alicloud_vswitches",
        mode: Mode::Data,
        kind: Kind::DataVswitches,
        attrs: resources::data::vswitches::SCHEMA,
        exactly_one_of: &[],
    },
    ResourceSchema {
        name: "alicloud_instance_types",
        mode: Mode::Data,
        kind: Kind::DataInstanceTypes,
        attrs: resources::data::instance_types::SCHEMA,
        exactly_one_of: &[],
    },
];

/// Deprecated resource type names of terraform-provider-alicloud and what they became.
const TYPE_ALIASES: &[(&str, &str)] = &[
    (
        "alicloud_network_interface",
        "alicloud_ecs_network_interface",
    ),
    (
        "alicloud_network_interface_attachment",
        "alicloud_ecs_network_interface_attachment",
    ),
    ("alicloud_eip", "alicloud_eip_address"),
];

/// The schema for a type as written, and a deprecation note when it is an old alias.
pub fn lookup(mode: Mode, ty: &str) -> Option<(&'static ResourceSchema, Option<String>)> {
    if let Some(s) = SCHEMAS.iter().find(|s| s.mode == mode && s.name == ty) {
        return Some((s, None));
    }
    let (_, canonical) = TYPE_ALIASES.iter().find(|(old, _)| *old == ty)?;
    if mode != Mode::Managed {
        return None;
    }
    let s = SCHEMAS.iter().find(|s| s.name == *canonical)?;
    Some((
        s,
        Some(format!("use \"{canonical}\"; the old name still works")),
    ))
}

pub fn by_kind(kind: Kind) -> &'static ResourceSchema {
    SCHEMAS
        .iter()
        .find(|s| s.kind == kind)
        .unwrap_or(&SCHEMAS[0])
}

pub fn type_names(mode: Mode) -> Vec<&'static str> {
    SCHEMAS
        .iter()
        .filter(|s| s.mode == mode)
        .map(|s| s.name)
        .collect()
}

/// Checks evaluated attribute values against the schema and returns them under their canonical
/// names, converted to the schema's types. Unknown values pass the type check (they are checked
/// once known, at apply).
pub fn check(
    schema: &ResourceSchema,
    address: &str,
    values: Vec<(String, Value, SourceRange, SourceRange)>,
) -> (BTreeMap<String, Value>, Vec<Diagnostic>) {
    let mut out = BTreeMap::new();
    let mut diags = Vec::new();
    let mut given: BTreeMap<&str, SourceRange> = BTreeMap::new();
    for (name, value, key_range, value_range) in &values {
        let Some(attr) = schema.attr(name) else {
            let d = Diagnostic::error(format!("unknown attribute \"{name}\" in {address}"))
                .at(Some(key_range.clone()));
            diags.push(match suggest(name, schema.settable_names()) {
                Some(s) => d.with_help(format!("did you mean \"{s}\"?")),
                None => d,
            });
            continue;
        };
        if attr.unsupported {
            diags.push(
                Diagnostic::error(format!("\"{name}\" is not supported yet by netform"))
                    .at(Some(key_range.clone()))
                    .with_help("remove it; netform refuses it rather than ignore it silently"),
            );
            continue;
        }
        if !attr.settable {
            diags.push(
                Diagnostic::error(format!("\"{name}\" is computed and cannot be set"))
                    .at(Some(key_range.clone()))
                    .with_help("remove it; the cloud assigns it"),
            );
            continue;
        }
        let canonical = attr.alias_of.unwrap_or(attr.name);
        if let Some(c) = attr.alias_of {
            diags.push(
                Diagnostic::warning(format!("\"{name}\" is deprecated"))
                    .at(Some(key_range.clone()))
                    .with_help(format!("use \"{c}\"")),
            );
        }
        if given.contains_key(canonical) {
            diags.push(
                Diagnostic::error(format!(
                    "\"{name}\" and \"{canonical}\" set the same attribute"
                ))
                .at(Some(key_range.clone()))
                .with_help("keep one of them"),
            );
            continue;
        }
        let target = schema.attr(canonical).copied().unwrap_or(*attr);
        if value.is_null() {
            continue;
        }
        match convert(&target, value) {
            Ok(v) => {
                given.insert(canonical, key_range.clone());
                out.insert(canonical.to_string(), v);
            }
            Err(m) => diags.push(
                Diagnostic::error(format!("invalid value for \"{name}\" in {address}"))
                    .at(Some(value_range.clone()))
                    .with_label(m.clone())
                    .with_help(m),
            ),
        }
    }
    for attr in schema.attrs.iter().filter(|a| a.alias_of.is_none()) {
        if let Some(r) = given.get(attr.name) {
            for c in attr.conflicts {
                if given.contains_key(c) {
                    diags.push(
                        Diagnostic::error(format!("\"{}\" conflicts with \"{c}\"", attr.name))
                            .at(Some(r.clone()))
                            .with_help(format!(
                                "set one of them: \"{}\" lists the addresses, \"{c}\" asks for that many",
                                attr.name
                            )),
                    );
                }
            }
        }
    }
    let missing: Vec<&str> = schema
        .attrs
        .iter()
        .filter(|a| a.required && !given.contains_key(a.name))
        .map(|a| a.name)
        .collect();
    for m in missing {
        diags.push(
            Diagnostic::error(format!("missing required attribute \"{m}\" in {address}"))
                .with_help(format!("add {m} = …")),
        );
    }
    for group in schema.exactly_one_of {
        let n = group.iter().filter(|g| given.contains_key(**g)).count();
        if n != 1 {
            diags.push(
                Diagnostic::error(format!(
                    "{address} needs exactly one of {}",
                    group.join(", ")
                ))
                .with_help(format!("set one of {}", group.join(" or "))),
            );
        }
    }
    (out, diags)
}

fn convert(attr: &AttrSchema, v: &Value) -> Result<Value, String> {
    if v.is_unknown() {
        return Ok(v.clone());
    }
    let want = attr.ty.describe();
    let scalar_str = |x: &Value| -> Result<Value, String> {
        match x {
            Value::Unknown(_) => Ok(x.clone()),
            Value::String(_) | Value::Number(_) | Value::Bool(_) => x
                .coerce_string()
                .map(Value::String)
                .ok_or_else(|| format!("{want} is required")),
            other => Err(format!("{want} is required, not {}", other.type_name())),
        }
    };
    let converted = match attr.ty {
        Str | StrOrNum => scalar_str(v)?,
        Num => v
            .to_number()
            .map(Value::Number)
            .ok_or_else(|| format!("a number is required, not {}", v.type_name()))?,
        Bool => v
            .coerce_bool()
            .map(Value::Bool)
            .ok_or_else(|| format!("a bool is required, not {}", v.type_name()))?,
        StrList | StrSet => {
            let items = v
                .as_seq()
                .ok_or_else(|| format!("{want} is required, not {}", v.type_name()))?;
            let items = items
                .iter()
                .map(scalar_str)
                .collect::<Result<Vec<_>, _>>()?;
            if attr.ty == StrSet && items.iter().all(Value::is_wholly_known) {
                Value::set(items)
            } else if attr.ty == StrSet {
                Value::Set(items)
            } else {
                Value::List(items)
            }
        }
        StrMap => {
            let m = v
                .as_map()
                .ok_or_else(|| format!("{want} is required, not {}", v.type_name()))?;
            // netform's identity tags (`crate::identity`) are its own: a configured one would
            // fight them, and they never show in the tags netform diffs.
            if attr.cloud_tags
                && let Some(k) = m.keys().find(|k| crate::identity::is_own(k))
            {
                return Err(format!(
                    "the tag key \"{k}\" is reserved: netform tags every ENI and EIP it creates with {} and {} to find them again after a crash",
                    crate::identity::ADDRESS,
                    crate::identity::LINEAGE
                ));
            }
            Value::Map(
                m.iter()
                    .map(|(k, x)| Ok((k.clone(), scalar_str(x)?)))
                    .collect::<Result<_, String>>()?,
            )
        }
    };
    if let Some(f) = attr.format {
        let items: Vec<&Value> = match &converted {
            Value::List(v) | Value::Set(v) => v.iter().collect(),
            other => vec![other],
        };
        for it in items {
            let Value::String(s) = it else { continue };
            let ok = match f {
                Format::Ipv4 => s.parse::<std::net::Ipv4Addr>().is_ok(),
                Format::Ipv6 => s.parse::<std::net::Ipv6Addr>().is_ok(),
            };
            if !ok {
                return Err(format!(
                    "\"{s}\" is not an {} address",
                    if f == Format::Ipv4 { "IPv4" } else { "IPv6" }
                ));
            }
        }
        // A set drops repeats silently; an address written twice is a mistake worth naming
        // (rule ip-unique: not twice in one request).
        if let Some(seq) = v.as_seq() {
            let mut seen = std::collections::BTreeSet::new();
            for x in seq {
                if let Value::String(s) = x
                    && !seen.insert(s.as_str())
                {
                    return Err(format!("\"{s}\" is listed twice"));
                }
            }
        }
    }
    check_bounds(attr, &converted)?;
    if !attr.values.is_empty()
        && let Value::String(s) = &converted
        && !attr.values.contains(&s.as_str())
    {
        let mut m = format!("\"{s}\" is not one of {}", attr.values.join(", "));
        if let Some(close) = suggest(s, attr.values.iter().copied()) {
            m = format!("{m}; did you mean \"{close}\"?");
        }
        return Err(m);
    }
    Ok(converted)
}

/// The API's bounds: whole numbers in range, and enough elements in a set.
fn check_bounds(attr: &AttrSchema, v: &Value) -> Result<(), String> {
    if let (Some((lo, hi)), Value::Number(n)) = (attr.range, v) {
        let whole = n.to_i64().unwrap_or(-1);
        if whole < i64::from(lo) || whole > i64::from(hi) {
            let span = if hi == u32::MAX {
                format!("a whole number ≥ {lo}")
            } else {
                format!("a whole number from {lo} to {hi}")
            };
            return Err(format!("{n} is out of range: {span} is required"));
        }
    }
    if attr.min_items > 0
        && let Some(items) = v.as_seq()
        && items.len() < attr.min_items
    {
        return Err(format!(
            "at least {} element{} required, not {}",
            attr.min_items,
            if attr.min_items == 1 { " is" } else { "s are" },
            items.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_whole_and_not_negative_groups_not_empty_queues_bounded() {
        let eni = |name: &str, v: Value| {
            run(
                "alicloud_ecs_network_interface",
                &[("vswitch_id", Value::string("vsw-1")), (name, v)],
            )
            .1
        };
        let bad = |d: &[Diagnostic]| d.iter().any(|d| d.is_error());
        assert!(bad(&eni(
            "secondary_private_ip_address_count",
            Value::from(-1i64)
        )));
        assert!(bad(&eni(
            "secondary_private_ip_address_count",
            Value::from_f64(1.5)
        )));
        assert!(!bad(&eni(
            "secondary_private_ip_address_count",
            Value::from(0i64)
        )));
        assert!(bad(&eni("ipv6_address_count", Value::from(-3i64))));
        assert!(bad(&eni("security_group_ids", Value::List(vec![]))));
        assert!(!bad(&eni(
            "security_group_ids",
            Value::List(vec![Value::string("sg-1")])
        )));
        let tags =
            |k: &str| Value::Map([(k.to_string(), Value::string("x"))].into_iter().collect());
        assert!(bad(&eni("tags", tags("netform:address"))));
        assert!(!bad(&eni("tags", tags("netform-team"))));
        let eip_tags = run("alicloud_eip_address", &[("tags", tags("netform:address"))]).1;
        assert!(bad(&eip_tags), "an EIP's identity tags are reserved too");
        assert!(bad(&eni("queue_number", Value::from(0i64))));
        assert!(bad(&eni("queue_number", Value::from(2049i64))));
        assert!(!bad(&eni("queue_number", Value::from(2048i64))));
        let d = run(
            "netform_secondary_private_ips",
            &[("private_ip_address_count", Value::from(-1i64))],
        )
        .1;
        assert!(
            d.iter()
                .any(|d| d.help.as_deref().unwrap_or("").contains("whole number ≥ 0")),
            "{d:?}"
        );
    }

    fn r() -> SourceRange {
        SourceRange {
            file: 0,
            start: 0,
            end: 1,
        }
    }

    fn run(ty: &str, vals: &[(&str, Value)]) -> (BTreeMap<String, Value>, Vec<Diagnostic>) {
        let (s, _) = lookup(Mode::Managed, ty).expect("schema");
        check(
            s,
            "x.y",
            vals.iter()
                .map(|(n, v)| (n.to_string(), v.clone(), r(), r()))
                .collect(),
        )
    }

    #[test]
    fn aliases_map_to_canonical_names_with_a_warning() {
        let (out, d) = run(
            "alicloud_network_interface",
            &[
                ("vswitch_id", Value::string("vsw-1")),
                ("private_ips_count", Value::from(2i64)),
            ],
        );
        assert_eq!(
            out.get("secondary_private_ip_address_count"),
            Some(&Value::from(2i64))
        );
        assert_eq!(d.len(), 1);
        assert!(!d[0].is_error());
    }

    #[test]
    fn conflicts_missing_and_values_are_errors() {
        let (_, d) = run(
            "alicloud_ecs_network_interface",
            &[
                (
                    "private_ip_addresses",
                    Value::List(vec![Value::string("10.0.0.5")]),
                ),
                ("secondary_private_ip_address_count", Value::from(1i64)),
            ],
        );
        let msgs: Vec<&str> = d.iter().map(|d| d.summary.as_str()).collect();
        assert!(
            msgs.iter().any(|m| m.contains("conflicts with")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains("missing required attribute \"vswitch_id\""))
        );
        let (_, d) = run("alicloud_eip_address", &[("isp", Value::string("BPG"))]);
        assert!(
            d[0].help
                .as_deref()
                .unwrap_or("")
                .contains("did you mean \"BGP\""),
            "{d:?}"
        );
    }

    #[test]
    fn sets_are_normalised_and_types_converted() {
        let (out, d) = run(
            "alicloud_eip_address",
            &[
                ("bandwidth", Value::from(5i64)),
                ("tags", Value::Map(Default::default())),
            ],
        );
        assert!(d.is_empty());
        assert_eq!(out.get("bandwidth"), Some(&Value::string("5")));
        let (_, d) = run(
            "alicloud_ecs_network_interface_attachment",
            &[("network_interface_id", Value::List(vec![]))],
        );
        assert!(d.iter().any(|d| d.summary.contains("invalid value")));
    }
}
