-- Churn (docs/models.md, "Churn"): the deployed classifier, and each customer's latest risk with its reasons.
CREATE TABLE churn_models (
  model_id      TEXT PRIMARY KEY,
  kind          TEXT NOT NULL,        -- gbdt | logistic
  features      JSON NOT NULL,        -- feature names, in model order
  model         JSON NOT NULL,
  cutoff        DATE NOT NULL,        -- features as of this day, labels over the horizon after it
  horizon_days  INTEGER NOT NULL,
  evaluation    JSON NOT NULL,        -- the time-split evaluation run before training
  trained_at    TIMESTAMPTZ NOT NULL
);
CREATE TABLE churn_scores (
  customer_id   TEXT NOT NULL,
  risk          DOUBLE PRECISION NOT NULL, -- P(no purchase in the horizon)
  p_alive       DOUBLE PRECISION NOT NULL, -- BG/NBD, for comparison
  value_fen     BIGINT NOT NULL,      -- predicted 12-month CLV when scored, else spend in the last year
  priority      DOUBLE PRECISION NOT NULL, -- risk × value in yuan: the order of the warning list
  reasons       JSON NOT NULL,        -- the top 3 features pushing toward churn: [{ feature, value, contribution, zh, en }]
  model_id      TEXT NOT NULL,
  as_of         DATE NOT NULL,
  scored_at     TIMESTAMPTZ NOT NULL
);
-- postgres-only
ALTER TABLE churn_scores ADD PRIMARY KEY (customer_id);
