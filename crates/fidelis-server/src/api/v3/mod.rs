use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

mod oauth;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(oauth::generate_token))
        .layer(DefaultBodyLimit::max(crate::serve::SIGN_IN_MAX_BODY_BYTES))
}
