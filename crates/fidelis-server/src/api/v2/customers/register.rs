//! `POST /v2/customers`.

use axum::extract::State;
use axum::Json;
use serde_json::Value;

use crate::auth::Principal;
use crate::customers::{self, wire::CustomerBody};
use crate::json::ApiJson;
use crate::loyalty::enrolment::requests;
use crate::{ApiError, AppState};

/// Registers a customer, or joins/refreshes the customer who already holds its identifiers
/// (warning 8050 when joined from another source), then applies its
/// `loyaltyProgramEnrollments`.
#[utoipa::path(post, path = "/v2/customers", request_body = CustomerBody, tag = "customers",
    responses((status = 200, description = "`{createdId, warnings, sideEffects}`"),
              (status = 400, description = "Invalid input, with the Capillary code")))]
pub async fn register(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<CustomerBody>,
) -> Result<Json<Value>, ApiError> {
    let app = state.app.customers();
    let ctx = app.context(&p).await?;
    let (reg, warnings) = body.registration(&ctx, state.now())?;
    let loyalty = state.app.loyalty().context(&p).await?;
    let (enrolments, mut refused) = requests(&loyalty, &body.loyalty_program_enrollments);
    let mut saved = app
        .register(&ctx, &reg, warnings, &loyalty, &enrolments)
        .await?;
    saved.warnings.append(&mut refused);
    Ok(Json(customers::saved_json(&saved)))
}
