-- Connect+ dataflow runs: the files a dataflow has seen, the exactly-once keys of applied
-- rows, and the report of every run. Instants are microseconds since the epoch (UTC).

-- A file a dataflow has seen, by its SHA-256 digest: the rows of one file are keyed by it,
-- so the same content given again (another name, a re-run, a resume after a crash) is the
-- same file.
CREATE TABLE connect_files (
    id          INTEGER PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES orgs (id),
    dataflow    TEXT   NOT NULL,
    digest      TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX connect_files_key ON connect_files (org_id, dataflow, digest);

-- Exactly once: the key (dataflow, file digest, row number) of every applied row, written
-- in the same transaction as the row's effect. A row whose key is here is not applied again.
CREATE TABLE connect_rows (
    org_id      BIGINT NOT NULL,
    file_id     BIGINT NOT NULL,
    row_number  BIGINT NOT NULL,
    PRIMARY KEY (org_id, file_id, row_number)
);

-- One report per file run: counts, accuracy and error counts by code (a JSON object).
-- finished_at is NULL while the run is going (or when it died).
CREATE TABLE connect_runs (
    id            INTEGER PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES orgs (id),
    dataflow      TEXT   NOT NULL,
    template      TEXT   NOT NULL,
    file_name     TEXT   NOT NULL,
    digest        TEXT   NOT NULL,
    dry_run       BIGINT NOT NULL DEFAULT 0,
    started_at    BIGINT NOT NULL,
    finished_at   BIGINT,
    input_rows    BIGINT NOT NULL DEFAULT 0,
    succeeded     BIGINT NOT NULL DEFAULT 0,
    failed        BIGINT NOT NULL DEFAULT 0,
    filtered      BIGINT NOT NULL DEFAULT 0,
    skipped       BIGINT NOT NULL DEFAULT 0,
    error_counts  TEXT   NOT NULL DEFAULT '{}',
    error_file    TEXT
);
CREATE INDEX connect_runs_recent ON connect_runs (org_id, started_at);
