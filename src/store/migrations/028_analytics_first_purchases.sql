-- Analytics (docs/analytics.md, "First purchases"): every buyer's first purchase order, derived from the orders and
-- kept up to date by the analytics reports themselves, so new buyers, retention and LTV cohorts need not group every
-- order by customer on each request. The key column is buyer_id, not customer_id: this is a cache that the reports
-- bring up to date after a merge, not a customer-scoped table that merges copy (src/ingest/merge.ts).
CREATE TABLE analytics_first_purchases (
  buyer_id   TEXT NOT NULL,
  first_at   TIMESTAMPTZ NOT NULL,     -- placed_at of the first purchase order
  first_day  DATE NOT NULL             -- its local day in the brand timezone the table was built in
);
-- postgres-only
ALTER TABLE analytics_first_purchases ADD PRIMARY KEY (buyer_id);
-- What the table was built from: timezone, currency and the orders and merges seen (JSON), one row per cache.
CREATE TABLE analytics_state (
  key         TEXT PRIMARY KEY,
  value       TEXT NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL
);
