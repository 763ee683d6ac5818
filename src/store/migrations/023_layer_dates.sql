-- Issue #16, part 5: the incremental nightly job (docs/segmentation.md, "The nightly job"). The layer tables keep
-- dates rather than day counts, so nothing that depends only on the calendar is rewritten for every customer every
-- night: the stored rows move to *_values tables, and views under the old names derive recency in days (and the
-- other day counts) from the stored dates and the layer's as-of day when read. A row's as-of day is the later of
-- the day it was last written and its layer's last run (layer_runs), as every row then holds what that run gives.
ALTER TABLE customer_attributes RENAME TO customer_attribute_values;
-- Replaced by Siyu with one column per attribute, derived ones included, whenever the attribute columns change
-- (src/segment/attributes.ts, ensureAttributeColumns).
CREATE VIEW customer_attributes AS SELECT * FROM customer_attribute_values;

ALTER TABLE rfm_scores RENAME TO rfm_score_values;
ALTER TABLE rfm_score_values ADD COLUMN last_purchase_on DATE;        -- the last purchase day, brand timezone
UPDATE rfm_score_values SET last_purchase_on = as_of - recency_days;
ALTER TABLE rfm_score_values DROP COLUMN recency_days;
CREATE VIEW rfm_scores AS
SELECT v.customer_id, CAST(greatest(v.as_of, r.as_of) - v.last_purchase_on AS INTEGER) AS recency_days, v.frequency, v.monetary_fen, v.currency,
       v.r_score, v.f_score, v.m_score, v.rfm_class, greatest(v.as_of, r.as_of) AS as_of, v.window_days, v.threshold, v.computed_at, v.last_purchase_on
FROM rfm_score_values v LEFT JOIN layer_runs r ON r.layer = 'rfm';

ALTER TABLE lifecycle_stages RENAME TO lifecycle_stage_values;
ALTER TABLE lifecycle_stage_values ADD COLUMN last_purchase_on DATE;  -- NULL for prospects
UPDATE lifecycle_stage_values SET last_purchase_on = as_of - recency_days;
ALTER TABLE lifecycle_stage_values DROP COLUMN recency_days;
CREATE VIEW lifecycle_stages AS
SELECT v.customer_id, v.stage, v.purchases, CAST(greatest(v.as_of, r.as_of) - v.last_purchase_on AS INTEGER) AS recency_days, v.dormant_days, v.churned_days,
       v.basis, greatest(v.as_of, r.as_of) AS as_of, v.computed_at, v.last_purchase_on
FROM lifecycle_stage_values v LEFT JOIN layer_runs r ON r.layer = 'lifecycle';

-- The nightly job finds the customers with an event that entered or left a 30- or 90-day window by its time.
-- postgres-only
CREATE INDEX events_ts ON events (ts);
