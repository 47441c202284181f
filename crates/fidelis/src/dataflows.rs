//! Scheduled dataflows in `serve`: the `[connect]` settings become the upload state of the
//! API and the pickup schedule.
//!
//! WIRING POINT: `handler` decides what `serve` does with each file a dataflow's pickup
//! takes. It is where the runner (`fidelis_connect::run_file(&app, &flow, &path, …)`) is
//! connected: answer `Ok(())` when the file was run (it moves to the processed folder),
//! `Failure::Reject` when the file itself cannot be run (it moves aside as `.rejected`),
//! `Failure::Retry` when the failure is not the file's (it stays and is tried again).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use fidelis_app::App;
use fidelis_connect::sources::schedule::Schedule;
use fidelis_connect::sources::{Dataflows, Failure, FileHandler};
use fidelis_domain::connect::Dataflow;
use fidelis_server::ConnectState;

use crate::settings::Settings;

/// The API's view of the dataflows (uploads) and the schedule that polls them; no
/// schedule when there are no dataflows.
pub fn load(settings: &Settings, app: &App) -> anyhow::Result<(ConnectState, Option<Schedule>)> {
    let dataflows: Dataflows = settings.dataflows()?;
    let state = ConnectState {
        dataflows: dataflows.clone(),
        max_upload_bytes: settings.connect.max_upload_bytes,
    };
    if dataflows.is_empty() {
        return Ok((state, None));
    }
    let pickups = dataflows
        .pickups(&settings.staging())
        .map_err(anyhow::Error::msg)?;
    tracing::info!(
        dataflows = pickups.len(),
        every_seconds = settings.connect.poll_seconds,
        "scheduled dataflows"
    );
    let schedule = Schedule {
        pickups,
        handler: handler(app.clone()),
        every: Duration::from_secs(settings.connect.poll_seconds),
    };
    Ok((state, Some(schedule)))
}

/// What runs a picked-up file (see the module's comment). Until the runner is connected
/// here, files are left in their sources and retried, so none is lost.
fn handler(_app: App) -> Arc<dyn FileHandler> {
    Arc::new(|flow: Arc<Dataflow>, file: PathBuf| async move {
        Err(Failure::Retry(format!(
            "dataflow {}: no runner is connected to serve yet ({} left in place)",
            flow.name,
            file.display()
        )))
    })
}
