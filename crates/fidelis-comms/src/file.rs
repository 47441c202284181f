//! `file:PATH`: each SMS appended to a file as one JSON object a line
//! (`{"org", "to", "sender", "body", "id"}`), for local development. Delivering a message
//! whose org and id are already in the file writes nothing, so a retried attempt never
//! adds a second line.

use std::path::PathBuf;

use fidelis_app::comms::{Sending, SmsGateway, SmsOut};
use fidelis_domain::comms::{MessageStatus, Outcome};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

pub struct JsonLines {
    path: PathBuf,
    /// One append at a time in this process.
    lock: Mutex<()>,
}

#[derive(Serialize, Deserialize)]
struct Line<'a> {
    org: &'a str,
    to: &'a str,
    sender: &'a str,
    body: &'a str,
    id: i64,
}

#[derive(Deserialize)]
struct Seen {
    org: String,
    id: i64,
}

impl JsonLines {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            lock: Mutex::new(()),
        }
    }

    async fn append(&self, sms: SmsOut<'_>) -> std::io::Result<()> {
        let _one = self.lock.lock().await;
        match tokio::fs::read_to_string(&self.path).await {
            Ok(text) => {
                let already = text.lines().any(|l| {
                    serde_json::from_str::<Seen>(l)
                        .is_ok_and(|s| s.org == sms.org && s.id == sms.id)
                });
                if already {
                    return Ok(());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let mut line = serde_json::to_string(&Line {
            org: sms.org,
            to: sms.to,
            sender: sms.sender,
            body: sms.body,
            id: sms.id,
        })
        .map_err(std::io::Error::other)?;
        line.push('\n');
        let mut f = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .await?;
        f.write_all(line.as_bytes()).await?;
        f.sync_data().await
    }
}

impl SmsGateway for JsonLines {
    fn describe(&self) -> String {
        format!("file:{}", self.path.display())
    }

    fn send<'a>(&'a self, sms: SmsOut<'a>) -> Sending<'a> {
        Box::pin(async move {
            match self.append(sms).await {
                // The file is the message's destination.
                Ok(()) => Outcome::Accepted {
                    status: MessageStatus::Delivered,
                    reference: None,
                },
                Err(e) => Outcome::Temporary(format!("{}: {e}", self.path.display())),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_json_and_a_repeat_writes_nothing() {
        let dir = std::env::temp_dir().join(format!("fidelis-sms-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sms.jsonl");
        let _ = std::fs::remove_file(&path);
        let g = JsonLines::new(&path);
        let sms = SmsOut {
            org: "demo",
            id: 7,
            to: "6591234567",
            sender: "DEMOFSH",
            body: "Hi \"you\"\nthere",
        };
        for _ in 0..2 {
            assert!(matches!(
                g.send(sms).await,
                Outcome::Accepted {
                    status: MessageStatus::Delivered,
                    ..
                }
            ));
        }
        g.send(SmsOut { id: 8, ..sms }).await;
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            serde_json::json!({"org": "demo", "to": "6591234567", "sender": "DEMOFSH", "body": "Hi \"you\"\nthere", "id": 7})
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
