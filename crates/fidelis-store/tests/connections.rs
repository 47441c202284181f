#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step fails the test

//! How connections are set up.

mod harness;

#[tokio::test]
async fn postgres_statements_time_out() {
    let Some(t) = harness::postgres().await else {
        return;
    };
    let (timeout,): (String,) = sqlx::query_as("SHOW statement_timeout")
        .fetch_one(t.db.reader())
        .await
        .unwrap();
    assert_eq!(timeout, "30s");
}
