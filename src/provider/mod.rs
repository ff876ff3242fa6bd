//! Cloud providers. Both speak Alibaba's RPC shape — an action name and flat string parameters
//! in, a JSON document out — through [`Transport`]: the embedded simulator answers in process,
//! the real cloud over signed HTTP. Everything above (`api`) is written once against that shape,
//! so the simulator exercises the same request building and response parsing as the real cloud.

pub mod api;
pub mod sim;

use std::collections::BTreeMap;

/// Flat request parameters, e.g. `PrivateIpAddress.1 = 192.168.1.10`.
pub type Params = BTreeMap<String, String>;

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

    /// Throttling, service hiccups and transitional states: worth the same request again.
    pub fn is_retryable(&self) -> bool {
        self.code.starts_with("Throttling")
            || matches!(
                self.code.as_str(),
                "ServiceUnavailable" | "InternalError" | "OperationConflict" | "LastTokenProcessing"
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

/// One RPC call to a cloud.
pub trait Transport: Send + Sync {
    fn call(&self, action: &str, params: &Params) -> Result<serde_json::Value, ApiError>;
}
