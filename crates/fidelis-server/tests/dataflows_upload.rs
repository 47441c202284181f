//! `POST /v2/dataflows/{name}/files`: files stored in a dataflow's inbox, streamed and
//! whole, for API clients of the dataflow's org; and `serve` polling scheduled dataflows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step fails the test

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{send, Backend, TestApp, ACME_ORG};
use fidelis_connect::sources::schedule::Schedule;
use fidelis_connect::sources::{Dataflows, FileHandler};
use fidelis_domain::clock::Clock;
use fidelis_domain::connect::Dataflow;
use fidelis_server::{ConnectState, ServeOptions};
use sha2::Digest;

const CSV: &str = "Bill No,Amount,Mobile\nB1,100,6591234567\n";

fn flow(name: &str, source: &str, attribution: &str) -> Dataflow {
    Dataflow::parse(&format!(
        r#"
name = "{name}"
template = "transaction-v2-add"
[source]
{source}
[mapping]
billNumber = "Bill No"
billAmount = "Amount"
mobile = "Mobile"
[attribution]
{attribution}
"#
    ))
    .unwrap()
}

/// `bills` reads `DIR/inbox` (names `bills_*.csv`), `given` takes only handed-over files
/// (inbox `DIR/uploads/given`), `by-till` is attributed by a column.
fn dataflows(dir: &Path) -> Dataflows {
    let inbox = dir.join("inbox");
    let flows = vec![
        flow(
            "bills",
            &format!(
                "folder = \"{}\"\npattern = '^bills_.*\\.csv$'",
                inbox.display()
            ),
            "till = \"demo.till\"",
        ),
        flow("given", "", "till = \"demo.till\""),
        flow("by-till", "", "till_column = \"Till\""),
    ];
    Dataflows::new(
        flows
            .into_iter()
            .map(|f| (f, PathBuf::from("test.toml")))
            .collect(),
        &dir.join("uploads"),
    )
    .unwrap()
}

async fn start(
    backend: Backend,
    dir: &Path,
    max_upload_bytes: u64,
    schedule: Option<Schedule>,
) -> Option<TestApp> {
    let connect = ConnectState {
        dataflows: dataflows(dir),
        max_upload_bytes,
    };
    let options = ServeOptions {
        jobs: false,
        dataflows: schedule,
        ..ServeOptions::default()
    };
    TestApp::start_connected(backend, options, Default::default(), connect).await
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Runs a test body on SQLite, then on PostgreSQL when it is available.
macro_rules! upload_test {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $body(Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $body(Backend::Postgres).await;
            }
        }
    };
}

async fn an_api_client_uploads_a_file_for_the_pickup(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some(app) = start(backend, dir.path(), 1024 * 1024, None).await else {
        return;
    };
    let token = app.token("demo-key", "demo-secret").await;
    let upload = |path: &str| {
        app.http
            .post(app.url(path))
            .header("X-CAP-API-OAUTH-TOKEN", &token)
    };

    let (status, body) = send(
        upload("/v2/dataflows/bills/files?fileName=bills_1.csv")
            .header("Content-Type", "text/csv")
            .body(CSV),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["data"]["fileName"], "bills_1.csv");
    assert_eq!(body["data"]["sha256"], sha256(CSV.as_bytes()));
    assert_eq!(body["data"]["size"], CSV.len());
    let stored = dir.path().join("inbox/bills_1.csv");
    assert_eq!(std::fs::read_to_string(&stored).unwrap(), CSV);

    // A file of that name is still waiting: refused, the waiting file untouched.
    let (status, body) =
        send(upload("/v2/dataflows/bills/files?fileName=bills_1.csv").body("Bill No\nB9\n")).await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_u64()),
        (400, Some(9104)),
        "{body}"
    );
    assert_eq!(std::fs::read_to_string(&stored).unwrap(), CSV);

    // Multipart: the file part names the file.
    let form = reqwest::multipart::Form::new()
        .text("note", "ignored")
        .part(
            "file",
            reqwest::multipart::Part::text(CSV).file_name("april.csv"),
        );
    let (status, body) = send(upload("/v2/dataflows/given/files").multipart(form)).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["data"]["fileName"], "april.csv");
    let given = dir.path().join("uploads/given/april.csv");
    assert_eq!(std::fs::read_to_string(&given).unwrap(), CSV);

    // The dataflows' pickups take both files at their second poll.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let handler = recording(seen.clone());
    let pickups = app
        .state
        .connect
        .dataflows
        .pickups(&dir.path().join("staging"))
        .unwrap();
    for _ in 0..2 {
        for p in &pickups {
            p.poll(&handler).await;
        }
    }
    let mut got = seen.lock().unwrap().clone();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("april.csv".to_string(), CSV.to_string()),
            ("bills_1.csv".to_string(), CSV.to_string())
        ]
    );
    assert!(dir.path().join("inbox/processed/bills_1.csv").exists());
    assert!(dir
        .path()
        .join("uploads/given/processed/april.csv")
        .exists());
}
upload_test!(
    an_api_client_uploads_a_file_for_the_pickup_,
    an_api_client_uploads_a_file_for_the_pickup
);

async fn uploads_are_refused_with_clear_answers(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some(app) = start(backend, dir.path(), 64, None).await else {
        return;
    };
    app.apply(ACME_ORG).await;
    let token = app.token("demo-key", "demo-secret").await;
    let acme = app.token("acme-key", "acme-secret").await;
    let post = |path: &str, token: &str| {
        app.http
            .post(app.url(path))
            .header("X-CAP-API-OAUTH-TOKEN", token)
    };
    let code = |body: &serde_json::Value| body["errors"][0]["code"].as_u64();

    let (status, _) = send(
        app.http
            .post(app.url("/v2/dataflows/bills/files"))
            .body(CSV),
    )
    .await;
    assert_eq!(status, 401);
    // Tills sit in shops: they never load files.
    let (status, body) = send(
        app.till(
            reqwest::Method::POST,
            "/v2/dataflows/bills/files?fileName=bills_2.csv",
        )
        .body(CSV),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    for (path, who) in [
        ("/v2/dataflows/nope/files", &token),
        // Another org's client does not see the demo org's dataflow.
        ("/v2/dataflows/bills/files?fileName=bills_2.csv", &acme),
        // A dataflow attributed by a column names no org.
        ("/v2/dataflows/by-till/files", &token),
    ] {
        let (status, body) = send(post(path, who).body(CSV)).await;
        assert_eq!((status, code(&body)), (404, Some(9101)), "{path}: {body}");
    }
    for name in [
        "other.csv",
        ".bills_2.csv",
        "bills_2.csv.part",
        "..%2Fbills_2.csv",
    ] {
        let (status, body) = send(
            post(
                &format!("/v2/dataflows/bills/files?fileName={name}"),
                &token,
            )
            .body(CSV),
        )
        .await;
        assert_eq!((status, code(&body)), (400, Some(9102)), "{name}: {body}");
    }
    let (status, body) = send(post("/v2/dataflows/given/files", &token).body("")).await;
    assert_eq!((status, code(&body)), (400, Some(9103)), "{body}");
    let big = "x".repeat(65);
    let (status, body) = send(post("/v2/dataflows/given/files", &token).body(big.clone())).await;
    assert_eq!(status, 413, "{body}");
    // Without a length announced, the limit holds as the body streams in.
    let stream = futures::stream::iter(vec![Ok::<_, std::io::Error>(big.clone())]);
    let (status, _) =
        send(post("/v2/dataflows/given/files", &token).body(reqwest::Body::wrap_stream(stream)))
            .await;
    assert_eq!(status, 413);
    // Nothing was stored by any refused upload.
    assert!(!dir.path().join("inbox").exists());
    let left: Vec<_> = std::fs::read_dir(dir.path().join("uploads/given"))
        .map(|d| d.collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}
upload_test!(
    uploads_are_refused_with_clear_answers_,
    uploads_are_refused_with_clear_answers
);

async fn serve_runs_scheduled_dataflows(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let pickups = dataflows(dir.path())
        .pickups(&dir.path().join("staging"))
        .unwrap();
    let schedule = Schedule {
        pickups,
        handler: Arc::new(recording(seen.clone())),
        every: Duration::from_millis(100),
    };
    let Some(app) = start(backend, dir.path(), 1024, Some(schedule)).await else {
        return;
    };
    let token = app.token("demo-key", "demo-secret").await;
    let (status, body) = send(
        app.http
            .post(app.url("/v2/dataflows/bills/files?fileName=bills_9.csv"))
            .header("X-CAP-API-OAUTH-TOKEN", &token)
            .body(CSV),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let processed = dir.path().join("inbox/processed/bills_9.csv");
    let start = Instant::now();
    while !processed.exists() {
        assert!(start.elapsed() < Duration::from_secs(20), "not picked up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        seen.lock().unwrap().clone(),
        vec![("bills_9.csv".to_string(), CSV.to_string())]
    );
    // The server holds the dataflow's lease while it polls.
    let held = app
        .db
        .jobs()
        .lease(
            "connect:bills",
            "someone-else",
            app.clock.now(),
            app.clock.now(),
        )
        .await
        .unwrap();
    assert!(!held);
}
upload_test!(
    serve_runs_scheduled_dataflows_,
    serve_runs_scheduled_dataflows
);

fn recording(seen: Arc<Mutex<Vec<(String, String)>>>) -> impl FileHandler {
    move |_flow: Arc<Dataflow>, path: PathBuf| {
        let seen = seen.clone();
        async move {
            let content = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            seen.lock().unwrap().push((name, content));
            Ok(())
        }
    }
}
