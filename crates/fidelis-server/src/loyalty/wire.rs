//! The v2 transaction body as sent, and its checked form.
//!
//! Fields are read leniently (Capillary's own samples send amounts as strings and ids as
//! ""), but every value that matters is checked: unknown enum values get their documented
//! code (605 type, 626 return type), a wrong JSON type is 400 naming the field.

use axum::http::StatusCode;
use fidelis_app::groups::GroupRef;
use fidelis_app::incentives::{CodeAsk, MAX_ITEMS};
use fidelis_app::loyalty::{BillInput, LineInput};
use fidelis_domain::groups::GroupSelector;
use fidelis_domain::incentives::IncentivesError;
use fidelis_domain::loyalty::transaction::OutlierStatus;
use fidelis_domain::loyalty::{LoyaltyError, ReturnType, TransactionType};
use jiff::tz::TimeZone;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::numbers::{decimal, text};
use super::{dates, Ident};
use crate::ApiError;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TxnBody {
    /// `REGULAR`, `RETURN`, `NOT_INTERESTED` or `NOT_INTERESTED_RETURN`.
    #[serde(rename = "type")]
    #[schema(value_type = Option<String>)]
    pub kind: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub bill_number: Option<Value>,
    #[schema(value_type = Option<f64>)]
    pub bill_amount: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub billing_date: Option<Value>,
    #[schema(value_type = Option<f64>)]
    pub gross_amount: Option<Value>,
    #[schema(value_type = Option<f64>)]
    pub discount: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub note: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub not_interested_reason: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub return_type: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub purchase_time: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub delivery_status: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub outlier_status: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub currency_code: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub extended_fields: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub payment_modes: Option<Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub line_items_v2: Option<Vec<Value>>,
    /// Bulk only: how the item names its customer.
    #[schema(value_type = Option<String>)]
    pub identifier_type: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub identifier_value: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub source: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub account_id: Option<Value>,
    /// The group the bill is made for (it earns the points): its id, …
    #[schema(value_type = Option<i64>)]
    pub user_group2_id: Option<Value>,
    /// … its external id, …
    #[schema(value_type = Option<String>)]
    pub user_group2_external_id: Option<Value>,
    /// … or its primary member's customer id.
    #[schema(value_type = Option<i64>)]
    pub user_group2_primary_user_id: Option<Value>,
    /// Bulk: the group's primary member by identifier.
    #[schema(value_type = Option<String>)]
    pub user_group2_primary_user_identifier_type: Option<Value>,
    #[serde(alias = "userGroup2PrimaryUserIdentifierVale")]
    #[schema(value_type = Option<String>)]
    pub user_group2_primary_user_identifier_value: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub user_group2_primary_user_identifier_source: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub user_group2_primary_user_identifier_account_id: Option<Value>,
    /// Coupons, promo codes or gift vouchers redeemed with a REGULAR bill, in the bill's
    /// transaction: `[{"code": "…", "amount": 5}]` (`amount`: the part of a gift voucher
    /// to spend) or `["CODE", …]`. A refused code records nothing.
    #[schema(value_type = Option<Vec<Object>>)]
    pub redeem_coupons: Option<Value>,
}

const DELIVERY: [&str; 5] = ["PLACED", "PROCESSED", "SHIPPED", "DELIVERED", "RETURNED"];

/// `deliveryStatus`, upper-cased; 400 for values outside the documented set.
pub fn delivery_status(v: Option<&Value>) -> Result<Option<String>, ApiError> {
    match text("deliveryStatus", v)? {
        None => Ok(None),
        Some(s) => DELIVERY
            .iter()
            .find(|d| d.eq_ignore_ascii_case(&s))
            .map(|d| Some((*d).to_string()))
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "Invalid deliveryStatus {s}; use one of {}",
                    DELIVERY.join(", ")
                ))
            }),
    }
}

/// An object field (`extendedFields`, `customFields`); 400 when it is not an object.
pub fn object(field: &str, v: Option<&Value>) -> Result<Map<String, Value>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(_) => Err(ApiError::invalid(format!(
            "Invalid input: {field} must be an object"
        ))),
    }
}

fn too_long(field: &'static str, v: &Option<String>, max: usize) -> Result<(), ApiError> {
    match v {
        Some(s) if s.chars().count() > max => Err(LoyaltyError::FieldTooLong { field, max }.into()),
        _ => Ok(()),
    }
}

/// `redeemCoupons`: code objects or plain codes.
fn coupons(v: Option<&Value>) -> Result<Vec<CodeAsk>, ApiError> {
    let items = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(ApiError::invalid(
                "Invalid input: redeemCoupons must be an array",
            ))
        }
    };
    if items.len() > MAX_ITEMS {
        return Err(IncentivesError::TooMany(MAX_ITEMS).into());
    }
    items
        .iter()
        .map(|item| {
            let (code, amount) = match item {
                Value::Object(_) => (
                    text("redeemCoupons.code", item.get("code"))?,
                    decimal("redeemCoupons.amount", item.get("amount"))?,
                ),
                other => (text("redeemCoupons", Some(other))?, None),
            };
            let code = code
                .filter(|c| !c.trim().is_empty())
                .ok_or_else(|| ApiError::from(IncentivesError::InvalidCode))?;
            Ok(CodeAsk { code, amount })
        })
        .collect()
}

fn line(i: usize, raw: &Value) -> Result<LineInput, ApiError> {
    if !raw.is_object() {
        return Err(ApiError::invalid(format!(
            "Invalid input: lineItemsV2[{i}] must be an object"
        )));
    }
    let kind = text("lineItemsV2.type", raw.get("type"))?
        .map(|t| TransactionType::parse(&t))
        .transpose()?;
    let return_type = text("lineItemsV2.returnType", raw.get("returnType"))?
        .map(|t| ReturnType::parse(&t))
        .transpose()?;
    Ok(LineInput {
        kind,
        amount: decimal("lineItemsV2.amount", raw.get("amount"))?,
        parent_bill_number: text("lineItemsV2.parentBillNumber", raw.get("parentBillNumber"))?,
        return_type,
        raw: raw.to_string(),
    })
}

impl TxnBody {
    /// The identifier of a bulk item.
    pub fn ident(&self) -> Result<Ident, ApiError> {
        Ok(Ident {
            name: text("identifierType", self.identifier_type.as_ref())?,
            value: text("identifierValue", self.identifier_value.as_ref())?,
            source: text("source", self.source.as_ref())?,
            account_id: text("accountId", self.account_id.as_ref())?,
        })
    }

    /// The group the bill names, if any: id, external id or primary member id, else the
    /// primary member by identifier.
    fn group(&self) -> Result<Option<GroupRef>, ApiError> {
        let id = text("userGroup2Id", self.user_group2_id.as_ref())?;
        let external = text(
            "userGroup2ExternalId",
            self.user_group2_external_id.as_ref(),
        )?;
        let primary = text(
            "userGroup2PrimaryUserId",
            self.user_group2_primary_user_id.as_ref(),
        )?;
        if let Some(s) =
            GroupSelector::pick(id.as_deref(), external.as_deref(), primary.as_deref())?
        {
            return Ok(Some(GroupRef::Selector(s)));
        }
        let who = Ident {
            name: text(
                "userGroup2PrimaryUserIdentifierType",
                self.user_group2_primary_user_identifier_type.as_ref(),
            )?,
            value: text(
                "userGroup2PrimaryUserIdentifierValue",
                self.user_group2_primary_user_identifier_value.as_ref(),
            )?,
            source: text(
                "userGroup2PrimaryUserIdentifierSource",
                self.user_group2_primary_user_identifier_source.as_ref(),
            )?,
            account_id: text(
                "userGroup2PrimaryUserIdentifierAccountId",
                self.user_group2_primary_user_identifier_account_id.as_ref(),
            )?,
        };
        Ok(who.given().then_some(GroupRef::PrimaryUser(who)))
    }

    /// Checks the body; dates without an offset are read in `tz`.
    pub fn check(&self, tz: &TimeZone) -> Result<BillInput, ApiError> {
        let kind = TransactionType::parse(&text("type", self.kind.as_ref())?.unwrap_or_default())?;
        // The bill number and amount rules are the domain's (`NewBill::check`), applied
        // once, when the bill is recorded.
        let bill_number = text("billNumber", self.bill_number.as_ref())?.unwrap_or_default();
        // Capillary: 601 "Invalid transaction amount" for an amount that is no number.
        let amount = decimal("billAmount", self.bill_amount.as_ref())
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, 601, e.first_message()))?;
        let return_type = text("returnType", self.return_type.as_ref())?
            .map(|t| ReturnType::parse(&t))
            .transpose()?;
        let outlier = text("outlierStatus", self.outlier_status.as_ref())?
            .map(|t| OutlierStatus::parse(&t))
            .transpose()?;
        let billing = text("billingDate", self.billing_date.as_ref())?;
        let billed_at = dates::parse("billingDate", billing.as_deref(), tz)?;
        let purchase = text("purchaseTime", self.purchase_time.as_ref())?;
        let purchase_at = dates::parse("purchaseTime", purchase.as_deref(), tz)?;
        let note = text("note", self.note.as_ref())?;
        let reason = text("notInterestedReason", self.not_interested_reason.as_ref())?;
        too_long("notInterestedReason", &reason, 255)?;
        too_long("note", &note, 1000)?;
        let lines = self
            .line_items_v2
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, l)| line(i, l))
            .collect::<Result<Vec<_>, _>>()?;
        let payment_modes = match &self.payment_modes {
            None | Some(Value::Null) => Value::Array(Vec::new()),
            Some(Value::Array(a)) => Value::Array(a.clone()),
            Some(_) => {
                return Err(ApiError::invalid(
                    "Invalid input: paymentModes must be an array",
                ))
            }
        };
        let details = json!({
            "note": note,
            "grossAmount": decimal("grossAmount", self.gross_amount.as_ref())?.map(super::numbers::num),
            "discount": decimal("discount", self.discount.as_ref())?.map(super::numbers::num),
            "deliveryStatus": delivery_status(self.delivery_status.as_ref())?,
            "notInterestedReason": reason,
            "currencyCode": text("currencyCode", self.currency_code.as_ref())?,
            "purchaseTime": purchase_at.map(|t| t.to_string()),
            "extendedFields": object("extendedFields", self.extended_fields.as_ref())?,
            "customFields": object("customFields", self.custom_fields.as_ref())?,
            "paymentModes": payment_modes,
            "lineItems": self.line_items_v2.iter().flatten().collect::<Vec<_>>(),
        });
        Ok(BillInput {
            kind,
            bill_number,
            amount,
            billed_at,
            return_type,
            outlier,
            lines,
            details: details.to_string(),
            group: self.group()?,
            coupons: coupons(self.redeem_coupons.as_ref())?,
        })
    }
}
