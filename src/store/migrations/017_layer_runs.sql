-- The settings and time of the latest computation of each layer (docs/segmentation.md, "Incremental updates"):
-- `siyu layers update` recomputes the customers whose orders or events changed since, with the same settings.
CREATE TABLE layer_runs (
  layer          TEXT PRIMARY KEY,    -- attributes | rfm | tiers | lifecycle
  as_of          DATE NOT NULL,
  options        JSON NOT NULL,       -- the run's settings, as the compute function takes them
  started_at     TIMESTAMPTZ NOT NULL -- data changed after this is picked up by the next update
);
