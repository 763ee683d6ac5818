-- Issue #22: the churn score of the repeat-buying models is P(no purchase in the horizon | history), not 1 − P(alive)
-- (docs/models.md, "Churn"); model fits keep the evidence a data-driven choice (`siyu clv fit --model auto`) made on.
ALTER TABLE clv_scores ADD COLUMN p_no_purchase_90d DOUBLE PRECISION;   -- P(no purchase in the 90 days after as_of)
ALTER TABLE churn_scores ADD COLUMN p_no_purchase DOUBLE PRECISION;     -- the same from the churn model's repeat-buying model, over its horizon
ALTER TABLE churn_scores ADD COLUMN horizon_days INTEGER;
ALTER TABLE model_fits ADD COLUMN selection JSON;                       -- for --model auto: the candidates' holdout evidence and why this one
