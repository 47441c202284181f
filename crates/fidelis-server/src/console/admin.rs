//! Admin pages (Admin and Org Owner): partner OAuth clients, OTP limits, Connect+ runs.
//! A new or rotated client secret is shown on the answer to its form, once.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use fidelis_app::connect::accuracy;
use fidelis_app::console::Session;
use fidelis_app::identity::NewSecret;
use fidelis_app::AppError;
use fidelis_domain::console::ConsoleError;
use fidelis_domain::identity::{ClientPatch, OtpConfig, OtpPatch, PointsValidation};
use fidelis_domain::org::Org;
use fidelis_store::connect::RunRecord;
use fidelis_store::identity::ClientEntry;
use serde::Deserialize;

use super::pages::{error_page, org_time, render, Nav};
use super::session::Staff;
use crate::AppState;

struct ClientRow {
    id: String,
    name: String,
    scopes: String,
    redirect_uris: Vec<String>,
    active: bool,
    from_file: bool,
    updated: String,
}

impl ClientRow {
    fn of(e: &ClientEntry, org: &Org) -> Self {
        let c = &e.client;
        ClientRow {
            id: c.client_id.clone(),
            name: c.name.clone(),
            scopes: c.scopes.to_string(),
            redirect_uris: c.redirect_uris.clone(),
            active: c.active,
            from_file: e.from_file,
            updated: org_time(e.updated_at, org),
        }
    }
}

#[derive(Template)]
#[template(path = "console/clients.html")]
struct ClientsPage {
    nav: Nav,
    clients: Vec<ClientRow>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    #[serde(default)]
    disabled: Option<String>,
    #[serde(default)]
    enabled: Option<String>,
}

/// `GET /console/admin/clients`.
pub async fn clients(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let s = &staff.session;
    match state.app.console().clients(s).await {
        Ok(list) => {
            let notice = match (q.disabled, q.enabled) {
                (Some(id), _) => Some(format!("{id} is disabled; its tokens are revoked.")),
                (None, Some(id)) => Some(format!("{id} is enabled.")),
                (None, None) => None,
            };
            render(
                StatusCode::OK,
                &ClientsPage {
                    nav: Nav::of(s),
                    clients: list.iter().map(|e| ClientRow::of(e, &s.org)).collect(),
                    notice,
                },
            )
        }
        Err(e) => error_page(&e),
    }
}

#[derive(Template)]
#[template(path = "console/client_secret.html")]
struct SecretPage {
    nav: Nav,
    created: bool,
    client: ClientRow,
    secret: String,
}

fn secret_page(s: &Session, made: &NewSecret, created: bool) -> Response {
    render(
        StatusCode::OK,
        &SecretPage {
            nav: Nav::of(s),
            created,
            client: ClientRow::of(&made.client, &s.org),
            secret: made.secret.clone(),
        },
    )
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    name: String,
    /// One URI a line.
    #[serde(default)]
    redirect_uris: String,
    /// Space-separated.
    #[serde(default)]
    scopes: String,
    #[serde(default)]
    access_ttl_seconds: String,
    #[serde(default)]
    refresh_ttl_seconds: String,
}

/// An optional whole number of a form (blank: not given).
fn optional_number(raw: &str, what: &str) -> Result<Option<i64>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<i64>()
        .map(Some)
        .map_err(|_| ConsoleError::Invalid(format!("{what} must be a whole number")).into())
}

impl CreateForm {
    fn patch(&self) -> Result<ClientPatch, AppError> {
        let name = self.name.trim();
        Ok(ClientPatch {
            name: (!name.is_empty()).then(|| name.to_string()),
            redirect_uris: Some(
                self.redirect_uris
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
            scopes: Some(self.scopes.trim().to_string()),
            access_ttl_seconds: optional_number(&self.access_ttl_seconds, "the access token life")?,
            refresh_ttl_seconds: optional_number(
                &self.refresh_ttl_seconds,
                "the refresh token life",
            )?,
            active: None,
        })
    }
}

/// `POST /console/admin/clients`: creates a client and shows its secret, once.
pub async fn create_client(
    State(state): State<AppState>,
    staff: Staff,
    Form(f): Form<CreateForm>,
) -> Response {
    let s = &staff.session;
    if let Err(e) = s.check_csrf(&f.csrf) {
        return error_page(&e.into());
    }
    let made = async {
        let patch = f.patch()?;
        state
            .app
            .console()
            .create_client(s, f.client_id.trim(), &patch)
            .await
    };
    match made.await {
        Ok(made) => secret_page(s, &made, true),
        Err(e) => error_page(&e),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /console/admin/clients/{id}/rotate`: a new secret, shown once; the old one
/// stops working at once.
pub async fn rotate_secret(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    let s = &staff.session;
    if let Err(e) = s.check_csrf(&f.csrf) {
        return error_page(&e.into());
    }
    match state.app.console().rotate_client_secret(s, &id).await {
        Ok(made) => secret_page(s, &made, false),
        Err(e) => error_page(&e),
    }
}

async fn set_active(state: AppState, staff: Staff, id: String, csrf: &str, on: bool) -> Response {
    let s = &staff.session;
    if let Err(e) = s.check_csrf(csrf) {
        return error_page(&e.into());
    }
    match state.app.console().set_client_active(s, &id, on).await {
        Ok(e) => {
            let what = if on { "enabled" } else { "disabled" };
            // Client ids are letters, digits, '.', '_' and '-': safe in a query as they are.
            let to = format!("/console/admin/clients?{what}={}", e.client.client_id);
            Redirect::to(&to).into_response()
        }
        Err(e) => error_page(&e),
    }
}

/// `POST /console/admin/clients/{id}/disable`: the client and its tokens stop working.
pub async fn disable_client(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    set_active(state, staff, id, &f.csrf, false).await
}

/// `POST /console/admin/clients/{id}/enable`.
pub async fn enable_client(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    set_active(state, staff, id, &f.csrf, true).await
}

/// One OTP limit as the form shows it.
struct Limit {
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    value: i64,
}

#[derive(Template)]
#[template(path = "console/otp.html")]
struct OtpPage {
    nav: Nav,
    limits: Vec<Limit>,
    points_required: bool,
    notice: Option<String>,
}

/// The form's names, labels and hints, in `OtpConfig::values` order.
const LIMITS: [(&str, &str, &str); 7] = [
    ("ttl_seconds", "Code lifetime (seconds)", "60–600"),
    ("max_attempts", "Wrong tries per code", "1–10"),
    (
        "cooldown_seconds",
        "Seconds between two sends to one identifier",
        "0–600",
    ),
    ("per_hour", "Sends per identifier and hour", "1–100"),
    ("per_day", "Sends per identifier and day", "1–1000"),
    ("org_per_hour", "Sends per org and hour", "at least 1"),
    (
        "ip_per_hour",
        "Sends asked for from one address per hour",
        "at least 1",
    ),
];

fn otp_page(s: &Session, o: &OtpConfig, notice: Option<String>) -> Response {
    let limits = LIMITS
        .iter()
        .zip(o.values())
        .map(|((name, label, hint), value)| Limit {
            name,
            label,
            hint,
            value,
        })
        .collect();
    render(
        StatusCode::OK,
        &OtpPage {
            nav: Nav::of(s),
            limits,
            points_required: o.points_validation == PointsValidation::Required,
            notice,
        },
    )
}

/// `GET /console/admin/otp`.
pub async fn otp(State(state): State<AppState>, staff: Staff) -> Response {
    let s = &staff.session;
    match state.app.console().otp_config(s).await {
        Ok(o) => otp_page(s, &o, None),
        Err(e) => error_page(&e),
    }
}

#[derive(Deserialize)]
pub struct OtpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ttl_seconds: String,
    #[serde(default)]
    max_attempts: String,
    #[serde(default)]
    cooldown_seconds: String,
    #[serde(default)]
    per_hour: String,
    #[serde(default)]
    per_day: String,
    #[serde(default)]
    org_per_hour: String,
    #[serde(default)]
    ip_per_hour: String,
    #[serde(default)]
    points_validation: String,
}

impl OtpForm {
    fn patch(&self) -> Result<OtpPatch, AppError> {
        let given = [
            &self.ttl_seconds,
            &self.max_attempts,
            &self.cooldown_seconds,
            &self.per_hour,
            &self.per_day,
            &self.org_per_hour,
            &self.ip_per_hour,
        ];
        let mut limits = [None; 7];
        for ((slot, raw), (_, label, _)) in limits.iter_mut().zip(given).zip(LIMITS) {
            *slot = optional_number(raw, label)?;
        }
        let points_validation = match self.points_validation.trim() {
            "" => None,
            p => Some(PointsValidation::parse(p).ok_or_else(|| {
                ConsoleError::Invalid("points validation is required or optional".into())
            })?),
        };
        Ok(OtpPatch {
            limits,
            points_validation,
        })
    }
}

/// `POST /console/admin/otp`: changes the limits given (each within its range).
pub async fn set_otp(
    State(state): State<AppState>,
    staff: Staff,
    Form(f): Form<OtpForm>,
) -> Response {
    let s = &staff.session;
    if let Err(e) = s.check_csrf(&f.csrf) {
        return error_page(&e.into());
    }
    let saved = async {
        let patch = f.patch()?;
        state.app.console().set_otp_config(s, &patch).await
    };
    match saved.await {
        Ok(o) => otp_page(s, &o, Some("The OTP settings are saved.".into())),
        Err(e) => error_page(&e),
    }
}

struct RunRow {
    id: i64,
    dataflow: String,
    template: String,
    file_name: String,
    digest: String,
    dry_run: bool,
    started: String,
    finished: String,
    input: u64,
    succeeded: u64,
    failed: u64,
    filtered: u64,
    skipped: u64,
    accuracy: String,
    errors: Vec<(String, u64)>,
    error_file: String,
}

impl RunRow {
    fn of(r: &RunRecord, org: &Org) -> Self {
        let c = &r.counts;
        RunRow {
            id: r.id,
            dataflow: r.dataflow.clone(),
            template: r.template.clone(),
            file_name: r.file_name.clone(),
            digest: r.digest.clone(),
            dry_run: r.dry_run,
            started: org_time(r.started_at, org),
            finished: r
                .finished_at
                .map_or_else(|| "not finished".into(), |t| org_time(t, org)),
            input: c.input,
            succeeded: c.succeeded,
            failed: c.failed,
            filtered: c.filtered,
            skipped: c.skipped,
            accuracy: format!("{:.2}%", accuracy(c)),
            errors: c.errors.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            error_file: r.error_file.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "console/runs.html")]
struct RunsPage {
    nav: Nav,
    runs: Vec<RunRow>,
    total: i64,
    prev: Option<i64>,
    next: Option<i64>,
}

/// Runs one page lists.
const RUNS_PER_PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct RunsQuery {
    #[serde(default)]
    offset: Option<String>,
}

/// `GET /console/admin/runs`: the org's dataflow runs, newest first.
pub async fn runs(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<RunsQuery>,
) -> Response {
    let s = &staff.session;
    let offset = q
        .offset
        .as_deref()
        .and_then(|o| o.trim().parse::<i64>().ok())
        .unwrap_or(0)
        .max(0);
    match state.app.console().runs(s, RUNS_PER_PAGE, offset).await {
        Ok(page) => render(
            StatusCode::OK,
            &RunsPage {
                nav: Nav::of(s),
                runs: page.runs.iter().map(|r| RunRow::of(r, &s.org)).collect(),
                total: page.total,
                prev: (offset > 0).then(|| (offset - RUNS_PER_PAGE).max(0)),
                next: (offset + RUNS_PER_PAGE < page.total).then_some(offset + RUNS_PER_PAGE),
            },
        ),
        Err(e) => error_page(&e),
    }
}

#[derive(Template)]
#[template(path = "console/run.html")]
struct RunPage {
    nav: Nav,
    r: RunRow,
}

/// `GET /console/admin/runs/{id}`: one run's report.
pub async fn run(State(state): State<AppState>, staff: Staff, Path(id): Path<String>) -> Response {
    let s = &staff.session;
    let Ok(id) = id.trim().parse::<i64>() else {
        return error_page(&ConsoleError::Invalid("a run id is a number".into()).into());
    };
    match state.app.console().run(s, id).await {
        Ok(r) => render(
            StatusCode::OK,
            &RunPage {
                nav: Nav::of(s),
                r: RunRow::of(&r, &s.org),
            },
        ),
        Err(e) => error_page(&e),
    }
}
