-- The Member Care console: staff users and their sessions. A staff email is unique across
-- the deployment (the sign-in page asks for no org). password_hash is an Argon2 hash, NULL
-- for staff who sign in with Google only; google_sub pins a staff user to one Google account
-- after the first Google sign-in. A session is stored only as the SHA-256 of its cookie.
-- Instants are microseconds since the epoch (UTC).
CREATE TABLE console_staff (
    id             INTEGER PRIMARY KEY,
    org_id         BIGINT NOT NULL,
    email          TEXT   NOT NULL,
    name           TEXT   NOT NULL,
    role           TEXT   NOT NULL,
    password_hash  TEXT,
    google_sub     TEXT,
    managed_by     TEXT   NOT NULL,
    is_active      BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (org_id, email)
);

CREATE TABLE console_sessions (
    token_hash    TEXT   NOT NULL PRIMARY KEY,
    org_id        BIGINT NOT NULL,
    staff_id      BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL
);
CREATE INDEX console_sessions_staff ON console_sessions (staff_id);

-- Per org: the Google Workspace domain whose accounts may sign in with Google (NULL: none).
CREATE TABLE console_settings (
    org_id         BIGINT NOT NULL PRIMARY KEY,
    google_domain  TEXT
);
