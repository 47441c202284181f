//! Delivery by the real binary: a `serve` killed mid-delivery and restarted sends every
//! message exactly once, and interactions show the org's offset whatever `TZ` says.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::BufRead;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fidelis_domain::credentials::basic_header;
use serde_json::{json, Value};

const LEASE_SECONDS: u64 = 8;

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
        let _ = self.0.wait();
    }
}

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn serve(dir: &PathBuf, api: u16, sms_url: &str, log: &str) -> Server {
    let log = std::fs::File::create(dir.join(log)).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_fidelis"))
        .current_dir(dir)
        .args([
            "--database",
            &format!("sqlite://{}/fidelis.db", dir.display()),
            "serve",
            "--demo",
        ])
        .args(["--listen", &format!("127.0.0.1:{api}")])
        .args(["--metrics-listen", &format!("127.0.0.1:{}", free_port())])
        .env_remove("FIDELIS_CONFIG")
        .env_remove("FIDELIS_SMTP_URL")
        .env("FIDELIS_SMS_URL", sms_url)
        .env("FIDELIS_COMMS_LEASE_SECONDS", LEASE_SECONDS.to_string())
        .env("TZ", "Asia/Kolkata")
        .env("FIDELIS_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", api)).is_err() {
        assert!(Instant::now() < deadline, "serve did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

struct Api {
    base: String,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

impl Api {
    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", basic_header("demo.till", "demo123"));
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.rt.block_on(async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json().await.unwrap_or(Value::Null))
        })
    }
}

/// When the first request reached the gateway, and its request line.
type FirstRequest = Arc<Mutex<Option<(Instant, String)>>>;

/// A gateway that accepts connections and never answers: a delivery in flight. It records
/// when the first request came and its request line (which message it carries).
fn hanging_gateway() -> (u16, FirstRequest) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let first = Arc::new(Mutex::new(None));
    let seen = first.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            let mut line = String::new();
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = std::io::BufReader::new(&stream).read_line(&mut line);
            seen.lock().unwrap().get_or_insert((Instant::now(), line));
            held.push(stream);
        }
    });
    (port, first)
}

fn lines(path: &PathBuf) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn killed_mid_delivery_then_restarted_sends_each_message_once_in_org_time() {
    let dir = std::env::temp_dir().join(format!("fidelis-cli-comms-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let scratch = Scratch(dir.clone());
    let api_port = free_port();
    let api = Api {
        base: format!("http://127.0.0.1:{api_port}"),
        // No kept-alive connections: the server behind the port is replaced.
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap(),
        rt: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
    };
    let (hang, first_call) = hanging_gateway();

    // The first server delivers through a gateway that hangs.
    let mut first = serve(
        &dir,
        api_port,
        &format!("kannel://u:p@127.0.0.1:{hang}"),
        "first.log",
    );
    let (status, res) = api.call(reqwest::Method::POST, "/v2/customers", Some(json!({"profiles": [{"firstName": "Kim", "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": "6591239100"}, {"type": "email", "value": "kim@example.com"}]}]})));
    assert_eq!(status, 200, "{res}");
    let customer = res["createdId"].as_i64().unwrap();
    let mut ids = Vec::new();
    for sender in [json!("DEMOFSH"), Value::Null] {
        let (status, res) = api.call(reqwest::Method::POST, "/v1.1/communications/sms",
            Some(json!({"root": {"sms": [{"to": "6591239100", "body": "Your parcel is here", "sender": sender}]}})));
        assert_eq!(status, 200, "{res}");
        ids.push(
            res["response"]["sms"]["id"]
                .as_str()
                .unwrap()
                .parse::<i64>()
                .unwrap(),
        );
    }
    let (status, res) = api.call(reqwest::Method::POST, "/v1.1/communications/email",
        Some(json!({"root": {"email": [{"to": "kim@example.com", "subject": "Welcome", "body": "Hello Kim"}]}})));
    assert_eq!(status, 200, "{res}");
    let email_id = res["response"]["email"]["id"].as_str().unwrap().to_string();

    // Wait until a delivery is in flight, then kill the server.
    let deadline = Instant::now() + Duration::from_secs(20);
    let (leased_at, request_line) = loop {
        if let Some(first) = first_call.lock().unwrap().clone() {
            break first;
        }
        assert!(Instant::now() < deadline, "no delivery started");
        std::thread::sleep(Duration::from_millis(20));
    };
    first.0.kill().unwrap();
    first.0.wait().unwrap();

    // The restarted server delivers to a file.
    let sms_file = dir.join("sms.jsonl");
    let second = serve(
        &dir,
        api_port,
        &format!("file:{}", sms_file.display()),
        "second.log",
    );
    // The dead server's lease still holds: the message it was delivering is not sent again
    // before the lease lapses. (A message queued after its worker took its batch was never
    // leased and may go at once.)
    let in_flight = if request_line.contains("DEMOFSH") {
        ids[0]
    } else {
        ids[1]
    };
    if leased_at.elapsed() < Duration::from_secs(LEASE_SECONDS - 2) {
        std::thread::sleep(Duration::from_millis(1500));
        let early: Vec<i64> = lines(&sms_file)
            .iter()
            .filter_map(|l| l["id"].as_i64())
            .collect();
        assert!(
            !early.contains(&in_flight),
            "sent while another server's lease held: {early:?} ({request_line})"
        );
        let (_, res) = api.call(
            reqwest::Method::GET,
            &format!("/v1.1/communications/sms?id={in_flight}"),
            None,
        );
        assert_eq!(res["response"]["sms"]["status"], "Queued", "{res}");
    }
    let deadline = Instant::now() + Duration::from_secs(LEASE_SECONDS + 20);
    while lines(&sms_file).len() < 2 {
        assert!(
            Instant::now() < deadline,
            "not delivered after the lease lapsed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // A few more worker passes: still exactly one line per message.
    std::thread::sleep(Duration::from_millis(2500));
    let sent = lines(&sms_file);
    assert_eq!(sent.len(), 2, "{sent:?}");
    let mut got: Vec<(i64, String)> = sent
        .iter()
        .map(|l| {
            (
                l["id"].as_i64().unwrap(),
                l["sender"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (ids[0], "DEMOFSH".to_string()),
            (ids[1], "DEMORTL".to_string())
        ]
    );
    for id in &ids {
        let (_, res) = api.call(
            reqwest::Method::GET,
            &format!("/v1.1/communications/sms?id={id}"),
            None,
        );
        assert_eq!(res["response"]["sms"]["status"], "Delivered", "{res}");
    }

    // The demo has no SMTP server: the email is logged and stays queued.
    let (_, res) = api.call(
        reqwest::Method::GET,
        &format!("/v1.1/communications/email?id={email_id}"),
        None,
    );
    assert_eq!(res["response"]["email"]["status"], "Queued", "{res}");
    let log = std::fs::read_to_string(dir.join("second.log")).unwrap();
    assert!(log.contains("no SMTP server configured"), "{log}");

    // Interactions in Singapore time although the server runs with TZ=Asia/Kolkata.
    let (status, page) = api.call(
        reqwest::Method::GET,
        &format!("/v2/customers/{customer}/interactions"),
        None,
    );
    assert_eq!(status, 200, "{page}");
    let data = page["data"].as_array().unwrap();
    assert_eq!(data.len(), 3, "{page}");
    let channels: Vec<&str> = data
        .iter()
        .map(|d| d["channel"].as_str().unwrap())
        .collect();
    assert!(
        channels.contains(&"SMS") && channels.contains(&"EMAIL"),
        "{channels:?}"
    );
    for d in data {
        assert!(d["createdOn"].as_str().unwrap().ends_with("+08:00"), "{d}");
        if d["channel"] == "SMS" {
            assert!(
                d["deliveredOn"].as_str().unwrap().ends_with("+08:00"),
                "{d}"
            );
        }
    }
    let (status, res) = api.call(
        reqwest::Method::GET,
        "/v1.1/customer/interaction?mobile=6591239100",
        None,
    );
    assert_eq!(status, 200, "{res}");
    for kind in res["response"]["customer"]["interactions"]["network"][0]["interaction"]
        .as_array()
        .unwrap()
    {
        for m in kind["messages"]["message"].as_array().unwrap() {
            assert!(m["sent_at"].as_str().unwrap().ends_with("+08:00"), "{m}");
        }
    }
    drop(second);
    drop(scratch);
}
