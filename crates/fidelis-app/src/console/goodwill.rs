//! Goodwill from the console: find the customer by an identifier (a card names its
//! linked program and shows its status, in any status), file a points request through
//! the loyalty context as the staff user (maker), and the queue a checker decides.

use fidelis_domain::console::{ConsoleError, Permission, SearchTerm};
use fidelis_domain::customers::{CustomerId, IdentifierType};
use fidelis_domain::loyalty::{Program, ProgramId};
use fidelis_store::loyalty::{CardRecord, GoodwillRecord};
use rust_decimal::Decimal;

use super::{Console, Session};
use crate::loyalty::{CardRef, Customer, GoodwillInput, V1Identifiers};
use crate::AppError;

/// Requests the queue lists at most (oldest first).
pub const MAX_QUEUE: i64 = 100;

/// The customer a goodwill request will be for, and how they were found.
#[derive(Debug, Clone)]
pub struct GoodwillTarget {
    pub customer: Customer,
    /// `mobile`, `cardnumber`, `id`, …
    pub matched: String,
    /// The card that found the customer, in whatever status it is.
    pub card: Option<CardRecord>,
    /// The program the form starts with: the card's linked program, else the default.
    pub program: ProgramId,
}

/// What the goodwill form offers: the org's programs and its listed reasons.
#[derive(Debug, Clone)]
pub struct GoodwillOptions {
    pub programs: Vec<Program>,
    pub reasons: Vec<String>,
}

/// A points request as an agent fills it in.
#[derive(Debug, Clone)]
pub struct GoodwillFiling {
    pub customer: CustomerId,
    pub program: ProgramId,
    pub points: Decimal,
    pub reason: String,
    pub comments: Option<String>,
    /// The form's one-time reference: the same form posted twice files one request.
    pub reference: String,
}

/// A pending request with the name of its customer.
#[derive(Debug, Clone)]
pub struct Queued {
    pub request: GoodwillRecord,
    pub customer: Option<Customer>,
}

impl Console<'_> {
    /// The org's programs and listed goodwill reasons.
    pub async fn goodwill_options(&self, s: &Session) -> Result<GoodwillOptions, AppError> {
        s.require(Permission::RaiseGoodwill)?;
        let ctx = self.app.loyalty().context(&s.caller()).await?;
        Ok(GoodwillOptions {
            programs: ctx.loyalty.programs.clone(),
            reasons: ctx.loyalty.settings.goodwill.reasons.clone(),
        })
    }

    /// The customers an identifier names (mobile, email, external id, card number, card
    /// external id); a card found them when its number or external id was typed.
    pub async fn goodwill_targets(
        &self,
        s: &Session,
        raw: &str,
    ) -> Result<Vec<GoodwillTarget>, AppError> {
        s.require(Permission::RaiseGoodwill)?;
        let term = SearchTerm::parse(raw)?;
        let loyalty = self.app.loyalty();
        let ctx = loyalty.context(&s.caller()).await?;
        let mut out = Vec::new();
        for m in self.by_identifier(s, &term).await? {
            let card = match m.kind {
                IdentifierType::CardNumber => Some(CardRef {
                    number: Some(&m.value),
                    external_id: None,
                }),
                IdentifierType::CardExternalId => Some(CardRef {
                    number: None,
                    external_id: Some(&m.value),
                }),
                _ => None,
            };
            let card = match card {
                // A card number of another issuer is a plain identifier: no card record.
                Some(r) => match loyalty.card(&ctx, r).await {
                    Ok(c) => Some(c),
                    Err(e) if e.is_internal() => return Err(e),
                    Err(_) => None,
                },
                None => None,
            };
            let customer = loyalty.customer_by_id(&ctx, m.customer).await?;
            let program = ctx.program_id(card.as_ref().and_then(CardRecord::program_id))?;
            out.push(GoodwillTarget {
                customer,
                matched: m.kind.as_str().to_string(),
                card,
                program,
            });
        }
        Ok(out)
    }

    /// The customer with id `id`, for the form opened from their page.
    pub async fn goodwill_target(
        &self,
        s: &Session,
        id: CustomerId,
    ) -> Result<GoodwillTarget, AppError> {
        s.require(Permission::RaiseGoodwill)?;
        let loyalty = self.app.loyalty();
        let ctx = loyalty.context(&s.caller()).await?;
        Ok(GoodwillTarget {
            customer: loyalty.customer_by_id(&ctx, id).await?,
            matched: "id".into(),
            card: None,
            program: ctx.program_id(None)?,
        })
    }

    /// Files a points request with the staff user as maker. Within the org's auto-approval
    /// cap it is credited at once; otherwise it waits for a checker.
    pub async fn file_goodwill(
        &self,
        s: &Session,
        f: &GoodwillFiling,
    ) -> Result<GoodwillRecord, AppError> {
        s.require(Permission::RaiseGoodwill)?;
        if f.reason.trim().is_empty() {
            return Err(ConsoleError::Invalid("give a reason for the goodwill".into()).into());
        }
        let loyalty = self.app.loyalty();
        let ctx = loyalty.context(&s.caller()).await?;
        let input = GoodwillInput {
            kind: Some("GOODWILL".into()),
            base_type: Some("POINTS".into()),
            customer: V1Identifiers {
                id: Some(f.customer.get().to_string()),
                ..Default::default()
            },
            program_id: Some(f.program),
            points: Some(f.points),
            coupon_series_id: None,
            reference_id: Some(f.reference.clone()),
            reason: Some(f.reason.clone()),
            comments: f.comments.clone(),
            auto_approve: None,
        };
        loyalty.submit_goodwill(&ctx, &input).await
    }

    /// The org's requests waiting for a checker, oldest first.
    pub async fn goodwill_queue(&self, s: &Session) -> Result<Vec<Queued>, AppError> {
        s.require(Permission::RaiseGoodwill)?;
        let loyalty = self.app.loyalty();
        let ctx = loyalty.context(&s.caller()).await?;
        let pending = self
            .app
            .db
            .loyalty()
            .pending_goodwill(s.org.id, MAX_QUEUE)
            .await?;
        let mut out = Vec::with_capacity(pending.len());
        for request in pending {
            let customer = match request.earner.customer() {
                Some(id) => Some(loyalty.customer_by_id(&ctx, id).await?),
                None => None,
            };
            out.push(Queued { request, customer });
        }
        Ok(out)
    }

    /// A checker approves or rejects a pending request (not their own); an approval
    /// credits the points in the same transaction, once.
    pub async fn decide_goodwill(
        &self,
        s: &Session,
        id: i64,
        approve: bool,
    ) -> Result<GoodwillRecord, AppError> {
        s.require(Permission::DecideGoodwill)?;
        let loyalty = self.app.loyalty();
        let ctx = loyalty.context(&s.caller()).await?;
        loyalty
            .decide_goodwill(&ctx, None, Some(&id.to_string()), approve)
            .await
    }
}
