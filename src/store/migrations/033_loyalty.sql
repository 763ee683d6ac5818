-- Loyalty (docs/loyalty.md): offers and their coupon codes, redemptions, the points, growth and stored-value ledgers,
-- member tiers. Every counter that a limit guards (budgets, code uses, per-customer and per-day counts, balances) is
-- changed only by a guarded delta (`SET used = used + n WHERE … AND used + n <= limit`), never set to an absolute
-- value, and every ledger row carries its idempotency key in its primary key. Unlike the fact tables, these tables
-- keep their keys on DuckDB too: uniqueness of an idempotency key is what makes a replay change nothing.

CREATE TABLE loyalty_offers (
  offer_id             TEXT PRIMARY KEY,
  name                 TEXT NOT NULL,
  campaign             TEXT,
  kind                 TEXT NOT NULL,      -- spend_save | percent | fixed | gift | free_shipping
  rule                 JSON NOT NULL,      -- the kind's parameters (threshold, amount, percent, cap, gift)
  applies              JSON NOT NULL,      -- products, categories, channels, stores, and exclusions
  min_spend_fen        BIGINT NOT NULL DEFAULT 0,
  stack_group          TEXT,               -- at most one coupon per group; NULL: the offer's own group
  is_exclusive         BOOLEAN NOT NULL DEFAULT FALSE,
  valid_from           TIMESTAMPTZ,
  valid_to             TIMESTAMPTZ,
  valid_days           INTEGER,            -- a coupon is valid this many days from being claimed (within valid_to)
  budget_count         BIGINT,             -- redemptions allowed in all; NULL: no limit
  budget_discount_fen  BIGINT,             -- discount allowed in all
  per_customer_limit   INTEGER,
  per_day_limit        BIGINT,
  is_refund_returning  BOOLEAN NOT NULL DEFAULT TRUE,  -- a refunded order gives its coupon back when not expired
  used_count           BIGINT NOT NULL DEFAULT 0,
  used_discount_fen    BIGINT NOT NULL DEFAULT 0,
  status               TEXT NOT NULL,      -- active | paused | ended
  created_at           TIMESTAMPTZ NOT NULL,
  updated_at           TIMESTAMPTZ NOT NULL
);

-- Per-customer and per-day use of an offer: the counters the per-customer and per-day limits guard.
CREATE TABLE loyalty_offer_usage (
  offer_id  TEXT NOT NULL,
  scope     TEXT NOT NULL,                 -- 'c:' || customer_id, or 'd:' || brand-local day
  used      BIGINT NOT NULL,
  PRIMARY KEY (offer_id, scope)
);

-- A code is one coupon (unique codes, each used max_uses times) or an offer's shared code (max_uses NULL: the budget
-- and the per-customer limit govern). A unique code held by a customer is in their wallet.
CREATE TABLE coupon_codes (
  code         TEXT PRIMARY KEY,
  offer_id     TEXT NOT NULL,
  batch_id     TEXT,
  is_shared    BOOLEAN NOT NULL,
  customer_id  TEXT,
  state        TEXT NOT NULL,              -- issued | claimed | redeemed | expired | void
  max_uses     INTEGER,
  used         INTEGER NOT NULL DEFAULT 0,
  issued_at    TIMESTAMPTZ NOT NULL,
  claimed_at   TIMESTAMPTZ,
  expires_at   TIMESTAMPTZ,
  source       TEXT,                       -- batch, import, journey:<id>, staff, api
  source_key   TEXT,                       -- the issuing call's idempotency key
  updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX coupon_codes_customer ON coupon_codes (customer_id);
CREATE UNIQUE INDEX coupon_codes_source_key ON coupon_codes (source_key);

-- One row per redemption attempt that counted, keyed by the caller's key: a replay returns the same row.
CREATE TABLE coupon_redemptions (
  redemption_key        TEXT PRIMARY KEY,
  code                  TEXT,
  offer_id              TEXT,
  customer_id           TEXT,
  order_id              TEXT,
  status                TEXT NOT NULL,     -- redeemed | released | rejected
  reason                TEXT,              -- why rejected, or why released
  discount_fen          BIGINT NOT NULL DEFAULT 0,
  reversed_discount_fen BIGINT NOT NULL DEFAULT 0,  -- refunded share of the discount (partial refunds, pro rata)
  order_total_fen       BIGINT,            -- what the order paid after every discount
  day                   TEXT,              -- brand-local day, for the per-day counter
  lines                 JSON,              -- the discount per line
  source                TEXT NOT NULL,     -- api | order
  redeemed_at           TIMESTAMPTZ NOT NULL,
  released_at           TIMESTAMPTZ
);
CREATE INDEX coupon_redemptions_order ON coupon_redemptions (order_id);

-- Points: an append-only ledger; each earn entry is also a bucket (remaining, when usable, when it expires), and every
-- consumption (redeem, expire, reverse) is traced to the buckets it took from in points_allocations.
CREATE TABLE points_ledger (
  customer_id   TEXT NOT NULL,
  entry_key     TEXT NOT NULL,             -- the idempotency key: order:<id>:earn, expire:<bucket>, api:<caller key>…
  kind          TEXT NOT NULL,             -- earn | redeem | expire | reverse | adjust
  points        BIGINT NOT NULL,           -- signed: + adds to the balance, − takes from it
  source        TEXT NOT NULL,             -- order | event | journey | staff | job | api
  source_id     TEXT,                      -- the order, event, journey or user
  reason        TEXT,
  order_id      TEXT,
  created_at    TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (customer_id, entry_key)
);
CREATE INDEX points_ledger_created ON points_ledger (created_at);

CREATE TABLE points_buckets (
  customer_id   TEXT NOT NULL,
  bucket_key    TEXT NOT NULL,             -- the entry_key of the entry that filled it
  earned        BIGINT NOT NULL,
  remaining     BIGINT NOT NULL,
  available_at  TIMESTAMPTZ NOT NULL,      -- pending until then
  expires_at    TIMESTAMPTZ NOT NULL,
  order_id      TEXT,
  created_at    TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (customer_id, bucket_key)
);
CREATE INDEX points_buckets_expiry ON points_buckets (expires_at);

CREATE TABLE points_allocations (
  customer_id   TEXT NOT NULL,
  entry_key     TEXT NOT NULL,             -- the consuming (or restoring) entry
  bucket_key    TEXT NOT NULL,
  points        BIGINT NOT NULL,           -- + taken from the bucket, − given back to it
  PRIMARY KEY (customer_id, entry_key, bucket_key)
);

-- The cached balance, changed only by deltas in the same transaction as the ledger entry; `siyu points check` proves
-- it equals the ledger's sum and the buckets' remaining.
CREATE TABLE points_accounts (
  customer_id  TEXT PRIMARY KEY,
  balance      BIGINT NOT NULL,
  updated_at   TIMESTAMPTZ NOT NULL
);

-- Growth value (成长值): its own ledger, never spent; tiers are computed from it.
CREATE TABLE growth_ledger (
  customer_id  TEXT NOT NULL,
  entry_key    TEXT NOT NULL,
  points       BIGINT NOT NULL,
  source       TEXT NOT NULL,
  source_id    TEXT,
  created_at   TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (customer_id, entry_key)
);

CREATE TABLE member_tiers (
  customer_id  TEXT PRIMARY KEY,
  tier         TEXT NOT NULL,
  since        TIMESTAMPTZ NOT NULL,
  grace_until  TIMESTAMPTZ,                -- below the tier's threshold at an evaluation: kept until then
  updated_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE tier_history (
  customer_id  TEXT NOT NULL,
  changed_at   TIMESTAMPTZ NOT NULL,
  from_tier    TEXT,
  to_tier      TEXT NOT NULL,
  reason       TEXT NOT NULL,              -- upgrade | downgrade | kept | set
  PRIMARY KEY (customer_id, changed_at, to_tier)
);

-- Stored value (储值): principal and bonus kept apart (bonus is not the customer's money).
CREATE TABLE stored_value_ledger (
  customer_id    TEXT NOT NULL,
  entry_key      TEXT NOT NULL,
  kind           TEXT NOT NULL,            -- top_up | spend | refund | adjust
  principal_fen  BIGINT NOT NULL,          -- signed
  bonus_fen      BIGINT NOT NULL,          -- signed
  source         TEXT NOT NULL,
  source_id      TEXT,
  created_at     TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (customer_id, entry_key)
);

CREATE TABLE stored_value_accounts (
  customer_id    TEXT PRIMARY KEY,
  principal_fen  BIGINT NOT NULL,
  bonus_fen      BIGINT NOT NULL,
  updated_at     TIMESTAMPTZ NOT NULL
);

-- The program's configuration (points rules, tiers, stored value), one JSON document per key.
CREATE TABLE loyalty_settings (
  key         TEXT PRIMARY KEY,            -- points | tiers | stored_value
  value       JSON NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL
);
