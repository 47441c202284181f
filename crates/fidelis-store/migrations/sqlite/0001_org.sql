-- The org context. Instants are microseconds since the Unix epoch, UTC.
-- Every tenant table starts its keys with org_id; `directory` and `access_tokens` are the
-- deployment-wide lookups that turn a credential into its org.

CREATE TABLE orgs (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    time_zone   TEXT    NOT NULL,
    currency    TEXT    NOT NULL,
    country     TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);

CREATE TABLE directory (
    kind    TEXT   NOT NULL,
    name    TEXT   NOT NULL,
    org_id  BIGINT NOT NULL REFERENCES orgs (id),
    PRIMARY KEY (kind, name)
);

CREATE TABLE entities (
    id           INTEGER PRIMARY KEY,
    org_id       BIGINT  NOT NULL REFERENCES orgs (id),
    kind         TEXT    NOT NULL,
    code         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    parent_id    BIGINT,
    concept_id   BIGINT,
    is_active    BIGINT  NOT NULL DEFAULT 1,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    UNIQUE (org_id, kind, code)
);

CREATE TABLE till_credentials (
    org_id         BIGINT NOT NULL,
    till_id        BIGINT NOT NULL,
    password_hash  TEXT   NOT NULL,
    PRIMARY KEY (org_id, till_id)
);

CREATE TABLE api_clients (
    id                 INTEGER PRIMARY KEY,
    org_id             BIGINT  NOT NULL REFERENCES orgs (id),
    client_key         TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    secret_hash        TEXT    NOT NULL,
    default_till_id    BIGINT  NOT NULL,
    token_ttl_seconds  BIGINT  NOT NULL,
    permissions        TEXT    NOT NULL,
    is_active          BIGINT  NOT NULL DEFAULT 1,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL,
    UNIQUE (org_id, client_key)
);

CREATE TABLE access_tokens (
    token_hash  TEXT   NOT NULL PRIMARY KEY,
    org_id      BIGINT NOT NULL,
    client_id   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

CREATE TABLE org_settings (
    org_id  BIGINT NOT NULL,
    name    TEXT   NOT NULL,
    value   TEXT   NOT NULL,
    PRIMARY KEY (org_id, name)
);
