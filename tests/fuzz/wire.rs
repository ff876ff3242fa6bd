//! The API answer decoders. `wire`: every answer type of src/provider/wire/{ecs,vpc,slb}.rs
//! decoded from mutated answers (seeded from the simulator's real answers and each type's
//! default), as `serde_json::from_str` and as the client does it (`from_value`), then the page
//! helpers and the untyped readers (`EniInfo`/`EipInfo::from_json`); an answer that decodes must
//! encode and decode to the same value. `http_answers`: the same answers, and Alibaba error
//! bodies, served with random HTTP statuses by a loopback server to the signed HTTP transport, so
//! that src/provider/aliyun's error-body interpreter and the client's decoding see them.

use std::fmt::Debug;
use std::path::Path;
use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value as J;

use crate::engine::{Case, Fuzz, Target};
use crate::mutate::{Format, Pool, make, recipe};
use netform::provider::api::{Client, EipInfo, EniInfo, Timing};
use netform::provider::sim::Sim;
use netform::provider::sim::world::World;
use netform::provider::wire::{PageNumbered, Request, TokenPaged, ecs, slb, vpc};
use netform::provider::{Params, Transport};

pub static TARGET: Target = Target {
    name: "wire",
    ci_cases: 6000,
    build: build_wire,
};

pub static HTTP: Target = Target {
    name: "http_answers",
    ci_cases: 1500,
    build: build_http,
};

/// One answer type: its action, the decoding checks, and a call through a [`Client`].
struct Kind {
    name: &'static str,
    product_action: &'static str,
    decode: fn(&str) -> bool,
    send: fn(&Client<'_>) -> Result<(), netform::provider::ApiError>,
    default: fn() -> String,
}

fn decode<R: Request>(text: &str) -> Option<R::Response>
where
    R::Response: PartialEq + Debug,
{
    let typed = serde_json::from_str::<R::Response>(text).ok();
    let via_value = serde_json::from_str::<J>(text)
        .ok()
        .and_then(|j| serde_json::from_value::<R::Response>(j).ok());
    for v in typed.iter().chain(via_value.iter()) {
        let again = serde_json::to_string(v).unwrap_or_else(|e| {
            panic!(
                "invariant: a decoded {} answer does not encode: {e}",
                R::ACTION
            )
        });
        match serde_json::from_str::<R::Response>(&again) {
            Ok(w) => assert!(
                w == *v,
                "invariant: a {} answer decodes differently once re-encoded",
                R::ACTION
            ),
            Err(e) => panic!(
                "invariant: a {} answer, re-encoded, no longer decodes: {e}",
                R::ACTION
            ),
        }
    }
    via_value.or(typed)
}

fn plain<R: Request>(text: &str) -> bool
where
    R::Response: PartialEq + Debug,
{
    decode::<R>(text).is_some()
}

fn numbered<R: PageNumbered>(text: &str) -> bool
where
    R::Response: PartialEq + Debug,
{
    let Some(r) = decode::<R>(text) else {
        return false;
    };
    let _ = R::total(&r);
    let _ = R::items(r);
    true
}

fn tokened<R: TokenPaged>(text: &str) -> bool
where
    R::Response: PartialEq + Debug,
{
    let Some(r) = decode::<R>(text) else {
        return false;
    };
    let _ = R::next_token(&r);
    let _ = R::items(r);
    true
}

fn send<R: Request + Default>(c: &Client<'_>) -> Result<(), netform::provider::ApiError> {
    c.send(&R::default()).map(|_| ())
}

fn default_of<R: Request>() -> String
where
    R::Response: Default,
{
    serde_json::to_string(&R::Response::default()).unwrap_or_default()
}

macro_rules! kinds {
    ($($m:ident :: $r:ident => $check:ident),* $(,)?) => {
        &[$(Kind {
            name: concat!(stringify!($m), "::", stringify!($r)),
            product_action: stringify!($r),
            decode: $check::<$m::$r>,
            send: send::<$m::$r>,
            default: default_of::<$m::$r>,
        }),*]
    };
}

/// Every request of the wire model, so every answer type.
static KINDS: &[Kind] = kinds![
    ecs::CreateNetworkInterface => plain,
    ecs::AttachNetworkInterface => plain,
    ecs::DetachNetworkInterface => plain,
    ecs::DeleteNetworkInterface => plain,
    ecs::AssignPrivateIpAddresses => plain,
    ecs::UnassignPrivateIpAddresses => plain,
    ecs::AssignIpv6Addresses => plain,
    ecs::UnassignIpv6Addresses => plain,
    ecs::ModifyNetworkInterfaceAttribute => plain,
    ecs::TagResources => plain,
    ecs::UntagResources => plain,
    ecs::DescribeNetworkInterfaces => tokened,
    ecs::DescribeInstances => tokened,
    ecs::DescribeSecurityGroups => tokened,
    ecs::DescribeInstanceTypes => tokened,
    ecs::DescribeRegions => plain,
    ecs::DescribeZones => plain,
    vpc::AllocateEipAddress => plain,
    vpc::AssociateEipAddress => plain,
    vpc::UnassociateEipAddress => plain,
    vpc::ReleaseEipAddress => plain,
    vpc::ModifyEipAddressAttribute => plain,
    vpc::ModifyEipForwardMode => plain,
    vpc::DeletionProtection => plain,
    vpc::TagResources => plain,
    vpc::UnTagResources => plain,
    vpc::DescribeEipAddresses => numbered,
    vpc::DescribeVSwitches => numbered,
    vpc::DescribeVpcs => numbered,
    vpc::DescribeNatGateways => numbered,
    vpc::DescribeForwardTableEntries => numbered,
    vpc::DescribeHaVips => numbered,
    slb::DescribeLoadBalancers => numbered,
];

fn kind(name: &[u8]) -> &'static Kind {
    KINDS
        .iter()
        .find(|k| k.name.as_bytes() == name)
        .unwrap_or(&KINDS[0])
}

/// The conversions the engine uses (wire struct → EniInfo / EipInfo), on every object of the
/// answer that decodes as one.
fn untyped(j: &J, budget: &mut usize) {
    if *budget == 0 {
        return;
    }
    *budget -= 1;
    match j {
        J::Object(m) => {
            if let Ok(e) = serde_json::from_value::<netform::provider::wire::ecs::NetworkInterfaceSet>(
                j.clone(),
            ) {
                let _ = EniInfo::from(e);
            }
            if let Ok(e) =
                serde_json::from_value::<netform::provider::wire::vpc::EipAddress>(j.clone())
            {
                let _ = EipInfo::from(e);
            }
            for v in m.values() {
                untyped(v, budget);
            }
        }
        J::Array(a) => {
            for v in a {
                untyped(v, budget);
            }
        }
        _ => {}
    }
}

/// Real answers: each action asked of a simulator holding the applied quickstart (Describe*),
/// and of a fresh built-in one (the creates), plus every type's default.
fn seeds(corpus: &Path) -> (Vec<Vec<u8>>, Vec<usize>) {
    let mut seeds = Vec::new();
    let mut kinds = Vec::new();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ctx = corpus.join("contexts").join("quickstart");
    let sim_dir = dir.path().join(".netform").join("sim");
    let _ = std::fs::create_dir_all(&sim_dir);
    let _ = std::fs::copy(
        ctx.join(".netform/sim/cloud.json"),
        sim_dir.join("cloud.json"),
    );
    let applied = Sim::open(dir.path(), None).unwrap_or_else(|e| panic!("{e}"));
    let fresh = Sim::in_memory(World::builtin()).unwrap_or_else(|e| panic!("{e}"));
    let p = |kv: &[(&str, &str)]| -> Params {
        let mut p: Params = kv
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        p.insert("RegionId".into(), "cn-hangzhou".into());
        p
    };
    let mut ask = |sim: &Sim, k: usize, params: Params| -> Option<J> {
        let product = netform::provider::Product::of_action(KINDS[k].product_action, &params);
        let j = sim.call(product, KINDS[k].product_action, &params).ok()?;
        seeds.push(serde_json::to_vec_pretty(&j).unwrap_or_default());
        kinds.push(k);
        Some(j)
    };
    let index = |name: &str| KINDS.iter().position(|k| k.name == name).unwrap_or(0);
    for (k, kd) in KINDS.iter().enumerate() {
        if kd.product_action.starts_with("Describe") {
            ask(&applied, k, p(&[]));
        }
    }
    let eni = ask(
        &fresh,
        index("ecs::CreateNetworkInterface"),
        p(&[
            ("VSwitchId", "vsw-bp1web0000000000000"),
            ("SecurityGroupId", "sg-bp1basic000000000000"),
        ]),
    );
    let eni_id = eni
        .as_ref()
        .and_then(|j| j.get("NetworkInterfaceId"))
        .and_then(J::as_str)
        .unwrap_or("")
        .to_string();
    ask(
        &fresh,
        index("ecs::AssignPrivateIpAddresses"),
        p(&[
            ("NetworkInterfaceId", &eni_id),
            ("SecondaryPrivateIpAddressCount", "3"),
        ]),
    );
    ask(
        &fresh,
        index("ecs::AssignIpv6Addresses"),
        p(&[("NetworkInterfaceId", &eni_id), ("Ipv6AddressCount", "1")]),
    );
    ask(&fresh, index("vpc::AllocateEipAddress"), p(&[]));
    ask(&fresh, index("vpc::DescribeEipAddresses"), p(&[]));
    for (k, kd) in KINDS.iter().enumerate() {
        seeds.push((kd.default)().into_bytes());
        kinds.push(k);
    }
    assert!(
        seeds.len() > KINDS.len() + 10,
        "simulator answers: {}",
        seeds.len()
    );
    (seeds, kinds)
}

const ANSWER_TOKENS: &[&str] = &[
    "\"RequestId\"",
    "\"TotalCount\"",
    "\"PageNumber\"",
    "\"PageSize\"",
    "\"NextToken\"",
    "\"Code\"",
    "\"Message\"",
    "\"Recommend\"",
    "\"HostId\"",
];

struct Wire {
    pool: Pool,
    kinds: Arc<Vec<usize>>,
}

fn answers(corpus: &Path) -> (Pool, Arc<Vec<usize>>) {
    let (seeds, kinds) = seeds(corpus);
    let tokens: Vec<&str> = crate::state::JSON_TOKENS
        .iter()
        .chain(ANSWER_TOKENS)
        .copied()
        .collect();
    (Pool::new(seeds, &tokens), Arc::new(kinds))
}

fn build_wire(corpus: &Path) -> Box<dyn Fuzz> {
    let (pool, kinds) = answers(corpus);
    Box::new(Wire { pool, kinds })
}

/// An answer and the type it is read as: mostly its own, sometimes any other.
fn answer_case(pool: &Pool, kinds: &Arc<Vec<usize>>) -> BoxedStrategy<(usize, Vec<u8>)> {
    let (p, k) = (pool.clone(), kinds.clone());
    (
        recipe(pool, Format::Json, 1.0),
        prop::bool::weighted(0.8),
        any::<Index>(),
    )
        .prop_map(move |(r, own, other)| {
            let kind = if own {
                k[r.seed.index(k.len())]
            } else {
                other.index(KINDS.len())
            };
            (kind, make(&p, Format::Json, &r).unwrap_or_default())
        })
        .boxed()
}

impl Fuzz for Wire {
    fn cases(&self) -> BoxedStrategy<Case> {
        answer_case(&self.pool, &self.kinds)
            .prop_map(|(k, body)| {
                vec![
                    ("answer.json".to_string(), body),
                    ("type".to_string(), KINDS[k].name.as_bytes().to_vec()),
                ]
            })
            .boxed()
    }

    fn run(&mut self, case: &Case) -> &'static str {
        let get = |n: &str| {
            case.iter()
                .find(|(name, _)| name == n)
                .map(|(_, b)| b.as_slice())
        };
        let k = kind(get("type").unwrap_or_default());
        let text = String::from_utf8_lossy(get("answer.json").unwrap_or_default());
        let decoded = (k.decode)(&text);
        if let Ok(j) = serde_json::from_str::<J>(&text) {
            untyped(&j, &mut 2000);
        }
        if decoded { "decoded" } else { "refused" }
    }
}

// ---- over HTTP ---------------------------------------------------------------------------------

const STATUSES: &[u16] = &[
    200, 200, 200, 200, 201, 204, 206, 299, 301, 304, 400, 400, 401, 403, 404, 409, 413, 418, 429,
    500, 501, 502, 503, 504, 599,
];

const ERROR_BODIES: &[&str] = &[
    r#"{"RequestId":"T","HostId":"ecs.aliyuncs.com","Code":"Throttling.User","Message":"Request was denied due to user flow control.","Recommend":""}"#,
    r#"{"RequestId":"R","HostId":"vpc.aliyuncs.com","Code":"InvalidParameter","Message":"The specified parameter is not valid.","Recommend":"https://api.aliyun.com/troubleshoot?q=InvalidParameter&product=Vpc"}"#,
    r#"{"RequestId":"S","Code":"ServiceUnavailable","Message":"The request has failed due to a temporary failure of the server."}"#,
    r#"{"Code":"IncorrectSignature","Message":"Specified signature does not match our calculation."}"#,
    r#"{"code":"lowercase","message":"x"}"#,
    r#"{"Code":5,"Message":["x"],"RequestId":null}"#,
    "<html><body><h1>502 Bad Gateway</h1></body></html>",
    "",
    "null",
    "[]",
    "{}",
    "\"Throttling\"",
];

/// What the loopback server answers next: a status and a body.
type Answer = Arc<Mutex<(u16, Vec<u8>)>>;

struct Http {
    pool: Pool,
    kinds: Arc<Vec<usize>>,
    answer: Answer,
    transport: netform::provider::aliyun::HttpTransport,
}

fn build_http(corpus: &Path) -> Box<dyn Fuzz> {
    use netform::provider::aliyun::{Credentials, HttpTransport, SignatureVersion, rate};
    let (mut pool, mut kinds) = answers(corpus);
    let mut seeds = (*pool.seeds).clone();
    let mut k = (*kinds).clone();
    for b in ERROR_BODIES {
        seeds.push(b.as_bytes().to_vec());
        k.push(0);
    }
    pool = Pool::new(
        seeds,
        &crate::state::JSON_TOKENS
            .iter()
            .chain(ANSWER_TOKENS)
            .copied()
            .collect::<Vec<_>>(),
    );
    kinds = Arc::new(k);
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let addr = server
        .server_addr()
        .to_ip()
        .unwrap_or_else(|| panic!("an IP listener"));
    let answer: Answer = Arc::new(Mutex::new((200, b"{}".to_vec())));
    let serving = answer.clone();
    std::thread::spawn(move || {
        while let Ok(req) = server.recv() {
            let (status, body) = serving
                .lock()
                .map(|a| a.clone())
                .unwrap_or((500, Vec::new()));
            let _ = req.respond(tiny_http::Response::from_data(body).with_status_code(status));
        }
    });
    let transport = HttpTransport::new(
        Credentials::new("fuzz-id", "fuzz-secret", None),
        "cn-hangzhou",
        Some(format!("http://{addr}")),
        SignatureVersion::V3,
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .with_rate_limiter(rate::RateLimiter::new(
        rate::RateLimits::none(),
        Arc::new(rate::SystemClock::default()),
    ));
    Box::new(Http {
        pool,
        kinds,
        answer,
        transport,
    })
}

impl Fuzz for Http {
    fn cases(&self) -> BoxedStrategy<Case> {
        (answer_case(&self.pool, &self.kinds), any::<Index>())
            .prop_map(|((k, body), status)| {
                vec![
                    ("answer.json".to_string(), body),
                    (
                        "status".to_string(),
                        STATUSES[status.index(STATUSES.len())]
                            .to_string()
                            .into_bytes(),
                    ),
                    ("type".to_string(), KINDS[k].name.as_bytes().to_vec()),
                ]
            })
            .boxed()
    }

    fn run(&mut self, case: &Case) -> &'static str {
        let get = |n: &str| {
            case.iter()
                .find(|(name, _)| name == n)
                .map(|(_, b)| b.as_slice())
        };
        let k = kind(get("type").unwrap_or_default());
        let status = std::str::from_utf8(get("status").unwrap_or_default())
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(200);
        let body = get("answer.json").unwrap_or_default().to_vec();
        if let Ok(mut a) = self.answer.lock() {
            *a = (status, body);
        }
        let client = Client {
            transport: &self.transport as &dyn Transport,
            region: "cn-hangzhou".into(),
            timing: Timing {
                max_attempts: 1,
                ..Timing::simulator()
            },
        };
        match (k.send)(&client) {
            Ok(()) => "decoded",
            Err(e) if e.code == "netform.BadAnswer" => "undecodable answer",
            Err(e) if e.code == "netform.BadResponse" => "not a JSON object",
            Err(e) if e.code == "netform.HttpError" => "HTTP error without a body",
            Err(e) if e.code == "netform.Unreachable" => "unreachable",
            Err(_) => "API error",
        }
    }
}
