//! The Capillary-compatible API, one module per version.
//!
//! Every route is registered together with its OpenAPI description, so `/openapi.json` is
//! generated from the same code that serves the requests.

use axum::Extension;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::Resource;
use crate::AppState;

mod v1_1;
mod v2;
mod v3;

/// A router whose routes all act on one permission resource.
pub(crate) fn resource(
    name: &'static str,
    routes: OpenApiRouter<AppState>,
) -> OpenApiRouter<AppState> {
    routes.layer(Extension(Resource(name)))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(v1_1::routes())
        .merge(v2::routes())
        .merge(v3::routes())
}

/// A v1.1 success envelope around `payload`'s fields.
pub(crate) fn v1_1_ok(payload: serde_json::Value) -> serde_json::Value {
    let mut response = serde_json::json!({
        "status": {"success": "true", "code": fidelis_domain::error::Success::Done.code().to_string(), "message": "SUCCESS"}
    });
    if let (Some(obj), serde_json::Value::Object(extra)) = (response.as_object_mut(), payload) {
        obj.extend(extra);
    }
    serde_json::json!({ "response": response })
}

/// A v2 page of results: `{data, pagination{limit, offset, total}, warnings, errors}`.
pub(crate) fn v2_page(
    data: Vec<serde_json::Value>,
    limit: i64,
    offset: i64,
    total: usize,
) -> serde_json::Value {
    serde_json::json!({
        "data": data,
        "pagination": {"limit": limit, "offset": offset, "total": total},
        "warnings": [],
        "errors": [],
    })
}

/// Renders an instant as the org sees it (`YYYY-MM-DD HH:MM:SS`, org zone).
pub(crate) fn local_time(t: jiff::Timestamp, tz: &jiff::tz::TimeZone) -> String {
    t.to_zoned(tz.clone())
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}
