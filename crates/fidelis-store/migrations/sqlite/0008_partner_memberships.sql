-- Partner and supplementary program memberships (docs/loyalty.md, "Partner and
-- supplementary programs"). Customers and partner programs are referenced by id without a
-- foreign key, like the rest of the loyalty context.

-- One row per member and partner program: the latest membership. Linking again after a
-- delink or an expiry replaces the row; the activity table keeps the history. The primary
-- key is what makes two concurrent links of one member meet on one row.
-- ended_at: when the membership stopped (delinked_at, or tier_expiry once the end job has
-- recorded the expiry); NULL while it is open.
CREATE TABLE loyalty_partner_memberships (
    org_id              BIGINT NOT NULL,
    customer_id         BIGINT NOT NULL,
    partner_program_id  BIGINT NOT NULL,
    membership_id       TEXT   NOT NULL,
    tier_number         BIGINT,
    tier_name           TEXT,
    tier_expiry         BIGINT,
    started_at          BIGINT NOT NULL,
    delinked_at         BIGINT,
    ended_at            BIGINT,
    last_updated        BIGINT NOT NULL,
    last_activity       TEXT   NOT NULL,
    PRIMARY KEY (org_id, customer_id, partner_program_id)
);
-- The end job only looks at open memberships with an expiry.
CREATE INDEX loyalty_partner_memberships_due ON loyalty_partner_memberships (org_id, tier_expiry)
    WHERE ended_at IS NULL;

-- Append-only history: joined, upgraded, renewed, downgraded, delinked, expired.
CREATE TABLE loyalty_partner_activities (
    id                  INTEGER PRIMARY KEY,
    org_id              BIGINT NOT NULL,
    customer_id         BIGINT NOT NULL,
    partner_program_id  BIGINT NOT NULL,
    activity            TEXT   NOT NULL,
    at                  BIGINT NOT NULL,
    tier_name           TEXT,
    tier_expiry         BIGINT,
    CHECK (activity IN ('JOINED', 'UPGRADED', 'RENEWED', 'DOWNGRADED', 'DELINKED', 'EXPIRED'))
);
CREATE INDEX loyalty_partner_activities_customer
    ON loyalty_partner_activities (org_id, customer_id, partner_program_id, at, id);
