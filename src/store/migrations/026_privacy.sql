-- Privacy (issue #17 parts 3–6, docs/privacy.md): the key table of envelope encryption, the consent ledger,
-- data-subject requests, erasure tombstones and retention policies.

-- Random keys wrapped (AES-256-GCM) under the master key, which is never stored here. kind 'data' encrypts fields
-- (one active; retired ones stay so old backups remain readable); kind 'index' (key_id 'index', exactly one) keys the
-- blind indexes. master_check is a fingerprint of the master key, so a wrong master key is named as such.
CREATE TABLE data_keys (
  key_id       TEXT PRIMARY KEY,
  kind         TEXT NOT NULL,
  wrapped      TEXT NOT NULL,
  master_check TEXT NOT NULL,
  is_active    BOOLEAN NOT NULL,
  created_at   TIMESTAMPTZ NOT NULL,
  retired_at   TIMESTAMPTZ
);

-- One row per `siyu keys rotate-data-key`; progress (JSON text: the last row key done per column) lets an
-- interrupted rotation resume where it stopped.
CREATE TABLE key_rotations (
  rotation_id  TEXT PRIMARY KEY,
  to_key_id    TEXT NOT NULL,
  status       TEXT NOT NULL,          -- running | finished
  progress     TEXT NOT NULL,
  rows_changed BIGINT NOT NULL,
  started_at   TIMESTAMPTZ NOT NULL,
  finished_at  TIMESTAMPTZ
);

-- What personal data may be used for. basis 'opt_in': allowed only once granted (marketing messages, sensitive
-- data, sharing); 'opt_out': allowed until refused (personalised recommendations, PIPL art. 24).
CREATE TABLE consent_purposes (
  purpose          TEXT PRIMARY KEY,
  name             TEXT NOT NULL,
  name_zh          TEXT,
  basis            TEXT NOT NULL,
  pipl_article     TEXT,
  segment_category TEXT,               -- the Segment consent categoryId that maps to it (context.consent.categoryPreferences)
  is_builtin       BOOLEAN NOT NULL,
  created_at       TIMESTAMPTZ NOT NULL
);
INSERT INTO consent_purposes (purpose, name, name_zh, basis, pipl_article, segment_category, is_builtin, created_at) VALUES
  ('sms_marketing', 'Marketing SMS', '营销短信', 'opt_in', '13, 14', NULL, TRUE, now()),
  ('wecom_message', 'WeCom messages', '企业微信消息', 'opt_in', '13, 14', NULL, TRUE, now()),
  ('email_marketing', 'Marketing email', '营销邮件', 'opt_in', '13, 14', NULL, TRUE, now()),
  ('miniprogram_subscribe', 'Mini-program subscription messages', '小程序订阅消息', 'opt_in', '13, 14', NULL, TRUE, now()),
  ('personalised_recommendation', 'Personalised recommendations', '个性化推荐', 'opt_out', '24', NULL, TRUE, now()),
  ('sensitive_data', 'Sensitive personal information', '敏感个人信息', 'opt_in', '28, 29', NULL, TRUE, now()),
  ('third_party_sharing', 'Sharing with third parties', '向第三方提供', 'opt_in', '23', NULL, TRUE, now());

-- The ledger: every decision ever recorded, append-only. evidence is encrypted (it may name the person).
CREATE TABLE consent_entries (
  customer_id  TEXT NOT NULL,
  entry_id     TEXT NOT NULL,
  purpose      TEXT NOT NULL,
  status       TEXT NOT NULL,          -- granted | withdrawn | denied
  source       TEXT NOT NULL,          -- api | cli | import:<file> | event:<write key> | trait | request:<id>
  effective_at TIMESTAMPTZ NOT NULL,   -- when the person decided
  recorded_at  TIMESTAMPTZ NOT NULL,
  text_version TEXT,                   -- the version of the consent text shown
  evidence     TEXT,
  recorded_by  TEXT,
  message_id   TEXT,
  PRIMARY KEY (customer_id, entry_id)
);

-- The latest decision per customer and purpose (by effective_at), kept in the same transaction as the ledger.
CREATE TABLE consent_state (
  customer_id  TEXT NOT NULL,
  purpose      TEXT NOT NULL,
  status       TEXT NOT NULL,
  source       TEXT NOT NULL,
  effective_at TIMESTAMPTZ NOT NULL,
  text_version TEXT,
  entry_id     TEXT NOT NULL,
  updated_at   TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (customer_id, purpose)
);
-- postgres-only
CREATE INDEX consent_state_purpose ON consent_state (purpose, status);

-- Refusals of personalised recommendations recorded as a trait before the ledger existed move onto it.
INSERT INTO consent_entries (customer_id, entry_id, purpose, status, source, effective_at, recorded_at, recorded_by)
SELECT customer_id, 'trait:personalised_recommendation', 'personalised_recommendation', 'withdrawn', 'trait', updated_at, now(), 'migration 026'
FROM customers WHERE merged_into IS NULL AND lower(traits->>'personalized_recommendations') IN ('false', '0', 'no');
INSERT INTO consent_state (customer_id, purpose, status, source, effective_at, entry_id, updated_at)
SELECT customer_id, purpose, status, source, effective_at, entry_id, recorded_at FROM consent_entries;

-- Data-subject requests (PIPL art. 44–47). subject_id, not customer_id: a request outlives the person's erasure
-- (anonymised), so the generic customer-scoped handling (merges, erasure) must not move or delete it.
CREATE TABLE privacy_requests (
  request_id   TEXT PRIMARY KEY,
  subject_id   TEXT NOT NULL,
  type         TEXT NOT NULL,          -- access | correction | deletion | withdrawal
  status       TEXT NOT NULL,          -- open | fulfilled | rejected
  details      JSON,                   -- what was asked (corrections, purposes); PII inside is encrypted
  note         TEXT,
  requested_at TIMESTAMPTZ NOT NULL,
  due_on       DATE NOT NULL,
  handler      TEXT,
  handled_at   TIMESTAMPTZ,
  result       JSON
);

-- Blind indexes of the identifiers of erased people: a later message carrying one is held in privacy_quarantine
-- instead of silently recreating the person, until it brings fresh consent.
CREATE TABLE privacy_tombstones (
  blind_key   TEXT PRIMARY KEY,
  request_id  TEXT NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL,
  cleared_at  TIMESTAMPTZ,
  cleared_by  TEXT
);

CREATE TABLE privacy_quarantine (
  message_id     TEXT PRIMARY KEY,
  message        TEXT NOT NULL,        -- the validated message as JSON text, PII values encrypted
  source         TEXT NOT NULL,
  received_at    TIMESTAMPTZ NOT NULL,
  blind_key      TEXT NOT NULL,
  quarantined_at TIMESTAMPTZ NOT NULL
);

-- How long rows are kept, per table: applyRetention deletes rows whose time_column is older than keep_days.
CREATE TABLE retention_policies (
  table_name  TEXT PRIMARY KEY,
  time_column TEXT NOT NULL,
  keep_days   INTEGER NOT NULL,
  is_enabled  BOOLEAN NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL
);
INSERT INTO retention_policies (table_name, time_column, keep_days, is_enabled, updated_at) VALUES
  ('events', 'ts', 730, TRUE, now()),
  ('inbox', 'received_at', 30, TRUE, now()),
  ('inbox_failures', 'failed_at', 30, TRUE, now()),
  ('privacy_quarantine', 'quarantined_at', 30, TRUE, now()),
  ('audit_log', 'recorded_at', 1095, TRUE, now());
