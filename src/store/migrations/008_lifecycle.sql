-- Lifecycle stages (docs/segmentation.md): each customer's current stage, replaced whole by `siyu lifecycle`, and
-- every change of stage, appended. Each change is also a `Stage Changed` event in events.
CREATE TABLE lifecycle_stages (
  customer_id    TEXT NOT NULL,
  stage          TEXT NOT NULL,       -- prospect | new | active | repeat | dormant | churned | reactivated
  purchases      INTEGER NOT NULL,    -- purchase days to as_of
  recency_days   INTEGER,             -- NULL for prospects
  dormant_days   DOUBLE PRECISION,    -- the thresholds this customer was judged by
  churned_days   DOUBLE PRECISION,
  basis          TEXT NOT NULL,       -- own: from their own purchase gaps | fixed: fewer than 2 purchase days | none: prospect
  as_of          DATE NOT NULL,
  computed_at    TIMESTAMPTZ NOT NULL
);
-- postgres-only
ALTER TABLE lifecycle_stages ADD PRIMARY KEY (customer_id);
CREATE TABLE lifecycle_history (
  customer_id    TEXT NOT NULL,
  from_stage     TEXT,                -- NULL the first time a customer is staged
  to_stage       TEXT NOT NULL,
  changed_on     DATE NOT NULL,       -- the as-of day of the run that saw the change
  changed_at     TIMESTAMPTZ NOT NULL
);
-- postgres-only
ALTER TABLE lifecycle_history ADD PRIMARY KEY (customer_id, changed_on, to_stage);
