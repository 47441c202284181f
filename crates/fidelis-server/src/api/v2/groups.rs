//! `/v2/userGroup2`: create, update, get, delete, join, leave, transfer and the group's
//! transactions. Thin handlers over `app.groups()`; wire parsing and rendering in
//! `crate::groups`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use fidelis_app::groups::GroupRef;
use fidelis_app::loyalty::{GoodwillInput, Ident};
use fidelis_domain::customers::CustomerId;
use fidelis_domain::groups::{GroupChange, GroupError, GroupId, GroupSelector, NewGroup};
use fidelis_domain::loyalty::{LoyaltyError, ProgramId, TransactionType};
use fidelis_store::loyalty::BillFilter;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Principal;
use crate::error::item_json;
use crate::groups::{self as wire, int, Embed};
use crate::json::ApiJson;
use crate::loyalty::dates;
use crate::loyalty::numbers::{decimal, text};
use crate::{ApiError, AppState};

/// The most members one join request may add.
const MAX_JOIN: usize = 100;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, update, get, delete))
        .routes(routes!(join))
        .routes(routes!(leave))
        .routes(routes!(transfer))
        .routes(routes!(transactions))
        .routes(routes!(goodwill))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupBody {
    /// Update only: the group's id (or name it by `externalId`).
    #[schema(value_type = Option<i64>)]
    pub id: Option<Value>,
    /// Unique among the org's live groups; mandatory on create (1634).
    #[schema(value_type = Option<String>)]
    pub external_id: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub group_name: Option<Value>,
    /// 1 to 30000; mandatory on create.
    #[schema(value_type = Option<i64>)]
    pub max_group_size: Option<Value>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct GroupQuery {
    /// The group's id; or `externalId`, or `primaryUserId`.
    pub id: Option<String>,
    pub external_id: Option<String>,
    pub primary_user_id: Option<String>,
    /// `true`: list the points written off by expiry.
    pub expired_points: Option<String>,
    /// `true`: list upcoming expiries. (`gapToUpgradeFor` is accepted; the gap to the
    /// next tier is always given.)
    pub expiry_schedules: Option<String>,
}

impl GroupQuery {
    fn selector(&self) -> Result<GroupSelector, ApiError> {
        Ok(GroupSelector::required(
            self.id.as_deref(),
            self.external_id.as_deref(),
            self.primary_user_id.as_deref(),
        )?)
    }
}

/// Creates a group, enrolled in the org's default program at once.
#[utoipa::path(post, path = "/v2/userGroup2", tag = "groups", request_body = GroupBody,
    responses((status = 200, description = "`{entity: groupId, warnings}`"),
              (status = 400, description = "403 maxGroupSize missing, 1633 externalId exists, 1634 externalId missing, 1639/1640 maxGroupSize out of range")))]
pub async fn create(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<GroupBody>,
) -> Result<Json<Value>, ApiError> {
    let g = NewGroup::check(
        text("externalId", body.external_id.as_ref())?,
        text("groupName", body.group_name.as_ref())?,
        int("maxGroupSize", body.max_group_size.as_ref())?,
    )?;
    let ctx = state.app.loyalty().context(&p).await?;
    let id = state.app.groups().create(&ctx, &g).await?;
    Ok(Json(json!({"entity": id, "warnings": []})))
}

/// Renames or resizes a group named by `id` or `externalId` in the body.
#[utoipa::path(put, path = "/v2/userGroup2", tag = "groups", request_body = GroupBody,
    responses((status = 200, description = "`{id, groupName, maxGroupSize, warnings}`"),
              (status = 400, description = "1643 nothing to update, 1644 no group named, 1645 size below the members, 1639/1640 size out of range"),
              (status = 404, description = "1619 / 1632 no such group")))]
pub async fn update(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<GroupBody>,
) -> Result<Json<Value>, ApiError> {
    let id = text("id", body.id.as_ref())?;
    let external = text("externalId", body.external_id.as_ref())?;
    let selector = GroupSelector::pick(id.as_deref(), external.as_deref(), None)?
        .ok_or(GroupError::DetailsMissing)?;
    let change = GroupChange::check(
        text("groupName", body.group_name.as_ref())?,
        int("maxGroupSize", body.max_group_size.as_ref())?,
    )?;
    let ctx = state.app.loyalty().context(&p).await?;
    let g = state.app.groups().update(&ctx, &selector, &change).await?;
    Ok(Json(wire::updated(&g)))
}

/// A group with its members (`fleetGroupUsers`) and its loyalty in each program
/// (`pointsSummaries`: tier, points), the gap to the next tier, and on request its
/// expiry schedule and expired points.
#[utoipa::path(get, path = "/v2/userGroup2", tag = "groups", params(GroupQuery),
    responses((status = 200, description = "The group"),
              (status = 400, description = "1635 no group named"),
              (status = 404, description = "1619 / 1632 no such group")))]
pub async fn get(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<GroupQuery>,
) -> Result<Json<Value>, ApiError> {
    let selector = q.selector()?;
    let ctx = state.app.loyalty().context(&p).await?;
    let v = state
        .app
        .groups()
        .view(
            &ctx,
            &selector,
            wire::flag(q.expiry_schedules.as_deref()),
            wire::flag(q.expired_points.as_deref()),
        )
        .await?;
    Ok(Json(wire::group(&ctx, &v)))
}

/// Deletes a group: its members leave; its ledger is kept.
#[utoipa::path(delete, path = "/v2/userGroup2", tag = "groups", params(GroupQuery),
    responses((status = 200, description = "`{warnings}`"),
              (status = 400, description = "1635 no group named"),
              (status = 404, description = "1619 / 1632 no such group")))]
pub async fn delete(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<GroupQuery>,
) -> Result<Json<Value>, ApiError> {
    let selector = q.selector()?;
    let ctx = state.app.loyalty().context(&p).await?;
    state.app.groups().delete(&ctx, &selector).await?;
    Ok(Json(json!({"warnings": []})))
}

/// Adds members; each element succeeds or fails on its own.
#[utoipa::path(post, path = "/v2/userGroup2/join", tag = "groups", params(GroupQuery),
    request_body(content = Vec<Object>, description = "`[{userId, primaryMember, permissions: [\"block_points_redemption\"]}]`"),
    responses((status = 200, description = "`{response: [{entityId, result, warnings}], totalCount, failureCount}`"),
              (status = 201, description = "One or more members failed: 8015 no such customer, 1636 already a member, 1637 primary exists, 1638 group full, 1641 permission, 1642 primary elsewhere"),
              (status = 400, description = "1635 no group named, not an array, more than 100 members"),
              (status = 404, description = "1619 / 1632 no such group")))]
pub async fn join(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<GroupQuery>,
    ApiJson(items): ApiJson<Vec<Value>>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let selector = q.selector()?;
    if items.is_empty() || items.len() > MAX_JOIN {
        return Err(ApiError::invalid(format!(
            "Input is invalid: join between 1 and {MAX_JOIN} members at a time"
        )));
    }
    // Elements the wire refuses fail on their own; the others go to the app together.
    let parsed: Vec<_> = items.iter().map(wire::join_item).collect();
    let valid = parsed
        .iter()
        .filter_map(|r| r.as_ref().ok().cloned())
        .collect();
    let ctx = state.app.loyalty().context(&p).await?;
    let (_, results) = state.app.groups().join(&ctx, &selector, valid).await?;
    let mut results = results.into_iter();
    let mut failed = 0;
    let mut out = Vec::with_capacity(items.len());
    for (item, checked) in items.iter().zip(parsed) {
        let error = match checked.map(|_| results.next()) {
            Err(e) => {
                json!({"status": false, "code": e.first_code(), "message": e.first_message()})
            }
            Ok(Some(Ok(m))) => {
                let member = wire::member(&m);
                out.push(json!({"entityId": member, "result": member, "warnings": []}));
                continue;
            }
            Ok(Some(Err(e))) if e.is_internal() => return Err(e.into()),
            Ok(Some(Err(e))) => item_json(&e),
            Ok(None) => return Err(ApiError::internal()),
        };
        failed += 1;
        out.push(json!({"entityId": item, "result": null, "errors": [error], "warnings": []}));
    }
    let status = if failed > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({"response": out, "totalCount": items.len(), "failureCount": failed})),
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct LeaveQuery {
    /// `INSTORE`, …
    pub source: Option<String>,
    pub account_id: Option<String>,
    /// `mobile`, `email`, `externalId`, `cardnumber`, `cardExternalId` (or `id`).
    pub identifier_name: Option<String>,
    pub identifier_value: Option<String>,
}

fn group_id(raw: &str) -> Result<GroupId, ApiError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(GroupId::new)
        .ok_or_else(|| GroupError::InvalidGroupId(raw.to_string()).into())
}

/// Removes a member from a group.
#[utoipa::path(delete, path = "/v2/userGroup2/{groupId}/leave", tag = "groups",
    params(("groupId" = i64, Path, description = "The group's id"), LeaveQuery),
    responses((status = 200, description = "`{warnings, errors, success: true}`"),
              (status = 400, description = "1620 not a member, 403 no identifier"),
              (status = 404, description = "1619 no such group, 8015 no such customer")))]
pub async fn leave(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
    Query(q): Query<LeaveQuery>,
) -> Result<Json<Value>, ApiError> {
    let id = group_id(&raw)?;
    let who = Ident {
        name: q.identifier_name,
        value: q.identifier_value,
        source: q.source,
        account_id: q.account_id,
    };
    if !who.given() {
        return Err(GroupError::FieldMandatory("identifierName and identifierValue").into());
    }
    let ctx = state.app.loyalty().context(&p).await?;
    state.app.groups().leave(&ctx, id, &who).await?;
    Ok(Json(json!({"warnings": [], "errors": [], "success": true})))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransferBody {
    #[schema(value_type = i64)]
    pub leave_group_id: Option<Value>,
    #[schema(value_type = i64)]
    pub join_group_id: Option<Value>,
    #[schema(value_type = Vec<i64>)]
    pub user_ids: Option<Vec<Value>>,
}

/// Moves members from one group to another, all or none.
#[utoipa::path(post, path = "/v2/userGroup2/transfer", tag = "groups", request_body = TransferBody,
    responses((status = 200, description = "`{warnings, errors, success: true}`"),
              (status = 400, description = "403 field missing, 1620 not a member, 1623 already in the other group, 1624 primary member, 1638 group full"),
              (status = 404, description = "1619 no such group")))]
pub async fn transfer(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<TransferBody>,
) -> Result<Json<Value>, ApiError> {
    let required = |field: &'static str, v: Option<&Value>| -> Result<i64, ApiError> {
        int(field, v)?.ok_or_else(|| GroupError::FieldMandatory(field).into())
    };
    let from = required("leaveGroupId", body.leave_group_id.as_ref())?;
    let to = required("joinGroupId", body.join_group_id.as_ref())?;
    let users = body
        .user_ids
        .iter()
        .flatten()
        .map(|u| required("userIds", Some(u)).map(CustomerId::new))
        .collect::<Result<Vec<_>, _>>()?;
    let ctx = state.app.loyalty().context(&p).await?;
    state
        .app
        .groups()
        .transfer(
            &ctx,
            group_id(&from.to_string())?,
            group_id(&to.to_string())?,
            &users,
        )
        .await?;
    Ok(Json(json!({"warnings": [], "errors": [], "success": true})))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct TransactionsParams {
    /// `REGULAR` or `RETURN`; both when absent.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub id: Option<String>,
    pub external_id: Option<String>,
    pub primary_user_id: Option<String>,
    /// The primary member by identifier (with `identifierValue`, `source`, `accountId`).
    pub identifier_name: Option<String>,
    pub identifier_value: Option<String>,
    pub source: Option<String>,
    pub account_id: Option<String>,
    pub transaction_id: Option<String>,
    pub bill_number: Option<String>,
    /// Transactions the member with this id made for the group.
    pub customer_id: Option<String>,
    /// Billed at or after (ISO 8601; without an offset, org time).
    pub start_date: Option<String>,
    /// Billed before.
    pub end_date: Option<String>,
    /// `EXTENDEDFIELDS,CUSTOMFIELDS,LINEITEMS,PAYMENTDETAILS` (also spelt `enbed`).
    #[serde(alias = "enbed")]
    pub embed: Option<String>,
    /// Below 0: 0.
    pub offset: Option<String>,
    /// 0 or less: 20; at most 500.
    pub limit: Option<String>,
    /// `ASC` or `DESC` (default) by billing time.
    pub order: Option<String>,
}

fn query_int(field: &str, v: Option<&str>) -> Result<Option<i64>, ApiError> {
    int(field, v.map(|s| Value::String(s.to_string())).as_ref())
}

/// The transactions made as part of a group (never its members' own), each with what
/// became of its points (`pointSummary`).
#[utoipa::path(get, path = "/v2/userGroup2/transactions", tag = "groups", params(TransactionsParams),
    responses((status = 200, description = "`{data: [transaction], warnings, errors}`"),
              (status = 400, description = "1635 no group named, bad type, date, order or embed"),
              (status = 404, description = "1619 / 1632 no such group, 8015 no such primary member")))]
pub async fn transactions(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<TransactionsParams>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let tz = ctx.tz();
    let group = match GroupSelector::pick(
        q.id.as_deref(),
        q.external_id.as_deref(),
        q.primary_user_id.as_deref(),
    )? {
        Some(s) => GroupRef::Selector(s),
        None => {
            let who = Ident {
                name: q.identifier_name.clone(),
                value: q.identifier_value.clone(),
                source: q.source.clone(),
                account_id: q.account_id.clone(),
            };
            if !who.given() {
                return Err(GroupError::GroupSelectorMissing.into());
            }
            GroupRef::PrimaryUser(who)
        }
    };
    let kind = q
        .kind
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(TransactionType::parse)
        .transpose()?;
    let ascending = match q.order.as_deref().map(str::trim) {
        None | Some("") => false,
        Some(o) if o.eq_ignore_ascii_case("asc") => true,
        Some(o) if o.eq_ignore_ascii_case("desc") => false,
        Some(o) => {
            return Err(ApiError::invalid(format!(
                "Invalid order {o}; use ASC or DESC"
            )))
        }
    };
    let embed = Embed::parse(q.embed.as_deref())?;
    let filter = BillFilter {
        kind,
        id: query_int("transactionId", q.transaction_id.as_deref())?,
        bill_number: q.bill_number.clone().filter(|b| !b.trim().is_empty()),
        member: query_int("customerId", q.customer_id.as_deref())?.map(CustomerId::new),
        from: dates::parse("startDate", q.start_date.as_deref(), tz)?,
        until: dates::parse("endDate", q.end_date.as_deref(), tz)?,
        ascending,
        ..BillFilter::default()
    };
    let offset = query_int("offset", q.offset.as_deref())?;
    let limit = query_int("limit", q.limit.as_deref())?;
    let (g, primary, txns) = state
        .app
        .groups()
        .transactions(&ctx, &group, filter, offset, limit)
        .await?;
    let now = state.app.now();
    let data: Vec<Value> = txns
        .iter()
        .map(|t| wire::group_transaction(&ctx, now, &g, primary.map(CustomerId::get), t, embed))
        .collect();
    Ok(Json(json!({"data": data, "warnings": [], "errors": []})))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GoodwillBody {
    /// `GOODWILL`.
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: Option<Value>,
    /// `POINTS`.
    #[schema(value_type = String)]
    pub base_type: Option<Value>,
    /// `{points, reason, comments}`; the reason is one of the org's goodwill reasons.
    #[schema(value_type = Object)]
    pub goodwill_request: Option<Value>,
    /// `USERGROUP2`.
    #[schema(value_type = String)]
    pub earning_entity_type: Option<Value>,
    /// `{identifierType: id | externalId | primaryUserId, identifierValue, source, accountId}`.
    #[serde(rename = "userGroup2IdentificationInfo")]
    #[schema(value_type = Object)]
    pub group_info: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub comments: Option<Value>,
    /// The org's default program when absent (1101 when unknown).
    #[schema(value_type = Option<i64>)]
    pub program_id: Option<Value>,
}

/// The group a goodwill request names (H.2's 400 when it names none).
fn goodwill_group(info: Option<&Value>) -> Result<GroupSelector, ApiError> {
    let none = || {
        ApiError::invalid(
            "Input is invalid, Please check request parameters or input xml/json, No identifier provided to get loyalty users.",
        )
    };
    let info = info.filter(|v| v.is_object()).ok_or_else(none)?;
    let kind = text("identifierType", info.get("identifierType"))?.unwrap_or_else(|| "id".into());
    let value = text("identifierValue", info.get("identifierValue"))?.ok_or_else(none)?;
    let invalid = || GroupError::RequestGroupInvalid(value.clone());
    let selector = match kind.to_ascii_lowercase().as_str() {
        "id" => GroupSelector::pick(Some(&value), None, None),
        "externalid" => GroupSelector::pick(None, Some(&value), None),
        "primaryuserid" | "userid" => GroupSelector::pick(None, None, Some(&value)),
        _ => {
            return Err(ApiError::invalid(format!(
                "Invalid identifierType {kind}; use id, externalId or primaryUserId"
            )))
        }
    };
    Ok(selector.map_err(|_| invalid())?.ok_or_else(invalid)?)
}

/// Requests goodwill points for a group (`earningEntityType: USERGROUP2`): credited to the
/// group at once within the org's auto-approval cap, otherwise pending for a checker
/// (`/v1.1/request/approve`).
#[utoipa::path(post, path = "/v2/requests", tag = "groups", request_body = GoodwillBody,
    responses((status = 200, description = "`{createdId, warnings}`"),
              (status = 400, description = "400 no group named or not USERGROUP2, 93026 invalid group, 1101 invalid programId, 9006 type, 9008 base type, 9009 reason")))]
pub async fn goodwill(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<GoodwillBody>,
) -> Result<Json<Value>, ApiError> {
    let entity = text("earningEntityType", body.earning_entity_type.as_ref())?;
    if !entity.is_some_and(|e| e.eq_ignore_ascii_case("USERGROUP2")) {
        return Err(ApiError::invalid(
            "Input is invalid: earningEntityType must be USERGROUP2",
        ));
    }
    let group = goodwill_group(body.group_info.as_ref())?;
    let request = body.goodwill_request.unwrap_or(Value::Null);
    let base_type = text("baseType", body.base_type.as_ref())?;
    if base_type
        .as_deref()
        .is_some_and(|b| b.eq_ignore_ascii_case("COUPON"))
    {
        // Coupons are issued to customers, not groups.
        return Err(LoyaltyError::InvalidBaseType("COUPON".into()).into());
    }
    let input = GoodwillInput {
        kind: text("type", body.kind.as_ref())?,
        base_type,
        program_id: int("programId", body.program_id.as_ref())?.map(ProgramId::new),
        points: decimal("goodwillRequest.points", request.get("points"))?,
        reason: text("goodwillRequest.reason", request.get("reason"))?,
        comments: match text("goodwillRequest.comments", request.get("comments"))? {
            Some(c) => Some(c),
            None => text("comments", body.comments.as_ref())?,
        },
        ..GoodwillInput::default()
    };
    let ctx = state.app.loyalty().context(&p).await?;
    let r = state
        .app
        .groups()
        .submit_goodwill(&ctx, &group, &input)
        .await?;
    Ok(Json(json!({"createdId": r.id, "warnings": []})))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fidelis_domain::error::CodedError;

    #[test]
    fn group_ids_in_paths_are_positive_numbers() {
        assert_eq!(group_id("12").unwrap(), GroupId::new(12));
        assert_eq!(group_id("0").unwrap_err().first_code(), 1619);
        assert_eq!(group_id("x").unwrap_err().first_code(), 1619);
        assert_eq!(
            GroupError::GroupSelectorMissing.code(),
            1635,
            "the documented code for a missing group selector"
        );
    }
}
