//! netform's own tags: every ENI and EIP netform creates carries them (as Terway tags the ENIs it
//! creates), tying the object to the resource address it was made for and to the lineage of the
//! state that records it. They are how a run finds what a crashed run created before it could
//! record it (`apply::reconcile`), and how the crash campaign tells a duplicate from a legitimate
//! second object.
//!
//! They are netform's, not the user's: `plan::attrs` leaves them out of the `tags` attribute, so
//! they never show in a plan, a diff or state's user tags, and a tag update never removes them.
//! Alibaba's tag rules: a key or value is at most 128 characters, a key may not start with
//! `aliyun` or `acs:`, and neither may contain `http://` or `https://`; both keys below comply,
//! and a value that would not is replaced by a digest of it.

use std::collections::BTreeMap;

use crate::address::Address;

/// The prefix of netform's own tag keys.
pub const PREFIX: &str = "netform:";
/// The resource address the object was created for.
pub const ADDRESS: &str = "netform:address";
/// The lineage of the state that records the object.
pub const LINEAGE: &str = "netform:lineage";

/// Longest tag value Alibaba accepts.
const MAX_VALUE: usize = 128;

/// Whether a tag key is one of netform's own.
pub fn is_own(key: &str) -> bool {
    key.starts_with(PREFIX)
}

/// A tag value Alibaba accepts for `text`: the text itself when it may be one, else a digest
/// (stable, so lookups compute the same value).
fn value(text: &str) -> String {
    let fits = text.chars().count() <= MAX_VALUE
        && !text.contains("http://")
        && !text.contains("https://")
        && !text.starts_with("aliyun")
        && !text.starts_with("acs:");
    if fits {
        return text.to_string();
    }
    use sha2::Digest;
    let h = sha2::Sha256::digest(text.as_bytes());
    let hex: String = h.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The tags an object created for `address` in the state of `lineage` carries.
pub fn tags(lineage: &str, address: &Address) -> BTreeMap<String, String> {
    BTreeMap::from([
        (ADDRESS.to_string(), value(&address.to_string())),
        (LINEAGE.to_string(), value(lineage)),
    ])
}

/// Whether an object's tags say it was created for `address` in the state of `lineage`.
pub fn matches(have: &BTreeMap<String, String>, lineage: &str, address: &Address) -> bool {
    tags(lineage, address)
        .iter()
        .all(|(k, v)| have.get(k) == Some(v))
}

/// `tags` without netform's own.
pub fn user_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(k, _)| !is_own(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::InstanceKey;

    #[test]
    fn values_follow_alibabas_tag_rules() {
        let a = Address::managed(
            "alicloud_ecs_network_interface",
            "svc",
            InstanceKey::Str("frontend".into()),
        );
        let t = tags("l-1", &a);
        assert_eq!(
            t[ADDRESS],
            "alicloud_ecs_network_interface.svc[\"frontend\"]"
        );
        assert_eq!(t[LINEAGE], "l-1");
        assert!(matches(&t, "l-1", &a));
        assert!(!matches(&t, "l-2", &a));
        let long = Address::managed(
            "alicloud_eip_address",
            "e",
            InstanceKey::Str(format!("https://{}", "x".repeat(200))),
        );
        let v = &tags("l", &long)[ADDRESS];
        assert!(v.starts_with("sha256:") && v.len() <= MAX_VALUE, "{v}");
        assert!(matches(&tags("l", &long), "l", &long));
        for k in [ADDRESS, LINEAGE] {
            assert!(!k.starts_with("aliyun") && !k.starts_with("acs:") && k.len() <= 128);
        }
    }

    #[test]
    fn user_tags_leave_out_netforms_own() {
        let mut t = tags(
            "l",
            &Address::managed("alicloud_eip_address", "e", InstanceKey::None),
        );
        t.insert("team".into(), "net".into());
        assert_eq!(
            user_tags(&t),
            BTreeMap::from([("team".to_string(), "net".to_string())])
        );
    }
}
