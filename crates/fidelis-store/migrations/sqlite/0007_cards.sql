-- Cards: numbered cards of a card series, issued to customers, with a status label over
-- the system statuses NOT_ISSUED / ACTIVE / SUSPENDED / EXPIRED / DELETED.

-- Series created through `/v2/card/series` belong to the API; `fidelis apply` manages
-- only the series its org file declares.
ALTER TABLE loyalty_card_series ADD COLUMN managed_by TEXT NOT NULL DEFAULT 'FILE';

CREATE TABLE loyalty_cards (
    id               INTEGER PRIMARY KEY,
    org_id           BIGINT NOT NULL,
    series_id        BIGINT NOT NULL,
    card_number      TEXT   NOT NULL,
    external_id      TEXT,
    status           TEXT   NOT NULL,
    label            TEXT   NOT NULL,
    reason           TEXT,
    customer_id      BIGINT,
    issued_at        BIGINT,
    expires_at       BIGINT,
    extended_fields  TEXT   NOT NULL DEFAULT '{}',
    custom_fields    TEXT   NOT NULL DEFAULT '{}',
    created_by       TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (org_id, card_number)
);
CREATE UNIQUE INDEX loyalty_cards_external ON loyalty_cards (org_id, external_id)
    WHERE external_id IS NOT NULL;
CREATE INDEX loyalty_cards_customer ON loyalty_cards (org_id, customer_id);

-- Every status change of a card, oldest first.
CREATE TABLE loyalty_card_status_log (
    id          INTEGER PRIMARY KEY,
    org_id      BIGINT NOT NULL,
    card_id     BIGINT NOT NULL,
    status      TEXT   NOT NULL,
    label       TEXT   NOT NULL,
    reason      TEXT,
    customer_id BIGINT,
    actor       TEXT,
    at          BIGINT NOT NULL
);
CREATE INDEX loyalty_card_status_log_card ON loyalty_card_status_log (org_id, card_id, id);
