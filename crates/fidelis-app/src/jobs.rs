//! Periodic jobs. A job runs on the server that holds its lease (`fidelis_store::jobs`), so
//! several servers on one database never run it twice at once; every job is idempotent as
//! well, so a lease lapsing mid-run costs time, never points. Each job has its own lease,
//! so one server may expire points while another judges tiers.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use rust_decimal::Decimal;
use tokio::sync::watch;

use crate::{App, AppError};

/// How long a lease holds without renewal: longer than a run, so a live holder keeps it.
const LEASE: SignedDuration = SignedDuration::from_secs(300);
/// How often the scheduler wakes.
const INTERVAL: Duration = Duration::from_secs(60);
/// Members the tier job reads at a time.
const TIER_BATCH: u32 = 500;

type Run<'a, T> = Pin<Box<dyn Future<Output = Result<T, AppError>> + Send + 'a>>;

/// One periodic job: a name (its lease's), how long a lease holds, and a run over every
/// org at `now`.
pub trait Job: Sync {
    type Report: Debug + Send;
    fn name(&self) -> &'static str;
    /// Longer than a run, so a live holder keeps it.
    fn lease(&self) -> SignedDuration {
        LEASE
    }
    fn run<'a>(&'a self, app: &'a App, now: Timestamp) -> Run<'a, Self::Report>;
}

/// What one attempt at a job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobRun<T> {
    /// Another server holds the lease.
    Skipped,
    Ran(T),
}

/// Runs `job` as `holder` if it can take (or renew) the job's lease.
pub async fn run<J: Job>(app: &App, job: &J, holder: &str) -> Result<JobRun<J::Report>, AppError> {
    let now = app.now();
    let until = now.saturating_add(job.lease()).unwrap_or(now);
    if !app.db.jobs().lease(job.name(), holder, now, until).await? {
        return Ok(JobRun::Skipped);
    }
    Ok(JobRun::Ran(job.run(app, now).await?))
}

/// Writes off points whose lots have passed their expiry.
pub struct PointsExpiry;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiryReport {
    pub orgs: usize,
    pub entries: usize,
    pub points: Decimal,
}

impl Job for PointsExpiry {
    type Report = ExpiryReport;
    fn name(&self) -> &'static str {
        "points-expiry"
    }
    fn run<'a>(&'a self, app: &'a App, now: Timestamp) -> Run<'a, ExpiryReport> {
        Box::pin(async move {
            let orgs = app.db.jobs().org_ids().await?;
            let (mut entries, mut points) = (0, Decimal::ZERO);
            for org in &orgs {
                let run = app.db.loyalty().expire_due(*org, now).await?;
                entries += run.entries;
                points += run.points;
            }
            metrics::counter!("fidelis_points_expired_entries_total").increment(entries as u64);
            Ok(ExpiryReport {
                orgs: orgs.len(),
                entries,
                points,
            })
        })
    }
}

/// Ends partner-program memberships whose expiry has passed: supplementary ones by their
/// membership length, external ones by the tier expiry the partner sent, each with an
/// `EXPIRED` activity dated at the expiry.
pub struct PartnerMembershipEnd;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipEndReport {
    pub orgs: usize,
    pub ended: usize,
}

impl Job for PartnerMembershipEnd {
    type Report = MembershipEndReport;
    fn name(&self) -> &'static str {
        "partner-membership-end"
    }
    fn run<'a>(&'a self, app: &'a App, now: Timestamp) -> Run<'a, MembershipEndReport> {
        Box::pin(async move {
            let orgs = app.db.jobs().org_ids().await?;
            let mut ended = 0;
            for org in &orgs {
                ended += app.db.loyalty().end_partner_memberships(*org, now).await?;
            }
            metrics::counter!("fidelis_partner_memberships_ended_total").increment(ended as u64);
            Ok(MembershipEndReport {
                orgs: orgs.len(),
                ended,
            })
        })
    }
}

/// Renews or downgrades members whose tier validity has ended.
pub struct TierExpiry;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TierReport {
    pub orgs: usize,
    pub renewed: usize,
    pub downgraded: usize,
    /// Upgrades straight after a downgrade (a late run; see docs/loyalty.md).
    pub upgraded: usize,
    /// Members past their validity whose tier is no longer configured.
    pub skipped: usize,
}

impl Job for TierExpiry {
    type Report = TierReport;
    fn name(&self) -> &'static str {
        "tier-expiry"
    }
    fn run<'a>(&'a self, app: &'a App, now: Timestamp) -> Run<'a, TierReport> {
        Box::pin(async move {
            let orgs = app.db.jobs().org_ids().await?;
            let mut total = TierReport {
                orgs: orgs.len(),
                ..TierReport::default()
            };
            for org in &orgs {
                let run = app.db.loyalty().expire_tiers(*org, now, TIER_BATCH).await?;
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
            Ok(total)
        })
    }
}

/// Runs one job and logs what it did.
async fn run_logged<J: Job>(app: &App, job: &J, holder: &str) {
    match run(app, job, holder).await {
        Ok(JobRun::Ran(report)) => tracing::debug!(job = job.name(), ?report, "job ran"),
        Ok(JobRun::Skipped) => {}
        Err(e) => tracing::warn!(job = job.name(), error = %e, "job failed; will retry"),
    }
}

/// Runs every job each `INTERVAL` until `stop` changes, then gives the leases up. The
/// comms delivery worker runs beside them (every second) when a gateway is configured.
pub fn spawn(app: App, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    let holder = format!("server-{:016x}", rand::random::<u64>());
    let delivers = app.delivery().sms.is_some() || app.delivery().email.is_some();
    let delivery = delivers.then(|| crate::comms::worker::spawn(app.clone(), stop.clone()));
    tokio::spawn(async move {
        loop {
            run_logged(&app, &PointsExpiry, &holder).await;
            run_logged(&app, &PartnerMembershipEnd, &holder).await;
            run_logged(&app, &TierExpiry, &holder).await;
            tokio::select! {
                _ = tokio::time::sleep(INTERVAL) => {}
                _ = stop.changed() => break,
            }
        }
        for job in [
            PointsExpiry.name(),
            PartnerMembershipEnd.name(),
            TierExpiry.name(),
        ] {
            if let Err(e) = app.db.jobs().release(job, &holder).await {
                tracing::warn!(error = %e, job, "could not release the job lease");
            }
        }
        if let Some(delivery) = delivery {
            let _ = delivery.await;
        }
    })
}
