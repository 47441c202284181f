//! A fresh database per test, SQLite or PostgreSQL, with the demo org applied.
//!
//! `both_backends!` turns one async test body into a SQLite test and a PostgreSQL test.
//! PostgreSQL needs `FIDELIS_TEST_POSTGRES_URL` (a server URL whose user may create
//! databases); without it the PostgreSQL half says loudly that it was skipped, except under
//! CI, where a missing URL is a failure.

#![allow(dead_code)]

use std::collections::BTreeMap;

use fidelis_domain::customers::{Identifier, IdentifierType, Profile, Source, SourceAccount};
use fidelis_domain::org::{Org, OrgFile};
use fidelis_store::customers::{NewProfile, Registration};
use fidelis_store::Db;
use jiff::Timestamp;
use serde_json::Map;

pub const DEMO_ORG: &str = include_str!("../../../../examples/demo-org.toml");

pub use fidelis_store::testing::TestDb;

pub async fn sqlite() -> TestDb {
    fidelis_store::testing::fresh(fidelis_store::Backend::Sqlite)
        .await
        .expect("sqlite")
}

pub async fn postgres() -> Option<TestDb> {
    fidelis_store::testing::fresh(fidelis_store::Backend::Postgres).await
}

/// Applies an org file and returns the org.
pub async fn apply(db: &Db, toml: &str, now: Timestamp) -> Org {
    let file = OrgFile::parse("test.toml", toml).expect("valid org file");
    let summary = db.orgs().apply(&file, now).await.expect("apply");
    db.orgs()
        .get(summary.org_id)
        .await
        .expect("read org")
        .expect("org exists")
}

/// Runs one async test body (`|db| { … }`, `db: Db`) against SQLite and PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, |$db:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($db: fidelis_store::Db) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = $crate::harness::sqlite().await;
                body(t.db.clone()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(t) = $crate::harness::postgres().await {
                    body(t.db.clone()).await;
                }
            }
        }
    };
}

/// A customer of one in-store profile named `first_name`, known by `mobile`.
pub fn registration(mobile: &str, first_name: &str, at: Timestamp) -> Registration {
    Registration {
        profiles: vec![NewProfile {
            profile: Profile {
                account: SourceAccount {
                    source: Source::Instore,
                    account_id: None,
                },
                first_name: Some(first_name.into()),
                last_name: None,
                identifiers: vec![Identifier {
                    kind: IdentifierType::Mobile,
                    value: mobile.into(),
                }],
                comm_channels: Vec::new(),
            },
            fields: Map::new(),
            channels: Vec::new(),
            cards: BTreeMap::new(),
        }],
        loyalty_type: None,
        extended_fields: Map::new(),
        associated_with: None,
        created_at: at,
        status_label: None,
        status_reason: None,
    }
}
