//! The customers adapter: v2 request bodies and query parameters (`wire`), their
//! translation into the inputs of `fidelis_app::customers`, and the JSON the v2 API answers
//! with (`render`). Handlers in `api::v2::customers` stay thin on top of it.

pub mod render;
pub mod wire;

use fidelis_app::customers::{Embed, Lookup};
pub use fidelis_domain::customers::CustomerError;
use fidelis_store::customers::Saved;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::ApiError;

/// `source`/`accountId`/`identifierName`/`identifierValue` of the lookup-style endpoints.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// Source (`INSTORE`, `MOBILE_APP`, …) or `ALL`.
    pub source: Option<String>,
    pub account_id: Option<String>,
    /// `mobile`, `email`, `externalId`, `cardnumber`, `cardExternalId`, …
    pub identifier_name: Option<String>,
    pub identifier_value: Option<String>,
    /// Comma-separated: `subscriptions`, `points`, `mlp`, …
    pub embed: Option<String>,
}

impl LookupQuery {
    /// The identifier the query names.
    pub fn lookup(&self) -> Lookup {
        Lookup {
            source: self.source.clone(),
            account_id: self.account_id.clone(),
            identifier_name: self.identifier_name.clone(),
            identifier_value: self.identifier_value.clone(),
        }
    }
}

/// Which optional parts `embed` asks for. Loyalty parts are accepted; they render empty
/// until the customer is enrolled in a program.
pub fn embed(raw: Option<&str>) -> Result<Embed, ApiError> {
    let mut out = Embed::default();
    for part in raw
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match part.to_ascii_lowercase().as_str() {
            "subscriptions" => out.subscriptions = true,
            "points" | "mlp" | "promotionalpoints" | "expiryschedules" | "expiredpoints"
            | "gap_to_upgrade" | "segments" => {}
            _ => {
                return Err(ApiError::invalid(format!(
                    "Invalid input: unknown embed {part}"
                )))
            }
        }
    }
    Ok(out)
}

/// Whether `embed` names `part` (any case).
pub fn embeds(raw: Option<&str>, part: &str) -> bool {
    raw.unwrap_or("")
        .split(',')
        .any(|p| p.trim().eq_ignore_ascii_case(part))
}

/// `{"createdId", "warnings", "sideEffects"}`.
pub fn saved_json(s: &Saved) -> Value {
    json!({
        "createdId": s.customer_id,
        "warnings": render::warnings(&s.warnings),
        "sideEffects": [],
    })
}
