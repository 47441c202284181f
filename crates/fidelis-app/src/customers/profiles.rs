//! One customer: the full read, registration and updates, identifiers, status and
//! subscriptions.

use std::collections::HashMap;

use fidelis_domain::customers::{
    effective_status, validate_scope, CustomerError, CustomerId, Identifier, Priority, Source,
    SourceAccount, StatusChangeRequest, Subscription, SubscriptionChannel, SubscriptionStatus,
};
use fidelis_domain::org::{Entity, EntityId, EntityKind};
use fidelis_store::customers::{
    CustomerRecord, FleetMember, IdentifierChange, Registration, Saved, StatusLogEntry, Update,
};

use super::{Ctx, CustomerKey, Customers, Lookup};
use fidelis_domain::error::CodedError;
use fidelis_domain::loyalty::enrolment::EnrolmentRequest;
use fidelis_store::Unit;

use crate::AppError;

/// Warnings to return with a result: `(code, message)`.
pub type Warnings = Vec<(u32, String)>;

/// Which optional parts of the full customer to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Embed {
    pub subscriptions: bool,
}

/// The full customer, with the tills named in its attribution and its fleet place.
#[derive(Debug, Clone)]
pub struct CustomerView {
    pub customer: CustomerRecord,
    /// The tills that created and last modified the customer, by id.
    pub tills: HashMap<EntityId, Entity>,
    /// Present when asked for with [`Embed::subscriptions`].
    pub subscriptions: Option<Vec<Subscription>>,
    pub fleet: Option<FleetMember>,
}

/// A status change as sent: the label to move to, why, and when it happened.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatusUpdate<'a> {
    pub label: Option<&'a str>,
    pub reason: Option<&'a str>,
    /// `YYYY-MM-DDTHH:MM:SSZ`; now when absent.
    pub created_on: Option<&'a str>,
}

/// One subscription to set, as sent.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionRequest<'a> {
    pub channel: &'a str,
    pub priority: &'a str,
    /// `OPTIN` / `OPTOUT`.
    pub status: &'a str,
    /// The org unit (concept) it applies to, as sent; absent, blank or not positive: the
    /// whole org.
    pub org_unit_id: Option<String>,
}

/// The subscriptions to set and the scope they were sent with.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionsUpdate<'a> {
    pub scope: Option<&'a str>,
    pub sub_scope: Option<&'a str>,
    pub subscriptions: Vec<SubscriptionRequest<'a>>,
}

impl Customers<'_> {
    /// The full customer, 8015 when there is none.
    pub async fn details(
        &self,
        ctx: &Ctx,
        key: CustomerKey<'_>,
        embed: Embed,
    ) -> Result<CustomerView, AppError> {
        let id = self.id(ctx, key).await?;
        let repo = self.app.db.customers();
        let customer = repo
            .get(ctx.org.id, id)
            .await?
            .ok_or(CustomerError::NotFound)?;
        let mut tills = HashMap::new();
        for t in [customer.created_till_id, customer.modified_till_id]
            .into_iter()
            .flatten()
        {
            if let Some(e) = self.app.db.orgs().entity(ctx.org.id, t).await? {
                tills.insert(t, e);
            }
        }
        let subscriptions = if embed.subscriptions {
            Some(repo.subscriptions(ctx.org.id, id).await?)
        } else {
            None
        };
        let fleet = repo.fleet_member(ctx.org.id, id).await?;
        Ok(CustomerView {
            customer,
            tills,
            subscriptions,
            fleet,
        })
    }

    /// Registers a customer (or joins the customer who already holds its identifiers) and
    /// enrols them in the requested programs, in one unit of work; a refused enrolment
    /// writes nothing and comes back as a warning.
    pub async fn register(
        &self,
        ctx: &Ctx,
        reg: &Registration,
        warnings: Warnings,
        loyalty: &crate::loyalty::Ctx,
        enrolments: &[EnrolmentRequest],
    ) -> Result<Saved, AppError> {
        let mut unit = self.app.db.unit().await?;
        let saved = self
            .app
            .db
            .customers()
            .register_in(&mut unit, ctx.org.id, reg, &ctx.actor, self.app.now())
            .await?;
        self.enrol_and_commit(unit, saved, warnings, loyalty, enrolments)
            .await
    }

    /// Updates customer `id` and enrols them in the requested programs, in one unit of
    /// work (as `register`).
    pub async fn update(
        &self,
        ctx: &Ctx,
        id: CustomerId,
        up: &Update,
        warnings: Warnings,
        loyalty: &crate::loyalty::Ctx,
        enrolments: &[EnrolmentRequest],
    ) -> Result<Saved, AppError> {
        let mut unit = self.app.db.unit().await?;
        let saved = self
            .app
            .db
            .customers()
            .update_in(&mut unit, ctx.org.id, id, up, &ctx.actor, self.app.now())
            .await?;
        self.enrol_and_commit(unit, saved, warnings, loyalty, enrolments)
            .await
    }

    async fn enrol_and_commit(
        &self,
        mut unit: Unit,
        mut saved: Saved,
        warnings: Warnings,
        loyalty: &crate::loyalty::Ctx,
        enrolments: &[EnrolmentRequest],
    ) -> Result<Saved, AppError> {
        self.enrol_in(&mut unit, &mut saved, loyalty, enrolments)
            .await?;
        unit.commit().await?;
        Ok(with_warnings(saved, warnings))
    }

    /// Enrols a saved customer in `unit`; what could not be done is added to its warnings,
    /// a failure of ours is an error.
    pub async fn enrol_in(
        &self,
        unit: &mut Unit,
        saved: &mut Saved,
        loyalty: &crate::loyalty::Ctx,
        enrolments: &[EnrolmentRequest],
    ) -> Result<(), AppError> {
        for req in enrolments {
            match self
                .app
                .loyalty()
                .enrol(unit, loyalty, saved.customer_id, req)
                .await
            {
                Ok(()) => {}
                Err(e) if e.is_internal() => return Err(e),
                Err(e) => saved.warnings.push((e.code(), e.to_string())),
            }
        }
        Ok(())
    }

    /// Adds and removes identifiers of one source account (issuing or delinking cards).
    pub async fn change_identifiers(
        &self,
        ctx: &Ctx,
        id: CustomerId,
        account: &SourceAccount,
        add: &[IdentifierChange],
        remove: &[Identifier],
    ) -> Result<(), AppError> {
        self.app
            .db
            .customers()
            .change_identifiers(ctx.org.id, id, account, add, remove, self.app.now())
            .await?;
        Ok(())
    }

    /// Moves the customer holding an identifier to a status label; returns its id. The
    /// status endpoint refuses an unknown source with 8003 (not 8012) before anything else.
    pub async fn change_status(
        &self,
        ctx: &Ctx,
        who: &Lookup,
        change: StatusUpdate<'_>,
    ) -> Result<CustomerId, AppError> {
        let source = who.source.as_deref().unwrap_or("");
        if !source.trim().eq_ignore_ascii_case("ALL") && Source::parse(source).is_err() {
            return Err(CustomerError::InvalidStatusSource(source.to_string()).into());
        }
        let id = self.resolve(ctx, who).await?;
        let label = change
            .label
            .filter(|l| !l.trim().is_empty())
            .ok_or_else(|| CustomerError::InvalidInput("label is required".into()))?;
        let created_on = match change.created_on.map(str::trim).filter(|s| !s.is_empty()) {
            Some(t) => Some(t.parse::<jiff::Timestamp>().map_err(|_| {
                CustomerError::InvalidInput(format!("createdOn {t} is not YYYY-MM-DDTHH:MM:SSZ"))
            })?),
            None => None,
        };
        let req = StatusChangeRequest {
            label,
            reason: change.reason.unwrap_or(""),
            created_on,
            actor: &ctx.actor.name,
        };
        self.app
            .db
            .customers()
            .change_status(ctx.org.id, id, req, self.app.now())
            .await?;
        Ok(id)
    }

    /// Status changes of customer `id`, newest first.
    pub async fn status_log(
        &self,
        ctx: &Ctx,
        id: CustomerId,
    ) -> Result<Vec<StatusLogEntry>, AppError> {
        let repo = self.app.db.customers();
        if !repo.exists(ctx.org.id, id).await? {
            return Err(CustomerError::NotFound.into());
        }
        Ok(repo.status_log(ctx.org.id, id).await?)
    }

    /// The subscriptions an update asks for, checked (channels, priorities, statuses and
    /// org units), without writing anything.
    pub async fn check_subscriptions(
        &self,
        ctx: &Ctx,
        update: &SubscriptionsUpdate<'_>,
    ) -> Result<Vec<Subscription>, AppError> {
        validate_scope(update.scope, update.sub_scope)?;
        if update.subscriptions.is_empty() {
            return Err(CustomerError::InvalidInput("subscriptions is required".into()).into());
        }
        let mut subs = Vec::with_capacity(update.subscriptions.len());
        for item in &update.subscriptions {
            let org_unit_id = match &item.org_unit_id {
                None => None,
                Some(raw) => {
                    let n = raw.trim().parse::<i64>().map_err(|_| {
                        CustomerError::InvalidInput("orgUnitId must be a number".into())
                    })?;
                    (n > 0).then_some(EntityId::new(n))
                }
            };
            if let Some(ou) = org_unit_id {
                let unit = self.app.db.orgs().entity(ctx.org.id, ou).await?;
                if !unit.is_some_and(|u| u.kind == EntityKind::Concept) {
                    return Err(CustomerError::InvalidInput(format!(
                        "orgUnitId {ou} is not an org unit"
                    ))
                    .into());
                }
            }
            subs.push(Subscription {
                channel: SubscriptionChannel::parse(item.channel)?,
                priority: Priority::parse(item.priority)?,
                org_unit_id,
                status: SubscriptionStatus::parse(item.status)?,
            });
        }
        Ok(subs)
    }

    /// Sets subscriptions (channel × priority × org unit); returns them as stored, in the
    /// order sent.
    pub async fn set_subscriptions(
        &self,
        ctx: &Ctx,
        key: CustomerKey<'_>,
        update: &SubscriptionsUpdate<'_>,
    ) -> Result<Vec<Subscription>, AppError> {
        let id = self.id(ctx, key).await?;
        let subs = self.check_subscriptions(ctx, update).await?;
        self.app
            .db
            .customers()
            .set_subscriptions(ctx.org.id, id, &subs, self.app.now())
            .await?;
        Ok(subs)
    }

    /// Stored subscriptions plus, for the customer's SMS and email channels, the effective
    /// status of both priorities (subscribed when nothing was recorded), sorted.
    pub async fn subscriptions(
        &self,
        ctx: &Ctx,
        key: CustomerKey<'_>,
    ) -> Result<Vec<Subscription>, AppError> {
        let id = self.id(ctx, key).await?;
        let repo = self.app.db.customers();
        let c = repo
            .get(ctx.org.id, id)
            .await?
            .ok_or(CustomerError::NotFound)?;
        let mut subs = repo.subscriptions(ctx.org.id, id).await?;
        let has = |kind: &str| {
            c.profiles.iter().any(|p| {
                p.identifiers.iter().any(|i| i.kind == kind)
                    || p.channels
                        .as_array()
                        .is_some_and(|a| a.iter().any(|ch| ch["type"] == kind))
            })
        };
        let mut channels = Vec::new();
        if has("mobile") {
            channels.push(SubscriptionChannel::Sms);
        }
        if has("email") {
            channels.push(SubscriptionChannel::Email);
        }
        for channel in channels {
            for priority in [Priority::Trans, Priority::Bulk] {
                let known = subs.iter().any(|s| {
                    s.channel == channel && s.priority == priority && s.org_unit_id.is_none()
                });
                if !known {
                    subs.push(Subscription {
                        channel,
                        priority,
                        org_unit_id: None,
                        status: effective_status(&subs, channel, priority, None),
                    });
                }
            }
        }
        subs.sort_by_key(|s| (s.channel, s.priority, s.org_unit_id));
        Ok(subs)
    }
}

/// `first`, then the warnings the store raised.
fn with_warnings(mut saved: Saved, mut first: Warnings) -> Saved {
    first.append(&mut saved.warnings);
    saved.warnings = first;
    saved
}
