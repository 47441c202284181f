//! `POST`/`PUT`/`GET`/`DELETE /v2/companies`, and the company side of `/v2/customers/bulk`
//! (`fleetCompany`, `associationEntityType=company`).

use axum::extract::{Query, State};
use axum::Json;
use fidelis_app::customers::Page;
use fidelis_domain::customers::{validate_company, CompanyInput, CustomerError, FleetError};
use fidelis_store::customers::Company;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::bulk::ChildrenQuery;
use crate::api::v2_page;
use crate::auth::Principal;
use crate::customers::render;
use crate::json::ApiJson;
use crate::{ApiError, AppState};

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompanyBody {
    pub name: Option<String>,
    pub external_id: Option<String>,
    pub hierarchy_definition_code: Option<String>,
    pub extended_fields: Option<Map<String, Value>>,
    /// `{externalId}`; on update, a blank `externalId` makes the company a top company.
    pub parent_company: Option<CompanyRef>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompanyRef {
    pub external_id: Option<String>,
}

impl CompanyBody {
    fn input(&self, creating: bool) -> Result<CompanyInput, CustomerError> {
        Ok(validate_company(
            self.external_id.as_deref(),
            self.name.as_deref(),
            self.hierarchy_definition_code.as_deref(),
            self.extended_fields.as_ref(),
            self.parent_company
                .as_ref()
                .map(|p| p.external_id.as_deref()),
            creating,
        )?)
    }
}

fn company_json(c: &Company) -> Value {
    let parent = match (c.parent_id, &c.parent_external_id) {
        (Some(id), Some(ext)) => json!({"externalId": ext, "companyId": id, "name": c.parent_name}),
        _ => Value::Null,
    };
    json!({
        "externalId": c.external_id,
        "companyId": c.id,
        "name": c.name,
        "hierarchyDefinitionCode": c.hierarchy_code,
        "extendedFields": c.extended_fields,
        "parentCompany": parent,
        "isActive": c.active,
    })
}

fn companies_page(list: &[Company], page: Page, total: usize) -> Value {
    let data: Vec<Value> = list.iter().map(company_json).collect();
    v2_page(data, page.limit, page.offset, total)
}

fn with_warnings(mut v: Value) -> Value {
    if let Some(obj) = v.as_object_mut() {
        obj.insert("warnings".into(), json!([]));
    }
    v
}

/// `limit` (1–1000, default 100) and `offset` (≥ 0, default 0).
fn page(limit: Option<&str>, offset: Option<&str>) -> Result<Page, ApiError> {
    let limit = match limit {
        None => 100,
        Some(l) => l
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| ApiError::invalid("Invalid input: limit must be 1-1000"))?,
    };
    let offset = match offset {
        None => 0,
        Some(o) => o
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError::invalid("Invalid input: offset must be 0 or more"))?,
    };
    Ok(Page { limit, offset })
}

/// Creates a company (1701 name, 1702 externalId exists, 1703 bad externalId, 1705 parent
/// not found, 1706 cycle, 1707 unknown hierarchy, 1708 fields, 1709/1710 parent tree).
#[utoipa::path(post, path = "/v2/companies", request_body = CompanyBody, tag = "customers",
    responses((status = 200, description = "`{externalId, companyId, name, hierarchyDefinitionCode, extendedFields, warnings}`"),
              (status = 400, description = "17xx company errors")))]
pub async fn create(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<CompanyBody>,
) -> Result<Json<Value>, ApiError> {
    let input = body.input(true)?;
    let c = state.app.customers().create_company(&p, &input).await?;
    Ok(Json(with_warnings(company_json(&c))))
}

/// Updates the name, extended fields or parent of the company named by `externalId`.
#[utoipa::path(put, path = "/v2/companies", request_body = CompanyBody, tag = "customers",
    responses((status = 200, description = "The company and `warnings`"),
              (status = 404, description = "1704 company not found")))]
pub async fn update(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<CompanyBody>,
) -> Result<Json<Value>, ApiError> {
    let input = body.input(false)?;
    let c = state.app.customers().update_company(&p, &input).await?;
    Ok(Json(with_warnings(company_json(&c))))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CompanyQuery {
    pub external_id: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

/// One active company by `externalId` (a deactivated one is 1704), or the active companies
/// paged by `limit`/`offset`.
#[utoipa::path(get, path = "/v2/companies", tag = "customers", params(CompanyQuery),
    responses((status = 200, description = "The company, or `{data, pagination, warnings, errors}`"),
              (status = 404, description = "1704 company not found")))]
pub async fn get(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<CompanyQuery>,
) -> Result<Json<Value>, ApiError> {
    let app = state.app.customers();
    if let Some(raw) = q.external_id.as_deref() {
        let c = app.company(&p, Some(raw)).await?;
        return Ok(Json(with_warnings(company_json(&c))));
    }
    let page = page(q.limit.as_deref(), q.offset.as_deref())?;
    let (list, total) = app.companies(&p, page).await?;
    Ok(Json(companies_page(&list, page, total)))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AllQuery {
    pub limit: Option<String>,
    pub offset: Option<String>,
    /// `ACTIVE` (default); deactivated companies are not listed.
    pub status: Option<String>,
    /// `createdDate` (the only order).
    pub sort_by: Option<String>,
    /// `ASC` (default) or `DESC`.
    pub sort_order: Option<String>,
}

/// The org's active companies, paged (Capillary's "Get Org Companies").
#[utoipa::path(get, path = "/v2/companies/all", tag = "customers", params(AllQuery),
    responses((status = 200, description = "`{pagination{limit, offset, sortBy, sortOrder, total}, data, warnings, errors}`"),
              (status = 400, description = "An unsupported status, sortBy or sortOrder")))]
pub async fn all(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<AllQuery>,
) -> Result<Json<Value>, ApiError> {
    let one_of = |field: &str, v: Option<&str>, allowed: &[&str]| -> Result<String, ApiError> {
        let v = v
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .unwrap_or(allowed[0]);
        allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(v))
            .map(|a| (*a).to_string())
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "Invalid input: {field} must be {}",
                    allowed.join(" or ")
                ))
            })
    };
    one_of("status", q.status.as_deref(), &["ACTIVE"])?;
    let sort_by = one_of("sortBy", q.sort_by.as_deref(), &["createdDate"])?;
    let sort_order = one_of("sortOrder", q.sort_order.as_deref(), &["ASC", "DESC"])?;
    let page = page(q.limit.as_deref(), q.offset.as_deref())?;
    let app = state.app.customers();
    // Companies are listed oldest first; DESC reads the pages from the other end.
    let (total, page_list) = if sort_order == "DESC" {
        let (_, total) = app
            .companies(
                &p,
                Page {
                    limit: 1,
                    offset: 0,
                },
            )
            .await?;
        let total_i = i64::try_from(total).unwrap_or(i64::MAX);
        let end = (total_i - page.offset).max(0);
        let start = (end - page.limit).max(0);
        let (mut list, _) = app
            .companies(
                &p,
                Page {
                    limit: end - start,
                    offset: start,
                },
            )
            .await?;
        list.reverse();
        (total, list)
    } else {
        let (list, total) = app.companies(&p, page).await?;
        (total, list)
    };
    let mut v = companies_page(&page_list, page, total);
    v["pagination"]["sortBy"] = json!(sort_by);
    v["pagination"]["sortOrder"] = json!(sort_order);
    Ok(Json(v))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FieldSearchQuery {
    /// Extended field name (Capillary's parameter; `name` is accepted too).
    #[serde(rename = "extendedFieldName", alias = "name")]
    pub extended_field_name: Option<String>,
    /// The value it must hold (compared as text, without case; `value` is accepted too).
    #[serde(alias = "value")]
    pub q: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

/// Active companies whose extended field `name` holds `value`, paged like the list.
#[utoipa::path(get, path = "/v2/companies/extendedFieldSearch", tag = "customers", params(FieldSearchQuery),
    responses((status = 200, description = "`{data, pagination, warnings, errors}`"),
              (status = 400, description = "1708 extendedFieldName or q missing")))]
pub async fn extended_field_search(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<FieldSearchQuery>,
) -> Result<Json<Value>, ApiError> {
    let (Some(name), Some(value)) = (
        q.extended_field_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty()),
        q.q.as_deref(),
    ) else {
        return Err(
            FleetError::CompanyFields("extendedFieldName and q are required".into()).into(),
        );
    };
    let page = page(q.limit.as_deref(), q.offset.as_deref())?;
    let (list, total) = state
        .app
        .customers()
        .companies_with_field(&p, name, value, page)
        .await?;
    // Each company as in the list, plus Capillary's `entityId` and the field that matched.
    let data: Vec<Value> = list
        .iter()
        .map(|c| {
            let mut v = company_json(c);
            let matched = c.extended_fields.as_object().and_then(|m| {
                m.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(k, v)| (k.clone(), v.clone()))
            });
            if let (Some(obj), Some((field, found))) = (v.as_object_mut(), matched) {
                let text = match found {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                obj.insert("entityId".into(), json!(c.id));
                obj.insert(
                    "matchedExtendedField".into(),
                    json!({"fieldName": field, "fieldValue": text}),
                );
            }
            v
        })
        .collect();
    Ok(Json(v2_page(data, page.limit, page.offset, total)))
}

/// Deactivates the company and its sub-companies; their customers stay active.
#[utoipa::path(delete, path = "/v2/companies", tag = "customers", params(CompanyQuery),
    responses((status = 200, description = "The company, now inactive, with `success, warnings, errors`"),
              (status = 404, description = "1704 company not found")))]
pub async fn delete(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<CompanyQuery>,
) -> Result<Json<Value>, ApiError> {
    let customers = state.app.customers();
    let mut company = customers.company(&p, q.external_id.as_deref()).await?;
    customers
        .deactivate_company(&p, q.external_id.as_deref())
        .await?;
    // As Capillary answers: the company, now inactive.
    company.active = false;
    let mut v = company_json(&company);
    if let Some(obj) = v.as_object_mut() {
        obj.insert("success".into(), json!(true));
        obj.insert("warnings".into(), json!([]));
        obj.insert("errors".into(), json!([]));
    }
    Ok(Json(v))
}

/// `GET /v2/customers/bulk?associationEntityType=company&associationEntityIdentifierType=
/// externalId&associationEntityIdentifierValue=…`: the customers linked to the company.
pub(super) async fn customers_of(
    state: &AppState,
    p: &Principal,
    q: &ChildrenQuery,
) -> Result<Value, ApiError> {
    let app = state.app.customers();
    let ctx = app.context(p).await?;
    let kind = q
        .association_entity_identifier_type
        .as_deref()
        .unwrap_or("externalId");
    if !kind.trim().eq_ignore_ascii_case("externalId") {
        return Err(ApiError::invalid(format!(
            "Invalid input: companies are found by externalId, not {kind}"
        )));
    }
    let c = app
        .company(p, q.association_entity_identifier_value.as_deref())
        .await?;
    let page = page(q.limit.as_deref(), q.offset.as_deref())?;
    let (list, total) = app.company_customers(&ctx, &c, page).await?;
    let data: Vec<Value> = list
        .iter()
        .map(|e| render::fleet_entity(e, &ctx.org))
        .collect();
    Ok(json!({
        "data": data,
        "fleetCompany": render::fleet_company(&c),
        "pagination": {"limit": page.limit, "offset": page.offset, "total": total},
        "warnings": [],
        "errors": [],
    }))
}
