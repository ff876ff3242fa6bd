//! The real Alibaba Cloud: a [`Transport`] that makes signed RPC calls over HTTPS.
//!
//! Each action goes to its product's endpoint (ECS, VPC or SLB in the configured region, with the
//! host Alibaba's endpoint data names: [`regional_host`]) with that product's API version, signed
//! with V3 (`ACS3-HMAC-SHA256`) by default or V1 (HMAC-SHA1). An endpoint override sends every
//! product to one base URL instead, which is how the tests and `sim serve` users point the client
//! at the simulator; a per-product override ([`HttpTransport::with_product_endpoint`]) wins over it. Retries are not done here: the caller
//! (`api::Client::send`) repeats a call with identical parameters, and every attempt gets a fresh
//! nonce and timestamp from [`HttpTransport::call`]. Client-side rate limits per action
//! ([`rate`]) pace the calls before they are sent.

pub mod hosts;
pub mod rate;
pub mod sign;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value as J;
use sha2::Digest;

use crate::provider::{ApiError, Params, Product, Transport};

pub const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
pub const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
pub const ENV_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";
pub const ENV_ENDPOINT: &str = "NETFORM_ALICLOUD_ENDPOINT";

/// An AccessKey pair, optionally with an STS token. `Debug` is written by hand so that no
/// secret reaches a log, an error or a panic message.
#[derive(Clone)]
pub struct Credentials {
    access_key_id: String,
    access_key_secret: String,
    security_token: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    #[error(
        "no Alibaba Cloud credentials: {} {} not set. Export {ENV_ACCESS_KEY_ID} and \
         {ENV_ACCESS_KEY_SECRET} (plus {ENV_SECURITY_TOKEN} for STS credentials) with an \
         AccessKey pair from the RAM console, or run against the simulator instead",
        .0.join(" and "),
        if .0.len() == 1 { "is" } else { "are" }
    )]
    Missing(Vec<&'static str>),
}

impl Credentials {
    pub fn new(
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<String>,
        security_token: Option<String>,
    ) -> Credentials {
        Credentials {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            security_token: security_token.filter(|t| !t.is_empty()),
        }
    }

    /// Reads `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET` and, if set,
    /// `ALIBABA_CLOUD_SECURITY_TOKEN`. Fails, naming what is missing, before any call is made.
    pub fn from_env() -> Result<Credentials, CredentialsError> {
        Credentials::from_lookup(|k| std::env::var(k).ok())
    }

    /// [`Credentials::from_env`] over any variable lookup (tests cannot safely set variables).
    pub fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Credentials, CredentialsError> {
        let val = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let id = val(ENV_ACCESS_KEY_ID);
        let secret = val(ENV_ACCESS_KEY_SECRET);
        let mut missing = Vec::new();
        if id.is_none() {
            missing.push(ENV_ACCESS_KEY_ID);
        }
        if secret.is_none() {
            missing.push(ENV_ACCESS_KEY_SECRET);
        }
        match (id, secret) {
            (Some(id), Some(secret)) => Ok(Credentials::new(id, secret, val(ENV_SECURITY_TOKEN))),
            _ => Err(CredentialsError::Missing(missing)),
        }
    }

    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Even the key id is cut to a prefix: enough to tell two keys apart in a bug report,
        // not enough to be half of a leaked pair.
        let prefix: String = self.access_key_id.chars().take(4).collect();
        f.debug_struct("Credentials")
            .field("access_key_id", &format_args!("{prefix}…"))
            .field("access_key_secret", &format_args!("<redacted>"))
            .field(
                "security_token",
                &format_args!(
                    "{}",
                    if self.security_token.is_some() {
                        "<redacted>"
                    } else {
                        "None"
                    }
                ),
            )
            .finish()
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SignatureVersion {
    #[default]
    V3,
    V1,
}

impl std::str::FromStr for SignatureVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "v3" | "3" | "acs3-hmac-sha256" => Ok(SignatureVersion::V3),
            "v1" | "1" | "1.0" | "hmac-sha1" => Ok(SignatureVersion::V1),
            _ => Err(format!(
                "unknown signature version {s:?}; expected \"v3\" or \"v1\""
            )),
        }
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("the endpoint {given:?} is not usable: {why}")]
pub struct EndpointError {
    given: String,
    why: &'static str,
}

/// Why an [`HttpTransport`] cannot be built.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    #[error(transparent)]
    RateLimits(#[from] rate::RateLimitsError),
}

/// A base URL split into what the request line and the signed `host` header need.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Base {
    scheme: &'static str,
    authority: String,
}

impl Base {
    /// `https://host[:port]`, `http://host[:port]`, or a bare `host[:port]` (HTTPS).
    fn parse(s: &str) -> Result<Base, EndpointError> {
        let err = |why| EndpointError {
            given: s.to_string(),
            why,
        };
        let t = s.trim();
        let (scheme, rest) = if let Some(r) = t.strip_prefix("https://") {
            ("https", r)
        } else if let Some(r) = t.strip_prefix("http://") {
            ("http", r)
        } else if t.contains("://") {
            return Err(err("only http:// and https:// are supported"));
        } else {
            ("https", t)
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.is_empty() || rest.starts_with(':') {
            return Err(err("it has no host"));
        }
        // RPC calls all go to `/`; a path or query here would be silently dropped or break the
        // signature, so refuse it.
        if rest.contains(['/', '?', '#', '@']) || rest.chars().any(char::is_whitespace) {
            return Err(err(
                "give only scheme://host[:port], without a path or user",
            ));
        }
        Ok(Base {
            scheme,
            authority: rest.to_string(),
        })
    }

    fn url(&self, query: &str) -> String {
        format!("{}://{}/?{query}", self.scheme, self.authority)
    }
}

/// The host a product's calls go to in a region when no endpoint is configured: Alibaba's
/// endpoint data where it names one ([`hosts::HOSTS`], generated from the official SDKs —
/// e.g. `vpc.aliyuncs.com` for cn-hangzhou), else `<product>.<region>.aliyuncs.com`.
pub fn regional_host(product: Product, region: &str) -> String {
    hosts::HOSTS
        .iter()
        .find(|(p, r, _)| *p == product && *r == region)
        .map(|(_, _, h)| h.to_string())
        .unwrap_or_else(|| format!("{}.{region}.aliyuncs.com", product.prefix()))
}

/// The endpoint override from `NETFORM_ALICLOUD_ENDPOINT`, if set and non-empty.
pub fn endpoint_from_env() -> Option<String> {
    std::env::var(ENV_ENDPOINT)
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// Signed RPC over HTTP(S) to Alibaba Cloud, or to anything that speaks its protocol.
pub struct HttpTransport {
    creds: Credentials,
    region: String,
    /// One base URL for every product (`endpoint`, `NETFORM_ALICLOUD_ENDPOINT`).
    base: Option<Base>,
    /// Per-product base URLs (`endpoints { vpc = … }`), which win over `base`.
    product_bases: BTreeMap<Product, Base>,
    version: SignatureVersion,
    agent: ureq::Agent,
    limiter: rate::RateLimiter,
    /// Endpoints that could not be reached, and when: calls to them fail at once for a while
    /// instead of each waiting out its own connect timeout (a run makes many calls, and an
    /// address that drops packets would otherwise cost seconds per call).
    down: std::sync::Mutex<BTreeMap<String, (std::time::Instant, String)>>,
}

/// How long an unreachable endpoint is not tried again.
const DOWN_FOR: Duration = Duration::from_secs(10);

impl fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTransport")
            .field("creds", &self.creds)
            .field("region", &self.region)
            .field("base", &self.base)
            .field("product_bases", &self.product_bases)
            .field("version", &self.version)
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}

/// Whole-call budget: generous for slow Describe pages, short enough that a hung connection
/// turns into an error the caller can act on.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Short: an endpoint that does not accept a connection within seconds is reported as
/// unreachable rather than waited on.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(4);

impl HttpTransport {
    /// `endpoint`: `None` for the product hosts of `region` ([`regional_host`]),
    /// or one base URL (`http://127.0.0.1:8080`, `https://host`) that every product goes to.
    /// Rate limits are the defaults adjusted by `NETFORM_ALICLOUD_RATE_LIMITS`.
    pub fn new(
        creds: Credentials,
        region: &str,
        endpoint: Option<String>,
        version: SignatureVersion,
    ) -> Result<HttpTransport, TransportError> {
        let base = endpoint
            .filter(|e| !e.trim().is_empty())
            .map(|e| Base::parse(&e))
            .transpose()?;
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(CALL_TIMEOUT))
            .timeout_connect(Some(CONNECT_TIMEOUT))
            // Error statuses carry Alibaba's error body; we read it rather than get an Err.
            .http_status_as_error(false)
            .user_agent(concat!("netform/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(HttpTransport {
            creds,
            region: region.to_string(),
            base,
            product_bases: BTreeMap::new(),
            version,
            agent: ureq::Agent::new_with_config(config),
            limiter: rate::RateLimiter::new(
                rate::RateLimits::from_env()?,
                Arc::new(rate::SystemClock::default()),
            ),
            down: Default::default(),
        })
    }

    /// Replaces the rate limits (and the clock they are measured with).
    pub fn with_rate_limiter(mut self, limiter: rate::RateLimiter) -> HttpTransport {
        self.limiter = limiter;
        self
    }

    /// Sends every call of `product` to `endpoint` (`http://host:port`, `https://host` or a bare
    /// host, as for [`HttpTransport::new`]), whatever the one endpoint for all products says.
    pub fn with_product_endpoint(
        mut self,
        product: Product,
        endpoint: &str,
    ) -> Result<HttpTransport, TransportError> {
        self.product_bases.insert(product, Base::parse(endpoint)?);
        Ok(self)
    }

    /// Where a product's calls go: its own endpoint, else the one for all products, else the
    /// region's host for the product.
    fn base_for(&self, product: Product) -> Base {
        self.product_bases
            .get(&product)
            .or(self.base.as_ref())
            .cloned()
            .unwrap_or_else(|| Base {
                scheme: "https",
                authority: regional_host(product, &self.region),
            })
    }

    fn send_v3(&self, base: &Base, product: Product, action: &str, params: &Params) -> Sent {
        let now = unix_now();
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        headers.insert("host".into(), base.authority.clone());
        headers.insert("x-acs-action".into(), action.to_string());
        headers.insert("x-acs-version".into(), product.version().to_string());
        headers.insert("x-acs-date".into(), sign::iso8601(now));
        headers.insert("x-acs-signature-nonce".into(), nonce());
        headers.insert("x-acs-content-sha256".into(), sign::sha256_hex(b""));
        if let Some(t) = &self.creds.security_token {
            headers.insert("x-acs-security-token".into(), t.clone());
        }
        let signed = sign::v3_signed_header_names(&headers);
        let payload = sign::sha256_hex(b"");
        // Every signed header was just inserted, so the canonical request always builds.
        let canonical =
            sign::v3_canonical_request("POST", "/", params, &headers, &signed, &payload)
                .unwrap_or_default();
        let signature = sign::v3_signature(
            &self.creds.access_key_secret,
            &sign::v3_string_to_sign(&canonical),
        );
        let mut req = self
            .agent
            .post(base.url(&sign::canonical_query(params)))
            .header("accept", "application/json");
        for (k, v) in &headers {
            req = req.header(k, v);
        }
        req = req.header(
            "authorization",
            sign::v3_authorization(&self.creds.access_key_id, &signed, &signature),
        );
        req.send_empty()
    }

    fn send_v1(&self, base: &Base, product: Product, action: &str, params: &Params) -> Sent {
        let mut p = params.clone();
        for (k, v) in [
            ("Action", action.to_string()),
            ("Version", product.version().to_string()),
            ("Format", "JSON".to_string()),
            ("AccessKeyId", self.creds.access_key_id.clone()),
            ("SignatureMethod", "HMAC-SHA1".to_string()),
            ("SignatureVersion", "1.0".to_string()),
            ("SignatureNonce", nonce()),
            ("Timestamp", sign::iso8601(unix_now())),
        ] {
            p.insert(k.to_string(), v);
        }
        if let Some(t) = &self.creds.security_token {
            p.insert("SecurityToken".into(), t.clone());
        }
        let signature = sign::v1_signature(
            &self.creds.access_key_secret,
            &sign::v1_string_to_sign("GET", &p),
        );
        p.insert("Signature".into(), signature);
        self.agent
            .get(base.url(&sign::canonical_query(&p)))
            .header("host", &base.authority)
            .header("accept", "application/json")
            .call()
    }
}

type Sent = Result<ureq::http::Response<ureq::Body>, ureq::Error>;

impl Transport for HttpTransport {
    fn call(&self, product: Product, action: &str, params: &Params) -> Result<J, ApiError> {
        let base = self.base_for(product);
        let down = self.down.lock().ok().and_then(|m| {
            m.get(&base.authority)
                .filter(|(at, _)| at.elapsed() < DOWN_FOR)
                .map(|(_, why)| why.clone())
        });
        if let Some(why) = down {
            return Err(ApiError::new(
                0,
                crate::provider::UNREACHABLE,
                format!(
                    "{action}: cannot reach {}://{}: {why} (a moment ago; not tried again)",
                    base.scheme, base.authority
                ),
            ));
        }
        self.limiter.acquire(action);
        let sent = match self.version {
            SignatureVersion::V3 => self.send_v3(&base, product, action, params),
            SignatureVersion::V1 => self.send_v1(&base, product, action, params),
        };
        let mut resp = match sent {
            Ok(r) => r,
            Err(e) => {
                let err = transport_error(action, &base, &e);
                if err.is_unreachable()
                    && let Ok(mut m) = self.down.lock()
                {
                    m.insert(
                        base.authority.clone(),
                        (std::time::Instant::now(), e.to_string()),
                    );
                }
                return Err(err);
            }
        };
        let status = resp.status().as_u16();
        let body = resp.body_mut().read_to_string().map_err(|e| {
            ApiError::new(
                status,
                "netform.BadResponse",
                format!("{action}: cannot read the answer: {e}"),
            )
        })?;
        interpret(action, status, &body)
    }
}

/// A request that got no HTTP answer: [`UNREACHABLE`](crate::provider::UNREACHABLE) when it
/// never reached the endpoint (nothing can have happened), otherwise
/// [`NO_ANSWER`](crate::provider::NO_ANSWER) (it was sent; the cloud may have acted).
fn transport_error(action: &str, base: &Base, e: &ureq::Error) -> ApiError {
    use std::io::ErrorKind;
    let never_sent = match e {
        ureq::Error::ConnectionFailed | ureq::Error::HostNotFound | ureq::Error::BadUri(_) => true,
        ureq::Error::Timeout(t) => matches!(t, ureq::Timeout::Connect | ureq::Timeout::Resolve),
        ureq::Error::Io(io) => matches!(
            io.kind(),
            ErrorKind::ConnectionRefused
                | ErrorKind::AddrNotAvailable
                | ErrorKind::NetworkUnreachable
                | ErrorKind::HostUnreachable
                | ErrorKind::NotFound
        ),
        _ => false,
    };
    let at = format!("{}://{}", base.scheme, base.authority);
    if never_sent {
        ApiError::new(
            0,
            crate::provider::UNREACHABLE,
            format!("{action}: cannot reach {at}: {e}"),
        )
    } else {
        ApiError::no_answer(format!("{action}: no answer from {at}: {e}"))
    }
}

/// Turns an HTTP answer into the call's result: a JSON document for 2xx, an [`ApiError`] built
/// from Alibaba's error body (`Code`, `Message`, `RequestId`, `Recommend`) otherwise.
fn interpret(action: &str, status: u16, body: &str) -> Result<J, ApiError> {
    let json: Option<J> = serde_json::from_str(body).ok();
    let field = |j: &J, k: &str| j.get(k).and_then(J::as_str).map(str::to_string);
    if (200..300).contains(&status) {
        return match json {
            Some(j) if j.is_object() => Ok(j),
            _ => Err(ApiError::new(
                status,
                "netform.BadResponse",
                format!(
                    "{action}: the answer is not a JSON object: {}",
                    snippet(body)
                ),
            )),
        };
    }
    match json.as_ref().and_then(|j| field(j, "Code").map(|c| (j, c))) {
        Some((j, code)) => Err(ApiError {
            code,
            message: field(j, "Message").unwrap_or_default(),
            request_id: field(j, "RequestId").unwrap_or_default(),
            status,
            recommend: field(j, "Recommend").filter(|r| !r.is_empty()),
        }),
        None => {
            // No Alibaba error body (a proxy or load balancer answered): classify by status so
            // the caller's retry policy still sees transient failures as transient.
            let code = match status {
                429 => "Throttling",
                500 => "InternalError",
                502..=504 => "ServiceUnavailable",
                _ => "netform.HttpError",
            };
            Err(ApiError::new(
                status,
                code,
                format!("{action}: HTTP {status}: {}", snippet(body)),
            ))
        }
    }
}

fn snippet(body: &str) -> String {
    const MAX: usize = 200;
    let t = body.trim();
    match t.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_string(),
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A nonce unique per request: a hash of the clock, the process id and a counter. It needs to
/// be unique, not secret (the signature covers it), so no random-number dependency.
fn nonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut h = sha2::Sha256::new();
    h.update(nanos.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.update(n.to_le_bytes());
    h.update(format!("{:?}", std::thread::current().id()).as_bytes());
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_from_lookup() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let c = Credentials::from_lookup(env(&[
            (ENV_ACCESS_KEY_ID, "LTAIexample"),
            (ENV_ACCESS_KEY_SECRET, "s3cr3t-value"),
        ]))
        .expect("complete");
        assert_eq!(c.access_key_id(), "LTAIexample");
        assert!(c.security_token.is_none());

        let e = Credentials::from_lookup(env(&[(ENV_ACCESS_KEY_ID, "LTAIexample")]))
            .expect_err("no secret");
        let msg = e.to_string();
        assert!(
            msg.contains(ENV_ACCESS_KEY_SECRET) && msg.contains(" is not set"),
            "{msg}"
        );
        let e = Credentials::from_lookup(env(&[(ENV_ACCESS_KEY_SECRET, "  ")])).expect_err("none");
        assert_eq!(
            e,
            CredentialsError::Missing(vec![ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET])
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credentials::new(
            "LTAIexampleid",
            "s3cr3t-value",
            Some("sts-token-value".into()),
        );
        let t = HttpTransport::new(c.clone(), "cn-hangzhou", None, SignatureVersion::V3)
            .expect("no endpoint");
        for shown in [format!("{c:?}"), format!("{t:?}"), format!("{t:#?}")] {
            assert!(!shown.contains("s3cr3t"), "{shown}");
            assert!(!shown.contains("sts-token"), "{shown}");
            assert!(!shown.contains("LTAIexampleid"), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
    }

    #[test]
    fn products_and_endpoints() {
        let c = Credentials::new("id", "secret", None);
        let t =
            HttpTransport::new(c.clone(), "cn-shanghai", None, SignatureVersion::V3).expect("ok");
        assert_eq!(
            t.base_for(Product::Vpc).authority,
            "vpc.cn-shanghai.aliyuncs.com"
        );
        assert_eq!(t.base_for(Product::Vpc).scheme, "https");
        let t = HttpTransport::new(
            c.clone(),
            "cn-shanghai",
            Some("http://127.0.0.1:9/".into()),
            SignatureVersion::V3,
        )
        .expect("ok");
        assert_eq!(
            t.base_for(Product::Slb).url("a=b"),
            "http://127.0.0.1:9/?a=b"
        );
        for bad in [
            "ftp://x",
            "http://",
            "http:///",
            ":80",
            "http://h/path",
            "https://u@h",
        ] {
            assert!(
                HttpTransport::new(c.clone(), "r", Some(bad.into()), SignatureVersion::V1).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn regional_hosts_follow_alibabas_endpoint_data() {
        // The documented entries: central VPC and SLB hosts, ECS's hangzhou host.
        for (product, region, host) in [
            (Product::Vpc, "cn-hangzhou", "vpc.aliyuncs.com"),
            (Product::Slb, "cn-hangzhou", "slb.aliyuncs.com"),
            (Product::Slb, "cn-beijing", "slb.aliyuncs.com"),
            (Product::Slb, "cn-shanghai", "slb.aliyuncs.com"),
            (Product::Slb, "ap-southeast-1", "slb.aliyuncs.com"),
            (Product::Slb, "us-east-1", "slb.aliyuncs.com"),
            (Product::Ecs, "cn-hangzhou", "ecs-cn-hangzhou.aliyuncs.com"),
            (
                Product::Vpc,
                "cn-zhangjiakou-na62-a01",
                "vpc.cn-zhangjiakou.aliyuncs.com",
            ),
            // Regions the data does not name keep the regional pattern.
            (Product::Ecs, "cn-beijing", "ecs.cn-beijing.aliyuncs.com"),
            (Product::Vpc, "cn-shanghai", "vpc.cn-shanghai.aliyuncs.com"),
            (
                Product::Slb,
                "eu-central-1",
                "slb.eu-central-1.aliyuncs.com",
            ),
            (
                Product::Ecs,
                "xx-nowhere-1",
                "ecs.xx-nowhere-1.aliyuncs.com",
            ),
        ] {
            assert_eq!(regional_host(product, region), host, "{product:?} {region}");
        }
        // The table holds only differences, once each, in order, and only Alibaba hosts.
        for w in hosts::HOSTS.windows(2) {
            assert!((w[0].0, w[0].1) < (w[1].0, w[1].1), "{w:?}");
        }
        for (p, r, h) in hosts::HOSTS {
            assert_ne!(*h, format!("{}.{r}.aliyuncs.com", p.prefix()));
            assert!(h.ends_with(".aliyuncs.com"), "{h}");
        }
        let c = Credentials::new("id", "secret", None);
        let t = HttpTransport::new(c, "cn-hangzhou", None, SignatureVersion::V3).expect("ok");
        assert_eq!(
            t.base_for(Product::Vpc).url(""),
            "https://vpc.aliyuncs.com/?"
        );
    }

    #[test]
    fn a_product_endpoint_wins_over_the_one_for_all_products() {
        let c = Credentials::new("id", "secret", None);
        let t = HttpTransport::new(
            c.clone(),
            "cn-shanghai",
            Some("http://127.0.0.1:9".into()),
            SignatureVersion::V3,
        )
        .and_then(|t| t.with_product_endpoint(Product::Vpc, "https://vpc.example.com/"))
        .expect("ok");
        assert_eq!(
            t.base_for(Product::Vpc).url("a=b"),
            "https://vpc.example.com/?a=b"
        );
        assert_eq!(
            t.base_for(Product::Ecs).url("a=b"),
            "http://127.0.0.1:9/?a=b"
        );
        assert_eq!(
            t.base_for(Product::Slb).url("a=b"),
            "http://127.0.0.1:9/?a=b"
        );
        // Without the one endpoint, the other products keep their regional hosts.
        let t = HttpTransport::new(c.clone(), "cn-shanghai", None, SignatureVersion::V3)
            .and_then(|t| t.with_product_endpoint(Product::Slb, "127.0.0.1:8"))
            .expect("ok");
        assert_eq!(t.base_for(Product::Slb).url(""), "https://127.0.0.1:8/?");
        assert_eq!(
            t.base_for(Product::Ecs).authority,
            "ecs.cn-shanghai.aliyuncs.com"
        );
        let bad = HttpTransport::new(c, "r", None, SignatureVersion::V3)
            .and_then(|t| t.with_product_endpoint(Product::Ecs, "ftp://x"));
        assert!(bad.is_err());
    }

    #[test]
    fn error_bodies_are_parsed() {
        let body = r#"{"RequestId":"R1","HostId":"ecs.aliyuncs.com","Code":"InvalidVSwitchId.NotFound","Message":"The VSwitch does not exist.","Recommend":"https://api.aliyun.com/troubleshoot?q=x"}"#;
        let e = interpret("CreateNetworkInterface", 404, body).expect_err("error");
        assert_eq!(e.code, "InvalidVSwitchId.NotFound");
        assert_eq!(e.message, "The VSwitch does not exist.");
        assert_eq!(e.request_id, "R1");
        assert_eq!(e.status, 404);
        assert_eq!(
            e.recommend.as_deref(),
            Some("https://api.aliyun.com/troubleshoot?q=x")
        );

        let e = interpret("X", 503, "<html>busy</html>").expect_err("error");
        assert_eq!(e.code, "ServiceUnavailable");
        assert!(e.is_retryable());
        let e = interpret("X", 200, "not json").expect_err("error");
        assert_eq!(e.code, "netform.BadResponse");
        assert_eq!(
            interpret("X", 200, r#"{"RequestId":"a"}"#).expect("ok")["RequestId"],
            "a"
        );
    }

    #[test]
    fn nonces_differ() {
        let a: std::collections::BTreeSet<String> = (0..1000).map(|_| nonce()).collect();
        assert_eq!(a.len(), 1000);
    }

    /// What a recording server saw of one request.
    struct Seen {
        params: Params,
        nonce: String,
        authorization: String,
    }

    /// Serves `answers` in order on a loopback port (one request each), recording every request.
    fn recording_server(
        answers: Vec<(u16, &'static str)>,
    ) -> (String, std::thread::JoinHandle<Vec<Seen>>) {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("bind loopback");
        let addr = server
            .server_addr()
            .to_ip()
            .expect("an IP listener")
            .to_string();
        let handle = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for (status, body) in answers {
                let Ok(req) = server.recv() else { break };
                let header = |n: &'static str| {
                    req.headers()
                        .iter()
                        .find(|h| h.field.equiv(n))
                        .map(|h| h.value.to_string())
                        .unwrap_or_default()
                };
                let query = req.url().split_once('?').map(|(_, q)| q).unwrap_or("");
                seen.push(Seen {
                    params: sign::parse_query(query).expect("a well-formed query"),
                    nonce: header("x-acs-signature-nonce"),
                    authorization: header("authorization"),
                });
                let _ =
                    req.respond(tiny_http::Response::from_string(body).with_status_code(status));
            }
            seen
        });
        (format!("http://{addr}"), handle)
    }

    #[test]
    fn one_client_token_across_retries_with_a_fresh_nonce_each_attempt() {
        const THROTTLED: &str = r#"{"RequestId":"T","HostId":"h","Code":"Throttling.User","Message":"Request was denied due to user flow control.","Recommend":""}"#;
        let (endpoint, server) = recording_server(vec![
            (400, THROTTLED),
            (400, THROTTLED),
            (503, "<html>busy</html>"),
            (200, r#"{"RequestId":"OK","NetworkInterfaceId":"eni-1"}"#),
        ]);
        let t = HttpTransport::new(
            Credentials::new("key-id", "s3cr3t-value", None),
            "cn-hangzhou",
            Some(endpoint),
            SignatureVersion::V3,
        )
        .expect("loopback endpoint");
        let client = crate::provider::api::Client {
            transport: &t,
            region: "cn-hangzhou".into(),
            timing: crate::provider::api::Timing {
                max_attempts: 5,
                retry_budget: Duration::from_secs(5),
                backoff_base: Duration::from_millis(1),
                backoff_max: Duration::from_millis(2),
                poll_interval: Duration::from_millis(1),
                wait_timeout: Duration::from_secs(5),
            },
        };
        let j = client
            .send(&crate::provider::wire::ecs::CreateNetworkInterface {
                v_switch_id: "vsw-1".into(),
                client_token: Some("op-token-1".into()),
                ..Default::default()
            })
            .expect("succeeds on the fourth attempt");
        assert_eq!(j.network_interface_id, "eni-1");

        let seen = server.join().expect("server thread");
        assert_eq!(seen.len(), 4, "three failures, then the success");
        for s in &seen {
            assert_eq!(
                s.params.get("ClientToken").map(String::as_str),
                Some("op-token-1")
            );
            // The logical request is the same every time, RegionId included.
            assert_eq!(s.params, seen[0].params);
            assert!(!s.authorization.contains("s3cr3t"));
        }
        let nonces: std::collections::BTreeSet<&str> =
            seen.iter().map(|s| s.nonce.as_str()).collect();
        assert_eq!(nonces.len(), 4, "a fresh nonce per attempt");
        assert!(nonces.iter().all(|n| !n.is_empty()));
        let signatures: std::collections::BTreeSet<&str> =
            seen.iter().map(|s| s.authorization.as_str()).collect();
        assert_eq!(signatures.len(), 4, "each attempt signed anew");
    }

    #[test]
    fn calls_pass_through_the_rate_limiter() {
        use rate::{Clock, RateLimiter, RateLimits};
        /// Records sleeps instead of sleeping.
        #[derive(Default)]
        struct Recorder(std::sync::Mutex<(Duration, Vec<Duration>)>);
        impl Clock for Recorder {
            fn now(&self) -> Duration {
                self.0.lock().expect("clock").0
            }
            fn sleep(&self, d: Duration) {
                let mut g = self.0.lock().expect("clock");
                g.0 += d;
                g.1.push(d);
            }
        }
        let ok = r#"{"RequestId":"OK","NetworkInterfaceSets":{"NetworkInterfaceSet":[]}}"#;
        let (endpoint, server) = recording_server(vec![(200, ok); 3]);
        let clock = Arc::new(Recorder::default());
        let limits = RateLimits::none()
            .with("DescribeNetworkInterfaces=2")
            .expect("valid");
        let t = HttpTransport::new(
            Credentials::new("id", "secret", None),
            "cn-hangzhou",
            Some(endpoint),
            SignatureVersion::V3,
        )
        .expect("ok")
        .with_rate_limiter(RateLimiter::new(limits, clock.clone()));
        for _ in 0..3 {
            t.call(Product::Ecs, "DescribeNetworkInterfaces", &Params::new())
                .expect("answered");
        }
        assert_eq!(server.join().expect("server").len(), 3);
        // A bucket of two, then one every 500 ms.
        assert_eq!(
            clock.0.lock().expect("clock").1,
            vec![Duration::from_millis(500)]
        );
    }

    #[test]
    fn unreachable_endpoint_is_an_error_not_a_hang() {
        // A loopback port that was just free: the connection is refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("bind loopback")
            .port();
        let t = HttpTransport::new(
            Credentials::new("id", "secret", None),
            "cn-hangzhou",
            Some(format!("http://127.0.0.1:{port}")),
            SignatureVersion::V3,
        )
        .expect("ok");
        let e = t
            .call(Product::Ecs, "DescribeInstances", &Params::new())
            .expect_err("refused");
        assert_eq!(e.code, "netform.Unreachable");
        assert!(!e.message.contains("secret"));
        // The next call does not try again for a while: it fails at once, saying why.
        let e = t
            .call(Product::Ecs, "DescribeNetworkInterfaces", &Params::new())
            .expect_err("still down");
        assert_eq!(e.code, "netform.Unreachable");
        assert!(e.message.contains("not tried again"), "{}", e.message);
    }
}
