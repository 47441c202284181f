//! Periodic jobs. A job runs on the server that holds its lease (`fidelis_store::jobs`), so
//! several servers on one database never run it twice at once; every job is idempotent as
//! well, so a lease lapsing mid-run costs time, never points. Each job has its own lease,
//! so one server may expire points while another judges tiers.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use rust_decimal::Decimal;
use tokio::sync::watch;

use crate::AppState;

/// Writes off points whose lots have passed their expiry.
pub const POINTS_EXPIRY: &str = "points-expiry";
/// Ends partner-program memberships whose expiry has passed.
pub const PARTNER_MEMBERSHIP_END: &str = "partner-membership-end";
/// Renews or downgrades members whose tier validity has ended.
pub const TIER_EXPIRY: &str = "tier-expiry";
/// Members the tier job reads at a time.
const TIER_BATCH: u32 = 500;
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

/// One run of the tier job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TierJobRun {
    /// Another server holds the lease.
    Skipped,
    Ran {
        orgs: usize,
        renewed: usize,
        downgraded: usize,
        /// Upgrades straight after a downgrade (a late run; see docs/loyalty.md).
        upgraded: usize,
        /// Members past their validity whose tier is no longer configured.
        skipped: usize,
    },
}

/// Takes or renews lease `name` for `holder` at `now`.
async fn lease(
    state: &AppState,
    name: &str,
    holder: &str,
    now: Timestamp,
) -> Result<bool, fidelis_store::StoreError> {
    let until = now.saturating_add(LEASE).unwrap_or(now);
    state.db.jobs().lease(name, holder, now, until).await
}

/// One run of the points-expiry job as `holder`.
pub async fn expire_points(
    state: &AppState,
    holder: &str,
) -> Result<JobRun, fidelis_store::StoreError> {
    let now = state.now();
    if !lease(state, POINTS_EXPIRY, holder, now).await? {
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
    if !lease(state, PARTNER_MEMBERSHIP_END, holder, now).await? {
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

/// One run of the tier job as `holder`: every org's members whose tier validity has
/// ended are renewed or downgraded.
pub async fn expire_tiers(
    state: &AppState,
    holder: &str,
) -> Result<TierJobRun, fidelis_store::StoreError> {
    let now = state.now();
    if !lease(state, TIER_EXPIRY, holder, now).await? {
        return Ok(TierJobRun::Skipped);
    }
    let orgs = state.db.jobs().org_ids().await?;
    let mut total = fidelis_store::loyalty::TierRun::default();
    for org in &orgs {
        let run = state
            .db
            .loyalty()
            .expire_tiers(*org, now, TIER_BATCH)
            .await?;
        total.renewed += run.renewed;
        total.downgraded += run.downgraded;
        total.upgraded += run.upgraded;
        total.skipped += run.skipped;
    }
    for (kind, n) in [
        ("renew", total.renewed),
        ("downgrade", total.downgraded),
        ("upgrade", total.upgraded),
    ] {
        metrics::counter!("fidelis_tier_changes_total", "kind" => kind).increment(n as u64);
    }
    Ok(TierJobRun::Ran {
        orgs: orgs.len(),
        renewed: total.renewed,
        downgraded: total.downgraded,
        upgraded: total.upgraded,
        skipped: total.skipped,
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
            match expire_tiers(&state, &holder).await {
                Ok(TierJobRun::Ran {
                    renewed,
                    downgraded,
                    upgraded,
                    skipped,
                    ..
                }) if renewed + downgraded + upgraded > 0 => {
                    tracing::info!(
                        renewed,
                        downgraded,
                        upgraded,
                        skipped,
                        "tiers renewed or downgraded"
                    );
                }
                Ok(TierJobRun::Ran { skipped, .. }) if skipped > 0 => {
                    tracing::debug!(skipped, "members past a tier no longer configured");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "tier expiry job failed; will retry"),
            }
            tokio::select! {
                _ = tokio::time::sleep(INTERVAL) => {}
                _ = stop.changed() => break,
            }
        }
        for job in [POINTS_EXPIRY, PARTNER_MEMBERSHIP_END, TIER_EXPIRY] {
            if let Err(e) = state.db.jobs().release(job, &holder).await {
                tracing::warn!(error = %e, job, "could not release the job lease");
            }
        }
    })
}
