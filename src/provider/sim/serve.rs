//! `netform sim serve`: the simulator over Alibaba's RPC protocol, so that the real HTTP client
//! (and any other Alibaba SDK pointed at it) can be exercised end to end without a cloud.
//!
//! A request is accepted the way Alibaba's gateway accepts it: a V3 `Authorization` header or
//! a V1 `Signature` parameter, verified against the configured AccessKey pairs, with a fresh
//! timestamp and a nonce not seen before. Only then is the action handed to the simulator, so a
//! request that fails authentication never changes (or even counts against) the simulated cloud.
//! Answers are JSON only: the sim has no XML, and `Format=XML` is ignored.
//!
//! With a record file (`sim serve --record FILE`) every request handed to the simulator is
//! appended to it as one JSON line: `{"product", "action", "params", "status", "answer"}`, the
//! parameters without the protocol's own (signature, timestamp, …). The SDK conformance test
//! checks netform's requests and the simulator's answers against Alibaba's SDK models from it.
//!
//! STS: a key may be configured with a security token (and an expiry). A request signed with
//! such a key must carry that token (V1 `SecurityToken`, V3 `x-acs-security-token`), and a
//! request signed with a key that has none must carry none, as Alibaba checks temporary
//! credentials; the codes are Alibaba's (`MissingSecurityToken`, `InvalidSecurityToken.*`).

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value as J, json};

use super::Sim;
use crate::provider::aliyun::sign::{self, ReceivedV3, VerifyError};
use crate::provider::{ApiError, Params, Product, Transport};

/// How often the accept loop looks at `stop`.
const POLL: Duration = Duration::from_millis(100);
/// Alibaba refuses timestamps further than 15 minutes from its clock; the same window bounds how
/// long a nonce must be remembered.
const SKEW_SECS: u64 = 15 * 60;
/// RPC parameters are short; anything bigger is a mistake or an attack.
const MAX_BODY: u64 = 1 << 20;
/// Requests handled at once; beyond that the server answers `Throttling` rather than spawn.
const MAX_IN_FLIGHT: usize = 64;
/// Parameters of the protocol, not of the action: never passed to the simulator.
const COMMON_PARAMS: [&str; 11] = [
    "Action",
    "Version",
    "Format",
    "AccessKeyId",
    "Signature",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "SignatureType",
    "Timestamp",
    "SecurityToken",
];

/// An AccessKey the server accepts: its secret, and for temporary (STS) credentials the
/// security token that must come with it and when that token expires. No `Debug`: it holds
/// secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub secret: String,
    pub security_token: Option<String>,
    /// Unix seconds after which the token is refused as expired.
    pub expires: Option<u64>,
}

impl AccessKey {
    /// A long-term key: a secret, no token.
    pub fn new(secret: impl Into<String>) -> AccessKey {
        AccessKey {
            secret: secret.into(),
            security_token: None,
            expires: None,
        }
    }

    /// `ID=SECRET`, or `ID=SECRET:TOKEN` for temporary credentials, optionally
    /// `ID=SECRET:TOKEN@EXPIRY` (ISO 8601, e.g. `2030-01-01T00:00:00Z`). Secrets and STS tokens
    /// are base64 or alphanumeric, so neither `:` nor `@` can be part of them. An `STS.` key
    /// without a token is refused: Alibaba issues none.
    pub fn parse(spec: &str) -> Result<(String, AccessKey), String> {
        let (id, rest) = spec
            .split_once('=')
            .filter(|(id, rest)| !id.is_empty() && !rest.is_empty())
            .ok_or("write ID=SECRET or ID=SECRET:TOKEN")?;
        let (secret, token) = match rest.split_once(':') {
            Some((secret, token)) => (secret, Some(token)),
            None => (rest, None),
        };
        let (token, expires) = match token.map(|t| t.split_once('@').unwrap_or((t, ""))) {
            None => (None, None),
            Some((t, when)) => {
                let expires = match when {
                    "" => None,
                    w => Some(sign::parse_iso8601(w).ok_or_else(|| {
                        format!(
                            "the expiry {w:?} is not an ISO 8601 time such as 2030-01-01T00:00:00Z"
                        )
                    })?),
                };
                (Some(t.to_string()).filter(|t| !t.is_empty()), expires)
            }
        };
        if secret.is_empty() {
            return Err("the secret is empty".into());
        }
        if id.starts_with("STS.") && token.is_none() {
            return Err(format!(
                "{id} is a temporary (STS) AccessKeyId: give its token, ID=SECRET:TOKEN"
            ));
        }
        Ok((
            id.to_string(),
            AccessKey {
                secret: secret.to_string(),
                security_token: token,
                expires,
            },
        ))
    }
}

struct State {
    sim: Arc<Sim>,
    keys: BTreeMap<String, AccessKey>,
    /// (AccessKeyId, nonce) → when it was first used (Unix seconds).
    nonces: Mutex<HashMap<(String, String), u64>>,
    in_flight: AtomicUsize,
    /// Where each answered request is appended as a JSON line (`--record`).
    record: Option<Mutex<std::fs::File>>,
}

/// Serves `sim` on `listener` until `stop` is set, then waits for the requests in progress.
/// `keys` maps AccessKeyId → the key's secret (and token).
pub fn serve(
    listener: TcpListener,
    sim: Arc<Sim>,
    keys: BTreeMap<String, AccessKey>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<()> {
    serve_recording(listener, sim, keys, stop, None)
}

/// [`serve`], appending every request the simulator answers, with its answer, to `record`.
pub fn serve_recording(
    listener: TcpListener,
    sim: Arc<Sim>,
    keys: BTreeMap<String, AccessKey>,
    stop: Arc<AtomicBool>,
    record: Option<std::fs::File>,
) -> std::io::Result<()> {
    let server = tiny_http::Server::from_listener(listener, None)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let state = State {
        sim,
        keys,
        nonces: Mutex::new(HashMap::new()),
        in_flight: AtomicUsize::new(0),
        record: record.map(Mutex::new),
    };
    std::thread::scope(|scope| {
        while !stop.load(Ordering::SeqCst) {
            let Some(req) = server.recv_timeout(POLL)? else {
                continue;
            };
            if state.in_flight.fetch_add(1, Ordering::SeqCst) >= MAX_IN_FLIGHT {
                state.in_flight.fetch_sub(1, Ordering::SeqCst);
                let e = ApiError::new(
                    400,
                    "Throttling",
                    "Request was denied due to request throttling.",
                );
                respond(req, Err(e));
                continue;
            }
            let state = &state;
            scope.spawn(move || {
                handle(state, req);
                state.in_flight.fetch_sub(1, Ordering::SeqCst);
            });
        }
        Ok(())
    })
}

fn handle(state: &State, mut req: tiny_http::Request) {
    let answer = process(state, &mut req);
    match answer {
        Err(e) if e.code == crate::provider::NO_ANSWER => tear(req),
        answer => respond(req, answer),
    }
}

/// A lost answer (`faults.rates.*.lost_answer`): the simulator has acted, and the client sees
/// what a connection dropped mid-answer looks like — the start of a response it cannot read —
/// instead of any answer it could act on.
fn tear(req: tiny_http::Request) {
    let mut w = req.into_writer();
    let _ = w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: torn\r\n\r\n{\"Req");
    let _ = w.flush();
}

fn respond(req: tiny_http::Request, answer: Result<J, ApiError>) {
    let host_id = req
        .headers()
        .iter()
        .find(|h| h.field.equiv("host"))
        .map(|h| h.value.as_str().to_string())
        .unwrap_or_else(|| "netform-sim".to_string());
    let (status, body) = match answer {
        Ok(j) => (200, j),
        Err(e) => {
            let status = if e.status == 0 { 500 } else { e.status };
            (status, error_body(&e, &host_id))
        }
    };
    let mut resp = tiny_http::Response::from_string(body.to_string()).with_status_code(status);
    if let Ok(h) = tiny_http::Header::from_bytes("Content-Type", "application/json;charset=utf-8") {
        resp = resp.with_header(h);
    }
    // A client that hung up is no concern of the server's.
    let _ = req.respond(resp);
}

/// Alibaba's error document. `Recommend` is always present (empty when there is none), as in
/// the cloud's own answers.
fn error_body(e: &ApiError, host_id: &str) -> J {
    json!({
        "RequestId": if e.request_id.is_empty() { request_id() } else { e.request_id.clone() },
        "HostId": host_id,
        "Code": e.code,
        "Message": e.message,
        "Recommend": e.recommend.clone().unwrap_or_default(),
    })
}

/// A request id for answers the simulator never saw (authentication failures).
fn request_id() -> String {
    use std::sync::atomic::AtomicU64;
    static N: AtomicU64 = AtomicU64::new(0);
    format!("SIMSRV-{:08X}", N.fetch_add(1, Ordering::Relaxed) + 1)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn bad(status: u16, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, code, message)
}

fn missing(name: &str) -> ApiError {
    bad(
        400,
        "MissingParameter",
        format!(
            "The input parameter \"{name}\" that is mandatory for processing this request is not supplied."
        ),
    )
}

fn process(state: &State, req: &mut tiny_http::Request) -> Result<J, ApiError> {
    let method = req.method().as_str().to_ascii_uppercase();
    if method != "GET" && method != "POST" {
        return Err(bad(
            405,
            "UnsupportedHTTPMethod",
            format!("The HTTP method {method} is not supported; use GET or POST."),
        ));
    }
    let url = req.url().to_string();
    let (path, raw_query) = url.split_once('?').unwrap_or((url.as_str(), ""));
    let query = sign::parse_query(raw_query)
        .ok_or_else(|| bad(400, "InvalidParameter", "The query string is malformed."))?;
    let headers: BTreeMap<String, String> = req
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_ascii_lowercase(),
                h.value.as_str().to_string(),
            )
        })
        .collect();
    let mut body = Vec::new();
    req.as_reader()
        .take(MAX_BODY + 1)
        .read_to_end(&mut body)
        .map_err(|e| {
            bad(
                400,
                "InvalidParameter",
                format!("cannot read the body: {e}"),
            )
        })?;
    if body.len() as u64 > MAX_BODY {
        return Err(bad(
            413,
            "InvalidParameter.TooLarge",
            format!("The request body is larger than {MAX_BODY} bytes."),
        ));
    }
    let form = match headers.get("content-type") {
        Some(ct) if ct.starts_with("application/x-www-form-urlencoded") => {
            let text = std::str::from_utf8(&body)
                .map_err(|_| bad(400, "InvalidParameter", "The form body is not UTF-8."))?;
            sign::parse_query(text)
                .ok_or_else(|| bad(400, "InvalidParameter", "The form body is malformed."))?
        }
        _ => Params::new(),
    };
    let (action, params) = if let Some(auth) = headers.get("authorization") {
        let received = ReceivedV3 {
            method: &method,
            path,
            query: &query,
            headers: &headers,
            body: &body,
        };
        authenticate_v3(state, &received, auth)?
    } else {
        let mut all = query;
        all.extend(form.clone());
        if !all.contains_key("Signature") {
            return Err(bad(
                400,
                "IncompleteSignature",
                "The request is not signed: it has neither an Authorization header (V3) nor a Signature parameter (V1).",
            ));
        }
        authenticate_v1(state, &method, all)?
    };
    let mut params = params;
    // V1 already merged the form; for V3 the body only counted through its hash, so add it now.
    for (k, v) in form {
        params.entry(k).or_insert(v);
    }
    let version = headers
        .get("x-acs-version")
        .or_else(|| params.get("Version"))
        .cloned()
        .unwrap_or_default();
    let product = Product::from_version(&version).ok_or_else(|| {
        bad(
            400,
            "InvalidVersion",
            format!("Specified parameter Version \"{version}\" is not valid."),
        )
    })?;
    for k in COMMON_PARAMS {
        params.remove(k);
    }
    let answer = state.sim.call(product, &action, &params);
    record(state, product, &action, &params, &answer);
    answer
}

/// Appends one request and its answer to the record file, if there is one.
fn record(
    state: &State,
    product: Product,
    action: &str,
    params: &Params,
    answer: &Result<J, ApiError>,
) {
    let Some(file) = &state.record else {
        return;
    };
    let (status, body) = match answer {
        Ok(j) => (200, j.clone()),
        Err(e) => (
            if e.status == 0 { 500 } else { e.status },
            json!({"Code": e.code, "Message": e.message}),
        ),
    };
    let line = json!({
        "product": product.prefix(),
        "action": action,
        "params": params,
        "status": status,
        "answer": body,
    });
    if let Ok(mut f) = file.lock() {
        // One write per line, so concurrent requests never interleave within a line.
        let _ = f.write_all(format!("{line}\n").as_bytes());
    }
}

fn signature_error(e: VerifyError) -> ApiError {
    match e {
        VerifyError::Malformed(m) => bad(
            400,
            "IncompleteSignature",
            format!("The request signature does not conform to Aliyun standards: {m}."),
        ),
        VerifyError::Mismatch { string_to_sign } => bad(
            400,
            "SignatureDoesNotMatch",
            format!(
                "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
            ),
        ),
    }
}

fn key_of<'a>(state: &'a State, key: &str) -> Result<&'a AccessKey, ApiError> {
    state.keys.get(key).ok_or_else(|| {
        bad(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        )
    })
}

/// The security token a request carries must be the one its key was issued with: none for a
/// long-term key, the key's own (and unexpired) for temporary credentials. Checked after the
/// signature, so only the key's holder learns which is wrong.
fn check_token(key: &AccessKey, sent: Option<&str>) -> Result<(), ApiError> {
    let sent = sent.filter(|t| !t.is_empty());
    let mismatch = || {
        bad(
            400,
            "InvalidSecurityToken.MismatchWithAccessKey",
            "Specified SecurityToken mismatch with the AccessKey.",
        )
    };
    match (&key.security_token, sent) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(mismatch()),
        (Some(_), None) => Err(bad(
            400,
            "MissingSecurityToken",
            "The AccessKeyId is a temporary (STS) one: the request needs its SecurityToken.",
        )),
        (Some(want), Some(got)) if want != got => Err(mismatch()),
        (Some(_), Some(_)) => match key.expires {
            Some(at) if now() >= at => Err(bad(
                400,
                "InvalidSecurityToken.Expired",
                "Specified SecurityToken is expired.",
            )),
            _ => Ok(()),
        },
    }
}

/// The freshness and replay checks, after the signature has been verified: a forged request
/// must not be able to burn a legitimate client's nonce.
fn check_fresh(state: &State, key: &str, timestamp: &str, nonce: &str) -> Result<(), ApiError> {
    let t = sign::parse_iso8601(timestamp).ok_or_else(|| {
        bad(
            400,
            "InvalidTimeStamp.Format",
            "Specified time stamp or date value is not well formatted.",
        )
    })?;
    let now = now();
    if t.abs_diff(now) > SKEW_SECS {
        return Err(bad(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ));
    }
    let mut seen = state
        .nonces
        .lock()
        .map_err(|_| bad(500, "InternalError", "nonce cache poisoned"))?;
    // Nonces older than the skew window cannot come back with a valid timestamp: forget them.
    if seen.len() > 4096 {
        seen.retain(|_, at| now.saturating_sub(*at) <= 2 * SKEW_SECS);
    }
    if seen
        .insert((key.to_string(), nonce.to_string()), now)
        .is_some()
    {
        return Err(bad(
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ));
    }
    Ok(())
}

fn authenticate_v3(
    state: &State,
    req: &ReceivedV3<'_>,
    auth: &str,
) -> Result<(String, Params), ApiError> {
    let auth = sign::parse_authorization(auth).map_err(signature_error)?;
    let key = key_of(state, &auth.access_key_id)?;
    sign::v3_verify(req, &auth, &key.secret).map_err(signature_error)?;
    // V3 carries the token in a header; a query `SecurityToken` is taken as well.
    let token = req
        .headers
        .get("x-acs-security-token")
        .or_else(|| req.query.get("SecurityToken"));
    check_token(key, token.map(String::as_str))?;
    // v3_verify insisted these were signed, and signing needs them present.
    let header = |n: &str| req.headers.get(n).map(String::as_str).unwrap_or_default();
    check_fresh(
        state,
        &auth.access_key_id,
        header("x-acs-date"),
        header("x-acs-signature-nonce"),
    )?;
    Ok((header("x-acs-action").to_string(), req.query.clone()))
}

fn authenticate_v1(
    state: &State,
    method: &str,
    params: Params,
) -> Result<(String, Params), ApiError> {
    let get = |n: &str| params.get(n).cloned().ok_or_else(|| missing(n));
    let key = get("AccessKeyId")?;
    if let Some(m) = params.get("SignatureMethod")
        && m != "HMAC-SHA1"
    {
        return Err(bad(
            400,
            "InvalidParameter",
            format!("The SignatureMethod {m:?} is not supported; use HMAC-SHA1."),
        ));
    }
    let access_key = key_of(state, &key)?;
    sign::v1_verify(method, &params, &access_key.secret).map_err(signature_error)?;
    check_token(access_key, params.get("SecurityToken").map(String::as_str))?;
    let action = get("Action")?;
    check_fresh(state, &key, &get("Timestamp")?, &get("SignatureNonce")?)?;
    Ok((action, params))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::aliyun::{Credentials, HttpTransport, SignatureVersion};
    use crate::provider::sim::world::World;

    struct Running {
        addr: std::net::SocketAddr,
        sim: Arc<Sim>,
        stop: Arc<AtomicBool>,
        thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
    }

    impl Running {
        fn start() -> Running {
            Running::start_with(&["test-key=test-secret"])
        }

        fn start_with(specs: &[&str]) -> Running {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
            let addr = listener.local_addr().expect("local addr");
            let sim = Arc::new(Sim::in_memory(World::builtin()).expect("builtin world"));
            let stop = Arc::new(AtomicBool::new(false));
            let keys: BTreeMap<String, AccessKey> = specs
                .iter()
                .map(|s| AccessKey::parse(s).expect("key spec"))
                .collect();
            let thread = {
                let (sim, stop) = (sim.clone(), stop.clone());
                std::thread::spawn(move || serve(listener, sim, keys, stop))
            };
            Running {
                addr,
                sim,
                stop,
                thread: Some(thread),
            }
        }

        fn client(&self, key: &str, secret: &str, version: SignatureVersion) -> HttpTransport {
            self.sts_client(key, secret, None, version)
        }

        fn sts_client(
            &self,
            key: &str,
            secret: &str,
            token: Option<&str>,
            version: SignatureVersion,
        ) -> HttpTransport {
            HttpTransport::new(
                Credentials::new(key, secret, token.map(str::to_string)),
                "cn-hangzhou",
                Some(format!("http://{}", self.addr)),
                version,
            )
            .expect("loopback endpoint")
        }

        /// Sends raw bytes and returns (status, JSON body), for requests the client would never
        /// produce (replays).
        fn raw(&self, request: &str) -> (u16, J) {
            use std::io::Write;
            let mut s = std::net::TcpStream::connect(self.addr).expect("connect");
            s.set_read_timeout(Some(Duration::from_secs(10)))
                .expect("timeout");
            s.write_all(request.as_bytes()).expect("write");
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            let status = out
                .split(' ')
                .nth(1)
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            let body = out.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
            (status, serde_json::from_str(body).unwrap_or(J::Null))
        }
    }

    impl Drop for Running {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }

    /// A lost answer over HTTP: the server acted, and the client gets no answer it can read
    /// (at once, not after its timeout), which it reports as NoAnswer, not as unreachable.
    #[test]
    fn a_lost_answer_tears_the_connection_after_the_server_acted() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let mut world = World::builtin();
        world.faults.rates.insert(
            "*".into(),
            crate::provider::sim::world::FaultRates {
                lost_answer: 1.0,
                ..Default::default()
            },
        );
        let sim = Arc::new(Sim::in_memory(world).expect("world"));
        let stop = Arc::new(AtomicBool::new(false));
        let keys: BTreeMap<String, AccessKey> = [AccessKey::parse("k=s").expect("key")].into();
        let thread = {
            let (sim, stop) = (sim.clone(), stop.clone());
            std::thread::spawn(move || serve(listener, sim, keys, stop))
        };
        let t = HttpTransport::new(
            Credentials::new("k", "s", None),
            "cn-hangzhou",
            Some(format!("http://{addr}")),
            SignatureVersion::V3,
        )
        .expect("loopback endpoint");
        let start = std::time::Instant::now();
        let r = t.call(
            Product::Vpc,
            "AllocateEipAddress",
            &p(&[("RegionId", "cn-hangzhou"), ("ClientToken", "lost-1")]),
        );
        assert_eq!(
            r.map_err(|e| e.code),
            Err(crate::provider::NO_ANSWER.to_string())
        );
        assert!(start.elapsed() < Duration::from_secs(5));
        let n = sim.with_cloud(|c| c.live.eips.len());
        assert_eq!(n, Some(1), "the server acted before the answer was lost");
        // Reads are answered: only the answers to changes are lost.
        let d = t.call(
            Product::Vpc,
            "DescribeEipAddresses",
            &p(&[("RegionId", "cn-hangzhou")]),
        );
        assert!(d.is_ok(), "{d:?}");
        stop.store(true, Ordering::SeqCst);
        let _ = thread.join();
    }

    fn p(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn create_eni() -> Params {
        p(&[
            ("RegionId", "cn-hangzhou"),
            ("VSwitchId", "vsw-bp1web0000000000000"),
            ("SecurityGroupIds.1", "sg-bp1basic000000000000"),
            ("ClientToken", "t1"),
        ])
    }

    fn same_calls_as_in_process(version: SignatureVersion) {
        let server = Running::start();
        let local = Sim::in_memory(World::builtin()).expect("builtin world");
        let client = server.client("test-key", "test-secret", version);
        let calls = [
            ("DescribeInstances", p(&[("RegionId", "cn-hangzhou")])),
            ("CreateNetworkInterface", create_eni()),
            // The same ClientToken again: the idempotent first answer, over HTTP too.
            ("CreateNetworkInterface", create_eni()),
            (
                "DescribeNetworkInterfaces",
                p(&[("RegionId", "cn-hangzhou")]),
            ),
            ("DescribeEipAddresses", p(&[("RegionId", "cn-hangzhou")])),
            // Values that need every kind of escaping survive the trip.
            (
                "CreateNetworkInterface",
                p(&[
                    ("RegionId", "cn-hangzhou"),
                    ("VSwitchId", "vsw-bp1web0000000000000"),
                    ("SecurityGroupIds.1", "sg-bp1basic000000000000"),
                    ("NetworkInterfaceName", "eni-a_b.c~d"),
                    ("Description", "a b+c/ü&=%20*"),
                    ("ClientToken", "t2"),
                ]),
            ),
            (
                "DescribeNetworkInterfaces",
                p(&[("RegionId", "cn-hangzhou")]),
            ),
            (
                "CreateNetworkInterface",
                p(&[
                    ("RegionId", "cn-hangzhou"),
                    ("VSwitchId", "vsw-doesnotexist"),
                    ("SecurityGroupIds.1", "sg-bp1basic000000000000"),
                ]),
            ),
        ];
        let mut created = 0;
        for (action, params) in &calls {
            let over_http = client.call(Product::Ecs, action, params);
            let in_process = local.call(Product::Ecs, action, params);
            assert_eq!(over_http, in_process, "{action} {params:?} ({version:?})");
            if let Ok(j) = &over_http
                && j.get("NetworkInterfaceId").is_some()
            {
                created += 1;
            }
        }
        assert_eq!(created, 3, "the creates succeeded ({version:?})");
        assert_eq!(server.sim.request_count(), local.request_count());
        let last = client
            .call(
                Product::Ecs,
                "DescribeNetworkInterfaces",
                &p(&[("RegionId", "cn-hangzhou")]),
            )
            .expect("describe");
        assert!(last.to_string().contains("a b+c/ü&=%20*"), "{last}");
    }

    #[test]
    fn v3_round_trip_matches_in_process_sim() {
        same_calls_as_in_process(SignatureVersion::V3);
    }

    #[test]
    fn v1_round_trip_matches_in_process_sim() {
        same_calls_as_in_process(SignatureVersion::V1);
    }

    #[test]
    fn wrong_secret_is_refused_and_changes_nothing() {
        let server = Running::start();
        for version in [SignatureVersion::V3, SignatureVersion::V1] {
            let client = server.client("test-key", "not-the-secret", version);
            let e = client
                .call(Product::Ecs, "CreateNetworkInterface", &create_eni())
                .expect_err("refused");
            assert_eq!(e.code, "SignatureDoesNotMatch", "{version:?}");
            assert_eq!(e.status, 400);
            assert!(!e.request_id.is_empty());
            assert!(!e.message.contains("not-the-secret"));
        }
        assert_eq!(server.sim.request_count(), 0);
        let good = server.client("test-key", "test-secret", SignatureVersion::V3);
        let enis = good
            .call(
                Product::Ecs,
                "DescribeNetworkInterfaces",
                &p(&[("RegionId", "cn-hangzhou")]),
            )
            .expect("describe");
        let local = Sim::in_memory(World::builtin()).expect("builtin world");
        let want = local
            .call(
                Product::Ecs,
                "DescribeNetworkInterfaces",
                &p(&[("RegionId", "cn-hangzhou")]),
            )
            .expect("describe");
        // Both are the first call their simulator answered, so even the ids agree.
        assert_eq!(enis, want);
    }

    #[test]
    fn unknown_key_is_refused() {
        let server = Running::start();
        for version in [SignatureVersion::V3, SignatureVersion::V1] {
            let e = server
                .client("nobody", "test-secret", version)
                .call(
                    Product::Ecs,
                    "DescribeInstances",
                    &p(&[("RegionId", "cn-hangzhou")]),
                )
                .expect_err("refused");
            assert_eq!(e.code, "InvalidAccessKeyId.NotFound", "{version:?}");
            assert_eq!(e.status, 404);
        }
        assert_eq!(server.sim.request_count(), 0);
    }

    fn v3_request(addr: std::net::SocketAddr, nonce: &str, date: &str, secret: &str) -> String {
        let host = addr.to_string();
        let query = p(&[("RegionId", "cn-hangzhou")]);
        let headers: BTreeMap<String, String> = [
            ("host", host.as_str()),
            ("x-acs-action", "DescribeInstances"),
            ("x-acs-version", "2014-05-26"),
            ("x-acs-date", date),
            ("x-acs-signature-nonce", nonce),
            ("x-acs-content-sha256", &sign::sha256_hex(b"")),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let signed = sign::v3_signed_header_names(&headers);
        let canonical = sign::v3_canonical_request(
            "POST",
            "/",
            &query,
            &headers,
            &signed,
            &sign::sha256_hex(b""),
        )
        .expect("complete");
        let sig = sign::v3_signature(secret, &sign::v3_string_to_sign(&canonical));
        let mut req = format!("POST /?{} HTTP/1.1\r\n", sign::canonical_query(&query));
        for (k, v) in &headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str(&format!(
            "authorization: {}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            sign::v3_authorization("test-key", &signed, &sig)
        ));
        req
    }

    #[test]
    fn replayed_nonce_is_refused() {
        let server = Running::start();
        let date = sign::iso8601(now());
        let req = v3_request(server.addr, "nonce-1", &date, "test-secret");
        let (status, first) = server.raw(&req);
        assert_eq!(status, 200, "{first}");
        assert!(first.get("Instances").is_some(), "{first}");
        let (status, second) = server.raw(&req);
        assert_eq!(status, 400);
        assert_eq!(second["Code"], "SignatureNonceUsed");
        assert_eq!(second["HostId"], server.addr.to_string());
        for k in ["RequestId", "Message", "Recommend"] {
            assert!(second.get(k).is_some(), "{k} missing in {second}");
        }
        assert_eq!(server.sim.request_count(), 1);

        // V1: the same query string twice.
        let mut q = p(&[
            ("Action", "DescribeInstances"),
            ("Version", "2014-05-26"),
            ("Format", "JSON"),
            ("AccessKeyId", "test-key"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", "v1-nonce"),
            ("Timestamp", &date),
            ("RegionId", "cn-hangzhou"),
        ]);
        let sig = sign::v1_signature("test-secret", &sign::v1_string_to_sign("GET", &q));
        q.insert("Signature".into(), sig);
        let req = format!(
            "GET /?{} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n\r\n",
            sign::canonical_query(&q),
            server.addr
        );
        assert_eq!(server.raw(&req).0, 200);
        let (status, again) = server.raw(&req);
        assert_eq!(
            (status, again["Code"].as_str()),
            (400, Some("SignatureNonceUsed"))
        );
        assert_eq!(server.sim.request_count(), 2);
    }

    #[test]
    fn stale_timestamp_and_unsigned_requests_are_refused() {
        let server = Running::start();
        let stale = sign::iso8601(now() - 3600);
        let (status, body) = server.raw(&v3_request(server.addr, "n-stale", &stale, "test-secret"));
        assert_eq!(
            (status, body["Code"].as_str()),
            (400, Some("InvalidTimeStamp.Expired"))
        );
        let (status, body) = server.raw(&format!(
            "GET /?Action=DescribeInstances HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n\r\n",
            server.addr
        ));
        assert_eq!(
            (status, body["Code"].as_str()),
            (400, Some("IncompleteSignature"))
        );
        assert_eq!(server.sim.request_count(), 0);
    }

    #[test]
    fn record_holds_each_answered_request_without_the_protocol_parameters() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("record.jsonl");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let sim = Arc::new(Sim::in_memory(World::builtin()).expect("builtin world"));
        let stop = Arc::new(AtomicBool::new(false));
        let keys: BTreeMap<String, AccessKey> = [("k".to_string(), AccessKey::new("s"))].into();
        let file = std::fs::File::create(&path).expect("record file");
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || serve_recording(listener, sim, keys, stop, Some(file)))
        };
        for version in [SignatureVersion::V3, SignatureVersion::V1] {
            let client = HttpTransport::new(
                Credentials::new("k", "s", None),
                "cn-hangzhou",
                Some(format!("http://{addr}")),
                version,
            )
            .expect("loopback endpoint");
            client
                .call(Product::Ecs, "CreateNetworkInterface", &create_eni())
                .expect("created");
            let refused = Credentials::new("k", "wrong", None);
            let wrong = HttpTransport::new(
                refused,
                "cn-hangzhou",
                Some(format!("http://{addr}")),
                version,
            )
            .expect("loopback endpoint");
            assert!(
                wrong
                    .call(Product::Vpc, "DescribeEipAddresses", &p(&[]))
                    .is_err()
            );
            let _ = client.call(
                Product::Vpc,
                "ReleaseEipAddress",
                &p(&[("AllocationId", "eip-none")]),
            );
        }
        stop.store(true, Ordering::SeqCst);
        thread.join().expect("no panic").expect("served");
        let text = std::fs::read_to_string(&path).expect("record");
        let lines: Vec<J> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        // Two creates and two refused releases; the badly signed calls never reached the sim.
        assert_eq!(lines.len(), 4, "{text}");
        for pair in lines.chunks(2) {
            assert_eq!(pair[0]["product"], "ecs");
            assert_eq!(pair[0]["action"], "CreateNetworkInterface");
            assert_eq!(pair[0]["status"], 200);
            assert_eq!(
                pair[0]["params"],
                serde_json::to_value(create_eni()).expect("json")
            );
            assert!(pair[0]["answer"]["NetworkInterfaceId"].is_string());
            assert_eq!(pair[1]["product"], "vpc");
            assert_eq!(pair[1]["action"], "ReleaseEipAddress");
            assert!(pair[1]["status"].as_u64().is_some_and(|s| s >= 400));
            assert!(pair[1]["answer"]["Code"].is_string());
        }
    }

    #[test]
    fn access_key_specs_parse_with_and_without_a_token() {
        let (id, k) = AccessKey::parse("LTAI1=sec").expect("plain");
        assert_eq!((id.as_str(), k.secret.as_str()), ("LTAI1", "sec"));
        assert!(k.security_token.is_none() && k.expires.is_none());
        let (id, k) = AccessKey::parse("STS.a=sec:CAIS+tok/en==").expect("sts");
        assert_eq!(id, "STS.a");
        assert_eq!(k.security_token.as_deref(), Some("CAIS+tok/en=="));
        let (_, k) = AccessKey::parse("STS.a=sec:tok@2030-01-01T00:00:00Z").expect("expiring");
        assert_eq!(k.expires, sign::parse_iso8601("2030-01-01T00:00:00Z"));
        for bad in [
            "nokey",
            "=sec",
            "id=",
            "STS.a=sec",
            "STS.a=sec:tok@tomorrow",
        ] {
            assert!(AccessKey::parse(bad).is_err(), "{bad}");
        }
    }

    /// Defect: security tokens were ignored, so temporary credentials were never checked.
    #[test]
    fn security_tokens_are_checked_against_the_key() {
        let server = Running::start_with(&[
            "test-key=test-secret",
            "STS.good=sts-secret:token-1",
            "STS.old=old-secret:token-2@2001-01-01T00:00:00Z",
        ]);
        let describe = p(&[("RegionId", "cn-hangzhou")]);
        for version in [SignatureVersion::V3, SignatureVersion::V1] {
            let call = |key: &str, secret: &str, token: Option<&str>| {
                server
                    .sts_client(key, secret, token, version)
                    .call(Product::Ecs, "DescribeRegions", &describe)
                    .map_err(|e| (e.code, e.status))
            };
            assert!(
                call("STS.good", "sts-secret", Some("token-1")).is_ok(),
                "{version:?}"
            );
            let refused = [
                (call("STS.good", "sts-secret", None), "MissingSecurityToken"),
                (
                    call("STS.good", "sts-secret", Some("token-2")),
                    "InvalidSecurityToken.MismatchWithAccessKey",
                ),
                (
                    call("test-key", "test-secret", Some("token-1")),
                    "InvalidSecurityToken.MismatchWithAccessKey",
                ),
                (
                    call("STS.old", "old-secret", Some("token-2")),
                    "InvalidSecurityToken.Expired",
                ),
            ];
            for (got, want) in refused {
                assert_eq!(got.map(|_| ()), Err((want.to_string(), 400)), "{version:?}");
            }
        }
        // Only the two good calls reached the simulated cloud.
        assert_eq!(server.sim.request_count(), 2);
    }

    #[test]
    fn stop_ends_the_server() {
        let mut server = Running::start();
        server.stop.store(true, Ordering::SeqCst);
        let t = server.thread.take().expect("running");
        let started = std::time::Instant::now();
        assert!(t.join().expect("no panic").is_ok());
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
