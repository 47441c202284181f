//! The loyalty repository against SQLite and PostgreSQL: configuration, the ledger,
//! bills and returns, expiry, goodwill.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;

use fidelis_domain::customers::CustomerId;
use fidelis_domain::org::EntityId;
use std::sync::Arc;

use fidelis_domain::error::CodedError;
use fidelis_domain::loyalty::goodwill::{GoodwillBaseType, GoodwillRequest, GoodwillStatus};
use fidelis_domain::loyalty::ledger::{Actor, ActorKind, EntryKind, EntrySource, SourceKind};
use fidelis_domain::loyalty::transaction::OutlierStatus;
use fidelis_domain::loyalty::{ProgramKind, ReturnType, TierChangeKind, TransactionType};
use fidelis_store::loyalty::{Credit, Debit, LoyaltyContext, NewBill, NewGoodwill, NewReturn};
use fidelis_store::Db;
use harness::{apply, DEMO_ORG};
use jiff::Timestamp;
use rust_decimal::Decimal;

const NOW: &str = "2026-11-25T04:00:00Z"; // 12:00 in Singapore

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

async fn demo(db: &Db) -> LoyaltyContext {
    let org = apply(db, DEMO_ORG, ts(NOW)).await;
    db.loyalty().context(org.id).await.unwrap().unwrap()
}

fn till() -> Actor {
    Actor {
        kind: ActorKind::Till,
        id: Some("demo.till".into()),
    }
}

fn bill(customer_id: i64, number: &str, amount: &str, at: &str) -> NewBill {
    NewBill {
        customer_id: CustomerId::new(customer_id),
        program_id: None,
        bill_number: number.into(),
        store_id: Some(EntityId::new(1)),
        till_id: Some(EntityId::new(3)),
        billed_at: ts(at),
        amount: d(amount),
        outlier_status: OutlierStatus::Normal,
        actor: till(),
        details: "{}".into(),
    }
}

fn ret(customer_id: i64, bill_id: i64, t: ReturnType, amount: &str) -> NewReturn {
    NewReturn {
        customer_id: CustomerId::new(customer_id),
        bill_id,
        bill_number: format!("R-{bill_id}"),
        return_type: t,
        amount: d(amount),
        returned_at: ts(NOW),
        actor: till(),
        details: "{}".into(),
        store_id: Some(EntityId::new(1)),
        till_id: Some(EntityId::new(3)),
    }
}

async fn available(db: &Db, ctx: &LoyaltyContext, customer_id: i64, now: &str) -> Decimal {
    let program = ctx.program(None).unwrap().id;
    db.loyalty()
        .balance(ctx.org.id, CustomerId::new(customer_id), program, ts(now))
        .await
        .unwrap()
        .available
}

both_backends!(demo_configuration_is_stored_and_read_back, |db| {
    let ctx = demo(&db).await;
    let programs = db.loyalty().programs(ctx.org.id).await.unwrap();
    let names: Vec<_> = programs.iter().map(|p| (p.name.as_str(), p.kind)).collect();
    assert_eq!(
        names,
        [
            ("Demo Rewards", ProgramKind::Default),
            ("Demo Plus", ProgramKind::Supplementary),
            ("SkyMiles", ProgramKind::External)
        ]
    );
    let tiers = programs[0].tiers.as_ref().unwrap();
    let t: Vec<_> = tiers
        .tiers
        .iter()
        .map(|t| (t.name.as_str(), t.threshold))
        .collect();
    assert_eq!(
        t,
        [
            ("Bronze", d("0")),
            ("Silver", d("1000")),
            ("Gold", d("5000"))
        ]
    );
    assert_eq!(tiers.validity_months, Some(12));
    let partners = db.loyalty().partner_programs(ctx.org.id).await.unwrap();
    assert_eq!(partners.len(), 2);
    assert_eq!(partners[1].points_exchange_rate, Some(d("0.5")));
    assert_eq!(partners[0].membership_months, Some(12));
    let cards = db.loyalty().series_list(ctx.org.id).await.unwrap();
    let c: Vec<_> = cards
        .iter()
        .map(|c| (c.series.code.as_str(), c.series.program_id))
        .collect();
    assert_eq!(
        c,
        [
            ("DEMOCARD", Some(programs[0].id)),
            ("PLUSCARD", Some(programs[1].id))
        ]
    );
    assert_eq!(ctx.settings.goodwill.auto_approve_cap, Some(d("500")));
    assert_eq!(
        ctx.settings.goodwill.reasons,
        ["Service recovery", "Birthday"]
    );

    // Applying the same file again changes nothing.
    let file = fidelis_domain::org::OrgFile::parse("demo.toml", DEMO_ORG).unwrap();
    let again = db.orgs().apply(&file, ts(NOW)).await.unwrap();
    assert!(!again.changed(), "{again:?}");
    // A program the file no longer names is deactivated; naming it again brings it back.
    let from = DEMO_ORG
        .find("[[loyalty.programs]]\nname = \"SkyMiles\"")
        .unwrap();
    let to = DEMO_ORG.find("[[loyalty.card_series]]").unwrap();
    let trimmed = format!("{}{}", &DEMO_ORG[..from], &DEMO_ORG[to..]);
    let file = fidelis_domain::org::OrgFile::parse("demo.toml", &trimmed).unwrap();
    let s = db.orgs().apply(&file, ts(NOW)).await.unwrap();
    assert_eq!((s.deactivated, s.created, s.updated), (1, 0, 0), "{s:?}");
    assert_eq!(db.loyalty().programs(ctx.org.id).await.unwrap().len(), 2);
    let file = fidelis_domain::org::OrgFile::parse("demo.toml", DEMO_ORG).unwrap();
    let s = db.orgs().apply(&file, ts(NOW)).await.unwrap();
    assert_eq!((s.deactivated, s.created, s.updated), (0, 0, 1), "{s:?}");
    assert_eq!(db.loyalty().programs(ctx.org.id).await.unwrap(), programs);
});

both_backends!(
    a_bill_earns_123_points_expiring_at_the_end_of_the_day_a_year_later,
    |db| {
        let ctx = demo(&db).await;
        let award = db
            .loyalty()
            .record_bill(&ctx, &bill(1, "B-1", "1234.56", NOW), ts(NOW))
            .await
            .unwrap();
        assert_eq!((award.raw_points, award.points), (d("123.456"), d("123")));
        // 2027-11-25 23:59:59 in Asia/Singapore.
        assert_eq!(award.expires_at, Some(ts("2027-11-25T15:59:59Z")));
        assert_eq!(available(&db, &ctx, 1, NOW).await, d("123"));
        let program = award.program_id;
        let schedule = db
            .loyalty()
            .expiry_schedule(&ctx.org, CustomerId::new(1), program, ts(NOW))
            .await
            .unwrap();
        assert_eq!(schedule.len(), 1);
        assert_eq!(schedule[0].date.to_string(), "2027-11-25");
        assert_eq!(schedule[0].points, d("123"));
        let entries = db
            .loyalty()
            .entries(ctx.org.id, CustomerId::new(1), program)
            .await
            .unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].kind, EntryKind::Credit);
        assert_eq!(
            entries[0].source,
            EntrySource::new(SourceKind::Bill, award.transaction_id.to_string())
        );
        assert_eq!(entries[0].actor, till());
        assert_eq!(entries[0].lot_id, award.lot_id);
        let stored = db
            .loyalty()
            .bill(ctx.org.id, award.transaction_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((stored.amount, stored.points), (d("1234.56"), d("123")));
        // Points are still there at 23:59:59 local, and gone by the expiry job a second later.
        assert_eq!(
            available(&db, &ctx, 1, "2027-11-25T15:59:59Z").await,
            d("123")
        );
        assert_eq!(
            available(&db, &ctx, 1, "2027-11-25T16:00:00Z").await,
            d("0")
        );
    }
);

both_backends!(a_repeated_bill_number_is_604_and_changes_nothing, |db| {
    let ctx = demo(&db).await;
    let l = db.loyalty();
    l.record_bill(&ctx, &bill(1, "DUP-1", "500", NOW), ts(NOW))
        .await
        .unwrap();
    let err = l
        .record_bill(&ctx, &bill(1, "DUP-1", "800", NOW), ts(NOW))
        .await
        .unwrap_err();
    assert_eq!(err.code(), 604, "{err}");
    let err = l
        .record_bill(
            &ctx,
            &bill(2, " DUP-1 ", "800", "2026-11-20T04:00:00Z"),
            ts(NOW),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), 604, "{err}");
    assert_eq!(available(&db, &ctx, 1, NOW).await, d("50"));
    assert_eq!(available(&db, &ctx, 2, NOW).await, d("0"));
    let program = ctx.program(None).unwrap().id;
    assert_eq!(
        l.entries(ctx.org.id, CustomerId::new(1), program)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(l
        .member(ctx.org.id, CustomerId::new(2), program)
        .await
        .unwrap()
        .is_none());
    // Another store may use the number; so may a bill 365 days away from the first.
    let mut other = bill(1, "DUP-1", "100", NOW);
    other.store_id = Some(EntityId::new(2));
    l.record_bill(&ctx, &other, ts(NOW)).await.unwrap();
    l.record_bill(
        &ctx,
        &bill(1, "DUP-1", "100", "2025-11-25T04:00:00Z"),
        ts(NOW),
    )
    .await
    .unwrap();
    assert_eq!(available(&db, &ctx, 1, NOW).await, d("70"));
});

both_backends!(a_negative_bill_amount_is_631_and_writes_nothing, |db| {
    let ctx = demo(&db).await;
    let l = db.loyalty();
    let err = l
        .record_bill(&ctx, &bill(11, "NEG-1", "-100", NOW), ts(NOW))
        .await
        .unwrap_err();
    assert_eq!(err.code(), 631, "{err}");
    assert!(err.to_string().contains("billAmount"), "{err}");
    let err = l
        .record_not_interested(
            &ctx,
            &bill(0, "NEG-2", "-5", NOW),
            TransactionType::NotInterestedReturn,
            ts(NOW),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), 631, "{err}");
    let program = ctx.program(None).unwrap().id;
    assert!(l
        .member(ctx.org.id, CustomerId::new(11), program)
        .await
        .unwrap()
        .is_none());
    // The number was not claimed.
    let award = l
        .record_bill(&ctx, &bill(11, "NEG-1", "100", NOW), ts(NOW))
        .await
        .unwrap();
    assert_eq!(award.points, d("10"));
});

both_backends!(concurrent_bills_for_one_customer_all_count, |db| {
    let ctx = Arc::new(demo(&db).await);
    let mut tasks = Vec::new();
    for i in 0..32 {
        let (db, ctx) = (db.clone(), ctx.clone());
        tasks.push(tokio::spawn(async move {
            let amount = format!("{}.75", 40 + i * 13);
            db.loyalty()
                .record_bill(&ctx, &bill(7, &format!("C-{i}"), &amount, NOW), ts(NOW))
                .await
                .unwrap()
        }));
    }
    let mut total = Decimal::ZERO;
    let mut purchases = Decimal::ZERO;
    for t in tasks {
        let a = t.await.unwrap();
        total += a.points;
        purchases = purchases.max(a.lifetime_purchases);
    }
    let expected: Decimal = (0..32).map(|i| Decimal::from((40 + i * 13) / 10)).sum();
    assert_eq!(total, expected);
    assert_eq!(available(&db, &ctx, 7, NOW).await, total);
    let program = ctx.program(None).unwrap().id;
    let m = db
        .loyalty()
        .member(ctx.org.id, CustomerId::new(7), program)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.ledger_net, total);
    let spent: Decimal = (0..32).map(|i| d(&format!("{}.75", 40 + i * 13))).sum();
    assert_eq!((m.lifetime_purchases, purchases), (spent, spent));
    // 7,728 of lifetime purchases: Gold, reached through exactly the upgrades recorded.
    assert_eq!(m.tier.serial, 3);
    let changes = db
        .loyalty()
        .tier_changes(ctx.org.id, CustomerId::new(7), program)
        .await
        .unwrap();
    assert_eq!(changes.last().map(|c| c.change.to), Some(3));
});

both_backends!(
    crossing_1000_moves_the_member_to_silver_with_a_record,
    |db| {
        let ctx = demo(&db).await;
        let l = db.loyalty();
        let first = l
            .record_bill(&ctx, &bill(3, "T-1", "600", NOW), ts(NOW))
            .await
            .unwrap();
        assert_eq!(first.tier_change, None);
        let second = l
            .record_bill(&ctx, &bill(3, "T-2", "450", NOW), ts(NOW))
            .await
            .unwrap();
        let change = second.tier_change.clone().unwrap();
        assert_eq!(
            (change.from, change.to, change.kind),
            (1, 2, TierChangeKind::Upgrade)
        );
        assert_eq!(change.valid_until, Some(ts("2027-11-25T15:59:59Z")));
        let program = second.program_id;
        let m = l
            .member(ctx.org.id, CustomerId::new(3), program)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((m.tier.serial, m.lifetime_purchases), (2, d("1050")));
        let records = l
            .tier_changes(ctx.org.id, CustomerId::new(3), program)
            .await
            .unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].change, change);
        assert_eq!(
            records[0].source,
            EntrySource::new(SourceKind::Bill, second.transaction_id.to_string())
        );
    }
);

both_backends!(returns_reverse_fully_and_proportionally, |db| {
    let ctx = demo(&db).await;
    let l = db.loyalty();
    let b = l
        .record_bill(&ctx, &bill(4, "RT-1", "1234.56", NOW), ts(NOW))
        .await
        .unwrap();
    let half = l
        .record_return(
            &ctx,
            &ret(4, b.transaction_id, ReturnType::Amount, "617.28"),
            ts(NOW),
        )
        .await
        .unwrap();
    assert_eq!(
        (half.points_reversed, half.fully_returned),
        (d("61"), false)
    );
    assert_eq!(available(&db, &ctx, 4, NOW).await, d("62"));
    let rest = l
        .record_return(
            &ctx,
            &ret(4, b.transaction_id, ReturnType::Full, "0"),
            ts(NOW),
        )
        .await
        .unwrap();
    assert_eq!(
        (rest.amount, rest.points_reversed, rest.fully_returned),
        (d("617.28"), d("62"), true)
    );
    assert_eq!(available(&db, &ctx, 4, NOW).await, d("0"));
    let err = l
        .record_return(
            &ctx,
            &ret(4, b.transaction_id, ReturnType::Full, "0"),
            ts(NOW),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), 628);
    let program = b.program_id;
    let m = l
        .member(ctx.org.id, CustomerId::new(4), program)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.lifetime_purchases, d("0"));
    let kinds: Vec<_> = l
        .entries(ctx.org.id, CustomerId::new(4), program)
        .await
        .unwrap()
        .iter()
        .map(|e| (e.kind, e.points))
        .collect();
    assert_eq!(
        kinds,
        [
            (EntryKind::Credit, d("123")),
            (EntryKind::ReturnReversal, d("-61")),
            (EntryKind::ReturnReversal, d("-62"))
        ]
    );

    // Returning a bill whose points were spent leaves a debt the next award pays first.
    let b = l
        .record_bill(&ctx, &bill(5, "RT-2", "200", NOW), ts(NOW))
        .await
        .unwrap();
    l.debit(&ctx, CustomerId::new(5), None, &redeem("20"), ts(NOW))
        .await
        .unwrap();
    let r = l
        .record_return(
            &ctx,
            &ret(5, b.transaction_id, ReturnType::Full, "0"),
            ts(NOW),
        )
        .await
        .unwrap();
    assert_eq!((r.points_reversed, r.shortfall), (d("20"), d("20")));
    let bal = l
        .balance(ctx.org.id, CustomerId::new(5), program, ts(NOW))
        .await
        .unwrap();
    assert_eq!(
        (bal.available, bal.debt, bal.net),
        (d("0"), d("20"), d("-20"))
    );
    l.record_bill(&ctx, &bill(5, "RT-3", "300", NOW), ts(NOW))
        .await
        .unwrap();
    let bal = l
        .balance(ctx.org.id, CustomerId::new(5), program, ts(NOW))
        .await
        .unwrap();
    assert_eq!(
        (bal.available, bal.debt, bal.net),
        (d("10"), d("0"), d("10"))
    );
    // Someone else's bill, or an unknown one, is 625.
    let err = l
        .record_return(
            &ctx,
            &ret(4, b.transaction_id, ReturnType::Full, "0"),
            ts(NOW),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), 625);
});

fn redeem(points: &str) -> Debit {
    Debit {
        kind: EntryKind::Redemption,
        points: d(points),
        source: EntrySource::bare(SourceKind::Redemption),
        rule: None,
        actor: till(),
        reason: None,
        once: false,
    }
}

fn grant(points: &str, expires_at: Option<Option<Timestamp>>) -> Credit {
    Credit {
        kind: EntryKind::Credit,
        points: d(points),
        source: EntrySource::bare(SourceKind::Manual),
        rule: None,
        actor: Actor::system(),
        reason: Some("test".into()),
        expires_at,
    }
}

both_backends!(redemption_consumes_the_oldest_expiring_lot_first, |db| {
    let ctx = demo(&db).await;
    let l = db.loyalty();
    let late = l
        .credit(
            &ctx,
            CustomerId::new(6),
            None,
            &grant("100", Some(Some(ts("2027-06-01T15:59:59Z")))),
            ts(NOW),
        )
        .await
        .unwrap();
    let early = l
        .credit(
            &ctx,
            CustomerId::new(6),
            None,
            &grant("50", Some(Some(ts("2027-01-01T15:59:59Z")))),
            ts(NOW),
        )
        .await
        .unwrap();
    let never = l
        .credit(
            &ctx,
            CustomerId::new(6),
            None,
            &grant("30", Some(None)),
            ts(NOW),
        )
        .await
        .unwrap();
    assert_eq!(never.expires_at, None);
    let spent = l
        .debit(&ctx, CustomerId::new(6), None, &redeem("70"), ts(NOW))
        .await
        .unwrap();
    let got: Vec<_> = spent
        .allocations
        .iter()
        .map(|a| (a.lot_id, a.points))
        .collect();
    assert_eq!(
        got,
        [
            (early.lot_id.unwrap(), d("50")),
            (late.lot_id.unwrap(), d("20"))
        ]
    );
    assert_eq!(available(&db, &ctx, 6, NOW).await, d("110"));
    let err = l
        .debit(&ctx, CustomerId::new(6), None, &redeem("111"), ts(NOW))
        .await
        .unwrap_err();
    assert_eq!(err.code(), 813);
    assert_eq!(available(&db, &ctx, 6, NOW).await, d("110"));
    let program = ctx.program(None).unwrap().id;
    let entries = l
        .entries(ctx.org.id, CustomerId::new(6), program)
        .await
        .unwrap();
    assert_eq!(
        entries.last().map(|e| e.allocations.clone()),
        Some(spent.allocations)
    );
});

const NEW_YORK: &str = r#"
[org]
code = "nyc"
name = "NYC Stores"
time_zone = "America/New_York"
currency = "USD"
country = "US"

[[loyalty.programs]]
name = "NY Rewards"
kind = "DEFAULT"
earn = { points = 1, per_amount = 1 }
expiry = { type = "AFTER_DAYS", days = 30 }
"#;

both_backends!(expiry_is_end_of_local_day_across_dst_and_runs_once, |db| {
    let awarded = "2024-02-20T15:00:00Z"; // 10:00 EST
    let org = apply(&db, NEW_YORK, ts(awarded)).await;
    let ctx = db.loyalty().context(org.id).await.unwrap().unwrap();
    let l = db.loyalty();
    let a = l
        .record_bill(&ctx, &bill(9, "NY-1", "100", awarded), ts(awarded))
        .await
        .unwrap();
    // 30 days later is 2024-03-21, after the switch to EDT: 23:59:59-04:00.
    assert_eq!(a.expires_at, Some(ts("2024-03-22T03:59:59Z")));
    let run = l
        .expire_due(org.id, ts("2024-03-22T03:59:59Z"))
        .await
        .unwrap();
    assert_eq!(run.entries, 0);
    let run = l
        .expire_due(org.id, ts("2024-03-22T04:00:00Z"))
        .await
        .unwrap();
    assert_eq!((run.entries, run.lots, run.points), (1, 1, d("100")));
    let again = l
        .expire_due(org.id, ts("2024-03-23T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(again.entries, 0);
    let program = a.program_id;
    let bal = l
        .balance(
            org.id,
            CustomerId::new(9),
            program,
            ts("2024-03-23T00:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(bal.net, d("0"));
    let entries = l
        .entries(org.id, CustomerId::new(9), program)
        .await
        .unwrap();
    let kinds: Vec<_> = entries.iter().map(|e| (e.kind, e.points)).collect();
    assert_eq!(
        kinds,
        [
            (EntryKind::Credit, d("100")),
            (EntryKind::Expiry, d("-100"))
        ]
    );
    assert_eq!(entries[1].source.kind, SourceKind::ExpiryJob);
    let m = l
        .member(org.id, CustomerId::new(9), program)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.ledger_net, d("0"));
});

fn goodwill(points: &str, reference: Option<&str>) -> NewGoodwill {
    NewGoodwill {
        customer_id: CustomerId::new(8),
        program_id: None,
        reference_id: reference.map(String::from),
        request: GoodwillRequest {
            base_type: GoodwillBaseType::Points,
            points: Some(d(points)),
            coupon_series_id: None,
            reason: "birthday".into(),
            comments: None,
            client_auto_approve: None,
        },
        maker: "agent@demo-retail.example".into(),
    }
}

both_backends!(
    goodwill_within_the_cap_is_credited_and_reference_ids_are_idempotent,
    |db| {
        let ctx = demo(&db).await;
        let l = db.loyalty();
        let small = l
            .submit_goodwill(&ctx, &goodwill("200", Some("ref-1")), ts(NOW))
            .await
            .unwrap();
        assert_eq!(small.status, GoodwillStatus::Approved);
        assert_eq!(small.reason, "Birthday");
        assert!(small.entry_id.is_some());
        let again = l
            .submit_goodwill(&ctx, &goodwill("200", Some("ref-1")), ts(NOW))
            .await
            .unwrap();
        assert_eq!(again, small);
        assert_eq!(available(&db, &ctx, 8, NOW).await, d("200"));

        let big = l
            .submit_goodwill(&ctx, &goodwill("800", Some("ref-2")), ts(NOW))
            .await
            .unwrap();
        assert_eq!(big.status, GoodwillStatus::Pending);
        assert_eq!(available(&db, &ctx, 8, NOW).await, d("200"));
        let err = l
            .decide_goodwill(&ctx, big.id, "agent@demo-retail.example", true, ts(NOW))
            .await
            .unwrap_err();
        assert_eq!(err.code(), 9015);
        let ok = l
            .decide_goodwill(&ctx, big.id, "admin@demo-retail.example", true, ts(NOW))
            .await
            .unwrap();
        assert_eq!(ok.status, GoodwillStatus::Approved);
        assert_eq!(available(&db, &ctx, 8, NOW).await, d("1000"));
        let err = l
            .decide_goodwill(&ctx, big.id, "admin@demo-retail.example", false, ts(NOW))
            .await
            .unwrap_err();
        assert_eq!(err.code(), 9014);
        // A reason outside the list is refused when only listed reasons are accepted.
        let mut strict = ctx.clone();
        strict.settings.goodwill.only_listed_reasons = true;
        let err = l
            .submit_goodwill(
                &strict,
                &NewGoodwill {
                    request: GoodwillRequest {
                        reason: "Because".into(),
                        ..goodwill("5", None).request
                    },
                    ..goodwill("5", None)
                },
                ts(NOW),
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), 9009);
        assert_eq!(
            l.goodwill_requests(ctx.org.id, CustomerId::new(8))
                .await
                .unwrap()
                .len(),
            2
        );
        let program = ctx.program(None).unwrap().id;
        let entries = l
            .entries(ctx.org.id, CustomerId::new(8), program)
            .await
            .unwrap();
        assert!(entries
            .iter()
            .all(|e| e.kind == EntryKind::Goodwill && e.source.kind == SourceKind::Goodwill));
        assert_eq!(entries.len(), 2);
    }
);

both_backends!(
    a_batch_credits_every_bill_and_writes_each_balance_row_once,
    |db| {
        use fidelis_domain::loyalty::EarningEntity;
        let ctx = demo(&db).await;
        let l = db.loyalty();
        // Customer 1 has a balance row already; 2 and 3 get theirs in the batch.
        l.record_bill(&ctx, &bill(1, "BB-0", "100", NOW), ts(NOW))
            .await
            .unwrap();
        let batch: Vec<_> = [(1, "BB-1", "200"), (2, "BB-2", "300"), (1, "BB-3", "50")]
            .into_iter()
            .chain([(3, "BB-4", "400"), (2, "BB-5", "10")])
            .map(|(c, n, a)| {
                (
                    bill(c, n, a, NOW),
                    EarningEntity::Customer(CustomerId::new(c)),
                )
            })
            .collect();
        let mut unit = db.unit().await.unwrap();
        let answers = l
            .record_bills_in(&mut unit, &ctx, &batch, ts(NOW))
            .await
            .unwrap();
        assert!(answers.iter().all(Result::is_ok), "{answers:?}");
        if db.backend() == fidelis_store::Backend::Postgres {
            // One version of each of the three rows, each an update in place (no new key
            // index entry): locking a row wrote no version of it.
            let (updated, in_place): (i64, i64) = sqlx::query_as(
                "SELECT pg_stat_get_xact_tuples_updated('loyalty_balances'::regclass), \
                 pg_stat_get_xact_tuples_hot_updated('loyalty_balances'::regclass)",
            )
            .fetch_one(&mut *unit)
            .await
            .unwrap();
            assert_eq!((updated, in_place), (3, 3));
        }
        unit.commit().await.unwrap();
        // A point per 10 spent (the demo program), summed per customer.
        assert_eq!(available(&db, &ctx, 1, NOW).await, d("35"));
        assert_eq!(available(&db, &ctx, 2, NOW).await, d("31"));
        assert_eq!(available(&db, &ctx, 3, NOW).await, d("40"));
    }
);
