//! `POST`/`PUT`/`GET /v2/customers/bulk`: fleet customers registered and linked in one call
//! (`fidelis_app::customers::bulk`: each element whole or not at all; the batch limit
//! counts every customer a request names, children included).

use std::future::Future;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use fidelis_app::customers::{
    BulkAssociation, BulkChild, BulkElement, BulkInput, Ctx, ElementOutcome, Warnings,
};
use fidelis_domain::customers::CustomerError;
use fidelis_domain::org::Org;
use fidelis_store::customers::{Registration, Saved};
use fidelis_store::Unit;
use serde::Deserialize;
use serde_json::{json, Value};

use super::companies;
use crate::auth::Principal;
use crate::customers::wire::CustomerBody;
use crate::customers::{render, LookupQuery};
use crate::json::ApiJson;
use crate::{ApiError, AppState};

/// The v2 bodies of a batch: read like `POST /v2/customers`, enrolled in loyalty programs
/// once saved.
struct Bodies<'a> {
    state: &'a AppState,
    p: &'a Principal,
}

impl BulkInput for Bodies<'_> {
    type Customer = CustomerBody;
    type Error = ApiError;

    fn registration(
        &self,
        ctx: &Ctx,
        body: &CustomerBody,
        now: jiff::Timestamp,
    ) -> Result<(Registration, Warnings), CustomerError> {
        body.registration(ctx, now)
    }

    fn saved(
        &self,
        unit: &mut Unit,
        body: &CustomerBody,
        saved: &mut Saved,
    ) -> impl Future<Output = Result<(), ApiError>> + Send {
        super::enrol(self.state, self.p, saved, body, unit)
    }
}

fn element(body: &CustomerBody) -> BulkElement<'_, CustomerBody> {
    BulkElement {
        customer: body,
        association: body.association_details.as_ref().map(|a| BulkAssociation {
            hierarchy_code: a.hierarchy_code.as_deref(),
            role_code: a.role_code.as_deref(),
            parent: a.parent_customer.as_deref(),
            children: a
                .child_customers
                .iter()
                .map(|c| BulkChild {
                    customer: c,
                    role_code: c
                        .association_details
                        .as_ref()
                        .and_then(|a| a.role_code.as_deref()),
                })
                .collect(),
            company: a
                .fleet_company
                .as_ref()
                .map(|c| c.get("externalId").and_then(Value::as_str)),
        }),
    }
}

/// 200 when every element succeeded, 201 ("one or more items failed") otherwise.
async fn run(
    state: AppState,
    p: Principal,
    body: Vec<CustomerBody>,
    render_ok: fn(&ElementOutcome, &Org) -> Value,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let app = state.app.customers();
    let ctx = app.context(&p).await?;
    let elements: Vec<_> = body.iter().map(element).collect();
    let bodies = Bodies {
        state: &state,
        p: &p,
    };
    let results = app.bulk(&ctx, &bodies, &elements).await?;
    let failed = results.iter().any(Result::is_err);
    let out: Vec<Value> = results
        .into_iter()
        .map(|r| match r {
            Ok(o) => render_ok(&o, &ctx.org),
            Err(e) => json!({"entity": null, "errors": error_json(&e.into()),
                "childEntities": [], "childCount": 0, "childFailureCount": 0, "childSuccessCount": 0}),
        })
        .collect();
    let status = if failed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(Value::Array(out))))
}

fn error_json(e: &ApiError) -> Value {
    Value::Array(
        e.items
            .iter()
            .map(|i| json!({"status": false, "code": i.code, "message": i.message}))
            .collect(),
    )
}

/// Registers customers and their fleet associations.
#[utoipa::path(post, path = "/v2/customers/bulk", request_body = Vec<CustomerBody>, tag = "customers",
    responses((status = 200, body = [Object], description = "Array of `{entity, childEntities, childCount, …}`; each customer carries its `warnings`"),
              (status = 201, body = [Object], description = "One or more elements failed (their `errors` say why)"),
              (status = 400, description = "Not an array, or more elements than a batch takes")))]
pub async fn post_bulk(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<Vec<CustomerBody>>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    run(state, p, body, render::bulk_element).await
}

/// Updates customers and their fleet associations (same body as `POST`).
#[utoipa::path(put, path = "/v2/customers/bulk", request_body = Vec<CustomerBody>, tag = "customers",
    responses((status = 200, body = [Object], description = "Array of customers, each with its `associationDetails` (the `parentCustomer` it was placed under), `errors` and `warnings`"),
              (status = 201, body = [Object], description = "One or more elements failed"),
              (status = 400, description = "Not an array, or more elements than a batch takes")))]
pub async fn put_bulk(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<Vec<CustomerBody>>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    run(state, p, body, render::put_element).await
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
    responses((status = 200, description = "Parent: `{entity: {customers, count, errors, warnings}, warnings, errors, success}`; company: `{data, fleetCompany, pagination, warnings, errors}`"),
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
        return Ok(Json(companies::customers_of(&state, &p, &q).await?));
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
    let app = state.app.customers();
    let ctx = app.context(&p).await?;
    let parent = LookupQuery {
        source: q.source.clone().or_else(|| Some("ALL".into())),
        account_id: q.account_id.clone(),
        identifier_name: q.association_entity_identifier_type.clone(),
        identifier_value: q.association_entity_identifier_value.clone(),
        embed: None,
    };
    let children = app.fleet_children(&ctx, &parent.lookup(), limit).await?;
    let data: Vec<Value> = children
        .iter()
        .map(|c| render::fleet_entity(c, &ctx.org))
        .collect();
    // Capillary's "Get Customers (Group Loyalty)" shape.
    Ok(Json(json!({
        "entity": {"customers": data, "count": data.len(), "errors": [], "warnings": []},
        "warnings": [],
        "errors": [],
        "success": true,
    })))
}
