-- One OTP mechanism for several flows: a code belongs to (org, purpose, subject), where
-- purpose is `oauth` (subject: the pending sign-in request), `auth_engine` (the Auth
-- Engine session) or `points` (the customer redeeming points). Send limits and counters
-- stay per identifier, IP and org across all purposes.
ALTER TABLE identity_otps ADD COLUMN purpose TEXT NOT NULL DEFAULT 'oauth';
DROP INDEX identity_otps_txn;
CREATE INDEX identity_otps_subject ON identity_otps (org_id, purpose, txn, created_at);

-- Whether v1.1 points redemption must present a validation code (`required`/`optional`).
ALTER TABLE identity_settings ADD COLUMN points_validation TEXT NOT NULL DEFAULT 'required';

-- Auth Engine sessions (token/generate → otp/generate → otp/validate). session_hash and
-- view_token_hash are SHA-256 of the session id and VIEW token; family names the tokens
-- (USER tokens, mobile key) issued when the session was validated.
CREATE TABLE identity_ae_sessions (
    org_id           BIGINT NOT NULL,
    session_hash     TEXT   NOT NULL,
    web              BIGINT NOT NULL,
    identifier_type  TEXT   NOT NULL,
    identifier       TEXT   NOT NULL,
    device_id        TEXT   NOT NULL,
    view_token_hash  TEXT   NOT NULL,
    customer_id      BIGINT,
    family           TEXT,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    validated_at     BIGINT,
    PRIMARY KEY (org_id, session_hash)
);
CREATE INDEX identity_ae_sessions_family ON identity_ae_sessions (org_id, family);
