//! The customers service: turns v2 request bodies into validated inputs, calls the
//! repository (which applies the domain rules inside one transaction) and renders results.
//! Handlers in `api::v2::customers` stay thin on top of it.

pub mod render;
pub mod wire;

use std::collections::HashMap;

pub use fidelis_domain::customers::CustomerError;
use fidelis_domain::customers::{normalise_identifier, IdentifierType, Source, SourceAccount};
use fidelis_domain::org::Org;
use fidelis_store::customers::{
    Actor, CustomerBrief, CustomerSettings, Registration, Saved, Update,
};
use fidelis_store::Unit;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Principal;
use crate::{ApiError, AppState};
use wire::{CustomerBody, OrgContext, Warnings};

/// What every customer operation needs about the caller and its org.
pub struct Ctx {
    pub org: Org,
    pub settings: CustomerSettings,
    pub actor: Actor,
}

impl Ctx {
    pub async fn load(state: &AppState, p: &Principal) -> Result<Self, ApiError> {
        let config = state.app.config(p).await?;
        let (org, settings) = (config.org.clone(), config.customers.clone());
        let name = match (&p.till_code, p.client_id) {
            (Some(code), _) => code.clone(),
            (None, Some(c)) => format!("api-client:{c}"),
            (None, None) => "api".to_string(),
        };
        Ok(Self {
            org,
            settings,
            actor: Actor {
                till_id: p.till_id,
                name,
            },
        })
    }

    fn org_context(&self) -> OrgContext<'_> {
        OrgContext {
            country: &self.org.country,
            settings: &self.settings,
        }
    }
}

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

/// Finds the customer a lookup query names.
pub async fn resolve(state: &AppState, ctx: &Ctx, q: &LookupQuery) -> Result<i64, ApiError> {
    Ok(resolve_brief(state, ctx, q).await?.id)
}

/// `resolve`, with the customer's status and name from the same query.
pub async fn resolve_brief(
    state: &AppState,
    ctx: &Ctx,
    q: &LookupQuery,
) -> Result<CustomerBrief, ApiError> {
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
        k => normalise_identifier(k, raw, &ctx.org.country)?,
    };
    Ok(state
        .db
        .customers()
        .lookup_brief(ctx.org.id, source, account, kind, &value)
        .await?)
}

/// Which optional parts `embed` asks for. Loyalty parts are accepted; they render empty
/// until the customer is enrolled in a program.
pub struct Embed {
    pub subscriptions: bool,
}

impl Embed {
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let mut out = Embed {
            subscriptions: false,
        };
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
}

/// The full customer object.
pub async fn details(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    embed: &Embed,
) -> Result<Value, ApiError> {
    let repo = state.db.customers();
    let c = repo
        .get(ctx.org.id, id)
        .await?
        .ok_or(CustomerError::NotFound)?;
    let mut tills = HashMap::new();
    for t in [c.created_till_id, c.modified_till_id]
        .into_iter()
        .flatten()
    {
        if let Some(e) = state.db.orgs().entity(ctx.org.id, t).await? {
            tills.insert(t, e);
        }
    }
    let subs = if embed.subscriptions {
        Some(repo.subscriptions(ctx.org.id, id).await?)
    } else {
        None
    };
    let fleet = repo.fleet_member(ctx.org.id, id).await?;
    Ok(render::customer(
        &c,
        &ctx.org,
        &tills,
        &render::Extras {
            subscriptions: subs.as_deref(),
            fleet: fleet.as_ref(),
        },
    ))
}

fn profiles(
    body: &CustomerBody,
    ctx: &Ctx,
    warnings: &mut Warnings,
) -> Result<Vec<fidelis_store::customers::NewProfile>, CustomerError> {
    if body.profiles.is_empty() {
        return Err(CustomerError::InvalidInput("profiles is required".into()));
    }
    let out = body
        .profiles
        .iter()
        .map(|p| p.to_new(&ctx.org_context(), warnings))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, p) in out.iter().enumerate() {
        if out[..i]
            .iter()
            .any(|o| o.profile.account == p.profile.account)
        {
            return Err(CustomerError::InvalidInput(format!(
                "more than one profile for source {}",
                p.profile.account.source
            )));
        }
    }
    Ok(out)
}

/// `POST /v2/customers`.
pub async fn register(state: &AppState, ctx: &Ctx, body: &CustomerBody) -> Result<Saved, ApiError> {
    let (reg, warnings) = registration(state, ctx, body)?;
    let saved = state
        .db
        .customers()
        .register(ctx.org.id, &reg, &ctx.actor, state.now())
        .await?;
    Ok(with_warnings(saved, warnings))
}

/// `register` as a step of `unit` (each customer of a `/v2/customers/bulk` element).
pub async fn register_in(
    unit: &mut Unit,
    state: &AppState,
    ctx: &Ctx,
    body: &CustomerBody,
) -> Result<Saved, ApiError> {
    let (reg, warnings) = registration(state, ctx, body)?;
    let saved = state
        .db
        .customers()
        .register_in(unit, ctx.org.id, &reg, &ctx.actor, state.now())
        .await?;
    Ok(with_warnings(saved, warnings))
}

fn with_warnings(mut saved: Saved, mut warnings: Warnings) -> Saved {
    warnings.append(&mut saved.warnings);
    saved.warnings = warnings;
    saved
}

/// The registration a body asks for, and the warnings its validation gave.
fn registration(
    state: &AppState,
    ctx: &Ctx,
    body: &CustomerBody,
) -> Result<(Registration, Warnings), ApiError> {
    let now = state.now();
    let mut warnings = Vec::new();
    let profiles = profiles(body, ctx, &mut warnings)?;
    let associated_with = fidelis_domain::customers::identifiers::normalise_text(
        "associatedWith",
        body.associated_with.as_deref(),
        100,
    )?;
    let reg = Registration {
        profiles,
        loyalty_type: body.loyalty_type()?,
        extended_fields: body.extended_fields(&ctx.org_context())?,
        associated_with,
        created_at: wire::create_date(body.create_date.as_deref(), &ctx.org.time_zone, now)?,
        status_label: body.status_label.clone().filter(|s| !s.trim().is_empty()),
        status_reason: body.status_label_reason.clone(),
    };
    Ok((reg, warnings))
}

/// `PUT /v2/customers/{id}` and `PUT /v2/customers/lookup`.
pub async fn update(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    body: &CustomerBody,
) -> Result<Saved, ApiError> {
    let mut warnings = Vec::new();
    let profiles = if body.profiles.is_empty() {
        Vec::new()
    } else {
        profiles(body, ctx, &mut warnings)?
    };
    let up = Update {
        profiles,
        loyalty_type: body.loyalty_type()?,
        extended_fields: body.extended_fields(&ctx.org_context())?,
    };
    let mut saved = state
        .db
        .customers()
        .update(ctx.org.id, id, &up, &ctx.actor, state.now())
        .await?;
    warnings.append(&mut saved.warnings);
    saved.warnings = warnings;
    Ok(saved)
}

/// `{"createdId", "warnings", "sideEffects"}`.
pub fn saved_json(s: &Saved) -> Value {
    json!({
        "createdId": s.customer_id,
        "warnings": render::warnings(&s.warnings),
        "sideEffects": [],
    })
}

/// The source account named by `source`/`accountId` query parameters; without a source,
/// the customer's first profile.
pub async fn account(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    source: Option<&str>,
    account_id: Option<&str>,
) -> Result<SourceAccount, ApiError> {
    match source.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Ok(SourceAccount::new(Source::parse(s)?, account_id)?),
        None => {
            let c = state
                .db
                .customers()
                .get(ctx.org.id, id)
                .await?
                .ok_or(CustomerError::NotFound)?;
            let p = c.profiles.first().ok_or(CustomerError::NotFound)?;
            Ok(SourceAccount {
                source: Source::parse(&p.source)?,
                account_id: Some(p.account_id.clone()).filter(|a| !a.is_empty()),
            })
        }
    }
}
