#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step fails the test
//! Set-based statements over batches larger than one statement's share on SQLite (256
//! rows, then a power of two at a time): every row is written or found once, in order,
//! on both backends.

mod harness;

use fidelis_domain::customers::{CustomerStatus, IdentifierType};
use fidelis_store::customers::Actor;
use harness::{apply, registration, DEMO_ORG};
use jiff::Timestamp;

fn now() -> Timestamp {
    "2026-11-25T04:00:00Z".parse().unwrap()
}

both_backends!(row_keys_of_a_large_batch_are_claimed_once, |db| {
    let org = apply(&db, DEMO_ORG, now()).await.id;
    let repo = db.dataflows();
    let file = repo.file_id(org, "flow", "digest", now()).await.unwrap();
    // 300 rows first (256 + 32 + 8 + 4 on SQLite), then 1,000 overlapping them.
    let first: Vec<u64> = (1..=300).collect();
    let mut unit = db.unit().await.unwrap();
    let claimed = repo
        .claim_rows_in(&mut unit, org, file, &first)
        .await
        .unwrap();
    unit.commit().await.unwrap();
    assert_eq!(claimed, first);
    let all: Vec<u64> = (1..=1000).collect();
    let mut unit = db.unit().await.unwrap();
    let claimed = repo
        .claim_rows_in(&mut unit, org, file, &all)
        .await
        .unwrap();
    unit.commit().await.unwrap();
    assert_eq!(claimed, (301..=1000).collect::<Vec<u64>>());
});

both_backends!(a_large_lookup_finds_every_customer_once, |db| {
    let org = apply(&db, DEMO_ORG, now()).await.id;
    let actor = Actor {
        till_id: None,
        name: "test".into(),
    };
    let mobiles: Vec<String> = (0..300).map(|i| format!("6598{i:06}")).collect();
    let mut ids = std::collections::HashMap::new();
    for m in &mobiles {
        let id = db
            .customers()
            .register(
                org,
                &registration(m, &format!("Name {m}"), now()),
                &actor,
                now(),
            )
            .await
            .unwrap()
            .customer_id;
        ids.insert(m.clone(), id);
    }
    // Every customer, and ten numbers nobody holds among them.
    let mut wanted: Vec<&str> = mobiles.iter().map(String::as_str).collect();
    let unknown: Vec<String> = (0..10).map(|i| format!("6597{i:06}")).collect();
    for (i, u) in unknown.iter().enumerate() {
        wanted.insert(i * 29, u);
    }
    let found = db
        .customers()
        .lookup_statuses(org, IdentifierType::Mobile, &wanted)
        .await
        .unwrap();
    assert_eq!(found.len(), mobiles.len());
    for m in &mobiles {
        let (id, status) = found.get(m).unwrap_or_else(|| panic!("{m} not found"));
        assert_eq!(Some(id), ids.get(m));
        assert_eq!(*status, CustomerStatus::Active);
    }
});
