-- Leases that keep a periodic job to one server at a time. Deployment-wide, like
-- `directory`: a job covers every org.
CREATE TABLE job_leases (
    name        TEXT   NOT NULL PRIMARY KEY,
    holder      TEXT   NOT NULL,
    expires_at  BIGINT NOT NULL
);
