-- One row per `/v2/card/generate` request: what was asked and what was made.
CREATE TABLE loyalty_card_generation_log (
    id          INTEGER PRIMARY KEY,
    org_id      BIGINT NOT NULL,
    series_id   BIGINT NOT NULL,
    requested   BIGINT NOT NULL,
    generated   BIGINT NOT NULL,
    duplicates  BIGINT NOT NULL,
    first_number TEXT,
    last_number  TEXT,
    label       TEXT   NOT NULL,
    actor       TEXT   NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX loyalty_card_generation_log_series ON loyalty_card_generation_log (org_id, series_id, id);
