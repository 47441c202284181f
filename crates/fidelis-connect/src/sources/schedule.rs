//! Scheduled dataflows inside `serve`: every interval, each dataflow's pickup polls its
//! sources, under a database lease per dataflow (`connect:NAME`), so two servers on one
//! database never poll the same dataflow at once and a file is never handled twice at the
//! same time.

use std::sync::Arc;
use std::time::Duration;

use fidelis_app::App;
use jiff::SignedDuration;
use tokio::sync::watch;

use super::{FileHandler, Pickup};

/// How long a dataflow's lease holds without renewal: longer than a large file takes, so a
/// live holder keeps it (it is renewed before each poll).
const LEASE: SignedDuration = SignedDuration::from_secs(30 * 60);

/// What `serve` runs for dataflows: the pickups, what handles their files, and how often.
pub struct Schedule {
    pub pickups: Vec<Pickup>,
    pub handler: Arc<dyn FileHandler>,
    pub every: Duration,
}

impl std::fmt::Debug for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schedule")
            .field("dataflows", &self.pickups.len())
            .field("every", &self.every)
            .finish()
    }
}

fn lease_name(pickup: &Pickup) -> String {
    format!("connect:{}", pickup.flow().name)
}

/// Polls every pickup each `schedule.every` until `stop` turns true, then gives the leases up.
pub fn spawn(
    app: App,
    schedule: Schedule,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let holder = format!("server-{}", uuid::Uuid::new_v4().simple());
    tokio::spawn(async move {
        loop {
            for pickup in &schedule.pickups {
                if *stop.borrow() {
                    break;
                }
                poll_leased(&app, pickup, schedule.handler.as_ref(), &holder).await;
            }
            tokio::select! {
                _ = tokio::time::sleep(schedule.every) => {}
                _ = stop.changed() => break,
            }
        }
        for pickup in &schedule.pickups {
            if let Err(e) = app.db().jobs().release(&lease_name(pickup), &holder).await {
                tracing::warn!(error = %e, dataflow = %pickup.flow().name, "could not release the dataflow lease");
            }
        }
    })
}

async fn poll_leased(app: &App, pickup: &Pickup, handler: &dyn FileHandler, holder: &str) {
    let now = app.now();
    let until = now.saturating_add(LEASE).unwrap_or(now);
    match app
        .db()
        .jobs()
        .lease(&lease_name(pickup), holder, now, until)
        .await
    {
        Ok(true) => {
            let report = pickup.poll(handler).await;
            if !report.processed.is_empty() || !report.rejected.is_empty() {
                tracing::info!(dataflow = %pickup.flow().name, ?report, "dataflow poll");
            }
        }
        Ok(false) => {}
        Err(e) => {
            tracing::warn!(error = %e, dataflow = %pickup.flow().name, "cannot take the dataflow lease")
        }
    }
}
