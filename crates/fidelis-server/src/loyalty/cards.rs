//! Card and card-series bodies in Capillary's shapes, to and from the store's records.

use fidelis_domain::loyalty::cards::{CardGeneration, CardLabel, CardSeries, CardStatus, CardType};
use fidelis_domain::loyalty::{LoyaltyError, ProgramId};
use fidelis_store::loyalty::{CardRecord, SeriesRecord, StatusLogRecord};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::Ctx;
use crate::api::local_time;
use crate::ApiError;

/// `POST /v2/card/series` and `PUT /v2/card/series/{id}`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeriesBody {
    pub code: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub card_type: Option<String>,
    pub expiry_days: Option<u32>,
    pub card_expiry_enabled: Option<bool>,
    pub card_generation_configuration: Option<GenerationBody>,
    pub card_generation_enabled: Option<bool>,
    pub is_active: Option<bool>,
    pub max_active_cards_per_customer: Option<u32>,
    /// Fidelis: the loyalty program the series' cards are linked to.
    #[schema(value_type = Option<i64>)]
    pub program_id: Option<ProgramId>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenerationBody {
    pub prefix: Option<String>,
    pub suffix: Option<String>,
    pub offset: Option<u64>,
    pub length: Option<u32>,
    /// `DEFAULT` (sequential); other methods are refused.
    pub method: Option<String>,
}

fn invalid(m: &str) -> ApiError {
    LoyaltyError::InvalidCardSeries(m.to_string()).into()
}

impl SeriesBody {
    /// The series this body describes; `code` comes from `current` on updates.
    pub fn series(&self, ctx: &Ctx, current: Option<&CardSeries>) -> Result<CardSeries, ApiError> {
        let code = match (current, self.code.as_deref().map(str::trim)) {
            (Some(c), _) => c.code.clone(),
            (None, Some(code)) if !code.is_empty() => code.to_string(),
            (None, _) => return Err(LoyaltyError::CardSeriesCodeEmpty.into()),
        };
        let card_type = match self
            .card_type
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            Some(t) if t.eq_ignore_ascii_case("DIGITAL") => CardType::Digital,
            Some(t) if t.eq_ignore_ascii_case("PHYSICAL") => CardType::Physical,
            Some(_) => return Err(invalid("type must be DIGITAL or PHYSICAL")),
            None => match current {
                Some(c) => c.card_type,
                None => return Err(LoyaltyError::CardSeriesTypeEmpty.into()),
            },
        };
        let name = self
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(String::from)
            .or(current.map(|c| c.name.clone()))
            .unwrap_or_else(|| code.clone());
        let expiry_enabled = self.card_expiry_enabled.unwrap_or(
            self.expiry_days.is_some() || current.is_some_and(|c| c.expiry_days.is_some()),
        );
        let expiry_days = match (expiry_enabled, self.expiry_days) {
            (false, _) => None,
            (true, Some(0)) => return Err(invalid("expiryDays must be positive")),
            (true, Some(d)) => Some(d),
            (true, None) => current.and_then(|c| c.expiry_days),
        };
        let generation = match &self.card_generation_configuration {
            Some(g) => {
                if g.method
                    .as_deref()
                    .is_some_and(|m| !m.eq_ignore_ascii_case("DEFAULT"))
                {
                    return Err(invalid("method must be DEFAULT"));
                }
                Some(CardGeneration {
                    prefix: g.prefix.clone().unwrap_or_default(),
                    suffix: g.suffix.clone().unwrap_or_default(),
                    offset: g.offset.unwrap_or(0),
                    length: g
                        .length
                        .ok_or_else(|| invalid("cardGenerationConfiguration.length is required"))?,
                })
            }
            None => current.and_then(|c| c.generation.clone()),
        };
        let generation = match self.card_generation_enabled {
            Some(false) => None,
            Some(true) if generation.is_none() => {
                return Err(invalid(
                    "cardGenerationConfiguration is required to generate cards",
                ))
            }
            _ => generation,
        };
        let program_id = match self.program_id {
            Some(id) => Some(ctx.program_id(Some(id))?),
            None => current.and_then(|c| c.program_id),
        };
        let series = CardSeries {
            code,
            name,
            card_type,
            program_id,
            expiry_days,
            generation,
            max_active_per_customer: self
                .max_active_cards_per_customer
                .or(current.and_then(|c| c.max_active_per_customer)),
        };
        series.validate()?;
        Ok(series)
    }
}

/// A card label named in a request, as the org spells it.
pub fn label(ctx: &Ctx, raw: Option<&str>) -> Result<CardLabel, ApiError> {
    Ok(fidelis_app::loyalty::card_label(ctx, raw)?)
}

/// Optional trimmed text; blank is absent.
pub fn text(raw: Option<&str>) -> Option<String> {
    raw.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

pub fn render_series(ctx: &Ctx, s: &SeriesRecord) -> Value {
    let tz = ctx.tz();
    let program = s
        .series
        .program_id
        .and_then(|id| ctx.loyalty.programs.iter().find(|p| p.id == id));
    json!({
        "id": s.id,
        "code": s.series.code,
        "name": s.series.name,
        "type": s.series.card_type.as_str(),
        "expiryDays": s.series.expiry_days,
        "cardExpiryEnabled": s.series.expiry_days.is_some(),
        "cardGenerationEnabled": s.series.generation.is_some(),
        "description": s.series.name,
        "cardGenerationConfiguration": s.series.generation.as_ref().map(|g| json!({
            "prefix": g.prefix, "suffix": g.suffix, "offset": g.offset, "length": g.length,
            "method": "DEFAULT", "type": "DEFAULT", "orgId": ctx.loyalty.org.id, "seriesId": s.id,
        })),
        "maxActiveCardsPerCustomer": s.series.max_active_per_customer,
        "isActive": s.is_active,
        "programId": s.series.program_id,
        "programName": program.map(|p| p.name.clone()),
        "orgId": ctx.loyalty.org.id,
        "createdOn": local_time(s.created_at, tz),
        "lastUpdatedOn": local_time(s.updated_at, tz),
    })
}

fn iso(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `GET /v2/card`: the documented fields plus the linked program.
pub fn render_card(ctx: &Ctx, c: &CardRecord) -> Value {
    let program = c
        .program_id()
        .and_then(|id| ctx.loyalty.programs.iter().find(|p| p.id == id));
    let fields = |v: &Value| match v {
        Value::Object(_) => v.clone(),
        _ => Value::Object(Map::new()),
    };
    json!({
        "id": c.id,
        "cardId": c.id,
        "cardNumber": c.number,
        "cardExternalId": c.external_id,
        "seriesId": c.series.id,
        "seriesCode": c.series.series.code,
        "seriesName": c.series.series.name,
        "type": c.series.series.card_type.as_str(),
        "expiryDays": c.series.series.expiry_days,
        "maxActiveCards": c.series.series.max_active_per_customer,
        // 0 for a card no customer holds, as Capillary answers it.
        "customerId": c.customer_id.map_or(0, |id| id.get()),
        "issuedDate": c.issued_at.map(iso),
        "expiryDate": c.expires_at.map(iso),
        "createdDate": c.created_at.to_zoned(ctx.tz().clone()).date().to_string(),
        "orgId": ctx.loyalty.org.id,
        "programId": c.program_id(),
        "programName": program.map(|p| p.name.clone()),
        "statusInfo": {
            "label": c.label,
            "status": c.status.as_str(),
            "reason": c.reason.clone().unwrap_or_default(),
            "createdBy": c.created_by,
            "createdOn": iso(c.updated_at),
            "entityId": c.id,
            "isActive": true,
            "actions": [],
            "autoUpdateTime": c.updated_at.to_zoned(ctx.tz().clone()).date().to_string(),
        },
        "activeAndDigital": c.status == CardStatus::Active && c.series.series.card_type == CardType::Digital,
        "transactionNotAllowed": !c.status.allows_transactions(),
        "extendedFields": fields(&c.extended_fields),
        "customFields": fields(&c.custom_fields),
        "warnings": [],
        "errors": [],
    })
}

pub fn render_log(ctx: &Ctx, card: &CardRecord, log: &[StatusLogRecord]) -> Value {
    let data: Vec<Value> = log
        .iter()
        .rev()
        .map(|l| {
            json!({
                "id": l.id,
                "entityId": card.id,
                "label": l.label,
                "status": l.status.as_str(),
                "reason": l.reason.clone().unwrap_or_default(),
                "customerId": l.customer_id,
                "createdBy": l.actor,
                "createdOn": iso(l.at),
                "createdOnLocal": local_time(l.at, ctx.tz()),
            })
        })
        .collect();
    json!({"cardNumber": card.number, "data": data, "warnings": [], "errors": []})
}
