-- The comms context: sender identities per org and concept (OU), and the outbox of SMS
-- and email messages with their delivery state. Instants are microseconds since the
-- epoch (UTC).

-- One row per sender identity; concept_code '' is the org default.
CREATE TABLE comms_senders (
    org_id        BIGINT NOT NULL,
    channel       TEXT   NOT NULL,
    concept_code  TEXT   NOT NULL,
    address       TEXT   NOT NULL,
    PRIMARY KEY (org_id, channel, concept_code)
);

-- Org-wide comms settings written from the org file: the bulk SMS window (minutes of the
-- org's day; NULL: no window).
CREATE TABLE comms_settings (
    org_id          BIGINT NOT NULL PRIMARY KEY,
    bulk_sms_from   BIGINT,
    bulk_sms_to     BIGINT
);

-- The outbox. A row is written in the same transaction as the request that causes it and
-- delivered by the worker inside `serve`: a worker leases a row (lease_holder,
-- lease_until) before it talks to the gateway, so no two workers send one message.
CREATE TABLE comms_messages (
    id                INTEGER PRIMARY KEY,
    org_id            BIGINT NOT NULL,
    channel           TEXT   NOT NULL,
    customer_id       BIGINT,
    recipient         TEXT   NOT NULL,
    cc                TEXT   NOT NULL DEFAULT '',
    bcc               TEXT   NOT NULL DEFAULT '',
    sender            TEXT   NOT NULL,
    requested_sender  TEXT,
    concept_code      TEXT,
    subject           TEXT   NOT NULL DEFAULT '',
    body              TEXT   NOT NULL,
    attachments       TEXT   NOT NULL DEFAULT '[]',
    scheduled_time    TEXT,
    priority          TEXT   NOT NULL DEFAULT 'TRANS',
    status            TEXT   NOT NULL,
    attempts          BIGINT NOT NULL DEFAULT 0,
    next_attempt_at   BIGINT NOT NULL,
    lease_holder      TEXT,
    lease_until       BIGINT,
    last_error        TEXT,
    gateway_ref       TEXT,
    created_by        TEXT   NOT NULL,
    created_at        BIGINT NOT NULL,
    sent_at           BIGINT,
    delivered_at      BIGINT,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX comms_messages_org ON comms_messages (org_id, id);
CREATE INDEX comms_messages_due ON comms_messages (org_id, status, next_attempt_at);
CREATE INDEX comms_messages_customer ON comms_messages (org_id, customer_id, created_at);
