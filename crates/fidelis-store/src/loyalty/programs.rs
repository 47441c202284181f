//! Reading back what `apply` stored: programs, partner programs, settings (card series are
//! read by `cards`).

use fidelis_domain::loyalty::config::{LoyaltySettings, ProgramRules, ProgramSpec};
use fidelis_domain::loyalty::partner::PartnerProgram;
use fidelis_domain::loyalty::{LoyaltyError, Program, ProgramId, ProgramKind};
use fidelis_domain::org::{Org, OrgId};

use super::apply::from_json;
use super::LoyaltyRepo;
use crate::StoreError;

/// Everything loyalty writes need to know about an org, loaded once and reusable across
/// requests until the org file is applied again.
#[derive(Debug, Clone)]
pub struct LoyaltyContext {
    pub org: Org,
    pub programs: Vec<Program>,
    pub partner_programs: Vec<PartnerProgram>,
    pub settings: LoyaltySettings,
}

impl LoyaltyContext {
    /// The named program, or the org's default program when `id` is `None`.
    pub fn program(&self, id: Option<ProgramId>) -> Result<&Program, LoyaltyError> {
        match id {
            Some(id) => Program::find(&self.programs, id),
            None => Program::default_of(&self.programs),
        }
    }
}

fn kind(s: &str) -> Result<ProgramKind, StoreError> {
    [
        ProgramKind::Default,
        ProgramKind::Supplementary,
        ProgramKind::External,
    ]
    .into_iter()
    .find(|k| k.as_str() == s)
    .ok_or_else(|| StoreError::Corrupt(format!("program kind {s:?}")))
}

impl LoyaltyRepo<'_> {
    /// The org's active programs with their ids, in id order.
    async fn specs(&self, org_id: OrgId) -> Result<Vec<(ProgramId, ProgramSpec)>, StoreError> {
        let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT id, name, kind, description, rules FROM loyalty_programs \
             WHERE org_id = $1 AND is_active = 1 ORDER BY id",
        )
        .bind(org_id.get())
        .fetch_all(self.0.reader())
        .await?;
        rows.into_iter()
            .map(|(id, name, k, description, rules)| {
                let rules: ProgramRules = from_json(&rules, "program rules")?;
                Ok((
                    ProgramId::new(id),
                    ProgramSpec {
                        name,
                        description,
                        kind: kind(&k)?,
                        rules,
                    },
                ))
            })
            .collect()
    }

    /// All active programs (default, supplementary, external) with tiers and rules.
    pub async fn programs(&self, org_id: OrgId) -> Result<Vec<Program>, StoreError> {
        let specs = self.specs(org_id).await?;
        Ok(specs.iter().map(|(id, s)| s.program(*id)).collect())
    }

    /// The supplementary and external programs, as partner programs (same ids).
    pub async fn partner_programs(&self, org_id: OrgId) -> Result<Vec<PartnerProgram>, StoreError> {
        let specs = self.specs(org_id).await?;
        Ok(specs.iter().filter_map(|(id, s)| s.partner(*id)).collect())
    }

    /// The org's loyalty settings; the defaults when its file has no `[loyalty]` section.
    pub async fn settings(&self, org_id: OrgId) -> Result<LoyaltySettings, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT settings FROM loyalty_settings WHERE org_id = $1")
                .bind(org_id.get())
                .fetch_optional(self.0.reader())
                .await?;
        match row {
            Some((s,)) => from_json(&s, "loyalty settings"),
            None => Ok(LoyaltySettings::default()),
        }
    }

    /// Loads the org and its loyalty configuration; `None` for an unknown org.
    pub async fn context(&self, org_id: OrgId) -> Result<Option<LoyaltyContext>, StoreError> {
        let Some(org) = self.0.orgs().get(org_id).await? else {
            return Ok(None);
        };
        let specs = self.specs(org_id).await?;
        Ok(Some(LoyaltyContext {
            org,
            programs: specs.iter().map(|(id, s)| s.program(*id)).collect(),
            partner_programs: specs.iter().filter_map(|(id, s)| s.partner(*id)).collect(),
            settings: self.settings(org_id).await?,
        }))
    }
}
