//! Scheduled dataflows in `serve`: the `[connect]` settings become the upload state of the
//! API and the pickup schedule.
//!
//! `handler` runs each file a dataflow's pickup takes through the runner
//! (`fidelis_connect::run_file`): a file that was run moves to the processed folder, one
//! that cannot be run as a whole moves aside as `.rejected`, and one that met a failure
//! not of its own (storage) stays and is tried again.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use fidelis_app::App;
use fidelis_connect::sources::registry::base_of;
use fidelis_connect::sources::schedule::Schedule;
use fidelis_connect::sources::{Dataflows, Failure, FileHandler};
use fidelis_connect::{run_file, Flow, RunError, RunOptions};
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
        handler: handler(
            app.clone(),
            dataflows
                .iter()
                .map(|r| (r.flow.name.clone(), base_of(&r.file)))
                .collect(),
        ),
        every: Duration::from_secs(settings.connect.poll_seconds),
    };
    Ok((state, Some(schedule)))
}

/// What runs a picked-up file: the runner, on the folder of its dataflow file. A file that
/// cannot be run as a whole (not CSV, lacking a column, another org's) is refused; any
/// other failure leaves it for the next poll, so none is lost. Failed rows are not the
/// file's failure: they go to its error file and the file counts as processed.
fn handler(app: App, bases: HashMap<String, PathBuf>) -> Arc<dyn FileHandler> {
    let bases = Arc::new(bases);
    Arc::new(move |flow: Arc<Dataflow>, file: PathBuf| {
        let (app, bases) = (app.clone(), bases.clone());
        async move {
            let base = bases
                .get(&flow.name)
                .cloned()
                .unwrap_or_else(|| PathBuf::from("."));
            let flow = Flow::new((*flow).clone(), base);
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
            let opts = RunOptions {
                file_name: name,
                ..RunOptions::default()
            };
            match run_file(&app, &flow, &file, &opts).await {
                Ok(report) => {
                    tracing::info!(
                        dataflow = %flow.dataflow.name,
                        report = report.report_id,
                        input = report.counts.input,
                        succeeded = report.counts.succeeded,
                        failed = report.counts.failed,
                        "dataflow file run"
                    );
                    Ok(())
                }
                Err(e @ (RunError::File(_) | RunError::MissingColumns(_))) => {
                    Err(Failure::Reject(e.to_string()))
                }
                Err(e) => Err(Failure::Retry(e.to_string())),
            }
        }
    })
}
