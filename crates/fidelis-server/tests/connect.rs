//! Connect+ dataflows run through `fidelis_connect::run_file` against the demo org, their
//! effects read back through the HTTP API: the shipped examples, the nine date formats,
//! error files, exactly-once re-runs and the run-report API.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use fidelis_connect::{run_file, Flow, RunOptions, RunReport};
use fidelis_domain::connect::Dataflow;
use serde_json::{json, Value};

use common::TestApp;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// A scratch folder for a test's files and error files, removed with it.
struct Scratch(PathBuf);

impl Scratch {
    fn new(app: &TestApp, name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "fidelis-connect-{name}-{:?}-{}",
            app.backend,
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
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

async fn run(app: &TestApp, flow: &Flow, file: &Path, errors: &Scratch) -> RunReport {
    let opts = RunOptions {
        error_dir: Some(errors.0.clone()),
        ..RunOptions::default()
    };
    run_file(&app.state.app, flow, file, &opts)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// Runs an example dataflow on its sample file; every row must succeed.
async fn example(app: &TestApp, flow: &str, data: &str, errors: &Scratch) -> RunReport {
    let flow = Flow::load(&examples().join("dataflows").join(flow)).unwrap();
    let r = run(app, &flow, &examples().join("data").join(data), errors).await;
    assert_eq!(r.counts.failed, 0, "{flow:?}: {r:?}");
    assert_eq!(r.error_file, None);
    r
}

async fn customer_id(app: &TestApp, mobile: &str) -> i64 {
    let (status, c) = app
        .get_as_demo(&format!(
            "/v2/customers/lookup/customerDetails?source=INSTORE&identifierName=mobile&identifierValue={mobile}"
        ))
        .await;
    assert_eq!(status, 200, "{c}");
    c["id"].as_i64().unwrap_or_else(|| panic!("{c}"))
}

async fn points(app: &TestApp, mobile: &str) -> f64 {
    let id = customer_id(app, mobile).await;
    let (status, b) = app
        .get_as_demo(&format!("/v2/customers/points/balance/{id}"))
        .await;
    assert_eq!(status, 200, "{b}");
    b["totalPoints"].as_f64().unwrap_or_else(|| panic!("{b}"))
}

/// Every stored bill, by bill number, as `GET /v2/transactions/{id}` answers it (ids are
/// scanned from 1: the test database holds only this test's bills).
async fn bills(app: &TestApp) -> std::collections::HashMap<String, Value> {
    let mut out = std::collections::HashMap::new();
    let mut misses = 0;
    let mut id = 1;
    while misses < 5 {
        let (status, t) = app.get_as_demo(&format!("/v2/transactions/{id}")).await;
        if status == 200 {
            misses = 0;
            let number = t["billDetails"]["billNumber"].as_str().unwrap().to_string();
            out.insert(number, t);
        } else {
            misses += 1;
        }
        id += 1;
    }
    out
}

both_backends!(every_example_dataflow_runs_against_the_demo_org, |app| {
    let errors = Scratch::new(&app, "examples");
    let r = example(&app, "customer-v2-add.toml", "customers.csv", &errors).await;
    assert_eq!((r.counts.input, r.counts.succeeded), (4, 4));
    example(&app, "fleet-customers.toml", "fleet.csv", &errors).await;
    example(&app, "transaction-v2-add.toml", "transactions.csv", &errors).await;
    example(
        &app,
        "transaction-line-item-merge.toml",
        "line-items.csv",
        &errors,
    )
    .await;
    let r = example(
        &app,
        "transaction-v2-add-with-filter.toml",
        "transactions-filtered.csv",
        &errors,
    )
    .await;
    assert_eq!((r.counts.succeeded, r.counts.filtered), (2, 1));
    example(
        &app,
        "coupon-redeem.toml",
        "coupon-redemptions.csv",
        &errors,
    )
    .await;
    example(&app, "goodwill-points.toml", "goodwill.csv", &errors).await;

    // Customers: status label and reason, per-channel subscriptions.
    let id = customer_id(&app, "6591230003").await;
    let (_, c) = app.get_as_demo(&format!("/v2/customers/{id}")).await;
    assert_eq!(
        c["customerStatus"],
        json!({"status": "SUSPENDED", "label": "suspended-suspicious"}),
        "{c}"
    );
    let (_, log) = app
        .get_as_demo(&format!("/v2/customers/{id}/statusLog"))
        .await;
    assert_eq!(log["data"][0]["reason"], "Chargeback under review", "{log}");
    let id = customer_id(&app, "6591230002").await;
    let (_, subs) = app
        .get_as_demo(&format!("/v2/customers/{id}/subscriptions"))
        .await;
    let sub = |ch: &str, pr: &str| -> Value {
        subs["subscriptions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["channel"] == ch && s["priority"] == pr)
            .map(|s| s["type"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(sub("SMS", "BULK"), "OPTOUT", "{subs}");
    assert_eq!(sub("SMS", "TRANS"), "OPTIN", "{subs}");
    assert_eq!(sub("EMAIL", "BULK"), "OPTIN", "{subs}");

    // Fleet: both drivers under the owner.
    let (status, res) = app
        .get_as_demo("/v2/customers/bulk?source=INSTORE&associationEntityType=parentCustomer&associationEntityIdentifierType=mobile&associationEntityIdentifierValue=6591230001")
        .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["entity"]["count"], 2, "{res}");

    // Bills with their points (1 per 10 SGD), merged line items, the till from a column.
    let all = bills(&app).await;
    assert_eq!(all.len(), 4 + 2 + 2, "{:?}", all.keys());
    let merged = &all["LI-2001"];
    assert_eq!(
        merged["lineItems"].as_array().map(Vec::len),
        Some(2),
        "{merged}"
    );
    assert_eq!(
        all["RC-3003"]["billDetails"]["billingTime"],
        "2026-11-23T19:45:00+08:00"
    );
    // 120 + 42 + 200 SGD of bills (12 + 4 + 20 points) and 50 goodwill points.
    assert_eq!(points(&app, "6591230001").await, 86.0);
    // 310 + 60 + 80 SGD: 31 + 6 + 8.
    assert_eq!(points(&app, "6591230004").await, 45.0);

    // The promo code was redeemed twice.
    let (_, coupons) = app.get_as_demo("/v2/coupon?couponCodes=SUMMER22").await;
    assert_eq!(coupons["data"][0]["redemptionCount"], 2, "{coupons}");
});

/// A dataflow loading `file` of one column format into bills for the demo customer.
fn dated_flow(format: &str) -> Flow {
    let text = format!(
        "name = \"dated\"\ntemplate = \"transaction-v2-add\"\n[mapping]\nbillNumber = \"No\"\n\
         billAmount = \"Amount\"\nbillingDate = \"When\"\nmobile = \"Mobile\"\n[dates]\n\
         billingDate = \"{format}\"\n[attribution]\ntill = \"demo.till\"\n"
    );
    Flow::new(Dataflow::parse(&text).unwrap(), ".")
}

both_backends!(the_nine_date_formats_import_as_their_instants, |app| {
    let errors = Scratch::new(&app, "dates");
    example(&app, "customer-v2-add.toml", "customers.csv", &errors).await;
    // (format, value, billing time in the org's zone, Asia/Singapore)
    let cases = [
        (
            "yyyy-MM-dd HH:mm:ss",
            "2026-11-20 19:00:00",
            "2026-11-20T19:00:00+08:00",
        ),
        (
            "dd-MM-yyyy HH:mm:ss",
            "20-11-2026 19:00:00",
            "2026-11-20T19:00:00+08:00",
        ),
        (
            "dd/MM/yyyy HH:mm:ss",
            "20/11/2026 19:00:00",
            "2026-11-20T19:00:00+08:00",
        ),
        (
            "yyyy-MM-dd HH:mm:ss Z",
            "2026-11-20 11:00:00 Z",
            "2026-11-20T19:00:00+08:00",
        ),
        (
            "yyyy-MM-dd HH:mm:ssXXX",
            "2026-11-20 12:08:56.235-07:00",
            "2026-11-21T03:08:56+08:00",
        ),
        (
            "dd-MMM-yy HH:mm:ss",
            "20-Nov-26 19:00:00",
            "2026-11-20T19:00:00+08:00",
        ),
        (
            "M/D/YY HH:mm:ss",
            "11/2/26 19:00:00",
            "2026-11-02T19:00:00+08:00",
        ),
        (
            "D/M/YY HH:mm:ss",
            "2/11/26 19:00:00",
            "2026-11-02T19:00:00+08:00",
        ),
        (
            "MM/DD/YY HH:mm:ss",
            "11/20/26 07:30:00",
            "2026-11-20T07:30:00+08:00",
        ),
    ];
    for (i, (format, value, _)) in cases.iter().enumerate() {
        let file = errors.file(
            &format!("dated-{i}.csv"),
            &format!("No,Amount,When,Mobile\nDF-{i},100,{value},6591230001\n"),
        );
        let r = run(&app, &dated_flow(format), &file, &errors).await;
        assert_eq!(r.counts.succeeded, 1, "{format}: {r:?}");
    }
    let all = bills(&app).await;
    for (i, (format, _, want)) in cases.iter().enumerate() {
        let t = &all[&format!("DF-{i}")];
        assert_eq!(t["billDetails"]["billingTime"], *want, "{format}: {t}");
    }
});

both_backends!(bad_rows_go_to_the_error_file_and_come_back_fixed, |app| {
    let errors = Scratch::new(&app, "bad");
    example(&app, "customer-v2-add.toml", "customers.csv", &errors).await;
    let flow = Flow::load(&examples().join("dataflows/transaction-v2-add.toml")).unwrap();
    let file = errors.file(
        "bills.csv",
        "Bill Number,Bill Date,Amount,Mobile,Store\n\
         OK-1,2026-11-20 10:00:00,100,6591230001,orchard\n\
         BAD-1,2026-11-20 10:00:00,50,6591239999,orchard\n\
         BAD-2,2026-11-20 10:00:00,12x,6591230001,orchard\n\
         BAD-3,2026-02-30 10:00:00,60,6591230001,orchard\n\
         BAD-4,2026-11-20 10:00:00,,6591230001,orchard\n\
         OK-2,2026-11-21 10:00:00,30,6591230002,orchard\n",
    );
    let r = run(&app, &flow, &file, &errors).await;
    assert_eq!(
        (r.counts.input, r.counts.succeeded, r.counts.failed),
        (6, 2, 4),
        "{r:?}"
    );
    let codes: Vec<(&str, u64)> = r
        .counts
        .errors
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        codes,
        [
            ("601", 1),
            ("8015", 1),
            ("INVALID_DATE", 1),
            ("MANDATORY_VALUE_MISSING", 1)
        ]
    );
    assert_eq!(points(&app, "6591230001").await, 10.0);

    // The error file: the rows as read, plus code and message.
    let error_file = r.error_file.clone().unwrap();
    let text = std::fs::read_to_string(&error_file).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("Bill Number,Bill Date,Amount,Mobile,Store,error_code,error_message")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 4, "{text}");
    let row = |bill: &str| *rows.iter().find(|r| r.starts_with(bill)).unwrap();
    assert!(
        row("BAD-1").starts_with("BAD-1,2026-11-20 10:00:00,50,6591239999,orchard,8015,"),
        "{text}"
    );
    assert!(row("BAD-2").contains(",601,"), "{text}");
    assert!(row("BAD-3").contains(",INVALID_DATE,"), "{text}");
    assert!(
        row("BAD-4").contains(",MANDATORY_VALUE_MISSING,no value for billAmount"),
        "{text}"
    );

    // Corrected, the error file is fed back as it is and every row imports.
    let fixed = text
        .replace("6591239999", "6591230004")
        .replace(",12x,", ",120,")
        .replace("2026-02-30", "2026-11-19")
        .replace("10:00:00,,6591230001", "10:00:00,70,6591230001");
    let fixed_path = errors.file("bills-fixed.csv", &fixed);
    let again = run(&app, &flow, &fixed_path, &errors).await;
    assert_eq!(
        (
            again.counts.input,
            again.counts.succeeded,
            again.counts.failed
        ),
        (4, 4, 0),
        "{again:?}"
    );
    assert_eq!(again.error_file, None);
    // 100 + 120 + 60 + 70 SGD.
    assert_eq!(points(&app, "6591230001").await, 35.0);
});

both_backends!(
    a_file_run_twice_applies_each_row_once_and_reports_it,
    |app| {
        let errors = Scratch::new(&app, "twice");
        example(&app, "customer-v2-add.toml", "customers.csv", &errors).await;
        let first = example(&app, "transaction-v2-add.toml", "transactions.csv", &errors).await;
        assert_eq!((first.counts.succeeded, first.counts.skipped), (4, 0));
        let before = points(&app, "6591230001").await;
        assert_eq!(before, 16.0);
        let second = example(&app, "transaction-v2-add.toml", "transactions.csv", &errors).await;
        assert_eq!(
            (
                second.counts.succeeded,
                second.counts.skipped,
                second.counts.failed
            ),
            (0, 4, 0),
            "{second:?}"
        );
        assert_eq!(second.accuracy, 100.0);
        assert_eq!(points(&app, "6591230001").await, before);

        // A dry run counts, writes its report and changes nothing.
        let flow = Flow::load(&examples().join("dataflows/goodwill-points.toml")).unwrap();
        let opts = RunOptions {
            dry_run: true,
            error_dir: Some(errors.0.clone()),
            ..RunOptions::default()
        };
        let dry = run_file(
            &app.state.app,
            &flow,
            &examples().join("data/goodwill.csv"),
            &opts,
        )
        .await
        .unwrap();
        assert_eq!(dry.counts.succeeded, 2);
        assert_eq!(points(&app, "6591230001").await, before);

        // The reports, through the API: newest first, with their counts.
        let (status, page) = app.get_as_demo("/v2/dataflows/runs?limit=2").await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["pagination"]["total"], 4, "{page}");
        let data = page["data"].as_array().unwrap();
        assert_eq!(data.len(), 2);
        assert_eq!(data[0]["id"], dry.report_id);
        assert_eq!(data[0]["dryRun"], true);
        assert_eq!(data[1]["id"], second.report_id);
        assert_eq!(data[1]["alreadyApplied"], 4);
        assert_eq!(data[1]["fileName"], "transactions.csv");
        let (status, one) = app
            .get_as_demo(&format!("/v2/dataflows/runs/{}", first.report_id))
            .await;
        assert_eq!(status, 200, "{one}");
        let e = &one["entity"];
        assert_eq!(e["dataflow"], "demo-bills");
        assert_eq!(e["inputRows"], 4);
        assert_eq!(e["succeeded"], 4);
        assert_eq!(e["accuracy"], 100.0);
        assert_eq!(e["fileDigest"], first.digest);
        assert!(e["finishedOn"].is_string(), "{one}");
        let (status, missing) = app.get_as_demo("/v2/dataflows/runs/999999").await;
        assert_eq!(status, 404, "{missing}");
        let (status, _) = app.get_as_demo("/v2/dataflows/runs/abc").await;
        assert_eq!(status, 404);
    }
);

/// The customer's first program as `loyaltyDetails` reports it: points, tier, purchases,
/// the tier changes.
async fn standing(app: &TestApp, mobile: &str) -> Value {
    let (status, d) = app
        .get_as_demo(&format!(
            "/v2/customers/lookup/loyaltyDetails?source=INSTORE&identifierName=mobile&identifierValue={mobile}"
        ))
        .await;
    assert_eq!(status, 200, "{d}");
    let p = &d["data"][0];
    let history: Vec<Value> = p["tierHistory"]
        .as_array()
        .expect("tierHistory")
        .iter()
        .map(|c| json!([c["activity"], c["fromSlab"], c["toSlab"], c["source"]]))
        .collect();
    json!({"points": p["loyaltyPoints"], "tier": p["currentSlab"],
           "purchases": p["cumulativePurchases"], "expiring": p["totalAvailablePoints"],
           "tierHistory": history})
}

both_backends!(
    an_import_earns_what_the_same_bills_earn_through_the_api,
    |app| {
        let errors = Scratch::new(&app, "parity");
        example(&app, "customer-v2-add.toml", "customers.csv", &errors).await;
        // Through Silver (1000) and Gold (5000) within one file, a bill that earns nothing.
        let amounts = ["600", "600", "4000", "99.99", "0", "7"];
        for (i, amount) in amounts.iter().enumerate() {
            let body = json!({"type": "REGULAR", "billAmount": amount,
            "billNumber": format!("API-{i}"), "billingDate": "2026-11-20T10:00:00+08:00"});
            let (status, res) = common::send(
            app.till(
                reqwest::Method::POST,
                "/v2/transactions?source=instore&identifierName=mobile&identifierValue=6591230002",
            )
            .json(&body),
        )
        .await;
            assert_eq!(status, 200, "{res}");
        }
        let flow = dated_flow("yyyy-MM-dd HH:mm:ss");
        let mut csv = String::from("No,Amount,When,Mobile\n");
        for (i, amount) in amounts.iter().enumerate() {
            csv.push_str(&format!(
                "IMP-{i},{amount},2026-11-20 10:00:00,6591230004\n"
            ));
        }
        // The same number twice in one file: the second is the duplicate (604).
        csv.push_str("IMP-1,15,2026-11-20 11:00:00,6591230004\n");
        let r = run(&app, &flow, &errors.file("parity.csv", &csv), &errors).await;
        assert_eq!((r.counts.succeeded, r.counts.failed), (6, 1), "{r:?}");
        assert_eq!(r.counts.errors.get("604"), Some(&1), "{r:?}");

        assert_eq!(
            standing(&app, "6591230004").await,
            standing(&app, "6591230002").await
        );
        let imported = standing(&app, "6591230004").await;
        assert_eq!(imported["tier"], "Gold");
        // Both upgrades of the file are on record, each once, from a bill.
        assert_eq!(
            imported["tierHistory"],
            json!([
                ["UPGRADED", "Bronze", "Silver", "BILL"],
                ["UPGRADED", "Silver", "Gold", "BILL"]
            ]),
            "{imported}"
        );
        let all = bills(&app).await;
        for i in 0..amounts.len() {
            let (api, imported) = (&all[&format!("API-{i}")], &all[&format!("IMP-{i}")]);
            assert_eq!(api["points"], imported["points"], "{api} / {imported}");
            assert_eq!(
                api["billDetails"]["amount"],
                imported["billDetails"]["amount"]
            );
        }

        // A later file reusing a stored number inside the uniqueness window is refused too.
        let again = errors.file(
            "again.csv",
            "No,Amount,When,Mobile\nIMP-2,40,2026-11-21 10:00:00,6591230004\n\
         IMP-9,40,2026-11-21 10:00:00,6591230004\n",
        );
        let r = run(&app, &flow, &again, &errors).await;
        assert_eq!((r.counts.succeeded, r.counts.failed), (1, 1), "{r:?}");
        assert_eq!(r.counts.errors.get("604"), Some(&1), "{r:?}");

        // Outside the window (365 days) a stored number is taken over, and only there.
        let old = errors.file(
            "old.csv",
            "No,Amount,When,Mobile
IMP-3,40,2025-06-01 10:00:00,6591230004
         IMP-4,40,2026-06-01 10:00:00,6591230004
",
        );
        let r = run(&app, &flow, &old, &errors).await;
        assert_eq!((r.counts.succeeded, r.counts.failed), (1, 1), "{r:?}");
        assert_eq!(r.counts.errors.get("604"), Some(&1), "{r:?}");
        // The latest IMP-3 (the map keeps the last of a number) is the one of 2025.
        let latest = &bills(&app).await["IMP-3"];
        let when = latest["billDetails"]["billingTime"].as_str().unwrap();
        assert!(when.starts_with("2025-06-01"), "{latest}");
    }
);

both_backends!(a_batch_applied_in_parts_answers_in_the_files_order, |app| {
    // One batch of bills over three customers and an unknown one, with bad amounts
    // among them: the batch is applied in parts by customer, and yet the error file
    // lists the failed rows in the file's order and every customer earns each of
    // their good bills once.
    let errors = Scratch::new(&app, "parts");
    example(&app, "customer-v2-add.toml", "customers.csv", &errors).await;
    let flow = Flow::load(&examples().join("dataflows/transaction-v2-add.toml")).unwrap();
    let mobiles = ["6591230001", "6591230002", "6591230004", "6591239999"];
    let mut csv = String::from("Bill Number,Bill Date,Amount,Mobile,Store\n");
    let mut failed = Vec::new();
    let mut earned = std::collections::HashMap::new();
    for i in 0..40 {
        let mobile = mobiles[i % mobiles.len()];
        let amount = if i % 7 == 3 {
            "x".to_string()
        } else {
            format!("{}", 10 * (i + 1))
        };
        if amount == "x" || mobile == "6591239999" {
            failed.push(format!("P-{i}"));
        } else {
            *earned.entry(mobile).or_insert(0.0) += (i + 1) as f64;
        }
        csv.push_str(&format!(
            "P-{i},2026-11-20 10:{:02}:00,{amount},{mobile},orchard\n",
            i % 60
        ));
    }
    let file = errors.file("parts.csv", &csv);
    let r = run(&app, &flow, &file, &errors).await;
    assert_eq!(
        (r.counts.input, r.counts.failed),
        (40, failed.len() as u64),
        "{r:?}"
    );
    let text = std::fs::read_to_string(r.error_file.unwrap()).unwrap();
    let listed: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert_eq!(listed, failed, "{text}");
    for (mobile, points_earned) in earned {
        assert_eq!(points(&app, mobile).await, points_earned, "{mobile}");
    }
});
