#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step fails the test
//! The unit of work against SQLite and PostgreSQL: writes of several repositories commit
//! together or not at all, and a failed step is undone without spoiling the unit.

mod harness;

use fidelis_domain::customers::{CustomerId, Identifier, IdentifierType, Source, SourceAccount};
use fidelis_domain::loyalty::enrolment::Enrolment;
use fidelis_domain::loyalty::ledger::{Actor as LedgerActor, ActorKind};
use fidelis_store::customers::{Actor, IdentifierChange, Registration};
use fidelis_store::loyalty::LoyaltyContext;
use fidelis_store::Db;
use harness::{apply, DEMO_ORG};
use jiff::Timestamp;

fn now() -> Timestamp {
    "2026-11-25T04:00:00Z".parse().unwrap()
}

fn instore() -> SourceAccount {
    SourceAccount {
        source: Source::Instore,
        account_id: None,
    }
}

fn mobile(value: &str) -> Identifier {
    Identifier {
        kind: IdentifierType::Mobile,
        value: value.into(),
    }
}

fn registration(value: &str) -> Registration {
    harness::registration(value, "Una", now())
}

fn actor() -> Actor {
    Actor {
        till_id: None,
        name: "test".into(),
    }
}

fn enrolment(ctx: &LoyaltyContext) -> Enrolment {
    Enrolment {
        program_id: ctx.programs[0].id,
        tier: None,
        points: "250".parse().unwrap(),
        points_expiry: None,
    }
}

fn system() -> LedgerActor {
    LedgerActor {
        kind: ActorKind::System,
        id: None,
    }
}

async fn demo(db: &Db) -> LoyaltyContext {
    let org = apply(db, DEMO_ORG, now()).await;
    db.loyalty().context(org.id).await.unwrap().unwrap()
}

async fn holder(db: &Db, ctx: &LoyaltyContext, value: &str) -> Option<CustomerId> {
    db.customers()
        .lookup(
            ctx.org.id,
            Some(Source::Instore),
            None,
            IdentifierType::Mobile,
            value,
        )
        .await
        .ok()
}

both_backends!(registration_and_enrolment_commit_together, |db| {
    let ctx = demo(&db).await;
    let org = ctx.org.id;
    // Dropped without commit: neither the customer nor the points exist.
    let mut unit = db.unit().await.unwrap();
    let saved = db
        .customers()
        .register_in(&mut unit, org, &registration("6591110001"), &actor(), now())
        .await
        .unwrap();
    db.loyalty()
        .enrol_in(
            &mut unit,
            &ctx,
            saved.customer_id,
            &enrolment(&ctx),
            &system(),
            now(),
        )
        .await
        .unwrap();
    drop(unit);
    assert_eq!(holder(&db, &ctx, "6591110001").await, None);
    assert_eq!(db.customers().count(org).await.unwrap(), 0);
    // Committed: both.
    let mut unit = db.unit().await.unwrap();
    let saved = db
        .customers()
        .register_in(&mut unit, org, &registration("6591110001"), &actor(), now())
        .await
        .unwrap();
    db.loyalty()
        .enrol_in(
            &mut unit,
            &ctx,
            saved.customer_id,
            &enrolment(&ctx),
            &system(),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(
        holder(&db, &ctx, "6591110001").await,
        None,
        "not visible before commit"
    );
    unit.commit().await.unwrap();
    assert_eq!(
        holder(&db, &ctx, "6591110001").await,
        Some(saved.customer_id)
    );
    let balance = db
        .loyalty()
        .balance(org, saved.customer_id, ctx.programs[0].id, now())
        .await
        .unwrap();
    assert_eq!(balance.available, "250".parse().unwrap());
});

both_backends!(a_failed_step_is_undone_and_the_unit_goes_on, |db| {
    let ctx = demo(&db).await;
    let org = ctx.org.id;
    let taken = db
        .customers()
        .register(org, &registration("6591110002"), &actor(), now())
        .await
        .unwrap()
        .customer_id;
    let mut unit = db.unit().await.unwrap();
    let id = db
        .customers()
        .register_in(&mut unit, org, &registration("6591110003"), &actor(), now())
        .await
        .unwrap()
        .customer_id;
    // The step adds an email, then meets a mobile another customer holds: the email goes too.
    let add = [
        IdentifierChange {
            identifier: Identifier {
                kind: IdentifierType::Email,
                value: "una@example.com".into(),
            },
            details: None,
            delink: false,
        },
        IdentifierChange {
            identifier: mobile("6591110002"),
            details: None,
            delink: false,
        },
    ];
    let refused = db
        .customers()
        .change_identifiers_in(&mut unit, org, id, &instore(), &add, &[], now())
        .await;
    assert!(refused.is_err(), "{refused:?}");
    // A refused enrolment is a step too; the unit still takes the next one.
    db.loyalty()
        .enrol_in(&mut unit, &ctx, id, &enrolment(&ctx), &system(), now())
        .await
        .unwrap();
    let again = db
        .loyalty()
        .enrol_in(&mut unit, &ctx, id, &enrolment(&ctx), &system(), now())
        .await;
    assert!(again.is_err(), "enrolled twice: {again:?}");
    unit.commit().await.unwrap();
    assert_eq!(holder(&db, &ctx, "6591110003").await, Some(id));
    assert_eq!(holder(&db, &ctx, "6591110002").await, Some(taken));
    let by_email = db
        .customers()
        .lookup(
            org,
            Some(Source::Instore),
            None,
            IdentifierType::Email,
            "una@example.com",
        )
        .await;
    assert!(by_email.is_err(), "the refused step's email stayed");
    let balance = db
        .loyalty()
        .balance(org, id, ctx.programs[0].id, now())
        .await
        .unwrap();
    assert_eq!(balance.available, "250".parse().unwrap());
});

/// PostgreSQL's `synchronous_commit` inside `unit` (SQLite has no such setting: `None`).
async fn synchronous_commit(db: &Db, unit: &mut fidelis_store::Unit) -> Option<String> {
    if db.backend() != fidelis_store::Backend::Postgres {
        return None;
    }
    let (setting,): (String,) = sqlx::query_as("SHOW synchronous_commit")
        .fetch_one(&mut **unit)
        .await
        .unwrap();
    Some(setting)
}

both_backends!(
    a_lazy_commit_keeps_its_writes_and_ends_with_its_unit,
    |db| {
        let ctx = demo(&db).await;
        let org = ctx.org.id;
        let postgres = db.backend() == fidelis_store::Backend::Postgres;
        let mut unit = db.unit().await.unwrap();
        unit.commit_lazily().await.unwrap();
        let inside = synchronous_commit(&db, &mut unit).await;
        assert_eq!(inside.as_deref(), postgres.then_some("off"));
        db.customers()
            .register_in(&mut unit, org, &registration("6591110009"), &actor(), now())
            .await
            .unwrap();
        unit.commit().await.unwrap();
        assert_eq!(db.customers().count(org).await.unwrap(), 1);
        // Only that transaction committed lazily: the next unit's commits are durable again.
        let mut next = db.unit().await.unwrap();
        let after = synchronous_commit(&db, &mut next).await;
        assert_eq!(after.as_deref(), postgres.then_some("on"));
        next.rollback().await.unwrap();
    }
);
