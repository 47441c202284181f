//! `POST`/`PUT`/`GET /v2/fleetHierarchy`.

use axum::extract::{Path, Query, State};
use axum::Json;
use fidelis_app::customers::HierarchyKey;
use fidelis_domain::customers::{
    CustomerError, FleetError, FleetRole, HierarchyConfig, HierarchyDefinition,
};
use fidelis_store::customers::Hierarchy;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Principal;
use crate::json::ApiJson;
use crate::{ApiError, AppState};

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HierarchyBody {
    pub code: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub roles: Vec<RoleBody>,
    pub auto_group_creation_enabled: Option<bool>,
    pub hierarchy_creation_strict: Option<bool>,
    pub skip_role_allowed: Option<bool>,
    pub default: Option<bool>,
    pub active: Option<bool>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleBody {
    pub code: Option<String>,
    pub child_role_code: Option<String>,
    pub max_child: Option<i64>,
    pub permissions: Option<Value>,
    pub points_aggregation_role: Option<bool>,
}

impl HierarchyBody {
    fn definition(&self) -> Result<HierarchyDefinition, CustomerError> {
        let code = self.code.clone().unwrap_or_default().trim().to_string();
        let mut roles = Vec::new();
        let mut extra_roles = Vec::new();
        for r in &self.roles {
            let role_code = r.code.clone().unwrap_or_default().trim().to_string();
            let max_child = match r.max_child {
                None => None,
                Some(m) => Some(u32::try_from(m).map_err(|_| FleetError::MaxChildLimit {
                    role: role_code.clone(),
                    max: fidelis_domain::customers::fleet::MAX_CHILD_LIMIT,
                })?),
            };
            extra_roles.push(json!({
                "code": role_code,
                "permissions": r.permissions.clone().unwrap_or(json!([])),
                "pointsAggregationRole": r.points_aggregation_role.unwrap_or(false),
            }));
            roles.push(FleetRole {
                code: role_code,
                child_role_code: r.child_role_code.clone().filter(|c| !c.trim().is_empty()),
                max_child,
            });
        }
        let config = HierarchyConfig {
            code: code.clone(),
            roles,
            skip_role_allowed: self.skip_role_allowed.unwrap_or(false),
            active: self.active.unwrap_or(true),
        };
        let extra = json!({
            "roles": extra_roles,
            "autoGroupCreationEnabled": self.auto_group_creation_enabled.unwrap_or(false),
            "hierarchyCreationStrict": self.hierarchy_creation_strict.unwrap_or(false),
            "default": self.default.unwrap_or(false),
        });
        let name = self.name.clone().unwrap_or_else(|| code.clone());
        let description = self.description.clone().unwrap_or_default();
        HierarchyDefinition::new(name, description, config, extra)
    }
}

pub fn hierarchy_json(h: &Hierarchy) -> Value {
    let roles: Vec<Value> = h
        .config
        .roles
        .iter()
        .map(|r| {
            let extra = h.extra["roles"]
                .as_array()
                .and_then(|a| a.iter().find(|e| e["code"] == r.code.as_str()));
            json!({
                "code": r.code,
                "hierarchyId": h.id,
                "childRoleCode": r.child_role_code,
                "maxChild": r.max_child,
                "permissions": extra.map(|e| e["permissions"].clone()).unwrap_or(json!([])),
                "pointsAggregationRole": extra.map(|e| e["pointsAggregationRole"].clone()).unwrap_or(json!(false)),
            })
        })
        .collect();
    json!({
        "id": h.id,
        "code": h.config.code,
        "name": h.name,
        "description": h.description,
        "roles": roles,
        "skipRoleAllowed": h.config.skip_role_allowed,
        "autoGroupCreationEnabled": h.extra.get("autoGroupCreationEnabled").cloned().unwrap_or(json!(false)),
        "hierarchyCreationStrict": h.extra.get("hierarchyCreationStrict").cloned().unwrap_or(json!(false)),
        "default": h.extra.get("default").cloned().unwrap_or(json!(false)),
        "active": h.config.active,
    })
}

/// Creates a fleet hierarchy (1600 if the code exists; 1601–1613 for a bad definition).
#[utoipa::path(post, path = "/v2/fleetHierarchy", request_body = HierarchyBody, tag = "customers",
    responses((status = 200, description = "`{entity, warnings}`"),
              (status = 400, description = "16xx definition errors")))]
pub async fn create(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<HierarchyBody>,
) -> Result<Json<Value>, ApiError> {
    let id = state
        .app
        .customers()
        .create_hierarchy(&p, &body.definition()?)
        .await?;
    Ok(Json(json!({"entity": id, "warnings": []})))
}

/// Replaces a hierarchy's definition, found by `code`.
#[utoipa::path(put, path = "/v2/fleetHierarchy", request_body = HierarchyBody, tag = "customers",
    responses((status = 200, description = "`{entity, warnings}`"),
              (status = 404, description = "1616 unknown hierarchy")))]
pub async fn update(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<HierarchyBody>,
) -> Result<Json<Value>, ApiError> {
    let id = state
        .app
        .customers()
        .update_hierarchy(&p, &body.definition()?)
        .await?;
    Ok(Json(json!({"entity": id, "warnings": []})))
}

/// Replaces the definition of the hierarchy with this id (Capillary's documented path). The
/// body's `code`, when given, must be the hierarchy's: a code does not change.
#[utoipa::path(put, path = "/v2/fleetHierarchy/{id}", request_body = HierarchyBody, tag = "customers",
    params(("id" = i64, Path, description = "Hierarchy id")),
    responses((status = 200, description = "`{entity, warnings}`"),
              (status = 400, description = "16xx definition errors, or a code other than the hierarchy's"),
              (status = 404, description = "1616 unknown hierarchy")))]
pub async fn update_by_id(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(mut body): ApiJson<HierarchyBody>,
) -> Result<Json<Value>, ApiError> {
    let app = state.app.customers();
    let current = app.hierarchy(&p, HierarchyKey::Id(&id)).await?;
    match body
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(c) if c != current.config.code => {
            return Err(ApiError::invalid(format!(
                "Invalid input: hierarchy {id} has code {}, not {c}",
                current.config.code
            )))
        }
        _ => body.code = Some(current.config.code.clone()),
    }
    let id = app.update_hierarchy(&p, &body.definition()?).await?;
    Ok(Json(json!({"entity": id, "warnings": []})))
}

/// Every active hierarchy of the org (Capillary's "Get Hierarchies").
#[utoipa::path(get, path = "/v2/fleetHierarchy/all", tag = "customers",
    responses((status = 200, description = "`{entity: [hierarchy], warnings, errors}`")))]
pub async fn all(State(state): State<AppState>, p: Principal) -> Result<Json<Value>, ApiError> {
    let all: Vec<Value> = state
        .app
        .customers()
        .hierarchies(&p)
        .await?
        .iter()
        .map(hierarchy_json)
        .collect();
    Ok(Json(json!({"entity": all, "warnings": [], "errors": []})))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HierarchyQuery {
    pub id: Option<String>,
    pub code: Option<String>,
}

/// One hierarchy by `id` or `code` (an inactive one cannot be fetched: 1610), or all
/// active hierarchies.
#[utoipa::path(get, path = "/v2/fleetHierarchy", tag = "customers", params(HierarchyQuery),
    responses((status = 200, description = "The hierarchy, or `{data, warnings, errors}`"),
              (status = 404, description = "1616 unknown hierarchy")))]
pub async fn get(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<HierarchyQuery>,
) -> Result<Json<Value>, ApiError> {
    let app = state.app.customers();
    let key = match (q.id.as_deref(), q.code.as_deref()) {
        (Some(id), _) => HierarchyKey::Id(id),
        (None, Some(code)) => HierarchyKey::Code(code),
        (None, None) => {
            let all: Vec<Value> = app
                .hierarchies(&p)
                .await?
                .iter()
                .map(hierarchy_json)
                .collect();
            return Ok(Json(json!({"data": all, "warnings": [], "errors": []})));
        }
    };
    let mut out = hierarchy_json(&app.hierarchy(&p, key).await?);
    if let Some(obj) = out.as_object_mut() {
        obj.insert("warnings".into(), json!([]));
    }
    Ok(Json(out))
}
