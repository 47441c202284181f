//! Cards and card series: series configuration, generation of numbered cards, adding a
//! card (issued to a customer at once, or waiting NOT_ISSUED), status changes and reads.

use fidelis_domain::customers::{CustomerId, Identifier, IdentifierType};
use fidelis_domain::loyalty::cards::{
    card_identifier_details, check_external_id, check_new_card_label, resolve_label, CardLabel,
    CardSeries, CardStatus,
};
use fidelis_domain::loyalty::LoyaltyError;
use fidelis_store::customers::IdentifierChange;
use fidelis_store::loyalty::{
    CardChange, CardRecord, GenerationLogRecord, NewCard, SeriesRecord, StatusLogRecord,
};

use super::{Ctx, Loyalty};
use crate::AppError;

/// A card status label as the org spells it (3017 when it has no such label).
pub fn card_label(ctx: &Ctx, raw: Option<&str>) -> Result<CardLabel, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(l) => Ok(resolve_label(&ctx.loyalty.settings.card_labels, l)?),
        None => Err(LoyaltyError::InvalidCardStatusLabel(String::new()).into()),
    }
}

/// How a request names a card: its number or its external id.
#[derive(Debug, Clone, Copy)]
pub struct CardRef<'a> {
    pub number: Option<&'a str>,
    pub external_id: Option<&'a str>,
}

impl Loyalty<'_> {
    pub async fn create_card_series(
        &self,
        ctx: &Ctx,
        series: &CardSeries,
        active: bool,
    ) -> Result<SeriesRecord, AppError> {
        Ok(self
            .app
            .db
            .loyalty()
            .create_series(ctx.loyalty.org.id, series, active, self.app.now())
            .await?)
    }

    pub async fn update_card_series(
        &self,
        ctx: &Ctx,
        id: i64,
        series: &CardSeries,
        active: bool,
    ) -> Result<SeriesRecord, AppError> {
        Ok(self
            .app
            .db
            .loyalty()
            .update_series(ctx.loyalty.org.id, id, series, active, self.app.now())
            .await?)
    }

    /// A series by id (3004 when the org has none).
    pub async fn card_series(&self, ctx: &Ctx, id: i64) -> Result<SeriesRecord, AppError> {
        Ok(self.app.db.loyalty().series(ctx.loyalty.org.id, id).await?)
    }

    /// A series by id or code.
    pub async fn card_series_named(
        &self,
        ctx: &Ctx,
        id: Option<i64>,
        code: Option<&str>,
    ) -> Result<SeriesRecord, AppError> {
        Ok(self
            .app
            .db
            .loyalty()
            .series_named(ctx.loyalty.org.id, id, code)
            .await?)
    }

    pub async fn all_card_series(&self, ctx: &Ctx) -> Result<Vec<SeriesRecord>, AppError> {
        Ok(self
            .app
            .db
            .loyalty()
            .series_list(ctx.loyalty.org.id)
            .await?)
    }

    /// Generates `count` cards of a series under `label`: the numbers made, and those that
    /// already existed.
    pub async fn generate_cards(
        &self,
        ctx: &Ctx,
        series: i64,
        count: u32,
        label: &CardLabel,
    ) -> Result<(Vec<String>, Vec<String>), AppError> {
        Ok(self
            .app
            .db
            .loyalty()
            .generate_cards(
                ctx.loyalty.org.id,
                series,
                count,
                label,
                &ctx.user(),
                self.app.now(),
            )
            .await?)
    }

    pub async fn card_generation_log(
        &self,
        ctx: &Ctx,
        series: i64,
    ) -> Result<Vec<GenerationLogRecord>, AppError> {
        Ok(self
            .app
            .db
            .loyalty()
            .generation_log(ctx.loyalty.org.id, series)
            .await?)
    }

    /// Adds a card. Without a customer it waits NOT_ISSUED; with one it is issued at once in
    /// one unit of work: the card is added (3009 when the number exists, also to a concurrent
    /// request), the customer gets its `cardnumber` identifier, then the card its label; any
    /// refusal leaves none of it behind.
    pub async fn add_card(
        &self,
        ctx: &Ctx,
        mut card: NewCard,
        customer: Option<CustomerId>,
    ) -> Result<CardRecord, AppError> {
        check_new_card_label(&card.label, customer.is_some())?;
        if let Some(ext) = &card.external_id {
            check_external_id(ext)?;
        }
        let org = ctx.loyalty.org.id;
        let now = self.app.now();
        let repo = self.app.db.loyalty();
        let Some(customer) = customer else {
            return Ok(repo.add_card(org, &card, now).await?);
        };
        let account = self
            .app
            .customers()
            .account(
                &self.app.customers().context(&ctx.caller).await?,
                customer,
                None,
                None,
            )
            .await?;
        let label = std::mem::replace(
            &mut card.label,
            CardLabel {
                label: CardStatus::NotIssued.as_str().into(),
                status: CardStatus::NotIssued,
            },
        );
        let add = IdentifierChange {
            identifier: Identifier {
                kind: IdentifierType::CardNumber,
                value: card.number.clone(),
            },
            details: Some(card_identifier_details(
                card.series_id,
                card.external_id.as_deref(),
            )),
            delink: false,
        };
        let change = CardChange {
            label: Some(label),
            reason: None,
            extended_fields: None,
            custom_fields: None,
            actor: ctx.user(),
        };
        let mut unit = self.app.db.unit().await?;
        repo.add_card_in(&mut unit, org, &card, now).await?;
        self.app
            .db
            .customers()
            .change_identifiers_in(&mut unit, org, customer, &account, &[add], &[], now)
            .await?;
        let issued = repo
            .update_card_in(&mut unit, org, Some(&card.number), None, &change, now)
            .await?;
        unit.commit().await?;
        Ok(issued)
    }

    /// Changes a card's label (by the documented transitions), reason and fields.
    pub async fn update_card(
        &self,
        ctx: &Ctx,
        card: CardRef<'_>,
        change: &CardChange,
    ) -> Result<CardRecord, AppError> {
        Ok(self
            .app
            .db
            .loyalty()
            .update_card(
                ctx.loyalty.org.id,
                card.number,
                card.external_id,
                change,
                self.app.now(),
            )
            .await?)
    }

    /// A card (3010 when there is none).
    pub async fn card(&self, ctx: &Ctx, card: CardRef<'_>) -> Result<CardRecord, AppError> {
        Ok(self
            .app
            .db
            .loyalty()
            .card(ctx.loyalty.org.id, card.number, card.external_id)
            .await?)
    }

    /// A card with its status changes, newest first.
    pub async fn card_status_log(
        &self,
        ctx: &Ctx,
        card: CardRef<'_>,
    ) -> Result<(CardRecord, Vec<StatusLogRecord>), AppError> {
        let c = self.card(ctx, card).await?;
        let log = self
            .app
            .db
            .loyalty()
            .card_status_log(ctx.loyalty.org.id, c.id)
            .await?;
        Ok((c, log))
    }
}
