//! `fidelis serve` with scheduled dataflows, as an operator runs it: a file dropped into a
//! dataflow's folder is picked up, run through the runner, moved to processed, and its
//! customers answer through the API.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fidelis_domain::credentials::basic_header;
use fidelis_store::Backend;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn a_dropped_file_is_run_and_moved_to_processed(backend: Backend) {
    let Some(tdb) = fidelis_store::testing::fresh(backend).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let flows = dir.path().join("dataflows");
    std::fs::create_dir_all(flows.join("inbox")).unwrap();
    // The example customer dataflow, reading the folder `inbox` next to it.
    let flow = std::fs::read_to_string(examples().join("dataflows/customer-v2-add.toml"))
        .unwrap()
        .replace(
            "errors = \"../errors\"",
            "folder = \"inbox\"\nprocessed = \"inbox/processed\"\nerrors = \"errors\"",
        );
    std::fs::write(flows.join("customers.toml"), flow).unwrap();
    let config = dir.path().join("fidelis.toml");
    std::fs::write(
        &config,
        format!(
            "[connect]\ndataflows = \"{}\"\nuploads = \"{}\"\nstaging = \"{}\"\npoll_seconds = 1\n",
            flows.display(),
            dir.path().join("uploads").display(),
            dir.path().join("staging").display()
        ),
    )
    .unwrap();
    let (api, metrics) = (free_port(), free_port());
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_fidelis"))
            .arg("--config")
            .arg(&config)
            .args(["--database", &tdb.url, "serve", "--demo"])
            .args(["--listen", &format!("127.0.0.1:{api}")])
            .args(["--metrics-listen", &format!("127.0.0.1:{metrics}")])
            .env_remove("FIDELIS_CONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );

    // Dropped whole (written aside, then renamed in), as a careful sender does.
    let part = flows.join("inbox/customers.csv.part");
    std::fs::copy(examples().join("data/customers.csv"), &part).unwrap();
    std::fs::rename(&part, flows.join("inbox/customers.csv")).unwrap();

    let processed = flows.join("inbox/processed/customers.csv");
    let start = Instant::now();
    while !processed.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the file was not processed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(!flows.join("inbox/customers.csv").exists());

    // Its customers are there through the API, and the run's report counts every row.
    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        async move {
            let res: serde_json::Value = http
                .get(format!("http://127.0.0.1:{api}{path}"))
                .header("Authorization", basic_header("demo.till", "demo123"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            res
        }
    };
    let found = get(
        "/v2/customers/lookup?source=INSTORE&identifierName=mobile&identifierValue=6591230001"
            .into(),
    )
    .await;
    let id = found["entity"]
        .as_i64()
        .unwrap_or_else(|| panic!("{found}"));
    let customer = get(format!("/v2/customers/{id}?source=INSTORE")).await;
    assert_eq!(customer["profiles"][0]["firstName"], "Wei", "{customer}");
    let runs = get("/v2/dataflows/runs".into()).await;
    let run = &runs["data"][0];
    assert_eq!(run["dataflow"], "demo-customers", "{runs}");
    assert_eq!(run["fileName"], "customers.csv", "{runs}");
    assert_eq!(run["failed"], 0, "{runs}");
    assert_eq!(run["succeeded"], run["inputRows"], "{runs}");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_file_is_run_and_moved_to_processed_sqlite() {
    a_dropped_file_is_run_and_moved_to_processed(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_file_is_run_and_moved_to_processed_postgres() {
    a_dropped_file_is_run_and_moved_to_processed(Backend::Postgres).await;
}
