//! Alibaba Cloud request signatures, as pure functions over already-parsed requests.
//!
//! Two schemes: V3 (`ACS3-HMAC-SHA256`, an `Authorization` header over a canonical request) and
//! V1 (HMAC-SHA1 over the sorted query, carried as the `Signature` parameter). The client signs
//! with them and `sim serve` verifies with them, so a signing bug shows up as a failed round trip
//! in the tests, and the published vectors pin both to what Alibaba computes.

use std::collections::BTreeMap;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::provider::Params;

/// The V3 algorithm name, first word of the `Authorization` header and of the string to sign.
pub const V3_ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Headers a V3 request must sign: without any one of them a captured request could be replayed
/// (nonce, date), redirected (host) or turned into another call (action, version, body).
pub const V3_REQUIRED_SIGNED: [&str; 6] = [
    "host",
    "x-acs-action",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-version",
];

/// Why a received signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The request does not carry a signature in a shape we can check.
    #[error("{0}")]
    Malformed(String),
    /// Well formed, but not what the secret gives. Carries the server's string to sign, as
    /// Alibaba's own error message does, so a client author can diff it against theirs.
    #[error("the signature does not match; the server's string to sign is {string_to_sign:?}")]
    Mismatch { string_to_sign: String },
}

/// RFC 3986 percent-encoding as Alibaba specifies it: only `A-Z a-z 0-9 - _ . ~` stay as they
/// are, everything else is `%XX` (upper-case) of its UTF-8 bytes, so a space is `%20`, never `+`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space). `None` for a
/// broken escape or bytes that are not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Parses a query string or form body into parameters. A repeated name keeps its last value.
pub fn parse_query(s: &str) -> Option<Params> {
    let mut out = Params::new();
    for pair in s.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(percent_decode(k)?, percent_decode(v)?);
    }
    Some(out)
}

/// Parameters sorted by name and joined as `k=v&…`, both sides percent-encoded. This is both
/// the canonical query of either scheme and what the client puts on the wire, so the server
/// re-deriving it from the parsed parameters gets the same bytes.
pub fn canonical_query(params: &Params) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn hmac_sha256(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so this cannot fail.
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

fn hmac_sha1(key: &[u8]) -> Hmac<Sha1> {
    <Hmac<Sha1> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

// ---------------------------------------------------------------------------------------------
// V1

/// `METHOD&%2F&` + the percent-encoded canonical query. `params` must not contain `Signature`.
pub fn v1_string_to_sign(method: &str, params: &Params) -> String {
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode("/"),
        percent_encode(&canonical_query(params))
    )
}

/// Base64 HMAC-SHA1 of the string to sign, keyed with the secret followed by `&`.
pub fn v1_signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac = hmac_sha1(format!("{secret}&").as_bytes());
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks a received V1 request: `params` are all of its parameters, `Signature` included.
pub fn v1_verify(method: &str, params: &Params, secret: &str) -> Result<(), VerifyError> {
    let given = params
        .get("Signature")
        .ok_or_else(|| VerifyError::Malformed("the Signature parameter is missing".into()))?;
    let given = base64::engine::general_purpose::STANDARD
        .decode(given)
        .map_err(|_| VerifyError::Malformed("the Signature parameter is not base64".into()))?;
    let mut unsigned = params.clone();
    unsigned.remove("Signature");
    let string_to_sign = v1_string_to_sign(method, &unsigned);
    let mut mac = hmac_sha1(format!("{secret}&").as_bytes());
    mac.update(string_to_sign.as_bytes());
    // verify_slice compares in constant time: no timing oracle on the signature.
    mac.verify_slice(&given)
        .map_err(|_| VerifyError::Mismatch { string_to_sign })
}

// ---------------------------------------------------------------------------------------------
// V3

/// The headers V3 signs out of `headers` (names lower-case): `host`, `content-type` and every
/// `x-acs-*`, sorted — what Alibaba's SDKs sign.
pub fn v3_signed_header_names(headers: &BTreeMap<String, String>) -> Vec<String> {
    headers
        .keys()
        .filter(|k| k.as_str() == "host" || k.as_str() == "content-type" || k.starts_with("x-acs-"))
        .cloned()
        .collect()
}

/// The canonical request: method, path, canonical query, one `name:value` line per signed
/// header, an empty line, the signed names joined by `;`, and the hex SHA-256 of the body.
/// `headers` have lower-case names; `signed` is sorted. `None` when a signed header is absent.
pub fn v3_canonical_request(
    method: &str,
    path: &str,
    query: &Params,
    headers: &BTreeMap<String, String>,
    signed: &[String],
    payload_sha256: &str,
) -> Option<String> {
    let mut lines = String::new();
    for name in signed {
        let value = headers.get(name)?;
        lines.push_str(&format!("{name}:{}\n", value.trim()));
    }
    Some(format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        method.to_ascii_uppercase(),
        if path.is_empty() { "/" } else { path },
        canonical_query(query),
        lines,
        signed.join(";"),
        payload_sha256
    ))
}

pub fn v3_string_to_sign(canonical_request: &str) -> String {
    format!(
        "{V3_ALGORITHM}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// Hex HMAC-SHA256 of the string to sign, keyed with the secret as is.
pub fn v3_signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac = hmac_sha256(secret.as_bytes());
    mac.update(string_to_sign.as_bytes());
    hex(&mac.finalize().into_bytes())
}

pub fn v3_authorization(access_key_id: &str, signed: &[String], signature: &str) -> String {
    format!(
        "{V3_ALGORITHM} Credential={access_key_id},SignedHeaders={},Signature={signature}",
        signed.join(";")
    )
}

/// A parsed V3 `Authorization` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

pub fn parse_authorization(value: &str) -> Result<Authorization, VerifyError> {
    let bad = |what: &str| VerifyError::Malformed(format!("the Authorization header {what}"));
    let rest = value
        .trim()
        .strip_prefix(V3_ALGORITHM)
        .ok_or_else(|| bad(&format!("does not start with {V3_ALGORITHM}")))?;
    let (mut cred, mut signed, mut sig) = (None, None, None);
    for part in rest.trim().split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| bad("has a part without `=`"))?;
        match k {
            "Credential" => cred = Some(v.to_string()),
            "SignedHeaders" => signed = Some(v.to_string()),
            "Signature" => sig = Some(v.to_string()),
            _ => return Err(bad(&format!("has an unknown part {k:?}"))),
        }
    }
    let (Some(access_key_id), Some(signed), Some(signature)) = (cred, signed, sig) else {
        return Err(bad("lacks Credential, SignedHeaders or Signature"));
    };
    Ok(Authorization {
        access_key_id,
        signed_headers: signed
            .split(';')
            .filter(|s| !s.is_empty())
            .map(str::to_ascii_lowercase)
            .collect(),
        signature,
    })
}

/// A received V3 request, as the server parsed it. Header names are lower-case.
pub struct ReceivedV3<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a Params,
    pub headers: &'a BTreeMap<String, String>,
    pub body: &'a [u8],
}

/// Checks a received V3 request against the secret of the key its `Authorization` names.
/// Besides the signature itself: the required headers must be among the signed ones, and the
/// declared body hash must be the body's, or an attacker could swap the form body.
pub fn v3_verify(
    req: &ReceivedV3<'_>,
    auth: &Authorization,
    secret: &str,
) -> Result<(), VerifyError> {
    for name in V3_REQUIRED_SIGNED {
        if !auth.signed_headers.iter().any(|s| s == name) {
            return Err(VerifyError::Malformed(format!(
                "the header {name} must be signed"
            )));
        }
    }
    let mut sorted = auth.signed_headers.clone();
    sorted.sort();
    sorted.dedup();
    if sorted != auth.signed_headers {
        return Err(VerifyError::Malformed(
            "SignedHeaders must be sorted and unique".into(),
        ));
    }
    let body_hash = sha256_hex(req.body);
    let declared = req.headers.get("x-acs-content-sha256");
    if declared.map(|d| d.trim()) != Some(body_hash.as_str()) {
        return Err(VerifyError::Malformed(
            "x-acs-content-sha256 is not the SHA-256 of the body".into(),
        ));
    }
    let canonical = v3_canonical_request(
        req.method,
        req.path,
        req.query,
        req.headers,
        &auth.signed_headers,
        &body_hash,
    )
    .ok_or_else(|| VerifyError::Malformed("a signed header is missing".into()))?;
    let string_to_sign = v3_string_to_sign(&canonical);
    let given = unhex(&auth.signature.to_ascii_lowercase())
        .ok_or_else(|| VerifyError::Malformed("the signature is not hex".into()))?;
    let mut mac = hmac_sha256(secret.as_bytes());
    mac.update(string_to_sign.as_bytes());
    mac.verify_slice(&given)
        .map_err(|_| VerifyError::Mismatch { string_to_sign })
}

// ---------------------------------------------------------------------------------------------
// Time, for x-acs-date / Timestamp and their freshness check (no date crate for two functions).

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the Unix epoch.
pub fn iso8601(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The inverse of [`iso8601`]; `None` for anything else (Alibaba requires UTC, `Z`).
pub fn parse_iso8601(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let t = days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss;
    u64::try_from(t).ok()
}

// Howard Hinnant's civil-calendar algorithms.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn v1_vector() -> Params {
        params(&[
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Version", "2014-05-26"),
        ])
    }

    #[test]
    fn percent_encoding_follows_alibaba() {
        assert_eq!(percent_encode("a b+c*d~e/f"), "a%20b%2Bc%2Ad~e%2Ff");
        assert_eq!(percent_encode("é"), "%C3%A9");
        assert_eq!(percent_decode("a%20b+c%2A").as_deref(), Some("a b c*"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
    }

    #[test]
    fn v1_published_vector() {
        let sts = v1_string_to_sign("GET", &v1_vector());
        assert!(sts.starts_with("GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions"));
        assert_eq!(
            v1_signature("testsecret", &sts),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    #[test]
    fn v1_verify_accepts_and_rejects() {
        let mut p = v1_vector();
        let sig = v1_signature("testsecret", &v1_string_to_sign("GET", &p));
        p.insert("Signature".into(), sig);
        assert_eq!(v1_verify("GET", &p, "testsecret"), Ok(()));
        assert!(matches!(
            v1_verify("GET", &p, "othersecret"),
            Err(VerifyError::Mismatch { .. })
        ));
        assert!(matches!(
            v1_verify("POST", &p, "testsecret"),
            Err(VerifyError::Mismatch { .. })
        ));
        let mut tampered = p.clone();
        tampered.insert("Action".into(), "DeleteEverything".into());
        assert!(matches!(
            v1_verify("GET", &tampered, "testsecret"),
            Err(VerifyError::Mismatch { .. })
        ));
        p.remove("Signature");
        assert!(matches!(
            v1_verify("GET", &p, "testsecret"),
            Err(VerifyError::Malformed(_))
        ));
    }

    fn v3_vector() -> (Params, BTreeMap<String, String>) {
        let query = params(&[
            (
                "ImageId",
                "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
            ),
            ("RegionId", "cn-shanghai"),
        ]);
        let headers: BTreeMap<String, String> = [
            ("host", "ecs.cn-shanghai.aliyuncs.com"),
            ("x-acs-action", "RunInstances"),
            ("x-acs-version", "2014-05-26"),
            ("x-acs-date", "2023-10-26T10:22:32Z"),
            ("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"),
            ("x-acs-content-sha256", &sha256_hex(b"")),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        (query, headers)
    }

    #[test]
    fn v3_published_vector() {
        let (query, headers) = v3_vector();
        let signed = v3_signed_header_names(&headers);
        assert_eq!(signed.join(";"), V3_REQUIRED_SIGNED.join(";"));
        let canonical =
            v3_canonical_request("POST", "/", &query, &headers, &signed, &sha256_hex(b""))
                .expect("all signed headers present");
        let sig = v3_signature("YourAccessKeySecret", &v3_string_to_sign(&canonical));
        assert_eq!(
            sig,
            "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        );
        let auth = v3_authorization("YourAccessKeyId", &signed, &sig);
        assert_eq!(
            auth,
            "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;\
             x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,\
             Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        );
        let parsed = parse_authorization(&auth).expect("parses");
        assert_eq!(parsed.access_key_id, "YourAccessKeyId");
        assert_eq!(parsed.signed_headers, signed);
    }

    #[test]
    fn v3_verify_accepts_and_rejects() {
        let (query, mut headers) = v3_vector();
        let signed = v3_signed_header_names(&headers);
        let canonical =
            v3_canonical_request("POST", "/", &query, &headers, &signed, &sha256_hex(b""))
                .expect("complete");
        let sig = v3_signature("YourAccessKeySecret", &v3_string_to_sign(&canonical));
        let auth = parse_authorization(&v3_authorization("YourAccessKeyId", &signed, &sig))
            .expect("parses");
        let check = |query: &Params, headers: &BTreeMap<String, String>, body: &[u8], secret| {
            v3_verify(
                &ReceivedV3 {
                    method: "POST",
                    path: "/",
                    query,
                    headers,
                    body,
                },
                &auth,
                secret,
            )
        };
        assert_eq!(check(&query, &headers, b"", "YourAccessKeySecret"), Ok(()));
        assert!(matches!(
            check(&query, &headers, b"", "wrong"),
            Err(VerifyError::Mismatch { .. })
        ));
        let mut q2 = query.clone();
        q2.insert("RegionId".into(), "cn-beijing".into());
        assert!(matches!(
            check(&q2, &headers, b"", "YourAccessKeySecret"),
            Err(VerifyError::Mismatch { .. })
        ));
        // A body swapped in without updating the declared hash.
        assert!(matches!(
            check(&query, &headers, b"RegionId=x", "YourAccessKeySecret"),
            Err(VerifyError::Malformed(_))
        ));
        headers.insert("x-acs-action".into(), "DeleteInstance".into());
        assert!(matches!(
            check(&query, &headers, b"", "YourAccessKeySecret"),
            Err(VerifyError::Mismatch { .. })
        ));
        // Leaving the nonce out of the signed set is refused outright.
        let weak = Authorization {
            signed_headers: signed
                .iter()
                .filter(|s| s.as_str() != "x-acs-signature-nonce")
                .cloned()
                .collect(),
            ..auth.clone()
        };
        assert!(matches!(
            v3_verify(
                &ReceivedV3 {
                    method: "POST",
                    path: "/",
                    query: &query,
                    headers: &headers,
                    body: b"",
                },
                &weak,
                "YourAccessKeySecret"
            ),
            Err(VerifyError::Malformed(_))
        ));
    }

    #[test]
    fn authorization_parsing_rejects_garbage() {
        assert!(parse_authorization("Bearer abc").is_err());
        assert!(parse_authorization("ACS3-HMAC-SHA256 Credential=a").is_err());
        assert!(parse_authorization("ACS3-HMAC-SHA256 Credential=a,Foo=b").is_err());
    }

    #[test]
    fn timestamps_round_trip() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(parse_iso8601("2023-10-26T10:22:32Z"), Some(1_698_315_752));
        assert_eq!(iso8601(1_698_315_752), "2023-10-26T10:22:32Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(parse_iso8601("2023-10-26 10:22:32Z"), None);
        assert_eq!(parse_iso8601("2023-13-26T10:22:32Z"), None);
        assert_eq!(parse_iso8601("+023-10-26T10:22:32Z"), None);
    }
}
