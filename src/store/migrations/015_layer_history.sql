-- Changes of each customer's RFM class and value tier (docs/segmentation.md, "Layer migration"), appended by
-- `siyu rfm` and `siyu tiers`: a row when a run's value differs from the customer's last one before the run's day.
-- A customer's layer on a day is their last change on or before it, which `siyu migration --layer rfm|tier` reads.
CREATE TABLE layer_history (
  customer_id    TEXT NOT NULL,
  layer          TEXT NOT NULL,       -- rfm_class | tier
  value          TEXT NOT NULL,       -- the class or tier code
  changed_on     DATE NOT NULL,       -- the as-of day of the run that saw the change
  changed_at     TIMESTAMPTZ NOT NULL
);
-- postgres-only
ALTER TABLE layer_history ADD PRIMARY KEY (customer_id, layer, changed_on);
