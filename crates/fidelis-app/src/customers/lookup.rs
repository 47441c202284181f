//! Finding a customer by identifier.

use fidelis_domain::customers::{normalise_identifier, CustomerError, IdentifierType, Source};
use fidelis_domain::org::Org;
use fidelis_store::customers::CustomerBrief;

use crate::{App, AppError};

/// `source`/`accountId`/`identifierName`/`identifierValue` of the lookup-style requests.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    /// Source (`INSTORE`, `MOBILE_APP`, …) or `ALL`.
    pub source: Option<String>,
    pub account_id: Option<String>,
    /// `mobile`, `email`, `externalId`, `cardnumber`, `cardExternalId`, …
    pub identifier_name: Option<String>,
    pub identifier_value: Option<String>,
}

/// The customer a lookup names, with status and name from the same query.
pub async fn resolve_brief(app: &App, org: &Org, q: &Lookup) -> Result<CustomerBrief, AppError> {
    let source = Source::parse_filter(q.source.as_deref().unwrap_or(""))?;
    let account = q
        .account_id
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    if let Some(s) = source {
        if s.is_multi_account() && account.is_none() {
            return Err(CustomerError::AccountIdRequired(s.as_str().into()).into());
        }
    }
    let kind = IdentifierType::parse(q.identifier_name.as_deref().unwrap_or(""))?;
    let raw = q.identifier_value.as_deref().unwrap_or("");
    if raw.trim().is_empty() {
        return Err(
            CustomerError::InvalidIdentifierName("identifierValue is required".into()).into(),
        );
    }
    let value = match kind {
        IdentifierType::CardExternalId => raw.trim().to_string(),
        k => normalise_identifier(k, raw, &org.country)?,
    };
    Ok(app
        .db
        .customers()
        .lookup_brief(org.id, source, account, kind, &value)
        .await?)
}
