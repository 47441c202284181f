//! The `[loyalty]` section of an org file: programs, tiers, card series, goodwill, and the
//! bill-number and billing-date windows.
//!
//! Every value a rule looks at is kept `Spanned`, so a problem is reported at its line.

use std::collections::{BTreeMap, HashSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::cards::{CardGeneration, CardLabel, CardSeries, CardStatus, CardType};
use super::goodwill::GoodwillConfig;
use super::partner::{PartnerProgram, PartnerProgramId, PartnerProgramType};
use super::program::{
    EarnRule, ExpiryPolicy, Program, ProgramId, ProgramKind, Rounding, RoundingMode,
};
use super::tiers::{DowngradeRule, Tier, TierBasis, TierSet};
use super::transaction::{BillNumberScope, BillNumberUniqueness, BillingDateWindow};
use crate::org::config::Validator;

// ---- the section as written -----------------------------------------------------------

/// The section as written in the org file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoyaltySection {
    #[serde(default)]
    programs: Vec<RawProgram>,
    #[serde(default)]
    card_series: Vec<RawCardSeries>,
    #[serde(default)]
    card_status_labels: Vec<RawCardLabel>,
    goodwill: Option<RawGoodwill>,
    bill_numbers: Option<RawBillNumbers>,
    billing_dates: Option<RawBillingDates>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProgram {
    name: Spanned<String>,
    kind: Spanned<ProgramKind>,
    #[serde(default)]
    description: String,
    earn: Option<Spanned<RawEarn>>,
    expiry: Option<Spanned<ExpiryPolicy>>,
    tiers: Option<Spanned<RawTiers>>,
    /// `CONF_POINTS_RETURN_ENABLED`.
    #[serde(default = "yes")]
    points_return: bool,
    partner_tiers: Option<Spanned<Vec<Spanned<String>>>>,
    exchange_rate: Option<Spanned<toml::Value>>,
    membership_months: Option<Spanned<i64>>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEarn {
    points: Spanned<toml::Value>,
    per_amount: Spanned<toml::Value>,
    #[serde(default = "round_down")]
    rounding: RoundingMode,
    precision: Option<Spanned<i64>>,
    /// Tier name → multiplier.
    #[serde(default)]
    tier_multipliers: BTreeMap<String, Spanned<toml::Value>>,
}

fn round_down() -> RoundingMode {
    RoundingMode::Down
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTiers {
    basis: TierBasis,
    validity_months: Option<Spanned<i64>>,
    #[serde(default)]
    downgrade: DowngradeRule,
    levels: Vec<RawTier>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    name: Spanned<String>,
    threshold: Spanned<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCardSeries {
    code: Spanned<String>,
    name: Option<Spanned<String>>,
    #[serde(rename = "type")]
    card_type: CardType,
    program: Option<Spanned<String>>,
    expiry_days: Option<Spanned<i64>>,
    max_active_per_customer: Option<Spanned<i64>>,
    generation: Option<Spanned<CardGeneration>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCardLabel {
    label: Spanned<String>,
    status: CardStatus,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGoodwill {
    #[serde(default)]
    reasons: Vec<Spanned<String>>,
    #[serde(default)]
    only_listed_reasons: bool,
    auto_approve_up_to: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBillNumbers {
    #[serde(default)]
    scope: BillNumberScope,
    unique_in_days: Option<Spanned<i64>>,
    /// Unique for ever instead of within a window of days.
    unique_forever: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBillingDates {
    max_past_days: Option<Spanned<i64>>,
    max_future_days: Option<Spanned<i64>>,
}

// ---- the validated section ------------------------------------------------------------

/// The validated section.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LoyaltyConfig {
    pub programs: Vec<ProgramSpec>,
    pub card_series: Vec<CardSeriesSpec>,
    pub settings: LoyaltySettings,
}

/// A program as declared; ids are given by storage.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramSpec {
    pub name: String,
    pub description: String,
    pub kind: ProgramKind,
    pub rules: ProgramRules,
}

/// A program's rules, stored as one document: the domain reads them as a unit and no query
/// filters on them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgramRules {
    pub earn: EarnRule,
    pub expiry: ExpiryPolicy,
    pub tiers: Option<TierSet>,
    pub points_return_enabled: bool,
    /// Partner tier names, lowest first (supplementary and external programs).
    #[serde(default)]
    pub partner_tiers: Vec<String>,
    pub points_exchange_rate: Option<Decimal>,
    pub membership_months: Option<u32>,
}

impl ProgramSpec {
    /// The program as the loyalty rules see it. Partner programs without an earn rule earn
    /// nothing and their points never expire.
    pub fn program(&self, id: ProgramId) -> Program {
        Program {
            id,
            name: self.name.clone(),
            kind: self.kind,
            earn: self.rules.earn.clone(),
            expiry: self.rules.expiry,
            tiers: self.rules.tiers.clone(),
            points_return_enabled: self.rules.points_return_enabled,
        }
    }

    /// The partner-program view of a supplementary or external program.
    pub fn partner(&self, id: ProgramId) -> Option<PartnerProgram> {
        let kind = match self.kind {
            ProgramKind::Default => return None,
            ProgramKind::Supplementary => PartnerProgramType::Supplementary,
            ProgramKind::External => PartnerProgramType::External,
        };
        Some(PartnerProgram {
            id: PartnerProgramId::new(id.get()),
            name: self.name.clone(),
            description: self.description.clone(),
            kind,
            tiers: self.rules.partner_tiers.clone(),
            points_exchange_rate: self.rules.points_exchange_rate,
            membership_months: self.rules.membership_months,
        })
    }
}

/// A card series as declared; `series.program_id` is filled by storage from `program`.
#[derive(Debug, Clone, PartialEq)]
pub struct CardSeriesSpec {
    pub series: CardSeries,
    pub program: Option<String>,
}

/// Org-wide loyalty settings, stored as one document per org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoyaltySettings {
    pub bill_numbers: BillNumberUniqueness,
    pub billing_dates: BillingDateWindow,
    pub goodwill: GoodwillConfig,
    /// The org's own card status labels (the built-in ones are always there too).
    #[serde(default)]
    pub card_labels: Vec<CardLabel>,
}

impl Default for LoyaltySettings {
    fn default() -> Self {
        Self {
            bill_numbers: BillNumberUniqueness::default(),
            billing_dates: BillingDateWindow::default(),
            goodwill: GoodwillConfig {
                reasons: Vec::new(),
                only_listed_reasons: false,
                auto_approve_cap: None,
            },
            card_labels: Vec::new(),
        }
    }
}

// ---- validation -----------------------------------------------------------------------

const P: &str = "loyalty.programs";

impl LoyaltySection {
    /// Validates the section, reporting problems through `v`.
    pub fn validate(self, v: &mut Validator<'_>) -> LoyaltyConfig {
        let mut names = HashSet::new();
        let mut programs = Vec::new();
        for (i, p) in self.programs.into_iter().enumerate() {
            let field = format!("{P}[{i}].name");
            let name = v.text(&p.name, field.clone());
            if !names.insert(name.to_lowercase()) {
                v.fail(&p.name, field, format!("duplicate program name \"{name}\""));
            }
            programs.push(program(v, i, name, p));
        }
        let defaults = programs
            .iter()
            .filter(|p| p.kind == ProgramKind::Default)
            .count();
        if !programs.is_empty() && defaults != 1 {
            v.fail_at_start(
                P.into(),
                format!("exactly one program must be of kind DEFAULT, found {defaults}"),
            );
        }
        let mut codes = HashSet::new();
        let card_series = self
            .card_series
            .into_iter()
            .enumerate()
            .map(|(i, c)| card_series(v, i, c, &names, &mut codes))
            .collect();
        let settings = LoyaltySettings {
            bill_numbers: self
                .bill_numbers
                .map(|b| bill_numbers(v, b))
                .unwrap_or_default(),
            billing_dates: self
                .billing_dates
                .map(|b| billing_dates(v, b))
                .unwrap_or_default(),
            goodwill: goodwill(v, self.goodwill),
            card_labels: card_labels(v, self.card_status_labels),
        };
        LoyaltyConfig {
            programs,
            card_series,
            settings,
        }
    }
}

fn program(v: &mut Validator<'_>, i: usize, name: String, p: RawProgram) -> ProgramSpec {
    let kind = *p.kind.get_ref();
    let at = |f: &str| format!("{P}[{i}].{f}");
    let tiers = p.tiers.map(|t| tiers(v, &at("tiers"), t));
    let earn = match p.earn {
        Some(e) => earn(v, &at("earn"), e, tiers.as_ref()),
        None => {
            if kind == ProgramKind::Default {
                v.fail(&p.name, at("earn"), "a DEFAULT program needs an earn rule");
            }
            // Partner programs without a rule earn nothing.
            EarnRule {
                points: Decimal::ZERO,
                ..EarnRule::one_per(Decimal::ONE)
            }
        }
    };
    let expiry = match p.expiry {
        Some(e) => {
            if let Err(err) = e.get_ref().validate() {
                v.fail(&e, at("expiry"), err.to_string());
            }
            *e.get_ref()
        }
        None => ExpiryPolicy::Never,
    };
    let partner = kind != ProgramKind::Default;
    let partner_tiers = match p.partner_tiers {
        Some(list) if !partner => {
            v.fail(
                &list,
                at("partner_tiers"),
                "only partner programs have partner tiers",
            );
            Vec::new()
        }
        Some(list) => {
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            for (j, t) in list.into_inner().into_iter().enumerate() {
                let f = at(&format!("partner_tiers[{j}]"));
                let name = v.text(&t, f.clone());
                if !seen.insert(name.to_lowercase()) {
                    v.fail(&t, f, format!("duplicate partner tier \"{name}\""));
                }
                out.push(name);
            }
            out
        }
        None => Vec::new(),
    };
    let points_exchange_rate = match (kind, p.exchange_rate) {
        (ProgramKind::External, Some(r)) => positive(v, &r, at("exchange_rate")),
        (ProgramKind::External, None) => {
            v.fail(
                &p.kind,
                at("exchange_rate"),
                "an EXTERNAL program needs an exchange rate",
            );
            None
        }
        (_, Some(r)) => {
            v.fail(
                &r,
                at("exchange_rate"),
                "only EXTERNAL programs have an exchange rate",
            );
            None
        }
        (_, None) => None,
    };
    let membership_months = match (kind, p.membership_months) {
        (ProgramKind::Supplementary, Some(m)) => count(v, &m, at("membership_months"), 1, 1200),
        (ProgramKind::Supplementary, None) => {
            v.fail(
                &p.kind,
                at("membership_months"),
                "a SUPPLEMENTARY program needs a membership length in months",
            );
            None
        }
        (_, Some(m)) => {
            v.fail(
                &m,
                at("membership_months"),
                "only SUPPLEMENTARY programs have a membership length",
            );
            None
        }
        (_, None) => None,
    };
    ProgramSpec {
        name,
        description: p.description,
        kind,
        rules: ProgramRules {
            earn,
            expiry,
            tiers,
            points_return_enabled: p.points_return,
            partner_tiers,
            points_exchange_rate,
            membership_months,
        },
    }
}

fn earn(
    v: &mut Validator<'_>,
    field: &str,
    e: Spanned<RawEarn>,
    tiers: Option<&TierSet>,
) -> EarnRule {
    let e = e.into_inner();
    let points = decimal(v, &e.points, format!("{field}.points"));
    if points.is_some_and(|p| p < Decimal::ZERO) {
        v.fail(&e.points, format!("{field}.points"), "must not be negative");
    }
    let per_amount = positive(v, &e.per_amount, format!("{field}.per_amount"));
    // At most 3 places: storage keeps points in thousandths.
    let scale = e
        .precision
        .and_then(|p| count(v, &p, format!("{field}.precision"), 0, 3))
        .unwrap_or(0);
    let mut tier_multipliers = Vec::new();
    for (name, m) in &e.tier_multipliers {
        let f = format!("{field}.tier_multipliers.{name}");
        let serial = tiers.and_then(|t| t.by_name(name)).map(|t| t.serial);
        let Some(serial) = serial else {
            v.fail(m, f, format!("no tier named \"{name}\" in this program"));
            continue;
        };
        match decimal(v, m, f.clone()) {
            Some(x) if x >= Decimal::ZERO => tier_multipliers.push((serial, x)),
            Some(_) => v.fail(m, f, "must not be negative"),
            None => {}
        }
    }
    tier_multipliers.sort_by_key(|(s, _)| *s);
    EarnRule {
        points: points.unwrap_or(Decimal::ONE),
        per_amount: per_amount.unwrap_or(Decimal::ONE),
        rounding: Rounding {
            mode: e.rounding,
            scale,
        },
        tier_multipliers,
    }
}

fn tiers(v: &mut Validator<'_>, field: &str, t: Spanned<RawTiers>) -> TierSet {
    if t.get_ref().levels.is_empty() {
        v.fail(&t, format!("{field}.levels"), "needs at least one tier");
    }
    let t = t.into_inner();
    let validity_months = t
        .validity_months
        .and_then(|m| count(v, &m, format!("{field}.validity_months"), 1, 1200));
    let mut seen = HashSet::new();
    let mut levels: Vec<Tier> = Vec::new();
    for (j, l) in t.levels.into_iter().enumerate() {
        let name = v.text(&l.name, format!("{field}.levels[{j}].name"));
        if !seen.insert(name.to_lowercase()) {
            let msg = format!("duplicate tier \"{name}\"");
            v.fail(&l.name, format!("{field}.levels[{j}].name"), msg);
        }
        let f = format!("{field}.levels[{j}].threshold");
        let threshold = decimal(v, &l.threshold, f.clone()).unwrap_or_default();
        if j == 0 && threshold != Decimal::ZERO {
            v.fail(&l.threshold, f, "the lowest tier's threshold must be 0");
        } else if levels
            .last()
            .is_some_and(|prev| threshold <= prev.threshold)
        {
            v.fail(
                &l.threshold,
                f,
                "thresholds must increase from tier to tier",
            );
        }
        levels.push(Tier {
            serial: u32::try_from(j + 1).unwrap_or(u32::MAX),
            name,
            threshold,
        });
    }
    TierSet {
        basis: t.basis,
        tiers: levels,
        validity_months,
        downgrade: t.downgrade,
    }
}

fn card_series(
    v: &mut Validator<'_>,
    i: usize,
    c: RawCardSeries,
    programs: &HashSet<String>,
    codes: &mut HashSet<String>,
) -> CardSeriesSpec {
    let at = |f: &str| format!("loyalty.card_series[{i}].{f}");
    let code = c.code.get_ref().trim().to_string();
    if !codes.insert(code.clone()) {
        v.fail(
            &c.code,
            at("code"),
            format!("duplicate card series \"{code}\""),
        );
    }
    let name = match &c.name {
        Some(n) => v.text(n, at("name")),
        None => code.clone(),
    };
    let program = c.program.map(|p| {
        let name = p.get_ref().trim().to_string();
        if !programs.contains(&name.to_lowercase()) {
            v.fail(
                &p,
                at("program"),
                format!("no program named \"{name}\" in this file"),
            );
        }
        name
    });
    let series = CardSeries {
        code,
        name,
        card_type: c.card_type,
        program_id: None,
        expiry_days: c
            .expiry_days
            .and_then(|d| count(v, &d, at("expiry_days"), 1, 36600)),
        generation: c.generation.as_ref().map(|g| g.get_ref().clone()),
        max_active_per_customer: c
            .max_active_per_customer
            .and_then(|m| count(v, &m, at("max_active_per_customer"), 1, 1000)),
    };
    if let Err(e) = series.validate() {
        // Generation problems point at the generation table, the rest at the code.
        match &c.generation {
            Some(g) if g.get_ref().validate().is_err() => {
                v.fail(g, at("generation"), e.to_string())
            }
            _ => v.fail(&c.code, at("code"), e.to_string()),
        }
    }
    CardSeriesSpec { series, program }
}

fn card_labels(v: &mut Validator<'_>, raw: Vec<RawCardLabel>) -> Vec<CardLabel> {
    let mut labels: Vec<CardLabel> = Vec::new();
    for (j, r) in raw.iter().enumerate() {
        let f = format!("loyalty.card_status_labels[{j}].label");
        let label = v.text(&r.label, f.clone());
        let taken = crate::loyalty::cards::card_labels(&labels)
            .iter()
            .any(|l| l.label.eq_ignore_ascii_case(&label));
        if taken {
            v.fail(&r.label, f, format!("label \"{label}\" is already defined"));
        } else if label.chars().count() > 50 {
            v.fail(&r.label, f, "labels are at most 50 characters");
        }
        labels.push(CardLabel {
            label,
            status: r.status,
        });
    }
    labels
}

fn goodwill(v: &mut Validator<'_>, g: Option<RawGoodwill>) -> GoodwillConfig {
    let Some(g) = g else {
        return LoyaltySettings::default().goodwill;
    };
    let mut seen = HashSet::new();
    let mut reasons = Vec::new();
    for (j, r) in g.reasons.iter().enumerate() {
        let f = format!("loyalty.goodwill.reasons[{j}]");
        let reason = v.text(r, f.clone());
        if !seen.insert(reason.to_lowercase()) {
            v.fail(r, f, format!("duplicate reason \"{reason}\""));
        }
        reasons.push(reason);
    }
    let auto_approve_cap = g.auto_approve_up_to.and_then(|c| {
        let f = "loyalty.goodwill.auto_approve_up_to".to_string();
        let cap = decimal(v, &c, f.clone())?;
        if cap < Decimal::ZERO {
            v.fail(&c, f, "must not be negative");
            return None;
        }
        Some(cap)
    });
    GoodwillConfig {
        reasons,
        only_listed_reasons: g.only_listed_reasons,
        auto_approve_cap,
    }
}

fn bill_numbers(v: &mut Validator<'_>, b: RawBillNumbers) -> BillNumberUniqueness {
    let f = "loyalty.bill_numbers".to_string();
    let forever = b.unique_forever.is_some_and(|f| *f.get_ref());
    let days = match (b.unique_in_days, forever) {
        (Some(d), true) => {
            v.fail(
                &d,
                format!("{f}.unique_in_days"),
                "conflicts with unique_forever = true",
            );
            None
        }
        (Some(d), false) => count(v, &d, format!("{f}.unique_in_days"), 1, 36600),
        (None, true) => None,
        (None, false) => BillNumberUniqueness::default().unique_in_days,
    };
    BillNumberUniqueness {
        scope: b.scope,
        unique_in_days: days,
    }
}

fn billing_dates(v: &mut Validator<'_>, b: RawBillingDates) -> BillingDateWindow {
    let f = "loyalty.billing_dates";
    BillingDateWindow {
        max_past_days: b
            .max_past_days
            .and_then(|d| count(v, &d, format!("{f}.max_past_days"), 0, 36600)),
        max_future_days: b
            .max_future_days
            .and_then(|d| count(v, &d, format!("{f}.max_future_days"), 0, 366))
            .unwrap_or(0),
    }
}

// ---- value helpers ---------------------------------------------------------------------

/// A whole number in `min..=max`.
pub(crate) fn count(
    v: &mut Validator<'_>,
    at: &Spanned<i64>,
    field: String,
    min: u32,
    max: u32,
) -> Option<u32> {
    match u32::try_from(*at.get_ref()) {
        Ok(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            v.fail(
                at,
                field,
                format!("must be a whole number from {min} to {max}"),
            );
            None
        }
    }
}

/// A decimal written as an integer, a float or a string ("0.5"). Floats are read through
/// their shortest decimal form, so `0.1` is exactly 0.1.
pub(crate) fn decimal(
    v: &mut Validator<'_>,
    at: &Spanned<toml::Value>,
    field: String,
) -> Option<Decimal> {
    let parsed = match at.get_ref() {
        toml::Value::Integer(i) => Some(Decimal::from(*i)),
        toml::Value::Float(f) if f.is_finite() => f.to_string().parse().ok(),
        toml::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    if parsed.is_none() {
        v.fail(at, field, "must be a number");
    }
    parsed
}

pub(crate) fn positive(
    v: &mut Validator<'_>,
    at: &Spanned<toml::Value>,
    field: String,
) -> Option<Decimal> {
    let d = decimal(v, at, field.clone())?;
    if d <= Decimal::ZERO {
        v.fail(at, field, "must be greater than 0");
        return None;
    }
    Some(d)
}

#[cfg(test)]
mod tests;
