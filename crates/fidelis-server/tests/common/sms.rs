//! A server whose SMS go to a `file:` gateway, so tests read the codes customers receive.
//! `both_with_sms!` runs one body against SQLite and PostgreSQL with such a server.

use std::path::PathBuf;

use fidelis_app::comms::Delivery;
use fidelis_server::ServeOptions;
use serde_json::Value;

use super::{Backend, TestApp};

pub struct SmsApp {
    pub app: TestApp,
    pub dir: PathBuf,
}

impl Drop for SmsApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl std::ops::Deref for SmsApp {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.app
    }
}

impl SmsApp {
    /// The demo org's server delivering SMS to a fresh file, or `None` when the
    /// PostgreSQL half cannot run here.
    pub async fn start(backend: Backend) -> Option<Self> {
        let dir = std::env::temp_dir().join(format!(
            "fidelis-sms-{}-{:x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let delivery = Delivery {
            sms: Some(
                fidelis_comms::sms_gateway(&format!("file:{}", dir.join("sms.jsonl").display()))
                    .unwrap(),
            ),
            ..Delivery::default()
        };
        let options = ServeOptions {
            jobs: false,
            ..ServeOptions::default()
        };
        let app = TestApp::start_delivering(backend, options, delivery).await?;
        Some(Self { app, dir })
    }

    /// The SMS delivered so far (queued ones are delivered first).
    pub async fn delivered(&self) -> Vec<Value> {
        self.app
            .state
            .app
            .comms()
            .deliver_due("test-worker")
            .await
            .unwrap();
        std::fs::read_to_string(self.dir.join("sms.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The six-digit code that starts the last SMS delivered to a number ending in `to`.
    pub async fn last_code(&self, to: &str) -> String {
        let lines = self.delivered().await;
        let last = lines
            .iter()
            .rev()
            .find(|l| l["to"].as_str().unwrap().ends_with(to))
            .expect("an SMS was delivered");
        let body = last["body"].as_str().unwrap();
        let code: String = body.chars().take_while(char::is_ascii_digit).collect();
        assert_eq!(code.len(), 6, "{body}");
        code
    }
}

/// Runs one async test body against SQLite and PostgreSQL, with SMS delivered to a file.
#[macro_export]
macro_rules! both_with_sms {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: $crate::common::sms::SmsApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::common::sms::SmsApp::start($crate::common::Backend::Sqlite)
                    .await
                    .unwrap();
                body(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) =
                    $crate::common::sms::SmsApp::start($crate::common::Backend::Postgres).await
                {
                    body(app).await;
                }
            }
        }
    };
}
