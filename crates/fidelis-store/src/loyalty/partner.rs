//! Partner and supplementary program memberships: link, update, delink, the history of
//! each, and the job that ends memberships at their expiry.
//!
//! Every write is one transaction that first locks the member's row for the program
//! (`SELECT … FOR UPDATE` on PostgreSQL; SQLite has a single writer), lets the domain decide
//! (`domain::loyalty::partner`), then writes the row and appends the activity. A link
//! writes with a conditional upsert that only replaces a membership that has ended, so two
//! concurrent links of one member meet on the primary key and exactly one succeeds.

use fidelis_domain::customers::CustomerId;
use fidelis_domain::loyalty::partner::{
    self as rules, ActivityEntry, ActivityType, LinkRequest, Membership, PartnerProgram,
    PartnerProgramId, PartnerUpdateType,
};
use fidelis_domain::loyalty::LoyaltyError;
use fidelis_domain::org::{Org, OrgId};
use jiff::civil::Date;
use jiff::Timestamp;

use super::{LoyaltyRepo, Tx};
use crate::time::{from_db, to_db};
use crate::StoreError;

/// Memberships the end job handles per query; it loops until none are left.
const END_BATCH: i64 = 500;

/// Whose membership a write is about.
#[derive(Debug, Clone, Copy)]
struct Key {
    org_id: OrgId,
    customer_id: CustomerId,
    program_id: PartnerProgramId,
}

type Row = (
    i64,
    String,
    Option<i64>,
    Option<String>,
    Option<i64>,
    i64,
    Option<i64>,
    i64,
    String,
);
const COLUMNS: &str = "partner_program_id, membership_id, tier_number, tier_name, tier_expiry, \
                       started_at, delinked_at, last_updated, last_activity";

fn activity(s: &str) -> Result<ActivityType, StoreError> {
    ActivityType::parse(s).ok_or_else(|| StoreError::Corrupt(format!("partner activity {s:?}")))
}

fn from_row(r: Row) -> Result<Membership, StoreError> {
    Ok(Membership {
        partner_program_id: PartnerProgramId::new(r.0),
        membership_id: r.1,
        tier_number: r
            .2
            .map(|n| u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("partner tier {n}"))))
            .transpose()?,
        tier_name: r.3,
        tier_expiry: r.4.map(from_db).transpose()?,
        start: from_db(r.5)?,
        delinked_at: r.6.map(from_db).transpose()?,
        last_updated: from_db(r.7)?,
        last_activity: activity(&r.8)?,
    })
}

/// The member's row for the program, locked until the transaction ends.
async fn lock(tx: &mut Tx, k: Key) -> Result<Option<Membership>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM loyalty_partner_memberships \
         WHERE org_id = $1 AND customer_id = $2 AND partner_program_id = $3{}",
        tx.backend().for_update()
    ))
    .bind(k.org_id.get())
    .bind(k.customer_id.get())
    .bind(k.program_id.get())
    .fetch_optional(&mut **tx)
    .await?;
    row.map(from_row).transpose()
}

/// Writes a new membership unless a current one is in the way; false when it is (another
/// link got there first).
async fn insert_unless_current(
    tx: &mut Tx,
    k: Key,
    m: &Membership,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO loyalty_partner_memberships (org_id, customer_id, partner_program_id, \
         membership_id, tier_number, tier_name, tier_expiry, started_at, delinked_at, ended_at, \
         last_updated, last_activity) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (org_id, customer_id, partner_program_id) DO UPDATE SET \
         membership_id = excluded.membership_id, tier_number = excluded.tier_number, \
         tier_name = excluded.tier_name, tier_expiry = excluded.tier_expiry, \
         started_at = excluded.started_at, delinked_at = excluded.delinked_at, \
         ended_at = excluded.ended_at, last_updated = excluded.last_updated, \
         last_activity = excluded.last_activity \
         WHERE loyalty_partner_memberships.ended_at IS NOT NULL \
         OR loyalty_partner_memberships.tier_expiry < $13 \
         RETURNING partner_program_id",
    )
    .bind(k.org_id.get())
    .bind(k.customer_id.get())
    .bind(k.program_id.get())
    .bind(&m.membership_id)
    .bind(m.tier_number.map(i64::from))
    .bind(m.tier_name.as_deref())
    .bind(m.tier_expiry.map(to_db))
    .bind(to_db(m.start))
    .bind(m.delinked_at.map(to_db))
    .bind(m.ended_at().map(to_db))
    .bind(to_db(m.last_updated))
    .bind(m.last_activity.as_str())
    .bind(to_db(now))
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.is_some())
}

/// Writes an existing (locked) membership back.
async fn save(tx: &mut Tx, k: Key, m: &Membership) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE loyalty_partner_memberships SET membership_id = $4, tier_number = $5, \
         tier_name = $6, tier_expiry = $7, started_at = $8, delinked_at = $9, ended_at = $10, \
         last_updated = $11, last_activity = $12 \
         WHERE org_id = $1 AND customer_id = $2 AND partner_program_id = $3",
    )
    .bind(k.org_id.get())
    .bind(k.customer_id.get())
    .bind(k.program_id.get())
    .bind(&m.membership_id)
    .bind(m.tier_number.map(i64::from))
    .bind(m.tier_name.as_deref())
    .bind(m.tier_expiry.map(to_db))
    .bind(to_db(m.start))
    .bind(m.delinked_at.map(to_db))
    .bind(m.ended_at().map(to_db))
    .bind(to_db(m.last_updated))
    .bind(m.last_activity.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn append(tx: &mut Tx, k: Key, a: &ActivityEntry) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO loyalty_partner_activities (org_id, customer_id, partner_program_id, \
         activity, at, tier_name, tier_expiry) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(k.org_id.get())
    .bind(k.customer_id.get())
    .bind(k.program_id.get())
    .bind(a.activity.as_str())
    .bind(to_db(a.at))
    .bind(a.tier_name.as_deref())
    .bind(a.tier_expiry.map(to_db))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How a write stores its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    /// A new membership: only where none is current.
    Link,
    /// A change to the locked, current membership.
    Change,
}

impl LoyaltyRepo<'_> {
    /// One membership write: lock, record a pending expiry first (so the history says the
    /// old membership ended before a new one began), let `decide` rule, write, append.
    async fn write_membership<F>(
        &self,
        k: Key,
        how: Write,
        now: Timestamp,
        decide: F,
    ) -> Result<Membership, StoreError>
    where
        F: FnOnce(Option<&Membership>) -> Result<(Membership, ActivityEntry), LoyaltyError>,
    {
        let mut tx = self.0.begin().await?;
        let mut existing = lock(&mut tx, k).await?;
        if let Some((ended, a)) = existing.as_ref().and_then(|m| rules::expire(m, now)) {
            save(&mut tx, k, &ended).await?;
            append(&mut tx, k, &a).await?;
            existing = Some(ended);
        }
        let (m, a) = decide(existing.as_ref())?;
        match how {
            Write::Link => {
                if !insert_unless_current(&mut tx, k, &m, now).await? {
                    return Err(LoyaltyError::PartnerAlreadyLinked.into());
                }
            }
            Write::Change => save(&mut tx, k, &m).await?,
        }
        append(&mut tx, k, &a).await?;
        tx.commit().await?;
        Ok(m)
    }

    /// Links a customer to a partner program (2005 not enrolled / already linked, 2007
    /// tier, 2003 expiry in the past).
    pub async fn link_partner(
        &self,
        org: &Org,
        customer_id: CustomerId,
        program: &PartnerProgram,
        enrolled_in_loyalty: bool,
        req: &LinkRequest,
        now: Timestamp,
    ) -> Result<Membership, StoreError> {
        let k = Key {
            org_id: org.id,
            customer_id,
            program_id: program.id,
        };
        self.write_membership(k, Write::Link, now, |existing| {
            rules::link(
                program,
                existing,
                enrolled_in_loyalty,
                req,
                now,
                &org.time_zone,
            )
        })
        .await
    }

    /// Upgrades, renews or downgrades a current membership (2004 when there is none, 2009
    /// when the tier does not fit the update type).
    #[allow(clippy::too_many_arguments)]
    pub async fn update_partner(
        &self,
        org: &Org,
        customer_id: CustomerId,
        program: &PartnerProgram,
        update_type: PartnerUpdateType,
        tier_name: Option<&str>,
        tier_expiry: Option<Date>,
        now: Timestamp,
    ) -> Result<Membership, StoreError> {
        let k = Key {
            org_id: org.id,
            customer_id,
            program_id: program.id,
        };
        self.write_membership(k, Write::Change, now, |existing| {
            rules::update(
                program,
                existing,
                update_type,
                tier_name,
                tier_expiry,
                now,
                &org.time_zone,
            )
        })
        .await
    }

    /// Ends a current membership (2004 when there is none).
    pub async fn delink_partner(
        &self,
        org_id: OrgId,
        customer_id: CustomerId,
        program_id: PartnerProgramId,
        now: Timestamp,
    ) -> Result<Membership, StoreError> {
        let k = Key {
            org_id,
            customer_id,
            program_id,
        };
        self.write_membership(k, Write::Change, now, |existing| {
            rules::delink(existing, now)
        })
        .await
    }

    /// The customer's latest membership in each partner program, current or ended, in
    /// program id order.
    pub async fn partner_memberships(
        &self,
        org_id: OrgId,
        customer_id: CustomerId,
    ) -> Result<Vec<Membership>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM loyalty_partner_memberships \
             WHERE org_id = $1 AND customer_id = $2 ORDER BY partner_program_id"
        ))
        .bind(org_id.get())
        .bind(customer_id.get())
        .fetch_all(self.0.reader())
        .await?;
        rows.into_iter().map(from_row).collect()
    }

    /// The customer's latest membership in one partner program.
    pub async fn partner_membership(
        &self,
        org_id: OrgId,
        customer_id: CustomerId,
        program_id: PartnerProgramId,
    ) -> Result<Option<Membership>, StoreError> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM loyalty_partner_memberships \
             WHERE org_id = $1 AND customer_id = $2 AND partner_program_id = $3"
        ))
        .bind(org_id.get())
        .bind(customer_id.get())
        .bind(program_id.get())
        .fetch_optional(self.0.reader())
        .await?;
        row.map(from_row).transpose()
    }

    /// The customer's activities in one partner program between `from` and `to`
    /// (inclusive; `None`: unbounded), oldest first.
    pub async fn partner_activities(
        &self,
        org_id: OrgId,
        customer_id: CustomerId,
        program_id: PartnerProgramId,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<Vec<ActivityEntry>, StoreError> {
        let rows: Vec<(String, i64, Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT activity, at, tier_name, tier_expiry FROM loyalty_partner_activities \
             WHERE org_id = $1 AND customer_id = $2 AND partner_program_id = $3 \
             AND at >= $4 AND at <= $5 ORDER BY at, id",
        )
        .bind(org_id.get())
        .bind(customer_id.get())
        .bind(program_id.get())
        .bind(from.map(to_db).unwrap_or(i64::MIN))
        .bind(to.map(to_db).unwrap_or(i64::MAX))
        .fetch_all(self.0.reader())
        .await?;
        rows.into_iter()
            .map(|(act, at, tier_name, tier_expiry)| {
                Ok(ActivityEntry {
                    partner_program_id: program_id,
                    activity: activity(&act)?,
                    at: from_db(at)?,
                    tier_name,
                    tier_expiry: tier_expiry.map(from_db).transpose()?,
                })
            })
            .collect()
    }

    /// The membership-end job for one org: every open membership whose expiry has passed
    /// is ended with an `EXPIRED` activity dated at its expiry, each in its own
    /// transaction under the row lock. Returns how many were ended; a second run at the
    /// same `now` ends none.
    pub async fn end_partner_memberships(
        &self,
        org_id: OrgId,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let mut ended = 0;
        loop {
            let due: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT customer_id, partner_program_id FROM loyalty_partner_memberships \
                 WHERE org_id = $1 AND ended_at IS NULL AND tier_expiry < $2 \
                 ORDER BY tier_expiry, customer_id, partner_program_id LIMIT $3",
            )
            .bind(org_id.get())
            .bind(to_db(now))
            .bind(END_BATCH)
            .fetch_all(self.0.reader())
            .await?;
            let mut done = 0;
            for (customer_id, program_id) in &due {
                let k = Key {
                    org_id,
                    customer_id: CustomerId::new(*customer_id),
                    program_id: PartnerProgramId::new(*program_id),
                };
                let mut tx = self.0.begin().await?;
                let current = lock(&mut tx, k).await?;
                // Someone else (a link, or another run) may have got there first.
                let Some((m, a)) = current.as_ref().and_then(|m| rules::expire(m, now)) else {
                    continue;
                };
                save(&mut tx, k, &m).await?;
                append(&mut tx, k, &a).await?;
                tx.commit().await?;
                done += 1;
            }
            ended += done;
            if due.len() < END_BATCH as usize || done == 0 {
                return Ok(ended);
            }
        }
    }
}
