//! The tier-expiry walk against SQLite and PostgreSQL: batches, missed windows, late runs.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;

use fidelis_domain::customers::CustomerId;
use fidelis_domain::loyalty::ledger::{Actor, ActorKind};
use fidelis_domain::loyalty::transaction::OutlierStatus;
use fidelis_domain::loyalty::TierChangeKind;
use fidelis_domain::org::EntityId;
use fidelis_store::loyalty::{LoyaltyContext, NewBill, TierRun};
use fidelis_store::Db;
use harness::{apply, DEMO_ORG};
use jiff::Timestamp;

const NOW: &str = "2026-11-25T04:00:00Z"; // 12:00 in Singapore

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

async fn buy(
    db: &Db,
    ctx: &LoyaltyContext,
    customer_id: i64,
    number: &str,
    amount: &str,
    at: &str,
) {
    let bill = NewBill {
        customer_id: CustomerId::new(customer_id),
        program_id: None,
        bill_number: number.into(),
        store_id: Some(EntityId::new(1)),
        till_id: Some(EntityId::new(3)),
        billed_at: ts(at),
        amount: amount.parse().unwrap(),
        outlier_status: OutlierStatus::Normal,
        actor: Actor {
            kind: ActorKind::Till,
            id: Some("demo.till".into()),
        },
        details: "{}".into(),
    };
    db.loyalty().record_bill(ctx, &bill, ts(at)).await.unwrap();
}

/// (kind, from, to, effective_at, valid_until) of each recorded change.
async fn history(
    db: &Db,
    ctx: &LoyaltyContext,
    customer_id: i64,
) -> Vec<(TierChangeKind, u32, u32, String, Option<String>)> {
    let program = ctx.program(None).unwrap().id;
    db.loyalty()
        .tier_changes(ctx.org.id, CustomerId::new(customer_id), program)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let c = r.change;
            (
                c.kind,
                c.from,
                c.to,
                c.effective_at.to_string(),
                c.valid_until.map(|t| t.to_string()),
            )
        })
        .collect()
}

both_backends!(
    a_late_run_walks_every_missed_window_in_small_batches,
    |db| {
        let org = apply(&db, DEMO_ORG, ts(NOW)).await;
        let ctx = db.loyalty().context(org.id).await.unwrap().unwrap();
        // Silver until 2027-11-25 23:59:59 SGT for everyone; 13 reaches Gold.
        for c in [11, 12, 13, 14] {
            buy(&db, &ctx, c, &format!("K{c}-1"), "1200", NOW).await;
        }
        buy(&db, &ctx, 13, "K13-2", "6000", NOW).await;
        // 12 buys inside the first window; 14 only after it ended, before any job ran.
        buy(&db, &ctx, 12, "K12-2", "1000", "2027-03-01T04:00:00Z").await;
        buy(&db, &ctx, 14, "K14-2", "1000", "2027-12-01T04:00:00Z").await;

        // The job first runs on 2029-01-01, one member per batch.
        let now = ts("2029-01-01T04:00:00Z");
        let run = db.loyalty().expire_tiers(org.id, now, 1).await.unwrap();
        assert_eq!(
            run,
            TierRun {
                renewed: 1,
                downgraded: 5,
                upgraded: 1,
                skipped: 0
            }
        );
        let end1 = Some("2027-11-25T15:59:59Z".to_string());
        let end2 = Some("2028-11-25T15:59:59Z".to_string());
        let (start2, start3) = (
            "2027-11-25T16:00:00Z".to_string(),
            "2028-11-25T16:00:00Z".to_string(),
        );
        use TierChangeKind::{Downgrade, Renew, Upgrade};
        let h = history(&db, &ctx, 11).await;
        assert_eq!(h[1..], [(Downgrade, 2, 1, start2.clone(), None)]);
        // Renewed on the first window's purchase, then judged on the second (empty) window.
        let h = history(&db, &ctx, 12).await;
        assert_eq!(
            h[1..],
            [
                (Renew, 2, 2, start2.clone(), end2.clone()),
                (Downgrade, 2, 1, start3.clone(), None)
            ]
        );
        assert_eq!(h[0].4, end1);
        // One tier at a time, each lower tier with its own window.
        let h = history(&db, &ctx, 13).await;
        assert_eq!(
            h[1..],
            [
                (Upgrade, 2, 3, ts(NOW).to_string(), end1.clone()),
                (Downgrade, 3, 2, start2.clone(), end2.clone()),
                (Downgrade, 2, 1, start3.clone(), None)
            ]
        );
        // 14's window was empty, but the 1,000 bought after it ended qualifies again: as if
        // the job had run on time and the bill had come after the downgrade.
        let h = history(&db, &ctx, 14).await;
        assert_eq!(
            h[1..],
            [
                (Downgrade, 2, 1, start2.clone(), None),
                (
                    Upgrade,
                    1,
                    2,
                    now.to_string(),
                    Some("2030-01-01T15:59:59Z".to_string())
                )
            ]
        );
        let program = ctx.program(None).unwrap().id;
        let m = db
            .loyalty()
            .member(org.id, CustomerId::new(14), program)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(m.tier.serial, 2);
        assert_eq!(m.tier.requalify_base, "1200".parse().unwrap());

        // Nothing is due any more.
        let again = db.loyalty().expire_tiers(org.id, now, 1).await.unwrap();
        assert_eq!(again, TierRun::default());
    }
);
