//! Delivery through real gateways started by the tests: the `file:` adapter, Kannel's
//! HTTP `sendsms` (bearerbox + smsbox from Debian's `kannel`, with a generic HTTP SMSC
//! whose requests the test captures) and an SMTP server (Debian's `python3-aiosmtpd`,
//! writing a Maildir). `.ci/run` installs both.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use common::{send, Backend, TestApp};
use fidelis_app::comms::{Delivery, DeliveryReport};
use fidelis_server::ServeOptions;
use reqwest::Method;
use serde_json::{json, Value};

const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "fidelis-{name}-{}-{:x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn wait_for_port(port: u16, what: &str) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not start listening on port {port}");
}

/// A child process killed (by its own pid) when the test ends.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(program: &str, args: &[&str], hint: &str) -> Peer {
    match Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => Peer(c),
        Err(e) => panic!("cannot start {program} ({e}); install it: {hint}"),
    }
}

/// An SMTP server writing what it receives to a Maildir.
struct Smtpd {
    _peer: Peer,
    maildir: PathBuf,
}

impl Smtpd {
    async fn start(port: u16) -> Self {
        let maildir = temp_dir("maildir").join("mail");
        let listen = format!("127.0.0.1:{port}");
        let peer = spawn(
            "/usr/bin/python3",
            &[
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &listen,
                "-c",
                "aiosmtpd.handlers.Mailbox",
                maildir.to_str().unwrap(),
            ],
            "apt-get install python3-aiosmtpd",
        );
        wait_for_port(port, "aiosmtpd").await;
        Self {
            _peer: peer,
            maildir,
        }
    }

    fn messages(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = std::fs::read_dir(self.maildir.join("new"))
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        out.sort();
        out
    }

    async fn wait_for(&self, n: usize) -> Vec<PathBuf> {
        for _ in 0..200 {
            if self.messages().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.messages()
    }
}

/// A received message as Python's email package decodes it: headers and every leaf part
/// with its content type, file name and decoded bytes (base64 here).
fn parse_mime(path: &Path) -> Value {
    let script = r#"
import base64, email, json, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
parts = [{"type": p.get_content_type(), "name": p.get_filename(),
          "data": base64.b64encode(p.get_payload(decode=True) or b"").decode()}
         for p in m.walk() if not p.is_multipart()]
print(json.dumps({"from": m["From"], "to": m["To"], "cc": m["Cc"], "bcc": m["Bcc"],
                  "subject": m["Subject"], "message_id": m["Message-ID"], "parts": parts}))
"#;
    let out = Command::new("/usr/bin/python3")
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Kannel: bearerbox with a generic HTTP SMSC that forwards each message to a capture
/// server in the test, and smsbox with the `sendsms` interface. For messages to a phone
/// the generic SMSC's `%P` is the sender and `%p` the receiver.
struct Kannel {
    _bearerbox: Peer,
    _smsbox: Peer,
    _dir: PathBuf,
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<HashMap<String, String>>>>);

impl Captured {
    /// A server that records each request Kannel's SMSC makes and accepts it.
    async fn serve(&self) -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = self.clone();
        let app = axum::Router::new().route(
            "/send",
            axum::routing::get(
                move |axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>| {
                    let seen = seen.clone();
                    async move {
                        seen.0.lock().unwrap().push(q);
                        (axum::http::StatusCode::ACCEPTED, "Sent.")
                    }
                },
            ),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        port
    }

    fn all(&self) -> Vec<HashMap<String, String>> {
        self.0.lock().unwrap().clone()
    }

    async fn wait_for(&self, n: usize) -> Vec<HashMap<String, String>> {
        for _ in 0..400 {
            if self.all().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.all()
    }
}

impl Kannel {
    /// Starts Kannel with its sendsms interface on `sendsms_port`, forwarding to `capture`.
    async fn start(sendsms_port: u16, capture: u16) -> Self {
        let dir = temp_dir("kannel");
        let (admin, smsbox, mo) = (free_port(), free_port(), free_port());
        let conf = format!(
            r#"group = core
admin-port = {admin}
admin-password = secret
admin-allow-ip = "127.0.0.1"
smsbox-port = {smsbox}
box-allow-ip = "127.0.0.1"
log-file = "{dir}/bearerbox.log"
log-level = 1

group = smsc
smsc = http
smsc-id = capture
system-type = generic
send-url = "http://127.0.0.1:{capture}/send?from=%P&to=%p&text=%b"
status-success-regex = "Sent"
port = {mo}
connect-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = {sendsms_port}
log-file = "{dir}/smsbox.log"
log-level = 1

group = sendsms-user
username = fidelis
password = fidelis-pw
"#,
            dir = dir.display()
        );
        let path = dir.join("kannel.conf");
        std::fs::write(&path, conf).unwrap();
        let hint = "apt-get install kannel";
        let bearerbox = spawn("/usr/sbin/bearerbox", &[path.to_str().unwrap()], hint);
        wait_for_port(smsbox, "bearerbox").await;
        let smsbox_peer = spawn("/usr/sbin/smsbox", &[path.to_str().unwrap()], hint);
        wait_for_port(sendsms_port, "smsbox").await;
        Self {
            _bearerbox: bearerbox,
            _smsbox: smsbox_peer,
            _dir: dir,
        }
    }
}

async fn start(backend: Backend, delivery: Delivery) -> Option<TestApp> {
    let options = ServeOptions {
        jobs: false,
        ..ServeOptions::default()
    };
    TestApp::start_delivering(backend, options, delivery).await
}

/// Runs one async test body against SQLite and PostgreSQL with delivery through the
/// gateways `$delivery` (an expression over the test's `$ports`) builds.
macro_rules! with_gateways {
    ($name:ident, |$app:ident, $ctx:ident| $setup:block, $body:block) => {
        mod $name {
            use super::*;

            async fn run(backend: Backend) {
                #[allow(unused_mut)]
                let mut $ctx = $setup;
                let Some($app) = start(backend, $ctx.delivery()).await else {
                    return;
                };
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(Backend::Postgres).await;
            }
        }
    };
}

async fn send_sms(app: &TestApp, to: &str, body: &str, sender: Option<&str>) -> i64 {
    let mut item = json!({"to": to, "body": body});
    if let Some(s) = sender {
        item["sender"] = json!(s);
    }
    let (status, res) = send(
        app.till(Method::POST, "/v1.1/communications/sms")
            .json(&json!({"root": {"sms": [item]}})),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    res["response"]["sms"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn sms_status(app: &TestApp, id: i64) -> Value {
    let (status, res) = app
        .get_as_demo(&format!("/v1.1/communications/sms?id={id}"))
        .await;
    assert_eq!(status, 200, "{res}");
    res["response"]["sms"].clone()
}

async fn deliver(app: &TestApp) -> DeliveryReport {
    app.state
        .app
        .comms()
        .deliver_due("test-worker")
        .await
        .unwrap()
}

struct FileSetup {
    dir: PathBuf,
}

impl FileSetup {
    fn new() -> Self {
        Self {
            dir: temp_dir("sms-file"),
        }
    }
    fn path(&self) -> PathBuf {
        self.dir.join("sms.jsonl")
    }
    fn delivery(&self) -> Delivery {
        Delivery {
            sms: Some(
                fidelis_comms::sms_gateway(&format!("file:{}", self.path().display())).unwrap(),
            ),
            ..Delivery::default()
        }
    }
    fn lines(&self) -> Vec<Value> {
        std::fs::read_to_string(self.path())
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

with_gateways!(
    file_adapter_sends_from_the_ou_sender_exactly_once,
    |app, setup| { FileSetup::new() },
    {
        let (status, res) = send(app.till(Method::POST, "/v2/customers").json(
            &json!({"profiles": [{"firstName": "Ann", "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": "6591231001"}]}]}),
        ))
        .await;
        assert_eq!(status, 200, "{res}");
        let customer = res["createdId"].as_i64().unwrap();
        let fashion = send_sms(&app, "6591231001", "From fashion", Some("DEMOFSH")).await;
        let unknown = send_sms(&app, "6591231001", "From nowhere", Some("NOSUCH")).await;
        let none = send_sms(&app, "6591231001", "From the org", None).await;
        // Queued until the worker runs.
        assert!(setup.lines().is_empty());
        let report = deliver(&app).await;
        assert_eq!((report.attempted, report.sent), (3, 3), "{report:?}");
        let lines = setup.lines();
        assert_eq!(lines.len(), 3, "{lines:?}");
        let by_id: HashMap<i64, &Value> = lines
            .iter()
            .map(|l| (l["id"].as_i64().unwrap(), l))
            .collect();
        assert_eq!(by_id[&fashion]["sender"], "DEMOFSH");
        assert_eq!(by_id[&unknown]["sender"], "DEMORTL");
        assert_eq!(by_id[&none]["sender"], "DEMORTL");
        assert_eq!(by_id[&fashion]["org"], "demo");
        assert_eq!(by_id[&fashion]["to"], "6591231001");
        assert_eq!(by_id[&fashion]["body"], "From fashion");
        let got = sms_status(&app, fashion).await;
        assert_eq!(got["status"], "Delivered");
        assert_eq!(got["sent_time"], "2026-11-25 12:00:00");
        // Nothing is sent twice.
        app.clock.advance(jiff::SignedDuration::from_secs(3600));
        assert_eq!(deliver(&app).await.attempted, 0);
        assert_eq!(setup.lines().len(), 3);
        // The customer's interactions show them delivered, in Singapore time.
        let (status, page) = app
            .get_as_demo(&format!("/v2/customers/{customer}/interactions"))
            .await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["pagination"]["total"], 3);
        assert_eq!(page["data"][0]["status"], "Delivered");
        assert_eq!(page["data"][0]["deliveredOn"], "2026-11-25T12:00:00+08:00");
        std::fs::remove_dir_all(&setup.dir).unwrap();
    }
);

with_gateways!(
    two_workers_never_send_one_message_twice,
    |app, setup| { FileSetup::new() },
    {
        let mut ids = Vec::new();
        for i in 0..30 {
            ids.push(send_sms(&app, "6591231003", &format!("Message {i}"), None).await);
        }
        // Two servers' workers at once over the same outbox.
        let worker = |holder: &'static str| {
            let app = app.state.app.clone();
            tokio::spawn(async move { app.comms().deliver_due(holder).await })
        };
        let (a, b) = tokio::join!(worker("server-a"), worker("server-b"));
        let (a, b) = (a.unwrap().unwrap(), b.unwrap().unwrap());
        // Each pass leases at most 20; whatever is left goes in the next pass.
        let rest = deliver(&app).await;
        assert_eq!(a.sent + b.sent + rest.sent, 30, "{a:?} {b:?} {rest:?}");
        let lines = setup.lines();
        let mut seen: Vec<i64> = lines.iter().map(|l| l["id"].as_i64().unwrap()).collect();
        seen.sort();
        assert_eq!(seen, ids, "every message exactly once");
        std::fs::remove_dir_all(&setup.dir).unwrap();
    }
);

struct KannelSetup {
    sendsms: u16,
    captured: Captured,
    kannel: Option<Kannel>,
}

impl KannelSetup {
    fn new() -> Self {
        Self {
            sendsms: free_port(),
            captured: Captured::default(),
            kannel: None,
        }
    }
    fn delivery(&self) -> Delivery {
        let url = format!("kannel://fidelis:fidelis-pw@127.0.0.1:{}", self.sendsms);
        Delivery {
            sms: Some(fidelis_comms::sms_gateway(&url).unwrap()),
            ..Delivery::default()
        }
    }
    async fn start(&mut self) {
        let capture = self.captured.serve().await;
        self.kannel = Some(Kannel::start(self.sendsms, capture).await);
    }
}

with_gateways!(
    kannel_sends_from_the_ou_sender_and_a_stopped_gateway_keeps_messages_queued,
    |app, setup| { KannelSetup::new() },
    {
        let fashion = send_sms(&app, "6591231002", "Kannel fashion", Some("DEMOFSH")).await;
        let unknown = send_sms(&app, "6591231002", "Kannel unknown", Some("NOSUCH")).await;
        let none = send_sms(&app, "6591231002", "Kannel default", None).await;
        // Kannel is not running yet: every attempt fails, the messages stay queued.
        let report = deliver(&app).await;
        assert_eq!(
            (report.attempted, report.retrying, report.sent),
            (3, 3, 0),
            "{report:?}"
        );
        let got = sms_status(&app, fashion).await;
        assert_eq!(got["status"], "Queued");
        // Not again before the backoff has passed.
        assert_eq!(deliver(&app).await.attempted, 0);
        setup.start().await;
        app.clock.advance(jiff::SignedDuration::from_secs(31));
        let report = deliver(&app).await;
        assert_eq!((report.attempted, report.sent), (3, 3), "{report:?}");
        assert_eq!(sms_status(&app, fashion).await["status"], "Sent");
        let seen = setup.captured.wait_for(3).await;
        let from_of = |text: &str| {
            let hits: Vec<_> = seen
                .iter()
                .filter(|q| q.get("text").map(String::as_str) == Some(text))
                .collect();
            assert_eq!(hits.len(), 1, "{text}: {seen:?}");
            (hits[0]["from"].clone(), hits[0]["to"].clone())
        };
        assert_eq!(
            from_of("Kannel fashion"),
            ("DEMOFSH".to_string(), "6591231002".to_string())
        );
        assert_eq!(from_of("Kannel unknown").0, "DEMORTL");
        assert_eq!(from_of("Kannel default").0, "DEMORTL");
        // Exactly once: later passes send nothing more.
        app.clock.advance(jiff::SignedDuration::from_secs(3600));
        assert_eq!(deliver(&app).await.attempted, 0);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(setup.captured.all().len(), 3);
        let _ = (unknown, none);
    }
);

struct SmtpSetup {
    port: u16,
    server: Option<Smtpd>,
}

impl SmtpSetup {
    fn new() -> Self {
        Self {
            port: free_port(),
            server: None,
        }
    }
    fn delivery(&self) -> Delivery {
        let url = format!("smtp://127.0.0.1:{}", self.port);
        Delivery {
            email: Some(fidelis_comms::email_gateway(&url).unwrap()),
            ..Delivery::default()
        }
    }
}

with_gateways!(
    a_base64_png_reaches_a_real_smtp_server_exactly_once,
    |app, setup| { SmtpSetup::new() },
    {
        let body = json!({"root": {"email": [{
            "to": "tom.sawyer@example.com",
            "cc": "cashier1@example.com",
            "bcc": "storemanager@example.com",
            "subject": "Your receipt",
            "body": "Dear Tom,\nthanks for visiting.",
            "attachments": {"attachment": [{"file_name": "logo.png", "file_type": "png", "file_data": PNG, "file_encoding_type": "base64"}]}
        }]}});
        let (status, res) = send(
            app.till(Method::POST, "/v1.1/communications/email")
                .json(&body),
        )
        .await;
        assert_eq!(status, 200, "{res}");
        let id = res["response"]["email"]["id"].as_str().unwrap().to_string();
        // The SMTP server is down: the email stays queued.
        let report = deliver(&app).await;
        assert_eq!((report.attempted, report.retrying), (1, 1), "{report:?}");
        let (_, res) = app
            .get_as_demo(&format!("/v1.1/communications/email?id={id}"))
            .await;
        assert_eq!(res["response"]["email"]["status"], "Queued");
        setup.server = Some(Smtpd::start(setup.port).await);
        app.clock.advance(jiff::SignedDuration::from_secs(31));
        let report = deliver(&app).await;
        assert_eq!((report.attempted, report.sent), (1, 1), "{report:?}");
        let smtpd = setup.server.as_ref().unwrap();
        let received = smtpd.wait_for(1).await;
        assert_eq!(received.len(), 1);
        let mail = parse_mime(&received[0]);
        // The display name may be quoted; the address is the org default's.
        let from = mail["from"].as_str().unwrap();
        assert!(
            from.contains("Demo Retail") && from.ends_with("<noreply@demo-retail.example>"),
            "{from}"
        );
        assert_eq!(mail["to"], "tom.sawyer@example.com");
        assert_eq!(mail["cc"], "cashier1@example.com");
        assert_eq!(mail["bcc"], Value::Null);
        assert_eq!(mail["subject"], "Your receipt");
        assert_eq!(
            mail["message_id"],
            format!("<fidelis.demo.{id}@demo-retail.example>")
        );
        let parts = mail["parts"].as_array().unwrap();
        let png = parts
            .iter()
            .find(|p| p["name"] == "logo.png")
            .expect("the attachment");
        assert_eq!(png["type"], "image/png");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png["data"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            bytes,
            base64::engine::general_purpose::STANDARD
                .decode(PNG)
                .unwrap()
        );
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let text = parts.iter().find(|p| p["type"] == "text/plain").unwrap();
        let text = base64::engine::general_purpose::STANDARD
            .decode(text["data"].as_str().unwrap())
            .unwrap();
        assert!(String::from_utf8(text)
            .unwrap()
            .contains("thanks for visiting"));
        let (_, res) = app
            .get_as_demo(&format!("/v1.1/communications/email?id={id}"))
            .await;
        assert_eq!(res["response"]["email"]["status"], "Sent");
        assert_eq!(res["response"]["email"]["sent_time"], "2026-11-25 12:00:31");
        // Exactly once.
        app.clock.advance(jiff::SignedDuration::from_secs(3600));
        assert_eq!(deliver(&app).await.attempted, 0);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(smtpd.messages().len(), 1);
    }
);
