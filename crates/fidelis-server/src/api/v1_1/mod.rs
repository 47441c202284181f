use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

mod organization;

pub(crate) use organization::caller_org;

pub fn routes() -> OpenApiRouter<AppState> {
    super::resource(
        "organization",
        OpenApiRouter::new()
            .routes(routes!(organization::get_org))
            .routes(routes!(organization::entities)),
    )
}
