-- The outbox and message log (docs/channels.md; the inbound `messages` table is the ingest ledger, not this): every message any part of Siyu sends, written in the same transaction
-- as the step that caused it, with a deterministic id, then handed to its channel by the dispatcher at most once.
CREATE TABLE outbound_messages (
  customer_id  TEXT NOT NULL,
  message_id   TEXT NOT NULL,             -- deterministic: journey:<id>:<instance>:<step>, or the caller's key
  channel      TEXT NOT NULL,             -- sms | email | wecom | miniprogram | webhook | …
  purpose      TEXT NOT NULL,             -- marketing | transactional (exempt from caps and quiet hours)
  journey_id   TEXT,
  instance_id  TEXT,
  node         TEXT,
  priority     INTEGER NOT NULL,          -- higher goes first when a frequency cap would be exceeded
  content      JSON NOT NULL,             -- the template (subject, body, provider template and parameters) and fallback channel
  context      JSON,                      -- variables beyond the customer's own
  state        TEXT NOT NULL,             -- queued | deferred | skipped | sending | handed_over | delivered | failed | unknown | read | clicked
  reason       TEXT,                      -- why deferred, skipped, failed or unknown
  due_at       TIMESTAMPTZ NOT NULL,      -- when the dispatcher next looks at it
  expires_at   TIMESTAMPTZ,               -- a message still not sent by then is skipped
  content_hash TEXT,                      -- SHA-256 of the rendered content
  provider_id  TEXT,
  cost_fen     BIGINT,
  created_at   TIMESTAMPTZ NOT NULL,
  sent_at      TIMESTAMPTZ,
  updated_at   TIMESTAMPTZ NOT NULL
);
-- postgres-only
ALTER TABLE outbound_messages ADD PRIMARY KEY (customer_id, message_id);
-- postgres-only
CREATE INDEX outbound_messages_due ON outbound_messages (due_at) WHERE state IN ('queued', 'deferred');
-- postgres-only
CREATE INDEX outbound_messages_journey ON outbound_messages (journey_id, node);

-- Each state a message went through, with when and why.
CREATE TABLE outbound_message_states (
  customer_id TEXT NOT NULL,
  message_id  TEXT NOT NULL,
  changed_at  TIMESTAMPTZ NOT NULL,
  state       TEXT NOT NULL,
  detail      TEXT
);
-- postgres-only
CREATE INDEX outbound_message_states_message ON outbound_message_states (customer_id, message_id);
