//! A browser without script, for the console's tests: keeps cookies, follows no
//! redirects (so each answer can be checked), signs in through the form.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{send, TestApp};

/// A cookie-keeping client that does not follow redirects, so each answer can be checked.
pub struct Agent<'a> {
    pub app: &'a TestApp,
    pub http: reqwest::Client,
    pub cookies: HashMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl<'a> Agent<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            app,
            http,
            cookies: HashMap::new(),
        }
    }

    pub async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let req = if cookie.is_empty() {
            req
        } else {
            req.header(COOKIE, cookie.join("; "))
        };
        let res = req.send().await.unwrap();
        let set_cookies: Vec<String> = res
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        for c in &set_cookies {
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        Page {
            status: res.status(),
            location: res
                .headers()
                .get(LOCATION)
                .map(|v| v.to_str().unwrap().to_string()),
            set_cookies,
            body: res.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(self.app.url(path));
        self.send(req).await
    }

    pub async fn search(&mut self, q: &str) -> Page {
        let req = self
            .http
            .get(self.app.url("/console/search"))
            .query(&[("q", q)]);
        self.send(req).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let req = self.http.post(self.app.url(path)).form(form);
        self.send(req).await
    }

    /// Signs in through the form; the answer to the form's POST.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/console/login").await;
        assert_eq!(form.status, 200, "{}", form.body);
        let csrf = hidden(&form.body, "csrf");
        self.post(
            "/console/login",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }
}

/// The value of the hidden field `name` of a page's form.
pub fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field in {body}"))
        + marker.len();
    body[start..].split('"').next().unwrap().to_string()
}

/// Registers a customer (mobile, and a DEMOCARD card `card` with external id `EXT-card`).
pub async fn register(
    app: &TestApp,
    first: &str,
    last: &str,
    mobile: &str,
    card: Option<&str>,
) -> i64 {
    let mut identifiers = vec![json!({"type": "mobile", "value": mobile})];
    if let Some(c) = card {
        identifiers.push(
            json!({"type": "cardnumber", "value": c, "seriesCode": "DEMOCARD",
            "statusLabel": "ACTIVE", "cardExternalId": format!("EXT-{c}")}),
        );
    }
    let body = json!({"profiles": [{"firstName": first, "lastName": last, "source": "INSTORE",
        "identifiers": identifiers}]});
    let (status, res) = send(app.till(Method::POST, "/v2/customers").json(&body)).await;
    assert_eq!(status, 200, "{res}");
    res["createdId"].as_i64().unwrap()
}

impl Page {
    /// Asserts the page issued a session cookie with the console's attributes.
    pub fn assert_session_cookie(&self) {
        let session = self
            .set_cookies
            .iter()
            .find(|c| c.starts_with("fidelis_console="))
            .expect("a session cookie");
        for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
            assert!(session.contains(attribute), "{session} lacks {attribute}");
        }
    }
}
