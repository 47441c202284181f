-- The groups context (userGroup2). A group is an earning entity of the loyalty ledger: its
-- balance row, lots, entries and tier changes live in the loyalty tables, keyed in their
-- `customer_id` column by the group's id negated (customers' ids are positive), so a
-- group earns, expires and moves tiers under the same rules and statements as a customer.

CREATE TABLE user_groups (
    id            INTEGER PRIMARY KEY,
    org_id        BIGINT  NOT NULL REFERENCES orgs (id),
    external_id   TEXT    NOT NULL,
    name          TEXT    NOT NULL DEFAULT '',
    max_size      BIGINT  NOT NULL,
    -- Active members: the join claims a place with one conditional update of this row.
    member_count  BIGINT  NOT NULL DEFAULT 0,
    status        TEXT    NOT NULL DEFAULT 'ACTIVE',
    created_by    BIGINT,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL,
    CHECK (member_count >= 0 AND member_count <= max_size)
);
-- An external id names one live group; a deleted group's id may be used again.
CREATE UNIQUE INDEX user_groups_external ON user_groups (org_id, external_id)
    WHERE status <> 'DELETED';

CREATE TABLE user_group_members (
    org_id       BIGINT NOT NULL,
    group_id     BIGINT NOT NULL,
    customer_id  BIGINT NOT NULL,
    is_primary   BIGINT NOT NULL DEFAULT 0,
    permissions  TEXT   NOT NULL DEFAULT '',
    is_active    BIGINT NOT NULL DEFAULT 1,
    joined_at    BIGINT NOT NULL,
    left_at      BIGINT,
    PRIMARY KEY (org_id, group_id, customer_id)
);
CREATE INDEX user_group_members_customer ON user_group_members (org_id, customer_id);
-- One primary member per group, and a customer is primary in one group at most.
CREATE UNIQUE INDEX user_group_one_primary ON user_group_members (org_id, group_id)
    WHERE is_primary = 1 AND is_active = 1;
CREATE UNIQUE INDEX user_group_primary_once ON user_group_members (org_id, customer_id)
    WHERE is_primary = 1 AND is_active = 1;

-- A bill made for a group is the group's (customer_id holds the group's ledger key, as in
-- the other loyalty tables); member_id names the customer who made it.
ALTER TABLE loyalty_transactions ADD COLUMN member_id BIGINT;
CREATE INDEX loyalty_transactions_member ON loyalty_transactions (org_id, member_id)
    WHERE member_id IS NOT NULL;
