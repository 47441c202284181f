//! `/v2/customers/...`, `/v2/fleetHierarchy` and `/v2/companies`: thin handlers over
//! `fidelis_app::customers`, with the wire types and rendering of `crate::customers`.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::customers::CustomerError;
use crate::{ApiError, AppState};
use fidelis_domain::customers::CustomerId;

mod bulk;
mod companies;
mod fleet;
mod identifiers;
mod lookup;
mod register;
mod status;
mod subscriptions;
mod update;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register::register))
        .routes(routes!(lookup::lookup, update::update_by_lookup))
        .routes(routes!(lookup::details_by_lookup))
        .routes(routes!(lookup::details_by_id, update::update_by_id))
        .routes(routes!(status::change_status))
        .routes(routes!(status::status_log))
        .routes(routes!(subscriptions::post_by_id, subscriptions::get_by_id))
        .routes(routes!(
            subscriptions::post_by_lookup,
            subscriptions::get_by_lookup
        ))
        .routes(routes!(identifiers::change_identifier))
        .routes(routes!(bulk::post_bulk, bulk::put_bulk, bulk::get_bulk))
        .routes(routes!(fleet::create, fleet::update, fleet::get))
        .routes(routes!(
            companies::create,
            companies::update,
            companies::get,
            companies::delete
        ))
        .routes(routes!(companies::extended_field_search))
        .routes(routes!(companies::all))
        .routes(routes!(fleet::all))
        .routes(routes!(fleet::update_by_id))
}

/// A customer id from the path; anything but a positive number cannot name a customer.
pub(crate) fn customer_id(raw: &str) -> Result<CustomerId, ApiError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(CustomerId::new)
        .ok_or_else(|| CustomerError::NotFound.into())
}

/// Applies a saved customer's `loyaltyProgramEnrollments` in `unit` (with the customer's
/// registration), adding what could not be done to its warnings.
pub(crate) async fn enrol(
    state: &AppState,
    p: &crate::auth::Principal,
    saved: &mut fidelis_store::customers::Saved,
    body: &crate::customers::wire::CustomerBody,
    unit: &mut fidelis_store::Unit,
) -> Result<(), ApiError> {
    if body.loyalty_program_enrollments.is_empty() {
        return Ok(());
    }
    let ctx = state.app.loyalty().context(p).await?;
    let (requests, mut refused) =
        crate::loyalty::enrolment::requests(&ctx, &body.loyalty_program_enrollments);
    state
        .app
        .customers()
        .enrol_in(unit, saved, &ctx, &requests)
        .await?;
    saved.warnings.append(&mut refused);
    Ok(())
}
