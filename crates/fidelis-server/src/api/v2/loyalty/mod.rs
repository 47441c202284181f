//! Loyalty on v2: programs, loyalty details, points balance, expiry schedule,
//! expired points, the points ledger and goodwill history; partner-program link, update,
//! delink and activity history. Thin handlers over `crate::loyalty`.

use fidelis_domain::customers::{CustomerError, CustomerId, Source};
use jiff::civil::Date;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::loyalty::{Ctx, Customer, Ident};
use crate::{ApiError, AppState};

mod cards;
mod goodwill;
mod partner;
mod points;
mod programs;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(programs::programs))
        .routes(routes!(programs::details_by_lookup))
        .routes(routes!(programs::details_by_id))
        .routes(routes!(points::balance_by_lookup))
        .routes(routes!(points::balance_by_id))
        .routes(routes!(points::schedule_by_lookup))
        .routes(routes!(points::schedule_by_id))
        .routes(routes!(points::expired_by_lookup))
        .routes(routes!(points::expired_by_id))
        .routes(routes!(points::ledger))
        .routes(routes!(goodwill::history))
        .routes(routes!(cards::create_series))
        .routes(routes!(cards::update_series, cards::get_series))
        .routes(routes!(cards::all_series))
        .routes(routes!(cards::generate))
        .routes(routes!(cards::generation_logs))
        .routes(routes!(
            cards::add_card,
            cards::update_card,
            cards::get_card
        ))
        .routes(routes!(cards::update_bulk))
        .routes(routes!(cards::status_log))
        .routes(routes!(cards::labels))
        .routes(routes!(partner::link))
        .routes(routes!(partner::update))
        .routes(routes!(partner::delink))
        .routes(routes!(partner::history))
}

/// Identifier and program parameters shared by the customer loyalty reads.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct LoyaltyQuery {
    pub source: Option<String>,
    pub account_id: Option<String>,
    pub identifier_name: Option<String>,
    pub identifier_value: Option<String>,
    /// The program (the org's default when absent).
    pub program_id: Option<String>,
    /// `true`: every program of the org, ignoring `programId`.
    pub fetch_data_for_all_programs: Option<bool>,
    /// Expiry schedule window, `YYYY-MM-DD` (org days).
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub fetch_earliest_expiry_only: Option<bool>,
    /// `CUSTOMER` (default) or `FLEET`.
    pub entity_type: Option<String>,
}

/// A `YYYY-MM-DD` query value (a longer date-time is cut to its date).
fn day(field: &str, raw: Option<&str>) -> Result<Option<Date>, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .get(..10)
            .and_then(|d| d.parse::<Date>().ok())
            .map(Some)
            .ok_or_else(|| ApiError::invalid(format!("Invalid input: {field} must be YYYY-MM-DD"))),
    }
}

impl LoyaltyQuery {
    fn ident(&self) -> Ident {
        Ident {
            name: self.identifier_name.clone(),
            value: self.identifier_value.clone(),
            source: self.source.clone(),
            account_id: self.account_id.clone(),
        }
    }

    /// Checks the parameters every light API shares: `source` (8012), `entityType` (1212),
    /// the date window (1214).
    fn check(&self) -> Result<(), ApiError> {
        if let Some(s) = self.source.as_deref().filter(|s| !s.trim().is_empty()) {
            Source::parse_filter(s)?;
        }
        if let Some(e) = self.entity_type.as_deref().filter(|s| !s.trim().is_empty()) {
            if !["CUSTOMER", "FLEET"]
                .iter()
                .any(|k| k.eq_ignore_ascii_case(e.trim()))
            {
                return Err(CustomerError::InvalidEntityType(e.to_string()).into());
            }
        }
        if let (Some(from), Some(to)) = self.window()? {
            if from > to {
                return Err(CustomerError::StartAfterEnd.into());
            }
        }
        Ok(())
    }

    /// `startDate` and `endDate`.
    fn window(&self) -> Result<(Option<Date>, Option<Date>), ApiError> {
        Ok((
            day("startDate", self.start_date.as_deref())?,
            day("endDate", self.end_date.as_deref())?,
        ))
    }

    /// The programs asked for (1213 for an unknown `programId`); without a `programId`,
    /// the program of the card that identified the customer, else the default program.
    fn programs<'a>(
        &self,
        ctx: &'a Ctx,
        c: &Customer,
    ) -> Result<Vec<&'a fidelis_domain::loyalty::Program>, ApiError> {
        self.check()?;
        if self.fetch_data_for_all_programs.unwrap_or(false) {
            return Ok(ctx.member_programs());
        }
        let id = match self.program_id.as_deref().map(str::trim) {
            None | Some("") => c.card_program,
            Some(s) => Some(
                s.parse::<fidelis_domain::loyalty::ProgramId>()
                    .map_err(|_| CustomerError::InvalidProgramId)?,
            ),
        };
        let program = ctx
            .loyalty
            .program(id)
            .map_err(|_| CustomerError::InvalidProgramId)?;
        Ok(vec![program])
    }
}

/// The customer of a lookup query.
async fn by_lookup(state: &AppState, ctx: &Ctx, q: &LoyaltyQuery) -> Result<Customer, ApiError> {
    q.check()?;
    Ok(state.app.loyalty().find_customer(ctx, &q.ident()).await?)
}

/// The customer of a path id (8015 when the org has none).
async fn by_id(state: &AppState, ctx: &Ctx, raw: &str) -> Result<Customer, ApiError> {
    let id = raw
        .trim()
        .parse::<CustomerId>()
        .map_err(|_| fidelis_domain::customers::CustomerError::NotFound)?;
    Ok(state.app.loyalty().customer_by_id(ctx, id).await?)
}
