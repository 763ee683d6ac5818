-- RFM layering (docs/segmentation.md). Replaced whole by each `siyu rfm` run, in one transaction.
CREATE TABLE rfm_scores (
  customer_id    TEXT NOT NULL,
  recency_days   INTEGER NOT NULL,       -- days from the last order to as_of, brand timezone
  frequency      INTEGER NOT NULL,       -- orders in the window
  monetary_fen   BIGINT NOT NULL,        -- paid minus refunded in the window
  currency       TEXT NOT NULL,
  r_score        INTEGER NOT NULL,       -- 1-5, 5 = most recent
  f_score        INTEGER NOT NULL,       -- 1-5, 5 = most orders
  m_score        INTEGER NOT NULL,       -- 1-5, 5 = most spend
  rfm_class      TEXT NOT NULL,          -- the Chinese 8-class model, e.g. important_value (重要价值客户)
  as_of          DATE NOT NULL,
  window_days    INTEGER NOT NULL,
  threshold      TEXT NOT NULL,          -- mean | median: what high and low are measured against
  computed_at    TIMESTAMPTZ NOT NULL
);
-- postgres-only
ALTER TABLE rfm_scores ADD PRIMARY KEY (customer_id);
