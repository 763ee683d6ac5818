-- The repeat-buying histories the latest `siyu clv fit` was made on (docs/models.md, "Data"), one row per buyer,
-- replaced whole by each fit. `siyu clv score` scores these rows, so scores come from the histories the fit saw and
-- the history query runs once for the pair.
CREATE TABLE clv_histories (
  customer_id      TEXT NOT NULL,
  x                DOUBLE PRECISION NOT NULL,  -- repeat purchase days (BG/BB: periods) in calibration
  recency_days     DOUBLE PRECISION,           -- first to last purchase day (BG/BB: the last period's position)
  age_days         DOUBLE PRECISION NOT NULL,  -- first purchase day to the calibration end (BG/BB: n)
  mean_repeat_fen  DOUBLE PRECISION,           -- mean spend of the repeat purchase days; NULL without repeats
  fit_id           TEXT NOT NULL               -- model_fits: the fit made on these rows
);
-- postgres-only
ALTER TABLE clv_histories ADD PRIMARY KEY (customer_id);
