use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

mod bodies;
mod communications;
mod coupon;
mod organization;
mod points;
mod request;

pub(crate) use communications::send_emails;
pub(crate) use organization::caller_org;

pub fn routes() -> OpenApiRouter<AppState> {
    super::resource(
        "organization",
        OpenApiRouter::new()
            .routes(routes!(organization::get_org))
            .routes(routes!(organization::entities)),
    )
    .merge(super::resource(
        "incentives",
        OpenApiRouter::new()
            .routes(routes!(coupon::redeem))
            .routes(routes!(coupon::is_redeemable))
            .routes(routes!(coupon::get)),
    ))
    .merge(super::resource(
        "loyalty",
        OpenApiRouter::new()
            .routes(routes!(request::add))
            .routes(routes!(request::approve))
            .routes(routes!(request::reject))
            .routes(routes!(points::is_redeemable))
            .routes(routes!(points::validation_code))
            .routes(routes!(points::validation_code_alias))
            .routes(routes!(points::redeem_points)),
    ))
    .merge(super::resource(
        "communications",
        OpenApiRouter::new()
            .routes(routes!(communications::send_sms, communications::get_sms))
            .routes(routes!(
                communications::send_email,
                communications::get_email
            ))
            .routes(routes!(communications::interactions)),
    ))
}
