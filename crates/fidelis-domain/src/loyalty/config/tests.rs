use rust_decimal::Decimal;

use super::*;
use crate::loyalty::tiers::TierBasis;
use crate::org::config::ConfigError;
use crate::org::OrgFile;

const DEMO: &str = include_str!("../../../../../examples/demo-org.toml");

const HEAD: &str = r#"
[org]
code = "acme"
name = "Acme"
time_zone = "America/New_York"
currency = "USD"
country = "US"
"#;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn parse(loyalty: &str) -> Result<LoyaltyConfig, Vec<ConfigError>> {
    OrgFile::parse("acme.toml", &format!("{HEAD}{loyalty}")).map(|f| f.loyalty)
}

/// The single error of a file, with the line it is reported at (1-based, in `loyalty`).
fn error(loyalty: &str) -> (String, usize, String) {
    let errs = parse(loyalty).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:?}");
    let e = &errs[0];
    (
        e.field.clone(),
        e.line - HEAD.lines().count(),
        e.message.clone(),
    )
}

const MINIMAL: &str = r#"
[[loyalty.programs]]
name = "Rewards"
kind = "DEFAULT"
earn = { points = 1, per_amount = 10 }
"#;

#[test]
fn the_demo_org_declares_its_programs_cards_and_goodwill() {
    let l = OrgFile::parse("demo-org.toml", DEMO).unwrap().loyalty;
    let names: Vec<_> = l.programs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Demo Rewards", "Demo Plus", "SkyMiles"]);
    let rewards = l.programs[0].program(ProgramId::new(1));
    assert_eq!(rewards.kind, ProgramKind::Default);
    assert_eq!(
        rewards.earn.points_for(d("1234.56"), None).awarded,
        d("123")
    );
    assert_eq!(rewards.expiry, ExpiryPolicy::AfterDays { days: 365 });
    assert!(rewards.points_return_enabled);
    let tiers = rewards.tiers.unwrap();
    assert_eq!(tiers.basis, TierBasis::LifetimePurchases);
    assert_eq!(tiers.validity_months, Some(12));
    assert_eq!(tiers.tier_for(d("1000")), 2);
    assert_eq!(tiers.by_name("Gold").map(|t| t.threshold), Some(d("5000")));
    let plus = l.programs[1].partner(ProgramId::new(2)).unwrap();
    assert_eq!(plus.kind, PartnerProgramType::Supplementary);
    assert_eq!(
        (plus.tiers.clone(), plus.membership_months),
        (vec!["Plus".into()], Some(12))
    );
    let sky = l.programs[2].partner(ProgramId::new(3)).unwrap();
    assert_eq!(sky.points_exchange_rate, Some(d("0.5")));
    assert_eq!(sky.tiers, ["Blue", "Silver", "Gold"]);
    assert!(l.programs[0].partner(ProgramId::new(1)).is_none());
    let cards: Vec<_> = l
        .card_series
        .iter()
        .map(|c| {
            (
                c.series.code.as_str(),
                c.series.card_type,
                c.program.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        cards,
        [
            ("DEMOCARD", CardType::Digital, Some("Demo Rewards")),
            ("PLUSCARD", CardType::Physical, Some("Demo Plus")),
        ]
    );
    assert_eq!(
        l.settings.goodwill.reasons,
        ["Service recovery", "Birthday"]
    );
    assert_eq!(l.settings.goodwill.auto_approve_cap, Some(d("500")));
    assert_eq!(l.settings.bill_numbers, BillNumberUniqueness::default());
}

#[test]
fn an_empty_section_is_the_defaults() {
    let l = parse("").unwrap();
    assert!(l.programs.is_empty());
    assert_eq!(l.settings, LoyaltySettings::default());
}

#[test]
fn all_options_are_read() {
    let l = parse(
        r#"
[[loyalty.programs]]
name = "Rewards"
kind = "DEFAULT"
points_return = false
earn = { points = "1.5", per_amount = 100, rounding = "NEAREST", precision = 2, tier_multipliers = { Gold = 2 } }
expiry = { type = "END_OF_MONTH", months = 3 }
tiers = { basis = "LIFETIME_POINTS", downgrade = "TO_QUALIFYING", levels = [{ name = "Base", threshold = 0 }, { name = "Gold", threshold = 0.5 }] }

[[loyalty.card_series]]
code = "GEN1"
name = "Generated"
type = "PHYSICAL"
expiry_days = 730
max_active_per_customer = 1
generation = { prefix = "AC", length = 10, offset = 5 }

[loyalty.bill_numbers]
scope = "TILL"
unique_forever = true

[loyalty.billing_dates]
max_past_days = 30
max_future_days = 1
"#,
    )
    .unwrap();
    let p = l.programs[0].program(ProgramId::new(9));
    assert!(!p.points_return_enabled);
    assert_eq!(p.earn.points, d("1.5"));
    assert_eq!(
        p.earn.rounding,
        Rounding {
            mode: RoundingMode::Nearest,
            scale: 2
        }
    );
    assert_eq!(p.earn.tier_multipliers, vec![(2, d("2"))]);
    assert_eq!(p.expiry, ExpiryPolicy::EndOfMonth { months: 3 });
    let t = p.tiers.unwrap();
    assert_eq!(
        (t.validity_months, t.downgrade),
        (None, DowngradeRule::ToQualifying)
    );
    assert_eq!(t.tiers[1].threshold, d("0.5"));
    let c = &l.card_series[0].series;
    assert_eq!(c.card_number(0).unwrap(), "AC00000005");
    assert_eq!(
        (c.expiry_days, c.max_active_per_customer),
        (Some(730), Some(1))
    );
    assert_eq!(l.settings.bill_numbers.scope, BillNumberScope::Till);
    assert_eq!(l.settings.bill_numbers.unique_in_days, None);
    assert_eq!(l.settings.billing_dates.max_past_days, Some(30));
    assert_eq!(l.settings.billing_dates.max_future_days, 1);
    assert!(parse(MINIMAL).is_ok());
}

#[test]
fn program_errors_name_line_and_field() {
    let (f, line, m) = error(&MINIMAL.replace("per_amount = 10", "per_amount = 0"));
    assert_eq!(
        (f.as_str(), line),
        ("loyalty.programs[0].earn.per_amount", 5)
    );
    assert!(m.contains("greater than 0"));

    let (f, line, _) = error(&MINIMAL.replace("earn = { points = 1, per_amount = 10 }\n", ""));
    assert_eq!((f.as_str(), line), ("loyalty.programs[0].earn", 3));

    let again = "[[loyalty.programs]]\nname = \"rewards\"\nkind = \"SUPPLEMENTARY\"\nmembership_months = 1\n";
    let (f, _, m) = error(&format!("{MINIMAL}{again}"));
    assert_eq!(f, "loyalty.programs[1].name");
    assert!(m.contains("duplicate program"));

    let errs = parse(&MINIMAL.replace("DEFAULT", "SUPPLEMENTARY")).unwrap_err();
    assert!(errs
        .iter()
        .any(|e| e.field == "loyalty.programs" && e.message.contains("exactly one")));

    let (f, line, _) = error(&format!(
        "{MINIMAL}expiry = {{ type = \"AFTER_DAYS\", days = 99999 }}\n"
    ));
    assert_eq!((f.as_str(), line), ("loyalty.programs[0].expiry", 6));

    let (f, _, m) = error(&format!("{MINIMAL}exchange_rate = 2\n"));
    assert_eq!(f, "loyalty.programs[0].exchange_rate");
    assert!(m.contains("only EXTERNAL"));
}

#[test]
fn partner_program_errors() {
    let ext = format!("{MINIMAL}\n[[loyalty.programs]]\nname = \"Sky\"\nkind = \"EXTERNAL\"\n");
    let (f, line, _) = error(&ext);
    assert_eq!((f.as_str(), line), ("loyalty.programs[1].exchange_rate", 9));
    let (f, _, m) = error(&format!("{ext}exchange_rate = -1\n"));
    assert_eq!(f, "loyalty.programs[1].exchange_rate");
    assert!(m.contains("greater than 0"));
    let (f, _, m) = error(&format!(
        "{ext}exchange_rate = 1\npartner_tiers = [\"A\", \"a\"]\n"
    ));
    assert_eq!(f, "loyalty.programs[1].partner_tiers[1]");
    assert!(m.contains("duplicate"));
    let sup =
        format!("{MINIMAL}\n[[loyalty.programs]]\nname = \"Plus\"\nkind = \"SUPPLEMENTARY\"\n");
    assert_eq!(error(&sup).0, "loyalty.programs[1].membership_months");
    assert_eq!(
        error(&format!("{sup}membership_months = 0\n")).0,
        "loyalty.programs[1].membership_months"
    );
    assert!(parse(&format!("{sup}membership_months = 6\n")).is_ok());
    let (f, _, _) = error(&format!("{MINIMAL}partner_tiers = [\"X\"]\n"));
    assert_eq!(f, "loyalty.programs[0].partner_tiers");
}

#[test]
fn tier_errors() {
    let tiers = |levels: &str| {
        format!("{MINIMAL}\n[loyalty.programs.tiers]\nbasis = \"LIFETIME_PURCHASES\"\nvalidity_months = 12\nlevels = [{levels}]\n")
    };
    assert!(parse(&tiers(
        r#"{ name = "A", threshold = 0 }, { name = "B", threshold = 10 }"#
    ))
    .is_ok());
    let (f, line, m) = error(&tiers(r#"{ name = "A", threshold = 5 }"#));
    assert_eq!(
        (f.as_str(), line),
        ("loyalty.programs[0].tiers.levels[0].threshold", 10)
    );
    assert!(m.contains("must be 0"));
    let (f, _, m) = error(&tiers(
        r#"{ name = "A", threshold = 0 }, { name = "B", threshold = 0 }"#,
    ));
    assert_eq!(f, "loyalty.programs[0].tiers.levels[1].threshold");
    assert!(m.contains("increase"));
    let (f, _, _) = error(&tiers(
        r#"{ name = "A", threshold = 0 }, { name = "a", threshold = 1 }"#,
    ));
    assert_eq!(f, "loyalty.programs[0].tiers.levels[1].name");
    let (f, _, _) = error(&tiers(""));
    assert_eq!(f, "loyalty.programs[0].tiers.levels");
    let src = tiers(r#"{ name = "A", threshold = 0 }"#)
        .replace("validity_months = 12", "validity_months = 0");
    assert_eq!(error(&src).0, "loyalty.programs[0].tiers.validity_months");
    let src = MINIMAL.replace(
        "per_amount = 10",
        "per_amount = 10, tier_multipliers = { Gold = 2 }",
    );
    let (f, _, m) = error(&src);
    assert_eq!(f, "loyalty.programs[0].earn.tier_multipliers.Gold");
    assert!(m.contains("no tier named"));
}

#[test]
fn card_series_errors() {
    let card = |body: &str| format!("{MINIMAL}\n[[loyalty.card_series]]\n{body}\n");
    let (f, line, m) = error(&card(
        "code = \"C1\"\ntype = \"DIGITAL\"\nprogram = \"Nope\"",
    ));
    assert_eq!((f.as_str(), line), ("loyalty.card_series[0].program", 10));
    assert!(m.contains("no program named"));
    assert!(parse(&card(
        "code = \"C1\"\ntype = \"DIGITAL\"\nprogram = \"rewards\""
    ))
    .is_ok());
    let (f, _, _) = error(&card("code = \"C 1\"\ntype = \"DIGITAL\""));
    assert_eq!(f, "loyalty.card_series[0].code");
    let (f, _, _) = error(&card(
        "code = \"C1\"\ntype = \"DIGITAL\"\ngeneration = { prefix = \"ABCDEFGHIJ\", length = 10 }",
    ));
    assert_eq!(f, "loyalty.card_series[0].generation");
    let twice = format!(
        "{}[[loyalty.card_series]]\ncode = \"C1\"\ntype = \"PHYSICAL\"\n",
        card("code = \"C1\"\ntype = \"DIGITAL\"")
    );
    assert_eq!(error(&twice).0, "loyalty.card_series[1].code");
    // Unknown enum values and keys are rejected by the parser, still with a line.
    let errs = parse(&card("code = \"C1\"\ntype = \"PLASTIC\"")).unwrap_err();
    assert_eq!(errs[0].line - HEAD.lines().count(), 9);
}

#[test]
fn goodwill_and_window_errors() {
    let (f, _, m) = error("[loyalty.goodwill]\nreasons = [\"Birthday\", \"birthday\"]\n");
    assert_eq!(f, "loyalty.goodwill.reasons[1]");
    assert!(m.contains("duplicate"));
    let (f, line, _) = error("[loyalty.goodwill]\nreasons = [\"x\"]\nauto_approve_up_to = -5\n");
    assert_eq!(
        (f.as_str(), line),
        ("loyalty.goodwill.auto_approve_up_to", 3)
    );
    let (f, _, _) = error("[loyalty.goodwill]\nreasons = [\"\"]\n");
    assert_eq!(f, "loyalty.goodwill.reasons[0]");
    let (f, _, m) = error("[loyalty.bill_numbers]\nunique_in_days = 10\nunique_forever = true\n");
    assert_eq!(f, "loyalty.bill_numbers.unique_in_days");
    assert!(m.contains("conflicts"));
    let (f, _, _) = error("[loyalty.bill_numbers]\nunique_in_days = 0\n");
    assert_eq!(f, "loyalty.bill_numbers.unique_in_days");
    let (f, _, _) = error("[loyalty.billing_dates]\nmax_future_days = -1\n");
    assert_eq!(f, "loyalty.billing_dates.max_future_days");
    assert!(parse("[loyalty.bogus]\nx = 1\n").is_err());
}

#[test]
fn card_status_labels() {
    let file = format!(
        "{MINIMAL}\n[[loyalty.card_status_labels]]\nlabel = \"Lost\"\nstatus = \"SUSPENDED\"\n"
    );
    let l = parse(&file).unwrap();
    assert_eq!(l.settings.card_labels.len(), 1);
    assert_eq!(
        l.settings.card_labels[0].status,
        crate::loyalty::cards::CardStatus::Suspended
    );
    let clash = format!(
        "{MINIMAL}\n[[loyalty.card_status_labels]]\nlabel = \"card blocked\"\nstatus = \"DELETED\"\n"
    );
    assert_eq!(error(&clash).0, "loyalty.card_status_labels[0].label");
}
