-- The customers context. Instants are microseconds since the Unix epoch, UTC; flags 0/1.
-- JSON documents (fields, channels, card details) are TEXT.

CREATE TABLE customer_status_labels (
    org_id    BIGINT  NOT NULL,
    name      TEXT    NOT NULL,
    name_key  TEXT    NOT NULL,
    status    TEXT    NOT NULL,
    position  BIGINT  NOT NULL,
    PRIMARY KEY (org_id, name_key)
);

CREATE TABLE customer_field_defs (
    org_id      BIGINT NOT NULL,
    scope       TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    field_type  TEXT   NOT NULL,
    PRIMARY KEY (org_id, scope, name)
);

CREATE TABLE fleet_hierarchies (
    id           INTEGER PRIMARY KEY,
    org_id       BIGINT  NOT NULL,
    code         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    definition   TEXT    NOT NULL,
    from_file    BIGINT  NOT NULL DEFAULT 0,
    is_active    BIGINT  NOT NULL DEFAULT 1,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE UNIQUE INDEX fleet_hierarchies_code ON fleet_hierarchies (org_id, code);

CREATE TABLE customers (
    id                INTEGER PRIMARY KEY,
    org_id            BIGINT  NOT NULL,
    loyalty_type      TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    status_label      TEXT,
    extended_fields   TEXT    NOT NULL DEFAULT '{}',
    associated_with   TEXT,
    created_till_id   BIGINT,
    modified_till_id  BIGINT,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);
CREATE INDEX customers_org ON customers (org_id, id);

CREATE TABLE customer_profiles (
    id              INTEGER PRIMARY KEY,
    org_id          BIGINT  NOT NULL,
    customer_id     BIGINT  NOT NULL,
    source          TEXT    NOT NULL,
    account_id      TEXT    NOT NULL DEFAULT '',
    first_name      TEXT,
    last_name       TEXT,
    fields          TEXT    NOT NULL DEFAULT '{}',
    comm_channels   TEXT    NOT NULL DEFAULT '[]',
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE UNIQUE INDEX customer_profiles_account ON customer_profiles (org_id, customer_id, source, account_id);

-- One row per identifier per source account. `live` = 0 once the customer is DELETED,
-- which frees the value for a new registration.
CREATE TABLE customer_identifiers (
    org_id       BIGINT  NOT NULL,
    customer_id  BIGINT  NOT NULL,
    source       TEXT    NOT NULL,
    account_id   TEXT    NOT NULL DEFAULT '',
    kind         TEXT    NOT NULL,
    value        TEXT    NOT NULL,
    details      TEXT    NOT NULL DEFAULT '{}',
    live         BIGINT  NOT NULL DEFAULT 1,
    created_at   BIGINT  NOT NULL
);
CREATE UNIQUE INDEX customer_identifiers_unique ON customer_identifiers (org_id, kind, value, source, account_id) WHERE live = 1;
CREATE INDEX customer_identifiers_customer ON customer_identifiers (org_id, customer_id);

-- Which live customer holds an identifier value, across all sources: the database keeps
-- two registrations from giving one value to two customers.
CREATE TABLE customer_identifier_owners (
    org_id       BIGINT NOT NULL,
    kind         TEXT   NOT NULL,
    value        TEXT   NOT NULL,
    customer_id  BIGINT NOT NULL,
    PRIMARY KEY (org_id, kind, value)
);
CREATE INDEX customer_identifier_owners_customer ON customer_identifier_owners (org_id, customer_id);

CREATE TABLE customer_status_log (
    id           INTEGER PRIMARY KEY,
    org_id       BIGINT  NOT NULL,
    customer_id  BIGINT  NOT NULL,
    label        TEXT    NOT NULL,
    prev_label   TEXT,
    status       TEXT    NOT NULL,
    prev_status  TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    created_on   BIGINT  NOT NULL,
    recorded_at  BIGINT  NOT NULL
);
CREATE INDEX customer_status_log_customer ON customer_status_log (org_id, customer_id, id);

CREATE TABLE customer_subscriptions (
    org_id       BIGINT NOT NULL,
    customer_id  BIGINT NOT NULL,
    channel      TEXT   NOT NULL,
    priority     TEXT   NOT NULL,
    org_unit_id  BIGINT NOT NULL DEFAULT 0,
    status       TEXT   NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (org_id, customer_id, channel, priority, org_unit_id)
);

CREATE TABLE fleet_memberships (
    org_id        BIGINT NOT NULL,
    customer_id   BIGINT NOT NULL,
    hierarchy_id  BIGINT NOT NULL,
    role_code     TEXT   NOT NULL,
    parent_id     BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (org_id, customer_id)
);
CREATE INDEX fleet_memberships_parent ON fleet_memberships (org_id, parent_id);
