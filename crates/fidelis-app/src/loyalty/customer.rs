//! The customer a loyalty request names, with what transactions need to know about them.

use fidelis_domain::customers::{
    normalise_identifier, CustomerError, CustomerId, CustomerStatus, IdentifierType,
};
use fidelis_domain::loyalty::{LoyaltyError, ProgramId};
use fidelis_store::customers::CustomerBrief;
use fidelis_store::loyalty::CardKey;

use super::{Ctx, Loyalty};
use crate::customers::{resolve_brief, Lookup};
use crate::AppError;

/// A customer found by identifier.
#[derive(Debug, Clone)]
pub struct Customer {
    pub id: CustomerId,
    pub status: CustomerStatus,
    pub first_name: String,
    pub last_name: String,
    /// The program linked to the card that identified the customer, if one did.
    pub card_program: Option<ProgramId>,
}

impl Customer {
    /// A customer known by id and status only (imports look names up for no bill).
    pub fn unnamed(id: CustomerId, status: CustomerStatus) -> Self {
        Self {
            id,
            status,
            first_name: String::new(),
            last_name: String::new(),
            card_program: None,
        }
    }
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

/// How a request names its customer: `identifierName`/`identifierValue` (+ `source`,
/// `accountId`); the name `id` (or `userId`) means the customer id itself.
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

/// The v1.1 identifier fields of a customer (`id`, `mobile`, `email`, `external_id`,
/// `card_number`); the first one given, in that order, names the customer.
#[derive(Debug, Clone, Default)]
pub struct V1Identifiers {
    pub id: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub card_number: Option<String>,
}

impl Loyalty<'_> {
    /// The customer an identifier names (8015 when there is none).
    pub async fn find_customer(&self, ctx: &Ctx, who: &Ident) -> Result<Customer, AppError> {
        let name = who.name.as_deref().unwrap_or("").trim();
        let mut c = if name.eq_ignore_ascii_case("id") || name.eq_ignore_ascii_case("userId") {
            let id = who
                .value
                .as_deref()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .filter(|id| *id > 0)
                .map(CustomerId::new)
                .ok_or(CustomerError::NotFound)?;
            self.customer_by_id(ctx, id).await?
        } else {
            // The transactions API spells sources in either case (`instore` in its samples).
            let q = Lookup {
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
            };
            resolve_brief(self.app, &ctx.loyalty.org, &q).await?.into()
        };
        c.card_program = self.card_program(ctx, name, who.value.as_deref()).await?;
        Ok(c)
    }

    /// The program linked to the card an identifier names (`cardnumber`, `cardExternalId`).
    async fn card_program(
        &self,
        ctx: &Ctx,
        name: &str,
        value: Option<&str>,
    ) -> Result<Option<ProgramId>, AppError> {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let key = match IdentifierType::parse(name) {
            Ok(IdentifierType::CardNumber) => CardKey::Number(value.to_string()),
            Ok(IdentifierType::CardExternalId) => CardKey::ExternalId(value.to_string()),
            _ => return Ok(None),
        };
        Ok(self
            .app
            .db
            .loyalty()
            .card_program(ctx.loyalty.org.id, &key)
            .await?)
    }

    pub async fn customer_by_id(&self, ctx: &Ctx, id: CustomerId) -> Result<Customer, AppError> {
        Ok(self
            .app
            .db
            .customers()
            .brief(ctx.loyalty.org.id, id)
            .await?
            .ok_or(CustomerError::NotFound)?
            .into())
    }

    /// The customer named by v1.1 identifier fields (`LoyaltyError::NoCustomerIdentifier`
    /// when none is given, `CustomerError::NotFound` when nobody has it).
    pub async fn find_v1_customer(
        &self,
        ctx: &Ctx,
        ids: &V1Identifiers,
    ) -> Result<Customer, AppError> {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        if let Some(id) = given(&ids.id) {
            let id = id
                .parse::<CustomerId>()
                .map_err(|_| CustomerError::NotFound)?;
            return self.customer_by_id(ctx, id).await;
        }
        let (kind, value) = [
            (IdentifierType::Mobile, &ids.mobile),
            (IdentifierType::Email, &ids.email),
            (IdentifierType::ExternalId, &ids.external_id),
            (IdentifierType::CardNumber, &ids.card_number),
        ]
        .into_iter()
        .find_map(|(k, v)| given(v).map(|v| (k, v)))
        .ok_or(LoyaltyError::NoCustomerIdentifier)?;
        let value = normalise_identifier(kind, &value, &ctx.loyalty.org.country)?;
        let mut c: Customer = self
            .app
            .db
            .customers()
            .lookup_brief(ctx.loyalty.org.id, None, None, kind, &value)
            .await?
            .into();
        c.card_program = self.card_program(ctx, kind.as_str(), Some(&value)).await?;
        Ok(c)
    }
}
