//! Partner and supplementary programs (spec §8): link, tier update and delink for batches
//! of customers, the activity history, and the `linkedPartnerPrograms` of customer reads.
//!
//! Each customer of a batch is found by `mobile`, `email`, `externalId` (or `id`), and
//! each program of an item is written on its own: one program failing does not undo the
//! others. Results come back per customer (`status` code 1000 when found) and per program
//! (`code` 200, or the 20xx code of the rule that refused).

use axum::http::StatusCode;
use fidelis_app::loyalty::{self, HistoryRequest, LinkedProgram, PartnerOp, V1Identifiers};
use fidelis_domain::error::Success;
use fidelis_domain::loyalty::partner::{
    LinkRequest, Membership, PartnerProgram, PartnerUpdateType,
};
use fidelis_domain::loyalty::time::{
    add_days, add_months, end_of_local_day, local_date, start_of_local_day,
};
use fidelis_store::customers::CustomerRecord;
use jiff::civil::Date;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::dates::{self, iso};
use super::numbers::text;
use super::{Ctx, Ident};
use crate::{ApiError, AppState};

/// How a batch item names its customer. Capillary's samples send the mobile as a string
/// or as a number.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerRef {
    #[schema(value_type = Option<String>)]
    pub mobile: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub email: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub external_id: Option<Value>,
    /// The customer id (a Fidelis extension).
    #[schema(value_type = Option<i64>)]
    pub id: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerReference {
    #[schema(value_type = Option<String>)]
    pub partner_membership_id: Option<Value>,
    /// Required for tier-based programs.
    #[schema(value_type = Option<String>)]
    pub partner_tier_name: Option<Value>,
    /// `2022-12-29T23:59:59+05:30`, `2022-12-29 23:59:59` or `2022-12-29`: the membership
    /// runs to the end of that calendar day in the org's zone.
    #[schema(value_type = Option<String>)]
    pub partner_tier_expiry_date: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkProgram {
    #[schema(value_type = Option<String>)]
    pub partner_program_name: Option<Value>,
    pub customer_partner_reference: Option<PartnerReference>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkItem {
    pub customer: Option<CustomerRef>,
    pub link_to_partner_programs: Option<Vec<LinkProgram>>,
}

/// `POST /v2/partnerProgram/linkCustomer`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkBody {
    pub link_customers: Option<Vec<LinkItem>>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateDetails {
    #[schema(value_type = Option<String>)]
    pub updated_tier_name: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub updated_tier_expiry_date: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProgramUpdate {
    #[schema(value_type = Option<String>)]
    pub partner_program_name: Option<Value>,
    /// `UPGRADE` (or `UPDATE`), `RENEW`, `DOWNGRADE`.
    #[schema(value_type = Option<String>)]
    pub update_type: Option<Value>,
    pub update_details: Option<UpdateDetails>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateItem {
    pub customer: Option<CustomerRef>,
    pub partner_program_updates: Option<Vec<ProgramUpdate>>,
}

/// `POST /v2/partnerProgram/customerPartnerProgramUpdate`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateBody {
    pub customers_partner_updates: Option<Vec<UpdateItem>>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DelinkProgram {
    #[schema(value_type = Option<String>)]
    pub partner_program_name: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DelinkItem {
    pub customer: Option<CustomerRef>,
    pub de_link_from_partner_programs: Option<Vec<DelinkProgram>>,
}

/// `POST /v2/partnerProgram/deLinkCustomer`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DelinkBody {
    pub de_link_customers: Option<Vec<DelinkItem>>,
}

/// One program operation of a batch item.
enum Op<'a> {
    Link(&'a LinkProgram),
    Update(&'a ProgramUpdate),
    Delink(&'a DelinkProgram),
}

/// The JSON names of one batch API.
struct Shape {
    items: &'static str,
    programs: &'static str,
    status: &'static str,
}

const LINK: Shape = Shape {
    items: "linkCustomers",
    programs: "linkToPartnerPrograms",
    status: "partnerLinkStatus",
};
const UPDATE: Shape = Shape {
    items: "customersPartnerUpdates",
    programs: "partnerProgramUpdates",
    status: "updateStatus",
};
const DELINK: Shape = Shape {
    items: "deLinkCustomers",
    programs: "deLinkFromPartnerPrograms",
    status: "partnerDeLinkStatus",
};

pub async fn link(
    state: &AppState,
    ctx: &Ctx,
    body: &LinkBody,
) -> Result<(StatusCode, Value), ApiError> {
    let items = body.link_customers.as_deref().map(|items| {
        items
            .iter()
            .map(|i| {
                (
                    i.customer.as_ref(),
                    i.link_to_partner_programs
                        .as_deref()
                        .map(|ps| ps.iter().map(Op::Link).collect()),
                )
            })
            .collect::<Vec<_>>()
    });
    run(state, ctx, &LINK, items).await
}

pub async fn update(
    state: &AppState,
    ctx: &Ctx,
    body: &UpdateBody,
) -> Result<(StatusCode, Value), ApiError> {
    let items = body.customers_partner_updates.as_deref().map(|items| {
        items
            .iter()
            .map(|i| {
                (
                    i.customer.as_ref(),
                    i.partner_program_updates
                        .as_deref()
                        .map(|ps| ps.iter().map(Op::Update).collect()),
                )
            })
            .collect::<Vec<_>>()
    });
    run(state, ctx, &UPDATE, items).await
}

pub async fn delink(
    state: &AppState,
    ctx: &Ctx,
    body: &DelinkBody,
) -> Result<(StatusCode, Value), ApiError> {
    let items = body.de_link_customers.as_deref().map(|items| {
        items
            .iter()
            .map(|i| {
                (
                    i.customer.as_ref(),
                    i.de_link_from_partner_programs
                        .as_deref()
                        .map(|ps| ps.iter().map(Op::Delink).collect()),
                )
            })
            .collect::<Vec<_>>()
    });
    run(state, ctx, &DELINK, items).await
}

type Items<'a> = Vec<(Option<&'a CustomerRef>, Option<Vec<Op<'a>>>)>;

fn status_json(r: Result<(), &ApiError>) -> Value {
    match r {
        Ok(()) => {
            json!({"status": true, "message": Success::Done.message(), "code": Success::Done.code()})
        }
        Err(e) => json!({
            "status": false,
            "message": e.items.first().map(|i| i.message.as_str()).unwrap_or("Failed"),
            "code": e.first_code(),
        }),
    }
}

/// Runs every item of a batch. HTTP 200 when everything succeeded, 201 ("one or more items
/// failed") otherwise; a failure of our own (500) fails the whole request.
async fn run(
    state: &AppState,
    ctx: &Ctx,
    shape: &Shape,
    items: Option<Items<'_>>,
) -> Result<(StatusCode, Value), ApiError> {
    let items = items.unwrap_or_default();
    if items.is_empty() {
        return Err(ApiError::invalid(format!(
            "Input is invalid: {} must list at least one customer",
            shape.items
        )));
    }
    loyalty::check_partner_batch(items.len())?;
    let mut out = Vec::with_capacity(items.len());
    let mut failed = false;
    for (who, ops) in &items {
        let ops = ops.as_deref().unwrap_or_default();
        let found = customer(state, ctx, *who, ops.len()).await;
        let (customer_json, results) = match found {
            Err(e) if e.is_internal() => return Err(e),
            Err(e) => {
                failed = true;
                let mut c = sent_customer(*who);
                c.insert("status".into(), status_json(Err(&e)));
                let results: Vec<Value> = ops
                    .iter()
                    .map(|op| op_json(op, shape, status_json(Err(&e))))
                    .collect();
                (Value::Object(c), results)
            }
            Ok(record) => {
                let mut results = Vec::with_capacity(ops.len());
                for op in ops {
                    let r = match partner_op(op, ctx) {
                        Ok(op) => state
                            .app
                            .loyalty()
                            .apply_partner_op(ctx, &record, &op)
                            .await
                            .map_err(ApiError::from),
                        Err(e) => Err(e),
                    };
                    match &r {
                        Err(e) if e.is_internal() => return Err(e.clone()),
                        Err(_) => failed = true,
                        Ok(()) => {}
                    }
                    results.push(op_json(op, shape, status_json(r.as_ref().map(|_| ()))));
                }
                (found_customer(&record), results)
            }
        };
        out.push(json!({"customer": customer_json, shape.programs: results}));
    }
    let status = if failed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, json!({shape.items: out, "warnings": []})))
}

/// The item's customer, after the item-level checks (programs listed, at most 50).
async fn customer(
    state: &AppState,
    ctx: &Ctx,
    who: Option<&CustomerRef>,
    programs: usize,
) -> Result<CustomerRecord, ApiError> {
    let who = who.cloned().unwrap_or_default();
    let ids = V1Identifiers {
        id: text("customer.id", who.id.as_ref())?,
        mobile: text("customer.mobile", who.mobile.as_ref())?,
        email: text("customer.email", who.email.as_ref())?,
        external_id: text("customer.externalId", who.external_id.as_ref())?,
        card_number: None,
    };
    Ok(state
        .app
        .loyalty()
        .partner_customer(ctx, &ids, programs)
        .await?)
}

/// The customer's identifier of `kind`; "" when it has none, as Capillary answers.
fn identifier(c: &CustomerRecord, kind: &str) -> String {
    c.profiles
        .iter()
        .flat_map(|p| p.identifiers.iter())
        .find(|i| i.kind == kind)
        .map(|i| i.value.clone())
        .unwrap_or_default()
}

fn found_customer(c: &CustomerRecord) -> Value {
    json!({
        "id": c.id,
        "mobile": identifier(c, "mobile"),
        "email": identifier(c, "email"),
        "externalId": identifier(c, "externalId"),
        "status": {"status": true, "message": Success::CustomerRetrieved.message(),
                   "code": Success::CustomerRetrieved.code()},
    })
}

/// The customer as the request named it, for items whose customer was not found.
fn sent_customer(who: Option<&CustomerRef>) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(w) = who {
        for (k, v) in [
            ("id", &w.id),
            ("mobile", &w.mobile),
            ("email", &w.email),
            ("externalId", &w.external_id),
        ] {
            if let Some(v) = v {
                m.insert(k.into(), v.clone());
            }
        }
    }
    m
}

fn op_json(op: &Op<'_>, shape: &Shape, status: Value) -> Value {
    let (name, update_type) = match op {
        Op::Link(p) => (&p.partner_program_name, None),
        Op::Update(p) => (&p.partner_program_name, Some(&p.update_type)),
        Op::Delink(p) => (&p.partner_program_name, None),
    };
    let mut m = Map::new();
    m.insert(
        "partnerProgramName".into(),
        name.clone().unwrap_or(Value::Null),
    );
    if let Some(t) = update_type {
        m.insert("updateType".into(), t.clone().unwrap_or(Value::Null));
    }
    m.insert(shape.status.into(), status);
    Value::Object(m)
}

/// A tier expiry date: the calendar date as written, whatever the time and offset after
/// it (`2022-12-29T23:59:59+05:30` is 29 December); 400 when it is not a date.
fn expiry_date(field: &str, v: Option<&Value>, ctx: &Ctx) -> Result<Option<Date>, ApiError> {
    let Some(raw) = text(field, v)? else {
        return Ok(None);
    };
    // Validates the whole value; every accepted form starts with YYYY-MM-DD.
    dates::parse(field, Some(&raw), ctx.tz())?;
    raw.get(..10)
        .and_then(|d| d.parse::<Date>().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "Invalid input: {field} {raw:?} must start with a date (YYYY-MM-DD)"
            ))
        })
}

/// One program operation as the application takes it.
fn partner_op(op: &Op<'_>, ctx: &Ctx) -> Result<PartnerOp, ApiError> {
    Ok(match op {
        Op::Link(p) => PartnerOp::Link {
            program: text("partnerProgramName", p.partner_program_name.as_ref())?,
            request: match p.customer_partner_reference.as_ref() {
                None => None,
                Some(r) => Some(LinkRequest {
                    membership_id: text("partnerMembershipId", r.partner_membership_id.as_ref())?
                        .unwrap_or_default(),
                    tier_name: text("partnerTierName", r.partner_tier_name.as_ref())?,
                    tier_expiry: expiry_date(
                        "partnerTierExpiryDate",
                        r.partner_tier_expiry_date.as_ref(),
                        ctx,
                    )?,
                }),
            },
        },
        Op::Update(p) => {
            let details = p.update_details.clone().unwrap_or_default();
            PartnerOp::Update {
                program: text("partnerProgramName", p.partner_program_name.as_ref())?,
                kind: PartnerUpdateType::parse(
                    &text("updateType", p.update_type.as_ref())?.unwrap_or_default(),
                )?,
                tier: text("updatedTierName", details.updated_tier_name.as_ref())?,
                expiry: expiry_date(
                    "updatedTierExpiryDate",
                    details.updated_tier_expiry_date.as_ref(),
                    ctx,
                )?,
            }
        }
        Op::Delink(p) => PartnerOp::Delink {
            program: text("partnerProgramName", p.partner_program_name.as_ref())?,
        },
    })
}

/// A membership as customer reads and the history show it (Capillary's
/// `linkedPartnerPrograms[]` element).
fn membership_json(ctx: &Ctx, program: &PartnerProgram, m: &Membership) -> Map<String, Value> {
    let tz = ctx.tz();
    let mut out = Map::new();
    for (k, v) in [
        ("partnerProgramId", json!(program.id)),
        ("partnerProgramName", json!(program.name)),
        ("partnerProgramDescription", json!(program.description)),
        ("partnerTierNumber", json!(m.tier_number)),
        ("partnerTierName", json!(m.tier_name)),
        (
            "partnerTierExpiryDate",
            json!(m.tier_expiry.map(|t| iso(t, tz))),
        ),
        ("partnerMembershipId", json!(m.membership_id)),
        ("partnerProgramType", json!(program.kind.as_str())),
        ("tierBased", json!(program.tier_based())),
    ] {
        out.insert(k.into(), v);
    }
    out
}

/// One `linkedPartnerPrograms[]` element of a customer read.
pub fn linked_json(ctx: &Ctx, l: &LinkedProgram) -> Value {
    Value::Object(membership_json(ctx, &l.program, &l.membership))
}

/// `GET /v2/partnerProgram/customerActivityHistory` parameters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    pub source: Option<String>,
    pub account_id: Option<String>,
    /// `mobile`, `email`, `externalId`, `id`, …
    pub identifier_name: Option<String>,
    pub identifier_value: Option<String>,
    pub partner_program_id: Option<String>,
    /// `linkingUpdates` (default) or `benefitsAvailed`.
    pub activity_type: Option<String>,
    /// `YYYY-MM-DD HH:MM:SS` (org time), an ISO instant, or a date. Without both dates
    /// the whole history is returned.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
}

/// The history window. Neither date: everything. Only `endDate`: the year up to it (less a
/// day); only `startDate`: up to now. A bare `endDate` includes that whole day.
fn history_range(
    q: &HistoryQuery,
    ctx: &Ctx,
    now: Timestamp,
) -> Result<Option<(Timestamp, Timestamp)>, ApiError> {
    let tz = ctx.tz();
    fn given(s: &Option<String>) -> Option<&str> {
        s.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    let (start_raw, end_raw) = (given(&q.start_date), given(&q.end_date));
    if start_raw.is_none() && end_raw.is_none() {
        return Ok(None);
    }
    let end = match end_raw {
        Some(raw) => match raw.parse::<Date>() {
            Ok(d) => end_of_local_day(d, tz),
            Err(_) => dates::parse("endDate", Some(raw), tz)?.unwrap_or(now),
        },
        None => now,
    };
    let start = match start_raw {
        Some(raw) => dates::parse("startDate", Some(raw), tz)?.unwrap_or(now),
        None => {
            let day = add_days(add_months(local_date(end, tz), -12), 1);
            start_of_local_day(day, tz)
        }
    };
    Ok(Some((start, end)))
}

/// The membership details and the customer's activities in one partner program.
pub async fn history(
    state: &AppState,
    ctx: &Ctx,
    q: &HistoryQuery,
    unique_id: &str,
) -> Result<Value, ApiError> {
    let req = HistoryRequest {
        customer: Ident {
            name: q.identifier_name.clone(),
            value: q.identifier_value.clone(),
            source: q.source.clone(),
            account_id: q.account_id.clone(),
        },
        partner_program_id: q.partner_program_id.clone(),
        activity_type: q.activity_type.clone(),
        range: history_range(q, ctx, state.now())?,
    };
    let h = state.app.loyalty().partner_history(ctx, &req).await?;
    let tz = ctx.tz();
    let m = &h.linked.membership;
    let mut details = membership_json(ctx, &h.linked.program, m);
    for (k, v) in [
        ("partnerProgramMembershipStartDate", json!(iso(m.start, tz))),
        (
            "partnerProgramMembershipEndDate",
            json!(m.end().map(|t| iso(t, tz))),
        ),
        (
            "partnerProgramMembershipLastUpdatedDate",
            json!(iso(m.last_updated, tz)),
        ),
        (
            "partnerProgramMembershipLastUpdatedActivity",
            json!(m.last_activity.as_str()),
        ),
        (
            "membershipStatus",
            json!(if h.active { "ACTIVE" } else { "ENDED" }),
        ),
        ("benefitsSummary", json!([])),
    ] {
        details.insert(k.into(), v);
    }
    let history: Vec<Value> = h
        .activities
        .iter()
        .map(|a| {
            json!({
                "activityType": a.activity.as_str(),
                "activityDate": iso(a.at, tz),
                "partnerTierName": a.tier_name,
                "partnerTierExpiryDate": a.tier_expiry.map(|t| iso(t, tz)),
            })
        })
        .collect();
    Ok(json!({
        "partnerProgramDetails": details,
        "customerActivityHistory": history,
        "notes": "",
        "uniqueId": unique_id,
        "warnings": [],
        "errors": [],
    }))
}
