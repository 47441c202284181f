//! The binary as an operator uses it: apply, demo, serve with graceful shutdown.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use fidelis_domain::credentials::basic_header;

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("fidelis-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn db_url(&self) -> String {
        format!("sqlite://{}/fidelis.db", self.0.display())
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fidelis(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fidelis"))
        .arg("--database")
        .arg(db)
        .args(args)
        .env_remove("FIDELIS_CONFIG")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const DEMO: &str = include_str!("../../../examples/demo-org.toml");

#[test]
fn apply_refuses_a_bad_file_naming_file_line_and_field_and_changes_nothing() {
    let s = Scratch::new("apply-bad");
    let cases = [
        (
            "tz.toml",
            DEMO.replace("Asia/Singapore", "Asia/Atlantis"),
            "org.time_zone",
        ),
        (
            "dup.toml",
            DEMO.replace("code = \"marina\"", "code = \"orchard\""),
            "stores[1].code",
        ),
        (
            "missing.toml",
            DEMO.replace("currency = \"SGD\"\n", ""),
            "currency",
        ),
    ];
    for (name, body, field) in cases {
        let path = s.file(name, &body);
        let out = fidelis(&s.db_url(), &["apply", path.to_str().unwrap()]);
        let msg = text(&out);
        assert!(!out.status.success(), "{name} should fail: {msg}");
        assert!(
            msg.contains(&format!("{}:", path.display())),
            "names the file: {msg}"
        );
        assert!(msg.contains(field), "names the field {field}: {msg}");
        assert!(msg.contains("nothing was changed"), "{msg}");
        let line_ok = msg.lines().any(|l| {
            l.starts_with(&format!("{}:", path.display()))
                && l.split(':')
                    .nth(1)
                    .is_some_and(|n| n.parse::<u32>().is_ok())
        });
        assert!(line_ok, "names the line: {msg}");
    }
    // The database has no org: a later good apply creates everything from scratch.
    let good = s.file("good.toml", DEMO);
    let out = fidelis(&s.db_url(), &["apply", good.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(" 0 updated"), "{}", text(&out));
}

#[test]
fn demo_is_idempotent() {
    let s = Scratch::new("demo");
    let first = fidelis(&s.db_url(), &["demo"]);
    assert!(first.status.success(), "{}", text(&first));
    let second = fidelis(&s.db_url(), &["demo"]);
    assert!(second.status.success());
    let out = text(&second);
    assert!(out.contains("0 created, 0 updated"), "{out}");
    assert!(out.contains("0 deactivated"), "{out}");
}

#[test]
fn unknown_database_scheme_is_a_clear_error() {
    let out = fidelis("mysql://x", &["migrate"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("unsupported database URL"),
        "{}",
        text(&out)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

fn wait_for(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if answers(url) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{url} did not come up");
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// True when a GET answers at all.
fn answers(url: &str) -> bool {
    rt().block_on(async { reqwest::get(url).await.is_ok() })
}

#[test]
fn serve_demo_answers_then_stops_gracefully_on_sigterm() {
    let s = Scratch::new("serve");
    let (api, metrics) = (free_port(), free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_fidelis"))
        .args(["--database", &s.db_url(), "serve", "--demo"])
        .args(["--listen", &format!("127.0.0.1:{api}")])
        .args(["--metrics-listen", &format!("127.0.0.1:{metrics}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    wait_for(&format!("http://127.0.0.1:{api}/health"));
    let rt = rt();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let res = client
            .get(format!("http://127.0.0.1:{api}/v1.1/organization/get.json"))
            .header("Authorization", basic_header("demo.till", "demo123"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(
            body["response"]["organization"]["timezone"],
            "Asia/Singapore"
        );
        let metrics = client
            .get(format!("http://127.0.0.1:{metrics}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(metrics.contains("fidelis_http_requests_total"), "{metrics}");
        let doc: serde_json::Value = client
            .get(format!("http://127.0.0.1:{api}/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(doc["paths"]["/v3/oauth/token/generate"]["post"].is_object());
    });
    let pid = server.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            assert!(status.success(), "exit after SIGTERM: {status}");
            break;
        }
        assert!(Instant::now() < deadline, "did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(Path::new(&s.0.join("fidelis.db")).exists());
}
