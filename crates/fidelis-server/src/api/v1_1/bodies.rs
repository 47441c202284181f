//! The v1.1 request bodies as the OpenAPI document describes them. The handlers read the
//! bodies leniently as JSON values (numbers may come as strings, one element instead of a
//! list); these types only document the shape Capillary specifies.

#![allow(dead_code)] // described, never built: the handlers read `serde_json::Value`

use utoipa::ToSchema;

/// A v1.1 `customer` object: any one identifier names the customer.
#[derive(ToSchema)]
pub struct V1Customer {
    id: Option<String>,
    mobile: Option<String>,
    email: Option<String>,
    external_id: Option<String>,
    card_number: Option<String>,
}

/// One goodwill request of `/v1.1/request/add`.
#[derive(ToSchema)]
pub struct GoodwillItem {
    /// `GOODWILL`.
    #[schema(rename = "type")]
    kind: Option<String>,
    /// `POINTS` or `COUPON`.
    base_type: Option<String>,
    customer: Option<V1Customer>,
    points: Option<f64>,
    /// The coupon series (`COUPON` requests).
    series_id: Option<String>,
    reference_id: Option<String>,
    reason: Option<String>,
    comments: Option<String>,
}

#[derive(ToSchema)]
pub struct GoodwillRequests {
    request: Vec<GoodwillItem>,
}

/// `{"root": {"request": [...]}}` of `/v1.1/request/add`.
#[derive(ToSchema)]
pub struct GoodwillAddBody {
    root: GoodwillRequests,
}

/// One decision of `/v1.1/request/approve` or `/reject`.
#[derive(ToSchema)]
pub struct DecisionItem {
    /// `GOODWILL`.
    #[schema(rename = "type")]
    kind: Option<String>,
    /// The request id.
    id: Option<String>,
    base_type: Option<String>,
    updated_comments: Option<String>,
}

#[derive(ToSchema)]
pub struct Decisions {
    request: Vec<DecisionItem>,
}

/// `{"root": {"request": [...]}}` of `/v1.1/request/approve` and `/reject`.
#[derive(ToSchema)]
pub struct DecisionBody {
    root: Decisions,
}

/// One redemption of `/v1.1/points/redeem`.
#[derive(ToSchema)]
pub struct RedeemItem {
    customer: Option<V1Customer>,
    points_redeemed: Option<f64>,
    transaction_number: Option<String>,
    notes: Option<String>,
    /// The code from `GET /v1.1/points/validationcode` (808 when required and missing or
    /// invalid).
    validation_code: Option<String>,
}

#[derive(ToSchema)]
pub struct Redemptions {
    redeem: Vec<RedeemItem>,
}

/// `{"root": {"redeem": [...]}}` of `/v1.1/points/redeem`.
#[derive(ToSchema)]
pub struct RedeemBody {
    root: Redemptions,
}
