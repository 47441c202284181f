-- Incentives: coupon series (coupons, promo codes, gift vouchers), the codes issued from
-- them and every redemption. Money is BIGINT thousandths, instants BIGINT microseconds.

-- A series' rules are one JSON document the domain reads as a unit; the fields Fidelis
-- does not interpret are kept in `extra` and echoed. `managed_by` is FILE for series an org
-- file declares (apply deactivates them when the file no longer names them) and API for
-- series created through `/v2/coupon/series`.
CREATE TABLE coupon_series (
    id            INTEGER PRIMARY KEY,
    org_id        BIGINT NOT NULL,
    code          TEXT   NOT NULL,
    kind          TEXT   NOT NULL,
    rules         TEXT   NOT NULL,
    extra         TEXT   NOT NULL DEFAULT '{}',
    managed_by    TEXT   NOT NULL,
    is_active     BIGINT NOT NULL DEFAULT 1,
    num_issued    BIGINT NOT NULL DEFAULT 0,
    num_redeemed  BIGINT NOT NULL DEFAULT 0,
    created_by    TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (org_id, code)
);

-- One row per code: an issued coupon, a promo code (no customer) or a gift voucher (with
-- its balance). Codes are unique per org across all kinds.
CREATE TABLE coupons (
    id               INTEGER PRIMARY KEY,
    org_id           BIGINT NOT NULL,
    series_id        BIGINT NOT NULL,
    code             TEXT   NOT NULL,
    customer_id      BIGINT,
    issued_at        BIGINT NOT NULL,
    valid_till       BIGINT,
    redemptions      BIGINT NOT NULL DEFAULT 0,
    balance          BIGINT,
    issued_by        TEXT,
    issued_store_id  BIGINT,
    UNIQUE (org_id, code)
);
CREATE INDEX coupons_customer ON coupons (org_id, customer_id);
CREATE INDEX coupons_series ON coupons (org_id, series_id);

-- Every redemption; a reactivated one keeps its row with `reversed_at` set.
CREATE TABLE coupon_redemptions (
    id                  INTEGER PRIMARY KEY,
    org_id              BIGINT NOT NULL,
    coupon_id           BIGINT NOT NULL,
    series_id           BIGINT NOT NULL,
    customer_id         BIGINT,
    transaction_number  TEXT,
    bill_amount         BIGINT NOT NULL,
    amount              BIGINT NOT NULL,
    redeemed_at         BIGINT NOT NULL,
    recorded_at         BIGINT NOT NULL,
    till_id             BIGINT,
    store_id            BIGINT,
    actor               TEXT,
    reversed_at         BIGINT
);
CREATE INDEX coupon_redemptions_coupon ON coupon_redemptions (org_id, coupon_id, id);
CREATE INDEX coupon_redemptions_user ON coupon_redemptions (org_id, series_id, customer_id);
