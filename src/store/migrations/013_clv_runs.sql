-- Each `siyu clv score` run (docs/models.md): what the scores in clv_scores were computed with. These values are the
-- same for every customer of a run; kept on every row they cost about 1 s per million customers to write.
CREATE TABLE clv_runs (
  run_id                 TEXT PRIMARY KEY,
  model                  TEXT NOT NULL,          -- the frequency model, with +gammagamma when spend was modelled
  fit_id                 TEXT NOT NULL,          -- model_fits: the frequency model's fit
  spend_fit_id           TEXT,                   -- model_fits: the Gamma-Gamma fit, if used
  currency               TEXT NOT NULL,
  as_of                  DATE NOT NULL,          -- the calibration end the scores look forward from
  horizon_months         INTEGER NOT NULL,
  monthly_discount_rate  DOUBLE PRECISION NOT NULL,
  customers              BIGINT NOT NULL,
  scored_at              TIMESTAMPTZ NOT NULL
);
-- A store scored before this migration keeps its scores, described by the run they came from (12 months at 1%).
INSERT INTO clv_runs
SELECT 'before-013', max(model), max(fit_id), NULL, max(currency), max(as_of), 12, 0.01, count(*), max(scored_at)
FROM clv_scores HAVING count(*) > 0;
ALTER TABLE clv_scores DROP COLUMN currency;
ALTER TABLE clv_scores DROP COLUMN model;
ALTER TABLE clv_scores DROP COLUMN fit_id;
ALTER TABLE clv_scores DROP COLUMN scored_at;
