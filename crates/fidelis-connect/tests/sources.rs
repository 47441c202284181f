//! The folder source and its pickup, PGP decryption and the upload inbox, on real files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step fails the test

mod support;

use std::fs;
use std::path::Path;

use fidelis_connect::sources::folder::FolderSource;
use fidelis_connect::sources::inbox::{self, InboxError};
use fidelis_connect::sources::{Failure, Pickup, Source};
use fidelis_domain::connect::UploadError;
use support::{flow, Recorder};

const CSV: &str = "Bill No,Amount,Mobile\nB1,100,6591234567\n";

fn pickup(dir: &Path, source_lines: &str) -> Pickup {
    let inbox = dir.join("inbox");
    fs::create_dir_all(&inbox).unwrap();
    let f = flow(&format!(
        "folder = \"{}\"\nprocessed = \"{}\"\n{source_lines}",
        inbox.display(),
        dir.join("done").display()
    ));
    let source: Box<dyn Source> = Box::new(FolderSource::new(&inbox, Some(dir.join("done"))));
    Pickup::new(f, vec![source], &dir.join("staging")).unwrap()
}

#[tokio::test]
async fn a_settled_file_is_handed_over_once_and_moved_to_processed() {
    let dir = tempfile::tempdir().unwrap();
    let pickup = pickup(dir.path(), "");
    let inbox = dir.path().join("inbox");
    fs::write(inbox.join("bills.csv"), CSV).unwrap();
    fs::write(inbox.join("notes.txt"), "not a csv").unwrap();
    fs::write(inbox.join("later.csv.part"), CSV).unwrap();
    fs::write(inbox.join(".hidden.csv"), CSV).unwrap();
    let rec = Recorder::default();
    let handler = rec.handler();

    // First sight: the file may still be growing.
    let first = pickup.poll(&handler).await;
    assert_eq!(first.waiting, vec!["bills.csv"]);
    assert!(rec.seen().is_empty());

    let second = pickup.poll(&handler).await;
    assert_eq!(second.processed, vec!["bills.csv"]);
    assert_eq!(rec.seen(), vec![("bills.csv".to_string(), CSV.to_string())]);
    assert!(!inbox.join("bills.csv").exists());
    assert_eq!(
        fs::read_to_string(dir.path().join("done/bills.csv")).unwrap(),
        CSV
    );
    // Names outside the pattern and files being written are never touched.
    for left in ["notes.txt", "later.csv.part", ".hidden.csv"] {
        assert!(inbox.join(left).exists(), "{left}");
    }

    // The same name again later keeps the first processed file.
    fs::write(inbox.join("bills.csv"), "Bill No,Amount,Mobile\n").unwrap();
    pickup.poll(&handler).await;
    let third = pickup.poll(&handler).await;
    assert_eq!(third.processed, vec!["bills.csv"]);
    assert_eq!(
        fs::read_to_string(dir.path().join("done/bills.csv")).unwrap(),
        CSV
    );
    assert!(dir.path().join("done/bills.csv.1").exists());
    assert_eq!(rec.seen().len(), 2);
}

#[tokio::test]
async fn a_file_still_changing_waits() {
    let dir = tempfile::tempdir().unwrap();
    let pickup = pickup(dir.path(), "");
    let path = dir.path().join("inbox/bills.csv");
    fs::write(&path, "Bill No,Amount,Mobile\n").unwrap();
    let rec = Recorder::default();
    let handler = rec.handler();
    pickup.poll(&handler).await;
    fs::write(&path, CSV).unwrap();
    let grown = pickup.poll(&handler).await;
    assert_eq!(grown.waiting, vec!["bills.csv"]);
    assert!(rec.seen().is_empty());
    let settled = pickup.poll(&handler).await;
    assert_eq!(settled.processed, vec!["bills.csv"]);
    assert_eq!(rec.seen()[0].1, CSV);
}

#[tokio::test]
async fn failures_not_of_the_file_leave_it_and_refused_files_move_aside() {
    let dir = tempfile::tempdir().unwrap();
    let pickup = pickup(dir.path(), "");
    let inbox = dir.path().join("inbox");
    fs::write(inbox.join("bills.csv"), CSV).unwrap();
    let rec = Recorder::default();
    let handler = rec.handler();
    pickup.poll(&handler).await;

    rec.answer(Some(Failure::Retry("database unavailable".into())));
    let retried = pickup.poll(&handler).await;
    assert_eq!(retried.retried, vec!["bills.csv"]);
    assert!(inbox.join("bills.csv").exists());
    // Tried again at the very next poll.
    let again = pickup.poll(&handler).await;
    assert_eq!(again.retried, vec!["bills.csv"]);
    assert_eq!(rec.seen().len(), 2);

    rec.answer(Some(Failure::Reject("not CSV".into())));
    let refused = pickup.poll(&handler).await;
    assert_eq!(refused.rejected, vec!["bills.csv"]);
    assert!(!inbox.join("bills.csv").exists());
    assert_eq!(
        fs::read_to_string(dir.path().join("done/bills.csv.rejected")).unwrap(),
        CSV
    );
}

#[tokio::test]
async fn pgp_files_are_decrypted_before_the_handler_sees_them() {
    let dir = tempfile::tempdir().unwrap();
    let key = support::pgp_key(Some("s3cret"));
    let key_file = dir.path().join("secret.asc");
    fs::write(&key_file, key.armored_secret()).unwrap();
    std::env::set_var("FIDELIS_TEST_PGP_PASS", "s3cret");
    let pickup = pickup(
        dir.path(),
        &format!(
            "pattern = '\\.csv(\\.pgp|\\.asc)?$'\npgp_key = \"{}\"\npgp_passphrase_env = \"FIDELIS_TEST_PGP_PASS\"",
            key_file.display()
        ),
    );
    let inbox = dir.path().join("inbox");
    fs::write(
        inbox.join("bills.csv.pgp"),
        key.encrypt(CSV.as_bytes(), false),
    )
    .unwrap();
    fs::write(
        inbox.join("more.csv.asc"),
        key.encrypt(CSV.as_bytes(), true),
    )
    .unwrap();
    fs::write(inbox.join("broken.csv.pgp"), b"not a pgp message").unwrap();
    let rec = Recorder::default();
    let handler = rec.handler();
    pickup.poll(&handler).await;
    let report = pickup.poll(&handler).await;
    assert_eq!(report.processed, vec!["bills.csv.pgp", "more.csv.asc"]);
    assert_eq!(report.rejected, vec!["broken.csv.pgp"]);
    assert_eq!(
        rec.seen(),
        vec![
            ("bills.csv".to_string(), CSV.to_string()),
            ("more.csv".to_string(), CSV.to_string())
        ]
    );
    assert!(dir.path().join("done/bills.csv.pgp").exists());
    assert!(dir.path().join("done/broken.csv.pgp.rejected").exists());
    // Decrypted copies do not outlive the handling.
    let staged: Vec<_> = fs::read_dir(dir.path().join("staging/bills"))
        .unwrap()
        .collect();
    assert!(staged.is_empty(), "{staged:?}");
}

#[tokio::test]
async fn uploads_are_stored_whole_with_their_digest() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    let pattern = regex::Regex::new(r"\.csv$").unwrap();
    let chunks = vec![
        Ok::<_, String>(&CSV.as_bytes()[..10]),
        Ok(&CSV.as_bytes()[10..]),
    ];
    let stored = inbox::store(
        &inbox,
        "bills.csv",
        &pattern,
        1024,
        futures::stream::iter(chunks),
    )
    .await
    .unwrap();
    assert_eq!(stored.size, CSV.len() as u64);
    assert_eq!(stored.sha256, support::sha256_hex(CSV.as_bytes()));
    assert_eq!(fs::read_to_string(inbox.join("bills.csv")).unwrap(), CSV);

    let again = futures::stream::iter(vec![Ok::<_, String>(b"x".as_slice())]);
    let e = inbox::store(&inbox, "bills.csv", &pattern, 1024, again)
        .await
        .unwrap_err();
    assert!(
        matches!(e, InboxError::Upload(UploadError::AlreadyWaiting(_))),
        "{e}"
    );
    assert_eq!(fs::read_to_string(inbox.join("bills.csv")).unwrap(), CSV);

    let big = futures::stream::iter(vec![Ok::<_, String>(CSV.as_bytes())]);
    let e = inbox::store(&inbox, "big.csv", &pattern, 8, big)
        .await
        .unwrap_err();
    assert!(matches!(e, InboxError::TooLarge(8)), "{e}");

    let empty = futures::stream::iter(Vec::<Result<&[u8], String>>::new());
    let e = inbox::store(&inbox, "empty.csv", &pattern, 8, empty)
        .await
        .unwrap_err();
    assert!(matches!(e, InboxError::Upload(UploadError::Empty)), "{e}");

    let cut = futures::stream::iter(vec![
        Ok(b"a,b".as_slice()),
        Err("connection reset".to_string()),
    ]);
    let e = inbox::store(&inbox, "cut.csv", &pattern, 1024, cut)
        .await
        .unwrap_err();
    assert!(
        matches!(e, InboxError::Upload(UploadError::BadBody(_))),
        "{e}"
    );

    let e = inbox::store(
        &inbox,
        "../up.csv",
        &pattern,
        1024,
        futures::stream::iter(Vec::<Result<&[u8], String>>::new()),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, InboxError::Upload(UploadError::BadName(_))),
        "{e}"
    );

    // Nothing but the one stored file: no temporary or partial file is left behind.
    let names: Vec<String> = fs::read_dir(&inbox)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, vec!["bills.csv"]);
}
