-- Core commerce data model. Runs unchanged on DuckDB and PostgreSQL (docs/data-model.md).
-- Customer-scoped tables lead their primary key with customer_id so Citus can distribute and co-locate them.
-- Money is integer fen (*_fen) plus a currency code; every timestamp is UTC.
--
-- A statement that starts with the line `-- postgres-only` is skipped on DuckDB. Only the keys and indexes of the
-- three large fact tables (events, orders, order_items) are marked so: a DuckDB ART index costs about 5 s per
-- million text-keyed rows to maintain and must fit in memory, while DuckDB scans and joins without one. Their
-- uniqueness is kept by the write paths, which never rely on ON CONFLICT for these tables (docs/architecture.md).

CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO settings (key, value) VALUES ('timezone', 'Asia/Shanghai'), ('currency', 'CNY');

CREATE TABLE channels (
  channel_id TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL,          -- mini_program | marketplace | store | community | app | wecom | other
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE stores (
  store_id   TEXT PRIMARY KEY,
  channel_id TEXT NOT NULL,
  name       TEXT NOT NULL,
  city       TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE products (
  sku            TEXT PRIMARY KEY,
  name           TEXT,
  category       TEXT,                -- a path, levels joined by '/': 个护/洗发
  brand          TEXT,
  price_fen      BIGINT,
  currency       TEXT NOT NULL DEFAULT 'CNY',
  is_active      BOOLEAN NOT NULL DEFAULT TRUE,
  replenish_days INTEGER,
  updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE customers (
  customer_id   TEXT PRIMARY KEY,
  traits        JSON,
  phone         TEXT,                 -- E.164
  email         TEXT,
  name          TEXT,
  gender        TEXT,                 -- f | m | other
  birthday      DATE,
  city          TEXT,
  registered_at TIMESTAMPTZ,
  channel       TEXT,
  merged_into   TEXT,                 -- set when this profile was merged into another; rows follow the survivor
  created_at    TIMESTAMPTZ NOT NULL,
  updated_at    TIMESTAMPTZ NOT NULL
);

-- The routing table from any identifier to its profile. Looked up by (type, value), so it is keyed that way;
-- on Citus it is distributed by value (see docs/architecture.md).
CREATE TABLE identities (
  type        TEXT NOT NULL,          -- user_id | phone | email | unionid | openid:<app> | member_no | anonymous_id | device
  value       TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  source      TEXT,
  created_at  TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (type, value)
);
CREATE INDEX identities_customer ON identities (customer_id);

CREATE TABLE customer_merges (
  customer_id TEXT NOT NULL,          -- the survivor
  merged_id   TEXT NOT NULL,          -- the profile folded into it
  reason      TEXT NOT NULL,          -- identify | alias | import
  evidence    TEXT,                   -- the identifier that linked them, e.g. phone:+8613800000000
  message_id  TEXT,
  merged_at   TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (customer_id, merged_id)
);

-- An identifier claimed by two profiles that must not merge (both have a user_id). The first owner keeps it.
CREATE TABLE identity_conflicts (
  customer_id  TEXT NOT NULL,         -- the profile that claimed the identifier and was refused
  type         TEXT NOT NULL,
  value        TEXT NOT NULL,
  owner_id     TEXT NOT NULL,         -- the profile that holds it
  message_id   TEXT,
  detected_at  TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (customer_id, type, value)
);

CREATE TABLE events (
  customer_id  TEXT NOT NULL,
  message_id   TEXT NOT NULL,
  type         TEXT NOT NULL,         -- identify | track | page | screen | group | alias
  name         TEXT,                  -- track event name, or page/screen name
  properties   JSON,
  context      JSON,
  user_id      TEXT,
  anonymous_id TEXT,
  ts           TIMESTAMPTZ NOT NULL,  -- when it happened (Segment timestamp)
  received_at  TIMESTAMPTZ NOT NULL,
  source       TEXT                   -- write key name or import file
);
-- postgres-only
ALTER TABLE events ADD PRIMARY KEY (customer_id, message_id);
-- postgres-only
CREATE INDEX events_name_ts ON events (name, ts);

-- The idempotency ledger: one row per messageId ever accepted, whatever profile the message resolved to.
-- Keyed by message_id alone (events are keyed by customer, and a retry may resolve to a merged profile).
CREATE TABLE messages (
  message_id  TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL,
  received_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE orders (
  customer_id   TEXT NOT NULL,
  order_id      TEXT NOT NULL,
  placed_at     TIMESTAMPTZ NOT NULL,
  status        TEXT NOT NULL,        -- completed | partially_refunded | refunded | cancelled
  total_fen     BIGINT NOT NULL,      -- what the customer paid, after discount
  discount_fen  BIGINT NOT NULL DEFAULT 0,
  refunded_fen  BIGINT NOT NULL DEFAULT 0,
  currency      TEXT NOT NULL,
  channel       TEXT,
  store_id      TEXT,
  coupon_code   TEXT,
  source        TEXT,
  updated_at    TIMESTAMPTZ NOT NULL
);
-- postgres-only
ALTER TABLE orders ADD PRIMARY KEY (customer_id, order_id);
-- postgres-only
CREATE INDEX orders_placed_at ON orders (placed_at);

CREATE TABLE order_items (
  customer_id     TEXT NOT NULL,
  order_id        TEXT NOT NULL,
  line            INTEGER NOT NULL,   -- 1-based position in the order
  sku             TEXT NOT NULL,
  name            TEXT,
  quantity        INTEGER NOT NULL,
  unit_price_fen  BIGINT NOT NULL,
  category        TEXT,
  brand           TEXT
);
-- postgres-only
ALTER TABLE order_items ADD PRIMARY KEY (customer_id, order_id, line);

CREATE TABLE write_keys (
  key_id     TEXT PRIMARY KEY,        -- the first 8 characters of the key, shown in listings
  name       TEXT NOT NULL,
  key_hash   TEXT NOT NULL,           -- sha256 of the whole key, hex; the key is 32 random bytes, so no salt is needed
  created_at TIMESTAMPTZ NOT NULL,
  revoked_at TIMESTAMPTZ
);

CREATE TABLE import_runs (
  run_id      TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,
  file        TEXT NOT NULL,
  accepted    BIGINT NOT NULL,
  rejected    BIGINT NOT NULL,
  started_at  TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ NOT NULL
);
