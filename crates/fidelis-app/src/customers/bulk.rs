//! `/v2/customers/bulk`: fleet customers registered and linked in one call, and the
//! customers of a parent or of a company.
//!
//! Each element is registered like a single registration (a known customer is joined or
//! refreshed), then placed in its hierarchy: under its parent, or as a top member with its
//! children linked beneath it; with a company they also join it. Elements succeed or fail
//! on their own, each whole: one unit of work writes an element with its parent and
//! children, or nothing of it. The batch limit counts every customer a request names.

use std::future::Future;

use fidelis_domain::customers::{CustomerError, CustomerId, FleetError};
use fidelis_store::customers::{Company, FleetMember, Hierarchy, Registration, Saved};
use fidelis_store::Unit;
use jiff::Timestamp;

use super::{Ctx, CustomerKey, CustomerView, Customers, Embed, Lookup, Page, Warnings};
use crate::AppError;

/// Capillary's batch limit for customer APIs (1060 beyond it).
pub const MAX_BATCH: usize = 100;

/// What the surface that received a batch knows how to do with each customer it sent.
pub trait BulkInput {
    /// One customer as the surface received it.
    type Customer;
    /// A failure that stops the whole batch.
    type Error: From<AppError>;

    /// The registration the customer asks for, and the warnings its validation gave.
    fn registration(
        &self,
        ctx: &Ctx,
        customer: &Self::Customer,
        now: Timestamp,
    ) -> Result<(Registration, Warnings), CustomerError>;

    /// Runs in the element's unit of work once the customer is saved (its loyalty
    /// enrolments): refusals are added to `saved.warnings`, an error stops the batch.
    fn saved(
        &self,
        unit: &mut Unit,
        customer: &Self::Customer,
        saved: &mut Saved,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// One element of a batch.
pub struct BulkElement<'a, C> {
    pub customer: &'a C,
    pub association: Option<BulkAssociation<'a, C>>,
}

/// Where an element goes: a hierarchy and role, under a parent or above children, and a
/// company.
pub struct BulkAssociation<'a, C> {
    pub hierarchy_code: Option<&'a str>,
    pub role_code: Option<&'a str>,
    pub parent: Option<&'a C>,
    pub children: Vec<BulkChild<'a, C>>,
    /// The company to join, when one is named: its external id, if the reference has one.
    pub company: Option<Option<&'a str>>,
}

/// A child customer and the role it asks for (its parent role's child role when absent).
pub struct BulkChild<'a, C> {
    pub customer: &'a C,
    pub role_code: Option<&'a str>,
}

impl<C> BulkElement<'_, C> {
    /// How many customers the element names: itself, its parent and its children.
    fn customers(&self) -> usize {
        1 + self
            .association
            .as_ref()
            .map_or(0, |a| a.children.len() + usize::from(a.parent.is_some()))
    }
}

/// A customer's fleet role (with the child role below it) and company.
#[derive(Debug, Clone, Default)]
pub struct Association {
    pub member: Option<FleetMember>,
    /// The child role of the member's role in its hierarchy.
    pub child_role: Option<String>,
    pub company: Option<Company>,
}

/// A customer of a batch as stored.
#[derive(Debug, Clone)]
pub struct FleetEntity {
    pub customer: CustomerView,
    /// Registered by this call (not found and updated).
    pub created: bool,
    /// `None` when the element asked for no association.
    pub association: Option<Association>,
    pub warnings: Warnings,
}

/// What a successful element wrote: its customer and its children.
#[derive(Debug, Clone)]
pub struct ElementOutcome {
    pub entity: FleetEntity,
    /// The parent the element named, as stored after the call.
    pub parent: Option<FleetEntity>,
    pub children: Vec<FleetEntity>,
}

/// Where an element's children go: their hierarchy, parent and company.
struct Under<'a> {
    hierarchy: &'a Hierarchy,
    parent: &'a FleetMember,
    company: Option<&'a Company>,
}

/// What an element wrote, before it is read back.
struct Written {
    saved: Saved,
    associated: bool,
    parent: Option<Saved>,
    children: Vec<Saved>,
}

/// Why an element stopped: a refusal (the element's error) or a failure of the batch.
enum Stop<E> {
    Element(AppError),
    Batch(E),
}

impl<E> From<AppError> for Stop<E> {
    fn from(e: AppError) -> Self {
        Stop::Element(e)
    }
}

impl<E> From<CustomerError> for Stop<E> {
    fn from(e: CustomerError) -> Self {
        Stop::Element(e.into())
    }
}

impl<E> From<FleetError> for Stop<E> {
    fn from(e: FleetError) -> Self {
        Stop::Element(e.into())
    }
}

impl<E> From<fidelis_store::customers::CustomersError> for Stop<E> {
    fn from(e: fidelis_store::customers::CustomersError) -> Self {
        Stop::Element(e.into())
    }
}

impl<E> From<fidelis_store::StoreError> for Stop<E> {
    fn from(e: fidelis_store::StoreError) -> Self {
        Stop::Element(e.into())
    }
}

fn blank(s: Option<&str>) -> bool {
    s.is_none_or(|s| s.trim().is_empty())
}

impl Customers<'_> {
    /// Registers and associates each element: one result per element, in order. A request
    /// with no elements, or naming more than [`MAX_BATCH`] customers, is refused whole; so
    /// is one that meets an internal failure.
    pub async fn bulk<I: BulkInput>(
        &self,
        ctx: &Ctx,
        input: &I,
        elements: &[BulkElement<'_, I::Customer>],
    ) -> Result<Vec<Result<ElementOutcome, AppError>>, I::Error> {
        if elements.is_empty() {
            return Err(AppError::from(CustomerError::InvalidInput(
                "at least one customer is required".into(),
            ))
            .into());
        }
        if elements.iter().map(BulkElement::customers).sum::<usize>() > MAX_BATCH {
            return Err(AppError::from(CustomerError::BatchLimit(MAX_BATCH)).into());
        }
        let mut out = Vec::with_capacity(elements.len());
        for el in elements {
            match self.element(ctx, input, el).await {
                Ok(v) => out.push(Ok(v)),
                Err(Stop::Batch(e)) => return Err(e),
                Err(Stop::Element(e)) if e.is_internal() => return Err(e.into()),
                Err(Stop::Element(e)) => out.push(Err(e)),
            }
        }
        Ok(out)
    }

    /// One element, whole or not at all, then read back.
    async fn element<I: BulkInput>(
        &self,
        ctx: &Ctx,
        input: &I,
        el: &BulkElement<'_, I::Customer>,
    ) -> Result<ElementOutcome, Stop<I::Error>> {
        // An unknown or deactivated company fails the element before anyone is registered.
        let company = match el.association.as_ref().and_then(|a| a.company) {
            Some(ext) => Some(self.active_company(ctx.org.id, ext).await?),
            None => None,
        };
        let mut unit = self.app.db.unit().await?;
        let written = self
            .write(&mut unit, ctx, input, el, company.as_ref())
            .await?;
        unit.commit().await?;
        let Written {
            saved,
            associated,
            parent,
            children,
        } = written;
        let entity = self.read(ctx, saved, associated).await?;
        let parent = match parent {
            Some(p) => Some(self.read(ctx, p, true).await?),
            None => None,
        };
        let mut entities = Vec::with_capacity(children.len());
        for c in children {
            entities.push(self.read(ctx, c, true).await?);
        }
        Ok(ElementOutcome {
            entity,
            parent,
            children: entities,
        })
    }

    /// Everything an element asks for, in `unit`.
    async fn write<I: BulkInput>(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        input: &I,
        el: &BulkElement<'_, I::Customer>,
        company: Option<&Company>,
    ) -> Result<Written, Stop<I::Error>> {
        let saved = self.register_in(unit, ctx, input, el.customer).await?;
        let Some(ad) = &el.association else {
            return Ok(Written {
                saved,
                associated: false,
                parent: None,
                children: Vec::new(),
            });
        };
        let repo = self.app.db.customers();
        if let Some(c) = company {
            // Only a company to join: no role in its hierarchy is asked for.
            if blank(ad.hierarchy_code)
                && blank(ad.role_code)
                && ad.parent.is_none()
                && ad.children.is_empty()
            {
                repo.link_company_in(
                    unit,
                    ctx.org.id,
                    &c.external_id,
                    saved.customer_id,
                    self.app.now(),
                )
                .await?;
                return Ok(Written {
                    saved,
                    associated: true,
                    parent: None,
                    children: Vec::new(),
                });
            }
        }
        let code = match (ad.hierarchy_code, company) {
            (code, Some(c)) if blank(code) => Some(c.hierarchy_code.as_str()),
            (code, _) => code,
        };
        let h = self.active_hierarchy(ctx, code).await?;
        let role = ad
            .role_code
            .filter(|r| !r.trim().is_empty())
            .ok_or_else(|| FleetError::UnknownRole(String::new()))?;
        let mut parent_saved = None;
        let member = match ad.parent {
            Some(parent) => {
                let parent = self.register_in(unit, ctx, input, parent).await?;
                let member = repo
                    .fleet_link_in(
                        unit,
                        ctx.org.id,
                        &h,
                        saved.customer_id,
                        role,
                        parent.customer_id,
                        self.app.now(),
                    )
                    .await?;
                parent_saved = Some(parent);
                member
            }
            None => {
                repo.fleet_place_in(
                    unit,
                    ctx.org.id,
                    &h,
                    saved.customer_id,
                    role,
                    self.app.now(),
                )
                .await?
            }
        };
        if let Some(c) = company {
            repo.link_company_in(
                unit,
                ctx.org.id,
                &c.external_id,
                saved.customer_id,
                self.app.now(),
            )
            .await?;
        }
        let under = Under {
            hierarchy: &h,
            parent: &member,
            company,
        };
        let mut children = Vec::with_capacity(ad.children.len());
        for c in &ad.children {
            children.push(self.child_in(unit, ctx, input, &under, c).await?);
        }
        Ok(Written {
            saved,
            associated: true,
            parent: parent_saved,
            children,
        })
    }

    /// Registers and links one child under its parent.
    async fn child_in<I: BulkInput>(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        input: &I,
        under: &Under<'_>,
        child: &BulkChild<'_, I::Customer>,
    ) -> Result<Saved, Stop<I::Error>> {
        let (h, parent) = (under.hierarchy, under.parent);
        let role = child
            .role_code
            .map(str::to_string)
            .or_else(|| {
                h.config
                    .role(&parent.role_code)
                    .and_then(|r| r.child_role_code.clone())
            })
            .ok_or(FleetError::RoleDoesNotQualify)?;
        let saved = self.register_in(unit, ctx, input, child.customer).await?;
        let repo = self.app.db.customers();
        repo.fleet_link_in(
            unit,
            ctx.org.id,
            h,
            saved.customer_id,
            &role,
            parent.customer_id,
            self.app.now(),
        )
        .await?;
        if let Some(c) = under.company {
            repo.link_company_in(
                unit,
                ctx.org.id,
                &c.external_id,
                saved.customer_id,
                self.app.now(),
            )
            .await?;
        }
        Ok(saved)
    }

    /// Registers one customer of the batch in `unit`, then lets the surface finish it.
    async fn register_in<I: BulkInput>(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        input: &I,
        customer: &I::Customer,
    ) -> Result<Saved, Stop<I::Error>> {
        let (reg, mut warnings) = input.registration(ctx, customer, self.app.now())?;
        let mut saved = self
            .app
            .db
            .customers()
            .register_in(unit, ctx.org.id, &reg, &ctx.actor, self.app.now())
            .await?;
        warnings.append(&mut saved.warnings);
        saved.warnings = warnings;
        input
            .saved(unit, customer, &mut saved)
            .await
            .map_err(Stop::Batch)?;
        Ok(saved)
    }

    /// The active hierarchy an element names (1613 none, 1616 unknown, 1610 inactive).
    async fn active_hierarchy(&self, ctx: &Ctx, code: Option<&str>) -> Result<Hierarchy, AppError> {
        let code = code.unwrap_or("").trim();
        if code.is_empty() {
            return Err(FleetError::EmptyCode.into());
        }
        let h = self
            .app
            .db
            .customers()
            .hierarchy_by_code(ctx.org.id, code)
            .await?
            .ok_or_else(|| FleetError::UnknownHierarchy(code.into()))?;
        if !h.config.active {
            return Err(FleetError::Inactive.into());
        }
        Ok(h)
    }

    /// A customer read back, with its association when one was asked for.
    async fn read(
        &self,
        ctx: &Ctx,
        saved: Saved,
        associated: bool,
    ) -> Result<FleetEntity, AppError> {
        let id = saved.customer_id;
        let customer = self
            .details(ctx, CustomerKey::Id(id), Embed::default())
            .await?;
        let association = if associated {
            Some(self.association(ctx, id).await?)
        } else {
            None
        };
        Ok(FleetEntity {
            customer,
            created: saved.created,
            association,
            warnings: saved.warnings,
        })
    }

    /// Customers found (not written by this call), with their associations.
    async fn read_stored(
        &self,
        ctx: &Ctx,
        ids: Vec<CustomerId>,
    ) -> Result<Vec<FleetEntity>, AppError> {
        let mut out = Vec::with_capacity(ids.len());
        for customer_id in ids {
            let found = Saved {
                customer_id,
                created: false,
                warnings: Vec::new(),
            };
            out.push(self.read(ctx, found, true).await?);
        }
        Ok(out)
    }

    /// The customer's fleet role and company, as stored.
    pub async fn association(&self, ctx: &Ctx, id: CustomerId) -> Result<Association, AppError> {
        let repo = self.app.db.customers();
        let member = repo.fleet_member(ctx.org.id, id).await?;
        let child_role = match &member {
            Some(m) => repo
                .hierarchy_by_id(ctx.org.id, m.hierarchy_id)
                .await?
                .and_then(|h| h.config.role(&m.role_code).cloned())
                .and_then(|r| r.child_role_code),
            None => None,
        };
        let company = repo.customer_company(ctx.org.id, id).await?;
        Ok(Association {
            member,
            child_role,
            company,
        })
    }

    /// The children of the customer an identifier names, oldest link first, at most
    /// `limit`.
    pub async fn fleet_children(
        &self,
        ctx: &Ctx,
        parent: &Lookup,
        limit: i64,
    ) -> Result<Vec<FleetEntity>, AppError> {
        let parent = self.resolve(ctx, parent).await?;
        let ids = self
            .app
            .db
            .customers()
            .fleet_children(ctx.org.id, parent, limit)
            .await?;
        let out = self.read_stored(ctx, ids).await?;
        Ok(out)
    }

    /// A page of the customers linked to `company`, oldest link first, and how many there
    /// are in all.
    pub async fn company_customers(
        &self,
        ctx: &Ctx,
        company: &Company,
        page: Page,
    ) -> Result<(Vec<FleetEntity>, i64), AppError> {
        let (ids, total) = self
            .app
            .db
            .customers()
            .company_customers(ctx.org.id, company.id, page.limit, page.offset)
            .await?;
        let out = self.read_stored(ctx, ids).await?;
        Ok((out, total))
    }
}
