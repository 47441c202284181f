-- Companies of fleet hierarchies, nested through parent_id. Deleting a company only
-- deactivates it (is_active = 0); it keeps its externalId, which cannot be taken again.
CREATE TABLE companies (
    id               INTEGER PRIMARY KEY,
    org_id           BIGINT  NOT NULL,
    external_id      TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    hierarchy_id     BIGINT  NOT NULL,
    parent_id        BIGINT,
    extended_fields  TEXT    NOT NULL DEFAULT '{}',
    is_active        BIGINT  NOT NULL DEFAULT 1,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);
CREATE UNIQUE INDEX companies_external_id ON companies (org_id, external_id);
CREATE INDEX companies_parent ON companies (org_id, parent_id);

-- The company a customer belongs to (at most one); the link outlives a deactivation.
CREATE TABLE company_customers (
    org_id       BIGINT NOT NULL,
    customer_id  BIGINT NOT NULL,
    company_id   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (org_id, customer_id)
);
CREATE INDEX company_customers_company ON company_customers (org_id, company_id, created_at, customer_id);
