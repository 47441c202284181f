//! The Member Care console in a real browser: headless Chromium driven over WebDriver
//! (chromedriver, started here on a free port) against the app served over HTTP on
//! 127.0.0.1. An agent signs in through the form, finds a customer by card, opens the
//! partner panel's <details>, reads interactions in the org's zone while the process runs
//! in Asia/Kolkata, files goodwill through a card; an admin approves it and the points show;
//! incentives are looked up. Each page visited is saved as a PNG under docs/console/.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Once;
use std::time::Duration;

use common::console::register;
use common::incentives::{issue, series_id};
use common::{send, Backend, TestApp};
use reqwest::Method;
use serde_json::json;
use thirtyfour::prelude::*;
use thirtyfour::ChromiumLikeCapabilities;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// The server process runs in India; the console must still show the org's Singapore times.
/// Set once, before anything in this process reads the local zone.
fn run_in_kolkata() {
    static TZ: Once = Once::new();
    TZ.call_once(|| std::env::set_var("TZ", "Asia/Kolkata"));
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn sqlite() {
    run_in_kolkata();
    runtime().block_on(async {
        let app = TestApp::start(Backend::Sqlite).await.unwrap();
        scenario(app).await;
    });
}

#[test]
fn postgres() {
    run_in_kolkata();
    runtime().block_on(async {
        if let Some(app) = TestApp::start(Backend::Postgres).await {
            scenario(app).await;
        }
    });
}

/// chromedriver in a process group of its own, with the Chromium it starts; the group is
/// killed when this is dropped, also when a test fails half-way.
struct Browser {
    driver: Option<WebDriver>,
    chromedriver: std::process::Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start() -> Self {
        for binary in [CHROMEDRIVER, CHROMIUM] {
            assert!(
                Path::new(binary).exists(),
                "{binary} is missing: the browser tests need Debian's `chromium` and \
                 `chromium-driver` packages (.ci/run installs them)"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let chromedriver = {
            use std::os::unix::process::CommandExt;
            std::process::Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("chromedriver starts")
        };
        let url = format!("http://127.0.0.1:{port}");
        let mut up = false;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let mut browser = Self {
            driver: None,
            chromedriver,
            _profile: profile,
        };
        assert!(up, "chromedriver did not listen on {url}");
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(CHROMIUM).unwrap();
        let user_data = format!("--user-data-dir={}", browser._profile.path().display());
        // Without the background-networking flags Chromium's own connections are refused
        // on a closed network and slow everything down.
        for arg in [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            &user_data,
        ] {
            caps.add_arg(arg).unwrap();
        }
        let driver = WebDriver::new(url, caps).await.expect("a Chromium session");
        driver.set_window_rect(0, 0, 1200, 900).await.unwrap();
        browser.driver = Some(driver);
        browser
    }

    fn web(&self) -> &WebDriver {
        self.driver.as_ref().unwrap()
    }

    async fn quit(mut self) {
        if let Some(driver) = self.driver.take() {
            driver.quit().await.unwrap();
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole group: chromedriver and the Chromium processes it started.
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.chromedriver.id())])
            .status();
        let _ = self.chromedriver.wait();
    }
}

/// Where the screenshots go: docs/console/ of the repository.
fn shots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/console")
}

/// Saves the browser's viewport as docs/console/<name>.png (written whole, then renamed,
/// so two runs at once never leave half a file).
async fn shot(web: &WebDriver, name: &str) {
    let png = web.screenshot_as_png().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    let dir = shots_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let tmp = tempfile::NamedTempFile::new_in(&dir).unwrap();
    std::fs::write(tmp.path(), &png).unwrap();
    // Readable by all, like the other files of the repository (a temp file is private).
    std::fs::set_permissions(
        tmp.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    tmp.persist(dir.join(format!("{name}.png"))).unwrap();
}

/// The visible text of the page's <main>.
async fn main_text(web: &WebDriver) -> String {
    web.find(By::Tag("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn assert_shows(web: &WebDriver, texts: &[&str]) {
    let text = main_text(web).await;
    for t in texts {
        assert!(text.contains(t), "{t:?} not shown: {text}");
    }
}

async fn path_of(web: &WebDriver) -> String {
    let url = web.current_url().await.unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

/// Clicks a button that loads a new page and waits until the old page is gone.
async fn click_to_load(web: &WebDriver, button: WebElement) {
    let old = web.find(By::Tag("html")).await.unwrap();
    button.click().await.unwrap();
    old.wait_until().stale().await.expect("a new page");
}

/// Fills the sign-in form and submits it; lands on the search page.
async fn sign_in(app: &TestApp, web: &WebDriver, email: &str, password: &str, name: &str) {
    web.goto(app.url("/console/login")).await.unwrap();
    web.find(By::Id("email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    web.find(By::Id("password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    shot(web, "login").await;
    let button = web.find(By::Css("main button[type=submit]")).await.unwrap();
    click_to_load(web, button).await;
    // The session cookie (Secure, SameSite=Strict) was kept over http://127.0.0.1: the
    // search page opens and names the signed-in staff member.
    assert_eq!(path_of(web).await, "/console/search");
    let header = web
        .find(By::Tag("header"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(header.contains(name), "{header}");
}

async fn sign_out(web: &WebDriver) {
    let button = web
        .find(By::XPath("//header//button[normalize-space(.)='Sign out']"))
        .await
        .unwrap();
    click_to_load(web, button).await;
    assert_eq!(path_of(web).await, "/console/login");
}

/// Types into a form's field and submits the form with its button.
async fn submit(web: &WebDriver, field: &str, value: &str, button: &str) {
    let input = web.find(By::Id(field)).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(value).await.unwrap();
    let button = web
        .find(By::XPath(format!(
            "//main//button[normalize-space(.)='{button}']"
        )))
        .await
        .unwrap();
    click_to_load(web, button).await;
}

async fn scenario(app: TestApp) {
    // The process zone really is India's, so "+08:00" below comes from the org's zone.
    assert_eq!(
        jiff::tz::TimeZone::system().iana_name(),
        Some("Asia/Kolkata")
    );
    let id = register(&app, "Bea", "Browser", "6591130001", Some("DEMO9001")).await;
    let link = json!({"linkCustomers": [{"customer": {"mobile": "6591130001"},
        "linkToPartnerPrograms": [{"partnerProgramName": "Demo Plus", "customerPartnerReference":
            {"partnerMembershipId": "DP-9001", "partnerTierName": "Plus"}}]}]});
    let (status, res) = send(
        app.till(Method::POST, "/v2/partnerProgram/linkCustomer")
            .json(&link),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(
        res["linkCustomers"][0]["linkToPartnerPrograms"][0]["partnerLinkStatus"]["code"], 200,
        "{res}"
    );
    let sms = json!({"root": {"sms": [{"to": "6591130001", "body": "Your parcel is ready",
        "scheduled_time": ""}]}});
    let (status, res) = send(
        app.till(Method::POST, "/v1.1/communications/sms?format=json")
            .json(&sms),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    let coupon = issue(&app, series_id(&app, "WELCOME10").await, id).await;
    let voucher = issue(&app, series_id(&app, "GV50").await, id).await;

    let browser = Browser::start().await;
    let web = browser.web();

    // 1. An agent signs in through the form.
    sign_in(
        &app,
        web,
        "agent@demo-retail.example",
        "demo-agent-pw",
        "(Standard)",
    )
    .await;

    // 2. Search by card number opens the customer.
    submit(web, "q", "DEMO9001", "Search").await;
    assert_eq!(path_of(web).await, format!("/console/customers/{id}"));
    let h1 = web.find(By::Tag("h1")).await.unwrap().text().await.unwrap();
    assert_eq!(h1, "Bea Browser");
    assert_shows(web, &["DEMO9001", "Demo Rewards", "Asia/Singapore"]).await;
    shot(web, "customer").await;

    // 3. The partner panel: Demo Plus listed; its details open on a click of the summary.
    let row = web
        .find(By::XPath("//tr[td[1]='Demo Plus']"))
        .await
        .unwrap();
    let row_text = row.text().await.unwrap();
    for t in ["DP-9001", "Plus", "2027-11-25 23:59 +08:00", "Active"] {
        assert!(row_text.contains(t), "{t}: {row_text}");
    }
    let more = row.find(By::XPath(".//details[1]")).await.unwrap();
    let details = more.find(By::Tag("dl")).await.unwrap();
    assert!(!details.is_displayed().await.unwrap(), "closed at first");
    more.find(By::Tag("summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(details.is_displayed().await.unwrap());
    let text = details.text().await.unwrap();
    for t in [
        "Supplementary",
        "2026-11-25 12:00 +08:00",
        "2027-11-25 23:59 +08:00",
        "JOINED",
    ] {
        assert!(text.contains(t), "{t}: {text}");
    }
    let history = row.find(By::XPath(".//details[2]")).await.unwrap();
    let table = history.find(By::Tag("table")).await.unwrap();
    assert!(!table.is_displayed().await.unwrap(), "closed at first");
    history
        .find(By::Tag("summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(table.is_displayed().await.unwrap());
    let text = table.text().await.unwrap();
    assert!(
        text.contains("2026-11-25 12:00 +08:00 JOINED Plus"),
        "{text}"
    );
    web.find(By::Id("partner-programs"))
        .await
        .unwrap()
        .scroll_into_view()
        .await
        .unwrap();
    shot(web, "partner-panel").await;

    // 4. Interactions: the SMS at 12:00 Singapore time (04:00Z), not India's 09:30.
    let heading = web.find(By::Id("interactions")).await.unwrap();
    heading.scroll_into_view().await.unwrap();
    let table = heading
        .find(By::XPath("following-sibling::table[1]"))
        .await
        .unwrap();
    let text = table.text().await.unwrap();
    for t in [
        "2026-11-25 12:00 +08:00",
        "Your parcel is ready",
        "6591130001",
    ] {
        assert!(text.contains(t), "{t}: {text}");
    }
    assert!(!text.contains("+05:30"), "{text}");
    shot(web, "interactions").await;

    // 5. Goodwill through the card: its program is pre-selected; 800 points wait for a checker.
    web.goto(app.url("/console/goodwill")).await.unwrap();
    submit(web, "q", "DEMO9001", "Find").await;
    let selected = web
        .find(By::Css("#program option:checked"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(selected, "Demo Rewards");
    assert_shows(web, &["Bea Browser", "DEMO9001", "EXT-DEMO9001", "ACTIVE"]).await;
    web.find(By::Id("points"))
        .await
        .unwrap()
        .send_keys("800")
        .await
        .unwrap();
    web.find(By::Id("reason"))
        .await
        .unwrap()
        .send_keys("Service recovery")
        .await
        .unwrap();
    web.find(By::Id("comments"))
        .await
        .unwrap()
        .send_keys("parcel was late")
        .await
        .unwrap();
    shot(web, "goodwill").await;
    let button = web
        .find(By::XPath(
            "//main//button[normalize-space(.)='File goodwill request']",
        ))
        .await
        .unwrap();
    click_to_load(web, button).await;
    assert_shows(web, &["PENDING", "Bea Browser", "Demo Rewards", "800"]).await;
    sign_out(web).await;

    // An admin approves it in the queue; the points show on the customer page.
    sign_in(
        &app,
        web,
        "admin@demo-retail.example",
        "demo-admin-pw",
        "(Org Owner)",
    )
    .await;
    web.goto(app.url("/console/goodwill/requests"))
        .await
        .unwrap();
    let row = web
        .find(By::XPath("//tr[td[contains(., 'parcel was late')]]"))
        .await
        .unwrap();
    let text = row.text().await.unwrap();
    for t in [
        "Bea Browser",
        "Demo Rewards",
        "800",
        "agent@demo-retail.example",
    ] {
        assert!(text.contains(t), "{t}: {text}");
    }
    shot(web, "goodwill-queue").await;
    let button = row
        .find(By::XPath(
            ".//button[starts-with(normalize-space(.), 'Approve')]",
        ))
        .await
        .unwrap();
    click_to_load(web, button).await;
    assert!(path_of(web)
        .await
        .starts_with("/console/goodwill/requests?approved="));
    assert!(!main_text(web).await.contains("parcel was late"));
    let link = web
        .find(By::XPath(format!("//a[@href='/console/customers/{id}']")))
        .await;
    assert!(link.is_err(), "the queue still links the customer");
    web.goto(app.url(&format!("/console/customers/{id}")))
        .await
        .unwrap();
    let points = web
        .find(By::XPath("//tr[td[1]='Demo Rewards']/td[5]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(points, "800");
    let goodwill = web
        .find(By::XPath(
            "//h2[@id='goodwill']/following-sibling::table[1]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for t in ["APPROVED", "admin@demo-retail.example"] {
        assert!(goodwill.contains(t), "{t}: {goodwill}");
    }

    // 6. Incentives: the issued coupon, the promo code, the gift voucher, an invalid code.
    web.goto(app.url("/console/incentives")).await.unwrap();
    submit(web, "code", &coupon, "Search").await;
    assert_shows(web, &["Coupon", "WELCOME10", "Bea Browser", "+08:00"]).await;
    shot(web, "incentives").await;
    submit(web, "code", "SUMMER22", "Search").await;
    assert_shows(
        web,
        &["Promo code", "Summer: 5 SGD off", "unlimited", "2099-12-31"],
    )
    .await;
    submit(web, "code", &voucher, "Search").await;
    assert_shows(web, &["Gift voucher", "GV50", "SGD 50 of 50"]).await;
    submit(web, "code", "invalid", "Search").await;
    assert_shows(web, &["is invalid"]).await;
    assert!(!main_text(web).await.contains("Redemptions left"));

    // An admin page.
    web.goto(app.url("/console/admin/staff")).await.unwrap();
    assert_shows(web, &["agent@demo-retail.example", "Org Owner", "Standard"]).await;
    shot(web, "admin-staff").await;

    browser.quit().await;
}
