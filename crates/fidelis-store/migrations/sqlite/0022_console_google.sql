-- "Sign in with Google" for the console: sign-ins under way, and one Google account per
-- staff user.
--
-- A sign-in under way lives from the redirect to Google until its callback (at most ten
-- minutes) and is kept only as hashes: the SHA-256 of the `state` sent to Google and of
-- the browser's secret cookie. The PKCE verifier and the nonce are derived from that
-- secret, so neither is stored. The callback deletes the row, so each is used once.
-- Instants are microseconds since the epoch (UTC).
CREATE TABLE console_google_logins (
    state_hash    TEXT   NOT NULL PRIMARY KEY,
    browser_hash  TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX console_google_logins_created ON console_google_logins (created_at);

-- A Google account (its `sub`) signs in as one staff user at most.
CREATE UNIQUE INDEX console_staff_google_sub ON console_staff (google_sub);
