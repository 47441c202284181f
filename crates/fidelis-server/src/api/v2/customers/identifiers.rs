//! `POST /v2/customers/{id}/changeIdentifier`: add/remove identifiers, issue/delink cards.

use axum::extract::{Path, Query, State};
use axum::Json;
use fidelis_domain::customers::{CustomerError, Identifier, IdentifierType};
use fidelis_store::customers::IdentifierChange;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Principal;
use crate::customers::wire::{card_details, scalar_text, IdentifierBody};
use crate::customers::{self, Ctx};
use crate::json::ApiJson;
use crate::{ApiError, AppState};

#[derive(Debug, Default, Deserialize)]
pub struct ChangeBody {
    #[serde(default)]
    pub add: Vec<IdentifierBody>,
    #[serde(default)]
    pub remove: Vec<IdentifierBody>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SourceQuery {
    pub source: Option<String>,
    #[serde(rename = "accountId")]
    pub account_id: Option<String>,
}

fn identifier(b: &IdentifierBody, country: &str) -> Result<Identifier, CustomerError> {
    let kind = IdentifierType::parse(&b.kind)?;
    if !kind.is_registrable() {
        return Err(CustomerError::InvalidIdentifierName(b.kind.clone()));
    }
    let value = scalar_text("value", &b.value)?.unwrap_or_default();
    Identifier::new(kind, &value, country)
}

/// Adds and removes identifiers of one source account. A card added with status label
/// `NOT_ISSUED` is delinked.
#[utoipa::path(post, path = "/v2/customers/{customerId}/changeIdentifier", tag = "customers",
    params(("customerId" = i64, Path, description = "Customer id"), SourceQuery),
    responses((status = 200, description = "`{createdId, warnings}`"),
              (status = 400, description = "1032/1016/1033/8008 held by another customer")))]
pub async fn change_identifier(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
    Query(q): Query<SourceQuery>,
    ApiJson(body): ApiJson<ChangeBody>,
) -> Result<Json<Value>, ApiError> {
    let id = super::customer_id(&raw)?;
    if body.add.is_empty() && body.remove.is_empty() {
        return Err(CustomerError::InvalidInput("add or remove is required".into()).into());
    }
    let ctx = Ctx::load(&state, &p).await?;
    let account = customers::account(
        &state,
        &ctx,
        id,
        q.source.as_deref(),
        q.account_id.as_deref(),
    )
    .await?;
    let mut add = Vec::new();
    for b in &body.add {
        let ident = identifier(b, &ctx.org.country)?;
        let card = ident.kind == IdentifierType::CardNumber;
        let details = if card { Some(card_details(b)?) } else { None };
        let delink = details
            .as_ref()
            .and_then(|d| d["statusLabel"].as_str())
            .is_some_and(|l| l.eq_ignore_ascii_case("NOT_ISSUED"));
        add.push(IdentifierChange {
            identifier: ident,
            details,
            delink,
        });
    }
    let remove = body
        .remove
        .iter()
        .map(|b| identifier(b, &ctx.org.country))
        .collect::<Result<Vec<_>, _>>()?;
    state
        .db
        .customers()
        .change_identifiers(ctx.org.id, id, &account, &add, &remove, state.now())
        .await?;
    Ok(Json(json!({"createdId": id, "warnings": []})))
}
