-- CLV models (docs/models.md). Each fit is kept with its parameters, so scores can be traced to the fit behind them.
CREATE TABLE model_fits (
  fit_id           TEXT PRIMARY KEY,
  model            TEXT NOT NULL,          -- bgnbd | mbgnbd | paretonbd | bgbb | gammagamma
  time_unit        TEXT NOT NULL,          -- day | week
  calibration_end  DATE NOT NULL,          -- in the brand timezone, inclusive
  params           JSON NOT NULL,          -- e.g. {"r":0.24,"alpha":4.41,"a":0.79,"b":2.43}
  standard_errors  JSON,
  log_likelihood   DOUBLE PRECISION NOT NULL,
  customers        BIGINT NOT NULL,
  excluded         BIGINT NOT NULL,        -- customers left out of the fit, with reasons in the fit report
  converged        BOOLEAN NOT NULL,
  fitted_at        TIMESTAMPTZ NOT NULL
);

-- The latest CLV scores, one row per customer, replaced whole by each `siyu clv score` (in one transaction).
CREATE TABLE clv_scores (
  customer_id          TEXT NOT NULL,
  p_alive              DOUBLE PRECISION NOT NULL,
  expected_orders_90d  DOUBLE PRECISION NOT NULL,
  expected_aov_fen     BIGINT NOT NULL,
  clv_12m_fen          BIGINT NOT NULL,
  currency             TEXT NOT NULL,
  model                TEXT NOT NULL,      -- the frequency model, e.g. bgnbd+gammagamma
  fit_id               TEXT NOT NULL,
  as_of                DATE NOT NULL,      -- the calibration end the scores look forward from
  scored_at            TIMESTAMPTZ NOT NULL
);
-- postgres-only
ALTER TABLE clv_scores ADD PRIMARY KEY (customer_id);
