//! The `[incentives]` section of an org file: coupon series, promo codes and gift voucher
//! series, matched by code when the file is applied again.
//!
//! ```toml
//! [[incentives.series]]
//! code = "WELCOME10"
//! kind = "COUPON"                     # COUPON | PROMO | GIFT_VOUCHER
//! discount = { type = "PERC", value = 10 }
//! valid_days = 30                     # from issue, to 23:59:59 org time on the last day
//! ```

use std::collections::HashSet;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;
use serde::Deserialize;
use toml::Spanned;

use super::code::valid_public_code;
use super::series::{DiscountType, Expiry, IncentiveKind, RedeemableAt, SeriesRules};
use crate::loyalty::config::{count, decimal, positive};
use crate::loyalty::time::{end_of_local_day, start_of_local_day};
use crate::org::config::Validator;
use crate::org::EntityId;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncentivesSection {
    #[serde(default)]
    series: Vec<RawSeries>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeries {
    code: Spanned<String>,
    kind: IncentiveKind,
    #[serde(default)]
    description: String,
    discount: Option<Spanned<RawDiscount>>,
    /// A gift voucher's value.
    face_value: Option<Spanned<toml::Value>>,
    valid_days: Option<Spanned<i64>>,
    valid_months: Option<Spanned<i64>>,
    /// `YYYY-MM-DD`: the series ends at 23:59:59 org time that day.
    valid_till: Option<Spanned<String>>,
    /// `YYYY-MM-DD`: codes are redeemable from 00:00 org time that day.
    redeemable_from: Option<Spanned<String>>,
    max_issued: Option<Spanned<i64>>,
    max_redemptions: Option<Spanned<i64>>,
    max_redemptions_per_customer: Option<Spanned<i64>>,
    max_codes_per_customer: Option<Spanned<i64>>,
    min_bill: Option<Spanned<toml::Value>>,
    max_bill: Option<Spanned<toml::Value>>,
    any_customer: Option<bool>,
    redeemable_at: Option<RawPlaces>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDiscount {
    #[serde(rename = "type")]
    kind: DiscountType,
    value: Spanned<toml::Value>,
    up_to: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlaces {
    #[serde(default)]
    stores: Vec<Spanned<String>>,
    #[serde(default)]
    concepts: Vec<Spanned<String>>,
}

/// The validated section.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct IncentivesConfig {
    pub series: Vec<SeriesSpec>,
}

/// A series as declared: its rules, with dates and places still named as in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSpec {
    pub code: String,
    /// Rules without the dates and places below.
    pub rules: SeriesRules,
    pub valid_till: Option<Date>,
    pub redeemable_from: Option<Date>,
    pub stores: Vec<String>,
    pub concepts: Vec<String>,
}

impl SeriesSpec {
    /// The rules as stored: dates at the org's day boundaries, places by id.
    pub fn rules(
        &self,
        tz: &TimeZone,
        store_ids: &[EntityId],
        concept_ids: &[EntityId],
    ) -> SeriesRules {
        let mut r = self.rules.clone();
        r.valid_till = self.valid_till.map(|d| end_of_local_day(d, tz));
        r.redemption_valid_from = self.redeemable_from.map(|d| start_of_local_day(d, tz));
        r.redeemable_at = RedeemableAt {
            stores: store_ids.to_vec(),
            concepts: concept_ids.to_vec(),
            zones: Vec::new(),
        };
        r
    }
}

const S: &str = "incentives.series";

impl IncentivesSection {
    pub fn validate(self, v: &mut Validator<'_>) -> IncentivesConfig {
        let mut codes = HashSet::new();
        let series = self
            .series
            .into_iter()
            .enumerate()
            .map(|(i, s)| series(v, i, s, &mut codes))
            .collect();
        IncentivesConfig { series }
    }
}

fn date(v: &mut Validator<'_>, at: &Option<Spanned<String>>, field: String) -> Option<Date> {
    let at = at.as_ref()?;
    let parsed = at.get_ref().trim().parse::<Date>().ok();
    if parsed.is_none() {
        v.fail(at, field, "must be a date YYYY-MM-DD");
    }
    parsed
}

fn limit(v: &mut Validator<'_>, at: Option<Spanned<i64>>, field: String) -> Option<u32> {
    at.and_then(|n| count(v, &n, field, 1, 100_000_000))
}

fn series(
    v: &mut Validator<'_>,
    i: usize,
    s: RawSeries,
    codes: &mut HashSet<String>,
) -> SeriesSpec {
    let at = |f: &str| format!("{S}[{i}].{f}");
    let code = s.code.get_ref().trim().to_ascii_uppercase();
    if !valid_public_code(&code) {
        v.fail(
            &s.code,
            at("code"),
            "must be 3-40 letters, digits, '-' or '_'",
        );
    } else if !codes.insert(code.clone()) {
        v.fail(&s.code, at("code"), format!("duplicate series \"{code}\""));
    }
    let (discount_type, value, up_to) = match (s.kind, &s.discount, &s.face_value) {
        (IncentiveKind::GiftVoucher, _, Some(f)) => {
            (DiscountType::Abs, positive(v, f, at("face_value")), None)
        }
        (IncentiveKind::GiftVoucher, _, None) => {
            v.fail(
                &s.code,
                at("face_value"),
                "a gift voucher series needs a face_value",
            );
            (DiscountType::Abs, None, None)
        }
        (_, Some(d), _) => {
            let d = d.get_ref();
            let up_to = d
                .up_to
                .as_ref()
                .and_then(|u| decimal(v, u, at("discount.up_to")));
            (d.kind, decimal(v, &d.value, at("discount.value")), up_to)
        }
        (_, None, _) => {
            v.fail(
                &s.code,
                at("discount"),
                "a coupon or promo series needs a discount",
            );
            (DiscountType::Abs, None, None)
        }
    };
    let mut rules = SeriesRules::new(s.kind, discount_type, value.unwrap_or(Decimal::ZERO));
    rules.description = if s.description.trim().is_empty() {
        code.clone()
    } else {
        s.description.trim().to_string()
    };
    rules.discount_upto = up_to.unwrap_or(Decimal::ZERO);
    rules.expiry = match (&s.valid_days, &s.valid_months) {
        (Some(d), None) => {
            count(v, d, at("valid_days"), 0, 36600).map_or(Expiry::SeriesExpiry, Expiry::Days)
        }
        (None, Some(m)) => {
            count(v, m, at("valid_months"), 1, 1200).map_or(Expiry::SeriesExpiry, Expiry::Months)
        }
        (Some(d), Some(_)) => {
            v.fail(
                d,
                at("valid_days"),
                "give valid_days or valid_months, not both",
            );
            Expiry::SeriesExpiry
        }
        (None, None) => Expiry::SeriesExpiry,
    };
    rules.max_create = limit(v, s.max_issued, at("max_issued"));
    rules.max_redeem = limit(v, s.max_redemptions, at("max_redemptions"));
    rules.max_redemptions_per_user = limit(
        v,
        s.max_redemptions_per_customer,
        at("max_redemptions_per_customer"),
    );
    rules.max_vouchers_per_user = limit(v, s.max_codes_per_customer, at("max_codes_per_customer"));
    rules.min_bill_amount = s
        .min_bill
        .as_ref()
        .and_then(|m| decimal(v, m, at("min_bill")));
    rules.max_bill_amount = s
        .max_bill
        .as_ref()
        .and_then(|m| decimal(v, m, at("max_bill")));
    if let Some(any) = s.any_customer {
        rules.any_user = any;
    }
    let valid_till = date(v, &s.valid_till, at("valid_till"));
    let redeemable_from = date(v, &s.redeemable_from, at("redeemable_from"));
    let places = s.redeemable_at.unwrap_or_default();
    let store_codes = v.stores.clone();
    let concept_codes = v.concepts.clone();
    let mut refs = |list: &[Spanned<String>], known: &HashSet<String>, f: &str, what: &str| {
        list.iter()
            .enumerate()
            .map(|(j, c)| {
                let name = c.get_ref().trim().to_string();
                if !known.contains(&name) {
                    let msg = format!("no {what} with code \"{name}\" in this file");
                    v.fail(c, at(&format!("redeemable_at.{f}[{j}]")), msg);
                }
                name
            })
            .collect::<Vec<_>>()
    };
    let stores = refs(&places.stores, &store_codes, "stores", "store");
    let concepts = refs(&places.concepts, &concept_codes, "concepts", "concept");
    if value.is_some() {
        if let Err(e) = rules.validate() {
            v.fail(&s.code, at("code"), e.to_string());
        }
    }
    SeriesSpec {
        code,
        rules,
        valid_till,
        redeemable_from,
        stores,
        concepts,
    }
}

#[cfg(test)]
mod tests {
    use crate::org::OrgFile;

    const BASE: &str = r#"
[org]
code = "t"
name = "T"
time_zone = "Asia/Singapore"
currency = "SGD"
country = "SG"

[[concepts]]
code = "fashion"
name = "Fashion"
"#;

    #[test]
    fn demo_series_validate() {
        let f = OrgFile::parse(
            "t.toml",
            &format!(
                "{BASE}\n[[incentives.series]]\ncode = \"welcome10\"\nkind = \"COUPON\"\n\
                 discount = {{ type = \"PERC\", value = 10 }}\nvalid_days = 30\n\
                 redeemable_at = {{ concepts = [\"fashion\"] }}\n\
                 [[incentives.series]]\ncode = \"GV50\"\nkind = \"GIFT_VOUCHER\"\nface_value = 50\n"
            ),
        )
        .unwrap();
        let s = &f.incentives.series;
        assert_eq!(s[0].code, "WELCOME10");
        assert_eq!(s[0].concepts, ["fashion"]);
        assert_eq!(s[1].rules.discount_value, rust_decimal::Decimal::from(50));
    }

    #[test]
    fn problems_are_reported_by_field() {
        let errs = OrgFile::parse(
            "t.toml",
            &format!(
                "{BASE}\n[[incentives.series]]\ncode = \"X1\"\nkind = \"PROMO\"\n\
                 [[incentives.series]]\ncode = \"GV\"\nkind = \"GIFT_VOUCHER\"\n\
                 redeemable_at = {{ stores = [\"nowhere\"] }}\nvalid_till = \"2099-13-01\"\n"
            ),
        )
        .unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"incentives.series[0].code"), "{fields:?}");
        assert!(
            fields.contains(&"incentives.series[0].discount"),
            "{fields:?}"
        );
        assert!(
            fields.contains(&"incentives.series[1].face_value"),
            "{fields:?}"
        );
        assert!(
            fields.contains(&"incentives.series[1].redeemable_at.stores[0]"),
            "{fields:?}"
        );
        assert!(
            fields.contains(&"incentives.series[1].valid_till"),
            "{fields:?}"
        );
    }
}
