-- The loyalty context: programs, card series, settings, the points ledger, bills, goodwill.
-- Points and money are BIGINT thousandths (1 point = 1000; 1,234.56 SGD = 1234560).
-- Customers are referenced by customer_id without a foreign key.

-- Programs (default, supplementary, external). `rules` is the JSON of the program's earn,
-- expiry, tier and partner rules: the domain reads them as one unit.
CREATE TABLE loyalty_programs (
    id           INTEGER PRIMARY KEY,
    org_id       BIGINT  NOT NULL REFERENCES orgs (id),
    name         TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    rules        TEXT    NOT NULL,
    is_active    BIGINT  NOT NULL DEFAULT 1,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE loyalty_card_series (
    id           INTEGER PRIMARY KEY,
    org_id       BIGINT  NOT NULL REFERENCES orgs (id),
    code         TEXT    NOT NULL,
    definition   TEXT    NOT NULL,
    program_id   BIGINT,
    next_number  BIGINT  NOT NULL DEFAULT 0,
    is_active    BIGINT  NOT NULL DEFAULT 1,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    UNIQUE (org_id, code)
);

-- Org-wide settings (bill-number window, billing-date window, goodwill) as one document.
CREATE TABLE loyalty_settings (
    org_id    BIGINT NOT NULL PRIMARY KEY REFERENCES orgs (id),
    settings  TEXT   NOT NULL
);

-- Credit lots: what is left of each award, and when it expires (NULL: never).
CREATE TABLE loyalty_lots (
    id           INTEGER PRIMARY KEY,
    org_id       BIGINT NOT NULL,
    customer_id  BIGINT NOT NULL,
    program_id   BIGINT NOT NULL,
    points       BIGINT NOT NULL,
    remaining    BIGINT NOT NULL,
    awarded_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    source_kind  TEXT   NOT NULL,
    source_ref   TEXT,
    rule         TEXT,
    reason       TEXT,
    CHECK (remaining >= 0 AND remaining <= points)
);
CREATE INDEX loyalty_lots_customer ON loyalty_lots (org_id, customer_id, program_id, expires_at);
-- The expiry job only looks at lots that still hold points.
CREATE INDEX loyalty_lots_due ON loyalty_lots (org_id, expires_at) WHERE remaining > 0;

-- The append-only ledger. Credits are positive, debits negative.
CREATE TABLE loyalty_entries (
    id           INTEGER PRIMARY KEY,
    org_id        BIGINT NOT NULL,
    customer_id   BIGINT NOT NULL,
    program_id    BIGINT NOT NULL,
    kind          TEXT   NOT NULL,
    points        BIGINT NOT NULL,
    at            BIGINT NOT NULL,
    source_kind   TEXT   NOT NULL,
    source_ref    TEXT,
    rule          TEXT,
    actor_kind    TEXT   NOT NULL,
    actor_id      TEXT,
    reason        TEXT,
    lot_id        BIGINT,
    shortfall     BIGINT NOT NULL DEFAULT 0,
    debt_settled  BIGINT NOT NULL DEFAULT 0,
    CHECK (shortfall >= 0 AND debt_settled >= 0)
);
CREATE INDEX loyalty_entries_customer ON loyalty_entries (org_id, customer_id, program_id, at, id);

-- Which lots a debit drew from, in the order it drew (seq).
CREATE TABLE loyalty_allocations (
    org_id    BIGINT NOT NULL,
    entry_id  BIGINT NOT NULL,
    seq       BIGINT NOT NULL,
    lot_id    BIGINT NOT NULL,
    points    BIGINT NOT NULL,
    PRIMARY KEY (org_id, entry_id, seq)
);

-- The per-customer, per-program row every write locks first. `net` is the sum of the
-- ledger, kept in the same transaction as each entry; tier state and lifetime metrics too.
CREATE TABLE loyalty_balances (
    org_id               BIGINT NOT NULL,
    customer_id          BIGINT NOT NULL,
    program_id           BIGINT NOT NULL,
    net                  BIGINT NOT NULL DEFAULT 0,
    debt                 BIGINT NOT NULL DEFAULT 0,
    lifetime_points      BIGINT NOT NULL DEFAULT 0,
    lifetime_purchases   BIGINT NOT NULL DEFAULT 0,
    tier_serial          BIGINT NOT NULL DEFAULT 1,
    tier_since           BIGINT NOT NULL,
    tier_valid_until     BIGINT,
    tier_requalify_base  BIGINT NOT NULL DEFAULT 0,
    updated_at           BIGINT NOT NULL,
    PRIMARY KEY (org_id, customer_id, program_id)
);

-- Tier upgrades, renewals and downgrades, for the customer's activity history.
CREATE TABLE loyalty_tier_changes (
    id           INTEGER PRIMARY KEY,
    org_id          BIGINT NOT NULL,
    customer_id     BIGINT NOT NULL,
    program_id      BIGINT NOT NULL,
    kind            TEXT   NOT NULL,
    from_serial     BIGINT NOT NULL,
    to_serial       BIGINT NOT NULL,
    effective_at    BIGINT NOT NULL,
    valid_until     BIGINT,
    requalify_base  BIGINT NOT NULL DEFAULT 0,
    source_kind     TEXT   NOT NULL,
    source_ref      TEXT,
    CHECK (to_serial >= 1)
);
CREATE INDEX loyalty_tier_changes_customer ON loyalty_tier_changes (org_id, customer_id, program_id, effective_at);

-- Bills and returns. Amounts and points are thousandths.
CREATE TABLE loyalty_transactions (
    id           INTEGER PRIMARY KEY,
    org_id           BIGINT NOT NULL,
    customer_id      BIGINT NOT NULL,
    program_id       BIGINT NOT NULL,
    txn_type         TEXT   NOT NULL,
    bill_number      TEXT   NOT NULL,
    store_id         BIGINT,
    till_id          BIGINT,
    billed_at        BIGINT NOT NULL,
    amount           BIGINT NOT NULL,
    outlier_status   TEXT   NOT NULL,
    raw_points       BIGINT NOT NULL DEFAULT 0,
    points           BIGINT NOT NULL DEFAULT 0,
    lot_id           BIGINT,
    entry_id         BIGINT,
    return_type      TEXT,
    parent_id        BIGINT,
    amount_returned  BIGINT NOT NULL DEFAULT 0,
    points_reversed  BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    CHECK (amount >= 0)
);
CREATE INDEX loyalty_transactions_customer ON loyalty_transactions (org_id, customer_id, billed_at);
CREATE INDEX loyalty_transactions_number ON loyalty_transactions (org_id, bill_number);

-- Bill-number claims: one row per (org, scope, number) holding the latest accepted bill.
-- The primary key makes two bills with the same number race for one row; a new bill
-- takes the row over only when the holder is outside the uniqueness window (see
-- docs/loyalty.md).
CREATE TABLE loyalty_bill_numbers (
    org_id          BIGINT NOT NULL,
    scope_key       TEXT   NOT NULL,
    bill_number     TEXT   NOT NULL,
    billed_at       BIGINT NOT NULL,
    transaction_id  BIGINT NOT NULL,
    PRIMARY KEY (org_id, scope_key, bill_number)
);

-- Goodwill requests; reference_id makes a retried request a no-op.
CREATE TABLE loyalty_goodwill_requests (
    id           INTEGER PRIMARY KEY,
    org_id            BIGINT NOT NULL,
    customer_id       BIGINT NOT NULL,
    program_id        BIGINT NOT NULL,
    reference_id      TEXT,
    base_type         TEXT   NOT NULL,
    points            BIGINT,
    coupon_series_id  BIGINT,
    reason            TEXT   NOT NULL,
    comments          TEXT,
    status            TEXT   NOT NULL,
    maker             TEXT   NOT NULL,
    checker           TEXT,
    entry_id          BIGINT,
    created_at        BIGINT NOT NULL,
    decided_at        BIGINT,
    UNIQUE (org_id, reference_id)
);
CREATE INDEX loyalty_goodwill_customer ON loyalty_goodwill_requests (org_id, customer_id, created_at);
