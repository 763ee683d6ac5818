-- Access control (docs/security.md): console users and their sessions, roles, API keys with scopes, sign-in
-- attempts for throttling, customers assigned to users (the `own` data scope), and the hash-chained audit log.
-- JSON values are kept as TEXT: Siyu alone reads them, through zod, and the audit chain hashes their exact text.

CREATE TABLE users (
  user_id         TEXT PRIMARY KEY,
  username        TEXT NOT NULL UNIQUE,
  display_name    TEXT,
  password_hash   TEXT NOT NULL,        -- Argon2id PHC string (salt and parameters inside)
  data_scope      TEXT NOT NULL,        -- JSON: {"kind":"all"} | {"kind":"stores","stores":[…]} | … (access/schemas.ts)
  is_disabled     BOOLEAN NOT NULL DEFAULT FALSE,
  -- The TOTP shared secret (base32). Stored as it is: when field encryption (src/privacy) lands it must cover this
  -- column like the personal data columns.
  totp_secret     TEXT,
  totp_enabled_at TIMESTAMPTZ,          -- NULL while enrolment is pending or when there is no second factor
  totp_last_step  BIGINT,               -- the last 30-second step accepted, so a code cannot be used twice
  created_at      TIMESTAMPTZ NOT NULL,
  updated_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE user_roles (
  user_id TEXT NOT NULL,
  role    TEXT NOT NULL,                -- a built-in role (access/permissions.ts) or a row of roles
  PRIMARY KEY (user_id, role)
);

-- Brand-defined roles. The five built-in roles live in code and are never stored here.
CREATE TABLE roles (
  name        TEXT PRIMARY KEY,
  label       TEXT NOT NULL,
  permissions TEXT NOT NULL,            -- JSON array of permission codes
  created_at  TIMESTAMPTZ NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL
);

-- Sessions are looked up by the SHA-256 of their random id; the id itself exists only in the browser's cookie.
CREATE TABLE sessions (
  session_hash TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL,
  csrf_hash    TEXT NOT NULL,           -- SHA-256 of the session's CSRF token
  created_at   TIMESTAMPTZ NOT NULL,
  last_seen_at TIMESTAMPTZ NOT NULL,    -- moved at most once a minute; the idle timeout counts from it
  expires_at   TIMESTAMPTZ NOT NULL,
  revoked_at   TIMESTAMPTZ,
  ip           TEXT,
  user_agent   TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

-- API keys for machines. key_id is the 8 characters after `syk_`, shown in listings and used to find the row;
-- key_hash is the SHA-256 of the whole key (32 random bytes, so no salt or slow hash is needed).
CREATE TABLE api_keys (
  key_id          TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  key_hash        TEXT NOT NULL,
  scopes          TEXT NOT NULL,        -- JSON array of permission codes
  data_scope      TEXT NOT NULL,        -- JSON, as users.data_scope
  created_at      TIMESTAMPTZ NOT NULL,
  created_by      TEXT,
  expires_at      TIMESTAMPTZ,          -- NULL: never
  last_used_at    TIMESTAMPTZ,          -- moved at most once a minute per key
  revoked_at      TIMESTAMPTZ,
  revoked_by      TEXT
);

-- Write keys become API keys with the ingest:write scope, under the same id and hash, so every key in use keeps
-- working. Their browser origins stay in write_key_origins (migration 022), keyed by the same ids.
INSERT INTO api_keys (key_id, name, key_hash, scopes, data_scope, created_at, created_by, revoked_at)
SELECT key_id, name, key_hash, '["ingest:write"]', '{"kind":"all"}', created_at, 'migration 025', revoked_at FROM write_keys;

DROP TABLE write_keys;

-- Every sign-in attempt, for lock-out (per user name) and throttling (per address). Only the last day is kept.
CREATE TABLE login_attempts (
  attempted_at TIMESTAMPTZ NOT NULL,
  username     TEXT NOT NULL,
  ip           TEXT NOT NULL,
  outcome      TEXT NOT NULL                -- ok | bad_password | unknown_user | disabled | bad_totp | locked | throttled
);
CREATE INDEX login_attempts_username ON login_attempts (username, attempted_at);
CREATE INDEX login_attempts_ip ON login_attempts (ip, attempted_at);

-- Customers assigned to a user (the `own` data scope), as a WeCom guide (导购) owns the customers they serve.
CREATE TABLE customer_owners (
  customer_id TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  assigned_at TIMESTAMPTZ NOT NULL,
  assigned_by TEXT NOT NULL,
  PRIMARY KEY (customer_id, user_id)
);
CREATE INDEX customer_owners_user ON customer_owners (user_id);

-- The audit log: append-only, each row chained to the one before by hash (access/audit.ts). Rows are only ever
-- inserted; the application never updates or deletes them.
CREATE TABLE audit_log (
  seq       BIGINT PRIMARY KEY,         -- 1, 2, 3… without gaps
  recorded_at TIMESTAMPTZ NOT NULL,
  actor     TEXT NOT NULL,              -- user:NAME | key:ID | cli:OS_USER | anonymous | system
  action    TEXT NOT NULL,              -- e.g. auth.sign_in, key.create, customer.reveal_pii, segment.export
  target    TEXT,
  details   TEXT NOT NULL,              -- canonical JSON (sorted keys), hashed as stored
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL               -- SHA-256 over the canonical serialisation of the row, prev_hash included
);
CREATE INDEX audit_log_at ON audit_log (recorded_at);

-- The head of the chain: one row, updated in the same transaction as each append. Its row lock is what serialises
-- appends across PostgreSQL processes, and it lets verify notice rows deleted from the end of the log.
CREATE TABLE audit_head (
  id        INTEGER PRIMARY KEY,
  seq       BIGINT NOT NULL,
  hash      TEXT NOT NULL,
  first_seq BIGINT NOT NULL             -- the first row kept; moves only when a retention policy removes old rows
);
INSERT INTO audit_head (id, seq, hash, first_seq) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 1);
