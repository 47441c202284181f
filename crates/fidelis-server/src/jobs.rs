//! Periodic jobs. A job runs on the server that holds its lease (`fidelis_store::jobs`), so
//! several servers on one database never run it twice at once; every job is idempotent as
//! well, so a lease lapsing mid-run costs time, never points.

use std::time::Duration;

use jiff::SignedDuration;
use rust_decimal::Decimal;
use tokio::sync::watch;

use crate::AppState;

/// Writes off points whose lots have passed their expiry.
pub const POINTS_EXPIRY: &str = "points-expiry";
/// Ends partner-program memberships whose expiry has passed.
pub const PARTNER_MEMBERSHIP_END: &str = "partner-membership-end";
/// How long a lease holds without renewal: longer than a run, so a live holder keeps it.
const LEASE: SignedDuration = SignedDuration::from_secs(300);
/// How often the scheduler wakes.
const INTERVAL: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobRun {
    /// Another server holds the lease.
    Skipped,
    Ran {
        orgs: usize,
        entries: usize,
        points: Decimal,
    },
}

/// One run of the points-expiry job as `holder`.
pub async fn expire_points(
    state: &AppState,
    holder: &str,
) -> Result<JobRun, fidelis_store::StoreError> {
    let now = state.now();
    let until = now.saturating_add(LEASE).unwrap_or(now);
    if !state
        .db
        .jobs()
        .lease(POINTS_EXPIRY, holder, now, until)
        .await?
    {
        return Ok(JobRun::Skipped);
    }
    let orgs = state.db.jobs().org_ids().await?;
    let (mut entries, mut points) = (0, Decimal::ZERO);
    for org in &orgs {
        let run = state.db.loyalty().expire_due(*org, now).await?;
        entries += run.entries;
        points += run.points;
    }
    metrics::counter!("fidelis_points_expired_entries_total").increment(entries as u64);
    Ok(JobRun::Ran {
        orgs: orgs.len(),
        entries,
        points,
    })
}

/// What one run of the partner-membership end job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembershipEndRun {
    /// Another server holds the lease.
    Skipped,
    Ran {
        orgs: usize,
        ended: usize,
    },
}

/// One run of the partner-membership end job as `holder`: memberships (supplementary ones
/// by their membership length, external ones by the tier expiry the partner sent) whose
/// expiry has passed are ended with an `EXPIRED` activity dated at the expiry.
pub async fn end_partner_memberships(
    state: &AppState,
    holder: &str,
) -> Result<MembershipEndRun, fidelis_store::StoreError> {
    let now = state.now();
    let until = now.saturating_add(LEASE).unwrap_or(now);
    if !state
        .db
        .jobs()
        .lease(PARTNER_MEMBERSHIP_END, holder, now, until)
        .await?
    {
        return Ok(MembershipEndRun::Skipped);
    }
    let orgs = state.db.jobs().org_ids().await?;
    let mut ended = 0;
    for org in &orgs {
        ended += state
            .db
            .loyalty()
            .end_partner_memberships(*org, now)
            .await?;
    }
    metrics::counter!("fidelis_partner_memberships_ended_total").increment(ended as u64);
    Ok(MembershipEndRun::Ran {
        orgs: orgs.len(),
        ended,
    })
}

/// Runs the jobs every `INTERVAL` until `stop` changes, then gives the leases up.
pub fn spawn(state: AppState, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    let holder = format!("server-{}", uuid::Uuid::new_v4());
    tokio::spawn(async move {
        loop {
            match expire_points(&state, &holder).await {
                Ok(JobRun::Ran {
                    entries, points, ..
                }) if entries > 0 => {
                    tracing::info!(entries, %points, "points expired");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "points expiry job failed; will retry"),
            }
            match end_partner_memberships(&state, &holder).await {
                Ok(MembershipEndRun::Ran { ended, .. }) if ended > 0 => {
                    tracing::info!(ended, "partner memberships ended");
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "partner membership end job failed; will retry")
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(INTERVAL) => {}
                _ = stop.changed() => break,
            }
        }
        for job in [POINTS_EXPIRY, PARTNER_MEMBERSHIP_END] {
            if let Err(e) = state.db.jobs().release(job, &holder).await {
                tracing::warn!(error = %e, job, "could not release the job lease");
            }
        }
    })
}
