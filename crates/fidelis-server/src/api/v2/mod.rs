use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

mod communications;
mod customers;
mod dataflow_files;
mod dataflows;
mod groups;
mod identity;
mod incentives;
mod loyalty;
mod organization;
mod transactions;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(super::resource(
            "organization",
            OpenApiRouter::new()
                .routes(routes!(organization::till_by_code))
                .routes(routes!(organization::till_by_id))
                .routes(routes!(organization::config))
                .routes(routes!(dataflows::runs))
                .routes(routes!(dataflows::run)),
        ))
        .merge(super::resource("customers", customers::routes()))
        .merge(super::resource(
            "dataflows",
            // Uploads are streamed to disk under their own limit, not the 2 MiB one.
            OpenApiRouter::new()
                .routes(routes!(dataflow_files::upload))
                .layer(axum::extract::DefaultBodyLimit::disable()),
        ))
        .merge(super::resource("groups", groups::routes()))
        .merge(super::resource("identity", identity::routes()))
        .merge(super::resource("incentives", incentives::routes()))
        .merge(super::resource(
            "communications",
            OpenApiRouter::new()
                .routes(routes!(communications::send_email))
                .routes(routes!(communications::interactions)),
        ))
        .merge(
            super::resource("transactions", transactions::routes())
                .merge(super::resource("loyalty", loyalty::routes())),
        )
}
