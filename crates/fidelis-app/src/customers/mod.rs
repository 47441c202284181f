//! The customers context: lookups, registration, profiles, identifiers, status,
//! subscriptions, fleet hierarchies and companies.
//!
//! Every operation goes through [`Customers`] (`app.customers()`). Operations on customers
//! take the [`Ctx`] loaded once per request from the caller (the org, its customer
//! settings, who is acting); fleet and company operations need only the [`Caller`].
//! Inputs are domain and store types, already parsed from whatever the surface received;
//! results are domain and store types, or views that gather what a surface shows.

mod bulk;
mod companies;
mod fleet;
mod profiles;

use fidelis_domain::customers::{
    normalise_identifier, CustomerError, CustomerId, IdentifierType, Source, SourceAccount,
};
use fidelis_domain::org::Org;
use fidelis_store::customers::{Actor, CustomerBrief, CustomerSettings};

pub use bulk::{
    Association, BulkAssociation, BulkChild, BulkElement, BulkInput, ElementOutcome, FleetEntity,
    MAX_BATCH,
};
pub use companies::Page;
pub use fleet::HierarchyKey;
pub use profiles::{
    CustomerView, Embed, StatusUpdate, SubscriptionRequest, SubscriptionsUpdate, Warnings,
};

use crate::{App, AppError, Caller};

/// What every customer operation needs about the caller and its org.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub org: Org,
    pub settings: CustomerSettings,
    pub actor: Actor,
}

/// How a request names a customer by identifier, as sent: `source` (or `ALL`),
/// `accountId`, `identifierName`, `identifierValue`.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    pub source: Option<String>,
    pub account_id: Option<String>,
    pub identifier_name: Option<String>,
    pub identifier_value: Option<String>,
}

/// A customer named by id, or by an identifier.
#[derive(Debug, Clone, Copy)]
pub enum CustomerKey<'a> {
    Id(CustomerId),
    Lookup(&'a Lookup),
}

/// The customers context of the application.
#[derive(Clone, Copy)]
pub struct Customers<'a> {
    app: &'a App,
}

impl App {
    pub fn customers(&self) -> Customers<'_> {
        Customers { app: self }
    }
}

impl Customers<'_> {
    /// The caller's org, its customer settings and the actor to record.
    pub async fn context(&self, caller: &Caller) -> Result<Ctx, AppError> {
        let config = self.app.config(caller).await?;
        Ok(Ctx {
            org: config.org.clone(),
            settings: config.customers.clone(),
            actor: Actor {
                till_id: caller.till_id,
                name: caller.name(),
            },
        })
    }

    /// The id of the customer holding an identifier.
    pub async fn resolve(&self, ctx: &Ctx, who: &Lookup) -> Result<CustomerId, AppError> {
        Ok(self.resolve_brief(ctx, who).await?.id)
    }

    /// [`Self::resolve`], with the customer's status and name from the same query.
    pub async fn resolve_brief(&self, ctx: &Ctx, who: &Lookup) -> Result<CustomerBrief, AppError> {
        resolve_brief(self.app, &ctx.org, who).await
    }

    /// The customer's id: given, or found by identifier.
    pub async fn id(&self, ctx: &Ctx, key: CustomerKey<'_>) -> Result<CustomerId, AppError> {
        match key {
            CustomerKey::Id(id) => Ok(id),
            CustomerKey::Lookup(who) => self.resolve(ctx, who).await,
        }
    }

    /// The source account named by `source`/`accountId`; without a source, the customer's
    /// first profile.
    pub async fn account(
        &self,
        ctx: &Ctx,
        id: CustomerId,
        source: Option<&str>,
        account_id: Option<&str>,
    ) -> Result<SourceAccount, AppError> {
        match source.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Ok(SourceAccount::new(Source::parse(s)?, account_id)?),
            None => {
                let c = self
                    .app
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
}

/// The customer of `org` a lookup names, with status and name.
pub(crate) async fn resolve_brief(
    app: &App,
    org: &Org,
    who: &Lookup,
) -> Result<CustomerBrief, AppError> {
    let source = Source::parse_filter(who.source.as_deref().unwrap_or(""))?;
    let account = who
        .account_id
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    if let Some(s) = source {
        if s.is_multi_account() && account.is_none() {
            return Err(CustomerError::AccountIdRequired(s.as_str().into()).into());
        }
    }
    let kind = IdentifierType::parse(who.identifier_name.as_deref().unwrap_or(""))?;
    let raw = who.identifier_value.as_deref().unwrap_or("");
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
