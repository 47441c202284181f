//! The console's pages: each parses its input, calls `fidelis-app` and renders a template.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::CookieJar;
use fidelis_app::console::{CustomerPage, Hit, Session};
use fidelis_app::AppError;
use fidelis_domain::console::{ConsoleError, Permission};
use fidelis_domain::credentials::{secrets_equal, token_from_bytes};
use fidelis_domain::customers::CustomerId;
use fidelis_domain::error::{CodedError, ErrorClass};
use fidelis_domain::incentives::IncentiveKind;
use fidelis_domain::org::Org;
use rand::RngCore;
use serde::Deserialize;

use super::panels::PanelsModel;
use super::session::{cookie, removal, Staff, LOGIN_COOKIE, SESSION_COOKIE};
use crate::auth::ClientAddress;
use crate::error::status_for;
use crate::AppState;

/// Renders a template as a page (with `crate::html::page`'s headers).
pub(super) fn render(status: StatusCode, t: &impl Template) -> Response {
    let body = match t.render() {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "console template failed");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be shown",
            )
                .into_response();
        }
    };
    crate::html::page(status, body)
}

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage {
    title: String,
    message: String,
    back_href: &'static str,
    back_label: &'static str,
}

/// An error as a page, with the status its class maps to.
pub fn error_page(e: &AppError) -> Response {
    error_page_back(e, ("/console/search", "Back to search"))
}

/// An error as a page with a link back to `back` (where to go, what the link says).
pub fn error_page_back(e: &AppError, back: (&'static str, &'static str)) -> Response {
    let status = status_for(e.class());
    let message = if e.class() == ErrorClass::Internal {
        tracing::error!(error = %e, "console request failed");
        "something went wrong on our side; try again".to_string()
    } else {
        e.to_string()
    };
    let title = match status {
        _ if matches!(e, AppError::Console(ConsoleError::Google(_))) => "Google sign-in refused",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::NOT_FOUND => "Not found",
        _ => "Something is wrong",
    };
    render(
        status,
        &ErrorPage {
            title: title.into(),
            message,
            back_href: back.0,
            back_label: back.1,
        },
    )
}

/// What the header shows of the signed-in staff user, and the links their role may use.
pub(super) struct Nav {
    pub org_name: String,
    pub staff_name: String,
    pub role: &'static str,
    pub csrf: String,
    /// The admin pages' links.
    pub admin: bool,
}

impl Nav {
    pub(super) fn of(s: &Session) -> Self {
        Nav {
            org_name: s.org.name.clone(),
            staff_name: s.name.clone(),
            role: s.role.label(),
            csrf: s.csrf.clone(),
            admin: s.role.allows(Permission::Administer),
        }
    }
}

pub async fn home(_staff: Staff) -> Redirect {
    Redirect::to("/console/search")
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct Login {
    csrf: String,
    email: String,
    error: Option<String>,
    /// Offer "Sign in with Google" (the server is configured for it).
    google: bool,
}

/// The sign-in form, with a fresh form token in its cookie.
fn login_page(
    state: &AppState,
    jar: CookieJar,
    status: StatusCode,
    email: String,
    error: Option<String>,
) -> Response {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let csrf = token_from_bytes(&bytes);
    let jar = jar.add(cookie(LOGIN_COOKIE, csrf.clone()));
    let google = state.app.console().google_enabled();
    let page = Login {
        csrf,
        email,
        error,
        google,
    };
    (jar, render(status, &page)).into_response()
}

pub async fn login_form(State(state): State<AppState>, jar: CookieJar) -> Response {
    login_page(&state, jar, StatusCode::OK, String::new(), None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddress(from): ClientAddress,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Response {
    let expected = jar.get(LOGIN_COOKIE).map(|c| c.value().to_string());
    let same =
        expected.is_some_and(|e| !e.is_empty() && secrets_equal(e.as_bytes(), f.csrf.as_bytes()));
    if !same {
        let e = AppError::from(ConsoleError::Csrf);
        return login_page(
            &state,
            jar,
            StatusCode::FORBIDDEN,
            f.email,
            Some(e.to_string()),
        );
    }
    match state
        .app
        .console()
        .sign_in(&f.email, &f.password, from)
        .await
    {
        Ok(signed) => {
            let jar = jar
                .remove(removal(LOGIN_COOKIE))
                .add(cookie(SESSION_COOKIE, signed.token));
            (jar, Redirect::to("/console/search")).into_response()
        }
        Err(e) if e.class() == ErrorClass::Internal => error_page(&e),
        Err(e) => login_page(
            &state,
            jar,
            status_for(e.class()),
            f.email,
            Some(e.to_string()),
        ),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    staff: Staff,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = staff.session.check_csrf(&f.csrf) {
        return error_page(&e.into());
    }
    if let Err(e) = state.app.console().sign_out(&staff.token).await {
        return error_page(&e);
    }
    (
        jar.add(removal(SESSION_COOKIE)),
        Redirect::to("/console/login"),
    )
        .into_response()
}

/// One line of the search results.
struct HitLine {
    id: i64,
    name: String,
    mobile: String,
    email: String,
    status: String,
    matched: String,
}

fn identifier(view: &fidelis_app::customers::CustomerView, kind: &str) -> String {
    view.customer
        .profiles
        .iter()
        .flat_map(|p| p.identifiers.iter())
        .find(|i| i.kind == kind)
        .map(|i| i.value.clone())
        .unwrap_or_default()
}

pub(super) fn full_name(view: &fidelis_app::customers::CustomerView) -> String {
    let p = view.customer.profiles.first();
    let name = [
        p.and_then(|p| p.first_name.clone()),
        p.and_then(|p| p.last_name.clone()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    if name.trim().is_empty() {
        format!("Customer {}", view.customer.id.get())
    } else {
        name
    }
}

impl HitLine {
    fn of(h: &Hit) -> Self {
        HitLine {
            id: h.view.customer.id.get(),
            name: full_name(&h.view),
            mobile: identifier(&h.view, "mobile"),
            email: identifier(&h.view, "email"),
            status: h.view.customer.status.as_str().to_string(),
            matched: h.matched.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "console/search.html")]
struct SearchPage {
    nav: Nav,
    q: String,
    searched: bool,
    hits: Vec<HitLine>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: Option<String>,
}

pub async fn search(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<SearchQuery>,
) -> Response {
    let s = &staff.session;
    let nav = Nav::of(s);
    let q = query.q.unwrap_or_default();
    let (searched, hits, error, status) = if q.is_empty() {
        (false, Vec::new(), None, StatusCode::OK)
    } else {
        match state.app.console().search(s, &q).await {
            // One hit opens the customer straight away.
            Ok(hits) if hits.len() == 1 => {
                let id = hits[0].view.customer.id.get();
                return Redirect::to(&format!("/console/customers/{id}")).into_response();
            }
            Ok(hits) => (
                true,
                hits.iter().map(HitLine::of).collect(),
                None,
                StatusCode::OK,
            ),
            Err(e) if e.class() == ErrorClass::Internal => return error_page(&e),
            Err(e) => (
                false,
                Vec::new(),
                Some(e.to_string()),
                status_for(e.class()),
            ),
        }
    };
    render(
        status,
        &SearchPage {
            nav,
            q,
            searched,
            hits,
            error,
        },
    )
}

struct ProgramRow {
    name: String,
    id: i64,
    tier: String,
    tier_expiry: String,
    points: String,
}

struct CustomerModel {
    id: i64,
    name: String,
    status: String,
    label: Option<String>,
    identifiers: Vec<(String, String, String)>,
    subscriptions: Vec<(String, String, String)>,
    programs: Vec<ProgramRow>,
    interactions: Vec<MessageRow>,
    panels: PanelsModel,
}

struct MessageRow {
    channel: &'static str,
    when: String,
    to: String,
    text: String,
    status: &'static str,
}

/// An instant in the org's zone, with the zone's offset shown.
pub(super) fn org_time(t: jiff::Timestamp, org: &Org) -> String {
    t.to_zoned(org.time_zone.clone())
        .strftime("%Y-%m-%d %H:%M %:z")
        .to_string()
}

impl CustomerModel {
    fn of(p: &CustomerPage, org: &Org) -> Self {
        let c = &p.view.customer;
        CustomerModel {
            id: c.id.get(),
            name: full_name(&p.view),
            status: c.status.as_str().to_string(),
            label: c.status_label.clone(),
            identifiers: c
                .profiles
                .iter()
                .flat_map(|pr| {
                    pr.identifiers
                        .iter()
                        .map(|i| (i.kind.clone(), i.value.clone(), pr.source.clone()))
                })
                .collect(),
            subscriptions: p
                .view
                .subscriptions
                .iter()
                .flatten()
                .map(|s| {
                    (
                        s.channel.as_str().to_string(),
                        s.priority.as_str().to_string(),
                        s.status.as_str().to_string(),
                    )
                })
                .collect(),
            programs: p
                .programs
                .iter()
                .map(|l| ProgramRow {
                    name: l.name.clone(),
                    id: l.program_id,
                    tier: l.tier.clone().unwrap_or_else(|| "—".into()),
                    tier_expiry: l
                        .tier_valid_until
                        .map_or_else(|| "—".into(), |t| org_time(t, org)),
                    points: l.balance.net.normalize().to_string(),
                })
                .collect(),
            interactions: p
                .interactions
                .iter()
                .map(|m| MessageRow {
                    channel: m.channel.as_str(),
                    when: org_time(m.created_at, org),
                    to: m.recipient.clone(),
                    text: if m.subject.is_empty() {
                        m.body.clone()
                    } else {
                        m.subject.clone()
                    },
                    status: m.status.as_str(),
                })
                .collect(),
            panels: PanelsModel::of(&p.panels, org),
        }
    }
}

#[derive(Template)]
#[template(path = "console/customer.html")]
struct CustomerView {
    nav: Nav,
    zone: String,
    max_transactions: u32,
    c: CustomerModel,
}

pub async fn customer(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Response {
    let s = &staff.session;
    let Ok(id) = id.trim().parse::<i64>() else {
        return error_page(&ConsoleError::Invalid("a customer id is a number".into()).into());
    };
    match state.app.console().customer(s, CustomerId::new(id)).await {
        Ok(page) => {
            let nav = Nav::of(s);
            render(
                StatusCode::OK,
                &CustomerView {
                    nav,
                    zone: s.org.time_zone_name().to_string(),
                    max_transactions: fidelis_app::console::MAX_TRANSACTIONS,
                    c: CustomerModel::of(&page, &s.org),
                },
            )
        }
        Err(e) => error_page(&e),
    }
}

struct StaffLine {
    email: String,
    name: String,
    role: &'static str,
    sign_in: &'static str,
    active: &'static str,
}

#[derive(Template)]
#[template(path = "console/staff.html")]
struct StaffPage {
    nav: Nav,
    staff: Vec<StaffLine>,
}

/// `/console/admin/staff`: admins only.
pub async fn staff(State(state): State<AppState>, staff: Staff) -> Response {
    let s = &staff.session;
    match state.app.console().staff(s).await {
        Ok(list) => {
            let nav = Nav::of(s);
            let staff = list
                .into_iter()
                .map(|r| StaffLine {
                    email: r.email,
                    name: r.name,
                    role: r.role.label(),
                    sign_in: match (r.password_hash.is_some(), r.google_sub.is_some()) {
                        (true, true) => "password, Google",
                        (true, false) => "password",
                        (false, _) => "Google",
                    },
                    active: if r.active { "yes" } else { "no" },
                })
                .collect();
            render(StatusCode::OK, &StaffPage { nav, staff })
        }
        Err(e) => error_page(&e),
    }
}

struct FoundModel {
    code: String,
    kind: &'static str,
    status: &'static str,
    series: String,
    valid_till: String,
    holder: Option<(i64, String)>,
    redemptions: i64,
    left: String,
    balance: Option<String>,
}

impl FoundModel {
    fn of(f: &fidelis_app::incentives::Found, org: &Org) -> Self {
        let r = &f.series.rules;
        FoundModel {
            code: f.coupon.code.clone(),
            kind: match r.kind {
                IncentiveKind::Coupon => "Coupon",
                IncentiveKind::Promo => "Promo code",
                IncentiveKind::GiftVoucher => "Gift voucher",
            },
            status: f.status.as_str(),
            series: format!("{} — {}", f.series.code, r.description),
            valid_till: f
                .coupon
                .valid_till
                .or(r.valid_till)
                .map_or_else(|| "no end".into(), |t| org_time(t, org)),
            holder: f.holder.as_ref().map(|c| {
                (
                    c.id.get(),
                    format!("{} {}", c.first_name, c.last_name)
                        .trim()
                        .to_string(),
                )
            }),
            redemptions: f.coupon.redemptions,
            left: f
                .redemptions_left
                .map_or_else(|| "unlimited".into(), |n| n.to_string()),
            balance: (r.kind == IncentiveKind::GiftVoucher).then(|| {
                let balance = f.coupon.balance.unwrap_or(r.discount_value);
                format!(
                    "{} {} of {}",
                    org.currency,
                    balance.normalize(),
                    r.discount_value.normalize()
                )
            }),
        }
    }
}

#[derive(Template)]
#[template(path = "console/incentives.html")]
struct IncentivesPage {
    nav: Nav,
    code: String,
    found: Option<FoundModel>,
    invalid: bool,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct CodeQuery {
    #[serde(default)]
    code: Option<String>,
}

/// `/console/incentives?code=…`: a code's details, or a clear "invalid".
pub async fn incentives(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<CodeQuery>,
) -> Response {
    let s = &staff.session;
    let code = q.code.unwrap_or_default();
    let (found, invalid, error, status) = if code.is_empty() {
        (None, false, None, StatusCode::OK)
    } else {
        match state.app.console().incentive(s, &code).await {
            Ok(Some(f)) => (
                Some(FoundModel::of(&f, &s.org)),
                false,
                None,
                StatusCode::OK,
            ),
            Ok(None) => (None, true, None, StatusCode::OK),
            Err(e) if e.class() == ErrorClass::Internal => return error_page(&e),
            Err(e) => (None, false, Some(e.to_string()), status_for(e.class())),
        }
    };
    let nav = Nav::of(s);
    render(
        status,
        &IncentivesPage {
            nav,
            code,
            found,
            invalid,
            error,
        },
    )
}
