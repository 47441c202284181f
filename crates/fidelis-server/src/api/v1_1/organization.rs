//! `GET /v1.1/organization/get` (also `get.json`, `get.xml`: `crate::xml`) and `GET /v1.1/organization/entities`.

use axum::extract::{Query, State};
use axum::Json;
use fidelis_domain::error::Success;
use fidelis_domain::org::{Entity, EntityId, EntityKind, Org};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{local_time, v1_1_ok};
use crate::auth::Principal;
use crate::{ApiError, AppState};

pub(crate) async fn caller_org(state: &AppState, p: &Principal) -> Result<Org, ApiError> {
    Ok(state.app.config(p).await?.org.clone())
}

/// The caller's org, with its IANA time zone and current UTC offset.
#[utoipa::path(get, path = "/v1.1/organization/get", tag = "organization",
    responses((status = 200, description = "The org the credentials belong to"),
              (status = 401, description = "Authentication failed")))]
pub async fn get_org(State(state): State<AppState>, p: Principal) -> Result<Json<Value>, ApiError> {
    let config = state.app.config(&p).await?;
    let org = config.org.clone();
    // The bulk SMS window's hours (org time), when the org file sets one.
    let hours = config.comms.bulk_sms_hours;
    let min_sms_hour = hours
        .map(|h| Value::from(h.from.hour()))
        .unwrap_or(Value::Null);
    let max_sms_hour = hours
        .map(|h| Value::from(h.to.hour()))
        .unwrap_or(Value::Null);
    let offset = state.now().to_zoned(org.time_zone.clone()).offset();
    let secs = offset.seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let offset = format!(
        "UTC{sign}{:02}:{:02}",
        secs.abs() / 3600,
        secs.abs() % 3600 / 60
    );
    Ok(Json(v1_1_ok(json!({
        "organization": {
            "id": org.id,
            "code": org.code,
            "name": org.name,
            "address": "",
            "language": "en",
            "currency": org.currency,
            "timezone": org.time_zone_name(),
            "timezone_offset": offset,
            "min_sms_hour": min_sms_hour,
            "max_sms_hour": max_sms_hour,
            "logo": "",
            "website": "",
            "country": org.country,
            "country_code": org.country,
            "state": "",
            "city": "",
            "locality": "",
            "pincode": "",
        }
    }))))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EntityQuery {
    /// ZONE, CONCEPT, STORE or TILL; all kinds when absent.
    #[serde(rename = "type")]
    kind: Option<String>,
    #[param(value_type = Option<i64>)]
    id: Option<EntityId>,
    /// STORE_CODE, STORE_ID, CONCEPT_CODE or CONCEPT_ID.
    parent_identifier_type: Option<String>,
    parent_identifier_value: Option<String>,
    /// Entities with id greater than this (keyset paging).
    #[param(value_type = Option<i64>)]
    start_id: Option<EntityId>,
    limit: Option<usize>,
    active_only: Option<bool>,
}

/// Org units (zones, concepts, stores, tills) with paging by id.
#[utoipa::path(get, path = "/v1.1/organization/entities", tag = "organization",
    params(EntityQuery),
    responses((status = 200, description = "Matching entities"),
              (status = 400, description = "Unknown type or parent identifier")))]
pub async fn entities(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<EntityQuery>,
) -> Result<Json<Value>, ApiError> {
    let org = caller_org(&state, &p).await?;
    let kind = match q.kind.as_deref() {
        None | Some("") => None,
        Some(t) => Some(EntityKind::parse(t).ok_or_else(|| {
            ApiError::invalid(format!(
                "Invalid entity type {t}; use ZONE, CONCEPT, STORE or TILL"
            ))
        })?),
    };
    let all = state.app.entities(&p, None).await?;
    let parent = parent_filter(
        &all,
        q.parent_identifier_type.as_deref(),
        q.parent_identifier_value.as_deref(),
    )?;
    let limit = q.limit.unwrap_or(500).clamp(1, 1000);
    let matching: Vec<&Entity> = all
        .iter()
        .filter(|e| kind.is_none_or(|k| e.kind == k))
        .filter(|e| q.id.is_none_or(|id| e.id == id))
        .filter(|e| !q.active_only.unwrap_or(false) || e.is_active)
        .filter(|e| parent.is_none_or(|pid| e.parent_id == Some(pid) || e.concept_id == Some(pid)))
        .collect();
    let total = matching.len();
    let page: Vec<Value> = matching
        .into_iter()
        .filter(|e| q.start_id.is_none_or(|s| e.id > s))
        .take(limit)
        .map(|e| entity_json(e, &all, &org))
        .collect();
    Ok(Json(v1_1_ok(json!({
        "pagination": {"limit": limit, "offset": 0, "total": total},
        "organization": {"entities": {"entity": page}},
    }))))
}

fn parent_filter(
    all: &[Entity],
    kind: Option<&str>,
    value: Option<&str>,
) -> Result<Option<EntityId>, ApiError> {
    let (Some(kind), Some(value)) = (kind, value) else {
        return Ok(None);
    };
    let (entity_kind, by_id) = match kind.to_ascii_uppercase().as_str() {
        "STORE_CODE" => (EntityKind::Store, false),
        "STORE_ID" => (EntityKind::Store, true),
        "CONCEPT_CODE" => (EntityKind::Concept, false),
        "CONCEPT_ID" => (EntityKind::Concept, true),
        "ZONE_CODE" => (EntityKind::Zone, false),
        other => {
            return Err(ApiError::invalid(format!(
                "Invalid parent_identifier_type {other}"
            )))
        }
    };
    all.iter()
        .find(|e| {
            e.kind == entity_kind
                && if by_id {
                    e.id.to_string() == value
                } else {
                    e.code == value
                }
        })
        .map(|e| Some(e.id))
        .ok_or_else(|| ApiError::invalid(format!("No {} matches {value}", entity_kind.as_str())))
}

fn entity_json(e: &Entity, all: &[Entity], org: &Org) -> Value {
    let code_of = |id: Option<EntityId>| {
        all.iter()
            .find(|x| Some(x.id) == id)
            .map(|x| x.code.clone())
    };
    json!({
        "item_status": {"success": "true", "code": Success::EntityFound.code().to_string(),
                        "message": Success::EntityFound.message()},
        "id": e.id,
        "type": e.kind.as_str(),
        "is_active": e.is_active,
        "code": e.code,
        "name": e.name,
        "description": e.description,
        "last_updated_on": local_time(e.updated_at, &org.time_zone),
        "custom_fields": {"field": []},
        "timezones": {"base_timezone": {"label": org.time_zone_name()}},
        "currencies": {"base_currency": {"label": org.currency}},
        "parent": code_of(e.parent_id),
        "concept": code_of(e.concept_id),
    })
}
