//! The incentives context: coupon series, issuing, redemption, promo codes, gift vouchers
//! and incentives search.
//!
//! Every operation goes through [`Incentives`] (`app.incentives()`) and takes a [`Ctx`]:
//! the caller's org and where the caller stands (till → store → concept and zone), which
//! decides whether a code restricted to some stores or concepts is redeemable here.

mod redeem;
mod search;
mod series;

use fidelis_domain::customers::{CustomerError, CustomerStatus};
use fidelis_domain::incentives::{IncentivesError, Place};
use fidelis_domain::org::{EntityKind, Org};

pub use redeem::*;
pub use search::*;
pub use series::*;

use crate::loyalty::{Customer, Ident};
use crate::{App, AppError, Caller};

/// The most codes or series one request may name.
pub const MAX_ITEMS: usize = 100;

/// What every incentives operation needs: the org, who calls, and from where.
pub struct Ctx {
    pub org: Org,
    pub caller: Caller,
    pub place: Place,
}

impl Ctx {
    pub fn tz(&self) -> &jiff::tz::TimeZone {
        &self.org.time_zone
    }
}

/// The incentives operations of an `App`.
pub struct Incentives<'a> {
    app: &'a App,
}

impl App {
    pub fn incentives(&self) -> Incentives<'_> {
        Incentives { app: self }
    }
}

/// How a request names its customer: `id`, `mobile`, `email` or `externalId` (the first
/// one given, in that order).
#[derive(Debug, Clone, Default)]
pub struct Who {
    pub id: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub external_id: Option<String>,
}

impl Who {
    fn ident(&self) -> Option<Ident> {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        [
            ("id", &self.id),
            ("mobile", &self.mobile),
            ("email", &self.email),
            ("externalId", &self.external_id),
        ]
        .into_iter()
        .find_map(|(name, v)| {
            given(v).map(|value| Ident {
                name: Some(name.into()),
                value: Some(value.into()),
                source: None,
                account_id: None,
            })
        })
    }
}

impl Incentives<'_> {
    /// The incentives context of `caller`: its org and the place of its till's store.
    pub async fn context(&self, caller: &Caller) -> Result<Ctx, AppError> {
        let org = self.app.config(caller).await?.org.clone();
        let mut place = Place {
            store: caller.store_id,
            ..Place::default()
        };
        if let Some(store) = caller.store_id {
            if let Some(e) = self.app.db.orgs().entity(org.id, store).await? {
                if e.kind == EntityKind::Store {
                    place.concept = e.concept_id;
                    place.zone = e.parent_id;
                }
            }
        }
        Ok(Ctx {
            org,
            caller: caller.clone(),
            place,
        })
    }

    /// The customer a request names: 701 when none is named or found, 740 for a customer
    /// confirmed as fraud.
    pub async fn customer(&self, ctx: &Ctx, who: &Who) -> Result<Customer, AppError> {
        let ident = who.ident().ok_or(IncentivesError::CustomerNotFound)?;
        let lctx = self.app.loyalty().context(&ctx.caller).await?;
        let c = match self.app.loyalty().find_customer(&lctx, &ident).await {
            Err(AppError::Customers(CustomerError::NotFound)) => {
                return Err(IncentivesError::CustomerNotFound.into())
            }
            other => other?,
        };
        if c.status == CustomerStatus::FraudConfirmed {
            return Err(IncentivesError::CustomerFraud.into());
        }
        Ok(c)
    }
}
