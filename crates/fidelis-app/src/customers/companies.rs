//! Fleet companies (`/v2/companies`): a tree of companies in one hierarchy, and the
//! customers linked to them.

use fidelis_domain::customers::companies::extended_field_matches;
use fidelis_domain::customers::{normalise_company_external_id, CompanyInput, FleetError};
use fidelis_domain::org::OrgId;
use fidelis_store::customers::Company;

use super::Customers;
use crate::{AppError, Caller};

/// Which slice of a list: at most `limit` items after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Customers<'_> {
    /// A new company (1701–1710 for what is wrong with it).
    pub async fn create_company(
        &self,
        caller: &Caller,
        input: &CompanyInput,
    ) -> Result<Company, AppError> {
        Ok(self
            .app
            .db
            .customers()
            .create_company(caller.org_id, input, self.app.now())
            .await?)
    }

    /// Changes the name, extended fields or parent of the company named by `externalId`.
    pub async fn update_company(
        &self,
        caller: &Caller,
        input: &CompanyInput,
    ) -> Result<Company, AppError> {
        Ok(self
            .app
            .db
            .customers()
            .update_company(caller.org_id, input, self.app.now())
            .await?)
    }

    /// The active company with this external id (1703 malformed, 1704 unknown or
    /// deactivated).
    pub async fn company(
        &self,
        caller: &Caller,
        external_id: Option<&str>,
    ) -> Result<Company, AppError> {
        self.active_company(caller.org_id, external_id).await
    }

    pub(super) async fn active_company(
        &self,
        org_id: OrgId,
        external_id: Option<&str>,
    ) -> Result<Company, AppError> {
        let ext = normalise_company_external_id(external_id)?;
        Ok(self
            .app
            .db
            .customers()
            .company(org_id, &ext)
            .await?
            .filter(|c| c.active)
            .ok_or(FleetError::CompanyNotFound(ext))?)
    }

    /// A page of the active companies, oldest first, and how many there are in all.
    pub async fn companies(
        &self,
        caller: &Caller,
        page: Page,
    ) -> Result<(Vec<Company>, usize), AppError> {
        let (list, total) = self
            .app
            .db
            .customers()
            .companies(caller.org_id, page.limit, page.offset)
            .await?;
        Ok((list, usize::try_from(total).unwrap_or(0)))
    }

    /// A page of the active companies whose extended field `name` holds `value` (compared
    /// as text, without case), and how many match in all.
    pub async fn companies_with_field(
        &self,
        caller: &Caller,
        name: &str,
        value: &str,
        page: Page,
    ) -> Result<(Vec<Company>, usize), AppError> {
        let all = self.app.db.customers().all_companies(caller.org_id).await?;
        let matching: Vec<Company> = all
            .into_iter()
            .filter(|c| extended_field_matches(&c.extended_fields, name, value))
            .collect();
        let total = matching.len();
        let data = matching
            .into_iter()
            .skip(usize::try_from(page.offset).unwrap_or(0))
            .take(usize::try_from(page.limit).unwrap_or(0))
            .collect();
        Ok((data, total))
    }

    /// Deactivates the company and its sub-companies; their customers stay active.
    pub async fn deactivate_company(
        &self,
        caller: &Caller,
        external_id: Option<&str>,
    ) -> Result<(), AppError> {
        let ext = normalise_company_external_id(external_id)?;
        self.app
            .db
            .customers()
            .deactivate_company(caller.org_id, &ext, self.app.now())
            .await?;
        Ok(())
    }
}
