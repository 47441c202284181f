-- The identity context: partner OAuth clients, one-time codes (OTPs) for customer sign-in,
-- pending authorization requests, authorization codes, access and refresh tokens, and
-- consents. Every secret (client secrets, OTPs, codes, tokens, CSRF tokens) is stored only
-- as a hash. Instants are microseconds since the epoch (UTC).

-- Partner clients from the org file. redirect_uris is a JSON array matched byte for byte;
-- scopes is space-separated. secret_hash is an Argon2 hash.
CREATE TABLE identity_clients (
    org_id               BIGINT NOT NULL,
    client_id            TEXT   NOT NULL,
    name                 TEXT   NOT NULL,
    secret_hash          TEXT   NOT NULL,
    redirect_uris        TEXT   NOT NULL,
    scopes               TEXT   NOT NULL,
    access_ttl_seconds   BIGINT NOT NULL,
    refresh_ttl_seconds  BIGINT NOT NULL,
    is_active            BIGINT NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    PRIMARY KEY (org_id, client_id)
);

-- OTP configuration per org, and the org's OTP key (the HMAC key codes are hashed with,
-- generated when the org is first applied).
CREATE TABLE identity_settings (
    org_id                BIGINT NOT NULL PRIMARY KEY,
    otp_key               TEXT   NOT NULL,
    otp_ttl_seconds       BIGINT NOT NULL,
    otp_max_attempts      BIGINT NOT NULL,
    otp_cooldown_seconds  BIGINT NOT NULL,
    otp_per_hour          BIGINT NOT NULL,
    otp_per_day           BIGINT NOT NULL,
    otp_org_per_hour      BIGINT NOT NULL,
    otp_ip_per_hour       BIGINT NOT NULL
);

-- One row per identifier (or `ip:` address, or the org itself) that OTPs are sent to: the
-- row is locked by every send so the per-identifier limits hold under concurrency.
CREATE TABLE identity_otp_subjects (
    org_id      BIGINT NOT NULL,
    subject     TEXT   NOT NULL,
    touched_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, subject)
);

-- Each OTP sent. code_hmac = HMAC-SHA256(otp_key, org, identifier, transaction, code).
CREATE TABLE identity_otps (
    org_id       BIGINT NOT NULL,
    id           TEXT   NOT NULL,
    identifier   TEXT   NOT NULL,
    ip           TEXT   NOT NULL DEFAULT '',
    txn          TEXT   NOT NULL,
    code_hmac    TEXT   NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT,
    closed       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX identity_otps_identifier ON identity_otps (org_id, identifier, created_at);
CREATE INDEX identity_otps_txn ON identity_otps (org_id, txn, created_at);
CREATE INDEX identity_otps_ip ON identity_otps (org_id, ip, created_at);
CREATE INDEX identity_otps_created ON identity_otps (org_id, created_at);

-- Authorization requests between the landing page's first GET and the redirect.
CREATE TABLE identity_requests (
    org_id            BIGINT NOT NULL,
    id                TEXT   NOT NULL,
    client_id         TEXT   NOT NULL,
    redirect_uri      TEXT   NOT NULL,
    scope             TEXT   NOT NULL,
    state             TEXT,
    code_challenge    TEXT   NOT NULL,
    csrf_hash         TEXT   NOT NULL,
    identifier        TEXT,
    customer_id       BIGINT,
    authenticated_at  BIGINT,
    created_at        BIGINT NOT NULL,
    expires_at        BIGINT NOT NULL,
    done_at           BIGINT,
    PRIMARY KEY (org_id, id)
);

-- Authorization codes (SHA-256 of the code), single use. family names the tokens issued
-- from the code, so a replay can revoke them.
CREATE TABLE identity_codes (
    org_id          BIGINT NOT NULL,
    code_hash       TEXT   NOT NULL,
    client_id       TEXT   NOT NULL,
    redirect_uri    TEXT   NOT NULL,
    code_challenge  TEXT   NOT NULL,
    customer_id     BIGINT NOT NULL,
    scope           TEXT   NOT NULL,
    family          TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT,
    PRIMARY KEY (org_id, code_hash)
);

-- Access and refresh tokens (SHA-256 of the token). A refresh token is spent when it is
-- rotated; presenting a spent one revokes its family.
CREATE TABLE identity_tokens (
    org_id             BIGINT NOT NULL,
    token_hash         TEXT   NOT NULL,
    kind               TEXT   NOT NULL,
    family             TEXT   NOT NULL,
    client_id          TEXT   NOT NULL,
    customer_id        BIGINT NOT NULL,
    scope              TEXT   NOT NULL,
    created_at         BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    family_expires_at  BIGINT NOT NULL,
    spent_at           BIGINT,
    revoked_at         BIGINT,
    PRIMARY KEY (org_id, token_hash)
);
CREATE UNIQUE INDEX identity_tokens_hash ON identity_tokens (token_hash);
CREATE INDEX identity_tokens_family ON identity_tokens (org_id, family);

-- Consent per customer and client: the scopes granted so far.
CREATE TABLE identity_consents (
    org_id       BIGINT NOT NULL,
    customer_id  BIGINT NOT NULL,
    client_id    TEXT   NOT NULL,
    scope        TEXT   NOT NULL,
    granted_at   BIGINT NOT NULL,
    PRIMARY KEY (org_id, customer_id, client_id)
);
