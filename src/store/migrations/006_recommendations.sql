-- Product recommendations (docs/recommend.md). `siyu recommend train` replaces the candidates, similar items and
-- popular items whole, in one transaction, and records the run; serving filters them online.
CREATE TABLE recommendation_runs (
  run_id        TEXT PRIMARY KEY,
  algorithm     TEXT NOT NULL,
  params        JSON NOT NULL,
  interactions  INTEGER NOT NULL,     -- purchase lines trained on
  customers     INTEGER NOT NULL,     -- customers given candidates
  items         INTEGER NOT NULL,
  trained_at    TIMESTAMPTZ NOT NULL
);
-- Candidates are kept per algorithm, so an A/B experiment can serve two algorithms side by side.
CREATE TABLE recommendations (
  customer_id   TEXT NOT NULL,
  algorithm     TEXT NOT NULL,
  rank          INTEGER NOT NULL,     -- 1 = best
  sku           TEXT NOT NULL,
  score         DOUBLE PRECISION NOT NULL,
  reason        TEXT NOT NULL,        -- bought_with | popular
  reason_sku    TEXT,                 -- bought_with: the bought item that contributed most
  run_id        TEXT NOT NULL
);
-- postgres-only
ALTER TABLE recommendations ADD PRIMARY KEY (customer_id, algorithm, rank);
CREATE TABLE similar_items (
  sku           TEXT NOT NULL,
  rank          INTEGER NOT NULL,
  similar_sku   TEXT NOT NULL,
  score         DOUBLE PRECISION NOT NULL,
  run_id        TEXT NOT NULL,
  PRIMARY KEY (sku, rank)
);
-- Best-sellers per scope: global, trending (purchases decayed with a 7-day half-life over the last 60 days),
-- per channel (orders.channel) and per value tier (tier_scores.tier). The fallback for customers without
-- personal candidates, and for unknown or opted-out ones.
CREATE TABLE popular_items (
  scope         TEXT NOT NULL,        -- global | trending | channel | tier
  scope_value   TEXT NOT NULL,        -- the channel or tier; '' for global and trending
  rank          INTEGER NOT NULL,
  sku           TEXT NOT NULL,
  buyers        INTEGER NOT NULL,     -- distinct customers who bought it in the scope
  score         DOUBLE PRECISION NOT NULL, -- what the rank is by: buyers, or the decayed count for trending
  run_id        TEXT NOT NULL,
  PRIMARY KEY (scope, scope_value, rank)
);
-- Predicted next purchase of each consumable per customer (docs/recommend.md, "Replenishment").
CREATE TABLE replenishment (
  customer_id   TEXT NOT NULL,
  sku           TEXT NOT NULL,
  last_purchase DATE NOT NULL,        -- brand timezone
  purchases     INTEGER NOT NULL,     -- purchase days of this SKU
  interval_days DOUBLE PRECISION NOT NULL,
  basis         TEXT NOT NULL,        -- own | sku | category: where the interval came from
  due           DATE NOT NULL,
  as_of         DATE NOT NULL,
  computed_at   TIMESTAMPTZ NOT NULL
);
-- postgres-only
ALTER TABLE replenishment ADD PRIMARY KEY (customer_id, sku);
-- Pair rules "bought X, also bought Y" mined from baskets.
CREATE TABLE association_rules (
  sku           TEXT NOT NULL,
  rank          INTEGER NOT NULL,
  with_sku      TEXT NOT NULL,
  orders        INTEGER NOT NULL,
  support       DOUBLE PRECISION NOT NULL,
  confidence    DOUBLE PRECISION NOT NULL,
  lift          DOUBLE PRECISION NOT NULL,
  run_id        TEXT NOT NULL,
  PRIMARY KEY (sku, rank)
);
-- Merchandising rules the brand sets by hand: pin (always shown first), boost (moved up by a factor), bury (never shown).
CREATE TABLE merchandising_rules (
  sku           TEXT PRIMARY KEY,
  action        TEXT NOT NULL,        -- pin | boost | bury
  factor        DOUBLE PRECISION NOT NULL DEFAULT 1, -- boost: a candidate's rank is divided by it; pin: higher shows first
  note          TEXT,
  created_at    TIMESTAMPTZ NOT NULL
);
-- The price band each value tier buys in: the 10th to 90th percentile of unit prices paid by its customers.
CREATE TABLE tier_price_bands (
  tier          TEXT PRIMARY KEY,
  min_fen       BIGINT NOT NULL,
  max_fen       BIGINT NOT NULL,
  run_id        TEXT NOT NULL
);
-- A/B experiments between algorithms: a customer's variant is a fixed hash of (customer id, experiment).
CREATE TABLE recommendation_experiments (
  experiment    TEXT NOT NULL,
  variant       TEXT NOT NULL,
  algorithm     TEXT NOT NULL,
  share         DOUBLE PRECISION NOT NULL, -- of customers, the variants of one experiment sum to 1
  started_at    TIMESTAMPTZ NOT NULL,
  ended_at      TIMESTAMPTZ,
  PRIMARY KEY (experiment, variant)
);
-- Units in stock, when the brand tracks them (NULL: not tracked). Serving never offers a SKU with stock 0.
ALTER TABLE products ADD COLUMN stock INTEGER;
