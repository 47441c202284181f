//! The search box and the customer single view.

use fidelis_domain::console::{Permission, SearchTerm};
use fidelis_domain::customers::{normalise_identifier, CustomerId, IdentifierType};
use fidelis_domain::loyalty::ledger::Balance;
use jiff::Timestamp;

use super::panels::Panels;
use super::{Console, Session};
use fidelis_store::comms::MessageRecord;

use crate::comms::InteractionQuery;
use crate::customers::{CustomerKey, CustomerView, Embed};
use crate::AppError;

/// The most customers one search lists.
pub const MAX_HITS: i64 = 20;

/// The identifiers the search box is tried as, in this order.
const SEARCHED: [IdentifierType; 5] = [
    IdentifierType::Mobile,
    IdentifierType::Email,
    IdentifierType::ExternalId,
    IdentifierType::CardNumber,
    IdentifierType::CardExternalId,
];

/// A customer found by one of their identifiers.
#[derive(Debug, Clone)]
pub struct IdentifierMatch {
    pub customer: CustomerId,
    pub kind: IdentifierType,
    /// The identifier as stored (normalised).
    pub value: String,
}

/// A customer a search found, and how.
#[derive(Debug, Clone)]
pub struct Hit {
    pub view: CustomerView,
    /// `mobile`, `cardnumber`, `name`, …
    pub matched: String,
}

/// One loyalty program on the customer page.
#[derive(Debug, Clone)]
pub struct ProgramLine {
    pub program_id: i64,
    pub name: String,
    pub tier: Option<String>,
    pub tier_valid_until: Option<Timestamp>,
    pub balance: Balance,
    pub member: bool,
}

/// The most messages the Interactions section lists (newest first).
pub const MAX_INTERACTIONS: i64 = 50;

/// The customer single view.
#[derive(Debug, Clone)]
pub struct CustomerPage {
    pub view: CustomerView,
    pub programs: Vec<ProgramLine>,
    /// Every SMS and email sent to the customer, newest first.
    pub interactions: Vec<MessageRecord>,
    pub panels: Panels,
}

impl Console<'_> {
    /// Customers matching the search box: by each identifier (exact, normalised as the API
    /// does), or else by a part of the name. An identifier names its customer exactly, so
    /// the name search (a scan of every profile of the org) runs only when none matched.
    pub async fn search(&self, s: &Session, raw: &str) -> Result<Vec<Hit>, AppError> {
        s.require(Permission::ReadCustomers)?;
        let term = SearchTerm::parse(raw)?;
        let mut found: Vec<(CustomerId, String)> = self
            .by_identifier(s, &term)
            .await?
            .into_iter()
            .map(|m| (m.customer, m.kind.as_str().to_string()))
            .collect();
        if found.is_empty() && term.searches_names() {
            let named = self
                .app
                .db
                .console()
                .customers_named(s.org.id, &term.text, MAX_HITS)
                .await?;
            for id in named.into_iter().map(CustomerId::new) {
                if !found.iter().any(|(f, _)| *f == id) {
                    found.push((id, "name".into()));
                }
            }
        }
        found.truncate(MAX_HITS as usize);
        let ctx = self.app.customers().context(&s.caller()).await?;
        let mut hits = Vec::with_capacity(found.len());
        for (id, matched) in found {
            let view = self
                .app
                .customers()
                .details(&ctx, CustomerKey::Id(id), Embed::default())
                .await?;
            hits.push(Hit { view, matched });
        }
        Ok(hits)
    }

    /// The customers whose identifier the term is (each customer once, in `SEARCHED`
    /// order), with the identifier's kind and normalised value.
    pub(super) async fn by_identifier(
        &self,
        s: &Session,
        term: &SearchTerm,
    ) -> Result<Vec<IdentifierMatch>, AppError> {
        let repo = self.app.db.customers();
        let mut found: Vec<IdentifierMatch> = Vec::new();
        for kind in SEARCHED {
            let Ok(value) = normalise_identifier(kind, &term.text, &s.org.country) else {
                continue;
            };
            match repo.lookup(s.org.id, None, None, kind, &value).await {
                Ok(id) if !found.iter().any(|f| f.customer == id) => {
                    found.push(IdentifierMatch {
                        customer: id,
                        kind,
                        value,
                    });
                }
                Ok(_) => {}
                Err(e) => {
                    let e = AppError::from(e);
                    if e.is_internal() {
                        return Err(e);
                    }
                }
            }
        }
        Ok(found)
    }

    /// Everything the single view shows of customer `id`.
    pub async fn customer(&self, s: &Session, id: CustomerId) -> Result<CustomerPage, AppError> {
        s.require(Permission::ReadCustomers)?;
        let caller = s.caller();
        let ctx = self.app.customers().context(&caller).await?;
        let view = self
            .app
            .customers()
            .details(
                &ctx,
                CustomerKey::Id(id),
                Embed {
                    subscriptions: true,
                },
            )
            .await?;
        let lctx = self.app.loyalty().context(&caller).await?;
        let summaries = self.app.loyalty().program_summaries(&lctx, id).await?;
        let programs = summaries
            .into_iter()
            .map(|p| {
                // Before any activity a customer holds the first tier, as the API reports.
                let serial = p.member.as_ref().map_or(1, |m| m.tier.serial);
                let tier = p
                    .program
                    .tiers
                    .as_ref()
                    .and_then(|t| t.tier(serial))
                    .map(|t| t.name.clone());
                ProgramLine {
                    program_id: p.program.id.get(),
                    name: p.program.name.clone(),
                    tier,
                    tier_valid_until: p.member.as_ref().and_then(|m| m.tier.valid_until),
                    balance: p.balance,
                    member: p.member.is_some(),
                }
            })
            .collect();
        let cctx = self.app.comms().context(&caller).await?;
        let query = InteractionQuery {
            channel: None,
            since: None,
            until: None,
            limit: MAX_INTERACTIONS,
            offset: 0,
        };
        let (interactions, _) = self.app.comms().interactions(&cctx, id, &query).await?;
        let panels = self.panels(&caller, &view).await?;
        Ok(CustomerPage {
            view,
            programs,
            interactions,
            panels,
        })
    }
}
