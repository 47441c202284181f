//! The SFTP source against a real OpenSSH server on loopback (started by each test).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step fails the test

mod support;

use std::fs;

use fidelis_connect::sources::sftp::SftpFolder;
use fidelis_connect::sources::{Pickup, Source};
use fidelis_domain::connect::Source as FlowSource;
use support::sshd::Sshd;
use support::{flow, Recorder};

const CSV: &str = "Bill No,Amount,Mobile\nB1,100,6591234567\nB2,250,6591234568\n";

fn sftp_pickup(server: &Sshd, host_key: &str, staging: &std::path::Path) -> Pickup {
    let f = flow(&format!(
        "sftp = \"sftp://{user}@127.0.0.1:{port}{outbox}\"\n\
         host_key = \"{host_key}\"\n\
         key_file = \"{key}\"\n\
         processed = \"{done}\"",
        user = server.user,
        port = server.port,
        outbox = server.outbox().display(),
        key = server.path("client_key").display(),
        done = server.path("done").display(),
    ));
    let FlowSource::Sftp(config) = f.source.clone() else {
        panic!("{:?}", f.source)
    };
    let source: Box<dyn Source> = Box::new(SftpFolder::new(config, f.processed.clone()));
    Pickup::new(f, vec![source], staging).unwrap()
}

#[tokio::test]
async fn a_file_on_the_server_is_picked_up_and_moved_to_processed_there() {
    let server = Sshd::start();
    let staging = tempfile::tempdir().unwrap();
    let pickup = sftp_pickup(&server, &server.host_key(), staging.path());
    fs::write(server.outbox().join("bills.csv"), CSV).unwrap();
    fs::write(server.outbox().join("bills.csv.part"), "half").unwrap();
    let rec = Recorder::default();
    let handler = rec.handler();

    let first = pickup.poll(&handler).await;
    assert!(first.errors.is_empty(), "{first:?}\n{}", server.log());
    assert_eq!(first.waiting, vec!["bills.csv"]);

    let second = pickup.poll(&handler).await;
    assert_eq!(
        second.processed,
        vec!["bills.csv"],
        "{second:?}\n{}",
        server.log()
    );
    assert_eq!(rec.seen(), vec![("bills.csv".to_string(), CSV.to_string())]);
    assert!(!server.outbox().join("bills.csv").exists());
    assert_eq!(
        fs::read_to_string(server.path("done/bills.csv")).unwrap(),
        CSV
    );
    assert!(server.outbox().join("bills.csv.part").exists());
    // The downloaded copy is gone once handled.
    assert!(!staging.path().join("bills/bills.csv").exists());
}

#[tokio::test]
async fn a_host_key_fingerprint_is_enough() {
    let server = Sshd::start();
    let staging = tempfile::tempdir().unwrap();
    let pickup = sftp_pickup(&server, &server.fingerprint(), staging.path());
    fs::write(server.outbox().join("bills.csv"), CSV).unwrap();
    let rec = Recorder::default();
    let handler = rec.handler();
    pickup.poll(&handler).await;
    let report = pickup.poll(&handler).await;
    assert_eq!(
        report.processed,
        vec!["bills.csv"],
        "{report:?}\n{}",
        server.log()
    );
}

#[tokio::test]
async fn a_server_with_another_host_key_is_refused() {
    let server = Sshd::start();
    let staging = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(other.path().join("k"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let wrong = fs::read_to_string(other.path().join("k.pub")).unwrap();
    let pickup = sftp_pickup(&server, wrong.trim(), staging.path());
    fs::write(server.outbox().join("bills.csv"), CSV).unwrap();
    let rec = Recorder::default();
    let handler = rec.handler();
    for _ in 0..2 {
        let report = pickup.poll(&handler).await;
        assert_eq!(report.errors.len(), 1, "{report:?}");
        assert!(report.processed.is_empty());
    }
    assert!(rec.seen().is_empty());
    assert!(server.outbox().join("bills.csv").exists());
    // The connection ended before logging in: the server saw no accepted key.
    assert!(
        !server.log().contains("Accepted publickey"),
        "{}",
        server.log()
    );
}
