-- Customer journeys (docs/journeys.md): definitions and their published versions, one row per customer's pass through a
-- journey (an instance), the steps each instance ran, and where the event-trigger scan has read up to.
CREATE TABLE journeys (
  journey_id        TEXT PRIMARY KEY,   -- a slug: win-back, welcome
  name              TEXT NOT NULL,
  description       TEXT,
  status            TEXT NOT NULL,      -- draft | active | paused | archived
  draft             JSON,               -- the definition being edited; NULL when it equals the published one
  published_version INTEGER,            -- the version customers enter now; NULL before the first publish
  created_at        TIMESTAMPTZ NOT NULL,
  updated_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE journey_versions (
  journey_id   TEXT NOT NULL,
  version      INTEGER NOT NULL,
  definition   JSON NOT NULL,
  published_at TIMESTAMPTZ NOT NULL,
  published_by TEXT,
  PRIMARY KEY (journey_id, version)
);

-- Customer-scoped: leads with customer_id. Uniqueness of (customer, journey, instance) and of one live instance per
-- customer and journey is kept by the engine's set-based entry on both engines, and enforced by these keys on
-- PostgreSQL, where several servers run the engine (as with the fact tables, DuckDB goes without the ART indexes).
CREATE TABLE journey_instances (
  customer_id  TEXT NOT NULL,
  journey_id   TEXT NOT NULL,
  instance_id  TEXT NOT NULL,           -- deterministic: the trigger's id (event message id, API key, broadcast slot)
  version      INTEGER NOT NULL,
  status       TEXT NOT NULL,           -- active | holdout | completed | exited
  node         TEXT,                    -- the step an active instance is at
  phase        TEXT,                    -- ready: run the step at wake_at | waiting: the wait ends at wake_at
  wake_at      TIMESTAMPTZ,
  since        TIMESTAMPTZ,             -- when it reached its step (a wait for an event counts events after this)
  bucket       INTEGER NOT NULL,        -- 0..9999, a stable hash of customer and journey: the holdout reads it
  is_holdout   BOOLEAN NOT NULL,        -- held out of every step and message, tracked for the goal
  variant      TEXT,                    -- the split arm it took, if any
  context      JSON,                    -- the trigger's properties and what earlier steps added (coupon codes)
  entered_at   TIMESTAMPTZ NOT NULL,
  finished_at  TIMESTAMPTZ,
  exit_reason  TEXT,
  converted_at TIMESTAMPTZ,             -- the goal event, if it came within the goal window
  revenue_fen  BIGINT,                  -- revenue credited to the conversion
  steps        INTEGER NOT NULL,        -- steps run so far: journey_steps.seq orders an instance's path
  updated_at   TIMESTAMPTZ NOT NULL
);
-- postgres-only
ALTER TABLE journey_instances ADD PRIMARY KEY (customer_id, journey_id, instance_id);
-- postgres-only
CREATE UNIQUE INDEX journey_instances_live ON journey_instances (journey_id, customer_id) WHERE status IN ('active', 'holdout');
-- postgres-only
CREATE INDEX journey_instances_due ON journey_instances (wake_at) WHERE status = 'active';

-- One row per step an instance ran (a DAG visits each step once): the per-step funnel and a customer's history.
CREATE TABLE journey_steps (
  customer_id TEXT NOT NULL,
  journey_id  TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  node        TEXT NOT NULL,
  seq         INTEGER NOT NULL,          -- the step's place in the instance's path, from 1
  kind        TEXT NOT NULL,
  ran_at      TIMESTAMPTZ NOT NULL,
  outcome     TEXT NOT NULL,             -- what happened: the branch or arm taken, queued, held out…
  message_id  TEXT
);
-- postgres-only
ALTER TABLE journey_steps ADD PRIMARY KEY (customer_id, journey_id, instance_id, node);


-- Events the journey engine watches for (triggers, waits for an event, exits, goals), queued in the same transaction
-- that writes them to events (store/event-queue.ts), and deleted once processed: no event is missed however late its
-- transaction commits, and the engine never scans the events table.
CREATE TABLE watched_events (
  name TEXT PRIMARY KEY
);
CREATE TABLE event_queue (
  customer_id TEXT NOT NULL,
  message_id  TEXT NOT NULL,
  name        TEXT NOT NULL,
  properties  JSON,
  ts          TIMESTAMPTZ NOT NULL,
  queued_at   TIMESTAMPTZ NOT NULL
);

-- Each broadcast slot a journey has fired (one-off or recurring), so a slot enters its segment once.
CREATE TABLE journey_broadcasts (
  journey_id TEXT NOT NULL,
  slot       TIMESTAMPTZ NOT NULL,
  fired_at   TIMESTAMPTZ NOT NULL,
  entered    BIGINT NOT NULL,
  PRIMARY KEY (journey_id, slot)
);
