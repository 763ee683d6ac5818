-- The ingest inbox (docs/architecture.md#ingest-path). The HTTP API answers 200 once a message is committed here;
-- the inbox processor then resolves identities and writes events, profiles and orders in large batches, and deletes
-- what it has written in the same transaction. Rows are few at any time, so no index is needed on DuckDB.
CREATE SEQUENCE inbox_seq;

CREATE TABLE inbox (
  seq          BIGINT NOT NULL DEFAULT nextval('inbox_seq'),   -- arrival order; processed in this order
  message_id   TEXT NOT NULL,
  message      TEXT NOT NULL,          -- the validated message (ingest/prepare.ts) as JSON text; TEXT, not JSON, because
                                       -- only Siyu reads it and the engines' JSON checks cost time on the hot path
  source       TEXT NOT NULL,          -- the write key's name
  received_at  TIMESTAMPTZ NOT NULL
);
-- postgres-only
ALTER TABLE inbox ADD PRIMARY KEY (seq);
-- postgres-only
CREATE INDEX inbox_message_id ON inbox (message_id);

-- A message the processor could not write, even alone (a bug, not bad input: input is validated before the inbox).
-- Kept with the error so nothing acknowledged is lost; `siyu db info` counts them.
CREATE TABLE inbox_failures (
  seq          BIGINT PRIMARY KEY,
  message_id   TEXT NOT NULL,
  message      TEXT NOT NULL,
  source       TEXT NOT NULL,
  received_at  TIMESTAMPTZ NOT NULL,
  error        TEXT NOT NULL,
  failed_at    TIMESTAMPTZ NOT NULL
);
