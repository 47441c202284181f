//! `POST`/`PUT`/`GET /v2/customers/bulk`: fleet customers registered and linked in one call.
//!
//! Each element is registered like `POST /v2/customers` (a known customer is joined or
//! refreshed), then placed in its hierarchy: under `parentCustomer`, or as a top member
//! with its `childCustomers` linked beneath it; with `fleetCompany` they also join that
//! company. Elements succeed or fail on their own, each whole: one unit of work writes an
//! element with its parent and children, or nothing of it. The batch limit counts every
//! customer a request names, children included.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use fidelis_domain::customers::{CustomerError, FleetError};
use fidelis_store::customers::{Company, FleetMember, Hierarchy, Saved};
use fidelis_store::Unit;
use serde::Deserialize;
use serde_json::{json, Value};

use super::companies;
use crate::auth::Principal;
use crate::customers::wire::CustomerBody;
use crate::customers::{render, LookupQuery};
use crate::json::ApiJson;
use crate::{ApiError, AppState};
use fidelis_app::customers::{Ctx, CustomerKey, Embed};

/// Capillary's batch limit for customer APIs (1060 beyond it).
const MAX_BATCH: usize = 100;

fn error_json(e: &ApiError) -> Value {
    Value::Array(
        e.items
            .iter()
            .map(|i| json!({"status": false, "code": i.code, "message": i.message}))
            .collect(),
    )
}

async fn hierarchy(state: &AppState, ctx: &Ctx, code: Option<&str>) -> Result<Hierarchy, ApiError> {
    let code = code.unwrap_or("").trim();
    if code.is_empty() {
        return Err(FleetError::EmptyCode.into());
    }
    let h = state
        .db
        .customers()
        .hierarchy_by_code(ctx.org.id, code)
        .await?
        .ok_or_else(|| FleetError::UnknownHierarchy(code.into()))?;
    if !h.config.active {
        return Err(FleetError::Inactive.into());
    }
    Ok(h)
}

/// The customer object with its `associationDetails` (fleet role and company, as stored).
pub(super) async fn entity(state: &AppState, ctx: &Ctx, id: i64) -> Result<Value, ApiError> {
    let view = state
        .app
        .customers()
        .details(ctx, CustomerKey::Id(id), Embed::default())
        .await?;
    let mut v = render::customer(&view, &ctx.org);
    let repo = state.db.customers();
    let mut details = match repo.fleet_member(ctx.org.id, id).await? {
        Some(m) => {
            let child_role = repo
                .hierarchy_by_id(ctx.org.id, m.hierarchy_id)
                .await?
                .and_then(|h| h.config.role(&m.role_code).cloned())
                .and_then(|r| r.child_role_code);
            render::association(&m, child_role.as_deref())
        }
        None => json!({}),
    };
    if let (Some(c), Some(obj)) = (
        repo.customer_company(ctx.org.id, id).await?,
        details.as_object_mut(),
    ) {
        obj.insert("fleetCompany".into(), render::fleet_company(&c));
    }
    if let Some(obj) = v.as_object_mut() {
        obj.remove("warnings");
        obj.insert("associationDetails".into(), details);
    }
    Ok(v)
}

/// Registers and links one child under `parent`.
#[allow(clippy::too_many_arguments)]
async fn child(
    unit: &mut Unit,
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    h: &Hierarchy,
    parent: &FleetMember,
    company: Option<&Company>,
    body: &CustomerBody,
) -> Result<Saved, ApiError> {
    let role = body
        .association_details
        .as_ref()
        .and_then(|a| a.role_code.clone())
        .or_else(|| {
            h.config
                .role(&parent.role_code)
                .and_then(|r| r.child_role_code.clone())
        })
        .ok_or(FleetError::RoleDoesNotQualify)?;
    let saved = register(unit, state, ctx, p, body).await?;
    let repo = state.db.customers();
    repo.fleet_link_in(
        unit,
        ctx.org.id,
        h,
        saved.customer_id,
        &role,
        parent.customer_id,
        state.now(),
    )
    .await?;
    if let Some(c) = company {
        repo.link_company_in(
            unit,
            ctx.org.id,
            &c.external_id,
            saved.customer_id,
            state.now(),
        )
        .await?;
    }
    Ok(saved)
}

fn blank(s: Option<&str>) -> bool {
    s.is_none_or(|s| s.trim().is_empty())
}

/// Registers one customer of the batch and applies its `loyaltyProgramEnrollments`.
async fn register(
    unit: &mut Unit,
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    body: &CustomerBody,
) -> Result<Saved, ApiError> {
    let (reg, mut warnings) = body.registration(ctx, state.now())?;
    let mut saved = state
        .db
        .customers()
        .register_in(unit, ctx.org.id, &reg, &ctx.actor, state.now())
        .await?;
    warnings.append(&mut saved.warnings);
    saved.warnings = warnings;
    super::enrol_in(unit, state, p, &mut saved, body).await?;
    Ok(saved)
}

/// What an element wrote: its customer, whether it was associated (placed in a
/// hierarchy or a company), and its children.
struct Written {
    saved: Saved,
    associated: bool,
    children: Vec<Saved>,
}

/// Everything an element asks for, in `unit`.
async fn write(
    unit: &mut Unit,
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    body: &CustomerBody,
    company: Option<&Company>,
) -> Result<Written, ApiError> {
    let saved = register(unit, state, ctx, p, body).await?;
    let Some(ad) = &body.association_details else {
        return Ok(Written {
            saved,
            associated: false,
            children: Vec::new(),
        });
    };
    let repo = state.db.customers();
    if let Some(c) = company {
        // Only a company to join: no role in its hierarchy is asked for.
        if blank(ad.hierarchy_code.as_deref())
            && blank(ad.role_code.as_deref())
            && ad.parent_customer.is_none()
            && ad.child_customers.is_empty()
        {
            repo.link_company_in(
                unit,
                ctx.org.id,
                &c.external_id,
                saved.customer_id,
                state.now(),
            )
            .await?;
            return Ok(Written {
                saved,
                associated: true,
                children: Vec::new(),
            });
        }
    }
    let code = match (ad.hierarchy_code.as_deref(), company) {
        (code, Some(c)) if blank(code) => Some(c.hierarchy_code.as_str()),
        (code, _) => code,
    };
    let h = hierarchy(state, ctx, code).await?;
    let role = ad
        .role_code
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| FleetError::UnknownRole(String::new()))?;
    let member = match &ad.parent_customer {
        Some(parent) => {
            let parent = register(unit, state, ctx, p, parent).await?;
            repo.fleet_link_in(
                unit,
                ctx.org.id,
                &h,
                saved.customer_id,
                role,
                parent.customer_id,
                state.now(),
            )
            .await?
        }
        None => {
            repo.fleet_place_in(unit, ctx.org.id, &h, saved.customer_id, role, state.now())
                .await?
        }
    };
    if let Some(c) = company {
        repo.link_company_in(
            unit,
            ctx.org.id,
            &c.external_id,
            saved.customer_id,
            state.now(),
        )
        .await?;
    }
    let mut children = Vec::with_capacity(ad.child_customers.len());
    for c in &ad.child_customers {
        children.push(child(unit, state, ctx, p, &h, &member, company, c).await?);
    }
    Ok(Written {
        saved,
        associated: true,
        children,
    })
}

/// One element, whole or not at all: the element, its parent and its children are
/// registered, enrolled and linked in one unit of work, so any failure leaves none of
/// them and the element reports it.
async fn element(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    body: &CustomerBody,
) -> Result<Value, ApiError> {
    // An unknown or deactivated company fails the element before anyone is registered.
    let company = match body
        .association_details
        .as_ref()
        .and_then(|a| a.fleet_company.as_ref())
    {
        Some(v) => Some(companies::fleet_company(state, ctx, v).await?),
        None => None,
    };
    let mut unit = state.db.unit().await?;
    let written = write(&mut unit, state, ctx, p, body, company.as_ref()).await?;
    unit.commit().await?;
    let Written {
        saved,
        associated,
        children,
    } = written;
    if !associated {
        let view = state
            .app
            .customers()
            .details(ctx, CustomerKey::Id(saved.customer_id), Embed::default())
            .await?;
        let mut v = render::customer(&view, &ctx.org);
        if let Some(obj) = v.as_object_mut() {
            obj.remove("warnings");
        }
        return Ok(
            json!({"entity": v, "warnings": render::warnings(&saved.warnings),
            "childEntities": [], "childCount": 0, "childFailureCount": 0, "childSuccessCount": 0}),
        );
    }
    let mut child_entities = Vec::with_capacity(children.len());
    for c in &children {
        child_entities.push(json!({
            "entity": entity(state, ctx, c.customer_id).await?,
            "warnings": render::warnings(&c.warnings),
        }));
    }
    Ok(json!({
        "entity": entity(state, ctx, saved.customer_id).await?,
        "warnings": render::warnings(&saved.warnings),
        "childEntities": child_entities,
        "childCount": children.len(),
        "childFailureCount": 0,
        "childSuccessCount": children.len(),
    }))
}

/// How many customers a request names: each element, its `parentCustomer` and its
/// `childCustomers`. The batch limit counts them all.
fn customer_count(body: &[CustomerBody]) -> usize {
    body.iter()
        .map(|b| {
            1 + b.association_details.as_ref().map_or(0, |a| {
                a.child_customers.len() + usize::from(a.parent_customer.is_some())
            })
        })
        .sum()
}

/// 200 when every element succeeded, 201 ("one or more items failed") otherwise.
async fn run(
    state: AppState,
    p: Principal,
    body: Vec<CustomerBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if body.is_empty() {
        return Err(CustomerError::InvalidInput("at least one customer is required".into()).into());
    }
    if customer_count(&body) > MAX_BATCH {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            1060,
            format!(
                "Batch limit exceeded: at most {MAX_BATCH} customers per request, \
                 parentCustomer and childCustomers included"
            ),
        ));
    }
    let ctx = state.app.customers().context(&p).await?;
    let mut out = Vec::with_capacity(body.len());
    let mut failed = false;
    for b in &body {
        match element(&state, &ctx, &p, b).await {
            Ok(v) => out.push(v),
            Err(e) if e.status.is_server_error() => return Err(e),
            Err(e) => {
                failed = true;
                out.push(json!({"entity": null, "errors": error_json(&e), "warnings": [],
                    "childEntities": [], "childCount": 0, "childFailureCount": 0, "childSuccessCount": 0}));
            }
        }
    }
    let status = if failed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(Value::Array(out))))
}

/// Registers customers and their fleet associations.
#[utoipa::path(post, path = "/v2/customers/bulk", tag = "customers",
    responses((status = 200, description = "Array of `{entity, warnings, childEntities, …}`"),
              (status = 201, description = "One or more elements failed (their `errors` say why)")))]
pub async fn post_bulk(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<Vec<CustomerBody>>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    run(state, p, body).await
}

/// Updates customers and their fleet associations (same body as `POST`).
#[utoipa::path(put, path = "/v2/customers/bulk", tag = "customers",
    responses((status = 200, description = "Array of `{entity, warnings, childEntities, …}`"),
              (status = 201, description = "One or more elements failed")))]
pub async fn put_bulk(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<Vec<CustomerBody>>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    run(state, p, body).await
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ChildrenQuery {
    pub source: Option<String>,
    pub account_id: Option<String>,
    /// `parentCustomer` (default) or `company`.
    pub association_entity_type: Option<String>,
    pub association_entity_identifier_type: Option<String>,
    pub association_entity_identifier_value: Option<String>,
    pub limit: Option<String>,
    /// Companies only: customers to skip.
    pub offset: Option<String>,
}

/// The children of a parent customer, or the customers of a company.
#[utoipa::path(get, path = "/v2/customers/bulk", tag = "customers", params(ChildrenQuery),
    responses((status = 200, description = "`{data, pagination, warnings, errors}`"),
              (status = 404, description = "8015 parent / 1704 company not found")))]
pub async fn get_bulk(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<ChildrenQuery>,
) -> Result<Json<Value>, ApiError> {
    let kind = q
        .association_entity_type
        .as_deref()
        .unwrap_or("parentCustomer");
    if kind.eq_ignore_ascii_case("company") {
        let ctx = state.app.customers().context(&p).await?;
        return Ok(Json(companies::customers_of(&state, &ctx, &q).await?));
    }
    if !kind.eq_ignore_ascii_case("parentCustomer") {
        return Err(ApiError::invalid(format!(
            "Invalid input: associationEntityType {kind} is not supported; use parentCustomer \
             or company"
        )));
    }
    let limit = match q.limit.as_deref() {
        None => 100,
        Some(l) => l
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| ApiError::invalid("Invalid input: limit must be 1-1000"))?,
    };
    let ctx = state.app.customers().context(&p).await?;
    let lookup = LookupQuery {
        source: q.source.clone().or_else(|| Some("ALL".into())),
        account_id: q.account_id.clone(),
        identifier_name: q.association_entity_identifier_type.clone(),
        identifier_value: q.association_entity_identifier_value.clone(),
        embed: None,
    };
    let parent = state
        .app
        .customers()
        .resolve(&ctx, &lookup.lookup())
        .await?;
    let repo = state.db.customers();
    let ids = repo.fleet_children(ctx.org.id, parent, limit).await?;
    let mut data = Vec::with_capacity(ids.len());
    for id in &ids {
        data.push(entity(&state, &ctx, *id).await?);
    }
    Ok(Json(json!({
        "data": data,
        "pagination": {"limit": limit, "offset": 0, "total": data.len()},
        "warnings": [],
        "errors": [],
    })))
}
