-- Recurring jobs inside `siyu serve` (docs/operations.md): each job's schedule and switch, each run, and the lease
-- that keeps one run of a kind at a time across every server process on one database.
CREATE TABLE job_settings (
  job          TEXT PRIMARY KEY,
  schedule     TEXT,                 -- cron expression in the brand timezone; NULL: the job's default
  enabled      BOOLEAN,              -- NULL: the job's default
  first_seen   TIMESTAMPTZ NOT NULL, -- slots before this are never caught up
  updated_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE job_runs (
  run_id        TEXT PRIMARY KEY,
  job           TEXT NOT NULL,
  trigger       TEXT NOT NULL,       -- schedule | cli | api
  slot          TIMESTAMPTZ,         -- the scheduled time a schedule run is for; NULL otherwise
  owner         TEXT NOT NULL,       -- host:pid of the process that ran it
  started_at    TIMESTAMPTZ NOT NULL,
  finished_at   TIMESTAMPTZ,
  status        TEXT NOT NULL,       -- running | succeeded | failed | skipped
  rows_touched  BIGINT,
  summary       TEXT,
  error         TEXT
);
CREATE INDEX job_runs_job_started ON job_runs (job, started_at);
-- A schedule slot runs once, whichever server reaches it first (NULL slots are not compared).
CREATE UNIQUE INDEX job_runs_slot ON job_runs (job, slot);

CREATE TABLE job_leases (
  lease       TEXT PRIMARY KEY,      -- the job's group: jobs of one group never run at once
  run_id      TEXT,                  -- NULL when free
  owner       TEXT,
  expires_at  TIMESTAMPTZ            -- renewed while the run lives; an expired lease is free
);
