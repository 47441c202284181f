//! Partner and supplementary programs (spec §8): link, tier updates and delink of the demo
//! org's `SkyMiles` and `Demo Plus`, the activity history, `linkedPartnerPrograms` in
//! customer reads, the membership-end job, documented error codes, concurrency and tenant
//! isolation.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{send, TestApp};
use fidelis_app::jobs::{run, JobRun, MembershipEndReport, PartnerMembershipEnd};
use reqwest::Method;
use serde_json::{json, Value};

const LINK: &str = "/v2/partnerProgram/linkCustomer";
const UPDATE: &str = "/v2/partnerProgram/customerPartnerProgramUpdate";
const DELINK: &str = "/v2/partnerProgram/deLinkCustomer";

async fn register(app: &TestApp, mobile: &str) -> i64 {
    let body = json!({"profiles": [{"firstName": "Ada", "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": mobile}]}]});
    let (status, res) = send(app.till(Method::POST, "/v2/customers").json(&body)).await;
    assert_eq!(status, 200, "{res}");
    res["createdId"].as_i64().expect("createdId")
}

async fn post(app: &TestApp, path: &str, body: &Value) -> (u16, Value) {
    send(app.till(Method::POST, path).json(body)).await
}

/// The id of a partner program of the demo org, from `GET /v2/organization/programs`.
async fn partner_id(app: &TestApp, name: &str) -> i64 {
    let (status, res) = app.get_as_demo("/v2/organization/programs").await;
    assert_eq!(status, 200, "{res}");
    res["data"][0]["partnerPrograms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["partnerProgramName"] == name)
        .and_then(|p| p["partnerProgramId"].as_i64())
        .expect("partner program")
}

fn link_body(mobile: &str, program: &str, reference: Value) -> Value {
    json!({"linkCustomers": [{
        "customer": {"mobile": mobile, "email": "", "externalId": ""},
        "linkToPartnerPrograms": [{"partnerProgramName": program, "customerPartnerReference": reference}],
    }]})
}

fn update_body(mobile: &str, program: &str, kind: &str, details: Value) -> Value {
    json!({"customersPartnerUpdates": [{
        "customer": {"mobile": mobile},
        "partnerProgramUpdates": [{"partnerProgramName": program, "updateType": kind, "updateDetails": details}],
    }]})
}

fn delink_body(mobile: &str, program: &str) -> Value {
    json!({"deLinkCustomers": [{
        "customer": {"mobile": mobile},
        "deLinkFromPartnerPrograms": [{"partnerProgramName": program}],
    }]})
}

/// The per-program status of the first item of a batch response.
fn program_status<'a>(res: &'a Value, items: &str, programs: &str, status: &str) -> &'a Value {
    &res[items][0][programs][0][status]
}

async fn link(app: &TestApp, mobile: &str, program: &str, reference: Value) -> (u16, Value) {
    let (status, res) = post(app, LINK, &link_body(mobile, program, reference)).await;
    (
        status,
        program_status(
            &res,
            "linkCustomers",
            "linkToPartnerPrograms",
            "partnerLinkStatus",
        )
        .clone(),
    )
}

async fn update(app: &TestApp, mobile: &str, program: &str, kind: &str, details: Value) -> Value {
    let (_, res) = post(app, UPDATE, &update_body(mobile, program, kind, details)).await;
    let s = program_status(
        &res,
        "customersPartnerUpdates",
        "partnerProgramUpdates",
        "updateStatus",
    );
    assert!(s.is_object(), "{res}");
    s.clone()
}

async fn delink(app: &TestApp, mobile: &str, program: &str) -> Value {
    let (_, res) = post(app, DELINK, &delink_body(mobile, program)).await;
    let s = program_status(
        &res,
        "deLinkCustomers",
        "deLinkFromPartnerPrograms",
        "partnerDeLinkStatus",
    );
    assert!(s.is_object(), "{res}");
    s.clone()
}

fn ok() -> Value {
    json!({"status": true, "message": "Success", "code": 200})
}

async fn linked(app: &TestApp, id: i64) -> Vec<Value> {
    let (status, c) = app.get_as_demo(&format!("/v2/customers/{id}")).await;
    assert_eq!(status, 200, "{c}");
    c["loyaltyProgramDetails"][0]["linkedPartnerPrograms"]
        .as_array()
        .expect("linkedPartnerPrograms")
        .clone()
}

fn history_path(mobile: &str, program_id: i64, extra: &str) -> String {
    format!(
        "/v2/partnerProgram/customerActivityHistory?source=INSTORE&identifierName=mobile\
         &identifierValue={mobile}&partnerProgramId={program_id}{extra}"
    )
}

fn activities(h: &Value) -> Vec<(String, String)> {
    h["customerActivityHistory"]
        .as_array()
        .expect("customerActivityHistory")
        .iter()
        .map(|a| {
            (
                a["activityType"].as_str().unwrap().to_string(),
                a["activityDate"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn day() -> jiff::SignedDuration {
    jiff::SignedDuration::from_hours(24)
}

both_backends!(skymiles_link_update_delink_and_history, |app| {
    let mobile = "6591240001";
    let id = register(&app, mobile).await;
    let sky = partner_id(&app, "SkyMiles").await;

    // Link as in Capillary's sample: mobile plus empty email/externalId, tier and expiry.
    let (status, res) = post(
        &app,
        LINK,
        &link_body(
            mobile,
            "SkyMiles",
            json!({"partnerMembershipId": "SM-1", "partnerTierName": "silver",
                   "partnerTierExpiryDate": "2027-06-30T23:59:59+08:00"}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    let item = &res["linkCustomers"][0];
    assert_eq!(item["customer"]["id"], id, "{res}");
    assert_eq!(
        item["customer"]["status"],
        json!({"status": true, "message": "Customer successfully retrieved", "code": 1000})
    );
    assert_eq!(
        item["linkToPartnerPrograms"][0],
        json!({"partnerProgramName": "SkyMiles", "partnerLinkStatus": ok()})
    );
    assert_eq!(res["warnings"], json!([]));

    // Customer reads list the current membership in each loyaltyProgramDetails entry.
    let l = linked(&app, id).await;
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!(
        l[0],
        json!({
            "partnerProgramId": sky,
            "partnerProgramName": "SkyMiles",
            "partnerProgramDescription": l[0]["partnerProgramDescription"].clone(),
            "partnerTierNumber": 2,
            "partnerTierName": "Silver",
            "partnerTierExpiryDate": "2027-06-30T23:59:59+08:00",
            "partnerMembershipId": "SM-1",
            "partnerProgramType": "EXTERNAL",
            "tierBased": true,
        })
    );
    let (status, details) = app
        .get_as_demo(&format!("/v2/customers/{id}/loyaltyDetails"))
        .await;
    assert_eq!(status, 200, "{details}");
    assert_eq!(
        details["data"][0]["linkedPartnerPrograms"][0]["partnerMembershipId"],
        "SM-1"
    );

    // One step a day: upgrade (the sample's UPGRADE), renew, downgrade (the sample sends
    // the mobile as a number), delink.
    app.clock.advance(day());
    let s = update(
        &app,
        mobile,
        "SkyMiles",
        "UPGRADE",
        json!({"updatedTierName": "Gold", "updatedTierExpiryDate": "2027-12-31T23:59:59+08:00"}),
    )
    .await;
    assert_eq!(s, ok());
    app.clock.advance(day());
    let s = update(
        &app,
        mobile,
        "SkyMiles",
        "RENEW",
        json!({"updatedTierExpiryDate": "2028-12-31"}),
    )
    .await;
    assert_eq!(s, ok());
    assert_eq!(
        linked(&app, id).await[0]["partnerTierExpiryDate"],
        "2028-12-31T23:59:59+08:00"
    );
    app.clock.advance(day());
    let (status, res) = post(
        &app,
        UPDATE,
        &json!({"customersPartnerUpdates": [{
            "customer": {"mobile": 6591240001_i64},
            "partnerProgramUpdates": [{"partnerProgramName": "SkyMiles", "updateType": "DOWNGRADE",
                "updateDetails": {"updatedTierName": "Blue"}}],
        }]}),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(
        res["customersPartnerUpdates"][0]["partnerProgramUpdates"][0],
        json!({"partnerProgramName": "SkyMiles", "updateType": "DOWNGRADE", "updateStatus": ok()})
    );
    let l = linked(&app, id).await;
    assert_eq!(
        (&l[0]["partnerTierName"], &l[0]["partnerTierNumber"]),
        (&json!("Blue"), &json!(1))
    );
    app.clock.advance(day());
    assert_eq!(delink(&app, mobile, "SkyMiles").await, ok());
    // Ended memberships are not shown.
    assert_eq!(linked(&app, id).await, Vec::<Value>::new());

    let (status, h) = app
        .get_as_demo(&history_path(mobile, sky, "&activityType=linkingUpdates"))
        .await;
    assert_eq!(status, 200, "{h}");
    assert_eq!(
        activities(&h),
        [
            ("JOINED", "2026-11-25T12:00:00+08:00"),
            ("UPGRADED", "2026-11-26T12:00:00+08:00"),
            ("RENEWED", "2026-11-27T12:00:00+08:00"),
            ("DOWNGRADED", "2026-11-28T12:00:00+08:00"),
            ("DELINKED", "2026-11-29T12:00:00+08:00"),
        ]
        .map(|(a, d)| (a.to_string(), d.to_string()))
    );
    assert_eq!(h["customerActivityHistory"][1]["partnerTierName"], "Gold");
    let d = &h["partnerProgramDetails"];
    assert_eq!(d["partnerProgramId"], sky);
    assert_eq!(d["partnerProgramName"], "SkyMiles");
    assert_eq!(d["partnerProgramType"], "EXTERNAL");
    assert_eq!(d["partnerMembershipId"], "SM-1");
    assert_eq!(d["partnerTierNumber"], 1);
    assert_eq!(d["partnerTierName"], "Blue");
    assert_eq!(d["partnerTierExpiryDate"], "2028-12-31T23:59:59+08:00");
    assert_eq!(
        d["partnerProgramMembershipStartDate"],
        "2026-11-25T12:00:00+08:00"
    );
    assert_eq!(
        d["partnerProgramMembershipEndDate"],
        "2026-11-29T12:00:00+08:00"
    );
    assert_eq!(
        d["partnerProgramMembershipLastUpdatedDate"],
        "2026-11-29T12:00:00+08:00"
    );
    assert_eq!(d["partnerProgramMembershipLastUpdatedActivity"], "DELINKED");
    assert_eq!(d["tierBased"], true);
    assert_eq!(d["benefitsSummary"], json!([]));
    assert!(h["uniqueId"].as_str().is_some_and(|u| !u.is_empty()), "{h}");

    // A window (org-local times, as in the documented sample) narrows the history.
    let (status, h) = app
        .get_as_demo(&history_path(
            mobile,
            sky,
            "&activityType=linkingUpdates&startDate=2026-11-26+00:00:00&endDate=2026-11-27+23:59:59",
        ))
        .await;
    assert_eq!(status, 200, "{h}");
    let kinds: Vec<String> = activities(&h).into_iter().map(|a| a.0).collect();
    assert_eq!(kinds, ["UPGRADED", "RENEWED"]);
    // External programs have a (for now empty) benefits history.
    let (status, h) = app
        .get_as_demo(&history_path(mobile, sky, "&activityType=benefitsAvailed"))
        .await;
    assert_eq!(status, 200, "{h}");
    assert_eq!(h["customerActivityHistory"], json!([]));

    // Delinked members can be linked again; the history keeps the old membership.
    let (status, s) = link(
        &app,
        mobile,
        "SkyMiles",
        json!({"partnerMembershipId": "SM-2", "partnerTierName": "Gold"}),
    )
    .await;
    assert_eq!((status, &s), (200, &ok()));
    let l = linked(&app, id).await;
    assert_eq!(l[0]["partnerMembershipId"], "SM-2");
    assert_eq!(l[0]["partnerTierExpiryDate"], Value::Null);
    let (_, h) = app.get_as_demo(&history_path(mobile, sky, "")).await;
    assert_eq!(activities(&h).len(), 6, "{h}");
    assert_eq!(
        h["partnerProgramDetails"]["partnerProgramMembershipEndDate"],
        Value::Null
    );
});

both_backends!(
    demo_plus_runs_twelve_months_and_the_end_job_ends_it,
    |app| {
        let mobile = "6591240002";
        let id = register(&app, mobile).await;
        let plus = partner_id(&app, "Demo Plus").await;
        let (status, s) = link(
            &app,
            mobile,
            "Demo Plus",
            json!({"partnerMembershipId": "DP-1", "partnerTierName": "Plus"}),
        )
        .await;
        assert_eq!((status, &s), (200, &ok()));
        // Linked 2026-11-25 (SGT): the membership lasts 12 months, to the end of that day.
        let l = linked(&app, id).await;
        assert_eq!(l[0]["partnerTierExpiryDate"], "2027-11-25T23:59:59+08:00");
        assert_eq!(l[0]["partnerProgramType"], "SUPPLEMENTARY");
        let (_, h) = app.get_as_demo(&history_path(mobile, plus, "")).await;
        let d = &h["partnerProgramDetails"];
        assert_eq!(
            d["partnerProgramMembershipEndDate"],
            "2027-11-25T23:59:59+08:00"
        );
        assert_eq!(d["partnerProgramMembershipLastUpdatedActivity"], "JOINED");
        // Supplementary memberships carry no benefits.
        let (status, res) = app
            .get_as_demo(&history_path(mobile, plus, "&activityType=benefitsAvailed"))
            .await;
        assert_eq!(
            (status, res["errors"][0]["code"].as_i64()),
            (400, Some(2018)),
            "{res}"
        );

        // Nothing is due yet; through the last second of the expiry day still nothing.
        assert_eq!(
            run(&app.state.app, &PartnerMembershipEnd, "a")
                .await
                .unwrap(),
            JobRun::Ran(MembershipEndReport { orgs: 1, ended: 0 })
        );
        app.clock.set("2027-11-25T15:59:59Z".parse().unwrap());
        assert_eq!(
            run(&app.state.app, &PartnerMembershipEnd, "a")
                .await
                .unwrap(),
            JobRun::Ran(MembershipEndReport { orgs: 1, ended: 0 })
        );
        assert_eq!(linked(&app, id).await.len(), 1);
        // A day later (late, as a job may be) it ends, dated at the expiry itself.
        app.clock.set("2027-11-26T16:00:00Z".parse().unwrap());
        assert_eq!(
            run(&app.state.app, &PartnerMembershipEnd, "a")
                .await
                .unwrap(),
            JobRun::Ran(MembershipEndReport { orgs: 1, ended: 1 })
        );
        // A second server is kept out while the lease lives; a second run changes nothing.
        assert_eq!(
            run(&app.state.app, &PartnerMembershipEnd, "b")
                .await
                .unwrap(),
            JobRun::Skipped
        );
        assert_eq!(
            run(&app.state.app, &PartnerMembershipEnd, "a")
                .await
                .unwrap(),
            JobRun::Ran(MembershipEndReport { orgs: 1, ended: 0 })
        );
        let (_, h) = app.get_as_demo(&history_path(mobile, plus, "")).await;
        assert_eq!(
            activities(&h),
            [
                ("JOINED", "2026-11-25T12:00:00+08:00"),
                ("EXPIRED", "2027-11-25T23:59:59+08:00"),
            ]
            .map(|(a, d)| (a.to_string(), d.to_string()))
        );
        let d = &h["partnerProgramDetails"];
        assert_eq!(d["partnerProgramMembershipLastUpdatedActivity"], "EXPIRED");
        assert_eq!(
            d["partnerProgramMembershipLastUpdatedDate"],
            "2027-11-25T23:59:59+08:00"
        );
        assert_eq!(
            d["partnerProgramMembershipEndDate"],
            "2027-11-25T23:59:59+08:00"
        );
        assert_eq!(linked(&app, id).await, Vec::<Value>::new());
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM loyalty_partner_activities WHERE activity = 'EXPIRED'",
        )
        .fetch_one(app.db.reader())
        .await
        .unwrap();
        assert_eq!(n, 1);

        // An ended membership cannot be renewed, but the member can join again.
        let s = update(&app, mobile, "Demo Plus", "RENEW", json!({})).await;
        assert_eq!(s["code"], 2004, "{s}");
        let (status, s) = link(
            &app,
            mobile,
            "Demo Plus",
            json!({"partnerMembershipId": "DP-2", "partnerTierName": "Plus"}),
        )
        .await;
        assert_eq!((status, &s), (200, &ok()));
        assert_eq!(
            linked(&app, id).await[0]["partnerTierExpiryDate"],
            "2028-11-27T23:59:59+08:00"
        );
    }
);

both_backends!(partner_errors_get_documented_codes, |app| {
    let mobile = "6591240003";
    register(&app, mobile).await;
    let sky = partner_id(&app, "SkyMiles").await;
    let silver = || json!({"partnerMembershipId": "SM-9", "partnerTierName": "Silver"});

    // 2004: update or delink before linking. A failed item makes the batch HTTP 201.
    let (status, res) = post(
        &app,
        UPDATE,
        &update_body(
            mobile,
            "SkyMiles",
            "UPGRADE",
            json!({"updatedTierName": "Gold"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{res}");
    assert_eq!(
        res["customersPartnerUpdates"][0]["customer"]["status"]["code"],
        1000
    );
    assert_eq!(
        res["customersPartnerUpdates"][0]["partnerProgramUpdates"][0]["updateStatus"]["code"], 2004,
        "{res}"
    );
    assert_eq!(delink(&app, mobile, "SkyMiles").await["code"], 2004);
    // 2006 unknown program, 2007 unknown tier, 2003 expiry already past (yesterday, SGT),
    // 2002 no membership id.
    assert_eq!(
        link(&app, mobile, "AirMiles", silver()).await.1["code"],
        2006
    );
    let (_, s) = link(
        &app,
        mobile,
        "SkyMiles",
        json!({"partnerMembershipId": "SM-9", "partnerTierName": "Platinum"}),
    )
    .await;
    assert_eq!(s["code"], 2007, "{s}");
    let (_, s) = link(
        &app,
        mobile,
        "SkyMiles",
        json!({"partnerMembershipId": "SM-9", "partnerTierName": "Blue",
               "partnerTierExpiryDate": "2026-11-24T23:59:59+08:00"}),
    )
    .await;
    assert_eq!(s["code"], 2003, "{s}");
    let (_, s) = link(&app, mobile, "SkyMiles", json!({"partnerTierName": "Blue"})).await;
    assert_eq!(s["code"], 2002, "{s}");
    let (_, s) = link(
        &app,
        mobile,
        "SkyMiles",
        json!({"partnerMembershipId": "SM-9", "partnerTierName": "Blue",
               "partnerTierExpiryDate": "next tuesday"}),
    )
    .await;
    assert_eq!(s["code"], 400, "{s}");
    // 2005: already linked.
    let (status, s) = link(&app, mobile, "SkyMiles", silver()).await;
    assert_eq!((status, &s), (200, &ok()));
    let (status, s) = link(&app, mobile, "SkyMiles", silver()).await;
    assert_eq!((status, s["code"].as_i64()), (201, Some(2005)));
    // 2009: an update type that is unknown or does not fit the tier; 2002 without a tier.
    let s = update(
        &app,
        mobile,
        "SkyMiles",
        "SIDEGRADE",
        json!({"updatedTierName": "Gold"}),
    )
    .await;
    assert_eq!(s["code"], 2009);
    let s = update(
        &app,
        mobile,
        "SkyMiles",
        "UPGRADE",
        json!({"updatedTierName": "Blue"}),
    )
    .await;
    assert_eq!(s["code"], 2009);
    let s = update(&app, mobile, "SkyMiles", "DOWNGRADE", json!({})).await;
    assert_eq!(s["code"], 2002);
    // 2008: more than 50 programs in one item; nothing is linked.
    let programs: Vec<Value> = (0..51)
        .map(|_| {
            json!({"partnerProgramName": "Demo Plus",
            "customerPartnerReference": {"partnerMembershipId": "DP-9", "partnerTierName": "Plus"}})
        })
        .collect();
    let (status, res) = post(
        &app,
        LINK,
        &json!({"linkCustomers": [{"customer": {"mobile": mobile}, "linkToPartnerPrograms": programs}]}),
    )
    .await;
    assert_eq!(status, 201, "{res}");
    assert_eq!(
        res["linkCustomers"][0]["customer"]["status"]["code"], 2008,
        "{res}"
    );
    let (_, h) = app.get_as_demo(&history_path(mobile, sky, "")).await;
    assert_eq!(activities(&h).len(), 1, "{h}");
    // Unknown customers (8015), customers not enrolled in loyalty (2005).
    let (status, res) = post(&app, LINK, &link_body("6591249999", "SkyMiles", silver())).await;
    assert_eq!(status, 201, "{res}");
    assert_eq!(
        res["linkCustomers"][0]["customer"]["status"]["code"], 8015,
        "{res}"
    );
    assert_eq!(
        res["linkCustomers"][0]["linkToPartnerPrograms"][0]["partnerLinkStatus"]["status"],
        false
    );
    let body = json!({"loyaltyInfo": {"loyaltyType": "non_loyalty"}, "profiles": [{"source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": "6591240004"}]}]});
    let (status, res) = post(&app, "/v2/customers", &body).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(
        link(&app, "6591240004", "SkyMiles", silver()).await.1["code"],
        2005
    );
    // Request-level errors: no customers (400), more than 100 (1060), wrong shape (400).
    for (body, code) in [
        (json!({"linkCustomers": []}), 400),
        (json!({}), 400),
        (json!({"linkCustomers": {"customer": {}}}), 400),
        (
            json!({"linkCustomers": vec![json!({"customer": {"mobile": mobile}}); 101]}),
            1060,
        ),
    ] {
        let (status, res) = post(&app, LINK, &body).await;
        assert_eq!(
            (status, res["errors"][0]["code"].as_i64()),
            (400, Some(code)),
            "{res}"
        );
    }

    // History: 2013 for a year or more, 2014 for an unknown activity type, 2006 for an
    // unknown program, 2002 without one, 2011 for a program never linked, 8015 customer.
    let cases = [
        (
            history_path(mobile, sky, "&startDate=2026-01-01+00:00:00&endDate=2027-01-01+00:00:00"),
            400,
            2013,
        ),
        (
            history_path(mobile, sky, "&startDate=2026-01-01&endDate=2026-12-31"),
            200,
            0,
        ),
        (history_path(mobile, sky, "&activityType=everything"), 400, 2014),
        (history_path(mobile, 999_999, ""), 404, 2006),
        (
            "/v2/partnerProgram/customerActivityHistory?source=INSTORE&identifierName=mobile&identifierValue=6591240003"
                .to_string(),
            400,
            2002,
        ),
        (
            history_path(mobile, partner_id(&app, "Demo Plus").await, ""),
            404,
            2011,
        ),
        (history_path("6591249999", sky, ""), 404, 8015),
        (history_path(mobile, sky, "&startDate=someday"), 400, 400),
    ];
    for (path, status, code) in cases {
        let (s, res) = app.get_as_demo(&path).await;
        assert_eq!(s, status, "{path}: {res}");
        if code != 0 {
            assert_eq!(res["errors"][0]["code"], code, "{path}: {res}");
        }
    }
});

both_backends!(concurrent_links_of_one_member_succeed_once, |app| {
    let mobile = "6591240005";
    register(&app, mobile).await;
    let body = link_body(
        mobile,
        "SkyMiles",
        json!({"partnerMembershipId": "SM-R", "partnerTierName": "Blue"}),
    );
    let mut tasks = Vec::new();
    for _ in 0..12 {
        tasks.push(tokio::spawn(send(app.till(Method::POST, LINK).json(&body))));
    }
    let mut codes = Vec::new();
    for t in tasks {
        let (status, res) = t.await.unwrap();
        assert!(status == 200 || status == 201, "{status} {res}");
        codes.push(
            program_status(
                &res,
                "linkCustomers",
                "linkToPartnerPrograms",
                "partnerLinkStatus",
            )["code"]
                .as_i64()
                .unwrap(),
        );
    }
    codes.sort_unstable();
    let mut expected = vec![200];
    expected.extend(std::iter::repeat_n(2005, 11));
    expected.sort_unstable();
    assert_eq!(codes, expected);
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM loyalty_partner_activities")
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert_eq!(n, 1);
});

const ACME_ORG: &str = r#"
[org]
code = "acme"
name = "Acme"
time_zone = "UTC"
currency = "USD"
country = "SG"

[[concepts]]
code = "main"
name = "Main"

[[stores]]
code = "dt"
name = "Downtown"
concept = "main"

[[tills]]
code = "acme.till"
store = "dt"
password = "acme-pw"

[[loyalty.programs]]
name = "Acme Points"
kind = "DEFAULT"
earn = { points = 1, per_amount = 1, rounding = "DOWN", precision = 0 }
expiry = { type = "NEVER" }

[[loyalty.programs]]
name = "SkyMiles"
kind = "EXTERNAL"
partner_tiers = ["Blue", "Silver", "Gold"]
exchange_rate = 1
"#;

both_backends!(other_orgs_cannot_see_or_link_partner_members, |app| {
    let mobile = "6591240006";
    let id = register(&app, mobile).await;
    let sky = partner_id(&app, "SkyMiles").await;
    let (status, s) = link(
        &app,
        mobile,
        "SkyMiles",
        json!({"partnerMembershipId": "SM-DEMO", "partnerTierName": "Gold"}),
    )
    .await;
    assert_eq!((status, &s), (200, &ok()));

    app.apply(ACME_ORG).await;
    let acme = |m: Method, p: &str| app.as_till("acme.till", "acme-pw", m, p);
    // Acme cannot find the demo customer by mobile or by id, so cannot link, update,
    // delink or read it.
    for (path, body, items) in [
        (
            LINK,
            link_body(
                mobile,
                "SkyMiles",
                json!({"partnerMembershipId": "SM-X", "partnerTierName": "Blue"}),
            ),
            "linkCustomers",
        ),
        (
            LINK,
            json!({"linkCustomers": [{"customer": {"id": id}, "linkToPartnerPrograms": [
                {"partnerProgramName": "SkyMiles",
                 "customerPartnerReference": {"partnerMembershipId": "SM-X", "partnerTierName": "Blue"}}]}]}),
            "linkCustomers",
        ),
        (
            UPDATE,
            update_body(
                mobile,
                "SkyMiles",
                "DOWNGRADE",
                json!({"updatedTierName": "Blue"}),
            ),
            "customersPartnerUpdates",
        ),
        (DELINK, delink_body(mobile, "SkyMiles"), "deLinkCustomers"),
    ] {
        let (status, res) = send(acme(Method::POST, path).json(&body)).await;
        assert_eq!(status, 201, "{path}: {res}");
        assert_eq!(
            res[items][0]["customer"]["status"]["code"], 8015,
            "{path}: {res}"
        );
    }
    let (status, res) = send(acme(Method::GET, &history_path(mobile, sky, ""))).await;
    assert_eq!(status, 404, "{res}");
    // The demo membership is untouched.
    let l = linked(&app, id).await;
    assert_eq!(
        (&l[0]["partnerMembershipId"], &l[0]["partnerTierName"]),
        (&json!("SM-DEMO"), &json!("Gold"))
    );
    // The same mobile registers and links independently in Acme.
    let (status, res) = send(
        acme(Method::POST, "/v2/customers").json(&json!({"profiles": [{
        "source": "INSTORE", "identifiers": [{"type": "mobile", "value": mobile}]}]})),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    let (status, res) = send(acme(Method::POST, LINK).json(&link_body(
        mobile,
        "SkyMiles",
        json!({"partnerMembershipId": "SM-ACME", "partnerTierName": "Blue"}),
    )))
    .await;
    assert_eq!(status, 200, "{res}");
    let (_, h) = app.get_as_demo(&history_path(mobile, sky, "")).await;
    assert_eq!(h["partnerProgramDetails"]["partnerMembershipId"], "SM-DEMO");
    assert_eq!(activities(&h).len(), 1, "{h}");
});
