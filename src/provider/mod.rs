//! Cloud providers. Both speak Alibaba's RPC shape — an action name and flat string parameters
//! in, a JSON document out — through [`Transport`]: the embedded simulator answers in process,
//! the real cloud over signed HTTP. Everything above (`api`) is written once against that shape,
//! so the simulator exercises the same request building and response parsing as the real cloud.

pub mod aliyun;
pub mod api;
pub mod capture;
pub mod configure;
pub mod sim;
pub mod wire;

pub use wire::Product;

use std::collections::BTreeMap;

/// Flat request parameters, e.g. `PrivateIpAddress.1 = 192.168.1.10`.
pub type Params = BTreeMap<String, String>;

/// The endpoint could not be reached: the request never left (connection refused, unknown host,
/// no route, connect timeout). Retried only briefly: waiting does not make a wrong endpoint right.
pub const UNREACHABLE: &str = "netform.Unreachable";

/// The request was sent and no usable answer came back (the connection dropped or timed out
/// mid-answer): the cloud may or may not have acted. Retried like a server error; the
/// ClientToken, or a look at the cloud, keeps the repeat from doing the work twice.
pub const NO_ANSWER: &str = "netform.NoAnswer";

/// An error answer from the cloud, in Alibaba's shape.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: String,
    pub message: String,
    pub request_id: String,
    pub status: u16,
    pub recommend: Option<String>,
}

impl ApiError {
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            code: code.into(),
            message: message.into(),
            request_id: String::new(),
            status,
            recommend: None,
        }
    }

    /// A request that was sent but never answered ([`NO_ANSWER`]).
    pub fn no_answer(message: impl Into<String>) -> ApiError {
        ApiError::new(0, NO_ANSWER, message)
    }

    pub fn is_unreachable(&self) -> bool {
        self.code == UNREACHABLE
    }

    /// Refused by netform itself before any call for the operation was sent (an unresolved
    /// value, deletion protection, a Subscription EIP): the cloud certainly did nothing.
    pub fn refused_before_any_call(&self) -> bool {
        matches!(
            self.code.as_str(),
            "netform.Unresolved"
                | "netform.Configuration"
                | "netform.DeletionProtection"
                | "netform.Subscription"
                | "netform.Offline"
        )
    }

    /// Throttling, service hiccups and transitional states: worth the same request again.
    pub fn is_retryable(&self) -> bool {
        // An unreachable endpoint is retried too: the ClientToken makes a repeat harmless.
        self.code.starts_with("Throttling")
            || self.code == UNREACHABLE
            || self.code == NO_ANSWER
            || matches!(
                self.code.as_str(),
                "ServiceUnavailable"
                    | "InternalError"
                    | "OperationConflict"
                    | "LastTokenProcessing"
            )
            || self.code.ends_with(".Conflict")
    }

    /// The rules.md id carried in a rule violation's message, `(rule ID)`.
    pub fn rule(&self) -> Option<&str> {
        let i = self.message.find("(rule ")?;
        let rest = &self.message[i + 6..];
        rest.find(')').map(|j| &rest[..j])
    }
}

/// One RPC call to a cloud: the product (which endpoint and API version), the action and its
/// flat parameters.
pub trait Transport: Send + Sync {
    fn call(
        &self,
        product: Product,
        action: &str,
        params: &Params,
    ) -> Result<serde_json::Value, ApiError>;
}

/// The clouds a configuration talks to: one transport (the simulator or the real API — never a
/// mix), and a region per provider block (`None` is the default block, `Some(alias)` the others).
pub struct Clouds {
    /// The default transport; `per_alias` overrides it for provider blocks that need their own
    /// (the real API signs per region).
    pub transport: std::sync::Arc<dyn Transport>,
    pub per_alias: BTreeMap<Option<String>, std::sync::Arc<dyn Transport>>,
    pub regions: BTreeMap<Option<String>, String>,
    pub timing: api::Timing,
    /// Set when the transport is the embedded simulator (to persist it, and for `sim show`).
    pub sim: Option<std::sync::Arc<sim::Sim>>,
    pub limits: crate::limits::Limits,
}

impl Clouds {
    pub fn client(&self, alias: Option<&str>) -> api::Client<'_> {
        let region = self
            .regions
            .get(&alias.map(str::to_string))
            .or_else(|| self.regions.get(&None))
            .cloned()
            .unwrap_or_else(|| "cn-hangzhou".to_string());
        let transport = self
            .per_alias
            .get(&alias.map(str::to_string))
            .unwrap_or(&self.transport);
        api::Client {
            transport: transport.as_ref(),
            region,
            timing: self.timing.clone(),
        }
    }
}
