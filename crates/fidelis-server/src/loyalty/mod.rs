//! The loyalty service behind the transactions, points, goodwill and partner-program
//! endpoints: it turns request bodies into repository calls and results into Capillary's
//! shapes. Handlers in `api::v2::transactions`, `api::v2::loyalty` and `api::v1_1` stay
//! thin on top of it.

pub mod cards;
pub mod dates;
pub mod enrolment;
pub mod goodwill;
pub mod numbers;
pub mod partner;
pub mod redeem;
pub mod render;
pub mod summary;
pub mod txn;
pub mod wire;

use fidelis_domain::customers::{
    normalise_identifier, CustomerError, CustomerStatus, IdentifierType,
};
use fidelis_domain::loyalty::ledger::{Actor, ActorKind};
use fidelis_domain::loyalty::ProgramId;
use fidelis_store::customers::CustomerBrief;
use fidelis_store::loyalty::{CardKey, LoyaltyContext};

use crate::auth::Principal;
use crate::customers::{self, LookupQuery};
use crate::{ApiError, AppState};

/// What every loyalty operation needs: the org's loyalty configuration, the caller's
/// customer context (for identifier lookups) and who to record as the actor.
pub struct Ctx {
    pub loyalty: LoyaltyContext,
    pub customers: customers::Ctx,
    pub principal: Principal,
}

impl Ctx {
    pub async fn load(state: &AppState, p: &Principal) -> Result<Self, ApiError> {
        let customers = state.app.customers().context(p).await?;
        let loyalty = state.app.config(p).await?.loyalty.clone();
        Ok(Self {
            loyalty,
            customers,
            principal: p.clone(),
        })
    }

    /// The ledger actor: the till, or the API client.
    pub fn actor(&self) -> Actor {
        let kind = if self.principal.till_id.is_some() && self.principal.client_id.is_none() {
            ActorKind::Till
        } else {
            ActorKind::ApiClient
        };
        Actor {
            kind,
            id: Some(self.customers.actor.name.clone()),
        }
    }

    /// A maker/checker name for goodwill requests.
    pub fn user(&self) -> String {
        self.customers.actor.name.clone()
    }

    /// The named program (default when `None`); 1101 when the org has no such program.
    pub fn program_id(&self, id: Option<ProgramId>) -> Result<ProgramId, ApiError> {
        Ok(self.loyalty.program(id)?.id)
    }

    pub fn tz(&self) -> &jiff::tz::TimeZone {
        &self.loyalty.org.time_zone
    }
}

/// A customer found by identifier, with what transactions need to know about them.
#[derive(Debug, Clone)]
pub struct Customer {
    pub id: i64,
    pub status: CustomerStatus,
    pub first_name: String,
    pub last_name: String,
    /// The program linked to the card that identified the customer, if one did.
    pub card_program: Option<ProgramId>,
}

/// How a request names its customer: `identifierName`/`identifierValue` (+ `source`,
/// `accountId`). `id` is the customer id itself.
#[derive(Debug, Clone, Default)]
pub struct Ident {
    pub name: Option<String>,
    pub value: Option<String>,
    pub source: Option<String>,
    pub account_id: Option<String>,
}

impl Ident {
    pub fn given(&self) -> bool {
        let set = |s: &Option<String>| s.as_deref().is_some_and(|v| !v.trim().is_empty());
        set(&self.name) && set(&self.value)
    }
}

/// The customer an identifier names (8015 when there is none).
pub async fn find_customer(state: &AppState, ctx: &Ctx, who: &Ident) -> Result<Customer, ApiError> {
    let name = who.name.as_deref().unwrap_or("").trim();
    let mut c = if name.eq_ignore_ascii_case("id") || name.eq_ignore_ascii_case("userId") {
        let id = who
            .value
            .as_deref()
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|id| *id > 0)
            .ok_or(CustomerError::NotFound)?;
        customer_by_id(state, ctx, id).await?
    } else {
        // The transactions API spells sources in either case (`instore` in its samples).
        let q = LookupQuery {
            source: who
                .source
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_ascii_uppercase)
                .or(Some("ALL".into())),
            account_id: who.account_id.clone(),
            identifier_name: who.name.clone(),
            identifier_value: who.value.clone(),
            embed: None,
        };
        customers::resolve_brief(state, &ctx.customers, &q)
            .await?
            .into()
    };
    c.card_program = card_program(state, ctx, name, who.value.as_deref()).await?;
    Ok(c)
}

/// The program linked to the card an identifier names (`cardnumber`, `cardExternalId`).
async fn card_program(
    state: &AppState,
    ctx: &Ctx,
    name: &str,
    value: Option<&str>,
) -> Result<Option<ProgramId>, ApiError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let key = match IdentifierType::parse(name) {
        Ok(IdentifierType::CardNumber) => CardKey::Number(value.to_string()),
        Ok(IdentifierType::CardExternalId) => CardKey::ExternalId(value.to_string()),
        _ => return Ok(None),
    };
    Ok(state
        .db
        .loyalty()
        .card_program(ctx.loyalty.org.id, &key)
        .await?)
}

pub async fn customer_by_id(state: &AppState, ctx: &Ctx, id: i64) -> Result<Customer, ApiError> {
    Ok(state
        .db
        .customers()
        .brief(ctx.loyalty.org.id, id)
        .await?
        .ok_or(CustomerError::NotFound)?
        .into())
}

impl From<CustomerBrief> for Customer {
    fn from(c: CustomerBrief) -> Self {
        Self {
            id: c.id,
            status: c.status,
            first_name: c.first_name.unwrap_or_default(),
            last_name: c.last_name.unwrap_or_default(),
            card_program: None,
        }
    }
}

/// The customer named by v1.1 identifier fields (`id`, `mobile`, `email`, `external_id`,
/// `card_number`): the first one given wins.
pub async fn find_v1_customer(
    state: &AppState,
    ctx: &Ctx,
    fields: &[(&str, Option<&str>)],
) -> Result<Customer, ApiError> {
    for (name, value) in fields {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            continue;
        };
        if *name == "id" {
            let id = value.parse::<i64>().map_err(|_| CustomerError::NotFound)?;
            return customer_by_id(state, ctx, id).await;
        }
        let kind = IdentifierType::parse(match *name {
            "external_id" => "externalId",
            "card_number" => "cardnumber",
            "card_external_id" => "cardExternalId",
            other => other,
        })?;
        let value = normalise_identifier(kind, value, &ctx.loyalty.org.country)?;
        let mut c: Customer = state
            .db
            .customers()
            .lookup_brief(ctx.loyalty.org.id, None, None, kind, &value)
            .await?
            .into();
        c.card_program = card_program(state, ctx, kind.as_str(), Some(&value)).await?;
        return Ok(c);
    }
    Err(ApiError::invalid("No customer identifier given"))
}
