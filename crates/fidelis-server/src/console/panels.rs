//! What the customer page shows of the app's `Panels`, as text: partner programs with
//! their details and activity history, cards, coupons, user groups, transactions and
//! goodwill requests, times in the org's zone.

use fidelis_app::console::{Panels, PartnerPanel};
use fidelis_domain::org::Org;

use super::pages::org_time;

fn or_dash(s: Option<String>) -> String {
    s.filter(|s| !s.is_empty()).unwrap_or_else(|| "—".into())
}

pub(super) struct ActivityRow {
    pub when: String,
    pub activity: &'static str,
    pub tier: String,
    pub tier_expiry: String,
}

pub(super) struct PartnerRow {
    pub name: String,
    pub id: i64,
    pub membership_id: String,
    pub tier: String,
    pub tier_expiry: String,
    pub status: &'static str,
    pub kind: &'static str,
    pub start: String,
    pub end: String,
    pub last_updated: String,
    pub last_activity: &'static str,
    pub history: Vec<ActivityRow>,
}

impl PartnerRow {
    fn of(p: &PartnerPanel, org: &Org) -> Self {
        let m = &p.linked.membership;
        let at = |t: Option<jiff::Timestamp>| or_dash(t.map(|t| org_time(t, org)));
        PartnerRow {
            name: p.linked.program.name.clone(),
            id: p.linked.program.id.get(),
            membership_id: m.membership_id.clone(),
            tier: or_dash(m.tier_name.clone()),
            tier_expiry: at(m.tier_expiry),
            status: if p.active { "Active" } else { "Ended" },
            kind: match p.linked.program.kind {
                fidelis_domain::loyalty::partner::PartnerProgramType::Supplementary => {
                    "Supplementary"
                }
                fidelis_domain::loyalty::partner::PartnerProgramType::External => "External",
            },
            start: org_time(m.start, org),
            end: at(m.end()),
            last_updated: org_time(m.last_updated, org),
            last_activity: m.last_activity.as_str(),
            history: p
                .activities
                .iter()
                .map(|a| ActivityRow {
                    when: org_time(a.at, org),
                    activity: a.activity.as_str(),
                    tier: or_dash(a.tier_name.clone()),
                    tier_expiry: at(a.tier_expiry),
                })
                .collect(),
        }
    }
}

pub(super) struct CardRow {
    pub number: String,
    pub external_id: String,
    pub series: String,
    pub label: String,
    pub status: &'static str,
    pub expires: String,
}

pub(super) struct CouponRow {
    pub code: String,
    pub series: String,
    pub valid_till: String,
    pub redemptions: i64,
}

pub(super) struct GroupRow {
    pub name: String,
    pub external_id: String,
    pub role: &'static str,
    pub joined: String,
}

pub(super) struct BillRow {
    pub number: String,
    pub kind: String,
    pub when: String,
    pub amount: String,
    pub points: String,
}

pub(super) struct GoodwillRow {
    pub id: i64,
    pub when: String,
    pub points: String,
    pub reason: String,
    pub status: &'static str,
    pub maker: String,
    pub checker: String,
}

pub(super) struct PanelsModel {
    pub partners: Vec<PartnerRow>,
    pub cards: Vec<CardRow>,
    pub coupons: Vec<CouponRow>,
    pub groups: Vec<GroupRow>,
    pub bills: Vec<BillRow>,
    pub goodwill: Vec<GoodwillRow>,
}

/// Who did something, without the console's `console:` prefix.
pub(super) fn who(name: &str) -> String {
    name.strip_prefix("console:").unwrap_or(name).to_string()
}

impl PanelsModel {
    pub(super) fn of(p: &Panels, org: &Org) -> Self {
        let at = |t: Option<jiff::Timestamp>| or_dash(t.map(|t| org_time(t, org)));
        PanelsModel {
            partners: p.partners.iter().map(|x| PartnerRow::of(x, org)).collect(),
            cards: p
                .cards
                .iter()
                .map(|c| CardRow {
                    number: c.number.clone(),
                    external_id: or_dash(c.external_id.clone()),
                    series: c.series.series.code.clone(),
                    label: c.label.clone(),
                    status: c.status.as_str(),
                    expires: at(c.expires_at),
                })
                .collect(),
            coupons: p
                .coupons
                .iter()
                .map(|(c, s)| CouponRow {
                    code: c.code.clone(),
                    series: format!("{} — {}", s.code, s.rules.description),
                    valid_till: c
                        .valid_till
                        .or(s.rules.valid_till)
                        .map_or_else(|| "no end".into(), |t| org_time(t, org)),
                    redemptions: c.redemptions,
                })
                .collect(),
            groups: p
                .groups
                .iter()
                .map(|(g, m)| GroupRow {
                    name: g.name.clone(),
                    external_id: g.external_id.clone(),
                    role: if m.primary { "primary" } else { "member" },
                    joined: org_time(m.joined_at, org),
                })
                .collect(),
            bills: p
                .transactions
                .iter()
                .map(|b| BillRow {
                    number: b.bill_number.clone(),
                    kind: b.txn_type.clone(),
                    when: org_time(b.billed_at, org),
                    amount: format!("{} {}", org.currency, b.amount.normalize()),
                    points: b.points.normalize().to_string(),
                })
                .collect(),
            goodwill: p
                .goodwill
                .iter()
                .map(|g| GoodwillRow {
                    id: g.id,
                    when: org_time(g.created_at, org),
                    points: g
                        .points
                        .map_or_else(|| "—".into(), |p| p.normalize().to_string()),
                    reason: g.reason.clone(),
                    status: g.status.as_str(),
                    maker: who(&g.maker),
                    checker: or_dash(g.checker.as_deref().map(who)),
                })
                .collect(),
        }
    }
}
