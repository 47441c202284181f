//! Goodwill pages: `/console/goodwill` finds the customer (a card pre-selects its program
//! and shows its status) and files a points request; `/console/goodwill/requests` is the
//! queue a checker approves or rejects from.

use std::str::FromStr;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use fidelis_app::console::{GoodwillFiling, GoodwillOptions, GoodwillTarget, Session};
use fidelis_app::AppError;
use fidelis_domain::console::{ConsoleError, Permission};
use fidelis_domain::credentials::token_from_bytes;
use fidelis_domain::customers::CustomerId;
use fidelis_domain::error::{CodedError, ErrorClass};
use fidelis_domain::loyalty::ProgramId;
use fidelis_store::loyalty::GoodwillRecord;
use rand::RngCore;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::pages::{error_page, org_time, render, Nav};
use super::panels::who;
use super::session::Staff;
use crate::error::status_for;
use crate::AppState;

struct CardModel {
    number: String,
    external_id: String,
    label: String,
    status: &'static str,
    active: bool,
}

struct ProgramOption {
    id: i64,
    name: String,
    selected: bool,
}

/// The filing form for one customer.
struct FormModel {
    customer_id: i64,
    name: String,
    matched: String,
    card: Option<CardModel>,
    programs: Vec<ProgramOption>,
    reasons: Vec<String>,
    /// A fresh one-time reference: posting this form twice files one request.
    reference: String,
}

/// One of several customers an identifier named.
struct Choice {
    id: i64,
    name: String,
    matched: String,
}

#[derive(Template)]
#[template(path = "console/goodwill.html")]
struct GoodwillPage {
    nav: Nav,
    q: String,
    form: Option<FormModel>,
    choices: Vec<Choice>,
    not_found: bool,
    error: Option<String>,
}

fn customer_name(c: &fidelis_app::loyalty::Customer) -> String {
    let n = format!("{} {}", c.first_name, c.last_name)
        .trim()
        .to_string();
    if n.is_empty() {
        format!("Customer {}", c.id.get())
    } else {
        n
    }
}

fn reference() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("console-{}", token_from_bytes(&bytes))
}

fn form_of(t: &GoodwillTarget, o: &GoodwillOptions) -> FormModel {
    FormModel {
        customer_id: t.customer.id.get(),
        name: customer_name(&t.customer),
        matched: t.matched.clone(),
        card: t.card.as_ref().map(|c| CardModel {
            number: c.number.clone(),
            external_id: c.external_id.clone().unwrap_or_default(),
            label: c.label.clone(),
            status: c.status.as_str(),
            active: c.status == fidelis_domain::loyalty::cards::CardStatus::Active,
        }),
        programs: o
            .programs
            .iter()
            .map(|p| ProgramOption {
                id: p.id.get(),
                name: p.name.clone(),
                selected: p.id == t.program,
            })
            .collect(),
        reasons: o.reasons.clone(),
        reference: reference(),
    }
}

#[derive(Deserialize)]
pub struct FindQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    customer: Option<String>,
}

/// What the page found for its query: targets, or an error to show beside the search box.
async fn targets(
    state: &AppState,
    s: &Session,
    q: &FindQuery,
) -> Result<Vec<GoodwillTarget>, AppError> {
    if let Some(id) = q
        .customer
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        let id = id
            .parse::<i64>()
            .map_err(|_| ConsoleError::Invalid("a customer id is a number".into()))?;
        return Ok(vec![
            state
                .app
                .console()
                .goodwill_target(s, CustomerId::new(id))
                .await?,
        ]);
    }
    match q.q.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(term) => state.app.console().goodwill_targets(s, term).await,
        None => Ok(Vec::new()),
    }
}

/// `GET /console/goodwill?q=…` (or `?customer=ID` from the customer page).
pub async fn find(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<FindQuery>,
) -> Response {
    let s = &staff.session;
    let options = match state.app.console().goodwill_options(s).await {
        Ok(o) => o,
        Err(e) => return error_page(&e),
    };
    let asked = query.q.as_deref().is_some_and(|v| !v.trim().is_empty())
        || query
            .customer
            .as_deref()
            .is_some_and(|v| !v.trim().is_empty());
    let mut page = GoodwillPage {
        nav: Nav::of(s),
        q: query.q.clone().unwrap_or_default(),
        form: None,
        choices: Vec::new(),
        not_found: false,
        error: None,
    };
    let mut status = StatusCode::OK;
    match targets(&state, s, &query).await {
        Ok(found) if found.len() == 1 => page.form = Some(form_of(&found[0], &options)),
        Ok(found) => {
            page.not_found = asked && found.is_empty();
            page.choices = found
                .iter()
                .map(|t| Choice {
                    id: t.customer.id.get(),
                    name: customer_name(&t.customer),
                    matched: t.matched.clone(),
                })
                .collect();
        }
        Err(e) if e.class() == ErrorClass::Internal => return error_page(&e),
        Err(e) => {
            status = status_for(e.class());
            page.error = Some(e.to_string());
        }
    }
    render(status, &page)
}

#[derive(Deserialize)]
pub struct FileForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    program: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    comments: String,
    #[serde(default)]
    reference: String,
}

fn number<T: FromStr>(raw: &str, what: &str) -> Result<T, AppError> {
    raw.trim()
        .parse::<T>()
        .map_err(|_| ConsoleError::Invalid(format!("{what} must be a number")).into())
}

impl FileForm {
    fn filing(&self) -> Result<GoodwillFiling, AppError> {
        let reference = self.reference.trim();
        if reference.is_empty() || reference.len() > 100 {
            return Err(ConsoleError::Invalid("reload the form and try again".into()).into());
        }
        let comments = self.comments.trim();
        Ok(GoodwillFiling {
            customer: CustomerId::new(number(&self.customer, "the customer")?),
            program: ProgramId::new(number(&self.program, "the program")?),
            points: number::<Decimal>(&self.points, "points")?,
            reason: self.reason.trim().to_string(),
            comments: (!comments.is_empty()).then(|| comments.to_string()),
            reference: reference.to_string(),
        })
    }
}

#[derive(Template)]
#[template(path = "console/goodwill_filed.html")]
struct FiledPage {
    nav: Nav,
    r: RequestRow,
}

/// A goodwill request as the pages list it.
struct RequestRow {
    id: i64,
    when: String,
    customer_id: i64,
    customer: String,
    program: String,
    points: String,
    reason: String,
    comments: String,
    status: &'static str,
    maker: String,
}

impl RequestRow {
    fn of(r: &GoodwillRecord, customer: String, o: &GoodwillOptions, s: &Session) -> Self {
        RequestRow {
            id: r.id,
            when: org_time(r.created_at, &s.org),
            customer_id: r.customer_id.get(),
            customer,
            program: o
                .programs
                .iter()
                .find(|p| p.id == r.program_id)
                .map_or_else(|| r.program_id.get().to_string(), |p| p.name.clone()),
            points: r
                .points
                .map_or_else(|| "—".into(), |p| p.normalize().to_string()),
            reason: r.reason.clone(),
            comments: r.comments.clone().unwrap_or_default(),
            status: r.status.as_str(),
            maker: who(&r.maker),
        }
    }
}

/// `POST /console/goodwill`: files the request (the staff user is the maker).
pub async fn file(
    State(state): State<AppState>,
    staff: Staff,
    Form(f): Form<FileForm>,
) -> Response {
    let s = &staff.session;
    if let Err(e) = s.check_csrf(&f.csrf) {
        return error_page(&e.into());
    }
    let console = state.app.console();
    let filed = async {
        let filing = f.filing()?;
        let options = console.goodwill_options(s).await?;
        let r = console.file_goodwill(s, &filing).await?;
        // The request answered (a re-posted form's is the first one) names its customer.
        let target = console.goodwill_target(s, r.customer_id).await?;
        Ok::<_, AppError>(RequestRow::of(
            &r,
            customer_name(&target.customer),
            &options,
            s,
        ))
    };
    match filed.await {
        Ok(r) => render(StatusCode::OK, &FiledPage { nav: Nav::of(s), r }),
        Err(e) => error_page(&e),
    }
}

#[derive(Template)]
#[template(path = "console/goodwill_queue.html")]
struct QueuePage {
    nav: Nav,
    can_decide: bool,
    rows: Vec<RequestRow>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    approved: Option<i64>,
    #[serde(default)]
    rejected: Option<i64>,
}

/// `GET /console/goodwill/requests`: the pending requests, oldest first.
pub async fn queue(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<QueueQuery>,
) -> Response {
    let s = &staff.session;
    let console = state.app.console();
    let loaded = async {
        let options = console.goodwill_options(s).await?;
        let queue = console.goodwill_queue(s).await?;
        Ok::<_, AppError>((options, queue))
    };
    let (options, queue) = match loaded.await {
        Ok(x) => x,
        Err(e) => return error_page(&e),
    };
    let rows = queue
        .iter()
        .map(|q| {
            let name = q
                .customer
                .as_ref()
                .map_or_else(|| "a group".into(), customer_name);
            RequestRow::of(&q.request, name, &options, s)
        })
        .collect();
    let notice = match (q.approved, q.rejected) {
        (Some(id), _) => Some(format!(
            "Request {id} approved; its points are on the customer's balance."
        )),
        (None, Some(id)) => Some(format!("Request {id} rejected.")),
        (None, None) => None,
    };
    render(
        StatusCode::OK,
        &QueuePage {
            nav: Nav::of(s),
            can_decide: s.role.allows(Permission::DecideGoodwill),
            rows,
            notice,
        },
    )
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    csrf: String,
}

async fn decide(state: AppState, staff: Staff, id: String, csrf: &str, approve: bool) -> Response {
    let s = &staff.session;
    if let Err(e) = s.check_csrf(csrf) {
        return error_page(&e.into());
    }
    let Ok(id) = id.trim().parse::<i64>() else {
        return error_page(&ConsoleError::Invalid("a request id is a number".into()).into());
    };
    match state.app.console().decide_goodwill(s, id, approve).await {
        Ok(_) => {
            let verdict = if approve { "approved" } else { "rejected" };
            Redirect::to(&format!("/console/goodwill/requests?{verdict}={id}")).into_response()
        }
        Err(e) => error_page(&e),
    }
}

/// `POST /console/goodwill/requests/{id}/approve` (Admin, Org Owner).
pub async fn approve(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<DecideForm>,
) -> Response {
    decide(state, staff, id, &f.csrf, true).await
}

/// `POST /console/goodwill/requests/{id}/reject` (Admin, Org Owner).
pub async fn reject(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<DecideForm>,
) -> Response {
    decide(state, staff, id, &f.csrf, false).await
}
