//! Cards and card series. A card is a row of its own (number, external id, status label,
//! holder); while it is issued it is also one of the holder's `cardnumber` identifiers, so
//! customer lookups by card number or card external id find the holder in any card status.
//! Cards of series the org does not know (another issuer's cards) stay plain identifiers.

use fidelis_domain::customers::CustomerId;
use fidelis_domain::loyalty::cards::{self as rules, CardLabel, CardSeries, CardStatus};
use fidelis_domain::loyalty::{LoyaltyError, ProgramId};
use fidelis_domain::org::OrgId;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde_json::{Map, Value};

use super::apply::{from_json, to_json};
use super::{LoyaltyRepo, Tx};
use crate::time::{from_db, to_db};
use crate::{StoreError, Unit};

/// At most this many cards in one generation request.
pub const MAX_GENERATE: u32 = 50_000;

#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRecord {
    pub id: i64,
    pub series: CardSeries,
    pub is_active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CardRecord {
    pub id: i64,
    pub series: SeriesRecord,
    pub number: String,
    pub external_id: Option<String>,
    pub status: CardStatus,
    pub label: String,
    pub reason: Option<String>,
    pub customer_id: Option<CustomerId>,
    pub issued_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub extended_fields: Value,
    pub custom_fields: Value,
    pub created_by: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl CardRecord {
    /// The loyalty program the card is linked to (through its series).
    pub fn program_id(&self) -> Option<ProgramId> {
        self.series.series.program_id
    }
}

/// A card added through `POST /v2/card`.
#[derive(Debug, Clone)]
pub struct NewCard {
    pub series_id: i64,
    pub number: String,
    pub external_id: Option<String>,
    pub label: CardLabel,
    pub reason: Option<String>,
    pub extended_fields: Value,
    pub custom_fields: Value,
    pub actor: String,
}

/// How a request names a card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardKey {
    Number(String),
    ExternalId(String),
}

/// A change through `PUT /v2/card`; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CardChange {
    pub label: Option<CardLabel>,
    pub reason: Option<String>,
    pub extended_fields: Option<Value>,
    pub custom_fields: Option<Value>,
    pub actor: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusLogRecord {
    pub id: i64,
    pub status: CardStatus,
    pub label: String,
    pub reason: Option<String>,
    pub customer_id: Option<CustomerId>,
    pub actor: Option<String>,
    pub at: Timestamp,
}

/// One `/v2/card/generate` request.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationLogRecord {
    pub id: i64,
    pub series_id: i64,
    pub requested: i64,
    pub generated: i64,
    pub duplicates: i64,
    pub first_number: Option<String>,
    pub last_number: Option<String>,
    pub label: String,
    pub actor: String,
    pub at: Timestamp,
}

/// What a customer request says about a card it adds as an identifier.
#[derive(Debug, Clone, Default)]
struct CardHint {
    series_id: Option<i64>,
    series_code: Option<String>,
    external_id: Option<String>,
}

impl CardHint {
    fn from_details(details: Option<&Value>) -> Self {
        let text = |k: &str| {
            details
                .and_then(|d| d.get(k))
                .and_then(|v| match v {
                    Value::String(s) => Some(s.trim().to_string()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .filter(|s| !s.is_empty())
        };
        Self {
            series_id: text("seriesId").and_then(|s| s.parse().ok()),
            series_code: text("seriesCode"),
            external_id: text("cardExternalId"),
        }
    }
}

type SeriesRow = (i64, String, i64, i64, i64);
const SERIES_COLUMNS: &str = "id, definition, is_active, created_at, updated_at";

fn series_from_row(r: SeriesRow) -> Result<SeriesRecord, StoreError> {
    Ok(SeriesRecord {
        id: r.0,
        series: from_json(&r.1, "card series")?,
        is_active: r.2 != 0,
        created_at: from_db(r.3)?,
        updated_at: from_db(r.4)?,
    })
}

type CardRow = (
    i64,
    i64,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    String,
    String,
    Option<String>,
    i64,
    i64,
);
const CARD_COLUMNS: &str = "id, series_id, card_number, external_id, status, label, reason, \
     customer_id, issued_at, expires_at, extended_fields, custom_fields, created_by, created_at, \
     updated_at";

fn status(s: &str) -> Result<CardStatus, StoreError> {
    CardStatus::parse(s).ok_or_else(|| StoreError::Corrupt(format!("card status {s:?}")))
}

fn json_or_empty(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or(Value::Object(Map::new()))
}

async fn series_in_tx(tx: &mut Tx, org_id: OrgId, id: i64) -> Result<SeriesRecord, StoreError> {
    series_by(tx, org_id, Some(id), None)
        .await?
        .ok_or(StoreError::Loyalty(LoyaltyError::CardSeriesNotFound))
}

async fn card_in_tx(
    tx: &mut Tx,
    org_id: OrgId,
    key: &CardKey,
) -> Result<Option<CardRecord>, StoreError> {
    read_card(tx, org_id, key, "").await
}

/// `card_in_tx`, with the row locked until the unit ends (PostgreSQL; SQLite has one
/// writer), so concurrent changes to one card queue up instead of overwriting each other.
async fn card_for_update(
    tx: &mut Tx,
    org_id: OrgId,
    key: &CardKey,
) -> Result<Option<CardRecord>, StoreError> {
    let lock = tx.backend().for_update();
    read_card(tx, org_id, key, lock).await
}

async fn read_card(
    tx: &mut Tx,
    org_id: OrgId,
    key: &CardKey,
    lock: &str,
) -> Result<Option<CardRecord>, StoreError> {
    let (column, value) = match key {
        CardKey::Number(n) => ("card_number", n),
        CardKey::ExternalId(e) => ("external_id", e),
    };
    let row: Option<CardRow> = sqlx::query_as(&format!(
        "SELECT {CARD_COLUMNS} FROM loyalty_cards WHERE org_id = $1 AND {column} = $2{lock}"
    ))
    .bind(org_id.get())
    .bind(value.trim())
    .fetch_optional(&mut **tx)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let series = series_in_tx(tx, org_id, r.1).await?;
    Ok(Some(CardRecord {
        id: r.0,
        series,
        number: r.2,
        external_id: r.3,
        status: status(&r.4)?,
        label: r.5,
        reason: r.6,
        customer_id: r.7.map(CustomerId::new),
        issued_at: r.8.map(from_db).transpose()?,
        expires_at: r.9.map(from_db).transpose()?,
        extended_fields: json_or_empty(&r.10),
        custom_fields: json_or_empty(&r.11),
        created_by: r.12,
        created_at: from_db(r.13)?,
        updated_at: from_db(r.14)?,
    }))
}

#[allow(clippy::too_many_arguments)]
async fn log_status(
    tx: &mut Tx,
    org_id: OrgId,
    card_id: i64,
    status: CardStatus,
    label: &str,
    reason: Option<&str>,
    customer_id: Option<CustomerId>,
    actor: Option<&str>,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO loyalty_card_status_log (org_id, card_id, status, label, reason, customer_id, \
         actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(org_id.get())
    .bind(card_id)
    .bind(status.as_str())
    .bind(label)
    .bind(reason)
    .bind(customer_id.map(CustomerId::get))
    .bind(actor)
    .bind(to_db(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether `external_id` is free for card `card_id` (3045 when another card has it).
async fn check_external_id_free(
    tx: &mut Tx,
    org_id: OrgId,
    external_id: &str,
    card_id: Option<i64>,
) -> Result<(), StoreError> {
    let other: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM loyalty_cards WHERE org_id = $1 AND external_id = $2")
            .bind(org_id.get())
            .bind(external_id)
            .fetch_optional(&mut **tx)
            .await?;
    match other {
        Some((id,)) if Some(id) != card_id => Err(LoyaltyError::CardExternalIdExists.into()),
        _ => Ok(()),
    }
}

async fn org_zone(tx: &mut Tx, org_id: OrgId) -> Result<TimeZone, StoreError> {
    let (zone,): (String,) = sqlx::query_as("SELECT time_zone FROM orgs WHERE id = $1")
        .bind(org_id.get())
        .fetch_one(&mut **tx)
        .await?;
    TimeZone::get(&zone).map_err(|e| StoreError::Corrupt(format!("time zone {zone}: {e}")))
}

/// The series named by id, else by code; None when neither is given or matches.
async fn series_by(
    tx: &mut Tx,
    org_id: OrgId,
    id: Option<i64>,
    code: Option<&str>,
) -> Result<Option<SeriesRecord>, StoreError> {
    // Codes are matched case-insensitively, as the card API always has.
    let condition = match (id, code) {
        (Some(_), _) => "id = $2",
        (None, Some(_)) => "LOWER(code) = LOWER($2) ORDER BY id",
        (None, None) => return Ok(None),
    };
    let sql = format!(
        "SELECT {SERIES_COLUMNS} FROM loyalty_card_series WHERE org_id = $1 AND {condition}"
    );
    let q = sqlx::query_as::<_, SeriesRow>(&sql).bind(org_id.get());
    let q = match id {
        Some(id) => q.bind(id),
        None => q.bind(code),
    };
    let row = q.fetch_optional(&mut **tx).await?;
    row.map(series_from_row).transpose()
}

/// Issues card `number` to `customer_id` as part of adding it as an identifier. A card the
/// org knows becomes ACTIVE for this customer (3027 when it is not issuable or is someone
/// else's, 3036 past the series' active-card limit, 3046 when the external id names
/// another card). A new number of a known series is added to it; any other number stays a
/// plain identifier. Returns the details to keep on the identifier.
pub(crate) async fn issue_in_tx(
    tx: &mut Tx,
    org_id: OrgId,
    customer_id: CustomerId,
    number: &str,
    details: Option<&Value>,
    now: Timestamp,
) -> Result<Option<Value>, StoreError> {
    let hint = CardHint::from_details(details);
    let out = details.cloned().unwrap_or(Value::Object(Map::new()));
    let existing = card_in_tx(tx, org_id, &CardKey::Number(number.to_string())).await?;
    let (card_id, series, external_id) = match existing {
        Some(card) => {
            if let Some(ext) = &hint.external_id {
                if card.external_id.as_deref().is_some_and(|e| e != ext) {
                    return Err(LoyaltyError::CardIdentityMismatch.into());
                }
            }
            if card.customer_id.is_some_and(|c| c != customer_id) {
                return Err(LoyaltyError::CardNotLinkable.into());
            }
            if card.status == CardStatus::Active && card.customer_id == Some(customer_id) {
                return Ok(Some(card_details(
                    out,
                    &card.series,
                    card.external_id.as_deref(),
                )));
            }
            rules::issue(card.status)?;
            (
                Some(card.id),
                card.series,
                card.external_id.or(hint.external_id),
            )
        }
        None => match series_by(tx, org_id, hint.series_id, hint.series_code.as_deref()).await? {
            Some(series) => (None, series, hint.external_id.clone()),
            None => return Ok(details.cloned()),
        },
    };
    if let Some(ext) = &external_id {
        check_external_id_free(tx, org_id, ext, card_id).await?;
    }
    let (active,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM loyalty_cards WHERE org_id = $1 AND customer_id = $2 \
         AND series_id = $3 AND status = 'ACTIVE' AND card_number <> $4",
    )
    .bind(org_id.get())
    .bind(customer_id.get())
    .bind(series.id)
    .bind(number)
    .fetch_one(&mut **tx)
    .await?;
    rules::check_max_active(
        u32::try_from(active).unwrap_or(u32::MAX),
        series.series.max_active_per_customer,
    )?;
    let expires = series.series.card_expiry(now, &org_zone(tx, org_id).await?);
    let label = CardStatus::Active.as_str();
    let id = match card_id {
        Some(id) => {
            sqlx::query(
                "UPDATE loyalty_cards SET status = 'ACTIVE', label = $3, customer_id = $4, \
                 issued_at = $5, expires_at = $6, external_id = $7, updated_at = $5 \
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(org_id.get())
            .bind(id)
            .bind(label)
            .bind(customer_id.get())
            .bind(to_db(now))
            .bind(expires.map(to_db))
            .bind(external_id.as_deref())
            .execute(&mut **tx)
            .await?;
            id
        }
        None => {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO loyalty_cards (org_id, series_id, card_number, external_id, status, \
                 label, customer_id, issued_at, expires_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'ACTIVE', $5, $6, $7, $8, $7, $7) RETURNING id",
            )
            .bind(org_id.get())
            .bind(series.id)
            .bind(number)
            .bind(external_id.as_deref())
            .bind(label)
            .bind(customer_id.get())
            .bind(to_db(now))
            .bind(expires.map(to_db))
            .fetch_one(&mut **tx)
            .await?;
            id
        }
    };
    log_status(
        tx,
        org_id,
        id,
        CardStatus::Active,
        label,
        None,
        Some(customer_id),
        None,
        now,
    )
    .await?;
    Ok(Some(card_details(out, &series, external_id.as_deref())))
}

/// The identifier details of an issued card: its series and external id as stored.
fn card_details(mut out: Value, series: &SeriesRecord, external_id: Option<&str>) -> Value {
    if let Value::Object(m) = &mut out {
        m.insert("seriesId".into(), series.id.into());
        m.insert("seriesCode".into(), series.series.code.clone().into());
        m.insert("statusLabel".into(), CardStatus::Active.as_str().into());
        if let Some(ext) = external_id {
            m.insert("cardExternalId".into(), ext.into());
        }
    }
    out
}

/// Takes card `number` back from `customer_id` when it stops being their identifier: the
/// card is NOT_ISSUED again and may be issued to someone else.
pub(crate) async fn release_in_tx(
    tx: &mut Tx,
    org_id: OrgId,
    customer_id: CustomerId,
    number: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let Some(card) = card_in_tx(tx, org_id, &CardKey::Number(number.to_string())).await? else {
        return Ok(());
    };
    if card.customer_id != Some(customer_id) {
        return Ok(());
    }
    let label = CardStatus::NotIssued.as_str();
    sqlx::query(
        "UPDATE loyalty_cards SET status = $3, label = $3, customer_id = NULL, issued_at = NULL, \
         expires_at = NULL, updated_at = $4 WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id.get())
    .bind(card.id)
    .bind(label)
    .bind(to_db(now))
    .execute(&mut **tx)
    .await?;
    log_status(
        tx,
        org_id,
        card.id,
        CardStatus::NotIssued,
        label,
        Some("delinked from the customer"),
        Some(customer_id),
        None,
        now,
    )
    .await
}

impl LoyaltyRepo<'_> {
    /// Every card series of the org, active or not, in id order.
    pub async fn series_list(&self, org_id: OrgId) -> Result<Vec<SeriesRecord>, StoreError> {
        let rows: Vec<SeriesRow> = sqlx::query_as(&format!(
            "SELECT {SERIES_COLUMNS} FROM loyalty_card_series WHERE org_id = $1 ORDER BY id"
        ))
        .bind(org_id.get())
        .fetch_all(self.0.reader())
        .await?;
        rows.into_iter().map(series_from_row).collect()
    }

    /// One series (3000 when the org has none with that id).
    pub async fn series(&self, org_id: OrgId, id: i64) -> Result<SeriesRecord, StoreError> {
        self.series_named(org_id, Some(id), None).await
    }

    /// The series named by id, else by code (3000 when there is none).
    pub async fn series_named(
        &self,
        org_id: OrgId,
        id: Option<i64>,
        code: Option<&str>,
    ) -> Result<SeriesRecord, StoreError> {
        let mut tx = self.0.begin().await?;
        let s = series_by(&mut tx, org_id, id, code).await?;
        tx.commit().await?;
        s.ok_or(LoyaltyError::CardSeriesNotFound.into())
    }

    /// Creates a series through the API (3002 when the code is taken).
    pub async fn create_series(
        &self,
        org_id: OrgId,
        series: &CardSeries,
        active: bool,
        now: Timestamp,
    ) -> Result<SeriesRecord, StoreError> {
        series.validate()?;
        let mut tx = self.0.begin().await?;
        let row: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO loyalty_card_series (org_id, code, definition, program_id, is_active, \
             managed_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'API', $6, $6) \
             ON CONFLICT (org_id, code) DO NOTHING RETURNING id",
        )
        .bind(org_id.get())
        .bind(&series.code)
        .bind(to_json(series)?)
        .bind(series.program_id.map(ProgramId::get))
        .bind(i64::from(active))
        .bind(to_db(now))
        .fetch_optional(&mut *tx)
        .await?;
        let (id,) = row.ok_or(LoyaltyError::CardSeriesCodeExists)?;
        let s = series_in_tx(&mut tx, org_id, id).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Replaces a series' definition (its code stays; 3000 when there is no such series).
    pub async fn update_series(
        &self,
        org_id: OrgId,
        id: i64,
        series: &CardSeries,
        active: bool,
        now: Timestamp,
    ) -> Result<SeriesRecord, StoreError> {
        series.validate()?;
        let mut tx = self.0.begin().await?;
        let current = series_in_tx(&mut tx, org_id, id).await?;
        let want = CardSeries {
            code: current.series.code.clone(),
            ..series.clone()
        };
        sqlx::query(
            "UPDATE loyalty_card_series SET definition = $3, program_id = $4, is_active = $5, \
             updated_at = $6 WHERE org_id = $1 AND id = $2",
        )
        .bind(org_id.get())
        .bind(id)
        .bind(to_json(&want)?)
        .bind(want.program_id.map(ProgramId::get))
        .bind(i64::from(active))
        .bind(to_db(now))
        .execute(&mut *tx)
        .await?;
        let s = series_in_tx(&mut tx, org_id, id).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Generates `count` NOT_ISSUED cards of a series. Numbers come from the series'
    /// sequence, reserved in the same transaction, so concurrent calls never hand out the
    /// same number; a number that already exists (added by hand) is skipped and reported.
    pub async fn generate_cards(
        &self,
        org_id: OrgId,
        series_id: i64,
        count: u32,
        label: &CardLabel,
        actor: &str,
        now: Timestamp,
    ) -> Result<(Vec<String>, Vec<String>), StoreError> {
        if count == 0 || count > MAX_GENERATE {
            return Err(LoyaltyError::TooManyCards(MAX_GENERATE).into());
        }
        if label.status != CardStatus::NotIssued {
            return Err(LoyaltyError::InvalidCardStatusLabel(label.label.clone()).into());
        }
        let mut tx = self.0.begin().await?;
        let series = series_in_tx(&mut tx, org_id, series_id).await?;
        if series.series.generation.is_none() {
            return Err(LoyaltyError::CardGenerationDisabled.into());
        }
        let (end,): (i64,) = sqlx::query_as(
            "UPDATE loyalty_card_series SET next_number = next_number + $3 \
             WHERE org_id = $1 AND id = $2 RETURNING next_number",
        )
        .bind(org_id.get())
        .bind(series_id)
        .bind(i64::from(count))
        .fetch_one(&mut *tx)
        .await?;
        let start = u64::try_from(end - i64::from(count))
            .map_err(|_| StoreError::Corrupt("card sequence below zero".into()))?;
        let (mut made, mut duplicates) = (Vec::new(), Vec::new());
        for n in start..start + u64::from(count) {
            let number = series.series.card_number(n)?;
            let row: Option<(i64,)> = sqlx::query_as(
                "INSERT INTO loyalty_cards (org_id, series_id, card_number, status, label, \
                 created_by, created_at, updated_at) VALUES ($1, $2, $3, 'NOT_ISSUED', $4, $5, $6, $6) \
                 ON CONFLICT (org_id, card_number) DO NOTHING RETURNING id",
            )
            .bind(org_id.get())
            .bind(series_id)
            .bind(&number)
            .bind(&label.label)
            .bind(actor)
            .bind(to_db(now))
            .fetch_optional(&mut *tx)
            .await?;
            match row {
                Some((id,)) => {
                    log_status(
                        &mut tx,
                        org_id,
                        id,
                        CardStatus::NotIssued,
                        &label.label,
                        None,
                        None,
                        Some(actor),
                        now,
                    )
                    .await?;
                    made.push(number);
                }
                None => duplicates.push(number),
            }
        }
        sqlx::query(
            "INSERT INTO loyalty_card_generation_log (org_id, series_id, requested, generated, \
             duplicates, first_number, last_number, label, actor, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(org_id.get())
        .bind(series_id)
        .bind(i64::from(count))
        .bind(i64::try_from(made.len()).unwrap_or(i64::MAX))
        .bind(i64::try_from(duplicates.len()).unwrap_or(i64::MAX))
        .bind(made.first())
        .bind(made.last())
        .bind(&label.label)
        .bind(actor)
        .bind(to_db(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((made, duplicates))
    }

    /// A series' generation requests, newest first (3000 for an unknown series).
    pub async fn generation_log(
        &self,
        org_id: OrgId,
        series_id: i64,
    ) -> Result<Vec<GenerationLogRecord>, StoreError> {
        self.series(org_id, series_id).await?;
        type Row = (
            i64,
            i64,
            i64,
            i64,
            Option<String>,
            Option<String>,
            String,
            String,
            i64,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, requested, generated, duplicates, first_number, last_number, label, actor, \
             at FROM loyalty_card_generation_log WHERE org_id = $1 AND series_id = $2 \
             ORDER BY id DESC",
        )
        .bind(org_id.get())
        .bind(series_id)
        .fetch_all(self.0.reader())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(GenerationLogRecord {
                    id: r.0,
                    series_id,
                    requested: r.1,
                    generated: r.2,
                    duplicates: r.3,
                    first_number: r.4,
                    last_number: r.5,
                    label: r.6,
                    actor: r.7,
                    at: from_db(r.8)?,
                })
            })
            .collect()
    }

    /// Adds one card to a series (3009 when the number exists, else 3045 for a taken
    /// external id). Cards are added NOT_ISSUED, SUSPENDED or ACTIVE-less: issuing to a
    /// customer goes through the customer's identifiers.
    pub async fn add_card(
        &self,
        org_id: OrgId,
        card: &NewCard,
        now: Timestamp,
    ) -> Result<CardRecord, StoreError> {
        let mut unit = self.0.unit().await?;
        let record = add_card_tx(&mut unit, org_id, card, now).await?;
        unit.commit().await?;
        Ok(record)
    }

    /// `add_card` as a step of `unit`. With `CustomerRepo::change_identifiers_in` (which
    /// issues it) and `update_card_in` in the same unit, a card is added to a customer
    /// whole or not at all; a concurrent add of the same number waits and gets 3009.
    pub async fn add_card_in(
        &self,
        unit: &mut Unit,
        org_id: OrgId,
        card: &NewCard,
        now: Timestamp,
    ) -> Result<CardRecord, StoreError> {
        unit.begin_step().await?;
        let out = add_card_tx(unit, org_id, card, now).await;
        unit.end_step(out).await
    }

    /// The card a number or external id names; with both, they must name the same card
    /// (3046). 3010 when there is none.
    pub async fn card(
        &self,
        org_id: OrgId,
        number: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<CardRecord, StoreError> {
        let mut tx = self.0.begin().await?;
        let card = find(&mut tx, org_id, number, external_id).await?;
        tx.commit().await?;
        Ok(card)
    }

    /// The program linked to the card a customer identifier names, if the org knows the
    /// card and its series is linked to one.
    pub async fn card_program(
        &self,
        org_id: OrgId,
        key: &CardKey,
    ) -> Result<Option<ProgramId>, StoreError> {
        let (column, value) = match key {
            CardKey::Number(n) => ("c.card_number", n),
            CardKey::ExternalId(e) => ("c.external_id", e),
        };
        let row: Option<(Option<i64>,)> = sqlx::query_as(&format!(
            "SELECT s.program_id FROM loyalty_cards c JOIN loyalty_card_series s \
             ON s.org_id = c.org_id AND s.id = c.series_id WHERE c.org_id = $1 AND {column} = $2"
        ))
        .bind(org_id.get())
        .bind(value.trim())
        .fetch_optional(self.0.reader())
        .await?;
        Ok(row.and_then(|(p,)| p).map(ProgramId::new))
    }

    /// Changes a card's label (and so its status, by the documented transitions) and
    /// fields. Setting the current status again only updates the label and fields.
    pub async fn update_card(
        &self,
        org_id: OrgId,
        number: Option<&str>,
        external_id: Option<&str>,
        change: &CardChange,
        now: Timestamp,
    ) -> Result<CardRecord, StoreError> {
        let mut unit = self.0.unit().await?;
        let record = update_card_tx(&mut unit, org_id, number, external_id, change, now).await?;
        unit.commit().await?;
        Ok(record)
    }

    /// `update_card` as a step of `unit`: nothing of it remains when it fails.
    pub async fn update_card_in(
        &self,
        unit: &mut Unit,
        org_id: OrgId,
        number: Option<&str>,
        external_id: Option<&str>,
        change: &CardChange,
        now: Timestamp,
    ) -> Result<CardRecord, StoreError> {
        unit.begin_step().await?;
        let out = update_card_tx(unit, org_id, number, external_id, change, now).await;
        unit.end_step(out).await
    }

    /// A card's status changes, oldest first.
    pub async fn card_status_log(
        &self,
        org_id: OrgId,
        card_id: i64,
    ) -> Result<Vec<StatusLogRecord>, StoreError> {
        type Row = (
            i64,
            String,
            String,
            Option<String>,
            Option<i64>,
            Option<String>,
            i64,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, status, label, reason, customer_id, actor, at FROM loyalty_card_status_log \
             WHERE org_id = $1 AND card_id = $2 ORDER BY id",
        )
        .bind(org_id.get())
        .bind(card_id)
        .fetch_all(self.0.reader())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(StatusLogRecord {
                    id: r.0,
                    status: status(&r.1)?,
                    label: r.2,
                    reason: r.3,
                    customer_id: r.4.map(CustomerId::new),
                    actor: r.5,
                    at: from_db(r.6)?,
                })
            })
            .collect()
    }
}

async fn find(
    tx: &mut Tx,
    org_id: OrgId,
    number: Option<&str>,
    external_id: Option<&str>,
) -> Result<CardRecord, StoreError> {
    let keys = [
        number.map(|n| CardKey::Number(n.to_string())),
        external_id.map(|e| CardKey::ExternalId(e.to_string())),
    ];
    let mut found: Option<CardRecord> = None;
    for key in keys.iter().flatten() {
        let card = card_for_update(tx, org_id, key)
            .await?
            .ok_or(LoyaltyError::CardNotFound)?;
        if found.as_ref().is_some_and(|f| f.id != card.id) {
            return Err(LoyaltyError::CardIdentityMismatch.into());
        }
        found = Some(card);
    }
    found.ok_or_else(|| LoyaltyError::CardNotFound.into())
}

/// The work of `LoyaltyRepo::add_card`, in `tx`.
async fn add_card_tx(
    tx: &mut Tx,
    org_id: OrgId,
    card: &NewCard,
    now: Timestamp,
) -> Result<CardRecord, StoreError> {
    series_in_tx(tx, org_id, card.series_id).await?;
    // The number is the card: a taken one is 3009 whatever else the request says.
    if card_in_tx(tx, org_id, &CardKey::Number(card.number.clone()))
        .await?
        .is_some()
    {
        return Err(LoyaltyError::CardNumberExists.into());
    }
    if let Some(ext) = &card.external_id {
        check_external_id_free(tx, org_id, ext, None).await?;
    }
    let row: Result<Option<(i64,)>, sqlx::Error> = sqlx::query_as(
        "INSERT INTO loyalty_cards (org_id, series_id, card_number, external_id, status, label, \
         reason, extended_fields, custom_fields, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
         ON CONFLICT (org_id, card_number) DO NOTHING RETURNING id",
    )
    .bind(org_id.get())
    .bind(card.series_id)
    .bind(&card.number)
    .bind(card.external_id.as_deref())
    .bind(card.label.status.as_str())
    .bind(&card.label.label)
    .bind(card.reason.as_deref())
    .bind(card.extended_fields.to_string())
    .bind(card.custom_fields.to_string())
    .bind(&card.actor)
    .bind(to_db(now))
    .fetch_optional(&mut **tx)
    .await;
    let (id,) = match row {
        Ok(row) => row.ok_or(LoyaltyError::CardNumberExists)?,
        // A concurrent add took the external id (a taken number is not an error above).
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(LoyaltyError::CardExternalIdExists.into())
        }
        Err(e) => return Err(e.into()),
    };
    log_status(
        tx,
        org_id,
        id,
        card.label.status,
        &card.label.label,
        card.reason.as_deref(),
        None,
        Some(&card.actor),
        now,
    )
    .await?;
    let record = card_in_tx(tx, org_id, &CardKey::Number(card.number.clone()))
        .await?
        .ok_or_else(|| StoreError::Corrupt("card vanished after insert".into()))?;
    Ok(record)
}

/// The work of `LoyaltyRepo::update_card`, in `tx`.
async fn update_card_tx(
    tx: &mut Tx,
    org_id: OrgId,
    number: Option<&str>,
    external_id: Option<&str>,
    change: &CardChange,
    now: Timestamp,
) -> Result<CardRecord, StoreError> {
    let card = find(tx, org_id, number, external_id).await?;
    let (status, label) = match &change.label {
        Some(l) => {
            rules::change_status(card.status, l.status)?;
            (l.status, l.label.clone())
        }
        None => (card.status, card.label.clone()),
    };
    let merge = |old: &Value, new: &Option<Value>| match (old, new) {
        (Value::Object(o), Some(Value::Object(n))) => {
            let mut m = o.clone();
            m.extend(n.clone());
            Value::Object(m).to_string()
        }
        _ => old.to_string(),
    };
    let reason = change.reason.clone().or(card.reason.clone());
    sqlx::query(
        "UPDATE loyalty_cards SET status = $3, label = $4, reason = $5, extended_fields = $6, \
         custom_fields = $7, updated_at = $8 WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id.get())
    .bind(card.id)
    .bind(status.as_str())
    .bind(&label)
    .bind(reason.as_deref())
    .bind(merge(&card.extended_fields, &change.extended_fields))
    .bind(merge(&card.custom_fields, &change.custom_fields))
    .bind(to_db(now))
    .execute(&mut **tx)
    .await?;
    if change.label.is_some() && (status != card.status || label != card.label) {
        log_status(
            tx,
            org_id,
            card.id,
            status,
            &label,
            change.reason.as_deref(),
            card.customer_id,
            Some(&change.actor),
            now,
        )
        .await?;
    }
    let record = card_in_tx(tx, org_id, &CardKey::Number(card.number))
        .await?
        .ok_or_else(|| StoreError::Corrupt("card vanished after update".into()))?;
    Ok(record)
}
