//! `POST /v2/dataflows/{name}/files`: a file for a dataflow, stored in its inbox for the
//! scheduled pickup (docs/dataflows.md, Sources). The body is the file itself (`text/csv`
//! or any other type; name in `?fileName=`) or a `multipart/form-data` form whose first
//! file part is the file (named by its filename). Bodies are streamed to disk, never held
//! in memory.

use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::Json;
use fidelis_app::org::TillKey;
use fidelis_connect::sources::inbox::{self, InboxError, Stored};
use fidelis_connect::sources::Registered;
use fidelis_domain::connect::{Attribution, UploadError};
use fidelis_domain::org::OrgError;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::Principal;
use crate::{ApiError, AppState};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct UploadQuery {
    /// The file's name in the inbox (a raw body); it must match the dataflow's pattern.
    /// Default `upload-TIMESTAMP-ID.csv`.
    pub file_name: Option<String>,
}

/// The stored file.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoredFile {
    pub dataflow: String,
    pub file_name: String,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    pub size: u64,
}

/// Stores a file in the dataflow's inbox; the scheduled pickup runs it.
#[utoipa::path(post, path = "/v2/dataflows/{name}/files", tag = "dataflows",
    params(("name" = String, Path, description = "The dataflow's name"), UploadQuery),
    request_body(content = String, content_type = "text/csv",
        description = "The file (or multipart/form-data with a file part)"),
    responses((status = 202, description = "Stored; `data` names the file and its SHA-256", body = StoredFile),
              (status = 400, description = "Bad name (9102), empty file (9103), a file of that name already waiting (9104), unreadable body (9105)"),
              (status = 401, description = "Authentication failed"),
              (status = 403, description = "Not an API client with the dataflows permission"),
              (status = 404, description = "No such dataflow for this org (9101)"),
              (status = 413, description = "Over the upload limit")))]
pub async fn upload(
    State(state): State<AppState>,
    p: Principal,
    Path(name): Path<String>,
    Query(q): Query<UploadQuery>,
    req: Request,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let flow = reachable(&state, &p, &name).await?;
    let max = state.connect.max_upload_bytes;
    let announced = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > max) {
        return Err(ApiError::upload_too_large(max));
    }
    let multipart = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    let pattern = regex::Regex::new(&flow.flow.pattern)
        .map_err(|e| UploadError::Storage(format!("pattern: {e}")))?;
    let stored = if multipart {
        let mut form = Multipart::from_request(req, &state)
            .await
            .map_err(|e| UploadError::BadBody(e.body_text()))?;
        loop {
            let field = form
                .next_field()
                .await
                .map_err(|e| UploadError::BadBody(e.body_text()))?
                .ok_or_else(|| UploadError::BadBody("the form has no file part".into()))?;
            let Some(file_name) = field.file_name().map(str::to_string) else {
                continue;
            };
            break inbox::store(&flow.inbox, &file_name, &pattern, max, field).await;
        }
    } else {
        let file_name = q.file_name.unwrap_or_else(|| default_name(state.now()));
        let body = req.into_body().into_data_stream();
        inbox::store(&flow.inbox, &file_name, &pattern, max, body).await
    };
    let Stored {
        name: file_name,
        sha256,
        size,
        ..
    } = stored.map_err(|e| match e {
        InboxError::Upload(u) => ApiError::from(u),
        InboxError::TooLarge(max) => ApiError::upload_too_large(max),
    })?;
    tracing::info!(dataflow = %name, file = %file_name, %sha256, size, "file uploaded");
    let data = StoredFile {
        dataflow: name,
        file_name,
        sha256,
        size,
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"data": data, "warnings": [], "errors": []})),
    ))
}

/// The dataflow, if it belongs to the caller's org: its fixed till is one of the org's. A
/// dataflow attributed by a till column names no org, so it takes no uploads.
async fn reachable<'s>(
    state: &'s AppState,
    p: &Principal,
    name: &str,
) -> Result<&'s std::sync::Arc<Registered>, ApiError> {
    let unknown = || ApiError::from(UploadError::UnknownDataflow(name.to_string()));
    let flow = state.connect.dataflows.get(name).ok_or_else(unknown)?;
    let Attribution::Till(till) = &flow.flow.attribution else {
        return Err(unknown());
    };
    match state.app.till(p, TillKey::Code(till)).await {
        Ok(_) => Ok(flow),
        Err(fidelis_app::AppError::Org(OrgError::TillNotFound)) => Err(unknown()),
        Err(e) => Err(e.into()),
    }
}

fn default_name(now: jiff::Timestamp) -> String {
    format!(
        "upload-{}-{}.csv",
        now.strftime("%Y%m%dT%H%M%SZ"),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}
